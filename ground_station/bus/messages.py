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


class AuditMsg(BusMessage):
    """Something a person or the service did that must be accountable (commands, overrides, logins)."""

    time_utc: AwareDatetime
    actor: str | None
    organisation: str | None = None
    action: str
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
