"""An append-only spill journal for the writes that must never be lost (alerts, audit rows, flight events).

When the store refuses such a write (locked, full disk, closed), the record is appended to a JSON-lines
file and ``fsync``-ed before the caller goes on, so it survives a crash. Once the store accepts writes
again the journal is replayed in order; every record carries an id the store uses as an idempotency
key, so a replay interrupted half-way (or repeated after a crash) never duplicates a row.

If the journal cannot be written either, :class:`JournalError` is raised and ``error`` is set: the
station then reports not-ready and refuses state-changing requests rather than act without a record.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

Opener = Callable[[Path], BinaryIO]
"""Opens the journal for appending; tests inject one that writes to a full device."""


class JournalError(Exception):
    """The journal could not be written: the record is neither in the store nor on disk."""


@dataclass(frozen=True)
class JournalRecord:
    id: str
    kind: str
    payload: dict[str, Any]
    written_at: str

    def line(self) -> bytes:
        data = {"id": self.id, "kind": self.kind, "payload": self.payload, "written_at": self.written_at}
        return json.dumps(data, ensure_ascii=False, default=str).encode() + b"\n"


def new_record_id() -> str:
    return uuid.uuid4().hex


def _append_opener(path: Path) -> BinaryIO:
    return open(path, "ab")


class Journal:
    def __init__(self, path: Path, opener: Opener = _append_opener) -> None:
        self.path = path
        self._opener = opener
        self.error: str | None = None
        self.appended = 0
        self.replayed = 0
        self.corrupt_lines = 0

    def append(self, kind: str, payload: dict[str, Any], record_id: str | None = None) -> JournalRecord:
        """Writes one line and fsyncs it; raises :class:`JournalError` when that is impossible."""
        record = JournalRecord(record_id or new_record_id(), kind, payload, datetime.now(UTC).isoformat())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._opener(self.path) as handle:
                handle.write(record.line())
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.error = f"journal {self.path} not writable: {exc.strerror or exc}"
            log.critical("%s; a %s record is neither stored nor journalled", self.error, kind)
            raise JournalError(self.error) from None
        self.error = None
        self.appended += 1
        return record

    def pending(self) -> list[JournalRecord]:
        """The records not yet replayed, oldest first (a torn last line from a crash is skipped)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        records = []
        for line in raw.splitlines():
            try:
                data = json.loads(line)
                records.append(JournalRecord(data["id"], data["kind"], data["payload"], data["written_at"]))
            except (ValueError, KeyError, TypeError):
                self.corrupt_lines += 1
                log.error("journal %s: unreadable line skipped: %r", self.path, line[:200])
        return records

    @property
    def has_pending(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    async def replay(self, apply: Callable[[JournalRecord], Awaitable[None]]) -> int:
        """Applies pending records in order until one fails; removes the applied ones. Returns how many.

        ``apply`` raising stops the replay (the store is still refusing): that record and the ones after
        it stay. Records appended while replaying are kept, since the rewrite re-reads the file."""
        records = self.pending()
        done: set[str] = set()
        try:
            for record in records:
                await apply(record)
                done.add(record.id)
        finally:
            if done:
                self._drop(done)
        self.replayed += len(done)
        return len(done)

    def _drop(self, done: set[str]) -> None:
        """Rewrites the journal without the applied records (atomically: temp file, fsync, rename)."""
        remaining = [r for r in self.pending() if r.id not in done]
        if not remaining:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "wb") as handle:
            for record in remaining:
                handle.write(record.line())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
