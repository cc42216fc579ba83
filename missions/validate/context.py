"""Everything the rules look at, computed once per validation: the sampled path, the terrain under it, the
zone hits. Rules stay small and pure because the expensive, shared work happens here, vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from missions.model import Mission
from missions.path import FloatArray, PathSamples, PathVertices, Phase, build_vertices, sample_legs
from missions.region import RegionLike, coverage_of
from missions.validate.permits import CrossBorderPermit
from missions.validate.report import Where


class RuleConfig(BaseModel):
    """Limits the rules apply; the defaults are the issue's (EU 2019/947 open category)."""

    model_config = ConfigDict(frozen=True)

    open_ceiling_agl_m: float = Field(default=120.0, gt=0)
    min_clearance_agl_m: float = Field(default=20.0, ge=0)
    battery_reserve_fraction: float = Field(default=0.20, ge=0, lt=1)
    vlos_limit_m: float = Field(default=500.0, gt=0)
    sample_spacing_m: float = Field(default=25.0, gt=0)
    """Leg sampling for zones and terrain; finer than the 30 m of Copernicus GLO-30 pixels."""
    absurd_distance_from_home_m: float = Field(default=100_000.0, gt=0)
    home_terrain_warn_m: float = Field(default=5.0, ge=0)
    """Home altitude this far from precise terrain at home: a warning (a roof, a vehicle, a DEM pixel)."""
    home_terrain_error_m: float = Field(default=30.0, ge=0)
    """Beyond this the declared home altitude is wrong, and every altitude relative to home with it."""
    min_alt_amsl_m: float = -500.0
    max_alt_amsl_m: float = 10_000.0


PRECISE_TERRAIN_LIMIT_M = 10.0
"""Contract 2: terrain is 'precise' when its vertical accuracy is this or better."""


TERRAIN_CLASSES = ("precise", "approximate", "unknown")
"""Terrain quality from best to worst; a rank is an index into this."""


