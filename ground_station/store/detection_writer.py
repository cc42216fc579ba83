"""Buffers ``camera.<id>.detections`` for the store: telemetry-class data, like track points.

Detections are written in batches by the recorder's flush loop. A batch the store refuses (locked, full
disk) is kept and retried, bounded by ``max_pending``; what falls off beyond that bound (and what the
recorder's bus subscription dropped) is counted and reported in the health details, never silently
lost. Alerts and flight events are never dropped; detections, like positions, may be under pressure.

Retention: rows older than ``retention`` are deleted by :meth:`prune` (the recorder runs it hourly), in
bounded transactions. ``None`` keeps them, as the store keeps track points.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ground_station.bus.messages import DetectionsMsg
from ground_station.store.errors import StoreError
from ground_station.store.models import DetectionRecord
from ground_station.store.repositories import DetectionRepository

log = logging.getLogger(__name__)


def detection_records(msg: DetectionsMsg) -> list[DetectionRecord]:
    """One row per detection; a detector run that found nobody leaves no row."""
    return [
        DetectionRecord(
            camera_id=msg.camera_id,
            frame_seq=msg.frame_seq,
            time_utc=msg.time_utc,
            track_id=p.track_id,
            kind=p.kind,
            lon=p.lon,
            lat=p.lat,
            alt_amsl_m=p.alt_amsl_m,
            uncertainty_m=p.uncertainty_m,
            range_m=p.range_m,
            score=p.score,
        )
        for p in msg.detections
    ]


class DetectionWriter:
    def __init__(
        self, repository: DetectionRepository, *, max_pending: int = 100_000, retention: timedelta | None
    ) -> None:
        self._repository = repository
        self._max_pending = max_pending
        self.retention = retention
        self._pending: list[DetectionRecord] = []
        self.written = 0
        self.dropped = 0
        """Detections that fell off the bounded buffer while the store refused writes."""
        self.pruned = 0
        self.last_error: str | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def collect(self, msg: DetectionsMsg) -> None:
        self._pending.extend(detection_records(msg))
        overflow = len(self._pending) - self._max_pending
        if overflow > 0:
            del self._pending[:overflow]
            self.dropped += overflow

    async def flush(self) -> None:
        """Writes the buffer in one transaction; on a store error keeps it for the next flush."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            await self._repository.add(batch)
        except StoreError as exc:
            self.last_error = str(exc)
            log.warning("detection batch of %d not stored yet: %s", len(batch), exc)
            self._pending = batch + self._pending
            overflow = len(self._pending) - self._max_pending
            if overflow > 0:
                del self._pending[:overflow]
                self.dropped += overflow
            return
        self.written += len(batch)
        self.last_error = None

    async def prune(self, now: datetime) -> int:
        """Deletes what is older than the retention; a store error is logged and retried next time."""
        if self.retention is None:
            return 0
        try:
            deleted = await self._repository.delete_before(now - self.retention)
        except StoreError as exc:
            log.warning("detection retention pass failed: %s", exc)
            return 0
        self.pruned += deleted
        return deleted
