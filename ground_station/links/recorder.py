"""Per-flight ``.tlog`` recording (arm -> disarm), both directions, with a short pre-arm history.

The pre-arm ring keeps the last seconds before arming (mission upload, mode changes) so the flight's
file explains how it started. A write error (full disk) stops recording for that flight, is reported
through ``error``, and never disturbs ingest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from pathlib import Path

from ground_station.links.flight_ids import new_flight_id
from ground_station.tlog import TlogWriter

log = logging.getLogger(__name__)


class FlightRecorder:
    def __init__(
        self, tlog_dir: Path | None, *, pre_arm_s: float = 10.0, flush_interval_s: float = 1.0
    ) -> None:
        self.tlog_dir = tlog_dir
        self._pre_arm_us = int(pre_arm_s * 1e6)
        self._flush_interval_us = int(flush_interval_s * 1e6)
        self._ring: deque[tuple[int, bytes]] = deque()
        self._writer: TlogWriter | None = None
        self._last_flush_us = 0
        self.error: str | None = None

    @property
    def recording(self) -> bool:
        return self._writer is not None

    @property
    def path(self) -> Path | None:
        return self._writer.path if self._writer else None

    def record(self, time_us: int, frame: bytes) -> None:
        writer = self._writer
        if writer is None:
            ring = self._ring
            ring.append((time_us, frame))
            while ring and time_us - ring[0][0] > self._pre_arm_us:
                ring.popleft()
            return
        try:
            writer.write(time_us, frame)
            if time_us - self._last_flush_us >= self._flush_interval_us:
                writer.flush()
                self._last_flush_us = time_us
        except OSError as exc:
            self._fail(exc)

    def flight_started(self, vehicle_id: str, now: dt.datetime) -> tuple[str, str | None]:
        flight_id = new_flight_id(vehicle_id, now)
        self.close()
        if self.tlog_dir is None:
            return flight_id, None
        path = self.tlog_dir / vehicle_id / f"{now:%Y-%m-%d_%H-%M-%S}_{flight_id}.tlog"  # unique too
        try:
            self._writer = TlogWriter(path)
            for time_us, frame in self._ring:
                self._writer.write(time_us, frame)
            self._writer.flush()
            self.error = None
        except OSError as exc:
            self._fail(exc)
            return flight_id, None
        finally:
            self._ring.clear()
        return flight_id, str(path)

    def flight_ended(self, vehicle_id: str, now: dt.datetime) -> str | None:
        path = self.path
        self.close()
        return str(path) if path else None

    def flush(self) -> None:
        if self._writer is not None:
            try:
                self._writer.flush()
            except OSError as exc:
                self._fail(exc)

    def close(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except OSError as exc:
                self._fail(exc)
            self._writer = None

    def _fail(self, exc: OSError) -> None:
        self.error = f"tlog recording stopped: {exc}"
        log.error("%s", self.error)
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass
