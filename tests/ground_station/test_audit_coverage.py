"""Every state-changing route leaves exactly one audit row, and its bus message (issue 9, point 4).

The routes come from ``app.routes`` (every non-GET HTTP route), so a new route without a recipe here
fails the test; each recipe makes one authorised request and the test counts the audit rows it left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts

from ground_station.api.audit import audit
from ground_station.auth.users import generate_password
from ground_station.bus.messages import AuditMsg
from ground_station.config import VideoConfig
from ground_station.store.models import AlertRecord, AuditAction
from tests.ground_station.test_api_support import (
    Station,
    require_dem,
    running_station,
    simple_mission,
    station_settings,
)

NOT_STATE_CHANGING = {
    ("POST", "/api/video/streams/{stream_id}/webrtc"): "a WebRTC offer spends a single-use ticket whose "
    "issue was audited (POST .../ticket); negotiating a viewer changes nothing stored",
    ("POST", "/api/patterns/survey"): "computes survey items from the request body and answers them; "
    "nothing is stored or sent (POST only because a polygon does not fit a query string)",
    ("POST", "/api/patterns/corridor"): "computes corridor items from the request body and answers them; "
    "nothing is stored or sent (POST only because a polyline does not fit a query string)",
}
"""Non-GET routes that leave no audit row of their own, each with the reason."""

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    root = tmp_path_factory.mktemp("audit")
    settings = station_settings(root).model_copy(update={"video": VideoConfig(enabled=True)})
    with running_station(root, settings=settings) as running:
        yield running


@dataclass
class Recipe:
    """Prepares what the request needs (untimed, unaudited where possible), then makes the request."""

    request: Callable[[Station, dict[str, Any]], httpx.Response]
    prepare: Callable[[Station], dict[str, Any]] = lambda station: {}


def _mission(station: Station) -> dict[str, Any]:
    created = station.client.post("/api/missions", headers=station.headers("pilot"), json=simple_mission())
    return {"mission_id": created.json()["mission_id"]}


def _alert(station: Station) -> dict[str, Any]:
    alert_id = f"audit-test-{generate_password()[:8]}"
    record = AlertRecord(alert_id, "sim-1", "LOW_BATTERY", "WARNING", "low", {"en": "low"}, datetime.now(UTC))
    station.client.portal.call(station.context.store.alerts.upsert, record)
    return {"alert_id": alert_id}


def _refresh_token(station: Station) -> dict[str, Any]:
    return {"refresh_token": station.login("pilot")["refresh_token"]}


def _plan(station: Station) -> dict[str, Any]:
    mission_id = _mission(station)["mission_id"]
    plan = station.client.get(f"/api/missions/{mission_id}/plan", headers=station.headers("pilot"))
    return {"plan": json.dumps(plan.json())}


def _exported(fmt: str) -> Callable[[Station], dict[str, Any]]:
    def prepare(station: Station) -> dict[str, Any]:
        mission_id = _mission(station)["mission_id"]
        exported = station.client.get(f"/api/missions/{mission_id}/{fmt}", headers=station.headers("pilot"))
        assert exported.status_code == 200, exported.text
        return {"file": exported.content}

    return prepare


def _account(station: Station) -> dict[str, Any]:
    """A fresh pilot account to disable, enable, revoke, re-role or delete (made before counting)."""
    username = f"acct{generate_password()[:6].lower()}".replace("-", "x").replace("_", "x")
    created = station.client.post(
        "/api/users",
        headers=station.headers("admin"),
        json={
            "username": username,
            "password": generate_password(),
            "role": "pilot",
            "organisation": "hzs-olk",
        },
    )
    assert created.status_code == 201, created.text
    return {"username": username}


def _account_change(method: str, suffix: str, body: dict[str, Any] | None = None) -> Recipe:
    return Recipe(
        lambda s, p: s.client.request(
            method, f"/api/users/{p['username']}{suffix}", headers=s.headers("admin"), json=body
        ),
        _account,
    )


AGREEMENT = {
    "partner": "gmina-nysa",
    "legal_basis": "GDPR art. 6(1)(e); CZ-PL treaty on rescue services",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": "2030-01-01T00:00:00Z",
    "normal": {
        "data_classes": ["positions"],
        "area": {"ring": [[17.0, 50.2], [17.6, 50.2], [17.6, 50.5], [17.0, 50.5], [17.0, 50.2]]},
        "retention_s": 3600,
    },
}
INCIDENT = {
    "area": {"ring": [[17.0, 50.2], [17.6, 50.2], [17.6, 50.5], [17.0, 50.5], [17.0, 50.2]]},
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2030-01-01T00:00:00Z",
    "reason": "flood on the Bělá / powódź",
}


def _agreement(station: Station) -> dict[str, Any]:
    from ground_station.sharing.model import AgreementBody

    sharing = station.context.sharing
    agreement = station.client.portal.call(sharing.create_agreement, AgreementBody(**AGREEMENT), "admin")
    return {"agreement_id": agreement.id}


def _incident(station: Station) -> dict[str, Any]:
    from ground_station.sharing.model import IncidentBody

    sharing = station.context.sharing
    incident = station.client.portal.call(sharing.declare_incident, IncidentBody(**INCIDENT), "commander")
    return {"incident_id": incident.id}


def _command(name: str, body: dict[str, Any] | None = None) -> Recipe:
    return Recipe(
        lambda s, _: s.client.post(f"/api/vehicles/sim-1/{name}", headers=s.headers("pilot"), json=body)
    )


RECIPES: dict[tuple[str, str], Recipe] = {
    ("POST", "/api/auth/token"): Recipe(
        lambda s, _: s.client.post(
            "/api/auth/token", data={"username": "pilot", "password": s.passwords["pilot"]}
        )
    ),
    ("POST", "/api/auth/refresh"): Recipe(
        lambda s, p: s.client.post("/api/auth/refresh", json={"refresh_token": p["refresh_token"]}),
        _refresh_token,
    ),
    ("POST", "/api/auth/logout"): Recipe(
        lambda s, p: s.client.post("/api/auth/logout", json={"refresh_token": p["refresh_token"]}),
        _refresh_token,
    ),
    ("POST", "/api/users"): Recipe(
        lambda s, _: s.client.post(
            "/api/users",
            headers=s.headers("admin"),
            json={
                "username": f"u{generate_password()[:6].lower()}".replace("-", "x").replace("_", "x"),
                "password": generate_password(),
                "role": "pilot",
                "organisation": "hzs-olk",
            },
        )
    ),
    ("POST", "/api/users/{username}/disable"): _account_change("POST", "/disable"),
    ("POST", "/api/users/{username}/enable"): _account_change("POST", "/enable"),
    ("POST", "/api/users/{username}/revoke"): _account_change("POST", "/revoke"),
    ("PUT", "/api/users/{username}/role"): _account_change("PUT", "/role", {"role": "commander"}),
    ("DELETE", "/api/users/{username}"): _account_change("DELETE", ""),
    ("POST", "/api/video/streams/{stream_id}/ticket"): Recipe(
        lambda s, _: s.client.post("/api/video/streams/no-such-stream/ticket", headers=s.headers("pilot"))
    ),
    ("POST", "/api/video/recordings/{recording_id}/ticket"): Recipe(
        lambda s, _: s.client.post(
            "/api/video/recordings/no-such-recording/ticket", headers=s.headers("pilot")
        )
    ),
    ("POST", "/api/alerts/{alert_id}/acknowledge"): Recipe(
        lambda s, p: s.client.post(f"/api/alerts/{p['alert_id']}/acknowledge", headers=s.headers("pilot")),
        _alert,
    ),
    ("POST", "/api/missions"): Recipe(
        lambda s, _: s.client.post("/api/missions", headers=s.headers("pilot"), json=simple_mission())
    ),
    ("PUT", "/api/missions/{mission_id}"): Recipe(
        lambda s, p: s.client.put(
            f"/api/missions/{p['mission_id']}", headers=s.headers("pilot"), json=simple_mission("v2")
        ),
        _mission,
    ),
    ("DELETE", "/api/missions/{mission_id}"): Recipe(
        lambda s, p: s.client.delete(f"/api/missions/{p['mission_id']}", headers=s.headers("pilot")),
        _mission,
    ),
    ("POST", "/api/missions/{mission_id}/validate"): Recipe(
        lambda s, p: s.client.post(f"/api/missions/{p['mission_id']}/validate", headers=s.headers("pilot")),
        _mission,
    ),
    ("POST", "/api/missions/check"): Recipe(
        lambda s, _: s.client.post("/api/missions/check", headers=s.headers("pilot"), json=simple_mission())
    ),
    ("POST", "/api/missions/plan"): Recipe(
        lambda s, p: s.client.post("/api/missions/plan", headers=s.headers("pilot"), content=p["plan"]),
        _plan,
    ),
    ("POST", "/api/missions/kml"): Recipe(
        lambda s, p: s.client.post("/api/missions/kml", headers=s.headers("pilot"), content=p["file"]),
        _exported("kml"),
    ),
    ("POST", "/api/missions/geojson"): Recipe(
        lambda s, p: s.client.post("/api/missions/geojson", headers=s.headers("pilot"), content=p["file"]),
        _exported("geojson"),
    ),
    ("POST", "/api/vehicles/{slug}/mission"): Recipe(
        lambda s, p: s.client.post(
            "/api/vehicles/sim-1/mission", headers=s.headers("pilot"), json={"mission_id": p["mission_id"]}
        ),
        _mission,
    ),
    ("POST", "/api/vehicles/{slug}/arm"): _command("arm"),
    ("POST", "/api/vehicles/{slug}/disarm"): _command("disarm"),
    ("POST", "/api/vehicles/{slug}/takeoff"): _command("takeoff", {"alt_rel_m": 20.0}),
    ("POST", "/api/vehicles/{slug}/mission/start"): _command("mission/start"),
    ("POST", "/api/vehicles/{slug}/pause"): _command("pause"),
    ("POST", "/api/vehicles/{slug}/resume"): _command("resume"),
    ("POST", "/api/vehicles/{slug}/goto"): _command("goto", {"lon": 17.1, "lat": 50.33, "alt_amsl_m": 900.0}),
    ("POST", "/api/vehicles/{slug}/rtl"): _command("rtl"),
    ("POST", "/api/vehicles/{slug}/land"): _command("land"),
    ("POST", "/api/sharing/agreements"): Recipe(
        lambda s, _: s.client.post("/api/sharing/agreements", headers=s.headers("admin"), json=AGREEMENT)
    ),
    ("POST", "/api/sharing/agreements/{agreement_id}/revoke"): Recipe(
        lambda s, p: s.client.post(
            f"/api/sharing/agreements/{p['agreement_id']}/revoke", headers=s.headers("admin")
        ),
        _agreement,
    ),
    ("POST", "/api/sharing/requests"): Recipe(
        lambda s, _: s.client.post(
            "/api/sharing/requests",
            headers=s.headers("admin"),
            json={"partner": "gmina-nysa", "data_classes": ["raw_video"]},
        )
    ),
    ("POST", "/api/sharing/incidents"): Recipe(
        lambda s, _: s.client.post("/api/sharing/incidents", headers=s.headers("commander"), json=INCIDENT)
    ),
    ("POST", "/api/sharing/incidents/{incident_id}/close"): Recipe(
        lambda s, p: s.client.post(
            f"/api/sharing/incidents/{p['incident_id']}/close", headers=s.headers("commander")
        ),
        _incident,
    ),
    ("POST", "/api/sharing/incidents/{incident_id}/permits"): Recipe(
        lambda s, p: s.client.post(
            f"/api/sharing/incidents/{p['incident_id']}/permits",
            headers=s.headers("commander"),
            json={
                "reference": "ULCZ-2026-0042",
                "authority": "Urząd Lotnictwa Cywilnego",
                "area": INCIDENT["area"],
                "valid_from": "2026-01-01T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
        ),
        _incident,
    ),
}


def state_changing_routes(station: Station) -> set[tuple[str, str]]:
    """Every non-GET HTTP route of the app (WebSockets change no state: they only stream)."""
    return {
        (method, context.path)
        for context in iter_route_contexts(station.client.app.routes)  # type: ignore[attr-defined]
        if not isinstance(context.route, APIWebSocketRoute)
        for method in context.methods or ()
        if method not in {"GET", "HEAD", "OPTIONS"}
    }


def test_every_state_changing_route_has_a_recipe(station: Station) -> None:
    assert state_changing_routes(station) - set(NOT_STATE_CHANGING) == set(RECIPES)


@pytest.mark.parametrize("route", sorted(RECIPES), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_state_changing_request_leaves_exactly_one_audit_row(
    station: Station, route: tuple[str, str]
) -> None:
    require_dem()  # the upload recipe needs a mission that validates
    recipe = RECIPES[route]
    prepared = recipe.prepare(station)
    store = station.context.store
    before = {e.id for e in station.client.portal.call(store.audit.find, None, 10_000)}
    live = station.context.bus.subscribe("audit", maxsize=100)
    try:
        response = recipe.request(station, prepared)
    finally:
        live.close()
    assert response.status_code < 500 and response.status_code not in (401, 403, 422), response.text
    rows = [e for e in station.client.portal.call(store.audit.find, None, 10_000) if e.id not in before]
    assert len(rows) == 1, rows
    published = [msg for _topic, msg in live.drain()]
    assert len(published) == 1 and isinstance(published[0], AuditMsg)
    assert published[0].action is rows[0].action


def test_an_unknown_audit_action_is_an_error(station: Station) -> None:
    with pytest.raises(ValueError, match="is not a valid AuditAction"):
        station.client.portal.call(audit, station.context, "pilot", "reboot_everything")
    assert AuditAction("vehicle_command") is AuditAction.VEHICLE_COMMAND
