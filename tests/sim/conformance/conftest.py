"""Wiring for the conformance tests: the same scenario against the built-in simulator and, when
``PX4_SITL_BUILD`` is set, against real PX4 SITL, always through a recording UDP proxy.

The proxy sits where the reference recorder sat (vehicle <-> proxy <-> client) and writes a ``.tlog`` of
both directions, so facts come out of :func:`sim.trace_facts.extract_facts` exactly as they came out of
the PX4 traces. Tests ask the ``vehicle_target`` fixture for a vehicle; its ``px4`` variant skips with
the reason :class:`sim.px4.Px4SitlNotConfigured` gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

import pytest

from sim.linkproxy import UdpLinkProxy
from sim.px4 import Px4SitlNotConfigured, px4_build_dir, start_px4_sitl
from sim.px4.launcher import PX4_API_BASE_PORT
from sim.scenario import BatteryConfig, HomeSpec, Scenario, VehicleSpec
from sim.terrain_source import FlatGround
from sim.trace_facts import WireFacts, extract_facts, read_tlog
from sim.world import TICK_S, World, WorldPorts
from tests.sim.conformance.compare import Clock, frame_order_clock

HOME_LON = 17.2050
HOME_LAT = 50.2290
HOME_ALT_AMSL_M = 430.0
TRACE_DIR = ("flightlogs", "px4_sitl")
T = TypeVar("T")


class TargetKind(StrEnum):
    BUILTIN = "builtin"
    PX4 = "px4"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RecordedLink:
    """A running vehicle seen through the recording proxy; the client listens on ``station_port``."""

    kind: TargetKind
    proxy: UdpLinkProxy
    station_port: int
    tlog: Path
    speed: float
    world: World | None = None

    @property
    def mavsdk_url(self) -> str:
        return f"udpin://127.0.0.1:{self.station_port}"

    def vehicle_s(self, seconds: float) -> float:
        """Wall-clock seconds that ``seconds`` of vehicle time take at this target's current speed."""
        return seconds / self.speed

    def set_speed(self, speed: float) -> None:
        """Changes the built-in simulator's speed factor mid-scenario; real PX4 always runs at 1x.

        Phases that a 1 Hz HEARTBEAT must show (a takeoff, a failsafe hold) run slowly; long cruises
        run fast. Link liveness and protocol timers are wall-clock in both (design contract 8).
        """
        if self.world is not None:
            self.world.clock.speed = speed
            self.speed = speed

    def boot_to_link(self) -> Callable[[float], float]:
        """Vehicle time on the wire (time_boot_ms, s) -> the clock this target's link timers run on.

        Real PX4 SITL: its lockstep time is its vehicle time (identity). Built-in simulator: its link time
        (``sim/clock.py``), which ticks at the wall clock's pace whatever the speed factor while the loop
        keeps up, and slows with the loop when the machine starves it, as PX4's lockstep clock does.
        """
        if self.world is None:
            return lambda boot_s: boot_s
        return self.world.clock.link_s_at

    def link_clock(self) -> Clock:
        """Wall time of a recorded frame -> the clock this target's protocol and stream timers run on, to
        measure them in: the vehicle's own time (ATTITUDE.time_boot_ms) seen through :meth:`boot_to_link`,
        by frame order (``compare.frame_order_clock``). Both run slower than the wall clock on a busy
        machine, and a busy recorder stamps late frames in bunches."""
        self.proxy.flush_record()
        return frame_order_clock(read_tlog(self.tlog), self.boot_to_link(), repeat_step_s=self.repeat_step_s)

    @property
    def repeat_step_s(self) -> float:
        """Link time between two ATTITUDEs with one stamp (``compare.attitude_links``): one simulator tick;
        real PX4 SITL sends a new sample each time."""
        return TICK_S if self.world is not None else 0.0

    def facts(self, *, since: float | None = None, until: float | None = None) -> WireFacts:
        """Facts of everything recorded so far (optionally a wall-clock window, Unix seconds)."""
        self.proxy.flush_record()
        frames = read_tlog(self.tlog)
        if since is not None or until is not None:
            lo = since if since is not None else float("-inf")
            hi = until if until is not None else float("inf")
            frames = (f for f in frames if lo <= f.t <= hi)
        return extract_facts(frames)


@dataclass
class ScenarioRun(Generic[T]):
    """What a scenario left behind: the facts of its recording and whatever its script returned."""

    facts: WireFacts
    link: RecordedLink
    value: T


