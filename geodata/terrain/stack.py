"""Several terrain sources layered best-first: a precise DEM where fetched, a coarse one elsewhere."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from geodata.terrain.dem import DemTerrain
from geodata.terrain.model import Terrain, TerrainSample, as_lonlat_arrays


class TerrainStack(Terrain):
    """The first source that knows a point answers it, with that source's accuracy."""

    def __init__(self, sources: Sequence[Terrain], *, name: str | None = None) -> None:
        if not sources:
            raise ValueError("a terrain stack needs at least one source")
        self.sources: tuple[Terrain, ...] = tuple(sources)
        self.name = name or " > ".join(s.name for s in self.sources)
        known = [s.vertical_accuracy_m for s in self.sources if not math.isnan(s.vertical_accuracy_m)]
        # The stack as a whole can promise no better than its worst source.
        self.vertical_accuracy_m = max(known) if known else math.nan
        resolutions = [s.resolution_m for s in self.sources if s.resolution_m is not None]
        self.resolution_m = min(resolutions) if resolutions else None

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        lons, lats = as_lonlat_arrays(lon, lat)
        elevation = np.full(lons.shape, np.nan)
        accuracy = np.full(lons.shape, np.nan)
        open_ = np.ones(lons.shape, dtype=bool)
        for source in self.sources:
            if not open_.any():
                break
            part = source.sample(lons[open_], lats[open_])
            answered = ~np.isnan(part.elevation_amsl_m)
            targets = np.flatnonzero(open_.ravel())[answered.ravel()]
            elevation.ravel()[targets] = part.elevation_amsl_m.ravel()[answered.ravel()]
            accuracy.ravel()[targets] = part.accuracy_m.ravel()[answered.ravel()]
            open_.ravel()[targets] = False
        return TerrainSample(elevation, accuracy)


def open_dem_files(
    paths: Sequence[str | Path], *, vertical_accuracy_m: float | None = None, name: str | None = None
) -> Terrain:
    """Several DEM files (e.g. fetched 1-degree tiles) as one terrain; listed order is priority order."""
    if not paths:
        raise ValueError("no DEM files given")
    sources = [DemTerrain.open(p, vertical_accuracy_m=vertical_accuracy_m) for p in paths]
    if len(sources) == 1 and name is None:
        return sources[0]
    return TerrainStack(sources, name=name)
