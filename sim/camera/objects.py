"""People and cars in a frame: projected at their true size, drawn with recognisable shapes, boxed.

Boxes come from projecting the object's true 3-D extent (sim.scene sizes) with the same camera model the
renderer uses, so the ground truth is what a perfect detector would report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from sim.camera.geometry import PinholeCamera
from sim.camera.metadata import GroundTruthBox
from sim.camera.sprites import SpriteBank, paste
from sim.scene import OBJECT_SIZES, GroundObject, GroundObjectKind, ObjectSize

FloatArray = NDArray[np.float64]
_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_SCALE = 1 << _SHIFT

_CLOTHES = [(40, 40, 180), (160, 70, 30), (30, 30, 30), (40, 160, 220), (120, 120, 120), (200, 200, 60)]
_CAR_PAINT = [(40, 40, 200), (230, 230, 230), (30, 30, 30), (170, 110, 30), (160, 160, 165), (40, 120, 60)]
_SKIN = (120, 160, 215)
_GLASS = (70, 55, 45)


@dataclass(frozen=True)
class PlacedObject:
    """An object with its position in the camera's local ENU frame (metres from the camera)."""

    obj: GroundObject
    east_m: float
    north_m: float
    up_m: float


@dataclass(frozen=True)
class _Part:
    """An oriented box of an object: heights, length/width fractions, offset forward, which faces to fill."""

    z0: float
    z1: float
    length_frac: float
    width_frac: float
    forward_frac: float = 0.0
    top_only: bool = False


def _local_corners(size: ObjectSize, part: _Part) -> FloatArray:
    """(8, 3) corners in the object's frame: (forward, right, up) metres; bottom four first."""
    length = size.length_m * part.length_frac
    width = size.width_m * part.width_frac
    fwd0 = size.length_m * part.forward_frac
    return np.array(
        [
            [fwd0 + a * length, b * width, size.height_m * z]
            for z in (part.z0, part.z1)
            for a in (-0.5, 0.5)
            for b in (-0.5, 0.5)
        ]
    )


# Drawn in order. A person: body then head (drawn as a disc). A car: dark sides, bonnet/boot top, glass
# cabin, roof: from above a rectangle with windows around the roof, from the side a car silhouette.
_PERSON_PARTS = (_Part(0.0, 0.82, 0.6, 0.9),)
_CAR_PARTS = (
    _Part(0.17, 0.6, 1.0, 1.0),
    _Part(0.6, 0.6, 1.0, 1.0, top_only=True),
    _Part(0.6, 1.0, 0.55, 0.88, forward_frac=-0.05),
    _Part(1.0, 1.0, 0.38, 0.74, forward_frac=-0.08, top_only=True),
)
_EXTENT = _Part(0.0, 1.0, 1.0, 1.0)
_HEAD_RADIUS_M = 0.12
_TEMPLATES = {
    GroundObjectKind.PERSON: np.vstack(
        [
            *(_local_corners(OBJECT_SIZES[GroundObjectKind.PERSON], p) for p in (_EXTENT, *_PERSON_PARTS)),
            [[0.0, 0.0, OBJECT_SIZES[GroundObjectKind.PERSON].height_m - _HEAD_RADIUS_M]],  # head centre
        ]
    ),
    GroundObjectKind.CAR: np.vstack(
        [_local_corners(OBJECT_SIZES[GroundObjectKind.CAR], p) for p in (_EXTENT, *_CAR_PARTS)]
    ),
}


def object_corners(placed: Sequence[PlacedObject]) -> FloatArray:
    """(N, R, 3) ENU points (metres from the camera) of same-kind objects: the full extent (first 8),
    then every drawn part's 8 (and a person's head centre last)."""
    template = _TEMPLATES[placed[0].obj.kind]
    h = np.radians([p.obj.heading_deg for p in placed])
    s, c = np.sin(h), np.cos(h)
    basis = np.zeros((len(placed), 3, 3))
    basis[:, 0, 0], basis[:, 0, 1] = s, c  # forward (east, north)
    basis[:, 1, 0], basis[:, 1, 1] = c, -s  # right
    basis[:, 2, 2] = 1.0
    base = np.array([[p.east_m, p.north_m, p.up_m] for p in placed])
    return np.asarray(np.einsum("rj,njk->nrk", template, basis) + base[:, None, :], dtype=np.float64)


def _fill(frame: NDArray[np.uint8], pixels: FloatArray, colour: tuple[int, int, int]) -> None:
    # OpenCV draws with pixel centres on integers; projections put them at +0.5 (geodata's convention).
    pts = np.round((pixels - 0.5) * _SCALE).astype(np.int32)
    cv2.fillConvexPoly(frame, cv2.convexHull(pts), colour, lineType=cv2.LINE_AA, shift=_SHIFT)


@lru_cache(maxsize=4096)
def _colour(kind: GroundObjectKind, object_id: str) -> tuple[int, int, int]:
    palette = _CLOTHES if kind is GroundObjectKind.PERSON else _CAR_PAINT
    return palette[hash_str(object_id) % len(palette)]