@dataclass
class VehicleTarget:
    """Starts one vehicle of ``kind`` behind a recording proxy (``launch``, or ``run`` for a whole
    scenario from synchronous code such as a module-scoped fixture)."""

    kind: TargetKind
    tmp_path: Path
    _launched: int = field(default=0)

    def run(
        self,
        script: Callable[[RecordedLink], Awaitable[T]],
        *,
        params: dict[str, float] | None = None,
        speed: float = 1.0,
    ) -> ScenarioRun[T]:
        async def scenario() -> ScenarioRun[T]:
            async with self.launch(params, speed) as link:
                value = await script(link)
                return ScenarioRun(link.facts(), link, value)

        return asyncio.run(scenario())

    @contextlib.asynccontextmanager
    async def launch(
        self, params: dict[str, float] | None = None, speed: float = 1.0
    ) -> AsyncIterator[RecordedLink]:
        self._launched += 1
        tlog = self.tmp_path / f"{self.kind}-{self._launched}.tlog"
        station_port = free_udp_port()
        if self.kind == TargetKind.BUILTIN:
            async with _builtin(params or {}, speed, station_port, tlog) as link:
                yield link
        else:
            async with _px4(params or {}, station_port, tlog) as link:
                yield link


@contextlib.asynccontextmanager
async def _builtin(
    params: dict[str, float], speed: float, station_port: int, tlog: Path
) -> AsyncIterator[RecordedLink]:
    proxy = await UdpLinkProxy(("127.0.0.1", 0), ("127.0.0.1", station_port), record_to=tlog).start()
    vehicle = VehicleSpec(
        slug="sim-1",
        home=HomeSpec(lon=HOME_LON, lat=HOME_LAT, alt_amsl_m=HOME_ALT_AMSL_M),
        battery=BatteryConfig(),
        params=params,
    )
    scenario = Scenario(name="conformance", vehicles=[vehicle])
    world = World(
        scenario,
        FlatGround(HOME_ALT_AMSL_M),
        speed=speed,
        ports=WorldPorts(gcs_ports=(proxy.vehicle_side_port,)),
    )
    await world.start()
    task = asyncio.create_task(world.run())
    try:
        yield RecordedLink(TargetKind.BUILTIN, proxy, station_port, tlog, speed, world)
    finally:
        world.stop()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 5)
        world.close()
        await proxy.stop()


@contextlib.asynccontextmanager
async def _px4(params: dict[str, float], station_port: int, tlog: Path) -> AsyncIterator[RecordedLink]:
    loop = asyncio.get_running_loop()
    home = (HOME_LON, HOME_LAT, HOME_ALT_AMSL_M)
    sitl = await loop.run_in_executor(None, lambda: start_px4_sitl(instance=0, home=home, params=params))
    proxy = UdpLinkProxy(
        ("127.0.0.1", PX4_API_BASE_PORT + sitl.instance), ("127.0.0.1", station_port), record_to=tlog
    )
    try:
        await proxy.start()
        yield RecordedLink(TargetKind.PX4, proxy, station_port, tlog, 1.0)
    finally:
        await proxy.stop()
        await loop.run_in_executor(None, sitl.stop)


@pytest.fixture(scope="module", params=[TargetKind.BUILTIN, TargetKind.PX4], ids=str)
def vehicle_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> VehicleTarget:
    """The vehicle a ``sitl`` test runs against: always the built-in simulator; PX4 when configured.

    Module-scoped so that one recorded scenario serves every comparison in a test module.
    """
    kind = TargetKind(request.param)
    if kind == TargetKind.PX4:
        if request.node.get_closest_marker("sim_only") is not None:
            pytest.skip("simulator-only test (PX4 SIH flies over flat ground and cannot do this)")
        try:
            px4_build_dir()
        except Px4SitlNotConfigured as exc:
            pytest.skip(str(exc))
    return VehicleTarget(kind, tmp_path_factory.mktemp(f"conformance-{kind}"))


_reference_cache: dict[str, WireFacts] = {}


def trace_path(shared_data: Path, name: str) -> Path:
    path = shared_data.joinpath(*TRACE_DIR, f"px4_sih_{name}.tlog")
    if not path.exists():
        pytest.skip(f"PX4 reference trace {path} not present")
    return path


@pytest.fixture(scope="session")
def reference(shared_data: Path) -> Callable[[str], WireFacts]:
    """``reference(name)`` -> facts of the real PX4 trace ``px4_sih_<name>.tlog`` (read once)."""

    def load(name: str) -> WireFacts:
        if name not in _reference_cache:
            _reference_cache[name] = extract_facts(read_tlog(trace_path(shared_data, name)))
        return _reference_cache[name]

    return load
