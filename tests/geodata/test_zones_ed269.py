"""ED-269 import/export on the real sample files (both layouts, the quirks) and round trips."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import Point

from geodata.errors import InputError
from geodata.vertical import VerticalRef
from geodata.zones.ed269 import dump_ed269, load_ed269
from geodata.zones.geometry import WGS84_GEOD
from geodata.zones.model import Restriction


@pytest.fixture(scope="module")
def che(shared_data: Path) -> Path:
    return shared_data / "zones" / "ed269" / "interuss_dss_geo-awareness-che-1.ed269.json"


@pytest.fixture(scope="module")
def cis(shared_data: Path) -> Path:
    return shared_data / "zones" / "ed269" / "interuss_monitoring_cis_source_sample.ed269.json"


def test_features_layout_with_all_quirks(che: Path) -> None:
    result = load_ed269(che)
    assert result.rejected == [] and result.warnings == []
    assert len(result.zones) == 6
    by_name = {z.uid: z for z in result.zones}
    assert len(by_name) == 6, "repeated identifiers still get unique uids"
    gantrisch = [z for z in result.zones if z.identifier == "Gantrisch Nature Park"]
    assert len(gantrisch) == 2
    assert {z.restriction for z in gantrisch} == {Restriction.NO_RESTRICTION, Restriction.REQ_AUTHORISATION}
    assert {z.u_space_classes for z in gantrisch} == {("OPEN",), ("SPECIFIC", "CERTIFIED")}
    upper = gantrisch[0].volumes[0].upper
    assert upper.value_m == pytest.approx(250 * 0.3048) and upper.ref is VerticalRef.AGL
    assert upper.text == "250 FT AGL"


def test_circle_projection_and_several_layers(che: Path) -> None:
    zones = {z.identifier: z for z in load_ed269(che).zones}
    reichenbach = zones["Flugplatz Reichenbach"]
    assert [v.circle.radius_m for v in reichenbach.volumes if v.circle] == [1000, 2500, 3500]
    assert [v.lower.value_m for v in reichenbach.volumes] == [0, 50, 100]
    volume = reichenbach.volumes[0]
    assert volume.circle is not None
    # The densified footprint contains the true circle: a point 999.5 m out on any bearing is inside.
    for az in range(0, 360, 7):
        lon, lat, _ = WGS84_GEOD.fwd(volume.circle.center_lon, volume.circle.center_lat, az, 999.5)
        assert volume.footprint.contains(Point(lon, lat))
    lon, lat, _ = WGS84_GEOD.fwd(volume.circle.center_lon, volume.circle.center_lat, 45, 1003.0)
    assert not volume.footprint.contains(Point(lon, lat)), "no more than ~1 m outward error"
    montreux = zones["Montreux Concert Area"]
    assert montreux.volumes[0].upper.ref is VerticalRef.AMSL and montreux.volumes[0].upper.value_m == 6259


def test_schedule_applicability_is_evaluated_in_time(che: Path) -> None:
    montreux = next(z for z in load_ed269(che).zones if z.identifier == "Montreux Concert Area")
    app = montreux.applicability
    assert not app.permanent
    assert app.is_active(datetime(2022, 7, 2, 18, 0, tzinfo=UTC))  # Saturday evening
    assert app.is_active(datetime(2022, 7, 3, 23, 59, 30, tzinfo=UTC))  # Sunday, end inclusive
    assert not app.is_active(datetime(2022, 7, 1, 18, 0, tzinfo=UTC))  # Friday
    assert not app.is_active(datetime(2022, 7, 2, 16, 59, tzinfo=UTC))  # before 17:00
    assert not app.is_active(datetime(2023, 7, 1, 18, 0, tzinfo=UTC))  # after endDateTime
    with pytest.raises(ValueError, match="naive"):
        app.is_active(datetime(2022, 7, 2, 18, 0))
    reichenbach = next(z for z in load_ed269(che).zones if z.identifier == "Flugplatz Reichenbach")
    assert reichenbach.applicability.is_active(datetime(2022, 12, 1, 3, 0, tzinfo=UTC))
    assert not reichenbach.applicability.is_active(datetime(2024, 1, 1, tzinfo=UTC))


def test_uaszonelist_layout_with_string_number_and_null_upper(cis: Path) -> None:
    result = load_ed269(cis)
    assert result.rejected == []
    (zone,) = result.zones
    assert zone.identifier == "LSXX" and zone.country == "CHE"
    assert zone.applicability.permanent  # permanent YES with an all-null dailyPeriod
    volume = zone.volumes[0]
    assert volume.lower.value_m == 0 and volume.lower.ref is VerticalRef.AGL
    assert math.isinf(volume.upper.value_m), "null upperLimit means unlimited"
    assert zone.authority is not None and zone.authority.email == "admin@example.interuss.org"
    assert [w.location for w in result.warnings] == ["$.UASZoneList[0].geometry[0].lowerLimit"]
    with pytest.raises(InputError, match="string"):
        load_ed269(cis, strict=True)


def test_round_trip_keeps_every_field_that_matters(che: Path, cis: Path) -> None:
    for path in (che, cis):
        original = load_ed269(path).zones
        exported = dump_ed269(original)
        again = load_ed269(exported)
        assert again.rejected == [] and again.warnings == []
        assert len(again.zones) == len(original)
        for a, b in zip(original, again.zones, strict=True):
            assert (a.identifier, a.country, a.name, a.restriction, a.reasons, a.message) == (
                b.identifier,
                b.country,
                b.name,
                b.restriction,
                b.reasons,
                b.message,
            )
            assert a.applicability == b.applicability
            assert a.authority == b.authority
            assert a.u_space_classes == b.u_space_classes
            for va, vb in zip(a.volumes, b.volumes, strict=True):
                assert va.lower.value_m == pytest.approx(vb.lower.value_m)
                assert (va.lower.ref, va.upper.ref) == (vb.lower.ref, vb.upper.ref)
                assert va.upper.value_m == pytest.approx(vb.upper.value_m)
                assert va.circle == vb.circle
                assert va.footprint.symmetric_difference(vb.footprint).area < 1e-12


def test_region_dataset_zones_load_and_keep_the_approximate_flag() -> None:
    region = Path(__file__).resolve().parents[2] / "geodata" / "regions" / "jesenik-nysa" / "zones.ed269.json"
    if not region.is_file():
        pytest.skip("region dataset not present yet")
    result = load_ed269(region)
    assert result.rejected == []
    assert result.zones and all(z.approximate for z in result.zones)
    again = load_ed269(dump_ed269(result.zones))
    assert all(z.approximate for z in again.zones)


def test_flight_level_and_ellipsoid_references_in_ed269() -> None:
    z = {
        "identifier": "FL-TEST",
        "country": "CZE",
        "name": "fl",
        "restriction": "CONDITIONAL",
        "geometry": [
            {
                "uomDimensions": "FT",
                "lowerLimit": 0,
                "lowerVerticalReference": "AGL",
                "upperLimit": 9500,
                "upperVerticalReference": "STD",
                "horizontalProjection": {"type": "Circle", "center": [17.2975, 50.30167], "radius": 12152},
            },
            {
                "uomDimensions": "M",
                "lowerLimit": 600,
                "lowerVerticalReference": "WGS84",
                "upperLimit": 900,
                "upperVerticalReference": "WGS84",
                "horizontalProjection": {"type": "Circle", "center": [17.2975, 50.30167], "radius": 500},
            },
        ],
    }
    result = load_ed269({"UASZoneList": [z]})
    assert result.rejected == [] and result.warnings == []
    fl, wgs = result.zones[0].volumes
    assert fl.upper.text == "FL 95" and fl.upper.ref is VerticalRef.STD
    assert fl.upper.value_m == pytest.approx(2895.6)
    assert fl.circle is not None and fl.circle.radius_m == pytest.approx(
        12152 * 0.3048
    )  # FT applies to radius
    assert (wgs.lower.ref, wgs.lower.value_m) == (VerticalRef.WGS84, 600)
    assert result.zones[0].applicability.permanent  # no applicability at all
    again = load_ed269(dump_ed269(result.zones)).zones[0].volumes
    assert again[0].upper.ref is VerticalRef.STD and again[0].upper.value_m == pytest.approx(2895.6)
