"""Small, fast local-frame maths around a vehicle's home.

The vehicle loop converts positions hundreds of times a second for every vehicle, so it uses the
local-tangent-plane approximation with the WGS84 radii of curvature at home: below 1 cm of error within
10 km, which is the scale of a flight. Anything geodetic beyond that belongs to ``geodata.crs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3


@dataclass(frozen=True)
class GeoPoint:
    lon: float
    lat: float
    alt_amsl_m: float


@dataclass(frozen=True)
class LocalFrame:
    """East/North metres around an origin (lon, lat); Up stays AMSL metres so frames never mix."""

    lon0: float
    lat0: float

    def to_en(self, lon: float, lat: float) -> tuple[float, float]:
        m_north, m_east = _metres_per_radian(self.lat0)
        return (
            math.radians(lon - self.lon0) * m_east,
            math.radians(lat - self.lat0) * m_north,
        )

    def to_lonlat(self, east_m: float, north_m: float) -> tuple[float, float]:
        m_north, m_east = _metres_per_radian(self.lat0)
        return (
            self.lon0 + math.degrees(east_m / m_east),
            self.lat0 + math.degrees(north_m / m_north),
        )


_RADII_CACHE: dict[float, tuple[float, float]] = {}


def _metres_per_radian(lat0: float) -> tuple[float, float]:
    cached = _RADII_CACHE.get(lat0)
    if cached is None:
        lat = math.radians(lat0)
        s = math.sin(lat)
        w = math.sqrt(1.0 - _WGS84_E2 * s * s)
        cached = (_WGS84_A * (1.0 - _WGS84_E2) / (w * w * w), _WGS84_A / w * math.cos(lat))
        if len(_RADII_CACHE) > 4096:
            _RADII_CACHE.clear()
        _RADII_CACHE[lat0] = cached
    return cached


def wrap_pi(angle_rad: float) -> float:
    return (angle_rad + math.pi) % (2.0 * math.pi) - math.pi


def point_in_polygon(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    """Even-odd rule; polygons here have a handful of vertices, so no index is worth building."""
    inside = False
    n = len(polygon)
    j = n - 1
    for i in range(n):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside
