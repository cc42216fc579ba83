"""Typed results of validation: what is wrong, how bad, where, and in words the pilot reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from missions.validate.messages import Lang, Msg, render


class Severity(StrEnum):
    ERROR = "ERROR"  # the mission must not fly as planned
    WARNING = "WARNING"  # it may fly; the pilot must know this


class RuleId(StrEnum):
    STRUCTURE = "structure"
    ZONES = "zones"
    BORDER = "border"
    HEIGHT_CEILING = "height_ceiling"
    TERRAIN_CLEARANCE = "terrain_clearance"
    TERRAIN_QUALITY = "terrain_quality"
    ENDURANCE = "endurance"
    VLOS = "vlos"
    UNCHECKED = "unchecked"
    DATA_COVERAGE = "data_coverage"
    ALTITUDE_REFERENCE = "altitude_reference"
    HOME_ALTITUDE = "home_altitude"


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: RuleId
    severity: Severity
    item_index: int | None = None
    leg_index: int | None = None
    lon: float | None = None
    lat: float | None = None
    alt_amsl_m: float | None = None
    zone_id: str | None = None
    zone_name: str | None = None
    message: str
    messages: dict[Lang, str]


@dataclass(frozen=True)
class Where:
    """The place on the mission a violation points at."""

    item_index: int | None = None
    leg_index: int | None = None
    lon: float | None = None
    lat: float | None = None
    alt_amsl_m: float | None = None


NOWHERE = Where()


def violation(
    rule_id: RuleId,
    severity: Severity,
    key: Msg,
    *,
    where: Where = NOWHERE,
    zone_id: str | None = None,
    zone_name: str | None = None,
    **values: object,
) -> Violation:
    """Builds a violation with its message in every language."""
    texts = render(key, **values)
    return Violation(
        rule_id=rule_id,
        severity=severity,
        item_index=where.item_index,
        leg_index=where.leg_index,
        lon=where.lon,
        lat=where.lat,
        alt_amsl_m=where.alt_amsl_m,
        zone_id=zone_id,
        zone_name=zone_name,
        message=texts[Lang.EN],
        messages=texts,
    )


class LegCheck(BaseModel):
    """What one leg of the path was checked against: the record behind a LEGAL verdict."""

    model_config = ConfigDict(frozen=True)

    leg_index: int
    item_index: int
    """The item the leg flies to."""
    zones: bool
    """Every sample of the leg lies where the loaded zone data is complete."""
    border: bool
    """Every sample of the leg lies where the loaded border data is complete."""
    terrain: str
    """Worst terrain along the leg: 'precise', 'approximate' or 'unknown'."""


class CheckRecord(BaseModel):
    """Which items and legs the validation actually looked at, and against which data."""

    model_config = ConfigDict(frozen=True)

    positional_items: list[int]
    """Items the command table calls positional (they must all be on the path)."""
    path_items: list[int]
    """Items that put a vertex on the checked path."""
    legs: list[LegCheck]
    zone_sources: list[str]


class ValidationReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    violations: list[Violation]
    checked: CheckRecord | None = None
    """None when the path could not even be built (broken coordinates): nothing was checked."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Legal to fly: no errors (warnings are for the pilot to read, not to block)."""
        return not self.errors

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.WARNING]

    def to_json_dict(self) -> dict[str, object]:
        """The CLI's and the API's shape: ``{"ok": bool, "violations": [...]}``."""
        out: dict[str, object] = {
            "ok": self.ok,
            "violations": [v.model_dump(mode="json") for v in self.violations],
        }
        if self.checked is not None:
            out["checked"] = self.checked.model_dump(mode="json")
        return out
