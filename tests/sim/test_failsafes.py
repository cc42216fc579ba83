"""Failsafes as PX4 v1.16 runs them (traces b and c): geofence breach per GF_ACTION, data-link loss per
NAV_DLL_ACT, with the COM_FAIL_ACT_T hold first; faster than real time, link timing in wall-clock."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from mavsdk.plugins.geofence import FenceType, GeofenceData, Point, Polygon
from pymavlink.dialects.v20 import common as mavlink

from sim.linkproxy import UdpLinkProxy
from sim.px4_modes import FlightMode
from tests.sim.helpers import (
    RawGcs,
    free_udp_port,
    offset_lonlat,
    one_vehicle_scenario,
    running_world,
    texts,
    upload_items,
    wait_until,
    waypoint_item,
)
from tests.sim.mavsdk_helpers import mavsdk_drone, wait_disarmed, wait_in_air, wait_ready

# sim_only: these look at the simulator's own state (position, flight mode, wind, a UDP relay in front of
# it); their PX4 SITL counterparts are the trace b and c conformance tests (tests/sim/conformance).
pytestmark = [pytest.mark.sitl, pytest.mark.sim_only, pytest.mark.slow]


def square_fence(half_m: float) -> GeofenceData:
    corners = [
        offset_lonlat(e, n)
        for e, n in ((-half_m, -half_m), (half_m, -half_m), (half_m, half_m), (-half_m, half_m))
    ]
    return GeofenceData([Polygon([Point(lat, lon) for lon, lat in corners], FenceType.INCLUSION)], [])


@pytest.mark.timeout(120)
async def test_geofence_breach_return_as_in_trace_b() -> None:
    port = free_udp_port()
    async with running_world(one_vehicle_scenario(), port, speed=10.0) as world, mavsdk_drone(port) as drone:
        vehicle = world.vehicles["sim-1"]
        await wait_ready(drone)
        await drone.param.set_param_int("GF_ACTION", 3)
        assert vehicle.params.get_int("GF_ACTION") == 3
        await drone.geofence.upload_geofence(square_fence(150.0))
        await drone.action.set_takeoff_altitude(20.0)
        await drone.action.arm()
        await drone.action.takeoff()
        assert await wait_until(
            lambda: vehicle.flight.mode == FlightMode.LOITER and vehicle.flight.alt_rel_m > 19, 15
        )

        # Phase 1: a goto across the fence is ACCEPTED and ignored.
        far_lon, far_lat = offset_lonlat(0, 550)
        await drone.action.goto_location(far_lat, far_lon, 430.0 + 30.0, 0.0)
        await asyncio.sleep(1.0)
        assert vehicle.flight.body.north_m < 3.0
        assert "Reposition is outside geofence\t" in [t for _, t in vehicle.statustext.history]

        # Phase 2: clear the fence, fly out, upload the fence again on the way.
        await drone.geofence.clear_geofence()
        await drone.action.goto_location(far_lat, far_lon, 430.0 + 30.0, 0.0)
        assert await wait_until(lambda: vehicle.flight.body.north_m > 60, 10)
        await drone.geofence.upload_geofence(square_fence(150.0))
        assert await wait_until(lambda: vehicle.failsafes.fence_breached, 10)
        breach_north = vehicle.flight.body.north_m
        assert 150.0 <= breach_north < 155.0, "detected within ~0.2 s of crossing"
        said = [t for _, t in vehicle.statustext.history]
        assert "Geofence: approaching or outside geofence" in said
        assert "Failsafe activated: entering Hold for 5 seconds\t" in said
        # The Hold keeps the reposition setpoint, as PX4 did: the vehicle keeps going outward for 5 s.
        assert vehicle.flight.mode == FlightMode.LOITER
        assert await wait_until(lambda: vehicle.flight.mode == FlightMode.RTL, 3)
        assert vehicle.flight.body.north_m > breach_north + 10.0
        assert vehicle.system_status() == mavlink.MAV_STATE_CRITICAL
        assert any(t.startswith("RTL: start return at") for _, t in vehicle.statustext.history)
        await wait_in_air(drone, False, 60)
        await wait_disarmed(drone, 10)
        assert vehicle.flight.mode == FlightMode.LOITER, "back to the mode intended before the failsafe"
        assert vehicle.system_status() == mavlink.MAV_STATE_STANDBY
        assert math.hypot(vehicle.flight.body.east_m, vehicle.flight.body.north_m) < 3.0


@pytest.mark.timeout(60)
async def test_wind_pushes_vehicle_through_fence_and_default_gf_action_holds() -> None:
    gcs = RawGcs()
    params = {"GF_MAX_HOR_DIST": 60.0, "MIS_TAKEOFF_ALT": 10.0}
    async with running_world(one_vehicle_scenario(params), gcs.port, speed=10.0) as world:
        vehicle = world.vehicles["sim-1"]
        assert await wait_until(vehicle.preflight_ok, 5, gcs)
        gcs.command_long(mavlink.MAV_CMD_NAV_TAKEOFF, *([math.nan] * 7))
        gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        assert await wait_until(
            lambda: vehicle.flight.mode == FlightMode.LOITER and vehicle.flight.airborne, 10, gcs
        )
        # A storm from the south, stronger than the vehicle can fly against: it drifts north.
        world.wind.settings.speed_mps = 22.0
        world.wind.settings.from_deg = 180.0
        assert await wait_until(lambda: vehicle.failsafes.fence_breached, 20, gcs)
        said = [t for _, t in vehicle.statustext.history]
        assert "Geofence: approaching or outside geofence" in said
        assert "Failsafe activated\t" in said  # GF_ACTION=2 (PX4 default): Hold at once
        assert vehicle.flight.mode == FlightMode.LOITER
        assert vehicle.system_status() == mavlink.MAV_STATE_CRITICAL
        assert vehicle.flight.body.north_m > 55.0


async def _fly_mission_through_proxy(nav_dll_act: int) -> tuple[list[str], list[FlightMode], RawGcs, object]:
    """Takes off, flies a long mission with the GCS behind a link proxy, cuts the link for 6 s."""
    gcs = RawGcs()
    proxy = await UdpLinkProxy(("127.0.0.1", 0), ("127.0.0.1", gcs.port)).start()
    # COM_DL_LOSS_T is wall-clock (design contract 8); 2 s keeps the test short.
    params = {"COM_DL_LOSS_T": 2.0, "NAV_DLL_ACT": float(nav_dll_act), "MIS_TAKEOFF_ALT": 20.0}
    modes: list[FlightMode] = []
    try:
        async with running_world(one_vehicle_scenario(params), proxy.vehicle_side_port, speed=5.0) as world:
            vehicle = world.vehicles["sim-1"]
            assert await wait_until(vehicle.preflight_ok, 5, gcs)
            items = [waypoint_item(gcs.mav, i, 0.0, 400.0 * (i + 1), 40.0) for i in range(3)]
            assert await upload_items(gcs, items) == mavlink.MAV_MISSION_ACCEPTED
            gcs.command_long(mavlink.MAV_CMD_NAV_TAKEOFF, *([math.nan] * 7))
            gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
            assert await wait_until(
                lambda: vehicle.flight.mode == FlightMode.LOITER and vehicle.flight.airborne, 15, gcs
            )
            gcs.command_long(mavlink.MAV_CMD_DO_SET_MODE, 129, 4, 4)
            assert await wait_until(lambda: vehicle.flight.mode == FlightMode.MISSION, 2, gcs)
            await gcs.collect(1.0)
            blackout_start = time.monotonic()
            proxy.block()
            while time.monotonic() - blackout_start < 6.0:
                modes.append(vehicle.flight.mode)
                gcs.pump()
                await asyncio.sleep(0.05)
            proxy.unblock()
            after = time.monotonic()
            await gcs.collect(2.0)
            modes.append(vehicle.flight.mode)
            return texts(gcs, after), modes, gcs, vehicle
    finally:
        await proxy.stop()
        gcs.close()


@pytest.mark.timeout(90)
async def test_link_loss_with_nav_dll_act_2_holds_then_returns() -> None:
    said, modes, _gcs, vehicle = await _fly_mission_through_proxy(nav_dll_act=2)
    assert FlightMode.LOITER in modes and modes[-1] == FlightMode.RTL
    first_hold = modes.index(FlightMode.LOITER)
    assert FlightMode.RTL not in modes[:first_hold]
    # The burst queued during the blackout, flushed once our heartbeat is back, in PX4's order.
    lost = said.index("Connection to ground station lost\t")
    hold = said.index("Failsafe activated: entering Hold for 5 seconds\t")
    regained = said.index("GCS connection regained\t")
    assert lost < hold < regained
    assert "Preflight Fail: No connection to the ground control station\t" in said
    assert "Failsafe activated\t" in said
    assert vehicle.system_status() == mavlink.MAV_STATE_CRITICAL  # type: ignore[attr-defined]
    assert vehicle.flight.after_landing_mode == FlightMode.MISSION  # type: ignore[attr-defined]


@pytest.mark.timeout(90)
async def test_link_loss_with_default_nav_dll_act_does_nothing() -> None:
    said, modes, _gcs, vehicle = await _fly_mission_through_proxy(nav_dll_act=0)
    assert set(modes) == {FlightMode.MISSION}
    assert said.index("Connection to ground station lost\t") < said.index("GCS connection regained\t")
    assert not [t for t in said if t.startswith("Failsafe")]
    assert vehicle.system_status() == mavlink.MAV_STATE_ACTIVE  # type: ignore[attr-defined]
