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
Then one 1280x720 drone stream (``tests/ground_station/drone_scene.py``, 40 m up, real-picture sprites
when setup cut them), H.264 in and out as the station handles it (PyAV decode, libx264 ultrafast
encode, 1 thread each), same run:
  (e) decode + encode, no analytics (the baseline);
  (f) decode + anonymise + encode, the ``yolov8n`` stack (tiled YOLOv8n + CenterFace) every 12th frame
      (``stack.DETECT_EVERY``: ~2 Hz at 25 fps), tracker + pixelation every frame;
  (g) the same without CenterFace (people/vehicles only);
  and how many such 25 fps streams fit on 2 cores (2 x cpu fps / 25).
Figures are by process CPU time (what a free core sustains) and wall clock.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from ground_station.video.analytics.foreground import ForegroundDetector
from ground_station.video.analytics.models import CENTERFACE
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from tests.ground_station import analytics_scene as scene


def _timed(name: str, frames: Sequence[object], work: Callable[[Any], object]) -> float:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for image in frames:
        work(image)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(f"{name:<56} {len(frames) / cpu:8.1f} fps (cpu) {len(frames) / wall:8.1f} fps (wall)")
    return len(frames) / cpu


def _hd_stream(count: int) -> None:
    """Stages (e)-(g): one 1280x720 H.264 stream through decode, analytics, encode."""
    from ground_station.video.analytics.models import YOLOV8N
    from ground_station.video.h264 import H264Decoder, H264Encoder
    from sim.camera.sprites import SpriteBank
    from tests.ground_station import drone_scene

    bank = SpriteBank.load()
    images = [np.asarray(f.image) for f in drone_scene.frames(count, sprites=bank or None)]
    source = H264Encoder(drone_scene.W, drone_scene.H, drone_scene.FPS)
    units = [au for i, im in enumerate(images) for au, _key in source.encode(im, i * 3600)]
    print(f"{len(units)} frames {drone_scene.W}x{drone_scene.H} H.264, sprites: {bool(bank)}")

    def run(name: str, analyse: Callable[[np.ndarray], np.ndarray] | None) -> float:
        decoder = H264Decoder()
        encoder = H264Encoder(drone_scene.W, drone_scene.H, drone_scene.FPS)
        pts = iter(range(0, 10**9, 3600))

        def work(unit: bytes) -> None:
            for image in decoder.decode(unit):
                encoder.encode(analyse(image) if analyse else image, next(pts))

        return _timed(name, units, work)

    base = run("(e) 1280x720 decode + encode, no analytics", None)
    if not YOLOV8N.is_file():
        print("(f), (g) skipped: optional YOLOv8n not extracted (scripts/setup.sh)")
        return
    from ground_station.video.analytics.stack import DETECT_EVERY, PeopleVehiclesDetector

    for label, faces in (
        ("(f) + anonymise, yolov8n+CenterFace", True),
        ("(g) + anonymise, yolov8n only", False),
    ):
        pipeline = AnalyticsPipeline(PeopleVehiclesDetector(faces=faces))
        fps = run(f"{label} @ 1/{DETECT_EVERY}", lambda im, p=pipeline: p.anonymised(im)[0])
        print(
            f"    {label[:3]} streams of 25 fps on 2 cores: {2 * fps / 25:.1f}"
            f" (without analytics {2 * base / 25:.1f})"
        )


def _jpeg(image: np.ndarray) -> bytes:
    return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--hd-frames", type=int, default=96, help="1280x720 frames for (e)-(g); 0 skips")
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
    if args.hd_frames:
        _hd_stream(args.hd_frames)


if __name__ == "__main__":
    main()
