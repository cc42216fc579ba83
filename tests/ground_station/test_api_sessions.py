"""Access ends when it should: WebSocket session lifetime and ending accounts (issue 10, points 1 and 3).

Time is a ManualClock injected into the app: the tests move it forward instead of waiting, and every
assertion waits on a message or a close, never on a delay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from ground_station.api.routes import telemetry_ws
from ground_station.auth.clock import ManualClock
from ground_station.auth.roles import Permission
from ground_station.store.models import AuditAction
from tests.ground_station.test_api_support import Station, running_station

pytestmark = pytest.mark.timeout(120)

ACCESS_TTL_S = 15 * 60


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory, clock: ManualClock) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("sessions"), with_region=False, clock=clock) as running:
        yield running


_counter = iter(range(1000))


def new_user(station: Station, role: str = "pilot") -> str:
    """A fresh account per test (tests end accounts, so they never share one)."""
    username = f"user{next(_counter)}"
    password = "a-long-enough-password"
    response = station.client.post(
        "/api/users",
        json={"username": username, "password": password, "role": role, "organisation": "hzs-olk"},
        headers=admin_headers(station),
    )
    assert response.status_code == 201, response.text
    station.passwords[username] = password
    station.login(username)
    return username


def fresh_headers(station: Station, username: str) -> dict[str, str]:
    """A token minted at the clock's current time (the tests move time past older tokens)."""
    station.login(username)
    return station.headers(username)


def admin_headers(station: Station) -> dict[str, str]:
    return fresh_headers(station, "admin")


def advance(station: Station, clock: ManualClock, seconds: float) -> None:
    station.client.portal.call(clock.advance, seconds)


def open_socket(station: Station, username: str) -> Any:
    return station.client.websocket_connect(f"/ws/telemetry?token={station.tokens[username]}")


def hello(ws: WebSocketTestSession) -> dict[str, Any]:
    first: dict[str, Any] = ws.receive_json()
    assert first["type"] == "hello"
    return first


def expect_close(ws: WebSocketTestSession, code: int) -> list[dict[str, Any]]:
    """Reads until the server closes; returns what came before. Fails on another close code."""
    seen: list[dict[str, Any]] = []
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            seen.append(ws.receive_json())
    assert closed.value.code == code, (closed.value, seen)
    return seen


def still_open(ws: WebSocketTestSession) -> None:
    """A round trip proves the socket is alive (and that anything the server queued before came first)."""
    ws.send_text(json.dumps({"type": "subscribe", "topics": ["position"]}))
    while (message := ws.receive_json())["type"] != "subscribed":
        assert message["type"] in ("telemetry", "alert"), message


def test_socket_warns_before_expiry_and_closes_4401_at_expiry(station: Station, clock: ManualClock) -> None:
    user = new_user(station)
    with open_socket(station, user) as ws:
        hello(ws)
        advance(station, clock, ACCESS_TTL_S - 61)
        still_open(ws)
        advance(station, clock, 2)
        assert ws.receive_json()["type"] == "token_expiring"
        advance(station, clock, 60)
        expect_close(ws, telemetry_ws.CLOSE_UNAUTHENTICATED)


def test_renewed_token_keeps_the_socket_open(station: Station, clock: ManualClock) -> None:
    user = new_user(station)
    with open_socket(station, user) as ws:
        hello(ws)
        advance(station, clock, ACCESS_TTL_S - 30)
        assert ws.receive_json()["type"] == "token_expiring"
        station.login(user)
        ws.send_text(json.dumps({"type": "auth", "token": station.tokens[user]}))
        assert ws.receive_json()["type"] == "auth_ok"
        advance(station, clock, 60)  # past the first token's expiry
        still_open(ws)
        advance(station, clock, ACCESS_TTL_S - 60 - 59)  # 59 s before the renewed token expires
        assert ws.receive_json()["type"] == "token_expiring"
        advance(station, clock, 59)
        expect_close(ws, telemetry_ws.CLOSE_UNAUTHENTICATED)


def test_bad_or_foreign_renewal_closes_4401(station: Station) -> None:
    user = new_user(station)
    with open_socket(station, user) as ws:
        hello(ws)
        ws.send_text(json.dumps({"type": "auth", "token": "garbage"}))
        expect_close(ws, telemetry_ws.CLOSE_UNAUTHENTICATED)
    other = new_user(station)
    with open_socket(station, user) as ws:
        hello(ws)
        ws.send_text(json.dumps({"type": "auth", "token": station.tokens[other]}))
        expect_close(ws, telemetry_ws.CLOSE_UNAUTHENTICATED)


