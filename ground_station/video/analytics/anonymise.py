"""Where a video frame is blurred: irreversible pixelation of people, faces and vehicles (with plates).

EDPB Guidelines 3/2019 ask that anonymised video cannot be turned back into identifiable video. A
Gaussian blur can be partly deconvolved, and fine mosaics can be re-identified, so every region is
replaced by a coarse mosaic: at most ``MAX_CELLS`` cells across its smaller side (a whole person's
box becomes a few cells: a face is then less than one cell), each cell the mean colour of its pixels,
quantised to 32 levels. The original pixels are not kept anywhere in the output.

Licence plates: every vehicle box is pixelated whole, so a plate is covered wherever the vehicle is
(no separate plate detector; a plate is never outside its vehicle's box).

No detector, or a detector that failed on this frame: the whole frame is pixelated (fail-closed).
Drone video gets a privacy floor on top of the boxes (``ground_mosaic.py``): detectors miss people
seen from altitude.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from ground_station.video.analytics.detector import Box

ImageU8 = NDArray[np.uint8]
MAX_CELLS = 4
MIN_CELL_PX = 4
QUANT = 8  # 256 / 8 = 32 levels per channel


def _clip(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    x0, y0 = max(math.floor(box.x0), 0), max(math.floor(box.y0), 0)
    x1, y1 = min(math.ceil(box.x1), width), min(math.ceil(box.y1), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _mosaic(region: ImageU8, cell: int) -> None:
    """In place: cells of ``cell`` pixels, each its mean colour quantised to 32 levels."""
    h, w = region.shape[:2]
    small = cv2.resize(
        region, (max(1, math.ceil(w / cell)), max(1, math.ceil(h / cell))), interpolation=cv2.INTER_AREA
    )
    small = (small // QUANT) * QUANT + QUANT // 2
    region[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def pixelate_region(image: ImageU8, x0: int, y0: int, x1: int, y1: int, cells: int = MAX_CELLS) -> None:
    """In place: the region becomes a mosaic of mean colours, at most ``cells`` across its smaller side."""
    region = image[y0:y1, x0:x1]
    h, w = region.shape[:2]
    _mosaic(region, max(MIN_CELL_PX, math.ceil(min(w, h) / cells)))


def anonymise_image(image: ImageU8, boxes: list[Box] | None, floor_cell_px: int | None = None) -> ImageU8:
    """A pixelated copy. ``boxes`` None means "unknown what is in the frame": all of it is pixelated.
    ``floor_cell_px``: the whole picture is first a mosaic of cells this size (drone video's privacy
    floor, ``ground_mosaic.py``); the boxes are then pixelated coarser on top."""
    out = image.copy()
    height, width = out.shape[:2]
    if boxes is None:
        pixelate_region(out, 0, 0, width, height, cells=max(4, min(width, height) // 16))
        return out
    if floor_cell_px is not None:
        _mosaic(out, max(MIN_CELL_PX // 2, floor_cell_px))
    for box in boxes:
        clipped = _clip(box, width, height)
        if clipped is not None:
            pixelate_region(out, *clipped)
    return out


def coverage_mask(shape: tuple[int, int], boxes: list[Box]) -> NDArray[np.bool_]:
    """Which pixels ``anonymise_image`` replaces (for tests and the coverage metric)."""
    mask = np.zeros(shape, dtype=bool)
    for box in boxes:
        clipped = _clip(box, shape[1], shape[0])
        if clipped is not None:
            x0, y0, x1, y1 = clipped
            mask[y0:y1, x0:x1] = True
    return mask
