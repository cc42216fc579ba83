"""Wind: a steady vector plus gusts as a first-order Gauss-Markov process (a seeded, honest simplification
of the Dryden model), so runs are reproducible and gusts have a realistic correlation time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass
class WindSettings:
    """Steady wind and gust strength; ``from_deg`` is where the wind comes from, as in a METAR."""

    speed_mps: float = 0.0
    from_deg: float = 0.0
    gust_sigma_mps: float = 0.0
    gust_tau_s: float = 3.0


class WindField:
    def __init__(self, settings: WindSettings | None = None, seed: int = 0) -> None:
        self.settings = settings or WindSettings()
        self._rng = random.Random(seed)
        self.gust_east = 0.0
        self.gust_north = 0.0
        self.total_en: tuple[float, float] = self.steady_en()

    @property
    def gust_en(self) -> tuple[float, float]:
        return self.gust_east, self.gust_north

    def steady_en(self) -> tuple[float, float]:
        to_rad = math.radians(self.settings.from_deg + 180.0)
        return self.settings.speed_mps * math.sin(to_rad), self.settings.speed_mps * math.cos(to_rad)

    def step(self, dt_s: float) -> tuple[float, float]:
        """Advances the gusts and returns the total wind (east, north) in m/s."""
        sigma = self.settings.gust_sigma_mps
        if sigma > 0.0 and dt_s > 0.0:
            tau = max(self.settings.gust_tau_s, 0.1)
            decay = math.exp(-dt_s / tau)
            spread = sigma * math.sqrt(1.0 - decay * decay)
            self.gust_east = self.gust_east * decay + self._rng.gauss(0.0, spread)
            self.gust_north = self.gust_north * decay + self._rng.gauss(0.0, spread)
        elif sigma <= 0.0:
            self.gust_east = self.gust_north = 0.0
        east, north = self.steady_en()
        self.total_en = (east + self.gust_east, north + self.gust_north)
        return self.total_en
