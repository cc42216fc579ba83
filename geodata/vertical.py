"""Vertical references (design contract 1). Four frames, never mixed silently."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.atmosphere import DEFAULT_STD_ENVELOPE, StdEnvelope, std_to_amsl_range_m
from geodata.geoid import OutsideGeoidGridError, geoid_undulation_m


class VerticalRef(StrEnum):
    AGL = "AGL"  # above the terrain model
    AMSL = "AMSL"  # above mean sea level (EGM96 geoid); MAVLink GLOBAL_POSITION_INT.alt, SRTM, Copernicus
    WGS84 = "WGS84"  # above the WGS84 ellipsoid = AMSL + geoid undulation (~40-45 m in the region)
    STD = "STD"  # pressure altitude of the standard atmosphere; flight levels


@dataclass(frozen=True)
class Height:
    """A height in metres with the frame it is measured in."""

    value_m: float
    ref: VerticalRef

    def __str__(self) -> str:
        return f"{self.value_m:.1f} m {self.ref.value}"


FEET_TO_M = 0.3048


@dataclass(frozen=True)
class AltitudeInterval:
    """Where a height can be, in metres AMSL or AGL; ``low == high`` when it is known exactly.

    ``uncertain`` says the interval is wider than the input because something was unknown
    (no terrain under an AGL height, a flight level's weather envelope, a point outside the geoid
    grid); answers built on it must be flagged, never presented as exact.
    """

    low_m: float
    high_m: float
    uncertain: bool = False
    note: str = ""

    @staticmethod
    def exact(value_m: float) -> AltitudeInterval:
        return AltitudeInterval(value_m, value_m)

    @staticmethod
    def unknown(note: str) -> AltitudeInterval:
        return AltitudeInterval(-math.inf, math.inf, True, note)


def amsl_to_wgs84_m(alt_amsl_m: ArrayLike, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Ellipsoid height = AMSL + EGM96 undulation (vectorised)."""
    return np.asarray(alt_amsl_m, dtype=np.float64) + geoid_undulation_m(lon, lat)


def wgs84_to_amsl_m(alt_wgs84_m: ArrayLike, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """AMSL = ellipsoid height - EGM96 undulation (vectorised)."""
    return np.asarray(alt_wgs84_m, dtype=np.float64) - geoid_undulation_m(lon, lat)


def agl_to_amsl_m(alt_agl_m: ArrayLike, ground_amsl_m: ArrayLike) -> NDArray[np.float64]:
    """AMSL from AGL; NaN ground stays NaN so that callers cannot mistake it for ground = 0."""
    return np.asarray(alt_agl_m, dtype=np.float64) + np.asarray(ground_amsl_m, dtype=np.float64)


def amsl_interval(
    height: Height,
    lon: float,
    lat: float,
    *,
    ground_amsl_m: float | None = None,
    envelope: StdEnvelope = DEFAULT_STD_ENVELOPE,
) -> AltitudeInterval:
    """The AMSL interval of a height in any frame at one place."""
    value = height.value_m
    if height.ref is VerticalRef.AMSL:
        return AltitudeInterval.exact(value)
    if height.ref is VerticalRef.WGS84:
        try:
            return AltitudeInterval.exact(float(wgs84_to_amsl_m(value, lon, lat)))
        except OutsideGeoidGridError as exc:
            return AltitudeInterval.unknown(str(exc))
    if height.ref is VerticalRef.AGL:
        if ground_amsl_m is None or not math.isfinite(ground_amsl_m):
            return AltitudeInterval.unknown("terrain unknown: AGL height has no AMSL equivalent")
        return AltitudeInterval.exact(value + ground_amsl_m)
    low, high = std_to_amsl_range_m(value, envelope)
    return AltitudeInterval(
        float(low), float(high), True, f"pressure altitude {value:.0f} m: ISA envelope {envelope}"
    )


def agl_interval(
    height: Height,
    lon: float,
    lat: float,
    *,
    ground_amsl_m: float | None = None,
    envelope: StdEnvelope = DEFAULT_STD_ENVELOPE,
) -> AltitudeInterval:
    """The AGL interval of a height in any frame at one place (unknown without terrain, unless AGL)."""
    if height.ref is VerticalRef.AGL:
        return AltitudeInterval.exact(height.value_m)
    if ground_amsl_m is None or not math.isfinite(ground_amsl_m):
        return AltitudeInterval.unknown("terrain unknown: cannot express the height above ground")
    amsl = amsl_interval(height, lon, lat, ground_amsl_m=ground_amsl_m, envelope=envelope)
    return AltitudeInterval(
        amsl.low_m - ground_amsl_m, amsl.high_m - ground_amsl_m, amsl.uncertain, amsl.note
    )
