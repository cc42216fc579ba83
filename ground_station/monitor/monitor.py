"""Live monitoring: reads the vehicle topics, runs the rules, publishes alerts on ``alert``.

Work is batched: at most every ``evaluation_interval_s`` (0.1 s) whatever arrived since the last pass
is applied, then every vehicle whose position changed is checked at its newest position in one
vectorised pass, so the monitor's cost follows the number of vehicles, not the 50 Hz packet rate.
A 1 Hz pass re-checks every vehicle so that conditions without new positions (link loss) open and
close on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Sequence

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    AlertSeverity,
    BatteryMsg,
    BusMessage,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
    StatusTextMsg,
)
from ground_station.monitor import rules
from ground_station.monitor.alert_book import AlertBook
from ground_station.monitor.rules import Finding, MonitorConfig, RegionLike, VehicleContext
from missions.formats.mavlink_items import MissionItemInt

log = logging.getLogger(__name__)

FAILSAFE_TEXT_MAX_SEVERITY = 2  # MAV_SEVERITY_CRITICAL


def degraded_finding(reason: str) -> Finding:
    """A CRITICAL alert while geographic checks fail: silence from the monitor must never look like
    "all clear". It closes like any alert once the checks run again (the condition is no longer found)."""
    return Finding(
        AlertKind.MONITORING_DEGRADED, AlertSeverity.CRITICAL, "monitoring-degraded", {"reason": reason}
    )


class Monitor:
    def __init__(self, bus: Bus, region: RegionLike | None, config: MonitorConfig | None = None) -> None:
        self.bus = bus
        self.region = region
        self.config = config or MonitorConfig()
        self.contexts: dict[str, VehicleContext] = {}
        self.book = AlertBook(self.config.clear_after_s)
        self.checks = 0
        self.degraded: dict[str, str] = {}
        """Vehicles whose geographic checks failed at their last evaluation, with the reason."""
        self.last_error: str | None = None
        self.last_pass_mono: float | None = None
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._subscription = self.bus.subscribe("vehicle.>", maxsize=20_000)
        self._tasks = [
            asyncio.create_task(self._consume(self._subscription), name="monitor"),
            asyncio.create_task(self._periodic(), name="monitor 1 Hz"),
        ]

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def problem(self) -> str | None:
        """Why the monitor is not working (a stopped task), or None; read by the health route."""
        for task in self._tasks:
            if task.done() and not task.cancelled():
                exc = task.exception()
                return f"monitor task {task.get_name()!r} stopped: {exc!r}"
        return None

    @property
    def dropped(self) -> int:
        return self._subscription.dropped if self._subscription else 0

    @property
    def active_alerts(self) -> list[AlertMsg]:
        return self.book.active

    def set_mission(self, vehicle_id: str, items: Sequence[MissionItemInt]) -> None:
        """The approved, uploaded mission the deviation rule compares the flight with."""
        ctx = self._context(vehicle_id)
        ctx.waypoints = [
            (index, item.y / 1e7, item.x / 1e7)
            for index, item in enumerate(items)
            if item.command in rules.NAV_COMMANDS_WITH_POSITION and (item.x or item.y)
        ]

    # -- input -----------------------------------------------------------------------------------------

    def _context(self, vehicle_id: str) -> VehicleContext:
        ctx = self.contexts.get(vehicle_id)
        if ctx is None:
            ctx = self.contexts[vehicle_id] = VehicleContext(vehicle_id)
        return ctx

    def apply(self, msg: BusMessage) -> str | None:
        """Stores a message in its vehicle's context; returns the vehicle id when its position moved."""
        if isinstance(msg, PositionMsg):
            self._context(msg.vehicle_id).position = msg
            return msg.vehicle_id
        if isinstance(msg, StatusMsg):
            ctx = self._context(msg.vehicle_id)
            if ctx.status is not None and ctx.status.armed and not msg.armed:
                ctx.last_failsafe_text = None
            ctx.status = msg
        elif isinstance(msg, BatteryMsg):
            self._context(msg.vehicle_id).battery = msg
        elif isinstance(msg, LinkMsg):
            self._context(msg.vehicle_id).link = msg
        elif isinstance(msg, MissionProgressMsg):
            self._context(msg.vehicle_id).progress = msg
        elif isinstance(msg, StatusTextMsg):
            if msg.severity <= FAILSAFE_TEXT_MAX_SEVERITY and "failsafe" in msg.text.lower():
                self._context(msg.vehicle_id).last_failsafe_text = msg.text
        return None

    async def _consume(self, subscription: Subscription) -> None:
        """At most one evaluation per ``evaluation_interval_s``: what arrives in between waits in the
        subscription, and then every vehicle that moved is checked at its newest position in one
        vectorised pass (the fixed cost of the zone/border/terrain queries is paid once per pass, not
        once per 50 Hz position packet)."""
        next_pass = 0.0
        async for _topic, first in subscription:
            wait_s = next_pass - time.monotonic()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            moved: set[str] = set()
            for msg in [first, *(m for _, m in subscription.drain())]:
                vehicle_id = self.apply(msg)
                if vehicle_id is not None:
                    moved.add(vehicle_id)
            if moved:
                await self.evaluate(sorted(moved))
                next_pass = time.monotonic() + self.config.evaluation_interval_s

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self.evaluate(list(self.contexts))

    # -- evaluation ------------------------------------------------------------------------------------

    def findings(self, vehicle_ids: Sequence[str], now: dt.datetime) -> dict[str, list[Finding]]:
        contexts = [self.contexts[v] for v in vehicle_ids if v in self.contexts]
        out: dict[str, list[Finding]] = {c.vehicle_id: [] for c in contexts}
        if self.region is not None:
            try:
                for vehicle_id, found in rules.geo_rules(contexts, self.region, self.config, now).items():
                    out[vehicle_id].extend(found)
            except Exception as exc:  # a geodata failure must not silence link/battery/failsafe alerts
                log.exception("geographic monitoring failed")
                reason = f"{type(exc).__name__}: {exc}"[:200]
                self.last_error = reason
                for ctx in contexts:
                    self.degraded[ctx.vehicle_id] = reason
                    out[ctx.vehicle_id].append(degraded_finding(reason))
            else:
                for ctx in contexts:
                    self.degraded.pop(ctx.vehicle_id, None)
        for ctx in contexts:
            found = out[ctx.vehicle_id]
            found.extend(rules.link_rule(ctx))
            found.extend(rules.failsafe_rule(ctx))
            found.extend(rules.battery_rule(ctx, self.config))
            found.extend(rules.mission_deviation_rule(ctx, self.config))
        return out

    async def evaluate(self, vehicle_ids: Sequence[str]) -> list[AlertMsg]:
        now = dt.datetime.now(dt.UTC)
        mono = time.monotonic()
        published: list[AlertMsg] = []
        self.last_pass_mono = mono
        for vehicle_id, found in self.findings(vehicle_ids, now).items():
            self.checks += 1
            for alert in self.book.update(vehicle_id, found, now, mono):
                await self.bus.publish("alert", alert)
                published.append(alert)
        return published
