"""The plane a moving camera draws its ground on: fitted to the terrain where the camera looks.

A drone's ground is warped with one homography per frame, which is exact for a plane. A horizontal plane
at the height under the drone is wrong on a hillside (the textured ground and the people standing on the
real terrain drift apart); a plane fitted to the terrain inside the view, tilted with the slope, keeps
them together to within the terrain's curvature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geodata.crs import LocalTangentPlane
from geodata.terrain import Terrain
from sim.camera.geometry import PinholeCamera

FloatArray = NDArray[np.float64]
MAX_SLOPE = 0.7  # a fitted plane steeper than ~35 deg is a bad fit over broken terrain, not a slope
MIN_CLEARANCE_M = 0.5


@dataclass(frozen=True)
class GroundPlane:
    """up = offset_m + slope_e * east + slope_n * north, in ENU metres whose origin is the terrain under
    the camera (the camera itself at (0, 0, camera_height_m))."""

    offset_m: float
    slope_e: float
    slope_n: float

    @property
    def normal(self) -> FloatArray:
        return np.array([-self.slope_e, -self.slope_n, 1.0])

    def height_at(self, east: FloatArray | float, north: FloatArray | float) -> FloatArray | float:
        return self.offset_m + self.slope_e * east + self.slope_n * north


FLAT = GroundPlane(0.0, 0.0, 0.0)


def plane_to_pixel_homography(cam: PinholeCamera, plane: GroundPlane, camera_height_m: float) -> FloatArray:
    """Homography from (east, north) on the plane to pixels (continuous coordinates)."""
    basis = np.array(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [plane.slope_e, plane.slope_n, plane.offset_m - camera_height_m]]
    )
    return np.asarray(cam.intrinsics @ cam.rotation @ basis, dtype=np.float64)


def ray_plane_coefficients(cam: PinholeCamera, plane: GroundPlane) -> FloatArray:
    """(a, b, c) with normal . ray(u, v) = a*u + b*v + c; negative where the ray meets the plane."""
    return np.asarray(plane.normal @ cam.rotation.T @ np.linalg.inv(cam.intrinsics), dtype=np.float64)


def _ground_points(
    cam: PinholeCamera, plane: GroundPlane, camera_height_m: float, max_range_m: float, grid: int
) -> tuple[FloatArray, FloatArray]:
    us = np.linspace(0.0, cam.width, grid)
    vs = np.linspace(0.0, cam.height, grid)
    uu, vv = np.meshgrid(us, vs)
    pix = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)])
    rays = (cam.rotation.T @ np.linalg.inv(cam.intrinsics) @ pix).T
    toward = rays @ plane.normal
    clearance = camera_height_m - plane.offset_m
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -clearance / toward
    dist = t * np.linalg.norm(rays, axis=1)
    ok = (toward < 0) & (dist <= max_range_m)  # rays above the horizon or past max range do not count
    return rays[ok, 0] * t[ok], rays[ok, 1] * t[ok]


def fit_ground_plane(
    cam: PinholeCamera,
    terrain: Terrain,
    lon: float,
    lat: float,
    ground_elevation_amsl_m: float,
    camera_height_m: float,
    max_range_m: float,
    *,
    grid: int = 5,
    iterations: int = 2,
) -> GroundPlane:
    """Least-squares plane through the terrain where a grid of pixels meets it; flat if unknown."""
    plane = FLAT
    ltp = LocalTangentPlane(lon, lat, ground_elevation_amsl_m)
    for _ in range(iterations):
        east, north = _ground_points(cam, plane, camera_height_m, max_range_m, grid)
        east = np.append(east, 0.0)
        north = np.append(north, 0.0)
        plon, plat, _ = ltp.from_enu(east, north, 0.0)
        up = terrain.sample(plon, plat).elevation_amsl_m - ground_elevation_amsl_m
        known = np.isfinite(up)
        if known.sum() < 4 or np.ptp(east[known]) < 1.0 or np.ptp(north[known]) < 1.0:
            return plane
        weights = np.ones(int(known.sum()))
        weights[-1] = 3.0 if known[-1] else 1.0  # the point under the camera matters most for clearance
        design = np.column_stack([np.ones(int(known.sum())), east[known], north[known]]) * weights[:, None]
        coeffs, *_ = np.linalg.lstsq(design, up[known] * weights, rcond=None)
        slope_e = float(np.clip(coeffs[1], -MAX_SLOPE, MAX_SLOPE))
        slope_n = float(np.clip(coeffs[2], -MAX_SLOPE, MAX_SLOPE))
        offset = min(float(coeffs[0]), camera_height_m - MIN_CLEARANCE_M)
        if not all(math.isfinite(v) for v in (offset, slope_e, slope_n)):
            return plane
        plane = GroundPlane(offset, slope_e, slope_n)
    return plane
