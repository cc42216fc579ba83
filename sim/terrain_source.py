"""Terrain as the simulator needs it: AMSL elevation under a point, fast enough for every vehicle tick.

The simulated world and the ground station read the same DEM (design contract 2) through
``geodata.terrain``/the region's DEM search; with no DEM the world is flat ground at the vehicles' home
elevations (declared unknown), and the runner says so loudly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

from geodata.terrain import FlatTerrain, Terrain, TerrainSample
from geodata.terrain.model import as_lonlat_arrays


class TerrainLike(Protocol):
    """The part of ``geodata.terrain.Terrain`` the simulator uses."""

    def sample(self, lon: Any, lat: Any) -> Any: ...


class HomesTerrain(Terrain):
    """No DEM, several homes at different elevations: flat at each home, blended smoothly between them
    (inverse-distance weighting), so no vehicle takes off from inside a hill. Accuracy is unknown."""

    def __init__(self, homes: Sequence[tuple[float, float, float]]) -> None:
        if not homes:
            raise ValueError("at least one home is needed")
        data = np.asarray(homes, dtype=np.float64)
        self._lon = data[:, 0]
        self._lat = data[:, 1]
        self._elev = data[:, 2]
        self._cos_lat = math.cos(math.radians(float(np.mean(self._lat))))
        listing = ", ".join(f"{e:g} m" for e in self._elev)
        self.name = f"flat ground at the vehicle homes ({listing} AMSL; no DEM)"
        self.vertical_accuracy_m = math.nan

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        lons, lats = as_lonlat_arrays(lon, lat)
        dx = (lons[..., None] - self._lon) * self._cos_lat
        dy = lats[..., None] - self._lat
        d2 = dx * dx + dy * dy
        weights = 1.0 / np.maximum(d2, 1e-14) ** 2  # very flat near each home
        elevation = (weights * self._elev).sum(axis=-1) / weights.sum(axis=-1)
        valid = np.isfinite(lons) & np.isfinite(lats)
        return TerrainSample(np.where(valid, elevation, np.nan), np.full(lons.shape, np.nan))


def flat_terrain_for_homes(homes: Sequence[tuple[float, float, float]]) -> Terrain:
    elevations = {round(h[2], 1) for h in homes}
    if len(elevations) <= 1:
        return FlatTerrain(homes[0][2] if homes else 0.0)
    return HomesTerrain(homes)


class FlatGround(FlatTerrain):
    """Flat ground at one elevation (tests and single-vehicle runs without a DEM)."""


def elevation_at(terrain: TerrainLike, lon: float, lat: float, fallback_m: float) -> float:
    """AMSL ground elevation, or ``fallback_m`` where the terrain has no answer (outside coverage)."""
    try:
        sample = terrain.sample(lon, lat)
        value = float(np.asarray(sample.elevation_amsl_m, dtype=np.float64).ravel()[0])
    except Exception:  # a terrain source failing at one point must not stop a vehicle
        return fallback_m
    return value if math.isfinite(value) else fallback_m


class TerrainCache:
    """Samples the terrain again only after the vehicle moved a few metres, keeping DEM reads rare."""

    def __init__(self, terrain: TerrainLike, fallback_m: float, resample_m: float = 3.0) -> None:
        self._terrain = terrain
        self._fallback_m = fallback_m
        self._resample_m2 = resample_m * resample_m
        self._last_en: tuple[float, float] | None = None
        self._last_m = fallback_m

    def elevation(
        self, east_m: float, north_m: float, to_lonlat: Callable[[float, float], tuple[float, float]]
    ) -> float:
        last = self._last_en
        if last is not None:
            de = east_m - last[0]
            dn = north_m - last[1]
            if de * de + dn * dn < self._resample_m2:
                return self._last_m
        lon, lat = to_lonlat(east_m, north_m)
        self._last_m = elevation_at(self._terrain, lon, lat, self._fallback_m)
        self._last_en = (east_m, north_m)
        return self._last_m
