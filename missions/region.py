"""What the mission code needs from a loaded region, as structural protocols.

``geodata.atlas.Region`` satisfies them; so does any object a caller assembles from a zone index, a border
and a terrain (tests, the ground station with a user-imported zone layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from geodata.coverage import DataCoverage
from missions.path import TerrainLike


class ZoneIndexLike(Protocol):
    @property
    def zones(self) -> Sequence[Any]: ...

    def bulk_hits(
        self,
        lon: ArrayLike,
        lat: ArrayLike,
        alt_amsl_m: ArrayLike,
        *,
        ground_amsl_m: ArrayLike | None = None,
        at: datetime | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]: ...

    def in_area(self, polygon: BaseGeometry, *, at: datetime | None = None) -> list[Any]: ...


class BorderCrossingLike(Protocol):
    @property
    def leg_index(self) -> int: ...

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...

    @property
    def from_country(self) -> str: ...

    @property
    def to_country(self) -> str: ...


class BorderLike(Protocol):
    @property
    def border_line(self) -> BaseGeometry: ...

    def country_at(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.str_]: ...

    def crossings(self, lon: ArrayLike, lat: ArrayLike) -> Sequence[BorderCrossingLike]: ...


class RegionLike(Protocol):
    @property
    def zones(self) -> ZoneIndexLike: ...

    @property
    def border(self) -> BorderLike | None: ...

    @property
    def terrain(self) -> TerrainLike | None: ...


def coverage_of(region: object) -> DataCoverage | None:
    """The region's declared coverage, or None when it declares none (then nothing counts as covered)."""
    coverage = getattr(region, "coverage", None)
    return coverage if isinstance(coverage, DataCoverage) else None


@dataclass(frozen=True)
class AdHocRegion:
    """A region assembled by the caller (tests, a user's own zone layer over a DEM). ``coverage`` says
    where its zones and border are complete; without it no point counts as covered."""

    zones: ZoneIndexLike
    border: BorderLike | None
    terrain: TerrainLike | None
    coverage: DataCoverage | None = None
