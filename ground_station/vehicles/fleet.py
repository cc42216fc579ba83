"""Commands to vehicles, through each link's MAVSDK instance (contract 9).

The fleet does not validate missions: it is handed items that the service layer has validated and
approved, uploads them with ``mission_raw``, downloads them again and refuses (MissionMismatch) when
the vehicle holds anything else. Every MAVSDK failure becomes one of the typed errors in ``errors``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mavsdk.asyncio import MavsdkError
from mavsdk.asyncio.plugins.action import ActionAsync
from mavsdk.asyncio.plugins.mission_raw import MissionRawAsync

from ground_station.vehicles import mission_items
from ground_station.vehicles.errors import (
    CommandRejected,
    CommandTimeout,
    MissionMismatch,
    VehicleNotConnected,
)
from ground_station.vehicles.registry import VehicleEntry, VehicleRegistry
from missions.formats.mavlink_items import MissionItemInt

log = logging.getLogger(__name__)

T = TypeVar("T")

_TIMEOUT_RESULTS = frozenset({"TIMEOUT"})
_NOT_CONNECTED_RESULTS = frozenset({"NO_SYSTEM", "CONNECTION_ERROR"})


@dataclass(frozen=True)
class UploadReport:
    vehicle_id: str
    mission_items: int
    fence_items: int
    rally_items: int
    verified: bool


class Fleet:
    def __init__(
        self,
        registry: VehicleRegistry,
        *,
        command_timeout_s: float = 15.0,
        transfer_timeout_s: float = 60.0,
        discover_timeout_s: float = 5.0,
        on_mission_uploaded: Callable[[str, Sequence[MissionItemInt]], None] | None = None,
    ) -> None:
        self.registry = registry
        self.command_timeout_s = command_timeout_s
        self.transfer_timeout_s = transfer_timeout_s
        self.discover_timeout_s = discover_timeout_s
        self._locks: dict[str, asyncio.Lock] = {}
        self._on_mission_uploaded = on_mission_uploaded

    def slugs(self) -> list[str]:
        return self.registry.slugs()

    # -- plumbing --------------------------------------------------------------------------------------

    async def _plugins(self, entry: VehicleEntry) -> tuple[ActionAsync, MissionRawAsync]:
        if entry.sessions is None:
            raise VehicleNotConnected(entry.vehicle_id, "this station runs without a command link")
        if not entry.tracker.connected:
            raise VehicleNotConnected(entry.vehicle_id, "no heartbeat from the vehicle")
        session = await entry.sessions()
        plugins = await session.plugins(entry.system_id, self.discover_timeout_s)
        if plugins is None:
            raise VehicleNotConnected(entry.vehicle_id, "MAVSDK has not discovered the vehicle yet")
        return plugins

    async def _call(self, entry: VehicleEntry, name: str, call: Awaitable[T], timeout_s: float) -> T:
        try:
            async with asyncio.timeout(timeout_s):
                return await call
        except TimeoutError:
            raise CommandTimeout(entry.vehicle_id, name, timeout_s) from None
        except MavsdkError as exc:
            result = getattr(getattr(exc, "result", None), "name", None) or str(exc)
            if result in _TIMEOUT_RESULTS:
                raise CommandTimeout(entry.vehicle_id, name, timeout_s) from None
            if result in _NOT_CONNECTED_RESULTS:
                raise VehicleNotConnected(entry.vehicle_id, result) from None
            raise CommandRejected(entry.vehicle_id, name, result) from None

    async def _action(
        self, slug: str, name: str, call: Callable[[ActionAsync, MissionRawAsync], Awaitable[T]]
    ) -> T:
        entry = self.registry.get(slug)
        action, mission = await self._plugins(entry)
        log.info("vehicle %s: %s", slug, name)
        return await self._call(entry, name, call(action, mission), self.command_timeout_s)

    def _lock(self, slug: str) -> asyncio.Lock:
        return self._locks.setdefault(slug, asyncio.Lock())

    # -- commands --------------------------------------------------------------------------------------

    async def arm(self, slug: str) -> None:
        await self._action(slug, "arm", lambda a, _m: a.arm())

    async def disarm(self, slug: str) -> None:
        await self._action(slug, "disarm", lambda a, _m: a.disarm())

    async def takeoff(self, slug: str, alt_rel_m: float | None = None) -> None:
        if alt_rel_m is not None:
            if not (0.5 <= alt_rel_m <= 500.0):
                raise ValueError(f"takeoff altitude {alt_rel_m} m is outside 0.5..500 m above home")
            await self._action(slug, "set takeoff altitude", lambda a, _m: a.set_takeoff_altitude(alt_rel_m))
        await self._action(slug, "takeoff", lambda a, _m: a.takeoff())

    async def start(self, slug: str) -> None:
        await self._action(slug, "start mission", lambda _a, m: m.start_mission())

    async def pause(self, slug: str) -> None:
        await self._action(slug, "pause mission", lambda _a, m: m.pause_mission())

    async def resume(self, slug: str) -> None:
        """PX4 continues from the current item when a paused mission is started again."""
        await self._action(slug, "resume mission", lambda _a, m: m.start_mission())

    async def goto(self, slug: str, lon: float, lat: float, alt_amsl_m: float) -> None:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"go-to position lon={lon} lat={lat} is not a WGS84 position")
        # MAVSDK takes lat/lon (its edge); NaN yaw keeps the current heading.
        await self._action(slug, "go to", lambda a, _m: a.goto_location(lat, lon, alt_amsl_m, math.nan))

    async def rtl(self, slug: str) -> None:
        await self._action(slug, "return to launch", lambda a, _m: a.return_to_launch())

    async def land(self, slug: str) -> None:
        await self._action(slug, "land", lambda a, _m: a.land())

    async def upload_mission(
        self,
        slug: str,
        mission_items_: Sequence[MissionItemInt],
        fence_items: Sequence[MissionItemInt] = (),
        rally_items: Sequence[MissionItemInt] = (),
    ) -> UploadReport:
        """Uploads fence, rally and mission, then downloads each and compares with what was approved."""
        entry = self.registry.get(slug)
        async with self._lock(slug):
            _, mission = await self._plugins(entry)
            parts = (
                ("geofence", fence_items, mission_items.MISSION_TYPE_FENCE),
                ("rally points", rally_items, mission_items.MISSION_TYPE_RALLY),
                ("mission", mission_items_, mission_items.MISSION_TYPE_MISSION),
            )
            for part, items, mission_type in parts:
                await self._upload_part(entry, mission, part, items, mission_type)
            for part, items, mission_type in parts:
                await self._verify_part(entry, mission, part, items, mission_type)
        if self._on_mission_uploaded is not None:
            self._on_mission_uploaded(slug, list(mission_items_))
        return UploadReport(slug, len(mission_items_), len(fence_items), len(rally_items), verified=True)

    async def _upload_part(
        self,
        entry: VehicleEntry,
        mission: MissionRawAsync,
        part: str,
        items: Sequence[MissionItemInt],
        mission_type: int,
    ) -> None:
        if not items:
            try:
                await entry.router.clear_plan_part(entry.system_id, mission_type, self.command_timeout_s)
            except TimeoutError:
                raise CommandTimeout(entry.vehicle_id, f"clear {part}", self.command_timeout_s) from None
            except RuntimeError as exc:
                raise CommandRejected(entry.vehicle_id, f"clear {part}", str(exc)) from None
            return
        raw = mission_items.to_mavsdk(items, mission_type)
        upload = {
            mission_items.MISSION_TYPE_FENCE: mission.upload_geofence,
            mission_items.MISSION_TYPE_RALLY: mission.upload_rally_points,
            mission_items.MISSION_TYPE_MISSION: mission.upload_mission,
        }[mission_type]
        await self._call(entry, f"upload {part}", upload(raw), self.transfer_timeout_s)

    async def _verify_part(
        self,
        entry: VehicleEntry,
        mission: MissionRawAsync,
        part: str,
        items: Sequence[MissionItemInt],
        mission_type: int,
    ) -> None:
        download = {
            mission_items.MISSION_TYPE_FENCE: mission.download_geofence,
            mission_items.MISSION_TYPE_RALLY: mission.download_rallypoints,
            mission_items.MISSION_TYPE_MISSION: mission.download_mission,
        }[mission_type]
        try:
            got = await self._call(entry, f"download {part}", download(), self.transfer_timeout_s)
        except CommandRejected as exc:
            if items or exc.result != "NO_MISSION_AVAILABLE":
                raise
            got = []
        diffs = mission_items.differences(items, mission_items.from_mavsdk(got or []), mission_type)
        if diffs:
            raise MissionMismatch(entry.vehicle_id, part, diffs)
