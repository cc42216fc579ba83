"""Fans the bus out to WebSocket clients: coalesced per vehicle to at most ``max_rate_hz`` frames.

Every bus message is serialised once. For each vehicle the hub sends at once when the vehicle's last
frame is older than the frame interval, otherwise it schedules one frame at the end of the interval
that carries the newest value of every topic that changed. Each client has its own pending map
(vehicle -> topic -> JSON) and its own sender task: a slow client only coalesces its own frames and is
dropped when one send takes longer than ``send_timeout_s``; the others never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.messages import BusMessage

log = logging.getLogger(__name__)


class TelemetryTopic(StrEnum):
    """Per-vehicle topics a client may subscribe to (the last token of ``vehicle.<id>.<topic>``)."""

    POSITION = "position"
    ATTITUDE = "attitude"
    BATTERY = "battery"
    STATUS = "status"
    MISSION = "mission"
    LINK = "link"
    STATUSTEXT = "statustext"
    FLIGHT = "flight"
    ALERT = "alert"


VEHICLE_TOPICS = frozenset(TelemetryTopic) - {TelemetryTopic.ALERT}


@dataclass(frozen=True)
class ClientFilter:
    vehicles: frozenset[str] | None = None
    """``None``: every vehicle."""
    topics: frozenset[TelemetryTopic] = frozenset(TelemetryTopic)

    def wants_vehicle(self, vehicle_id: str | None) -> bool:
        return self.vehicles is None or vehicle_id is None or vehicle_id in self.vehicles


class SlowClientError(Exception):
    pass


class TelemetryClient:
    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        client_filter: ClientFilter,
        send_timeout_s: float = 5.0,
        max_pending_alerts: int = 200,
    ) -> None:
        self._send = send
        self.filter = client_filter
        self._send_timeout_s = send_timeout_s
        self._pending: dict[str, dict[str, str]] = {}
        self._alerts: deque[str] = deque(maxlen=max_pending_alerts)
        self._wake = asyncio.Event()
        self.coalesced = 0
        self.alerts_dropped = 0
        self.frames_sent = 0

    def offer(self, vehicle_id: str, fragments: dict[str, str]) -> None:
        wanted = {t: f for t, f in fragments.items() if t in self.filter.topics}
        if not wanted or not self.filter.wants_vehicle(vehicle_id):
            return
        pending = self._pending.get(vehicle_id)
        if pending is None:
            self._pending[vehicle_id] = wanted
        else:
            self.coalesced += 1
            pending.update(wanted)
        self._wake.set()

    def offer_alert(self, vehicle_id: str | None, fragment: str) -> None:
        if TelemetryTopic.ALERT not in self.filter.topics or not self.filter.wants_vehicle(vehicle_id):
            return
        if len(self._alerts) == self._alerts.maxlen:
            self.alerts_dropped += 1
        self._alerts.append('{"type":"alert","alert":' + fragment + "}")
        self._wake.set()

    def set_filter(self, client_filter: ClientFilter) -> None:
        self.filter = client_filter
        self._pending = {
            v: {t: f for t, f in frags.items() if t in client_filter.topics}
            for v, frags in self._pending.items()
            if client_filter.wants_vehicle(v)
        }

    async def run(self) -> None:
        """Sends until cancelled; raises SlowClientError when one send stalls."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            frames: list[str] = list(self._alerts)
            self._alerts.clear()
            pending, self._pending = self._pending, {}
            for vehicle_id, fragments in pending.items():
                if fragments:
                    frames.append(frame_text(vehicle_id, fragments))
            for text in frames:
                try:
                    async with asyncio.timeout(self._send_timeout_s):
                        await self._send(text)
                except TimeoutError:
                    raise SlowClientError(
                        f"client did not take a frame within {self._send_timeout_s} s"
                    ) from None
                self.frames_sent += 1


def frame_text(vehicle_id: str, fragments: dict[str, str]) -> str:
    """``{"type":"telemetry","vehicle_id":..,"data":{topic: message, ...}}`` without re-serialising."""
    body = ",".join(f'"{topic}":{fragment}' for topic, fragment in fragments.items())
    return '{"type":"telemetry","vehicle_id":' + json.dumps(vehicle_id) + ',"data":{' + body + "}}"


class TelemetryHub:
    def __init__(self, bus: Bus, max_rate_hz: float = 10.0) -> None:
        self._bus = bus
        self._interval_s = 1.0 / max_rate_hz
        self._clients: set[TelemetryClient] = set()
        self._latest: dict[str, dict[str, str]] = {}
        self._dirty: dict[str, dict[str, str]] = {}
        self._last_flush: dict[str, float] = {}
        self._scheduled: dict[str, asyncio.TimerHandle] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def client_count(self) -> int:
        return len(self._clients)

    @property
    def bus_dropped(self) -> int:
        return sum(s.dropped for s in self._subscriptions)

    def latest(self, vehicle_id: str) -> dict[str, str]:
        """The newest JSON of every topic seen for a vehicle (used for snapshots)."""
        return dict(self._latest.get(vehicle_id, {}))

    async def start(self) -> None:
        vehicles = self._bus.subscribe("vehicle.>", maxsize=100_000)
        alerts = self._bus.subscribe("alert", maxsize=10_000)
        self._subscriptions = [vehicles, alerts]
        self._tasks = [
            asyncio.create_task(self._pump_vehicles(vehicles), name="hub-vehicles"),
            asyncio.create_task(self._pump_alerts(alerts), name="hub-alerts"),
        ]

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()
        for handle in self._scheduled.values():
            handle.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def register(self, client: TelemetryClient) -> None:
        self._clients.add(client)
        for vehicle_id, fragments in self._latest.items():
            client.offer(vehicle_id, fragments)

    def unregister(self, client: TelemetryClient) -> None:
        self._clients.discard(client)

    async def _pump_vehicles(self, subscription: Subscription) -> None:
        loop = asyncio.get_running_loop()
        async for topic, msg in subscription:
            _, vehicle_id, name = topic.split(".", 2)
            self._note(vehicle_id, name, msg)
            for more_topic, more_msg in subscription.drain():
                _, more_vehicle, more_name = more_topic.split(".", 2)
                self._note(more_vehicle, more_name, more_msg)
            now = loop.time()
            for dirty_vehicle in list(self._dirty):
                if dirty_vehicle in self._scheduled:
                    continue
                due = self._last_flush.get(dirty_vehicle, 0.0) + self._interval_s
                if now >= due:
                    self._flush(dirty_vehicle)
                else:
                    self._scheduled[dirty_vehicle] = loop.call_at(due, self._flush, dirty_vehicle)

    def _note(self, vehicle_id: str, name: str, msg: BusMessage) -> None:
        fragment = msg.model_dump_json()
        self._latest.setdefault(vehicle_id, {})[name] = fragment
        self._dirty.setdefault(vehicle_id, {})[name] = fragment

    def _flush(self, vehicle_id: str) -> None:
        self._scheduled.pop(vehicle_id, None)
        fragments = self._dirty.pop(vehicle_id, None)
        self._last_flush[vehicle_id] = asyncio.get_running_loop().time()
        if not fragments:
            return
        for client in self._clients:
            client.offer(vehicle_id, fragments)

    async def _pump_alerts(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            fragment = msg.model_dump_json()
            vehicle_id = getattr(msg, "vehicle_id", None)
            for client in self._clients:
                client.offer_alert(vehicle_id, fragment)
