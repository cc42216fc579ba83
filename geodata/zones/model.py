"""The typed zone model every importer produces and every query consumes (ED-269 concepts)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum, StrEnum

from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import Problem
from geodata.vertical import VerticalRef


class Restriction(StrEnum):
    PROHIBITED = "PROHIBITED"
    REQ_AUTHORISATION = "REQ_AUTHORISATION"
    CONDITIONAL = "CONDITIONAL"
    NO_RESTRICTION = "NO_RESTRICTION"


class Reason(StrEnum):
    """ED-269 reason codes; importers keep unknown codes as text and warn."""

    AIR_TRAFFIC = "AIR_TRAFFIC"
    SENSITIVE = "SENSITIVE"
    PRIVACY = "PRIVACY"
    POPULATION = "POPULATION"
    NATURE = "NATURE"
    NOISE = "NOISE"
    FOREIGN_TERRITORY = "FOREIGN_TERRITORY"
    EMERGENCY = "EMERGENCY"
    OTHER = "OTHER"


@dataclass(frozen=True)
class AltitudeLimit:
    """One end of a zone's vertical band.

    ``value_m`` is metres in ``ref``; for ``STD`` it is the pressure altitude in metres (FL 95 ->
    2895.6 m), converted to AMSL only at query time with the ISA envelope. An unlimited upper end is
    ``math.inf``. ``text`` keeps what the source said ("FL 95", "5500 ft MSL", "GND").
    """

    value_m: float
    ref: VerticalRef
    text: str

    @property
    def unlimited(self) -> bool:
        return math.isinf(self.value_m)

    def __str__(self) -> str:
        return self.text


GROUND = AltitudeLimit(0.0, VerticalRef.AGL, "GND")
UNLIMITED = AltitudeLimit(math.inf, VerticalRef.AMSL, "UNL")


@dataclass(frozen=True)
class Circle:
    center_lon: float
    center_lat: float
    radius_m: float


@dataclass(frozen=True)
class ZoneVolume:
    """A footprint (lon/lat; circles densified to a polygon that contains the circle) and its band."""

    footprint: Polygon | MultiPolygon
    lower: AltitudeLimit
    upper: AltitudeLimit
    circle: Circle | None = None


class Weekday(IntEnum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


ALL_DAYS: frozenset[Weekday] = frozenset(Weekday)


@dataclass(frozen=True)
class DailyPeriod:
    """Active on ``days`` from ``start`` to ``end`` local to ``tz``; ``end <= start`` runs past midnight.

    ``end`` is inclusive to the second so that ED-269's ``23:59:59`` closes the day.
    """

    days: frozenset[Weekday]
    start: time
    end: time
    tz: tzinfo = UTC

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        t = local.time().replace(tzinfo=None)
        weekday = Weekday(local.weekday())
        if self.start < self.end or (self.start == self.end and self.start != time(0)):
            return weekday in self.days and self.start <= t <= self.end
        if self.start == self.end:  # 00:00-00:00: the whole day
            return weekday in self.days
        if weekday in self.days and t >= self.start:
            return True
        yesterday = Weekday((local.date() - timedelta(days=1)).weekday())
        return yesterday in self.days and t <= self.end


@dataclass(frozen=True)
class TimeWindow:
    """Active between ``start`` and ``end`` (either open), and then only within ``daily`` if given."""

    start: datetime | None = None
    end: datetime | None = None
    daily: tuple[DailyPeriod, ...] = ()

    def contains(self, at: datetime) -> bool:
        if self.start is not None and at < self.start:
            return False
        if self.end is not None and at > self.end:
            return False
        return not self.daily or any(p.contains(at) for p in self.daily)


@dataclass(frozen=True)
class Applicability:
    """When a zone applies: always (no windows) or within any of the windows."""

    windows: tuple[TimeWindow, ...] = ()

    @property
    def permanent(self) -> bool:
        return not self.windows

    def is_active(self, at: datetime) -> bool:
        """Whether the zone applies at ``at``, which must be timezone-aware (design: times are UTC)."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at.isoformat()} is naive: zone applicability needs a timezone-aware time")
        return self.permanent or any(w.contains(at) for w in self.windows)

    def active_on(self, day: date, tz: tzinfo = UTC) -> bool:
        """Whether the zone applies at any minute of ``day`` (checked every 15 min; for display only)."""
        start = datetime.combine(day, time(0), tz)
        return any(self.is_active(start + timedelta(minutes=15 * k)) for k in range(96))


PERMANENT = Applicability()


@dataclass(frozen=True)
class Authority:
    name: str = ""
    service: str = ""
    email: str = ""
    phone: str = ""
    site_url: str = ""
    purpose: str = ""
    contact_name: str = ""
    interval_before: str = ""


@dataclass(frozen=True)
class Zone:
    """A UAS geographical zone or airspace element, whatever format it came from."""

    identifier: str
    country: str
    name: str
    restriction: Restriction
    reasons: tuple[str, ...]
    volumes: tuple[ZoneVolume, ...]
    applicability: Applicability = PERMANENT
    authority: Authority | None = None
    message: str = ""
    approximate: bool = False
    source: str = ""
    uid: str = ""
    other_reason_info: str = ""
    restriction_conditions: str = ""
    u_space_classes: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def footprint(self) -> Polygon | MultiPolygon:
        """Union of all volume footprints (for maps and area queries)."""
        from shapely import union_all

        merged = union_all([v.footprint for v in self.volumes])
        if isinstance(merged, Polygon | MultiPolygon):
            return merged
        return MultiPolygon([g for g in getattr(merged, "geoms", []) if isinstance(g, Polygon)])


def make_uid(source: str, index: int, identifier: str) -> str:
    """Stable and unique per (source, position): identifiers repeat in real data (ED-269 CHE sample)."""
    digest = hashlib.sha1(f"{source}\x00{index}\x00{identifier}".encode()).hexdigest()[:10]
    return f"{identifier or 'zone'}@{digest}"


@dataclass
class ImportResult:
    """Good zones, zones rejected with where/why, and warnings about repaired or doubtful input."""

    zones: list[Zone] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def problems(self) -> list[Problem]:
        return [*self.rejected, *self.warnings]
