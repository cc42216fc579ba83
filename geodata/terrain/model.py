"""What every terrain source answers, and how good the answer is (design contract 2)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.errors import OutsideCoverageError
from geodata.terrain.profile import densify_path

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

PRECISE_LIMIT_M = 10.0
"""Vertical accuracy at or below which terrain counts as precise (design contract 2)."""


class TerrainQuality(StrEnum):
    PRECISE = "precise"  # accuracy <= 10 m: AGL rules evaluate normally
    APPROXIMATE = "approximate"  # worse: rules evaluate on the DEM and warn "terrain approximate +-X m"
    UNKNOWN = "unknown"  # no DEM covers the point: AGL rules are errors


def quality_for_accuracy(accuracy_m: float) -> TerrainQuality:
    """Classifies one declared vertical accuracy; NaN means no DEM, hence unknown."""
    if math.isnan(accuracy_m):
        return TerrainQuality.UNKNOWN
    return TerrainQuality.PRECISE if accuracy_m <= PRECISE_LIMIT_M else TerrainQuality.APPROXIMATE


def _quality_members() -> NDArray[np.object_]:
    # Filled item by item: numpy turns str-subclass enums into plain str in bulk assignments.
    members = np.empty(3, dtype=object)
    for i, quality in enumerate((TerrainQuality.PRECISE, TerrainQuality.APPROXIMATE, TerrainQuality.UNKNOWN)):
        members[i] = quality
    return members


_QUALITY_MEMBERS = _quality_members()


def _quality_array(accuracy_m: FloatArray) -> NDArray[np.object_]:
    codes = np.where(np.isnan(accuracy_m), 2, np.where(accuracy_m <= PRECISE_LIMIT_M, 0, 1))
    return np.asarray(_QUALITY_MEMBERS[codes], dtype=object)


@dataclass(frozen=True)
class TerrainSample:
    """Elevations with their accuracy per point; NaN in both where no terrain source knows the point."""

    elevation_amsl_m: FloatArray
    accuracy_m: FloatArray

    @property
    def quality(self) -> NDArray[np.object_]:
        """TerrainQuality per point, same shape as the inputs."""
        return _quality_array(self.accuracy_m)

    @property
    def worst_quality(self) -> TerrainQuality:
        """The quality a check over all these points may claim (unknown for an empty sample)."""
        if self.accuracy_m.size == 0:
            return TerrainQuality.UNKNOWN
        if np.isnan(self.accuracy_m).any():
            return TerrainQuality.UNKNOWN
        return quality_for_accuracy(float(np.max(self.accuracy_m)))

    @property
    def worst_accuracy_m(self) -> float:
        """Largest known error bound (NaN if none known), as quoted by "terrain approximate +-X m"."""
        known = self.accuracy_m[~np.isnan(self.accuracy_m)]
        return float(known.max()) if known.size else math.nan


@dataclass(frozen=True)
class TerrainProfile:
    """Terrain along a path, sampled at the path vertices and at a fixed spacing between them."""

    distance_m: FloatArray
    lon: FloatArray
    lat: FloatArray
    elevation_amsl_m: FloatArray
    accuracy_m: FloatArray
    vertex_index: NDArray[np.intp]
    """Index into the profile arrays of each input path vertex."""

    @property
    def quality(self) -> NDArray[np.object_]:
        return _quality_array(self.accuracy_m)

    @property
    def worst_quality(self) -> TerrainQuality:
        return TerrainSample(self.elevation_amsl_m, self.accuracy_m).worst_quality

    @property
    def max_elevation_amsl_m(self) -> float:
        """Highest known terrain on the profile (NaN if none known)."""
        known = self.elevation_amsl_m[~np.isnan(self.elevation_amsl_m)]
        return float(known.max()) if known.size else math.nan


def as_lonlat_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Broadcast lon/lat to float64 arrays of one shape (scalars become 0-d arrays)."""
    lons, lats = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lons, lats


class Terrain(ABC):
    """A source of ground elevation (AMSL, EGM96 geoid per design contract 1) with a declared accuracy."""

    name: str
    vertical_accuracy_m: float
    resolution_m: float | None = None
    """Ground size of the finest detail the source resolves (DEM pixel), if it has one; ray casting and
    other samplers step finer than this."""

    @abstractmethod
    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        """Elevation and accuracy at each point; NaN where unknown. Never raises for outside coverage."""

    def covers(self, lon: ArrayLike, lat: ArrayLike) -> BoolArray:
        """True where this source knows the elevation."""
        return np.asarray(~np.isnan(self.sample(lon, lat).elevation_amsl_m), dtype=np.bool_)

    @property
    def quality(self) -> TerrainQuality:
        return quality_for_accuracy(self.vertical_accuracy_m)

    def elevation_amsl_m(self, lon: ArrayLike, lat: ArrayLike) -> FloatArray:
        """Elevations, or OutsideCoverageError naming the first unknown point: never a silent 0 m."""
        lons, lats = as_lonlat_arrays(lon, lat)
        elevation = self.sample(lons, lats).elevation_amsl_m
        missing = np.isnan(elevation)
        if missing.any():
            flat = int(np.flatnonzero(missing.ravel())[0])
            bad_lon = float(lons.ravel()[flat])
            bad_lat = float(lats.ravel()[flat])
            raise OutsideCoverageError(
                f"terrain '{self.name}' has no elevation at lon {bad_lon:.6f}, lat {bad_lat:.6f} "
                f"(point #{flat}; {int(missing.sum())} of {missing.size} point(s) "
                "outside coverage or on nodata)"
            )
        return elevation

    def profile(self, lon: ArrayLike, lat: ArrayLike, spacing_m: float) -> TerrainProfile:
        """Terrain along the polyline through the given vertices, at most ``spacing_m`` apart."""
        lons, lats, distances, vertex_index = densify_path(lon, lat, spacing_m)
        sampled = self.sample(lons, lats)
        return TerrainProfile(
            distance_m=distances,
            lon=lons,
            lat=lats,
            elevation_amsl_m=sampled.elevation_amsl_m,
            accuracy_m=sampled.accuracy_m,
            vertex_index=vertex_index,
        )
