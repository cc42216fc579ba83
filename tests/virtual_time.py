"""An asyncio event loop with a virtual clock that jumps ahead whenever the loop would wait.

Timing-dependent code (rate limits, stall timers, ``asyncio.sleep``) reads ``loop.time()``; here that
is a counter which only moves when every task is blocked on a timer, and then straight to the next
timer. A test of "a send that takes 0.1 s against a 0.3 s limit" therefore runs in microseconds and
gives the same answer on an idle laptop and on a CI runner at full load. Only for code without real
I/O (the in-process bus): a socket never becomes ready while virtual time jumps.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.BaseSelector):
    """Never blocks: polls the real selector, and when nothing is ready advances the clock instead."""

    def __init__(self, loop_clock: list[float]) -> None:
        self._inner = selectors.DefaultSelector()
        self._clock = loop_clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._inner.select(0)
        if not ready and timeout is not None and timeout > 0:
            self._clock[0] += timeout
        return ready

    def get_map(self) -> Any:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual_now = [0.0]
        super().__init__(selector=_JumpingSelector(self._virtual_now))

    def time(self) -> float:
        return self._virtual_now[0]


def run_in_virtual_time(coro: Coroutine[Any, Any, T]) -> T:
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def virtual_time(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Decorates an ``async def`` test (no fixtures) to run on a :class:`VirtualTimeLoop`."""

    def run() -> None:
        run_in_virtual_time(test())

    run.__name__ = test.__name__
    run.__qualname__ = test.__qualname__
    run.__doc__ = test.__doc__
    return run
