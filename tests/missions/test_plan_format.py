"""QGroundControl .plan: round trips, files as QGC writes them, and hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from geodata.errors import FileTooLargeError, InputError
from missions.formats.qgc_plan import dump_plan, load_plan
from missions.model import (
    AltFrame,
    CameraStop,
    CameraTriggerDistance,
    CameraTriggerTime,
    ChangeSpeed,
    FenceCircle,
    FencePolygon,
    Geofence,
    GimbalPitch,
    GroundPoint,
    HomePosition,
    Land,
    Loiter,
    Mission,
    OperationCategory,
    Orbit,
    OtherCommand,
    RallyPoint,
    RegionOfInterest,
    ReturnToLaunch,
    Takeoff,
    VehicleProfile,
    Waypoint,
)

PLANS = Path(__file__).parent / "plans"


def every_kind_mission() -> Mission:
    """One of every item type, every altitude frame, fence, rally points and every borderwatch field."""
    home = HomePosition(lon=17.2050, lat=50.2290, alt_amsl_m=432.5)
    return Mission(
        name="Jeseník search, sector B",
        items=(
            Takeoff(lon=17.2050, lat=50.2290, alt_m=40, alt_frame=AltFrame.REL_HOME, pitch_deg=15),
            Waypoint(lon=17.2061, lat=50.2301, alt_m=80, alt_frame=AltFrame.AGL, acceptance_radius_m=3),
            Waypoint(
                lon=17.2073,
                lat=50.2312,
                alt_m=512.25,
                alt_frame=AltFrame.AMSL,
                agl_intent_m=80,
                hold_s=4.5,
                yaw_deg=270,
            ),
            CameraTriggerDistance(distance_m=18.5),
            CameraTriggerTime(interval_s=2.0, count=25),
            CameraStop(),
            GimbalPitch(pitch_deg=-60, yaw_deg=10),
            RegionOfInterest(lon=17.2080, lat=50.2300, alt_m=430, alt_frame=AltFrame.AMSL),
            ChangeSpeed(speed_m_s=7.5),
            Loiter(lon=17.2085, lat=50.2320, alt_m=70, duration_s=45, radius_m=35, clockwise=False),
            Orbit(lon=17.2090, lat=50.2330, alt_m=90, alt_frame=AltFrame.AGL, turns=2.5, radius_m=60),
            OtherCommand(command=183, frame=2, params=(9.0, 1500.0, 0.0, 0.0, 0.0, 0.0, None)),
            Land(lon=17.2052, lat=50.2291),
        ),
        vehicle=VehicleProfile(
            name="DJI M30T (HZS)", cruise_speed_m_s=12, endurance_s=None, battery_capacity_wh=270
        ),
        home=home,
        pilot=GroundPoint(lon=17.2049, lat=50.2288),
        planned_start=datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
        category=OperationCategory.SPECIFIC,
        approved_ceiling_agl_m=150,
        zone_authorisations=("BWX-CZ-CHKO-JESENIKY", "BWX-CZ-LKMI-AD@abc"),
        cross_border_authorisation="INC-2026-0042",
        expected_wind_m_s=6.5,
        geofence=Geofence(
            polygons=(
                FencePolygon(
                    vertices=((17.20, 50.22), (17.22, 50.22), (17.22, 50.24), (17.20, 50.24)), inclusion=True
                ),
                FencePolygon(vertices=((17.21, 50.23), (17.212, 50.23), (17.211, 50.232)), inclusion=False),
            ),
            circles=(FenceCircle(lon=17.215, lat=50.235, radius_m=80.5, inclusion=False),),
            not_represented=("BWX-FAR-ZONE",),
        ),
        rally_points=(
            RallyPoint(lon=17.2040, lat=50.2280, alt_m=30),
            RallyPoint(lon=17.2100, lat=50.2350, alt_m=480, alt_frame=AltFrame.AMSL),
        ),
    )


def test_plan_round_trip_is_the_same_mission() -> None:
    mission = every_kind_mission()
    text = json.dumps(dump_plan(mission))
    assert load_plan(text).without_qgc() == mission
    assert load_plan(text.encode()).without_qgc() == mission


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    mission = every_kind_mission()
    path = tmp_path / "sector b.plan"
    path.write_text(json.dumps(dump_plan(mission), indent=4))
    assert load_plan(path).without_qgc() == mission
    assert load_plan(str(path)).without_qgc() == mission


def test_export_uses_qgc_conventions() -> None:
    doc = dump_plan(every_kind_mission())
    assert doc["fileType"] == "Plan" and doc["mission"]["plannedHomePosition"] == [50.2290, 17.2050, 432.5]
    items = doc["mission"]["items"]
    assert [i["doJumpId"] for i in items] == list(range(1, len(items) + 1))
    takeoff, agl, derived = items[0], items[1], items[2]
    assert (takeoff["command"], takeoff["frame"], takeoff["AltitudeMode"]) == (22, 3, 1)
    # borderwatch's AGL intent is QGC's CalcAboveTerrain (mode 3, frame 0, param7 null until resolved), not
    # the terrain frame (mode 4, frame 10), which PX4 does not fly
    assert (agl["frame"], agl["AltitudeMode"], agl["params"][6]) == (0, 3, None)
    assert (derived["frame"], derived["AltitudeMode"], derived["Altitude"]) == (0, 3, 80)
    assert derived["params"][3] == 270 and derived["params"][4:] == [50.2312, 17.2073, 512.25]
    assert doc["geoFence"]["circles"][0]["circle"]["center"] == [50.235, 17.215]
    assert doc["rallyPoints"]["points"][0] == [50.2280, 17.2040, 30]
    assert doc["borderwatch"]["cross_border_authorisation"] == "INC-2026-0042"


def test_jesenik_waypoint_plan_as_qgc_writes_it() -> None:
    mission = load_plan(PLANS / "jesenik_waypoints.plan")
    kinds = [i.kind for i in mission.items]
    assert kinds == [
        "takeoff",
        "waypoint",
        "change_speed",
        "other",
        "waypoint",
        "roi",
        "loiter",
        "rtl",
    ]
    held = mission.items[4]
    assert isinstance(held, Waypoint) and (held.hold_s, held.acceptance_radius_m, held.yaw_deg) == (5, 2, 90)
    gimbal = mission.items[3]
    # DO_MOUNT_CONTROL as old QGC writes it: kept as the command itself (payload-only), so it is written
    # back unchanged instead of being rewritten as DO_GIMBAL_MANAGER_PITCHYAW
    assert isinstance(gimbal, OtherCommand) and gimbal.command == 205 and gimbal.params[0] == -45
    loiter = mission.items[6]
    assert isinstance(loiter, Loiter) and (loiter.duration_s, loiter.radius_m, loiter.clockwise) == (
        30,
        40,
        True,
    )
    assert mission.home == HomePosition(lon=17.1884, lat=50.2421, alt_amsl_m=432.5)
    assert mission.vehicle.cruise_speed_m_s == 5  # QGC hoverSpeed for a multicopter


def test_survey_complex_item_fence_and_rally() -> None:
    mission = load_plan(PLANS / "glucholazy_survey.plan")
    waypoints = [i for i in mission.items if isinstance(i, Waypoint)]
    assert len(waypoints) == 14 and all(w.alt_m == 70 and w.alt_frame is AltFrame.REL_HOME for w in waypoints)
    triggers = [i for i in mission.items if isinstance(i, CameraTriggerDistance)]
    assert [t.distance_m for t in triggers] == [18.4, 0.0]
    assert isinstance(mission.items[0], Takeoff) and isinstance(mission.items[-1], Land)
    inclusion, exclusion = mission.geofence.polygons
    assert inclusion.inclusion and not exclusion.inclusion and len(inclusion.vertices) == 4
    assert inclusion.vertices[0] == (17.3570, 50.3010)  # lat/lon swapped into lon/lat
    [circle] = mission.geofence.circles
    assert (circle.lon, circle.lat, circle.radius_m, circle.inclusion) == (17.376, 50.2975, 120.5, False)
    assert [(r.lon, r.lat, r.alt_m) for r in mission.rally_points] == [
        (17.359, 50.292, 30),
        (17.3712, 50.2998, 45),
    ]
    again = load_plan(json.dumps(dump_plan(mission)))
    assert again == mission


def test_terrain_modes_corridor_and_unknown_commands() -> None:
    mission = load_plan(PLANS / "nysa_terrain_corridor.plan")
    calc, terrain_frame = mission.items[1], mission.items[2]
    assert isinstance(calc, Waypoint) and calc.alt_frame is AltFrame.AMSL and calc.agl_intent_m == 60
    assert calc.alt_m == 252.0
    assert isinstance(terrain_frame, Waypoint) and terrain_frame.alt_frame is AltFrame.AGL
    servo = next(i for i in mission.items if isinstance(i, OtherCommand))
    assert servo.command == 183 and servo.params[:2] == (9, 1500)
    assert isinstance(mission.items[-1], ReturnToLaunch)
    assert load_plan(json.dumps(dump_plan(mission))) == mission


# ---- hostile input -------------------------------------------------------------------------------


def minimal_plan() -> dict[str, Any]:
    return dump_plan(
        Mission(
            items=(
                Takeoff(lon=17.2, lat=50.2, alt_m=30),
                Waypoint(lon=17.21, lat=50.2, alt_m=50),
                ReturnToLaunch(),
            ),
            home=HomePosition(lon=17.2, lat=50.2),
        )
    )


def problems_of(source: str | bytes, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_plan(source, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_wrong_types_and_missing_keys_name_the_json_path() -> None:
    doc = minimal_plan()
    doc["mission"]["items"][1]["params"][4] = "fifty"
    del doc["mission"]["items"][0]["command"]
    doc["mission"]["items"][2]["frame"] = True
    found = problems_of(json.dumps(doc))
    assert any(p.startswith("$.mission.items[1].params[4]: expected a number, got string") for p in found)
    assert any(p.startswith("$.mission.items[0].command") for p in found)
    assert any(p.startswith("$.mission.items[2].frame") for p in found)


def test_missing_mission_and_wrong_file_type() -> None:
    assert problems_of('{"fileType": "Plan"}') == ["$.mission: expected an object, got null"]
    found = problems_of(
        '{"fileType": "Banana", "mission": {"items": [], "plannedHomePosition": [50, 17, 0]}}'
    )
    assert found[0].startswith("$.fileType")
    assert problems_of("[1, 2]") == ["$: expected an object, got array"]


def test_out_of_range_coordinates() -> None:
    doc = minimal_plan()
    doc["mission"]["items"][1]["params"][4] = 123.0  # latitude
    doc["mission"]["plannedHomePosition"] = [50.2, 217.2, 0]
    found = problems_of(json.dumps(doc))
    assert any(p.startswith("$.mission.items[1]: command 16: lat") for p in found)
    assert any(p.startswith("$.mission.plannedHomePosition[1]: 217.2 is out of range") for p in found)


def test_nan_and_infinity_are_refused() -> None:
    text = json.dumps(minimal_plan()).replace(
        '"params": [0.0, 0.0, 0.0, null, 50.2, 17.21, 50.0]', '"params": [0, 0, 0, null, NaN, 17.21, 50]'
    )
    assert "NaN" in text
    [problem] = problems_of(text)
    assert "NaN is not valid JSON" in problem
    assert "Infinity" in problems_of('{"a": Infinity}')[0]


def test_a_million_items_are_refused_quickly() -> None:
    items = ",".join(["{}"] * 1_000_000)
    text = '{"fileType": "Plan", "mission": {"items": [' + items + '], "plannedHomePosition": [50, 17, 0]}}'
    found = problems_of(text)
    assert found == ["$.mission.items: 1000000 entries exceed the limit of 10000"]


def test_self_intersecting_fence_polygon() -> None:
    doc = minimal_plan()
    bowtie = [[50.20, 17.20], [50.21, 17.21], [50.20, 17.21], [50.21, 17.20]]
    doc["geoFence"]["polygons"] = [{"inclusion": True, "polygon": bowtie, "version": 1}]
    [problem] = problems_of(json.dumps(doc))
    assert problem.startswith("$.geoFence.polygons[0].polygon: invalid polygon: Self-intersection")


def test_self_intersecting_survey_polygon() -> None:
    doc = json.loads((PLANS / "glucholazy_survey.plan").read_text())
    doc["mission"]["items"][1]["polygon"] = [[50.20, 17.20], [50.21, 17.21], [50.20, 17.21], [50.21, 17.20]]
    [problem] = problems_of(json.dumps(doc))
    assert problem.startswith("$.mission.items[1].polygon: invalid polygon")


def test_broken_complex_item_and_unknown_item_type() -> None:
    doc = json.loads((PLANS / "glucholazy_survey.plan").read_text())
    doc["mission"]["items"][1]["TransectStyleComplexItem"]["Items"][3]["params"] = [0, 0]
    doc["mission"]["items"].append({"type": "Banana"})
    found = problems_of(json.dumps(doc))
    where = "$.mission.items[1].TransectStyleComplexItem.Items[3].params"
    assert f"{where}: expected 7 params, or 4 with a coordinate (older QGC), got 2" in found
    assert any(p.startswith("$.mission.items[3].type") for p in found)


def test_bad_borderwatch_block_names_its_field() -> None:
    doc = minimal_plan()
    doc["borderwatch"] = {"category": "CLOSED", "planned_start": "2026-07-01T08:00:00"}
    found = problems_of(json.dumps(doc))
    assert any(p.startswith("$.borderwatch.category") for p in found)
    assert any(p.startswith("$.borderwatch.planned_start") for p in found)  # naive time refused


def test_over_size_input_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.plan"
    path.write_text(json.dumps(minimal_plan()))
    with pytest.raises(FileTooLargeError):
        load_plan(path, max_bytes=100)
    with pytest.raises(FileTooLargeError):
        load_plan(b"{" + b" " * 200 + b"}", max_bytes=100)


def test_truncated_deep_and_non_utf8_input() -> None:
    text = json.dumps(minimal_plan())
    assert problems_of(text[: len(text) // 2])[0].startswith("line 1 column")
    assert problems_of("[" * 100_000 + "]" * 100_000) == ["$: nesting too deep"]
    assert problems_of(b'{"fileType": "\xff"}') == ["byte 14: not UTF-8 text"]


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    assert problems_of(str(tmp_path / "absent.plan"))[0].startswith("file: cannot read")