def terrain_ranks(accuracy_m: FloatArray) -> NDArray[np.int8]:
    """0 precise (<= 10 m), 1 approximate (worse), 2 unknown (no DEM: NaN accuracy) per value."""
    acc = np.asarray(accuracy_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ranks = np.where(np.isnan(acc), 2, np.where(acc <= PRECISE_TERRAIN_LIMIT_M, 0, 1))
    return ranks.astype(np.int8)


def terrain_classes(accuracy_m: FloatArray) -> NDArray[np.str_]:
    """'precise', 'approximate' or 'unknown' per value (contract 2)."""
    return np.array(TERRAIN_CLASSES)[terrain_ranks(accuracy_m)]


@dataclass(frozen=True)
class ZoneHits:
    """Samples inside zones: parallel arrays, one entry per (sample, zone) pair."""

    sample_index: NDArray[np.intp]
    zone_index: NDArray[np.intp]


class RuleContext:
    """The mission seen by the rules; heavy parts are computed lazily and only once."""

    def __init__(
        self,
        mission: Mission,
        region: RegionLike,
        at: datetime | None,
        config: RuleConfig,
        permits: Sequence[CrossBorderPermit] = (),
    ) -> None:
        self.mission = mission
        self.region = region
        self.at = at
        self.config = config
        self.permits = tuple(permits)

    def crossing_permitted(self) -> str | None:
        """The reference of a cross-border permit covering the whole path at the planned time, if any."""
        lon = np.concatenate([self.vertices.lon, self.samples.lon])
        lat = np.concatenate([self.vertices.lat, self.samples.lat])
        for permit in self.permits:
            if permit.covers(lon, lat, self.at):
                return permit.reference
        return None

    @cached_property
    def vertices(self) -> PathVertices:
        return build_vertices(self.mission, self.region.terrain)

    @cached_property
    def samples(self) -> PathSamples:
        return sample_legs(self.vertices, self.config.sample_spacing_m)

    @cached_property
    def _terrain(self) -> tuple[FloatArray, FloatArray]:
        terrain = self.region.terrain
        n = self.samples.size
        if terrain is None:
            return np.full(n, np.nan), np.full(n, np.nan)
        sample = terrain.sample(self.samples.lon, self.samples.lat)
        return (
            np.asarray(sample.elevation_amsl_m, dtype=np.float64),
            np.asarray(sample.accuracy_m, dtype=np.float64),
        )

    @cached_property
    def ground_amsl_m(self) -> FloatArray:
        """Terrain under every sample, NaN where no DEM knows it: flat stand-in ground (no accuracy) gives no
        heights above the terrain, only "terrain unknown" (design contract 2)."""
        ground, accuracy = self._terrain
        return np.where(np.isnan(accuracy), np.nan, ground)

    @cached_property
    def terrain_rank(self) -> NDArray[np.int8]:
        """Index into TERRAIN_CLASSES per sample (contract 2)."""
        return terrain_ranks(self.ground_accuracy_m)

    @cached_property
    def zones_covered(self) -> NDArray[np.bool_]:
        """Samples inside the area the loaded zone data is complete for."""
        coverage = coverage_of(self.region)
        if coverage is None:
            return np.zeros(self.samples.size, dtype=np.bool_)
        return np.asarray(shapely.contains_xy(coverage.zones, self.samples.lon, self.samples.lat), dtype=bool)

    @cached_property
    def border_covered(self) -> NDArray[np.bool_]:
        """Samples inside the area the loaded border data is complete for."""
        coverage = coverage_of(self.region)
        if coverage is None:
            return np.zeros(self.samples.size, dtype=np.bool_)
        return np.asarray(
            shapely.contains_xy(coverage.border, self.samples.lon, self.samples.lat), dtype=bool
        )

    @property
    def ground_accuracy_m(self) -> FloatArray:
        return self._terrain[1]

    @cached_property
    def alt_agl_m(self) -> FloatArray:
        return self.samples.alt_amsl_m - self.ground_amsl_m

    @cached_property
    def _sample_leg_end(self) -> NDArray[np.intp]:
        """The vertex that ends each sample's leg. A path of one vertex (home only: no item flies anywhere)
        has no leg; its single sample is home itself (vertex 0), not a vertex past the end."""
        last = max(0, int(self.vertices.lon.size) - 1)
        return np.minimum(self.samples.leg_index + 1, last)

    @cached_property
    def sample_phase(self) -> NDArray[np.int8]:
        return self.vertices.leg_phase[self._sample_leg_end]

    @cached_property
    def sample_item(self) -> NDArray[np.intp]:
        return self.vertices.item_index[self._sample_leg_end]

    @cached_property
    def cruise_mask(self) -> NDArray[np.bool_]:
        return np.asarray(self.sample_phase == int(Phase.CRUISE), dtype=np.bool_)

    def sample_where(self, k: int) -> Where:
        """The place of sample ``k`` for a violation."""
        s = self.samples
        item = int(self.sample_item[k])
        return Where(
            item_index=item if item >= 0 else None,  # -1: home, before any item
            leg_index=int(s.leg_index[k]) if self.vertices.leg_count else None,
            lon=float(s.lon[k]),
            lat=float(s.lat[k]),
            alt_amsl_m=float(s.alt_amsl_m[k]),
        )

    @cached_property
    def zone_hits(self) -> ZoneHits:
        """One bulk query for every sample against every zone (footprint, band, time)."""
        s = self.samples
        if s.size == 0:
            empty = np.zeros(0, dtype=np.intp)
            return ZoneHits(empty, empty)
        point_idx, zone_idx = self.region.zones.bulk_hits(
            s.lon, s.lat, s.alt_amsl_m, ground_amsl_m=self._terrain[0], at=self.at
        )
        return ZoneHits(np.asarray(point_idx, dtype=np.intp), np.asarray(zone_idx, dtype=np.intp))
