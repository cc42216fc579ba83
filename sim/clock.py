"""Simulation time: a fixed-step clock driven by the world loop, scaled by the speed factor.

Vehicle time advances by ``tick_s * speed`` per tick; if the process cannot keep up, vehicle time lags
wall time (measured, never hidden), exactly what the benchmark reports as the real-time factor.

Link time (:meth:`SimClock.link_s`) is what the simulated autopilot's link timers run on: stream
intervals, protocol retries and timeouts, text pacing, GCS liveness. It advances ``tick_s`` per tick
whatever the speed, so it is wall-clock time while the loop keeps up (design contract 8) and slows down
with the loop when the machine starves it, as PX4 SITL's lockstep clock does. A starved simulator then
sends fewer frames per wall second, but never bunches or skips what its own timers promised.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class SpeedChange:
    """From this point of vehicle time (and this tick) on, vehicle time ran at ``speed``."""

    sim_s: float
    ticks: int
    speed: float


class SimClock:
    def __init__(self, speed: float = 1.0, tick_s: float = 0.01, start_utc: datetime | None = None) -> None:
        self.tick_s = tick_s
        self.start_utc = start_utc or datetime.now(UTC)
        self.sim_time_s = 0.0
        self.ticks = 0
        self.dropped_s = 0.0
        self.wall_start = time.monotonic()
        self.link_origin_s = self.wall_start
        self._speed = speed
        self._changes = [SpeedChange(0.0, 0, speed)]

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = value
        self._changes.append(SpeedChange(self.sim_time_s, self.ticks, value))

    @property
    def dt_s(self) -> float:
        return self.tick_s * self._speed

    def advance(self) -> float:
        self.ticks += 1
        self.sim_time_s += self.dt_s
        return self.dt_s

    def link_s(self) -> float:
        """Link time now (monotonic seconds; only differences mean anything)."""
        return self.link_origin_s + self.ticks * self.tick_s

    def link_s_at(self, sim_s: float) -> float:
        """Link time when vehicle time was ``sim_s``: what a vehicle timestamp on the wire (time_boot_ms
        of a vehicle started with the world) says about the link timers, across speed changes."""
        index = max(bisect.bisect_right([c.sim_s for c in self._changes], sim_s) - 1, 0)
        change = self._changes[index]
        ticks = change.ticks + (sim_s - change.sim_s) / (self.tick_s * change.speed)
        return self.link_origin_s + ticks * self.tick_s

    def real_time_factor(self, now: float | None = None) -> float:
        """Vehicle seconds simulated per wall second, divided by the requested speed (1.0 = on time)."""
        elapsed = (now if now is not None else time.monotonic()) - self.wall_start
        if elapsed <= 0:
            return 1.0
        return self.sim_time_s / elapsed / self._speed
