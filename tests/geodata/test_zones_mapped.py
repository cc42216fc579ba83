"""Field-mapped GeoJSON (Czech DroneMap ArcGIS layers, PANSA airspace feed) and format sniffing.

No real export of either service is in the shared data (both need the internet), so these tests
build features with the field names documented in ``geodata.zones.geojson_mapped`` and check the
mapping rules; the sniffing tests use the real shared files.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from geodata.errors import InputError
from geodata.vertical import FEET_TO_M, VerticalRef
from geodata.zones.geojson_mapped import CZ_DRONEMAP, PL_PANSA_AIRSPACE, load_mapped_geojson
from geodata.zones.load import ZoneFormat, load_zones, sniff_format
from geodata.zones.model import Restriction

SQUARE = [[[17.2, 50.2], [17.21, 50.2], [17.21, 50.21], [17.2, 50.21], [17.2, 50.2]]]


def feature(props: dict[str, Any], geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE},
        "properties": props,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_czech_dronemap_layers() -> None:
    result = load_mapped_geojson(
        collection(
            feature({"OBJECTID": 1, "type": "GRID_CTR", "AGL_limit": 30}),
            feature({"OBJECTID": 2, "nazev": "Vojenský objekt", "OOP": "LKR319"}),
            feature({"OBJECTID": 3, "nazev": "CHKO Jeseníky", "KAT": "CHKO", "OOP": "LKR318B"}),
            feature(
                {"IDENT": "LKMI", "nazev2": "Mikulovice AD", "zone": "INNER_AD", "vyska": "GND - 120 m AGL"}
            ),
            feature({"OBJECTID": 5, "nazev": "Zakázaný prostor", "OOP": "LKP1"}),
            feature({"OBJECTID": 6, "nazev": "HOP Jeseník", "OOP": "LKR316"}),
        ),
        CZ_DRONEMAP,
    )
    assert result.rejected == [] and result.warnings == []
    grid, military, chko, aerodrome, prohibited, hop = result.zones
    assert grid.restriction is Restriction.REQ_AUTHORISATION
    assert (grid.volumes[0].lower.value_m, grid.volumes[0].lower.ref) == (30.0, VerticalRef.AGL)
    assert math.isinf(grid.volumes[0].upper.value_m), "authorisation needed above the grid's AGL limit"
    assert military.restriction is Restriction.PROHIBITED
    assert chko.restriction is Restriction.CONDITIONAL and chko.reasons == ("NATURE",)
    assert aerodrome.identifier == "LKMI" and aerodrome.name == "Mikulovice AD"
    assert (aerodrome.volumes[0].upper.value_m, aerodrome.volumes[0].upper.ref) == (120.0, VerticalRef.AGL)
    assert prohibited.restriction is Restriction.PROHIBITED
    assert hop.restriction is Restriction.CONDITIONAL and hop.reasons == ("POPULATION",)
    assert all(z.country == "CZE" for z in result.zones)


def test_pansa_feed_is_a_bare_array_with_reservations() -> None:
    feed = [
        feature(
            {
                "designator": "EPTR63",
                "airspaceElementType": "TRA",
                "airspaceReservations": [
                    {
                        "startDate": "2026-05-04T08:00:00Z",
                        "endDate": "2026-05-04T14:00:00Z",
                        "lowerAltitude": "5500ft AMSL",
                        "upperAltitude": "FL135",
                    },
                    {"startDate": "2026-05-05T08:00:00Z", "endDate": "2026-05-05T10:00:00Z"},
                ],
            }
        ),
        feature(
            {
                "designator": "EPP201",
                "airspaceElementType": "P",
                "lowerAltitude": "GND",
                "upperAltitude": "2000",
            }
        ),
        feature({"designator": "EPD5", "airspaceElementType": "D"}),
    ]
    result = load_mapped_geojson(feed, PL_PANSA_AIRSPACE)
    assert result.rejected == [] and result.warnings == []
    first, second, prohibited, danger = result.zones
    assert first.identifier == second.identifier == "EPTR63" and first.uid != second.uid
    assert first.restriction is Restriction.REQ_AUTHORISATION
    assert first.volumes[0].lower.value_m == pytest.approx(5500 * FEET_TO_M)
    assert first.volumes[0].upper.ref is VerticalRef.STD
    assert first.applicability.is_active(datetime(2026, 5, 4, 9, tzinfo=UTC))
    assert not first.applicability.is_active(datetime(2026, 5, 5, 9, tzinfo=UTC))
    assert second.applicability.is_active(datetime(2026, 5, 5, 9, tzinfo=UTC))
    assert prohibited.restriction is Restriction.PROHIBITED
    assert prohibited.volumes[0].upper.value_m == pytest.approx(2000 * FEET_TO_M)  # bare number: ft AMSL
    assert prohibited.volumes[0].upper.ref is VerticalRef.AMSL
    assert danger.restriction is Restriction.CONDITIONAL
    assert math.isinf(danger.volumes[0].upper.value_m)  # no band given: conservative GND..UNL


def test_mapped_geojson_problems_are_located() -> None:
    result = load_mapped_geojson(
        collection(
            feature({"nazev": "no id"}),
            feature({"OBJECTID": 9}, {"type": "LineString", "coordinates": [[17, 50], [17.1, 50]]}),
            feature({"OBJECTID": 10, "AGL_limit": "lots"}),
        ),
        CZ_DRONEMAP,
    )
    assert [p.location for p in result.rejected] == [
        "$.features[0].properties",
        "$.features[1].geometry.type",
    ]
    assert result.warnings[0].location == "$.features[2].properties.AGL_limit"
    with pytest.raises(InputError, match="FeatureCollection or an array"):
        load_mapped_geojson({"type": "Topology"}, CZ_DRONEMAP)


def test_sniffing_the_real_files(shared_data: Path) -> None:
    zones_dir = shared_data / "zones"
    cases = {
        zones_dir / "ed269" / "interuss_dss_geo-awareness-che-1.ed269.json": ZoneFormat.ED269,
        zones_dir / "ed269" / "interuss_monitoring_cis_source_sample.ed269.json": ZoneFormat.ED269,
        zones_dir / "ed318" / "UASGeoZones_Example_Collection.json": ZoneFormat.ED318,
        zones_dir / "ed318" / "interuss_monitoring_cis_source_sample.ed318.json": ZoneFormat.ED318,
        shared_data / "airspace" / "cz_sua" / "CZ_all_26-04-01.txt": ZoneFormat.OPENAIR,
    }
    for path, expected in cases.items():
        assert sniff_format(path.read_text(encoding="utf-8")[:65536]) is expected, path.name
        result = load_zones(path)
        assert result.zones and not result.rejected, path.name
        assert all(z.source.startswith(str(path)) for z in result.zones)


def test_load_zones_mapped_formats(tmp_path: Path) -> None:
    cz = tmp_path / "cz.geojson"
    cz.write_text(json.dumps(collection(feature({"OBJECTID": 1, "type": "GRID_ATZ", "AGL_limit": 0}))))
    (zone,) = load_zones(cz).zones
    assert zone.country == "CZE" and zone.volumes[0].lower.value_m == 0
    pl = tmp_path / "pl.json"
    pl.write_text(json.dumps([feature({"designator": "EPR1", "airspaceElementType": "R"})]))
    assert load_zones(pl).zones[0].restriction is Restriction.REQ_AUTHORISATION
    assert load_zones(pl, format=ZoneFormat.PL_PANSA).zones[0].country == "POL"
