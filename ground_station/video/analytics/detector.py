"""What a detector reports, and the interface every detector (sim truth, ONNX model) implements.

Kept free of any model runtime so the tracker, anonymiser and geo-locator can be tested without one,
and so a station without detector weights still imports (it then anonymises fail-closed: whole frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

ImageU8 = NDArray[np.uint8]


class ObjectKind(StrEnum):
    """What anonymisation and the map care about: people (and their faces) and vehicles (and plates)."""

    PERSON = "person"
    VEHICLE = "vehicle"
    FACE = "face"


@dataclass(frozen=True)
class Box:
    """Pixel box: x0, y0 inclusive, x1, y1 exclusive (the simulator truth's convention)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    def iou(self, other: Box) -> float:
        ix = min(self.x1, other.x1) - max(self.x0, other.x0)
        iy = min(self.y1, other.y1) - max(self.y0, other.y0)
        if ix <= 0 or iy <= 0:
            return 0.0
        inter = ix * iy
        return inter / (self.area + other.area - inter)

    def grown(self, px: float) -> Box:
        return Box(self.x0 - px, self.y0 - px, self.x1 + px, self.y1 + px)


@dataclass(frozen=True)
class Detection:
    kind: ObjectKind
    box: Box
    score: float


class Detector(Protocol):
    """Finds people, vehicles (and optionally faces) in one BGR picture; may be slow (run in a thread)."""

    def detect(self, image: ImageU8) -> list[Detection]: ...
