"""Mission items <-> MAVLink (command, frame, param1..7): the one mapping .plan, MISSION_ITEM_INT and
.waypoints all share, so the three formats cannot drift apart.

param5..7 are latitude, longitude and altitude as in MAVLink's MISSION_ITEM (QGC stores exactly these).
``None`` stands for MAVLink's NaN ("unset"), which QGC writes as JSON null.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pymavlink import mavutil

from missions.model import (
    AltFrame,
    CameraStop,
    CameraTriggerDistance,
    CameraTriggerTime,
    ChangeSpeed,
    DoJump,
    GimbalPitch,
    Land,
    Loiter,
    MissionItem,
    Orbit,
    OtherCommand,
    RegionOfInterest,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)

mav = mavutil.mavlink

Params = tuple[
    float | None, float | None, float | None, float | None, float | None, float | None, float | None
]


@dataclass(frozen=True)
class RawItem:
    command: int
    frame: int
    params: Params


class CodecError(ValueError):
    """An item that cannot be represented; the message names the parameter."""


FRAME_OF_ALT: dict[AltFrame, int] = {
    AltFrame.AMSL: mav.MAV_FRAME_GLOBAL,
    AltFrame.REL_HOME: mav.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    AltFrame.AGL: mav.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}

ALT_OF_FRAME: dict[int, AltFrame] = {
    mav.MAV_FRAME_GLOBAL: AltFrame.AMSL,
    mav.MAV_FRAME_GLOBAL_INT: AltFrame.AMSL,
    mav.MAV_FRAME_GLOBAL_RELATIVE_ALT: AltFrame.REL_HOME,
    mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: AltFrame.REL_HOME,
    mav.MAV_FRAME_GLOBAL_TERRAIN_ALT: AltFrame.AGL,
    mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: AltFrame.AGL,
}


_MISSION_FRAME = mav.MAV_FRAME_MISSION


def item_to_raw(item: MissionItem) -> RawItem:
    """The MAVLink form of one item (frames from the item's altitude frame; DO commands in MISSION frame)."""
    if isinstance(item, Takeoff):
        return RawItem(
            mav.MAV_CMD_NAV_TAKEOFF,
            FRAME_OF_ALT[item.alt_frame],
            (item.pitch_deg, 0.0, 0.0, None, item.lat, item.lon, item.alt_m),
        )
    if isinstance(item, Waypoint):
        return RawItem(
            mav.MAV_CMD_NAV_WAYPOINT,
            FRAME_OF_ALT[item.alt_frame],
            (item.hold_s, item.acceptance_radius_m, 0.0, item.yaw_deg, item.lat, item.lon, item.alt_m),
        )
    if isinstance(item, Loiter):
        radius = item.radius_m if item.clockwise else -item.radius_m
        return RawItem(
            mav.MAV_CMD_NAV_LOITER_TIME,
            FRAME_OF_ALT[item.alt_frame],
            (item.duration_s, 0.0, radius, 0.0, item.lat, item.lon, item.alt_m),
        )
    if isinstance(item, Orbit):
        radius = item.radius_m if item.clockwise else -item.radius_m
        return RawItem(
            mav.MAV_CMD_NAV_LOITER_TURNS,
            FRAME_OF_ALT[item.alt_frame],
            (item.turns, 0.0, radius, 0.0, item.lat, item.lon, item.alt_m),
        )
    if isinstance(item, CameraTriggerDistance):
        return RawItem(
            mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST, _MISSION_FRAME, (item.distance_m, 0.0, 1.0, 0, 0, 0, 0)
        )
    if isinstance(item, CameraTriggerTime):
        return RawItem(
            mav.MAV_CMD_IMAGE_START_CAPTURE,
            _MISSION_FRAME,
            (0.0, item.interval_s, float(item.count), 0, 0, 0, 0),
        )
    if isinstance(item, CameraStop):
        return RawItem(mav.MAV_CMD_IMAGE_STOP_CAPTURE, _MISSION_FRAME, (0.0, 0.0, 0.0, 0.0, 0, 0, 0))
    if isinstance(item, GimbalPitch):
        return RawItem(
            mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
            _MISSION_FRAME,
            (item.pitch_deg, item.yaw_deg, None, None, 0.0, 0.0, 0.0),
        )
    if isinstance(item, RegionOfInterest):
        return RawItem(
            mav.MAV_CMD_DO_SET_ROI_LOCATION,
            FRAME_OF_ALT[item.alt_frame],
            (0.0, 0.0, 0.0, 0.0, item.lat, item.lon, item.alt_m),
        )
    if isinstance(item, ChangeSpeed):
        return RawItem(mav.MAV_CMD_DO_CHANGE_SPEED, _MISSION_FRAME, (1.0, item.speed_m_s, -1.0, 0.0, 0, 0, 0))
    if isinstance(item, ReturnToLaunch):
        return RawItem(mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, _MISSION_FRAME, (0.0, 0.0, 0.0, 0.0, 0, 0, 0))
    if isinstance(item, DoJump):
        return RawItem(
            mav.MAV_CMD_DO_JUMP, _MISSION_FRAME, (float(item.target_item), float(item.repeat), 0, 0, 0, 0, 0)
        )
    if isinstance(item, Land):
        return RawItem(
            mav.MAV_CMD_NAV_LAND,
            mav.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            (0.0, 0.0, 0.0, None, item.lat, item.lon, 0.0),
        )
    return RawItem(item.command, item.frame, params_of([_none_if_nan(v) for v in item.params]))


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _num(params: Params, index: int, default: float | None = None) -> float:
    value = params[index]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if default is None:
            raise CodecError(f"param{index + 1} is required")
        return default
    return float(value)


def _opt(params: Params, index: int) -> float | None:
    value = params[index]
    if value is None or math.isnan(value):
        return None
    return float(value)


def _alt_frame(raw: RawItem) -> AltFrame:
    try:
        return ALT_OF_FRAME[raw.frame]
    except KeyError:
        raise CodecError(f"frame {raw.frame} is not a global frame (AMSL, relative or terrain)") from None


def _position(raw: RawItem) -> dict[str, object]:
    return {
        "lat": _num(raw.params, 4),
        "lon": _num(raw.params, 5),
        "alt_m": _num(raw.params, 6, 0.0),
        "alt_frame": _alt_frame(raw),
    }


def _same_param(a: float | None, b: float | None) -> bool:
    a_none = a is None or math.isnan(a)
    b_none = b is None or math.isnan(b)
    if a_none or b_none:
        return a_none and b_none
    assert a is not None and b is not None
    return float(a) == float(b)


def lossless(typed: MissionItem, raw: RawItem) -> bool:
    """True when the typed item encodes back to exactly ``raw`` (command, frame, every param)."""
    again = item_to_raw(typed)
    return (
        again.command == raw.command
        and again.frame == raw.frame
        and all(_same_param(a, b) for a, b in zip(again.params, raw.params, strict=True))
    )


def raw_to_item(raw: RawItem) -> MissionItem:
    """The typed item for a MAVLink command when the typed item keeps every param exactly; otherwise (no
    typed item, or params the typed item would drop or change) an ``OtherCommand`` carrying the command
    unchanged, so reading and writing a mission never alters what the vehicle gets.

    Raises CodecError (a ValueError) naming the bad parameter.
    """
    typed = _typed(raw)
    if not isinstance(typed, OtherCommand) and lossless(typed, raw):
        return typed
    return OtherCommand(command=raw.command, frame=raw.frame, params=raw.params)


def _typed(raw: RawItem) -> MissionItem:
    p = raw.params
    cmd = raw.command
    try:
        if cmd == mav.MAV_CMD_NAV_TAKEOFF:
            return Takeoff(pitch_deg=_num(p, 0, 0.0), **_position(raw))  # type: ignore[arg-type]
        if cmd == mav.MAV_CMD_NAV_WAYPOINT:
            return Waypoint(
                hold_s=_num(p, 0, 0.0),
                acceptance_radius_m=_num(p, 1, 0.0),
                yaw_deg=_opt(p, 3),
                **_position(raw),  # type: ignore[arg-type]
            )
        if cmd == mav.MAV_CMD_NAV_LOITER_TIME:
            radius = _num(p, 2, 0.0)
            return Loiter(
                duration_s=_num(p, 0),
                radius_m=abs(radius),
                clockwise=math.copysign(1.0, radius) > 0,
                **_position(raw),  # type: ignore[arg-type]
            )
        if cmd == mav.MAV_CMD_NAV_LOITER_TURNS:
            radius = _num(p, 2)
            return Orbit(
                turns=_num(p, 0),
                radius_m=abs(radius),
                clockwise=math.copysign(1.0, radius) > 0,
                **_position(raw),  # type: ignore[arg-type]
            )
        if cmd == mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST:
            return CameraTriggerDistance(distance_m=_num(p, 0))
        if cmd == mav.MAV_CMD_IMAGE_START_CAPTURE:
            count = _num(p, 2, 0.0)
            if count != int(count):
                raise CodecError("param3 (image count) must be a whole number")
            return CameraTriggerTime(interval_s=_num(p, 1, 0.0), count=int(count))
        if cmd == mav.MAV_CMD_IMAGE_STOP_CAPTURE:
            return CameraStop()
        if cmd == mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            return GimbalPitch(pitch_deg=_num(p, 0, 0.0), yaw_deg=_num(p, 1, 0.0))
        if cmd == mav.MAV_CMD_DO_MOUNT_CONTROL:  # older QGC writes gimbal pitch this way: pitch, roll, yaw
            return GimbalPitch(pitch_deg=_num(p, 0, 0.0), yaw_deg=_num(p, 2, 0.0))
        if cmd == mav.MAV_CMD_DO_SET_ROI_LOCATION:
            return RegionOfInterest(**_position(raw))  # type: ignore[arg-type]
        if cmd == mav.MAV_CMD_DO_CHANGE_SPEED:
            return ChangeSpeed(speed_m_s=_num(p, 1))
        if cmd == mav.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            return ReturnToLaunch()
        if cmd == mav.MAV_CMD_NAV_LAND:
            return Land(lat=_num(p, 4), lon=_num(p, 5))
        if cmd == mav.MAV_CMD_DO_JUMP:
            target, repeat = _num(p, 0), _num(p, 1, 0.0)
            if target == int(target) and repeat == int(repeat) and 0 <= target <= 65535 and repeat >= -1:
                return DoJump(target_item=int(target), repeat=int(repeat))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first["loc"])
        raise CodecError(f"{field}: {first['msg']}") from None
    return OtherCommand(command=cmd, frame=raw.frame, params=raw.params)


def params_of(values: Sequence[float | None]) -> Params:
    """Exactly seven params, else CodecError."""
    if len(values) != 7:
        raise CodecError(f"expected 7 params, got {len(values)}")
    a, b, c, d, e, f, g = values
    return (a, b, c, d, e, f, g)
