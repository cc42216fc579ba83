"""The scripts of the reference traces a-c, replayed with MAVSDK against any vehicle target.

Each function does what the README of ``flightlogs/px4_sitl`` says the recording script did, with
vehicle-time waits scaled by the target's speed and link-time waits (blackouts) in wall-clock seconds.
"""

from __future__ import annotations

import asyncio
import math
import time

from mavsdk.plugins.geofence import Circle, FenceType, GeofenceData, Point, Polygon
from mavsdk.plugins.mission import MissionItem, MissionPlan
from mavsdk.plugins.telemetry import FlightMode

from tests.sim.conformance.conftest import HOME_ALT_AMSL_M, RecordedLink
from tests.sim.conformance.mavsdk_client import METRES_PER_DEG_LAT, Station, offset_latlon


def _point(north_m: float, east_m: float) -> Point:
    lat, lon = offset_latlon(north_m, east_m)
    return Point(lat, lon)


def waypoint(
    north_m: float, east_m: float, alt_rel_m: float, speed_mps: float, fly_through: bool
) -> MissionItem:
    lat, lon = offset_latlon(north_m, east_m)
    return MissionItem(
        latitude_deg=lat,
        longitude_deg=lon,
        relative_altitude_m=alt_rel_m,
        speed_m_s=speed_mps,
        is_fly_through=fly_through,
        acceptance_radius_m=3.0,
    )


# Trace a: the fence and the 5-waypoint mission.
MISSION_FENCE = GeofenceData(
    polygons=[
        Polygon(
            [_point(-300, -250), _point(400, -250), _point(400, 550), _point(-300, 550)],
            FenceType.INCLUSION,
        )
    ],
    circles=[Circle(_point(-220, 460), 50.0, FenceType.EXCLUSION)],
)
MISSION_WAYPOINTS_NE = [(150, 0), (250, 200), (50, 350), (-150, 250), (-150, 0)]


async def _take_off_and_start(
    station: Station, link: RecordedLink, items: list[MissionItem], *, hold_timeout_s: float
) -> None:
    """What the traces' MAVSDK script did: upload with RTL at the end, arm, take off, start in Hold."""
    await station.mission.set_return_to_launch_after_mission(True)
    await station.mission.upload_mission(MissionPlan(items))
    await station.action.arm()
    await station.action.takeoff()
    await station.wait_mode(FlightMode.TAKEOFF, timeout_s=10)
    await station.wait_mode(FlightMode.HOLD, timeout_s=hold_timeout_s)
    await station.mission.start_mission()
    await station.wait_mode(FlightMode.MISSION, timeout_s=10)


async def fly_mission_a(station: Station, link: RecordedLink, cruise_speed: float) -> None:
    """Trace a: fence + 5-WP mission at 40 m / 10 m/s + RTL, takeoff to the default 2.5 m, then mission.

    Runs at the link's launch speed until the mission shows, then at ``cruise_speed``.
    """
    await station.wait_healthy()
    await station.geofence.upload_geofence(MISSION_FENCE)
    items = [
        waypoint(n, e, 40.0, 10.0, fly_through=i < len(MISSION_WAYPOINTS_NE) - 1)
        for i, (n, e) in enumerate(MISSION_WAYPOINTS_NE)
    ]
    await _take_off_and_start(station, link, items, hold_timeout_s=10 + link.vehicle_s(20))
    link.set_speed(cruise_speed)
    await station.wait_mode(FlightMode.RETURN_TO_LAUNCH, timeout_s=20 + link.vehicle_s(250))
    last_item_reached = time.monotonic()
    await station.wait_landed_and_disarmed(timeout_s=20 + link.vehicle_s(120))
    # PX4 switches mode again after the automatic disarm: give it a heartbeat or two to show it, and
    # let the last MISSION_ITEM_REACHED finish its ~11 wall-clock repetitions.
    await asyncio.sleep(max(2.5, last_item_reached + 11.5 - time.monotonic()))


# Trace b: an inclusion square of +-150 m around home.
BREACH_FENCE = GeofenceData(
    polygons=[
        Polygon(
            [_point(-150, -150), _point(150, -150), _point(150, 150), _point(-150, 150)],
            FenceType.INCLUSION,
        )
    ],
    circles=[],
)


async def _position_ne(station: Station) -> tuple[float, float]:
    position = await station.telemetry.position()
    home_lat, home_lon = offset_latlon(0, 0)
    north = (position.latitude_deg - home_lat) * METRES_PER_DEG_LAT
    east = (position.longitude_deg - home_lon) * METRES_PER_DEG_LAT * math.cos(math.radians(home_lat))
    return north, east


