"""Readers see only committed rows (issue 9, point 5).

Deterministic: a write transaction is held open on an event while a reader runs, so the interleaving
is fixed by the test, not by timing. With one shared connection the read ran inside the writer's
transaction and saw the uncommitted (and later rolled back) row.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ground_station.store.models import AuditAction
from ground_station.store.sqlite import open_sqlite_store

pytestmark = pytest.mark.timeout(30)

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INSERT = "INSERT INTO audit (time_utc, actor, action, target, detail) VALUES (?, 'mallory', ?, NULL, '{}')"


class Rollback(Exception):
    """Raised inside the transaction to make it roll back."""


async def test_a_read_during_an_open_transaction_sees_only_committed_rows(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    inserted, release = asyncio.Event(), asyncio.Event()

    async def writer(fail: bool) -> None:
        async with store.database.write() as connection:
            await connection.execute(INSERT, (T0.isoformat(), AuditAction.LOGIN.value))
            inserted.set()
            await release.wait()
            if fail:
                raise Rollback

    try:
        # a transaction that will roll back: its row must never be visible
        task = asyncio.create_task(writer(fail=True))
        await inserted.wait()
        assert await store.audit.find() == []
        count = await store.database.fetch_one("SELECT COUNT(*) FROM audit")
        assert count is not None and count[0] == 0
        release.set()
        with pytest.raises(Rollback):
            await task
        assert await store.audit.find() == []

        # a transaction that commits: invisible while open, visible after the commit
        inserted.clear()
        release.clear()
        task = asyncio.create_task(writer(fail=False))
        await inserted.wait()
        assert await store.audit.find() == []
        release.set()
        await task
        assert [e.actor for e in await store.audit.find()] == ["mallory"]
    finally:
        release.set()
        await store.close()


async def test_the_read_connection_cannot_write(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(Exception, match=r"readonly|read-only|query_only|attempt to write"):
            await store.database.fetch_all(INSERT, (T0.isoformat(), AuditAction.LOGIN.value))
    finally:
        await store.close()
