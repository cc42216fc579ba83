"""MAVLink MISSION_ITEM_INT lists, fence/rally items, GeoJSON, KML and .waypoints round trips."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from pymavlink import mavutil

from geodata.errors import InputError
from geodata.terrain import DemTerrain, FlatTerrain
from missions.fence import geofence_to_items, items_to_geofence, rally_to_items
from missions.formats.codec import CodecError
from missions.formats.convert import MissionFormat, format_of, read_mission, write_mission
from missions.formats.geojson import dump_geojson, load_area, load_geojson
from missions.formats.kml import dump_kml, load_kml
from missions.formats.mavlink_items import (
    item_differences,
    items_equal,
    items_to_mission,
    mission_to_items,
    unresolved_altitudes,
)
from missions.formats.waypoints import dump_waypoints, load_waypoints
from missions.model import AltFrame, Land, Mission, Takeoff, Waypoint

from .test_plan_format import every_kind_mission

mav = mavutil.mavlink


def test_items_use_mavlink_frames_and_commands(ridge_terrain: DemTerrain) -> None:
    mission = every_kind_mission()
    items = mission_to_items(mission, ridge_terrain)
    assert [i.seq for i in items] == list(range(len(mission.items)))
    takeoff, agl, amsl = items[0], items[1], items[2]
    assert (takeoff.command, takeoff.frame) == (mav.MAV_CMD_NAV_TAKEOFF, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT)
    # AGL resolved over the analytic terrain (flat 300 m there) to AMSL in MAV_FRAME_GLOBAL
    assert (agl.frame, agl.z) == (mav.MAV_FRAME_GLOBAL, pytest.approx(380.0, abs=0.01))
    assert (amsl.x, amsl.y, amsl.z) == (502312000, 172073000, 512.25)
    assert items[3].command == mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST and items[3].frame == mav.MAV_FRAME_MISSION
    orbit = items[10]
    assert orbit.command == mav.MAV_CMD_NAV_LOITER_TURNS and orbit.param1 == 2.5 and orbit.param3 == 60
    assert all(i.mission_type == mav.MAV_MISSION_TYPE_MISSION for i in items)
    assert math.isnan(takeoff.param4)  # yaw unset travels as NaN


def test_items_without_terrain_keep_the_terrain_frame() -> None:
    items = mission_to_items(every_kind_mission())
    assert items[1].frame == mav.MAV_FRAME_GLOBAL_TERRAIN_ALT and items[1].z == 80


def test_agl_over_unknown_terrain_is_refused(ridge_terrain: DemTerrain) -> None:
    far = Mission(
        items=(Waypoint(lon=18.5, lat=50.2, alt_m=80, alt_frame=AltFrame.AGL),),
        home=every_kind_mission().home,
    )
    with pytest.raises(CodecError, match=r"terrain unknown at lon 18\.5"):
        mission_to_items(far, ridge_terrain)


def test_downloaded_list_matches_approved_list() -> None:
    mission = every_kind_mission()
    approved = mission_to_items(mission)
    downloaded = mission_to_items(items_to_mission(approved, home=mission.home))
    assert items_equal(approved, downloaded)
    tampered = list(downloaded)
    tampered[2] = replace(tampered[2], z=tampered[2].z + 5)
    assert not items_equal(approved, tampered)
    assert item_differences(approved, tampered) == ["item 2: z approved 512.25, vehicle has 517.25"]
    assert item_differences(approved, downloaded[:-1]) == [
        f"{len(approved)} items approved, {len(approved) - 1} on the vehicle"
    ]


def test_items_back_to_mission_keep_items_within_wire_precision() -> None:
    mission = every_kind_mission()
    back = items_to_mission(mission_to_items(mission), home=mission.home)
    for original, returned in zip(mission.items, back.items, strict=True):
        assert original.kind == returned.kind
        if isinstance(original, Waypoint) and isinstance(returned, Waypoint):
            assert returned.lon == pytest.approx(original.lon, abs=1e-7)
            assert returned.alt_m == pytest.approx(original.alt_m, abs=1e-3)
            assert returned.alt_frame is original.alt_frame


def test_fence_and_rally_items_round_trip() -> None:
    fence = every_kind_mission().geofence
    items = geofence_to_items(fence)
    assert [i.command for i in items[:4]] == [mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION] * 4
    assert items[0].param1 == 4 and items[4].param1 == 3
    assert items[-1].command == mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION and items[-1].param1 == 80.5
    assert all(i.mission_type == mav.MAV_MISSION_TYPE_FENCE for i in items)
    back = items_to_geofence(items)
    assert back.polygons == fence.polygons and back.circles == fence.circles
    rally = rally_to_items(every_kind_mission().rally_points)
    assert [r.frame for r in rally] == [mav.MAV_FRAME_GLOBAL_RELATIVE_ALT, mav.MAV_FRAME_GLOBAL]
    assert all(
        r.command == mav.MAV_CMD_NAV_RALLY_POINT and r.mission_type == mav.MAV_MISSION_TYPE_RALLY
        for r in rally
    )
    with pytest.raises(ValueError, match="incomplete"):
        items_to_geofence(items[:2])


def test_geojson_round_trip_is_exact() -> None:
    mission = every_kind_mission()
    doc = dump_geojson(mission)
    roles = [f["properties"]["role"] for f in doc["features"]]
    assert roles.count("fence") == 2 and roles.count("rally") == 2 and roles[0] == "path"
    assert load_geojson(json.dumps(doc)) == mission


def test_geojson_route_from_elsewhere_is_read_as_waypoints() -> None:
    route = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[17.2, 50.2], [17.21, 50.2, 450.0]]},
            }
        ],
    }
    mission = load_geojson(json.dumps(route))
    assert isinstance(mission.items[0], Takeoff) and mission.items[1].kind == "waypoint"
    last = mission.items[1]
    assert isinstance(last, Waypoint) and last.alt_frame is AltFrame.AMSL and last.alt_m == 450.0


def test_geojson_hostile_input() -> None:
    with pytest.raises(InputError) as caught:
        load_geojson(
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            '{"type": "LineString", "coordinates": [[17.2, 95.0], [17.2, 50.0]]}}]}'
        )
    assert str(caught.value.problems[0]).startswith(
        "$.features[0].geometry.coordinates[0][1]: 95 is out of range"
    )
    with pytest.raises(InputError) as caught:
        load_geojson('{"borderwatch_mission": {"items": "none"}}')
    assert str(caught.value.problems[0]).startswith("$.borderwatch_mission.items")


def test_survey_area_reader(tmp_path: Path) -> None:
    ring = [[17.30, 50.29], [17.31, 50.29], [17.31, 50.30], [17.30, 50.30], [17.30, 50.29]]
    good = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    assert load_area(json.dumps(good)).area > 0
    bowtie = [[17.30, 50.29], [17.31, 50.30], [17.31, 50.29], [17.30, 50.30], [17.30, 50.29]]
    bad = {"type": "Polygon", "coordinates": [bowtie]}
    with pytest.raises(InputError) as caught:
        load_area(json.dumps(bad))
    assert str(caught.value.problems[0]).startswith("$.coordinates: invalid polygon: Self-intersection")


def test_kml_is_lossy_but_keeps_route_kinds_and_frames() -> None:
    mission = every_kind_mission()
    back = load_kml(dump_kml(mission))
    flying = [
        i for i in mission.items if isinstance(i, Takeoff | Waypoint | Land) or i.kind in ("loiter", "orbit")
    ]
    assert len(back.items) == len(flying)
    assert isinstance(back.items[0], Takeoff) and isinstance(back.items[-1], Land)
    agl = back.items[1]
    assert isinstance(agl, Waypoint) and (agl.alt_m, agl.alt_frame) == (80, AltFrame.AGL)
    assert back.vehicle != mission.vehicle  # declared lossy: the profile does not travel


def test_kml_hostile_input() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><kml>&lol;</kml>'
    with pytest.raises(InputError, match="DOCTYPE"):
        load_kml(bomb)
    with pytest.raises(InputError, match="line 1"):
        load_kml(b"<kml><Document>")
    bad = (
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>x</name>'
        b"<Point><coordinates>17.2,nan,0</coordinates></Point></Placemark></Document></kml>"
    )
    with pytest.raises(InputError, match=r"Placemark\[0\]"):
        load_kml(bad)


def test_waypoints_file_round_trip_is_lossy_but_keeps_items() -> None:
    mission = every_kind_mission()
    text = dump_waypoints(mission)
    assert text.startswith("QGC WPL 110\n0\t1\t0\t16\t")
    back = load_waypoints(text.encode())
    assert back.items == (*mission.items[:2], back.items[2], *mission.items[3:])
    assert back.items[2].kind == "waypoint" and back.home.alt_amsl_m == 432.5
    assert back.vehicle != mission.vehicle and back.zone_authorisations == ()


def test_waypoints_hostile_input() -> None:
    with pytest.raises(InputError, match="header"):
        load_waypoints(b"hello\n")
    with pytest.raises(InputError) as caught:
        load_waypoints(
            b"QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t50.2\t17.2\t400\t1\n1\t0\t3\t16\t0\t0\t0\tx\t50\t17\t30\n"
        )
    assert str(caught.value.problems[0]) == "line 3: expected 12 columns, got 11"


def test_convert_between_every_format(tmp_path: Path, ridge_terrain: DemTerrain) -> None:
    mission = every_kind_mission()
    for fmt in MissionFormat:
        path = tmp_path / f"mission{fmt.value}"
        assert write_mission(mission, path) is fmt
        back = read_mission(path)
        assert len(back.items) > 3
        if not fmt.lossy:
            assert back.without_qgc() == mission
    with pytest.raises(InputError, match="unknown extension"):
        format_of(tmp_path / "mission.docx")
    del ridge_terrain


def test_flat_stand_in_terrain_never_resolves_agl() -> None:
    """Issue 11.3: flat ground without a DEM (no accuracy) used to turn 80 m AGL into 480 m AMSL and upload
    it; an altitude above terrain is resolved only on precise terrain, else it cannot be uploaded."""
    with pytest.raises(CodecError, match="terrain unknown"):
        mission_to_items(every_kind_mission(), FlatTerrain(400.0))
    assert unresolved_altitudes(every_kind_mission(), FlatTerrain(400.0))
