"""A simulated pole camera watching people and cars walk/drive past: frames with ground truth."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from geodata.crs import LocalTangentPlane
from geodata.sensors import CameraIntrinsics, CameraPose
from geodata.terrain import FlatTerrain
from sim.camera.geometry import ViewPose
from sim.camera.metadata import GroundTruthBox
from sim.camera.render import CameraRenderer
from sim.camera.sprites import SpriteBank
from sim.scene import GroundObject, GroundObjectKind

HOME_LON, HOME_LAT, GROUND_M = 17.25, 50.30, 420.0
W, H = 320, 240
FPS = 25.0
VIEW = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 8.0, 45.0, -12.0, 0.0, 60.0, 46.8)
TERRAIN = FlatTerrain(GROUND_M)
TERRAIN.vertical_accuracy_m = 0.0  # the sim draws on exactly this plane: no DEM error

# (id, kind, east, north, heading deg, speed m/s): in front of a pole looking north-east.
MOVERS = [
    ("p1", GroundObjectKind.PERSON, 20.0, 24.0, 90.0, 1.4),
    ("p2", GroundObjectKind.PERSON, 30.0, 22.0, 270.0, 1.2),
    ("p3", GroundObjectKind.PERSON, 16.0, 30.0, 135.0, 1.6),
    ("p4", GroundObjectKind.PERSON, 40.0, 45.0, 300.0, 1.0),
    ("p5", GroundObjectKind.PERSON, 12.0, 14.0, 45.0, 1.5),
    ("p6", GroundObjectKind.PERSON, 55.0, 40.0, 200.0, 1.3),
    ("c1", GroundObjectKind.CAR, 20.0, 50.0, 90.0, 8.0),
    ("c2", GroundObjectKind.CAR, 60.0, 25.0, 0.0, 5.0),
]


@dataclass(frozen=True)
class SceneFrame:
    index: int
    image: object
    truth: list[GroundTruthBox]
    objects: dict[str, GroundObject]


def camera_pose() -> CameraPose:
    return CameraPose(VIEW.lon, VIEW.lat, VIEW.alt_amsl_m, VIEW.heading_deg, VIEW.pitch_deg, VIEW.roll_deg)


def intrinsics() -> CameraIntrinsics:
    return CameraIntrinsics(W, H, VIEW.hfov_deg, VIEW.vfov_deg)


def frames(count: int, *, sprites: SpriteBank | None = None) -> Iterator[SceneFrame]:
    """``sprites``: people and cars as real pictures (``sim/camera/sprites.py``) instead of shapes."""
    renderer = CameraRenderer(TERRAIN, W, H, sprites=sprites)
    ltp = LocalTangentPlane(HOME_LON, HOME_LAT, GROUND_M)
    for i in range(count):
        t = i / FPS
        objects = {}
        for oid, kind, east, north, heading, speed in MOVERS:
            e = east + speed * t * math.sin(math.radians(heading))
            n = north + speed * t * math.cos(math.radians(heading))
            lon, lat, _ = ltp.from_enu(e, n, 0.0)
            objects[oid] = GroundObject(oid, kind, float(lon), float(lat), heading, speed)
        rendered = renderer.render(VIEW, list(objects.values()))
        yield SceneFrame(i, rendered.image, rendered.truth, objects)
