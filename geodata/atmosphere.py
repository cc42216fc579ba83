"""ISA (ICAO standard atmosphere) for flight levels: STD pressure altitude -> AMSL with a stated margin.

A flight level is a pressure surface, not a height: on a cold low-pressure day FL 95 sits hundreds
of metres lower than 2896 m AMSL. We never know today's QNH or temperature inside a pure library, so
a STD limit is turned into an AMSL *interval*: the lowest and highest true altitude the pressure
surface can take when sea-level pressure lies within ``qnh_hpa`` and the air-temperature deviation
from ISA within ``isa_deviation_c`` (constant lapse rate). Zone checks use the low end for lower
limits and the high end for upper limits, so a band is only ever made larger (conservative).

Default envelope (``DEFAULT_STD_ENVELOPE``): QNH 970-1050 hPa (Central European sea-level extremes
outside storms) and ISA -25..+25 degC. At FL 95 this gives 2329..3451 m AMSL around the nominal
2896 m (about -570/+555 m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# ICAO Doc 7488 constants
P0_HPA = 1013.25
T0_K = 288.15
LAPSE_K_PER_M = 0.0065
TROPOPAUSE_M = 11000.0
G0 = 9.80665
R_AIR = 287.05287
EXPONENT = G0 / (R_AIR * LAPSE_K_PER_M)  # ~5.25588
T_TROPOPAUSE_K = T0_K - LAPSE_K_PER_M * TROPOPAUSE_M
P_TROPOPAUSE_HPA = P0_HPA * (T_TROPOPAUSE_K / T0_K) ** EXPONENT
FT_PER_FL = 100.0
FEET_TO_M = 0.3048


@dataclass(frozen=True)
class StdEnvelope:
    """The weather envelope a flight level is assumed to move within."""

    qnh_hpa: tuple[float, float] = (970.0, 1050.0)
    isa_deviation_c: tuple[float, float] = (-25.0, 25.0)


DEFAULT_STD_ENVELOPE = StdEnvelope()


def flight_level_to_pressure_altitude_m(flight_level: float) -> float:
    """FL 95 -> 9500 ft of pressure altitude, in metres."""
    return flight_level * FT_PER_FL * FEET_TO_M


def isa_pressure_hpa(pressure_altitude_m: ArrayLike) -> NDArray[np.float64]:
    """Static pressure of the ISA at a (geopotential) pressure altitude; troposphere + lower stratosphere."""
    h = np.asarray(pressure_altitude_m, dtype=np.float64)
    tropo = P0_HPA * (1.0 - LAPSE_K_PER_M * np.minimum(h, TROPOPAUSE_M) / T0_K) ** EXPONENT
    strato = P_TROPOPAUSE_HPA * np.exp(-G0 * (h - TROPOPAUSE_M) / (R_AIR * T_TROPOPAUSE_K))
    result: NDArray[np.float64] = np.where(h <= TROPOPAUSE_M, tropo, strato)
    return result


def true_altitude_m(
    pressure_altitude_m: ArrayLike, qnh_hpa: float, isa_deviation_c: float
) -> NDArray[np.float64]:
    """AMSL height of a pressure surface given sea-level pressure and a uniform ISA temperature offset.

    Hypsometric relation with the standard lapse rate from a sea level at ``T0 + deviation``; above
    the tropopause the isothermal-layer thickness scales with the (offset) absolute temperature.
    """
    h = np.asarray(pressure_altitude_m, dtype=np.float64)
    capped = np.minimum(h, TROPOPAUSE_M)
    p = isa_pressure_hpa(capped)
    t_sea = T0_K + isa_deviation_c
    below = (t_sea / LAPSE_K_PER_M) * (1.0 - (p / qnh_hpa) ** (1.0 / EXPONENT))
    above = np.maximum(h - TROPOPAUSE_M, 0.0) * (T_TROPOPAUSE_K + isa_deviation_c) / T_TROPOPAUSE_K
    result: NDArray[np.float64] = below + above
    return result


def std_to_amsl_range_m(
    pressure_altitude_m: ArrayLike, envelope: StdEnvelope = DEFAULT_STD_ENVELOPE
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(lowest, highest) AMSL the pressure surface can take within the envelope.

    True altitude grows with QNH and with temperature, so the extremes sit at the envelope corners.
    """
    low = true_altitude_m(pressure_altitude_m, envelope.qnh_hpa[0], envelope.isa_deviation_c[0])
    high = true_altitude_m(pressure_altitude_m, envelope.qnh_hpa[1], envelope.isa_deviation_c[1])
    return np.minimum(low, high), np.maximum(low, high)


def amsl_to_std_range_m(
    alt_amsl_m: ArrayLike, envelope: StdEnvelope = DEFAULT_STD_ENVELOPE
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`std_to_amsl_range_m`: the pressure altitudes an AMSL height may read as."""
    h = np.asarray(alt_amsl_m, dtype=np.float64)
    # Solve true_altitude(p_alt) = h at both corners by a few Newton-free bisection steps (monotone).
    lows = []
    for qnh, dev in (
        (envelope.qnh_hpa[0], envelope.isa_deviation_c[0]),
        (envelope.qnh_hpa[1], envelope.isa_deviation_c[1]),
    ):
        lo = h - 3000.0
        hi = h + 3000.0
        for _ in range(40):
            mid = (lo + hi) / 2
            too_high = true_altitude_m(mid, qnh, dev) > h
            hi = np.where(too_high, mid, hi)
            lo = np.where(too_high, lo, mid)
        lows.append((lo + hi) / 2)
    return np.minimum(lows[0], lows[1]), np.maximum(lows[0], lows[1])
