"""Missions: CRUD with immutable versions, validation, and upload to a vehicle.

Upload re-validates against the region at upload time. A mission with errors is refused (409, with
the violations) unless a role holding ``override_validation`` gives a reason; the override is written to
the audit log before anything is sent to the vehicle.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.mission_ops import (
    RegionUnavailableError,
    UploadTooLargeError,
    build_upload_items,
    check_upload_size,
    parse_mission,
    stored_item_count,
    validate_mission,
)
from ground_station.api.mission_ops import (
    export_plan as export_plan_body,
)
from ground_station.api.routes.vehicles import SlugPath, VehicleCommand, require_known_vehicle, run_command
from ground_station.api.security import (
    acts_across_organisations,
    ensure_same_organisation,
    may_act_for,
    require,
)
from ground_station.auth.roles import Permission, has_permission
from ground_station.auth.tokens import Principal
from ground_station.store.models import (
    Approval,
    AuditAction,
    MissionSummary,
    MissionVersion,
    ValidationRecord,
)
from missions.formats.mavlink_items import unresolved_altitudes
from missions.home import mission_for_vehicle_home
from missions.model import MAX_ITEMS, AltFrame, GroundPoint, HomePosition, Mission
from missions.patterns import Altitude, expanding_square, parallel_track, sector_search

log = logging.getLogger(__name__)

router = APIRouter(tags=["missions"])

MissionIdPath = Path(description="mission id", pattern=r"^[0-9a-f]{32}$")


class MissionSummaryView(BaseModel):
    id: str
    organisation: str
    name: str
    latest_version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class MissionVersionView(BaseModel):
    mission_id: str
    version: int
    created_by: str
    created_at: datetime
    mission: Mission


class ValidationView(BaseModel):
    mission_id: str
    version: int
    ok: bool
    violations: list[dict[str, Any]]
    region: str
    validated_at: datetime


class UploadRequest(BaseModel):
    mission_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    version: int | None = Field(default=None, ge=1, description="default: the latest version")
    start: bool = Field(default=False, description="start the mission right after a verified upload")
    override_reason: str | None = Field(
        default=None,
        min_length=10,
        max_length=1000,
        description="upload despite validation errors (commander/admin only; audited)",
    )


class UploadResult(BaseModel):
    vehicle_id: str
    mission_id: str
    version: int
    validation: ValidationView
    overridden: bool
    mission_items: int
    fence_items: int
    rally_items: int
    started: bool


def summary_view(s: MissionSummary) -> MissionSummaryView:
    return MissionSummaryView(**s.__dict__)


def version_view(v: MissionVersion) -> MissionVersionView:
    return MissionVersionView(
        mission_id=v.mission_id,
        version=v.version,
        created_by=v.created_by,
        created_at=v.created_at,
        mission=parse_mission(v.body),
    )


async def version_response(v: MissionVersion, status_code: int = status.HTTP_200_OK) -> Response:
    """``version_view`` as JSON, parsed and serialised in a thread: for a 10,000-item mission either
    step takes ~0.1 s, which on the event loop would stall every WebSocket and link."""
    body = await asyncio.to_thread(lambda: version_view(v).model_dump_json())
    return Response(body, status_code=status_code, media_type="application/json")


MISSION_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Mission"}}},
    }
}
"""OpenAPI for routes that read the Mission body themselves (to parse it in a thread)."""


def _parse_body(data: bytes) -> Mission:
    """JSON text -> Mission, items validated in chunks (``parse_mission``) so the loop keeps the GIL."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return Mission.model_validate_json(data)  # raises pydantic's json_invalid error
    if not isinstance(parsed, dict):
        return Mission.model_validate(parsed)  # raises "valid dictionary" error
    return parse_mission(parsed)


async def mission_body(request: Request, context: StationContext) -> Mission:
    """The request body as a Mission, size-checked and parsed off the event loop; errors as FastAPI's 422."""
    data = await _read_limited_body(request, context.settings.max_input_bytes)
    try:
        return await asyncio.to_thread(_parse_body, data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


def _refuse_oversized(version: MissionVersion) -> None:
    count = stored_item_count(version.body)
    if count > MAX_ITEMS:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"mission has {count} items, above the {MAX_ITEMS} item limit; nothing was sent",
        )


def validation_view(r: ValidationRecord) -> ValidationView:
    return ValidationView(**r.__dict__)


async def _summary_for(context: StationContext, principal: Principal, mission_id: str) -> MissionSummary:
    summary = await context.store.missions.get_summary(mission_id)
    if summary is None or not may_act_for(principal, summary.organisation):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"mission {mission_id!r} not found")
    return summary


async def _version_for(
    context: StationContext, principal: Principal, mission_id: str, version: int | None
) -> MissionVersion:
    await _summary_for(context, principal, mission_id)
    found = await context.store.missions.get_version(mission_id, version)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"mission {mission_id!r} has no version {version}"
        )
    return found


