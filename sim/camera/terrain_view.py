"""Terrain-exact ground for cameras that do not move (pole cameras): rays cast on the DEM once.

A moving drone camera draws its ground as a plane at the terrain height below it (one homography per
frame). A pole camera looks along the ground, where hills rise into the view and hide what is behind
them, and it never moves: so its ground is computed once, by casting rays from a coarse grid of pixels
onto the terrain with geodata.sensors.cast_rays, interpolating the hit points to every pixel and sampling
the same texture mosaics. The per-pixel distance to the terrain it yields hides objects behind hills.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from geodata.crs import Crs, transform
from geodata.sensors import CameraIntrinsics, cast_rays
from geodata.sensors import CameraPose as SensorPose
from geodata.terrain import Terrain
from sim.camera.geometry import ViewPose
from sim.camera.ground import DetailLevel, Mosaic

ImageU8 = NDArray[np.uint8]
GRID_STEP_U_PX = 16
GRID_STEP_V_PX = 8  # finer vertically: the skyline of hills runs across the image
MARCH_STEPS = 200  # samples along each ray before bisection (geodata refines the crossing)


@dataclass(frozen=True)
class TerrainBackground:
    image: ImageU8
    range_m: NDArray[np.float32]  # distance from the camera to the terrain per pixel; inf for sky


def _grid(size: int, step: int) -> NDArray[np.float64]:
    points = np.arange(0, size + step, step, dtype=np.float64)
    points[-1] = min(points[-1], float(size))
    return points


def _upsample(
    grid: NDArray[np.float32], us: NDArray[np.float64], vs: NDArray[np.float64], w: int, h: int
) -> NDArray[np.float32]:
    """Bilinear from the ray grid to every pixel centre (continuous coordinates x + 0.5)."""
    px = np.arange(w, dtype=np.float64) + 0.5
    py = np.arange(h, dtype=np.float64) + 0.5
    map_x = np.interp(px, us, np.arange(len(us), dtype=np.float64)).astype(np.float32)
    map_y = np.interp(py, vs, np.arange(len(vs), dtype=np.float64)).astype(np.float32)
    mx, my = np.meshgrid(map_x, map_y)
    out = cv2.remap(grid, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.float32)


def cast_terrain_background(
    terrain: Terrain,
    pose: ViewPose,
    width: int,
    height: int,
    max_range_m: float,
    levels_coarse_first: Sequence[DetailLevel],
    mosaic_for: Callable[[DetailLevel], Mosaic],
    *,
    haze_bgr: tuple[int, int, int],
    sky_bgr: tuple[int, int, int],
) -> TerrainBackground | None:
    """The camera's ground on the real terrain, or None when no ray meets known terrain."""
    us = _grid(width, GRID_STEP_U_PX)
    vs = _grid(height, GRID_STEP_V_PX)
    uu, vv = np.meshgrid(us, vs)
    sensor = SensorPose(pose.lon, pose.lat, pose.alt_amsl_m, pose.heading_deg, pose.pitch_deg, pose.roll_deg)
    intrinsics = CameraIntrinsics(width, height, pose.hfov_deg, pose.vfov_deg)
    rays = sensor.rays_enu(intrinsics, uu.ravel(), vv.ravel())
    hits = cast_rays(sensor, rays, terrain, max_range_m, step_m=max(max_range_m / MARCH_STEPS, 1.0))
    if not hits.hit.any():
        return None
    # Rays that miss still need smooth coordinates for interpolation near the skyline: continue them to
    # max range (they are painted as sky afterwards).
    far = rays * max_range_m
    far_lon, far_lat, _ = sensor.plane.from_enu(far[:, 0], far[:, 1], far[:, 2])
    lon = np.where(hits.hit, hits.lon, far_lon)
    lat = np.where(hits.hit, hits.lat, far_lat)
    east, north = transform(lon, lat, Crs.WGS84, Crs.UTM33N)
    origin_e, origin_n = float(np.median(east)), float(np.median(north))
    shape = uu.shape
    grid_e = (east - origin_e).reshape(shape).astype(np.float32)
    grid_n = (north - origin_n).reshape(shape).astype(np.float32)
    grid_hit = hits.hit.reshape(shape).astype(np.float32)
    grid_range = np.where(hits.hit, hits.range_m, 1e9).reshape(shape).astype(np.float32)

    pix_e = _upsample(grid_e, us, vs, width, height)
    pix_n = _upsample(grid_n, us, vs, width, height)
    ground = _upsample(grid_hit, us, vs, width, height) >= 0.5
    range_m = np.where(ground, _upsample(grid_range, us, vs, width, height), np.inf).astype(np.float32)

    image = np.empty((height, width, 3), dtype=np.uint8)
    cv2.rectangle(image, (0, 0), (width, height), haze_bgr, -1)
    for level in levels_coarse_first:
        mosaic = mosaic_for(level)
        res = level.res_m
        map_x = ((pix_e + (origin_e - mosaic.west_e)) / res - 0.5).astype(np.float32)
        map_y = (((mosaic.north_n - origin_n) - pix_n) / res - 0.5).astype(np.float32)
        cv2.remap(mosaic.image, map_x, map_y, cv2.INTER_LINEAR, dst=image, borderMode=cv2.BORDER_TRANSPARENT)
    image[~ground] = sky_bgr
    if math.isfinite(float(range_m[ground].max(initial=0.0))):
        return TerrainBackground(image=image, range_m=range_m)
    return None
