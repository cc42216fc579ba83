"""The scripts of the reference traces a-c, replayed with MAVSDK against any vehicle target.

Each function does what the README of ``flightlogs/px4_sitl`` says the recording script did, with
vehicle-time waits scaled by the target's speed and link-time waits (blackouts) in wall-clock seconds.
"""

from __future__ import annotations

import asyncio

from mavsdk.plugins.geofence import Circle, FenceType, GeofenceData, Point, Polygon
from mavsdk.plugins.mission import MissionItem, MissionPlan
from mavsdk.plugins.telemetry import FlightMode

from tests.sim.conformance.conftest import HOME_ALT_AMSL_M, RecordedLink
from tests.sim.conformance.mavsdk_client import Station, offset_latlon


def _point(north_m: float, east_m: float) -> Point:
    lat, lon = offset_latlon(north_m, east_m)
    return Point(lat, lon)


def waypoint(north_m: float, east_m: float, alt_rel_m: float, speed_mps: float, fly_through: bool) -> MissionItem:
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
    await station.mission.set_return_to_launch_after_mission(True)
    await station.mission.upload_mission(MissionPlan(items))
    await station.action.arm()
    await station.action.takeoff()
    await station.wait_mode(FlightMode.TAKEOFF, timeout_s=10)
    await station.wait_mode(FlightMode.HOLD, timeout_s=10 + link.vehicle_s(20))
    await station.mission.start_mission()
    await station.wait_mode(FlightMode.MISSION, timeout_s=10)
    link.set_speed(cruise_speed)
    await station.wait_landed_and_disarmed(timeout_s=20 + link.vehicle_s(320))
    # PX4 switches mode again after the automatic disarm; give it a heartbeat or two to show it.
    await asyncio.sleep(2.5)


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


async def fly_geofence_breach_b(station: Station, link: RecordedLink) -> None:
    """Trace b: GF_ACTION=3, a goto across the fence (ACKed, ignored), clear, goto, fence again -> RTL."""
    await station.wait_healthy()
    await station.param.set_param_int("GF_ACTION", 3)
    await station.geofence.upload_geofence(BREACH_FENCE)
    await station.action.set_takeoff_altitude(20.0)
    await station.action.arm()
    await station.action.takeoff()
    await station.wait_mode(FlightMode.HOLD, timeout_s=15 + link.vehicle_s(30))
    far_lat, far_lon = offset_latlon(550, 0)
    goto_alt_amsl = HOME_ALT_AMSL_M + 30.4
    await station.action.goto_location(far_lat, far_lon, goto_alt_amsl, 0.0)
    await asyncio.sleep(link.vehicle_s(10))
    await station.geofence.clear_geofence()
    await asyncio.sleep(3.0)  # the fence change takes effect some time after the ACK (README b)
    await station.action.goto_location(far_lat, far_lon, goto_alt_amsl, 0.0)

    async def north_of(metres: float) -> bool:
        position = await station.telemetry.position()
        return bool((position.latitude_deg - offset_latlon(0, 0)[0]) * 111_225.0 > metres)

    await station.wait_until("vehicle 60 m north", lambda: north_of(60.0), 10 + link.vehicle_s(40))
    await station.geofence.upload_geofence(BREACH_FENCE)
    await station.wait_mode(FlightMode.RETURN_TO_LAUNCH, timeout_s=10 + link.vehicle_s(40))
    await station.wait_landed_and_disarmed(timeout_s=20 + link.vehicle_s(150))
    await asyncio.sleep(2.5)
