"""The station flies real PX4 SITL through its own REST API, as a pilot would.

Runs only when ``PX4_SITL_BUILD`` points at a PX4 v1.16 SITL build (see ``../shared/PX4-SITL.md``); the
same flight against the built-in simulator is ``test_e2e.py::test_fly_a_mission_end_to_end``. This is the
flow that failed on real PX4: the upload with the derived geofence (PX4 re-encodes frames on download),
then arm and start at once (PX4 refuses AUTO.MISSION until it has loaded the new mission).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ground_station.test_api_support import SHARED_DEM, VALID_SPOT, shared_region
from tests.ground_station.test_e2e_support import (
    PILOT_PASSWORD,
    Api,
    ServiceProcess,
    add_user,
    eventually,
    free_tcp_port,
    mission_around,
    upload_and_start,
    vehicle,
    wait_connected,
    write_station_config,
)

pytestmark = [pytest.mark.sitl, pytest.mark.slow, pytest.mark.timeout(400)]


@pytest.fixture
def px4_and_station(tmp_path: Path) -> Iterator[tuple[Any, ServiceProcess]]:
    from sim.px4 import Px4SitlNotConfigured, start_px4_sitl

    if not SHARED_DEM.is_file():
        pytest.skip(f"needs the shared DEM {SHARED_DEM} (the mission must validate against terrain)")
    lon, lat = VALID_SPOT
    ground = float(shared_region().terrain.elevation_amsl_m([lon], [lat])[0])
    try:
        px4 = start_px4_sitl(home=(lon, lat, ground))
    except Px4SitlNotConfigured as exc:
        pytest.skip(str(exc))
    port = free_tcp_port()
    config = write_station_config(
        tmp_path / "station.toml", tmp_path / "data", port, None, [SHARED_DEM], {"px4-1": px4.mavlink_url}
    )
    add_user(config, "px4-pilot", "pilot", PILOT_PASSWORD)
    service = ServiceProcess(config, port, tmp_path / "service.log")
    try:
        service.start()
        yield px4, service
    finally:
        service.stop()
        px4.stop()


async def test_upload_verify_arm_start_at_once_fly_and_land_on_real_px4(
    px4_and_station: tuple[Any, ServiceProcess],
) -> None:
    _, service = px4_and_station
    api = Api(service.base_url, "px4-pilot", PILOT_PASSWORD)
    await api.login()
    try:
        state = await wait_connected(api, "px4-1")
        home = state["position"]

        class Home:
            lon, lat, alt_amsl_m = home["lon"], home["lat"], home["alt_amsl_m"] - home["alt_rel_m"]

        mission_id = await upload_and_start(api, "px4-1", mission_around(Home, "px4 square", 30.0, 120.0))

        async def flying_the_mission() -> bool:
            body = await vehicle(api, "px4-1")
            return bool(body["flight_mode"] == "AUTO.MISSION" and body["armed"])

        # start returned only once the vehicle's heartbeat showed it; the API's cache follows at once
        await eventually(flying_the_mission, "the API to show AUTO.MISSION, armed", 10)

        async def landed() -> bool:
            flights = await api.ok("GET", "/api/flights?vehicle_id=px4-1")
            now = await vehicle(api, "px4-1")
            return bool(flights and flights[0]["ended_at"] and not now["armed"])

        await eventually(landed, "PX4 to fly the mission, return, land and disarm", 300, 1.0)
        flight = (await api.ok("GET", "/api/flights?vehicle_id=px4-1"))[0]
        assert flight["mission_id"] == mission_id
        alerts = await api.ok("GET", "/api/alerts")
        assert not [a for a in alerts if a["kind"] == "LINK_LOST"], alerts
    finally:
        await api.close()
