"""Every route in ``app.routes`` (WebSockets included) is public by the ONE allow-list, or refuses
an unauthenticated request (401) and every role that lacks its permission (403)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Host, Mount
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect

from ground_station.api.public_routes import PUBLIC_MOUNTS, PUBLIC_ROUTES
from ground_station.api.routes.telemetry_ws import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHENTICATED,
    WS_TELEMETRY_PERMISSION,
)
from ground_station.auth.roles import Permission, Role, has_permission, roles_with
from ground_station.store.models import AlertRecord, Flight
from tests.ground_station.test_api_support import USERS, Station, running_station, simple_mission

pytestmark = pytest.mark.timeout(180)

OPEN_TO_EVERY_ROLE = {
    Permission.VIEW_VEHICLES,
    Permission.VIEW_MAP,
    Permission.VIEW_ALERTS,
    Permission.VIEW_TELEMETRY,
    Permission.VIEW_SELF,
}
"""Permissions every role holds: for their routes "wrong role" cannot exist, so the test instead proves
forged, expired and refresh-as-access tokens are refused. Adding to this set is a deliberate decision."""

USER_OF_ROLE = {role: name for name, (role, _org) in reversed(list(USERS.items()))}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("coverage")) as running:
        yield running


def route_table(station: Station) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every HTTP method of every route, and ("WS", path, route)."""
    table = []
    for context in iter_route_contexts(station.client.app.routes):  # type: ignore[attr-defined]
        route = context.route
        if isinstance(route, APIWebSocketRoute):
            table.append(("WS", context.path, route))
            continue
        for method in sorted(context.methods or ()):
            if method != "HEAD":
                table.append((method, context.path, route))
    return table


def required_permission(route: APIRoute) -> Permission | None:
    found: list[Permission] = []

    def walk(dependant: Any) -> None:
        permission = getattr(dependant.call, "required_permission", None)
        if permission is not None:
            found.append(permission)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    assert len(set(found)) <= 1, f"{route.path}: several different guards {found}"
    return found[0] if found else None