@dataclass(frozen=True)
class MissionScope:
    """The path's mission id with the caller and the station, resolved by one dependency per permission:
    every mission route checks the role and the organisation the same way."""

    mission_id: str
    principal: Principal
    context: StationContext

    async def summary(self) -> MissionSummary:
        return await _summary_for(self.context, self.principal, self.mission_id)

    async def version(self, version: int | None) -> MissionVersion:
        return await _version_for(self.context, self.principal, self.mission_id, version)

    async def audit(self, action: AuditAction, detail: dict[str, Any] | None = None) -> None:
        """The audit row of this mission action, written before the action (503 if it cannot be)."""
        await audit(
            self.context,
            self.principal.username,
            action,
            self.mission_id,
            detail,
            self.principal.organisation,
        )


def mission_scope(permission: Permission) -> Callable[..., Awaitable[MissionScope]]:
    async def dependency(
        mission_id: str = MissionIdPath,
        principal: Principal = Depends(require(permission)),
        context: StationContext = Depends(get_context),
    ) -> MissionScope:
        return MissionScope(mission_id, principal, context)

    return dependency


MissionViewer = Depends(mission_scope(Permission.VIEW_MISSIONS))
MissionEditor = Depends(mission_scope(Permission.EDIT_MISSIONS))


async def _create(
    context: StationContext,
    principal: Principal,
    mission: Mission,
    default_name: str,
    action: AuditAction = AuditAction.MISSION_CREATED,
) -> MissionVersion:
    """A new mission owned by the caller's organisation; its first version is the given body."""
    await audit(
        context, principal.username, action, mission.name or default_name, None, principal.organisation
    )
    return await context.store.missions.create(
        principal.organisation,
        mission.name or default_name,
        await asyncio.to_thread(mission.model_dump, mode="json"),
        principal.username,
    )


async def _validate_and_record(
    context: StationContext, version: MissionVersion, vehicle_home: HomePosition | None = None
) -> ValidationRecord:
    """Validates (for an upload: from the vehicle's own home when it differs from the plan's)."""
    _refuse_oversized(version)
    parsed = await asyncio.to_thread(parse_mission, version.body)
    mission, home_note = mission_for_vehicle_home(parsed, vehicle_home)
    try:
        permits = await context.sharing.cross_border_permits() if context.sharing is not None else []
        report = await validate_mission(mission, context.region, context.region_error, permits=permits)
    except RegionUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    notes = [home_note] if home_note is not None else []
    record = ValidationRecord(
        mission_id=version.mission_id,
        version=version.version,
        ok=report.ok,
        violations=[v.model_dump(mode="json") for v in [*notes, *report.violations]],
        region=getattr(context.region, "name", context.settings.region),
        validated_at=datetime.now(UTC),
    )
    await context.store.missions.record_validation(record)
    return record


