"""What the vehicle is trying to do right now, one small task per PX4 navigation behaviour.

Each task turns the vehicle state into a guidance target (a point, speed limits, a yaw wish) and reports
its own milestones (takeoff done, waypoint reached, touchdown expected) through the ``FlightContext``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from pymavlink.dialects.v20 import common as mavlink

from sim.geo import LocalFrame
from sim.mission_protocol import MISSION_NAV_COMMANDS
from sim.mission_store import RELATIVE_FRAMES, TERRAIN_FRAMES, MavFrame, StoredItem
from sim.params import ParameterStore
from sim.physics import BodyState
from sim.statustext import Severity


@dataclass(frozen=True)
class Guidance:
    """A point to go to (east/north metres from home, AMSL altitude) and how fast."""

    east_m: float
    north_m: float
    alt_amsl_m: float
    max_speed_mps: float
    max_up_mps: float
    max_down_mps: float
    yaw_rad: float | None = None
    # Set by landing: descend at this rate whatever the altitude target says.
    descend_mps: float | None = None


class FlightContext(Protocol):
    """What tasks may read and trigger; implemented by the flight controller."""

    body: BodyState
    params: ParameterStore
    frame: LocalFrame
    home_alt_amsl_m: float

    def ground_amsl_at(self, east_m: float, north_m: float) -> float: ...
    def say(self, severity: Severity, text: str) -> None: ...
    def on_takeoff_done(self) -> None: ...
    def on_mission_rtl(self) -> None: ...
    def on_mission_land(self) -> None: ...
    def on_item_reached(self, reached_seq: int, next_seq: int) -> None: ...
    def on_speed_item(self, param1: float, param2: float, param3: float, param4: float) -> None: ...


def stopping_point(body: BodyState, accel_mps2: float) -> tuple[float, float]:
    """Where the vehicle can stop if it brakes now, so Hold does not snap back to where it was."""
    speed = body.ground_speed
    if speed < 0.1 or accel_mps2 <= 0:
        return body.east_m, body.north_m
    reach = speed / (2.0 * accel_mps2)
    return body.east_m + body.v_east * reach, body.north_m + body.v_north * reach


def landing_descent_rate(params: ParameterStore, agl_m: float) -> float:
    """PX4's landing speed profile: fast above MPC_LAND_ALT1, MPC_LAND_SPEED below MPC_LAND_ALT2."""
    fast = params.get("MPC_Z_V_AUTO_DN")
    slow = params.get("MPC_LAND_SPEED")
    alt1 = params.get("MPC_LAND_ALT1")
    alt2 = params.get("MPC_LAND_ALT2")
    if agl_m >= alt1:
        return fast
    if agl_m <= alt2 or alt1 <= alt2:
        return slow
    return slow + (fast - slow) * (agl_m - alt2) / (alt1 - alt2)


class NavTask(Protocol):
    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None: ...


class IdleTask:
    """On the ground: no guidance."""

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        return None


class HoldTask:
    """AUTO.LOITER: stay at (or fly to, after a reposition) one point."""

    def __init__(
        self, east_m: float, north_m: float, alt_amsl_m: float, speed_mps: float | None = None
    ) -> None:
        self.east_m = east_m
        self.north_m = north_m
        self.alt_amsl_m = alt_amsl_m
        self.speed_mps = speed_mps

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        speed = self.speed_mps if self.speed_mps and self.speed_mps > 0 else ctx.params.get("MPC_XY_CRUISE")
        return Guidance(
            self.east_m,
            self.north_m,
            self.alt_amsl_m,
            speed,
            ctx.params.get("MPC_Z_V_AUTO_UP"),
            ctx.params.get("MPC_Z_V_AUTO_DN"),
            _yaw_towards(ctx.body, self.east_m, self.north_m),
        )


class TakeoffTask:
    """AUTO.TAKEOFF: spool up, climb straight up at MPC_TKO_SPEED to the target altitude."""

    SPOOLUP_S = 1.5

    def __init__(self, alt_amsl_m: float) -> None:
        self.alt_amsl_m = alt_amsl_m
        self.elapsed_s = 0.0
        self.anchor: tuple[float, float] | None = None

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        self.elapsed_s += dt
        if self.anchor is None:
            self.anchor = (ctx.body.east_m, ctx.body.north_m)
        if self.elapsed_s < self.SPOOLUP_S:
            return None
        if ctx.body.alt_amsl_m >= self.alt_amsl_m - 0.3:
            ctx.on_takeoff_done()
        return Guidance(
            self.anchor[0],
            self.anchor[1],
            self.alt_amsl_m,
            1.0,
            ctx.params.get("MPC_TKO_SPEED"),
            ctx.params.get("MPC_Z_V_AUTO_DN"),
            None,
        )


