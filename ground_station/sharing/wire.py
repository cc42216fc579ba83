"""The federation message schema, version 1: typed frames, one JSON object per WebSocket message.

Every frame but ``hello`` and ``ack`` carries a sequence number per direction; the receiver accepts only
the next one, so a replayed, duplicated or reordered frame is refused, and after a drop the ``hello``
says where to resume. ``epoch`` changes when the sending station restarts (its numbering starts again).
Data frames are stamped with their data class and the agreement they left under (contract 16).
Unknown fields are refused: a partner running a newer schema must bump ``PROTOCOL_VERSION``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from ground_station.sharing.model import SLUG, Area, DataClass, Incident, Situation

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
"""Larger WebSocket messages close the link (1009) before they are parsed."""


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Hello(_Frame):
    kind: Literal["hello"] = "hello"
    v: int
    centre: str = Field(pattern=SLUG)
    epoch: str = Field(pattern=r"^[0-9a-f]{8,64}$")
    resume_from: int = Field(ge=1)
    """The next sequence number this side expects from the peer."""
    peer_epoch: str | None = None
    """The peer epoch ``resume_from`` refers to; another epoch means: start from 1."""
    first_seq: int = Field(ge=1)
    """The oldest frame the sender still holds; the partner audits anything older it never got as lost."""


class Ack(_Frame):
    kind: Literal["ack"] = "ack"
    upto: int = Field(ge=0)
    """Every frame up to and including this sequence number arrived; the sender may forget them."""


class _Sequenced(_Frame):
    seq: int = Field(ge=1)
    origin: str = Field(pattern=SLUG)
    """The sending centre; must equal the centre the TLS certificate proves, else the frame is forged."""
    sent_at: AwareDatetime


class _Shared(_Sequenced):
    data_class: DataClass
    agreement_id: str = Field(max_length=64)
    situation: Situation
    incident_id: str | None = None
    retention_s: int = Field(gt=0)


class PositionFrame(_Shared):
    kind: Literal["position"] = "position"
    vehicle_id: str = Field(max_length=64)
    time_utc: AwareDatetime
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    alt_amsl_m: float
    heading_deg: float | None = None


class TelemetryFrame(_Shared):
    kind: Literal["telemetry"] = "telemetry"
    vehicle_id: str = Field(max_length=64)
    time_utc: AwareDatetime
    battery_pct: float | None = None
    voltage_v: float | None = None
    flight_mode: str | None = Field(default=None, max_length=64)


class AlertFrame(_Shared):
    kind: Literal["alert"] = "alert"
    alert_id: str = Field(max_length=200)
    vehicle_id: str | None = Field(default=None, max_length=64)
    alert_kind: str = Field(max_length=64)
    severity: str = Field(max_length=16)
    message: str = Field(max_length=1000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    time_utc: AwareDatetime
    active: bool = True


class IncidentNotice(_Sequenced):
    kind: Literal["incident"] = "incident"
    incident: Incident


class AgreementSummary(_Frame):
    id: str = Field(max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    legal_basis: str = Field(max_length=2000)
    normal: frozenset[DataClass] = frozenset()
    incident: frozenset[DataClass] = frozenset()
    valid_until: AwareDatetime
    in_force: bool


class AgreementDigest(_Sequenced):
    kind: Literal["agreement_digest"] = "agreement_digest"
    agreements: tuple[AgreementSummary, ...] = Field(max_length=100)


class ChainHead(_Sequenced):
    kind: Literal["chain_head"] = "chain_head"
    row_id: int = Field(ge=1)
    row_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class Revoke(_Sequenced):
    """What the receiver must drop at once (an incident closed, an agreement revoked)."""

    kind: Literal["revoke"] = "revoke"
    data_classes: frozenset[DataClass]
    incident_id: str | None = None
    agreement_id: str | None = None
    reason: str = Field(max_length=500)


class Request(_Sequenced):
    """The receiver asks for data classes; the sender answers per class with :class:`Refused` or sends."""

    kind: Literal["request"] = "request"
    data_classes: frozenset[DataClass] = Field(min_length=1)
    area: Area | None = None


class Refused(_Sequenced):
    kind: Literal["refused"] = "refused"
    data_class: DataClass
    refusal: str = Field(max_length=64)


Sequenced = Annotated[
    PositionFrame
    | TelemetryFrame
    | AlertFrame
    | IncidentNotice
    | AgreementDigest
    | ChainHead
    | Revoke
    | Request
    | Refused,
    Field(discriminator="kind"),
]
AnyFrame = Annotated[
    Hello
    | Ack
    | PositionFrame
    | TelemetryFrame
    | AlertFrame
    | IncidentNotice
    | AgreementDigest
    | ChainHead
    | Revoke
    | Request
    | Refused,
    Field(discriminator="kind"),
]
FRAME = TypeAdapter[AnyFrame](AnyFrame)
DATA_FRAMES = (PositionFrame, TelemetryFrame, AlertFrame)


def parse(data: str | bytes) -> AnyFrame:
    """Raises ``pydantic.ValidationError`` for anything that is not exactly one valid frame."""
    return FRAME.validate_json(data)
