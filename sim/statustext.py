"""STATUSTEXT the way PX4 sends it on a MAVLink link.

PX4 only sends texts on a link after it has seen a GCS heartbeat there; while the GCS is considered
lost the texts queue up and are flushed ~1 per 50 ms once its heartbeat returns (trace c). Texts longer
than 50 characters go out as chunks sharing one ``id``; ``id`` counts up per text from 0 after boot.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum

from pymavlink.dialects.v20 import common as mavlink

CHUNK_CHARS = 50
FLUSH_INTERVAL_S = 0.05
QUEUE_LIMIT = 64


class Severity(IntEnum):
    EMERGENCY = 0
    ALERT = 1
    CRITICAL = 2
    ERROR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7


@dataclass(frozen=True)
class QueuedText:
    severity: Severity
    text: str
    text_id: int


def chunks(text: str) -> list[str]:
    """50-character pieces; a text of exactly 50 characters is one chunk, like PX4's."""
    if len(text) <= CHUNK_CHARS:
        return [text]
    return [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]


class StatusTextOutbox:
    def __init__(
        self,
        encoder: mavlink.MAVLink,
        send: Callable[[mavlink.MAVLink_message], None],
        gcs_alive: Callable[[], bool],
        wall_clock: Callable[[], float],
    ) -> None:
        self._mav = encoder
        self._send = send
        self._gcs_alive = gcs_alive
        self._now = wall_clock
        self._queue: deque[QueuedText] = deque(maxlen=QUEUE_LIMIT)
        self._next_id = 0
        self._last_flush = 0.0
        self._defer_depth = 0
        self._deferred: list[QueuedText] = []
        self.history: deque[tuple[Severity, str]] = deque(maxlen=200)

    def post(self, severity: Severity, text: str) -> None:
        self.history.append((severity, text))
        item = QueuedText(severity, text, self._next_id)
        self._next_id = (self._next_id + 1) & 0xFFFF
        if self._defer_depth:
            self._deferred.append(item)
            return
        self._enqueue(item)

    @contextlib.contextmanager
    def after_reply(self) -> Iterator[None]:
        """Texts a command handler posts go out after its COMMAND_ACK, as PX4's do (its commander ACKs
        first; the module that then acts on the command writes the text)."""
        self._defer_depth += 1
        try:
            yield
        finally:
            self._defer_depth -= 1
            if not self._defer_depth:
                deferred, self._deferred = self._deferred, []
                for item in deferred:
                    self._enqueue(item)

    def _enqueue(self, item: QueuedText) -> None:
        self._queue.append(item)
        now = self._now()
        # PX4 paces every text ~50 ms after the previous one (traces: no two closer than 0.049 s).
        if self._gcs_alive() and len(self._queue) == 1 and now - self._last_flush >= FLUSH_INTERVAL_S:
            self._emit(self._queue.popleft())
            self._last_flush = now

    def tick(self) -> None:
        if not self._queue or not self._gcs_alive():
            return
        now = self._now()
        if now - self._last_flush >= FLUSH_INTERVAL_S:
            self._emit(self._queue.popleft())
            self._last_flush = now

    def _emit(self, item: QueuedText) -> None:
        for index, piece in enumerate(chunks(item.text)):
            self._send(
                self._mav.statustext_encode(
                    int(item.severity), piece.encode("utf-8")[:CHUNK_CHARS], item.text_id, index
                )
            )
