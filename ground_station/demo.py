"""``borderwatch demo``: the simulator as a child process + the service with its vehicles and cameras.

The service never imports ``sim`` (design contract 6): it starts ``borderwatch sim run ... --ready-json``
and reads the file the simulator writes once every vehicle and camera is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ground_station.auth.roles import Role
from ground_station.auth.users import create_user, generate_password
from ground_station.config import (
    CameraConfig,
    StationSettings,
    VehicleConfig,
    VideoConfig,
    load_settings,
    read_config_file,
)
from ground_station.demo_data import DEMO_USERS, DemoDataError, claim_demo_data_dir
from ground_station.store.models import Organisation
from ground_station.store.sqlite import open_sqlite_store

PARENT_PID_ENV = "BORDERWATCH_PARENT_PID"
"""Tells a child simulator which process it must not outlive (read by ``sim.parent_watch``)."""

BORDERWATCH_COMMAND = (sys.executable, "-c", "from borderwatch_cli.main import app; app()")
"""The ``borderwatch`` command of this very installation (no reliance on PATH or ``__main__``)."""


class DemoError(Exception):
    """The demo could not start; the message says what failed and how to fix it."""


class _Ready(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SimHome(_Ready):
    lon: float
    lat: float
    alt_amsl_m: float | None = None


class SimVehicle(_Ready):
    slug: str
    system_id: int
    mavlink_url: str
    home: SimHome | None = None


class SimCamera(_Ready):
    id: str
    kind: str
    vehicle_slug: str | None = None
    stream_url: str
    sdp_path: str | None = None
    pose: Any = None


class SimReady(_Ready):
    """The simulator's ready-json (contract 6), parsed with the station's own model."""

    control_url: str
    speed: float
    vehicles: list[SimVehicle]
    cameras: list[SimCamera] = []
    terrain: str = "flat"
    """``dem:<path>`` or ``flat``: what ground the simulated world flies over."""


def parse_ready(path: Path) -> SimReady:
    try:
        return SimReady.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise DemoError(f"simulator ready file {path} is not usable: {problems}") from None


def simulator_command(
    vehicles: int,
    speed: float,
    ready_json: Path,
    scenario: str | None = None,
    base_port: int | None = None,
    *,
    dem: Path | None = None,
    region: str | None = None,
    cameras: bool = True,
    camera_ports_ephemeral: bool = False,
) -> list[str]:
    command = [*BORDERWATCH_COMMAND, "sim", "run"]
    if scenario:
        command.append(scenario)
    command += ["--vehicles", str(vehicles), "--speed", str(speed), "--ready-json", str(ready_json)]
    if base_port is not None:
        command += ["--base-port", str(base_port)]
    if dem is not None:
        command += ["--dem", str(dem)]
    if region is not None:
        command += ["--region", region]
    if not cameras:
        command.append("--no-cameras")
    elif camera_ports_ephemeral:
        command.append("--camera-ports-ephemeral")
    return command


@dataclass
class SimulatorProcess:
    process: asyncio.subprocess.Process
    ready: SimReady
    log_path: Path

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGINT first (the simulator shuts down cleanly), SIGKILL if it does not within the timeout."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


async def start_simulator(
    work_dir: Path,
    vehicles: int,
    speed: float,
    *,
    scenario: str | None = None,
    base_port: int | None = None,
    timeout_s: float = 90.0,
    cameras: bool = True,
    camera_ports_ephemeral: bool = False,
    extra_env: dict[str, str] | None = None,
) -> SimulatorProcess:
    """Starts ``borderwatch sim run`` and waits for its ready-json; the simulator's output goes to a log."""
    ready_path, log_path = work_dir / "sim-ready.json", work_dir / "sim.log"
    log_file = await asyncio.to_thread(_prepare, work_dir, ready_path, log_path)
    # The simulator dies with this process even on SIGKILL (it watches this pid: sim/parent_watch.py).
    env = {**os.environ, **(extra_env or {}), PARENT_PID_ENV: str(os.getpid())}
    process = await asyncio.create_subprocess_exec(
        *simulator_command(
            vehicles,
            speed,
            ready_path,
            scenario,
            base_port,
            cameras=cameras,
            camera_ports_ephemeral=camera_ports_ephemeral,
        ),
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    log_file.close()
    deadline = time.monotonic() + timeout_s
    while True:
        if await _exited(process):
            tail = log_path.read_text(errors="replace")[-2000:]
            raise DemoError(
                f"the simulator exited with code {process.returncode} before it was ready:\n{tail}"
            )
        if await asyncio.to_thread(_complete_json, ready_path):
            return SimulatorProcess(process, parse_ready(ready_path), log_path)
        if time.monotonic() > deadline:
            simulator = SimulatorProcess(
                process, SimReady(control_url="", speed=speed, vehicles=[]), log_path
            )
            await simulator.stop()
            raise DemoError(f"the simulator was not ready within {timeout_s:.0f} s; see {log_path}")
        await asyncio.sleep(0.1)


def _prepare(work_dir: Path, ready_path: Path, log_path: Path) -> Any:
    work_dir.mkdir(parents=True, exist_ok=True)
    ready_path.unlink(missing_ok=True)
    return log_path.open("wb")


def _complete_json(path: Path) -> bool:
    """True once the file exists and parses (the simulator may still be writing it)."""
    try:
        json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, OSError):
        return False
    return True


