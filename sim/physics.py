"""Kinematic point-mass multicopter: the controller asks for a ground velocity, the body gets there
within acceleration, speed and climb limits, fighting the wind with a bounded airspeed.

Honest and simple: no rotor dynamics, but what a ground station sees (speeds, climb rates, tilt, drift in
wind stronger than the vehicle, yaw slewing at a limited rate) behaves like a real multicopter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.geo import wrap_pi

GRAVITY = 9.80665
# Airspeed a typical 2 kg quad can hold at full tilt; stronger wind pushes it away (geofence by wind).
MAX_AIRSPEED_MPS = 16.0
# Fraction of a gust the position controller does not reject within one step.
GUST_LEAK = 0.35
# Aerodynamic drag per unit airspeed squared, giving ~25 deg tilt at 15 m/s airspeed.
DRAG_PER_MPS2 = 0.02


@dataclass
class Limits:
    max_horizontal_mps: float = 12.0
    max_up_mps: float = 3.0
    max_down_mps: float = 1.5
    horizontal_accel_mps2: float = 3.0
    up_accel_mps2: float = 4.0
    down_accel_mps2: float = 3.0
    yaw_rate_dps: float = 45.0


@dataclass
class BodyState:
    """Where the body is: east/north metres from home, AMSL altitude, velocities, attitude (radians)."""

    east_m: float = 0.0
    north_m: float = 0.0
    alt_amsl_m: float = 0.0
    v_east: float = 0.0
    v_north: float = 0.0
    v_up: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    yaw_rate: float = 0.0
    air_east: float = 0.0
    air_north: float = 0.0

    @property
    def ground_speed(self) -> float:
        return math.hypot(self.v_east, self.v_north)

    @property
    def airspeed(self) -> float:
        return math.hypot(self.air_east, self.air_north)


def _approach(current: float, target: float, max_step: float) -> float:
    delta = target - current
    if delta > max_step:
        return current + max_step
    if delta < -max_step:
        return current - max_step
    return target


def step_body(
    body: BodyState,
    want_v_east: float,
    want_v_north: float,
    want_v_up: float,
    want_yaw: float | None,
    wind_en: tuple[float, float],
    gust_en: tuple[float, float],
    limits: Limits,
    dt: float,
) -> None:
    """Advances the body by ``dt`` seconds towards the wanted ground velocity (in place)."""
    speed = math.hypot(want_v_east, want_v_north)
    if speed > limits.max_horizontal_mps > 0.0:
        scale = limits.max_horizontal_mps / speed
        want_v_east *= scale
        want_v_north *= scale
    # The vehicle can only hold a bounded airspeed; what the wind adds beyond that is drift.
    wind_e, wind_n = wind_en
    air_e = want_v_east - wind_e
    air_n = want_v_north - wind_n
    air = math.hypot(air_e, air_n)
    if air > MAX_AIRSPEED_MPS:
        air_e *= MAX_AIRSPEED_MPS / air
        air_n *= MAX_AIRSPEED_MPS / air
    reach_e = air_e + wind_e
    reach_n = air_n + wind_n
    # Horizontal acceleration limit applied to the velocity vector, not per axis.
    dve = reach_e - body.v_east
    dvn = reach_n - body.v_north
    dv = math.hypot(dve, dvn)
    max_dv = limits.horizontal_accel_mps2 * dt
    if dv > max_dv > 0.0:
        dve *= max_dv / dv
        dvn *= max_dv / dv
    acc_e = dve / dt if dt > 0 else 0.0
    acc_n = dvn / dt if dt > 0 else 0.0
    body.v_east += dve + gust_en[0] * GUST_LEAK * dt
    body.v_north += dvn + gust_en[1] * GUST_LEAK * dt
    want_v_up = max(-limits.max_down_mps, min(limits.max_up_mps, want_v_up))
    up_step = (limits.up_accel_mps2 if want_v_up > body.v_up else limits.down_accel_mps2) * dt
    body.v_up = _approach(body.v_up, want_v_up, up_step)
    body.east_m += body.v_east * dt
    body.north_m += body.v_north * dt
    body.alt_amsl_m += body.v_up * dt
    body.air_east = body.v_east - wind_e
    body.air_north = body.v_north - wind_n

    if want_yaw is not None:
        err = wrap_pi(want_yaw - body.yaw)
        max_turn = math.radians(limits.yaw_rate_dps) * dt
        turn = max(-max_turn, min(max_turn, err))
        body.yaw = wrap_pi(body.yaw + turn)
        body.yaw_rate = turn / dt if dt > 0 else 0.0
    else:
        body.yaw_rate = 0.0
    _tilt_for(body, acc_e, acc_n)


def _tilt_for(body: BodyState, acc_e: float, acc_n: float) -> None:
    """Roll/pitch that produce the horizontal acceleration plus the drag of the current airspeed."""
    air = body.airspeed
    drag_e = DRAG_PER_MPS2 * air * body.air_east
    drag_n = DRAG_PER_MPS2 * air * body.air_north
    force_e = acc_e + drag_e
    force_n = acc_n + drag_n
    cos_y = math.cos(body.yaw)
    sin_y = math.sin(body.yaw)
    forward = force_n * cos_y + force_e * sin_y
    right = -force_n * sin_y + force_e * cos_y
    body.pitch = -math.atan2(forward, GRAVITY)
    body.roll = math.atan2(right, GRAVITY)


def stop_on_ground(body: BodyState, ground_amsl_m: float) -> None:
    body.alt_amsl_m = ground_amsl_m
    body.v_east = body.v_north = body.v_up = 0.0
    body.roll = body.pitch = 0.0
    body.yaw_rate = 0.0
