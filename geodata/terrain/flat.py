"""Flat ground at one elevation: the demo's world when no DEM is configured (design contract 2)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from geodata.terrain.model import Terrain, TerrainSample, as_lonlat_arrays


class FlatTerrain(Terrain):
    """Answers everywhere with one elevation, and says the terrain is unknown.

    The simulator flies over it; AGL rules still report "terrain unknown" because nobody measured it.
    """

    def __init__(self, elevation_amsl_m: float, *, name: str | None = None) -> None:
        if not math.isfinite(elevation_amsl_m):
            raise ValueError(f"flat terrain elevation must be finite, got {elevation_amsl_m!r}")
        self.elevation = float(elevation_amsl_m)
        self.name = name or f"flat ground at {self.elevation:g} m AMSL (no DEM)"
        self.vertical_accuracy_m = math.nan

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        lons, lats = as_lonlat_arrays(lon, lat)
        valid = np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90.0)
        elevation = np.where(valid, self.elevation, np.nan)
        return TerrainSample(elevation, np.full(lons.shape, np.nan))

    def covers(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray[tuple[int, ...], np.dtype[np.bool_]]:
        lons, lats = as_lonlat_arrays(lon, lat)
        return np.asarray(np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90.0), dtype=np.bool_)
