"""Faults the simulator's control API can inject, besides MAVLink's MAV_CMD_INJECT_FAILURE.

GPS, battery and motor faults do exactly what the MAVLink injection does (without needing
SYS_FAILURE_EN, since this is the simulator's own back door); wind changes the world's wind; link cuts
the vehicle's radio in both directions. Durations are wall-clock seconds, as an operator means them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from sim.commands import FailureType, FailureUnit
from sim.vehicle import Vehicle
from sim.wind import WindField, WindSettings


class FaultKind(StrEnum):
    GPS = "gps"
    BATTERY = "battery"
    MOTOR = "motor"
    WIND = "wind"
    LINK = "link"


_UNITS = {
    FaultKind.GPS: FailureUnit.SENSOR_GPS,
    FaultKind.BATTERY: FailureUnit.SYSTEM_BATTERY,
    FaultKind.MOTOR: FailureUnit.SYSTEM_MOTOR,
}

DEFAULT_FAULT_WIND = WindSettings(speed_mps=18.0, from_deg=180.0, gust_sigma_mps=3.0, gust_tau_s=3.0)


@dataclass
class FaultController:
    vehicles: dict[str, Vehicle]
    wind: WindField
    active: dict[tuple[str, FaultKind], asyncio.TimerHandle | None] = field(default_factory=dict)
    _calm_wind: WindSettings | None = None

    def apply(
        self, slug: str, kind: FaultKind, seconds: float | None = None, wind: WindSettings | None = None
    ) -> None:
        """Raises KeyError for an unknown vehicle."""
        vehicle = self.vehicles[slug]
        if kind in _UNITS:
            vehicle.inject_failure(_UNITS[kind], FailureType.OFF)
        elif kind == FaultKind.WIND:
            if self._calm_wind is None:
                self._calm_wind = self.wind.settings
            self.wind.settings = wind or DEFAULT_FAULT_WIND
        elif kind == FaultKind.LINK:
            vehicle.link.blocked = True
        previous = self.active.pop((slug, kind), None)
        if previous is not None:
            previous.cancel()
        handle = None
        if seconds is not None and seconds > 0:
            handle = asyncio.get_running_loop().call_later(seconds, self.clear, slug, kind)
        self.active[(slug, kind)] = handle

    def clear(self, slug: str, kind: FaultKind) -> None:
        vehicle = self.vehicles[slug]
        if kind in _UNITS:
            vehicle.inject_failure(_UNITS[kind], FailureType.OK)
        elif kind == FaultKind.WIND:
            if self._calm_wind is not None:
                self.wind.settings = self._calm_wind
                self._calm_wind = None
        elif kind == FaultKind.LINK:
            vehicle.link.blocked = False
        handle = self.active.pop((slug, kind), None)
        if handle is not None:
            handle.cancel()

    def active_for(self, slug: str) -> list[FaultKind]:
        return sorted(kind for (s, kind) in self.active if s == slug)
