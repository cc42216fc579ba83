"""Does the plan a vehicle reports hold what was approved? Compared as the vehicle will fly it.

PX4 does not store MAVLink items; it parses each into its own ``mission_item_s`` and formats a new item
when asked (``MavlinkMissionManager::parse_mavlink_mission_item`` / ``format_mavlink_mission_item`` in
``src/modules/mavlink/mavlink_mission.cpp``, v1.16). So on download:

- the frame says only "absolute" or "relative" altitude, in the ``_INT`` variant of the link's mode:
  GLOBAL (0) comes back GLOBAL_INT (5), GLOBAL_RELATIVE_ALT (3) comes back 6;
- geofence points are stored as ``mission_fence_point_s`` (lat, lon, alt, vertex count or radius,
  command): autocontinue comes back 0, and the altitude reference is dropped (PX4's fence is 2-D);
- of a positional item's params only those the navigator uses are kept, e.g. a waypoint keeps hold time,
  acceptance radius and yaw (yaw wrapped into 0..360 deg), and a loiter's exit flags become 0/1;
- ``current`` marks the vehicle's current item, not what was sent.

Everything else must match: command, position (to the 1e-7 degree of the int encoding), altitude
(float32), every kept param, autocontinue of mission and rally items, and the number of items. A real
difference names the item and field so the pilot can see what the vehicle would fly instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from missions.formats.mavlink_items import MissionItemInt

MISSION_TYPE_MISSION = 0
MISSION_TYPE_FENCE = 1
MISSION_TYPE_RALLY = 2

POSITION_TOLERANCE_E7 = 1
"""PX4 returns ``round(lat * 1e7)`` of the double it parsed from the int: exact, one unit for safety."""
ALT_TOLERANCE_M = 0.001
PARAM_TOLERANCE = 1e-4


class AltitudeReference(Enum):
    ABSOLUTE = "absolute (AMSL)"
    RELATIVE = "relative to home"
    TERRAIN = "above terrain"
    NONE = "no position (mission frame)"
    LOCAL = "local"


_FRAME_REFERENCE = {
    0: AltitudeReference.ABSOLUTE,
    5: AltitudeReference.ABSOLUTE,
    3: AltitudeReference.RELATIVE,
    6: AltitudeReference.RELATIVE,
    10: AltitudeReference.TERRAIN,
    11: AltitudeReference.TERRAIN,
    2: AltitudeReference.NONE,
    1: AltitudeReference.LOCAL,
}


def altitude_reference(frame: int) -> AltitudeReference | None:
    return _FRAME_REFERENCE.get(frame)


def _same_float(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def _yaw(a: float, b: float) -> bool:
    """PX4 keeps yaw as ``wrap_2pi(radians(param4))`` and returns degrees: -90 comes back 270."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    diff = (a - b) % 360.0
    return min(diff, 360.0 - diff) <= 1e-3


def _flag(a: float, b: float) -> bool:
    """PX4 keeps some params only as booleans (``param > 0``)."""
    return (a > 0) == (b > 0)


def _value(a: float, b: float) -> bool:
    return _same_float(a, b, PARAM_TOLERANCE)


def _rounded(a: float, b: float) -> bool:
    """A fence polygon's vertex count is kept as ``uint16(param1 + 0.5)``."""
    return int(a + 0.5) == int(b + 0.5)


ParamCheck = Callable[[float, float], bool]
_NOT_KEPT: None = None

