"""Fans the bus out to WebSocket clients: coalesced per vehicle to at most ``max_rate_hz`` frames.

The cost of the fan-out must grow with the frames actually sent, not with (bus messages x clients):
bus messages only mark a vehicle's topics dirty (the newest message object wins, nothing is
serialised), and at a vehicle's flush tick every dirty topic is serialised once, the frame text is built
once per distinct topic selection, and only the clients interested in that vehicle are visited (an index
vehicle -> clients, rebuilt when a client joins, leaves or changes its filter). The hub sends at once when
the vehicle's last frame is older than the frame interval, otherwise it schedules one frame at the end
of the interval that carries the newest value of every topic that changed.

Each client has its own pending map (vehicle -> frame) and its own sender task: a client that falls
behind merges its pending frames (only then is a private frame text built) and is dropped when one send
stalls longer than ``send_timeout_s``; the others never wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

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

    @cached_property
    def wants_every_vehicle_topic(self) -> bool:
        return VEHICLE_TOPICS <= self.topics

    @cached_property
    def wants_vehicle_topics(self) -> bool:
        return not VEHICLE_TOPICS.isdisjoint(self.topics)


class SlowClientError(Exception):
    pass


class VehicleFrame:
    """One telemetry frame of one vehicle; its text is built on first use and then shared by every
    client that is offered this same object, so a flush tick serialises a frame once, not per client."""

    __slots__ = ("_text", "fragments", "vehicle_id")

    def __init__(self, vehicle_id: str, fragments: dict[str, str]) -> None:
        self.vehicle_id = vehicle_id
        self.fragments = fragments
        """topic -> the message's JSON; never mutated once offered (clients share it)."""
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = frame_text(self.vehicle_id, self.fragments)
        return self._text

    def merged_with(self, newer: VehicleFrame) -> VehicleFrame:
        return VehicleFrame(self.vehicle_id, {**self.fragments, **newer.fragments})

    def restricted_to(self, topics: frozenset[TelemetryTopic]) -> VehicleFrame | None:
        kept = {t: f for t, f in self.fragments.items() if t in topics}
        if len(kept) == len(self.fragments):
            return self
        return VehicleFrame(self.vehicle_id, kept) if kept else None


