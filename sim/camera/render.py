"""Renders one camera frame: textured, terrain-shaded ground, sky, and the people and cars in view.

The ground is approximated by a plane at the terrain elevation under the camera, which is exact on flat
ground and good near the camera elsewhere; the terrain still shows through the hillshade in the texture.
Objects stand at their own terrain elevation. Each frame costs one cv2.warpPerspective per level of detail
that is in view (one for a drone looking down from 120 m) plus the objects; a camera whose pose has not
changed (a pole camera) reuses its ground and only redraws the objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from geodata.crs import Crs, LocalTangentPlane, transform
from geodata.terrain import Terrain
from sim.camera.geometry import PinholeCamera, ViewPose
from sim.camera.ground import DEFAULT_LEVELS, DetailLevel, Mosaic, MosaicSet, shared_tile_cache
from sim.camera.ground_plane import fit_ground_plane, plane_to_pixel_homography, ray_plane_coefficients
from sim.camera.metadata import GroundTruthBox
from sim.camera.objects import PlacedObject, draw_objects
from sim.camera.sprites import SpriteBank
from sim.camera.terrain_view import cast_terrain_background
from sim.scene import GroundObject

ImageU8 = NDArray[np.uint8]
FloatArray = NDArray[np.float64]

HAZE_BGR = (200, 190, 180)
SKY_BGR = (225, 200, 170)
MIN_HEIGHT_ABOVE_GROUND_M = 0.5


@dataclass(frozen=True)
class RenderedFrame:
    """A BGR frame, the ground truth of what is in it, and the ground plane it was drawn on."""

    image: ImageU8
    truth: list[GroundTruthBox]
    ground_elevation_amsl_m: float
    terrain_known: bool


def _clip_halfplane_to_rect(coeffs: FloatArray, width: int, height: int) -> NDArray[np.int32] | None:
    """Polygon of the image rectangle where a*u + b*v + c > 0 (Sutherland-Hodgman on one edge)."""
    rect = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    a, b, c = coeffs

    def value(p: tuple[float, float]) -> float:
        return float(a * p[0] + b * p[1] + c)

    out: list[tuple[float, float]] = []
    for i, cur in enumerate(rect):
        nxt = rect[(i + 1) % 4]
        vc, vn = value(cur), value(nxt)
        if vc > 0:
            out.append(cur)
        if (vc > 0) != (vn > 0):
            t = vc / (vc - vn)
            out.append((cur[0] + t * (nxt[0] - cur[0]), cur[1] + t * (nxt[1] - cur[1])))
    if len(out) < 3:
        return None
    return np.round(np.array(out)).astype(np.int32)


class CameraRenderer:
    """Renders frames of one camera; not thread-safe (one renderer per stream)."""

    def __init__(
        self,
        terrain: Terrain,
        width: int,
        height: int,
        *,
        seed: int = 0,
        max_range_m: float = 4000.0,
        levels: tuple[DetailLevel, ...] = DEFAULT_LEVELS,
        sprites: SpriteBank | None = None,
    ) -> None:
        """``sprites``: draw people and cars as real pictures (``sprites.py``) instead of shapes."""
        self.terrain = terrain
        self.width = width
        self.height = height
        self.max_range_m = max_range_m
        self.sprites = sprites
        self._levels_fine_first = tuple(sorted(levels, key=lambda lv: lv.res_m))
        self._mosaics = MosaicSet(shared_tile_cache(terrain, seed), levels)
        self._coverage = CoverageGrid(width, height)
        self._last_ground_elevation = 0.0
        self._background_pose: ViewPose | None = None
        self._background: ImageU8 | None = None
        self._background_elevation = (0.0, False)
        self._background_range: NDArray[np.float32] | None = None

    def ground_elevation(self, lon: float, lat: float) -> tuple[float, bool]:
        """Terrain under the camera; outside the DEM the last known elevation (and a flag saying so)."""
        value = float(self.terrain.sample(np.array([lon]), np.array([lat])).elevation_amsl_m[0])
        if math.isnan(value):
            return self._last_ground_elevation, False
        self._last_ground_elevation = value
        return value, True

    def prepare_static_view(self, pose: ViewPose) -> bool:
        """For a camera that will not move: cast its ground onto the real terrain once (slow, ~1 s).

        Later ``render`` calls with this same pose reuse it, and hide objects behind hills. Returns False
        (and the plane approximation stays in use) when no ray meets known terrain.
        """
        ground_elev, known = self.ground_elevation(pose.lon, pose.lat)
        cam = PinholeCamera.for_pose(pose, self.width, self.height)
        _, _, mosaic_for = self._view_geometry(cam, pose, ground_elev)
        background = cast_terrain_background(
            self.terrain,
            pose,
            self.width,
            self.height,
            self.max_range_m,
            tuple(reversed(self._levels_fine_first)),
            mosaic_for,
            haze_bgr=HAZE_BGR,
            sky_bgr=SKY_BGR,
        )
        if background is None:
            return False
        self._background_pose = pose
        self._background = background.image
        self._background_range = background.range_m
        self._background_elevation = (ground_elev, known)
        return True

    def render(self, pose: ViewPose, objects: Sequence[GroundObject]) -> RenderedFrame:
        cam = PinholeCamera.for_pose(pose, self.width, self.height)
        if pose == self._background_pose and self._background is not None:
            frame = self._background.copy()
            ground_elev, known = self._background_elevation
        else:
            self._background_range = None
            ground_elev, known = self.ground_elevation(pose.lon, pose.lat)
            frame = np.empty((self.height, self.width, 3), dtype=np.uint8)
            self._draw_ground(frame, cam, pose, ground_elev)
            self._background_pose = pose
            self._background = frame.copy()
            self._background_elevation = (ground_elev, known)
        placed = self._place_objects(pose, objects, ground_elev)
        truth = draw_objects(frame, cam, placed, self._background_range, self.sprites)
        return RenderedFrame(
            image=frame, truth=truth, ground_elevation_amsl_m=ground_elev, terrain_known=known
        )

    def _place_objects(
        self, pose: ViewPose, objects: Sequence[GroundObject], ground_elev: float
    ) -> list[PlacedObject]:
        if not objects:
            return []
        lons = np.array([o.lon for o in objects])
        lats = np.array([o.lat for o in objects])
        elev = self.terrain.sample(lons, lats).elevation_amsl_m
        elev = np.where(np.isnan(elev), ground_elev, elev)
        ltp = LocalTangentPlane(pose.lon, pose.lat, pose.alt_amsl_m)
        east, north, up = ltp.to_enu(lons, lats, elev)
        return [
            PlacedObject(obj=o, east_m=float(e), north_m=float(n), up_m=float(u))
            for o, e, n, u in zip(objects, east, north, up, strict=True)
        ]

    def _view_geometry(
        self, cam: PinholeCamera, pose: ViewPose, ground_elev: float
    ) -> tuple[FloatArray, FloatArray, Callable[[DetailLevel], Mosaic]]:
        """Pixel -> UTM on the ground plane, the sky half-plane, and the mosaic of each level to use."""
        height = max(pose.alt_amsl_m - ground_elev, MIN_HEIGHT_ABOVE_GROUND_M)
        plane = fit_ground_plane(cam, self.terrain, pose.lon, pose.lat, ground_elev, height, self.max_range_m)
        clearance = height - plane.offset_m
        pixel_to_ground = np.linalg.inv(plane_to_pixel_homography(cam, plane, height))
        ground_to_utm = _enu_to_utm_affine(pose.lon, pose.lat, ground_elev)
        pixel_to_utm = ground_to_utm @ pixel_to_ground
        toward = ray_plane_coefficients(cam, plane)
        # Beyond max range (and above the horizon) the plane homography mirrors the ground: sky there.
        far_limit = np.array([toward[0], toward[1], toward[2] + clearance / self.max_range_m])
        (nadir_e, nadir_n), ahead_m, (dir_e, dir_n) = self._focus(cam, clearance, ground_to_utm)

        def mosaic_for(level: DetailLevel) -> Mosaic:
            # Centre each level where the view looks, but keep the camera's nadir inside its mosaic.
            reach = min(ahead_m, 0.3 * level.mosaic_m)
            return self._mosaics.mosaic(level, nadir_e + reach * dir_e, nadir_n + reach * dir_n)

        return pixel_to_utm, far_limit, mosaic_for

    def _draw_ground(self, frame: ImageU8, cam: PinholeCamera, pose: ViewPose, ground_elev: float) -> None:
        cv2.rectangle(frame, (0, 0), (self.width, self.height), HAZE_BGR, -1)
        pixel_to_utm, far_limit, mosaic_for = self._view_geometry(cam, pose, ground_elev)
        plan = self._coverage.plan(self._levels_fine_first, mosaic_for, pixel_to_utm, far_limit)
        for mosaic, roi in reversed(plan):
            _warp(frame, mosaic.image, mosaic.utm_to_texel() @ pixel_to_utm, roi)
        sky = _clip_halfplane_to_rect(far_limit, self.width, self.height)
        if sky is not None:
            cv2.fillConvexPoly(frame, sky, SKY_BGR)

    def _focus(
        self, cam: PinholeCamera, height: float, ground_to_utm: FloatArray
    ) -> tuple[tuple[float, float], float, tuple[float, float]]:
        """Nadir in UTM, how far ahead the view centre hits the ground, and the horizontal look direction."""
        forward = cam.rotation[2]
        horizontal = math.hypot(forward[0], forward[1])
        ahead = math.inf if forward[2] >= -1e-9 else height * horizontal / -forward[2]
        nadir = ground_to_utm @ np.array([0.0, 0.0, 1.0])
        if horizontal < 1e-9:
            direction = (0.0, 0.0)
        else:
            d = ground_to_utm[:2, :2] @ np.array([forward[0], forward[1]]) / horizontal
            direction = (float(d[0]), float(d[1]))
        return (float(nadir[0]), float(nadir[1])), ahead, direction


def _warp(
    frame: ImageU8, source: ImageU8, pixel_to_texel: FloatArray, roi: tuple[int, int, int, int]
) -> None:
    x0, y0, x1, y1 = roi
    # Pixel (x, y) covers [x, x+1): its centre is at continuous x + 0.5 (geodata's convention).
    shift = np.array([[1.0, 0.0, x0 + 0.5], [0.0, 1.0, y0 + 0.5], [0.0, 0.0, 1.0]])
    cv2.warpPerspective(
        source,
        pixel_to_texel @ shift,
        (x1 - x0, y1 - y0),
        dst=frame[y0:y1, x0:x1],
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_TRANSPARENT,
    )


class CoverageGrid:
    """Which image region each level of detail must be warped into, from a coarse grid of sample pixels.

    Warping costs per destination pixel, so a coarse level is only warped over the bounding box of the
    cells that finer levels do not fully cover (in an oblique view: a band near the horizon).
    """

    def __init__(self, width: int, height: int, cells_x: int = 32, cells_y: int = 18) -> None:
        self.width = width
        self.height = height
        self.xs = np.linspace(0.0, width, cells_x + 1)
        self.ys = np.linspace(0.0, height, cells_y + 1)
        uu, vv = np.meshgrid(self.xs, self.ys)
        self.points = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)])
        self.shape = uu.shape

    def plan(
        self,
        levels_fine_first: Sequence[DetailLevel],
        mosaic_for: Callable[[DetailLevel], Mosaic],
        pixel_to_utm: FloatArray,
        far_limit: FloatArray,
    ) -> list[tuple[Mosaic, tuple[int, int, int, int]]]:
        """(mosaic, (x0, y0, x1, y1)) to draw, finest first; coarser ones go underneath.

        Mosaics are fetched lazily: a level is only built (its tiles rendered) when the view needs it.
        """
        valid = (far_limit @ self.points < 0).reshape(self.shape)
        utm = pixel_to_utm @ self.points
        with np.errstate(divide="ignore", invalid="ignore"):
            east = (utm[0] / utm[2]).reshape(self.shape)
            north = (utm[1] / utm[2]).reshape(self.shape)
        done = np.zeros((self.shape[0] - 1, self.shape[1] - 1), dtype=bool)
        any_valid = _cell_any(valid)
        plans = []
        for i, level in enumerate(levels_fine_first):
            mosaic = mosaic_for(level)
            inside = valid & mosaic.contains_points(east, north)
            coarsest = i == len(levels_fine_first) - 1
            todo = ~done & (any_valid if coarsest else _cell_any(inside))
            if todo.any():
                rows, cols = np.nonzero(todo)
                x0 = int(self.xs[cols.min()])
                x1 = math.ceil(self.xs[cols.max() + 1])
                y0 = int(self.ys[rows.min()])
                y1 = math.ceil(self.ys[rows.max() + 1])
                plans.append((mosaic, (x0, y0, min(x1, self.width), min(y1, self.height))))
            done |= _cell_all(inside)
            if done.all() or not (~done & any_valid).any():
                break
        return plans


def _cell_any(corners: NDArray[np.bool_]) -> NDArray[np.bool_]:
    return corners[:-1, :-1] | corners[1:, :-1] | corners[:-1, 1:] | corners[1:, 1:]


def _cell_all(corners: NDArray[np.bool_]) -> NDArray[np.bool_]:
    return corners[:-1, :-1] & corners[1:, :-1] & corners[:-1, 1:] & corners[1:, 1:]


def _enu_to_utm_affine(lon: float, lat: float, alt_m: float) -> FloatArray:
    """3x3 affine from local ENU metres (origin at lon/lat) to UTM 33N, fitted on a 200 m triangle."""
    ltp = LocalTangentPlane(lon, lat, alt_m)
    lons, lats, _ = ltp.from_enu(np.array([0.0, 100.0, 0.0]), np.array([0.0, 0.0, 100.0]), 0.0)
    e, n = transform(lons, lats, Crs.WGS84, Crs.UTM33N)
    return np.array(
        [
            [(e[1] - e[0]) / 100.0, (e[2] - e[0]) / 100.0, e[0]],
            [(n[1] - n[0]) / 100.0, (n[2] - n[0]) / 100.0, n[0]],
            [0.0, 0.0, 1.0],
        ]
    )