def concrete_path(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


@pytest.fixture(scope="module")
def ids(station: Station) -> dict[str, str]:
    created = station.client.post("/api/missions", headers=station.headers("admin"), json=simple_mission())
    assert created.status_code == 201, created.text
    portal, store = station.client.portal, station.context.store
    now = datetime.now(UTC)
    portal.call(store.flights.start, Flight("flight-1", "sim-1", now, None, None))
    portal.call(
        store.alerts.upsert,
        AlertRecord(
            "alert-1", "sim-1", "LOW_BATTERY", "WARNING", "m", {"en": "m", "cs": "m", "pl": "m"}, now
        ),
    )
    return {
        "slug": "sim-1",
        "mission_id": created.json()["mission_id"],
        "version": "1",
        "flight_id": "flight-1",
        "alert_id": "alert-1",
        "z": "9",
        "x": "280",
        "y": "173",
        "username": "no-such-user",  # account routes answer 404, so the sweep ends no real account
        "agreement_id": "agr-unknown",
        "incident_id": "inc-unknown",
        "stream_id": "no-such-stream",
        "recording_id": "no-such-recording",
    }


def request(station: Station, method: str, path: str, headers: dict[str, str]) -> int:
    return station.client.request(method, path, headers=headers, json={}).status_code


def test_allow_list_matches_real_routes(station: Station) -> None:
    present = {(m, p) for m, p, _ in route_table(station)}
    assert PUBLIC_ROUTES <= present, f"allow-list names routes that do not exist: {PUBLIC_ROUTES - present}"


def test_every_mount_is_a_listed_static_folder(station: Station) -> None:
    """A mounted app or static folder bypasses the route guards, so each must be on the allow-list, and
    may only serve static files (a mounted sub-application would hide unguarded routes)."""
    mounts: dict[str, Any] = {}

    def walk(routes: Any, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Host):
                raise AssertionError(f"host-routed app {route.host!r} is not allowed: routes would escape")
            if isinstance(route, Mount):
                path = prefix + route.path
                mounts[path] = route.app
                walk(getattr(route.app, "routes", None) or [], path)

    walk(station.client.app.routes)  # type: ignore[attr-defined]
    unlisted = set(mounts) - PUBLIC_MOUNTS
    assert not unlisted, f"mounted but not on the public allow-list (contract 11): {sorted(unlisted)}"
    assert set(mounts) >= PUBLIC_MOUNTS, f"listed but not mounted: {sorted(PUBLIC_MOUNTS - set(mounts))}"
    for path, app in mounts.items():
        assert isinstance(app, StaticFiles), f"{path} mounts {type(app).__name__}, not a static folder"


def test_every_protected_route_declares_a_permission(station: Station) -> None:
    for method, path, route in route_table(station):
        if (method, path) in PUBLIC_ROUTES:
            continue
        if method == "WS":
            continue  # WebSockets authenticate in the handler; proven by behaviour below
        assert required_permission(route) is not None, f"{method} {path} has no require(...) guard"


def test_unauthenticated_and_bad_tokens_are_refused_everywhere(station: Station, ids: dict[str, str]) -> None:
    secret = "x" * 48
    forged = jwt.encode(
        {
            "iss": "borderwatch",
            "sub": "1",
            "typ": "access",
            "role": "admin",
            "org": "hzs-olk",
            "iat": int(datetime.now(UTC).timestamp()),
            "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
        },
        secret,
        algorithm="HS256",
    )
    refresh_as_access = station.login("admin")["refresh_token"]
    bad_headers = [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Bearer {refresh_as_access}"},
    ]
    checked = 0
    for method, path, _route in route_table(station):
        if (method, path) in PUBLIC_ROUTES or method == "WS":
            continue
        url = concrete_path(path, ids)
        for headers in bad_headers:
            status = request(station, method, url, headers)
            assert status == 401, f"{method} {url} with {headers or 'no token'} answered {status}"
            checked += 1
    assert checked >= 5 * 30


def test_every_role_without_the_permission_gets_403(station: Station, ids: dict[str, str]) -> None:
    refused = 0
    for method, path, route in route_table(station):
        if (method, path) in PUBLIC_ROUTES or method == "WS":
            continue
        permission = required_permission(route)
        assert permission is not None
        if permission in OPEN_TO_EVERY_ROLE:
            assert roles_with(permission) == set(Role)
            continue
        url = concrete_path(path, ids)
        lacking = [role for role in Role if not has_permission(role, permission)]
        assert lacking, (
            f"{method} {path}: every role may {permission}; add it to OPEN_TO_EVERY_ROLE deliberately"
        )
        for role in lacking:
            status = request(station, method, url, station.headers(USER_OF_ROLE[role]))
            assert status == 403, f"{method} {url} as {role} answered {status}"
            refused += 1
        allowed = next(role for role in Role if has_permission(role, permission))
        status = request(station, method, url, station.headers(USER_OF_ROLE[allowed]))
        assert status not in (401, 403), f"{method} {url} refused {allowed} ({status})"
    assert refused >= 20


def test_websocket_routes_refuse_missing_and_bad_tokens(station: Station) -> None:
    ws_paths = [path for method, path, _ in route_table(station) if method == "WS"]
    assert ws_paths == ["/ws/telemetry"]
    assert roles_with(WS_TELEMETRY_PERMISSION) == set(Role)  # so only authentication can refuse it
    for path in ws_paths:
        for query, first_message in (
            ("", {"type": "subscribe"}),
            ("", {"type": "auth", "token": "not-a-jwt"}),
            ("?token=", {"type": "auth"}),
            ("?token=not-a-jwt", None),
        ):
            with pytest.raises(WebSocketDisconnect) as closed:
                with station.client.websocket_connect(path + query) as ws:
                    if first_message is not None:
                        ws.send_json(first_message)
                    ws.receive_json()
            assert closed.value.code == CLOSE_UNAUTHENTICATED, (path, query, first_message)
    assert CLOSE_FORBIDDEN != CLOSE_UNAUTHENTICATED