class _StallWatch:
    """Cancels the sender task when it has been busy without progress for ``limit_s``.

    One timer per stall period instead of one ``asyncio.timeout`` per frame: the timer stays armed while
    the client keeps up and, when it fires, re-arms from the last progress unless the client stalled.
    """

    def __init__(self, limit_s: float) -> None:
        self._limit_s = limit_s
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._handle: asyncio.TimerHandle | None = None
        self._busy = False
        self._progress_at = 0.0
        self.expired = False

    def busy(self) -> None:
        self._busy = True
        self._progress_at = self._loop.time()
        if self._handle is None:
            self._handle = self._loop.call_at(self._progress_at + self._limit_s, self._check)

    def progress(self) -> None:
        self._progress_at = self._loop.time()

    def idle(self) -> None:
        self._busy = False

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check(self) -> None:
        self._handle = None
        if not self._busy:
            return
        due = self._progress_at + self._limit_s
        if self._loop.time() < due:
            self._handle = self._loop.call_at(due, self._check)
            return
        self.expired = True
        if self._task is not None:
            self._task.cancel()


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
        self._pending: dict[str, VehicleFrame] = {}
        self._alerts: deque[str] = deque(maxlen=max_pending_alerts)
        self._control: deque[str] = deque()
        self._control_sent = asyncio.Event()
        self._control_sent.set()
        self._wake = asyncio.Event()
        self._filter_listeners: list[Callable[[], None]] = []
        self.coalesced = 0
        self.alerts_dropped = 0
        self.frames_sent = 0

    def offer(self, vehicle_id: str, fragments: dict[str, str]) -> None:
        """Offers the newest JSON of some topics of a vehicle (filtered here)."""
        if not self.filter.wants_vehicle(vehicle_id):
            return
        frame = VehicleFrame(vehicle_id, fragments).restricted_to(self.filter.topics)
        if frame is not None:
            self.offer_frame(frame)

    def offer_frame(self, frame: VehicleFrame) -> None:
        """Hot path: ``frame`` is already restricted to this client's filter and may be shared."""
        pending = self._pending.get(frame.vehicle_id)
        if pending is None:
            self._pending[frame.vehicle_id] = frame
        else:
            self.coalesced += 1
            self._pending[frame.vehicle_id] = pending.merged_with(frame)
        self._wake.set()

    def offer_alert(self, vehicle_id: str | None, fragment: str) -> None:
        if TelemetryTopic.ALERT not in self.filter.topics or not self.filter.wants_vehicle(vehicle_id):
            return
        if len(self._alerts) == self._alerts.maxlen:
            self.alerts_dropped += 1
        self._alerts.append('{"type":"alert","alert":' + fragment + "}")
        self._wake.set()

    def send_control(self, text: str) -> None:
        """Queues a session message (``auth_ok``, ``token_expiring``, replies) ahead of telemetry.

        Everything the socket sends goes through the one sender task, so frames never interleave.
        """
        self._control.append(text)
        self._control_sent.clear()
        self._wake.set()

    async def control_sent(self) -> None:
        """Returns once every queued session message has been handed to the socket (before a close)."""
        await self._control_sent.wait()

    def set_filter(self, client_filter: ClientFilter) -> None:
        self.filter = client_filter
        pending: dict[str, VehicleFrame] = {}
        for vehicle_id, frame in self._pending.items():
            if not client_filter.wants_vehicle(vehicle_id):
                continue
            kept = frame.restricted_to(client_filter.topics)
            if kept is not None:
                pending[vehicle_id] = kept
        self._pending = pending
        for listener in self._filter_listeners:
            listener()

    def add_filter_listener(self, listener: Callable[[], None]) -> None:
        """Called after every filter change (the hub re-indexes its clients)."""
        self._filter_listeners.append(listener)

    def remove_filter_listener(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._filter_listeners.remove(listener)

    async def run(self) -> None:
        """Sends until cancelled; raises SlowClientError when one send stalls."""
        watch = _StallWatch(self._send_timeout_s)
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                frames: list[str] = list(self._control)
                self._control.clear()
                frames.extend(self._alerts)
                self._alerts.clear()
                pending, self._pending = self._pending, {}
                frames.extend(frame.text for frame in pending.values())
                watch.busy()
                for text in frames:
                    await self._send(text)
                    watch.progress()
                    self.frames_sent += 1
                watch.idle()
                if not self._control:
                    self._control_sent.set()
        except asyncio.CancelledError:
            if not watch.expired:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            raise SlowClientError(f"client did not take a frame within {self._send_timeout_s} s") from None
        finally:
            watch.close()


def frame_text(vehicle_id: str, fragments: dict[str, str]) -> str:
    """``{"type":"telemetry","vehicle_id":..,"data":{topic: message, ...}}`` without re-serialising."""
    body = ",".join(f'"{topic}":{fragment}' for topic, fragment in fragments.items())
    return '{"type":"telemetry","vehicle_id":' + json.dumps(vehicle_id) + ',"data":{' + body + "}}"


class TelemetryHub:
    def __init__(self, bus: Bus, max_rate_hz: float = 10.0) -> None:
        self._bus = bus
        self._interval_s = 1.0 / max_rate_hz
        self._clients: set[TelemetryClient] = set()
        self._interested: dict[str, tuple[TelemetryClient, ...]] = {}
        """vehicle -> clients that want some of its topics; cleared whenever the clients change."""
        self._latest: dict[str, dict[str, str]] = {}
        self._dirty: dict[str, dict[str, BusMessage]] = {}
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
        latest = dict(self._latest.get(vehicle_id, {}))
        latest.update((name, msg.model_dump_json()) for name, msg in self._dirty.get(vehicle_id, {}).items())
        return latest

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
        client.add_filter_listener(self._forget_index)
        self._forget_index()
        for vehicle_id in self._latest.keys() | self._dirty.keys():
            client.offer(vehicle_id, self.latest(vehicle_id))

    def unregister(self, client: TelemetryClient) -> None:
        self._clients.discard(client)
        client.remove_filter_listener(self._forget_index)
        self._forget_index()

    def _forget_index(self) -> None:
        self._interested.clear()

    def _clients_of(self, vehicle_id: str) -> tuple[TelemetryClient, ...]:
        clients = self._interested.get(vehicle_id)
        if clients is None:
            clients = tuple(
                c
                for c in self._clients
                if c.filter.wants_vehicle(vehicle_id) and c.filter.wants_vehicle_topics
            )
            self._interested[vehicle_id] = clients
        return clients

    async def _pump_vehicles(self, subscription: Subscription) -> None:
        loop = asyncio.get_running_loop()
        dirty = self._dirty
        async for topic, msg in subscription:
            _, vehicle_id, name = topic.split(".", 2)
            dirty.setdefault(vehicle_id, {})[name] = msg
            for more_topic, more_msg in subscription.drain():
                _, more_vehicle, more_name = more_topic.split(".", 2)
                dirty.setdefault(more_vehicle, {})[more_name] = more_msg
            now = loop.time()
            for dirty_vehicle in list(dirty):
                if dirty_vehicle in self._scheduled:
                    continue
                # a vehicle never flushed is due now (loop time may start near 0, e.g. a virtual clock)
                due = self._last_flush.get(dirty_vehicle, -math.inf) + self._interval_s
                if now >= due:
                    self._flush(dirty_vehicle)
                else:
                    self._scheduled[dirty_vehicle] = loop.call_at(due, self._flush, dirty_vehicle)

    def _flush(self, vehicle_id: str) -> None:
        self._scheduled.pop(vehicle_id, None)
        messages = self._dirty.pop(vehicle_id, None)
        self._last_flush[vehicle_id] = asyncio.get_running_loop().time()
        if not messages:
            return
        fragments = {name: msg.model_dump_json() for name, msg in messages.items()}
        self._latest.setdefault(vehicle_id, {}).update(fragments)
        full = VehicleFrame(vehicle_id, fragments)
        restricted: dict[frozenset[TelemetryTopic], VehicleFrame | None] = {}
        for client in self._clients_of(vehicle_id):
            topics = client.filter.topics
            if client.filter.wants_every_vehicle_topic:
                frame: VehicleFrame | None = full
            elif topics in restricted:
                frame = restricted[topics]
            else:
                frame = restricted[topics] = full.restricted_to(topics)
            if frame is not None:
                client.offer_frame(frame)

    async def _pump_alerts(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            fragment = msg.model_dump_json()
            vehicle_id = getattr(msg, "vehicle_id", None)
            for client in self._clients:
                client.offer_alert(vehicle_id, fragment)
