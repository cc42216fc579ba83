"""The audit log as an append-only hash chain, and its verification.

Each row stores the hash of the row before it (``prev_hash``) and its own hash over its stored fields
and that link. Changing a row breaks its own hash; removing one leaves a gap in the ids and a link that
points at nothing; inserting one (even with a correct own hash) breaks the next row's link. Rewriting
everything after a point is caught only by comparing with a head held elsewhere: that is why heads are
exchanged with partners and can be passed to :func:`verify` as anchors.

Pure functions over plain rows, so the CLI, the API and tests verify exactly the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

GENESIS = "0" * 64
"""The ``prev_hash`` of the first chained row."""


@dataclass(frozen=True)
class ChainRow:
    """An audit row exactly as stored (``detail`` is the stored JSON text, hashed byte for byte)."""

    id: int
    time_utc: str
    actor: str | None
    action: str
    target: str | None
    detail: str
    entry_id: str | None
    prev_hash: str | None
    row_hash: str | None


def row_hash(
    time_utc: str,
    actor: str | None,
    action: str,
    target: str | None,
    detail: str,
    entry_id: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON array of the stored fields and the link. The id is left out on
    purpose: the links already fix the order, and without it a row slipped in between (ids shifted) is
    named as the inserted one instead of every row after it reading as changed."""
    canonical = json.dumps(
        [time_utc, actor, action, target, detail, entry_id, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def expected_hash(row: ChainRow) -> str:
    return row_hash(
        row.time_utc, row.actor, row.action, row.target, row.detail, row.entry_id, row.prev_hash or ""
    )


@dataclass(frozen=True)
class Problem:
    row_id: int
    kind: str
    """``changed`` (content does not match its hash), ``removed`` (rows missing before it), ``inserted``
    (a row the chain does not link to), ``broken_link``, ``anchor_mismatch``, ``unchained``."""
    message: str


@dataclass(frozen=True)
class Anchor:
    """A chain head someone else holds (a partner, a DPO's printout): row id and its hash."""

    row_id: int
    row_hash: str


@dataclass
class ChainReport:
    rows: int = 0
    legacy_rows: int = 0
    """Rows written before the chain existed (no hashes); reported, not failed."""
    head: Anchor | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(rows: Iterable[ChainRow], anchors: Sequence[Anchor] = ()) -> ChainReport:
    """Walks the rows in id order and names every row where the chain does not hold."""
    report = ChainReport()
    previous: ChainRow | None = None
    started = False
    by_id: dict[int, str] = {}
    for row in sorted(rows, key=lambda r: r.id):
        report.rows += 1
        if row.row_hash is None:
            if started:
                report.problems.append(
                    Problem(row.id, "unchained", f"row {row.id} has no hash inside the chain")
                )
            else:
                report.legacy_rows += 1
            previous = row
            continue
        own_ok = expected_hash(row) == row.row_hash
        if not own_ok:
            report.problems.append(
                Problem(row.id, "changed", f"row {row.id} was changed: its content does not match its hash")
            )
        expected_prev = previous.row_hash if (previous is not None and previous.row_hash) else GENESIS
        if row.prev_hash != expected_prev:
            if previous is not None and row.id != previous.id + 1 and previous.row_hash is not None:
                report.problems.append(
                    Problem(
                        row.id,
                        "removed",
                        f"row(s) {previous.id + 1}..{row.id - 1} were removed: row {row.id} links to a row "
                        f"that is no longer there",
                    )
                )
            elif previous is not None and own_ok and _links_past(previous, row, by_id):
                report.problems.append(
                    Problem(previous.id, "inserted", f"row {previous.id} was inserted: the chain skips it")
                )
            elif previous is None and row.prev_hash != GENESIS:
                report.problems.append(
                    Problem(
                        row.id, "removed", f"rows before {row.id} were removed: it is not the chain's start"
                    )
                )
            else:
                report.problems.append(
                    Problem(
                        row.id,
                        "broken_link",
                        f"row {row.id} does not link to row {previous.id if previous else '-'}",
                    )
                )
        started = True
        by_id[row.id] = row.row_hash
        previous = row
    for anchor in anchors:
        held = by_id.get(anchor.row_id)
        if held != anchor.row_hash:
            what = "missing" if held is None else "different"
            report.problems.append(
                Problem(
                    anchor.row_id,
                    "anchor_mismatch",
                    f"row {anchor.row_id} is {what} from the head exchanged earlier: history was rewritten",
                )
            )
    if previous is not None and previous.row_hash is not None:
        report.head = Anchor(previous.id, previous.row_hash)
    return report


def _links_past(previous: ChainRow, row: ChainRow, by_id: dict[int, str]) -> bool:
    """True when ``row`` links to a row before ``previous``: ``previous`` was slipped in between."""
    return row.prev_hash in by_id.values() and previous.row_hash != row.prev_hash
