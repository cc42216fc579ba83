"""MAVSDK (v4, the native in-process library) against the simulator, exactly as the ground station uses it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from mavsdk.asyncio import ComponentType, Configuration, Mavsdk, System
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.geofence import GeofenceAsync
from mavsdk.asyncio.plugins.mission import MissionAsync
from mavsdk.asyncio.plugins.param import ParamAsync
from mavsdk.asyncio.plugins.telemetry import TelemetryAsync


@dataclass
class Drone:
    system: System
    action: ActionAsync
    telemetry: TelemetryAsync
    mission: MissionAsync
    geofence: GeofenceAsync
    param: ParamAsync


@contextlib.asynccontextmanager
async def mavsdk_drone(port: int, timeout_s: float = 15.0) -> AsyncIterator[Drone]:
    config = Configuration.create_with_component_type(ComponentType.GROUND_STATION)
    async with Mavsdk(config) as sdk:
        await sdk.add_any_connection(f"udpin://127.0.0.1:{port}")
        system = await sdk.first_autopilot(timeout_s)
        assert system is not None, "MAVSDK found no autopilot"
        yield Drone(
            system,
            ActionAsync(system),
            TelemetryAsync(system),
            MissionAsync(system),
            GeofenceAsync(system),
            ParamAsync(system),
        )


async def wait_ready(drone: Drone, timeout_s: float = 15.0) -> None:
    async def _ready() -> None:
        async for health in drone.telemetry.subscribe_health():
            if health.is_global_position_ok and health.is_home_position_ok and health.is_armable:
                return

    await asyncio.wait_for(_ready(), timeout_s)


async def wait_in_air(drone: Drone, in_air: bool, timeout_s: float) -> None:
    async def _wait() -> None:
        async for value in drone.telemetry.subscribe_in_air():
            if value == in_air:
                return

    await asyncio.wait_for(_wait(), timeout_s)


async def wait_disarmed(drone: Drone, timeout_s: float) -> None:
    async def _wait() -> None:
        async for armed in drone.telemetry.subscribe_armed():
            if not armed:
                return

    await asyncio.wait_for(_wait(), timeout_s)
