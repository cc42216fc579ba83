"""Link router against scripted PX4-shaped vehicles over real UDP on ephemeral ports."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pymavlink import mavutil

from bench.mavlink_fleet import ScriptedVehicle, VehicleProfile
from ground_station.bus import InProcessBus
from ground_station.bus.messages import (
    BusMessage,
    FlightEventKind,
    FlightEventMsg,
    PositionMsg,
    StatusMsg,
    VehicleState,
)
from ground_station.links.router import LinkRouter, RouterOptions, VehicleLinkConfig
from tests.waiting import until

pytestmark = pytest.mark.timeout(60)

LIGHT = VehicleProfile(position_hz=20.0, attitude_hz=20.0, fillers=False)


class Recorder:
    """Collects everything published and waits for conditions on it."""

    def __init__(self) -> None:
        self.bus = InProcessBus()
        self.sub = self.bus.subscribe(">", maxsize=200_000)
        self.seen: list[tuple[str, BusMessage]] = []
        self.cursor = 0

    def _pull(self) -> None:
        self.seen.extend(self.sub.drain())

    async def wait_for(
        self, predicate: Callable[[str, BusMessage], bool], timeout_s: float = 10.0
    ) -> BusMessage:
        deadline = time.monotonic() + timeout_s
        while True:
            self._pull()
            for index in range(self.cursor, len(self.seen)):
                topic, msg = self.seen[index]
                if predicate(topic, msg):
                    self.cursor = index + 1  # later waits look at what came after this
                    return msg
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout_s} s")
            await asyncio.sleep(0.05)

    async def state(self, vehicle_id: str, state: VehicleState, timeout_s: float = 10.0) -> StatusMsg:
        msg = await self.wait_for(
            lambda t, m: isinstance(m, StatusMsg) and m.vehicle_id == vehicle_id and m.state is state,
            timeout_s,
        )
        assert isinstance(msg, StatusMsg)
        return msg

    async def event(self, vehicle_id: str, kind: FlightEventKind, timeout_s: float = 10.0) -> FlightEventMsg:
        msg = await self.wait_for(
            lambda t, m: isinstance(m, FlightEventMsg) and m.vehicle_id == vehicle_id and m.kind is kind,
            timeout_s,
        )
        assert isinstance(msg, FlightEventMsg)
        return msg


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()
    yield rec
    await rec.bus.close()


async def start_router(
    rec: Recorder, configs: list[VehicleLinkConfig], tmp_path: Path, **options: object
) -> LinkRouter:
    router = LinkRouter(
        "udpin://127.0.0.1:0",
        configs,
        rec.bus.publish_nowait,
        tlog_dir=tmp_path,
        options=RouterOptions(relay_to_mavsdk=False, **options),  # type: ignore[arg-type]
    )
    await router.start()
    return router


async def test_telemetry_state_machine_and_flight_tlog(recorder: Recorder, tmp_path: Path) -> None:
    router = await start_router(recorder, [VehicleLinkConfig("sim-1", "")], tmp_path)
    assert router.local_address is not None
    fast = VehicleProfile(position_hz=20.0, attitude_hz=20.0, fillers=False, cruise_mps=30.0, climb_mps=10.0)
    vehicle = ScriptedVehicle(router.local_address, profile=fast)
    await vehicle.start()
    try:
        connected = await recorder.state("sim-1", VehicleState.CONNECTED)
        assert (connected.autopilot, connected.flight_mode, connected.system_id) == ("PX4", "AUTO.LOITER", 1)
        position = await recorder.wait_for(lambda t, m: t == "vehicle.sim-1.position")
        assert isinstance(position, PositionMsg)
        assert (position.lon, position.lat, position.alt_amsl_m) == pytest.approx((17.205, 50.229, 430.0))

        vehicle.armed = True
        started = await recorder.event("sim-1", FlightEventKind.FLIGHT_STARTED)
        assert started.tlog_path is not None and started.flight_id is not None
        await recorder.state("sim-1", VehicleState.ARMED)
        vehicle.takeoff_alt_m = 5.0
        vehicle.mode = "AUTO.TAKEOFF"
        await recorder.state("sim-1", VehicleState.IN_AIR)
        await recorder.wait_for(lambda t, m: vehicle.landed_state == 2)
        vehicle.lat += 0.001  # ~110 m from home: RTL has to fly back before it lands
        vehicle.mode = "AUTO.RTL"
        await recorder.state("sim-1", VehicleState.RETURNING)
        ended = await recorder.event("sim-1", FlightEventKind.FLIGHT_ENDED, timeout_s=20)
        landed = await recorder.state("sim-1", VehicleState.LANDED)
        assert landed.home_lon == pytest.approx(17.205)
        assert ended.tlog_path == started.tlog_path
    finally:
        await vehicle.stop()
        await router.stop()

    log = mavutil.mavlink_connection(ended.tlog_path, dialect="common")
    senders: set[int] = set()
    types: set[str] = set()
    while (msg := log.recv_match()) is not None:
        senders.add(msg.get_srcSystem())
        types.add(msg.get_type())
    assert senders == {1, 255}  # vehicle frames and the station's own heartbeats, one file
    assert {"HEARTBEAT", "GLOBAL_POSITION_INT", "EXTENDED_SYS_STATE", "STATUSTEXT"} <= types


async def test_link_loss_is_detected_and_the_vehicle_reattaches(recorder: Recorder, tmp_path: Path) -> None:
    router = await start_router(recorder, [VehicleLinkConfig("sim-1", "")], tmp_path, heartbeat_timeout_s=1.5)
    assert router.local_address is not None
    vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)
    await vehicle.start()
    try:
        await recorder.state("sim-1", VehicleState.CONNECTED)
        await vehicle.stop()
        await recorder.event("sim-1", FlightEventKind.LINK_LOST, timeout_s=5)
        await recorder.state("sim-1", VehicleState.DISCONNECTED)
        vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)  # new source port, same vehicle
        await vehicle.start()
        await recorder.event("sim-1", FlightEventKind.LINK_RESTORED)
        await recorder.state("sim-1", VehicleState.CONNECTED)
        # commands go to where the vehicle now sends from
        before = vehicle.gcs_heartbeats
        await recorder.wait_for(lambda t, m: vehicle.gcs_heartbeats > before, timeout_s=5)
    finally:
        await vehicle.stop()
        await router.stop()


async def test_two_systems_on_one_link_get_their_own_slugs(recorder: Recorder, tmp_path: Path) -> None:
    configs = [VehicleLinkConfig("dji-hzs-1", "", system_id=1), VehicleLinkConfig("sim-2", "", system_id=2)]
    router = await start_router(recorder, configs, tmp_path)
    assert router.local_address is not None
    a = ScriptedVehicle(router.local_address, system_id=1, profile=LIGHT)
    b = ScriptedVehicle(router.local_address, system_id=2, profile=LIGHT, home_lon=17.4)
    await a.start()
    await b.start()
    try:
        pa = await recorder.wait_for(lambda t, m: t == "vehicle.dji-hzs-1.position")
        pb = await recorder.wait_for(lambda t, m: t == "vehicle.sim-2.position")
        assert isinstance(pa, PositionMsg) and isinstance(pb, PositionMsg)
        assert (pa.lon, pb.lon) == pytest.approx((17.205, 17.4))
    finally:
        await a.stop()
        await b.stop()
        await router.stop()


async def test_garbage_and_flooding_vehicle_do_not_disturb_another(
    recorder: Recorder, tmp_path: Path
) -> None:
    good = await start_router(recorder, [VehicleLinkConfig("good", "")], tmp_path)
    bad = await start_router(recorder, [VehicleLinkConfig("bad", "")], tmp_path, max_frames_per_s=500)
    assert good.local_address is not None and bad.local_address is not None
    vehicle = ScriptedVehicle(good.local_address, profile=LIGHT)
    noisy = ScriptedVehicle(bad.local_address, profile=LIGHT)
    await vehicle.start()
    await noisy.start()
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        await recorder.state("good", VehicleState.CONNECTED)
        await recorder.state("bad", VehicleState.CONNECTED)
        valid = bytes(noisy.enc.frame(0, b"\x00\x00\x04\x03\x02\x0c\x1d\x03\x03"))
        garbage = [b"\xfd\xff" + bytes(range(256)), b"\xfe\x05abc", b"x" * 900, valid[:-1] + b"\x00", valid]
        received_before = good.trackers["good"].counters.packets_received
        sent = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # bounded flood on loopback
            for payload in garbage:
                flood.sendto(payload, bad.local_address)
                sent += 1
            if sent % 50 == 0:
                await asyncio.sleep(0)
        tracker = good.trackers["good"]
        # kept flowing during the flood (waits on the count, not on a guessed time)
        await until(
            lambda: tracker.counters.packets_received - received_before > 20, "the good link's packets"
        )
        await until(lambda: bad.counters.flood_dropped > 0, "the flood to be capped")
        assert tracker.connected and tracker.state is VehicleState.CONNECTED
        assert tracker.counters.packets_lost == 0
        assert good.bad_packets == 0
        assert bad.bad_packets > 0 or bad.counters.flood_dropped > 0
        assert bad.counters.flood_dropped > 0
        assert bad.trackers["bad"].connected  # the noisy link itself survives its garbage
    finally:
        flood.close()
        await vehicle.stop()
        await noisy.stop()
        await good.stop()
        await bad.stop()


async def test_first_autopilot_binds_and_gcs_heartbeats_are_ignored(
    recorder: Recorder, tmp_path: Path
) -> None:
    router = await start_router(recorder, [VehicleLinkConfig("sim-7", "")], tmp_path)
    assert router.local_address is not None
    other_gcs = mavutil.mavlink_connection(f"udpout:127.0.0.1:{router.local_address[1]}", source_system=254)
    vehicle = ScriptedVehicle(router.local_address, system_id=7, profile=LIGHT)
    try:
        for _ in range(3):
            other_gcs.mav.heartbeat_send(6, 8, 0, 0, 4)
        await until(lambda: router.counters.datagrams >= 3, "the GCS heartbeats to arrive")
        assert router.trackers["sim-7"].system_id == 0
        await vehicle.start()
        status = await recorder.state("sim-7", VehicleState.CONNECTED)
        assert status.system_id == 7
    finally:
        other_gcs.close()
        await vehicle.stop()
        await router.stop()


async def test_tcp_link_reconnects_after_the_peer_drops(recorder: Recorder, tmp_path: Path) -> None:
    """A TCP link (e.g. a radio bridge) that closes is reopened, and the stream state is reset."""
    connections = 0
    encoder = ScriptedVehicle(("127.0.0.1", 9), profile=LIGHT).enc

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        heartbeat = encoder.frame(0, b"\x00\x00\x03\x03\x02\x0c\x1d\x03\x03")
        try:
            for _ in range(6 if connections == 1 else 1000):
                writer.write(heartbeat[:5])  # frames split across TCP segments
                await writer.drain()
                writer.write(heartbeat[5:])
                await writer.drain()
                await asyncio.sleep(0.1)
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    router = LinkRouter(
        f"tcp://127.0.0.1:{port}",
        [VehicleLinkConfig("radio-1", "")],
        recorder.bus.publish_nowait,
        options=RouterOptions(relay_to_mavsdk=False, heartbeat_timeout_s=5.0),
    )
    await router.start()
    try:
        await recorder.state("radio-1", VehicleState.CONNECTED)
        deadline = time.monotonic() + 10
        while connections < 2:
            assert time.monotonic() < deadline, "the router did not reconnect"
            await asyncio.sleep(0.05)
        received = router.trackers["radio-1"].counters.packets_received
        await until(lambda: router.trackers["radio-1"].counters.packets_received > received, "new packets")
        assert router.bad_packets == 0
    finally:
        await router.stop()
        server.close()
        await server.wait_closed()


async def test_serial_link_reads_frames_from_a_tty(recorder: Recorder, tmp_path: Path) -> None:
    """A serial URL on a pseudo-terminal: the same router, a byte stream instead of datagrams."""
    import os
    import tty

    master, slave = os.openpty()
    tty.setraw(master)
    encoder = ScriptedVehicle(("127.0.0.1", 9), profile=LIGHT).enc
    router = LinkRouter(
        f"serial://{os.ttyname(slave)}:57600",
        [VehicleLinkConfig("radio-2", "")],
        recorder.bus.publish_nowait,
        options=RouterOptions(relay_to_mavsdk=False),
    )
    await router.start()
    try:
        for _ in range(5):
            os.write(master, encoder.frame(0, b"\x00\x00\x03\x03\x02\x0c\x1d\x03\x03"))
            await asyncio.sleep(0.05)
        status = await recorder.state("radio-2", VehicleState.CONNECTED)
        assert status.autopilot == "PX4"
    finally:
        await router.stop()
        os.close(master)
        os.close(slave)
