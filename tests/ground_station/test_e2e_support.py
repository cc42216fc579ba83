"""Helpers for the end-to-end tests: the simulator and the service as real processes on free ports.

No tests here; imported by ``test_e2e*.py``.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from ground_station.demo import BORDERWATCH_COMMAND, SimReady
from tests.conftest import REPO

ADMIN_PASSWORD = "e2e-admin-password"
PILOT_PASSWORD = "e2e-pilot-password"


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_base(count: int, attempts: int = 50) -> int:
    """A base port with ``count`` consecutive free UDP ports (vehicle i uses base + i)."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        sockets = []
        try:
            for offset in range(count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError("no run of free UDP ports found")


def write_scenario(
    path: Path, homes: dict[str, tuple[float, float, float]], params: dict[str, float]
) -> Path:
    """A calm scenario with the given vehicle homes (lon, lat, ground AMSL) and no cameras or traffic."""
    scenario = {
        "name": "e2e",
        "seed": 1,
        "wind": {"speed_mps": 0.0, "from_deg": 0.0, "gust_sigma_mps": 0.0, "gust_tau_s": 4.0},
        "vehicles": [
            {"slug": slug, "home": {"lon": lon, "lat": lat, "alt_amsl_m": alt}, "params": params}
            for slug, (lon, lat, alt) in homes.items()
        ],
        "cameras": [],
        "ground_objects": [],
    }
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class ServiceProcess:
    """``borderwatch serve`` as a child process that tests can kill -9 and restart."""

    config: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"\n===== start {self.starts} =====\n".encode())
        log.flush()
        self.process = subprocess.Popen(
            [*BORDERWATCH_COMMAND, "serve", "-c", str(self.config)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"service not healthy within {timeout_s} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def kill_9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def write_station_config(
    path: Path,
    data_dir: Path,
    port: int,
    ready: SimReady | None,
    dem_paths: list[Path],
    extra_vehicles: dict[str, str] | None = None,
) -> Path:
    """A station config for the simulator's vehicles (``ready``) and any others (slug -> MAVLink URL)."""
    lines = [
        f'data_dir = "{data_dir}"',
        'region = "jesenik-nysa"',
        f"dem_paths = [{', '.join(repr(str(p)) for p in dem_paths)}]".replace("'", '"'),
        "[http]",
        f"port = {port}",
        "[organisation]",
        'slug = "hzs-olk"',
        'name = "HZS Olomouckeho kraje"',
        'country = "CZ"',
    ]
    simulated = {v.slug: v.mavlink_url for v in ready.vehicles} if ready is not None else {}
    for slug, url in (simulated | (extra_vehicles or {})).items():
        lines += ["[[vehicles]]", f'slug = "{slug}"', f'mavlink_url = "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_user(config: Path, username: str, role: str, password: str) -> None:
    result = subprocess.run(
        [
            *BORDERWATCH_COMMAND,
            "user",
            "add",
            username,
            "--role",
            role,
            "--password-stdin",
            "-c",
            str(config),
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@dataclass
class Api:
    base_url: str
    username: str
    password: str
    token: str = ""
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=60))

    async def login(self) -> None:
        response = await self.client.post(
            f"{self.base_url}/api/auth/token", data={"username": self.username, "password": self.password}
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def close(self) -> None:
        await self.client.aclose()


async def eventually(
    probe: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 60.0, interval_s: float = 0.25
) -> Any:
    """Polls ``probe`` until it returns something truthy; fails naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")


@dataclass
class SimProcess:
    process: subprocess.Popen[bytes]
    ready: SimReady
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sim(
    work_dir: Path,
    scenario: Path,
    vehicles: int,
    speed: float,
    base_port: int,
    dem: Path | None = None,
    timeout_s: float = 90.0,
) -> SimProcess:
    from ground_station.demo import parse_ready, simulator_command

    work_dir.mkdir(parents=True, exist_ok=True)
    ready_path, log_path = work_dir / "ready.json", work_dir / "sim.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            simulator_command(vehicles, speed, ready_path, str(scenario), base_port, dem=dem, cameras=False),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout_s
    while not ready_path.is_file():
        if process.poll() is not None:
            raise RuntimeError(f"simulator exited ({process.returncode}):\n{log_path.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"simulator not ready within {timeout_s} s:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.1)
    return SimProcess(process, parse_ready(ready_path), log_path)


def mission_around(home: Any, name: str, alt_rel_m: float = 40.0, legs_m: float = 250.0) -> dict[str, Any]:
    lon, lat = home.lon, home.lat
    dlon = legs_m / (111_320.0 * math.cos(math.radians(lat)))
    dlat = legs_m / 111_320.0
    return {
        "name": name,
        "home": {"lon": lon, "lat": lat, "alt_amsl_m": home.alt_amsl_m},
        "items": [
            {"kind": "takeoff", "lon": lon, "lat": lat, "alt_m": alt_rel_m, "alt_frame": "REL_HOME"},
            {"kind": "waypoint", "lon": lon + dlon, "lat": lat, "alt_m": alt_rel_m, "alt_frame": "REL_HOME"},
            {
                "kind": "waypoint",
                "lon": lon + dlon,
                "lat": lat + dlat,
                "alt_m": alt_rel_m,
                "alt_frame": "REL_HOME",
            },
            {"kind": "rtl"},
        ],
    }


async def vehicle(api: Api, slug: str) -> dict[str, Any]:
    body: dict[str, Any] = await api.ok("GET", f"/api/vehicles/{slug}")
    return body


async def wait_connected(api: Api, slug: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        body = await vehicle(api, slug)
        return body if body["state"] != "DISCONNECTED" and body["position"] else None

    result: dict[str, Any] = await eventually(probe, f"{slug} connected with a position", 60)
    return result


async def upload_and_start(api: Api, slug: str, mission: dict[str, Any]) -> str:
    created = await api.ok("POST", "/api/missions", json=mission)
    report = await api.ok("POST", f"/api/missions/{created['mission_id']}/validate")
    assert report["ok"], report["violations"]
    upload = await api.ok("POST", f"/api/vehicles/{slug}/mission", json={"mission_id": created["mission_id"]})
    assert upload["mission_items"] >= 4 and upload["overridden"] is False
    await api.ok("POST", f"/api/vehicles/{slug}/arm")
    await api.ok("POST", f"/api/vehicles/{slug}/mission/start")
    return str(created["mission_id"])
