"""Precision and recall at IoU >= 0.5 (PASCAL VOC's criterion), per kind, greedy by score."""

from __future__ import annotations

from dataclasses import dataclass

from ground_station.video.analytics.detector import Box, Detection, ObjectKind

IOU_THRESHOLD = 0.5


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


def precision_recall(
    truth: list[tuple[ObjectKind, Box]], detections: list[Detection], iou: float = IOU_THRESHOLD
) -> dict[ObjectKind, Counts]:
    """One frame: each detection (highest score first) claims the unclaimed true box of its kind with
    the best IoU >= ``iou``; unclaimed detections are false positives, unclaimed truths misses."""
    out: dict[ObjectKind, Counts] = {}
    claimed: set[int] = set()
    for det in sorted(detections, key=lambda d: -d.score):
        counts = out.setdefault(det.kind, Counts())
        best, best_iou = -1, iou
        for i, (kind, box) in enumerate(truth):
            if i in claimed or kind is not det.kind:
                continue
            value = box.iou(det.box)
            if value >= best_iou:
                best, best_iou = i, value
        if best >= 0:
            claimed.add(best)
            counts.tp += 1
        else:
            counts.fp += 1
    for i, (kind, _box) in enumerate(truth):
        if i not in claimed:
            out.setdefault(kind, Counts()).fn += 1
    return out
