"""Small-area flat-earth geometry for the look-ahead and mission corridor (metres around a point).

Errors stay below 0.1 % over the few kilometres a look-ahead spans, far inside GPS and zone-data
accuracy, and it vectorises over all vehicles at once.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def offset_lonlat(
    lon: FloatArray, lat: FloatArray, north_m: FloatArray, east_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    lat_out = lat + np.degrees(north_m / EARTH_RADIUS_M)
    lon_out = lon + np.degrees(east_m / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return lon_out, lat_out


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    north, east = local_ne(lon1, lat1, lon2, lat2)
    return math.hypot(north, east)


def local_ne(lon0: float, lat0: float, lon: float, lat: float) -> tuple[float, float]:
    """(north, east) metres of (lon, lat) from (lon0, lat0)."""
    north = math.radians(lat - lat0) * EARTH_RADIUS_M
    east = math.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    return north, east


def distance_to_segment_m(lon: float, lat: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Shortest distance from the point to segment a-b (each (lon, lat))."""
    ax, ay = 0.0, 0.0
    bn, be = local_ne(a[0], a[1], b[0], b[1])
    pn, pe = local_ne(a[0], a[1], lon, lat)
    length_sq = bn * bn + be * be
    t = 0.0 if length_sq == 0 else max(0.0, min(1.0, (pn * bn + pe * be) / length_sq))
    return math.hypot(pn - (ax + t * bn), pe - (ay + t * be))
