"""Issue 11: no mission comes out LEGAL unless every part of it was checked (contract 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pymavlink.dialects.v20 import common
from typer.testing import CliRunner

from borderwatch_cli.main import app
from geodata.terrain import DemTerrain, FlatTerrain
from missions.commands import COMMANDS, CommandClass
from missions.formats.qgc_plan import dump_plan
from missions.home import compare_home, mission_for_vehicle_home
from missions.model import AltFrame, HomePosition, Mission, OtherCommand
from missions.validate import RuleId, Severity, validate
from missions.validate.messages import all_keys_translated
from tests.synthetic_dem import write_lonlat_dem

from .conftest import HOME, region_with, route

runner = CliRunner()


def rules_of(mission: Mission, region: object) -> dict[RuleId, list[str]]:
    report = validate(mission, region)  # type: ignore[arg-type]
    out: dict[RuleId, list[str]] = {}
    for v in report.violations:
        out.setdefault(v.rule_id, []).append(f"{v.severity.value}: {v.message}")
    return out


# ---- 1. every command classified; positional ones on the path; unknown ones are errors ---------------


def test_every_mavlink_common_command_is_in_the_one_table() -> None:
    enum = common.enums["MAV_CMD"]
    defined = {value for value, entry in enum.items() if not entry.name.endswith("ENUM_END")}
    assert defined - set(COMMANDS) == set(), "MAV_CMD values missing from missions.commands.COMMANDS"
    for value, info in COMMANDS.items():
        if value in enum:
            assert enum[value].name == f"MAV_CMD_{info.name}"
    nav_with_position = {16, 17, 18, 19, 21, 22, 31, 82, 84, 85, 94}
    assert all(COMMANDS[c].cls is CommandClass.POSITIONAL for c in nav_with_position)


def with_item(extra: OtherCommand) -> Mission:
    base = route([(17.103, 50.20)], 80, AltFrame.AGL)
    return base.with_items([*base.items[:2], extra, *base.items[2:]])


def test_spline_waypoint_is_on_the_checked_path(ridge_terrain: DemTerrain) -> None:
    """It used to be dropped from the path with a 'cannot check' warning, the mission LEGAL."""
    spline = OtherCommand(command=82, frame=3, params=(0, 0, 0, 0, 50.20, 17.106, 400.0))
    report = validate(with_item(spline), region_with(ridge_terrain))
    assert report.checked is not None and 2 in report.checked.path_items
    # 400 m above home is far above the 120 m ceiling: the spline leg itself is checked
    assert any(v.rule_id is RuleId.HEIGHT_CEILING for v in report.violations) and not report.ok


def test_unknown_and_unmodelled_commands_are_errors(ridge_terrain: DemTerrain) -> None:
    region = region_with(ridge_terrain)
    unknown = validate(with_item(OtherCommand(command=54321, frame=2, params=(0,) * 7)), region)
    [error] = [v for v in unknown.violations if v.rule_id is RuleId.UNCHECKED]
    assert error.severity is Severity.ERROR and error.item_index == 2 and not unknown.ok
    assert unknown.to_json_dict()["ok"] is False
    set_home = validate(
        with_item(OtherCommand(command=179, frame=0, params=(0, 0, 0, 0, 50.3, 17.3, 0))), region
    )
    assert [v.rule_id for v in set_home.errors] == [RuleId.UNCHECKED]
    local = validate(
        with_item(OtherCommand(command=82, frame=1, params=(0, 0, 0, 0, 5.0, 5.0, -20.0))), region
    )
    assert [v.rule_id for v in local.errors] == [RuleId.UNCHECKED]
    servo = validate(with_item(OtherCommand(command=183, frame=2, params=(9, 1500, 0, 0, 0, 0, 0))), region)
    assert servo.ok and not servo.violations  # payload only


# ---- 2. data coverage ---------------------------------------------------------------------------------


def test_mission_outside_zone_and_border_coverage_is_not_legal(ridge_terrain: DemTerrain) -> None:
    mission = route([(17.103, 50.20)], 80, AltFrame.AGL)
    errors = rules_of(mission, region_with(ridge_terrain, coverage=None))[RuleId.DATA_COVERAGE]
    assert any("No zone data for this area" in e and "import the authority" in e.lower() for e in errors)
    assert any("No border data" in e for e in errors)


def flat(value: float) -> object:
    def elevation(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.full_like(lon, value)

    return elevation


def test_cli_zurich_plan_with_a_dem_covering_it_is_not_legal(tmp_path: Path) -> None:
    """The issue's case: a DEM from Zurich to the region made a Zurich plan 'LEGAL: 0 errors'."""
    dem = write_lonlat_dem(
        tmp_path / "wide.tif",
        flat(400.0),
        west=8.0,
        north=50.6,
        step=0.02,
        cols=480,
        rows=180,
        accuracy_m=1.0,  # type: ignore[arg-type]
    )
    zurich = HomePosition(lon=8.54, lat=47.37)
    plan = tmp_path / "zurich.plan"
    plan.write_text(json.dumps(dump_plan(route([(8.542, 47.37)], 80, AltFrame.AGL, home=zurich))))
    env = {
        "BORDERWATCH_DATA": str(tmp_path / "data"),
        "BORDERWATCH_REGION": "jesenik-nysa",
        "BORDERWATCH_DEM": "",
    }
    result = runner.invoke(app, ["mission", "validate", str(plan), "--dem", str(dem)], env=env)
    assert result.exit_code == 1, result.output
    assert "No zone data for this area" in result.output and "NOT LEGAL" in result.output


