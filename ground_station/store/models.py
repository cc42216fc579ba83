"""Records the repositories read and write: plain frozen dataclasses, no database types leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ground_station.auth.roles import Role
from ground_station.bus.messages import AuditAction as AuditAction  # re-exported; lives with AuditMsg


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
    entry_id: str | None = None
    """Idempotency key: the same event replayed from the spill journal is stored once."""


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


@dataclass(frozen=True)
class AuditEntry:
    time_utc: datetime
    actor: str | None
    action: AuditAction
    target: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    entry_id: str | None = None
    """Idempotency key: the same row replayed from the spill journal is stored once."""


@dataclass(frozen=True)
class DetectionRecord:
    """One geo-located person or vehicle of one detector run (a ``DetectionPoint`` with its frame)."""

    camera_id: str
    frame_seq: int
    time_utc: datetime
    track_id: int
    kind: str
    lon: float
    lat: float
    alt_amsl_m: float
    uncertainty_m: float
    range_m: float
    score: float


@dataclass(frozen=True)
class DetectionQuery:
    """What ``DetectionRepository.find`` returns: oldest first, at most ``limit`` (the newest ones)."""

    camera_id: str | None = None
    since: datetime | None = None
    """Inclusive."""
    until: datetime | None = None
    """Exclusive."""
    bbox: tuple[float, float, float, float] | None = None
    """west, south, east, north (lon/lat)."""
    kinds: frozenset[str] | None = None
    limit: int = 1000
    limit_runs: bool = False
    """True: ``limit`` counts detector runs (frames, all their rows returned), not rows."""
