"""The one way a route leaves an audit row: durably before it acts, then on the bus for live viewers.

The row goes to the store, or to the spill journal when the store refuses it (see
``ground_station.store.durable``). Only when both fail is the request refused (503) and the station
marked not-ready: an action is never taken without its record. The ``audit`` bus message is published
after the write, so a live viewer never sees an action the log does not hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, status

from ground_station.api.context import StationContext
from ground_station.bus.messages import AuditAction, AuditMsg
from ground_station.store.journal import JournalError, new_record_id
from ground_station.store.models import AuditEntry


async def audit(
    context: StationContext,
    actor: str | None,
    action: AuditAction,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    organisation: str | None = None,
) -> None:
    """Records ``action`` or raises 503; call it after authorisation and before the action itself."""
    action = AuditAction(action)  # an unknown action is an error, not a silently relabelled row
    entry = AuditEntry(datetime.now(UTC), actor, action, target, dict(detail or {}), entry_id=new_record_id())
    try:
        await context.durable.audit(entry)
    except JournalError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"the audit record could not be written, so the action was not taken: {exc}",
        ) from None
    await context.bus.publish(
        "audit",
        AuditMsg(
            time_utc=entry.time_utc,
            actor=actor,
            organisation=organisation,
            action=action,
            target=target,
            detail=entry.detail,
        ),
    )
