"""A cross-border flight permit relaxes the border rule, only inside its area and time, never zones."""

from __future__ import annotations

from datetime import UTC, datetime

from shapely.geometry import box

from geodata.terrain import DemTerrain
from geodata.zones.model import Restriction
from missions.model import AltFrame, HomePosition
from missions.validate import CrossBorderPermit, RuleId, ValidationReport, Violation, validate

from .conftest import BORDER_LAT, make_zone, region_with, route, split_border

START = datetime(2026, 7, 1, 10, tzinfo=UTC)
HOME_SOUTH = HomePosition(lon=17.10, lat=BORDER_LAT - 0.005)


def of(report: ValidationReport, rule: RuleId) -> list[Violation]:
    return [v for v in report.violations if v.rule_id is rule]


def permit(
    area: tuple[float, float, float, float] = (17.0, BORDER_LAT - 0.05, 17.2, BORDER_LAT + 0.05),
) -> CrossBorderPermit:
    return CrossBorderPermit(
        "ULC-2026-17", box(*area), datetime(2026, 7, 1, 9, tzinfo=UTC), datetime(2026, 7, 1, 12, tzinfo=UTC)
    )


def crossing():  # type: ignore[no-untyped-def]
    return route(
        [(17.10, BORDER_LAT + 0.005)],
        80,
        AltFrame.AGL,
        home=HOME_SOUTH,
        takeoff_rel_m=80,
        planned_start=START,
    )


def test_permit_relaxes_the_border_rule_inside_its_area_and_time(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain, border=split_border())
    assert len(of(validate(crossing(), region), RuleId.BORDER)) == 2
    assert of(validate(crossing(), region, permits=[permit()]), RuleId.BORDER) == []


def test_permit_does_not_cover_a_mission_partly_outside_or_at_another_time(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain, border=split_border())
    small = permit((17.09, BORDER_LAT - 0.001, 17.11, BORDER_LAT + 0.05))  # home lies outside it
    assert len(of(validate(crossing(), region, permits=[small]), RuleId.BORDER)) == 2
    later = datetime(2026, 7, 1, 13, tzinfo=UTC)
    assert len(of(validate(crossing(), region, at=later, permits=[permit()]), RuleId.BORDER)) == 2


def test_permit_never_relaxes_zone_rules(ridge_terrain: DemTerrain) -> None:
    zone = make_zone(
        "Z-PROHIB", Restriction.PROHIBITED, box(17.095, BORDER_LAT + 0.001, 17.105, BORDER_LAT + 0.01)
    )
    region = region_with(ridge_terrain, [zone], border=split_border())
    report = validate(crossing(), region, permits=[permit()])
    assert of(report, RuleId.BORDER) == []
    assert len(of(report, RuleId.ZONES)) >= 1