async def _exited(process: asyncio.subprocess.Process) -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), 0.01)
    except TimeoutError:
        return False
    return True


def demo_data_dir(data_dir: Path | None, config: Path | None) -> Path:
    """``--data-dir``, else the config's explicit ``data_dir``, else a new temporary directory."""
    if data_dir is not None:
        return data_dir
    base = load_settings(config) if config else None
    if base is not None and "data_dir" in base.model_fields_set:
        return base.data_dir
    return Path(tempfile.mkdtemp(prefix="borderwatch-demo-"))


def demo_settings(ready: SimReady, data_dir: Path, port: int, config: Path | None = None) -> StationSettings:
    """The service's settings for the simulated vehicles and cameras (a config file may add to them).

    The simulated cameras' video is on unless the config file has its own ``[video]`` section: the demo
    shows what the station is for, pictures included."""
    configured = read_config_file(config) if config is not None else {}
    video = {"video": VideoConfig(enabled=True)} if ready.cameras and "video" not in configured else {}
    return load_settings(
        config,
        **video,
        data_dir=data_dir,
        http={"host": "127.0.0.1", "port": port},
        vehicles=[VehicleConfig(slug=v.slug, mavlink_url=v.mavlink_url) for v in ready.vehicles],
        cameras=[
            CameraConfig(
                id=c.id,
                kind=c.kind,
                stream_url=c.stream_url,
                vehicle_slug=c.vehicle_slug,
                sdp_path=Path(c.sdp_path) if c.sdp_path else None,
            )
            for c in ready.cameras
        ],
    )


async def create_demo_users(settings: StationSettings) -> list[tuple[str, Role, str]]:
    """Demo users with fresh random passwords (re-set on every demo start, printed once), only in a
    data directory that is (or becomes) the demo's own."""
    from ground_station.auth.passwords import hash_password

    try:
        claim_demo_data_dir(settings.data_dir, settings.sqlite_path, settings.jwt_secret_file)
    except DemoDataError as exc:
        raise DemoError(str(exc)) from None
    store = await open_sqlite_store(settings.sqlite_path, settings.storage.busy_timeout_ms)
    organisation = Organisation(
        settings.organisation.slug, settings.organisation.name, settings.organisation.country
    )
    credentials = []
    try:
        for username, role in DEMO_USERS:
            password = generate_password()
            existing = await store.users.by_username(username)
            if existing is None:
                await create_user(store.users, store.organisations, username, password, role, organisation)
            else:
                await store.users.set_password_hash(
                    existing.id, await asyncio.to_thread(hash_password, password)
                )
            credentials.append((username, role, password))
    finally:
        await store.close()
    return credentials


def terrain_notice(settings: StationSettings) -> str | None:
    """The loud message when the region has no DEM (contract 2), else None."""
    try:
        from geodata.atlas import load_region

        region = load_region(
            settings.region, data_dir=settings.data_dir, dem_paths=settings.dem_paths or None
        )
    except Exception as exc:
        return f"region {settings.region!r} could not be loaded: {exc}"
    status = region.terrain_status
    if str(status.quality).lower() == "unknown":
        return status.message
    return None
