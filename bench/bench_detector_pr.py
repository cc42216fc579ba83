"""Precision/recall of the person/vehicle detectors per source (real footage and simulator truth).

Run: ``.venv/bin/python -m bench.bench_detector_pr``

Real pictures are cached by ``scripts/prepare-eval-data.sh`` (sahi demo data, Debian opencv-doc's
vtest.avi) or come with scikit-image; labels are in ``tests/data/`` (ours, by hand) or sahi's COCO json.
YOLOv8n (optional extra, AGPL-3.0 weights) runs as one letterboxed pass and tiled (``tiling.py``);
IoU >= 0.5, greedy by score (``metrics.py``). Sources or weights that are missing are reported, not run.
"""

from __future__ import annotations

import argparse
import time

from ground_station.video.analytics.detector import Detector
from ground_station.video.analytics.evaluation import COUNTED, evaluate
from ground_station.video.analytics.models import YOLOV8N
from tests.ground_station.detector_eval_sources import REAL_SOURCES, Source, sim_sources


def _row(source: Source, label: str, detector: Detector) -> None:
    start = time.process_time()
    result = evaluate(detector, source.items())
    cpu = time.process_time() - start
    for kind in COUNTED:
        c = result.counts[kind]
        if c.tp + c.fn + c.fp == 0:
            continue
        print(
            f"| {source.name} | {label} | {kind.value} | {result.frames} | {c.tp + c.fn} | "
            f"{c.precision:.2f} | {c.recall:.2f} | {c.tp} / {c.fp} / {c.fn} | {source.how_labelled} |"
        )
    print(
        f"<!-- {source.name} {label}: {cpu / max(result.frames, 1) * 1000:.0f} ms cpu per frame"
        " incl. decoding or rendering -->"
    )


def _coverage(frames: int = 72) -> None:
    """Anonymisation coverage with the configured ``yolov8n`` stack (faces off): the share of true
    people/cars whose box is >= 99 % pixelated, on every frame (detector every ``DETECT_EVERY``-th)."""
    import numpy as np

    from ground_station.video.analytics.anonymise import coverage_mask
    from ground_station.video.analytics.pipeline import AnalyticsPipeline
    from ground_station.video.analytics.stack import PeopleVehiclesDetector
    from sim.camera.sprites import SpriteBank
    from tests.ground_station import analytics_scene, drone_scene

    bank = SpriteBank.load() or None
    scenes = {
        "sim drone 1280x720": drone_scene.frames(frames, sprites=bank),
        "sim pole 320x240": analytics_scene.frames(frames, sprites=bank),
    }
    for name, scene_frames in scenes.items():
        pipeline = AnalyticsPipeline(PeopleVehiclesDetector(faces=False))
        seen: dict[str, list[int]] = {}
        for frame in scene_frames:
            image = np.asarray(frame.image)
            _, result = pipeline.anonymised(image)
            mask = coverage_mask(image.shape[:2], [t.box for t in result.tracks])
            for t in frame.truth:
                inside = mask[t.y0 : t.y1, t.x0 : t.x1]
                counts = seen.setdefault(t.kind.value, [0, 0])
                counts[0] += 1
                counts[1] += bool(inside.size and inside.mean() >= 0.99)
        shown = ", ".join(f"{k} {c[1]}/{c[0]} ({c[1] / c[0]:.0%})" for k, c in seen.items())
        print(f"coverage, {name}, sprites {bank is not None}, every {pipeline.detect_every}th frame: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-sim", action="store_true", help="real sources only")
    parser.add_argument("--coverage", action="store_true", help="also anonymisation coverage on the sim")
    args = parser.parse_args()
    if not YOLOV8N.is_file():
        print(f"YOLOv8n not extracted ({YOLOV8N}): run scripts/setup.sh")
        return
    from ground_station.video.analytics.tiling import TiledDetector
    from ground_station.video.analytics.yolo import YoloV8Detector

    yolo = YoloV8Detector()
    detectors: list[tuple[str, Detector]] = [("yolov8n 1 pass", yolo), ("yolov8n tiled", TiledDetector(yolo))]
    print("| source | detector | kind | frames | objects | precision | recall | tp / fp / fn | labels |")
    print("|---|---|---|---|---|---|---|---|---|")
    sources = list(REAL_SOURCES) + ([] if args.no_sim else sim_sources())
    for source in sources:
        if source.missing:
            print(f"| {source.name} | - | - | - | - | - | - | - | skipped: {source.missing} |")
            continue
        for label, detector in detectors:
            _row(source, label, detector)
    if args.coverage:
        _coverage()


if __name__ == "__main__":
    main()
