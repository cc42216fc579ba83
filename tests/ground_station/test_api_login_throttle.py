"""Login throttling (issue 10, point 2): growing delay per (account, client address), 429 + Retry-After,
X-Forwarded-For believed only from trusted proxies, bounded audit rows; time from an injected clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ground_station.auth.clock import ManualClock
from ground_station.auth.throttle import client_address
from ground_station.store.models import AuditAction
from tests.ground_station.test_api_support import Station, running_station, station_settings

pytestmark = pytest.mark.timeout(120)

PROXY = "10.0.0.1"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory, clock: ManualClock) -> Iterator[Station]:
    tmp = tmp_path_factory.mktemp("throttle")
    settings = station_settings(tmp, vehicles=[])
    settings.auth.trusted_proxies = [PROXY]
    with running_station(
        tmp, with_region=False, clock=clock, settings=settings, client_address=(PROXY, 40000)
    ) as running:
        yield running


def attempt(station: Station, user: str, password: str, client: str) -> tuple[int, str | None]:
    response = station.client.post(
        "/api/auth/token",
        data={"username": user, "password": password},
        headers={"X-Forwarded-For": f"{client}, {PROXY}"},
    )
    return response.status_code, response.headers.get("retry-after")


def test_failures_grow_a_delay_per_account_and_address_without_lockout(
    station: Station, clock: ManualClock
) -> None:
    attacker, other = "198.51.100.7", "203.0.113.9"
    for _ in range(3):  # the free failures
        assert attempt(station, "pilot", "wrong-password", attacker) == (401, None)
    assert attempt(station, "pilot", "wrong-password", attacker) == (401, None)  # 4th: now 1 s wait
    status, retry = attempt(station, "pilot", station.passwords["pilot"], attacker)
    assert (status, retry) == (429, "1")  # even the right password waits: no oracle while throttled
    assert attempt(station, "pilot", station.passwords["pilot"], other)[0] == 200  # others unaffected
    assert attempt(station, "commander", "wrong-password", attacker)[0] == 401  # other account unaffected
    clock.advance(1)
    assert attempt(station, "pilot", "wrong-password", attacker) == (401, None)  # 5th: 2 s
    assert attempt(station, "pilot", "wrong-password", attacker) == (429, "2")
    clock.advance(2)
    assert attempt(station, "pilot", station.passwords["pilot"], attacker)[0] == 200  # never locked out
    assert attempt(station, "pilot", "wrong-password", attacker) == (401, None)  # success forgot it


def test_audit_rows_of_repeated_failures_are_bounded(station: Station, clock: ManualClock) -> None:
    def rows() -> list[dict[str, object]]:
        station.login("admin")
        found = station.client.get(
            "/api/audit",
            params={"action": AuditAction.LOGIN_FAILED.value, "limit": 5000},
            headers=station.headers("admin"),
        ).json()
        return [r for r in found if r["actor"] == "viewer" and r["detail"].get("client") == "192.0.2.50"]

    tries = 0
    for _ in range(16):
        while attempt(station, "viewer", "wrong-password", "192.0.2.50")[0] == 429:
            clock.advance(400)  # beyond the longest delay
        tries += 1
    audited = rows()
    assert tries == 16
    assert [r["detail"]["failures"] for r in audited] == [16, 8, 4, 3, 2, 1]


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    assert client_address("198.51.100.7", "1.2.3.4", []) == "198.51.100.7"
    assert client_address("198.51.100.7", "1.2.3.4", ["10.0.0.0/8"]) == "198.51.100.7"
    assert client_address("10.0.0.1", "1.2.3.4", ["10.0.0.0/8"]) == "1.2.3.4"
    assert client_address("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", ["10.0.0.0/8"]) == "1.2.3.4"
    assert client_address("10.0.0.1", "garbage", ["10.0.0.0/8"]) == "10.0.0.1"


def test_untrusted_forwarded_for_does_not_escape_the_throttle(tmp_path: Path) -> None:
    clock = ManualClock()
    with running_station(tmp_path, with_region=False, clock=clock, client_address=("198.51.100.7", 1)) as s:
        for n in range(4):
            response = s.client.post(
                "/api/auth/token",
                data={"username": "pilot", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},  # a new "client" each time: not believed
            )
            assert response.status_code == 401
        refused = s.client.post(
            "/api/auth/token",
            data={"username": "pilot", "password": "wrong-password"},
            headers={"X-Forwarded-For": "192.0.2.99"},
        )
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
