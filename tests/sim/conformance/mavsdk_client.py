"""A MAVSDK 4 ground station (native, in-process) driven the way the reference traces a-c were recorded.

MAVSDK is the client the traces were recorded with (sysid/compid 245/190), so the simulator is checked
against PX4 with the same client doing the same things.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from mavsdk.asyncio import ComponentType, Configuration, Mavsdk, System
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.geofence import GeofenceAsync
from mavsdk.asyncio.plugins.mission import MissionAsync
from mavsdk.asyncio.plugins.param import ParamAsync
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync
from mavsdk.plugins.telemetry import FlightMode, LandedState

from tests.sim.conformance.conftest import HOME_LAT, HOME_LON

METRES_PER_DEG_LAT = 111_225.0


def offset_latlon(north_m: float, east_m: float) -> tuple[float, float]:
    """lat/lon of a point north/east of the test home (MAVSDK's order; small-offset approximation)."""
    lat = HOME_LAT + north_m / METRES_PER_DEG_LAT
    lon = HOME_LON + east_m / (METRES_PER_DEG_LAT * math.cos(math.radians(HOME_LAT)))
    return lat, lon


@dataclass
class Station:
    """The MAVSDK plugins of one connected autopilot."""

    system: System
    action: ActionAsync
    mission: MissionAsync
    geofence: GeofenceAsync
    telemetry: TelemetryAsync
    param: ParamAsync

    async def wait_until(
        self, what: str, probe: Callable[[], Awaitable[bool]], timeout_s: float, poll_s: float = 0.1
    ) -> None:
        """Polls ``probe`` until true; fails the test naming ``what`` after ``timeout_s`` wall seconds."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await probe():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
            await asyncio.sleep(poll_s)

    async def wait_healthy(self, timeout_s: float = 30.0) -> None:
        async def ok() -> bool:
            health = await self.telemetry.health()
            return bool(health.is_global_position_ok and health.is_home_position_ok and health.is_armable)

        await self.wait_until("health (global position, home, armable)", ok, timeout_s)
        # The HEARTBEAT shows readiness up to 1 s after SYS_STATUS does (on PX4 too); the reference
        # scripts spent that second reading parameters, so STANDBY was on the wire before the ARM.
        await asyncio.sleep(1.2)

    async def wait_mode(self, mode: FlightMode, timeout_s: float) -> None:
        async def reached() -> bool:
            return bool(await self.telemetry.flight_mode() == mode)

        await self.wait_until(f"flight mode {mode.name}", reached, timeout_s)

    async def wait_landed_and_disarmed(self, timeout_s: float) -> None:
        async def done() -> bool:
            landed = await self.telemetry.landed_state()
            return bool(landed == LandedState.ON_GROUND and not await self.telemetry.armed())

        await self.wait_until("landing and disarm", done, timeout_s, poll_s=0.25)


@contextlib.asynccontextmanager
async def mavsdk_station(url: str, timeout_s: float = 20.0) -> AsyncIterator[Station]:
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    mavsdk = Mavsdk(config)
    plugins: list[object] = []
    try:
        await mavsdk.add_any_connection(url)
        system = await mavsdk.first_autopilot(timeout_s=timeout_s)
        if system is None:
            raise AssertionError(f"MAVSDK found no autopilot on {url} within {timeout_s:.0f} s")
        station = Station(
            system,
            ActionAsync(system),
            MissionAsync(system),
            GeofenceAsync(system),
            TelemetryAsync(system),
            ParamAsync(system),
        )
        plugins = [station.action, station.mission, station.geofence, station.telemetry, station.param]
        yield station
    finally:
        for plugin in plugins:
            with contextlib.suppress(Exception):
                plugin.destroy()  # type: ignore[attr-defined]
        await asyncio.get_running_loop().run_in_executor(None, mavsdk.destroy)
