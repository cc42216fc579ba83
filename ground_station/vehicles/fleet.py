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

from ground_station.links.px4_modes import AUTO_LAND, AUTO_LOITER, AUTO_MISSION, AUTO_RTL, AUTO_TAKEOFF
from ground_station.links.vehicle_state import VehicleTracker
from ground_station.vehicles import confirm, mission_items
from ground_station.vehicles.errors import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    MissionMismatch,
    NoVerifiedPlan,
    VehicleNotConnected,
)
from ground_station.vehicles.px4_readback import plan_differences
from ground_station.vehicles.registry import VehicleEntry, VehicleRegistry
from missions.formats.mavlink_items import MissionItemInt

log = logging.getLogger(__name__)

T = TypeVar("T")

# MAV_CMDs whose ACKs tell each command's outcome (MAVSDK sends mode changes as DO_SET_MODE, 176).
_ARM = frozenset({400})
_TAKEOFF = frozenset({22, 176})
_MISSION_MODE = frozenset({176, 300, 252})
_REPOSITION = frozenset({192, 176})
_RTL = frozenset({20, 176})
_LAND = frozenset({21, 176})

_TIMEOUT_RESULTS = frozenset({"TIMEOUT"})
_NOT_CONNECTED_RESULTS = frozenset({"NO_SYSTEM", "CONNECTION_ERROR"})


