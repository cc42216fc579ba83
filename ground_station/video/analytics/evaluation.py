"""Precision/recall of a detector over a labelled set of pictures (real footage or simulator truth).

Labels are typed (``LabelledFrame``): boxes of people and vehicles, and optional ignore regions (a
far queue of 5 px cars, a half-visible bicycle) where an unmatched detection counts neither way.
Matching is ``metrics.precision_recall`` (IoU >= 0.5, greedy by score, per kind); kinds that the
labels do not cover (faces) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from ground_station.video.analytics.detector import Box, Detection, Detector, ImageU8, ObjectKind
from ground_station.video.analytics.metrics import Counts, precision_recall

IGNORE_INSIDE = 0.5
COUNTED = (ObjectKind.PERSON, ObjectKind.VEHICLE)


class LabelledObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ObjectKind
    box: tuple[float, float, float, float]

    def as_box(self) -> Box:
        return Box(*self.box)


class LabelledFrame(BaseModel):
    """One picture's labels: ``frame`` (a video's frame index) or ``name`` (a named picture)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    frame: int | None = None
    name: str | None = None
    objects: list[LabelledObject]
    ignore: list[tuple[float, float, float, float]] = []


class LabelFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    about: str
    file: str | None = None
    frames: list[LabelledFrame]


@dataclass
class EvalResult:
    frames: int = 0
    counts: dict[ObjectKind, Counts] = field(default_factory=lambda: {k: Counts() for k in COUNTED})

    def objects(self, kind: ObjectKind) -> int:
        c = self.counts[kind]
        return c.tp + c.fn


def _inside(box: Box, region: Box) -> float:
    ix = min(box.x1, region.x1) - max(box.x0, region.x0)
    iy = min(box.y1, region.y1) - max(box.y0, region.y0)
    return max(ix, 0.0) * max(iy, 0.0) / box.area if box.area > 0 else 0.0


def frame_counts(labels: LabelledFrame, detections: list[Detection]) -> dict[ObjectKind, Counts]:
    truth = [(o.kind, o.as_box()) for o in labels.objects if o.kind in COUNTED]
    ignore = [Box(*r) for r in labels.ignore]
    kept = []
    for det in detections:
        if det.kind not in COUNTED:
            continue
        matches_truth = any(k is det.kind and b.iou(det.box) >= 0.5 for k, b in truth)
        if not matches_truth and any(_inside(det.box, r) >= IGNORE_INSIDE for r in ignore):
            continue
        kept.append(det)
    return precision_recall(truth, kept)


def evaluate(detector: Detector, items: Iterable[tuple[ImageU8, LabelledFrame]]) -> EvalResult:
    result = EvalResult()
    for image, labels in items:
        result.frames += 1
        for kind, counts in frame_counts(labels, detector.detect(image)).items():
            result.counts[kind].add(counts)
    return result
