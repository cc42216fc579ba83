"""The station's vehicle side in one object: bus, link routers, MAVSDK sessions, fleet and monitor.

The service's app factory builds it from its settings (plain typed arguments here, so this package
does not depend on the settings model) and calls ``start``/``stop`` in the FastAPI lifespan.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ground_station.bus.base import Bus
from ground_station.bus.inprocess import InProcessBus
from ground_station.links.router import LinkRouter, RouterOptions, VehicleLinkConfig
from ground_station.monitor.monitor import Monitor
from ground_station.monitor.rules import MonitorConfig, RegionLike
from ground_station.vehicles.fleet import Fleet
from ground_station.vehicles.mavsdk_session import MavsdkSession
from ground_station.vehicles.registry import VehicleEntry, VehicleRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StationVehicle:
    """A configured vehicle: its slug, MAVLink URL and, when several share a link, its system id."""

    vehicle_id: str
    url: str
    system_id: int | None = None
    signing_key: bytes | None = None
    """MAVLink 2 signing key of the vehicle (``links/signing.py``); None: unsigned link."""


class StationCore:
    def __init__(
        self,
        vehicles: Sequence[StationVehicle | tuple[str, str]],
        *,
        tlog_dir: Path | None = None,
        region: RegionLike | None = None,
        bus: Bus | None = None,
        router_options: RouterOptions | None = None,
        monitor_config: MonitorConfig | None = None,
        command_links: bool = True,
        executor_threads: int = 64,
        freeze_gc: bool = True,
    ) -> None:
        self.vehicles = [v if isinstance(v, StationVehicle) else StationVehicle(*v) for v in vehicles]
        self.tlog_dir = tlog_dir
        self.bus: Bus = bus or InProcessBus()
        self.region = region
        self.router_options = router_options or RouterOptions(relay_to_mavsdk=command_links)
        self.command_links = command_links and self.router_options.relay_to_mavsdk
        self.registry = VehicleRegistry()
        self.monitor = Monitor(self.bus, region, monitor_config)
        self.fleet = Fleet(self.registry, on_mission_uploaded=self.monitor.set_mission)
        self.routers: list[LinkRouter] = []
        self.sessions: list[MavsdkSession] = []
        self._executor_threads = executor_threads
        self._freeze_gc = freeze_gc
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        # MAVSDK's asyncio API runs each blocking call (arm, uploads: seconds each) in the default
        # executor; the stock pool (cores + 4 threads) would let a few slow vehicles stall the rest.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(self._executor_threads, thread_name_prefix="station")
        )
        await self.monitor.start()
        by_url: dict[str, list[VehicleLinkConfig]] = {}
        for vehicle in self.vehicles:
            by_url.setdefault(vehicle.url, []).append(
                VehicleLinkConfig(vehicle.vehicle_id, vehicle.url, vehicle.system_id, vehicle.signing_key)
            )
        publish = self.bus.publish_nowait
        for url, configs in by_url.items():
            router = LinkRouter(url, configs, publish, tlog_dir=self.tlog_dir, options=self.router_options)
            await router.start()
            self.routers.append(router)
            sessions = self._session_source(router) if self.command_links else None
            for config in configs:
                self.registry.add(VehicleEntry(config.vehicle_id, router, sessions))
        self._started = True
        if self._freeze_gc:
            # Everything built so far (region, app, links) lives as long as the process; moving it out
            # of the collector's reach turns 50-80 ms full collections into sub-millisecond ones, which
            # was the largest single source of telemetry latency spikes (bench_station).
            gc.freeze()
        log.info("station core started: %d vehicle(s) on %d link(s)", len(self.registry), len(self.routers))

    def _session_source(self, router: LinkRouter) -> Callable[[], Awaitable[MavsdkSession]]:
        """The link's MAVSDK session, opened at its first command.

        On demand because an idle MAVSDK instance still costs ~0.4 % of a core (its own threads and
        timers) and most vehicles of a large fleet are only watched; the first command waits about
        one heartbeat longer while MAVSDK discovers the vehicle (Fleet.discover_timeout_s covers it).
        """
        opened: list[MavsdkSession] = []
        lock = asyncio.Lock()

        async def session() -> MavsdkSession:
            async with lock:
                if not opened:
                    if router.relay_url is None:
                        raise RuntimeError(f"link {router.url} has no MAVSDK relay")
                    new = MavsdkSession(router.relay_url)
                    await new.start()
                    opened.append(new)
                    self.sessions.append(new)
                return opened[0]

        return session

    async def stop(self) -> None:
        for session in self.sessions:
            await session.stop()
        for router in self.routers:
            await router.stop()
        await self.monitor.stop()
        self.sessions.clear()
        self.routers.clear()
        self._started = False

    def router_for(self, vehicle_id: str) -> LinkRouter:
        return self.registry.get(vehicle_id).router
