"""OpenAir import on the real Czech/CE files and on broken records."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Point

from geodata.atmosphere import flight_level_to_pressure_altitude_m
from geodata.errors import InputError
from geodata.vertical import FEET_TO_M, VerticalRef
from geodata.zones.geometry import WGS84_GEOD
from geodata.zones.model import Restriction
from geodata.zones.openair import load_openair, parse_coordinate


@pytest.fixture(scope="module")
def cz_all(shared_data: Path) -> Path:
    return shared_data / "airspace" / "cz_sua" / "CZ_all_26-04-01.txt"


@pytest.fixture(scope="module")
def cz_ce(shared_data: Path) -> Path:
    return shared_data / "airspace" / "cz_sua" / "CZ_low_plus_CE_26-04-01.txt"


def test_every_record_with_geometry_imports(cz_all: Path, cz_ce: Path) -> None:
    # The data README counts 270 and 588 records with geometry; style-only AC blocks are skipped.
    all_result = load_openair(cz_all, country="CZE")
    ce_result = load_openair(cz_ce)
    assert (len(all_result.zones), all_result.rejected) == (270, [])
    assert (len(ce_result.zones), ce_result.rejected) == (588, [])
    # repaired self-intersections and the odd "3500fl msl" are reported with their line numbers
    assert all(w.location.startswith("line ") for w in ce_result.warnings)
    assert any("3500fl msl" in w.message for w in ce_result.warnings)
    assert len({z.uid for z in ce_result.zones}) == 588


def test_jesenik_dropzone_is_a_2_nm_circle_from_ground_to_fl95(cz_all: Path) -> None:
    zone = next(z for z in load_openair(cz_all, country="CZE").zones if z.name.startswith("DROPZONE Jesenik"))
    (volume,) = zone.volumes
    assert volume.circle is not None
    assert volume.circle.radius_m == pytest.approx(2 * 1852)
    assert volume.circle.center_lat == pytest.approx(50 + 18 / 60 + 6 / 3600)
    assert volume.circle.center_lon == pytest.approx(17 + 17 / 60 + 51 / 3600)
    assert (volume.lower.value_m, volume.lower.ref, volume.lower.text) == (0.0, VerticalRef.AGL, "0 AGL")
    assert volume.upper.ref is VerticalRef.STD
    assert volume.upper.value_m == pytest.approx(flight_level_to_pressure_altitude_m(95))
    assert volume.upper.text == "FL 95"
    assert zone.restriction is Restriction.CONDITIONAL and zone.country == "CZE"
    assert zone.source.endswith(":224")  # the AC line of the record
    lon, lat, _ = WGS84_GEOD.fwd(volume.circle.center_lon, volume.circle.center_lat, 200, 3700)
    assert volume.footprint.contains(Point(lon, lat))


def test_polish_eptr63_band_and_country(cz_ce: Path) -> None:
    zone = next(z for z in load_openair(cz_ce).zones if z.name == "TRA EPTR63")
    (volume,) = zone.volumes
    assert volume.lower.ref is VerticalRef.AMSL and volume.lower.text == "5500msl"
    assert volume.lower.value_m == pytest.approx(5500 * FEET_TO_M)
    assert volume.upper.ref is VerticalRef.STD and volume.upper.text == "FL 135"
    assert volume.upper.value_m == pytest.approx(13500 * FEET_TO_M)
    assert zone.country == "POL"
    assert zone.restriction is Restriction.REQ_AUTHORISATION  # class G in the file, but a TRA
    assert volume.footprint.area > 0 and volume.circle is None


def test_restriction_mapping_by_class_and_name(cz_all: Path) -> None:
    zones = load_openair(cz_all).zones
    kinds = {z.name.split()[0]: z.restriction for z in zones}
    assert kinds["LKTSA44"] is Restriction.REQ_AUTHORISATION
    prohibited = [z for z in zones if dict(z.extra).get("openair_class") == "P"]
    assert prohibited and all(z.restriction is Restriction.PROHIBITED for z in prohibited)
    ctr = [z for z in zones if z.name.startswith("CTR")]
    assert ctr and all(z.restriction is Restriction.REQ_AUTHORISATION for z in ctr)


def test_coordinate_formats() -> None:
    assert parse_coordinate("50:18:06 N 017:17:51 E", 1) == pytest.approx((17.2975, 50.301666), abs=1e-5)
    assert parse_coordinate("50:18.1 N 17:17.85 E", 1) == pytest.approx((17.2975, 50.301666), abs=1e-4)
    assert parse_coordinate("50:00:00 S 010:30:00 W", 1) == (-10.5, -50.0)


ARC_FILE = b"""* test file
AC R
AN ARC TEST
AL GND
AH 2500ft MSL
DP 50:20:00 N 017:10:00 E
V X=50:15:00 N 017:10:00 E
V D=+
DB 50:20:00 N 017:10:00 E, 50:15:00 N 017:17:50 E
DP 50:15:00 N 017:10:00 E
"""


def test_arc_is_densified_between_the_published_end_points() -> None:
    result = load_openair(ARC_FILE)
    assert result.rejected == []
    (zone,) = result.zones
    coords = list(zone.volumes[0].footprint.exterior.coords)
    assert len(coords) > 20  # a quarter circle of ~9 km at 1 m sagitta
    assert zone.volumes[0].upper.value_m == pytest.approx(2500 * FEET_TO_M)
    assert zone.volumes[0].lower.text == "GND"
    centre = (17 + 10 / 60, 50.25)
    for lon, lat in coords[1:-2]:
        _, _, dist = WGS84_GEOD.inv(centre[0], centre[1], lon, lat)
        if dist > 100:  # points on the arc
            assert dist == pytest.approx(9266, rel=0.01)


BROKEN = b"""AC R
AN GOOD ONE
AL GND
AH FL 65
DP 50:00:00 N 017:00:00 E
DP 50:01:00 N 017:00:00 E
DP 50:01:00 N 017:01:00 E

