"""Non-maximum suppression, per kind: what a detector that looks at a picture several times keeps.

Greedy by score: a box survives unless a higher-scoring box of the same kind overlaps it by IoU above
``iou`` or (only with ``contain`` < 1) covers at least ``contain`` of its area: a tile's half of an object
cut at the tile's edge is then dropped in favour of the whole object from another pass.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ground_station.video.analytics.detector import Detection

FloatArray = NDArray[np.float64]


def nms_indices(boxes: FloatArray, scores: FloatArray, iou: float, contain: float = 1.0) -> list[int]:
    """Indices kept, highest score first. ``boxes``: (N, 4) x0, y0, x1, y1."""
    if len(boxes) == 0:
        return []
    x0, y0, x1, y1 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = np.maximum(x1 - x0, 0.0) * np.maximum(y1 - y0, 0.0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best, rest = int(order[0]), order[1:]
        keep.append(best)
        iw = np.maximum(np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]), 0.0)
        ih = np.maximum(np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]), 0.0)
        inter = iw * ih
        union = areas[best] + areas[rest] - inter
        overlap = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        covered = np.where(areas[rest] > 0, inter / np.maximum(areas[rest], 1e-9), 0.0)
        keep_rest = overlap <= iou
        if contain < 1.0:
            keep_rest &= covered < contain
        order = rest[keep_rest]
    return keep


def merge_detections(detections: list[Detection], iou: float = 0.5, contain: float = 1.0) -> list[Detection]:
    """NMS within each kind (a person standing by a car keeps both boxes)."""
    out: list[Detection] = []
    for kind in dict.fromkeys(d.kind for d in detections):
        same = [d for d in detections if d.kind is kind]
        boxes = np.array([[d.box.x0, d.box.y0, d.box.x1, d.box.y1] for d in same], dtype=np.float64)
        scores = np.array([d.score for d in same], dtype=np.float64)
        out.extend(same[i] for i in nms_indices(boxes, scores, iou, contain))
    return out
