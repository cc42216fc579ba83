"""The audit hash chain: built by the store's transactional append, and tampering is pinpointed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ground_station.sharing.chain import Anchor, row_hash, verify
from ground_station.store.models import AuditAction, AuditEntry
from ground_station.store.sqlite import open_sqlite_store


async def chained_db(path: Path, rows: int = 10) -> tuple[int, str]:
    store = await open_sqlite_store(path)
    try:
        for index in range(rows):
            entry = AuditEntry(
                datetime(2026, 6, 1, 12, index, tzinfo=UTC),
                "admin",
                AuditAction.AGREEMENT_CREATED,
                f"a{index}",
                {"n": index, "text": "dohoda / porozumienie"},
                entry_id=f"e{index}",
            )
            await store.audit.append(entry)
            await store.audit.append(entry)  # a journal replay of the same row is not a second link
        head = await store.audit.head()
        report = verify(await store.audit.chain_rows())
    finally:
        await store.close()
    assert report.ok and report.rows == rows and head is not None
    return head


async def report_of(path: Path, anchors: tuple[Anchor, ...] = ()) -> list[tuple[int, str]]:
    store = await open_sqlite_store(path)
    try:
        return [(p.row_id, p.kind) for p in verify(await store.audit.chain_rows(), anchors).problems]
    finally:
        await store.close()


async def test_changed_row_is_pinpointed(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    await chained_db(db)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE audit SET detail = '{\"n\": 99}' WHERE id = 4")
    assert await report_of(db) == [(4, "changed")]


async def test_removed_row_is_pinpointed(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    await chained_db(db)
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE id = 6")
    problems = await report_of(db)
    assert problems == [(7, "removed")]


async def test_inserted_row_is_pinpointed(tmp_path: Path) -> None:
    """A forger shifts rows 6.. up and slips in a row with a correct own hash linked to row 5."""
    db = tmp_path / "a.sqlite3"
    await chained_db(db)
    with sqlite3.connect(db) as raw:
        raw.execute("DROP INDEX audit_entry_id")
        for row_id in range(10, 5, -1):
            raw.execute("UPDATE audit SET id = id + 1 WHERE id = ?", (row_id,))
        prev = raw.execute("SELECT row_hash FROM audit WHERE id = 5").fetchone()[0]
        fields = ("2026-06-01T12:05:30+00:00", "admin", "agreement_revoked", "a5", "{}", "forged")
        raw.execute(
            "INSERT INTO audit (id, time_utc, actor, action, target, detail, entry_id, prev_hash, row_hash) "
            "VALUES (6, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev, row_hash(*fields, prev)),
        )
    assert await report_of(db) == [(6, "inserted")]


async def test_rewritten_tail_is_caught_by_an_exchanged_head(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    head_id, head_hash = await chained_db(db, rows=5)
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE id = 5")
    assert await report_of(db, (Anchor(head_id, head_hash),)) == [(5, "anchor_mismatch")]


async def test_rows_before_the_chain_are_legacy_not_failures(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    await chained_db(db, rows=3)
    with sqlite3.connect(db) as raw:
        raw.execute(
            "INSERT INTO audit (id, time_utc, actor, action, target, detail) "
            "VALUES (0, 't', 'x', 'login', NULL, '{}')"
        )
    store = await open_sqlite_store(db)
    try:
        report = verify(await store.audit.chain_rows(after_id=-1))
    finally:
        await store.close()
    assert report.ok and report.legacy_rows == 1
