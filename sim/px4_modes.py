"""PX4 flight modes as they appear on the wire (HEARTBEAT custom_mode, base_mode, system_status).

The encodings are the ones observed in the PX4 v1.16 SITL traces: custom_mode = main<<16 | sub<<24,
base_mode 0x1D/0x9D for AUTO modes and 0x51 for POSCTL, system_status UNINIT/STANDBY/ACTIVE/CRITICAL.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from pymavlink.dialects.v20 import common as mavlink


class Px4MainMode(IntEnum):
    MANUAL = 1
    ALTCTL = 2
    POSCTL = 3
    AUTO = 4
    ACRO = 5
    OFFBOARD = 6
    STABILIZED = 7


class Px4AutoSubMode(IntEnum):
    READY = 1
    TAKEOFF = 2
    LOITER = 3
    MISSION = 4
    RTL = 5
    LAND = 6
    FOLLOW_TARGET = 8
    PRECLAND = 9


class FlightMode(Enum):
    """The modes this simulator flies; value = (main mode, sub mode)."""

    MANUAL = (Px4MainMode.MANUAL, 0)
    ALTCTL = (Px4MainMode.ALTCTL, 0)
    POSCTL = (Px4MainMode.POSCTL, 0)
    OFFBOARD = (Px4MainMode.OFFBOARD, 0)
    STABILIZED = (Px4MainMode.STABILIZED, 0)
    ACRO = (Px4MainMode.ACRO, 0)
    TAKEOFF = (Px4MainMode.AUTO, Px4AutoSubMode.TAKEOFF)
    LOITER = (Px4MainMode.AUTO, Px4AutoSubMode.LOITER)
    MISSION = (Px4MainMode.AUTO, Px4AutoSubMode.MISSION)
    RTL = (Px4MainMode.AUTO, Px4AutoSubMode.RTL)
    LAND = (Px4MainMode.AUTO, Px4AutoSubMode.LAND)

    @property
    def custom_mode(self) -> int:
        main, sub = self.value
        return (int(main) << 16) | (int(sub) << 24)

    @property
    def is_auto(self) -> bool:
        return self.value[0] == Px4MainMode.AUTO

    @property
    def needs_manual_input(self) -> bool:
        """Modes whose preflight checks fail without RC/manual control (PX4 shows UNINIT, trace d)."""
        return self in (
            FlightMode.MANUAL,
            FlightMode.ALTCTL,
            FlightMode.POSCTL,
            FlightMode.STABILIZED,
            FlightMode.ACRO,
        )

    @classmethod
    def from_px4(cls, main: int, sub: int) -> FlightMode | None:
        """The mode a DO_SET_MODE (main, sub) asks for; None when PX4 would not know it."""
        for mode in cls:
            mode_main, mode_sub = mode.value
            if int(mode_main) != main:
                continue
            if mode_main != Px4MainMode.AUTO or int(mode_sub) == sub:
                return mode
        if main == Px4MainMode.AUTO and sub in (0, Px4AutoSubMode.READY):
            return cls.LOITER
        return None


class StandardMode(IntEnum):
    """MAV_STANDARD_MODE values PX4 reports in CURRENT_MODE (kept for the conformance suite)."""

    NON_STANDARD = 0
    POSITION_HOLD = 1
    SAFE_RECOVERY = 5
    MISSION = 6
    LAND = 7
    TAKEOFF = 8


STANDARD_MODE_OF: dict[FlightMode, StandardMode] = {
    FlightMode.POSCTL: StandardMode.POSITION_HOLD,
    FlightMode.TAKEOFF: StandardMode.TAKEOFF,
    FlightMode.MISSION: StandardMode.MISSION,
    FlightMode.RTL: StandardMode.SAFE_RECOVERY,
    FlightMode.LAND: StandardMode.LAND,
}


def base_mode(mode: FlightMode, armed: bool) -> int:
    """base_mode flags as PX4 sets them: 0x1D disarmed AUTO, 0x9D armed AUTO, 0x51 disarmed POSCTL."""
    flags = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
    if mode.is_auto:
        flags |= (
            mavlink.MAV_MODE_FLAG_AUTO_ENABLED
            | mavlink.MAV_MODE_FLAG_GUIDED_ENABLED
            | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
        )
    elif mode == FlightMode.OFFBOARD:
        flags |= mavlink.MAV_MODE_FLAG_GUIDED_ENABLED | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
    elif mode in (FlightMode.MANUAL, FlightMode.ACRO):
        flags |= mavlink.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED
    else:
        flags |= mavlink.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED | mavlink.MAV_MODE_FLAG_STABILIZE_ENABLED
    if armed:
        flags |= mavlink.MAV_MODE_FLAG_SAFETY_ARMED
    return flags


class LandedState(IntEnum):
    UNDEFINED = 0
    ON_GROUND = 1
    IN_AIR = 2
    TAKEOFF = 3
    LANDING = 4
