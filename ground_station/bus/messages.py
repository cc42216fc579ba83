"""One immutable pydantic model per kind of bus message.

Models are frozen so the in-process bus can hand the same object to every subscriber without copying,
and JSON-serialisable so a networked backend (NATS) carries exactly the same data.
Coordinates are WGS84 lon/lat; altitudes carry their frame in the name; times are timezone-aware UTC.
``time_utc`` is when the station received the MAVLink packet (or produced the event), which is what
latency figures are measured against; ``vehicle_time_ms`` is the vehicle's own boot clock (contract 8).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class BusMessage(BaseModel):
    """Base of every message: immutable, unknown fields rejected (so schema drift fails loudly)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class VehicleState(StrEnum):
    DISCONNECTED = "DISCONNECTED"
    CONNECTED = "CONNECTED"
    ARMED = "ARMED"
    IN_AIR = "IN_AIR"
    RETURNING = "RETURNING"
    LANDED = "LANDED"


class AlertKind(StrEnum):
    ZONE_ENTRY = "ZONE_ENTRY"
    BORDER_APPROACH = "BORDER_APPROACH"
    BORDER_CROSSING = "BORDER_CROSSING"
    HEIGHT_ABOVE_LIMIT = "HEIGHT_ABOVE_LIMIT"
    TERRAIN_PROXIMITY = "TERRAIN_PROXIMITY"
    MISSION_DEVIATION = "MISSION_DEVIATION"
    LOW_BATTERY = "LOW_BATTERY"
    LINK_LOST = "LINK_LOST"
    FAILSAFE = "FAILSAFE"
    MONITORING_DEGRADED = "MONITORING_DEGRADED"
    """The monitor could not run a check (e.g. the terrain or zone data failed): its silence means nothing."""
    LINK_SPOOFING = "LINK_SPOOFING"
    """MAVLink frames for a vehicle from an address other than its pinned one (or badly signed)."""
    VIDEO_STALLED = "VIDEO_STALLED"
    """A video stream sends no pictures (dead source, network, or undecodable data)."""


class AlertSeverity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


class FlightEventKind(StrEnum):
    FLIGHT_STARTED = "FLIGHT_STARTED"
    FLIGHT_ENDED = "FLIGHT_ENDED"
    TOOK_OFF = "TOOK_OFF"
    LANDED = "LANDED"
    MODE_CHANGED = "MODE_CHANGED"
    LINK_LOST = "LINK_LOST"
    LINK_RESTORED = "LINK_RESTORED"
    MISSION_UPLOADED = "MISSION_UPLOADED"


class LocalizedText(BusMessage):
    """The same sentence in the three languages the design requires."""

    en: str
    cs: str
    pl: str


class PositionMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    vehicle_time_ms: int
    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)
    alt_amsl_m: float
    alt_rel_m: float
    vn_mps: float
    ve_mps: float
    vd_mps: float
    heading_deg: float | None = None


class AttitudeMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    vehicle_time_ms: int
    roll_deg: float
    pitch_deg: float
    yaw_deg: float


class BatteryMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    remaining_pct: float | None
    voltage_v: float | None
    current_a: float | None


class StatusMsg(BusMessage):
    """Published on every state/mode/arming change and at least once a second while connected."""

    vehicle_id: str
    time_utc: AwareDatetime
    state: VehicleState
    armed: bool
    in_air: bool
    flight_mode: str
    system_status: str
    autopilot: str
    firmware_version: str | None
    system_id: int
    home_lon: float | None = None
    home_lat: float | None = None
    home_alt_amsl_m: float | None = None


class MissionProgressMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    current: int
    total: int
    reached: int | None = None


class LinkMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    connected: bool
    last_heartbeat_age_s: float | None
    packets_received: int
    packets_bad: int
    packets_lost: int = 0
    rx_rate_hz: float
    foreign_dropped: int = 0
    """Datagrams/frames dropped because they came from another address than the pinned vehicle."""
    peer: str | None = None
    """The pinned vehicle address ``host:port`` (UDP links), once its heartbeat was seen."""
    implausible_positions: int = 0
    """Positions rejected at the edge (impossible jump or altitude)."""
    unsigned_dropped: int = 0
    """Frames refused on a signed link (unsigned or with a bad signature)."""


class StatusTextMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    severity: int = Field(ge=0, le=7, description="MAV_SEVERITY (0 emergency .. 7 debug)")
    text: str


