"""``borderwatch demo`` for real: simulator child process + service, logins printed, clean Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from ground_station.demo import BORDERWATCH_COMMAND
from tests.conftest import REPO
from tests.ground_station.test_e2e_support import free_tcp_port, free_udp_base

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def test_demo_starts_sim_and_service_patrols_prints_logins_and_stops_cleanly(tmp_path: Path) -> None:
    port, data = free_tcp_port(), tmp_path / "demo"
    env = {**os.environ, "BORDERWATCH_DATA": str(tmp_path / "no-dem-here"), "BORDERWATCH_DEM": ""}
    command = [
        *BORDERWATCH_COMMAND,
        "demo",
        "--vehicles", "1",
        "--speed", "5",
        "--port", str(port),
        "--base-port", str(free_udp_base(1)),
        "--no-cameras",
        "--data-dir", str(data),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Ctrl-C stops" in line for line in output):
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(output)
            output.append(line)
            assert time.monotonic() < deadline, "".join(output)
        text = "".join(output)
        assert f"http://127.0.0.1:{port}" in text
        assert "NO TERRAIN" in text and "borderwatch geodata fetch-dem" in text
        logins = dict(re.findall(r"^\s+(demo-\w+)\s+\w+\s+(\S+)$", text, re.MULTILINE))
        assert set(logins) == {"demo-admin", "demo-commander", "demo-pilot", "demo-partner"}
        assert len(set(logins.values())) == 4 and all(len(p) >= 16 for p in logins.values())

        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/auth/token", data={"username": "demo-pilot", "password": logins["demo-pilot"]}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while True:
            vehicles = httpx.get(f"{base}/api/vehicles", headers=headers).json()
            if vehicles and vehicles[0]["state"] != "DISCONNECTED" and vehicles[0]["position"]:
                break
            assert time.monotonic() < deadline, vehicles
            time.sleep(0.3)
        assert vehicles[0]["vehicle_id"] == "sim-1"
        # The demo patrol flies the drone through the API: it arms and runs its mission by itself.
        deadline = time.monotonic() + 90
        while True:
            sim1 = httpx.get(f"{base}/api/vehicles/sim-1", headers=headers).json()
            if sim1["armed"] and sim1["flight_mode"] == "AUTO.MISSION" and sim1["mission_total"] > 0:
                break
            assert time.monotonic() < deadline, sim1
            time.sleep(0.5)
        ready = data / "sim" / "sim-ready.json"
        assert processes_mentioning(str(ready)), "the simulator child is not running"
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(output) + rest
    assert "demo stopped" in rest
    assert "Traceback" not in "".join(output) + rest
    assert processes_mentioning(str(ready)) == [], "the simulator outlived the demo"


def test_killing_the_demo_with_sigkill_ends_its_simulator(tmp_path: Path) -> None:
    """``kill -9`` runs no clean-up in the demo; the simulator must notice its parent is gone by itself.

    The wait is on the simulator's pidfd (readable once it exits), with a generous guard timeout."""
    import select

    port, data = free_tcp_port(), tmp_path / "demo"
    env = {**os.environ, "BORDERWATCH_DATA": str(tmp_path / "no-dem-here"), "BORDERWATCH_DEM": ""}
    command = [
        *BORDERWATCH_COMMAND,
        "demo",
        "--vehicles", "1",
        "--port", str(port),
        "--base-port", str(free_udp_base(1)),
        "--no-cameras",
        "--no-patrol",
        "--data-dir", str(data),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output: list[str] = []
    simulators: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Ctrl-C stops" in line for line in output):
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(output)
            output.append(line)
            assert time.monotonic() < deadline, "".join(output)
        simulators = processes_mentioning(str(data / "sim" / "sim-ready.json"))
        assert len(simulators) == 1, simulators
        simulator = os.pidfd_open(simulators[0])
        process.kill()
        process.wait(timeout=30)
        readable, _, _ = select.select([simulator], [], [], 60.0)
        os.close(simulator)
        assert readable, "the simulator outlived its SIGKILLed parent"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in simulators:  # never leave one behind, whatever failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
