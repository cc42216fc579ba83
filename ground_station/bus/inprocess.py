"""In-process bus: per-subscriber bounded buffers, drop-oldest, publish never waits.

Must be used from one event loop (the service's). Publishing costs one dictionary lookup plus one
``deque.append`` per matching subscriber, so the ingest path's cost does not depend on how fast the
subscribers are.
"""

from __future__ import annotations

import asyncio
from collections import deque

from ground_station.bus.base import TopicMessage
from ground_station.bus.catalogue import check_message, pattern_matches, validate_pattern
from ground_station.bus.messages import BusMessage


class InProcessSubscription:
    def __init__(self, bus: InProcessBus, pattern: str, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.pattern = pattern
        self.maxsize = maxsize
        self._bus = bus
        self._buffer: deque[TopicMessage] = deque(maxlen=maxsize)
        self._wakeup = asyncio.Event()
        self._dropped = 0
        self._delivered = 0
        self._closed = False

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def delivered(self) -> int:
        return self._delivered

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def offer(self, item: TopicMessage) -> None:
        """Called by the bus; drops the oldest buffered item when full."""
        if self._closed:
            return
        if len(self._buffer) == self.maxsize:
            self._dropped += 1
        self._buffer.append(item)
        self._wakeup.set()

    def __aiter__(self) -> InProcessSubscription:
        return self

    async def __anext__(self) -> TopicMessage:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        self._delivered += 1
        return self._buffer.popleft()

    async def get(self) -> TopicMessage:
        """Next message (wrap in ``asyncio.timeout`` to bound the wait); StopAsyncIteration when closed."""
        return await self.__anext__()

    def drain(self) -> list[TopicMessage]:
        items = list(self._buffer)
        self._buffer.clear()
        self._delivered += len(items)
        return items

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bus._remove(self)
        self._wakeup.set()


class InProcessBus:
    def __init__(self) -> None:
        self._subscriptions: list[InProcessSubscription] = []
        self._routes: dict[str, tuple[InProcessSubscription, ...]] = {}
        self._published = 0
        self._closed = False

    @property
    def published(self) -> int:
        return self._published

    @property
    def subscriptions(self) -> tuple[InProcessSubscription, ...]:
        return tuple(self._subscriptions)

    async def publish(self, topic: str, msg: BusMessage) -> None:
        self.publish_nowait(topic, msg)

    def publish_nowait(self, topic: str, msg: BusMessage) -> None:
        """Synchronous publish for callbacks that cannot await (same loop only)."""
        if self._closed:
            raise RuntimeError("bus is closed")
        check_message(topic, msg)
        targets = self._routes.get(topic)
        if targets is None:
            targets = tuple(s for s in self._subscriptions if pattern_matches(s.pattern, topic))
            self._routes[topic] = targets
        self._published += 1
        item = (topic, msg)
        for subscription in targets:
            subscription.offer(item)

    def subscribe(self, pattern: str, *, maxsize: int = 1000) -> InProcessSubscription:
        if self._closed:
            raise RuntimeError("bus is closed")
        subscription = InProcessSubscription(self, validate_pattern(pattern), maxsize)
        self._subscriptions.append(subscription)
        self._routes.clear()
        return subscription

    def _remove(self, subscription: InProcessSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
            self._routes.clear()

    async def close(self) -> None:
        self._closed = True
        for subscription in list(self._subscriptions):
            subscription.close()
