"""Records the repositories read and write: plain frozen dataclasses, no database types leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ground_station.auth.roles import Role


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    country: str


@dataclass(frozen=True)
class User:
    id: int
    username: str
    organisation: str
    role: Role
    password_hash: str
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class RefreshTokenRecord:
    token_hash: str
    user_id: int
    family_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class MissionSummary:
    id: str
    organisation: str
    name: str
    latest_version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MissionVersion:
    mission_id: str
    version: int
    body: dict[str, Any]
    """The mission as ``missions.model.Mission`` JSON; stored verbatim so old versions never change."""
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class ValidationRecord:
    mission_id: str
    version: int
    ok: bool
    violations: list[dict[str, Any]]
    region: str
    validated_at: datetime


@dataclass(frozen=True)
class Approval:
    mission_id: str
    version: int
    vehicle_id: str
    approved_by: str
    approved_at: datetime
    override: bool
    reason: str | None


@dataclass(frozen=True)
class Flight:
    id: str
    vehicle_id: str
    started_at: datetime
    ended_at: datetime | None
    tlog_path: str | None
    mission_id: str | None = None
    mission_version: int | None = None


@dataclass(frozen=True)
class TrackPoint:
    vehicle_id: str
    flight_id: str | None
    time_utc: datetime
    lon: float
    lat: float
    alt_amsl_m: float
    alt_rel_m: float
    vn_mps: float = 0.0
    ve_mps: float = 0.0
    vd_mps: float = 0.0


@dataclass(frozen=True)
class FlightEvent:
    vehicle_id: str
    flight_id: str | None
    kind: str
    time_utc: datetime
    detail: str | None = None


@dataclass(frozen=True)
class AlertRecord:
    alert_id: str
    vehicle_id: str | None
    kind: str
    severity: str
    message: str
    messages: dict[str, str]
    time_utc: datetime
    lon: float | None = None
    lat: float | None = None
    predicted: bool = False
    zone_id: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    USER_CREATED = "user_created"
    VEHICLE_COMMAND = "vehicle_command"
    MISSION_UPLOAD = "mission_upload"
    VALIDATION_OVERRIDE = "validation_override"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    PLAN_CLEARED_AFTER_FAILED_UPLOAD = "plan_cleared_after_failed_upload"
    RECORDING_DELETED = "recording_deleted"


@dataclass(frozen=True)
class AuditEntry:
    time_utc: datetime
    actor: str | None
    action: AuditAction
    target: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
