"""Terrain as the simulator needs it: AMSL elevation under a point, fast enough for every vehicle tick.

The simulated world and the ground station read the same DEM (design contract 2) through
``geodata.terrain``; when that package or a DEM is missing the world flies over flat ground at the home
elevation and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TerrainPoint:
    elevation_amsl_m: float
    accuracy_m: float | None


class TerrainLike(Protocol):
    """The part of ``geodata.terrain.Terrain`` the simulator uses."""

    def sample(self, lon: float, lat: float) -> Any: ...


class FlatGround:
    """Flat ground at one elevation; the fallback when no DEM is configured."""

    def __init__(self, elevation_amsl_m: float) -> None:
        self.elevation_amsl_m = elevation_amsl_m

    def sample(self, lon: float, lat: float) -> TerrainPoint:
        return TerrainPoint(self.elevation_amsl_m, None)


def flat_terrain(elevation_amsl_m: float) -> TerrainLike:
    """geodata's FlatTerrain when available (so cameras get the real type), else the local fallback."""
    try:
        from geodata.terrain import FlatTerrain  # type: ignore[attr-defined]

        return FlatTerrain(elevation_amsl_m)  # type: ignore[no-any-return]
    except Exception:  # geodata.terrain is being written in parallel; any import problem means "not yet"
        return FlatGround(elevation_amsl_m)


def open_dem(path: Path) -> TerrainLike:
    """Opens a DEM through geodata; raises a clear error when that is not possible."""
    try:
        from geodata.terrain import DemTerrain  # type: ignore[attr-defined]
    except Exception as exc:
        raise RuntimeError(f"cannot open DEM {path}: geodata.terrain is not available ({exc})") from exc
    return DemTerrain.open(path)  # type: ignore[no-any-return]


def elevation_at(terrain: TerrainLike, lon: float, lat: float, fallback_m: float) -> float:
    """AMSL ground elevation, or ``fallback_m`` where the terrain has no answer (outside coverage)."""
    try:
        sample = terrain.sample(lon, lat)
    except Exception:
        return fallback_m
    value = getattr(sample, "elevation_amsl_m", None)
    if value is None:
        return fallback_m
    try:
        elevation = float(value)
    except (TypeError, ValueError):
        return fallback_m
    return elevation if elevation == elevation else fallback_m


class TerrainCache:
    """Samples the terrain again only after the vehicle moved a few metres, keeping DEM reads rare."""

    def __init__(self, terrain: TerrainLike, fallback_m: float, resample_m: float = 3.0) -> None:
        self._terrain = terrain
        self._fallback_m = fallback_m
        self._resample_m2 = resample_m * resample_m
        self._last_en: tuple[float, float] | None = None
        self._last_m = fallback_m

    def elevation(self, east_m: float, north_m: float, lon: float, lat: float) -> float:
        last = self._last_en
        if last is not None:
            de = east_m - last[0]
            dn = north_m - last[1]
            if de * de + dn * dn < self._resample_m2:
                return self._last_m
        self._last_m = elevation_at(self._terrain, lon, lat, self._fallback_m)
        self._last_en = (east_m, north_m)
        return self._last_m
