"""Sharing API: agreements (admins), incidents and permits (commanders), partner data (viewers), the
audit chain's verification and export (commanders, admins). Every change is audited before it acts."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.bus.messages import AuditAction
from ground_station.sharing.areas import border_band
from ground_station.sharing.chain import ChainRow, verify
from ground_station.sharing.model import (
    Agreement,
    AgreementBody,
    Area,
    DataClass,
    FlightPermit,
    Incident,
    IncidentBody,
)
from ground_station.sharing.service import SharingService

router = APIRouter(prefix="/api/sharing", tags=["sharing"])
ID = r"^[A-Za-z0-9_-]{1,64}$"


def sharing(context: StationContext) -> SharingService:
    service: SharingService | None = context.sharing
    if service is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="sharing is not running")
    return service


NOT_FOUND = {
    "en": "{what} {id!r} not found",
    "cs": "{what} {id!r} nenalezeno",
    "pl": "{what} {id!r} nie znaleziono",
}


def not_found(what: str, ident: str) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        detail={lang: text.format(what=what, id=ident) for lang, text in NOT_FOUND.items()},
    )


@router.get("/agreements", response_model=list[Agreement])
async def list_agreements(
    _: Principal = Depends(require(Permission.MANAGE_SHARING)),
    context: StationContext = Depends(get_context),
) -> list[Agreement]:
    return await sharing(context).repository.agreements()


@router.post("/agreements", response_model=Agreement, status_code=status.HTTP_201_CREATED)
async def create_agreement(
    body: AgreementBody,
    principal: Principal = Depends(require(Permission.MANAGE_SHARING)),
    context: StationContext = Depends(get_context),
) -> Agreement:
    service = sharing(context)
    detail = {
        "partner": body.partner,
        "legal_basis": body.legal_basis,
        "normal": sorted(body.normal.data_classes) if body.normal else [],
        "incident": sorted(body.incident.data_classes) if body.incident else [],
        "valid_until": body.valid_until.isoformat(),
    }
    await audit(context, principal.username, AuditAction.AGREEMENT_CREATED, body.partner, detail)
    return await service.create_agreement(body, principal.username)


@router.post("/agreements/{agreement_id}/revoke", response_model=Agreement)
async def revoke_agreement(
    agreement_id: str = Path(pattern=ID),
    principal: Principal = Depends(require(Permission.MANAGE_SHARING)),
    context: StationContext = Depends(get_context),
) -> Agreement:
    service = sharing(context)
    if await service.repository.agreement(agreement_id) is None:
        raise not_found("agreement", agreement_id)
    await audit(context, principal.username, AuditAction.AGREEMENT_REVOKED, agreement_id)
    revoked = await service.revoke_agreement(agreement_id)
    assert revoked is not None
    return revoked


@router.get("/areas/border-band", response_model=Area)
async def border_band_area(
    km: float = Query(
        ge=0.1,
        le=100,
        description="half-width of the band; at least 100 m (the band is "
        "simplified to ~50 m, so a narrower one would vanish)",
    ),
    _: Principal = Depends(require(Permission.VIEW_MAP)),
    context: StationContext = Depends(get_context),
) -> Area:
    """ "Within ``km`` of the CZ-PL border" as the polygon an agreement or incident stores."""
    border = getattr(context.region, "border", None)
    if border is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=context.region_error or "the region has no border: the band cannot be made",
        )
    return border_band(border, km)


@router.get("/incidents", response_model=list[Incident])
async def list_incidents(
    _: Principal = Depends(require(Permission.VIEW_MAP)),
    context: StationContext = Depends(get_context),
) -> list[Incident]:
    service = sharing(context)
    return [*await service.repository.incidents(), *service.view.partner_incidents()]


@router.post("/incidents", response_model=Incident, status_code=status.HTTP_201_CREATED)
async def declare_incident(
    body: IncidentBody,
    principal: Principal = Depends(require(Permission.DECLARE_INCIDENTS)),
    context: StationContext = Depends(get_context),
) -> Incident:
    service = sharing(context)
    detail = {
        "reason": body.reason,
        "starts_at": body.starts_at.isoformat(),
        "ends_at": body.ends_at.isoformat(),
    }
    await audit(context, principal.username, AuditAction.INCIDENT_DECLARED, None, detail)
    return await service.declare_incident(body, principal.username)


@router.post("/incidents/{incident_id}/close", response_model=Incident)
async def close_incident(
    incident_id: str = Path(pattern=ID),
    principal: Principal = Depends(require(Permission.DECLARE_INCIDENTS)),
    context: StationContext = Depends(get_context),
) -> Incident:
    service = sharing(context)
    if await service.repository.incident(incident_id) is None:
        raise not_found("incident", incident_id)
    await audit(context, principal.username, AuditAction.INCIDENT_CLOSED, incident_id)
    closed = await service.close_incident(incident_id)
    assert closed is not None
    return closed


@router.post("/incidents/{incident_id}/permits", response_model=Incident)
async def record_permit(
    permit: FlightPermit,
    incident_id: str = Path(pattern=ID),
    principal: Principal = Depends(require(Permission.DECLARE_INCIDENTS)),
    context: StationContext = Depends(get_context),
) -> Incident:
    service = sharing(context)
    if await service.repository.incident(incident_id) is None:
        raise not_found("incident", incident_id)
    detail = {"reference": permit.reference, "authority": permit.authority}
    await audit(context, principal.username, AuditAction.INCIDENT_PERMIT_RECORDED, incident_id, detail)
    updated = await service.add_permit(incident_id, permit)
    assert updated is not None
    return updated


class DataRequest(BaseModel):
    partner: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    data_classes: frozenset[DataClass] = Field(min_length=1)
    area: Area | None = None


@router.post("/requests", status_code=status.HTTP_202_ACCEPTED)
async def request_data(
    body: DataRequest,
    principal: Principal = Depends(require(Permission.MANAGE_SHARING)),
    context: StationContext = Depends(get_context),
) -> dict[str, Any]:
    """Asks a partner centre for data classes; what its agreements cannot give comes back refused (and
    is audited on both sides). Allowed data needs no request: it flows under the agreement."""
    service = sharing(context)
    detail = {
        "partner": body.partner,
        "data_classes": sorted(body.data_classes),
        "area": body.area is not None,
    }
    linked = service.gateway is not None and body.partner in service.gateway.partners
    await audit(
        context, principal.username, AuditAction.SHARE_REQUESTED, body.partner, detail | {"linked": linked}
    )
    if not linked:
        raise not_found("partner", body.partner)
    service.request(body.partner, body.data_classes, body.area)
    return {"sent": True}


@router.get("/partner-data")
async def partner_data(
    principal: Principal = Depends(require(Permission.VIEW_MAP)),
    context: StationContext = Depends(get_context),
) -> list[dict[str, Any]]:
    """Partner data, each item labelled with its origin centre, agreement and expiry (retention)."""
    service = sharing(context)
    items = service.view.snapshot()
    origins = sorted({item["origin"] for item in items})
    await audit(
        context,
        principal.username,
        AuditAction.PARTNER_DATA_VIEWED,
        None,
        {"items": len(items), "origins": origins},
    )
    return items


class VideoVariantView(BaseModel):
    variant: str | None
    """``raw_video``, ``anonymised_video`` or ``None`` (no video for this partner here and now)."""
    agreement_id: str | None = None
    incident_id: str | None = None


@router.get("/video-variant", response_model=VideoVariantView)
async def video_variant_for(
    partner: str = Query(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
    lon: float = Query(ge=-180, le=180),
    lat: float = Query(ge=-90, le=90),
    _: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> VideoVariantView:
    """The policy hook video delivery (issue 12) asks: which variant a partner may get from a camera at
    (lon, lat) now. Decided by the same pure function as every other share."""
    service = sharing(context)
    decision = await service.video_variant(partner, lon, lat)
    if decision is None:
        return VideoVariantView(variant=None)
    return VideoVariantView(
        variant=decision.data_class.value,
        agreement_id=decision.agreement_id,
        incident_id=decision.incident_id,
    )


@router.get("/status")
async def sharing_status(
    _: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> dict[str, Any]:
    return sharing(context).status()


class ChainProblemView(BaseModel):
    row_id: int
    kind: str
    message: str


class ChainReportView(BaseModel):
    ok: bool
    rows: int
    legacy_rows: int
    head_row_id: int | None
    head_hash: str | None
    problems: list[ChainProblemView]


async def _rows(context: StationContext) -> list[ChainRow]:
    rows: list[ChainRow] = await context.store.audit.chain_rows()  # type: ignore[attr-defined]
    return rows


@router.get("/audit/verify", response_model=ChainReportView)
async def verify_audit(
    _: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> ChainReportView:
    report = verify(await _rows(context))
    return ChainReportView(
        ok=report.ok,
        rows=report.rows,
        legacy_rows=report.legacy_rows,
        head_row_id=report.head.row_id if report.head else None,
        head_hash=report.head.row_hash if report.head else None,
        problems=[ChainProblemView(row_id=p.row_id, kind=p.kind, message=p.message) for p in report.problems],
    )


@router.get("/audit/export")
async def export_audit(
    format: Literal["csv", "json"] = Query(default="json"),
    principal: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> Response:
    """The whole chain for a data-protection officer, hashes included so it can be verified offline."""
    await audit(context, principal.username, AuditAction.AUDIT_EXPORTED, None, {"format": format})
    rows = await _rows(context)
    if format == "json":
        return Response(export_json(rows), media_type="application/json")
    return Response(export_csv(rows), media_type="text/csv")


COLUMNS = ("id", "time_utc", "actor", "action", "target", "detail", "entry_id", "prev_hash", "row_hash")


def export_json(rows: list[ChainRow]) -> str:
    return json.dumps(
        [dict(zip(COLUMNS, _values(r), strict=True)) for r in rows], ensure_ascii=False, indent=1
    )


def export_csv(rows: list[ChainRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_values(row))
    return out.getvalue()


def _values(row: ChainRow) -> tuple[Any, ...]:
    return (
        row.id,
        row.time_utc,
        row.actor,
        row.action,
        row.target,
        row.detail,
        row.entry_id,
        row.prev_hash,
        row.row_hash,
    )
