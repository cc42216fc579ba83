"""``borderwatch video probe``: a recording and a live simulator stream report codec, size, rate and KLV."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from geodata.terrain import FlatTerrain
from ground_station.video.probe import probe
from sim.camera.spec import CameraKind, CameraSpec
from sim.camera.streams import start_camera_streams
from tests.ground_station.test_video_ingest import _recorded
from tests.sim.camera.conftest import StaticScene, hover_pose

pytestmark = pytest.mark.timeout(60)


def test_cli_probe_of_a_recording_prints_codec_size_and_klv(tmp_path: Path) -> None:
    path = _recorded(tmp_path, [(320, 240)], per_size=8).segments[0]
    result = CliRunner().invoke(app, ["video", "probe", str(path), "--frames", "5"])
    assert result.exit_code == 0, result.output
    assert "320x240" in result.output and "MISB ST 0601 in 5 of 5 frames" in result.output
    assert "sensor_lat: 50.2" in result.output and "precision_time_utc: 2026-05-01T10:00" in result.output


def test_cli_probe_of_nothing_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["video", "probe", str(tmp_path / "missing.ts"), "--timeout", "2"])
    assert result.exit_code == 1 and "cannot open" in result.output


async def test_probe_of_a_live_sdp_stream(tmp_path: Path) -> None:
    scene = StaticScene(terrain=FlatTerrain(420.0), poses={"sim-1": hover_pose(80.0)})
    spec = CameraSpec(
        id="g", kind=CameraKind.DRONE, vehicle_slug="sim-1", width=320, height=240, fps=10, port=0
    )
    streams = await start_camera_streams(scene, [spec], sdp_dir=tmp_path)
    try:
        result = await probe(streams.endpoints[0].sdp_path or "", max_frames=4, timeout_s=20)
    finally:
        await streams.stop()
    assert result.frames == 4 and result.sizes == [(320, 240)] and result.codec == "H.264 over RTP"
    assert result.klv_frames == 4 and result.last_klv is not None and result.last_klv.ls_version == 19
    assert result.rate_fps is not None and result.rate_fps > 1


def test_access_log_redacts_stream_tickets_and_keeps_its_shape() -> None:
    import logging

    import uvicorn.logging

    from ground_station.cli import _RedactTokens

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/api/video/streams/g/mjpeg?ticket=SECRET-1&variant=raw", "1.1", 200), None,
    )  # fmt: skip
    assert _RedactTokens().filter(record)
    line = uvicorn.logging.AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(
        record
    )
    assert "SECRET" not in line and "ticket=<redacted>&variant=raw" in line and line.endswith("200 OK")
