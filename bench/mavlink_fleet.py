"""Scripted PX4-shaped MAVLink vehicles: the load generator of ``bench_station`` and the fake vehicle
of the link tests (where a real simulator is not needed or not available).

Not a simulator: kinematics are straight lines at constant speed. What it gets right is the wire: PX4's
API-link message mix and rates (see shared/data/flightlogs/px4_sitl/README.md, ~400 frames/s),
HEARTBEAT with PX4 custom modes, COMMAND_LONG/INT with ACKs, the mission upload/download protocol
(mission, fence, rally), MISSION_CURRENT/ITEM_REACHED, EXTENDED_SYS_STATE and home position.
Periodic frames are packed with ``struct`` and the C-speed CRC so that 50 vehicles fit in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import math
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pymavlink.dialects.v20 import all as mavlink_all

from ground_station.links.framing import CRC_EXTRA, FrameSplitter, mavlink_crc

PX4_MODE = {
    "AUTO.TAKEOFF": 0x02040000,
    "AUTO.LOITER": 0x03040000,
    "AUTO.MISSION": 0x04040000,
    "AUTO.RTL": 0x05040000,
    "AUTO.LAND": 0x06040000,
    "POSCTL": 0x00030000,
}
MODE_BY_CUSTOM = {v: k for k, v in PX4_MODE.items()}
EARTH_RADIUS_M = 6_371_000.0

# (msgid, rate Hz) of the PX4 API link that carry no state the station uses: zero payloads.
FILLER_STREAMS: tuple[tuple[int, float], ...] = (
    (105, 50.0),  # HIGHRES_IMU
    (31, 50.0),  # ATTITUDE_QUATERNION
    (32, 30.0),  # LOCAL_POSITION_NED
    (331, 30.0),  # ODOMETRY
    (83, 10.0),  # ATTITUDE_TARGET
    (85, 10.0),  # POSITION_TARGET_LOCAL_NED
    (36, 10.0),  # SERVO_OUTPUT_RAW
    (141, 10.0),  # ALTITUDE
    (111, 10.0),  # TIMESYNC
    (132, 10.0),  # DISTANCE_SENSOR
    (74, 10.0),  # VFR_HUD
    (24, 8.0),  # GPS_RAW_INT
)


def _payload_size(msgid: int) -> int:
    return int(mavlink_all.mavlink_map[msgid].unpacker.size)


class Rx(IntEnum):
    """Messages the scripted vehicle answers."""

    PARAM_SET = 23
    MISSION_REQUEST = 40
    MISSION_REQUEST_LIST = 43
    MISSION_COUNT = 44
    MISSION_CLEAR_ALL = 45
    MISSION_ACK = 47
    MISSION_REQUEST_INT = 51
    MISSION_ITEM_INT = 73
    COMMAND_INT = 75
    COMMAND_LONG = 76


class FrameEncoder:
    """MAVLink 2 framing for one (system, component) with its own sequence counter."""

    def __init__(self, sysid: int, compid: int) -> None:
        self.sysid = sysid
        self.compid = compid
        self.seq = 0

    def frame(self, msgid: int, payload: bytes) -> bytes:
        header = struct.pack(
            "<BBBBBBBHB",
            0xFD,
            len(payload),
            0,
            0,
            self.seq,
            self.sysid,
            self.compid,
            msgid & 0xFFFF,
            msgid >> 16,
        )
        self.seq = (self.seq + 1) & 0xFF
        crc = mavlink_crc(header[1:] + payload + bytes((CRC_EXTRA[msgid],)))
        return header + payload + struct.pack("<H", crc)


@dataclass
class MissionItem:
    seq: int
    frame: int
    command: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float
    mission_type: int
    current: int = 0
    autocontinue: int = 1


@dataclass
class VehicleProfile:
    position_hz: float = 50.0
    attitude_hz: float = 100.0
    fillers: bool = True
    cruise_mps: float = 10.0
    climb_mps: float = 3.0


@dataclass
class _Upload:
    mission_type: int
    count: int
    items: list[MissionItem] = field(default_factory=list)
    requester: tuple[int, int] = (0, 0)


def px4_readback(item: MissionItem) -> MissionItem:
    """An item as PX4 v1.16 reports it on download (``format_mavlink_mission_item``; trace e): frames
    in their _INT form, fence points without autocontinue, a waypoint's unused param3 dropped."""
    frame = {0: 5, 3: 6}.get(item.frame, item.frame)
    if item.mission_type == 1:
        return dataclasses.replace(item, frame=frame, autocontinue=0)
    if item.command == 16:
        yaw = item.param4 if math.isnan(item.param4) else item.param4 % 360.0
        return dataclasses.replace(item, frame=frame, param3=0.0, param4=yaw)
    return dataclasses.replace(item, frame=frame)


