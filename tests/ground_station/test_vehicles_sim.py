"""The station against the real built-in simulator (``borderwatch sim run``) in its own process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ground_station.bus.messages import FlightEventKind, FlightEventMsg, StatusMsg, VehicleState
from ground_station.tlog import iter_tlog
from ground_station.vehicles import StationCore, StationVehicle
from missions.formats.mavlink_items import MissionItemInt

# sim_only: several simulated vehicles in one `borderwatch sim run` process; one PX4 SITL cannot stand in.
pytestmark = [pytest.mark.timeout(150), pytest.mark.sitl, pytest.mark.sim_only, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BORDERWATCH = Path(sys.executable).with_name("borderwatch")


def free_udp_base(count: int) -> int:
    """A base port P with P+1..P+count free for UDP right now (the simulator sends vehicle i to P+i)."""
    for _ in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1] - 1
        probe.close()
        sockets = []
        try:
            for i in range(1, count + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free UDP port range")


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[dict[str, object]]:
    if not BORDERWATCH.exists():
        pytest.skip(f"{BORDERWATCH} is not installed")
    ready = tmp_path / "ready.json"
    process = await asyncio.create_subprocess_exec(
        str(BORDERWATCH),
        "sim",
        "run",
        "--vehicles",
        "1",
        "--base-port",
        str(free_udp_base(1)),
        "--speed",
        "5",
        "--ready-json",
        str(ready),
        "--no-cameras",
        "--control-port",
        "0",
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if process.returncode is not None:
                error = (await process.stderr.read()).decode()[-2000:] if process.stderr else ""
                pytest.fail(f"simulator exited: {error}")
            if time.monotonic() > deadline:
                pytest.fail("simulator did not write its ready-json within 60 s")
            await asyncio.sleep(0.2)
        yield {**json.loads(ready.read_text()), "pid": process.pid}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def wait_state(core: StationCore, vehicle_id: str, state: VehicleState, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while core.registry.get(vehicle_id).state is not state:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{vehicle_id} never reached {state} (is {core.registry.get(vehicle_id).state})"
            )
        await asyncio.sleep(0.1)


async def test_fly_a_mission_against_the_simulator(simulator: dict[str, object], tmp_path: Path) -> None:
    vehicle = simulator["vehicles"][0]  # type: ignore[index]
    slug, url = vehicle["slug"], vehicle["mavlink_url"]
    home = vehicle["home"]
    core = StationCore([StationVehicle(slug, url)], tlog_dir=tmp_path / "tlogs")
    await core.start()
    events = core.bus.subscribe(f"vehicle.{slug}.>", maxsize=200_000)
    try:
        await wait_state(core, slug, VehicleState.CONNECTED, 30)
        lon, lat = home["lon"], home["lat"]
        mission = [
            MissionItemInt(
                0, 3, 16, 0, 1, 0.0, 2.0, 0.0, math.nan, round((lat + 0.0008) * 1e7), round(lon * 1e7), 30.0
            ),
            MissionItemInt(
                1,
                3,
                16,
                0,
                1,
                0.0,
                2.0,
                0.0,
                math.nan,
                round((lat + 0.0008) * 1e7),
                round((lon + 0.001) * 1e7),
                30.0,
            ),
            MissionItemInt(2, 2, 20, 0, 1, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0),
        ]
        report = await core.fleet.upload_mission(slug, mission, [], [])
        assert report.verified
        await core.fleet.arm(slug)
        await core.fleet.takeoff(slug, 15.0)
        await wait_state(core, slug, VehicleState.IN_AIR, 30)
        await core.fleet.start(slug)
        await wait_state(core, slug, VehicleState.RETURNING, 90)
        await wait_state(core, slug, VehicleState.LANDED, 90)
    finally:
        await core.stop()
    messages = [m for _, m in events.drain()]
    statuses = [m for m in messages if isinstance(m, StatusMsg)]
    assert statuses[-1].autopilot == "PX4"
    assert "AUTO.MISSION" in {s.flight_mode for s in statuses}
    ended = [m for m in messages if isinstance(m, FlightEventMsg) and m.kind is FlightEventKind.FLIGHT_ENDED]
    assert ended and ended[0].tlog_path
    records = list(iter_tlog(Path(ended[0].tlog_path)))
    senders = {r.frame[5] for r in records if r.frame[0] == 0xFD}
    assert 1 in senders and 245 in senders  # vehicle and MAVSDK (station) directions in one file
