"""Coordinate reference systems of the region and metric maths done in them.

Everything else in borderwatch works in WGS84 lon/lat; metres (buffers, distances, camera rays) are
computed here, in a projected CRS or on the ellipsoid, never by scaling degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

FloatArray = NDArray[np.float64]


class Crs(IntEnum):
    """The CRSs the CZ and PL authorities publish in, by EPSG code."""

    WGS84 = 4326
    SJTSK_KROVAK_EN = 5514  # Czech cadastre / ČÚZK, Krovak East North
    PUWG1992 = 2180  # Polish national grid / GUGiK
    UTM33N = 32633  # the metric CRS used for buffers and distances in the region


@lru_cache(maxsize=64)
def _transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    # always_xy: lon/lat (easting/northing) order whatever the EPSG axis order says.
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


def transform(x: ArrayLike, y: ArrayLike, src: Crs | int, dst: Crs | int) -> tuple[FloatArray, FloatArray]:
    """Transforms coordinate arrays (lon/lat or easting/northing order) from ``src`` to ``dst``."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if int(src) == int(dst):
        return xs.copy(), ys.copy()
    tx, ty = _transformer(int(src), int(dst)).transform(xs, ys)
    return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)


def utm_epsg_for(lon: float, lat: float) -> int:
    """The UTM zone EPSG code for a point; UTM 33N (32633) across the whole CZ-PL region."""
    zone = min(max(math.floor((lon + 180.0) / 6.0) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def transform_geometry(geom: BaseGeometry, src: Crs | int, dst: Crs | int) -> BaseGeometry:
    """Transforms every vertex of a shapely geometry (vectorised over all coordinates at once)."""

    def _apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        tx, ty = transform(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([tx, ty])

    return shapely.transform(geom, _apply)


def _metric_epsg(geom_lonlat: BaseGeometry) -> int:
    if geom_lonlat.is_empty:
        return int(Crs.UTM33N)
    centre = geom_lonlat.centroid
    return utm_epsg_for(float(centre.x), float(centre.y))


def buffer_m(geom_lonlat: BaseGeometry, metres: float, *, quad_segs: int = 16) -> BaseGeometry:
    """Buffers a lon/lat geometry by ``metres`` in the UTM zone of its centroid (33N in the region)."""
    epsg = _metric_epsg(geom_lonlat)
    projected = transform_geometry(geom_lonlat, Crs.WGS84, epsg)
    return transform_geometry(projected.buffer(metres, quad_segs=quad_segs), epsg, Crs.WGS84)


def area_m2(geom_lonlat: BaseGeometry) -> float:
    """Geodesic area of a lon/lat polygon on the WGS84 ellipsoid (absolute value)."""
    area, _perimeter = _GEOD.geometry_area_perimeter(geom_lonlat)
    return abs(float(area))


_GEOD = Geod(ellps="WGS84")


def _broadcast_float64(*values: ArrayLike) -> tuple[FloatArray, ...]:
    """pyproj's Geod and the ECEF maths want same-shaped float arrays; callers mix scalars, lists, arrays."""
    arrays = np.broadcast_arrays(*(np.asarray(value, dtype=np.float64) for value in values))
    return tuple(np.asarray(array, dtype=np.float64) for array in arrays)


def distance_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Geodesic (ellipsoidal) distance between point pairs, vectorised and broadcast."""
    a, b, c, d = _broadcast_float64(lon1, lat1, lon2, lat2)
    _az12, _az21, dist = _GEOD.inv(a, b, c, d)
    return np.asarray(dist, dtype=np.float64)


def azimuth_deg(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Forward geodesic azimuth (degrees clockwise from north, in [0, 360)) from point 1 to point 2."""
    a, b, c, d = _broadcast_float64(lon1, lat1, lon2, lat2)
    az12, _az21, _dist = _GEOD.inv(a, b, c, d)
    return np.mod(np.asarray(az12, dtype=np.float64), 360.0)


def destination(
    lon: ArrayLike, lat: ArrayLike, azimuth: ArrayLike, distance: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Point reached going ``distance`` metres along the geodesic at ``azimuth`` degrees from north."""
    a, b, c, d = _broadcast_float64(lon, lat, azimuth, distance)
    lon2, lat2, _back = _GEOD.fwd(a, b, c, d)
    return np.asarray(lon2, dtype=np.float64), np.asarray(lat2, dtype=np.float64)


def path_length_m(lon: ArrayLike, lat: ArrayLike) -> float:
    """Geodesic length of a polyline given as vertex arrays."""
    lons = np.asarray(lon, dtype=np.float64)
    lats = np.asarray(lat, dtype=np.float64)
    if lons.size < 2:
        return 0.0
    return float(distance_m(lons[:-1], lats[:-1], lons[1:], lats[1:]).sum())


# WGS84 ellipsoid constants for the ECEF maths of the tangent plane.
_A = 6378137.0
_F = 1.0 / 298.257223563
_E2 = _F * (2.0 - _F)
_B = _A * (1.0 - _F)
_EP2 = (_A * _A - _B * _B) / (_B * _B)


def _prime_vertical_radius(lat_rad: FloatArray) -> FloatArray:
    """Radius of curvature in the prime vertical (N), shared by both directions of the ECEF maths."""
    sin_lat = np.sin(lat_rad)
    return np.asarray(_A / np.sqrt(1.0 - _E2 * sin_lat * sin_lat), dtype=np.float64)


def _geodetic_to_ecef(
    lon_deg: FloatArray, lat_deg: FloatArray, h_m: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    lon = np.radians(lon_deg)
    lat = np.radians(lat_deg)
    sin_lat = np.sin(lat)
    n = _prime_vertical_radius(lat)
    x = (n + h_m) * np.cos(lat) * np.cos(lon)
    y = (n + h_m) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - _E2) + h_m) * sin_lat
    return x, y, z


def _ecef_to_geodetic(
    x: FloatArray, y: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    # Bowring's closed form plus one refinement: sub-millimetre for heights within +-10 km of the ellipsoid.
    p = np.hypot(x, y)
    theta = np.arctan2(z * _A, p * _B)
    lat = np.arctan2(z + _EP2 * _B * np.sin(theta) ** 3, p - _E2 * _A * np.cos(theta) ** 3)
    for _ in range(2):
        n = _prime_vertical_radius(lat)
        h = p / np.maximum(np.cos(lat), 1e-12) - n
        lat = np.arctan2(z, p * (1.0 - _E2 * n / (n + h)))
    n = _prime_vertical_radius(lat)
    h = p / np.maximum(np.cos(lat), 1e-12) - n
    lon = np.arctan2(y, x)
    return np.degrees(lon), np.degrees(lat), h


@dataclass(frozen=True)
class LocalTangentPlane:
    """East-North-Up metres around an origin, exact through ECEF on the WGS84 ellipsoid.

    Heights are treated as heights above the ellipsoid. Callers pass AMSL heights in and get AMSL heights
    back: the geoid undulation is almost constant over the few tens of kilometres a mission or a camera
    spans (its slope here is ~1e-5), so the shift cancels and Up stays honest. Earth curvature is kept,
    which matters for camera rays several kilometres long (~0.8 m drop at 3.5 km).
    """

    lon0: float
    lat0: float
    alt0_m: float = 0.0
    _origin: tuple[float, float, float] = field(init=False, repr=False, compare=False)
    _rot: NDArray[np.float64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        x0, y0, z0 = _geodetic_to_ecef(
            np.array([self.lon0]), np.array([self.lat0]), np.array([self.alt0_m], dtype=np.float64)
        )
        object.__setattr__(self, "_origin", (float(x0[0]), float(y0[0]), float(z0[0])))
        lon = math.radians(self.lon0)
        lat = math.radians(self.lat0)
        # Rows: unit vectors of East, North, Up expressed in ECEF.
        rot = np.array(
            [
                [-math.sin(lon), math.cos(lon), 0.0],
                [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)],
                [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)],
            ]
        )
        object.__setattr__(self, "_rot", rot)

    def to_enu(
        self, lon: ArrayLike, lat: ArrayLike, alt_m: ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """lon/lat/height to East, North, Up metres from the origin."""
        lons, lats, alts = _broadcast_float64(lon, lat, alt_m)
        x, y, z = _geodetic_to_ecef(lons, lats, alts)
        dx = x - self._origin[0]
        dy = y - self._origin[1]
        dz = z - self._origin[2]
        r = self._rot
        east = r[0, 0] * dx + r[0, 1] * dy + r[0, 2] * dz
        north = r[1, 0] * dx + r[1, 1] * dy + r[1, 2] * dz
        up = r[2, 0] * dx + r[2, 1] * dy + r[2, 2] * dz
        return east, north, up

    def from_enu(
        self, east: ArrayLike, north: ArrayLike, up: ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """East, North, Up metres from the origin back to lon/lat/height."""
        e, n, u = _broadcast_float64(east, north, up)
        r = self._rot
        x = self._origin[0] + r[0, 0] * e + r[1, 0] * n + r[2, 0] * u
        y = self._origin[1] + r[0, 1] * e + r[1, 1] * n + r[2, 1] * u
        z = self._origin[2] + r[0, 2] * e + r[1, 2] * n + r[2, 2] * u
        lon, lat, h = _ecef_to_geodetic(x, y, z)
        return lon, lat, h
