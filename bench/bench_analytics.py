"""Video analytics benchmark: frames per second with and without analytics, in the same run, one core.

Run: ``.venv/bin/python -m bench.bench_analytics [--frames 200]``

Scene: the test pole camera of ``tests/ground_station/analytics_scene.py`` (320x240, 8 m pole looking
north-east, 6 people walking and 2 cars driving 20-70 m away), rendered once into memory so only the
station's work is timed. Each stage processes the same frames and ends with the JPEG encode that the
MJPEG delivery does:
  (a) raw: JPEG encode only (the baseline);
  (b) anonymised, foreground detector every 5th frame (5 Hz at 25 fps), tracking + pixelation every frame;
  (c) anonymised, CenterFace (onnxruntime, 1 thread) every 5th frame, when setup.sh prepared its weights;
  (d) CenterFace alone per call (the detector rate it sustains).
Figures are by process CPU time (what a free core sustains) and wall clock.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import cv2
import numpy as np

from ground_station.video.analytics.foreground import ForegroundDetector
from ground_station.video.analytics.models import CENTERFACE
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from tests.ground_station import analytics_scene as scene


def _timed(name: str, frames: list[np.ndarray], work: Callable[[np.ndarray], object]) -> None:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for image in frames:
        work(image)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"{name:<44} {len(frames) / cpu:8.1f} fps (cpu) {len(frames) / wall:8.1f} fps (wall)")


def _jpeg(image: np.ndarray) -> bytes:
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    frames = [np.asarray(f.image) for f in scene.frames(args.frames)]
    print(f"{len(frames)} frames {scene.W}x{scene.H}")
    _timed("(a) raw: JPEG only", frames, _jpeg)
    fg = AnalyticsPipeline(ForegroundDetector(), detect_every=5)
    _timed("(b) anonymised, foreground @ 1/5 frames", frames, lambda im: _jpeg(fg.anonymised(im)[0]))
    if CENTERFACE.is_file():
        from ground_station.video.analytics.centerface import CenterFaceDetector

        face = CenterFaceDetector()
        cf = AnalyticsPipeline(face, detect_every=5)
        _timed("(c) anonymised, CenterFace @ 1/5 frames", frames, lambda im: _jpeg(cf.anonymised(im)[0]))
        _timed("(d) CenterFace detect alone, every frame", frames[:50], face.detect)
    else:
        print("(c), (d) skipped: CenterFace weights not prepared (scripts/setup.sh)")


if __name__ == "__main__":
    main()
