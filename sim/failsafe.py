"""PX4's failsafes with PX4's defaults: geofence breach (GF_ACTION), data-link loss (NAV_DLL_ACT after
COM_DL_LOSS_T), low/critical/emergency battery (COM_LOW_BAT_ACT), GPS loss.

Like PX4 v1.16 (traces b and c): a Return or Land action first holds for COM_FAIL_ACT_T ("Failsafe
activated: entering Hold for 5 seconds"), then acts ("Failsafe activated"); regaining the link during
that delay does not cancel it; system_status is CRITICAL from the trigger until disarm. A Hold entered
while already in AUTO.LOITER keeps the active reposition setpoint, so the vehicle keeps flying (trace b).
Link liveness is wall-clock; the hold delay is vehicle time (design contract 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from sim.battery import BatteryWarning
from sim.flight import FlightController, RtlSource
from sim.params import ParameterStore
from sim.px4_modes import FlightMode
from sim.statustext import Severity

# PX4 reported the loss 12.4-12.46 s after the last GCS heartbeat with COM_DL_LOSS_T=10 (trace c).
LOSS_DETECTION_LAG_S = 2.4
# Breach was reported 0.22 s after crossing the fence edge (trace b): the check runs at ~5 Hz.
GEOFENCE_CHECK_INTERVAL_S = 0.2


class FailsafeAction(IntEnum):
    NONE = 0
    WARNING = 1
    HOLD = 2
    RETURN = 3
    LAND = 4
    TERMINATE = 5


def geofence_action(gf_action: int) -> FailsafeAction:
    """GF_ACTION: 0 none, 1 warning, 2 hold, 3 return, 4 terminate, 5 land."""
    return {
        0: FailsafeAction.NONE,
        1: FailsafeAction.WARNING,
        2: FailsafeAction.HOLD,
        3: FailsafeAction.RETURN,
        4: FailsafeAction.TERMINATE,
        5: FailsafeAction.LAND,
    }.get(gf_action, FailsafeAction.WARNING)


def datalink_action(nav_dll_act: int) -> FailsafeAction:
    """NAV_DLL_ACT: 0 disabled, 1 hold, 2 return, 3 land, 5 terminate, 6 lockdown."""
    return {
        0: FailsafeAction.NONE,
        1: FailsafeAction.HOLD,
        2: FailsafeAction.RETURN,
        3: FailsafeAction.LAND,
        5: FailsafeAction.TERMINATE,
        6: FailsafeAction.TERMINATE,
    }.get(nav_dll_act, FailsafeAction.NONE)


@dataclass
class PendingAction:
    action: FailsafeAction
    due_s: float
    intended_mode: FlightMode


class FailsafeMonitor:
    def __init__(
        self,
        flight: FlightController,
        say: Callable[[Severity, str], None],
        wall_clock: Callable[[], float],
        last_gcs_heartbeat: Callable[[], float | None],
        outside_fence: Callable[[], bool],
        battery_warning: Callable[[], BatteryWarning],
    ) -> None:
        self._flight = flight
        self._say = say
        self._wall = wall_clock
        self._last_hb = last_gcs_heartbeat
        self._outside_fence = outside_fence
        self._battery_warning = battery_warning
        self.pending: PendingAction | None = None
        self.fence_breached = False
        self.link_lost = False
        self._next_fence_check_s = 0.0
        self._battery_level = BatteryWarning.OK
        self._gps_was_ok = True

    @property
    def params(self) -> ParameterStore:
        return self._flight.params

    def step(self) -> None:
        flight = self._flight
        self._check_link()
        flying = flight.armed and flight.airborne and not flight.crashed
        if flying:
            self._check_geofence()
            self._check_battery()
            self._check_gps()
        else:
            self.fence_breached = False
        if self.pending is not None and flight.time_s >= self.pending.due_s:
            pending = self.pending
            self.pending = None
            if flying:
                self._execute(pending.action, pending.intended_mode)

    # ---- conditions ------------------------------------------------------------------------------
    def _check_link(self) -> None:
        last = self._last_hb()
        if last is None:
            return
        silent_s = self._wall() - last
        timeout = self.params.get("COM_DL_LOSS_T") + LOSS_DETECTION_LAG_S
        if not self.link_lost and silent_s > timeout:
            self.link_lost = True
            self._say(Severity.INFO, "Connection to ground station lost\t")
            action = datalink_action(self.params.get_int("NAV_DLL_ACT"))
            flight = self._flight
            if action != FailsafeAction.NONE:
                self._say(Severity.WARNING, "Preflight Fail: No connection to the ground control station\t")
                if flight.armed and flight.airborne:
                    self.trigger(action)
        elif self.link_lost and silent_s < 1.0:
            self.link_lost = False
            self._say(Severity.INFO, "GCS connection regained\t")

    def _check_geofence(self) -> None:
        flight = self._flight
        if flight.time_s < self._next_fence_check_s:
            return
        self._next_fence_check_s = flight.time_s + GEOFENCE_CHECK_INTERVAL_S
        outside = self._outside_fence()
        if outside and not self.fence_breached:
            self.fence_breached = True
            action = geofence_action(self.params.get_int("GF_ACTION"))
            if action != FailsafeAction.NONE:
                self._say(Severity.CRITICAL, "Geofence: approaching or outside geofence")
                self.trigger(action)
        elif not outside:
            self.fence_breached = False

    def _check_battery(self) -> None:
        level = self._battery_warning()
        if level <= self._battery_level or level == BatteryWarning.OK:
            self._battery_level = min(self._battery_level, level) if level != BatteryWarning.OK else level
            return
        self._battery_level = level
        act = self.params.get_int("COM_LOW_BAT_ACT")
        if level == BatteryWarning.LOW:
            self._say(Severity.WARNING, "Low battery level, return advised\t")
            return
        if level == BatteryWarning.CRITICAL:
            self._say(Severity.CRITICAL, "Critical battery level, land now\t")
            if act == 2:
                self.trigger(FailsafeAction.LAND)
            elif act == 3:
                self.trigger(FailsafeAction.RETURN)
            return
        self._say(Severity.EMERGENCY, "Emergency battery level, land immediately\t")
        if act in (2, 3) or level == BatteryWarning.FAILED:
            self.trigger(FailsafeAction.LAND, immediate=True)

    def _check_gps(self) -> None:
        ok = self._flight.gps_ok
        if self._gps_was_ok and not ok:
            self._say(Severity.CRITICAL, "GPS lost: no valid position estimate\t")
            if self._flight.mode.is_auto:
                self.trigger(FailsafeAction.LAND, immediate=True)
        self._gps_was_ok = ok

    # ---- actions ---------------------------------------------------------------------------------
    def trigger(self, action: FailsafeAction, immediate: bool = False) -> None:
        flight = self._flight
        if action in (FailsafeAction.NONE, FailsafeAction.WARNING):
            return
        intended = self.pending.intended_mode if self.pending else flight.mode
        if flight.failsafe_critical and flight.mode in (FlightMode.RTL, FlightMode.LAND):
            intended = flight.after_landing_mode
        flight.failsafe_critical = True
        delay = self.params.get("COM_FAIL_ACT_T")
        if action == FailsafeAction.HOLD:
            self._say(Severity.CRITICAL, "Failsafe activated\t")
            flight.set_mode(FlightMode.LOITER)
            return
        if immediate or delay <= 0:
            self._execute(action, intended)
            return
        self._say(Severity.CRITICAL, f"Failsafe activated: entering Hold for {delay:.0f} seconds\t")
        flight.set_mode(FlightMode.LOITER, keep_loiter_setpoint=True)
        self.pending = PendingAction(action, flight.time_s + delay, intended)

    def _execute(self, action: FailsafeAction, intended: FlightMode) -> None:
        flight = self._flight
        self._say(Severity.CRITICAL, "Failsafe activated\t")
        if action == FailsafeAction.RETURN:
            flight.rtl(RtlSource.FAILSAFE)
        elif action == FailsafeAction.LAND:
            flight.land()
        elif action == FailsafeAction.TERMINATE:
            flight.motor_failed = True
        elif action == FailsafeAction.HOLD:
            flight.set_mode(FlightMode.LOITER)
        if intended in (FlightMode.RTL, FlightMode.LAND, FlightMode.TAKEOFF):
            intended = FlightMode.LOITER
        flight.after_landing_mode = intended