AC R
AN UNCLOSED ARC
AL GND
AH FL 65
V X=50:15:00 N 017:10:00 E
DB 50:20:00 N 017:10:00 E

AC Q
AN NO CENTRE
AL GND
AH 3000 MSL
DC 2

AC R
AN BAD LIMIT
AL somewhere high
AH FL 65
DP 50:00:00 N 017:00:00 E

AC R
AN BAD COORD
AL GND
AH FL 65
DP 95:00:00 N 017:00:00 E

AC R
AN TWO POINTS
AL GND
AH FL 65
DP 50:00:00 N 017:00:00 E
DP 50:01:00 N 017:00:00 E
"""


def test_broken_records_are_rejected_with_line_numbers_and_the_rest_imported() -> None:
    result = load_openair(BROKEN)
    assert [z.name for z in result.zones] == ["GOOD ONE"]
    messages = {p.location: p.message for p in result.rejected}
    assert "unclosed arc" in messages["line 14"]
    assert "DC circle without" in messages["line 20"]
    assert "cannot read altitude limit" in messages["line 24"]
    assert "out of range" in messages["line 32"]
    assert "a polygon needs 3" in messages["line 34"]  # the record (AC) line
    with pytest.raises(InputError, match="line 14"):
        load_openair(BROKEN, strict=True)


def test_binary_and_orphan_lines() -> None:
    with pytest.raises(InputError, match="binary"):
        load_openair(b"AC R\x00\x01\x02")
    result = load_openair(b"DP 50:00:00 N 017:00:00 E\n")
    assert result.rejected and result.rejected[0].location == "line 1"


def test_da_arc_by_radius_and_bearings_counter_clockwise() -> None:
    text = b"""AC P
AN EP P99 TEST
AL SFC
AH UNL
V X=50:30:00 N 017:30:00 E
V D=-
DA 3, 90, 0
DP 50:30:00 N 017:30:00 E
"""
    result = load_openair(text)
    assert result.rejected == []
    (zone,) = result.zones
    assert zone.restriction is Restriction.PROHIBITED and zone.country == "POL"
    volume = zone.volumes[0]
    assert volume.lower.text == "SFC" and volume.upper.value_m == float("inf")
    # counter-clockwise from east to north: the quarter lies north-east of the centre
    centre = (17.5, 50.5)
    bounds = volume.footprint.bounds
    # (a geodesic due east bends slightly south: the east end sits ~3 m below the centre latitude)
    assert bounds[0] == pytest.approx(centre[0], abs=1e-6) and bounds[1] == pytest.approx(centre[1], abs=1e-4)
    _, _, dist = WGS84_GEOD.inv(centre[0], centre[1], bounds[2], centre[1])
    assert dist == pytest.approx(3 * 1852, rel=0.001)
    bad = text.replace(b"DA 3, 90, 0", b"DA 3, 90")
    assert "unclosed arc" in load_openair(bad).rejected[0].message
