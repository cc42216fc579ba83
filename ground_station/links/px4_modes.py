"""PX4 custom-mode and MAV_STATE names (custom_mode = main_mode<<16 | sub_mode<<24)."""

from __future__ import annotations

from enum import IntEnum

MAV_AUTOPILOT_PX4 = 12

_MAIN_MODES = {
    1: "MANUAL",
    2: "ALTCTL",
    3: "POSCTL",
    4: "AUTO",
    5: "ACRO",
    6: "OFFBOARD",
    7: "STABILIZED",
    8: "RATTITUDE",
    9: "SIMPLE",
    10: "TERMINATION",
}
_AUTO_SUB_MODES = {
    1: "READY",
    2: "TAKEOFF",
    3: "LOITER",
    4: "MISSION",
    5: "RTL",
    6: "LAND",
    8: "FOLLOW_TARGET",
    9: "PRECLAND",
    10: "VTOL_TAKEOFF",
}

AUTO_RTL = "AUTO.RTL"
AUTO_LAND = "AUTO.LAND"
AUTO_LOITER = "AUTO.LOITER"
AUTO_MISSION = "AUTO.MISSION"
AUTO_TAKEOFF = "AUTO.TAKEOFF"


class MavState(IntEnum):
    UNINIT = 0
    BOOT = 1
    CALIBRATING = 2
    STANDBY = 3
    ACTIVE = 4
    CRITICAL = 5
    EMERGENCY = 6
    POWEROFF = 7
    FLIGHT_TERMINATION = 8


class MavAutopilot(IntEnum):
    GENERIC = 0
    ARDUPILOTMEGA = 3
    PX4 = 12


def flight_mode_name(autopilot: int, custom_mode: int) -> str:
    """PX4 mode name such as ``AUTO.MISSION``; other autopilots get ``CUSTOM(<n>)``."""
    if autopilot != MAV_AUTOPILOT_PX4:
        return f"CUSTOM({custom_mode})"
    main = (custom_mode >> 16) & 0xFF
    sub = (custom_mode >> 24) & 0xFF
    main_name = _MAIN_MODES.get(main, f"MAIN{main}")
    if main == 4:
        return f"AUTO.{_AUTO_SUB_MODES.get(sub, f'SUB{sub}')}"
    return main_name


def system_status_name(status: int) -> str:
    try:
        return MavState(status).name
    except ValueError:
        return f"UNKNOWN({status})"


def autopilot_name(autopilot: int) -> str:
    try:
        return MavAutopilot(autopilot).name
    except ValueError:
        return f"AUTOPILOT({autopilot})"
