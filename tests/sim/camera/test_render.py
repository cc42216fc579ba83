"""The rendered picture: textured ground, terrain shading, and people/cars where the world has them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geodata.crs import LocalTangentPlane
from geodata.sensors import FixedCamera, ground_to_pixel
from geodata.terrain import FlatTerrain
from sim.camera.feed import drone_camera_pose
from sim.camera.geometry import PinholeCamera, ViewPose
from sim.camera.ground import DetailLevel, TileCache
from sim.camera.ground_plane import fit_ground_plane
from sim.camera.render import SKY_BGR, CameraRenderer
from sim.camera.spec import CameraKind, CameraSpec
from sim.camera.texture import TileWindow, render_ground_texture
from sim.scene import GroundObject, GroundObjectKind
from tests.sim.camera.conftest import GROUND_M, HOME_LAT, HOME_LON, RidgeTerrain, SlopeTerrain, hover_pose

W, H = 640, 360


def _offset(east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat, _ = LocalTangentPlane(HOME_LON, HOME_LAT, GROUND_M).from_enu(east_m, north_m, 0.0)
    return float(lon), float(lat)


def _nadir_view(alt_agl_m: float = 120.0) -> ViewPose:
    spec = CameraSpec(
        id="d", kind=CameraKind.DRONE, vehicle_slug="sim-1", hfov_deg=70, vfov_deg=43, width=W, height=H
    )
    return drone_camera_pose(hover_pose(alt_agl_m), spec)


def test_ground_texture_is_not_flat_over_flat_terrain(flat_terrain: FlatTerrain) -> None:
    image = CameraRenderer(flat_terrain, W, H).render(_nadir_view(), []).image
    # Flat terrain, no objects: everything seen is texture. A flat colour would have std ~0.
    assert image.reshape(-1, 3).std(axis=0).min() > 8.0
    distinct = np.unique((image // 16).reshape(-1, 3), axis=0)
    assert len(distinct) > 40
    # Local detail too, not just a few big patches: neighbouring pixels differ somewhere in every block.
    blocks = image[:352, :640, 1].reshape(11, 32, 20, 32).std(axis=(1, 3))
    assert (blocks > 1.0).mean() > 0.9


def test_same_place_looks_the_same_from_any_window() -> None:
    big = render_ground_texture(TileWindow(640_000.0, 5_580_000.0, 0.5, 400, 400), seed=3)
    small = render_ground_texture(TileWindow(640_050.0, 5_579_950.0, 0.5, 200, 200), seed=3)
    crop = big[100:300, 100:300]
    assert np.abs(crop - small).mean() < 1.5
    other_seed = render_ground_texture(TileWindow(640_050.0, 5_579_950.0, 0.5, 200, 200), seed=4)
    assert np.abs(other_seed - small).mean() > 10.0


def test_texture_has_roads_forest_fields_and_buildings() -> None:
    tex = render_ground_texture(TileWindow(640_000.0, 5_580_000.0, 2.0, 1024, 1024), seed=0)
    grey = (np.abs(tex[..., 0] - tex[..., 2]) < 12) & (tex[..., 1] > 70) & (tex[..., 1] < 120)
    dark_green = (tex[..., 1] > tex[..., 2] + 20) & (tex[..., 1] < 110)
    red_roofs = tex[..., 2] > tex[..., 1] + 50
    assert grey.mean() > 0.005, "no asphalt roads in 2 km x 2 km"
    assert dark_green.mean() > 0.05, "no forest"
    assert red_roofs.mean() > 0.0005, "no tiled roofs"


def test_terrain_slope_shades_the_ground() -> None:
    flat = TileCache(SlopeTerrain(GROUND_M, 0.0), seed=0).tile(DetailLevel(4.0, 128), 1250, 10_898)
    # Rising eastwards: the slope faces west, towards the default light from the north-west: brighter.
    west_facing = TileCache(SlopeTerrain(GROUND_M, 0.4), seed=0).tile(DetailLevel(4.0, 128), 1250, 10_898)
    east_facing = TileCache(SlopeTerrain(GROUND_M, -0.4), seed=0).tile(DetailLevel(4.0, 128), 1250, 10_898)
    assert west_facing.mean() > flat.mean() * 1.1
    assert east_facing.mean() < flat.mean() * 0.9


def test_objects_are_boxed_where_geodata_projects_them(flat_terrain: FlatTerrain) -> None:
    pole = FixedCamera(
        id="pole-1",
        name="test pole",
        organisation="test",
        lon=HOME_LON,
        lat=HOME_LAT,
        mount_height_agl_m=8.0,
        heading_deg=45.0,
        tilt_deg=12.0,
        hfov_deg=60.0,
        vfov_deg=34.8,
        max_range_m=2000.0,
        width_px=W,
        height_px=H,
    )
    spec = CameraSpec.for_fixed_camera(pole)
    assert spec.mount is not None
    view = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 8.0, 45.0, -12.0, 0.0, 60.0, 34.8)
    # 40 m north-east along the view axis, and one a bit to the side.
    person_lon, person_lat = _offset(28.0, 28.0)
    car_lon, car_lat = _offset(45.0, 30.0)
    objects = [
        GroundObject("walker", GroundObjectKind.PERSON, person_lon, person_lat, 90.0, 1.2),
        GroundObject("auto", GroundObjectKind.CAR, car_lon, car_lat, 0.0, 8.0),
        GroundObject("behind", GroundObjectKind.CAR, *_offset(-30.0, -30.0), 0.0, 0.0),
    ]
    renderer = CameraRenderer(flat_terrain, W, H)
    empty = renderer.render(view, []).image
    frame = renderer.render(view, objects)
    boxes = {b.object_id: b for b in frame.truth}
    assert set(boxes) == {"walker", "auto"}
    fx = PinholeCamera.for_pose(view, W, H).fx
    for obj in objects[:2]:
        box = boxes[obj.id]
        foot = ground_to_pixel(pole, flat_terrain, obj.lon, obj.lat)
        assert foot is not None
        assert box.x0 - 1 <= foot[0] <= box.x1 + 1 and box.y0 - 1 <= foot[1] <= box.y1 + 1
        # Bottom of the box is near the foot point; the drawing changed pixels inside the box.
        assert abs(box.y1 - foot[1]) < 0.3 * (box.y1 - box.y0) + 2
        diff = np.abs(
            frame.image[box.y0 : box.y1, box.x0 : box.x1].astype(int)
            - empty[box.y0 : box.y1, box.x0 : box.x1]
        )
        assert diff.sum(axis=2).max() > 60
        assert box.distance_m == pytest.approx(math.dist((0, 0, 8.0), (*_enu(obj), 0.0)), rel=0.05)
    # True size: a 1.75 m person 40 m away is about fx * 1.75 / 40 px tall.
    walker = boxes["walker"]
    expected_px = fx * 1.75 / math.hypot(28.0, 28.0)
    assert expected_px * 0.8 < walker.y1 - walker.y0 < expected_px * 1.5
    # Outside the boxes the frame is the background.
    mask = np.ones((H, W), dtype=bool)
    for b in boxes.values():
        mask[max(b.y0 - 2, 0) : b.y1 + 2, max(b.x0 - 2, 0) : b.x1 + 2] = False
    assert np.array_equal(frame.image[mask], empty[mask])


def _enu(obj: GroundObject) -> tuple[float, float]:
    e, n, _ = LocalTangentPlane(HOME_LON, HOME_LAT, GROUND_M).to_enu(obj.lon, obj.lat, GROUND_M)
    return float(e), float(n)


def test_drone_nadir_view_centres_an_object_below_it(flat_terrain: FlatTerrain) -> None:
    person = GroundObject("below", GroundObjectKind.PERSON, HOME_LON, HOME_LAT, 0.0, 0.0)
    car_lon, car_lat = _offset(0.0, 20.0)  # 20 m north: above the centre in a north-up nadir image
    car = GroundObject("north-car", GroundObjectKind.CAR, car_lon, car_lat, 90.0, 0.0)
    frame = CameraRenderer(flat_terrain, W, H).render(_nadir_view(120.0), [person, car])
    boxes = {b.object_id: b for b in frame.truth}
    below, north = boxes["below"], boxes["north-car"]
    assert abs((below.x0 + below.x1) / 2 - W / 2) < 3 and abs((below.y0 + below.y1) / 2 - H / 2) < 3
    assert north.y1 < H / 2 and abs((north.x0 + north.x1) / 2 - W / 2) < 3
    fx = PinholeCamera.for_pose(_nadir_view(), W, H).fx
    # Car heading east: 4.5 m long across the image at 120 m (a bit more: its roof is 1.5 m closer).
    assert fx * 4.5 / 120.0 <= north.x1 - north.x0 <= fx * 4.5 / 118.5 + 2


def test_sky_above_the_horizon(flat_terrain: FlatTerrain) -> None:
    view = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 10.0, 0.0, 0.0, 0.0, 60.0, 34.0)
    image = CameraRenderer(flat_terrain, W, H).render(view, []).image
    assert (image[: H // 2 - 5] == SKY_BGR).all(axis=2).mean() > 0.99
    assert (image[H // 2 + 5 :] == SKY_BGR).all(axis=2).mean() < 0.01


def test_unknown_terrain_is_flagged_not_fatal() -> None:
    class Nowhere(FlatTerrain):
        def sample(self, lon, lat):  # type: ignore[no-untyped-def]
            s = super().sample(lon, lat)
            return type(s)(s.elevation_amsl_m * np.nan, s.accuracy_m)

    frame = CameraRenderer(Nowhere(0.0), W, H).render(_nadir_view(), [])
    assert frame.terrain_known is False
    assert frame.image.std() > 5


def test_pole_camera_sees_the_real_terrain_and_hills_hide_objects() -> None:
    ridge = RidgeTerrain(GROUND_M, height_m=30.0, crest_south_m=300.0)
    view = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 8.0, 180.0, -4.0, 0.0, 60.0, 34.0)
    near = GroundObject("near", GroundObjectKind.CAR, *_offset(0.0, -120.0), 90.0, 0.0)
    on_slope = GroundObject("on-slope", GroundObjectKind.PERSON, *_offset(3.0, -270.0), 0.0, 0.0)
    hidden = GroundObject("hidden", GroundObjectKind.CAR, *_offset(0.0, -600.0), 90.0, 0.0)
    renderer = CameraRenderer(ridge, W, H, max_range_m=3000.0)
    plane_frame = renderer.render(view, [near, on_slope, hidden])
    assert {b.object_id for b in plane_frame.truth} == {
        "near",
        "on-slope",
        "hidden",
    }  # the plane hides nothing
    assert renderer.prepare_static_view(view)
    frame = renderer.render(view, [near, on_slope, hidden])
    boxes = {b.object_id: b for b in frame.truth}
    assert set(boxes) == {"near", "on-slope"}
    # The ridge rises into the view: where the plane showed sky above the horizon, there is ground now.
    column = frame.image[:, W // 2 + 40]
    sky_rows = (column == SKY_BGR).all(axis=1)
    plane_sky_rows = (plane_frame.image[:, W // 2 + 40] == SKY_BGR).all(axis=1)
    assert sky_rows.sum() < plane_sky_rows.sum() - 5
    # The person on the slope stands on the drawn terrain: the ray through its foot meets the ground there.
    person = boxes["on-slope"]
    foot_u, foot_v = (person.x0 + person.x1) / 2, person.y1 - 1
    range_at_foot = renderer._background_range[int(foot_v), int(foot_u)]  # type: ignore[index]
    assert range_at_foot == pytest.approx(person.distance_m, abs=15.0)
    # Later frames reuse the cast background: cheap, and identical away from the objects.
    again = renderer.render(view, [])
    assert np.array_equal(again.image[:40], frame.image[:40])


@pytest.mark.parametrize("pitch_deg", [-90.0, -40.0])
def test_drone_ground_plane_follows_a_hillside(pitch_deg: float) -> None:
    slope = SlopeTerrain(GROUND_M, 0.25)
    view = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 120.0, 30.0, pitch_deg, 0.0, 70.0, 43.0)
    cam = PinholeCamera.for_pose(view, W, H)
    plane = fit_ground_plane(cam, slope, HOME_LON, HOME_LAT, GROUND_M, 120.0, 4000.0)
    assert plane.slope_e == pytest.approx(0.25, abs=0.02)
    assert plane.slope_n == pytest.approx(0.0, abs=0.02)
    assert plane.offset_m == pytest.approx(0.0, abs=1.0)
    flat = fit_ground_plane(cam, FlatTerrain(GROUND_M), HOME_LON, HOME_LAT, GROUND_M, 120.0, 4000.0)
    assert (flat.slope_e, flat.slope_n) == pytest.approx((0.0, 0.0), abs=1e-6)
    # A person on the hillside 40 m east stands 10 m above the drone's foot, and is boxed there.
    person = GroundObject("hiker", GroundObjectKind.PERSON, *_offset(40.0, 0.0), 0.0, 0.0)
    frame = CameraRenderer(slope, W, H).render(view, [person])
    if pitch_deg == -90.0:
        box = frame.truth[0]
        fx = cam.fx
        # Seen from 110 m instead of 120 m: the offset in the image grows accordingly.
        centre_u = (box.x0 + box.x1) / 2 - W / 2
        assert math.hypot(centre_u, (box.y0 + box.y1) / 2 - H / 2) == pytest.approx(
            fx * 40.0 / 110.0, rel=0.08
        )