class LandTask:
    """AUTO.LAND (or a mission land item): descend on PX4's landing speed profile at one spot."""

    def __init__(self, east_m: float, north_m: float) -> None:
        self.east_m = east_m
        self.north_m = north_m

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        ground = ctx.ground_amsl_at(ctx.body.east_m, ctx.body.north_m)
        agl = ctx.body.alt_amsl_m - ground
        rate = landing_descent_rate(ctx.params, agl)
        return Guidance(self.east_m, self.north_m, ground - 5.0, 2.0, 0.0, rate, None, descend_mps=rate)


class RtlPhase(Enum):
    CLIMB = "climb"
    RETURN = "return"
    LAND = "land"


class RtlTask:
    """AUTO.RTL with RTL_TYPE 0: climb to max(RTL_RETURN_ALT, current), fly to the closest safe point
    (home or a rally point), land there."""

    def __init__(
        self, ctx: FlightContext, destination_en: tuple[float, float], destination_alt_amsl_m: float
    ) -> None:
        self.destination_en = destination_en
        self.destination_alt_amsl_m = destination_alt_amsl_m
        rel = ctx.body.alt_amsl_m - destination_alt_amsl_m
        self.return_alt_amsl_m = destination_alt_amsl_m + max(ctx.params.get("RTL_RETURN_ALT"), rel)
        self.phase = RtlPhase.CLIMB
        self.anchor = (ctx.body.east_m, ctx.body.north_m)
        self._land: LandTask | None = None
        above = self.return_alt_amsl_m - destination_alt_amsl_m
        ctx.say(
            Severity.INFO,
            f"RTL: start return at {self.return_alt_amsl_m:.0f} m ({above:.0f} m above destination)\t",
        )

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        body = ctx.body
        up = ctx.params.get("MPC_Z_V_AUTO_UP")
        down = ctx.params.get("MPC_Z_V_AUTO_DN")
        cruise = ctx.params.get("MPC_XY_CRUISE")
        if self.phase == RtlPhase.CLIMB:
            if body.alt_amsl_m >= self.return_alt_amsl_m - 0.5:
                self.phase = RtlPhase.RETURN
            else:
                return Guidance(self.anchor[0], self.anchor[1], self.return_alt_amsl_m, 1.0, up, down, None)
        if self.phase == RtlPhase.RETURN:
            east, north = self.destination_en
            if math.hypot(east - body.east_m, north - body.north_m) <= 1.0 and body.ground_speed < 0.5:
                self.phase = RtlPhase.LAND
                self._land = LandTask(east, north)
                ctx.say(Severity.INFO, "RTL: land at destination\t")
                ctx.on_mission_land()
            else:
                return Guidance(
                    east, north, self.return_alt_amsl_m, cruise, up, down, _yaw_towards(body, east, north)
                )
        assert self._land is not None
        return self._land.guidance(ctx, dt)


