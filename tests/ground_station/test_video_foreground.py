"""A real (non-truth) detector end to end on the simulated pole camera: precision/recall at IoU >= 0.5
against the simulator's truth, and anonymisation coverage of every true person on every frame."""

from __future__ import annotations

import numpy as np

from ground_station.video.analytics.anonymise import coverage_mask
from ground_station.video.analytics.detector import Box, ObjectKind
from ground_station.video.analytics.foreground import ForegroundDetector
from ground_station.video.analytics.metrics import Counts, precision_recall
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from sim.scene import GroundObjectKind
from tests.ground_station import analytics_scene as scene


def test_foreground_detector_precision_recall_and_coverage_on_sim_truth() -> None:
    pipeline = AnalyticsPipeline(ForegroundDetector(), detect_every=5)  # 5 Hz of a 25 fps stream
    totals: dict[ObjectKind, Counts] = {}
    people = covered = warmup_frames = 0
    for frame in scene.frames(140):
        image = np.asarray(frame.image)
        out, result = pipeline.anonymised(image)
        if result.failed:  # background still being learned: the whole frame is pixelated
            warmup_frames += 1
            assert not np.array_equal(out, image)
            continue
        mask = coverage_mask(image.shape[:2], [t.box for t in result.tracks])
        for t in frame.truth:
            if t.kind is GroundObjectKind.PERSON:
                people += 1
                covered += bool(mask[t.y0 : t.y1, t.x0 : t.x1].mean() >= 0.99)
        if result.detected:
            truth = [
                (
                    ObjectKind.PERSON if t.kind is GroundObjectKind.PERSON else ObjectKind.VEHICLE,
                    Box(t.x0, t.y0, t.x1, t.y1),
                )
                for t in frame.truth
            ]
            for kind, counts in precision_recall(truth, result.detections).items():
                totals.setdefault(kind, Counts()).add(counts)
    print(f"warm-up {warmup_frames} frames; people covered {covered}/{people}")
    for kind, c in totals.items():
        print(
            f"{kind.value}: precision {c.precision:.2f} recall {c.recall:.2f} (tp {c.tp} fp {c.fp} fn {c.fn})"
        )
    assert people >= 200
    assert covered / people >= 0.99
    assert totals[ObjectKind.PERSON].precision >= 0.8
    assert totals[ObjectKind.PERSON].recall >= 0.5
