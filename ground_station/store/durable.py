"""Writes that are never discarded: into the store, or else into the spill journal, replayed later.

Alerts, audit rows and flight events go through :class:`DurableWriter`. While anything is waiting in
the journal, new records are appended behind it (not written straight to the store) so replay keeps
their order, e.g. an alert's opening is never stored after its closing. Only telemetry points may be
dropped, and the recorder counts them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ground_station.store.errors import StoreError
from ground_station.store.journal import Journal, JournalError, JournalRecord, new_record_id
from ground_station.store.models import AlertRecord, AuditAction, AuditEntry
from ground_station.store.repositories import Store

log = logging.getLogger(__name__)

Apply = Callable[[dict[str, Any]], Awaitable[None]]

ALERT = "alert"
AUDIT = "audit"
PROBE = "probe"
"""A journal line written only to test that the journal takes records again; replays as nothing."""


def audit_payload(entry: AuditEntry) -> dict[str, Any]:
    return {
        "time_utc": entry.time_utc.isoformat(),
        "actor": entry.actor,
        "action": entry.action.value,
        "target": entry.target,
        "detail": entry.detail,
        "entry_id": entry.entry_id,
    }


def audit_from_payload(payload: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        datetime.fromisoformat(payload["time_utc"]),
        payload["actor"],
        AuditAction(payload["action"]),
        payload["target"],
        payload["detail"],
        entry_id=payload["entry_id"],
    )


def alert_payload(record: AlertRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    data["time_utc"] = record.time_utc.isoformat()
    data["acknowledged_at"] = record.acknowledged_at.isoformat() if record.acknowledged_at else None
    return data


def alert_from_payload(payload: dict[str, Any]) -> AlertRecord:
    data = dict(payload)
    data["time_utc"] = datetime.fromisoformat(data["time_utc"])
    if data.get("acknowledged_at"):
        data["acknowledged_at"] = datetime.fromisoformat(data["acknowledged_at"])
    return AlertRecord(**data)


class DurableWriter:
    def __init__(self, store: Store, journal: Journal) -> None:
        self.store = store
        self.journal = journal
        self.spilled = 0
        self.last_store_error: str | None = None
        self._handlers: dict[str, Apply] = {
            ALERT: self._store_alert,
            AUDIT: self._store_audit,
            PROBE: self._nothing,
        }
        self._replay_lock = asyncio.Lock()

    def register(self, kind: str, apply: Apply) -> None:
        """How records of ``kind`` reach the store (and are replayed from the journal); idempotent."""
        self._handlers[kind] = apply

    @property
    def not_ready_reason(self) -> str | None:
        """Set while a record could be put neither in the store nor in the journal."""
        return self.journal.error

    async def write(self, kind: str, payload: dict[str, Any]) -> bool:
        """True when stored now, False when journalled; raises JournalError when neither worked."""
        if not self.journal.has_pending:
            try:
                await self._handlers[kind](payload)
                self.last_store_error = None
                self.journal.error = None  # a record landed: the station can act again
                return True
            except StoreError as exc:
                self.last_store_error = str(exc)
                log.warning("store refused a %s record, journalling it: %s", kind, exc)
        self.journal.append(kind, payload)
        self.spilled += 1
        return False

    async def alert(self, record: AlertRecord) -> bool:
        return await self.write(ALERT, alert_payload(record))

    async def audit(self, entry: AuditEntry) -> bool:
        if entry.entry_id is None:
            entry = dataclasses.replace(entry, entry_id=new_record_id())
        return await self.write(AUDIT, audit_payload(entry))

    async def probe(self) -> bool:
        """While not ready, checks whether records can land again (the store, else the journal); True
        when ready. Called by the recorder's loop, since no request can clear the state while refused."""
        if self.journal.error is None:
            return True
        try:
            await self.store.check_writable()
        except StoreError as exc:
            self.last_store_error = str(exc)
            try:
                self.journal.append(PROBE, {})
            except JournalError:
                return False
            return True
        self.journal.error = None
        return True

    async def replay(self) -> int:
        """Moves journalled records into the store, oldest first; stops quietly while it still refuses."""
        if not self.journal.has_pending:
            return 0
        async with self._replay_lock:
            try:
                count = await self.journal.replay(self._apply)
            except StoreError as exc:
                self.last_store_error = str(exc)
                return 0
        if count:
            log.info("replayed %d journalled records into the store", count)
        if not self.journal.has_pending:
            self.last_store_error = None
        return count

    async def _apply(self, record: JournalRecord) -> None:
        await self._handlers[record.kind](record.payload)

    async def _nothing(self, payload: dict[str, Any]) -> None:
        return None

    async def _store_alert(self, payload: dict[str, Any]) -> None:
        await self.store.alerts.upsert(alert_from_payload(payload))

    async def _store_audit(self, payload: dict[str, Any]) -> None:
        await self.store.audit.append(audit_from_payload(payload))
