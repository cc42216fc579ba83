"""Whether the aircraft can fly the plan: battery against an estimated flight time, and the pilot's sight."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geodata.crs import LocalTangentPlane
from missions.model import Mission, OperationCategory
from missions.path import PathVertices, leg_lengths_m
from missions.validate.context import RuleContext
from missions.validate.messages import Msg
from missions.validate.report import RuleId, Severity, Violation, violation


@dataclass(frozen=True)
class FlightTimeEstimate:
    """Seconds spent in each kind of flight; energy is charged per kind."""

    cruise_s: float
    climb_s: float
    descent_s: float
    hover_s: float

    @property
    def total_s(self) -> float:
        return self.cruise_s + self.climb_s + self.descent_s + self.hover_s


def estimate_flight_time(mission: Mission, vertices: PathVertices) -> FlightTimeEstimate:
    """Distance at cruise speed with a wind allowance, climbs and descents at their rates, holds and orbits.

    Wind: over a closed route a headwind costs more than a tailwind gives back; averaged over all headings
    the time per metre is v / (v^2 - w^2) (exact for an out-and-back leg), which is the allowance used.
    A leg that climbs while it travels takes the longer of its horizontal and vertical times. Speeds follow
    the mission's DO_CHANGE_SPEED items, capped at the vehicle's maximum.
    """
    profile = mission.vehicle
    commanded = np.nan_to_num(vertices.leg_speed_m_s[1:], nan=profile.cruise_speed_m_s)
    v = np.minimum(commanded, profile.max_speed_m_s)
    w = mission.expected_wind_m_s
    horizontal, vertical = leg_lengths_m(vertices)
    horizontal = np.nan_to_num(horizontal)
    vertical = np.nan_to_num(vertical)
    if v.size and w >= float(v.min()):
        return FlightTimeEstimate(math.inf, 0.0, 0.0, 0.0)
    per_metre = v / (v * v - w * w)
    t_horizontal = horizontal * per_metre
    t_climb = np.clip(vertical, 0.0, None) / profile.climb_rate_m_s
    t_descent = np.clip(-vertical, 0.0, None) / profile.descent_rate_m_s
    t_vertical = t_climb + t_descent
    horizontal_dominates = t_horizontal >= t_vertical
    cruise = float(np.where(horizontal_dominates, t_horizontal, 0.0).sum())
    climb = float(np.where(horizontal_dominates, 0.0, t_climb).sum())
    descent = float(np.where(horizontal_dominates, 0.0, t_descent).sum())
    circle_per_metre = np.append(0.0, per_metre) if per_metre.size else np.zeros(1)
    cruise += float((vertices.orbit_m * circle_per_metre).sum())
    return FlightTimeEstimate(cruise, climb, descent, float(vertices.dwell_s.sum()))


def available_time_s(mission: Mission, estimate: FlightTimeEstimate, reserve: float) -> float:
    """Flight time the battery allows after the reserve, from endurance or from the energy model."""
    profile = mission.vehicle
    if profile.battery_capacity_wh is not None:
        usable_j = profile.battery_capacity_wh * 3600.0 * (1.0 - reserve)
        needed_j = (
            profile.cruise_power_w * estimate.cruise_s
            + profile.climb_power_w * estimate.climb_s
            + profile.hover_power_w * (estimate.hover_s + estimate.descent_s)
        )
        if needed_j <= 0 or not math.isfinite(needed_j):
            return usable_j / profile.hover_power_w
        return estimate.total_s * usable_j / needed_j
    assert profile.endurance_s is not None  # guaranteed by VehicleProfile's validator
    return profile.endurance_s * (1.0 - reserve)


def check_endurance(ctx: RuleContext) -> list[Violation]:
    mission = ctx.mission
    found: list[Violation] = []
    limit = mission.vehicle.max_wind_m_s
    if mission.expected_wind_m_s > limit:
        found.append(
            violation(
                RuleId.ENDURANCE,
                Severity.ERROR,
                Msg.WIND_TOO_STRONG,
                wind=mission.expected_wind_m_s,
                limit=limit,
            )
        )
    reserve = ctx.config.battery_reserve_fraction
    estimate = estimate_flight_time(mission, ctx.vertices)
    available = available_time_s(mission, estimate, reserve)
    if estimate.total_s > available:
        found.append(
            violation(
                RuleId.ENDURANCE,
                Severity.ERROR,
                Msg.ENDURANCE_SHORT,
                needed_min=estimate.total_s / 60.0,
                available_min=available / 60.0,
                reserve=reserve * 100.0,
            )
        )
    return found


def check_vlos(ctx: RuleContext) -> list[Violation]:
    """Open category: warn at the farthest point if the path leaves the visual line of sight limit."""
    mission = ctx.mission
    if mission.category is not OperationCategory.OPEN or ctx.samples.size == 0:
        return []
    pilot = mission.pilot_position
    plane = LocalTangentPlane(pilot.lon, pilot.lat)
    s = ctx.samples
    east, north, _up = plane.to_enu(s.lon, s.lat, 0.0)
    distance = np.hypot(east, north)
    far = int(np.argmax(distance))
    limit = ctx.config.vlos_limit_m
    if distance[far] <= limit:
        return []
    return [
        violation(
            RuleId.VLOS,
            Severity.WARNING,
            Msg.BEYOND_VLOS,
            where=ctx.sample_where(far),
            distance=float(distance[far]),
            limit=limit,
        )
    ]
