"""CRS transforms and metric helpers, checked against independent closed-form projections."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from geodata.crs import (
    Crs,
    LocalTangentPlane,
    area_m2,
    azimuth_deg,
    buffer_m,
    destination,
    distance_m,
    path_length_m,
    transform,
    utm_epsg_for,
)

A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)


def meridian_arc_m(lat_deg: float) -> float:
    """Length of the WGS84 meridian from the equator, by numerical integration (independent of PROJ)."""
    phi = np.linspace(0.0, math.radians(lat_deg), 200_001)
    integrand = A * (1 - E2) / (1 - E2 * np.sin(phi) ** 2) ** 1.5
    return float(np.trapezoid(integrand, phi))


def test_transverse_mercator_on_the_central_meridian() -> None:
    # On a TM central meridian: easting = false easting, northing = k0 * meridian arc + false northing.
    e, n = transform([15.0], [50.0], Crs.WGS84, Crs.UTM33N)
    assert e[0] == pytest.approx(500_000.0, abs=1e-6)
    assert n[0] == pytest.approx(0.9996 * meridian_arc_m(50.0), abs=0.01)
    e, n = transform(19.0, 50.0, Crs.WGS84, Crs.PUWG1992)  # PUWG 1992: CM 19 E, k0 0.9993, FN -5 300 000
    assert float(e) == pytest.approx(500_000.0, abs=1e-6)
    assert float(n) == pytest.approx(0.9993 * meridian_arc_m(50.0) - 5_300_000.0, abs=0.01)


def test_krovak_east_north_region_and_round_trip() -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(16.8, 17.8, 1000)
    lat = rng.uniform(50.0, 50.7, 1000)
    x, y = transform(lon, lat, Crs.WGS84, Crs.SJTSK_KROVAK_EN)
    # East-North Krovak: both negative in Czechia, x -500..-575 km, y -995..-1080 km here.
    assert (x < -480_000).all() and (x > -620_000).all()
    assert (y < -990_000).all() and (y > -1_090_000).all()
    back_lon, back_lat = transform(x, y, Crs.SJTSK_KROVAK_EN, Crs.WGS84)
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)
    # Krovak is conformal with scale 0.9999 on its standard parallel: grid distance ~ geodesic distance.
    grid = np.hypot(np.diff(x), np.diff(y))
    geodesic = distance_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    np.testing.assert_allclose(grid / geodesic, 1.0, atol=3e-4)


def test_every_pair_round_trips_vectorised() -> None:
    lon = np.array([[16.9, 17.2], [17.5, 17.7]])
    lat = np.array([[50.1, 50.3], [50.5, 50.65]])
    for src in Crs:
        x, y = transform(lon, lat, Crs.WGS84, src)
        assert x.shape == (2, 2)
        for dst in Crs:
            tx, ty = transform(x, y, src, dst)
            rx, ry = transform(tx, ty, dst, Crs.WGS84)
            np.testing.assert_allclose(rx, lon, atol=1e-8)
            np.testing.assert_allclose(ry, lat, atol=1e-8)


def test_geodesic_helpers() -> None:
    # One degree of latitude at 50 N is the meridian arc difference.
    assert float(distance_m(17.0, 49.5, 17.0, 50.5)) == pytest.approx(
        meridian_arc_m(50.5) - meridian_arc_m(49.5), abs=0.01
    )
    assert float(azimuth_deg(17.0, 50.0, 17.0, 50.1)) == pytest.approx(0.0, abs=1e-9)
    assert float(azimuth_deg(17.0, 50.0, 16.9, 50.0)) == pytest.approx(270.0, abs=0.1)
    lon2, lat2 = destination(17.0, 50.0, 90.0, 1000.0)
    assert float(distance_m(17.0, 50.0, lon2, lat2)) == pytest.approx(1000.0, abs=1e-6)
    assert path_length_m([17.0, 17.0, 17.0], [49.5, 50.0, 50.5]) == pytest.approx(
        float(distance_m(17.0, 49.5, 17.0, 50.5)), abs=1e-6
    )
    assert path_length_m([17.0], [50.0]) == 0.0
    assert utm_epsg_for(17.3, 50.4) == int(Crs.UTM33N)
    assert utm_epsg_for(-3.0, -10.0) == 32730


def test_buffer_is_metric() -> None:
    centre = Point(17.3, 50.4)
    circle = buffer_m(centre, 1000.0, quad_segs=64)
    ring = np.asarray(circle.exterior.coords)
    radii = distance_m(17.3, 50.4, ring[:, 0], ring[:, 1])
    # UTM 33N scale at 17.3 E is 0.99993: within 0.1 m on 1 km.
    np.testing.assert_allclose(radii, 1000.0, atol=0.15)
    assert area_m2(circle) == pytest.approx(math.pi * 1e6, rel=2e-3)
    corridor = buffer_m(LineString([(17.2, 50.3), (17.4, 50.3)]), 50.0)
    assert float(distance_m(17.3, 50.3, 17.3, corridor.bounds[3])) == pytest.approx(50.0, abs=0.1)


def test_local_tangent_plane() -> None:
    plane = LocalTangentPlane(17.3, 50.4, 300.0)
    e, n, u = plane.to_enu(17.3, 50.4, 300.0)
    assert abs(float(e)) < 1e-6 and abs(float(n)) < 1e-6 and abs(float(u)) < 1e-6
    lon2, lat2 = destination(17.3, 50.4, 90.0, 10_000.0)
    e, n, u = plane.to_enu(lon2, lat2, 300.0)
    # 10 km east at the same height: the ground curves 10000^2 / (2 R) ~ 7.85 m below the plane.
    assert float(e) == pytest.approx(10_000.0, abs=0.5)
    assert float(u) == pytest.approx(-(10_000.0**2) / (2 * 6_381_000.0), abs=0.05)
    rng = np.random.default_rng(5)
    east, north, up = rng.uniform(-5000, 5000, (3, 200))
    lon, lat, h = plane.from_enu(east, north, up)
    e2, n2, u2 = plane.to_enu(lon, lat, h)
    np.testing.assert_allclose(np.stack([e2, n2, u2]), np.stack([east, north, up]), atol=1e-6)
