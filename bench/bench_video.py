"""Video benchmark: glass-to-glass latency (MJPEG and WebRTC in the same run) and the service's CPU per
stream ingested + recorded + delivered.

Run: ``.venv/bin/python -m bench.bench_video [--seconds 20] [--width 1280 --height 720 --fps 30]``

Set-up (everything on this machine, loopback, processes as in production):
- ``borderwatch sim run``: one drone hovering at home (17.2 E, 50.23 N, 420 m), one gimbal camera
  streaming RTP/H.264 with ST 0601 KLV, its capture time burnt into the picture (``sim.camera.burnin``);
- ``borderwatch serve``: ingest, MPEG-TS recording, the annotated variant delivered to
- this process, playing the browser: one MJPEG viewer (ticket, multipart over HTTP) and one WebRTC
  viewer (aiortc, VP8 or H.264: ``--webrtc-codec``); like a browser each shows the newest picture it
  has (what queued behind it is skipped) and reads the burnt-in clock from it; "fps shown" counts those.
Glass-to-glass = receive time - burnt-in capture time (same clock): render, encode, RTP, depacketise,
decode, annotate, re-encode, transport, client decode. CPU = the service process's user+system time
over the measuring window (from /proc), as % of one core; the simulator and this client are measured
separately. "Streams on 2 cores" divides 200 % by the service's share per stream: an extrapolation that
leaves the camera simulator and the viewers out (they run elsewhere in a deployment).

Figures of 2026-12-03 on the shared 2-core machine (load average 7-9 from other work), 1280x720 @ 30:
- annotated: MJPEG p50 50 ms / p99 478 ms (29.0 fps shown); WebRTC (one shared x264 encode) p50 114 ms
  / p99 590 ms (23.7 fps shown); service 21.8 ms CPU per ingested frame -> 65 % of a core per stream
  (decode + record + annotate + JPEG + H.264), about 3 such streams on 2 cores.
- raw: MJPEG p50 88 ms / p99 251 ms (24.5 fps); WebRTC (H.264 passthrough) p50 177 ms / p99 496 ms
  (16.4 fps); service 14.8 ms per frame -> 44 % of a core per stream, about 4.5 streams on 2 cores.
- 320x240 @ 10, annotated: MJPEG p50 19 ms / p99 107 ms; WebRTC p50 133 ms / p99 231 ms.
p99 is dominated by scheduling on the loaded machine; the viewers decode every picture they show.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import yaml

from ground_station.demo import BORDERWATCH_COMMAND, parse_ready, simulator_command
from ground_station.video.mjpeg_client import MjpegPartParser, boundary_from_content_type
from ground_station.video.webrtc import restrict_ice_addresses
from sim.camera.burnin import read_clock

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-video-password-1"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port(kind: int) -> int:
    import socket

    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    root: Path, width: int, height: int, fps: float
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], int]:
    scenario = {
        "name": "bench-video",
        "seed": 5,
        "vehicles": [{"slug": "sim-1", "home": {"lon": 17.2, "lat": 50.23, "alt_amsl_m": 420.0}}],
        "cameras": [
            {"id": "gimbal", "kind": "drone", "vehicle": "sim-1", "width": width, "height": height,
             "fps": fps, "burn_in_clock": True},
        ],
        "ground_objects": [],
    }  # fmt: skip
    (root / "scenario.yaml").write_text(yaml.safe_dump(scenario))
    ready = root / "ready.json"
    command = [
        *simulator_command(1, 1.0, ready, str(root / "scenario.yaml"), _free_port(2)),
        "--camera-ports-ephemeral",
    ]
    sim = subprocess.Popen(command, cwd=REPO, stdout=(root / "sim.log").open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not ready.is_file():
        if sim.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"simulator did not start: {(root / 'sim.log').read_text()[-2000:]}")
        time.sleep(0.1)
    camera = parse_ready(ready).cameras[0]
    vehicle = parse_ready(ready).vehicles[0]
    port = _free_port(1)
    config = root / "station.toml"
    config.write_text(
        "\n".join(
            [
                f'data_dir = "{root / "data"}"',
                "[http]",
                f"port = {port}",
                "[[vehicles]]",
                'slug = "sim-1"',
                f'mavlink_url = "{vehicle.mavlink_url}"',
                "[[cameras]]",
                'id = "gimbal"',
                'kind = "drone"',
                f'stream_url = "{camera.stream_url}"',
                'vehicle_slug = "sim-1"',
                f'sdp_path = "{camera.sdp_path}"',
                "[video]",
                "enabled = true",
                "segment_s = 10.0",
            ]
        )
        + "\n"
    )
    subprocess.run(
        [*BORDERWATCH_COMMAND, "user", "add", "bench", "--role", "admin", "--password-stdin",
         "-c", str(config)],
        input=PASSWORD + "\n", text=True, cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    service = subprocess.Popen(
        [*BORDERWATCH_COMMAND, "serve", "-c", str(config)], cwd=REPO,
        stdout=(root / "service.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if service.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"service did not start: {(root / 'service.log').read_text()[-2000:]}")
        time.sleep(0.2)
    return sim, service, port


Samples = list[tuple[float, float]]  # (receive monotonic, glass-to-glass ms)


async def _mjpeg(client: httpx.AsyncClient, url: str, until: float, out: Samples) -> None:
    async with client.stream("GET", url) as response:
        parser = MjpegPartParser(boundary_from_content_type(response.headers["content-type"]))
        async for chunk in response.aiter_raw():
            parts = parser.feed(chunk)
            if parts:  # like a browser: show the newest picture, skip what arrived behind it
                image = cv2.imdecode(np.frombuffer(parts[-1].body, np.uint8), cv2.IMREAD_COLOR)
                now_ms = time.time() * 1000
                out.append((time.monotonic(), now_ms - read_clock(image, int(now_ms))))
            if time.monotonic() > until:
                return


async def _webrtc(client: httpx.AsyncClient, url: str, until: float, out: Samples, codec: str) -> None:
    from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver("video", direction="recvonly")
        codecs = RTCRtpReceiver.getCapabilities("video").codecs
        transceiver.setCodecPreferences(
            [c for c in codecs if c.mimeType.lower() == f"video/{codec}"] or codecs
        )
        tracks: asyncio.Queue[Any] = asyncio.Queue()
        pc.on("track", tracks.put_nowait)
        await pc.setLocalDescription(await pc.createOffer())
        answer = await client.post(url, json={"sdp": pc.localDescription.sdp, "type": "offer"})
        answer.raise_for_status()
        body = answer.json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
        track = await asyncio.wait_for(tracks.get(), 30)
        while time.monotonic() < until:
            frame = await asyncio.wait_for(track.recv(), 10)
            while not track._queue.empty():  # like a browser: show the newest decoded picture
                newer = track._queue.get_nowait()
                frame = newer if newer is not None else frame
            image = frame.to_ndarray(format="bgr24")
            now_ms = time.time() * 1000
            out.append((time.monotonic(), now_ms - read_clock(image, int(now_ms))))
    finally:
        await pc.close()


def _viewer(kind: str, url: str, until: float, codec: str) -> tuple[Samples, str | None]:
    """One viewer process: its samples, and what went wrong if it stopped early."""

    async def main() -> tuple[Samples, str | None]:
        restrict_ice_addresses(["127.0.0.1"])
        out: Samples = []
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                if kind == "mjpeg":
                    await _mjpeg(client, url, until, out)
                else:
                    await _webrtc(client, url, until, out, codec)
            except Exception as exc:
                return out, f"{type(exc).__name__}: {exc}"
        return out, None

    return asyncio.run(main())


def _summary(name: str, values: list[float], seconds: float) -> str:
    if len(values) < 5:
        return f"{name:11s}: only {len(values)} frames"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:11s}: {len(values) / seconds:5.1f} fps shown, glass-to-glass "
        f"p50 {statistics.median(values):6.1f} ms  p99 {p99:6.1f} ms  (n={len(values)})"
    )


async def _run(args: argparse.Namespace) -> None:
    restrict_ice_addresses(["127.0.0.1"])
    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        root = Path(tmp)
        sim, service, port = _start(root, args.width, args.height, args.fps)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                token = (
                    await client.post(
                        f"{base}/api/auth/token", data={"username": "bench", "password": PASSWORD}
                    )
                ).json()["access_token"]
                auth = {"Authorization": f"Bearer {token}"}
                deadline = time.monotonic() + 60
                while True:
                    streams = (await client.get(f"{base}/api/video/streams", headers=auth)).json()
                    if streams and streams[0]["live"] and streams[0]["frames"] > 10:
                        break
                    if time.monotonic() > deadline:
                        sys.exit(f"stream not live: {streams}")
                    await asyncio.sleep(0.5)
                tickets = [
                    (
                        await client.post(
                            f"{base}/api/video/streams/gimbal/ticket",
                            headers=auth,
                            json={"variant": args.variant},
                        )
                    ).json()
                    for _ in range(2)
                ]
                until = time.monotonic() + args.warmup + args.seconds
                loop = asyncio.get_running_loop()
                # Each viewer in its own process, as each browser tab decodes on its own: one viewer's
                # decoding never delays the other's reading (which would pile pictures into sockets).
                with ProcessPoolExecutor(
                    max_workers=2, mp_context=multiprocessing.get_context("spawn")
                ) as pool:
                    viewers = [
                        loop.run_in_executor(
                            pool, _viewer, "mjpeg", base + tickets[0]["mjpeg_url"], until, ""
                        ),
                        loop.run_in_executor(
                            pool,
                            _viewer,
                            "webrtc",
                            base + tickets[1]["webrtc_offer_url"],
                            until,
                            args.webrtc_codec,
                        ),
                    ]
                    await asyncio.sleep(args.warmup)
                    frames0 = (await client.get(f"{base}/api/video/streams", headers=auth)).json()[0][
                        "frames"
                    ]
                    load0 = os.getloadavg()[0]
                    workers = list(pool._processes)  # the viewer processes, for their CPU time
                    cpu0 = {
                        "service": _cpu_seconds(service.pid),
                        "sim": _cpu_seconds(sim.pid),
                        "client": sum(_cpu_seconds(pid) for pid in workers),
                    }
                    wall0 = time.monotonic()
                    await asyncio.wait(viewers, timeout=args.seconds + 5)
                    wall = time.monotonic() - wall0
                    service_cpu_s = _cpu_seconds(service.pid) - cpu0["service"]
                    cpu = {
                        "service": service_cpu_s / wall * 100,
                        "sim": (_cpu_seconds(sim.pid) - cpu0["sim"]) / wall * 100,
                        "client": (sum(_cpu_seconds(pid) for pid in workers) - cpu0["client"]) / wall * 100,
                    }
                    (mjpeg_ms, mjpeg_error), (webrtc_ms, webrtc_error) = [await v for v in viewers]
                failures = [f"{n}: {e}" for n, e in (("MJPEG", mjpeg_error), ("WebRTC", webrtc_error)) if e]
                streams = (await client.get(f"{base}/api/video/streams", headers=auth)).json()
                ingested = streams[0]["frames"] - frames0
                load1 = os.getloadavg()[0]
        finally:
            for name, process in (("service", service), ("simulator", sim)):
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    print(f"{name} did not stop within 30 s of SIGTERM; killed. Log tail:")
                    print((root / f"{'sim' if name == 'simulator' else name}.log").read_text()[-3000:])
                    process.kill()
                    process.wait()
        print(
            f"stream {args.width}x{args.height} @ {args.fps:g} fps, variant {args.variant}, "
            f"{wall:.1f} s measured, {os.cpu_count()} CPUs (shared)"
        )
        print(_summary("MJPEG", [ms for t, ms in mjpeg_ms if t >= wall0], wall))
        print(_summary(f"WebRTC/{args.webrtc_codec}", [ms for t, ms in webrtc_ms if t >= wall0], wall))
        print(f"ingested {streams[0]['frames']} frames in all; last error: {streams[0]['last_error']}")
        print(
            f"CPU, % of one core: service {cpu['service']:.0f} (ingest + record + MJPEG encode + "
            f"WebRTC encode), simulator {cpu['sim']:.0f}, viewers {cpu['client']:.0f}"
        )
        for failure in failures:
            print(f"viewer failed: {failure}; service log tail:")
            print((root / "service.log").read_text()[-2000:])
        print(f"load average {load0:.1f} -> {load1:.1f} on {os.cpu_count()} CPUs during the window")
        if ingested > 0:
            per_frame_ms = service_cpu_s * 1000 / ingested
            nominal = per_frame_ms * args.fps / 10
            print(
                f"service CPU per ingested frame {per_frame_ms:.1f} ms ({ingested} frames at "
                f"{ingested / wall:.1f} fps) -> {nominal:.0f} % of a core per stream at {args.fps:g} fps "
                f"with these 2 viewers; streams on 2 cores (extrapolated): {200 / nominal:.1f}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring (WebRTC set-up)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--variant", choices=["raw", "annotated"], default="annotated")
    parser.add_argument(
        "--webrtc-codec", choices=["vp8", "h264"], default="vp8", help="what the viewer offers"
    )
    asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
