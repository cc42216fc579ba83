"""Headers, offline docs and a quiet 413 (issue 10, point 9)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from tests.ground_station.test_api_support import Station, running_station

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("headers"), with_region=False) as running:
        yield running


def csp_directives(value: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/api/health", "/api/vehicles", "/", "/docs", "/openapi.json", "/nowhere"])
def test_every_answer_has_the_security_headers(station: Station, path: str) -> None:
    response = station.client.get(path, headers=station.headers("pilot"))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'self'" in csp["script-src"]


def test_token_answers_are_not_cached(station: Station) -> None:
    login = station.client.post(
        "/api/auth/token", data={"username": "pilot", "password": station.passwords["pilot"]}
    )
    assert login.headers["cache-control"] == "no-store"
    refreshed = station.client.post(
        "/api/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200 and refreshed.headers["cache-control"] == "no-store"


def test_docs_load_swagger_ui_from_the_station_not_a_cdn(station: Station) -> None:
    page = station.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    for source in sources:
        asset = station.client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    assert station.client.get("/docs/oauth2-redirect").status_code == 200
    assert station.client.get("/redoc").status_code == 404  # ReDoc exists only on a CDN
    inline = re.search(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert inline is not None
    csp = csp_directives(page.headers["content-security-policy"])
    assert any(token.startswith("'sha256-") for token in csp["script-src"])


def test_a_correct_413_logs_no_unhandled_error(station: Station, caplog: pytest.LogCaptureFixture) -> None:
    pilot = {**station.headers("pilot"), "Content-Type": "application/json"}
    limit = station.context.settings.max_input_bytes
    station.context.settings.max_input_bytes = 10_000

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(30):
            yield b" " * 1000

    try:
        with caplog.at_level(logging.INFO):
            answers = [
                station.client.post(path, headers=pilot, content=chunks())
                for path in ("/api/missions", "/api/missions/plan")  # parsed by FastAPI / read by the route
            ]
    finally:
        station.context.settings.max_input_bytes = limit
    for streamed in answers:
        assert streamed.status_code == 413
        assert streamed.headers["x-content-type-options"] == "nosniff"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or "unhandled" in r.getMessage()]


def test_vehicle_view_shows_what_the_link_refused(station: Station) -> None:
    import time
    from datetime import UTC, datetime

    from ground_station.bus.catalogue import topic_for
    from ground_station.bus.messages import LinkMsg

    link = LinkMsg(
        vehicle_id="sim-1",
        time_utc=datetime.now(UTC),
        connected=True,
        last_heartbeat_age_s=0.1,
        packets_received=100,
        packets_bad=1,
        rx_rate_hz=10.0,
        foreign_dropped=7,
        peer="127.0.0.1:5000",
        implausible_positions=2,
        unsigned_dropped=3,
    )
    station.client.portal.call(station.context.bus.publish, topic_for(LinkMsg, "sim-1"), link)
    deadline = time.monotonic() + 10
    while True:
        view = station.client.get("/api/vehicles/sim-1", headers=station.headers("pilot")).json()
        if view["link"] is not None:
            break
        assert time.monotonic() < deadline, view
    assert view["link"] == {
        "peer": "127.0.0.1:5000",
        "foreign_dropped": 7,
        "unsigned_dropped": 3,
        "implausible_positions": 2,
        "packets_bad": 1,
    }
