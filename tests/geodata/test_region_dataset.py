"""The shipped region dataset jesenik-nysa (design contract 3): complete, parseable, honest about itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from geodata.border import Border
from geodata.errors import InputError
from geodata.regions import DEFAULT_REGION, REGIONS_DIR
from geodata.regions.build_border import CLIP_BBOX, clip_countries, to_feature_collection
from geodata.regions.manifest import find_manifest, load_manifest
from geodata.sensors import load_cameras_geojson
from geodata.vertical import VerticalRef
from geodata.zones.ed269 import load_ed269
from geodata.zones.model import Restriction

REGION_DIR = REGIONS_DIR / DEFAULT_REGION


@pytest.fixture(scope="module")
def border() -> Border:
    return Border.from_geojson(REGION_DIR / "border.geojson")


def test_manifest_names_every_file_with_a_licence() -> None:
    manifest_path = find_manifest(REGION_DIR)
    assert manifest_path is not None
    manifest = load_manifest(manifest_path)
    assert manifest.name == DEFAULT_REGION == REGION_DIR.name
    assert "NOT FOR OPERATIONAL USE" in manifest.notice
    files = [manifest.files.zones, manifest.files.border, manifest.files.cameras]
    for name in files:
        assert name is not None and (REGION_DIR / name).is_file()
    licensed = {entry.file: entry.licence for entry in manifest.sources}
    assert set(licensed) >= {n for n in files if n}
    assert "ODbL" in licensed[manifest.files.border]
    sources_md = (REGION_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in files:
        assert name is not None and name in sources_md
    # Best DEM first: the Copernicus cache of fetch-dem, then SRTM .hgt.
    labels = [entry.label for entry in manifest.terrain.search]
    assert "Copernicus" in labels[0] and ".hgt" in labels[1]
    assert [e.vertical_accuracy_m for e in manifest.terrain.search] == sorted(
        e.vertical_accuracy_m for e in manifest.terrain.search
    )


def test_region_zones_parse_without_problems_and_are_flagged_approximate() -> None:
    result = load_ed269(REGION_DIR / "zones.ed269.json")
    assert result.rejected == [] and result.warnings == []
    assert len(result.zones) >= 10
    raw = json.loads((REGION_DIR / "zones.ed269.json").read_text(encoding="utf-8"))["features"]
    for zone, feature in zip(result.zones, raw, strict=True):
        assert zone.approximate, zone.identifier
        assert "NOT FOR OPERATIONAL USE" in zone.message
        assert "import the authorities' data" in zone.message
        facts = feature["extendedProperties"]["borderwatch"]
        assert facts["publicFacts"] and facts["sources"], zone.identifier
        assert zone.identifier.startswith("BWX-"), "must never collide with an authority's identifiers"
    restrictions = {z.restriction for z in result.zones}
    assert restrictions == {Restriction.PROHIBITED, Restriction.REQ_AUTHORISATION, Restriction.CONDITIONAL}
    names = " ".join(z.name for z in result.zones)
    for place in ("Mikulovice", "Nysa airfield", "hospital", "CHKO Jeseníky", "Głuchołazy", "Jeseník town"):
        assert place in names


def test_every_zone_anchor_lies_in_its_declared_country(border: Border) -> None:
    """Catches swapped lon/lat and zones placed on the wrong side of the border."""
    result = load_ed269(REGION_DIR / "zones.ed269.json")
    for zone in result.zones:
        for volume in zone.volumes:
            anchor = (
                Point(volume.circle.center_lon, volume.circle.center_lat)
                if volume.circle
                else volume.footprint.representative_point()
            )
            assert str(border.country_at(anchor.x, anchor.y)) == zone.country, zone.identifier


def test_border_is_the_maritime_variant_clipped_to_its_own_box(border: Border) -> None:
    data = json.loads((REGION_DIR / "border.geojson").read_text(encoding="utf-8"))
    assert "OpenStreetMap" in data["attribution"]
    assert all("countries-maritime-10m@0.6.0" in f["properties"]["source"] for f in data["features"])
    assert border.iso3_codes == ["CZE", "POL"]
    assert str(border.country_at(17.205, 50.229)) == "CZE"  # Jeseník
    assert str(border.country_at(17.33, 50.47)) == "POL"  # Nysa
    assert str(border.country_at(17.378, 50.313)) == "POL"  # Głuchołazy
    union = shapely.union_all([shape(f["geometry"]) for f in data["features"]])
    assert union.bounds == pytest.approx(CLIP_BBOX)
    # No gap along the border rivers (the land-only variant has them): the two countries fill the box
    # except where the box reaches beyond CZ/PL, and they never overlap.
    cze, pol = (shape(f["geometry"]) for f in data["features"])
    assert cze.intersection(pol).area == pytest.approx(0.0, abs=1e-9)
    assert len(shapely.get_parts(border.border_line)) == 1
    # 5 decimals, as the script writes them
    coords = shapely.get_coordinates(union)
    assert (abs(coords * 1e5 - (coords * 1e5).round()) < 1e-6).all()


def test_border_clip_script_keeps_neighbours_in_the_box_and_drops_others() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[16.0, 49.0], [17.2, 49.0], [17.2, 51.0], [16.0, 51.0], [16.0, 49.0]]],
    }
    east = {
        "type": "Polygon",
        "coordinates": [[[17.2, 49.0], [19.0, 49.0], [19.0, 51.0], [17.2, 51.0], [17.2, 49.0]]],
    }
    far = {"type": "Polygon", "coordinates": [[[5.0, 45.0], [6.0, 45.0], [6.0, 46.0], [5.0, 45.0]]]}
    collection = {
        "features": [
            {"properties": {"A3": "POL"}, "geometry": east},
            {"properties": {"A3": "CZE"}, "geometry": square},
            {"properties": {"A3": "DEU"}, "geometry": far},
            {"properties": {"A3": "FRA"}, "geometry": square},
        ]
    }
    countries = clip_countries(collection, CLIP_BBOX)
    assert [c.iso_a3 for c in countries] == ["CZE", "POL"]
    assert countries[0].geometry.bounds == pytest.approx((16.6, 49.9, 17.2, 50.8))
    written = to_feature_collection(countries)
    assert written["features"][1]["properties"]["name"] == "Poland"
    assert "© OpenStreetMap contributors" in written["attribution"]


def test_cameras_follow_the_documented_schema_and_stand_in_their_country(border: Border) -> None:
    cameras = load_cameras_geojson(REGION_DIR / "cameras.geojson")
    assert len(cameras) >= 5
    raw = json.loads((REGION_DIR / "cameras.geojson").read_text(encoding="utf-8"))["features"]
    organisations = " ".join(c.organisation for c in cameras)
    for town in ("Jeseník", "Głuchołazy", "Nysie"):
        assert town in organisations
    for camera, feature in zip(cameras, raw, strict=True):
        assert str(border.country_at(camera.lon, camera.lat)) == feature["properties"]["country"]
        assert feature["properties"]["approximate"] is True
        assert 0 < camera.tilt_deg < 45 and camera.max_range_m > camera.mount_height_agl_m


def test_a_camera_file_with_a_bad_property_is_refused_with_its_path(tmp_path: Path) -> None:
    data = json.loads((REGION_DIR / "cameras.geojson").read_text(encoding="utf-8"))
    data["features"][2]["properties"]["hfov_deg"] = "wide"
    broken = tmp_path / "cameras.geojson"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_cameras_geojson(broken)
    assert "$.features[2].properties.hfov_deg" in str(caught.value)


def test_circle_radii_are_in_the_layer_unit() -> None:
    """ED-269 gives the radius in the layer's uomDimensions: the 2 NM drop zone is written in feet."""
    zones = {z.identifier: z for z in load_ed269(REGION_DIR / "zones.ed269.json").zones}
    drop_zone = zones["BWX-CZ-DZ-JESENIK"].volumes[0]
    assert drop_zone.circle is not None and drop_zone.circle.radius_m == pytest.approx(2 * 1852.0, abs=2.0)
    assert drop_zone.upper.ref is VerticalRef.STD and drop_zone.upper.text == "FL 95"
    assert drop_zone.upper.value_m == pytest.approx(9500 * 0.3048)
    nysa = zones["BWX-PL-EPNY-AD"].volumes[0]
    assert nysa.circle is not None and nysa.circle.radius_m == pytest.approx(3000.0, abs=2.0)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: [unclosed\n", "line "),
        ("- just\n- a list\n", "$: a manifest must be a mapping"),
        ("schema: 1\nname: Bad Name\n", "$.name"),
        ("schema: 7\n", "$.schema"),
    ],
)
def test_a_broken_manifest_names_where_it_is_wrong(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    assert where in str(caught.value)


def test_an_unknown_manifest_field_is_refused_not_ignored(tmp_path: Path) -> None:
    text = (REGION_DIR / "manifest.yaml").read_text(encoding="utf-8") + "\nterrian: {}\n"
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"\$\.terrian"):
        load_manifest(path)


def test_an_oversized_manifest_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(InputError, match="over the limit"):
        load_manifest(path, max_input_bytes=1000)
