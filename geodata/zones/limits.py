"""Altitude limits from every spelling the sources use, into :class:`AltitudeLimit`.

ED-269/ED-318 give a number, a unit (M/FT, sometimes FL) and a reference (AGL/AMSL/WGS84/STD);
OpenAir and WFS layers give text such as ``FL 95``, ``5500msl``, ``0 AGL``, ``GND``, ``UNL``.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum

from geodata.atmosphere import flight_level_to_pressure_altitude_m
from geodata.vertical import FEET_TO_M, VerticalRef
from geodata.zones.model import AltitudeLimit


class LimitError(ValueError):
    """A limit that cannot be understood; the message says what was seen."""


class Unit(StrEnum):
    M = "M"
    FT = "FT"
    FL = "FL"


UNIT_ALIASES = {"M": Unit.M, "METER": Unit.M, "METRE": Unit.M, "FT": Unit.FT, "FEET": Unit.FT, "F": Unit.FT}
REF_ALIASES = {
    "AGL": VerticalRef.AGL,
    "SFC": VerticalRef.AGL,
    "GND": VerticalRef.AGL,
    "AMSL": VerticalRef.AMSL,
    "MSL": VerticalRef.AMSL,
    "ALT": VerticalRef.AMSL,
    "WGS84": VerticalRef.WGS84,
    "W84": VerticalRef.WGS84,
    "STD": VerticalRef.STD,
}
UNLIMITED_WORDS = {"UNL", "UNLTD", "UNLIM", "UNLIMITED", "NOLIMIT"}
GROUND_WORDS = {"GND", "SFC", "GROUND", "SURFACE"}


def parse_unit(raw: object) -> Unit:
    if not isinstance(raw, str) or raw.strip().upper() not in {*UNIT_ALIASES, "FL"}:
        raise LimitError(f"unknown unit {raw!r} (expected M or FT)")
    text = raw.strip().upper()
    return Unit.FL if text == "FL" else UNIT_ALIASES[text]


def parse_ref(raw: object) -> VerticalRef:
    if not isinstance(raw, str) or raw.strip().upper() not in REF_ALIASES:
        raise LimitError(f"unknown vertical reference {raw!r} (expected AGL, AMSL, WGS84 or STD)")
    return REF_ALIASES[raw.strip().upper()]


def to_metres(value: float, unit: Unit) -> float:
    if unit is Unit.FT:
        return value * FEET_TO_M
    if unit is Unit.FL:
        return flight_level_to_pressure_altitude_m(value)
    return value


def number(raw: object, what: str) -> tuple[float, bool]:
    """A finite number; string numbers ("0", "120.5") are accepted and reported via the flag."""
    if isinstance(raw, bool):
        raise LimitError(f"{what} must be a number, got boolean {raw}")
    if isinstance(raw, int | float):
        value = float(raw)
        was_string = False
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise LimitError(f"{what} must be a number, got string {raw!r}") from None
        was_string = True
    else:
        raise LimitError(f"{what} must be a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise LimitError(f"{what} is not finite ({raw!r})")
    return value, was_string


def limit_from_fields(value: float, unit: Unit, ref: VerticalRef) -> AltitudeLimit:
    """Structured limit (ED-269/ED-318). A STD reference with M/FT is a pressure altitude."""
    if unit is Unit.FL:
        ref = VerticalRef.STD
    if unit is Unit.FL or (ref is VerticalRef.STD and unit is Unit.FT and value % 100 == 0):
        text = f"FL {(value if unit is Unit.FL else value / 100):g}"
    else:
        text = f"{value:g} {unit.value} {ref.value}"
    return AltitudeLimit(to_metres(value, unit), ref, text)


_FL = re.compile(r"^FL\s*(\d+(?:\.\d+)?)$")
_NUM = re.compile(
    r"^(-?\d+(?:\.\d+)?)\s*(FT|F|M|FEET|METERS?|METRES?|FL)?\s*(AGL|AMSL|MSL|SFC|GND|ALT|STD|WGS84)?$"
)


def parse_limit_text(raw: str, *, default_ref: VerticalRef = VerticalRef.AMSL) -> tuple[AltitudeLimit, str]:
    """Text limit -> (limit, warning or ""). Numbers without a unit are feet (OpenAir convention)."""
    text = " ".join(raw.strip().split())
    upper = text.upper()
    if not upper:
        raise LimitError("empty altitude limit")
    if upper in UNLIMITED_WORDS:
        return AltitudeLimit(math.inf, VerticalRef.AMSL, text), ""
    if upper in GROUND_WORDS:
        return AltitudeLimit(0.0, VerticalRef.AGL, text), ""
    match = _FL.match(upper)
    if match:
        return AltitudeLimit(
            flight_level_to_pressure_altitude_m(float(match.group(1))), VerticalRef.STD, text
        ), ""
    match = _NUM.match(upper)
    if not match:
        raise LimitError(f"cannot read altitude limit {raw!r}")
    value = float(match.group(1))
    unit_text = match.group(2) or "FT"
    warning = ""
    if unit_text == "FL":
        # Seen in the wild: "3500fl msl" - a number with a reference is a height, not a flight level.
        if match.group(3) is None:
            return AltitudeLimit(flight_level_to_pressure_altitude_m(value), VerticalRef.STD, text), ""
        warning = f"altitude {raw!r}: unit 'fl' next to a reference read as feet"
        unit_text = "FT"
    unit = Unit.M if unit_text.startswith("M") else Unit.FT
    ref = REF_ALIASES[match.group(3)] if match.group(3) else default_ref
    if ref is VerticalRef.STD:
        return AltitudeLimit(to_metres(value, unit), VerticalRef.STD, text), warning
    return AltitudeLimit(to_metres(value, unit), ref, text), warning