def test_disabling_a_user_closes_their_socket_4403_revokes_refresh_and_audits(station: Station) -> None:
    user = new_user(station)
    refresh = station.login(user)["refresh_token"]
    with open_socket(station, user) as ws:
        hello(ws)
        response = station.client.post(f"/api/users/{user}/disable", headers=admin_headers(station))
        assert response.status_code == 200, response.text
        assert response.json()["user"]["disabled"] is True
        assert response.json()["revoked_refresh_tokens"] >= 1
        expect_close(ws, telemetry_ws.CLOSE_FORBIDDEN)
    assert station.client.post("/api/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    login = station.client.post(
        "/api/auth/token", data={"username": user, "password": station.passwords[user]}
    )
    assert login.status_code == 401
    audit = station.client.get(
        "/api/audit", params={"action": AuditAction.USER_DISABLED.value}, headers=admin_headers(station)
    ).json()
    assert any(row["target"] == user and row["actor"] == "admin" for row in audit)


def test_deleting_a_user_closes_4403_and_revoke_closes_4401(station: Station) -> None:
    user = new_user(station)
    with open_socket(station, user) as ws:
        hello(ws)
        assert station.client.delete(f"/api/users/{user}", headers=admin_headers(station)).status_code == 204
        expect_close(ws, telemetry_ws.CLOSE_FORBIDDEN)
    assert station.client.get("/api/auth/me", headers=station.headers(user)).status_code == 401
    other = new_user(station)
    refresh = station.login(other)["refresh_token"]
    with open_socket(station, other) as ws:
        hello(ws)
        response = station.client.post(f"/api/users/{other}/revoke", headers=admin_headers(station))
        assert response.status_code == 200, response.text
        expect_close(ws, telemetry_ws.CLOSE_UNAUTHENTICATED)
    assert station.client.post("/api/auth/refresh", json={"refresh_token": refresh}).status_code == 401
    actions = {
        row["action"]
        for row in station.client.get("/api/audit", headers=admin_headers(station)).json()
        if row["target"] in (user, other)
    }
    assert {AuditAction.USER_DELETED.value, AuditAction.SESSIONS_REVOKED.value} <= actions


def test_losing_the_role_closes_4403(station: Station, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every shipped role may view telemetry; tie the socket to a permission only commanders hold.
    monkeypatch.setattr(telemetry_ws, "WS_TELEMETRY_PERMISSION", Permission.VIEW_AUDIT)
    user = new_user(station, role="commander")
    with open_socket(station, user) as ws:
        hello(ws)
        response = station.client.put(
            f"/api/users/{user}/role", json={"role": "pilot"}, headers=admin_headers(station)
        )
        assert response.status_code == 200, response.text
        expect_close(ws, telemetry_ws.CLOSE_FORBIDDEN)


def test_ending_accounts_is_admin_only_and_not_self(station: Station) -> None:
    user = new_user(station)
    for method, path in (
        ("post", f"/api/users/{user}/disable"),
        ("post", f"/api/users/{user}/revoke"),
        ("delete", f"/api/users/{user}"),
    ):
        assert (
            station.client.request(method, path, headers=fresh_headers(station, "commander")).status_code
            == 403
        )
    assert station.client.post("/api/users/admin/disable", headers=admin_headers(station)).status_code == 409
    assert station.client.post("/api/users/nobody/disable", headers=admin_headers(station)).status_code == 404


def test_a_change_made_elsewhere_ends_sessions_on_the_recheck(station: Station, clock: ManualClock) -> None:
    """The CLI changes the database from another process (no bus): REST refuses the revoked login at once,
    and open sockets close at their next periodic re-check."""
    from ground_station.auth import accounts

    store = station.context.store
    revoked, disabled = new_user(station), new_user(station)
    with open_socket(station, revoked) as ws_revoked, open_socket(station, disabled) as ws_disabled:
        hello(ws_revoked)
        hello(ws_disabled)
        now = clock.now()
        station.client.portal.call(
            lambda: accounts.revoke_sessions(store, revoked, actor="cli:test", now=now)
        )
        station.client.portal.call(lambda: accounts.disable_user(store, disabled, actor="cli:test", now=now))
        assert station.client.get("/api/auth/me", headers=station.headers(revoked)).status_code == 401
        still_open(ws_revoked)  # nothing told the socket yet
        advance(station, clock, telemetry_ws.SESSION_RECHECK_S)
        expect_close(ws_revoked, telemetry_ws.CLOSE_UNAUTHENTICATED)
        expect_close(ws_disabled, telemetry_ws.CLOSE_FORBIDDEN)
