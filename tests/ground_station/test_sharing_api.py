"""Through the API: a cross-border flight permit recorded on an active incident relaxes the border rule
of mission validation for a mission inside it, and closing the incident takes the relaxation away."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.ground_station.test_api_support import Station, require_dem, running_station, shared_region

pytestmark = pytest.mark.timeout(120)
HOME = (17.15, 50.377)  # Czech side, 300 m from the border
NORTH = (17.15, 50.384)  # Polish side
AREA = {"ring": [[17.10, 50.35], [17.20, 50.35], [17.20, 50.40], [17.10, 50.40], [17.10, 50.35]]}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("sharing-api")) as running:
        yield running


def crossing_mission() -> dict[str, Any]:
    """With a planned start: a permit covers a time window, and a mission without a time is never in it."""
    ground = float(shared_region().terrain.elevation_amsl_m([HOME[0]], [HOME[1]])[0])
    return {
        "name": "pátrání přes hranici",
        "planned_start": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
        "home": {"lon": HOME[0], "lat": HOME[1], "alt_amsl_m": ground},
        "items": [
            {"kind": "takeoff", "lon": HOME[0], "lat": HOME[1], "alt_m": 60, "alt_frame": "REL_HOME"},
            {"kind": "waypoint", "lon": NORTH[0], "lat": NORTH[1], "alt_m": 60, "alt_frame": "REL_HOME"},
            {"kind": "rtl"},
        ],
    }


def border_violations(station: Station, mission_id: str) -> list[dict[str, Any]]:
    report = station.client.post(f"/api/missions/{mission_id}/validate", headers=station.headers("commander"))
    assert report.status_code == 200, report.text
    return [v for v in report.json()["violations"] if v["rule_id"] == "border"]


def test_permit_on_an_active_incident_relaxes_only_the_border_rule(station: Station) -> None:
    require_dem()
    now = datetime.now(UTC)
    created = station.client.post(
        "/api/missions", headers=station.headers("commander"), json=crossing_mission()
    )
    assert created.status_code == 201, created.text
    mission_id = created.json()["mission_id"]
    assert len(border_violations(station, mission_id)) == 2  # out and back

    window = {
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
    }
    incident = station.client.post(
        "/api/sharing/incidents",
        headers=station.headers("commander"),
        json={"area": AREA, "reason": "pohřešovaná osoba / osoba zaginiona", **window},
    )
    assert incident.status_code == 201, incident.text
    incident_id = incident.json()["id"]
    assert len(border_violations(station, mission_id)) == 2  # an incident alone is no permit
    permit = station.client.post(
        f"/api/sharing/incidents/{incident_id}/permits",
        headers=station.headers("commander"),
        json={
            "reference": "ULC/2026/0815",
            "authority": "Urząd Lotnictwa Cywilnego",
            "area": AREA,
            "valid_from": window["starts_at"],
            "valid_until": window["ends_at"],
        },
    )
    assert permit.status_code == 200, permit.text
    assert border_violations(station, mission_id) == []

    closed = station.client.post(
        f"/api/sharing/incidents/{incident_id}/close", headers=station.headers("commander")
    )
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert len(border_violations(station, mission_id)) == 2


def test_pilots_cannot_declare_incidents_nor_make_agreements(station: Station) -> None:
    now = datetime.now(UTC).isoformat()
    incident = {"area": AREA, "reason": "x y z", "starts_at": now, "ends_at": "2100-01-01T00:00:00Z"}
    assert (
        station.client.post(
            "/api/sharing/incidents", headers=station.headers("pilot"), json=incident
        ).status_code
        == 403
    )
    agreement = station.client.post("/api/sharing/agreements", headers=station.headers("commander"), json={})
    assert agreement.status_code == 403


def test_partner_data_is_empty_and_viewing_it_is_audited(station: Station, tmp_path: Path) -> None:
    before = len(
        station.client.get("/api/audit", headers=station.headers("admin"), params={"limit": 5000}).json()
    )
    data = station.client.get("/api/sharing/partner-data", headers=station.headers("viewer"))
    assert data.status_code == 200 and data.json() == []
    rows = station.client.get("/api/audit", headers=station.headers("admin"), params={"limit": 5000}).json()
    assert len(rows) == before + 1 and rows[0]["action"] == "partner_data_viewed"
