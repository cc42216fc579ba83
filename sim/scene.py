"""The simulated world as the camera simulator sees it.

The vehicle simulator owns the world (vehicles, moving people and cars, the clock); the camera simulator
only reads it. This module is the narrow, read-only contract between the two, so neither imports the
other's internals and the camera renderer can be tested with a hand-made scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from geodata.terrain import Terrain


class GroundObjectKind(StrEnum):
    """What a moving ground object is; detection and anonymisation treat the two differently."""

    PERSON = "person"
    CAR = "car"


@dataclass(frozen=True)
class ObjectSize:
    """True outer size of an object in metres (length along its heading, width across, height)."""

    length_m: float
    width_m: float
    height_m: float


# Sizes of a standing adult and of a mid-size car: cameras draw objects at these true sizes, so the
# pixel size of a person seen from 120 m AGL is what a real gimbal camera would show.
PERSON_SIZE = ObjectSize(length_m=0.5, width_m=0.5, height_m=1.75)
CAR_SIZE = ObjectSize(length_m=4.5, width_m=1.8, height_m=1.5)
OBJECT_SIZES: dict[GroundObjectKind, ObjectSize] = {
    GroundObjectKind.PERSON: PERSON_SIZE,
    GroundObjectKind.CAR: CAR_SIZE,
}


@dataclass(frozen=True)
class GroundObject:
    """A person or car standing on the terrain at (lon, lat); heading 0 = north, clockwise, degrees."""

    id: str
    kind: GroundObjectKind
    lon: float
    lat: float
    heading_deg: float
    speed_mps: float

    @property
    def size(self) -> ObjectSize:
        return OBJECT_SIZES[self.kind]


@dataclass(frozen=True)
class VehiclePose:
    """Where a vehicle and its gimbal point at one instant.

    Attitude is the vehicle body's (roll, pitch, yaw; yaw 0 = north, clockwise). The gimbal angles are
    relative to the vehicle's yaw but stabilised in roll and pitch, as PX4's gimbal protocol v2 reports
    them: gimbal_pitch_deg -90 looks straight down, 0 looks at the horizon; gimbal_yaw_deg is added to
    the vehicle's yaw.
    """

    lon: float
    lat: float
    alt_amsl_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float
    gimbal_pitch_deg: float
    gimbal_yaw_deg: float
    time_utc: datetime


@runtime_checkable
class SceneSource(Protocol):
    """Read-only view of the simulated world, implemented by the vehicle simulator.

    Calls come from the camera render loop at up to the camera frame rate, so implementations return
    snapshots cheaply and never block.
    """

    @property
    def terrain(self) -> Terrain: ...

    @property
    def sim_time_s(self) -> float: ...

    def ground_objects(self) -> Sequence[GroundObject]: ...

    def vehicle_pose(self, slug: str) -> VehiclePose:
        """The vehicle's current pose; raises KeyError for an unknown slug."""
        ...
