"""One large mission must not freeze everything (issue 10, point 8): caps with a clear 422, size checks
before upload, and CPU work off the event loop (proved with a held export, not with timing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from missions.model import MAX_ITEMS, MAX_TEXT
from tests.ground_station.test_api_support import Station, running_station, simple_mission

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("limits")) as running:
        yield running


def big_mission(items: int) -> dict[str, Any]:
    mission = simple_mission()
    first = mission["items"][1]
    mission["items"] = [mission["items"][0]] + [
        {**first, "lon": first["lon"] + (i % 100) * 1e-5, "lat": first["lat"] + (i // 100) * 1e-5}
        for i in range(items - 1)
    ]
    return mission


def test_too_many_items_and_long_texts_get_a_clear_422(station: Station) -> None:
    response = station.client.post(
        "/api/missions", json=big_mission(MAX_ITEMS + 1), headers=station.headers("pilot")
    )
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"][-1] == "items" and str(MAX_ITEMS) in problem["msg"]
    for field, body in (
        ("name", {**simple_mission(), "name": "x" * (MAX_TEXT + 1)}),
        ("cross_border_authorisation", {**simple_mission(), "cross_border_authorisation": "x" * 201}),
    ):
        response = station.client.post("/api/missions", json=body, headers=station.headers("pilot"))
        assert response.status_code == 422, field
        assert response.json()["detail"][0]["loc"][-1] == field
    user = {
        "username": "u" * 65,
        "password": "a-long-enough-password",
        "role": "pilot",
        "organisation": "hzs-olk",
        "organisation_name": "n" * (MAX_TEXT + 1),
    }
    response = station.client.post("/api/users", json=user, headers=station.headers("admin"))
    assert response.status_code == 422
    assert {p["loc"][-1] for p in response.json()["detail"]} == {"username", "organisation_name"}


def test_health_answers_while_an_export_is_held_mid_way(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export waits on an Event inside the converter; if it ran on the event loop, health could not
    answer until it was released, and the test would see the export finished first."""
    from missions.formats import qgc_plan

    created = station.client.post(
        "/api/missions", json=big_mission(MAX_ITEMS), headers=station.headers("pilot")
    )
    assert created.status_code == 201, created.text[:300]
    mission_id = created.json()["mission_id"]
    entered, release, exported = threading.Event(), threading.Event(), threading.Event()
    real_dump = qgc_plan.dump_plan

    released_by_test: list[bool] = []

    def held_dump(mission: Any) -> dict[str, Any]:
        entered.set()
        # the timeout only ends a blocked loop (old code) so the test can fail instead of hanging
        released_by_test.append(release.wait(timeout=15))
        return real_dump(mission)

    monkeypatch.setattr(qgc_plan, "dump_plan", held_dump)
    results: dict[str, httpx.Response] = {}

    def export() -> None:
        results["export"] = station.client.get(
            f"/api/missions/{mission_id}/plan", headers=station.headers("pilot")
        )
        exported.set()

    worker = threading.Thread(target=export)
    worker.start()
    try:
        assert entered.wait(timeout=60)
        health = station.client.get("/api/health")
        assert health.status_code == 200
        assert not exported.is_set()  # health answered while the export was still held
    finally:
        release.set()
        worker.join(timeout=60)
    assert released_by_test == [True]
    assert results["export"].status_code == 200
    assert len(results["export"].json()["mission"]["items"]) == MAX_ITEMS


def test_oversized_stored_mission_is_refused_before_upload(station: Station) -> None:
    """A mission stored before the cap existed is refused with 413 before validation or upload."""
    store = station.context.store
    body = big_mission(3)
    body["items"] = body["items"] * ((MAX_ITEMS // 3) + 1)
    version = station.client.portal.call(store.missions.create, "hzs-olk", "legacy", body, "pilot")
    response = station.client.post(
        "/api/vehicles/sim-1/mission",
        json={"mission_id": version.mission_id},
        headers=station.headers("pilot"),
    )
    assert response.status_code == 413, response.text[:300]
    assert "nothing was sent" in response.json()["detail"]


def test_chunked_parse_equals_one_validation_and_keeps_error_positions() -> None:
    from pydantic import ValidationError

    from ground_station.api.mission_ops import PARSE_CHUNK, parse_mission
    from missions.model import Mission

    body = big_mission(PARSE_CHUNK * 4 + 3)
    assert parse_mission(body) == Mission.model_validate(body)
    body["items"][PARSE_CHUNK * 2 + 1]["alt_frame"] = "SIDEWAYS"
    with pytest.raises(ValidationError) as failed:
        parse_mission(body)
    assert failed.value.errors()[0]["loc"][:2] == ("items", PARSE_CHUNK * 2 + 1)
