"""Live monitoring of every vehicle against zones, border, terrain, mission, battery and link."""

from ground_station.monitor.monitor import Monitor
from ground_station.monitor.rules import Finding, MonitorConfig, VehicleContext

__all__ = ["Finding", "Monitor", "MonitorConfig", "VehicleContext"]
