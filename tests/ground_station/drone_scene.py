"""A simulated drone gimbal camera (1280x720) 40 m above flat ground looking 40 degrees down at people
walking and cars driving 45-110 m ahead: frames with ground truth, for detector P/R from altitude."""

from __future__ import annotations

import math
from collections.abc import Iterator

from geodata.crs import LocalTangentPlane
from geodata.terrain import FlatTerrain
from sim.camera.geometry import ViewPose
from sim.camera.render import CameraRenderer
from sim.camera.sprites import SpriteBank
from sim.scene import GroundObject, GroundObjectKind
from tests.ground_station.analytics_scene import SceneFrame

HOME_LON, HOME_LAT, GROUND_M = 17.25, 50.30, 420.0
W, H = 1280, 720
FPS = 25.0
HFOV = 60.0
VFOV = math.degrees(2 * math.atan(math.tan(math.radians(HFOV / 2)) * H / W))
VIEW = ViewPose(HOME_LON, HOME_LAT, GROUND_M + 40.0, 0.0, -40.0, 0.0, HFOV, VFOV)
TERRAIN = FlatTerrain(GROUND_M)

# (id, kind, east, north, heading deg, speed m/s): ahead of the drone (north).
MOVERS = [
    ("p1", GroundObjectKind.PERSON, -12.0, 50.0, 90.0, 1.4),
    ("p2", GroundObjectKind.PERSON, 5.0, 47.0, 270.0, 1.2),
    ("p3", GroundObjectKind.PERSON, 18.0, 60.0, 180.0, 1.5),
    ("p4", GroundObjectKind.PERSON, -25.0, 70.0, 45.0, 1.0),
    ("p5", GroundObjectKind.PERSON, 0.0, 80.0, 0.0, 1.3),
    ("p6", GroundObjectKind.PERSON, 30.0, 90.0, 250.0, 1.1),
    ("c1", GroundObjectKind.CAR, -30.0, 55.0, 90.0, 6.0),
    ("c2", GroundObjectKind.CAR, 20.0, 75.0, 0.0, 5.0),
    ("c3", GroundObjectKind.CAR, -10.0, 88.0, 270.0, 7.0),
]


def frames(count: int, *, step: int = 1, sprites: SpriteBank | None = None) -> Iterator[SceneFrame]:
    renderer = CameraRenderer(TERRAIN, W, H, sprites=sprites)
    ltp = LocalTangentPlane(HOME_LON, HOME_LAT, GROUND_M)
    for k in range(count):
        i = k * step
        t = i / FPS
        objects = {}
        for oid, kind, east, north, heading, speed in MOVERS:
            e = east + speed * t * math.sin(math.radians(heading))
            n = north + speed * t * math.cos(math.radians(heading))
            lon, lat, _ = ltp.from_enu(e, n, 0.0)
            objects[oid] = GroundObject(oid, kind, float(lon), float(lat), heading, speed)
        rendered = renderer.render(VIEW, list(objects.values()))
        yield SceneFrame(i, rendered.image, rendered.truth, objects)
