"""Border: country at a point, crossings of a path, distance to the line; real CZ-PL data, hostile input."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from geodata.border import Border
from geodata.crs import distance_m, path_length_m
from geodata.errors import FileTooLargeError, InputError

NYSA = (17.33, 50.47)
JESENIK = (17.205, 50.229)
GLUCHOLAZY = (17.378, 50.313)
MIKULOVICE = (17.30, 50.30)  # Czech village just south of Glucholazy


@pytest.fixture(scope="module")
def region(shared_data: Path) -> Border:
    return Border.from_geojson(shared_data / "border" / "region_cz_pl_polygons.geojson")


def test_country_at_real_towns(region: Border) -> None:
    lon = [NYSA[0], JESENIK[0], GLUCHOLAZY[0], MIKULOVICE[0], 15.0]
    lat = [NYSA[1], JESENIK[1], GLUCHOLAZY[1], MIKULOVICE[1], 50.0]
    assert region.country_at(lon, lat).tolist() == ["POL", "CZE", "POL", "CZE", ""]
    assert region.iso3_codes == ["CZE", "POL"]
    assert region.names["POL"] == "Poland"
    grid = region.country_at(np.full((3, 4), 17.33), np.full((3, 4), 50.47))
    assert grid.shape == (3, 4) and (grid == "POL").all()


def test_crossing_points_lie_on_the_border(region: Border, shared_data: Path) -> None:
    path_lon = [JESENIK[0], NYSA[0], JESENIK[0]]
    path_lat = [JESENIK[1], NYSA[1], JESENIK[1]]
    crossings = region.crossings(path_lon, path_lat)
    assert [(c.leg_index, c.from_country, c.to_country) for c in crossings] == [
        (0, "CZE", "POL"),
        (1, "POL", "CZE"),
    ]
    line_doc = json.loads((shared_data / "border" / "region_cz_pl_border_line.geojson").read_text())
    border_line = shapely.geometry.shape(line_doc["features"][0]["geometry"])
    for crossing in crossings:
        assert border_line.distance(Point(crossing.lon, crossing.lat)) < 1e-7
        assert float(region.distance_to_border_m(crossing.lon, crossing.lat)) < 0.01
        # On the straight leg between the two towns.
        leg = LineString([JESENIK, NYSA])
        assert leg.distance(Point(crossing.lon, crossing.lat)) < 1e-9


def test_path_staying_in_one_country_and_leaving_the_data(region: Border) -> None:
    assert region.crossings([17.1, 17.2], [50.2, 50.25]) == []
    assert region.crossings([17.1], [50.2]) == []
    out = region.crossings([17.25, 16.5], [50.1, 50.1])
    assert [(c.from_country, c.to_country) for c in out] == [("CZE", "")]
    assert out[0].lon == pytest.approx(16.8)
    with pytest.raises(InputError, match=r"path\[1\]"):
        region.crossings([17.0, float("nan")], [50.0, 50.0])


def test_distance_to_border_against_densified_line(region: Border, shared_data: Path) -> None:
    line_doc = json.loads((shared_data / "border" / "region_cz_pl_border_line.geojson").read_text())
    dense = shapely.segmentize(shapely.geometry.shape(line_doc["features"][0]["geometry"]), 0.0002)
    vertices = shapely.get_coordinates(dense)
    rng = np.random.default_rng(11)
    lon = rng.uniform(16.9, 17.7, 20)
    lat = rng.uniform(50.1, 50.6, 20)
    got = region.distance_to_border_m(lon, lat)
    for i in range(lon.size):
        brute = float(distance_m(lon[i], lat[i], vertices[:, 0], vertices[:, 1]).min())
        # Densified to ~15 m: brute force over-estimates by at most a few metres; UTM scale 1e-4.
        assert got[i] == pytest.approx(brute, abs=8.0 + 2e-4 * brute)


def test_whole_border_is_the_shared_edge(shared_data: Path) -> None:
    border = Border.from_geojson(shared_data / "border" / "cz_pl_countries.geojson")
    coords = shapely.get_coordinates(border.border_line)
    # README: 776.2 km geodesic from the DE tripoint to the SK tripoint.
    assert path_length_m(coords[:, 0], coords[:, 1]) / 1000 == pytest.approx(776.2, abs=1.0)
    assert border.country_at([14.42, 21.01], [50.09, 52.23]).tolist() == ["CZE", "POL"]  # Prague, Warsaw


def _country(code: Any, ring: list[list[float]]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"iso_a3": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


WEST_RING = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
EAST_RING = [[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.0]]


def test_synthetic_countries_and_explicit_line() -> None:
    doc = {"type": "FeatureCollection", "features": [_country("AAA", WEST_RING), _country("bbb", EAST_RING)]}
    border = Border.from_geojson(doc)
    assert border.iso3_codes == ["AAA", "BBB"]
    assert border.border_line.length == pytest.approx(1.0)
    crossings = border.crossings([0.5, 1.5, 1.5, 0.5], [0.5, 0.5, 0.7, 0.7])
    assert [(c.leg_index, c.lon, c.lat, c.from_country, c.to_country) for c in crossings] == [
        (0, 1.0, 0.5, "AAA", "BBB"),
        (2, 1.0, 0.7, "BBB", "AAA"),
    ]
    # 0.5 deg of longitude at 0.5 N from the line x=1.
    assert float(border.distance_to_border_m(1.5, 0.5)) == pytest.approx(
        float(distance_m(1.0, 0.5, 1.5, 0.5)), rel=1e-3
    )
    explicit = {
        "type": "FeatureCollection",
        "features": [
            _country("AAA", WEST_RING),
            _country("BBB", EAST_RING),
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[1, 0], [1, 0.5]]},
            },
        ],
    }
    assert Border.from_geojson(explicit).border_line.length == pytest.approx(0.5)


def test_crossing_at_a_vertex_and_along_the_line() -> None:
    border = Border.from_geojson(
        {"type": "FeatureCollection", "features": [_country("AAA", WEST_RING), _country("BBB", EAST_RING)]}
    )
    at_vertex = border.crossings([0.5, 1.0, 1.5], [0.5, 0.5, 0.5])
    assert [(c.leg_index, c.lon, c.lat, c.from_country, c.to_country) for c in at_vertex] == [
        (0, 1.0, 0.5, "AAA", "BBB")
    ]
    along = border.crossings([0.5, 1.0, 1.0, 1.5], [0.2, 0.2, 0.8, 0.8])
    assert [(c.leg_index, c.lon, c.lat, c.from_country, c.to_country) for c in along] == [
        (1, 1.0, 0.8, "AAA", "BBB")
    ]
    touch_and_back = border.crossings([0.5, 1.0, 0.5], [0.5, 0.5, 0.6])
    assert touch_and_back == []


@pytest.mark.parametrize(
    ("feature", "where", "message"),
    [
        (
            _country("AAA", [*WEST_RING[:-1], [0.0, 0.5]]),
            r"\$\.features\[0\]\.geometry\.coordinates\[0\]",
            "not closed",
        ),
        (
            _country("AAA", [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]),
            r"\$\.features\[0\]\.geometry\.coordinates",
            "Self-intersection",
        ),
        (_country("AAA", [[0, 0], [200, 0], [1, 1], [0, 0]]), r"coordinates\[0\]\[1\]", "lon/lat position"),
        (_country("AAA", [[0, 0], ["1", 0], [1, 1], [0, 0]]), r"coordinates\[0\]\[1\]", "numbers"),
        (_country("AAA", [[0, 0], [float("nan"), 0], [1, 1], [0, 0]]), r"coordinates\[0\]\[1\]", "finite"),
        (_country(None, WEST_RING), r"\$\.features\[0\]\.properties", "ISO"),
        (
            {
                "type": "Feature",
                "properties": {"iso_a3": "AAA"},
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            },
            r"geometry\.type",
            "Point",
        ),
        ("nonsense", r"\$\.features\[0\]", "not an object"),
    ],
)
def test_hostile_features_are_located(feature: Any, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        Border.from_geojson({"type": "FeatureCollection", "features": [feature]})
    text = str(caught.value)
    assert message in text
    assert caught.value.problems and __import__("re").search(where, caught.value.problems[0].location)


def test_hostile_files(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.geojson"
    truncated.write_text('{"type": "FeatureCollection",\n "features": [{"type": "Fea')
    with pytest.raises(InputError, match="line 2 column"):
        Border.from_geojson(truncated)
    with pytest.raises(InputError, match="FeatureCollection"):
        Border.from_geojson({"type": "Feature"})
    big = tmp_path / "big.geojson"
    big.write_text(json.dumps({"type": "FeatureCollection", "features": [_country("AAA", WEST_RING)]}))
    with pytest.raises(FileTooLargeError):
        Border.from_geojson(big, max_input_bytes=10)
    with pytest.raises(InputError, match="cannot read"):
        Border.from_geojson(tmp_path / "missing.geojson")
    with pytest.raises(InputError, match="no country polygon"):
        Border.from_geojson({"type": "FeatureCollection", "features": []})


def test_hundred_thousand_vertices_in_bounded_time() -> None:
    angles = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    ring = np.column_stack([17 + 0.5 * np.cos(angles), 50 + 0.3 * np.sin(angles)]).tolist()
    ring.append(ring[0])
    started = time.perf_counter()
    border = Border.from_geojson({"type": "FeatureCollection", "features": [_country("CZE", ring)]})
    assert border.country_at(17.0, 50.0).tolist() == "CZE"
    assert len(border.crossings([17.0, 18.0], [50.0, 50.0])) == 1
    assert time.perf_counter() - started < 20.0  # generous: bounded, not a benchmark
