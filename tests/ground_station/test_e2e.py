"""End to end: the simulator and the service as real processes, driven only through the API.

One simulator (two drones, speed factor for CI) and one service per module:
- sim-1 flies an uploaded, validated mission start to finish (REST + WebSocket, track, tlog);
- sim-2 gets an injected link fault and is steered towards a prohibited zone (alerts);
- the service is killed with SIGKILL mid-flight and restarted: everything committed is still there and
  the vehicle is re-attached (state, new flight, commands work);
- the recorded .tlog of sim-1's flight is replayed with ``borderwatch replay`` as a live vehicle.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from ground_station.demo import BORDERWATCH_COMMAND
from tests.conftest import REPO
from tests.ground_station.test_api_support import HELIPORT, SHARED_DEM, VALID_SPOT, shared_region
from tests.ground_station.test_e2e_support import (
    ADMIN_PASSWORD,
    PILOT_PASSWORD,
    Api,
    ServiceProcess,
    SimProcess,
    add_user,
    eventually,
    free_tcp_port,
    free_udp_base,
    mission_around,
    start_sim,
    upload_and_start,
    vehicle,
    wait_connected,
    write_scenario,
    write_station_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.sim_only, pytest.mark.timeout(300)]

SPEED = 8.0
NEAR_HELIPORT = (17.185, 50.240)
"""About 750 m north-west of the edge of the PROHIBITED Jeseník hospital heliport zone."""


def ground_at(lon: float, lat: float) -> float:
    return float(shared_region().terrain.elevation_amsl_m([lon], [lat])[0])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimProcess, ServiceProcess]]:
    if not SHARED_DEM.is_file():
        pytest.skip(f"needs the shared DEM {SHARED_DEM} (missions must validate against real terrain)")
    root = tmp_path_factory.mktemp("e2e")
    scenario = write_scenario(
        root / "scenario.yaml",
        {
            "sim-1": (*VALID_SPOT, ground_at(*VALID_SPOT)),
            "sim-2": (*NEAR_HELIPORT, ground_at(*NEAR_HELIPORT)),
        },
        {"NAV_DLL_ACT": 0.0},
    )
    sim = start_sim(
        root / "sim", scenario, vehicles=2, speed=SPEED, base_port=free_udp_base(2), dem=SHARED_DEM
    )
    replay_url = f"udpin://127.0.0.1:{free_udp_base(1)}"
    config = write_station_config(
        root / "station.toml",
        root / "data",
        free_tcp_port(),
        sim.ready,
        [SHARED_DEM],
        {"replay-1": replay_url},
    )
    add_user(config, "e2e-admin", "admin", ADMIN_PASSWORD)
    service = ServiceProcess(
        config, int(config.read_text().split("port = ")[1].split()[0]), root / "service.log"
    )
    try:
        service.start()
        yield sim, service
    finally:
        code = service.stop()
        sim.stop()
        assert code in (0, None), service.log_tail()


async def connect(service: ServiceProcess, user: str = "e2e-admin", password: str = ADMIN_PASSWORD) -> Api:
    api = Api(service.base_url, user, password)
    await api.login()
    return api


async def pilot(service: ServiceProcess) -> Api:
    admin = await connect(service)
    existing = [u["username"] for u in await admin.ok("GET", "/api/users")]
    if "e2e-pilot" not in existing:
        await admin.ok(
            "POST",
            "/api/users",
            json={
                "username": "e2e-pilot",
                "password": PILOT_PASSWORD,
                "role": "pilot",
                "organisation": "hzs-olk",
            },
        )
    await admin.close()
    return await connect(service, "e2e-pilot", PILOT_PASSWORD)


async def test_fly_a_mission_end_to_end(world: tuple[SimProcess, ServiceProcess]) -> None:
    sim, service = world
    api = await pilot(service)
    try:
        await wait_connected(api, "sim-1")
        home = next(v.home for v in sim.ready.vehicles if v.slug == "sim-1")
        frames: list[dict[str, Any]] = []
        url = service.base_url.replace("http", "ws") + f"/ws/telemetry?token={api.token}"
        async with websockets.connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await ws.send(
                json.dumps({"type": "subscribe", "vehicles": ["sim-1"], "topics": ["position", "status"]})
            )
            mission_id = await upload_and_start(api, "sim-1", mission_around(home, "e2e square"))
            subscribed = False
            while len(frames) < 20:
                frame = json.loads(await ws.recv())
                subscribed = subscribed or frame["type"] == "subscribed"
                if subscribed and frame["type"] == "telemetry":
                    frames.append(frame)
        assert all(f["vehicle_id"] == "sim-1" for f in frames)
        assert api.token not in service.log_tail(10**8), "the WebSocket token leaked into the log"
        assert any("position" in f["data"] for f in frames)

        async def flown_and_landed() -> bool:
            body = await vehicle(api, "sim-1")
            flights = await api.ok("GET", "/api/flights?vehicle_id=sim-1")
            return bool(flights and flights[0]["ended_at"] and not body["armed"])

        await eventually(flown_and_landed, "sim-1 to fly the mission, land and disarm", 180, 0.5)
        flight = (await api.ok("GET", "/api/flights?vehicle_id=sim-1"))[0]
        assert flight["mission_id"] == mission_id and flight["has_tlog"]
        track = await api.ok("GET", f"/api/flights/{flight['id']}/track")
        coordinates = track["features"][0]["geometry"]["coordinates"]
        assert len(coordinates) > 50
        max_east = max(c[0] for c in coordinates)
        assert max_east > home.lon + 0.8 * 250 / (111_320 * math.cos(math.radians(home.lat)))
        events = [e["kind"] for e in await api.ok("GET", f"/api/flights/{flight['id']}/events")]
        # TOOK_OFF/LANDED are not asserted individually: the link layer may publish them just outside
        # FLIGHT_STARTED..FLIGHT_ENDED (without a flight id); the store keeps whatever it is given.
        assert events[0] == "FLIGHT_STARTED" and events[-1] == "FLIGHT_ENDED"
        assert {"TOOK_OFF", "LANDED"} & set(events) and "MODE_CHANGED" in events
        tlog = await api.call("GET", f"/api/flights/{flight['id']}/tlog")
        assert tlog.status_code == 200 and len(tlog.content) > 10_000
    finally:
        await api.close()


async def test_alerts_for_injected_fault_and_steered_zone_approach(
    world: tuple[SimProcess, ServiceProcess],
) -> None:
    sim, service = world
    api = await pilot(service)
    try:
        await wait_connected(api, "sim-2")
        async with httpx.AsyncClient(timeout=10) as control:
            injected = await control.post(
                f"{sim.ready.control_url}/vehicles/sim-2/faults", json={"kind": "link", "seconds": 4}
            )
            assert injected.status_code == 200, injected.text

        async def link_alert() -> list[dict[str, Any]]:
            alerts = await api.ok("GET", "/api/alerts?vehicle_id=sim-2")
            return [a for a in alerts if a["kind"] == "LINK_LOST"]

        found = await eventually(link_alert, "a LINK_LOST alert for sim-2", 30)
        assert found[0]["messages"]["cs"] and found[0]["messages"]["pl"]

        async def fault_over() -> bool:
            async with httpx.AsyncClient(timeout=10) as control:
                states = (await control.get(f"{sim.ready.control_url}/vehicles")).json()
            return not next(s for s in states if s["slug"] == "sim-2")["faults"]

        await eventually(fault_over, "the link fault to end", 30)
        recovered_after = datetime.now(UTC)

        async def link_back() -> bool:
            body = await vehicle(api, "sim-2")
            position = body["position"]
            fresh = position and datetime.fromisoformat(position["time_utc"]) > recovered_after
            return bool(body["link_connected"] and fresh)

        await eventually(link_back, "sim-2 telemetry after the fault", 30)

        await api.ok("POST", "/api/vehicles/sim-2/arm")
        await api.ok("POST", "/api/vehicles/sim-2/takeoff", json={"alt_rel_m": 40})

        async def airborne() -> bool:
            body = await vehicle(api, "sim-2")
            return body["in_air"] and body["position"]["alt_rel_m"] > 30

        await eventually(airborne, "sim-2 airborne", 60)
        target_ground = ground_at(*HELIPORT)
        await api.ok(
            "POST",
            "/api/vehicles/sim-2/goto",
            json={"lon": HELIPORT[0], "lat": HELIPORT[1], "alt_amsl_m": target_ground + 40},
        )

        async def zone_alert() -> list[dict[str, Any]]:
            alerts = await api.ok("GET", "/api/alerts?vehicle_id=sim-2")
            return [a for a in alerts if a["kind"] == "ZONE_ENTRY" and a["zone_id"] == "BWX-CZ-HEMS-JESENIK"]

        approach = await eventually(zone_alert, "a ZONE_ENTRY alert for the heliport", 90)
        assert approach[0]["severity"] in ("WARNING", "CRITICAL")
        acked = await api.ok("POST", f"/api/alerts/{approach[0]['alert_id']}/acknowledge")
        assert acked["acknowledged_by"] == "e2e-pilot"
        await api.ok("POST", "/api/vehicles/sim-2/rtl")
    finally:
        await api.close()


async def test_kill_9_mid_flight_then_restart_keeps_data_and_reattaches(
    world: tuple[SimProcess, ServiceProcess],
) -> None:
    sim, service = world
    api = await pilot(service)
    home = next(v.home for v in sim.ready.vehicles if v.slug == "sim-1")
    await wait_connected(api, "sim-1")
    mission_id = await upload_and_start(api, "sim-1", mission_around(home, "long leg", legs_m=1500.0))

    async def in_flight_with_track() -> dict[str, Any] | None:
        flights = await api.ok("GET", "/api/flights?vehicle_id=sim-1")
        if not flights or flights[0]["ended_at"] or flights[0]["mission_id"] != mission_id:
            return None
        track = await api.ok("GET", f"/api/flights/{flights[0]['id']}/track")
        points = track["features"][0]["properties"]["point_count"]
        return {"flight": flights[0], "points": points} if points > 30 else None

    before = await eventually(in_flight_with_track, "sim-1 in flight with a stored track", 90)
    alerts_before = {a["alert_id"] for a in await api.ok("GET", "/api/alerts")}
    await api.close()

    service.kill_9()
    service.start()

    api = await pilot(service)
    try:
        assert (await api.ok("GET", f"/api/missions/{mission_id}"))["version"] == 1
        old = await api.ok("GET", f"/api/flights/{before['flight']['id']}")
        assert old["ended_at"] is not None  # closed as interrupted at its last stored point
        track = await api.ok("GET", f"/api/flights/{old['id']}/track")
        assert track["features"][0]["properties"]["point_count"] >= before["points"]
        assert alerts_before <= {a["alert_id"] for a in await api.ok("GET", "/api/alerts")}

        async def reattached() -> dict[str, Any] | None:
            body = await vehicle(api, "sim-1")
            flights = await api.ok("GET", "/api/flights?vehicle_id=sim-1")
            resumed = [f for f in flights if f["id"] != old["id"] and not f["ended_at"]]
            return resumed[0] if body["in_air"] and body["link_connected"] and resumed else None

        resumed = await eventually(reattached, "sim-1 re-attached in the air with a new flight", 60)
        assert resumed["mission_id"] == mission_id  # the approval survived the restart
        await api.ok("POST", "/api/vehicles/sim-1/rtl")  # commands reach the vehicle again

        async def returning() -> bool:
            body = await vehicle(api, "sim-1")
            return body["state"] in ("RETURNING", "LANDED") or not body["in_air"]

        await eventually(returning, "sim-1 returning after RTL from the restarted service", 60)
    finally:
        await api.close()


async def test_recorded_flight_replays_into_the_service_as_a_live_vehicle(
    world: tuple[SimProcess, ServiceProcess], tmp_path: Path
) -> None:
    _sim, service = world
    api = await pilot(service)
    try:
        flights = await api.ok("GET", "/api/flights?vehicle_id=sim-1")
        recorded = next(f for f in flights if f["ended_at"] and f["has_tlog"])
        tlog = tmp_path / "flight.tlog"
        tlog.write_bytes((await api.call("GET", f"/api/flights/{recorded['id']}/tlog")).content)
        assert (await vehicle(api, "replay-1"))["state"] == "DISCONNECTED"
        replay = await asyncio.create_subprocess_exec(
            *BORDERWATCH_COMMAND,
            "replay", str(tlog), "--vehicle", "replay-1", "--speed", "4", "-c", str(service.config),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            live = await wait_connected(api, "replay-1")
            assert live["position"]["lat"] == pytest.approx(VALID_SPOT[1], abs=0.02)
        finally:
            if replay.returncode is None:
                replay.kill()
            await replay.wait()
    finally:
        await api.close()
