"""COMMAND_LONG / COMMAND_INT handling with PX4's answers (traces d and a).

PX4 quirks reproduced: DO_SET_MODE is ACKed twice; REQUEST_MESSAGE sends the message before its ACK;
an unknown command gets UNSUPPORTED; arming while armed (or disarming while disarmed) is ACCEPTED
silently; disarming in the air is TEMPORARILY_REJECTED; a reposition outside the geofence is ACCEPTED
and ignored with 'Reposition is outside geofence'; NAV_TAKEOFF while disarmed switches to AUTO.TAKEOFF.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from pymavlink.dialects.v20 import common as mavlink

from sim.flight import CommandOutcome, FlightController, RtlSource
from sim.mission_store import MissionStore, MissionType
from sim.params import ParameterStore
from sim.px4_modes import FlightMode
from sim.statustext import Severity

FORCE_MAGIC = 21196


class MavResult(IntEnum):
    ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
    TEMPORARILY_REJECTED = mavlink.MAV_RESULT_TEMPORARILY_REJECTED
    DENIED = mavlink.MAV_RESULT_DENIED
    UNSUPPORTED = mavlink.MAV_RESULT_UNSUPPORTED
    FAILED = mavlink.MAV_RESULT_FAILED


class FailureUnit(IntEnum):
    SENSOR_GPS = mavlink.FAILURE_UNIT_SENSOR_GPS
    SYSTEM_BATTERY = mavlink.FAILURE_UNIT_SYSTEM_BATTERY
    SYSTEM_MOTOR = mavlink.FAILURE_UNIT_SYSTEM_MOTOR


class FailureType(IntEnum):
    OK = mavlink.FAILURE_TYPE_OK
    OFF = mavlink.FAILURE_TYPE_OFF


_OUTCOME_RESULT = {
    CommandOutcome.ACCEPTED: MavResult.ACCEPTED,
    CommandOutcome.REJECTED: MavResult.TEMPORARILY_REJECTED,
    CommandOutcome.DENIED: MavResult.DENIED,
    CommandOutcome.FAILED: MavResult.FAILED,
}


@dataclass(frozen=True)
class CommandRequest:
    """A COMMAND_LONG or COMMAND_INT, with positions already in degrees (NaN when absent)."""

    command: int
    params: tuple[float, float, float, float]
    lat: float
    lon: float
    alt: float
    frame: int
    sender_system: int
    sender_component: int


@dataclass
class CommandReply:
    result: MavResult
    before_ack: list[mavlink.MAVLink_message] = field(default_factory=list)
    ack_count: int = 1
    # ACKs with another result that go out first (DO_SET_MODE: the MAVLink receiver's ACCEPTED).
    leading_acks: tuple[MavResult, ...] = ()


# Commander's printRejectMode() says so at most once per second of PX4 time (Commander.cpp:
# hrt_elapsed_time(&_last_print_mode_reject_time) > 1_s); trace e: 9 texts for 26 refusals 0.5 s apart.
MODE_REJECT_TEXT_INTERVAL_S = 1.0
PX4_MODE_NAMES = {FlightMode.MISSION: "Mission"}


def request_from_long(msg: mavlink.MAVLink_command_long_message) -> CommandRequest:
    return CommandRequest(
        msg.command,
        (msg.param1, msg.param2, msg.param3, msg.param4),
        msg.param5,
        msg.param6,
        msg.param7,
        mavlink.MAV_FRAME_GLOBAL,
        msg.get_srcSystem(),
        msg.get_srcComponent(),
    )


def request_from_int(msg: mavlink.MAVLink_command_int_message) -> CommandRequest:
    lat = msg.x / 1e7 if msg.x != 0 or msg.y != 0 else math.nan
    lon = msg.y / 1e7 if msg.x != 0 or msg.y != 0 else math.nan
    return CommandRequest(
        msg.command,
        (msg.param1, msg.param2, msg.param3, msg.param4),
        lat,
        lon,
        msg.z,
        msg.frame,
        msg.get_srcSystem(),
        msg.get_srcComponent(),
    )


class CommandTarget(Protocol):
    """What command handlers act on (implemented by the vehicle)."""

    flight: FlightController
    params: ParameterStore
    store: MissionStore

    def say(self, severity: Severity, text: str) -> None: ...
    def build_message(self, msg_id: int) -> mavlink.MAVLink_message | None: ...
    def set_message_interval(self, msg_id: int, interval_us: float) -> bool: ...
    def message_interval_us(self, msg_id: int) -> int: ...
    def inside_geofence(self, east_m: float, north_m: float, alt_rel_m: float) -> bool: ...
    def set_home(self, lon: float, lat: float, alt_amsl_m: float) -> None: ...
    def inject_failure(self, unit: FailureUnit, failure: FailureType) -> None: ...


class CommandHandler:
    def __init__(self, target: CommandTarget, encoder: mavlink.MAVLink) -> None:
        self._t = target
        self._mav = encoder
        self._mode_rejected_text_at = -math.inf
        self._handlers: dict[int, Callable[[CommandRequest], CommandReply]] = {
            mavlink.MAV_CMD_COMPONENT_ARM_DISARM: self._arm_disarm,
            mavlink.MAV_CMD_NAV_TAKEOFF: self._takeoff,
            mavlink.MAV_CMD_NAV_LAND: self._land,
            mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH: self._rtl,
            mavlink.MAV_CMD_DO_SET_MODE: self._set_mode,
            mavlink.MAV_CMD_MISSION_START: self._mission_start,
            mavlink.MAV_CMD_DO_REPOSITION: self._reposition,
            mavlink.MAV_CMD_DO_PAUSE_CONTINUE: self._pause_continue,
            mavlink.MAV_CMD_DO_CHANGE_SPEED: self._change_speed,
            mavlink.MAV_CMD_DO_SET_HOME: self._set_home,
            mavlink.MAV_CMD_SET_MESSAGE_INTERVAL: self._set_message_interval,
            mavlink.MAV_CMD_GET_MESSAGE_INTERVAL: self._get_message_interval,
            mavlink.MAV_CMD_REQUEST_MESSAGE: self._request_message,
            mavlink.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: self._request_autopilot_version,
            mavlink.MAV_CMD_INJECT_FAILURE: self._inject_failure,
            mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW: self._gimbal_pitch_yaw,
            mavlink.MAV_CMD_DO_MOUNT_CONTROL: self._mount_control,
            mavlink.MAV_CMD_DO_FLIGHTTERMINATION: self._terminate,
        }

    def handle(self, request: CommandRequest) -> CommandReply:
        handler = self._handlers.get(request.command)
        if handler is None:
            return CommandReply(MavResult.UNSUPPORTED)
        return handler(request)

    def ack(self, request: CommandRequest, result: MavResult) -> mavlink.MAVLink_message:
        return self._mav.command_ack_encode(
            request.command, int(result), 0, 0, request.sender_system, request.sender_component
        )

    # ---- handlers ---------------------------------------------------------------------------------
    def _arm_disarm(self, r: CommandRequest) -> CommandReply:
        force = round(r.params[1]) == FORCE_MAGIC if math.isfinite(r.params[1]) else False
        flight = self._t.flight
        outcome = flight.arm(force) if r.params[0] >= 0.5 else flight.disarm(force)
        return CommandReply(_OUTCOME_RESULT[outcome])

    def _takeoff(self, r: CommandRequest) -> CommandReply:
        alt = r.alt if math.isfinite(r.alt) else None
        return CommandReply(_OUTCOME_RESULT[self._t.flight.takeoff(alt)])

    def _land(self, r: CommandRequest) -> CommandReply:
        return CommandReply(_OUTCOME_RESULT[self._t.flight.land()])

    def _rtl(self, r: CommandRequest) -> CommandReply:
        return CommandReply(_OUTCOME_RESULT[self._t.flight.rtl(RtlSource.COMMAND)])

    def _set_mode(self, r: CommandRequest) -> CommandReply:
        """PX4 v1.16 ACKs DO_SET_MODE twice, ~4 ms apart: mavlink_receiver ACCEPTs it (even a main mode
        it does not know) and forwards it to commander, which ACKs again with its own verdict. A mode
        that cannot run (AUTO.MISSION before the navigator has a checked mission) gets ACCEPTED, then
        TEMPORARILY_REJECTED and, rate-limited, 'Switching to Mission is currently not available'."""
        base, main, sub = r.params[0], r.params[1], r.params[2]
        if int(base) & mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            mode = FlightMode.from_px4(int(main), int(sub) if math.isfinite(sub) else 0)
            if mode is not None and self._t.flight.set_mode(mode) == CommandOutcome.REJECTED:
                self._say_mode_rejected(mode)
                return CommandReply(MavResult.TEMPORARILY_REJECTED, leading_acks=(MavResult.ACCEPTED,))
        return CommandReply(MavResult.ACCEPTED, ack_count=2)

    def _say_mode_rejected(self, mode: FlightMode) -> None:
        now = self._t.flight.time_s
        if now - self._mode_rejected_text_at > MODE_REJECT_TEXT_INTERVAL_S:
            self._mode_rejected_text_at = now
            name = PX4_MODE_NAMES.get(mode, mode.name.title())
            self._t.say(Severity.CRITICAL, f"Switching to {name} is currently not available\t")

    def _mission_start(self, r: CommandRequest) -> CommandReply:
        """Commander: one ACK; DENIED with a text (every time) while there is no checked mission."""
        flight = self._t.flight
        if not flight.mission_ready():
            self._t.say(Severity.CRITICAL, "Mission start denied! No valid mission\t")
            return CommandReply(MavResult.DENIED)
        items = self._t.store.get(MissionType.MISSION)
        first = int(r.params[0]) if math.isfinite(r.params[0]) else 0
        if not -1 <= first < len(items):
            return CommandReply(MavResult.DENIED)
        if 0 < first:
            self._t.store.current_seq = first
        if flight.set_mode(FlightMode.MISSION) == CommandOutcome.REJECTED:
            self._say_mode_rejected(FlightMode.MISSION)
            return CommandReply(MavResult.TEMPORARILY_REJECTED)
        return CommandReply(MavResult.ACCEPTED)

    def _reposition(self, r: CommandRequest) -> CommandReply:
        flight = self._t.flight
        body = flight.body
        if math.isfinite(r.lat) and math.isfinite(r.lon):
            east, north = flight.frame.to_en(r.lon, r.lat)
        else:
            east, north = body.east_m, body.north_m
        if not math.isfinite(r.alt):
            alt_amsl = body.alt_amsl_m
        elif r.frame in (mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT):
            alt_amsl = flight.home_alt_amsl_m + r.alt
        else:
            alt_amsl = r.alt
        if not self._t.inside_geofence(east, north, alt_amsl - flight.home_alt_amsl_m):
            self._t.say(Severity.CRITICAL, "Reposition is outside geofence\t")
            return CommandReply(MavResult.ACCEPTED)
        speed = r.params[0] if math.isfinite(r.params[0]) and r.params[0] > 0 else None
        flight.reposition(east, north, alt_amsl, speed)
        return CommandReply(MavResult.ACCEPTED)

    def _pause_continue(self, r: CommandRequest) -> CommandReply:
        mode = FlightMode.MISSION if r.params[0] >= 0.5 else FlightMode.LOITER
        return CommandReply(_OUTCOME_RESULT[self._t.flight.set_mode(mode)])

    def _change_speed(self, r: CommandRequest) -> CommandReply:
        speed = r.params[1]
        if math.isfinite(speed) and speed > 0:
            self._t.flight.set_speed(speed)
        return CommandReply(MavResult.ACCEPTED)

    def _set_home(self, r: CommandRequest) -> CommandReply:
        flight = self._t.flight
        if r.params[0] >= 0.5 or not (math.isfinite(r.lat) and math.isfinite(r.lon)):
            lon, lat = flight.frame.to_lonlat(flight.body.east_m, flight.body.north_m)
            self._t.set_home(lon, lat, flight.body.alt_amsl_m)
        else:
            alt = r.alt if math.isfinite(r.alt) else flight.home_alt_amsl_m
            self._t.set_home(r.lon, r.lat, alt)
        return CommandReply(MavResult.ACCEPTED)

    def _set_message_interval(self, r: CommandRequest) -> CommandReply:
        if not math.isfinite(r.params[0]) or not math.isfinite(r.params[1]):
            return CommandReply(MavResult.DENIED)
        ok = self._t.set_message_interval(int(r.params[0]), r.params[1])
        return CommandReply(MavResult.ACCEPTED if ok else MavResult.DENIED)

    def _get_message_interval(self, r: CommandRequest) -> CommandReply:
        if not math.isfinite(r.params[0]):
            return CommandReply(MavResult.DENIED)
        msg_id = int(r.params[0])
        reply = self._mav.message_interval_encode(msg_id, self._t.message_interval_us(msg_id))
        return CommandReply(MavResult.ACCEPTED, before_ack=[reply])

    def _request_message(self, r: CommandRequest) -> CommandReply:
        if not math.isfinite(r.params[0]):
            return CommandReply(MavResult.DENIED)
        msg = self._t.build_message(int(r.params[0]))
        if msg is None:
            return CommandReply(MavResult.DENIED)
        return CommandReply(MavResult.ACCEPTED, before_ack=[msg])

    def _request_autopilot_version(self, r: CommandRequest) -> CommandReply:
        msg = self._t.build_message(mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION)
        return CommandReply(MavResult.ACCEPTED, before_ack=[msg] if msg else [])

    def _inject_failure(self, r: CommandRequest) -> CommandReply:
        if self._t.params.get_int("SYS_FAILURE_EN") != 1:
            self._t.say(Severity.CRITICAL, "Failure injection disabled (SYS_FAILURE_EN)\t")
            return CommandReply(MavResult.DENIED)
        try:
            unit = FailureUnit(int(r.params[0]))
            failure = FailureType(int(r.params[1]))
        except (ValueError, OverflowError):
            return CommandReply(MavResult.UNSUPPORTED)
        self._t.inject_failure(unit, failure)
        return CommandReply(MavResult.ACCEPTED)

    def _gimbal_pitch_yaw(self, r: CommandRequest) -> CommandReply:
        pitch, yaw = r.params[0], r.params[1]
        flight = self._t.flight
        if math.isfinite(pitch):
            flight.gimbal_pitch_deg = max(-90.0, min(30.0, pitch))
        if math.isfinite(yaw):
            flight.gimbal_yaw_deg = yaw
        return CommandReply(MavResult.ACCEPTED)

    def _mount_control(self, r: CommandRequest) -> CommandReply:
        flight = self._t.flight
        if math.isfinite(r.params[0]):
            flight.gimbal_pitch_deg = max(-90.0, min(30.0, r.params[0]))
        if math.isfinite(r.params[2]):
            flight.gimbal_yaw_deg = r.params[2]
        return CommandReply(MavResult.ACCEPTED)

    def _terminate(self, r: CommandRequest) -> CommandReply:
        if r.params[0] >= 0.5:
            self._t.say(Severity.EMERGENCY, "Flight termination active\t")
            self._t.flight.motor_failed = True
        return CommandReply(MavResult.ACCEPTED)
