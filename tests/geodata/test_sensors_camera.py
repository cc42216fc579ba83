"""Camera model: rays cast on analytic terrains (plane, slope, cliff, wall) against closed-form answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from geodata.crs import Crs, LocalTangentPlane, area_m2, transform
from geodata.errors import InputError, OutsideCoverageError
from geodata.sensors import (
    CameraIntrinsics,
    CameraPose,
    FixedCamera,
    cast_rays,
    footprint,
    footprints_geojson,
    ground_footprint,
    ground_to_pixel,
    line_of_sight,
    load_cameras_geojson,
    pixel_to_ground,
    pixels_to_ground,
)
from geodata.terrain import DemTerrain, FlatTerrain, write_dem_geotiff

CENTRE_X, CENTRE_Y = 650_000.0, 5_580_000.0  # UTM 33N, near Jesenik
PIXEL_M = 2.0
HALF_SIZE_M = 1000.0
BASE_M = 300.0


def write_utm_dem(tmp_path: Path, name: str, height_of_north_m) -> DemTerrain:  # type: ignore[no-untyped-def]
    """A DEM in UTM 33N whose elevation depends only on metres north of the camera."""
    n = int(2 * HALF_SIZE_M / PIXEL_M)
    north = HALF_SIZE_M - (np.arange(n) + 0.5) * PIXEL_M  # row centres, metres north of CENTRE_Y
    row_heights = np.asarray(height_of_north_m(north), dtype=np.float32)
    values = np.repeat(row_heights[:, np.newaxis], n, axis=1)
    affine = (PIXEL_M, 0.0, CENTRE_X - HALF_SIZE_M, 0.0, -PIXEL_M, CENTRE_Y + HALF_SIZE_M)
    path = write_dem_geotiff(tmp_path / name, values, affine, crs=int(Crs.UTM33N), vertical_accuracy_m=0.5)
    return DemTerrain.open(path)


def camera_lonlat() -> tuple[float, float]:
    lon, lat = transform(CENTRE_X, CENTRE_Y, Crs.UTM33N, Crs.WGS84)
    return float(lon), float(lat)


def grid_north_deg() -> float:
    """Grid north differs from true north by the UTM meridian convergence; aim along grid north."""
    lon, lat = camera_lonlat()
    lon2, lat2 = transform(CENTRE_X, CENTRE_Y + 100.0, Crs.UTM33N, Crs.WGS84)
    plane = LocalTangentPlane(lon, lat)
    e, n, _u = plane.to_enu(lon2, lat2, 0.0)
    return math.degrees(math.atan2(float(e), float(n)))


def pole(
    tilt_deg: float, *, height_m: float = 20.0, max_range_m: float = 500.0, heading: float = 0.0
) -> FixedCamera:
    lon, lat = camera_lonlat()
    return FixedCamera(
        id="cam-1",
        name="test pole",
        organisation="Jesenik",
        lon=lon,
        lat=lat,
        mount_height_agl_m=height_m,
        heading_deg=heading,
        tilt_deg=tilt_deg,
        hfov_deg=60.0,
        vfov_deg=40.0,
        max_range_m=max_range_m,
        width_px=1280,
        height_px=720,
    )


def enu_of(camera: FixedCamera, lon: float, lat: float, alt: float) -> tuple[float, float, float]:
    plane = LocalTangentPlane(camera.lon, camera.lat, 0.0)
    e, n, u = plane.to_enu(lon, lat, alt)
    return float(e), float(n), float(u)


def flat_ground_hit(tilt_deg: float, height_m: float, a: float, b: float) -> tuple[float, float]:
    """Closed form: body ray (1, a, b) pitched down by tilt, from height H, meets flat ground at (E, N)."""
    t = math.radians(tilt_deg)
    north, east, down = math.cos(t) - b * math.sin(t), a, math.sin(t) + b * math.cos(t)
    return east * height_m / down, north * height_m / down


def test_flat_ground_matches_closed_form(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    camera = pole(30.0, heading=grid_north_deg())
    intr = camera.intrinsics
    for u, v in [(640, 360), (640, 720), (0, 720), (1280, 0), (300, 500)]:
        hit = pixel_to_ground(camera, terrain, u, v)
        assert hit is not None
        a, b = (u - intr.cx) / intr.fx, (v - intr.cy) / intr.fy
        east, north = flat_ground_hit(30.0, 20.0, a, b)
        # Rotate the closed form (computed along grid north) by the convergence into true ENU.
        c = math.radians(grid_north_deg())
        want_e, want_n = east * math.cos(c) + north * math.sin(c), -east * math.sin(c) + north * math.cos(c)
        got_e, got_n, _got_u = enu_of(camera, *hit)
        assert (got_e, got_n) == pytest.approx((want_e, want_n), abs=0.02)
        assert hit[2] == pytest.approx(BASE_M, abs=0.01)
    centre = pixel_to_ground(camera, terrain, 640, 360)
    assert centre is not None
    assert math.hypot(*enu_of(camera, *centre)[:2]) == pytest.approx(
        20.0 / math.tan(math.radians(30)), abs=0.02
    )


def test_footprint_on_flat_ground_is_the_trapezoid(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    camera = pole(30.0)
    polygon = footprint(camera, terrain, rays_per_edge=8)
    assert polygon.is_valid and len(polygon.exterior.coords) == 4 * 8 + 1
    intr = camera.intrinsics
    corners = [
        flat_ground_hit(30.0, 20.0, (u - intr.cx) / intr.fx, (v - intr.cy) / intr.fy)
        for u, v in [(0, 720), (1280, 720), (1280, 0), (0, 0)]
    ]
    xs, ys = zip(*corners, strict=True)
    shoelace = 0.5 * abs(sum(xs[i] * ys[(i + 1) % 4] - xs[(i + 1) % 4] * ys[i] for i in range(4)))
    assert area_m2(polygon) == pytest.approx(shoelace, rel=2e-3)


def test_slope_rising_away_shortens_the_view(tmp_path: Path) -> None:
    grade = 0.15
    terrain = write_utm_dem(tmp_path, "slope.tif", lambda n: BASE_M + grade * n)
    camera = pole(25.0, heading=grid_north_deg())
    hit = pixel_to_ground(camera, terrain, 640, 360)
    assert hit is not None
    t = math.radians(25.0)
    slant = 20.0 / (math.sin(t) + grade * math.cos(t))  # ray meets z = grade * north
    _e, north, _u = enu_of(camera, *hit)
    assert math.hypot(_e, north) == pytest.approx(slant * math.cos(t), abs=0.05)
    assert hit[2] == pytest.approx(BASE_M + 20.0 - slant * math.sin(t), abs=0.05)


def test_cliff_stops_the_rays(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "cliff.tif", lambda n: np.where(n < 50.0, BASE_M, BASE_M + 30.0))
    camera = pole(10.0, heading=grid_north_deg())
    hit = pixel_to_ground(camera, terrain, 640, 360)
    assert hit is not None
    _e, north, _u = enu_of(camera, *hit)
    # Flat ground would be 113 m away; the 30 m wall 50 m north is hit at ~311 m AMSL.
    assert math.hypot(_e, north) == pytest.approx(50.0, abs=1.5)
    assert hit[2] == pytest.approx(BASE_M + 20.0 - 50.0 * math.tan(math.radians(10.0)), abs=0.6)
    flat = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    assert area_m2(footprint(camera, terrain)) < 0.5 * area_m2(footprint(camera, flat))


def test_rays_into_the_sky_end_at_max_range(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    camera = pole(0.0, max_range_m=400.0)
    assert pixel_to_ground(camera, terrain, 640, 100) is None  # above the horizon
    polygon = footprint(camera, terrain)
    ring = np.asarray(polygon.exterior.coords)
    distances = [math.hypot(*enu_of(camera, lon, lat, 0.0)[:2]) for lon, lat in ring]
    assert max(distances) <= 400.0 + 0.01
    assert max(distances) >= 400.0 * math.cos(math.radians(20.0)) * 0.99


def test_pixel_ground_pixel_round_trip_on_a_ridge(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "ridge.tif", lambda n: BASE_M + 40.0 - 0.2 * np.abs(n - 200.0))
    camera = pole(8.0, height_m=15.0)
    rng = np.random.default_rng(2)
    u = rng.uniform(0, 1280, 40)
    v = rng.uniform(360, 720, 40)
    hits = pixels_to_ground(camera, terrain, u, v, step_m=0.5)
    assert hits.hit.sum() >= 30
    for i in np.flatnonzero(hits.hit):
        pixel = ground_to_pixel(camera, terrain, hits.lon[i], hits.lat[i], hits.alt_amsl_m[i])
        assert pixel is not None
        assert pixel == pytest.approx((u[i], v[i]), abs=0.05)
        assert float(terrain.elevation_amsl_m(hits.lon[i], hits.lat[i])) == pytest.approx(
            hits.alt_amsl_m[i], abs=0.02
        )


def test_occlusion_behind_a_wall(tmp_path: Path) -> None:
    terrain = write_utm_dem(
        tmp_path, "wall.tif", lambda n: np.where((n > 195.0) & (n < 205.0), BASE_M + 60.0, BASE_M)
    )
    camera = pole(5.0, height_m=10.0, heading=grid_north_deg())
    lon_behind, lat_behind = transform(CENTRE_X, CENTRE_Y + 400.0, Crs.UTM33N, Crs.WGS84)
    geometric = ground_to_pixel(camera, terrain, float(lon_behind), float(lat_behind))
    assert geometric is not None
    assert (
        ground_to_pixel(camera, terrain, float(lon_behind), float(lat_behind), check_occlusion=True) is None
    )
    lon_front, lat_front = transform(CENTRE_X, CENTRE_Y + 150.0, Crs.UTM33N, Crs.WGS84)
    assert (
        ground_to_pixel(camera, terrain, float(lon_front), float(lat_front), check_occlusion=True) is not None
    )
    pose = camera.pose(terrain)
    assert line_of_sight(
        pose, terrain, [float(lon_front), float(lon_behind)], [float(lat_front), float(lat_behind)], BASE_M
    ).tolist() == [True, False]
    # Behind the camera: no pixel.
    lon_back, lat_back = transform(CENTRE_X, CENTRE_Y - 100.0, Crs.UTM33N, Crs.WGS84)
    assert ground_to_pixel(camera, terrain, float(lon_back), float(lat_back)) is None


def test_drone_gimbal_pose_nadir_and_roll() -> None:
    ground = FlatTerrain(BASE_M)
    intr = CameraIntrinsics(1920, 1080, 70.0, 45.0)
    lon, lat = 17.25, 50.35
    nadir = CameraPose(lon, lat, BASE_M + 100.0, yaw_deg=90.0, pitch_deg=-90.0, roll_deg=0.0)
    hits = cast_rays(nadir, nadir.rays_enu(intr, [960, 960], [540, 0]), ground, 1000.0)
    plane = LocalTangentPlane(lon, lat, 0.0)
    e, n, _u = plane.to_enu(hits.lon, hits.lat, hits.alt_amsl_m)
    assert (e[0], n[0]) == pytest.approx((0.0, 0.0), abs=0.02)
    # Yaw 90 (east): the top of a nadir image shows the ground ahead, to the east.
    assert (e[1], n[1]) == pytest.approx((100.0 * math.tan(math.radians(22.5)), 0.0), abs=0.05)
    # Roll 90 right-side-down on a level camera: the right image edge looks down by hfov / 2.
    rolled = CameraPose(lon, lat, BASE_M + 100.0, yaw_deg=0.0, pitch_deg=0.0, roll_deg=90.0)
    side = cast_rays(rolled, rolled.rays_enu(intr, [1920], [540]), ground, 2000.0)
    e2, n2, _u2 = plane.to_enu(side.lon, side.lat, side.alt_amsl_m)
    assert float(n2[0]) == pytest.approx(100.0 / math.tan(math.radians(35.0)), abs=0.1)
    assert float(e2[0]) == pytest.approx(0.0, abs=0.05)
    u, v, inside = nadir.project(intr, hits.lon, hits.lat, hits.alt_amsl_m)
    assert inside.all() and (u[1], v[1]) == pytest.approx((960.0, 0.0), abs=0.01)
    polygon = ground_footprint(nadir, intr, ground, 1000.0)
    width = 2 * 100 * math.tan(math.radians(35.0))
    height = 2 * 100 * math.tan(math.radians(22.5))
    assert area_m2(polygon) == pytest.approx(width * height, rel=2e-3)


def test_camera_outside_terrain_and_invalid_cameras(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    far = FixedCamera("far", "far", "x", 16.0, 50.0, 10.0, 0.0, 10.0, 60.0, 40.0, 500.0, 640, 480)
    with pytest.raises(OutsideCoverageError):
        footprint(far, terrain)
    with pytest.raises(InputError, match="hfov_deg"):
        FixedCamera("bad", "bad", "x", 17.0, 50.0, 10.0, 0.0, 10.0, 0.0, 40.0, 500.0, 640, 480)
    with pytest.raises(InputError, match="tilt_deg"):
        FixedCamera("bad", "bad", "x", 17.0, 50.0, 10.0, 0.0, 120.0, 60.0, 40.0, 500.0, 640, 480)
    with pytest.raises(InputError, match="lon/lat"):
        FixedCamera("bad", "bad", "x", 50.0, 170.0, 10.0, 0.0, 10.0, 60.0, 40.0, 500.0, 640, 480)
    with pytest.raises(InputError, match="max_range_m"):
        FixedCamera("bad", "bad", "x", 17.0, 50.0, 10.0, 0.0, 10.0, 60.0, 40.0, float("nan"), 640, 480)


def _camera_feature(**overrides: object) -> dict[str, object]:
    props: dict[str, object] = {
        "id": "nysa-rynek",
        "name": "Nysa, Rynek",
        "organisation": "Gmina Nysa",
        "mount_height_agl_m": 12,
        "heading_deg": 180,
        "tilt_deg": 15,
        "hfov_deg": 62.5,
        "vfov_deg": 36,
        "max_range_m": 300,
        "width_px": 1920,
        "height_px": 1080,
        "stream_url": "rtsp://127.0.0.1:8554/nysa",
    }
    props.update(overrides)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [17.333, 50.473]},
        "properties": props,
    }


def test_cameras_geojson(tmp_path: Path) -> None:
    path = tmp_path / "cameras.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_camera_feature(), _camera_feature(id="b", stream_url=None)],
            }
        )
    )
    cameras = load_cameras_geojson(path)
    assert [c.id for c in cameras] == ["nysa-rynek", "b"]
    assert cameras[0].hfov_deg == 62.5 and cameras[0].lon == 17.333 and cameras[1].stream_url is None
    bad = {
        "type": "FeatureCollection",
        "features": [
            _camera_feature(width_px="wide"),
            _camera_feature(hfov_deg=200),
            _camera_feature(),
            _camera_feature(),
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}, "properties": {}},
        ],
    }
    with pytest.raises(InputError) as caught:
        load_cameras_geojson(bad)
    locations = [p.location for p in caught.value.problems]
    assert locations == [
        "$.features[0].properties.width_px",
        "$.features[1].properties.hfov_deg",
        "$.features[3].properties.id",
        "$.features[4].geometry",
    ]
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match="line 1 column"):
        load_cameras_geojson(broken)


def test_footprints_as_geojson(tmp_path: Path) -> None:
    terrain = write_utm_dem(tmp_path, "flat.tif", lambda n: np.full_like(n, BASE_M))
    far = FixedCamera("far", "far", "x", 16.0, 50.0, 10.0, 0.0, 10.0, 60.0, 40.0, 500.0, 640, 480)
    collection = footprints_geojson([pole(30.0), far], terrain)
    first, second = collection["features"]
    assert first["geometry"]["type"] == "Polygon" and first["properties"]["terrain"] == "precise"
    assert first["properties"]["id"] == "cam-1"
    assert second["geometry"] is None and second["properties"]["terrain"] == "unknown"
    assert json.loads(json.dumps(collection)) == collection
