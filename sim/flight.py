"""The vehicle's commander: arming, flight modes, takeoff/landing detection, crashes.

Mirrors PX4's observable behaviour from the traces: boot into AUTO.LOITER, "Takeoff detected" after the
motors spool up, AUTO.LOITER at the end of a takeoff, "Landing detected" then "Disarmed by landing"
COM_DISARM_LAND later, and after that disarm the mode the operator (or the mission) intended.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from sim.geo import LocalFrame
from sim.mission_store import MissionStore, MissionType
from sim.navigator import (
    Guidance,
    HoldTask,
    IdleTask,
    LandTask,
    MissionTask,
    NavTask,
    RtlTask,
    TakeoffTask,
    stopping_point,
)
from sim.params import ParameterStore
from sim.physics import BodyState, Limits, step_body, stop_on_ground
from sim.px4_modes import FlightMode, LandedState
from sim.self_commands import (
    NavigatorCycle,
    OnboardCommand,
    gimbal_handover,
    landed_after_rtl,
    mission_return_to_launch,
    mission_speed_change,
    mission_stopped,
)
from sim.statustext import Severity
from sim.terrain_source import TerrainCache

# Disarmed in AUTO.MISSION without a (checked) mission: status UNINIT, arming refused (trace e probe).
NO_MISSION = "no valid mission"
BOOT_READY_S = 3.0  # PX4 reports UNINIT for ~3 s until the preflight checks first pass
TOUCHDOWN_MAX_DESCENT_MPS = 2.0
TOUCHDOWN_MAX_GROUND_SPEED_MPS = 1.5
FALL_ACCEL_MPS2 = 7.0


class CommandOutcome(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # MAV_RESULT_TEMPORARILY_REJECTED
    DENIED = "denied"
    FAILED = "failed"


class RtlSource(Enum):
    COMMAND = "command"
    MISSION = "mission"
    FAILSAFE = "failsafe"


# PX4 sends MISSION_ITEM_REACHED once when mission_result changes and then "another 10 times" on
# MavlinkMissionManager's free-running 1 Hz _slow_rate_limiter, the one that paces MISSION_CURRENT
# (src/modules/mavlink/mavlink_mission.cpp, send(); the limiter is not restarted by a new item).
REACHED_REPEATS = 10


@dataclass
class MissionProgress:
    reached_seq: int = -1
    reached_repeats_left: int = 0
    reached_unsent: bool = False


class FlightController:
    def __init__(
        self,
        params: ParameterStore,
        frame: LocalFrame,
        home_alt_amsl_m: float,
        terrain: TerrainCache,
        store: MissionStore,
        say: Callable[[Severity, str], None],
        gcs_alive: Callable[[], bool],
        geofence_ok: Callable[[], bool],
        announce_new_log: Callable[[], None] = lambda: None,
        on_armed_on_ground: Callable[[], None] = lambda: None,
        issue_onboard: Callable[[Sequence[OnboardCommand], NavigatorCycle], None] = lambda c, cycle: None,
    ) -> None:
        self.params = params
        self.frame = frame
        self.home_alt_amsl_m = home_alt_amsl_m
        self.home_en = (0.0, 0.0)
        self._terrain = terrain
        self._store = store
        # Whether the navigator has a checked mission to fly; the vehicle replaces this with the
        # store's wall-clock load window (MissionStore.loaded_at).
        self.mission_ready: Callable[[], bool] = lambda: bool(store.get(MissionType.MISSION))
        self._say = say
        self._gcs_alive = gcs_alive
        self._geofence_ok = geofence_ok
        self.body = BodyState(alt_amsl_m=self.ground_amsl_at(0.0, 0.0))
        self._issue_onboard = issue_onboard
        self._mode = FlightMode.LOITER
        self.armed = False
        self.landed_state = LandedState.ON_GROUND
        self.crashed = False
        self.failsafe_critical = False
        self.motor_failed = False
        self.gps_ok = True
        self.task: NavTask = IdleTask()
        self.after_landing_mode = FlightMode.LOITER
        self.progress = MissionProgress()
        self.time_s = 0.0
        self.gimbal_pitch_deg = -90.0
        self.gimbal_yaw_deg = 0.0
        self.takeoff_target_amsl_m: float | None = None
        self.last_guidance: Guidance | None = None
        self._armed_at_s = 0.0
        self._took_off_since_arm = False
        self._touchdown_at_s: float | None = None
        self._arm_count = 0
        self._announce_new_log = announce_new_log
        self._on_armed_on_ground = on_armed_on_ground
        self._landing = False
        self._limits: Limits | None = None
        params.observe(self._on_param_changed)

    @property
    def mode(self) -> FlightMode:
        return self._mode

    @mode.setter
    def mode(self, mode: FlightMode) -> None:
        """Every mode change passes here because PX4's mission, whatever ends it in flight, switches the
        camera trigger off and parks the gimbal (its COMMAND_LONGs to 1/0, traces a and c)."""
        if self._mode == FlightMode.MISSION and mode != FlightMode.MISSION and self.armed:
            self._issue_onboard(mission_stopped(), NavigatorCycle.NEXT)
        self._mode = mode

    # ---- context for navigation tasks -----------------------------------------------------------
    def ground_amsl_at(self, east_m: float, north_m: float) -> float:
        return self._terrain.elevation(east_m, north_m, self.frame.to_lonlat)

    def say(self, severity: Severity, text: str) -> None:
        self._say(severity, text)

    @property
    def airborne(self) -> bool:
        return self.landed_state != LandedState.ON_GROUND

    @property
    def alt_rel_m(self) -> float:
        return self.body.alt_amsl_m - self.home_alt_amsl_m

    def on_takeoff_done(self) -> None:
        if self.mode == FlightMode.TAKEOFF:
            self.landed_state = LandedState.IN_AIR
            self._hold_here(brake=False)
            self.mode = FlightMode.LOITER

    def on_mission_rtl(self) -> None:
        self._issue_onboard([mission_return_to_launch()], NavigatorCycle.CURRENT)
        self.rtl(RtlSource.MISSION)

    def on_speed_item(self, param1: float, param2: float, param3: float, param4: float) -> None:
        self._issue_onboard([mission_speed_change(param1, param2, param3, param4)], NavigatorCycle.CURRENT)

    def on_mission_land(self) -> None:
        if not self._landing:
            self._landing = True
            self.landed_state = LandedState.LANDING

    def on_item_reached(self, reached_seq: int, next_seq: int) -> None:
        self.progress.reached_seq = reached_seq
        self.progress.reached_unsent = True
        self.progress.reached_repeats_left = REACHED_REPEATS

    def _set_current(self, seq: int) -> None:
        self._store.current_seq = max(0, seq)

    # ---- checks ---------------------------------------------------------------------------------
    def preflight_failures(self) -> list[str]:
        reasons: list[str] = []
        if self.crashed:
            reasons.append("Vehicle crashed")
        if self.time_s < BOOT_READY_S:
            reasons.append("System not ready")
        if self.mode.needs_manual_input:
            reasons.append("No manual control input")
        if not self.gps_ok and self.mode.is_auto:
            reasons.append("No valid global position estimate")
        if self.params.get_int("NAV_DLL_ACT") > 0 and not self._gcs_alive():
            reasons.append("No connection to the ground control station")
        if self.params.get_int("GF_ACTION") > 0 and not self._geofence_ok():
            reasons.append("Vehicle outside geofence")
        if self.mode == FlightMode.MISSION and not self.mission_ready():
            reasons.append(NO_MISSION)
        return reasons

    # ---- commands -------------------------------------------------------------------------------
    def arm(self, force: bool = False) -> CommandOutcome:
        if self.armed:
            return CommandOutcome.ACCEPTED
        failures = [] if force else self.preflight_failures()
        if self.crashed and not force:
            failures = ["Vehicle crashed"]
        if failures:
            for reason in failures:
                if reason == NO_MISSION:  # a mode requirement: PX4 has no text of its own for it
                    self.say(Severity.CRITICAL, "Arming denied: Resolve system health failures first\t")
                else:
                    self.say(Severity.CRITICAL, f"Preflight Fail: {reason}\t")
            return CommandOutcome.REJECTED
        self.armed = True
        self._armed_at_s = self.time_s
        self._took_off_since_arm = False
        self._arm_count += 1
        self.say(Severity.INFO, "Armed by external command\t")
        if not self.airborne:
            self._on_armed_on_ground()  # PX4 sets home where it arms
        if self.mode == FlightMode.TAKEOFF:
            self._begin_takeoff()
        elif self.mode == FlightMode.MISSION:
            self._begin_mission()
        if self._arm_count > 1:  # the first arm after boot keeps the log that started at boot
            self._announce_new_log()  # after the navigator's texts, as in trace d
        return CommandOutcome.ACCEPTED

    def disarm(self, force: bool = False, reason: str = "external command") -> CommandOutcome:
        if not self.armed:
            return CommandOutcome.ACCEPTED
        if self.airborne and not force:
            self.say(Severity.CRITICAL, "Disarming denied: not landed\t")
            return CommandOutcome.REJECTED
        self._do_disarm(reason)
        return CommandOutcome.ACCEPTED

    def _do_disarm(self, reason: str) -> None:
        self.armed = False
        self.failsafe_critical = False
        self._touchdown_at_s = None
        self._landing = False
        if reason:
            self.say(Severity.INFO, f"Disarmed by {reason}\t")
        if self.airborne:
            self.task = IdleTask()  # motors off in the air: it falls
        else:
            self.task = IdleTask()

    def set_mode(self, mode: FlightMode, *, keep_loiter_setpoint: bool = False) -> CommandOutcome:
        """A mode switch as DO_SET_MODE or a failsafe asks for it."""
        if mode == self.mode and mode != FlightMode.MISSION:
            if mode == FlightMode.LOITER and not keep_loiter_setpoint and self.airborne:
                self._hold_here(brake=True)
            return CommandOutcome.ACCEPTED
        if mode == FlightMode.LOITER:
            self.mode = mode
            if self.airborne:
                self._hold_here(brake=True)
            return CommandOutcome.ACCEPTED
        if mode == FlightMode.MISSION:
            if not self.mission_ready():
                return CommandOutcome.REJECTED  # commander: mode cannot run (auto_mission_missing)
            self.mode = mode
            self.after_landing_mode = FlightMode.MISSION
            if self.armed:
                self._begin_mission()
            return CommandOutcome.ACCEPTED
        if mode == FlightMode.RTL:
            return self.rtl(RtlSource.COMMAND)
        if mode == FlightMode.LAND:
            return self.land()
        if mode == FlightMode.TAKEOFF:
            return self.takeoff(None)
        # POSCTL and friends: accepted like PX4, but without manual input the vehicle just holds.
        self.mode = mode
        if self.airborne:
            self._hold_here(brake=True)
        return CommandOutcome.ACCEPTED

    def takeoff(self, alt_amsl_m: float | None) -> CommandOutcome:
        self.takeoff_target_amsl_m = alt_amsl_m
        self.mode = FlightMode.TAKEOFF
        self.after_landing_mode = FlightMode.LOITER
        if self.armed:
            self._begin_takeoff()
        return CommandOutcome.ACCEPTED

    def _begin_takeoff(self) -> None:
        ground = self.ground_amsl_at(self.body.east_m, self.body.north_m)
        target = self.takeoff_target_amsl_m
        if target is None or not math.isfinite(target):
            default = self.params.get("MIS_TAKEOFF_ALT")
            self.say(Severity.INFO, f"Using default takeoff altitude: {default:.1f} m\t")
            target = ground + default
        if self.airborne:
            target = max(target, self.body.alt_amsl_m)
        self.task = TakeoffTask(target)

    def _begin_mission(self) -> None:
        items = self._store.get(MissionType.MISSION)
        if not items:
            self._hold_here(brake=True)
            return
        self.say(Severity.INFO, "Executing Mission\t")
        self._landing = False
        self.task = MissionTask(self, items, self._store.current_seq, self._set_current)

    def land(self) -> CommandOutcome:
        starting = self.mode != FlightMode.LAND
        self.mode = FlightMode.LAND
        self.after_landing_mode = FlightMode.LOITER
        if starting and self.armed:
            self._issue_onboard(gimbal_handover(), NavigatorCycle.NEXT)
        if self.airborne:
            self.say(Severity.INFO, "Landing at current position\t")
            east, north = stopping_point(self.body, self.params.get("MPC_ACC_HOR"))
            self.task = LandTask(east, north)
            self.on_mission_land()
        return CommandOutcome.ACCEPTED

    def rtl(self, source: RtlSource) -> CommandOutcome:
        starting = self.mode != FlightMode.RTL
        self.mode = FlightMode.RTL
        if starting and self.armed:
            self._issue_onboard(gimbal_handover(), NavigatorCycle.NEXT)
        if source == RtlSource.MISSION:
            self.after_landing_mode = FlightMode.MISSION
        elif source == RtlSource.COMMAND:
            self.after_landing_mode = FlightMode.LOITER
        if source != RtlSource.FAILSAFE:
            self.say(Severity.INFO, "Returning to launch\t")
        if self.airborne:
            destination, dest_alt = self._rtl_destination()
            self.task = RtlTask(self, destination, dest_alt)
        return CommandOutcome.ACCEPTED

    def _rtl_destination(self) -> tuple[tuple[float, float], float]:
        best = (self.home_en, self.home_alt_amsl_m)
        best_d = math.hypot(self.body.east_m - self.home_en[0], self.body.north_m - self.home_en[1])
        for item in self._store.get(MissionType.RALLY):
            east, north = self.frame.to_en(item.lon, item.lat)
            distance = math.hypot(self.body.east_m - east, self.body.north_m - north)
            if distance < best_d:
                best_d = distance
                best = ((east, north), self.ground_amsl_at(east, north))
        return best

    def reposition(self, east_m: float, north_m: float, alt_amsl_m: float, speed_mps: float | None) -> None:
        self.mode = FlightMode.LOITER
        self.after_landing_mode = FlightMode.LOITER
        if self.airborne:
            self.task = HoldTask(east_m, north_m, alt_amsl_m, speed_mps)

    def set_speed(self, speed_mps: float) -> None:
        """DO_CHANGE_SPEED outside a mission item: applies to what the vehicle is doing now."""
        task = self.task
        if isinstance(task, MissionTask):
            task.speed_mps = speed_mps
        elif isinstance(task, HoldTask):
            task.speed_mps = speed_mps

    def _hold_here(self, brake: bool) -> None:
        east, north = (
            stopping_point(self.body, self.params.get("MPC_ACC_HOR"))
            if brake
            else (self.body.east_m, self.body.north_m)
        )
        self._landing = False
        if self.landed_state == LandedState.LANDING:
            self.landed_state = LandedState.IN_AIR
        self.task = HoldTask(east, north, self.body.alt_amsl_m)

    def crash(self, reason: str) -> None:
        ground = self.ground_amsl_at(self.body.east_m, self.body.north_m)
        self.say(Severity.EMERGENCY, f"Crash detected: {reason}\t")
        stop_on_ground(self.body, ground)
        self.crashed = True
        self.armed = False
        self.landed_state = LandedState.ON_GROUND
        self.task = IdleTask()
        self._landing = False

    # ---- the step -------------------------------------------------------------------------------
    def limits(self) -> Limits:
        """Kinematic limits from the MPC_* parameters (rebuilt only when a parameter changes)."""
        if self._limits is None:
            self._limits = self._limits_from_params()
        return self._limits

    def _on_param_changed(self, name: str, value: float) -> None:
        self._limits = None

    def _limits_from_params(self) -> Limits:
        p = self.params
        return Limits(
            max_horizontal_mps=p.get("MPC_XY_VEL_MAX"),
            max_up_mps=p.get("MPC_Z_VEL_MAX_UP"),
            max_down_mps=max(p.get("MPC_Z_VEL_MAX_DN"), p.get("MPC_Z_V_AUTO_DN")),
            horizontal_accel_mps2=p.get("MPC_ACC_HOR"),
            up_accel_mps2=p.get("MPC_ACC_UP_MAX"),
            down_accel_mps2=p.get("MPC_ACC_DOWN_MAX"),
            yaw_rate_dps=p.get("MPC_YAWRAUTO_MAX"),
        )

    def step(self, dt: float, wind_en: tuple[float, float], gust_en: tuple[float, float]) -> None:
        self.time_s += dt
        body = self.body
        ground = self.ground_amsl_at(body.east_m, body.north_m)
        if self.progress.reached_repeats_left < 0:
            self.progress.reached_repeats_left = 0
        if not self.armed:
            if self.airborne:
                self._fall(dt, wind_en, gust_en, ground)
            else:
                stop_on_ground(body, ground)
            return
        if self.motor_failed:
            if self.airborne:
                self._fall(dt, wind_en, gust_en, ground)
                return
        guidance = self.task.guidance(self, dt)
        self.last_guidance = guidance
        if not self.airborne:
            if guidance is None or guidance.alt_amsl_m <= ground + 0.05:
                stop_on_ground(body, ground)
                self._auto_disarm_checks()
                return
        want: tuple[float, float, float, float | None] = (
            (0.0, 0.0, 0.0, None) if guidance is None else self._velocity_towards(guidance)
        )
        step_body(body, want[0], want[1], want[2], want[3], wind_en, gust_en, self.limits(), dt)
        self._after_move(ground)
        self._auto_disarm_checks()

    def _velocity_towards(self, g: Guidance) -> tuple[float, float, float, float | None]:
        body = self.body
        de = g.east_m - body.east_m
        dn = g.north_m - body.north_m
        distance = math.hypot(de, dn)
        brake = 0.6 * self.params.get("MPC_ACC_HOR")
        speed = min(g.max_speed_mps, math.sqrt(2.0 * brake * distance), 1.2 * distance)
        v_e = de / distance * speed if distance > 1e-6 else 0.0
        v_n = dn / distance * speed if distance > 1e-6 else 0.0
        if g.descend_mps is not None:
            v_u = -g.descend_mps
        else:
            dz = g.alt_amsl_m - body.alt_amsl_m
            v_u = max(-g.max_down_mps, min(g.max_up_mps, 1.0 * dz))
        return v_e, v_n, v_u, g.yaw_rad

    def _after_move(self, ground_before: float) -> None:
        body = self.body
        ground = self.ground_amsl_at(body.east_m, body.north_m)
        agl = body.alt_amsl_m - ground
        if self.landed_state == LandedState.ON_GROUND:
            if agl > 0.1:
                self.landed_state = LandedState.TAKEOFF
                self._took_off_since_arm = True
                self.say(Severity.INFO, "Takeoff detected\t")
            elif agl < 0.0 or body.v_up <= 0.0:
                stop_on_ground(body, ground)
            return
        if self.landed_state == LandedState.TAKEOFF and self.mode != FlightMode.TAKEOFF:
            if agl > self.params.get("MIS_TAKEOFF_ALT") - 0.3:
                self.landed_state = LandedState.IN_AIR
        if agl > 0.0:
            return
        descent = -body.v_up
        if (
            self._landing
            and descent <= TOUCHDOWN_MAX_DESCENT_MPS
            and body.ground_speed <= TOUCHDOWN_MAX_GROUND_SPEED_MPS
        ):
            stop_on_ground(body, ground)
            self.landed_state = LandedState.ON_GROUND
            self._landing = False
            self._touchdown_at_s = self.time_s
            self.say(Severity.INFO, "Landing detected\t")
            if self.mode == FlightMode.RTL:
                self._issue_onboard([landed_after_rtl(self.home_alt_amsl_m)], NavigatorCycle.CURRENT)
            return
        self.crash(
            f"hit terrain at {body.ground_speed:.1f} m/s ground speed, {max(descent, 0.0):.1f} m/s descent"
        )

    def _fall(
        self, dt: float, wind_en: tuple[float, float], gust_en: tuple[float, float], ground: float
    ) -> None:
        body = self.body
        limits = Limits(
            max_horizontal_mps=30.0,
            max_up_mps=0.0,
            max_down_mps=25.0,
            horizontal_accel_mps2=1.0,
            up_accel_mps2=FALL_ACCEL_MPS2,
            down_accel_mps2=FALL_ACCEL_MPS2,
        )
        step_body(body, wind_en[0], wind_en[1], -25.0, None, wind_en, gust_en, limits, dt)
        if body.alt_amsl_m <= self.ground_amsl_at(body.east_m, body.north_m):
            reason = "motor failure, fell" if self.motor_failed else "disarmed in flight, fell"
            self.crash(f"{reason} at {-body.v_up:.1f} m/s")

    def _preflight_disarm_after_s(self) -> float:
        """Commander's _auto_disarm_landed hysteresis for an arm without takeoff is
        (COM_SPOOLUP_TIME + COM_DISARM_PRFLT) s of PX4 time (src/modules/commander/Commander.cpp):
        11 s by default; trace e disarmed 11.02 PX4 s after the ARM in both runs."""
        return self.params.get("COM_SPOOLUP_TIME") + self.params.get("COM_DISARM_PRFLT")

    def _auto_disarm_checks(self) -> None:
        if not self.armed:
            return
        if self._touchdown_at_s is not None and self.landed_state == LandedState.ON_GROUND:
            if self.time_s - self._touchdown_at_s >= self.params.get("COM_DISARM_LAND"):
                self._do_disarm("landing")
                self.mode = self.after_landing_mode
                self.task = IdleTask()
            return
        if (
            not self._took_off_since_arm
            and self.landed_state == LandedState.ON_GROUND
            and self.params.get("COM_DISARM_PRFLT") > 0
            and self.time_s - self._armed_at_s >= self._preflight_disarm_after_s()
        ):
            self._do_disarm("auto preflight disarming")
