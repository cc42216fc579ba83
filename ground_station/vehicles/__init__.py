"""Vehicle registry, fleet commands (through MAVSDK) and the station core that composes links,
bus, fleet and monitor."""

from ground_station.vehicles.errors import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    MissionMismatch,
    NoVerifiedPlan,
    Timeout,
    VehicleNotConnected,
    VehicleNotFound,
)
from ground_station.vehicles.fleet import Fleet, UploadReport
from ground_station.vehicles.registry import VehicleEntry, VehicleRegistry
from ground_station.vehicles.station import StationCore, StationVehicle

__all__ = [
    "CommandError",
    "CommandRejected",
    "CommandTimeout",
    "Fleet",
    "MissionMismatch",
    "NoVerifiedPlan",
    "StationCore",
    "StationVehicle",
    "Timeout",
    "UploadReport",
    "VehicleEntry",
    "VehicleNotConnected",
    "VehicleNotFound",
    "VehicleRegistry",
]
