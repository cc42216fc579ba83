"""The audit hash chain: built by the store's transactional append, and tampering is pinpointed."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ground_station.sharing.chain import GENESIS, Anchor, ChainRow, row_hash, verify
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


def _chain(details: list[str]) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for index, detail in enumerate(details, start=1):
        fields = (
            f"2026-06-01T12:00:{index:02d}+00:00",
            "a",
            "share_started",
            "gmina-nysa",
            detail,
            f"e{index}",
        )
        own = row_hash(*fields, prev)
        rows.append(ChainRow(index, *fields, prev, own))
        prev = own
    return rows


texts = st.text(max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=2, max_size=20), st.data())
def test_any_single_change_or_removal_is_pinpointed(details: list[str], data: st.DataObject) -> None:
    rows = _chain(details)
    assert verify(rows).ok
    victim = data.draw(st.integers(0, len(rows) - 1))
    field_name = data.draw(st.sampled_from(["time_utc", "actor", "action", "target", "detail", "entry_id"]))
    changed = list(rows)
    original = getattr(rows[victim], field_name)
    changed[victim] = dataclasses.replace(rows[victim], **{field_name: f"{original}x"})
    assert [(p.row_id, p.kind) for p in verify(changed).problems] == [(victim + 1, "changed")]
    if victim < len(rows) - 1:
        removed = rows[:victim] + rows[victim + 1 :]
        assert [(p.row_id, p.kind) for p in verify(removed).problems] == [(victim + 2, "removed")]