class ScriptedVehicle:
    """One vehicle on its own UDP socket that sends to ``target`` and answers whoever talks back."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        system_id: int = 1,
        home_lon: float = 17.2050,
        home_lat: float = 50.2290,
        home_alt_amsl_m: float = 430.0,
        profile: VehicleProfile | None = None,
        takeoff_alt_m: float = 2.5,
    ) -> None:
        self.target = target
        self.profile = profile or VehicleProfile()
        self.enc = FrameEncoder(system_id, 1)
        self.mav = mavlink_all.MAVLink(None, srcSystem=system_id, srcComponent=1)
        self.home = (home_lon, home_lat, home_alt_amsl_m)
        self.lon, self.lat, self.alt_amsl_m = home_lon, home_lat, home_alt_amsl_m
        self.vn = self.ve = self.vd = 0.0
        self.armed = False
        self.landed_state = 1
        self.mode = "AUTO.LOITER"
        self.takeoff_alt_m = takeoff_alt_m
        self.goal: tuple[float, float, float] | None = None
        self.missions: dict[int, list[MissionItem]] = {0: [], 1: [], 2: []}
        self.mission_seq = 0
        self.reached: int | None = None
        self.battery_pct = 100.0
        self.commands: list[int] = []
        self.params: dict[str, float] = {}
        self.corrupt_uploads = False
        self.mission_load_delay_s = 0.0
        """PX4 loads an uploaded mission 0.5-3 s after its MISSION_ACK and refuses AUTO.MISSION until then."""
        self._mission_loaded_at = 0.0
        self.received_frames = 0
        self.gcs_heartbeats = 0
        self.garbage_every_s: float | None = None
        self._upload: _Upload | None = None
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._boot = time.monotonic()
        self._splitter = FrameSplitter()
        self._fillers = [(msgid, rate, bytes(_payload_size(msgid))) for msgid, rate in FILLER_STREAMS]
        self._peer: tuple[str, int] = target

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        loop = asyncio.get_running_loop()
        loop.add_reader(self._sock.fileno(), self._readable)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    @property
    def address(self) -> tuple[str, int]:
        assert self._sock is not None
        return self._sock.getsockname()[:2]

    @property
    def alt_rel_m(self) -> float:
        return self.alt_amsl_m - self.home[2]

    def send_raw(self, data: bytes) -> None:
        if self._sock is not None:
            with contextlib.suppress(BlockingIOError, OSError):
                self._sock.sendto(data, self.target)

    def _send(self, msgid: int, payload: bytes) -> None:
        self.send_raw(self.enc.frame(msgid, payload))

    def _send_msg(self, msg: Any) -> None:
        self.send_raw(bytes(msg.pack(self.mav)))

    # -- periodic streams ------------------------------------------------------------------------------

    async def _run(self) -> None:
        streams = self._streams()
        next_due = [0.0] * len(streams)
        last = time.monotonic()
        while True:
            now = time.monotonic()
            self._step(now - last)
            last = now
            for index, (rate, send) in enumerate(streams):
                if now >= next_due[index]:
                    next_due[index] = max(next_due[index], now - 1.0 / rate) + 1.0 / rate
                    send()
            await asyncio.sleep(0.01)

    def _streams(self) -> list[tuple[float, Callable[[], None]]]:
        p = self.profile
        streams: list[tuple[float, Callable[[], None]]] = [
            (1.0, self._heartbeat),
            (p.position_hz, self._global_position),
            (p.attitude_hz, self._attitude),
            (5.0, self._sys_status),
            (5.0, self._extended_sys_state),
            (1.0, self._mission_current),
            (0.5, self._battery_status),
            (0.5, self._home_position),
        ]
        if p.fillers:
            for msgid, rate, payload in self._fillers:
                streams.append((rate, functools.partial(self._send, msgid, payload)))
        return [(rate, send) for rate, send in streams if rate > 0]

    def _time_boot_ms(self) -> int:
        return int((time.monotonic() - self._boot) * 1000) & 0xFFFFFFFF

    def _heartbeat(self) -> None:
        base_mode = 0x1D | (0x80 if self.armed else 0)
        status = 4 if self.armed else 3
        self._send(0, struct.pack("<IBBBBB", PX4_MODE[self.mode], 2, 12, base_mode, status, 3))

    def _global_position(self) -> None:
        hdg = int((math.degrees(math.atan2(self.ve, self.vn)) % 360) * 100)
        self._send(
            33,
            struct.pack(
                "<IiiiihhhH",
                self._time_boot_ms(),
                round(self.lat * 1e7),
                round(self.lon * 1e7),
                round(self.alt_amsl_m * 1000),
                round(self.alt_rel_m * 1000),
                round(self.vn * 100),
                round(self.ve * 100),
                round(self.vd * 100),
                hdg,
            ),
        )

    def _attitude(self) -> None:
        yaw = math.atan2(self.ve, self.vn)
        self._send(30, struct.pack("<Iffffff", self._time_boot_ms(), 0.0, 0.0, yaw, 0.0, 0.0, 0.0))

    def _sys_status(self) -> None:
        voltage = int(15300 + 900 * self.battery_pct / 100)
        self._send(
            1,
            struct.pack("<IIIHHhHHHHHHb", 0, 0, 0, 0, voltage, 500, 0, 0, 0, 0, 0, 0, int(self.battery_pct)),
        )

    def _battery_status(self) -> None:
        cells = [int(15300 + 900 * self.battery_pct / 100)] + [0xFFFF] * 9
        payload = struct.pack("<iih10HhBBBb", 0, 0, 2500, *cells, 500, 0, 0, 0, int(self.battery_pct))
        self._send(147, payload)

    def _extended_sys_state(self) -> None:
        self._send(245, struct.pack("<BB", 0, self.landed_state))

    @property
    def mission_loaded(self) -> bool:
        return time.monotonic() >= self._mission_loaded_at

    def _mission_current(self) -> None:
        total = (len(self.missions[0]) if self.mission_loaded else 0) or 0xFFFF
        self._send(42, struct.pack("<HHBB", self.mission_seq, total, 0, 0))

    def _home_position(self) -> None:
        lon, lat, alt = self.home
        payload = struct.pack(
            "<iiifff4ffff",
            round(lat * 1e7),
            round(lon * 1e7),
            round(alt * 1000),
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
        )
        self._send(242, payload)

    def statustext(self, text: str, severity: int = 6) -> None:
        self._send(253, struct.pack("<B50sHB", severity, text.encode()[:50], 0, 0))

    # -- kinematics ------------------------------------------------------------------------------------

    def _step(self, dt_s: float) -> None:
        if not self.armed:
            self.vn = self.ve = self.vd = 0.0
            return
        if self.armed and self.landed_state != 1:
            self.battery_pct = max(0.0, self.battery_pct - 0.02 * dt_s)
        if self.mode == "AUTO.TAKEOFF":
            self._fly_to((self.lon, self.lat, self.home[2] + self.takeoff_alt_m), dt_s)
            self.landed_state = 3
            if abs(self.alt_rel_m - self.takeoff_alt_m) < 0.2:
                self.landed_state = 2
                self.mode = "AUTO.LOITER"
        elif self.mode == "AUTO.MISSION":
            self._mission_step(dt_s)
        elif self.mode == "AUTO.RTL":
            lon, lat, alt = self.home
            if self._fly_to(
                (lon, lat, max(self.alt_amsl_m, alt + 30.0) if self._dist_m(lon, lat) > 1 else alt), dt_s
            ):
                self._landed()
        elif self.mode == "AUTO.LAND":
            if self._fly_to((self.lon, self.lat, self.home[2]), dt_s, climb_mps=0.7):
                self._landed()
        elif self.mode == "AUTO.LOITER" and self.goal is not None:
            if self._fly_to(self.goal, dt_s):
                self.goal = None
        else:
            self.vn = self.ve = self.vd = 0.0

    def _landed(self) -> None:
        self.landed_state = 1
        self.armed = False
        self.vn = self.ve = self.vd = 0.0
        self.statustext("Disarmed by landing\t")

    def _dist_m(self, lon: float, lat: float) -> float:
        dn = math.radians(lat - self.lat) * EARTH_RADIUS_M
        de = math.radians(lon - self.lon) * EARTH_RADIUS_M * math.cos(math.radians(self.lat))
        return math.hypot(dn, de)

    def _fly_to(self, goal: tuple[float, float, float], dt_s: float, climb_mps: float | None = None) -> bool:
        lon, lat, alt = goal
        climb = climb_mps or self.profile.climb_mps
        dn = math.radians(lat - self.lat) * EARTH_RADIUS_M
        de = math.radians(lon - self.lon) * EARTH_RADIUS_M * math.cos(math.radians(self.lat))
        du = alt - self.alt_amsl_m
        dist = math.hypot(dn, de)
        step = self.profile.cruise_mps * dt_s
        if dist > 0.05:
            f = min(1.0, step / dist)
            self.lat += math.degrees(dn * f / EARTH_RADIUS_M)
            self.lon += math.degrees(de * f / (EARTH_RADIUS_M * math.cos(math.radians(self.lat))))
            self.vn, self.ve = dn / dist * self.profile.cruise_mps, de / dist * self.profile.cruise_mps
        else:
            self.vn = self.ve = 0.0
        dz = max(-climb * dt_s, min(climb * dt_s, du))
        self.alt_amsl_m += dz
        self.vd = -dz / dt_s if dt_s > 0 else 0.0
        return dist <= 0.5 and abs(du) <= 0.2

    def _mission_step(self, dt_s: float) -> None:
        items = self.missions[0]
        while self.mission_seq < len(items) and items[self.mission_seq].command not in (16, 20, 21, 22):
            self.mission_seq += 1  # DO_* items take effect at once
        if self.mission_seq >= len(items):
            self.mode = "AUTO.LOITER"
            return
        item = items[self.mission_seq]
        if item.command == 20:
            self.mode = "AUTO.RTL"
            return
        if item.command == 21:
            self.mode = "AUTO.LAND"
            return
        alt = item.z + (self.home[2] if item.frame in (3, 6) else 0.0)
        lon = item.y / 1e7 if item.y else self.lon
        lat = item.x / 1e7 if item.x else self.lat
        if self._fly_to((lon, lat, alt), dt_s):
            self.reached = self.mission_seq
            self._send(46, struct.pack("<H", self.mission_seq))
            self.mission_seq += 1

    # -- commands and mission protocol -----------------------------------------------------------------

    def _readable(self) -> None:
        assert self._sock is not None
        for _ in range(64):
            try:
                data, addr = self._sock.recvfrom(65536)
            except (BlockingIOError, OSError):
                return
            self._peer = addr
            frames = self._splitter.feed(data)
            self._splitter.reset()
            for frame in frames:
                self.received_frames += 1
                if frame.msgid == 0:
                    self.gcs_heartbeats += 1
                    continue
                if frame.msgid in Rx._value2member_map_:
                    try:
                        msg = self.mav.decode(bytearray(frame.raw))
                    except Exception:
                        continue
                    self._handle(msg)

    def _ack(self, command: int, result: int, msg: Any) -> None:
        self._send_msg(
            self.mav.command_ack_encode(command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent())
        )

    def _handle(self, msg: Any) -> None:
        # one dispatch over the protocol's messages
        name = msg.get_msgId()
        if name in (Rx.COMMAND_LONG, Rx.COMMAND_INT):
            if msg.target_system not in (0, self.enc.sysid):
                return
            self._command(msg)
        elif name == Rx.MISSION_COUNT:
            self._upload = _Upload(
                msg.mission_type, msg.count, requester=(msg.get_srcSystem(), msg.get_srcComponent())
            )
            if msg.count == 0:
                self.missions[msg.mission_type] = []
                self._send_msg(self.mav.mission_ack_encode(*self._upload.requester, 0, msg.mission_type))
                self._upload = None
            else:
                self._send_msg(
                    self.mav.mission_request_int_encode(*self._upload.requester, 0, msg.mission_type)
                )
        elif name == Rx.MISSION_ITEM_INT and self._upload is not None:
            up = self._upload
            if msg.seq != len(up.items):
                return
            m = msg
            up.items.append(
                MissionItem(
                    m.seq,
                    m.frame,
                    m.command,
                    m.param1,
                    m.param2,
                    m.param3,
                    m.param4,
                    m.x,
                    m.y,
                    m.z,
                    m.mission_type,
                    m.current,
                    m.autocontinue,
                )
            )
            if len(up.items) < up.count:
                self._send_msg(
                    self.mav.mission_request_int_encode(*up.requester, len(up.items), up.mission_type)
                )
            else:
                if self.corrupt_uploads and up.items:  # a vehicle that stores something else
                    up.items[-1] = dataclasses.replace(up.items[-1], z=up.items[-1].z + 25.0)
                self.missions[up.mission_type] = up.items
                if up.mission_type == 0:
                    self.mission_seq = 0
                    self._mission_loaded_at = time.monotonic() + self.mission_load_delay_s
                self._send_msg(self.mav.mission_ack_encode(*up.requester, 0, up.mission_type))
                self._upload = None
        elif name == Rx.MISSION_REQUEST_LIST:
            items = self.missions.get(msg.mission_type, [])
            self._send_msg(
                self.mav.mission_count_encode(
                    msg.get_srcSystem(), msg.get_srcComponent(), len(items), msg.mission_type
                )
            )
        elif name in (Rx.MISSION_REQUEST_INT, Rx.MISSION_REQUEST):
            items = self.missions.get(msg.mission_type, [])
            if msg.seq < len(items):
                i = px4_readback(items[msg.seq])
                self._send_msg(
                    self.mav.mission_item_int_encode(
                        msg.get_srcSystem(),
                        msg.get_srcComponent(),
                        i.seq,
                        i.frame,
                        i.command,
                        1 if i.seq == 0 else 0,
                        i.autocontinue,
                        i.param1,
                        i.param2,
                        i.param3,
                        i.param4,
                        i.x,
                        i.y,
                        i.z,
                        i.mission_type,
                    )
                )
        elif name == Rx.PARAM_SET:
            self.params[msg.param_id] = msg.param_value
            self._send_msg(
                self.mav.param_value_encode(msg.param_id.encode(), msg.param_value, msg.param_type, 1, 0)
            )
            if msg.param_id == "MIS_TAKEOFF_ALT":
                self.takeoff_alt_m = msg.param_value
        elif name == Rx.MISSION_CLEAR_ALL:
            self.missions[msg.mission_type] = []
            self._send_msg(
                self.mav.mission_ack_encode(msg.get_srcSystem(), msg.get_srcComponent(), 0, msg.mission_type)
            )

    def _command(self, msg: Any) -> None:
        m = msg
        command = m.command
        self.commands.append(command)
        accepted, denied, unsupported = 0, 1, 3
        if command == 400:  # ARM_DISARM
            arm = m.param1 > 0.5
            if not arm and self.landed_state != 1:
                self._ack(command, denied, m)
                self.statustext("Disarming denied: not landed\t", 2)
                return
            if arm and not self.armed:
                self.statustext("Armed by external command\t")
            self.armed = arm
            self._ack(command, accepted, m)
        elif command == 22:  # NAV_TAKEOFF
            if not math.isnan(m.param7) and m.param7 != 0:
                self.takeoff_alt_m = m.param7 - self.home[2]
            self.mode = "AUTO.TAKEOFF"
            self._ack(command, accepted, m)
        elif command == 20:
            self.mode = "AUTO.RTL"
            self._ack(command, accepted, m)
        elif command == 21:
            self.mode = "AUTO.LAND"
            self._ack(command, accepted, m)
        elif command == 300:  # MISSION_START
            if not self.mission_loaded:
                self._ack(command, denied, m)
                self.statustext("Mission start denied! No valid mission\t", 3)
                return
            self.mode = "AUTO.MISSION"
            self._ack(command, accepted, m)
        elif command == 176:  # DO_SET_MODE
            custom = (int(m.param2) << 16) | (int(m.param3) << 24)
            if MODE_BY_CUSTOM.get(custom) == "AUTO.MISSION" and not self.mission_loaded:
                # PX4 v1.16 (trace e): ACCEPTED, then TEMPORARILY_REJECTED and a text, mode unchanged
                self._ack(command, accepted, m)
                self._ack(command, 1, m)
                self.statustext("Switching to Mission is currently not available\t", 3)
                return
            if custom in MODE_BY_CUSTOM:
                self.mode = MODE_BY_CUSTOM[custom]
                if self.mode == "AUTO.LOITER":
                    self.goal = None
            self._ack(command, accepted, m)
            self._ack(command, accepted, m)  # PX4 acks DO_SET_MODE twice
        elif command == 192:  # DO_REPOSITION (COMMAND_INT, x/y in 1e7 deg, z AMSL)
            self.goal = (m.y / 1e7, m.x / 1e7, m.z)
            self.mode = "AUTO.LOITER"
            self._ack(command, accepted, m)
        elif command == 512:  # REQUEST_MESSAGE
            if int(m.param1) == 148:
                custom = bytes.fromhex("6ea3539157ca358c")[::-1]
                self._send(148, struct.pack("<QQIIIIHH8s", 0xE8FF, 0, 0x011000FF, 0, 0, 0, 0, 0, custom))
            elif int(m.param1) == 242:
                self._home_position()
            self._ack(command, accepted, m)
        elif command in (511, 178, 179, 2003, 520, 410):
            self._ack(command, accepted, m)
        else:
            self._ack(command, unsupported, m)


async def run_fleet(targets: list[tuple[str, int]], profile: VehicleProfile, duration_s: float) -> None:
    """Runs one scripted vehicle per target for ``duration_s`` seconds (the benchmark's load process)."""
    vehicles = [ScriptedVehicle(t, profile=profile) for t in targets]
    for v in vehicles:
        await v.start()
    try:
        await asyncio.sleep(duration_s)
    finally:
        for v in vehicles:
            await v.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.mavlink_fleet --vehicles N --base-port P --duration S``: vehicle i sends to
    127.0.0.1:P+i (like ``borderwatch sim run``), with the PX4 API-link message mix."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--vehicles", type=int, required=True)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--position-hz", type=float, default=50.0)
    parser.add_argument("--no-fillers", action="store_true")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    profile = VehicleProfile(position_hz=args.position_hz, fillers=not args.no_fillers)

    async def fly() -> None:
        import random

        rng = random.Random(args.seed)
        vehicles = []
        for i in range(args.vehicles):
            # homes spread uniformly over the Jesenik-Nysa box; each flies a leg in a random direction
            v = ScriptedVehicle(
                ("127.0.0.1", args.base_port + i),
                home_lon=rng.uniform(16.9, 17.7),
                home_lat=rng.uniform(50.1, 50.6),
                profile=profile,
            )
            vehicles.append(v)
            await v.start()
        await asyncio.sleep(1.0)
        for v in vehicles:
            v.armed = True
            v.landed_state = 2
            v.alt_amsl_m += 60.0
            bearing = rng.uniform(0, 2 * math.pi)
            v.goal = (v.lon + 0.05 * math.sin(bearing), v.lat + 0.03 * math.cos(bearing), v.alt_amsl_m)
        try:
            await asyncio.sleep(args.duration)
        finally:
            for v in vehicles:
                await v.stop()

    asyncio.run(fly())


if __name__ == "__main__":
    main()
