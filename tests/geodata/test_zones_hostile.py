"""Hostile and broken zone input: clear errors with a location, bounded time, good zones kept."""

from __future__ import annotations

import json
import time
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geodata.errors import FileTooLargeError, InputError
from geodata.zones.ed269 import load_ed269
from geodata.zones.ed318 import load_ed318
from geodata.zones.load import ZoneFormat, load_zones
from geodata.zones.openair import load_openair


def zone(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "identifier": "T1",
        "country": "CZE",
        "name": "test",
        "type": "COMMON",
        "restriction": "PROHIBITED",
        "reason": ["OTHER"],
        "applicability": [{"permanent": "YES"}],
        "geometry": [
            {
                "uomDimensions": "M",
                "lowerLimit": 0,
                "lowerVerticalReference": "AGL",
                "upperLimit": 120,
                "upperVerticalReference": "AGL",
                "horizontalProjection": {
                    "type": "Polygon",
                    "coordinates": [[[17.2, 50.2], [17.3, 50.2], [17.3, 50.3], [17.2, 50.3], [17.2, 50.2]]],
                },
            }
        ],
    }
    base.update(overrides)
    return base


def with_geometry(**changes: Any) -> dict[str, Any]:
    z = zone()
    z["geometry"][0].update(changes)
    return z


def doc(*zones: dict[str, Any]) -> dict[str, Any]:
    return {"title": "t", "features": list(zones)}


def single_problem(zones_doc: dict[str, Any]) -> str:
    result = load_ed269(zones_doc)
    assert not result.zones
    assert len(result.rejected) == 1, result.rejected
    return str(result.rejected[0])


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    text = json.dumps(doc(zone()), indent=1)
    path.write_text(text[: len(text) // 2])
    with pytest.raises(InputError) as err:
        load_ed269(path)
    message = str(err.value)
    assert str(path) in message and "line " in message and "column" in message and "truncated" in message


def test_not_json_at_all_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="invalid JSON"):
        load_ed269(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(InputError, match="no 'features' or 'UASZoneList'"):
        load_ed269({"foo": 1})
    with pytest.raises(InputError, match=r"\$\.features: must be an array"):
        load_ed269({"features": {"a": 1}})
    with pytest.raises(InputError, match="nested too deeply"):
        load_ed269(b"[" * 100_000 + b"]" * 100_000)


def test_a_bad_zone_is_rejected_with_its_path_and_good_ones_kept() -> None:
    bad = zone(identifier="BAD", restriction="FORBIDDEN_ISH")
    result = load_ed269(doc(zone(), bad, zone(identifier="T3")))
    assert [z.identifier for z in result.zones] == ["T1", "T3"]
    assert result.rejected[0].location == "$.features[1].restriction"
    assert "unknown restriction 'FORBIDDEN_ISH'" in result.rejected[0].message
    with pytest.raises(InputError, match=r"\$\.features\[1\]\.restriction"):
        load_ed269(doc(zone(), bad), strict=True)


@pytest.mark.parametrize(
    ("changes", "where", "what"),
    [
        ({"lowerVerticalReference": "QNH"}, "geometry[0].lowerLimit", "unknown vertical reference 'QNH'"),
        ({"uomDimensions": "YARD"}, "geometry[0].uomDimensions", "unknown unit 'YARD'"),
        ({"upperLimit": "high"}, "geometry[0].upperLimit", "got string 'high'"),
        ({"upperLimit": True}, "geometry[0].upperLimit", "boolean"),
        ({"upperLimit": float("nan")}, "geometry[0].upperLimit", "not finite"),
        ({"lowerLimit": 500}, "geometry[0]", "lower limit 500 M AGL is above upper limit"),
        (
            {"horizontalProjection": {"type": "Hexagon"}},
            "geometry[0].horizontalProjection.type",
            "unknown projection",
        ),
        ({"horizontalProjection": "here"}, "geometry[0].horizontalProjection", "must be an object"),
        (
            {"horizontalProjection": {"type": "Circle", "center": [17.2, 50.2], "radius": -5}},
            "geometry[0].horizontalProjection.radius",
            "positive",
        ),
    ],
)
def test_wrong_types_and_unknown_enums_are_located(changes: dict[str, Any], where: str, what: str) -> None:
    message = single_problem(doc(with_geometry(**changes)))
    assert f"$.features[0].{where}" in message
    assert what in message


def test_nan_and_non_numbers_in_coordinates() -> None:
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"][0][2] = [float("nan"), 50.3]
    assert "$.features[0].geometry[0].horizontalProjection.coordinates[0][2]" in single_problem(doc(z))
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"][0][1] = ["17.3", 50.2]
    message = single_problem(doc(z))
    assert "coordinates[0][1][0]" in message and "must be a number" in message
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"][0][1] = [17.3]
    assert "must be [lon, lat]" in single_problem(doc(z))
    nan_text = json.dumps(doc(zone())).replace("120", "NaN", 1).encode()
    assert "not finite" in str(load_ed269(nan_text).rejected[0])


def test_swapped_lat_lon_is_detected_not_silently_fixed() -> None:
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"] = [
        [[50.2, 17.2], [50.2, 17.3], [50.3, 17.3], [50.3, 17.2], [50.2, 17.2]]
    ]
    message = single_problem(doc(z))  # in range, but outside CZE and inside it when swapped
    assert "look like [lat, lon]" in message
    z = zone(country="CHE")
    z["geometry"][0]["horizontalProjection"]["coordinates"] = [[[46.5, 100.0], [46.6, 100.0], [46.6, 100.1]]]
    message = single_problem(doc(z))
    assert "out of range" in message and "look like [lat, lon]" in message
    circle = with_geometry(horizontalProjection={"type": "Circle", "center": [50.3, 17.29], "radius": 100})
    assert "look like [lat, lon]" in single_problem(doc(circle))


def test_unclosed_ring_is_closed_with_a_warning() -> None:
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"] = [[[17.2, 50.2], [17.3, 50.2], [17.3, 50.3]]]
    result = load_ed269(doc(z))
    assert len(result.zones) == 1
    assert "not closed" in result.warnings[0].message
    assert result.warnings[0].location == "$.features[0].geometry[0].horizontalProjection.coordinates[0]"


def test_self_intersecting_polygon_is_repaired_with_location_or_rejected() -> None:
    bowtie = [[17.2, 50.2], [17.3, 50.3], [17.3, 50.2], [17.2, 50.3], [17.2, 50.2]]
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"] = [bowtie]
    result = load_ed269(doc(z))
    assert len(result.zones) == 1
    footprint = result.zones[0].volumes[0].footprint
    assert footprint.is_valid and footprint.geom_type == "MultiPolygon"
    assert "Self-intersection[17.25 50.25]" in result.warnings[0].message
    flat = zone()
    flat["geometry"][0]["horizontalProjection"]["coordinates"] = [
        [[17.2, 50.2], [17.3, 50.2], [17.4, 50.2], [17.2, 50.2]]
    ]
    assert "no area" in single_problem(doc(flat))
    two = zone()
    two["geometry"][0]["horizontalProjection"]["coordinates"] = [[[17.2, 50.2], [17.3, 50.2], [17.2, 50.2]]]
    assert "needs 3" in single_problem(doc(two))


def test_hundred_thousand_vertices_in_bounded_time(tmp_path: Path) -> None:
    angles = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    ring = np.column_stack([17.3 + 0.1 * np.cos(angles), 50.3 + 0.06 * np.sin(angles)]).tolist()
    ring.append(ring[0])
    z = zone()
    z["geometry"][0]["horizontalProjection"]["coordinates"] = [ring]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc(z)))
    start = time.perf_counter()
    result = load_ed269(path)
    elapsed = time.perf_counter() - start
    assert len(result.zones) == 1 and result.rejected == []
    assert len(result.zones[0].volumes[0].footprint.exterior.coords) == 100_001
    assert elapsed < 20, f"{elapsed:.1f} s for 1e5 vertices"


