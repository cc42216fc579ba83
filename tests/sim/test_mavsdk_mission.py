"""End to end with MAVSDK (unchanged, v4 native library): connect, health, fence, survey mission upload,
download, clear, arm, takeoff, start, pause/resume, progress, mission RTL, landing and auto-disarm; the
flown track must follow the plan."""

from __future__ import annotations

import asyncio
import itertools
import math

import pytest
from mavsdk.plugins.geofence import Circle, FenceType, GeofenceData, Point, Polygon
from mavsdk.plugins.mission import MissionItem, MissionPlan
from mavsdk.plugins.telemetry import FlightMode

from tests.sim.helpers import (
    HOME_LAT,
    HOME_LON,
    free_udp_port,
    offset_lonlat,
    one_vehicle_scenario,
    running_world,
)
from tests.sim.mavsdk_helpers import mavsdk_drone, wait_disarmed, wait_in_air, wait_ready

# sim_only: the track check reads the simulator's own state at 10x speed; the PX4 SITL counterpart is
# the trace a conformance test (tests/sim/conformance/test_mission_trace.py).
pytestmark = [pytest.mark.timeout(150), pytest.mark.sitl, pytest.mark.sim_only, pytest.mark.slow]

SURVEY_ALT_M = 40.0
# A lawnmower over a 150 m x 200 m block north-east of home, lines 50 m apart.
SURVEY_EN = [(0, 50), (0, 250), (50, 250), (50, 50), (100, 50), (100, 250), (150, 250), (150, 50)]


def to_en(lon: float, lat: float) -> tuple[float, float]:
    return (
        (lon - HOME_LON) * 111_225.0 * math.cos(math.radians(HOME_LAT)),
        (lat - HOME_LAT) * 111_225.0,
    )


def distance_to_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.hypot(p[0] - (ax + t * dx), p[1] - (ay + t * dy))


def survey_plan() -> MissionPlan:
    items = []
    for east, north in SURVEY_EN:
        lon, lat = offset_lonlat(east, north)
        items.append(
            MissionItem(
                latitude_deg=lat,
                longitude_deg=lon,
                relative_altitude_m=SURVEY_ALT_M,
                speed_m_s=8.0,
                is_fly_through=True,
                acceptance_radius_m=3.0,
            )
        )
    return MissionPlan(items)


def fence() -> GeofenceData:
    corners = [offset_lonlat(e, n) for e, n in ((-150, -150), (300, -150), (300, 400), (-150, 400))]
    polygon = Polygon([Point(lat, lon) for lon, lat in corners], FenceType.INCLUSION)
    lon, lat = offset_lonlat(-100, 300)
    return GeofenceData([polygon], [Circle(Point(lat, lon), 30.0, FenceType.EXCLUSION)])


async def test_survey_mission_through_mavsdk_follows_the_plan() -> None:
    port = free_udp_port()
    scenario = one_vehicle_scenario(wind={"speed_mps": 3.0, "from_deg": 270.0, "gust_sigma_mps": 0.5})
    async with running_world(scenario, port, speed=10.0) as world, mavsdk_drone(port) as drone:
        vehicle = world.vehicles["sim-1"]
        await wait_ready(drone)
        await drone.geofence.upload_geofence(fence())
        assert len(vehicle.geofence.polygons) == 1 and len(vehicle.geofence.circles) == 1

        # Upload, read back, clear, upload again: the stored plan is what we sent.
        await drone.mission.set_return_to_launch_after_mission(True)
        await drone.mission.upload_mission(survey_plan())
        downloaded = await drone.mission.download_mission()
        assert len(downloaded.mission_items) == len(SURVEY_EN)
        for item, (east, north) in zip(downloaded.mission_items, SURVEY_EN, strict=True):
            got = to_en(item.longitude_deg, item.latitude_deg)
            assert math.dist(got, (east, north)) < 0.5
            assert item.relative_altitude_m == pytest.approx(SURVEY_ALT_M)
        await drone.mission.clear_mission()
        assert vehicle.store.get(0) == []
        await drone.mission.upload_mission(survey_plan())

        track: list[tuple[float, float, float]] = []

        async def record() -> None:
            async for position in drone.telemetry.subscribe_position():
                east, north = to_en(position.longitude_deg, position.latitude_deg)
                track.append((east, north, position.relative_altitude_m))

        recorder = asyncio.create_task(record())
        try:
            await drone.action.arm()
            await drone.action.takeoff()
            await wait_in_air(drone, True, 10)
            await drone.mission.start_mission()

            async def progress_reaches(index: int) -> None:
                async for progress in drone.mission.subscribe_mission_progress():
                    if progress.current >= index:
                        return

            await asyncio.wait_for(progress_reaches(3), 60)
            await drone.mission.pause_mission()
            await asyncio.sleep(1.0)  # 10 s of vehicle time: long enough to brake
            assert vehicle.flight.mode.name == "LOITER"
            assert vehicle.flight.body.ground_speed < 0.5
            await drone.mission.start_mission()
            await wait_in_air(drone, False, 90)
            await wait_disarmed(drone, 10)
        finally:
            recorder.cancel()

        said = [text for _, text in vehicle.statustext.history]
        for expected in (
            "Executing Mission\t",
            "Returning to launch\t",
            "Landing detected\t",
            "Disarmed by landing\t",
        ):
            assert expected in said
        assert any(t.startswith(f"Climb to {SURVEY_ALT_M:.1f} meters above home") for t in said)
        # PX4 returns to AUTO.MISSION after a mission's own RTL has landed (trace a).
        mode = await asyncio.wait_for(anext(drone.telemetry.subscribe_flight_mode()), 5)
        assert mode == FlightMode.MISSION

        # The track: every survey waypoint passed within its acceptance radius (+1 m) ...
        for east, north in SURVEY_EN:
            closest = min(math.hypot(p[0] - east, p[1] - north) for p in track)
            assert closest < 4.0, f"waypoint ({east}, {north}) missed by {closest:.1f} m"
        # ... and while at survey altitude the vehicle stayed on the planned lines.
        legs = list(itertools.pairwise(SURVEY_EN))
        first_wp_reached = next(i for i, p in enumerate(track) if math.hypot(p[0], p[1] - 50) < 4.0)
        last_wp_reached = max(i for i, p in enumerate(track) if math.hypot(p[0] - 150, p[1] - 50) < 4.0)
        survey_part = track[first_wp_reached:last_wp_reached]
        assert len(survey_part) > 200
        worst = max(min(distance_to_segment(p[:2], a, b) for a, b in legs) for p in survey_part)
        assert worst < 6.0, f"cross-track error {worst:.1f} m"
        assert all(abs(p[2] - SURVEY_ALT_M) < 2.0 for p in survey_part)
        # Landed back home, on the ground, disarmed.
        body = vehicle.flight.body
        assert math.hypot(body.east_m, body.north_m) < 3.0
        assert not vehicle.flight.armed and not vehicle.flight.crashed
