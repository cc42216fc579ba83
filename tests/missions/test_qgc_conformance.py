"""QGC plan conformance (issue 11): every fixture in ``qgc_plans/`` is read as QGC reads it, written back
with every field QGC reads unchanged, and validated as the contracts say. See ``qgc_plans/README.md``
for the QGC source each file mirrors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from geodata.terrain import DemTerrain
from missions.formats.qgc_plan import dump_plan, load_plan
from missions.model import AltFrame, DoJump, Loiter, OtherCommand, Takeoff, Waypoint
from missions.validate import RuleId, validate

from .conftest import region_with

PLANS = Path(__file__).parent / "qgc_plans"
FIXTURES = sorted(p.name for p in PLANS.glob("*.plan"))


def _number(value: Any) -> Any:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return None if math.isnan(value) else float(value)


def _params(item: dict[str, Any]) -> list[Any]:
    """Params 1-7 as QGC's MissionItem::load gets them from either item format."""
    params = list(item["params"])
    if len(params) == 4:
        params += list(item["coordinate"])
    return [_number(p) for p in params]


def _simple(item: dict[str, Any]) -> dict[str, Any]:
    view = {
        "command": item["command"],
        "frame": item["frame"],
        "autoContinue": item.get("autoContinue", True),
        "doJumpId": item.get("doJumpId"),
        "params": _params(item),
    }
    for key in ("AltitudeMode", "Altitude", "AMSLAltAboveTerrain"):
        if key in item:
            view[key] = _number(item[key])
    return view


def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return _number(value)


def qgc_view(doc: dict[str, Any]) -> dict[str, Any]:
    """Every field QGC reads from a plan (PlanMasterController, MissionController, GeoFenceController,
    RallyPointController), normalised: numbers as floats, null as NaN would be, 4-param items as 7."""
    mission = doc["mission"]
    items = [_simple(item) if item["type"] == "SimpleItem" else _deep(item) for item in mission["items"]]
    keys = ("cruiseSpeed", "hoverSpeed", "firmwareType", "vehicleType", "globalPlanAltitudeMode", "version")
    return {
        "fileType": doc["fileType"],
        "version": doc["version"],
        "mission": {
            **{k: _number(mission.get(k)) for k in keys},
            "plannedHomePosition": [_number(v) for v in mission["plannedHomePosition"]],
            "items": items,
        },
        "geoFence": _deep(doc.get("geoFence")),
        "rallyPoints": _deep(doc.get("rallyPoints")),
    }


def read(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PLANS / name).read_text())
    return doc


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_keeps_every_field_qgc_reads(name: str) -> None:
    original = read(name)
    written = dump_plan(load_plan(json.dumps(original)))
    assert qgc_view(written) == qgc_view(original)
    again = dump_plan(load_plan(json.dumps(written)))
    assert again == written  # and writing is stable


def test_plan_level_fields_are_not_overwritten() -> None:
    """Issue 11.9: firmwareType/vehicleType were overwritten, cruiseSpeed replaced by hoverSpeed and
    globalPlanAltitudeMode reset; an ArduPilot fixed-wing plan stays one."""
    doc = read("altitude_modes.plan")
    doc["mission"].update(
        firmwareType=3, vehicleType=1, cruiseSpeed=21, hoverSpeed=4, globalPlanAltitudeMode=0
    )
    written = dump_plan(load_plan(json.dumps(doc)))["mission"]
    assert (written["firmwareType"], written["vehicleType"]) == (3, 1)
    assert (written["cruiseSpeed"], written["hoverSpeed"], written["globalPlanAltitudeMode"]) == (21, 4, 0)


def test_altitude_modes_are_read_as_qgc_reads_them() -> None:
    mission = load_plan(PLANS / "altitude_modes.plan")
    items = mission.items
    assert isinstance(items[0], Takeoff) and items[0].alt_frame is AltFrame.REL_HOME
    assert isinstance(items[1], Waypoint) and (items[1].alt_frame, items[1].alt_m) == (AltFrame.AMSL, 360)
    resolved = items[2]
    assert isinstance(resolved, Waypoint) and (resolved.alt_frame, resolved.alt_m) == (AltFrame.AMSL, 350)
    assert resolved.agl_intent_m == 50
    # Issue 11.3: CalcAboveTerrain with params[6] null was read as 0 m AMSL; it is 55 m above the terrain
    pending = items[3]
    assert isinstance(pending, Waypoint) and (pending.alt_frame, pending.alt_m) == (AltFrame.AGL, 55)
    spline = items[5]
    assert isinstance(spline, OtherCommand) and spline.command == 82
    turns = items[7]
    assert isinstance(turns, OtherCommand) and turns.command == 18 and turns.params[3] == 1  # xtrack kept
    assert isinstance(items[8], Loiter)
    # Issue 11.4: DO_JUMP param1 is the target's doJumpId (2), i.e. the second item (index 1)
    jump = items[10]
    assert isinstance(jump, DoJump) and (jump.target_item, jump.repeat) == (1, 1)


