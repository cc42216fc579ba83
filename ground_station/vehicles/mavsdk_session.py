"""One MAVSDK 4 instance (native ``mavsdk.asyncio``) per vehicle link, connected to the link router's
loopback relay.

One instance per link rather than one per station: every PX4 reports system id 1, so a single
MAVSDK instance would merge all vehicles into one system (contract 5). MAVSDK's blocking calls run in
the loop's default executor, which the station enlarges (see ``StationCore``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mavsdk.asyncio import Autopilot, ComponentType, Configuration, Mavsdk, System
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.mission_raw import MissionRawAsync

log = logging.getLogger(__name__)


class MavsdkSession:
    def __init__(self, relay_url: str) -> None:
        self.relay_url = relay_url
        self._mavsdk: Mavsdk | None = None
        self._systems: dict[int, System] = {}
        self._plugins: dict[int, tuple[ActionAsync, MissionRawAsync]] = {}
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
        self._mavsdk = Mavsdk(config)
        await self._mavsdk.add_any_connection(self.relay_url)

    async def system(self, system_id: int, timeout_s: float) -> System | None:
        """The MAVSDK system for ``system_id`` once MAVSDK has heard it, or None after ``timeout_s``."""
        if system_id in self._systems:
            return self._systems[system_id]
        if self._mavsdk is None:
            return None
        async with self._lock:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            while True:
                for system in await self._mavsdk.get_systems():
                    if await system.get_system_id() != system_id or not await system.has_autopilot():
                        continue
                    # MAVSDK picks PX4- or ArduPilot-specific paths (e.g. takeoff altitude as the
                    # MIS_TAKEOFF_ALT parameter) only once it knows the autopilot, which it learns a
                    # moment after discovery; commanding before that takes a generic path.
                    identified = await system.is_connected() and await system.autopilot_type() in (
                        Autopilot.PX4,
                        Autopilot.ARDUPILOT,
                    )
                    if not identified and loop.time() < deadline:
                        break  # GENERIC until the first heartbeat exchange; a real generic one passes late
                    self._systems[system_id] = system
                    return system
                if loop.time() >= deadline:
                    return None
                await asyncio.sleep(0.1)

    async def plugins(self, system_id: int, timeout_s: float) -> tuple[ActionAsync, MissionRawAsync] | None:
        if system_id not in self._plugins:
            system = await self.system(system_id, timeout_s)
            if system is None:
                return None
            self._plugins[system_id] = (ActionAsync(system), MissionRawAsync(system))
        return self._plugins[system_id]

    async def is_connected(self, system_id: int) -> bool:
        system = self._systems.get(system_id)
        return bool(system is not None and await system.is_connected())

    async def stop(self) -> None:
        for action, mission in self._plugins.values():
            with contextlib.suppress(Exception):
                action.destroy()
                mission.destroy()
        self._plugins.clear()
        self._systems.clear()
        if self._mavsdk is not None:
            mavsdk, self._mavsdk = self._mavsdk, None
            await asyncio.get_running_loop().run_in_executor(None, mavsdk.destroy)
