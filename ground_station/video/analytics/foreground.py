"""A detector for fixed (pole) cameras: what differs from the learned empty scene is a person or vehicle.

No model weights: the background is the per-pixel median of frames sampled over a few seconds, so
anything that moves more than its own width in that time disappears from it. Blobs of changed pixels
become boxes; tall ones are people, wide ones vehicles. It cannot see someone who stands still for
the whole window, nor work on a moving (drone) camera; it complements a model, and until its window
is full it refuses to answer, so the anonymiser pixelates the whole frame meanwhile (fail-closed).
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from ground_station.video.analytics.detector import Box, Detection, ImageU8, ObjectKind


class BackgroundNotReadyError(RuntimeError):
    """Fewer frames seen than the background window needs."""


class ForegroundDetector:
    def __init__(
        self, *, window: int = 9, sample_every: int = 2, threshold: int = 24, min_area_px: int = 12
    ) -> None:
        self.window = window
        self.sample_every = sample_every
        self.threshold = threshold
        self.min_area_px = min_area_px
        self._samples: deque[ImageU8] = deque(maxlen=window)
        self._seen = 0
        self._background: ImageU8 | None = None

    def observe(self, image: ImageU8) -> None:
        """Feeds the background model; ``detect`` calls it, so ``sample_every`` counts detector runs
        (at 5 Hz the defaults sample every 0.4 s over 3.6 s)."""
        if self._seen % self.sample_every == 0:
            self._samples.append(image.copy())
            if len(self._samples) == self.window:
                self._background = np.median(np.stack(self._samples), axis=0).astype(np.uint8)
        self._seen += 1

    def detect(self, image: ImageU8) -> list[Detection]:
        self.observe(image)
        if self._background is None or self._background.shape != image.shape:
            raise BackgroundNotReadyError(f"background needs {self.window} samples, has {len(self._samples)}")
        diff = cv2.absdiff(image, self._background).max(axis=2)
        mask = (diff > self.threshold).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        out = []
        for i in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[i])
            if area < self.min_area_px:
                continue
            kind = ObjectKind.PERSON if h >= 1.0 * w else ObjectKind.VEHICLE
            out.append(Detection(kind, Box(x, y, x + w, y + h), min(1.0, area / (w * h))))
        return out
