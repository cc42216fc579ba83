"""Spoofed telemetry (issue 10, points 5 and 6): a stranger with valid CRCs and system id 1 is not a vehicle.

Real UDP sockets on ephemeral ports; the vehicle is the scripted PX4-shaped one, the attacker a second
socket sending frames built by pymavlink. Waits are on bus messages (the link status carries the counts
of what was dropped), never on delays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymavlink import mavutil
from pymavlink.dialects.v20 import common as mavlink_common

from bench.mavlink_fleet import ScriptedVehicle, VehicleProfile
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    FlightEventKind,
    FlightEventMsg,
    LinkMsg,
    StatusMsg,
    VehicleState,
)
from ground_station.links.decode import GlobalPosition
from ground_station.links.flight_ids import new_flight_id
from ground_station.links.plausibility import PositionGate
from ground_station.links.px4_modes import flight_mode_name
from ground_station.links.recorder import FlightRecorder
from ground_station.links.router import VehicleLinkConfig
from tests.ground_station.test_links_router import Recorder, start_router

pytestmark = pytest.mark.timeout(60)

LIGHT = VehicleProfile(position_hz=20.0, attitude_hz=20.0, fillers=False)
PX4 = 12
QUADROTOR = 2
ARMED_CUSTOM = 0x81  # MAV_MODE_FLAG_SAFETY_ARMED | CUSTOM_MODE_ENABLED


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()
    yield rec
    await rec.bus.close()


def attacker(port: int) -> mavutil.mavfile:
    """A second host speaking for system 1 with perfectly valid MAVLink 2 frames."""
    conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}", source_system=1, source_component=1)
    conn.mav = mavlink_common.MAVLink(conn, srcSystem=1, srcComponent=1)  # MAVLink 2, as PX4 speaks
    return conn


def spoof_flight(conn: mavutil.mavfile) -> int:
    """An invented mode, an arm/disarm within a moment and a position far away; returns frames sent."""
    sent = 0
    for armed in (True, False, True, False):
        conn.mav.heartbeat_send(QUADROTOR, PX4, ARMED_CUSTOM if armed else 0x01, 16 << 16, 4)
        conn.mav.global_position_int_send(1000, int(50.5e7), int(17.0e7), 900_000, 500_000, 0, 0, 0, 0)
        sent += 2
    return sent


async def test_stranger_frames_are_dropped_counted_and_alerted_once(
    recorder: Recorder, tmp_path: Path
) -> None:
    router = await start_router(recorder, [VehicleLinkConfig("sim-1", "")], tmp_path)
    assert router.local_address is not None
    vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)
    await vehicle.start()
    conn = attacker(router.local_address[1])
    try:
        await recorder.state("sim-1", VehicleState.CONNECTED)
        assert router.pinned_peer("sim-1") == vehicle.address
        sent = sum(spoof_flight(conn) for _ in range(5))
        status = await recorder.wait_for(
            lambda t, m: isinstance(m, LinkMsg) and m.vehicle_id == "sim-1" and m.foreign_dropped >= sent
        )
        assert isinstance(status, LinkMsg)
        assert status.peer == f"{vehicle.address[0]}:{vehicle.address[1]}"
        seen = [m for _, m in recorder.seen]
        alerts = [m for m in seen if isinstance(m, AlertMsg) and m.kind is AlertKind.LINK_SPOOFING]
        assert len(alerts) == 1, alerts  # rate-limited: one alert for the whole burst
        assert alerts[0].vehicle_id == "sim-1" and "dropped" in alerts[0].messages.cs + alerts[0].message
        assert not any(
            isinstance(m, FlightEventMsg) and m.kind is FlightEventKind.FLIGHT_STARTED for m in seen
        )
        assert not any(isinstance(m, StatusMsg) and (m.armed or m.flight_mode != "AUTO.LOITER") for m in seen)
        assert not any(getattr(m, "lat", None) == pytest.approx(50.5) for m in seen)
        assert router.counters.repins == 0
        # the station answers its vehicle only, never the last speaker
        assert router._transport.peers == (vehicle.address,)  # type: ignore[union-attr]
    finally:
        conn.close()
        await vehicle.stop()
        await router.stop()


async def test_pin_moves_only_after_the_vehicle_was_silent(recorder: Recorder, tmp_path: Path) -> None:
    router = await start_router(
        recorder, [VehicleLinkConfig("sim-1", "")], tmp_path, heartbeat_timeout_s=1.0, repin_after_s=1.0
    )
    assert router.local_address is not None
    vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)
    await vehicle.start()
    try:
        await recorder.state("sim-1", VehicleState.CONNECTED)
        first = vehicle.address
        await vehicle.stop()
        await recorder.event("sim-1", FlightEventKind.LINK_LOST)  # silent for >= repin_after_s
        vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)  # rebooted: new source port
        await vehicle.start()
        await recorder.event("sim-1", FlightEventKind.LINK_RESTORED)
        assert router.pinned_peer("sim-1") == vehicle.address != first
        assert router.counters.repins == 1
    finally:
        await vehicle.stop()
        await router.stop()


async def test_frames_before_the_first_heartbeat_are_not_trusted(recorder: Recorder, tmp_path: Path) -> None:
    router = await start_router(recorder, [VehicleLinkConfig("sim-1", "", system_id=1)], tmp_path)
    assert router.local_address is not None
    conn = attacker(router.local_address[1])
    vehicle = ScriptedVehicle(router.local_address, profile=LIGHT)
    try:
        for _ in range(3):
            conn.mav.global_position_int_send(1000, int(50.5e7), int(17.0e7), 900_000, 500_000, 0, 0, 0, 0)
        await vehicle.start()
        await recorder.state("sim-1", VehicleState.CONNECTED)
        assert router.pinned_peer("sim-1") == vehicle.address
        assert not any(getattr(m, "lat", None) == pytest.approx(50.5) for _, m in recorder.seen)
    finally:
        conn.close()
        await vehicle.stop()
        await router.stop()


def test_unknown_custom_modes_are_unknown_not_invented() -> None:
    assert flight_mode_name(PX4, 16 << 16) == "UNKNOWN"  # was "MAIN16"
    assert flight_mode_name(PX4, (4 << 16) | (99 << 24)) == "UNKNOWN"  # was "AUTO.SUB99"
    assert flight_mode_name(PX4, (3 << 16) | 5) == "UNKNOWN"  # PX4 never sets the low bits
    assert flight_mode_name(PX4, (4 << 16) | (4 << 24)) == "AUTO.MISSION"
    assert flight_mode_name(PX4, 3 << 16) == "POSCTL"


def _position(t_ms: int, lon: float, lat: float, alt: float = 400.0) -> GlobalPosition:
    return GlobalPosition(t_ms, lon, lat, alt, 10.0, 0.0, 0.0, 0.0, None)


def test_implausible_positions_are_rejected_and_counted() -> None:
    gate = PositionGate()
    assert gate.check(_position(1000, 17.2, 50.2)) is None
    assert gate.check(_position(1020, 17.2001, 50.2)) is None  # ~7 m: estimator noise, within the slack
    assert gate.check(_position(1040, 17.5, 50.2)) is not None  # ~21 km in 20 ms
    assert gate.check(_position(1060, 17.2, 50.2, alt=50_000.0)) is not None
    assert gate.check(_position(1080, 17.2002, 50.2)) is None  # still anchored on the last good one
    assert gate.check(_position(500, 17.4, 50.3)) is None  # vehicle clock went back: rebooted, re-anchor
    assert gate.rejected == 2


def test_flight_ids_are_unique_within_one_second(tmp_path: Path) -> None:
    now = dt.datetime(2026, 5, 1, 10, 0, 0, 123_000, tzinfo=dt.UTC)
    recorder_ = FlightRecorder(tmp_path)
    first, first_path = recorder_.flight_started("sim-1", now)
    recorder_.flight_ended("sim-1", now)
    second, second_path = recorder_.flight_started("sim-1", now)
    recorder_.close()
    assert first != second and first_path != second_path
    ids = {new_flight_id("sim-1", now) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("sim-1-20260501T100000.123Z-") for i in ids)