def test_files_over_the_size_limit_are_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "zones.json"
    path.write_text(json.dumps(doc(zone())))
    limit = path.stat().st_size - 1
    for loader in (load_ed269, load_ed318):
        with pytest.raises(FileTooLargeError, match="over the input limit"):
            loader(path, max_bytes=limit)
    with pytest.raises(FileTooLargeError):
        load_openair(path, max_bytes=limit)
    with pytest.raises(FileTooLargeError):
        load_zones(path, max_bytes=limit)
    with pytest.raises(FileTooLargeError):
        load_ed269(b"x" * 101, max_bytes=100)
    # a file that is not JSON but huge is refused on its size, not by a parse error
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(2048)
    with pytest.raises(FileTooLargeError):
        load_zones(huge, format=ZoneFormat.ED269, max_bytes=1024)


def test_bad_times_and_days() -> None:
    z = zone(
        applicability=[
            {"permanent": "NO", "schedule": [{"day": ["FUNDAY"], "startTime": "10:00Z", "endTime": "11:00Z"}]}
        ]
    )
    assert "unknown day 'FUNDAY'" in single_problem(doc(z))
    z = zone(applicability=[{"permanent": "NO", "startDateTime": "yesterday"}])
    assert "$.features[0].applicability[0].startDateTime" in single_problem(doc(z))
    z = zone(applicability=[{"permanent": "MAYBE"}])
    assert "permanent must be 'YES' or 'NO'" in single_problem(doc(z))
    z = zone(
        applicability=[
            {"permanent": "NO", "startDateTime": "2024-02-01T00:00Z", "endDateTime": "2024-01-01T00:00Z"}
        ]
    )
    assert "before startDateTime" in single_problem(doc(z))


def test_wrong_zone_shapes() -> None:
    result = load_ed269(doc(zone(), "not a zone", 42, zone(identifier=None), zone(geometry=[])))  # type: ignore[arg-type]
    assert len(result.zones) == 1
    assert [p.location for p in result.rejected] == [
        "$.features[1]",
        "$.features[2]",
        "$.features[3].identifier",
        "$.features[4].geometry",
    ]


def test_ed318_hostile_features() -> None:
    good = {
        "type": "Feature",
        "geometry": {
            "type": "Point",
            "coordinates": [17.3, 50.3],
            "extent": {"subType": "Circle", "radius": 500},
            "layer": {"upper": 120, "upperReference": "AGL", "lower": 0, "lowerReference": "AGL", "uom": "m"},
        },
        "properties": {"identifier": "X", "country": "CZE", "type": "PROHIBITED"},
    }
    no_layer = deepcopy(good)
    del no_layer["geometry"]["layer"]
    no_extent = deepcopy(good)
    del no_extent["geometry"]["extent"]
    result = load_ed318({"type": "FeatureCollection", "features": [good, no_layer, no_extent, []]})
    assert len(result.zones) == 1
    assert [p.location for p in result.rejected] == [
        "$.features[1].geometry.layer",
        "$.features[2].geometry.extent",
        "$.features[3]",
    ]
    with pytest.raises(InputError, match=r"\$\.type"):
        load_ed318({"type": "Feature"})


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, these are not zones\n")
    with pytest.raises(InputError, match="cannot tell the zone format"):
        load_zones(path)
    with pytest.raises(InputError, match="cannot read"):
        load_zones(tmp_path / "missing.json")
