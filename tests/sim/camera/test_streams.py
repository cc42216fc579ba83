"""Streams on real sockets: RTP/H.264 with SEI from an SDP, MJPEG over HTTP, idle when unconsumed."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from geodata.terrain import FlatTerrain
from ground_station.video.mjpeg_client import read_mjpeg
from ground_station.video.rtp_receiver import RtpH264Receiver
from sim.camera.spec import CameraKind, CameraSpec, FixedMount, StreamDemand
from sim.camera.streams import CameraStreams, start_camera_streams
from sim.scene import GroundObject, GroundObjectKind
from tests.sim.camera.conftest import HOME_LAT, HOME_LON, StaticScene, hover_pose
from tests.sim.camera.truth import truth_of

pytestmark = pytest.mark.timeout(60)

SMALL = {"width": 320, "height": 180, "fps": 20.0, "port": 0}


def _scene(terrain: FlatTerrain) -> StaticScene:
    return StaticScene(
        terrain=terrain,
        objects=[
            GroundObject("walker", GroundObjectKind.PERSON, HOME_LON, HOME_LAT, 0.0, 1.0),
            GroundObject("van", GroundObjectKind.CAR, HOME_LON + 0.0002, HOME_LAT + 0.0001, 90.0, 5.0),
        ],
        poses={"sim-1": hover_pose(80.0)},
    )


def _drone() -> CameraSpec:
    return CameraSpec(id="sim-1-gimbal", kind=CameraKind.DRONE, vehicle_slug="sim-1", **SMALL)


def _pole() -> CameraSpec:
    mount = FixedMount(
        lon=HOME_LON - 0.0003, lat=HOME_LAT - 0.0002, mount_height_agl_m=6.0, heading_deg=40.0, tilt_deg=10.0
    )
    return CameraSpec(id="pole-1", kind=CameraKind.FIXED, mount=mount, hfov_deg=60.0, vfov_deg=34.8, **SMALL)


async def _wait_for(condition, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_rtp_stream_decodes_with_sei_metadata_and_idles(
    flat_terrain: FlatTerrain, tmp_path: Path
) -> None:
    scene = _scene(flat_terrain)
    streams: CameraStreams = await start_camera_streams(scene, [_drone()], sdp_dir=tmp_path)
    try:
        endpoint = streams.endpoints[0]
        rtp = streams.rtp_streams["sim-1-gimbal"]
        rtp.lease_s = 0.6
        assert endpoint.kind is CameraKind.DRONE and endpoint.vehicle_slug == "sim-1"
        assert endpoint.sdp_path is not None and endpoint.sdp_path.endswith("sim-1-gimbal.sdp")
        assert endpoint.stream_url == f"rtp://127.0.0.1:{rtp.rtp_port}"
        await asyncio.sleep(0.4)
        assert rtp.frames_sent == 0, "rendered before anyone asked"

        async with RtpH264Receiver.from_sdp_file(Path(endpoint.sdp_path)) as receiver:
            frames = []
            async for frame in receiver.frames():
                frames.append(frame)
                if len(frames) == 3:
                    break
            first = frames[0]
            assert first.image.shape == (180, 320, 3)
            meta = truth_of(first)
            assert meta is not None and meta.camera_id == "sim-1-gimbal"
            assert meta.pose.lon == pytest.approx(HOME_LON) and meta.pose.pitch_deg == -90.0
            assert meta.pose.alt_amsl_m == pytest.approx(scene.poses["sim-1"].alt_amsl_m)
            assert meta.sim_time_s == pytest.approx(12.5)
            assert meta.vehicle_time_utc == scene.poses["sim-1"].time_utc
            assert {o.object_id for o in meta.objects} == {"walker", "van"}
            walker = next(o for o in meta.objects if o.object_id == "walker")
            assert abs((walker.x0 + walker.x1) / 2 - 160) < 3 and abs((walker.y0 + walker.y1) / 2 - 90) < 3
            klv = first.klv
            assert klv is not None and klv.sensor_lon == pytest.approx(HOME_LON, abs=1e-6)
            assert klv.sensor_lat == pytest.approx(HOME_LAT, abs=1e-6)
            assert klv.sensor_alt_amsl_m == pytest.approx(meta.pose.alt_amsl_m, abs=0.31)
            assert klv.sensor_rel_elevation_deg == pytest.approx(-90.0, abs=1e-4)
            assert klv.precision_time_utc == meta.capture_time_utc
            assert klv.frame_center_lat == pytest.approx(HOME_LAT, abs=1e-6)  # straight down
            seqs = [m.seq for m in map(truth_of, frames) if m]
            assert seqs == sorted(seqs) and len(set(seqs)) == 3
            receiver.stop_keepalives()
            await _wait_for(lambda: not rtp.consumer_active, 3.0)
            sent = rtp.frames_sent
            await asyncio.sleep(0.5)
            assert rtp.frames_sent <= sent + 1, "kept rendering without a consumer"
            assert receiver.stats.malformed == 0
    finally:
        await streams.stop()


async def test_rtp_receiver_shrugs_off_garbage_datagrams(flat_terrain: FlatTerrain, tmp_path: Path) -> None:
    streams = await start_camera_streams(_scene(flat_terrain), [_drone()], sdp_dir=tmp_path)
    try:
        sdp = Path(streams.endpoints[0].sdp_path or "")
        async with RtpH264Receiver.from_sdp_file(sdp) as receiver:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for junk in (b"", b"\x80", b"\x80\x60" + b"\x00" * 10, b"\x80\x60\x00\x01" + b"\xff" * 40):
                    sock.sendto(junk, ("127.0.0.1", receiver.session.port))
            good = 0
            async for frame in receiver.frames():
                good += frame.klv is not None
                if good == 2:
                    break
            assert receiver.stats.malformed >= 3
    finally:
        await streams.stop()


async def test_mjpeg_over_http_with_metadata_headers_only_while_watched(
    flat_terrain: FlatTerrain, tmp_path: Path
) -> None:
    streams = await start_camera_streams(_scene(flat_terrain), [_pole()], sdp_dir=tmp_path)
    try:
        server = streams.mjpeg_servers["pole-1"]
        endpoint = streams.endpoints[0]
        assert endpoint.kind is CameraKind.FIXED and endpoint.sdp_path is None
        assert endpoint.pose["mount_height_agl_m"] == 6.0
        await asyncio.sleep(0.3)
        assert server.frames_rendered == 0 and not server.rendering
        frames = [f async for f in read_mjpeg(endpoint.stream_url, max_frames=3)]
        assert len(frames) == 3
        for frame in frames:
            assert frame.image.shape == (180, 320, 3)
            meta = truth_of(frame)
            assert meta is not None and meta.camera_id == "pole-1"
            assert frame.capture_time_utc == meta.capture_time_utc
            assert frame.capture_time_utc is not None and frame.capture_time_utc.tzinfo is not None
        first = truth_of(frames[0])
        assert first is not None and {o.object_id for o in first.objects} == {"walker", "van"}
        assert first.pose.alt_amsl_m == pytest.approx(flat_terrain.elevation + 6.0)
        await _wait_for(lambda: not server.rendering, 3.0)
        rendered = server.frames_rendered
        await asyncio.sleep(0.3)
        assert server.frames_rendered == rendered
    finally:
        await streams.stop()


async def test_mjpeg_server_answers_bad_requests_clearly(flat_terrain: FlatTerrain, tmp_path: Path) -> None:
    streams = await start_camera_streams(_scene(flat_terrain), [_pole()], sdp_dir=tmp_path)
    try:
        server = streams.mjpeg_servers["pole-1"]
        base = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(timeout=5.0) as client:
            assert (await client.post(f"{base}/stream.mjpg")).status_code == 405
            missing = await client.get(f"{base}/nope")
            assert missing.status_code == 404 and "/stream.mjpg" in missing.text
            snap = await client.get(f"{base}/snapshot.jpg")
            assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"
            assert '"camera_id":"pole-1"' in snap.headers["x-borderwatch-meta"]
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"\x16\x03\x01garbage\r\n\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 5.0)
        assert reply.startswith(b"HTTP/1.1 400")
        writer.close()
        assert not server.rendering
    finally:
        await streams.stop()


async def test_camera_specs_are_validated(tmp_path: Path, flat_terrain: FlatTerrain) -> None:
    with pytest.raises(ValueError, match="needs vehicle_slug"):
        CameraSpec(id="x", kind=CameraKind.DRONE)
    with pytest.raises(ValueError, match="needs a mount"):
        CameraSpec(id="x", kind=CameraKind.FIXED, vehicle_slug="sim-1")
    with pytest.raises(ValueError, match="even"):
        CameraSpec(id="x", kind=CameraKind.DRONE, vehicle_slug="a", width=321)
    with pytest.raises(ValueError, match="unique"):
        await start_camera_streams(_scene(flat_terrain), [_drone(), _drone()], sdp_dir=tmp_path)
    assert _drone().default_port(2) == 5602 and _pole().default_port(1) == 8082


async def test_always_on_rtp_stream_needs_no_keepalive(flat_terrain: FlatTerrain, tmp_path: Path) -> None:
    spec = _drone().model_copy(update={"demand": StreamDemand.ALWAYS})
    streams = await start_camera_streams(_scene(flat_terrain), [spec], sdp_dir=tmp_path)
    try:
        rtp = streams.rtp_streams[spec.id]
        await _wait_for(lambda: rtp.frames_sent >= 3, 10.0)  # nobody asked: it streams anyway
        assert rtp.consumer_active
    finally:
        await streams.stop()
