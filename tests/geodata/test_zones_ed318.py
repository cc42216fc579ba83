"""ED-318 import on the UASGeoZones examples (incl. the InvalidExample) and the InterUSS CIS sample."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from geodata.errors import InputError
from geodata.vertical import VerticalRef
from geodata.zones.ed318 import load_ed318
from geodata.zones.model import Restriction


@pytest.fixture(scope="module")
def ed318_dir(shared_data: Path) -> Path:
    return shared_data / "zones" / "ed318"


def test_collection_with_layers_and_circle(ed318_dir: Path) -> None:
    result = load_ed318(ed318_dir / "UASGeoZones_Example_Collection.json", strict=True)
    layered, circle = result.zones
    assert layered.identifier == "NFZ6547" and layered.restriction is Restriction.REQ_AUTHORISATION
    assert [(v.lower.value_m, v.upper.value_m) for v in layered.volumes] == [(50, 150), (0, 50)]
    assert layered.reasons == ("AIR_TRAFFIC", "OTHER")
    assert layered.other_reason_info == "Flying Whales - part 2"  # English text chosen
    assert circle.restriction is Restriction.PROHIBITED
    assert circle.volumes[0].circle is not None and circle.volumes[0].circle.radius_m == 3500
    assert circle.applicability.permanent


def test_limited_applicability_schedule_with_any_day(ed318_dir: Path) -> None:
    zone = load_ed318(ed318_dir / "UASGeoZones_Example_GeoZone_2_Layers.json").zones[0]
    app = zone.applicability
    assert app.is_active(datetime(2019, 3, 6, 16, 30, tzinfo=UTC))  # any day 16-17Z
    assert app.is_active(datetime(2019, 3, 10, 11, 0, tzinfo=UTC))  # Sunday 10-12Z
    assert not app.is_active(datetime(2019, 3, 6, 11, 0, tzinfo=UTC))  # Wednesday 11Z
    assert not app.is_active(datetime(2020, 3, 6, 16, 30, tzinfo=UTC))  # after the window


def test_invalid_example_is_reported_and_refused_when_strict(ed318_dir: Path) -> None:
    path = ed318_dir / "UASGeoZones_InvalidExample_GeoZone_2_Layers.json"
    result = load_ed318(path)
    locations = {w.location for w in result.warnings}
    assert "$.metadata.validFrom" in locations
    assert "$.features[0].properties.name[0]" in locations  # text without lang
    assert "$.features[0].properties.type" in locations  # REQ_AUTHORISATION spelling
    assert len(result.zones) == 1
    with pytest.raises(InputError) as err:
        load_ed318(path, strict=True)
    assert "$.metadata.validFrom" in str(err.value)


def test_interuss_cis_sample(ed318_dir: Path) -> None:
    result = load_ed318(ed318_dir / "interuss_monitoring_cis_source_sample.ed318.json", strict=True)
    assert [z.identifier for z in result.zones] == ["LSZB003", "BLns058", "LSTB002"]
    bern = result.zones[0]
    assert bern.name == "LSZB Bern-Belp 2"
    assert bern.volumes[0].lower.value_m == 60 and bern.volumes[0].lower.ref is VerticalRef.AGL
    assert bern.authority is not None and bern.authority.interval_before == "P10DT00H"
    assert all(z.country == "CHE" for z in result.zones)


def test_every_example_imports_without_rejections(ed318_dir: Path) -> None:
    for path in sorted(ed318_dir.glob("*.json")):
        result = load_ed318(path)
        assert result.rejected == [], path.name
        assert result.zones, path.name
