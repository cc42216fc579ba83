"""Health: public verdict, authenticated details, and the not-ready gate (issue 9, points 2 and 3).

Faults are real: the SQLite file is locked by a second connection (another process would do the same),
and the journal is ``/dev/full`` (every write fails with ENOSPC, as on a full disk). Vehicle links are
the real routers listening on ephemeral UDP ports with no vehicle behind them (so "down").
Each state change is driven through the station's own objects on its event loop, not by waiting.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ground_station.app import fleet_links
from ground_station.config import StationSettings, VehicleConfig, load_settings
from ground_station.store.models import AlertRecord
from tests.ground_station.test_api_support import HOME_ORG, Station, running_station

pytestmark = pytest.mark.timeout(60)


def settings(tmp_path: Path, journal: Path | None = None, vehicles: int = 0) -> StationSettings:
    return load_settings(
        data_dir=tmp_path,
        organisation={"slug": HOME_ORG.slug, "name": HOME_ORG.name, "country": HOME_ORG.country},
        storage={"busy_timeout_ms": 20, "journal_path": str(journal) if journal else None},
        vehicles=[VehicleConfig(slug=f"sim-{i}", mavlink_url="udpin://127.0.0.1:0") for i in range(vehicles)],
    )


@contextmanager
def locked(path: Path) -> Iterator[None]:
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def call(station: Station, fn, *args):  # type: ignore[no-untyped-def]
    return station.client.portal.call(fn, *args)


def test_links_down_is_degraded_but_200_and_details_need_a_token(tmp_path: Path) -> None:
    with running_station(
        tmp_path, settings=settings(tmp_path, vehicles=1), links_factory=fleet_links, with_region=False
    ) as station:
        public = station.client.get("/api/health")
        assert public.status_code == 200
        assert public.json() == {"status": "degraded", "region_loaded": False, "failing": []}
        assert station.client.get("/api/health/details").status_code == 401
        details = station.client.get("/api/health/details", headers=station.headers("commander")).json()
        components = details["components"]
        assert {"store", "recorder", "monitor", "bus", "link:sim-0"} <= set(components)
        assert components["link:sim-0"]["status"] == "degraded"
        assert components["link:sim-0"]["last_error"] == "no heartbeat from the vehicle"
        assert components["monitor"]["status"] == "ok" and components["store"]["status"] == "ok"
        assert components["recorder"]["counters"]["points_dropped"] == 0


def test_a_refusing_store_is_503_and_recovers_after_replay(tmp_path: Path) -> None:
    with running_station(tmp_path, settings=settings(tmp_path), with_region=False) as station:
        assert station.client.get("/api/health").json()["status"] == "ok"
        durable = station.context.durable
        record = AlertRecord("a1", "sim-1", "LOW_BATTERY", "WARNING", "low", {"en": "low"}, _now())
        with locked(station.context.settings.sqlite_path):
            assert call(station, durable.alert, record) is False  # journalled, not lost
            down = station.client.get("/api/health")
            assert down.status_code == 503 and down.json()["failing"] == ["store"]
            store = station.client.get("/api/health/details", headers=station.headers("commander")).json()
            assert "locked" in store["components"]["store"]["last_error"]
            assert store["components"]["store"]["detail"]["journal_pending"] is True
        call(station, durable.replay)  # (the recorder's own loop may have replayed it already)
        assert not durable.journal.has_pending
        assert station.client.get("/api/health").status_code == 200
        assert call(station, station.context.store.alerts.get, "a1") is not None


def test_without_store_and_journal_state_changing_requests_are_refused(tmp_path: Path) -> None:
    with running_station(
        tmp_path, settings=settings(tmp_path, Path("/dev/full")), with_region=False
    ) as station:
        login = {"username": "pilot", "password": station.passwords["pilot"]}
        with locked(station.context.settings.sqlite_path):
            refused = station.client.post("/api/auth/token", data=login)
            assert refused.status_code == 503 and "audit record could not be written" in refused.text
            gated = station.client.post("/api/auth/token", data=login)
            assert gated.status_code == 503 and "not ready" in gated.text
            assert station.client.get("/api/missions", headers=station.headers("pilot")).status_code == 200
            health = station.client.get("/api/health")
            assert health.status_code == 503 and "recorder" in health.json()["failing"]
            assert call(station, station.context.durable.probe) is False
        assert call(station, station.context.durable.probe) is True
        assert station.client.post("/api/auth/token", data=login).status_code == 200


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
