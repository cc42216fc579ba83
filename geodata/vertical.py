"""Vertical references (design contract 1). Four frames, never mixed silently."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
