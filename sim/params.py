"""The PX4 parameter subset the simulator honours, with PX4 v1.16 defaults and PX4's wire encoding.

INT32 parameters travel bytewise (the int's four bytes reinterpreted as a float), exactly as PX4 does
with PARAM_ENCODE_BYTEWISE, so MAVSDK and QGC read and write them unchanged.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum


class ParamType(IntEnum):
    """MAV_PARAM_TYPE values PX4 uses."""

    INT32 = 6
    REAL32 = 9


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: ParamType
    default: float


def _i(name: str, default: int) -> ParamSpec:
    return ParamSpec(name, ParamType.INT32, float(default))


def _f(name: str, default: float) -> ParamSpec:
    return ParamSpec(name, ParamType.REAL32, float(default))


# Defaults as read from PX4 v1.16 SITL after a clean start (see the px4_sitl README), plus the BAT_*
# and MPC_* values from PX4's parameter reference for the ones the traces do not list.
PX4_PARAMETERS: tuple[ParamSpec, ...] = (
    _f("ASPD_SCALE_1", 1.0),
    _i("BAT1_N_CELLS", 4),
    _f("BAT1_CAPACITY", -1.0),
    _f("BAT1_V_CHARGED", 4.05),
    _f("BAT1_V_EMPTY", 3.6),
    _f("BAT1_R_INTERNAL", 0.005),
    _f("BAT_CRIT_THR", 0.07),
    _f("BAT_EMERGEN_THR", 0.05),
    _f("BAT_LOW_THR", 0.15),
    _i("COM_ARM_WO_GPS", 1),
    _f("COM_DISARM_LAND", 2.0),
    _f("COM_DISARM_PRFLT", 10.0),
    _i("COM_DLL_EXCEPT", 0),
    _i("COM_DL_LOSS_T", 10),
    _f("COM_FAIL_ACT_T", 5.0),
    _i("COM_LOW_BAT_ACT", 0),
    _i("COM_OBL_RC_ACT", 0),
    _i("COM_POS_FS_DELAY", 1),
    _i("COM_RC_IN_MODE", 1),
    _f("COM_RC_LOSS_T", 0.5),
    _f("COM_SPOOLUP_TIME", 1.0),
    _i("GF_ACTION", 2),
    _f("GF_MAX_HOR_DIST", 0.0),
    _f("GF_MAX_VER_DIST", 0.0),
    _i("GF_PREDICT", 0),
    _i("GF_SOURCE", 0),
    _f("MIS_DIST_1WP", 10000.0),
    _f("MIS_TAKEOFF_ALT", 2.5),
    _i("MIS_TKO_LAND_REQ", 0),
    _f("MPC_ACC_DOWN_MAX", 3.0),
    _f("MPC_ACC_HOR", 3.0),
    _f("MPC_ACC_UP_MAX", 4.0),
    _f("MPC_LAND_ALT1", 10.0),
    _f("MPC_LAND_ALT2", 5.0),
    _f("MPC_LAND_SPEED", 0.7),
    _f("MPC_TKO_SPEED", 1.5),
    _f("MPC_XY_CRUISE", 5.0),
    _f("MPC_XY_VEL_MAX", 12.0),
    _f("MPC_YAWRAUTO_MAX", 45.0),
    _f("MPC_Z_VEL_MAX_DN", 1.5),
    _f("MPC_Z_VEL_MAX_UP", 3.0),
    _f("MPC_Z_V_AUTO_DN", 1.5),
    _f("MPC_Z_V_AUTO_UP", 3.0),
    _i("MAV_COMP_ID", 1),
    _i("MAV_SYS_ID", 1),
    _i("MAV_TYPE", 2),
    _f("NAV_ACC_RAD", 2.0),
    _i("NAV_DLL_ACT", 0),
    _i("NAV_RCL_ACT", 2),
    _i("RTL_CONE_ANG", 45),
    _f("RTL_DESCEND_ALT", 10.0),
    _f("RTL_LAND_DELAY", 0.0),
    _f("RTL_RETURN_ALT", 30.0),
    _i("RTL_TYPE", 0),
    _i("SDLOG_MODE", 0),
    _f("SIH_LOC_H0", 430.0),
    _f("SIH_LOC_LAT0", 50.229),
    _f("SIH_LOC_LON0", 17.205),
    _i("SYS_AUTOCONFIG", 0),
    _i("SYS_AUTOSTART", 10040),
    _i("SYS_FAILURE_EN", 0),
    _i("SYS_HITL", 0),
)


def encode_wire_value(value: float, param_type: ParamType) -> float:
    """The float PX4 puts in param_value: INT32 values bytewise, REAL32 as is."""
    if param_type == ParamType.INT32:
        return float(struct.unpack("<f", struct.pack("<i", int(value)))[0])
    return float(value)


def decode_wire_value(wire: float, param_type: ParamType) -> float:
    """Inverse of :func:`encode_wire_value` for PARAM_SET; a non-finite REAL32 stays as sent."""
    if param_type == ParamType.INT32:
        return float(struct.unpack("<i", struct.pack("<f", wire))[0])
    return float(struct.unpack("<f", struct.pack("<f", wire))[0])


@dataclass(frozen=True)
class ParamValue:
    name: str
    value: float
    type: ParamType
    index: int
    count: int

    @property
    def wire_value(self) -> float:
        return encode_wire_value(self.value, self.type)


class ParameterStore:
    """Named typed values in PX4's alphabetical index order; observers hear every change."""

    def __init__(
        self, specs: tuple[ParamSpec, ...] = PX4_PARAMETERS, overrides: dict[str, float] | None = None
    ):
        self._specs = {spec.name: spec for spec in sorted(specs, key=lambda s: s.name)}
        self._names = list(self._specs)
        self._values = {name: spec.default for name, spec in self._specs.items()}
        self._observers: list[Callable[[str, float], None]] = []
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._names)

    def get(self, name: str) -> float:
        return self._values[name]

    def get_int(self, name: str) -> int:
        return int(self._values[name])

    def set(self, name: str, value: float) -> ParamValue:
        """Sets a known parameter (INT32 values rounded); KeyError for unknown names."""
        spec = self._specs[name]
        stored = float(round(value)) if spec.type == ParamType.INT32 else float(value)
        self._values[name] = stored
        for observer in self._observers:
            observer(name, stored)
        return self.describe(name)

    def set_from_wire(self, name: str, wire_value: float) -> ParamValue:
        spec = self._specs[name]
        return self.set(name, decode_wire_value(wire_value, spec.type))

    def describe(self, name: str) -> ParamValue:
        spec = self._specs[name]
        return ParamValue(name, self._values[name], spec.type, self._names.index(name), len(self._names))

    def by_index(self, index: int) -> ParamValue | None:
        if 0 <= index < len(self._names):
            return self.describe(self._names[index])
        return None

    def all(self) -> Iterator[ParamValue]:
        for name in self._names:
            yield self.describe(name)

    def observe(self, observer: Callable[[str, float], None]) -> None:
        self._observers.append(observer)
