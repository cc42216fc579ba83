"""GPS receiver model: a random-walk position error (seeded) with realistic accuracy figures and a
5 Hz-ish update like SIH's (GPS_RAW_INT follows the receiver, not a stream rate)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import IntEnum


class GpsFix(IntEnum):
    NO_GPS = 0
    NO_FIX = 1
    FIX_2D = 2
    FIX_3D = 3


@dataclass
class GpsReading:
    fix: GpsFix
    east_err_m: float
    north_err_m: float
    up_err_m: float
    satellites: int
    eph_m: float
    epv_m: float


class GpsReceiver:
    def __init__(self, seed: int = 0, horizontal_sigma_m: float = 0.4, satellites: int = 16) -> None:
        self._rng = random.Random(seed)
        self._sigma = horizontal_sigma_m
        self._satellites = satellites
        self._east = 0.0
        self._north = 0.0
        self._up = 0.0
        self.failed = False

    def step(self, dt_s: float) -> GpsReading:
        """Advances the error process (Gauss-Markov, 60 s correlation) and reads the receiver."""
        if self.failed:
            return GpsReading(GpsFix.NO_FIX, 0.0, 0.0, 0.0, 0, 99.99, 99.99)
        decay = math.exp(-dt_s / 60.0) if dt_s > 0 else 1.0
        spread = self._sigma * math.sqrt(max(0.0, 1.0 - decay * decay))
        self._east = self._east * decay + self._rng.gauss(0.0, spread)
        self._north = self._north * decay + self._rng.gauss(0.0, spread)
        self._up = self._up * decay + self._rng.gauss(0.0, spread * 1.5)
        return GpsReading(
            GpsFix.FIX_3D,
            self._east,
            self._north,
            self._up,
            self._satellites,
            self._sigma * 2,
            self._sigma * 3,
        )