async def fly_geofence_breach_b(station: Station, link: RecordedLink, approach_speed: float) -> float:
    """Trace b: GF_ACTION=3, a goto across the fence (ACKed, ignored), clear, goto, fence again -> RTL.

    The approach runs at ``approach_speed``; the breach and its 5 s Hold at the launch speed, so that the
    1 Hz HEARTBEAT shows the Hold as it did on PX4; the return at 10x. Returns how far (m) the vehicle
    moved in the 10 s after the goto across the active fence (PX4: not at all).
    """
    slow = link.speed
    await station.wait_healthy()
    await station.param.set_param_int("GF_ACTION", 3)
    await station.geofence.upload_geofence(BREACH_FENCE)
    await station.action.set_takeoff_altitude(20.0)
    await station.action.arm()
    await station.action.takeoff()
    await station.wait_mode(FlightMode.TAKEOFF, timeout_s=10)
    await station.wait_mode(FlightMode.HOLD, timeout_s=15 + link.vehicle_s(30))
    link.set_speed(approach_speed)
    far_lat, far_lon = offset_latlon(550, 0)
    goto_alt_amsl = HOME_ALT_AMSL_M + 30.4
    before = await _position_ne(station)
    await station.action.goto_location(far_lat, far_lon, goto_alt_amsl, 0.0)
    await asyncio.sleep(link.vehicle_s(10))
    after = await _position_ne(station)
    moved_m = math.dist(before, after)
    await station.geofence.clear_geofence()
    await asyncio.sleep(3.0)  # the fence change takes effect some time after the ACK (README b)
    await station.action.goto_location(far_lat, far_lon, goto_alt_amsl, 0.0)

    async def north_of(metres: float) -> bool:
        return (await _position_ne(station))[0] > metres

    await station.wait_until("vehicle 60 m north", lambda: north_of(60.0), 10 + link.vehicle_s(40))
    await station.geofence.upload_geofence(BREACH_FENCE)
    await station.wait_until("vehicle 130 m north", lambda: north_of(130.0), 10 + link.vehicle_s(40))
    link.set_speed(slow)
    await station.wait_mode(FlightMode.RETURN_TO_LAUNCH, timeout_s=10 + link.vehicle_s(30))
    link.set_speed(10.0)
    await station.wait_landed_and_disarmed(timeout_s=20 + link.vehicle_s(150))
    await asyncio.sleep(2.5)
    return moved_m


LINK_LOSS_WAYPOINTS_NE = [(150, 0), (150, 150), (0, 150), (-100, 50), (0, 0)]
# Trace c's blackouts were 15 s; 14 s still covers the loss detection (<= 13.4 s after the block).
BLACKOUT_S = 14.0


async def _blackout(link: RecordedLink, seconds: float) -> tuple[float, float]:
    start = time.time()
    await link.proxy.blackout(seconds)
    return start, time.time()


async def fly_link_loss_c(
    station: Station, link: RecordedLink, blackout_speed: float
) -> list[tuple[float, float]]:
    """Trace c: mission at the default 5 m/s; a 15 s blackout with NAV_DLL_ACT=0, then one with =2.

    The second blackout runs at 1x: PX4's Hold delay (5 s of vehicle time) outlasted the link's return
    there, and the order of the texts that follow depends on it. Returns the blackouts (Unix seconds).
    """
    await station.wait_healthy()
    await station.action.set_takeoff_altitude(20.0)
    items = [
        waypoint(n, e, 40.0, float("nan"), fly_through=i < len(LINK_LOSS_WAYPOINTS_NE) - 1)
        for i, (n, e) in enumerate(LINK_LOSS_WAYPOINTS_NE)
    ]
    await _take_off_and_start(station, link, items, hold_timeout_s=15 + link.vehicle_s(30))
    link.set_speed(blackout_speed)
    await asyncio.sleep(3.0)
    first = await _blackout(link, BLACKOUT_S)
    await asyncio.sleep(4.0)  # MAVSDK resumes its heartbeat ~1.2 s after it hears the vehicle again
    await station.param.set_param_int("NAV_DLL_ACT", 2)
    await asyncio.sleep(1.5)
    link.set_speed(1.0)
    second = await _blackout(link, BLACKOUT_S)
    await station.wait_mode(FlightMode.RETURN_TO_LAUNCH, timeout_s=10)
    link.set_speed(10.0)
    await station.wait_landed_and_disarmed(timeout_s=20 + link.vehicle_s(200))
    await asyncio.sleep(2.5)
    return [first, second]
