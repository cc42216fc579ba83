"""Audit rows the sharing machinery writes itself (not on behalf of an HTTP request).

Same path as :func:`ground_station.api.audit.audit`: durably first (store, or the spill journal), then
the bus. The store's append chains the row (``ground_station.sharing.chain``), so nothing here depends on
a bus subscription that could drop. A failure is raised to the caller, which then must not share.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ground_station.bus.base import Bus
from ground_station.bus.messages import AuditAction, AuditMsg
from ground_station.store.durable import DurableWriter
from ground_station.store.journal import new_record_id
from ground_station.store.models import AuditEntry

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SharingAudit:
    def __init__(
        self, durable: DurableWriter, bus: Bus | None, organisation: str, clock: Clock = utc_now
    ) -> None:
        self.durable = durable
        self.bus = bus
        self.organisation = organisation
        self.clock = clock
        self.rows = 0

    async def __call__(
        self, action: AuditAction, target: str | None, detail: dict[str, Any], actor: str | None = None
    ) -> None:
        entry = AuditEntry(
            self.clock(), actor or "federation", AuditAction(action), target, detail, entry_id=new_record_id()
        )
        await self.durable.audit(entry)
        self.rows += 1
        if self.bus is not None:
            await self.bus.publish(
                "audit",
                AuditMsg(
                    time_utc=entry.time_utc,
                    actor=entry.actor,
                    organisation=self.organisation,
                    action=entry.action,
                    target=target,
                    detail=entry.detail,
                ),
            )
