"""Decoders for the few MAVLink messages the station acts on, straight from the payload bytes.

Each returns a small typed record in the vehicle's own units converted to SI with frames in the names;
lat/lon (MAVLink order, 1e7 deg) become lon/lat floats here, at the edge. MAVLink 2 truncates trailing
zero bytes, so every payload is padded to the message's full length before unpacking.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from ground_station.links.framing import Frame


class MsgId(IntEnum):
    HEARTBEAT = 0
    SYS_STATUS = 1
    ATTITUDE = 30
    GLOBAL_POSITION_INT = 33
    MISSION_CURRENT = 42
    MISSION_ITEM_REACHED = 46
    COMMAND_LONG = 76
    COMMAND_ACK = 77
    MISSION_ACK = 47
    BATTERY_STATUS = 147
    AUTOPILOT_VERSION = 148
    HOME_POSITION = 242
    EXTENDED_SYS_STATE = 245
    STATUSTEXT = 253


def _padded(payload: bytes, size: int) -> bytes:
    return payload if len(payload) >= size else payload + bytes(size - len(payload))


_HEARTBEAT = struct.Struct("<IBBBBB")
_SYS_STATUS = struct.Struct("<IIIHHhHHHHHHb")
_ATTITUDE = struct.Struct("<Iffffff")
_GLOBAL_POSITION_INT = struct.Struct("<IiiiihhhH")
_MISSION_CURRENT = struct.Struct("<HHBB")
_MISSION_ITEM_REACHED = struct.Struct("<H")
_BATTERY_STATUS = struct.Struct("<iih10HhBBBb")
_AUTOPILOT_VERSION = struct.Struct("<QQIIIIHH8s")
_HOME_POSITION = struct.Struct("<iii")
_EXTENDED_SYS_STATE = struct.Struct("<BB")
_STATUSTEXT = struct.Struct("<B50sHB")
_MISSION_ACK = struct.Struct("<BBBB")

MAV_TYPE_GCS = 6
MAV_AUTOPILOT_INVALID = 8
MAV_MODE_FLAG_SAFETY_ARMED = 0x80
MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 0x01


@dataclass(frozen=True, slots=True)
class Heartbeat:
    vehicle_type: int
    autopilot: int
    base_mode: int
    custom_mode: int
    system_status: int

    @property
    def armed(self) -> bool:
        return bool(self.base_mode & MAV_MODE_FLAG_SAFETY_ARMED)

    @property
    def from_autopilot(self) -> bool:
        return self.autopilot != MAV_AUTOPILOT_INVALID and self.vehicle_type != MAV_TYPE_GCS


def heartbeat(frame: Frame) -> Heartbeat:
    custom_mode, vtype, autopilot, base_mode, status, _ = _HEARTBEAT.unpack_from(_padded(frame.payload, 9))
    return Heartbeat(vtype, autopilot, base_mode, custom_mode, status)


@dataclass(frozen=True, slots=True)
class PowerStatus:
    voltage_v: float | None
    current_a: float | None
    remaining_pct: float | None


def sys_status(frame: Frame) -> PowerStatus:
    fields = _SYS_STATUS.unpack_from(_padded(frame.payload, _SYS_STATUS.size))
    voltage_mv, current_ca, remaining = fields[4], fields[5], fields[12]
    return PowerStatus(
        voltage_v=None if voltage_mv == 0xFFFF else voltage_mv / 1000.0,
        current_a=None if current_ca == -1 else current_ca / 100.0,
        remaining_pct=None if remaining == -1 else float(remaining),
    )


def battery_status(frame: Frame) -> PowerStatus:
    fields = _BATTERY_STATUS.unpack_from(_padded(frame.payload, _BATTERY_STATUS.size))
    cells = [mv for mv in fields[3:13] if mv != 0xFFFF]
    current_ca, remaining = fields[13], fields[17]
    return PowerStatus(
        voltage_v=sum(cells) / 1000.0 if cells else None,
        current_a=None if current_ca == -1 else current_ca / 100.0,
        remaining_pct=None if remaining == -1 else float(remaining),
    )


@dataclass(frozen=True, slots=True)
class Attitude:
    vehicle_time_ms: int
    roll_rad: float
    pitch_rad: float
    yaw_rad: float


def attitude(frame: Frame) -> Attitude:
    t, roll, pitch, yaw, *_ = _ATTITUDE.unpack_from(_padded(frame.payload, _ATTITUDE.size))
    return Attitude(t, roll, pitch, yaw)


@dataclass(frozen=True, slots=True)
class GlobalPosition:
    vehicle_time_ms: int
    lon: float
    lat: float
    alt_amsl_m: float
    alt_rel_m: float
    vn_mps: float
    ve_mps: float
    vd_mps: float
    heading_deg: float | None


def global_position(frame: Frame) -> GlobalPosition:
    t, lat, lon, alt, rel, vx, vy, vz, hdg = _GLOBAL_POSITION_INT.unpack(
        _padded(frame.payload, _GLOBAL_POSITION_INT.size)
    )
    return GlobalPosition(
        vehicle_time_ms=t,
        lon=lon / 1e7,
        lat=lat / 1e7,
        alt_amsl_m=alt / 1000.0,
        alt_rel_m=rel / 1000.0,
        vn_mps=vx / 100.0,
        ve_mps=vy / 100.0,
        vd_mps=vz / 100.0,
        heading_deg=None if hdg == 0xFFFF else hdg / 100.0,
    )


@dataclass(frozen=True, slots=True)
class MissionCurrent:
    seq: int
    total: int | None


def mission_current(frame: Frame) -> MissionCurrent:
    seq, total, _, _ = _MISSION_CURRENT.unpack_from(_padded(frame.payload, _MISSION_CURRENT.size))
    return MissionCurrent(seq, None if total in (0xFFFF, 0) else total)


def mission_item_reached(frame: Frame) -> int:
    return int(_MISSION_ITEM_REACHED.unpack_from(_padded(frame.payload, 2))[0])


def landed_state(frame: Frame) -> int:
    """MAV_LANDED_STATE: 0 undefined, 1 on ground, 2 in air, 3 takeoff, 4 landing."""
    return int(_EXTENDED_SYS_STATE.unpack_from(_padded(frame.payload, 2))[1])


@dataclass(frozen=True, slots=True)
class AutopilotVersion:
    firmware_version: str


def autopilot_version(frame: Frame) -> AutopilotVersion:
    fields = _AUTOPILOT_VERSION.unpack_from(_padded(frame.payload, _AUTOPILOT_VERSION.size))
    sw, custom = fields[2], fields[8]
    version = f"{(sw >> 24) & 0xFF}.{(sw >> 16) & 0xFF}.{(sw >> 8) & 0xFF}"
    # PX4 stores its git hash byte-reversed in flight_custom_version.
    git = custom[::-1].hex()[:10] if any(custom) else ""
    return AutopilotVersion(f"{version} ({git})" if git else version)


@dataclass(frozen=True, slots=True)
class HomePosition:
    lon: float
    lat: float
    alt_amsl_m: float


def home_position(frame: Frame) -> HomePosition:
    lat, lon, alt = _HOME_POSITION.unpack_from(_padded(frame.payload, _HOME_POSITION.size))
    return HomePosition(lon / 1e7, lat / 1e7, alt / 1000.0)


@dataclass(frozen=True, slots=True)
class StatusTextChunk:
    severity: int
    text: str
    text_id: int
    chunk_seq: int
    final: bool


def statustext(frame: Frame) -> StatusTextChunk:
    severity, raw, text_id, chunk_seq = _STATUSTEXT.unpack_from(_padded(frame.payload, _STATUSTEXT.size))
    nul = raw.find(b"\0")
    text = (raw if nul < 0 else raw[:nul]).decode("utf-8", errors="replace")
    return StatusTextChunk(min(severity, 7), text, text_id, chunk_seq, final=nul >= 0 or text_id == 0)


class StatusTextAssembler:
    """Joins PX4's multi-chunk STATUSTEXT (same id, chunk_seq 0,1,..) and strips the event TAB."""

    def __init__(self) -> None:
        self._parts: dict[int, list[str]] = {}

    def add(self, chunk: StatusTextChunk) -> tuple[int, str] | None:
        if chunk.text_id == 0:
            return chunk.severity, chunk.text.rstrip("\t")
        parts = self._parts.setdefault(chunk.text_id, [])
        parts.append(chunk.text)
        if not chunk.final:
            if len(self._parts) > 16:  # a lost final chunk must not grow this forever
                self._parts.pop(next(iter(self._parts)))
            return None
        del self._parts[chunk.text_id]
        return chunk.severity, "".join(parts).rstrip("\t")


_COMMAND_ACK = struct.Struct("<HB")


def command_ack(frame: Frame) -> tuple[int, int]:
    """(command, MAV_RESULT)."""
    command, result = _COMMAND_ACK.unpack_from(_padded(frame.payload, _COMMAND_ACK.size))
    return int(command), int(result)


def mission_ack(frame: Frame) -> tuple[int, int, int, int]:
    """(target_system, target_component, MAV_MISSION_RESULT, mission_type)."""
    a, b, c, d = _MISSION_ACK.unpack_from(_padded(frame.payload, _MISSION_ACK.size))
    return int(a), int(b), int(c), int(d)
