"""Starts PX4 SITL SIH instances with the same ports the built-in simulator uses.

PX4's onboard/API MAVLink instance of SITL instance ``i`` sends from UDP 14580+i to 127.0.0.1:14540+i,
which is exactly design contract 6's default for vehicle ``i``; for other base ports we pass PX4's
``-i`` instance number and let the station listen where PX4 sends. PX4 SIH flies over flat ground
at ``PX4_HOME_ALT``, so terrain behaviour is tested against the built-in simulator only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pymavlink import mavutil

PX4_API_BASE_PORT = 14540
SIH_QUADX_AUTOSTART = "10040"


class Px4SitlNotConfigured(RuntimeError):
    """Raised (and turned into a test skip) when no PX4 build is configured or it is incomplete."""


def px4_build_dir() -> Path:
    """The configured PX4 build directory, checked for the files SITL needs."""
    configured = os.environ.get("PX4_SITL_BUILD", "").strip()
    if not configured:
        raise Px4SitlNotConfigured(
            "PX4_SITL_BUILD is not set (point it at PX4-Autopilot/build/px4_sitl_default)"
        )
    build = Path(configured).expanduser()
    binary = build / "bin" / "px4"
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise Px4SitlNotConfigured(f"PX4_SITL_BUILD={build} has no executable bin/px4")
    if not (build / "etc").is_dir():
        raise Px4SitlNotConfigured(f"PX4_SITL_BUILD={build} has no etc/ directory (ROMFS)")
    return build


@dataclass
class Px4SitlInstance:
    """One running PX4 process; ``mavlink_url`` is what a ground station connects to."""

    instance: int
    process: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    home: tuple[float, float, float]
    _tempdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def station_port(self) -> int:
        return PX4_API_BASE_PORT + self.instance

    @property
    def mavlink_url(self) -> str:
        return f"udpin://127.0.0.1:{self.station_port}"

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._tempdir is not None:
            self._tempdir.cleanup()


def start_px4_sitl(
    *,
    instance: int = 0,
    home: tuple[float, float, float] = (17.2050, 50.2290, 430.0),
    params: dict[str, float] | None = None,
    ready_timeout_s: float = 60.0,
) -> Px4SitlInstance:
    """Starts PX4 SIH from a clean working directory and waits for its first HEARTBEAT.

    ``home`` is (lon, lat, alt_amsl_m). ``params`` are applied with PX4's ``param set`` at boot through
    environment-free startup: we pass them as ``PX4_PARAM_<NAME>`` which PX4's rcS applies in SITL.
    """
    build = px4_build_dir()
    tmp = tempfile.TemporaryDirectory(prefix=f"px4-sitl-{instance}-")
    workdir = Path(tmp.name)
    log_path = workdir / "px4.log"
    env = dict(os.environ)
    env.update(
        {
            "PX4_SYS_AUTOSTART": SIH_QUADX_AUTOSTART,
            "PX4_SIM_MODEL": "sihsim_quadx",
            "PX4_HOME_LON": f"{home[0]:.7f}",
            "PX4_HOME_LAT": f"{home[1]:.7f}",
            "PX4_HOME_ALT": f"{home[2]:.1f}",
            "HEADLESS": "1",
        }
    )
    for name, value in (params or {}).items():
        env[f"PX4_PARAM_{name}"] = str(value)
    shutil.copytree(build / "etc", workdir / "etc")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(build / "bin" / "px4"), "-i", str(instance), "-d", str(workdir / "etc")],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    sitl = Px4SitlInstance(instance, process, workdir, log_path, home, tmp)
    _wait_for_heartbeat(sitl, ready_timeout_s)
    return sitl


def _wait_for_heartbeat(sitl: Px4SitlInstance, timeout_s: float) -> None:
    conn = mavutil.mavlink_connection(f"udpin:127.0.0.1:{sitl.station_port}", source_system=254)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if sitl.process.poll() is not None:
                raise RuntimeError(f"PX4 SITL exited with {sitl.process.returncode}; see {sitl.log_path}")
            if conn.recv_match(type="HEARTBEAT", blocking=True, timeout=1.0) is not None:
                return
        sitl.stop()
        raise TimeoutError(f"PX4 SITL sent no HEARTBEAT on {sitl.mavlink_url} within {timeout_s:.0f} s")
    finally:
        conn.close()
