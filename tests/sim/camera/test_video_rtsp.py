"""The simulator's RTSP pole camera, read by the station's RTSP ingest (FFmpeg, interleaved TCP), and
the server's answers to bad requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from geodata.terrain import FlatTerrain
from ground_station.video.ingest import IngestStream, SensorBinding, SourceKind, StreamSource
from ground_station.video.service import source_kind
from sim.camera.spec import CameraKind, CameraSpec, FixedMount
from sim.camera.streams import start_camera_streams
from tests.sim.camera.conftest import HOME_LAT, HOME_LON, StaticScene

pytestmark = pytest.mark.timeout(60)


def _pole() -> CameraSpec:
    mount = FixedMount(lon=HOME_LON, lat=HOME_LAT, mount_height_agl_m=6.0, heading_deg=40.0, tilt_deg=10.0)
    return CameraSpec(
        id="pole-rtsp",
        kind=CameraKind.FIXED,
        mount=mount,
        transport="rtsp",
        width=320,
        height=240,
        fps=10,
        port=0,
    )


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: str) -> str:
    writer.write(request.encode("ascii"))
    await writer.drain()
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
    length = int(next(line.split(":")[1] for line in head.split("\r\n") if line.startswith("Content-Length")))
    return head + (await reader.readexactly(length)).decode()


async def test_rtsp_pole_camera_is_ingested(flat_terrain: FlatTerrain, tmp_path: Path) -> None:
    streams = await start_camera_streams(StaticScene(terrain=flat_terrain), [_pole()], sdp_dir=tmp_path)
    stream = None
    try:
        endpoint = streams.endpoints[0]
        assert (
            endpoint.stream_url.startswith("rtsp://127.0.0.1:")
            and source_kind(endpoint.stream_url) is SourceKind.RTSP
        )
        stream = IngestStream(
            StreamSource("pole-rtsp", SourceKind.RTSP, endpoint.stream_url, SensorBinding("pole-rtsp")),
            bus=None, telemetry=None, stall_timeout_s=15.0,
        )  # fmt: skip
        stream.start()
        seen = -1
        for _ in range(3):
            frame = await stream.next_frame(seen, 30.0)
            assert frame is not None, stream.stats
            seen = frame.seq
            assert frame.image.shape == (240, 320, 3) and frame.access_unit is not None
        assert streams.rtsp_servers["pole-rtsp"].sessions_played == 1
    finally:
        if stream is not None:
            await stream.stop()
        await streams.stop()


async def test_rtsp_server_answers_bad_requests_and_keeps_the_connection(
    flat_terrain: FlatTerrain, tmp_path: Path
) -> None:
    streams = await start_camera_streams(StaticScene(terrain=flat_terrain), [_pole()], sdp_dir=tmp_path)
    try:
        server = streams.rtsp_servers["pole-rtsp"]
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        url = server.stream_url
        options = await _ask(reader, writer, f"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        assert options.startswith("RTSP/1.0 200") and "CSeq: 1" in options and "DESCRIBE" in options
        describe = await _ask(reader, writer, f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\n\r\n")
        assert "m=video 0 RTP/AVP 96" in describe and "H264/90000" in describe
        play = await _ask(reader, writer, f"PLAY {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n")
        assert play.startswith("RTSP/1.0 454")
        bad_transport = await _ask(
            reader, writer, f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nTransport: x\r\n\r\n"
        )
        assert bad_transport.startswith("RTSP/1.0 461")
        garbage = await _ask(reader, writer, "\x16\x03 garbage\r\n\r\n")
        assert garbage.startswith("RTSP/1.0 400")
        unknown = await _ask(reader, writer, f"RECORD {url} RTSP/1.0\r\nCSeq: 5\r\n\r\n")
        assert unknown.startswith("RTSP/1.0 405")
        again = await _ask(reader, writer, f"OPTIONS {url} RTSP/1.0\r\nCSeq: 6\r\n\r\n")
        assert again.startswith("RTSP/1.0 200")
        writer.close()
        assert server.frames_sent == 0  # nobody played: nothing rendered
    finally:
        await streams.stop()
