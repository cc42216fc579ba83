"""Sprites instead of drawn shapes: placed at the object's projected true size, truth = drawn pixels."""

from __future__ import annotations

import math

import numpy as np

from geodata.crs import LocalTangentPlane
from geodata.terrain import FlatTerrain
from sim.camera.geometry import ViewPose
from sim.camera.render import CameraRenderer
from sim.camera.sprites import SpriteBank
from sim.scene import GroundObject, GroundObjectKind

LON, LAT, GROUND = 17.25, 50.30, 420.0
VIEW = ViewPose(LON, LAT, GROUND + 8.0, 0.0, -15.0, 0.0, 60.0, 46.8)


def _bank() -> SpriteBank:
    person = np.zeros((60, 24, 4), np.uint8)
    person[..., :3] = (20, 20, 200)
    person[4:60, 6:18, 3] = 255  # the body; a transparent margin around it
    car = np.zeros((30, 45, 4), np.uint8)
    car[..., :3] = (200, 30, 30)
    car[2:30, 0:45, 3] = 255
    return SpriteBank((person,), (car,))


def _objects() -> list[GroundObject]:
    ltp = LocalTangentPlane(LON, LAT, GROUND)
    out = []
    for oid, kind, east, north in (
        ("p", GroundObjectKind.PERSON, -3.0, 25.0),
        ("c", GroundObjectKind.CAR, 6.0, 35.0),
    ):
        lon, lat, _ = ltp.from_enu(east, north, 0.0)
        out.append(GroundObject(oid, kind, float(lon), float(lat), 90.0, 0.0))
    return out


def test_sprites_stand_in_the_true_size_box_and_the_truth_is_what_was_drawn() -> None:
    terrain = FlatTerrain(GROUND)
    shapes = CameraRenderer(terrain, 320, 240).render(VIEW, _objects())
    empty = CameraRenderer(terrain, 320, 240).render(VIEW, []).image
    sprites = CameraRenderer(terrain, 320, 240, sprites=_bank()).render(VIEW, _objects())
    extent = {t.object_id: t for t in shapes.truth}
    assert {t.object_id for t in sprites.truth} == {"p", "c"}
    changed = np.abs(sprites.image.astype(int) - empty.astype(int)).max(axis=2) > 30
    for t in sprites.truth:
        e = extent[t.object_id]
        # Standing on the projected 3-D extent's bottom edge, centred on it (+1 px rounding).
        assert abs(t.y1 - e.y1) <= 1 and abs((t.x0 + t.x1) - (e.x0 + e.x1)) <= 2
        # The extent's full height (less the sprite's transparent top rows): true size.
        assert math.isclose(t.y1 - t.y0, e.y1 - e.y0, abs_tol=2 + 0.1 * (e.y1 - e.y0))
        # Tight: drawn pixels reach every edge of the truth box, and none lie outside it nearby.
        box = changed[t.y0 : t.y1, t.x0 : t.x1]
        assert box[0].any() and box[-1].any() and box[:, 0].any() and box[:, -1].any()
    pixels = sum(int(changed[t.y0 : t.y1, t.x0 : t.x1].sum()) for t in sprites.truth)
    assert pixels == int(changed.sum())


def test_a_camera_spec_asks_for_sprites_and_gets_shapes_when_none_were_cut(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sim.camera import feed
    from sim.camera.spec import CameraKind, CameraSpec

    spec = CameraSpec(id="d", kind=CameraKind.DRONE, vehicle_slug="sim-1", objects="sprites")
    assert feed.sprites_for(spec.model_copy(update={"objects": "shapes"})) is None
    monkeypatch.setattr(feed.SpriteBank, "load", staticmethod(lambda: SpriteBank((), ())))
    assert feed.sprites_for(spec) is None
    bank = _bank()
    monkeypatch.setattr(feed.SpriteBank, "load", staticmethod(lambda: bank))
    assert feed.sprites_for(spec) is bank
