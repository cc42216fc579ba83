"""Small, fast local-frame maths around a vehicle's home.

The vehicle loop converts positions hundreds of times a second for every vehicle, so it uses a local
east/north approximation with the WGS84 radii of curvature instead of ECEF rotations; over the ~10 km of
a flight it agrees with geodesics to a decimetre. Anything geodetic beyond that belongs to ``geodata.crs``.
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
    """East/North metres around an origin (lon, lat); Up stays AMSL metres so frames never mix.

    North uses the meridian radius at the origin, East the parallel's radius at the mid-latitude of the
    origin and the point, so both directions are exact inverses of each other and distances agree with
    WGS84 geodesics to about a decimetre at 10 km.
    """

    lon0: float
    lat0: float

    def to_en(self, lon: float, lat: float) -> tuple[float, float]:
        m_north, _ = _metres_per_radian(self.lat0)
        _, m_east = _metres_per_radian(0.5 * (self.lat0 + lat))
        return (
            math.radians(lon - self.lon0) * m_east,
            math.radians(lat - self.lat0) * m_north,
        )

    def to_lonlat(self, east_m: float, north_m: float) -> tuple[float, float]:
        m_north, _ = _metres_per_radian(self.lat0)
        lat = self.lat0 + math.degrees(north_m / m_north)
        _, m_east = _metres_per_radian(0.5 * (self.lat0 + lat))
        return self.lon0 + math.degrees(east_m / m_east), lat


def _metres_per_radian(lat_deg: float) -> tuple[float, float]:
    """(meridian, parallel) metres per radian of latitude/longitude at ``lat_deg`` on WGS84."""
    lat = math.radians(lat_deg)
    s = math.sin(lat)
    w = math.sqrt(1.0 - _WGS84_E2 * s * s)
    return _WGS84_A * (1.0 - _WGS84_E2) / (w * w * w), _WGS84_A / w * math.cos(lat)


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
