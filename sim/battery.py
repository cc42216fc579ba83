"""A Li-ion pack whose drain follows what the vehicle does: hover power grows with airspeed (drag),
climb (potential energy) and wind, so a long upwind leg costs more than the same leg downwind.

The voltage follows a simple open-circuit curve between BAT1_V_EMPTY and BAT1_V_CHARGED per cell, minus
the IR drop. This deliberately does not copy PX4 SIH's battery, which drains to 50 % and refills (an
artifact of SIH noted in the trace README).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class BatteryWarning(IntEnum):
    """MAV_BATTERY_CHARGE_STATE levels PX4 uses for its failsafes."""

    NONE = 0
    OK = 1
    LOW = 2
    CRITICAL = 3
    EMERGENCY = 4
    FAILED = 5


@dataclass
class BatterySpec:
    capacity_mah: float = 5000.0
    cells: int = 4
    v_charged_per_cell: float = 4.05
    v_empty_per_cell: float = 3.6
    hover_current_a: float = 14.0
    idle_current_a: float = 0.6
    internal_resistance_ohm: float = 0.02
    initial_remaining: float = 1.0


@dataclass
class Battery:
    spec: BatterySpec
    consumed_mah: float = 0.0
    current_a: float = 0.0
    failed: bool = False

    def __post_init__(self) -> None:
        self.consumed_mah = self.spec.capacity_mah * (1.0 - self.spec.initial_remaining)

    @property
    def remaining(self) -> float:
        if self.failed:
            return 0.0
        return max(0.0, 1.0 - self.consumed_mah / self.spec.capacity_mah)

    @property
    def voltage_v(self) -> float:
        if self.failed:
            return 0.0
        cell = self.spec.v_empty_per_cell + (self.spec.v_charged_per_cell - self.spec.v_empty_per_cell) * (
            self.remaining**0.8
        )
        return max(0.0, cell * self.spec.cells - self.current_a * self.spec.internal_resistance_ohm)

    def step(self, dt_s: float, armed: bool, airborne: bool, airspeed_mps: float, climb_mps: float) -> None:
        """Drains for ``dt_s`` seconds of vehicle time."""
        if not armed:
            self.current_a = self.spec.idle_current_a
        elif not airborne:
            self.current_a = self.spec.hover_current_a * 0.25
        else:
            drag_factor = 1.0 + 0.004 * airspeed_mps * airspeed_mps
            climb_factor = 1.0 + 0.12 * max(climb_mps, 0.0) - 0.05 * max(-climb_mps, 0.0)
            self.current_a = self.spec.hover_current_a * drag_factor * climb_factor
        self.consumed_mah += self.current_a * dt_s / 3.6

    def warning(self, low: float, critical: float, emergency: float) -> BatteryWarning:
        remaining = self.remaining
        if self.failed:
            return BatteryWarning.FAILED
        if remaining <= emergency:
            return BatteryWarning.EMERGENCY
        if remaining <= critical:
            return BatteryWarning.CRITICAL
        if remaining <= low:
            return BatteryWarning.LOW
        return BatteryWarning.OK
