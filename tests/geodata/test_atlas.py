"""load_region: the region's zones, border, terrain and cameras as one object (design contracts 2 and 3)."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from geodata.atlas import (
    RegionCache,
    RegionNotFoundError,
    ZoneOrigin,
    load_region,
    resolve_region_dir,
    shipped_regions,
    summarise,
)
from geodata.errors import InputError
from geodata.regions import REGIONS_DIR
from geodata.regions.dem_search import ENV_DEM, ENV_DEM_ACCURACY, DemCandidate
from geodata.sensors import footprint
from geodata.terrain import FlatTerrain, TerrainQuality
from geodata.vertical import VerticalRef
from geodata.zones.model import Restriction
from tests.geodata.ed269_samples import ed269_circle_zone
from tests.synthetic_dem import write_lonlat_dem

MIKULOVICE_AIRFIELD = (17.2975, 50.3017)
JESENIK_HOSPITAL = (17.1935, 50.2300)
PRADED = (17.2308, 50.0833)
JESENIK_SQUARE = (17.2045, 50.2293)
NYSA_SQUARE = (17.3340, 50.4738)


def plane_elevation(lon: float, lat: float) -> float:
    """The analytic DEM below: a plane rising east and north, so bilinear sampling is exact."""
    return 300.0 + 100.0 * (lon - 16.7) + 400.0 * (lat - 49.9)


def write_plane_dem(
    path: Path,
    *,
    west: float = 16.7,
    north: float = 50.8,
    cols: int = 120,
    rows: int = 100,
    step: float = 0.01,
    accuracy_m: float | None = 2.0,
) -> Path:
    """A GeoTIFF of ``plane_elevation`` (pixel-centre values) with a declared vertical accuracy tag."""
    return write_lonlat_dem(
        path,
        plane_elevation,
        west=west,
        north=north,
        step=step,
        cols=cols,
        rows=rows,
        accuracy_m=accuracy_m,
        nodata=-9999.0,
    )


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """No DEM, an empty user data directory: what a fresh clone sees."""
    return {"BORDERWATCH_DATA": str(tmp_path / "data")}


def test_default_region_loads_with_zones_border_cameras_and_loud_flat_terrain(
    clean_env: dict[str, str],
) -> None:
    region = load_region(environ=clean_env)
    assert region.name == "jesenik-nysa" and "jesenik-nysa" in shipped_regions()
    assert len(region.zone_list) >= 10 and all(z.approximate for z in region.zone_list)
    assert [layer.origin for layer in region.zone_layers] == [ZoneOrigin.REGION]
    assert str(region.border.country_at(*JESENIK_SQUARE)) == "CZE"
    assert str(region.border.country_at(*NYSA_SQUARE)) == "POL"
    assert len(region.cameras) >= 5
    # contract 2: no DEM -> flat ground at the manifest's elevation, unknown quality, how to get terrain
    assert isinstance(region.terrain, FlatTerrain)
    assert region.terrain_status.quality is TerrainQuality.UNKNOWN and not region.terrain_status.has_dem
    assert (
        region.terrain_status.flat_elevation_amsl_m == region.manifest.terrain.flat_fallback_elevation_amsl_m
    )
    assert "fetch-dem" in region.terrain_status.message and ENV_DEM in region.terrain_status.message
    assert any("NO TERRAIN" in w for w in region.warnings)
    sample = region.terrain.sample(*JESENIK_SQUARE)
    assert math.isnan(float(sample.accuracy_m)) and sample.worst_quality is TerrainQuality.UNKNOWN


def test_region_chosen_by_env_by_path_and_refused_when_unknown(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    copy = tmp_path / "my-region"
    shutil.copytree(REGIONS_DIR / "jesenik-nysa", copy)
    assert resolve_region_dir(None, {"BORDERWATCH_REGION": str(copy)}) == copy
    assert resolve_region_dir(copy / "manifest.yaml", {}) == copy
    assert load_region(copy, environ=clean_env).directory == copy
    with pytest.raises(RegionNotFoundError, match="no region 'atlantis'"):
        load_region("atlantis", environ=clean_env)
    not_a_region = tmp_path / "plain-folder"
    not_a_region.mkdir()
    with pytest.raises(RegionNotFoundError, match="no manifest"):
        load_region(not_a_region, environ=clean_env)


def test_broken_manifest_and_missing_file_are_reported_with_their_field(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    copy = tmp_path / "broken"
    shutil.copytree(REGIONS_DIR / "jesenik-nysa", copy)
    manifest = copy / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("bbox: [16.8,", "bbox: [18.8,"), "utf-8")
    with pytest.raises(InputError, match=r"\$\.bbox"):
        load_region(copy, environ=clean_env)
    shutil.copy(REGIONS_DIR / "jesenik-nysa" / "manifest.yaml", manifest)
    (copy / "cameras.geojson").unlink()
    with pytest.raises(InputError, match=r"\$\.files\.cameras"):
        load_region(copy, environ=clean_env)


@pytest.mark.parametrize(
    ("point", "alt_m", "expected"),
    [
        (MIKULOVICE_AIRFIELD, 50.0, {"BWX-CZ-LKMI-AD", "BWX-CZ-DZ-JESENIK"}),
        (JESENIK_HOSPITAL, 50.0, {"BWX-CZ-HEMS-JESENIK"}),
        (PRADED, 50.0, {"BWX-CZ-CHKO-JESENIKY", "BWX-CZ-NPR-PRADED"}),
        (JESENIK_SQUARE, 50.0, {"BWX-CZ-TOWN-JESENIK"}),  # the town lies outside the CHKO
        (NYSA_SQUARE, 50.0, {"BWX-PL-TOWN-NYSA"}),
        (JESENIK_SQUARE, 200.0, set()),  # above the town zone's 120 m AGL ceiling
    ],
)
def test_known_points_give_the_expected_zones_on_a_saturday(
    tmp_path: Path, clean_env: dict[str, str], point: tuple[float, float], alt_m: float, expected: set[str]
) -> None:
    from datetime import UTC, datetime

    dem = write_plane_dem(tmp_path / "plane.tif")
    region = load_region(environ={**clean_env, ENV_DEM: str(dem)})
    saturday_noon = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)
    hits = region.zones_at(point[0], point[1], alt_m, VerticalRef.AGL, at=saturday_noon)
    assert {h.zone.identifier for h in hits} == expected
    assert not any(h.uncertain for h in hits)


def test_the_drop_zone_is_only_active_in_its_schedule(clean_env: dict[str, str]) -> None:
    from datetime import UTC, datetime

    region = load_region(environ=clean_env)
    wednesday = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    hits = region.zones.at_point(*MIKULOVICE_AIRFIELD, 50.0, VerticalRef.AGL, at=wednesday)
    assert {h.zone.identifier for h in hits} == {"BWX-CZ-LKMI-AD"}


def test_dem_found_through_the_env_var_gives_precise_terrain(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    dem = write_plane_dem(tmp_path / "plane.tif")
    region = load_region(environ={**clean_env, ENV_DEM: str(dem)})
    assert region.terrain_status.has_dem and region.terrain_status.quality is TerrainQuality.PRECISE
    assert region.terrain_status.sources[0].origin == ENV_DEM
    lon, lat = JESENIK_SQUARE
    sample = region.terrain.sample(lon, lat)
    assert float(sample.elevation_amsl_m) == pytest.approx(plane_elevation(lon, lat), abs=0.01)
    assert float(sample.accuracy_m) == 2.0
    assert not region.warnings


def test_untagged_geotiff_in_env_is_approximate_unless_accuracy_is_declared(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    dem = write_plane_dem(tmp_path / "untagged.tif", accuracy_m=None)
    region = load_region(environ={**clean_env, ENV_DEM: str(dem)})
    assert region.terrain_status.quality is TerrainQuality.APPROXIMATE
    assert region.terrain_status.sources[0].vertical_accuracy_m == 30.0
    declared = load_region(environ={**clean_env, ENV_DEM: str(dem), ENV_DEM_ACCURACY: "5"})
    assert declared.terrain_status.quality is TerrainQuality.PRECISE
    tagged = write_plane_dem(tmp_path / "tagged.tif", accuracy_m=2.0)
    overridden = load_region(environ={**clean_env, ENV_DEM: str(tagged), ENV_DEM_ACCURACY: "25"})
    assert overridden.terrain_status.sources[0].vertical_accuracy_m == 25.0  # the user's word wins
    with pytest.raises(InputError, match=ENV_DEM_ACCURACY):
        load_region(environ={**clean_env, ENV_DEM: str(dem), ENV_DEM_ACCURACY: "-3"})


def test_search_list_prefers_copernicus_cache_and_stacks_coarser_dems_behind(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    data = Path(clean_env["BORDERWATCH_DATA"])
    fine = data / "dem" / "copernicus-glo30" / "tile"
    fine.mkdir(parents=True)
    # the fine DEM covers only the north-west; a coarse one the whole region
    write_plane_dem(fine / "fine.tif", west=16.7, north=50.8, cols=40, rows=30, accuracy_m=4.0)
    write_plane_dem(data / "dem" / "coarse.tif", accuracy_m=40.0)
    region = load_region(environ=clean_env)
    assert [s.vertical_accuracy_m for s in region.terrain_status.sources] == [4.0, 40.0]
    assert region.terrain_status.quality is TerrainQuality.APPROXIMATE
    inside_fine = region.terrain.sample(16.9, 50.7)
    outside_fine = region.terrain.sample(17.5, 50.2)
    assert float(inside_fine.accuracy_m) == 4.0 and float(outside_fine.accuracy_m) == 40.0


def test_unusable_or_far_away_dems_are_skipped_with_a_reason(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    far = write_plane_dem(tmp_path / "far.tif", west=5.0, north=45.0)
    region = load_region(environ={**clean_env, ENV_DEM: f"{junk}:{far}"})
    assert not region.terrain_status.has_dem
    reasons = " ".join(region.terrain_status.skipped)
    assert "junk.tif" in reasons and "does not cover the region" in reasons


def test_env_var_may_name_a_folder_of_tiles(tmp_path: Path, clean_env: dict[str, str]) -> None:
    nested = tmp_path / "dems" / "tile-a"
    nested.mkdir(parents=True)
    write_plane_dem(nested / "a.tif")
    (tmp_path / "dems" / "readme.txt").write_text("not a DEM", encoding="utf-8")
    region = load_region(environ={**clean_env, ENV_DEM: str(tmp_path / "dems")})
    assert [s.path.name for s in region.terrain_status.sources] == ["a.tif"]


def test_explicit_dem_argument_comes_first(tmp_path: Path, clean_env: dict[str, str]) -> None:
    dem = write_plane_dem(tmp_path / "plane.tif", accuracy_m=None)
    region = load_region(environ=clean_env, dem_paths=[DemCandidate(dem, 7.5, "test")])
    assert region.terrain_status.sources[0].vertical_accuracy_m == 7.5
    tagged = write_plane_dem(tmp_path / "tagged.tif", accuracy_m=2.0)
    # a fallback yields to the file's own tag; a declared accuracy does not
    assert (
        load_region(environ=clean_env, dem_paths=[DemCandidate(tagged, 7.5, "test")])
        .terrain_status.sources[0]
        .vertical_accuracy_m
        == 2.0
    )
    declared = load_region(environ=clean_env, dem_paths=[DemCandidate(tagged, 7.5, "test", declared=True)])
    assert declared.terrain_status.sources[0].vertical_accuracy_m == 7.5


def test_every_camera_has_a_footprint_on_the_terrain(tmp_path: Path, clean_env: dict[str, str]) -> None:
    dem = write_plane_dem(tmp_path / "plane.tif")
    region = load_region(environ={**clean_env, ENV_DEM: str(dem)})
    from geodata.crs import area_m2

    for camera in region.cameras:
        polygon = footprint(camera, region.terrain)
        assert polygon.is_valid and not polygon.is_empty, camera.id
        assert 100.0 < area_m2(polygon) < math.pi * camera.max_range_m**2, camera.id


def test_user_imported_zones_are_layered_over_the_region(tmp_path: Path, clean_env: dict[str, str]) -> None:
    from geodata.userdata import UserData

    authority = {
        "title": "authority export",
        "features": [
            ed269_circle_zone(  # same identifier as a region zone: replaces it
                "BWX-CZ-HEMS-JESENIK",
                "Jeseník hospital heliport (official)",
                JESENIK_HOSPITAL,
                300,
                restriction="REQ_AUTHORISATION",
                reason="EMERGENCY",
                upper_m=100,
                upper_ref="AGL",
            ),
            # a new zone
            ed269_circle_zone("LKR999", "New restricted area", (17.1, 50.3), 1000, upper_m=None),
        ],
    }
    source = tmp_path / "authority.json"
    source.write_text(json.dumps(authority), encoding="utf-8")
    user = UserData.from_env(environ=clean_env)
    user.store_import("jesenik-nysa", source, format_name="ed269", zones_imported=2, zones_rejected=0)
    region = load_region(environ=clean_env)
    assert [layer.origin for layer in region.zone_layers] == [ZoneOrigin.REGION, ZoneOrigin.USER]
    assert region.zone_layers[1].replaced_count == 1
    by_id = {z.identifier: z for z in region.zone_list}
    hospital = by_id["BWX-CZ-HEMS-JESENIK"]
    assert hospital.restriction is Restriction.REQ_AUTHORISATION and not hospital.approximate
    assert "LKR999" in by_id
    hits = region.zones.at_point(17.1, 50.3, 5000.0, VerticalRef.AGL)
    assert "LKR999" in {h.zone.identifier for h in hits}
    # the import is kept per region: another region name does not see it
    assert user.imported_zone_files("other-region") == []
    assert user.remove_import("jesenik-nysa", "authority.json")
    assert "LKR999" not in {z.identifier for z in load_region(environ=clean_env).zone_list}


def test_cache_skips_reparsing_unchanged_files(tmp_path: Path, clean_env: dict[str, str]) -> None:
    dem = write_plane_dem(tmp_path / "plane.tif")
    env = {**clean_env, ENV_DEM: str(dem)}
    cache = RegionCache()
    first = load_region(environ=env, cache=cache)
    second = load_region(environ=env, cache=cache)
    assert second.border is first.border and second.terrain is first.terrain
    assert second.zone_list == first.zone_list
    before = dem.stat().st_mtime_ns
    write_plane_dem(dem, accuracy_m=3.0)  # a changed file is read again
    os.utime(dem, ns=(before + 2_000_000_000, before + 2_000_000_000))  # even on coarse-mtime filesystems
    third = load_region(environ=env, cache=cache)
    assert third.terrain is not first.terrain and third.terrain_status.sources[0].vertical_accuracy_m == 3.0


def test_summary_counts_zones_by_restriction(clean_env: dict[str, str]) -> None:
    summary = summarise(load_region(environ=clean_env))
    assert sum(summary.zones_by_restriction.values()) == summary.zone_count
    assert summary.zones_by_restriction["PROHIBITED"] == 2
    assert summary.countries == {"CZE": "Czechia", "POL": "Poland"}
    assert 200.0 < summary.border_length_km < 320.0  # the CZ-PL line inside the clip box


def test_shared_coarse_dem_smoke(shared_data: Path, clean_env: dict[str, str]) -> None:
    """The real SRTM30_PLUS DEM: recognised as approximate (±130 m) and roughly right in the lowland."""
    dem = shared_data / "dem" / "region_dem_srtm30plus_1500m.tif"
    region = load_region(environ={**clean_env, ENV_DEM: str(dem)})
    assert region.terrain_status.quality is TerrainQuality.APPROXIMATE
    assert region.terrain_status.sources[0].vertical_accuracy_m >= 100
    nysa = region.ground_amsl_m(*NYSA_SQUARE)
    praded = region.ground_amsl_m(*PRADED)
    assert nysa is not None and praded is not None
    assert 150 < nysa < 250 and praded > 1000


def test_a_damaged_import_record_is_reported_with_its_file(clean_env: dict[str, str]) -> None:
    from geodata.userdata import UserData

    folder = UserData.from_env(environ=clean_env).zones_dir("jesenik-nysa")
    folder.mkdir(parents=True)
    (folder / "x.json.import.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.json\.import\.json"):
        load_region(environ=clean_env)


def test_an_import_that_no_longer_parses_is_skipped_with_a_warning(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    from geodata.userdata import UserData

    source = tmp_path / "zones.json"
    source.write_text('{"title": "t", "features": []}', encoding="utf-8")
    stored = UserData.from_env(environ=clean_env).store_import(
        "jesenik-nysa", source, format_name="ed269", zones_imported=0, zones_rejected=0
    )
    stored.path.write_text("{ truncated", encoding="utf-8")  # damaged after the import
    region = load_region(environ=clean_env)
    assert any("zones.json: skipped" in w for w in region.warnings)
    assert [layer.origin for layer in region.zone_layers] == [ZoneOrigin.REGION]