class FlightEventMsg(BusMessage):
    vehicle_id: str
    time_utc: AwareDatetime
    kind: FlightEventKind
    flight_id: str | None = None
    tlog_path: str | None = None
    detail: str | None = None


class AlertMsg(BusMessage):
    """A monitor finding. ``alert_id`` is stable while the same condition persists (de-duplication key)."""

    alert_id: str
    vehicle_id: str | None
    kind: AlertKind
    severity: AlertSeverity
    message: str
    messages: LocalizedText
    lon: float | None = None
    lat: float | None = None
    time_utc: AwareDatetime
    predicted: bool = False
    zone_id: str | None = None
    active: bool = True
    """False once the condition has cleared (same ``alert_id``), so views can close it."""


class AuditAction(StrEnum):
    """Every accountable action, one value each: an action not listed here cannot be audited (an error,
    never silently recorded as something else)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    TOKEN_REFRESHED = "token_refreshed"
    LOGOUT = "logout"
    USER_CREATED = "user_created"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_DELETED = "user_deleted"
    USER_ROLE_CHANGED = "user_role_changed"
    SESSIONS_REVOKED = "sessions_revoked"
    VEHICLE_COMMAND = "vehicle_command"
    MISSION_UPLOAD = "mission_upload"
    VALIDATION_OVERRIDE = "validation_override"
    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    MISSION_CREATED = "mission_created"
    MISSION_IMPORTED = "mission_imported"
    MISSION_UPDATED = "mission_updated"
    MISSION_DELETED = "mission_deleted"
    MISSION_VALIDATED = "mission_validated"
    PLAN_CLEARED_AFTER_FAILED_UPLOAD = "plan_cleared_after_failed_upload"
    RECORDING_DELETED = "recording_deleted"
    VIDEO_TICKET_ISSUED = "video_ticket_issued"
    """Someone asked to watch a live stream or a recording (the single-use ticket is the access)."""
    # cross-border sharing (issue 16)
    AGREEMENT_CREATED = "agreement_created"
    AGREEMENT_REVOKED = "agreement_revoked"
    INCIDENT_DECLARED = "incident_declared"
    INCIDENT_CLOSED = "incident_closed"
    INCIDENT_PERMIT_RECORDED = "incident_permit_recorded"
    SHARE_STARTED = "share_started"
    """A sharing session began: partner, data class, agreement, situation (incident)."""
    SHARE_DIGEST = "share_digest"
    """Periodic count and content digest of what a session sent (high-rate streams are not per item)."""
    SHARE_ENDED = "share_ended"
    SHARE_REFUSED = "share_refused"
    SHARE_REQUESTED = "share_requested"
    """An admin asked a partner centre for data classes."""
    SHARE_RECEIVED = "share_received"
    """The receiving side's session row: a partner's data began to arrive (or a digest of it)."""
    PARTNER_DATA_VIEWED = "partner_data_viewed"
    PARTNER_LINK_UP = "partner_link_up"
    PARTNER_LINK_DOWN = "partner_link_down"
    FEDERATION_REFUSED = "federation_refused"
    """A partner's connection or message was refused (certificate, replay, malformed, oversized, flood)."""
    PARTNER_CHAIN_HEAD = "partner_chain_head"
    AUDIT_EXPORTED = "audit_exported"


class AuditMsg(BusMessage):
    """Something a person or the service did that must be accountable (commands, overrides, logins)."""

    time_utc: AwareDatetime
    actor: str | None
    organisation: str | None = None
    action: AuditAction
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class AccessChange(StrEnum):
    DISABLED = "disabled"
    DELETED = "deleted"
    ROLE_CHANGED = "role_changed"
    SESSIONS_REVOKED = "sessions_revoked"


class AccessChangedMsg(BusMessage):
    """A user's access was cut or changed: open sessions (WebSockets) re-check and close at once."""

    time_utc: AwareDatetime
    user_id: int
    username: str
    change: AccessChange
    role: str | None = None
    """The new role for ``role_changed``."""


class DetectionPoint(BusMessage):
    """A person or vehicle seen by a camera, geo-located on the terrain (analytics: where, not who)."""

    track_id: int
    kind: str  # person | vehicle | face
    lon: float
    lat: float
    alt_amsl_m: float
    uncertainty_m: float = Field(ge=0)
    range_m: float = Field(ge=0)
    score: float


class DetectionsMsg(BusMessage):
    """One detector run on one camera frame: every detection as a map point (issue 13)."""

    camera_id: str
    frame_seq: int
    time_utc: AwareDatetime
    detections: list[DetectionPoint]