# ---- 3. upload refuses altitudes that cannot be resolved (see test_mavlink_and_files) -----------------
# ---- 5. home altitude against terrain -------------------------------------------------------------------


def test_home_at_zero_gives_the_home_error_not_negative_heights(ridge_terrain: DemTerrain) -> None:
    home = HomePosition(lon=HOME.lon, lat=HOME.lat, alt_amsl_m=0.0)
    found = rules_of(route([(17.103, 50.20)], 60, AltFrame.REL_HOME, home=home), region_with(ridge_terrain))
    [error] = found[RuleId.HOME_ALTITUDE]
    assert error.startswith("ERROR") and "300 m below the terrain" in error
    assert RuleId.TERRAIN_CLEARANCE not in found and RuleId.HEIGHT_CEILING not in found
    near = HomePosition(lon=HOME.lon, lat=HOME.lat, alt_amsl_m=310.0)
    found = rules_of(route([(17.103, 50.20)], 60, AltFrame.REL_HOME, home=near), region_with(ridge_terrain))
    assert [e.split(":")[0] for e in found[RuleId.HOME_ALTITUDE]] == ["WARNING"]


def test_vehicle_home_comparison_is_pure_and_rehomes() -> None:
    planned = HomePosition(lon=17.10, lat=50.20, alt_amsl_m=300.0)
    assert compare_home(planned, planned.model_copy(update={"alt_amsl_m": 301.0})) is None
    moved = HomePosition(lon=17.1014, lat=50.20, alt_amsl_m=320.0)
    difference = compare_home(planned, moved)
    assert difference is not None and 95 < difference.distance_m < 105 and difference.alt_difference_m == 20
    mission = route([(17.103, 50.20)], 60, AltFrame.REL_HOME, home=planned)
    rehomed, note = mission_for_vehicle_home(mission, moved)
    assert rehomed.home == moved and note is not None and "checked again" in note.message
    assert mission_for_vehicle_home(mission, None) == (mission, None)


# ---- 6. no AGL figures over unknown terrain -------------------------------------------------------------


def test_unknown_terrain_gives_no_height_above_terrain_figures() -> None:
    home = HomePosition(lon=HOME.lon, lat=HOME.lat, alt_amsl_m=300.0)
    mission = route([(17.103, 50.20)], 900, AltFrame.AMSL, home=home)
    report = validate(mission, region_with(FlatTerrain(300.0)))
    assert not any("above the terrain" in v.message for v in report.violations)
    assert {v.rule_id for v in report.errors} >= {RuleId.TERRAIN_QUALITY}
    assert any("Terrain unknown" in v.message for v in report.violations)


# ---- 7 and 10. CLI: --dem outside the mission, --json errors --------------------------------------------