def test_calc_above_terrain_is_written_back_unresolved() -> None:
    written = dump_plan(load_plan(PLANS / "altitude_modes.plan"))["mission"]["items"]
    pending = written[3]
    assert (pending["frame"], pending["AltitudeMode"], pending["Altitude"]) == (0, 3, 55)
    assert pending["params"][6] is None and pending["AMSLAltAboveTerrain"] is None
    assert written[7]["params"][3] == 1  # loiter turns param4
    roi = written[6]
    assert (roi["command"], roi["AltitudeMode"], roi["Altitude"]) == (195, 1, 0)  # DO item keeps its keys
    assert written[10]["params"][0] == 2  # DO_JUMP back to doJumpId 2


def test_every_fixture_validates_as_the_contracts_say(
    ridge_terrain: DemTerrain, coarse_ridge_terrain: DemTerrain
) -> None:
    precise = region_with(ridge_terrain)
    report = validate(load_plan(PLANS / "altitude_modes.plan"), precise)
    assert report.ok, [v.message for v in report.violations]
    assert report.checked is not None
    assert set(report.checked.positional_items) <= set(report.checked.path_items)
    assert 5 in report.checked.path_items  # the spline waypoint is on the checked path
    # on approximate terrain the CalcAboveTerrain item without AMSL cannot be resolved
    coarse = validate(load_plan(PLANS / "altitude_modes.plan"), region_with(coarse_ridge_terrain))
    unresolved = [v for v in coarse.violations if v.rule_id is RuleId.ALTITUDE_REFERENCE]
    assert [v.item_index for v in unresolved] == [3] and not coarse.ok
    # the terrain frame is an error for PX4
    frame = validate(load_plan(PLANS / "terrain_frame.plan"), precise)
    assert [v.item_index for v in frame.violations if v.rule_id is RuleId.ALTITUDE_REFERENCE] == [1, 2]
    for name in ("old_item_format.plan", "survey.plan", "null_home_altitude.plan"):
        result = validate(load_plan(PLANS / name), precise)
        assert result.ok, (name, [v.message for v in result.violations])


def test_older_and_partial_files_are_read() -> None:
    """Issue 11.8: 4-element params (older QGC, its unit-test plans) and a null home altitude (MAVSDK's
    example plan) exited 2."""
    old = load_plan(PLANS / "old_item_format.plan")
    held = old.items[2]
    assert isinstance(held, Waypoint) and (held.hold_s, held.lat, held.lon, held.alt_m) == (
        3,
        50.202,
        17.102,
        50,
    )
    assert load_plan(PLANS / "null_home_altitude.plan").home.alt_amsl_m is None
    assert (
        dump_plan(load_plan(PLANS / "null_home_altitude.plan"))["mission"]["plannedHomePosition"][2] is None
    )


def test_survey_is_passed_through_and_its_items_checked(ridge_terrain: DemTerrain) -> None:
    original = read("survey.plan")
    mission = load_plan(json.dumps(original))
    assert len(mission.items) == 12  # take-off, 8 generated survey items, waypoint, jump, RTL
    jump = mission.items[10]
    assert isinstance(jump, DoJump) and jump.target_item == 5  # doJumpId 6 is the 5th item, inside the survey
    assert dump_plan(mission)["mission"]["items"][1] == original["mission"]["items"][1]
    report = validate(mission, region_with(ridge_terrain))
    assert report.checked is not None and {1, 3, 5, 7} <= set(report.checked.path_items)
    # a survey whose generated items changed is written as simple items, never as a stale survey
    moved = mission.with_items(
        [*mission.items[:1], mission.items[1].model_copy(update={"alt_m": 70}), *mission.items[2:]]
    )
    assert dump_plan(moved)["mission"]["items"][1]["type"] == "SimpleItem"


def test_unknown_do_jump_target_is_named() -> None:
    doc = read("altitude_modes.plan")
    doc["mission"]["items"][10]["params"][0] = 99
    with pytest.raises(Exception, match=r"items\[10\]\.params\[0\].*doJumpId"):
        load_plan(json.dumps(doc))


def test_version1_mission_file_is_read(ridge_terrain: DemTerrain) -> None:
    """QGC's MissionController::_loadJsonMissionFileV1: still read by QGC, so read here too; written back
    as a version 2 plan (what QGC itself saves)."""
    mission = load_plan(PLANS / "version1.mission")
    assert mission.home.alt_amsl_m == 300 and len(mission.items) == 4
    jump = mission.items[2]
    assert isinstance(jump, DoJump) and jump.target_item == 1
    assert validate(mission, region_with(ridge_terrain)).ok
    written = dump_plan(mission)
    assert written["mission"]["version"] == 2 and written["mission"]["items"][2]["params"][0] == 2
    doc = read("version1.mission")
    doc["complexItems"] = [{"id": 2, "type": "complexItem"}]
    with pytest.raises(Exception, match=r"\$\.complexItems: version 1 survey items"):
        load_plan(json.dumps(doc))