@router.get("/api/missions", response_model=list[MissionSummaryView])
async def list_missions(
    principal: Principal = Depends(require(Permission.VIEW_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> list[MissionSummaryView]:
    organisation = None if acts_across_organisations(principal) else principal.organisation
    return [summary_view(s) for s in await context.store.missions.find(organisation)]


@router.post(
    "/api/missions",
    response_model=MissionVersionView,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=MISSION_BODY,
)
async def create_mission(
    request: Request,
    principal: Principal = Depends(require(Permission.EDIT_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> Response:
    mission = await mission_body(request, context)
    version = await _create(context, principal, mission, "unnamed mission")
    return await version_response(version, status.HTTP_201_CREATED)


@router.get("/api/missions/{mission_id}", response_model=MissionVersionView, summary="Latest version")
async def get_mission(scope: MissionScope = MissionViewer) -> Response:
    return await version_response(await scope.version(None))


@router.put(
    "/api/missions/{mission_id}",
    response_model=MissionVersionView,
    summary="Save a new version",
    openapi_extra=MISSION_BODY,
)
async def update_mission(request: Request, scope: MissionScope = MissionEditor) -> Response:
    await scope.summary()
    mission = await mission_body(request, scope.context)
    await scope.audit(AuditAction.MISSION_UPDATED)
    body = await asyncio.to_thread(mission.model_dump, mode="json")
    missions = scope.context.store.missions
    return await version_response(
        await missions.add_version(scope.mission_id, body, scope.principal.username)
    )


@router.delete("/api/missions/{mission_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_mission(scope: MissionScope = MissionEditor) -> None:
    await scope.summary()
    await scope.audit(AuditAction.MISSION_DELETED)
    await scope.context.store.missions.delete(scope.mission_id)


@router.get("/api/missions/{mission_id}/versions", response_model=list[MissionVersionView])
async def list_versions(scope: MissionScope = MissionViewer) -> Response:
    await scope.summary()
    versions = await scope.context.store.missions.versions(scope.mission_id)
    adapter = TypeAdapter(list[MissionVersionView])
    body = await asyncio.to_thread(lambda: adapter.dump_json([version_view(v) for v in versions]))
    return Response(body, media_type="application/json")


@router.get("/api/missions/{mission_id}/versions/{version}", response_model=MissionVersionView)
async def get_version(version: int = Path(ge=1), scope: MissionScope = MissionViewer) -> Response:
    return await version_response(await scope.version(version))


@router.post("/api/missions/{mission_id}/validate", response_model=ValidationView)
async def validate_route(
    version: int | None = Query(default=None, ge=1), scope: MissionScope = MissionViewer
) -> ValidationView:
    found = await scope.version(version)
    await scope.audit(AuditAction.MISSION_VALIDATED, {"version": found.version})
    return validation_view(await _validate_and_record(scope.context, found))


class DraftCheckView(BaseModel):
    ok: bool
    violations: list[dict[str, Any]]
    checked: dict[str, Any] | None
    region: str
    validated_at: datetime


@router.post(
    "/api/missions/check",
    response_model=DraftCheckView,
    summary="Validate an unsaved mission (the planner's live check; nothing is stored but the audit row)",
    openapi_extra=MISSION_BODY,
)
async def check_draft(
    request: Request,
    principal: Principal = Depends(require(Permission.VIEW_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> DraftCheckView:
    mission = await mission_body(request, context)
    if len(mission.items) > MAX_ITEMS:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=f"above the {MAX_ITEMS} item limit")
    await audit(
        context,
        principal.username,
        AuditAction.MISSION_VALIDATED,
        mission.name or "draft",
        {"draft": True, "items": len(mission.items)},
        principal.organisation,
    )
    try:
        permits = await context.sharing.cross_border_permits() if context.sharing is not None else []
        report = await validate_mission(mission, context.region, context.region_error, permits=permits)
    except RegionUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    except (IndexError, ValueError) as exc:
        # a draft the validator cannot interpret (seen: a path of one vertex) is not legal, and says so
        log.warning("draft check failed: %r", exc)
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"the validator cannot interpret this draft ({type(exc).__name__}: {exc}); not legal",
        ) from None
    return DraftCheckView(
        ok=report.ok,
        violations=[v.model_dump(mode="json") for v in report.violations],
        checked=report.checked.model_dump(mode="json") if report.checked is not None else None,
        region=getattr(context.region, "name", context.settings.region),
        validated_at=datetime.now(UTC),
    )


class SarPattern(StrEnum):
    EXPANDING_SQUARE = "expanding_square"
    SECTOR_SEARCH = "sector_search"
    PARALLEL_TRACK = "parallel_track"


@router.get("/api/patterns/sar", summary="Waypoints of an IAMSAR search pattern around a datum (not stored)")
async def sar_pattern(
    kind: SarPattern,
    lon: float = Query(ge=-180.0, le=180.0),
    lat: float = Query(ge=-90.0, le=90.0),
    size_m: float = Query(ge=5.0, le=5000.0, description="track spacing, or radius (sector)"),
    alt_m: float = Query(ge=-500.0, le=20_000.0),
    frame: AltFrame = Query(default=AltFrame.AGL),
    heading_deg: float = Query(default=0.0, ge=-360.0, le=360.0),
    _: Principal = Depends(require(Permission.VIEW_MISSIONS)),
) -> dict[str, Any]:
    datum = GroundPoint(lon=lon, lat=lat)
    altitude = Altitude(alt_m, frame)
    try:  # near a pole or the antimeridian the pattern leaves valid coordinates: said, not a 500
        if kind is SarPattern.EXPANDING_SQUARE:
            items = expanding_square(datum, size_m, altitude, legs=8, heading_deg=heading_deg)
        elif kind is SarPattern.SECTOR_SEARCH:
            items = sector_search(datum, size_m, altitude, heading_deg=heading_deg)
        else:
            items = parallel_track(datum, size_m * 6, size_m * 4, size_m, altitude, heading_deg=heading_deg)
    except ValueError as exc:  # pydantic's ValidationError included
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"no {kind.value} pattern here: {exc}"
        ) from None
    return {"kind": kind.value, "items": [item.model_dump(mode="json") for item in items]}


@router.get("/api/missions/{mission_id}/validations", response_model=list[ValidationView])
async def list_validations(scope: MissionScope = MissionViewer) -> list[ValidationView]:
    await scope.summary()
    return [validation_view(r) for r in await scope.context.store.missions.validations(scope.mission_id)]


@router.post("/api/vehicles/{slug}/mission", response_model=UploadResult, summary="Validate and upload")
async def upload_mission(
    body: UploadRequest,
    slug: str = SlugPath,
    principal: Principal = Depends(require(Permission.UPLOAD_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> UploadResult:
    require_known_vehicle(context, slug)
    ensure_same_organisation(principal, context.settings.vehicle_organisation(slug), f"vehicle {slug!r}")
    version = await _version_for(context, principal, body.mission_id, body.version)
    record = await _validate_and_record(context, version, _vehicle_home(context, slug))
    unresolved = unresolved_altitudes(
        Mission.model_validate(version.body), getattr(context.region, "terrain", None)
    )
    if unresolved:  # no override: nobody knows the altitude the vehicle would fly
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail={
                "message": "altitudes above terrain cannot be resolved; not uploaded",
                "problems": unresolved,
            },
        )
    overridden = False
    if not record.ok:
        if body.override_reason is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail={
                    "message": f"mission {version.mission_id} v{version.version} does not validate; "
                    "not uploaded",
                    "violations": record.violations,
                },
            )
        if not has_permission(principal.role, Permission.OVERRIDE_VALIDATION):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value!r} may not override a failed validation",
            )
        overridden = True
        await audit(
            context,
            principal.username,
            AuditAction.VALIDATION_OVERRIDE,
            slug,
            {
                "mission_id": version.mission_id,
                "version": version.version,
                "reason": body.override_reason,
                "errors": [v for v in record.violations if v.get("severity") == "ERROR"],
            },
            principal.organisation,
        )
    mission = await asyncio.to_thread(parse_mission, version.body)
    try:
        items = await build_upload_items(mission, context.region, context.region_error)
        check_upload_size(items)
    except UploadTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from None
    except RegionUnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"mission cannot be converted: {exc}") from None
    await run_command(
        context,
        principal,
        slug,
        VehicleCommand.MISSION_UPLOAD,
        lambda: context.control.upload_mission(
            slug, items.mission_items, items.fence_items, items.rally_items
        ),
        {"mission_id": version.mission_id, "version": version.version, "overridden": overridden},
    )
    await context.store.missions.record_approval(
        Approval(
            mission_id=version.mission_id,
            version=version.version,
            vehicle_id=slug,
            approved_by=principal.username,
            approved_at=datetime.now(UTC),
            override=overridden,
            reason=body.override_reason,
        )
    )
    if context.recorder is not None:
        await context.recorder.note_upload(slug, version.mission_id, version.version)
    if body.start:
        await run_command(
            context, principal, slug, VehicleCommand.MISSION_START, lambda: context.control.start(slug)
        )
    return UploadResult(
        vehicle_id=slug,
        mission_id=version.mission_id,
        version=version.version,
        validation=validation_view(record),
        overridden=overridden,
        mission_items=len(items.mission_items),
        fence_items=len(items.fence_items),
        rally_items=len(items.rally_items),
        started=body.start,
    )


def _vehicle_home(context: StationContext, slug: str) -> HomePosition | None:
    """The vehicle's HOME_POSITION as last reported, None before it reported one."""
    status_msg = context.vehicle_states.get(slug).status
    if status_msg is None or status_msg.home_lon is None or status_msg.home_lat is None:
        return None
    return HomePosition(
        lon=status_msg.home_lon, lat=status_msg.home_lat, alt_amsl_m=status_msg.home_alt_amsl_m
    )


async def _read_limited_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_bytes`` (before any parsing)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"plan of {declared} bytes is above the {max_bytes} byte limit",
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, detail=f"plan is above the {max_bytes} byte limit"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/api/missions/plan",
    response_model=MissionVersionView,
    status_code=status.HTTP_201_CREATED,
    summary="Import a QGroundControl .plan (JSON body) as a new mission",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def import_plan(
    request: Request,
    principal: Principal = Depends(require(Permission.EDIT_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> Response:
    from geodata.errors import InputError
    from missions.formats.qgc_plan import load_plan

    data = await _read_limited_body(request, context.settings.max_input_bytes)
    try:
        mission = await asyncio.to_thread(load_plan, data, max_bytes=context.settings.max_input_bytes)
    except InputError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "message": "the .plan cannot be used",
                "problems": [{"location": p.location, "message": p.message} for p in exc.problems[:100]],
            },
        ) from None
    return await version_response(
        await _create(context, principal, mission, "imported plan", AuditAction.MISSION_IMPORTED),
        status.HTTP_201_CREATED,
    )


@router.get(
    "/api/missions/{mission_id}/plan",
    summary="Export a version as a QGroundControl .plan",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
async def export_plan(
    version: int | None = Query(default=None, ge=1), scope: MissionScope = MissionViewer
) -> Response:
    found = await scope.version(version)
    body = await asyncio.to_thread(export_plan_body, found.body)
    return Response(body, media_type="application/json")
