"""The plan's home against the vehicle's own home (HOME_POSITION), decided before an upload.

Altitudes relative to home are flown from wherever the vehicle set its home, not from the plan's
``plannedHomePosition``. When the two differ, the mission has to be checked again from the vehicle's
home; this module decides whether they differ and builds the mission to check. Pure: the ground station
passes in what the vehicle reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geodata.crs import distance_m
from missions.model import HomePosition, Mission
from missions.validate.messages import Msg
from missions.validate.report import RuleId, Severity, Violation, Where, violation

HOME_DISTANCE_TOLERANCE_M = 5.0
"""GNSS noise between the plan's home and where the vehicle armed: closer than this is the same home."""
HOME_ALT_TOLERANCE_M = 3.0


@dataclass(frozen=True)
class HomeDifference:
    distance_m: float
    alt_difference_m: float | None
    """Vehicle minus plan, None when the plan gives no home altitude."""


def compare_home(planned: HomePosition, vehicle: HomePosition) -> HomeDifference | None:
    """How far the vehicle's home is from the plan's, or None when they are the same within tolerance."""
    distance = float(distance_m(planned.lon, planned.lat, vehicle.lon, vehicle.lat))
    alt_difference: float | None = None
    if planned.alt_amsl_m is not None and vehicle.alt_amsl_m is not None:
        alt_difference = float(vehicle.alt_amsl_m) - float(planned.alt_amsl_m)
    moved = distance > HOME_DISTANCE_TOLERANCE_M
    moved = moved or (alt_difference is not None and abs(alt_difference) > HOME_ALT_TOLERANCE_M)
    moved = moved or (planned.alt_amsl_m is None and vehicle.alt_amsl_m is not None)
    return HomeDifference(distance, alt_difference) if moved else None


def mission_for_vehicle_home(
    mission: Mission, vehicle: HomePosition | None
) -> tuple[Mission, Violation | None]:
    """The mission to validate for upload: as planned when the vehicle's home agrees (or is unknown),
    else re-homed at the vehicle's home, with a warning saying by how much the homes differ."""
    if vehicle is None or not all(math.isfinite(v) for v in (vehicle.lon, vehicle.lat)):
        return mission, None
    difference = compare_home(mission.home, vehicle)
    if difference is None:
        return mission, None
    note = violation(
        RuleId.HOME_ALTITUDE,
        Severity.WARNING,
        Msg.HOME_MOVED,
        where=Where(lon=float(vehicle.lon), lat=float(vehicle.lat), alt_amsl_m=vehicle.alt_amsl_m),
        distance=difference.distance_m,
        alt=difference.alt_difference_m if difference.alt_difference_m is not None else float("nan"),
    )
    return mission.model_copy(update={"home": vehicle}), note
