"""Alerts, audit rows and flight events are never discarded (issue 9, point 2).

Faults are real: the database is locked by a second SQLite connection holding ``BEGIN IMMEDIATE`` (what
another process does), and the "journal on a full disk" is ``/dev/full``, which fails every write with
ENOSPC exactly like a full filesystem. The old recorder gave up after 20 retries and dropped the record.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ground_station.bus.inprocess import InProcessBus
from ground_station.bus.messages import FlightEventKind, FlightEventMsg
from ground_station.store.durable import DurableWriter
from ground_station.store.journal import Journal, JournalError
from ground_station.store.models import AlertRecord, AuditAction, AuditEntry
from ground_station.store.recorder import Recorder
from ground_station.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.timeout(30)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DEV_FULL = Path("/dev/full")


def alert(alert_id: str = "a1", severity: str = "WARNING") -> AlertRecord:
    return AlertRecord(alert_id, "sim-1", "LOW_BATTERY", severity, "low", {"en": "low"}, T0)


def entry(actor: str = "pilot") -> AuditEntry:
    return AuditEntry(T0, actor, AuditAction.VEHICLE_COMMAND, "sim-1", {"command": "arm"})


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another connection holds the write lock: every store write fails with StoreLockedError."""
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def test_refused_records_are_journalled_and_replayed_once_when_the_store_recovers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(db, busy_timeout_ms=20)
    journal = Journal(tmp_path / "journal.jsonl")
    durable = DurableWriter(store, journal)
    try:
        with locked(db):
            assert await durable.alert(alert()) is False
            assert await durable.audit(entry()) is False
            # while anything waits in the journal, later records queue behind it (order is kept)
            assert await durable.alert(alert(severity="CRITICAL")) is False
            assert len(journal.pending()) == 3
            assert durable.last_store_error is not None and "locked" in durable.last_store_error
            assert await durable.replay() == 0  # still locked: nothing moves, nothing is lost
            assert len(journal.pending()) == 3
        copy = journal.path.read_bytes()
        assert await durable.replay() == 3
        assert not journal.has_pending and durable.last_store_error is None
        stored = await store.alerts.get("a1")
        assert stored is not None and stored.severity == "CRITICAL"  # replayed in order
        assert [e.actor for e in await store.audit.find()] == ["pilot"]
        # a crash between applying and truncating replays the same lines again: no duplicate rows
        journal.path.write_bytes(copy)
        assert await durable.replay() == 3
        assert len(await store.audit.find()) == 1
        assert await durable.audit(entry("commander")) is True  # straight to the store again
    finally:
        await store.close()


async def test_flight_events_survive_a_locked_store_through_the_recorder(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(db, busy_timeout_ms=20)
    durable = DurableWriter(store, Journal(tmp_path / "journal.jsonl"))
    recorder = Recorder(InProcessBus(), store, durable)
    started = FlightEventMsg(
        vehicle_id="sim-1", time_utc=T0, kind=FlightEventKind.FLIGHT_STARTED, flight_id="f1", tlog_path="/t"
    )
    ended = started.model_copy(update={"kind": FlightEventKind.FLIGHT_ENDED, "tlog_path": None})
    try:
        with locked(db):
            await recorder._record_event_durably(started)
            await recorder._record_event_durably(ended)
            assert len(durable.journal.pending()) == 2
        assert await durable.replay() == 2
        flight = await store.flights.get("f1")
        assert flight is not None and flight.ended_at == T0
        assert [e.kind for e in await store.flights.events("f1")] == ["FLIGHT_STARTED", "FLIGHT_ENDED"]
    finally:
        await store.close()


async def test_a_journal_that_cannot_be_written_makes_the_station_not_ready(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    store = await open_sqlite_store(db, busy_timeout_ms=20)
    durable = DurableWriter(store, Journal(DEV_FULL))
    try:
        assert durable.not_ready_reason is None
        with locked(db):
            with pytest.raises(JournalError, match="No space left"):
                await durable.audit(entry())
            assert durable.not_ready_reason is not None
            assert await durable.probe() is False  # store locked, journal full: still not ready
        assert await durable.probe() is True  # the store takes writes again
        assert durable.not_ready_reason is None
        assert await durable.audit(entry()) is True
    finally:
        await store.close()


def test_a_torn_last_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append("alert", {"x": 1})
    with open(journal.path, "ab") as handle:
        handle.write(b'{"id": "torn", "kind": "al')  # a crash mid-write
    assert [r.payload for r in journal.pending()] == [{"x": 1}]
    assert journal.corrupt_lines == 1


async def test_alerts_lost_on_the_bus_are_reported_by_the_recorder(tmp_path: Path) -> None:
    """The bus drops the oldest message of a full subscription; for alerts that must not go unnoticed."""
    from ground_station.bus.messages import AlertKind, AlertMsg, AlertSeverity, LocalizedText

    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    bus = InProcessBus()
    recorder = Recorder(bus, store, DurableWriter(store, Journal(tmp_path / "journal.jsonl")))
    await recorder.start()
    text = LocalizedText(en="low", cs="low", pl="low")
    try:
        assert recorder.losses() is None
        for i in range(10_001):  # one more than the subscription holds, published before it can read
            bus.publish_nowait(
                "alert",
                AlertMsg(
                    alert_id=f"a{i}",
                    vehicle_id="sim-1",
                    kind=AlertKind.LOW_BATTERY,
                    severity=AlertSeverity.WARNING,
                    message="low",
                    messages=text,
                    time_utc=T0,
                ),
            )
        losses = recorder.losses()
        assert losses is not None and "1 alert/flight-event message(s) lost on the bus" in losses
        assert recorder.problem() is None  # not failing now: degraded in the health details
    finally:
        await recorder.stop()
        await bus.close()
        await store.close()
