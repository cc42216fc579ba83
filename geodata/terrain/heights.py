"""AGL <-> AMSL over a terrain model; outside coverage these raise instead of assuming 0 m ground."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.terrain.model import Terrain, as_lonlat_arrays


def agl_to_amsl(
    terrain: Terrain, lon: ArrayLike, lat: ArrayLike, alt_agl_m: ArrayLike
) -> NDArray[np.float64]:
    """Height above the terrain model to height above mean sea level; OutsideCoverageError if unknown."""
    lons, lats = as_lonlat_arrays(lon, lat)
    return terrain.elevation_amsl_m(lons, lats) + np.asarray(alt_agl_m, dtype=np.float64)


def amsl_to_agl(
    terrain: Terrain, lon: ArrayLike, lat: ArrayLike, alt_amsl_m: ArrayLike
) -> NDArray[np.float64]:
    """Height above mean sea level to height above the terrain model; OutsideCoverageError if unknown."""
    lons, lats = as_lonlat_arrays(lon, lat)
    return np.asarray(alt_amsl_m, dtype=np.float64) - terrain.elevation_amsl_m(lons, lats)
