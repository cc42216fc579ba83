"""What a vehicle shows on the wire, extracted the same way from a real PX4 trace and from our simulator.

The conformance tests compare *facts* rather than bytes: mode sequences, HEARTBEAT fields per phase,
STATUSTEXT texts (chunks joined), command ACK patterns, mission-protocol exchanges and stream rates.
Decoding here is deliberately independent of the simulator's own mode tables, so a wrong table in the
simulator cannot make its own conformance test pass.
"""

from __future__ import annotations

import struct
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymavlink.dialects.v20 import common as mavlink

PX4_MAIN_MODES = {1: "MANUAL", 2: "ALTCTL", 3: "POSCTL", 4: "AUTO", 5: "ACRO", 6: "OFFBOARD", 7: "STABILIZED"}
PX4_AUTO_SUB_MODES = {
    1: "READY",
    2: "TAKEOFF",
    3: "LOITER",
    4: "MISSION",
    5: "RTL",
    6: "LAND",
    8: "FOLLOW_TARGET",
    9: "PRECLAND",
}


def px4_mode_name(custom_mode: int) -> str:
    """PX4 packs main mode in bits 16-23 and sub mode in bits 24-31 of HEARTBEAT.custom_mode."""
    main = (custom_mode >> 16) & 0xFF
    sub = (custom_mode >> 24) & 0xFF
    name = PX4_MAIN_MODES.get(main, f"MAIN{main}")
    if main == 4:
        return f"AUTO.{PX4_AUTO_SUB_MODES.get(sub, f'SUB{sub}')}"
    return name


@dataclass(frozen=True)
class Frame:
    """One MAVLink frame with the wall-clock time it was seen, in seconds."""

    t: float
    msg: Any  # a pymavlink MAVLink_message

    @property
    def sender(self) -> tuple[int, int]:
        return (self.msg.get_srcSystem(), self.msg.get_srcComponent())


def read_tlog(path: Path, *, types: set[str] | None = None) -> Iterator[Frame]:
    """Reads a QGC/MAVProxy ``.tlog`` (8-byte big-endian µs timestamp + raw frame) frame by frame."""
    parser = mavlink.MAVLink(None)
    parser.robust_parsing = True
    wanted_ids = (
        None
        if types is None
        else {msg_id for msg_id, cls in mavlink.mavlink_map.items() if cls.msgname in types}
    )
    data = path.read_bytes()
    pos = 0
    while pos + 8 < len(data):
        (t_us,) = struct.unpack_from(">Q", data, pos)
        pos += 8
        start = pos
        magic = data[pos]
        if magic == 0xFD:
            length = data[pos + 1]
            signed = data[pos + 2] & 0x01
            size = 10 + length + 2 + (13 if signed else 0)
        elif magic == 0xFE:
            size = 6 + data[pos + 1] + 2
        else:  # not at a frame start: resynchronise on the next byte
            pos = start + 1 - 8
            continue
        raw = data[start : start + size]
        pos = start + size
        if wanted_ids is not None and magic == 0xFD and len(raw) >= 10:
            if raw[7] | raw[8] << 8 | raw[9] << 16 not in wanted_ids:
                continue  # skip decoding what the caller does not want (a trace has ~10^5 frames)
        try:
            msgs = parser.parse_buffer(raw) or []
        except mavlink.MAVError:
            continue
        for msg in msgs:
            if msg.get_type() == "BAD_DATA":
                continue
            if types is None or msg.get_type() in types:
                yield Frame(t_us / 1e6, msg)


@dataclass(frozen=True)
class HeartbeatState:
    t: float
    mode: str
    custom_mode: int
    base_mode: int
    system_status: int


@dataclass(frozen=True)
class StatusText:
    t: float
    severity: int
    text: str


@dataclass(frozen=True)
class ParamFrame:
    """A PARAM_VALUE (from the vehicle) or PARAM_SET (to it); ``value`` is the float on the wire, which
    for INT32 parameters holds the integer's bytes (PX4's PARAM_ENCODE_BYTEWISE)."""

    t: float
    from_vehicle: bool
    name: str
    value: float
    param_type: int

    @property
    def bytewise_int(self) -> int:
        return int(struct.unpack("<i", struct.pack("<f", self.value))[0])


