"""Simulation time: a fixed-step clock driven by the world loop, scaled by the speed factor.

Vehicle time advances by ``tick_s * speed`` per tick; if the process cannot keep up, vehicle time lags
wall time (measured, never hidden), exactly what the benchmark reports as the real-time factor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class SimClock:
    speed: float = 1.0
    tick_s: float = 0.01
    start_utc: datetime = field(default_factory=lambda: datetime.now(UTC))
    sim_time_s: float = 0.0
    ticks: int = 0
    dropped_s: float = 0.0
    wall_start: float = field(default_factory=time.monotonic)

    @property
    def dt_s(self) -> float:
        return self.tick_s * self.speed

    def advance(self) -> float:
        self.ticks += 1
        self.sim_time_s += self.dt_s
        return self.dt_s

    def real_time_factor(self, now: float | None = None) -> float:
        """Vehicle seconds simulated per wall second, divided by the requested speed (1.0 = on time)."""
        elapsed = (now if now is not None else time.monotonic()) - self.wall_start
        if elapsed <= 0:
            return 1.0
        return self.sim_time_s / elapsed / self.speed