class MissionTask:
    """AUTO.MISSION: flies the stored items from the current sequence number.

    Reproduces PX4's reporting: when a waypoint is reached, the DO items after it run at once and
    MISSION_ITEM_REACHED carries the index just before the next NAV item (trace a: 1,3,5,7,9).
    """

    def __init__(
        self,
        ctx: FlightContext,
        items: list[StoredItem],
        start_seq: int,
        set_current: Callable[[int], None],
    ) -> None:
        self.items = items
        self.seq = start_seq
        self._set_current = set_current
        self.speed_mps = ctx.params.get("MPC_XY_CRUISE")
        self.finished = False
        self._hold_left_s: float | None = None
        self._jump_counts: dict[int, int] = {}
        self._hold_point: tuple[float, float, float] | None = None
        self._skip_do_items(ctx)
        self.climb_alt_amsl_m: float | None = None
        self.climb_anchor = (ctx.body.east_m, ctx.body.north_m)
        target = self._current_nav()
        if target is not None and target.command not in (
            mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH,
            mavlink.MAV_CMD_NAV_LAND,
        ):
            alt = self.item_alt_amsl(ctx, target)
            if ctx.body.alt_amsl_m < alt - 1.0:
                self.climb_alt_amsl_m = alt
                ctx.say(Severity.INFO, f"Climb to {alt - ctx.home_alt_amsl_m:.1f} meters above home\t")

    def _current_nav(self) -> StoredItem | None:
        return self.items[self.seq] if 0 <= self.seq < len(self.items) else None

    def item_alt_amsl(self, ctx: FlightContext, item: StoredItem) -> float:
        if item.frame in RELATIVE_FRAMES:
            return ctx.home_alt_amsl_m + item.z
        if item.frame in TERRAIN_FRAMES:
            east, north = ctx.frame.to_en(item.lon, item.lat)
            return ctx.ground_amsl_at(east, north) + item.z
        if item.frame in (MavFrame.GLOBAL, MavFrame.GLOBAL_INT):
            return item.z
        return ctx.body.alt_amsl_m

    def _skip_do_items(self, ctx: FlightContext) -> int:
        """Runs DO items from ``seq`` until a NAV item; returns the last index consumed (or seq-1)."""
        last = self.seq - 1
        guard = 0
        while 0 <= self.seq < len(self.items) and guard < 10000:
            guard += 1
            item = self.items[self.seq]
            if item.command in MISSION_NAV_COMMANDS:
                break
            if item.command == mavlink.MAV_CMD_DO_CHANGE_SPEED:
                ctx.on_speed_item(item.param1, item.param2, item.param3, item.param4)
                if item.param2 > 0:
                    self.speed_mps = float(item.param2)
            if item.command == mavlink.MAV_CMD_DO_JUMP:
                done = self._jump_counts.get(self.seq, 0)
                if item.param2 < 0 or done < int(item.param2):
                    self._jump_counts[self.seq] = done + 1
                    last = self.seq
                    self.seq = int(item.param1)
                    continue
            last = self.seq
            self.seq += 1
        return last

    def guidance(self, ctx: FlightContext, dt: float) -> Guidance | None:
        body = ctx.body
        up = ctx.params.get("MPC_Z_V_AUTO_UP")
        down = ctx.params.get("MPC_Z_V_AUTO_DN")
        if self.climb_alt_amsl_m is not None:
            if body.alt_amsl_m >= self.climb_alt_amsl_m - 0.8:
                self.climb_alt_amsl_m = None
            else:
                east, north = self.climb_anchor
                return Guidance(east, north, self.climb_alt_amsl_m, 1.0, up, down, None)
        item = self._current_nav()
        if item is None:
            if not self.finished:
                self.finished = True
                self._hold_point = (*stop_en(body, ctx), body.alt_amsl_m)
            assert self._hold_point is not None
            east, north, alt = self._hold_point
            return Guidance(east, north, alt, self.speed_mps, up, down, None)
        if item.command == mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            ctx.on_mission_rtl()
            return None
        if item.frame in (MavFrame.MISSION, MavFrame.LOCAL_NED) or (item.x == 0 and item.y == 0):
            east, north = (self._hold_point or (body.east_m, body.north_m, 0.0))[:2]
        else:
            east, north = ctx.frame.to_en(item.lon, item.lat)
        alt = self.item_alt_amsl(ctx, item)
        if item.command == mavlink.MAV_CMD_NAV_LAND:
            if _near(body, east, north, 1.0):
                ctx.on_mission_land()
                return LandTask(east, north).guidance(ctx, dt)
            return Guidance(
                east, north, body.alt_amsl_m, self.speed_mps, up, down, _yaw_towards(body, east, north)
            )
        acceptance = item.param2 if item.command == mavlink.MAV_CMD_NAV_WAYPOINT and item.param2 > 0 else None
        acceptance = acceptance or ctx.params.get("NAV_ACC_RAD")
        reached = _near(body, east, north, acceptance) and abs(body.alt_amsl_m - alt) < 0.8
        if item.command == mavlink.MAV_CMD_NAV_LOITER_UNLIM:
            reached = False
        if reached:
            hold_s = self._hold_seconds(item)
            if self._hold_left_s is None:
                self._hold_left_s = hold_s
            self._hold_left_s -= dt
            if self._hold_left_s <= 0:
                self._hold_left_s = None
                reached_seq = self.seq
                self.seq += 1
                consumed = self._skip_do_items(ctx)
                ctx.on_item_reached(max(reached_seq, consumed), self.seq)
                self._hold_point = (east, north, alt)
                self._set_current(min(self.seq, len(self.items) - 1))
                following = self._current_nav()
                if following is not None and following.command == mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH:
                    # PX4 runs an RTL item in the cycle that reached the waypoint before it: its
                    # DO_CHANGE_SPEED and NAV_RETURN_TO_LAUNCH to 1/0 share a timestamp (trace a).
                    ctx.on_mission_rtl()
                    return None
        return Guidance(east, north, alt, self.speed_mps, up, down, _yaw_towards(body, east, north))

    @staticmethod
    def _hold_seconds(item: StoredItem) -> float:
        if item.command in (
            mavlink.MAV_CMD_NAV_WAYPOINT,
            mavlink.MAV_CMD_NAV_LOITER_TIME,
            mavlink.MAV_CMD_NAV_DELAY,
        ):
            return max(0.0, float(item.param1)) if math.isfinite(item.param1) else 0.0
        return 0.0


def stop_en(body: BodyState, ctx: FlightContext) -> tuple[float, float]:
    return stopping_point(body, ctx.params.get("MPC_ACC_HOR"))


def _near(body: BodyState, east: float, north: float, radius_m: float) -> bool:
    return math.hypot(east - body.east_m, north - body.north_m) <= radius_m


def _yaw_towards(body: BodyState, east: float, north: float) -> float | None:
    """PX4 (MIS_YAWMODE 0) turns the nose towards the target while it is more than a few metres away."""
    de = east - body.east_m
    dn = north - body.north_m
    if de * de + dn * dn < 9.0:
        return None
    return math.atan2(de, dn)
