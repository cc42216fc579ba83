"""Shared helpers for the simulator tests: ephemeral ports, an in-process world, a UDP relay that can
cut the link, a raw pymavlink ground station."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time
from collections.abc import AsyncIterator, Callable

from pymavlink.dialects.v20 import common as mavlink

from sim.scenario import BatteryConfig, HomeSpec, Scenario, VehicleSpec
from sim.terrain_source import FlatGround, TerrainLike
from sim.world import World, WorldPorts

HOME_LON = 17.2050
HOME_LAT = 50.2290
HOME_ALT = 430.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_vehicle_scenario(params: dict[str, float] | None = None, **scenario_fields: object) -> Scenario:
    vehicle = VehicleSpec(
        slug="sim-1",
        home=HomeSpec(lon=HOME_LON, lat=HOME_LAT, alt_amsl_m=HOME_ALT),
        battery=BatteryConfig(),
        params=params or {},
    )
    return Scenario.model_validate({"name": "test", "vehicles": [vehicle.model_dump()], **scenario_fields})


@contextlib.asynccontextmanager
async def running_world(
    scenario: Scenario, gcs_port: int, speed: float = 1.0, terrain: TerrainLike | None = None
) -> AsyncIterator[World]:
    world = World(
        scenario, terrain or FlatGround(HOME_ALT), speed=speed, ports=WorldPorts(gcs_ports=(gcs_port,))
    )
    await world.start()
    task = asyncio.create_task(world.run())
    try:
        yield world
    finally:
        world.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        world.close()


def offset_lonlat(east_m: float, north_m: float) -> tuple[float, float]:
    """lon/lat of a point east/north of the test home (small-offset approximation, ample for tests)."""
    lat = HOME_LAT + north_m / 111_225.0
    lon = HOME_LON + east_m / (111_225.0 * math.cos(math.radians(HOME_LAT)))
    return lon, lat


class RawGcs:
    """A pymavlink ground station on a non-blocking UDP socket (sysid 255/190 like trace d)."""

    def __init__(self, port: int = 0, system_id: int = 255, component_id: int = 190) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.port = int(self.sock.getsockname()[1])
        self.mav = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self._decoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self._decoder.robust_parsing = True
        self.vehicle: tuple[str, int] | None = None
        self.received: list[tuple[float, mavlink.MAVLink_message]] = []
        self._last_hb = 0.0
        self.send_heartbeats = True
        self.is_px4 = False  # talking to real PX4 SITL (timing on its slower-than-wall clock)
        # Vehicle time on the wire -> the clock its link timers run on (``RecordedLink.boot_to_link``).
        self.boot_to_link: Callable[[float], float] = lambda boot_s: boot_s
        self.repeat_step_s = 0.0  # ``RecordedLink.repeat_step_s``

    def close(self) -> None:
        self.sock.close()

    def send(self, msg: mavlink.MAVLink_message) -> None:
        assert self.vehicle is not None, "no vehicle heard yet"
        self.sock.sendto(msg.pack(self.mav), self.vehicle)
        self.mav.seq = (self.mav.seq + 1) & 0xFF

    def send_raw(self, data: bytes) -> None:
        assert self.vehicle is not None
        self.sock.sendto(data, self.vehicle)

    def pump(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(65535)
            except BlockingIOError:
                break
            self.vehicle = addr
            for msg in self._decoder.parse_buffer(data) or []:
                if msg.get_type() != "BAD_DATA":
                    self.received.append((time.monotonic(), msg))
        now = time.monotonic()
        if self.send_heartbeats and self.vehicle is not None and now - self._last_hb >= 1.0:
            self._last_hb = now
            self.send(self.mav.heartbeat_encode(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 4))

    async def wait_for(
        self,
        predicate: Callable[[mavlink.MAVLink_message], bool],
        timeout: float,
        since: float | None = None,
    ) -> mavlink.MAVLink_message | None:
        """The first received message (after ``since``) matching ``predicate``, pumping meanwhile."""
        start = since if since is not None else time.monotonic()
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            self.pump()
            for stamp, msg in self.received[seen:]:
                if stamp >= start and predicate(msg):
                    return msg
            seen = len(self.received)
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.005)

    async def collect(
        self, seconds: float, since: float | None = None
    ) -> list[tuple[float, mavlink.MAVLink_message]]:
        start = since if since is not None else time.monotonic()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump()
            await asyncio.sleep(0.005)
        return [(t, m) for t, m in self.received if t >= start]

    def command_long(self, command: int, *params: float, target: tuple[int, int] = (1, 1)) -> None:
        values = list(params) + [0.0] * (7 - len(params))
        self.send(self.mav.command_long_encode(target[0], target[1], command, 0, *values))


def waypoint_item(
    mav: mavlink.MAVLink, seq: int, east_m: float, north_m: float, alt_rel_m: float, mission_type: int = 0
) -> mavlink.MAVLink_mission_item_int_message:
    lon, lat = offset_lonlat(east_m, north_m)
    return mav.mission_item_int_encode(
        1, 1, seq, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mavlink.MAV_CMD_NAV_WAYPOINT, 0, 1,
        0.0, 2.0, 0.0, math.nan, round(lat * 1e7), round(lon * 1e7), alt_rel_m, mission_type,
    )  # fmt: skip


async def upload_items(gcs: RawGcs, items: list[mavlink.MAVLink_message], mission_type: int = 0) -> int:
    """Answers the vehicle's requests until its MISSION_ACK; returns the ACK result (-1 on timeout)."""
    start = time.monotonic()
    gcs.send(gcs.mav.mission_count_encode(1, 1, len(items), mission_type))
    answered = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        gcs.pump()
        for stamp, msg in gcs.received[answered:]:
            answered += 1
            if stamp < start:
                continue
            kind = msg.get_type()
            if kind in ("MISSION_REQUEST", "MISSION_REQUEST_INT") and msg.mission_type == mission_type:
                gcs.send(items[msg.seq])
            elif kind == "MISSION_ACK" and msg.mission_type == mission_type:
                return int(msg.type)
        await asyncio.sleep(0.002)
    return -1


async def wait_until(predicate: Callable[[], bool], timeout: float, pump: RawGcs | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pump is not None:
            pump.pump()
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return False


def texts(gcs: RawGcs, since: float = 0.0) -> list[str]:
    """STATUSTEXTs received since ``since``, chunks joined back into whole texts by their id."""
    out: list[str] = []
    last_id: int | None = None
    for stamp, msg in gcs.received:
        if stamp < since or msg.get_type() != "STATUSTEXT":
            continue
        if msg.chunk_seq > 0 and last_id == msg.id and out:
            out[-1] += msg.text
        else:
            out.append(msg.text)
        last_id = msg.id
    return out
