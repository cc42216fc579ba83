"""Alerts raised by the monitor: list and acknowledge (the acknowledgement is stored and audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import ensure_same_organisation, require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.store.models import AlertRecord, AuditAction

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class AlertView(BaseModel):
    alert_id: str
    vehicle_id: str | None
    kind: str
    severity: str
    message: str
    messages: dict[str, str]
    time_utc: datetime
    lon: float | None
    lat: float | None
    predicted: bool
    zone_id: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def alert_view(record: AlertRecord) -> AlertView:
    return AlertView(**record.__dict__)


@router.get("", response_model=list[AlertView])
async def list_alerts(
    vehicle_id: str | None = Query(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
    unacknowledged: bool = Query(default=False),
    limit: int = Query(default=500, ge=1, le=5000),
    _: Principal = Depends(require(Permission.VIEW_ALERTS)),
    context: StationContext = Depends(get_context),
) -> list[AlertView]:
    records = await context.store.alerts.find(vehicle_id, unacknowledged, limit)
    return [alert_view(r) for r in records]


@router.post("/{alert_id}/acknowledge", response_model=AlertView)
async def acknowledge_alert(
    alert_id: str = Path(pattern=r"^[A-Za-z0-9_.:-]{1,200}$"),
    principal: Principal = Depends(require(Permission.ACKNOWLEDGE_ALERTS)),
    context: StationContext = Depends(get_context),
) -> AlertView:
    now = datetime.now(UTC)
    existing = await context.store.alerts.get(alert_id)
    if existing is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"alert {alert_id!r} not found")
    if existing.vehicle_id is not None:
        owner = context.settings.vehicle_organisation(existing.vehicle_id)
        ensure_same_organisation(principal, owner, f"the vehicle of alert {alert_id!r}")
    await audit(context, principal.username, AuditAction.ALERT_ACKNOWLEDGED, alert_id)
    record = await context.store.alerts.acknowledge(alert_id, principal.username, now)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"alert {alert_id!r} not found")
    return alert_view(record)
