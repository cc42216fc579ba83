"""Fleet commands through the station core: router -> loopback relay -> MAVSDK 4 -> scripted vehicle."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.mavlink_fleet import ScriptedVehicle, VehicleProfile
from ground_station.bus.messages import VehicleState
from ground_station.vehicles import (
    CommandRejected,
    MissionMismatch,
    NoVerifiedPlan,
    StationCore,
    StationVehicle,
    VehicleNotConnected,
    VehicleNotFound,
)
from missions.formats.mavlink_items import MissionItemInt

pytestmark = pytest.mark.timeout(90)

FAST = VehicleProfile(position_hz=10.0, attitude_hz=10.0, fillers=False, cruise_mps=30.0, climb_mps=8.0)
NAN = math.nan


def waypoint(seq: int, lon: float, lat: float, alt_rel_m: float) -> MissionItemInt:
    return MissionItemInt(seq, 6, 16, 0, 1, 0.0, 2.0, 0.0, NAN, round(lat * 1e7), round(lon * 1e7), alt_rel_m)


def fence_vertex(seq: int, lon: float, lat: float) -> MissionItemInt:
    return MissionItemInt(seq, 0, 5001, 0, 0, 4.0, 0.0, 0.0, 0.0, round(lat * 1e7), round(lon * 1e7), 0.0, 1)


MISSION = [
    waypoint(0, 17.2060, 50.2300, 30.0),
    waypoint(1, 17.2070, 50.2295, 30.0),
    MissionItemInt(2, 2, 20, 0, 1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0),
]
FENCE = [
    fence_vertex(0, 17.19, 50.22),
    fence_vertex(1, 17.19, 50.24),
    fence_vertex(2, 17.22, 50.24),
    fence_vertex(3, 17.22, 50.22),
]


@dataclass
class Rig:
    core: StationCore
    vehicle: ScriptedVehicle

    async def until(self, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.05)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    core = StationCore([StationVehicle("sim-1", "udpin://127.0.0.1:0")], tlog_dir=tmp_path)
    await core.start()
    address = core.router_for("sim-1").local_address
    assert address is not None
    vehicle = ScriptedVehicle(address, profile=FAST)
    await vehicle.start()
    rig = Rig(core, vehicle)
    await rig.until(lambda: core.registry.get("sim-1").state is VehicleState.CONNECTED)
    try:
        yield rig
    finally:
        await vehicle.stop()
        await core.stop()


async def test_fly_a_verified_mission_through_mavsdk(rig: Rig) -> None:
    fleet, vehicle = rig.core.fleet, rig.vehicle
    report = await fleet.upload_mission("sim-1", MISSION, FENCE, [])
    assert (report.mission_items, report.fence_items, report.verified) == (3, 4, True)
    assert [i.command for i in vehicle.missions[0]] == [16, 16, 20]
    assert len(vehicle.missions[1]) == 4 and vehicle.missions[2] == []
    assert rig.core.monitor.contexts["sim-1"].waypoints[0][1:] == pytest.approx((17.2060, 50.2300))

    await fleet.arm("sim-1")
    assert vehicle.armed
    await fleet.takeoff("sim-1", 12.0)
    assert vehicle.params["MIS_TAKEOFF_ALT"] == pytest.approx(12.0)
    await rig.until(lambda: vehicle.landed_state == 2 and vehicle.alt_rel_m > 11)
    await fleet.start("sim-1")
    assert vehicle.mode == "AUTO.MISSION"
    await fleet.pause("sim-1")
    assert vehicle.mode == "AUTO.LOITER"
    await fleet.resume("sim-1")
    assert vehicle.mode == "AUTO.MISSION"
    await rig.until(lambda: rig.core.registry.get("sim-1").state is VehicleState.IN_AIR)

    await fleet.goto("sim-1", 17.2100, 50.2310, 470.0)
    assert vehicle.goal == pytest.approx((17.2100, 50.2310, 470.0))  # lon/lat arrive unswapped
    with pytest.raises(CommandRejected) as rejected:
        await fleet.disarm("sim-1")  # in the air: the vehicle says no
    assert rejected.value.result == "COMMAND_DENIED (Disarming denied: not landed)"  # PX4's own reason
    await fleet.rtl("sim-1")
    assert vehicle.mode == "AUTO.RTL"
    await rig.until(lambda: rig.core.registry.get("sim-1").state is VehicleState.RETURNING)
    await fleet.land("sim-1")
    assert vehicle.mode == "AUTO.LAND"


async def test_a_vehicle_that_stores_something_else_is_refused(rig: Rig) -> None:
    rig.vehicle.corrupt_uploads = True
    with pytest.raises(MissionMismatch) as mismatch:
        await rig.core.fleet.upload_mission("sim-1", MISSION, FENCE, [])
    assert "z (altitude m) approved" in str(mismatch.value)
    assert "sim-1" not in rig.core.monitor.contexts or not rig.core.monitor.contexts["sim-1"].waypoints


async def test_a_failed_verification_clears_the_vehicle_and_start_is_refused(rig: Rig) -> None:
    """Real PX4 kept the unverified items and flew them with mission_id null; now nothing stays on board."""
    fleet, vehicle = rig.core.fleet, rig.vehicle
    vehicle.corrupt_uploads = True
    with pytest.raises(MissionMismatch) as mismatch:
        await fleet.upload_mission("sim-1", MISSION, FENCE, [])
    assert mismatch.value.plan_cleared is True
    assert "were cleared" in str(mismatch.value)
    assert vehicle.missions == {0: [], 1: [], 2: []}
    assert fleet.verified_plan("sim-1") is None
    await fleet.arm("sim-1")
    with pytest.raises(NoVerifiedPlan):
        await fleet.start("sim-1")
    assert 176 not in vehicle.commands and 300 not in vehicle.commands  # nothing was sent


async def test_start_is_refused_before_any_verified_upload(rig: Rig) -> None:
    with pytest.raises(NoVerifiedPlan, match="no approved mission has been verified"):
        await rig.core.fleet.start("sim-1")


async def test_start_right_after_upload_waits_until_the_vehicle_flies_the_mission(rig: Rig) -> None:
    """PX4 acks DO_SET_MODE(mission) ACCEPTED, then TEMPORARILY_REJECTED until it has loaded the new
    mission (trace e); the start is done only when the HEARTBEAT shows AUTO.MISSION."""
    fleet, vehicle = rig.core.fleet, rig.vehicle
    vehicle.mission_load_delay_s = 1.5
    await fleet.upload_mission("sim-1", MISSION, FENCE, [])
    await fleet.arm("sim-1")
    await fleet.start("sim-1")
    assert vehicle.mode == "AUTO.MISSION"
    assert vehicle.mission_loaded
    assert rig.core.registry.get("sim-1").tracker.flight_mode == "AUTO.MISSION"


async def test_a_start_the_vehicle_keeps_refusing_reports_px4s_reason(rig: Rig) -> None:
    fleet, vehicle = rig.core.fleet, rig.vehicle
    fleet.mission_load_timeout_s = 2.0
    await fleet.upload_mission("sim-1", MISSION, FENCE, [])
    vehicle.mission_load_delay_s = 3600.0
    vehicle.missions[0] = list(vehicle.missions[0])  # same items, but "loading" from now on
    vehicle._mission_loaded_at = time.monotonic() + 3600.0
    await fleet.arm("sim-1")
    with pytest.raises(CommandRejected) as refused:
        await fleet.start("sim-1")
    text = str(refused.value)
    assert "TEMPORARILY_REJECTED" in text
    assert "Switching to Mission is currently not available" in text
    assert vehicle.mode != "AUTO.MISSION"


async def test_unknown_and_silent_vehicles_give_typed_errors(rig: Rig) -> None:
    with pytest.raises(VehicleNotFound):
        await rig.core.fleet.arm("nope")
    await rig.vehicle.stop()
    await rig.until(lambda: rig.core.registry.get("sim-1").state is VehicleState.DISCONNECTED, timeout_s=8)
    with pytest.raises(VehicleNotConnected):
        await rig.core.fleet.arm("sim-1")
