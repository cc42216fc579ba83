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
    7: "RTGS",
    8: "FOLLOW_TARGET",
    9: "PRECLAND",
    10: "VTOL_TAKEOFF",
}

_POSCTL_SUB_MODES = {1: "POSCTL.ORBIT", 2: "POSCTL.SLOW"}

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


UNKNOWN_MODE = "UNKNOWN"


def flight_mode_name(autopilot: int, custom_mode: int) -> str:
    """PX4 mode name such as ``AUTO.MISSION``; other autopilots get ``CUSTOM(<n>)``.

    A PX4 custom mode outside PX4's tables is ``UNKNOWN``: names such as ``MAIN16`` used to be invented
    from the bits, which let any sender make up modes the station then displayed and logged as real.
    """
    if autopilot != MAV_AUTOPILOT_PX4:
        return f"CUSTOM({custom_mode})"
    if custom_mode & 0xFFFF:
        return UNKNOWN_MODE  # PX4 leaves the low 16 bits zero
    main = (custom_mode >> 16) & 0xFF
    sub = (custom_mode >> 24) & 0xFF
    if main == 4:
        sub_name = _AUTO_SUB_MODES.get(sub)
        return UNKNOWN_MODE if sub_name is None else f"AUTO.{sub_name}"
    if main == 3 and sub in _POSCTL_SUB_MODES:
        return _POSCTL_SUB_MODES[sub]
    if sub != 0:
        return UNKNOWN_MODE
    return _MAIN_MODES.get(main, UNKNOWN_MODE)


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
