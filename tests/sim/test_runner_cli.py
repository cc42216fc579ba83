"""The runner and its CLI: ready-json (design contract 6), control API faults, clean shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from sim.ready import ReadyInfo, read_ready_json
from sim.runner import RunOptions, Simulation
from sim.scene import SceneSource
from tests.sim.helpers import RawGcs

pytestmark = [pytest.mark.timeout(90)]


def _two_consecutive_gcs() -> tuple[RawGcs, RawGcs]:
    for _ in range(50):
        first = RawGcs()
        try:
            return first, RawGcs(first.port + 1)
        except OSError:
            first.close()
    raise RuntimeError("no two consecutive free UDP ports")


async def test_simulation_writes_ready_json_and_serves_control_api(tmp_path: Path) -> None:
    gcs_1, gcs_2 = _two_consecutive_gcs()
    port = gcs_1.port
    options = RunOptions(
        vehicles=2,
        speed=4.0,
        base_port=port - 1,
        ready_json=tmp_path / "ready.json",
        camera_ports_ephemeral=True,
    )
    simulation = Simulation(options, say=lambda _text: None)
    try:
        ready = await simulation.start()
        on_disk = read_ready_json(tmp_path / "ready.json")
        assert on_disk == ready
        assert [v.slug for v in ready.vehicles] == ["sim-1", "sim-2"]
        assert [v.mavlink_url for v in ready.vehicles] == [
            f"udpin://127.0.0.1:{port}",
            f"udpin://127.0.0.1:{port + 1}",
        ]
        assert all(v.system_id == 1 for v in ready.vehicles), "every PX4 instance reports system id 1"
        assert ready.speed == 4.0
        # Each vehicle on its own link: both ground-station ports hear a PX4 heartbeat, from different ports.
        for gcs in (gcs_1, gcs_2):
            heartbeat = await gcs.wait_for(lambda m: m.get_type() == "HEARTBEAT", 5)
            assert heartbeat is not None and heartbeat.autopilot == 12
        assert gcs_1.vehicle != gcs_2.vehicle
        drone_cameras = [c for c in ready.cameras if c.kind == "drone"]
        assert {c.vehicle_slug for c in drone_cameras} == {"sim-1", "sim-2"}
        assert all(c.sdp_path and os.path.exists(c.sdp_path) for c in drone_cameras)  # noqa: ASYNC240
        async with httpx.AsyncClient(base_url=ready.control_url, timeout=5) as client:
            health = (await client.get("/health")).json()
            assert health["status"] == "ok" and health["speed"] == 4.0
            response = await client.post("/vehicles/sim-2/faults", json={"kind": "gps", "seconds": 0.5})
            assert response.status_code == 200
            assert not simulation.world.vehicles["sim-2"].flight.gps_ok
            states = {v["slug"]: v for v in (await client.get("/vehicles")).json()}
            assert states["sim-2"]["faults"] == ["gps"] and states["sim-1"]["faults"] == []
            await asyncio.sleep(0.8)
            assert simulation.world.vehicles["sim-2"].flight.gps_ok, "cleared after --seconds"
            assert (await client.post("/vehicles/nope/faults", json={"kind": "gps"})).status_code == 404
            assert (
                await client.post("/vehicles/sim-1/faults", json={"kind": "lightning"})
            ).status_code == 422
            await client.put("/wind", json={"speed_mps": 7.5, "from_deg": 90})
            assert simulation.world.wind.settings.speed_mps == 7.5
            objects = (await client.get("/ground-objects")).json()
            assert {o["kind"] for o in objects} == {"person", "car"}
        # The world is the camera simulator's scene.
        assert isinstance(simulation.world, SceneSource)
        pose = simulation.world.vehicle_pose("sim-1")
        assert pose.lon == pytest.approx(17.205) and pose.time_utc.tzinfo is not None
    finally:
        await simulation.stop()
        gcs_1.close()
        gcs_2.close()


@pytest.mark.slow
async def test_cli_run_fault_and_sigterm(tmp_path: Path) -> None:
    gcs = RawGcs()
    ready_path = tmp_path / "ready.json"
    command = [
        sys.executable, "-c", "from borderwatch_cli.main import app; app()", "sim", "run", "--vehicles", "1",
        "--speed", "5", "--base-port", str(gcs.port - 1), "--ready-json", str(ready_path), "--no-cameras",
    ]  # fmt: skip
    # A real child process, as `borderwatch demo` starts it; Popen returns at once (the loop is not blocked).
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: ASYNC220
    try:
        deadline = time.monotonic() + 60
        while not ready_path.exists():
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "simulator did not get ready"
            await asyncio.sleep(0.1)
        ready = ReadyInfo.model_validate(json.loads(ready_path.read_text()))
        assert ready.vehicles[0].mavlink_url == f"udpin://127.0.0.1:{gcs.port}"
        assert await gcs.wait_for(lambda m: m.get_type() == "HEARTBEAT", 5) is not None
        result = CliRunner().invoke(
            app, ["sim", "fault", "sim-1", "gps", "--seconds", "2", "--ready-json", str(ready_path)]
        )
        assert result.exit_code == 0, result.output
        gps = await gcs.wait_for(lambda m: m.get_type() == "GPS_RAW_INT" and m.fix_type < 2, 2)
        assert gps is not None
        result = CliRunner().invoke(app, ["sim", "fault", "sim-7", "gps", "--ready-json", str(ready_path)])
        assert result.exit_code == 1 and "no vehicle 'sim-7'" in result.output
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
        assert process.returncode == 0, output
        assert "vehicle sim-1 (system id 1): udpin://127.0.0.1:" in output
        assert not ready_path.exists(), "the ready-json goes away with the simulator"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        gcs.close()


def test_cli_rejects_a_bad_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("vehicles:\n  - slug: a\n    home: {lon: 999, lat: 50}\n")
    result = CliRunner().invoke(app, ["sim", "run", str(bad), "--ready-json", str(tmp_path / "r.json")])
    assert result.exit_code == 2
    assert "vehicles.0.home.lon" in result.output


def test_cli_rejects_a_missing_dem(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sim", "run", "--dem", str(tmp_path / "none.tif"), "--ready-json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 2
    assert "DEM file not found" in result.output