# Per positional command: how PX4 keeps param1..param4 (None: not kept, so not compared).
_POSITIONAL_PARAMS: dict[int, tuple[ParamCheck | None, ...]] = {
    16: (_value, _value, _NOT_KEPT, _yaw),  # NAV_WAYPOINT: hold, acceptance radius, -, yaw
    17: (_NOT_KEPT, _NOT_KEPT, _value, _yaw),  # NAV_LOITER_UNLIM: -, -, radius, yaw
    19: (_value, _flag, _value, _flag),  # NAV_LOITER_TIME: time, heading required, radius, exit xtrack
    21: (_NOT_KEPT, _value, _NOT_KEPT, _yaw),  # NAV_LAND: -, precision land mode, -, yaw
    22: (_NOT_KEPT, _NOT_KEPT, _NOT_KEPT, _yaw),  # NAV_TAKEOFF: yaw only
    31: (_flag, _value, _NOT_KEPT, _flag),  # NAV_LOITER_TO_ALT
    84: (_NOT_KEPT, _NOT_KEPT, _NOT_KEPT, _yaw),  # NAV_VTOL_TAKEOFF
    85: (_NOT_KEPT, _NOT_KEPT, _NOT_KEPT, _yaw),  # NAV_VTOL_LAND
    5001: (_rounded, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # FENCE_POLYGON_VERTEX_INCLUSION
    5002: (_rounded, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # FENCE_POLYGON_VERTEX_EXCLUSION
    5003: (_value, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # FENCE_CIRCLE_INCLUSION: radius
    5004: (_value, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # FENCE_CIRCLE_EXCLUSION: radius
    5000: (_NOT_KEPT, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # FENCE_RETURN_POINT
    5100: (_NOT_KEPT, _NOT_KEPT, _NOT_KEPT, _NOT_KEPT),  # RALLY_POINT
}
_EVERY_PARAM: tuple[ParamCheck, ...] = (_value, _value, _value, _value)
"""Items in the mission frame keep all seven params; unknown positional commands are compared in full,
so a command we know nothing about can only fail loudly, never pass unchecked."""


@dataclass(frozen=True)
class Difference:
    seq: int
    field: str
    approved: object
    on_vehicle: object

    def __str__(self) -> str:
        return f"item {self.seq}: {self.field} approved {self.approved!r}, vehicle has {self.on_vehicle!r}"


def _item_differences(a: MissionItemInt, b: MissionItemInt, mission_type: int) -> list[Difference]:
    seq = a.seq
    out: list[Difference] = []
    if a.command != b.command:
        return [Difference(seq, "command", a.command, b.command)]
    ref_a, ref_b = altitude_reference(a.frame), altitude_reference(b.frame)
    is_fence = mission_type == MISSION_TYPE_FENCE
    positional = ref_a not in (AltitudeReference.NONE, None)
    if is_fence:
        # PX4's fence is two-dimensional: any global frame is stored as "a point", altitude ignored.
        if ref_b is None or ref_b in (AltitudeReference.NONE, AltitudeReference.LOCAL):
            out.append(Difference(seq, "frame", a.frame, b.frame))
    elif ref_a is None or ref_a != ref_b:
        out.append(Difference(seq, "frame", a.frame, b.frame))
    if positional or ref_a is AltitudeReference.NONE:
        if abs(int(a.x) - int(b.x)) > POSITION_TOLERANCE_E7:
            out.append(Difference(seq, "x (latitude 1e-7 deg)", a.x, b.x))
        if abs(int(a.y) - int(b.y)) > POSITION_TOLERANCE_E7:
            out.append(Difference(seq, "y (longitude 1e-7 deg)", a.y, b.y))
    if not is_fence and not _same_float(float(a.z), float(b.z), ALT_TOLERANCE_M):
        out.append(Difference(seq, "z (altitude m)", a.z, b.z))
    checks = _POSITIONAL_PARAMS.get(a.command, _EVERY_PARAM) if positional else _EVERY_PARAM
    values_a = (a.param1, a.param2, a.param3, a.param4)
    values_b = (b.param1, b.param2, b.param3, b.param4)
    for index, check in enumerate(checks):
        if check is not None and not check(float(values_a[index]), float(values_b[index])):
            out.append(Difference(seq, f"param{index + 1}", values_a[index], values_b[index]))
    if not is_fence and a.autocontinue != b.autocontinue:
        out.append(Difference(seq, "autocontinue", a.autocontinue, b.autocontinue))
    return out


def plan_differences(
    approved: Sequence[MissionItemInt], on_vehicle: Sequence[MissionItemInt], mission_type: int
) -> list[Difference]:
    """Every real difference between the approved list and what the vehicle reports, in order.

    Items are compared by position in the list (each list is its own transfer, numbered 0..n-1).
    """
    if len(approved) != len(on_vehicle):
        return [Difference(-1, "item count", len(approved), len(on_vehicle))]
    out: list[Difference] = []
    for index, (a, b) in enumerate(zip(approved, on_vehicle, strict=True)):
        out.extend(_item_differences(replace(a, seq=index), b, mission_type))
    return out
