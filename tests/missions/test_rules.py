"""Every validation rule with a passing and a failing case, on analytic terrain with known answers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from geodata.terrain import DemTerrain, FlatTerrain
from geodata.zones.model import Restriction
from missions.model import (
    AltFrame,
    ChangeSpeed,
    DoJump,
    HomePosition,
    Land,
    Loiter,
    Mission,
    OperationCategory,
    Orbit,
    OtherCommand,
    QgcItemInfo,
    ReturnToLaunch,
    Takeoff,
    VehicleProfile,
    Waypoint,
)
from missions.path import build_vertices
from missions.patterns import terrain_follow
from missions.validate import (
    DEFAULT_RULES,
    RuleConfig,
    RuleId,
    Severity,
    ValidationReport,
    Violation,
    validate,
)
from missions.validate.messages import Lang, all_keys_translated
from missions.validate.rules_flight import estimate_flight_time
from missions.validate.rules_structure import _same_apart_from_bookkeeping

from .conftest import BORDER_LAT, HOME, make_zone, metres_east, region_with, route, split_border, window


def of(report: ValidationReport, rule: RuleId) -> list[Violation]:
    return [v for v in report.violations if v.rule_id is rule]


RIDGE_HOME = HomePosition(lon=17.235, lat=50.20)
FAR_SIDE = (17.265, 50.20)


# ---- zones --------------------------------------------------------------------------------------


def test_prohibited_zone_crossed_between_waypoints_is_an_error(ridge_terrain: DemTerrain) -> None:
    zone = make_zone("Z-PROHIB", Restriction.PROHIBITED, box(17.105, 50.19, 17.11, 50.21))
    mission = route([(17.12, 50.20)], 80, AltFrame.AGL, takeoff_rel_m=80)
    report = validate(mission, region_with(ridge_terrain, [zone]))
    [hit] = of(report, RuleId.ZONES)
    assert hit.severity is Severity.ERROR and hit.zone_id == "Z-PROHIB" and hit.zone_name == "Zone Z-PROHIB"
    assert hit.leg_index == 1 and hit.item_index == 1  # home -> waypoint 1; both vertices are outside
    assert hit.lon is not None and 17.105 <= hit.lon <= 17.1055
    assert hit.alt_amsl_m == pytest.approx(380.0, abs=0.5)  # 80 m AGL over the 300 m plain
    assert set(hit.messages) == set(Lang) and "Z-PROHIB" in hit.messages[Lang.PL]
    assert not report.ok


def test_path_beside_a_prohibited_zone_passes(ridge_terrain: DemTerrain) -> None:
    zone = make_zone("Z-PROHIB", Restriction.PROHIBITED, box(17.105, 50.205, 17.11, 50.21))
    report = validate(route([(17.12, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain, [zone]))
    assert of(report, RuleId.ZONES) == []


def test_zone_band_is_checked_in_its_own_reference(ridge_terrain: DemTerrain) -> None:
    zone = make_zone("Z-LOW", Restriction.PROHIBITED, box(17.105, 50.19, 17.11, 50.21))  # GND-120 m AGL
    above = route(
        [(17.12, 50.20)],
        150,
        AltFrame.AGL,
        takeoff_rel_m=150,
        category=OperationCategory.SPECIFIC,
        approved_ceiling_agl_m=200,
    )
    report = validate(above, region_with(ridge_terrain, [zone]))
    assert of(report, RuleId.ZONES) == [] and report.ok


def test_authorisation_zone_needs_the_missions_authorisation(ridge_terrain: DemTerrain) -> None:
    zone = make_zone("Z-AUTH", Restriction.REQ_AUTHORISATION, box(17.105, 50.19, 17.11, 50.21))
    region = region_with(ridge_terrain, [zone])
    without = validate(route([(17.12, 50.20)], 80, AltFrame.AGL), region)
    [hit] = of(without, RuleId.ZONES)
    assert hit.severity is Severity.ERROR and "Test authority" in hit.message
    for reference in ("Z-AUTH", "Z-AUTH@test"):
        held = route([(17.12, 50.20)], 80, AltFrame.AGL, zone_authorisations=(reference,))
        assert of(validate(held, region), RuleId.ZONES) == []


def test_conditional_zone_warns_with_conditions_and_contact(ridge_terrain: DemTerrain) -> None:
    zone = make_zone(
        "Z-COND", Restriction.CONDITIONAL, box(17.105, 50.19, 17.11, 50.21), message="Call the tower first."
    )
    report = validate(route([(17.12, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain, [zone]))
    [hit] = of(report, RuleId.ZONES)
    assert hit.severity is Severity.WARNING
    assert "Call the tower first." in hit.message and "+420 000 000 000" in hit.message


def test_zone_applies_only_within_its_time_window(ridge_terrain: DemTerrain) -> None:
    active = window(datetime(2026, 7, 1, 9, tzinfo=UTC), datetime(2026, 7, 1, 11, tzinfo=UTC))
    zone = make_zone("Z-TIME", Restriction.PROHIBITED, box(17.105, 50.19, 17.11, 50.21), applicability=active)
    region = region_with(ridge_terrain, [zone])
    mission = route([(17.12, 50.20)], 80, AltFrame.AGL, planned_start=datetime(2026, 7, 1, 10, tzinfo=UTC))
    assert len(of(validate(mission, region), RuleId.ZONES)) == 1  # planned start inside the window
    later = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert of(validate(mission, region, at=later), RuleId.ZONES) == []


def test_no_restriction_zone_is_silent(ridge_terrain: DemTerrain) -> None:
    zone = make_zone("Z-FREE", Restriction.NO_RESTRICTION, box(17.105, 50.19, 17.11, 50.21))
    assert (
        of(
            validate(route([(17.12, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain, [zone])),
            RuleId.ZONES,
        )
        == []
    )


# ---- border ---------------------------------------------------------------------------------------


def test_crossing_the_border_without_authorisation_is_an_error(ridge_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.10, lat=BORDER_LAT - 0.005)
    mission = route([(17.10, BORDER_LAT + 0.005)], 80, AltFrame.AGL, home=home, takeoff_rel_m=80)
    report = validate(mission, region_with(ridge_terrain, border=split_border()))
    out, back = of(report, RuleId.BORDER)
    assert out.leg_index == 1 and "from CZE into POL" in out.message
    assert out.lat == pytest.approx(BORDER_LAT) and out.lon == pytest.approx(17.10)
    assert out.alt_amsl_m == pytest.approx(380.0, abs=0.5)
    assert (
        "from POL into CZE" in back.message and back.leg_index is not None and back.leg_index > out.leg_index
    )


def test_cross_border_authorisation_allows_the_crossing(ridge_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.10, lat=BORDER_LAT - 0.005)
    mission = route(
        [(17.10, BORDER_LAT + 0.005)], 80, AltFrame.AGL, home=home, cross_border_authorisation="INC-2026-001"
    )
    assert of(validate(mission, region_with(ridge_terrain, border=split_border())), RuleId.BORDER) == []


def test_flight_staying_on_one_side_passes(ridge_terrain: DemTerrain) -> None:
    mission = route([(17.12, 50.20)], 80, AltFrame.AGL)
    assert of(validate(mission, region_with(ridge_terrain, border=split_border())), RuleId.BORDER) == []


# ---- height above terrain ------------------------------------------------------------------------


def test_constant_amsl_over_a_ridge_breaks_the_120m_ceiling_on_the_plain(ridge_terrain: DemTerrain) -> None:
    mission = route([FAR_SIDE], 800, AltFrame.AMSL, home=RIDGE_HOME)
    errors = of(validate(mission, region_with(ridge_terrain)), RuleId.HEIGHT_CEILING)
    assert errors and all(e.severity is Severity.ERROR for e in errors)
    worst = max(float(e.message.split(" m above")[0].split()[-1]) for e in errors)
    assert worst == pytest.approx(500.0, abs=1.0)  # 800 m AMSL over the 300 m plain


def test_terrain_following_keeps_height_and_clearance(ridge_terrain: DemTerrain) -> None:
    planned = Mission(
        items=(
            Takeoff(lon=RIDGE_HOME.lon, lat=RIDGE_HOME.lat, alt_m=50, alt_frame=AltFrame.REL_HOME),
            Waypoint(lon=FAR_SIDE[0], lat=FAR_SIDE[1], alt_m=100, alt_frame=AltFrame.AGL),
            Land(lon=FAR_SIDE[0], lat=FAR_SIDE[1]),
        ),
        home=RIDGE_HOME,
    )
    followed = terrain_follow(planned, ridge_terrain, tolerance_m=10)
    report = validate(followed, region_with(ridge_terrain))
    assert of(report, RuleId.HEIGHT_CEILING) == [] and of(report, RuleId.TERRAIN_CLEARANCE) == []


def test_approved_ceiling_in_specific_category(ridge_terrain: DemTerrain) -> None:
    common = {"home": RIDGE_HOME, "takeoff_rel_m": 150}
    open_flight = route([(17.238, 50.20)], 150, AltFrame.AGL, **common)  # type: ignore[arg-type]
    assert of(validate(open_flight, region_with(ridge_terrain)), RuleId.HEIGHT_CEILING)
    specific = open_flight.model_copy(
        update={"category": OperationCategory.SPECIFIC, "approved_ceiling_agl_m": 160.0}
    )
    assert of(validate(specific, region_with(ridge_terrain)), RuleId.HEIGHT_CEILING) == []


def test_straight_leg_into_the_ridge_breaks_clearance(ridge_terrain: DemTerrain) -> None:
    mission = route([FAR_SIDE], 650, AltFrame.AMSL, home=RIDGE_HOME, takeoff_rel_m=350)
    errors = of(validate(mission, region_with(ridge_terrain)), RuleId.TERRAIN_CLEARANCE)
    first = errors[0]
    assert first.leg_index == 1 and first.lon == pytest.approx(17.25, abs=0.0006)  # the crest
    # the crest lies between two pixel centres 0.00025 deg either side, each 690 m: 650 - 690 = -40
    assert "-40 m" in first.message


def test_clearance_is_not_checked_during_take_off_and_landing(ridge_terrain: DemTerrain) -> None:
    mission = route([(17.105, 50.20)], 40, AltFrame.AGL, takeoff_rel_m=40)
    assert of(validate(mission, region_with(ridge_terrain)), RuleId.TERRAIN_CLEARANCE) == []
    low = route([(17.105, 50.20)], 10, AltFrame.AGL, takeoff_rel_m=40)
    [error] = of(validate(low, region_with(ridge_terrain)), RuleId.TERRAIN_CLEARANCE)
    assert "10 m" in error.message


# ---- terrain quality (design contract 2) -------------------------------------------------------


def test_precise_terrain_adds_no_note(ridge_terrain: DemTerrain) -> None:
    assert (
        of(
            validate(route([(17.105, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain)),
            RuleId.TERRAIN_QUALITY,
        )
        == []
    )


def test_approximate_terrain_evaluates_and_warns_once(coarse_ridge_terrain: DemTerrain) -> None:
    mission = route([FAR_SIDE], 800, AltFrame.AMSL, home=RIDGE_HOME)
    report = validate(mission, region_with(coarse_ridge_terrain))
    [note] = of(report, RuleId.TERRAIN_QUALITY)
    assert note.severity is Severity.WARNING and "±30 m" in note.message
    assert of(report, RuleId.HEIGHT_CEILING)  # still evaluated on the DEM


def test_unknown_terrain_is_an_error() -> None:
    report = validate(route([(17.105, 50.20)], 80, AltFrame.AGL), region_with(FlatTerrain(300.0)))
    [error] = of(report, RuleId.TERRAIN_QUALITY)
    assert error.severity is Severity.ERROR and "unknown" in error.message.lower()


def test_path_leaving_the_dem_is_an_error(ridge_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.495, lat=50.20, alt_amsl_m=300.0)
    report = validate(route([(17.505, 50.20)], 80, AltFrame.AMSL, home=home), region_with(ridge_terrain))
    [error] = of(report, RuleId.TERRAIN_QUALITY)
    assert error.severity is Severity.ERROR and error.lon is not None and error.lon > 17.5


# ---- endurance and VLOS -------------------------------------------------------------------------


def test_flight_time_estimate_has_known_answer() -> None:
    home = HomePosition(lon=17.10, lat=50.20, alt_amsl_m=300.0)
    east = 17.10 + 1000.0 / (111_320.0 * math.cos(math.radians(50.20)))
    mission = route([(east, 50.20)], 350, AltFrame.AMSL, home=home)
    vertices = build_vertices(mission, None)
    estimate = estimate_flight_time(mission, vertices)
    # climb 50 m at 3 m/s, 1000 m at 10 m/s, RTL climb 10 m, 1000 m back, descend 60 m at 2 m/s
    assert estimate.total_s == pytest.approx(50 / 3 + 100 + 10 / 3 + 100 + 30, rel=0.01)
    windy = mission.model_copy(update={"expected_wind_m_s": 5.0})
    assert estimate_flight_time(windy, vertices).cruise_s == pytest.approx(2000 * 10 / 75, rel=0.01)


def test_endurance_short_is_an_error(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain)
    enough = route([(17.12, 50.20)], 80, AltFrame.AGL)
    assert of(validate(enough, region), RuleId.ENDURANCE) == []
    short = enough.model_copy(update={"vehicle": VehicleProfile(endurance_s=300)})
    [error] = of(validate(short, region), RuleId.ENDURANCE)
    assert error.severity is Severity.ERROR and "20 %" in error.message


def test_battery_energy_model(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain)
    small = route(
        [(17.12, 50.20)], 80, AltFrame.AGL, vehicle=VehicleProfile(endurance_s=None, battery_capacity_wh=10)
    )
    assert of(validate(small, region), RuleId.ENDURANCE)
    large = small.model_copy(update={"vehicle": VehicleProfile(endurance_s=None, battery_capacity_wh=100)})
    assert of(validate(large, region), RuleId.ENDURANCE) == []


def test_wind_above_the_vehicle_limit_is_an_error(ridge_terrain: DemTerrain) -> None:
    windy = route([(17.105, 50.20)], 80, AltFrame.AGL, expected_wind_m_s=12.0)
    errors = of(validate(windy, region_with(ridge_terrain)), RuleId.ENDURANCE)
    assert any("12 m/s" in e.message for e in errors)


def test_vlos_warning_only_in_open_category(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain)
    near = route([(17.104, 50.20)], 80, AltFrame.AGL)  # ~285 m
    assert of(validate(near, region), RuleId.VLOS) == []
    far = route([(17.12, 50.20)], 80, AltFrame.AGL)  # ~1.4 km
    [warning] = of(validate(far, region), RuleId.VLOS)
    assert warning.severity is Severity.WARNING and warning.lon == pytest.approx(17.12)
    specific = far.model_copy(update={"category": OperationCategory.SPECIFIC})
    assert of(validate(specific, region), RuleId.VLOS) == []


# ---- structure ------------------------------------------------------------------------------------


def test_well_formed_mission_has_no_structure_problems(ridge_terrain: DemTerrain) -> None:
    report = validate(route([(17.105, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain))
    assert of(report, RuleId.STRUCTURE) == [] and report.ok


def test_missing_takeoff_and_end(ridge_terrain: DemTerrain) -> None:
    mission = Mission(items=(Waypoint(lon=17.105, lat=50.20, alt_m=80, alt_frame=AltFrame.AGL),), home=HOME)
    messages = [v.message for v in of(validate(mission, region_with(ridge_terrain)), RuleId.STRUCTURE)]
    assert any("no take-off" in m for m in messages) and any("does not end" in m for m in messages)


def test_items_after_the_end_duplicates_and_unknown_commands(ridge_terrain: DemTerrain) -> None:
    wp = Waypoint(lon=17.105, lat=50.20, alt_m=80, alt_frame=AltFrame.AGL)
    mission = Mission(
        items=(
            Takeoff(lon=HOME.lon, lat=HOME.lat, alt_m=50),
            wp,
            wp,
            OtherCommand(command=183, frame=2, params=(1.0, 1500.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
            ReturnToLaunch(),
            wp,
        ),
        home=HOME,
    )
    found = of(validate(mission, region_with(ridge_terrain)), RuleId.STRUCTURE)
    by_item = {(v.item_index, v.severity) for v in found}
    assert (2, Severity.WARNING) in by_item  # exact repeat
    assert not any(i == 3 for i, _s in by_item)  # a servo command is payload-only: nothing to report
    assert (5, Severity.ERROR) in by_item  # after RTL


def test_nan_and_out_of_range_coordinates_stop_before_the_path(ridge_terrain: DemTerrain) -> None:
    bad = Waypoint.model_construct(lon=float("nan"), lat=50.2, alt_m=80.0, alt_frame=AltFrame.AGL)
    absurd = Waypoint.model_construct(lon=17.1, lat=50.2, alt_m=1e9, alt_frame=AltFrame.AMSL)
    far = Waypoint(lon=-70.0, lat=50.2, alt_m=80)
    mission = Mission.model_construct(
        items=(Takeoff(lon=HOME.lon, lat=HOME.lat, alt_m=50), bad, absurd, far, ReturnToLaunch()),
        home=HOME,
        vehicle=VehicleProfile(),
        category=OperationCategory.OPEN,
    )
    report = validate(mission, region_with(ridge_terrain))
    assert {v.rule_id for v in report.violations} == {RuleId.STRUCTURE}
    assert {v.item_index for v in report.errors} >= {1, 2, 3}


def test_empty_mission() -> None:
    report = validate(Mission(items=(), home=HOME), region_with(FlatTerrain(300.0)))
    assert "The mission has no items." in [v.message for v in report.errors] and not report.ok


# ---- the rule set itself -----------------------------------------------------------------------


def test_rule_registry_is_data_and_every_message_is_translated() -> None:
    assert {r.rule_id for r in DEFAULT_RULES} == set(RuleId)
    assert all_keys_translated()


def test_rule_config_changes_limits(ridge_terrain: DemTerrain) -> None:
    mission = route([(17.104, 50.20)], 80, AltFrame.AGL)
    strict = RuleConfig(open_ceiling_agl_m=60.0, vlos_limit_m=100.0)
    report = validate(mission, region_with(ridge_terrain), rules=strict)
    assert of(report, RuleId.HEIGHT_CEILING) and of(report, RuleId.VLOS)


def test_report_serialises_as_the_api_shape(ridge_terrain: DemTerrain) -> None:
    report = validate(route([(17.12, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain))
    body = report.to_json_dict()
    assert body["ok"] is True and isinstance(body["violations"], list)
    assert report.model_dump(mode="json")["ok"] is True


def test_naive_time_is_refused(ridge_terrain: DemTerrain) -> None:
    with pytest.raises(ValueError, match="timezone"):
        validate(
            route([(17.12, 50.20)], 80, AltFrame.AGL), region_with(ridge_terrain), at=datetime(2026, 7, 1)
        )


def test_jump_targets_must_exist(ridge_terrain: DemTerrain) -> None:
    def with_jump(target: float) -> Mission:
        base = route([(17.105, 50.20)], 80, AltFrame.AGL)
        jump = DoJump(target_item=int(target), repeat=2)
        return base.with_items([*base.items[:2], jump, *base.items[2:]])

    region = region_with(ridge_terrain)
    assert of(validate(with_jump(1), region), RuleId.STRUCTURE) == []
    [error] = of(validate(with_jump(9), region), RuleId.STRUCTURE)
    assert error.severity is Severity.ERROR and error.item_index == 2 and "item 9" in error.message


def test_change_speed_items_change_the_estimate() -> None:
    home = HomePosition(lon=17.10, lat=50.20, alt_amsl_m=300.0)
    east = 17.10 + 1000.0 / (111_320.0 * math.cos(math.radians(50.20)))
    mission = route([(east, 50.20)], 350, AltFrame.AMSL, home=home)
    slow = mission.with_items([mission.items[0], ChangeSpeed(speed_m_s=5.0), *mission.items[1:]])
    fast = estimate_flight_time(mission, build_vertices(mission, None)).cruise_s
    assert estimate_flight_time(slow, build_vertices(slow, None)).cruise_s == pytest.approx(
        2 * fast, rel=0.01
    )


def test_orbit_circle_is_checked_not_only_its_centre(ridge_terrain: DemTerrain) -> None:
    centre = (17.105, 50.20)
    zone_west = metres_east(centre[0], centre[1], 60)
    zone = make_zone("Z-RING", Restriction.PROHIBITED, box(zone_west, 50.1995, zone_west + 0.0005, 50.2005))
    region = region_with(ridge_terrain, [zone])

    def orbiting(radius_m: float) -> Mission:
        base = route([centre], 80, AltFrame.AGL, takeoff_rel_m=80)
        circle = Orbit(
            lon=centre[0], lat=centre[1], alt_m=80, alt_frame=AltFrame.AGL, turns=1, radius_m=radius_m
        )
        return base.with_items([*base.items[:2], circle, *base.items[2:]])

    assert of(validate(orbiting(20), region), RuleId.ZONES) == []
    [hit] = of(validate(orbiting(100), region), RuleId.ZONES)
    assert hit.item_index == 2


def test_approved_ceiling_message(ridge_terrain: DemTerrain) -> None:
    mission = route(
        [(17.104, 50.20)],
        150,
        AltFrame.AGL,
        takeoff_rel_m=150,
        category=OperationCategory.SPECIFIC,
        approved_ceiling_agl_m=140,
    )
    [error] = of(validate(mission, region_with(ridge_terrain)), RuleId.HEIGHT_CEILING)
    assert "approved ceiling of 140 m" in error.message and "schváleným stropem" in error.messages[Lang.CS]


_small = st.sampled_from([0.0, 1.0])
_items = st.builds(
    lambda kind, lon, alt, hold, jump: (
        kind(lon=17.1 + lon, lat=50.2, alt_m=50 + alt, qgc=QgcItemInfo(do_jump_id=jump) if jump else None)
        if kind is Waypoint
        else kind(lon=17.1 + lon, lat=50.2, alt_m=50 + alt, duration_s=hold)
    ),
    st.sampled_from([Waypoint, Loiter]),
    _small,
    _small,
    _small,
    st.sampled_from([None, 1, 2]),
)


@given(_items, _items)
def test_a_repeat_is_what_pydantic_calls_equal_once_qgc_bookkeeping_is_dropped(a: Any, b: Any) -> None:
    expected = a.model_copy(update={"qgc": None}) == b.model_copy(update={"qgc": None})
    assert _same_apart_from_bookkeeping(a, b) is expected