@dataclass
class WireFacts:
    heartbeats: list[HeartbeatState] = field(default_factory=list)  # changes only
    statustexts: list[StatusText] = field(default_factory=list)  # chunks joined
    landed_states: list[tuple[float, int]] = field(default_factory=list)  # changes only
    acks: list[tuple[float, int, int]] = field(default_factory=list)  # (t, command, result)
    mission: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    items_reached: list[tuple[float, int]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    params: list[ParamFrame] = field(default_factory=list)
    gcs_heartbeats: list[float] = field(default_factory=list)  # times of HEARTBEATs with type GCS
    first_t: float = 0.0
    duration_s: float = 0.0

    @property
    def mode_sequence(self) -> list[str]:
        """Modes in the order they were shown, consecutive repeats folded."""
        seq: list[str] = []
        for hb in self.heartbeats:
            if not seq or seq[-1] != hb.mode:
                seq.append(hb.mode)
        return seq

    def rate_hz(self, msg_type: str) -> float:
        return self.counts[msg_type] / self.duration_s if self.duration_s > 0 else 0.0

    def texts(self) -> list[str]:
        return [s.text for s in self.statustexts]


MISSION_TYPES = {
    "MISSION_COUNT",
    "MISSION_REQUEST",
    "MISSION_REQUEST_INT",
    "MISSION_ITEM",
    "MISSION_ITEM_INT",
    "MISSION_ACK",
    "MISSION_CLEAR_ALL",
    "MISSION_REQUEST_LIST",
}


def extract_facts(frames: Iterable[Frame], *, vehicle: tuple[int, int] = (1, 1)) -> WireFacts:
    """Folds a frame stream into facts; ``vehicle`` is the (sysid, compid) of the autopilot."""
    facts = WireFacts()
    chunks: dict[int, list[str]] = defaultdict(list)
    last_landed: int | None = None
    first_t: float | None = None
    last_t = 0.0
    for frame in frames:
        msg = frame.msg
        kind = msg.get_type()
        first_t = frame.t if first_t is None else first_t
        last_t = frame.t
        from_vehicle = frame.sender == vehicle
        if kind in MISSION_TYPES:
            fields = msg.to_dict()
            fields.pop("mavpackettype", None)
            facts.mission.append((frame.t, ("V2G " if from_vehicle else "G2V ") + kind, fields))
        if kind in ("PARAM_VALUE", "PARAM_SET"):
            name = msg.param_id if isinstance(msg.param_id, str) else msg.param_id.decode(errors="replace")
            facts.params.append(
                ParamFrame(frame.t, from_vehicle, name.rstrip("\x00"), msg.param_value, msg.param_type)
            )
        if not from_vehicle:
            if kind == "HEARTBEAT" and msg.type == mavlink.MAV_TYPE_GCS:
                facts.gcs_heartbeats.append(frame.t)
            continue
        facts.counts[kind] += 1
        if kind == "HEARTBEAT":
            state = HeartbeatState(
                frame.t, px4_mode_name(msg.custom_mode), msg.custom_mode, msg.base_mode, msg.system_status
            )
            prev = facts.heartbeats[-1] if facts.heartbeats else None
            if prev is None or (prev.custom_mode, prev.base_mode, prev.system_status) != (
                state.custom_mode,
                state.base_mode,
                state.system_status,
            ):
                facts.heartbeats.append(state)
        elif kind == "STATUSTEXT":
            text = msg.text if isinstance(msg.text, str) else msg.text.decode(errors="replace")
            msg_id = getattr(msg, "id", 0)
            if msg_id == 0:
                facts.statustexts.append(StatusText(frame.t, msg.severity, text))
                continue
            chunks[msg_id].append(text)
            if len(text) < 50:  # the last chunk is the short one
                facts.statustexts.append(StatusText(frame.t, msg.severity, "".join(chunks.pop(msg_id))))
        elif kind == "EXTENDED_SYS_STATE":
            if msg.landed_state != last_landed:
                facts.landed_states.append((frame.t, msg.landed_state))
                last_landed = msg.landed_state
        elif kind == "COMMAND_ACK":
            facts.acks.append((frame.t, msg.command, msg.result))
        elif kind == "MISSION_ITEM_REACHED":
            facts.items_reached.append((frame.t, msg.seq))
    facts.first_t = first_t or 0.0
    facts.duration_s = last_t - facts.first_t
    return facts


def within(frames: Iterable[Frame], start: float, end: float) -> Iterator[Frame]:
    """The frames seen between two absolute times (seconds since the Unix epoch), inclusive."""
    return (frame for frame in frames if start <= frame.t <= end)
