"""People and cars moving on the ground: along roads (polylines) or as random walks in an area.

Seeded, so a scenario replays identically; stepped in vehicle time so the camera simulator sees them
where they truly are at the frame's capture time.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from sim.geo import LocalFrame
from sim.scenario import GroundObjectGroup, ObjectKind, RandomWalkMotion, RoadMotion
from sim.scene import GroundObject, GroundObjectKind

_KIND = {ObjectKind.PERSON: GroundObjectKind.PERSON, ObjectKind.CAR: GroundObjectKind.CAR}


@dataclass
class _RoadMover:
    object_id: str
    kind: GroundObjectKind
    frame: LocalFrame
    points_en: list[tuple[float, float]]
    cumulative_m: list[float]
    loop: bool
    speed_mps: float
    distance_m: float
    direction: int = 1

    @property
    def length_m(self) -> float:
        return self.cumulative_m[-1]

    def step(self, dt: float) -> None:
        length = self.length_m
        if length <= 0:
            return
        self.distance_m += self.direction * self.speed_mps * dt
        if self.loop:
            self.distance_m %= length
            return
        if self.distance_m > length:
            self.distance_m = 2 * length - self.distance_m
            self.direction = -1
        elif self.distance_m < 0:
            self.distance_m = -self.distance_m
            self.direction = 1

    def snapshot(self) -> GroundObject:
        d = min(max(self.distance_m, 0.0), self.length_m)
        i = 0
        while i < len(self.cumulative_m) - 2 and self.cumulative_m[i + 1] < d:
            i += 1
        (e0, n0), (e1, n1) = self.points_en[i], self.points_en[i + 1]
        segment = self.cumulative_m[i + 1] - self.cumulative_m[i]
        t = (d - self.cumulative_m[i]) / segment if segment > 0 else 0.0
        east, north = e0 + (e1 - e0) * t, n0 + (n1 - n0) * t
        heading = math.degrees(math.atan2(e1 - e0, n1 - n0))
        if self.direction < 0:
            heading += 180.0
        lon, lat = self.frame.to_lonlat(east, north)
        return GroundObject(self.object_id, self.kind, lon, lat, heading % 360.0, self.speed_mps)


@dataclass
class _Walker:
    object_id: str
    kind: GroundObjectKind
    frame: LocalFrame
    radius_m: float
    speed_mps: float
    rng: random.Random
    east_m: float
    north_m: float
    heading_rad: float
    moving: bool = True
    timer_s: float = 0.0

    def step(self, dt: float) -> None:
        self.timer_s -= dt
        if self.timer_s <= 0:
            # People walk for a while, stop, look around, change direction.
            self.moving = self.rng.random() > 0.25
            self.heading_rad += self.rng.gauss(0.0, 0.8)
            self.timer_s = self.rng.uniform(3.0, 20.0)
        if not self.moving:
            return
        self.east_m += math.sin(self.heading_rad) * self.speed_mps * dt
        self.north_m += math.cos(self.heading_rad) * self.speed_mps * dt
        if math.hypot(self.east_m, self.north_m) > self.radius_m:
            self.heading_rad = math.atan2(-self.east_m, -self.north_m)  # turn back towards the centre

    def snapshot(self) -> GroundObject:
        lon, lat = self.frame.to_lonlat(self.east_m, self.north_m)
        speed = self.speed_mps if self.moving else 0.0
        return GroundObject(
            self.object_id, self.kind, lon, lat, math.degrees(self.heading_rad) % 360.0, speed
        )


class GroundTraffic:
    def __init__(self, groups: list[GroundObjectGroup], seed: int = 0) -> None:
        rng = random.Random(seed)
        self._movers: list[_RoadMover | _Walker] = []
        counter = 0
        for group in groups:
            kind = _KIND[group.kind]
            for _ in range(group.count):
                counter += 1
                object_id = f"{group.kind.value}-{counter}"
                speed = group.speed_mps * rng.uniform(0.8, 1.2)
                if isinstance(group.motion, RoadMotion):
                    self._movers.append(_road_mover(object_id, kind, group.motion, speed, rng))
                else:
                    self._movers.append(_walker(object_id, kind, group.motion, speed, rng))
        self._snapshot: list[GroundObject] = [m.snapshot() for m in self._movers]

    def step(self, dt: float) -> None:
        for mover in self._movers:
            mover.step(dt)
        self._snapshot = [m.snapshot() for m in self._movers]

    def objects(self) -> list[GroundObject]:
        return self._snapshot


def _road_mover(
    object_id: str, kind: GroundObjectKind, motion: RoadMotion, speed: float, rng: random.Random
) -> _RoadMover:
    lon0, lat0 = motion.path[0]
    frame = LocalFrame(lon0, lat0)
    points = [frame.to_en(lon, lat) for lon, lat in motion.path]
    cumulative = [0.0]
    for (e0, n0), (e1, n1) in itertools.pairwise(points):
        cumulative.append(cumulative[-1] + math.hypot(e1 - e0, n1 - n0))
    return _RoadMover(
        object_id, kind, frame, points, cumulative, motion.loop, speed,
        rng.uniform(0.0, cumulative[-1]), rng.choice((1, -1)),
    )  # fmt: skip


def _walker(
    object_id: str, kind: GroundObjectKind, motion: RandomWalkMotion, speed: float, rng: random.Random
) -> _Walker:
    frame = LocalFrame(*motion.centre)
    r = motion.radius_m * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    return _Walker(
        object_id, kind, frame, motion.radius_m, speed, random.Random(rng.random()),
        r * math.sin(angle), r * math.cos(angle), rng.uniform(0, 2 * math.pi),
    )  # fmt: skip