def test_cli_dem_outside_the_mission_is_named(tmp_path: Path, ridge_dem_path: Path) -> None:
    zurich_dem = write_lonlat_dem(
        tmp_path / "zurich.tif",
        flat(400.0),
        west=8.4,
        north=47.5,
        step=0.01,
        cols=30,
        rows=20,
        accuracy_m=1.0,  # type: ignore[arg-type]
    )
    plan = tmp_path / "ok.plan"
    plan.write_text(json.dumps(dump_plan(route([(17.103, 50.20)], 80, AltFrame.AGL))))
    env = {"BORDERWATCH_DATA": str(tmp_path / "data"), "BORDERWATCH_DEM": str(ridge_dem_path)}
    result = runner.invoke(app, ["mission", "validate", str(plan), "--dem", str(zurich_dem)], env=env)
    assert f"--dem {zurich_dem} covers lon 8.4000..8.7000, lat 47.3000..47.5000" in result.output
    assert "it does not cover the mission area" in result.output
    as_json = runner.invoke(
        app, ["mission", "validate", str(plan), "--json", "--dem", str(zurich_dem)], env=env
    )
    assert any("does not cover the mission area" in n for n in json.loads(as_json.stdout)["notes"])


def test_cli_json_errors_are_json_on_stdout(tmp_path: Path) -> None:
    broken = tmp_path / "broken.plan"
    broken.write_text('{"fileType": "Plan", "mission": {"items": [{"type": "SimpleItem", "command": "x"}]}}')
    env = {"BORDERWATCH_DATA": str(tmp_path / "data")}
    result = runner.invoke(app, ["mission", "validate", str(broken), "--json"], env=env)
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["ok"] is False and body["error"]["code"] == "bad_input"
    assert {
        "path": "$.mission.items[0].command",
        "message": "expected a whole number, got string 'x'",
    } in body["error"]["problems"]
    missing = runner.invoke(app, ["mission", "validate", str(tmp_path / "nope.plan"), "--json"], env=env)
    assert missing.exit_code == 2 and json.loads(missing.stdout)["error"]["code"] == "bad_input"
    bad_time = runner.invoke(app, ["mission", "validate", str(broken), "--json", "--at", "soon"], env=env)
    assert bad_time.exit_code == 2 and json.loads(bad_time.stdout)["error"]["code"] == "bad_option"


def test_new_messages_exist_in_every_language() -> None:
    assert all_keys_translated()


# ---- 4. DO_JUMP loops are flown, target and repeat count checked ----------------------------------------


def test_do_jump_loops_are_flown_and_checked(ridge_terrain: DemTerrain) -> None:
    from missions.model import DoJump
    from missions.path import build_vertices

    base = route([(17.103, 50.20), (17.106, 50.201)], 80, AltFrame.AGL)
    looped = base.with_items([*base.items[:3], DoJump(target_item=1, repeat=2), *base.items[3:]])
    once = build_vertices(base, ridge_terrain)
    thrice = build_vertices(looped, ridge_terrain)
    assert list(thrice.item_index).count(1) == 3 * list(once.item_index).count(
        1
    )  # the loop's legs are checked
    region = region_with(ridge_terrain)
    assert validate(looped, region).ok
    endless = base.with_items([*base.items[:3], DoJump(target_item=1, repeat=65535), *base.items[3:]])
    assert any(v.rule_id is RuleId.STRUCTURE for v in validate(endless, region).errors)
    backwards = base.with_items([*base.items[:3], DoJump(target_item=1, repeat=-1), *base.items[3:]])
    assert any("repeat count" in v.message for v in validate(backwards, region).errors)


def test_terrain_following_keeps_jump_targets(ridge_terrain: DemTerrain) -> None:
    from missions.model import DoJump
    from missions.patterns import terrain_follow

    base = route([(17.24, 50.20), (17.26, 50.201)], 80, AltFrame.AGL)  # across the ridge: waypoints inserted
    looped = base.with_items([*base.items[:3], DoJump(target_item=2, repeat=1), *base.items[3:]])
    followed = terrain_follow(looped, ridge_terrain)
    jump = next(i for i in followed.items if isinstance(i, DoJump))
    target = followed.items[jump.target_item]
    assert len(followed.items) > len(looped.items)
    assert isinstance(target, type(looped.items[2])) and (target.lon, target.lat) == (17.26, 50.201)  # type: ignore[union-attr]
