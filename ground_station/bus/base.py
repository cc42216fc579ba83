"""The bus interface publishers and subscribers code against (any backend implements it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from ground_station.bus.messages import BusMessage

TopicMessage = tuple[str, BusMessage]


@runtime_checkable
class Subscription(Protocol):
    """An async iterator of ``(topic, message)``.

    Each subscription has its own bounded buffer: when it is full the oldest message is dropped and
    ``dropped`` grows, so a slow consumer loses its own stale data instead of slowing anyone else.
    """

    pattern: str

    @property
    def dropped(self) -> int: ...

    @property
    def closed(self) -> bool: ...

    def __aiter__(self) -> AsyncIterator[TopicMessage]: ...

    async def __anext__(self) -> TopicMessage: ...

    def drain(self) -> list[TopicMessage]:
        """Everything buffered right now, without waiting (for coalescing consumers)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Bus(Protocol):
    async def publish(self, topic: str, msg: BusMessage) -> None:
        """Validates ``msg`` against the catalogue; never waits for a subscriber."""
        ...

    def publish_nowait(self, topic: str, msg: BusMessage) -> None:
        """Same as ``publish`` for synchronous callers on the bus's event loop (datagram callbacks);
        a networked backend queues the message for its sender task."""
        ...

    def subscribe(self, pattern: str, *, maxsize: int = 1000) -> Subscription: ...

    async def close(self) -> None: ...