def hash_str(text: str) -> int:
    """Stable across processes (unlike hash()), so an object keeps its colour between runs."""
    h = 2166136261
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def _draw(
    frame: NDArray[np.uint8], cam: PinholeCamera, placed: PlacedObject, px: FloatArray, depth: FloatArray
) -> None:
    colour = _colour(placed.obj.kind, placed.obj.id)
    if placed.obj.kind is GroundObjectKind.PERSON:
        _fill(frame, px[8:16], colour)
        radius = cam.fx * _HEAD_RADIUS_M / max(float(depth[16]), 1e-3)
        centre = (round((px[16, 0] - 0.5) * _SCALE), round((px[16, 1] - 0.5) * _SCALE))
        cv2.circle(frame, centre, max(round(radius * _SCALE), _SCALE // 2), _SKIN, -1, cv2.LINE_AA, _SHIFT)
        return
    dark = (int(colour[0] * 0.6), int(colour[1] * 0.6), int(colour[2] * 0.6))
    for i, (part, paint) in enumerate(zip(_CAR_PARTS, (dark, colour, _GLASS, colour), strict=True)):
        corners = px[8 * (i + 1) : 8 * (i + 2)]
        _fill(frame, corners[4:] if part.top_only else corners, paint)


OCCLUSION_TOLERANCE_M = 3.0


def _behind_terrain(terrain_range_m: NDArray[np.float32], px: FloatArray, distance_m: float) -> bool:
    h, w = terrain_range_m.shape
    bottom = px[:4].mean(axis=0)  # centre of the footprint
    top = px[4:8].mean(axis=0)
    for u, v in (bottom, top):
        x, y = int(u), int(v)
        if 0 <= x < w and 0 <= y < h and terrain_range_m[y, x] + OCCLUSION_TOLERANCE_M >= distance_m:
            return False
    return True


def draw_objects(
    frame: NDArray[np.uint8],
    cam: PinholeCamera,
    placed: Sequence[PlacedObject],
    terrain_range_m: NDArray[np.float32] | None = None,
    sprites: SpriteBank | None = None,
) -> list[GroundTruthBox]:
    """Draws the visible objects far to near and returns their ground-truth boxes.

    With ``terrain_range_m`` (distance to the terrain per pixel) an object whose foot and head are both
    behind the terrain at their pixels is hidden: not drawn and not in the truth. With ``sprites`` each
    object is a real person's or car's picture scaled into its projected true-size box, and its truth is
    the box of the sprite's drawn pixels.
    """
    h, w = frame.shape[:2]
    if not placed:
        return []
    # Cheap cull on the centres first: a scene may hold hundreds of objects, a frame shows a few.
    centres = np.array([[p.east_m, p.north_m, p.up_m] for p in placed])
    cpx, cdepth = cam.project(centres)
    margin = cam.fx * 5.0 / np.maximum(cdepth, 1e-3)  # no object is wider than 5 m
    with np.errstate(invalid="ignore"):
        near = (
            (cdepth > 0.5)
            & (cpx[:, 0] > -margin)
            & (cpx[:, 0] < w + margin)
            & (cpx[:, 1] > -margin)
            & (cpx[:, 1] < h + margin)
        )
    visible: list[tuple[float, PlacedObject, FloatArray, FloatArray, GroundTruthBox]] = []
    candidates = [placed[int(i)] for i in np.flatnonzero(near)]
    for kind in (GroundObjectKind.PERSON, GroundObjectKind.CAR):
        group = [p for p in candidates if p.obj.kind is kind]
        if not group:
            continue
        corners = object_corners(group)
        flat_px, flat_depth = cam.project(corners.reshape(-1, 3))
        pxs = flat_px.reshape(len(group), -1, 2)
        depths = flat_depth.reshape(len(group), -1)
        lows = np.floor(np.nanmin(pxs[:, :8], axis=1))
        highs = np.ceil(np.nanmax(pxs[:, :8], axis=1))
        for k, item in enumerate(group):
            if np.any(depths[k, :8] <= 0.5):
                continue  # behind or touching the camera: not drawn, not in the truth
            x0, y0 = max(int(lows[k, 0]), 0), max(int(lows[k, 1]), 0)
            x1, y1 = min(int(highs[k, 0]), w), min(int(highs[k, 1]), h)
            if x1 <= x0 or y1 <= y0:
                continue
            distance = math.sqrt(item.east_m**2 + item.north_m**2 + item.up_m**2)
            if terrain_range_m is not None and _behind_terrain(terrain_range_m, pxs[k], distance):
                continue
            box = GroundTruthBox(
                object_id=item.obj.id,
                kind=item.obj.kind,
                x0=x0,
                y0=y0,
                x1=x1,
                y1=y1,
                distance_m=round(distance, 2),
            )
            visible.append((float(depths[k, :8].mean()), item, pxs[k], depths[k], box))
    visible.sort(key=lambda t: -t[0])
    truth = []
    for _depth, item, px, point_depths, box in visible:
        if not sprites:
            _draw(frame, cam, item, px, point_depths)
            truth.append(box)
            continue
        extent = px[:8]
        outline = (
            float(np.nanmin(extent[:, 0])),
            float(np.nanmin(extent[:, 1])),
            float(np.nanmax(extent[:, 0])),
            float(np.nanmax(extent[:, 1])),
        )
        drawn = paste(frame, sprites.pick(item.obj.kind, hash_str(item.obj.id)), outline)
        if drawn is not None:
            truth.append(box.model_copy(update=dict(zip(("x0", "y0", "x1", "y1"), drawn, strict=True))))
    return truth
