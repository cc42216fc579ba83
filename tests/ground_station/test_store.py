"""The SQLite store: repositories, migrations, crash safety, locked database and full disk."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ground_station.auth.roles import Role
from ground_station.store.errors import ConflictError, StoreFullError, StoreLockedError
from ground_station.store.models import (
    AlertRecord,
    Approval,
    AuditAction,
    AuditEntry,
    Flight,
    FlightEvent,
    Organisation,
    TrackPoint,
    ValidationRecord,
)
from ground_station.store.sqlite import open_sqlite_store
from ground_station.store.sqlite.migrations import LATEST_VERSION

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def point(i: int, flight_id: str | None = "f1", vehicle: str = "sim-1") -> TrackPoint:
    return TrackPoint(
        vehicle, flight_id, T0 + timedelta(milliseconds=100 * i), 17.2 + i * 1e-5, 50.3, 600.0, 50.0
    )


async def test_migrations_create_schema_once(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    assert store.schema_version == LATEST_VERSION
    await store.close()
    again = await open_sqlite_store(tmp_path / "db.sqlite3")
    assert again.schema_version == LATEST_VERSION
    rows = await again.database.fetch_all("SELECT version FROM schema_migrations")
    assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))
    mode = await again.database.fetch_one("PRAGMA journal_mode")
    assert mode is not None and mode[0] == "wal"
    await again.close()


async def test_users_and_organisations(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    await store.organisations.ensure(Organisation("hzs", "HZS", "CZ"))
    user = await store.users.add("alice", "hzs", Role.PILOT, "hash")
    assert (await store.users.by_username("alice")) == user
    assert (await store.users.by_id(user.id)) == user
    with pytest.raises(ConflictError, match="already exists"):
        await store.users.add("alice", "hzs", Role.ADMIN, "hash")
    with pytest.raises(ConflictError, match="organisation 'nope' does not exist"):
        await store.users.add("bob", "nope", Role.ADMIN, "hash")
    assert await store.users.count() == 1
    await store.close()


async def test_missions_keep_every_version_and_their_checks(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    first = await store.missions.create("hzs", "search", {"name": "search", "items": [1]}, "alice")
    second = await store.missions.add_version(first.mission_id, {"name": "search 2", "items": [1, 2]}, "bob")
    assert (first.version, second.version) == (1, 2)
    assert (await store.missions.get_version(first.mission_id)) == second
    assert (await store.missions.get_version(first.mission_id, 1)) == first
    summary = await store.missions.get_summary(first.mission_id)
    assert summary is not None and summary.latest_version == 2 and summary.name == "search 2"
    await store.missions.record_validation(
        ValidationRecord(first.mission_id, 2, False, [{"rule_id": "zones"}], "jesenik-nysa", T0)
    )
    await store.missions.record_approval(
        Approval(first.mission_id, 2, "sim-1", "carol", T0, True, "fire, life")
    )
    assert (await store.missions.validations(first.mission_id))[0].violations == [{"rule_id": "zones"}]
    assert (await store.missions.approvals(first.mission_id))[0].override is True
    await store.missions.record_approval(Approval(first.mission_id, 1, "sim-1", "dana", T0, False, None))
    await store.missions.record_approval(Approval(first.mission_id, 2, "sim-2", "dana", T0, False, None))
    latest = await store.missions.latest_approvals()
    assert (latest["sim-1"].version, latest["sim-2"].version) == (1, 2)
    assert [m.id for m in await store.missions.find("hzs")] == [first.mission_id]
    assert await store.missions.find("other") == []
    assert await store.missions.delete(first.mission_id)
    assert await store.missions.get_summary(first.mission_id) is None
    await store.close()


async def test_flights_tracks_events_alerts_audit(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    await store.flights.start(Flight("f1", "sim-1", T0, None, str(tmp_path / "f1.tlog")))
    await store.flights.add_track([point(i) for i in range(500)])
    await store.flights.add_event(FlightEvent("sim-1", "f1", "TOOK_OFF", T0))
    assert (await store.flights.open_flight("sim-1")) is not None
    await store.flights.end("f1", T0 + timedelta(minutes=5))
    flight = await store.flights.get("f1")
    assert flight is not None and flight.ended_at == T0 + timedelta(minutes=5)
    track = await store.flights.track("f1")
    assert len(track) == 500 and track[0] == point(0)
    assert [e.kind for e in await store.flights.events("f1")] == ["TOOK_OFF"]

    alert = AlertRecord(
        "a1", "sim-1", "ZONE_ENTRY", "WARNING", "zone ahead", {"en": "x", "cs": "y", "pl": "z"}, T0
    )
    await store.alerts.upsert(alert)
    acked = await store.alerts.acknowledge("a1", "alice", T0)
    assert acked is not None and acked.acknowledged_by == "alice"
    await store.alerts.upsert(
        AlertRecord("a1", "sim-1", "ZONE_ENTRY", "CRITICAL", "inside", alert.messages, T0)
    )
    again = await store.alerts.get("a1")
    assert again is not None and again.severity == "CRITICAL" and again.acknowledged_by == "alice"
    assert await store.alerts.find(unacknowledged_only=True) == []

    entry = await store.audit.append(
        AuditEntry(T0, "carol", AuditAction.VALIDATION_OVERRIDE, "sim-1", {"r": 1})
    )
    assert entry.id is not None
    assert (await store.audit.find(AuditAction.VALIDATION_OVERRIDE))[0].detail == {"r": 1}

    # the planner's draft checks (one per edit) can be left out; a stored mission's validation stays
    draft = AuditEntry(T0, "carol", AuditAction.MISSION_VALIDATED, "survey", {"draft": True, "items": 3})
    stored = AuditEntry(T0, "carol", AuditAction.MISSION_VALIDATED, "survey", {"version": 2})
    for row in (draft, stored, draft):
        await store.audit.append(row)
    everything = await store.audit.find()
    assert [e.detail for e in everything[:3]] == [draft.detail, stored.detail, draft.detail]
    without = await store.audit.find(draft_checks=False)
    assert [e.detail for e in without] == [stored.detail, {"r": 1}]
    assert await store.audit.find(AuditAction.MISSION_VALIDATED, draft_checks=False) == without[:1]
    await store.close()


async def test_locked_database_is_reported_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(path, busy_timeout_ms=200)
    await store.flights.start(Flight("f1", "sim-1", T0, None, None))
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match="is locked by another process"):
            await store.flights.add_track([point(1)])
        assert (await store.flights.get("f1")) is not None  # readers still work in WAL mode
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await store.flights.add_track([point(1)])
    assert len(await store.flights.track("f1")) == 1
    await store.close()


async def test_full_disk_is_reported_and_earlier_data_survives(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(path)
    await store.flights.start(Flight("f1", "sim-1", T0, None, None))
    await store.flights.add_track([point(i) for i in range(10)])
    pages = await store.database.fetch_one("PRAGMA page_count")
    assert pages is not None
    await store.database.execute_pragma(f"PRAGMA max_page_count = {int(pages[0]) + 1}")
    with pytest.raises(StoreFullError, match="disk full"):
        await store.flights.add_track([point(i) for i in range(10, 20_000)])
    await store.close()
    reopened = await open_sqlite_store(path)
    assert len(await reopened.flights.track("f1")) == 10
    await reopened.close()


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from ground_station.store.models import AlertRecord, Flight, TrackPoint
    from ground_station.store.sqlite import open_sqlite_store

    async def main() -> None:
        store = await open_sqlite_store(Path(sys.argv[1]))
        t0 = datetime(2026, 11, 25, tzinfo=UTC)
        await store.flights.start(Flight("f1", "sim-1", t0, None, None))
        version = await store.missions.create("hzs", "m", {"name": "m"}, "alice")
        i = 0
        while True:
            batch = [TrackPoint("sim-1", "f1", t0 + timedelta(milliseconds=i + k), 17.0, 50.0, 500.0, 20.0)
                     for k in range(50)]
            await store.flights.add_track(batch)
            await store.alerts.upsert(AlertRecord(f"a{i}", "sim-1", "LOW_BATTERY", "WARNING", "m",
                                                  {"en": "m", "cs": "m", "pl": "m"}, t0))
            i += 50
            print(i, flush=True)

    asyncio.run(main())
    """
)


def kill_writer_after(path: Path, records: int) -> int:
    """Runs the writer in its own process, SIGKILLs it once ``records`` are committed; returns how many."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    committed = 0
    deadline = time.monotonic() + 30
    while committed < records and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        committed = int(line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return committed


@pytest.mark.timeout(60)
async def test_kill_9_mid_write_keeps_every_committed_record(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    committed = await asyncio.to_thread(kill_writer_after, path, 2000)
    assert committed >= 2000, "writer did not get going"
    store = await open_sqlite_store(path)
    points = len(await store.flights.track("f1"))
    alerts = await store.alerts.find(limit=100_000)
    assert points >= committed and points % 50 == 0
    assert len(alerts) >= committed // 50
    assert len(await store.missions.find()) == 1
    integrity = await store.database.fetch_one("PRAGMA integrity_check")
    assert integrity is not None and integrity[0] == "ok"
    await store.close()
