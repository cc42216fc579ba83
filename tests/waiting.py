"""Waiting on a condition instead of sleeping a guessed time.

``await until(lambda: recorder.current_flight("sim-1") == "f1")`` returns as soon as the condition
holds, however slow the machine; the timeout is only a safety net that fails with a message.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def until(
    condition: Callable[[], bool | Awaitable[bool]], what: str = "condition", timeout_s: float = 20.0
) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                result = condition()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout_s} s") from None
