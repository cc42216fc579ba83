"""Telemetry bus: typed messages on NATS-compatible subjects (see ``catalogue``).

Publishers and subscribers only see :class:`Bus` and the message models; the in-process backend is the
default and a NATS backend can replace it because every message round-trips through JSON bytes.
"""

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.catalogue import (
    CATALOGUE,
    TopicSpec,
    UnknownTopicError,
    WrongMessageTypeError,
    decode,
    encode,
    message_type_for,
    pattern_matches,
    topic_for,
    validate_pattern,
    validate_vehicle_id,
)
from ground_station.bus.inprocess import InProcessBus

__all__ = [
    "CATALOGUE",
    "Bus",
    "InProcessBus",
    "Subscription",
    "TopicSpec",
    "UnknownTopicError",
    "WrongMessageTypeError",
    "decode",
    "encode",
    "message_type_for",
    "pattern_matches",
    "topic_for",
    "validate_pattern",
    "validate_vehicle_id",
]
