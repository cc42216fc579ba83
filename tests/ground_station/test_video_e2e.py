"""Video end to end: the simulator and the service as processes, video received as a browser would.

The simulator streams a drone gimbal (RTP/H.264 with MISB ST 0601 KLV in SEI) and a pole camera
(MJPEG); the service ingests both, records the drone's video to MPEG-TS with a KLV data stream, and
serves them through single-use tickets. The test reads the KLV position back and compares it with the
vehicle's MAVLink telemetry, then downloads the recording and plays it back with its metadata.
Small pictures (320x240) at a low rate keep it light on shared CPUs.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import yaml

from ground_station.demo import parse_ready, simulator_command
from ground_station.video.av_reader import read_av
from ground_station.video.mjpeg_client import MjpegPartParser, boundary_from_content_type
from tests.ground_station.test_e2e_support import (
    REPO,
    Api,
    ServiceProcess,
    SimProcess,
    add_user,
    eventually,
    free_tcp_port,
    free_udp_base,
    write_station_config,
)

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

HOME = (17.2, 50.23, 420.0)
PASSWORD = "video-e2e-password-1"


def _start_sim(root: Path) -> SimProcess:
    scenario = {
        "name": "video-e2e",
        "seed": 3,
        "wind": {"speed_mps": 0.0, "from_deg": 0.0, "gust_sigma_mps": 0.0, "gust_tau_s": 4.0},
        "vehicles": [{"slug": "sim-1", "home": {"lon": HOME[0], "lat": HOME[1], "alt_amsl_m": HOME[2]}}],
        "cameras": [
            {
                "id": "sim-1-gimbal",
                "kind": "drone",
                "vehicle": "sim-1",
                "width": 320,
                "height": 240,
                "fps": 10,
            },
            {
                "id": "pole-e2e",
                "kind": "fixed",
                "lon": HOME[0] + 0.001,
                "lat": HOME[1],
                "heading_deg": 270,
                "width": 320,
                "height": 240,
                "fps": 5,
            },
        ],
        "ground_objects": [],
    }
    path = root / "scenario.yaml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    ready_path, log_path = root / "ready.json", root / "sim.log"
    command = [
        *simulator_command(1, 1.0, ready_path, str(path), free_udp_base(1)),
        "--camera-ports-ephemeral",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not ready_path.is_file():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"simulator not ready:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.1)
    return SimProcess(process, parse_ready(ready_path), log_path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimProcess, ServiceProcess]]:
    root = tmp_path_factory.mktemp("video-e2e")
    sim = _start_sim(root / "sim")
    port = free_tcp_port()
    config = write_station_config(root / "station.toml", root / "data", port, sim.ready, [])
    lines = []
    for camera in sim.ready.cameras:
        lines += [
            "[[cameras]]",
            f'id = "{camera.id}"',
            f'kind = "{camera.kind}"',
            f'stream_url = "{camera.stream_url}"',
        ]
        if camera.vehicle_slug:
            lines.append(f'vehicle_slug = "{camera.vehicle_slug}"')
        if camera.sdp_path:
            lines.append(f'sdp_path = "{camera.sdp_path}"')
    lines += ["[video]", "enabled = true", "segment_s = 2.0", "stall_timeout_s = 5.0"]
    with config.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    add_user(config, "video-admin", "admin", PASSWORD)
    service = ServiceProcess(config, port, root / "service.log")
    try:
        service.start()
        yield sim, service
    finally:
        code = service.stop()
        sim.stop()
        assert code in (0, None), service.log_tail()


async def _api(service: ServiceProcess) -> Api:
    api = Api(service.base_url, "video-admin", PASSWORD)
    await api.login()
    return api


async def _live(api: Api, stream_id: str) -> dict:  # type: ignore[type-arg]
    async def probe() -> dict | None:  # type: ignore[type-arg]
        streams = {s["id"]: s for s in await api.ok("GET", "/api/video/streams")}
        stream = streams.get(stream_id)
        return stream if stream and stream["live"] and stream["frames"] >= 3 else None

    return await eventually(probe, f"{stream_id} live", timeout_s=60)


async def _mjpeg_frames(
    client: httpx.AsyncClient, url: str, count: int
) -> list[tuple[dict[str, str], np.ndarray]]:
    out = []
    async with client.stream("GET", url) as response:
        assert response.status_code == 200, await response.aread()
        parser = MjpegPartParser(boundary_from_content_type(response.headers["content-type"]))
        async for chunk in response.aiter_raw():
            for part in parser.feed(chunk):
                image = cv2.imdecode(np.frombuffer(part.body, np.uint8), cv2.IMREAD_COLOR)
                assert image is not None
                out.append((part.headers, image))
                if len(out) == count:
                    return out
    return out


async def test_drone_video_with_klv_matches_telemetry_through_a_ticket(
    world: tuple[SimProcess, ServiceProcess],
) -> None:
    _sim, service = world
    api = await _api(service)
    try:
        stream = await _live(api, "sim-1-gimbal")
        assert stream["sensor"] == {
            "sensor_id": "sim-1-gimbal",
            "kind": "gimbal",
            "vehicle_id": "sim-1",
            "lon": None,
            "lat": None,
            "alt_amsl_m": None,
            "heading_deg": None,
        }
        assert stream["kind"] == "rtp" and (stream["width"], stream["height"]) == (320, 240)
        assert stream["pose"]["source"] == "klv"
        vehicle = await eventually(
            lambda: api.ok("GET", "/api/vehicles/sim-1"), "sim-1 telemetry", timeout_s=60
        )

        async def position() -> dict | None:  # type: ignore[type-arg]
            return (await api.ok("GET", "/api/vehicles/sim-1")).get("position")

        telemetry = await eventually(position, "sim-1 position")
        pose = (await _live(api, "sim-1-gimbal"))["pose"]
        assert vehicle["vehicle_id"] == "sim-1" or vehicle.get("slug") == "sim-1"
        # The vehicle sits at home: the KLV sensor position and MAVLink telemetry must agree closely
        # (KLV quantisation: ~1e-7 deg, 0.3 m of altitude).
        assert abs(pose["lat"] - telemetry["lat"]) < 2e-6 and abs(pose["lon"] - telemetry["lon"]) < 2e-6
        assert abs(pose["alt_amsl_m"] - telemetry["alt_amsl_m"]) < 1.5

        ticket = await api.ok("POST", "/api/video/streams/sim-1-gimbal/ticket", json={"variant": "annotated"})
        assert set(ticket) == {"ticket", "mjpeg_url", "webrtc_offer_url", "expires_at"}
        frames = await _mjpeg_frames(api.client, service.base_url + ticket["mjpeg_url"], 3)
        assert len(frames) == 3
        seqs = [int(h["x-frame-seq"]) for h, _ in frames]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        assert all(img.shape == (240, 320, 3) for _, img in frames)
        # single use: the same ticket again is refused, and so is no ticket
        again = await api.client.get(service.base_url + ticket["mjpeg_url"])
        assert again.status_code == 401 and "already used" in again.text
        assert ticket["ticket"] not in service.log_tail(1_000_000)  # access log redacts ?ticket=
        bare = await api.client.get(f"{service.base_url}/api/video/streams/sim-1-gimbal/mjpeg")
        assert bare.status_code == 401
        other = await api.ok("POST", "/api/video/streams/sim-1-gimbal/ticket")
        wrong = await api.client.get(
            f"{service.base_url}/api/video/streams/pole-e2e/mjpeg?ticket={other['ticket']}"
        )
        assert wrong.status_code == 401 and "not stream:pole-e2e" in wrong.text
    finally:
        await api.close()


async def test_pole_camera_over_mjpeg_is_ingested(world: tuple[SimProcess, ServiceProcess]) -> None:
    _sim, service = world
    api = await _api(service)
    try:
        stream = await _live(api, "pole-e2e")
        assert stream["kind"] == "mjpeg" and stream["sensor"]["kind"] == "fixed"
        assert stream["pose"]["source"] == "none"  # not one of the region's sensors: pose unknown, said so
        ticket = await api.ok("POST", "/api/video/streams/pole-e2e/ticket", json={"variant": "raw"})
        frames = await _mjpeg_frames(api.client, service.base_url + ticket["mjpeg_url"], 2)
        assert [img.shape for _, img in frames] == [(240, 320, 3)] * 2
    finally:
        await api.close()


async def test_recording_lists_downloads_and_plays_back_with_klv(
    world: tuple[SimProcess, ServiceProcess], tmp_path: Path
) -> None:
    _sim, service = world
    api = await _api(service)
    try:
        await _live(api, "sim-1-gimbal")

        async def closed_segments() -> list | None:  # type: ignore[type-arg]
            found = await api.ok("GET", "/api/video/recordings?stream_id=sim-1-gimbal")
            return found[:-1] if len(found) >= 2 else None  # the last one is still being written

        recording = (await eventually(closed_segments, "a finished recording segment", timeout_s=60))[0]
        assert recording["data_class"] == "raw_video" and recording["size_bytes"] > 0
        download = await api.call("GET", recording["download_url"])
        assert download.status_code == 200 and download.headers["content-type"] == "video/mp2t"
        path = tmp_path / recording["id"]
        path.write_bytes(download.content)
        if shutil.which("ffprobe"):
            probe = await asyncio.to_thread(
                subprocess.run,
                ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                capture_output=True,
                text=True,
                timeout=30,
            )
            streams = json.loads(probe.stdout)["streams"]
            assert [(s["codec_type"], s["codec_name"]) for s in streams] == [
                ("video", "h264"),
                ("data", "klv"),
            ]
            assert streams[1]["codec_tag_string"] == "KLVA"
        frames = [f async for f in read_av(str(path))]
        assert len(frames) >= 5 and all(f.klv is not None for f in frames)
        assert frames[0].klv is not None and abs(frames[0].klv.sensor_lat - HOME[1]) < 1e-4  # type: ignore[operator]

        metadata = await api.ok("GET", f"/api/video/recordings/{recording['id']}/metadata")
        assert len(metadata) == len(frames) and metadata[0]["index"] == 0
        assert abs(metadata[0]["values"]["sensor_lon"] - HOME[0]) < 1e-4

        ticket = await api.ok("POST", f"/api/video/recordings/{recording['id']}/ticket")
        played = await _mjpeg_frames(api.client, service.base_url + ticket["mjpeg_url"], 2)
        assert len(played) == 2 and played[0][1].shape == (240, 320, 3)

        partner = await api.call("GET", "/api/video/recordings/nope/download")
        assert partner.status_code == 404
    finally:
        await api.close()


async def _webrtc_frames(api: Api, service: ServiceProcess, variant: str, count: int) -> tuple[str, list]:  # type: ignore[type-arg]
    from aiortc import RTCPeerConnection, RTCSessionDescription

    ticket = await api.ok("POST", "/api/video/streams/sim-1-gimbal/ticket", json={"variant": variant})
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        got_track: asyncio.Future = asyncio.get_running_loop().create_future()  # type: ignore[type-arg]
        pc.on("track", lambda track: got_track.done() or got_track.set_result(track))
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sdp": pc.localDescription.sdp, "type": "offer"}
        answer = await api.client.post(service.base_url + ticket["webrtc_offer_url"], json=offer)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "a=candidate:" in body["sdp"] and "127.0.0.1" in body["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
        track = await asyncio.wait_for(got_track, 30)
        frames = [await asyncio.wait_for(track.recv(), 30) for _ in range(count)]
        reused = await api.client.post(service.base_url + ticket["webrtc_offer_url"], json=offer)
        assert reused.status_code == 401
        return body["mode"], frames
    finally:
        await pc.close()


async def test_webrtc_viewers_receive_video_through_tickets(world: tuple[SimProcess, ServiceProcess]) -> None:
    from ground_station.video.webrtc import restrict_ice_addresses

    _sim, service = world
    restrict_ice_addresses(["127.0.0.1"])  # the test plays the browser, on loopback like the service
    api = await _api(service)
    try:
        await _live(api, "sim-1-gimbal")
        # raw: the drone's own H.264 forwarded; annotated: one shared encode, joined by each viewer
        for variant, expected in (("raw", "passthrough"), ("annotated", "shared"), ("annotated", "shared")):
            mode, frames = await _webrtc_frames(api, service, variant, 3)
            assert mode == expected
            assert [(f.width, f.height) for f in frames] == [(320, 240)] * 3
        bad = await api.ok("POST", "/api/video/streams/sim-1-gimbal/ticket")
        refused = await api.client.post(
            service.base_url + bad["webrtc_offer_url"], json={"sdp": "v=0\r\nnot an offer", "type": "offer"}
        )
        assert refused.status_code == 400 and "unusable WebRTC offer" in refused.text
    finally:
        await api.close()
