"""Small objects seen from altitude: run a fixed-size detector on overlapping tiles plus the whole frame.

A 1280x720 frame letterboxed into YOLOv8n's 640x640 input shrinks by half: a person 12 px tall from a
drone at 100 m becomes 6 px, below what the network finds. Tiles of ``tile`` px (default 720, scaled
0.89 into the network) overlapping by at least ``min_overlap`` px keep nearly full resolution; the
whole-frame pass finds the objects too big for one tile. For 1280x720 the defaults give 2 tiles
(x 0-720 and 560-1280) + the full frame = 3 network passes. Detections from a tile that touch one of
its inner edges (where the picture was cut) are dropped when the object may continue into a
neighbour, and everything is merged with NMS plus containment (``nms.py``): a half-object inside a
whole one is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ground_station.video.analytics.detector import Box, Detection, Detector, ImageU8
from ground_station.video.analytics.nms import merge_detections

EDGE_PX = 3.0


@dataclass(frozen=True)
class Window:
    x0: int
    y0: int
    x1: int
    y1: int


def _starts(length: int, tile: int, min_overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    count = math.ceil((length - min_overlap) / (tile - min_overlap))
    step = (length - tile) / (count - 1)
    return [round(i * step) for i in range(count)]


def tile_windows(width: int, height: int, tile: int = 720, min_overlap: int = 96) -> list[Window]:
    """Overlapping square windows covering the frame (none when one window would be the whole frame)."""
    if width <= tile and height <= tile:
        return []
    tw, th = min(tile, width), min(tile, height)
    return [
        Window(x, y, x + tw, y + th)
        for y in _starts(height, tile, min_overlap)
        for x in _starts(width, tile, min_overlap)
    ]


def _cut_by_inner_edge(box: Box, window: Window, width: int, height: int) -> bool:
    return (
        (window.x0 > 0 and box.x0 <= window.x0 + EDGE_PX)
        or (window.y0 > 0 and box.y0 <= window.y0 + EDGE_PX)
        or (window.x1 < width and box.x1 >= window.x1 - EDGE_PX)
        or (window.y1 < height and box.y1 >= window.y1 - EDGE_PX)
    )


class TiledDetector:
    """Wraps a detector: the whole frame once, then each tile; merged. ``passes`` counts network runs."""

    def __init__(
        self,
        inner: Detector,
        *,
        tile: int = 720,
        min_overlap: int = 96,
        nms_iou: float = 0.5,
        contain: float = 0.8,
        full_frame: bool = True,
    ) -> None:
        self.inner = inner
        self.tile = tile
        self.min_overlap = min_overlap
        self.nms_iou = nms_iou
        self.contain = contain
        self.full_frame = full_frame
        self.passes = 0

    def detect(self, image: ImageU8) -> list[Detection]:
        height, width = image.shape[:2]
        windows = tile_windows(width, height, self.tile, self.min_overlap)
        found: list[Detection] = []
        if self.full_frame or not windows:
            found.extend(self.inner.detect(image))
            self.passes += 1
        for win in windows:
            for det in self.inner.detect(image[win.y0 : win.y1, win.x0 : win.x1]):
                b = det.box
                box = Box(b.x0 + win.x0, b.y0 + win.y0, b.x1 + win.x0, b.y1 + win.y0)
                if not _cut_by_inner_edge(box, win, width, height):
                    found.append(Detection(det.kind, box, det.score))
            self.passes += 1
        return merge_detections(found, self.nms_iou, self.contain)
