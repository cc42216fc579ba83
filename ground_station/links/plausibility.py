"""Edge checks on decoded positions: values no multicopter can produce are rejected and counted.

A CRC-valid frame proves only that the bytes arrived intact. A position that jumps kilometres between
two packets, or an altitude far outside the atmosphere a drone flies in, is a broken or hostile sender;
taking it would draw a false track, open false zone alerts and corrupt the flight record. Speeds are
judged on the vehicle's own timestamps (contract 8), so a delayed burst of packets is not a "jump".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ground_station.links.decode import GlobalPosition

EARTH_RADIUS_M = 6_371_000.0


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class PlausibilityLimits:
    max_speed_mps: float = 150.0
    """Well above any multicopter or small fixed wing; GPS noise over 20 ms stays far below it."""
    min_alt_amsl_m: float = -500.0
    max_alt_amsl_m: float = 12_000.0
    jump_slack_m: float = 25.0
    """Added to ``max_speed * dt``: estimator resets and millisecond timestamps make small honest jumps."""
    reanchor_after_s: float = 10.0
    """Vehicle-clock gap after which the last accepted position no longer constrains the next."""


class PositionGate:
    def __init__(self, limits: PlausibilityLimits | None = None) -> None:
        self.limits = limits or PlausibilityLimits()
        self._last: GlobalPosition | None = None
        self.rejected = 0

    def check(self, position: GlobalPosition) -> str | None:
        """None when plausible (and remembered), else why it was rejected."""
        limits = self.limits
        reason: str | None = None
        if not (-90.0 <= position.lat <= 90.0 and -180.0 <= position.lon <= 180.0):
            reason = "coordinates out of range"
        elif not limits.min_alt_amsl_m <= position.alt_amsl_m <= limits.max_alt_amsl_m:
            reason = f"altitude {position.alt_amsl_m:.0f} m AMSL out of range"
        elif (last := self._last) is not None:
            dt_s = (position.vehicle_time_ms - last.vehicle_time_ms) / 1000.0
            distance = _distance_m(last.lon, last.lat, position.lon, position.lat)
            if 0.0 <= dt_s <= limits.reanchor_after_s:
                if distance > limits.max_speed_mps * dt_s + limits.jump_slack_m:
                    reason = f"jump of {distance:.0f} m in {dt_s:.2f} s"
            # dt_s < 0 (vehicle rebooted) or a long gap: the new position anchors the next checks
        if reason is not None:
            self.rejected += 1
            return reason
        self._last = position
        return None
