"""Persists what the bus carries: full-rate tracks, flight lifecycle and alerts.

Positions are written in batches (one transaction every ``flush_interval_s``) so full-rate telemetry
from many vehicles costs a few commits a second. A batch that fails (locked database, full disk) is
kept and retried, bounded by ``max_pending_points``; the count of points dropped beyond that bound is
reported (health details), never silently lost. Telemetry points are the only thing ever dropped:
alerts and flight events go through :class:`DurableWriter`, into the store or else the spill journal,
which the flush loop replays once the store accepts writes again. Geo-located detections
(``camera.*.detections``) are telemetry-class too: batched, bounded, counted when dropped and pruned by
age in :class:`DetectionWriter`. Audit rows are written by the
routes themselves before they act (see ``ground_station.api.audit``), not from the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.messages import AlertMsg, DetectionsMsg, FlightEventKind, FlightEventMsg, PositionMsg
from ground_station.store.detection_writer import DetectionWriter
from ground_station.store.durable import DurableWriter
from ground_station.store.errors import StoreError
from ground_station.store.journal import JournalError, new_record_id
from ground_station.store.models import AlertRecord, Flight, FlightEvent, TrackPoint
from ground_station.store.repositories import Store

log = logging.getLogger(__name__)
FLIGHT_EVENT = "flight_event"
PRUNE_INTERVAL_S = 3600.0


def track_point(msg: PositionMsg, flight_id: str | None) -> TrackPoint:
    return TrackPoint(
        vehicle_id=msg.vehicle_id,
        flight_id=flight_id,
        time_utc=msg.time_utc,
        lon=msg.lon,
        lat=msg.lat,
        alt_amsl_m=msg.alt_amsl_m,
        alt_rel_m=msg.alt_rel_m,
        vn_mps=msg.vn_mps,
        ve_mps=msg.ve_mps,
        vd_mps=msg.vd_mps,
    )


def alert_record(msg: AlertMsg) -> AlertRecord:
    return AlertRecord(
        alert_id=msg.alert_id,
        vehicle_id=msg.vehicle_id,
        kind=msg.kind.value,
        severity=msg.severity.value,
        message=msg.message,
        messages=msg.messages.model_dump(),
        time_utc=msg.time_utc,
        lon=msg.lon,
        lat=msg.lat,
        predicted=msg.predicted,
        zone_id=msg.zone_id,
    )


class Recorder:
    def __init__(
        self,
        bus: Bus,
        store: Store,
        durable: DurableWriter,
        flush_interval_s: float = 0.25,
        max_pending_points: int = 200_000,
        *,
        detection_retention: timedelta | None = None,
        max_pending_detections: int = 100_000,
        prune_interval_s: float = PRUNE_INTERVAL_S,
    ) -> None:
        self._bus = bus
        self._store = store
        self.durable = durable
        durable.register(FLIGHT_EVENT, self._replay_event)
        self._flush_interval_s = flush_interval_s
        self._max_pending_points = max_pending_points
        self._pending_points: list[TrackPoint] = []
        self._current_flight: dict[str, str] = {}
        self._uploaded: dict[str, tuple[str, int]] = {}
        self._subscriptions: list[Subscription] = []
        self._must_not_lose: list[Subscription] = []
        self._detection_subscription: Subscription | None = None
        self.detections = DetectionWriter(
            store.detections, max_pending=max_pending_detections, retention=detection_retention
        )
        self._prune_interval_s = prune_interval_s
        self._last_prune: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._flush_lock = asyncio.Lock()
        self.points_written = 0
        self.points_dropped = 0
        self.last_error: str | None = None
        """The last store error of a track batch (None once a batch is stored again)."""
        self.lost_records = 0
        """Alerts/flight events neither stored nor journalled (the journal failed too): should stay 0."""

    def current_flight(self, vehicle_id: str) -> str | None:
        """The flight the vehicle's positions are filed under now (None between flights)."""
        return self._current_flight.get(vehicle_id)

    @property
    def points_pending(self) -> int:
        return len(self._pending_points)

    @property
    def bus_dropped(self) -> int:
        return sum(s.dropped for s in self._subscriptions)

    async def start(self) -> None:
        await self._close_interrupted_flights()
        approvals = await self._store.missions.latest_approvals()
        self._uploaded = {vehicle: (a.mission_id, a.version) for vehicle, a in approvals.items()}
        positions = self._bus.subscribe("vehicle.*.position", maxsize=100_000)
        events = self._bus.subscribe("vehicle.*.flight", maxsize=10_000)
        alerts = self._bus.subscribe("alert", maxsize=10_000)
        detections = self._bus.subscribe("camera.*.detections", maxsize=10_000)
        self._subscriptions = [positions, events, alerts, detections]
        self._must_not_lose = [events, alerts]
        self._detection_subscription = detections
        self._tasks = [
            asyncio.create_task(self._collect_positions(positions), name="recorder-positions"),
            asyncio.create_task(self._record_events(events), name="recorder-flights"),
            asyncio.create_task(self._record_alerts(alerts), name="recorder-alerts"),
            asyncio.create_task(self._collect_detections(detections), name="recorder-detections"),
            asyncio.create_task(self._flush_periodically(), name="recorder-flush"),
        ]

    def problem(self) -> str | None:
        """Why the recorder is not working now (a stopped task, the journal failing), or None."""
        for task in self._tasks:
            if task.done() and not task.cancelled():
                return f"recorder task {task.get_name()!r} stopped: {task.exception()!r}"
        return self.durable.not_ready_reason

    def losses(self) -> str | None:
        """What was lost since start although it must not be (alerts or flight events the recorder fell
        behind on, or that the journal could not take), or None: reported until the service restarts."""
        lost_on_bus = sum(s.dropped for s in self._must_not_lose)
        if lost_on_bus:
            return f"{lost_on_bus} alert/flight-event message(s) lost on the bus: the recorder fell behind"
        if self.lost_records:
            return f"{self.lost_records} alert/flight-event record(s) neither stored nor journalled"
        return None

    async def stop(self) -> None:
        """Stops listening, then writes everything still buffered."""
        for subscription in self._subscriptions:
            subscription.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscription in self._subscriptions:
            for _topic, msg in subscription.drain():
                if isinstance(msg, PositionMsg):
                    self._pending_points.append(track_point(msg, self._current_flight.get(msg.vehicle_id)))
                elif isinstance(msg, AlertMsg):
                    await self._durably(self.durable.alert(alert_record(msg)))
                elif isinstance(msg, FlightEventMsg):
                    await self._durably(self._record_event_durably(msg))
                elif isinstance(msg, DetectionsMsg):
                    self.detections.collect(msg)
        await self.flush()
        await self.durable.replay()

    async def note_upload(self, vehicle_id: str, mission_id: str, version: int) -> None:
        """Links the vehicle's current (or next) flight to the mission version it was given."""
        self._uploaded[vehicle_id] = (mission_id, version)
        flight_id = self._current_flight.get(vehicle_id)
        if flight_id is not None:
            await self._store.flights.set_mission(flight_id, mission_id, version)

    async def _close_interrupted_flights(self) -> None:
        """Flights left open by a crash end at their last stored point; the vehicle starts a new one."""
        for flight in await self._store.flights.find(limit=10_000):
            if flight.ended_at is not None:
                continue
            track = await self._store.flights.track(flight.id)
            ended = track[-1].time_utc if track else flight.started_at
            await self._store.flights.end(flight.id, ended)
            await self._store.flights.add_event(
                FlightEvent(
                    flight.vehicle_id, flight.id, "INTERRUPTED", datetime.now(UTC), "service restarted"
                )
            )

    async def _collect_positions(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            if not isinstance(msg, PositionMsg):
                continue
            self._pending_points.append(track_point(msg, self._current_flight.get(msg.vehicle_id)))
            overflow = len(self._pending_points) - self._max_pending_points
            if overflow > 0:
                del self._pending_points[:overflow]
                self.points_dropped += overflow

    @property
    def detections_dropped(self) -> int:
        """Detections lost under pressure: off the bounded buffer or behind on the bus."""
        on_bus = self._detection_subscription.dropped if self._detection_subscription else 0
        return self.detections.dropped + on_bus

    async def _collect_detections(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            if isinstance(msg, DetectionsMsg):
                self.detections.collect(msg)

    async def _flush_periodically(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._flush_interval_s)
            await self.flush()
            await self.durable.probe()
            await self.durable.replay()
            if self._last_prune is None or loop.time() - self._last_prune >= self._prune_interval_s:
                self._last_prune = loop.time()
                await self.detections.prune(datetime.now(UTC))

    async def flush(self) -> None:
        async with self._flush_lock:
            await self.detections.flush()
            if not self._pending_points:
                return
            batch = self._pending_points
            self._pending_points = []
            try:
                await self._store.flights.add_track(batch)
            except StoreError as exc:
                self.last_error = str(exc)
                log.warning("track batch of %d points not stored yet: %s", len(batch), exc)
                self._pending_points = batch + self._pending_points
                return
            self.points_written += len(batch)
            self.last_error = None

    async def _record_events(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            if isinstance(msg, FlightEventMsg):
                await self._durably(self._record_event_durably(msg))

    async def _record_alerts(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            if isinstance(msg, AlertMsg):
                await self._durably(self.durable.alert(alert_record(msg)))

    async def _durably(self, write: Any) -> None:
        """A failed journal is reported (health, not-ready) but must not stop the recorder's loop."""
        try:
            await write
        except JournalError as exc:
            self.lost_records += 1
            log.critical("record lost: %s", exc)

    async def _record_event_durably(self, msg: FlightEventMsg) -> None:
        payload = {"entry_id": new_record_id(), "msg": msg.model_dump(mode="json")}
        await self.durable.write(FLIGHT_EVENT, payload)

    async def _replay_event(self, payload: dict[str, Any]) -> None:
        await self._record_event(FlightEventMsg.model_validate(payload["msg"]), payload["entry_id"])

    async def _record_event(self, msg: FlightEventMsg, entry_id: str | None = None) -> None:
        """Idempotent: flights are upserted, the event row is keyed by ``entry_id``, ends only once."""
        flight_id = msg.flight_id or self._current_flight.get(msg.vehicle_id)
        joins_flight = msg.flight_id is not None and self._current_flight.get(msg.vehicle_id) != msg.flight_id
        if msg.flight_id and (msg.kind is FlightEventKind.FLIGHT_STARTED or joins_flight):
            # FLIGHT_STARTED, or the first event we see of a flight already under way
            await self.flush()
            self._current_flight[msg.vehicle_id] = msg.flight_id
            mission = self._uploaded.get(msg.vehicle_id)
            await self._store.flights.start(
                Flight(
                    msg.flight_id,
                    msg.vehicle_id,
                    msg.time_utc,
                    None,
                    msg.tlog_path,
                    mission[0] if mission else None,
                    mission[1] if mission else None,
                )
            )
        elif msg.tlog_path and flight_id:
            await self._store.flights.set_tlog(flight_id, msg.tlog_path)
        await self._store.flights.add_event(
            FlightEvent(msg.vehicle_id, flight_id, msg.kind.value, msg.time_utc, msg.detail, entry_id)
        )
        if msg.kind is FlightEventKind.FLIGHT_ENDED and flight_id:
            await self.flush()
            await self._store.flights.end(flight_id, msg.time_utc)
            if self._current_flight.get(msg.vehicle_id) == flight_id:
                del self._current_flight[msg.vehicle_id]
