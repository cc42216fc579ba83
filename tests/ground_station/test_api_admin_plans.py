"""Users and audit routes, and QGroundControl .plan import/export through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.ground_station.test_api_support import Station, running_station, simple_mission

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("admin")) as running:
        yield running


def test_admin_creates_users_and_the_audit_log_records_it(station: Station) -> None:
    admin = station.headers("admin")
    new_pilot = {
        "username": "new.pilot",
        "password": "a-good-password",
        "role": "pilot",
        "organisation": "hzs-olk",
    }
    created = station.client.post("/api/users", headers=admin, json=new_pilot)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "pilot"
    login = station.client.post(
        "/api/auth/token", data={"username": "new.pilot", "password": "a-good-password"}
    )
    assert login.status_code == 200
    duplicate = station.client.post("/api/users", headers=admin, json=new_pilot)
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["detail"]
    weak = station.client.post(
        "/api/users",
        headers=admin,
        json={"username": "x2", "password": "short", "role": "admin", "organisation": "hzs-olk"},
    )
    assert weak.status_code == 422 and "body: password" in weak.json()["message"]
    bad_role = station.client.post(
        "/api/users",
        headers=admin,
        json={"username": "x3", "password": "a-good-password", "role": "king", "organisation": "hzs-olk"},
    )
    assert bad_role.status_code == 422 and "body: role" in bad_role.json()["message"]
    names = [u["username"] for u in station.client.get("/api/users", headers=admin).json()]
    assert "new.pilot" in names and "password_hash" not in json.dumps(
        station.client.get("/api/users", headers=admin).json()
    )
    audit = station.client.get("/api/audit?action=user_created", headers=station.headers("commander")).json()
    assert audit[0]["target"] == "new.pilot" and audit[0]["actor"] == "admin"


def test_plan_import_export_round_trip(station: Station) -> None:
    pilot = station.headers("pilot")
    mission_id = station.client.post("/api/missions", headers=pilot, json=simple_mission("to plan")).json()[
        "mission_id"
    ]
    plan = station.client.get(f"/api/missions/{mission_id}/plan", headers=pilot)
    assert plan.status_code == 200 and plan.json()["fileType"] == "Plan"
    imported = station.client.post("/api/missions/plan", headers=pilot, content=json.dumps(plan.json()))
    assert imported.status_code == 201, imported.text
    original = station.client.get(f"/api/missions/{mission_id}", headers=pilot).json()["mission"]

    # the imported copy also carries the plan's QGC fields (doJumpId, AltitudeMode) to write them back
    def flight(items: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in item.items() if k != "qgc"} for item in items]

    assert flight(imported.json()["mission"]["items"]) == flight(original["items"])
    assert imported.json()["mission"]["home"]["lon"] == pytest.approx(original["home"]["lon"])


def test_bad_plans_are_refused_with_the_json_path(station: Station) -> None:
    pilot = station.headers("pilot")
    created = station.client.post("/api/missions", headers=pilot, json=simple_mission())
    plan = station.client.get(f"/api/missions/{created.json()['mission_id']}/plan", headers=pilot).json()
    plan["mission"]["items"][1]["params"][4] = "north"
    broken = station.client.post("/api/missions/plan", headers=pilot, content=json.dumps(plan))
    assert broken.status_code == 422
    locations = [p["location"] for p in broken.json()["detail"]["problems"]]
    assert any(loc.startswith("$.mission.items[1]") for loc in locations), locations
    garbage = station.client.post("/api/missions/plan", headers=pilot, content=b"{not json")
    assert garbage.status_code == 422 and garbage.json()["detail"]["problems"]
    limit = station.context.settings.max_input_bytes
    station.context.settings.max_input_bytes = 1000
    try:
        too_big = station.client.post("/api/missions/plan", headers=pilot, content=b" " * 5000)
        assert too_big.status_code == 413 and "1000 byte limit" in too_big.json()["detail"]
    finally:
        station.context.settings.max_input_bytes = limit


def test_cameras_list_configured_streams_and_region_poles(tmp_path_factory: pytest.TempPathFactory) -> None:
    from ground_station.config import CameraConfig
    from tests.ground_station.test_api_support import station_settings

    settings = station_settings(tmp_path_factory.mktemp("cameras"))
    settings.cameras = [
        CameraConfig(
            id="sim-1-gimbal", kind="drone", stream_url="udp://127.0.0.1:5600", vehicle_slug="sim-1"
        ),
        CameraConfig(id="jes-namesti", kind="fixed", stream_url="http://127.0.0.1:8081/stream.mjpg"),
    ]
    with running_station(tmp_path_factory.mktemp("cameras-data"), settings=settings) as station:
        cameras = {
            c["id"]: c for c in station.client.get("/api/cameras", headers=station.headers("viewer")).json()
        }
    assert cameras["sim-1-gimbal"]["vehicle_id"] == "sim-1" and cameras["sim-1-gimbal"]["source"] == "config"
    assert cameras["jes-namesti"]["stream_url"].endswith("stream.mjpg") and cameras["jes-namesti"]["lon"]
    assert cameras["nysa-river"]["source"] == "region" and cameras["nysa-river"]["stream_url"] is None
