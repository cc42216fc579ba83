"""Vehicles: list, state, and commands (arm, takeoff, pause/resume, go-to, RTL, land, mission start).

Commands are scoped to the caller's organisation unless the role acts across organisations, and every
command is written to the audit log before it is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import ensure_same_organisation, require
from ground_station.api.vehicle_control import VehicleControl, VehicleUnavailableError
from ground_station.api.vehicle_state import VehicleSnapshot
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.bus.messages import VehicleState
from ground_station.store.models import AuditAction
from ground_station.vehicles.errors import (
    CommandError,
    CommandTimeout,
    MissionMismatch,
    VehicleNotConnected,
    VehicleNotFound,
)

router = APIRouter(prefix="/api/vehicles", tags=["vehicles"])

SlugPath = Path(description="vehicle slug", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class VehicleCommand(StrEnum):
    ARM = "arm"
    DISARM = "disarm"
    TAKEOFF = "takeoff"
    MISSION_UPLOAD = "mission_upload"
    MISSION_START = "mission_start"
    PAUSE = "pause"
    RESUME = "resume"
    GOTO = "goto"
    RTL = "rtl"
    LAND = "land"


class PositionView(BaseModel):
    lon: float
    lat: float
    alt_amsl_m: float
    alt_rel_m: float
    ground_speed_mps: float
    heading_deg: float | None
    time_utc: datetime


class VehicleView(BaseModel):
    vehicle_id: str
    organisation: str
    state: VehicleState
    armed: bool = False
    in_air: bool = False
    flight_mode: str | None = None
    system_id: int | None = None
    autopilot: str | None = None
    firmware_version: str | None = None
    position: PositionView | None = None
    battery_remaining_pct: float | None = None
    link_connected: bool = False
    mission_current: int | None = None
    mission_total: int | None = None


class CommandResult(BaseModel):
    vehicle_id: str
    command: VehicleCommand
    accepted: bool = True
    time_utc: datetime


class TakeoffRequest(BaseModel):
    alt_rel_m: float | None = Field(default=None, gt=0.0, le=500.0, description="height above home")


class GotoRequest(BaseModel):
    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)
    alt_amsl_m: float = Field(ge=-500.0, le=10_000.0)


def known_vehicles(context: StationContext) -> list[str]:
    slugs = {v.slug for v in context.settings.vehicles} | set(context.control.slugs())
    return sorted(slugs)


def vehicle_view(context: StationContext, snapshot: VehicleSnapshot) -> VehicleView:
    status_msg, position, link = snapshot.status, snapshot.position, snapshot.link
    connected = link.connected if link is not None else status_msg is not None
    state = status_msg.state if status_msg is not None else VehicleState.DISCONNECTED
    if link is not None and not link.connected:
        state = VehicleState.DISCONNECTED
    return VehicleView(
        vehicle_id=snapshot.vehicle_id,
        organisation=context.settings.vehicle_organisation(snapshot.vehicle_id),
        state=state,
        armed=bool(status_msg and status_msg.armed),
        in_air=bool(status_msg and status_msg.in_air),
        flight_mode=status_msg.flight_mode if status_msg else None,
        system_id=status_msg.system_id if status_msg else None,
        autopilot=status_msg.autopilot if status_msg else None,
        firmware_version=status_msg.firmware_version if status_msg else None,
        position=PositionView(
            lon=position.lon,
            lat=position.lat,
            alt_amsl_m=position.alt_amsl_m,
            alt_rel_m=position.alt_rel_m,
            ground_speed_mps=(position.vn_mps**2 + position.ve_mps**2) ** 0.5,
            heading_deg=position.heading_deg,
            time_utc=position.time_utc,
        )
        if position
        else None,
        battery_remaining_pct=snapshot.battery.remaining_pct if snapshot.battery else None,
        link_connected=connected,
        mission_current=snapshot.mission.current if snapshot.mission else None,
        mission_total=snapshot.mission.total if snapshot.mission else None,
    )


def require_known_vehicle(context: StationContext, slug: str) -> str:
    if slug not in known_vehicles(context):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown vehicle {slug!r}")
    return slug


@router.get("", response_model=list[VehicleView], summary="All configured vehicles and their state")
async def list_vehicles(
    _: Principal = Depends(require(Permission.VIEW_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> list[VehicleView]:
    return [vehicle_view(context, context.vehicle_states.get(slug)) for slug in known_vehicles(context)]


@router.get("/{slug}", response_model=VehicleView, summary="One vehicle's state")
async def get_vehicle(
    slug: str = SlugPath,
    _: Principal = Depends(require(Permission.VIEW_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> VehicleView:
    require_known_vehicle(context, slug)
    return vehicle_view(context, context.vehicle_states.get(slug))


@dataclass(frozen=True)
class CommandTarget:
    """The vehicle a command route acts on, resolved once by one dependency for every command route.

    Keeps the routes explicit (each has its own path, body model and OpenAPI entry) while the slug
    check, the role check and the context lookup stay in one place.
    """

    slug: str
    principal: Principal
    context: StationContext

    @property
    def control(self) -> VehicleControl:
        return self.context.control

    async def run(
        self,
        command: VehicleCommand,
        action: Callable[[], Awaitable[object]],
        detail: dict[str, object] | None = None,
    ) -> CommandResult:
        return await run_command(self.context, self.principal, self.slug, command, action, detail)


async def command_target(
    slug: str = SlugPath,
    principal: Principal = Depends(require(Permission.COMMAND_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> CommandTarget:
    return CommandTarget(slug, principal, context)


async def run_command(
    context: StationContext,
    principal: Principal,
    slug: str,
    command: VehicleCommand,
    action: Callable[[], Awaitable[object]],
    detail: dict[str, object] | None = None,
) -> CommandResult:
    """Checks the vehicle and the organisation, audits, then sends; each command error has one status."""
    require_known_vehicle(context, slug)
    ensure_same_organisation(principal, context.settings.vehicle_organisation(slug), f"vehicle {slug!r}")
    await audit(
        context,
        principal.username,
        AuditAction.VEHICLE_COMMAND,
        slug,
        {"command": command, **(detail or {})},
        principal.organisation,
    )
    try:
        try:
            await action()
        except CommandError as exc:
            if exc.plan_cleared is not None:
                await _audit_failed_upload(context, slug, command, exc)
            raise
    except (VehicleUnavailableError, VehicleNotConnected) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except VehicleNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except CommandTimeout as exc:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, detail=str(exc)) from None
    except MissionMismatch as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=str(exc)) from None
    except CommandError as exc:  # CommandRejected and the rest: the autopilot's reason is in the text
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return CommandResult(vehicle_id=slug, command=command, time_utc=datetime.now(UTC))


async def _audit_failed_upload(
    context: StationContext, slug: str, command: VehicleCommand, exc: CommandError
) -> None:
    """A failed upload leaves the vehicle emptied (or, if that failed too, in doubt): the audit says which."""
    await audit(
        context,
        None,
        AuditAction.PLAN_CLEARED_AFTER_FAILED_UPLOAD,
        slug,
        {"command": command, "cleared": exc.plan_cleared, "error": str(exc)},
    )


Target = Depends(command_target)


@router.post("/{slug}/arm", response_model=CommandResult)
async def arm(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.ARM, lambda: target.control.arm(target.slug))


@router.post("/{slug}/disarm", response_model=CommandResult)
async def disarm(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.DISARM, lambda: target.control.disarm(target.slug))


@router.post("/{slug}/takeoff", response_model=CommandResult)
async def takeoff(body: TakeoffRequest, target: CommandTarget = Target) -> CommandResult:
    return await target.run(
        VehicleCommand.TAKEOFF,
        lambda: target.control.takeoff(target.slug, body.alt_rel_m),
        {"alt_rel_m": body.alt_rel_m},
    )


@router.post("/{slug}/mission/start", response_model=CommandResult)
async def mission_start(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.MISSION_START, lambda: target.control.start(target.slug))


@router.post("/{slug}/pause", response_model=CommandResult)
async def pause(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.PAUSE, lambda: target.control.pause(target.slug))


@router.post("/{slug}/resume", response_model=CommandResult)
async def resume(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.RESUME, lambda: target.control.resume(target.slug))


@router.post("/{slug}/goto", response_model=CommandResult)
async def goto(body: GotoRequest, target: CommandTarget = Target) -> CommandResult:
    return await target.run(
        VehicleCommand.GOTO,
        lambda: target.control.goto(target.slug, body.lon, body.lat, body.alt_amsl_m),
        body.model_dump(),
    )


@router.post("/{slug}/rtl", response_model=CommandResult)
async def rtl(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.RTL, lambda: target.control.rtl(target.slug))


@router.post("/{slug}/land", response_model=CommandResult)
async def land(target: CommandTarget = Target) -> CommandResult:
    return await target.run(VehicleCommand.LAND, lambda: target.control.land(target.slug))
