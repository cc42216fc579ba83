"""A command is done when the vehicle's state shows it, not when the first COMMAND_ACK arrives.

PX4 answers DO_SET_MODE(AUTO.MISSION) with ACCEPTED and, a few milliseconds later, with a second
COMMAND_ACK TEMPORARILY_REJECTED ("Switching to Mission is currently not available") while it has not yet
loaded a mission that was just uploaded (PX4 v1.16 SITL, trace e: ~0.6 s; 1-3 s on a busy machine).
MAVSDK reports success at the first ACK. So the fleet sends through MAVSDK, then reads every later ACK
and STATUSTEXT and the HEARTBEAT here, and retries a temporarily refused command until a stated deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ground_station.links.vehicle_state import VehicleTracker

log = logging.getLogger(__name__)

MAV_RESULT_ACCEPTED = 0
MAV_RESULT_IN_PROGRESS = 5
MAV_RESULT_NAMES = {
    0: "ACCEPTED",
    1: "TEMPORARILY_REJECTED",
    2: "DENIED",
    3: "UNSUPPORTED",
    4: "FAILED",
    5: "IN_PROGRESS",
    6: "CANCELLED",
}


@dataclass(frozen=True)
class Refusal:
    """The vehicle's own reason: the last refusing ACK and the texts it sent around it."""

    result: str
    texts: tuple[str, ...]

    def __str__(self) -> str:
        said = "; ".join(dict.fromkeys(self.texts))  # PX4 repeats its text on every refused retry
        return f"{self.result} ({said})" if said else self.result


class NotConfirmed(Exception):
    def __init__(self, refusal: Refusal | None, observed: str) -> None:
        super().__init__(refusal, observed)
        self.refusal = refusal
        self.observed = observed


async def wait_for(tracker: VehicleTracker, condition: Callable[[], bool], timeout_s: float) -> bool:
    """True once ``condition`` holds, False at the deadline; wakes on every message the tracker notes."""
    event = asyncio.Event()
    tracker.watch(event)
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                event.clear()
                await event.wait()
        return True
    except TimeoutError:
        return False
    finally:
        tracker.unwatch(event)


def _refusals(tracker: VehicleTracker, since: int, commands: frozenset[int]) -> list[int]:
    return [
        ack.result
        for ack in tracker.acks
        if ack.index > since
        and ack.command in commands
        and ack.result not in (MAV_RESULT_ACCEPTED, MAV_RESULT_IN_PROGRESS)
    ]


def texts_since(tracker: VehicleTracker, since: int) -> tuple[str, ...]:
    return tuple(t.text for t in tracker.texts if t.index > since and t.severity <= 4)


async def until_state(
    tracker: VehicleTracker,
    send: Callable[[], Awaitable[object]],
    done: Callable[[], bool],
    *,
    commands: frozenset[int],
    describe: Callable[[], str],
    deadline_s: float,
    retry_refused: bool = False,
    retry_interval_s: float = 0.5,
    still_valid: Callable[[], str | None] = lambda: None,
) -> None:
    """Sends, then waits until ``done()``; a refusing ACK ends the wait (or, with ``retry_refused``,
    sends again after ``retry_interval_s`` until ``deadline_s``). Raises NotConfirmed with PX4's reason.

    ``still_valid`` names a state that makes waiting pointless (e.g. the vehicle disarmed itself).
    """
    end = time.monotonic() + deadline_s
    refusal: Refusal | None = None
    first = tracker.mark()
    while True:
        mark = tracker.mark()
        await send()

        def settled(since: int = mark) -> bool:
            return done() or bool(_refusals(tracker, since, commands)) or still_valid() is not None

        remaining = end - time.monotonic()
        await wait_for(tracker, settled, max(0.0, remaining))
        if done():
            return
        refused = _refusals(tracker, mark, commands)
        if refused:
            refusal = Refusal(
                MAV_RESULT_NAMES.get(refused[-1], str(refused[-1])), texts_since(tracker, first)
            )
        broken = still_valid()
        if broken is not None:
            raise NotConfirmed(refusal, broken)
        if not retry_refused or not refused or time.monotonic() + retry_interval_s >= end:
            raise NotConfirmed(refusal, describe())
        # A temporary refusal: give PX4 time (it loads a new mission within ~3 s) and ask again.
        log.info("vehicle refused (%s); asking again in %.1f s", refusal, retry_interval_s)
        if await wait_for(tracker, done, retry_interval_s):
            return
