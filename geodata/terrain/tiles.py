"""Hillshade and slope as XYZ (Web-Mercator, 256 px) PNG tiles for the offline basemap."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from geodata.errors import InputError, Problem
from geodata.terrain.model import Terrain
from geodata.terrain.png import encode_png

TILE_SIZE_PX = 256
_EARTH_RADIUS_M = 6378137.0  # Web-Mercator sphere

SLOPE_COLOUR_STOPS_DEG = (0.0, 5.0, 15.0, 30.0, 45.0)
"""Slope classes a pilot reads for landing sites: flat (green) to steep (red); alpha grows with slope."""
_SLOPE_RGBA = np.array(
    [[40, 160, 40, 0], [120, 200, 40, 90], [240, 210, 40, 150], [240, 120, 30, 190], [200, 20, 20, 220]],
    dtype=np.float64,
)


def check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= 22):
        raise InputError("<tile>", [Problem("z", f"zoom {z} is outside 0..22")])
    limit = 2**z
    problems = [
        Problem(name, f"{value} is outside 0..{limit - 1} at zoom {z}")
        for name, value in (("x", x), ("y", y))
        if not 0 <= value < limit
    ]
    if problems:
        raise InputError("<tile>", problems)


def tile_pixel_lonlat(
    z: int, x: int, y: int, border_px: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lon of each pixel column and lat of each pixel row (centres), with ``border_px`` extra around."""
    world_px = TILE_SIZE_PX * 2**z
    offsets = np.arange(-border_px, TILE_SIZE_PX + border_px, dtype=np.float64) + 0.5
    gx = x * TILE_SIZE_PX + offsets
    gy = y * TILE_SIZE_PX + offsets
    lon = gx / world_px * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * gy / world_px))))
    return lon, lat


def _gradients(
    terrain: Terrain, z: int, x: int, y: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """dz/dEast and dz/dNorth (m/m) per tile pixel by central differences, and where they are known."""
    check_tile(z, x, y)
    lon, lat = tile_pixel_lonlat(z, x, y, border_px=1)
    grid = terrain.sample(lon[np.newaxis, :], lat[:, np.newaxis]).elevation_amsl_m
    pixel_m = 2.0 * math.pi * _EARTH_RADIUS_M / (TILE_SIZE_PX * 2**z) * np.cos(np.radians(lat[1:-1]))
    dz_de = (grid[1:-1, 2:] - grid[1:-1, :-2]) / (2.0 * pixel_m[:, np.newaxis])
    dz_dn = (grid[:-2, 1:-1] - grid[2:, 1:-1]) / (2.0 * pixel_m[:, np.newaxis])
    known = np.isfinite(dz_de) & np.isfinite(dz_dn)
    return np.where(known, dz_de, 0.0), np.where(known, dz_dn, 0.0), known


def hillshade(
    dz_de: NDArray[np.float64],
    dz_dn: NDArray[np.float64],
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
) -> NDArray[np.float64]:
    """Lambertian shading in 0..1 of a surface with the given gradients, lit from azimuth/altitude."""
    az = math.radians(azimuth_deg)
    alt = math.radians(altitude_deg)
    light = (math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt))
    norm = np.sqrt(dz_de**2 + dz_dn**2 + 1.0)
    shade = (-dz_de * light[0] - dz_dn * light[1] + light[2]) / norm
    return np.asarray(np.clip(shade, 0.0, 1.0), dtype=np.float64)


def slope_deg(dz_de: NDArray[np.float64], dz_dn: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(np.degrees(np.arctan(np.hypot(dz_de, dz_dn))), dtype=np.float64)


def hillshade_tile_png(
    terrain: Terrain, z: int, x: int, y: int, *, azimuth_deg: float = 315.0, altitude_deg: float = 45.0
) -> bytes:
    """Grey+alpha PNG; transparent where no terrain source knows the ground."""
    dz_de, dz_dn, known = _gradients(terrain, z, x, y)
    grey = np.round(hillshade(dz_de, dz_dn, azimuth_deg, altitude_deg) * 255.0).astype(np.uint8)
    alpha = np.where(known, 255, 0).astype(np.uint8)
    return encode_png(np.stack([grey, alpha], axis=-1))


def slope_tile_png(terrain: Terrain, z: int, x: int, y: int) -> bytes:
    """RGBA PNG coloured by slope class (SLOPE_COLOUR_STOPS_DEG); transparent where unknown."""
    dz_de, dz_dn, known = _gradients(terrain, z, x, y)
    slope = slope_deg(dz_de, dz_dn)
    channels = [np.interp(slope, SLOPE_COLOUR_STOPS_DEG, _SLOPE_RGBA[:, i]) for i in range(4)]
    rgba = np.stack(channels, axis=-1)
    rgba[~known, 3] = 0.0
    return encode_png(np.round(rgba).astype(np.uint8))
