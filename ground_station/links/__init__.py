"""Vehicle links: one MAVLink router per link that owns the socket, records the tlog, publishes
typed telemetry and relays to MAVSDK (design contracts 5, 8, 9).

Who may speak for a vehicle: ``peers`` (address pinning), ``signing`` (MAVLink 2 signatures, keys made by
``signing_setup``), ``plausibility`` (impossible positions), ``intrusion`` (the rate-limited alert)."""

from ground_station.links.router import LinkRouter, RouterOptions, VehicleLinkConfig
from ground_station.links.urls import LinkEndpoint, LinkKind, LinkUrlError, parse_link_url

__all__ = [
    "LinkEndpoint",
    "LinkKind",
    "LinkRouter",
    "LinkUrlError",
    "RouterOptions",
    "VehicleLinkConfig",
    "parse_link_url",
]
