"""What may cross between partner centres: data classes, agreements and incidents.

Plain frozen pydantic models, so the policy functions that read them stay pure and the same objects are
API bodies, stored JSON and federation payloads. Areas are WGS84 lon/lat polygons: an agreement made as
"10 km of the border" is compiled to a polygon once, when it is made, so deciding never touches geodata.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property

import shapely
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class DataClass(StrEnum):
    """Everything a centre can share; an item that leaves is always stamped with exactly one of these."""

    POSITIONS = "positions"
    TELEMETRY = "telemetry"
    MISSION_PLANS = "mission_plans"
    ALERTS = "alerts"
    RAW_VIDEO = "raw_video"
    ANONYMISED_VIDEO = "anonymised_video"
    ANALYTICS = "analytics"
    CAMERAS = "cameras"
    """Camera positions and footprints."""


RAW_CLASSES: frozenset[DataClass] = frozenset({DataClass.RAW_VIDEO})
"""Classes that never leave without an active incident, whatever an agreement's normal clause says."""


class Situation(StrEnum):
    NORMAL = "normal"
    INCIDENT = "incident"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Area(_Frozen):
    """A WGS84 polygon (outer ring, lon/lat); ``label`` says how it was made ("10 km of the CZ-PL border")."""

    ring: tuple[tuple[float, float], ...] = Field(min_length=4, max_length=20_000)
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _valid(self) -> Area:
        for lon, lat in self.ring:
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise ValueError(f"({lon}, {lat}) is not a WGS84 lon/lat position")
        if not Polygon(self.ring).is_valid:
            raise ValueError("the area's ring is not a valid polygon (self-intersecting or degenerate)")
        return self

    @cached_property
    def geometry(self) -> BaseGeometry:
        return Polygon(self.ring)

    @cached_property
    def _prepared(self) -> BaseGeometry:
        polygon = Polygon(self.ring)
        shapely.prepare(polygon)
        return polygon

    def contains(self, lon: float, lat: float) -> bool:
        """Inside or on the edge. Prepared once per area and no Point object per call (``intersects_xy``):
        deciding for thousands of positions a second stays cheap."""
        return bool(shapely.intersects_xy(self._prepared, lon, lat))

    @classmethod
    def box(cls, west: float, south: float, east: float, north: float, label: str = "") -> Area:
        return cls(
            ring=((west, south), (east, south), (east, north), (west, north), (west, south)), label=label
        )


class Clause(_Frozen):
    """What one situation of an agreement allows."""

    data_classes: frozenset[DataClass] = frozenset()
    area: Area
    retention_s: int = Field(gt=0, le=365 * 86400)
    """How long the receiver may keep what it got under this clause."""


class AgreementBody(_Frozen):
    """What an admin states; the service adds id, origin and times (:class:`Agreement`)."""

    partner: str = Field(pattern=SLUG)
    """The receiving organisation (centre) slug."""
    legal_basis: str = Field(min_length=3, max_length=2000)
    """Shown in every audit row of a share made under it, e.g. "GDPR art. 6(1)(e); Treaty CZ-PL 2015"."""
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    normal: Clause | None = None
    incident: Clause | None = None
    partner_incidents_from: frozenset[str] = frozenset()
    """Partner organisations whose declared incidents unlock the incident clause too (default: none —
    only the sender's own incidents do)."""

    @model_validator(mode="after")
    def _consistent(self) -> AgreementBody:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if self.normal is not None and self.normal.data_classes & RAW_CLASSES:
            raise ValueError("raw video can only be shared under the incident clause")
        return self


class Agreement(AgreementBody):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    revoked_at: AwareDatetime | None = None

    def in_force(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until and (
            self.revoked_at is None or now < self.revoked_at
        )


class FlightPermit(_Frozen):
    """A cross-border flight permit issued by the other state's authority, recorded on an incident."""

    reference: str = Field(min_length=1, max_length=200)
    authority: str = Field(min_length=1, max_length=200)
    area: Area
    valid_from: AwareDatetime
    valid_until: AwareDatetime


class IncidentBody(_Frozen):
    """A mimořádná událost / zdarzenie nadzwyczajne as declared by a commander."""

    area: Area
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _window(self) -> IncidentBody:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class Incident(IncidentBody):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    organisation: str = Field(pattern=SLUG)
    """The centre that declared it."""
    declared_by: str
    closed_at: AwareDatetime | None = None
    permits: tuple[FlightPermit, ...] = ()

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and (self.closed_at is None or now < self.closed_at)
