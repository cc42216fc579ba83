"""Terrain from DEM files: exact behaviour on analytic rasters the tests write, smoke test on the real DEM."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from geodata.crs import Crs, distance_m, transform
from geodata.errors import FileTooLargeError, InputError, OutsideCoverageError
from geodata.terrain import (
    DemTerrain,
    FlatTerrain,
    TerrainQuality,
    TerrainStack,
    agl_to_amsl,
    amsl_to_agl,
    open_dem_files,
    write_dem_geotiff,
)

# A plane in lon/lat: z = 200 + 1000 * (lon - 17) + 500 * (lat - 50), on 0.001 deg pixels.
PIXEL_DEG = 0.001
WEST, NORTH = 17.0, 50.2
COLS, ROWS = 200, 150


def plane_z(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return 200.0 + 1000.0 * (lon - 17.0) + 500.0 * (lat - 50.0)


def pixel_centres() -> tuple[np.ndarray, np.ndarray]:
    lon = WEST + (np.arange(COLS) + 0.5) * PIXEL_DEG
    lat = NORTH - (np.arange(ROWS) + 0.5) * PIXEL_DEG
    return np.meshgrid(lon, lat)


@pytest.fixture
def plane_tif(tmp_path: Path) -> Path:
    lon, lat = pixel_centres()
    return write_dem_geotiff(
        tmp_path / "plane.tif",
        plane_z(lon, lat).astype(np.float32),
        (PIXEL_DEG, 0.0, WEST, 0.0, -PIXEL_DEG, NORTH),
        vertical_accuracy_m=2.0,
    )


def test_bilinear_is_exact_on_a_plane(plane_tif: Path) -> None:
    terrain = DemTerrain.open(plane_tif)
    rng = np.random.default_rng(7)
    # Inside the outermost pixel centres bilinear reproduces a plane exactly (up to float32 storage).
    lon = rng.uniform(WEST + PIXEL_DEG / 2, WEST + (COLS - 0.5) * PIXEL_DEG, 5000)
    lat = rng.uniform(NORTH - (ROWS - 0.5) * PIXEL_DEG, NORTH - PIXEL_DEG / 2, 5000)
    got = terrain.elevation_amsl_m(lon, lat)
    np.testing.assert_allclose(got, plane_z(lon, lat), atol=1e-3)
    assert got.shape == (5000,)
    # Scalars and 2-D shapes keep their shape.
    assert terrain.elevation_amsl_m(17.05, 50.1).shape == ()
    assert terrain.elevation_amsl_m(lon.reshape(50, 100), lat.reshape(50, 100)).shape == (50, 100)


def test_edge_half_pixel_holds_value_and_outside_is_an_error(plane_tif: Path) -> None:
    terrain = DemTerrain.open(plane_tif)
    # Between the raster edge and the first pixel centre the edge pixel value holds.
    edge = terrain.elevation_amsl_m(WEST + 0.0001, 50.1)
    first_centre = terrain.elevation_amsl_m(WEST + PIXEL_DEG / 2, 50.1)
    assert edge == pytest.approx(first_centre, abs=1e-4)
    outside_lon = [17.1, WEST - 0.0001, 17.1]
    outside_lat = [50.1, 50.1, NORTH + 0.5]
    sample = terrain.sample(outside_lon, outside_lat)
    assert not math.isnan(sample.elevation_amsl_m[0])
    assert np.isnan(sample.elevation_amsl_m[1:]).all()
    assert list(sample.quality) == [TerrainQuality.PRECISE, TerrainQuality.UNKNOWN, TerrainQuality.UNKNOWN]
    assert sample.worst_quality is TerrainQuality.UNKNOWN
    with pytest.raises(OutsideCoverageError, match=r"lon 16\.999900, lat 50\.100000.*point #1"):
        terrain.elevation_amsl_m(outside_lon, outside_lat)
    assert not terrain.covers(float("nan"), 50.1)


def test_nodata_is_unknown_never_zero(tmp_path: Path) -> None:
    values = np.full((10, 10), 300, dtype=np.int16)
    values[4:6, 4:6] = -9999
    path = write_dem_geotiff(
        tmp_path / "holes.tif", values, (0.01, 0, 17.0, 0, -0.01, 50.1), nodata=-9999, vertical_accuracy_m=3
    )
    terrain = DemTerrain.open(path)
    hole_lon, hole_lat = 17.05, 50.05  # the corner shared by the four nodata pixels
    assert np.isnan(terrain.sample(hole_lon, hole_lat).elevation_amsl_m)
    with pytest.raises(OutsideCoverageError):
        terrain.elevation_amsl_m(hole_lon, hole_lat)
    # Nearest pixel valid but a nodata neighbour: interpolated over the valid corners only.
    near = terrain.elevation_amsl_m(17.0385, 50.05)
    assert near == pytest.approx(300.0)
    assert terrain.covers([17.0385, 17.05], [50.05, 50.05]).tolist() == [True, False]


def test_projected_dem_with_a_ridge(tmp_path: Path) -> None:
    """A DEM in UTM 33N: query points are reprojected; the ridge crest is where the maths puts it."""
    x0, y0 = 640_000.0, 5_570_000.0  # lower-left corner in UTM 33N, near Jesenik
    size, pixel = 400, 10.0
    xs = x0 + (np.arange(size) + 0.5) * pixel
    crest_x = x0 + 2000.0
    ridge_row = 900.0 - 0.3 * np.abs(xs - crest_x)  # 0.3 m per m down both flanks
    values = np.tile(ridge_row, (size, 1)).astype(np.float32)
    path = write_dem_geotiff(
        tmp_path / "ridge_utm.tif",
        values,
        (pixel, 0, x0, 0, -pixel, y0 + size * pixel),
        crs=int(Crs.UTM33N),
        vertical_accuracy_m=1.0,
    )
    terrain = DemTerrain.open(path)
    lon, lat = transform(
        [crest_x, crest_x - 500.0, crest_x + 1234.0], [y0 + 2000.0] * 3, Crs.UTM33N, Crs.WGS84
    )
    got = terrain.elevation_amsl_m(lon, lat)
    # The crest sits between two pixel centres; bilinear cuts the tip by 0.3 * 5 m.
    np.testing.assert_allclose(got, [900.0 - 1.5, 900.0 - 150.0, 900.0 - 0.3 * 1234.0], atol=0.01)


def test_cliff_profile_at_spacing(tmp_path: Path) -> None:
    values = np.full((20, 200), 200.0, dtype=np.float32)
    values[:, 100:] = 300.0  # a 100 m cliff at lon 17.1
    path = write_dem_geotiff(
        tmp_path / "cliff.tif", values, (0.001, 0, 17.0, 0, -0.001, 50.02), vertical_accuracy_m=4
    )
    terrain = DemTerrain.open(path)
    profile = terrain.profile([17.01, 17.19, 17.19], [50.01, 50.01, 50.015], spacing_m=25.0)
    step = distance_m(profile.lon[:-1], profile.lat[:-1], profile.lon[1:], profile.lat[1:])
    assert step.max() <= 25.0 + 1e-6
    assert profile.vertex_index.tolist()[0] == 0 and profile.vertex_index[-1] == profile.lon.size - 1
    assert profile.lon[profile.vertex_index[1]] == 17.19 and profile.lat[profile.vertex_index[1]] == 50.01
    assert profile.distance_m[-1] == pytest.approx(
        float(distance_m(17.01, 50.01, 17.19, 50.01) + distance_m(17.19, 50.01, 17.19, 50.015))
    )
    assert np.all(np.diff(profile.distance_m) > 0)
    west = profile.elevation_amsl_m[profile.lon < 17.0995]
    east = profile.elevation_amsl_m[profile.lon > 17.1005]
    assert np.allclose(west, 200.0) and np.allclose(east, 300.0)
    assert profile.max_elevation_amsl_m == 300.0
    assert profile.worst_quality is TerrainQuality.PRECISE
    with pytest.raises(InputError, match="spacing_m"):
        terrain.profile([17.01, 17.02], [50.01, 50.01], spacing_m=0)
    with pytest.raises(InputError, match=r"path\[1\]"):
        terrain.profile([17.01, float("nan")], [50.01, 50.01], spacing_m=10)


def test_known_products_declare_their_accuracy(tmp_path: Path, plane_tif: Path) -> None:
    values = np.full((4, 4), 250.0, dtype=np.float32)
    affine = (0.25, 0, 17.0, 0, -0.25, 51.0)
    cop_dir = tmp_path / "Copernicus_DSM_COG_10_N50_00_E017_00_DEM"
    cop_dir.mkdir()
    cop = write_dem_geotiff(cop_dir / "Copernicus_DSM_COG_10_N50_00_E017_00_DEM.tif", values, affine)
    copernicus = DemTerrain.open(cop)
    assert copernicus.vertical_accuracy_m == 4.0 and copernicus.quality is TerrainQuality.PRECISE
    assert "Copernicus DEM GLO-30" in copernicus.name
    unknown = write_dem_geotiff(tmp_path / "someone.tif", values, affine)
    with pytest.raises(InputError, match="vertical_accuracy_m"):
        DemTerrain.open(unknown)
    declared = DemTerrain.open(unknown, vertical_accuracy_m=25.0, name="county lidar")
    assert declared.quality is TerrainQuality.APPROXIMATE and declared.name == "county lidar"
    assert DemTerrain.open(plane_tif).vertical_accuracy_m == 2.0  # from the tag
    assert DemTerrain.open(plane_tif, vertical_accuracy_m=7.0).vertical_accuracy_m == 7.0


def test_srtm_hgt_with_voids(tmp_path: Path) -> None:
    size = 1201  # SRTM3: 3 arc-second, pixel centres on whole seconds, 1 deg + 1 row/col
    rows = np.arange(size)[:, np.newaxis]
    cols = np.arange(size)[np.newaxis, :]
    values = (400 + rows // 10 + cols // 20).astype(">i2")
    values[600, 600] = -32768  # SRTM void
    path = tmp_path / "N50E017.hgt"
    path.write_bytes(values.tobytes())
    terrain = DemTerrain.open(path)
    assert terrain.vertical_accuracy_m == 16.0 and terrain.quality is TerrainQuality.APPROXIMATE
    # Pixel (row 120, col 240) is centred on lon 17 + 240*3", lat 51 - 120*3".
    lon, lat = 17.0 + 240 * 3 / 3600, 51.0 - 120 * 3 / 3600
    assert terrain.elevation_amsl_m(lon, lat) == pytest.approx(400 + 12 + 12)
    assert np.isnan(terrain.sample(17.5, 50.5).elevation_amsl_m)
    zipped = tmp_path / "N50E017.hgt.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "N50E017.hgt")
    from_zip = DemTerrain.open(zipped)
    assert from_zip.vertical_accuracy_m == 16.0
    assert from_zip.elevation_amsl_m(lon, lat) == pytest.approx(400 + 12 + 12)
    assert from_zip.resolution_m == pytest.approx(3 / 3600 * 111_320 * math.cos(math.radians(50.5)), rel=1e-3)


def test_cloud_optimised_geotiff(tmp_path: Path) -> None:
    lon, lat = pixel_centres()
    path = write_dem_geotiff(
        tmp_path / "plane_cog.tif",
        plane_z(lon, lat).astype(np.float32),
        (PIXEL_DEG, 0.0, WEST, 0.0, -PIXEL_DEG, NORTH),
        vertical_accuracy_m=1.0,
        cloud_optimised=True,
    )
    import rasterio

    with rasterio.open(path) as dataset:
        assert dataset.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert DemTerrain.open(path).elevation_amsl_m(17.1, 50.1) == pytest.approx(plane_z(17.1, 50.1), abs=1e-3)


def test_stack_layers_best_over_coarse(tmp_path: Path, plane_tif: Path) -> None:
    coarse_path = write_dem_geotiff(
        tmp_path / "coarse.tif",
        np.full((2, 2), 999.0, dtype=np.float32),
        (0.5, 0, 16.5, 0, -0.5, 51.0),
        vertical_accuracy_m=130.0,
    )
    stack = TerrainStack([DemTerrain.open(plane_tif), DemTerrain.open(coarse_path)])
    sample = stack.sample([17.1, 16.7, 20.0], [50.1, 50.8, 50.0])
    assert sample.elevation_amsl_m[0] == pytest.approx(plane_z(17.1, 50.1), abs=1e-3)
    assert sample.elevation_amsl_m[1] == 999.0
    assert np.isnan(sample.elevation_amsl_m[2])
    assert sample.accuracy_m[:2].tolist() == [2.0, 130.0]
    assert [q.value for q in sample.quality] == ["precise", "approximate", "unknown"]
    assert stack.sample([17.1, 16.7], [50.1, 50.8]).worst_quality is TerrainQuality.APPROXIMATE
    assert stack.sample([17.1], [50.1]).worst_quality is TerrainQuality.PRECISE
    assert stack.vertical_accuracy_m == 130.0
    with_flat = TerrainStack([DemTerrain.open(plane_tif), FlatTerrain(450.0)])
    fallback = with_flat.sample([17.1, 20.0], [50.1, 50.0])
    assert fallback.elevation_amsl_m[1] == 450.0 and fallback.quality[1] is TerrainQuality.UNKNOWN
    both = open_dem_files([plane_tif, coarse_path])
    assert both.sample(16.7, 50.8).elevation_amsl_m == 999.0


def test_flat_terrain_answers_but_is_unknown() -> None:
    flat = FlatTerrain(312.5)
    sample = flat.sample([17.0, 17.5], [50.0, 50.5])
    assert sample.elevation_amsl_m.tolist() == [312.5, 312.5]
    assert sample.worst_quality is TerrainQuality.UNKNOWN
    assert flat.elevation_amsl_m(17.2, 50.2) == 312.5
    assert "no DEM" in flat.name
    with pytest.raises(ValueError):
        FlatTerrain(float("nan"))


def test_agl_amsl_round_trip(plane_tif: Path) -> None:
    terrain = DemTerrain.open(plane_tif)
    lon, lat = np.array([17.05, 17.15]), np.array([50.1, 50.15])
    amsl = agl_to_amsl(terrain, lon, lat, 120.0)
    np.testing.assert_allclose(amsl, plane_z(lon, lat) + 120.0, atol=1e-3)
    np.testing.assert_allclose(amsl_to_agl(terrain, lon, lat, amsl), [120.0, 120.0], atol=1e-9)
    with pytest.raises(OutsideCoverageError):
        agl_to_amsl(terrain, 18.5, 50.1, 120.0)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_bad_files_give_clear_errors(tmp_path: Path, plane_tif: Path) -> None:
    text = tmp_path / "not_a_dem.tif"
    text.write_text("this is not a raster\n")
    with pytest.raises(InputError, match="not a readable DEM raster"):
        DemTerrain.open(text)
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(plane_tif.read_bytes()[:300])
    with pytest.raises(InputError) as caught:
        DemTerrain.open(truncated, vertical_accuracy_m=1)
    assert "truncated.tif" in str(caught.value)
    with pytest.raises(InputError, match="not found"):
        DemTerrain.open(tmp_path / "missing.tif")
    with pytest.raises(FileTooLargeError, match="over the limit"):
        DemTerrain.open(plane_tif, max_input_bytes=100)
    with pytest.raises(InputError, match="pixels is over the limit"):
        DemTerrain.open(plane_tif, max_pixels=1000)
    import rasterio

    no_crs = tmp_path / "no_crs.tif"
    with rasterio.open(no_crs, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32") as dataset:
        dataset.write(np.ones((2, 2), dtype=np.float32), 1)
    with pytest.raises(InputError, match="declares no CRS"):
        DemTerrain.open(no_crs, vertical_accuracy_m=1)


def test_real_coarse_dem_smoke(shared_data: Path) -> None:
    """SRTM30_PLUS 1.5 km: broad relief only (README spot checks), declared approximate +-130 m."""
    terrain = DemTerrain.open(shared_data / "dem" / "region_dem_srtm30plus_1500m.tif")
    assert terrain.vertical_accuracy_m == 130.0
    nysa, jesenik = terrain.elevation_amsl_m([17.33, 17.205], [50.47, 50.229])
    assert nysa == pytest.approx(189, abs=15)
    assert jesenik == pytest.approx(435, abs=30)
    sample = terrain.sample([17.33, 15.0], [50.47, 50.0])
    assert [q.value for q in sample.quality] == ["approximate", "unknown"]
    assert sample.worst_accuracy_m == 130.0
