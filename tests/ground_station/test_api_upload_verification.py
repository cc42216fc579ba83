"""Through the API, against a MAVLink vehicle on real UDP: a failed verification leaves nothing unapproved
on board, is audited, and every start is refused until an approved plan is verified."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.mavlink_fleet import ScriptedVehicle, VehicleProfile
from ground_station.app import fleet_links
from ground_station.config import VehicleConfig
from ground_station.store.models import AuditAction
from tests.ground_station.test_api_support import (
    VALID_SPOT,
    require_dem,
    running_station,
    shared_region,
    simple_mission,
    station_settings,
)

pytestmark = pytest.mark.timeout(120)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_failed_verification_clears_the_vehicle_is_audited_and_blocks_start(tmp_path: Path) -> None:
    require_dem()
    port = free_udp_port()
    settings = station_settings(
        tmp_path, [VehicleConfig(slug="sim-1", mavlink_url=f"udpin://127.0.0.1:{port}")]
    )
    lon, lat = VALID_SPOT
    ground = float(shared_region().terrain.elevation_amsl_m([lon], [lat])[0])
    vehicle = ScriptedVehicle(
        ("127.0.0.1", port),
        home_lon=lon,
        home_lat=lat,
        home_alt_amsl_m=ground,
        profile=VehicleProfile(position_hz=5.0, attitude_hz=5.0, fillers=False),
    )
    with running_station(tmp_path, links_factory=fleet_links, settings=settings) as station:
        client, portal = station.client, station.client.portal
        portal.call(vehicle.start)
        try:
            headers = station.headers("pilot")

            def connected() -> bool:
                body = client.get("/api/vehicles/sim-1", headers=headers).json()
                return bool(body["state"] != "DISCONNECTED")

            _until(connected)
            created = client.post("/api/missions", json=simple_mission(), headers=headers).json()
            vehicle.corrupt_uploads = True
            upload = client.post(
                "/api/vehicles/sim-1/mission", json={"mission_id": created["mission_id"]}, headers=headers
            )
            assert upload.status_code == 502, upload.text
            assert "were cleared" in upload.json()["detail"]
            assert vehicle.missions == {0: [], 1: [], 2: []}
            audit = portal.call(
                station.context.store.audit.find, AuditAction.PLAN_CLEARED_AFTER_FAILED_UPLOAD
            )
            assert [(e.target, e.detail["cleared"]) for e in audit] == [("sim-1", True)]

            assert client.post("/api/vehicles/sim-1/arm", headers=headers).status_code == 200
            start = client.post("/api/vehicles/sim-1/mission/start", headers=headers)
            assert start.status_code == 409 and "mission start refused" in start.json()["detail"]
            assert vehicle.mode != "AUTO.MISSION"

            vehicle.corrupt_uploads = False
            again = client.post(
                "/api/vehicles/sim-1/mission", json={"mission_id": created["mission_id"]}, headers=headers
            )
            assert again.status_code == 200, again.text
            assert client.post("/api/vehicles/sim-1/mission/start", headers=headers).status_code == 200
            assert vehicle.mode == "AUTO.MISSION"
        finally:
            portal.call(vehicle.stop)


def _until(check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Polls a condition (the vehicle's heartbeat arriving); fails only if it never holds."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the vehicle did not connect")
        time.sleep(0.05)
