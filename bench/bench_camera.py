"""Camera simulator benchmark: 1280x720 frames rendered and encoded per second on ONE core.

Run: ``.venv/bin/python -m bench.bench_camera [--frames 150] [--no-pin] [--dem PATH]``

The process pins itself to one CPU (``sched_setaffinity``), OpenCV runs single-threaded and x264 with
threads=1, so the figures are per core. Target: render + encode >= 30 fps per stream. Each stage reports
fps by the wall clock and by process CPU time: on a shared machine the pinned CPU is also busy with other
work, so the wall figure is a lower bound and the CPU-time figure is what a free core sustains.

Scene (seed 20261125), stated so figures compare between runs:
- a drone at 120 m AGL flying a straight line north-east at 10 m/s (so ground tiles get crossed and
  rendered during the run, and their cost is included), gimbal nadir (-90 deg) or oblique (-35 deg);
- 60 people and 30 cars placed uniformly in a 400 m radius around the track start, headings uniform,
  people 1.4 m/s, cars 12 m/s, moving every frame;
- terrain: the shared SRTM30_PLUS DEM when present (``--dem``), else flat ground at 400 m.

Baselines measured in the same run: (a) ``frame.copy()`` of a 1280x720 BGR frame (memory bandwidth floor);
(b) the naive renderer: per-pixel projection to the ground in numpy (homography per pixel) followed by
``cv2.remap``, i.e. what warpPerspective replaces; ratios say how far each stage is from them.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from geodata.crs import LocalTangentPlane
from geodata.terrain import DemTerrain, FlatTerrain, Terrain
from sim.camera.codec import H264Encoder
from sim.camera.geometry import ViewPose
from sim.camera.render import CameraRenderer
from sim.camera.rtp_h264 import RtpH264Packetizer, insert_before_first_vcl
from sim.camera.sei import build_user_data_sei
from sim.scene import GroundObject, GroundObjectKind

SEED = 20261125
WIDTH, HEIGHT, FPS = 1280, 720, 30.0
START_LON, START_LAT = 17.25, 50.30
DEFAULT_DEM = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "dem" / "region_dem_srtm30plus_1500m.tif"
)


def _objects(rng: np.random.Generator, t_s: float, ltp: LocalTangentPlane) -> list[GroundObject]:
    objs = []
    for i in range(90):
        kind = GroundObjectKind.PERSON if i < 60 else GroundObjectKind.CAR
        speed = 1.4 if kind is GroundObjectKind.PERSON else 12.0
        r = 400.0 * math.sqrt(rng.random())
        a = rng.random() * 2 * math.pi
        heading = rng.random() * 360.0
        e = r * math.cos(a) + speed * t_s * math.sin(math.radians(heading))
        n = r * math.sin(a) + speed * t_s * math.cos(math.radians(heading))
        lon, lat, _ = ltp.from_enu(e, n, 0.0)
        objs.append(GroundObject(f"{kind.value}-{i}", kind, float(lon), float(lat), heading, speed))
    return objs


def _poses(terrain: Terrain, frames: int, pitch_deg: float) -> list[tuple[ViewPose, list[GroundObject]]]:
    ltp = LocalTangentPlane(START_LON, START_LAT, 0.0)
    ground = terrain.sample(np.array([START_LON]), np.array([START_LAT])).elevation_amsl_m[0]
    ground = 400.0 if math.isnan(ground) else float(ground)
    out = []
    for k in range(frames):
        t = k / FPS
        lon, lat, _ = ltp.from_enu(
            10.0 * t * math.sin(math.radians(45)), 10.0 * t * math.cos(math.radians(45)), 0.0
        )
        pose = ViewPose(float(lon), float(lat), ground + 120.0, 45.0, pitch_deg, 0.0, 70.0, 43.0)
        out.append((pose, _objects(np.random.default_rng(SEED), t, ltp)))
    return out


@dataclass(frozen=True)
class Rate:
    """Frames per second by the wall clock and by the process's CPU time (what one free core does:
    the process is pinned to one CPU, so on a shared machine wall fps is a lower bound)."""

    wall_fps: float
    cpu_fps: float
    worst_ms: float

    def show(self) -> str:
        return (
            f"{self.wall_fps:7.1f} fps wall {self.cpu_fps:7.1f} fps cpu  (worst frame {self.worst_ms:.0f} ms)"
        )


def _timed(fn: Callable[[int], object], n: int) -> Rate:
    worst = 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        worst = max(worst, time.perf_counter() - t0)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Rate(n / wall, n / max(cpu, 1e-9), worst * 1000.0)


def _naive_remap(image: np.ndarray, pixel_to_src: np.ndarray) -> np.ndarray:
    uu, vv = np.meshgrid(np.arange(WIDTH, dtype=np.float32), np.arange(HEIGHT, dtype=np.float32))
    w = pixel_to_src[2, 0] * uu + pixel_to_src[2, 1] * vv + pixel_to_src[2, 2]
    map_x = (pixel_to_src[0, 0] * uu + pixel_to_src[0, 1] * vv + pixel_to_src[0, 2]) / w
    map_y = (pixel_to_src[1, 0] * uu + pixel_to_src[1, 1] * vv + pixel_to_src[1, 2]) / w
    return cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR)


def run(frames: int, terrain: Terrain, pitch_deg: float) -> tuple[float, int, dict[str, Rate]]:
    renderer = CameraRenderer(terrain, WIDTH, HEIGHT, seed=0)
    scenes = _poses(terrain, frames, pitch_deg)
    t0 = time.perf_counter()
    renderer.render(*scenes[0])
    first_ms = (time.perf_counter() - t0) * 1000.0

    rendered: list[np.ndarray] = []
    rates: dict[str, Rate] = {}
    rates["render only"] = _timed(lambda i: rendered.append(renderer.render(*scenes[i]).image), frames)

    encoder = H264Encoder(WIDTH, HEIGHT, FPS, threads=1)
    rates["H.264 encode only"] = _timed(lambda i: encoder.encode(rendered[i], i * 3000), frames)

    encoder2 = H264Encoder(WIDTH, HEIGHT, FPS, threads=1)
    packetizer = RtpH264Packetizer(1)
    renderer2 = CameraRenderer(terrain, WIDTH, HEIGHT, seed=1)  # own tiles: pays tile rendering too
    renderer2.render(*scenes[0])

    def full(i: int) -> None:
        frame = renderer2.render(*scenes[i])
        sei = build_user_data_sei(b'{"objects": %d}' % len(frame.truth) + b" " * 2000)  # ~ real metadata size
        for nals in encoder2.encode(frame.image, i * 3000):
            packetizer.packetize(insert_before_first_vcl(nals, sei), i * 3000)

    rates["render+encode+RTP"] = _timed(full, frames)
    rates["JPEG encode (MJPEG)"] = _timed(
        lambda i: cv2.imencode(".jpg", rendered[i], [cv2.IMWRITE_JPEG_QUALITY, 80]), frames
    )
    rates["baseline: frame copy"] = _timed(lambda i: rendered[i].copy(), frames)
    source = np.ascontiguousarray(np.tile(rendered[0], (2, 2, 1)))
    homography = np.array([[1.0, 0.2, 10.0], [0.05, 1.1, 20.0], [1e-5, 2e-5, 1.0]])
    rates["baseline: naive remap"] = _timed(lambda i: _naive_remap(source, homography), max(frames // 5, 10))
    in_view = len(renderer.render(*scenes[-1]).truth)
    return first_ms, in_view, rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    parser.add_argument("--dem", type=Path, default=DEFAULT_DEM)
    args = parser.parse_args(argv)
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}")
    cv2.setNumThreads(1)
    terrain: Terrain
    if args.dem.is_file():
        terrain = DemTerrain.open(args.dem)
        print(f"terrain: {args.dem.name}")
    else:
        terrain = FlatTerrain(400.0)
        print("terrain: flat 400 m (DEM not found)")
    print(f"load average before: {os.getloadavg()[0]:.2f} (machine shared: figures are lower bounds)")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    print(f"{WIDTH}x{HEIGHT}, {args.frames} frames per stage, seed {SEED}, {stamp} UTC")
    for label, pitch in (("nadir", -90.0), ("oblique -35", -35.0)):
        first_ms, in_view, rates = run(args.frames, terrain, pitch)
        print(
            f"\n[{label}] objects in view at the end: {in_view}; first frame {first_ms:.0f} ms (ground tiles)"
        )
        for name, rate in rates.items():
            print(f"  {name:22s} {rate.show()}")
        full, copy, naive = (
            rates["render+encode+RTP"],
            rates["baseline: frame copy"],
            rates["baseline: naive remap"],
        )
        verdict = "MET" if full.cpu_fps >= 30 else "NOT MET"
        print(f"  target >= 30 fps render+encode on one core: {verdict} (cpu {full.cpu_fps:.1f} fps)")
        print(f"  ratios (cpu): full pipeline = {copy.cpu_fps / full.cpu_fps:.0f} frame copies; ", end="")
        print(f"render is {rates['render only'].cpu_fps / naive.cpu_fps:.1f}x the naive per-pixel projection")


if __name__ == "__main__":
    main()