def _armed_word(tracker: VehicleTracker) -> str:
    return "armed" if tracker.armed else "disarmed"


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
        state_timeout_s: float = 5.0,
        mission_load_timeout_s: float = 10.0,
        on_mission_uploaded: Callable[[str, Sequence[MissionItemInt]], None] | None = None,
    ) -> None:
        self.registry = registry
        self.command_timeout_s = command_timeout_s
        self.transfer_timeout_s = transfer_timeout_s
        self.discover_timeout_s = discover_timeout_s
        self.state_timeout_s = state_timeout_s
        """How long the vehicle's state may take to show an accepted command (PX4: < 1 s)."""
        self.mission_load_timeout_s = mission_load_timeout_s
        """How long PX4 may take to load a new mission before it accepts AUTO.MISSION (1-3 s seen)."""
        self._verified: dict[str, UploadReport] = {}
        self.reason_wait_s = 0.5
        """How long a refusal waits for the autopilot's STATUSTEXT that explains it."""
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

    async def _confirmed(
        self,
        slug: str,
        name: str,
        call: Callable[[ActionAsync, MissionRawAsync], Awaitable[object]],
        done: Callable[[VehicleTracker], bool],
        *,
        commands: frozenset[int],
        retry_refused: bool = False,
        deadline_s: float | None = None,
        keep_armed: bool = False,
    ) -> None:
        """Sends through MAVSDK and returns once the vehicle's own state shows the command took effect."""
        entry = self.registry.get(slug)
        action, mission = await self._plugins(entry)
        tracker = entry.tracker
        was_armed = tracker.armed

        async def send() -> None:
            log.info("vehicle %s: %s", slug, name)
            mark = tracker.mark()
            try:
                await self._call(entry, name, call(action, mission), self.command_timeout_s)
            except CommandRejected as exc:
                raise CommandRejected(
                    slug, name, await self._with_reason(tracker, mark, exc.result)
                ) from None

        def broken() -> str | None:
            if keep_armed and was_armed and not tracker.armed:
                return "the vehicle disarmed"
            if not tracker.connected:
                return "the link was lost"
            return None

        try:
            await confirm.until_state(
                tracker,
                send,
                lambda: done(tracker),
                commands=commands,
                describe=lambda: f"it is in {tracker.flight_mode}, {_armed_word(tracker)}",
                deadline_s=deadline_s or self.state_timeout_s,
                retry_refused=retry_refused,
                still_valid=broken,
            )
        except confirm.NotConfirmed as exc:
            if exc.refusal is not None:
                raise CommandRejected(slug, name, f"{exc.refusal}; {exc.observed}") from None
            raise CommandRejected(
                slug,
                name,
                f"accepted, but not done within {deadline_s or self.state_timeout_s:.0f} s: {exc.observed}",
            ) from None

    async def _with_reason(self, tracker: VehicleTracker, mark: int, result: str) -> str:
        """PX4 says why in a STATUSTEXT next to its refusing ACK ("Arming denied: ..."); wait a moment
        for it so the pilot reads the autopilot's reason, not only "COMMAND_DENIED"."""
        await confirm.wait_for(tracker, lambda: bool(confirm.texts_since(tracker, mark)), self.reason_wait_s)
        texts = confirm.texts_since(tracker, mark)
        return f"{result} ({'; '.join(dict.fromkeys(texts))})" if texts else result

    def _lock(self, slug: str) -> asyncio.Lock:
        return self._locks.setdefault(slug, asyncio.Lock())

    # -- commands --------------------------------------------------------------------------------------

    async def arm(self, slug: str) -> None:
        await self._confirmed(slug, "arm", lambda a, _m: a.arm(), lambda t: t.armed, commands=_ARM)

    async def disarm(self, slug: str) -> None:
        await self._confirmed(slug, "disarm", lambda a, _m: a.disarm(), lambda t: not t.armed, commands=_ARM)

    async def takeoff(self, slug: str, alt_rel_m: float | None = None) -> None:
        if alt_rel_m is not None:
            if not (0.5 <= alt_rel_m <= 500.0):
                raise ValueError(f"takeoff altitude {alt_rel_m} m is outside 0.5..500 m above home")
            await self._action(slug, "set takeoff altitude", lambda a, _m: a.set_takeoff_altitude(alt_rel_m))
        await self._confirmed(
            slug,
            "takeoff",
            lambda a, _m: a.takeoff(),
            lambda t: t.flight_mode == AUTO_TAKEOFF or (t.in_air and t.armed),
            commands=_TAKEOFF,
            keep_armed=True,
        )

    async def start(self, slug: str) -> None:
        """Starts the verified mission; PX4 refuses for a moment after an upload: this waits and retries."""
        await self._start(slug, "start mission")

    async def resume(self, slug: str) -> None:
        """PX4 continues from the current item when a paused mission is started again."""
        await self._start(slug, "resume mission")

    async def _start(self, slug: str, name: str) -> None:
        entry = self.registry.get(slug)
        plan = self._verified.get(slug)
        if plan is None:
            raise NoVerifiedPlan(
                slug, "no approved mission has been verified on board since this station started (upload one)"
            )
        tracker = entry.tracker
        # PX4 reports the new mission in MISSION_CURRENT.total once it has loaded it; starting before
        # that is refused ("Switching to Mission is currently not available").
        loaded = await confirm.wait_for(
            tracker,
            lambda: tracker.mission_total in (plan.mission_items, None),
            self.mission_load_timeout_s,
        )
        if not loaded:
            raise NoVerifiedPlan(
                slug,
                f"the vehicle reports {tracker.mission_total} mission items, {plan.mission_items} were "
                "verified: its mission changed since the upload",
            )
        await self._confirmed(
            slug,
            name,
            lambda _a, m: m.start_mission(),
            lambda t: t.flight_mode == AUTO_MISSION,
            commands=_MISSION_MODE,
            retry_refused=True,
            deadline_s=self.mission_load_timeout_s,
            keep_armed=True,
        )

    async def pause(self, slug: str) -> None:
        await self._confirmed(
            slug,
            "pause mission",
            lambda _a, m: m.pause_mission(),
            lambda t: t.flight_mode == AUTO_LOITER,
            commands=_MISSION_MODE,
        )

    async def goto(self, slug: str, lon: float, lat: float, alt_amsl_m: float) -> None:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"go-to position lon={lon} lat={lat} is not a WGS84 position")
        # MAVSDK takes lat/lon (its edge); NaN yaw keeps the current heading.
        await self._confirmed(
            slug,
            "go to",
            lambda a, _m: a.goto_location(lat, lon, alt_amsl_m, math.nan),
            lambda t: t.flight_mode == AUTO_LOITER,
            commands=_REPOSITION,
        )

    async def rtl(self, slug: str) -> None:
        await self._confirmed(
            slug,
            "return to launch",
            lambda a, _m: a.return_to_launch(),
            lambda t: t.flight_mode in (AUTO_RTL, AUTO_LAND) or not t.armed,
            commands=_RTL,
        )

    async def land(self, slug: str) -> None:
        await self._confirmed(
            slug,
            "land",
            lambda a, _m: a.land(),
            lambda t: t.flight_mode == AUTO_LAND or not t.armed,
            commands=_LAND,
        )

    async def upload_mission(
        self,
        slug: str,
        mission_items_: Sequence[MissionItemInt],
        fence_items: Sequence[MissionItemInt] = (),
        rally_items: Sequence[MissionItemInt] = (),
    ) -> UploadReport:
        """Uploads fence, rally and mission, then downloads each and compares with what was approved.

        Until all three are verified the vehicle counts as holding no approved plan: ``start`` is refused.
        When any step fails, the station empties the vehicle's lists so that nothing unverified stays on
        board, and says in the error whether that worked.
        """
        entry = self.registry.get(slug)
        async with self._lock(slug):
            self._verified.pop(slug, None)
            _, mission = await self._plugins(entry)
            parts = (
                ("geofence", fence_items, mission_items.MISSION_TYPE_FENCE),
                ("rally points", rally_items, mission_items.MISSION_TYPE_RALLY),
                ("mission", mission_items_, mission_items.MISSION_TYPE_MISSION),
            )
            try:
                for part, items, mission_type in parts:
                    await self._upload_part(entry, mission, part, items, mission_type)
                for part, items, mission_type in parts:
                    await self._verify_part(entry, mission, part, items, mission_type)
            except CommandError as exc:
                exc.plan_cleared = await self._clear_plan(entry)
                raise
            report = UploadReport(
                slug, len(mission_items_), len(fence_items), len(rally_items), verified=True
            )
            self._verified[slug] = report
        if self._on_mission_uploaded is not None:
            self._on_mission_uploaded(slug, list(mission_items_))
        return report

    def verified_plan(self, slug: str) -> UploadReport | None:
        """The plan last verified on board, or None (never, or a later upload failed)."""
        return self._verified.get(slug)

    async def _clear_plan(self, entry: VehicleEntry) -> bool:
        """Empties mission, fence and rally on the vehicle; False when the vehicle did not confirm it."""
        cleared = True
        for mission_type in (
            mission_items.MISSION_TYPE_MISSION,
            mission_items.MISSION_TYPE_FENCE,
            mission_items.MISSION_TYPE_RALLY,
        ):
            try:
                await entry.router.clear_plan_part(entry.system_id, mission_type, self.command_timeout_s)
            except (TimeoutError, RuntimeError) as exc:
                log.error("vehicle %s: could not clear plan part %d: %s", entry.vehicle_id, mission_type, exc)
                cleared = False
        log.warning("vehicle %s: upload failed; plan cleared on board: %s", entry.vehicle_id, cleared)
        return cleared

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
        diffs = plan_differences(items, mission_items.from_mavsdk(got or []), mission_type)
        if diffs:
            raise MissionMismatch(entry.vehicle_id, part, [str(d) for d in diffs])
