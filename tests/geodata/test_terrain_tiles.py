"""Hillshade and slope XYZ tiles: decoded by an independent PNG reader (OpenCV) and checked against maths."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from geodata.errors import InputError
from geodata.terrain import DemTerrain, FlatTerrain, hillshade_tile_png, slope_tile_png, write_dem_geotiff
from geodata.terrain.tiles import SLOPE_COLOUR_STOPS_DEG, tile_pixel_lonlat

Z, X, Y = 12, 2245, 1384  # a web-mercator tile near Jesenik


def decode(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None, "not a decodable PNG"
    return image


def tilted_plane(tmp_path: Path, east_slope: float, north_slope: float) -> DemTerrain:
    """A plane rising ``east_slope`` m per m eastwards and ``north_slope`` northwards, covering the tile."""
    west, north, pixel = 17.3, 50.4, 0.0005
    cols, rows = 600, 600
    lon = west + (np.arange(cols) + 0.5) * pixel
    lat = north - (np.arange(rows) + 0.5) * pixel
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(50.3))
    m_per_deg_lat = 111_230.0
    z = 500.0 + east_slope * (lon[np.newaxis, :] - 17.4) * m_per_deg_lon
    z = z + north_slope * (lat[:, np.newaxis] - 50.3) * m_per_deg_lat
    path = write_dem_geotiff(
        tmp_path / "tilted.tif",
        z.astype(np.float32),
        (pixel, 0, west, 0, -pixel, north),
        vertical_accuracy_m=1,
    )
    return DemTerrain.open(path)


def test_tile_is_inside_the_test_plane() -> None:
    lon, lat = tile_pixel_lonlat(Z, X, Y)
    assert 17.3 < lon.min() < lon.max() < 17.6 and 50.1 < lat.min() < lat.max() < 50.4
    assert lat[0] > lat[-1]  # rows go south


def test_hillshade_of_a_plane_matches_lambert(tmp_path: Path) -> None:
    slope = 0.2  # rises to the east: faces west, away from a north-west sun... partly
    terrain = tilted_plane(tmp_path, slope, 0.0)
    image = decode(hillshade_tile_png(terrain, Z, X, Y))
    assert image.shape[:2] == (256, 256)
    grey = image[:, :, 0].astype(float) if image.ndim == 3 else image.astype(float)
    # Normal (-0.2, 0, 1)/|n|; light from azimuth 315, altitude 45.
    light = np.array([math.sin(math.radians(315)), math.cos(math.radians(315)), 1.0]) * math.sqrt(0.5)
    normal = np.array([-slope, 0.0, 1.0]) / math.sqrt(1 + slope**2)
    expected = float(np.dot(normal, light)) * 255
    assert abs(np.median(grey) - expected) <= 2.0
    if image.ndim == 3:
        assert (image[:, :, -1] == 255).all()


def test_slope_tile_classes(tmp_path: Path) -> None:
    gentle = decode(slope_tile_png(tilted_plane(tmp_path, 0.0, math.tan(math.radians(3.0))), Z, X, Y))
    steep = decode(slope_tile_png(tilted_plane(tmp_path, math.tan(math.radians(35.0)), 0.0), Z, X, Y))
    assert gentle.shape == (256, 256, 4) and steep.shape == (256, 256, 4)
    # Alpha grows with slope along the stops: 3 deg -> 54, 35 deg -> 200 (interpolated between stops).
    alpha_stops = [0, 90, 150, 190, 220]
    assert np.median(gentle[:, :, 3]) == pytest.approx(
        np.interp(3.0, SLOPE_COLOUR_STOPS_DEG, alpha_stops), abs=2
    )
    assert np.median(steep[:, :, 3]) == pytest.approx(
        np.interp(35.0, SLOPE_COLOUR_STOPS_DEG, alpha_stops), abs=2
    )
    # OpenCV decodes as BGRA: steep ground is red-dominant.
    assert np.median(steep[:, :, 2]) > np.median(steep[:, :, 1]) > np.median(steep[:, :, 0])


def test_unknown_terrain_is_transparent_and_flat_is_unlit_plain(tmp_path: Path) -> None:
    terrain = tilted_plane(tmp_path, 0.1, 0.1)
    far_away = decode(hillshade_tile_png(terrain, 12, 100, 100))
    assert (far_away[:, :, -1] == 0).all()
    flat = decode(hillshade_tile_png(FlatTerrain(300.0), Z, X, Y))
    assert np.ptp(flat[:, :, 0]) == 0  # flat ground: one uniform shade


def test_tile_coordinates_are_checked() -> None:
    with pytest.raises(InputError, match=r"outside 0\.\.3"):
        hillshade_tile_png(FlatTerrain(0.0), 2, 4, 0)
    with pytest.raises(InputError, match="zoom"):
        slope_tile_png(FlatTerrain(0.0), 30, 0, 0)
