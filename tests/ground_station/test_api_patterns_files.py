"""The planner's area patterns (survey polygon, corridor line) and KML/GeoJSON files through the API."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import LineString, Point, Polygon

from tests.ground_station.test_api_support import VALID_SPOT, Station, running_station, simple_mission

pytestmark = pytest.mark.timeout(120)

LON, LAT = VALID_SPOT
M_LON = 111_320 * math.cos(math.radians(LAT))
M_LAT = 110_540


def at(east_m: float, north_m: float) -> dict[str, float]:
    return {"lon": LON + east_m / M_LON, "lat": LAT + north_m / M_LAT}


def metres(p: dict[str, Any]) -> tuple[float, float]:
    return (p["lon"] - LON) * M_LON, (p["lat"] - LAT) * M_LAT


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("patterns")) as running:
        yield running


def field_of(response: Any) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]]


def test_survey_covers_the_polygon_with_lines_the_spacing_apart(station: Station) -> None:
    # 400 m east-west by 200 m north-south: fewest turns means lines running east-west, 4 of them at 50 m
    polygon = [at(0, 0), at(400, 0), at(400, 200), at(0, 200)]
    response = station.client.post(
        "/api/patterns/survey",
        headers=station.headers("pilot"),
        json={"polygon": polygon, "spacing_m": 50, "alt_m": 60, "frame": "AGL"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"]
    assert items[0]["kind"] == "camera_trigger_distance" and items[0]["distance_m"] > 0
    assert items[-1] == {**items[-1], "kind": "camera_trigger_distance", "distance_m": 0.0}
    waypoints = [i for i in items if i["kind"] == "waypoint"]
    assert body["waypoints"] == len(waypoints) == 8 and body["lines"] == 4
    assert all(w["alt_m"] == 60 and w["alt_frame"] == "AGL" for w in waypoints)
    area = Polygon([metres(p) for p in polygon])
    points = [metres(w) for w in waypoints]
    assert all(area.buffer(1.0).contains(Point(p)) for p in points)
    norths = sorted({round(p[1]) for p in points})  # half a spacing in from the edges, then 50 m apart
    assert norths == pytest.approx([25, 75, 125, 175], abs=1.5)
    # each line is one transect, flown alternately (lawn-mower): consecutive pairs share a northing
    for a, b in zip(points[::2], points[1::2], strict=True):
        assert abs(a[1] - b[1]) < 1.0 and abs(a[0] - b[0]) > 350
    assert body["length_m"] > 4 * 390


def test_survey_items_go_through_the_draft_check(station: Station) -> None:
    polygon = [at(100, 100), at(300, 100), at(300, 250), at(100, 250)]
    survey = station.client.post(
        "/api/patterns/survey",
        headers=station.headers("pilot"),
        json={"polygon": polygon, "spacing_m": 40, "alt_m": 60, "frame": "REL_HOME"},
    ).json()
    draft = simple_mission()
    draft["items"] = [draft["items"][0], *survey["items"], {"kind": "rtl"}]
    checked = station.client.post("/api/missions/check", headers=station.headers("pilot"), json=draft)
    assert checked.status_code == 200, checked.text
    path_items = checked.json()["checked"]["path_items"]
    waypoint_indices = [k for k, i in enumerate(draft["items"]) if i["kind"] == "waypoint"]
    assert set(waypoint_indices) <= set(path_items)


def test_corridor_passes_run_either_side_of_the_line(station: Station) -> None:
    line = [at(0, 0), at(300, 0), at(500, 150)]
    response = station.client.post(
        "/api/patterns/corridor",
        headers=station.headers("pilot"),
        json={"line": line, "width_m": 100, "spacing_m": 50, "alt_m": 40},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lines"] == 2
    centre = LineString([metres(p) for p in line])
    points = [metres(i) for i in body["items"]]
    assert all(i["kind"] == "waypoint" for i in body["items"])
    for p in points:  # passes at ±25 m (the outer edge of a joint may lie further out)
        assert 24.0 <= centre.distance(Point(p)) <= 26.0 or centre.project(Point(p)) > 290
    # the second pass is flown back: it starts near where the first ended
    first_end, second_start = points[len(points) // 2 - 1], points[len(points) // 2]
    assert math.dist(first_end, second_start) < 60


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "survey",
            {"polygon": [at(0, 0), at(100, 100), at(100, 0), at(0, 100)], "spacing_m": 20, "alt_m": 50},
            "body.polygon",
        ),  # a bow-tie
        ("survey", {"polygon": [at(0, 0), at(0, 0), at(0, 0)], "spacing_m": 20, "alt_m": 50}, "body.polygon"),
        (
            "survey",
            {"polygon": [at(0, 0), at(20_000, 0), at(20_000, 20_000)], "spacing_m": 5, "alt_m": 50},
            "body.spacing_m",
        ),  # 4000 lines
        (
            "survey",
            {"polygon": [{"lon": 17.1, "lat": 95}, at(0, 0), at(1, 1)], "spacing_m": 20, "alt_m": 50},
            "body.polygon.0.lat",
        ),
        ("survey", {"polygon": [at(0, 0), at(100, 0), at(0, 100)], "spacing_m": 20}, "body.alt_m"),
        ("corridor", {"line": [at(0, 0)], "width_m": 50, "spacing_m": 20, "alt_m": 50}, "body.line"),
        (
            "corridor",
            {"line": [at(0, 0), at(0, 0)], "width_m": 50, "spacing_m": 20, "alt_m": 50},
            "body.line",
        ),
        (
            "corridor",
            {"line": [at(0, 0), at(100, 0)], "width_m": 5000, "spacing_m": 5, "alt_m": 50},
            "body.spacing_m",
        ),  # 1000 passes
    ],
)
def test_bad_pattern_requests_are_422_naming_the_field(
    station: Station, path: str, body: dict[str, Any], field: str
) -> None:
    response = station.client.post(f"/api/patterns/{path}", headers=station.headers("pilot"), json=body)
    assert response.status_code == 422, response.text
    assert field in field_of(response), response.json()


def test_geojson_export_imports_back_exactly_and_kml_keeps_the_route(station: Station) -> None:
    pilot = station.headers("pilot")
    created = station.client.post("/api/missions", headers=pilot, json=simple_mission("files"))
    mission_id = created.json()["mission_id"]
    original = created.json()["mission"]

    geojson = station.client.get(f"/api/missions/{mission_id}/geojson", headers=pilot)
    assert geojson.status_code == 200 and geojson.headers["content-type"] == "application/geo+json"
    back = station.client.post("/api/missions/geojson", headers=pilot, content=geojson.content)
    assert back.status_code == 201, back.text
    assert back.json()["mission"] == original
    assert back.json()["mission_id"] != mission_id

    kml = station.client.get(f"/api/missions/{mission_id}/kml", headers=pilot)
    assert kml.status_code == 200 and kml.headers["x-borderwatch-lossy"] == "true"
    assert kml.content.startswith(b"<?xml") or b"<kml" in kml.content[:200]
    back = station.client.post("/api/missions/kml", headers=pilot, content=kml.content)
    assert back.status_code == 201, back.text
    read = back.json()["mission"]
    kinds = [i["kind"] for i in read["items"]]
    assert kinds == [i["kind"] for i in original["items"]]
    for a, b in zip(read["items"], original["items"], strict=True):
        if "lon" in b:
            assert a["lon"] == pytest.approx(b["lon"], abs=1e-7) and a["lat"] == pytest.approx(
                b["lat"], abs=1e-7
            )


def test_bad_files_are_refused_with_where_and_why(station: Station) -> None:
    pilot = station.headers("pilot")
    bad_kml = station.client.post("/api/missions/kml", headers=pilot, content=b"<kml><Placemark>")
    assert bad_kml.status_code == 422
    assert bad_kml.json()["detail"]["problems"][0]["location"].startswith("line 1")
    bad_json = station.client.post(
        "/api/missions/geojson", headers=pilot, content=b'{"type": "FeatureCollection"}'
    )
    assert bad_json.status_code == 422
    assert bad_json.json()["detail"]["problems"], bad_json.json()
    entity = b'<?xml version="1.0"?><!DOCTYPE k [<!ENTITY a "x">]><kml>&a;</kml>'
    assert station.client.post("/api/missions/kml", headers=pilot, content=entity).status_code == 422
