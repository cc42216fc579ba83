"""The station's notion of "now" for access decisions, injectable so tests never wait real minutes.

Token expiry, the WebSocket's ``token_expiring`` warning and login throttling all ask a ``Clock``. The
system clock is the default; :class:`ManualClock` lets a test move time forward and wakes whoever
sleeps on it, so a 15-minute token lifetime is tested in milliseconds and without races.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Returns once ``now() >= when`` (at once if already so)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        remaining = (when - self.now()).total_seconds()
        if remaining > 0:
            await asyncio.sleep(remaining + 0.001)  # never wake a hair early


class ManualClock:
    """Time stands still until :meth:`advance`; sleepers whose time has come are woken then.

    ``advance`` must run on the event loop the sleepers wait on (tests call it through the portal).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC).replace(microsecond=0)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        if when <= self._now:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._order), future))
        await future

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    @property
    def sleepers(self) -> int:
        """How many waits are pending (tests wait for a socket's timer to be armed before advancing)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())
