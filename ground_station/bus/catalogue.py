"""The one catalogue of bus topics: subject pattern -> the only message type allowed on it.

Subjects follow NATS rules (tokens separated by ``.``; in subscriptions ``*`` matches one token and
``>`` one or more trailing tokens), so a NATS/JetStream backend can carry them unchanged. The
``encode``/``decode`` pair is the wire format such a backend uses; the in-process bus skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import ValidationError

from ground_station.bus.messages import (
    AccessChangedMsg,
    AlertMsg,
    AttitudeMsg,
    AuditMsg,
    BatteryMsg,
    BusMessage,
    DetectionsMsg,
    FlightEventMsg,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
    StatusTextMsg,
)

VEHICLE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class UnknownTopicError(ValueError):
    """A subject that no catalogue entry describes."""


class WrongMessageTypeError(TypeError):
    """A message published on a subject declared for another type."""


@dataclass(frozen=True)
class TopicSpec:
    """``pattern`` uses ``{vehicle_id}`` for the vehicle slug token."""

    pattern: str
    message_type: type[BusMessage]
    description: str

    @property
    def per_vehicle(self) -> bool:
        return "{vehicle_id}" in self.pattern

    @property
    def subject_pattern(self) -> str:
        """The NATS subscription pattern that matches every subject of this topic."""
        return self.pattern.replace("{vehicle_id}", "*")


CATALOGUE: tuple[TopicSpec, ...] = (
    TopicSpec("vehicle.{vehicle_id}.position", PositionMsg, "global position and velocity"),
    TopicSpec("vehicle.{vehicle_id}.attitude", AttitudeMsg, "roll, pitch, yaw"),
    TopicSpec("vehicle.{vehicle_id}.battery", BatteryMsg, "battery state"),
    TopicSpec("vehicle.{vehicle_id}.status", StatusMsg, "state machine, arming, flight mode, identity"),
    TopicSpec("vehicle.{vehicle_id}.mission", MissionProgressMsg, "mission progress"),
    TopicSpec("vehicle.{vehicle_id}.link", LinkMsg, "link quality"),
    TopicSpec("vehicle.{vehicle_id}.statustext", StatusTextMsg, "STATUSTEXT from the autopilot"),
    TopicSpec("vehicle.{vehicle_id}.flight", FlightEventMsg, "flight lifecycle events"),
    TopicSpec(
        "camera.{vehicle_id}.detections", DetectionsMsg, "geo-located people and vehicles seen by a camera"
    ),
    TopicSpec("alert", AlertMsg, "monitor alerts for every vehicle"),
    TopicSpec("audit", AuditMsg, "accountable actions"),
    TopicSpec("auth", AccessChangedMsg, "a user disabled, deleted, re-roled or logged out everywhere"),
)

_BY_TYPE: dict[type[BusMessage], TopicSpec] = {spec.message_type: spec for spec in CATALOGUE}


def validate_vehicle_id(vehicle_id: str) -> str:
    """Slugs become one subject token, so they may not contain ``.``, wildcards or spaces."""
    if not VEHICLE_ID_RE.match(vehicle_id):
        raise ValueError(
            f"vehicle id {vehicle_id!r} is not a slug (letters, digits, '-' or '_', at most 64 characters)"
        )
    return vehicle_id


def topic_for(message_type: type[BusMessage], vehicle_id: str | None = None) -> str:
    """The concrete subject a message of this type is published on."""
    spec = _BY_TYPE.get(message_type)
    if spec is None:
        raise UnknownTopicError(f"{message_type.__name__} has no topic in the catalogue")
    if spec.per_vehicle:
        if vehicle_id is None:
            raise ValueError(f"{message_type.__name__} topics need a vehicle_id")
        return spec.pattern.format(vehicle_id=validate_vehicle_id(vehicle_id))
    if vehicle_id is not None:
        raise ValueError(f"{message_type.__name__} topic {spec.pattern!r} is not per vehicle")
    return spec.pattern


@lru_cache(maxsize=4096)
def message_type_for(topic: str) -> type[BusMessage]:
    """The message type a concrete subject carries; raises UnknownTopicError otherwise."""
    tokens = topic.split(".")
    for spec in CATALOGUE:
        spec_tokens = spec.pattern.split(".")
        if len(spec_tokens) != len(tokens):
            continue
        if all(
            (s == "{vehicle_id}" and VEHICLE_ID_RE.match(t)) or s == t
            for s, t in zip(spec_tokens, tokens, strict=True)
        ):
            return spec.message_type
    raise UnknownTopicError(f"topic {topic!r} is not in the bus catalogue")


def validate_pattern(pattern: str) -> str:
    """A subscription pattern: tokens, ``*`` for one token, ``>`` only as the last token."""
    tokens = pattern.split(".")
    for index, token in enumerate(tokens):
        if token == ">" and index == len(tokens) - 1:
            continue
        if token == "*" or _TOKEN_RE.match(token):
            continue
        raise ValueError(f"invalid subscription pattern {pattern!r} at token {index} ({token!r})")
    return pattern


def pattern_matches(pattern: str, topic: str) -> bool:
    """NATS subject matching."""
    p_tokens = pattern.split(".")
    t_tokens = topic.split(".")
    for index, p in enumerate(p_tokens):
        if p == ">":
            return len(t_tokens) > index
        if index >= len(t_tokens):
            return False
        if p != "*" and p != t_tokens[index]:
            return False
    return len(p_tokens) == len(t_tokens)


def check_message(topic: str, msg: BusMessage) -> None:
    """Raises unless ``msg`` is exactly the type the catalogue declares for ``topic``."""
    expected = message_type_for(topic)
    if type(msg) is not expected:
        raise WrongMessageTypeError(f"topic {topic!r} carries {expected.__name__}, not {type(msg).__name__}")


def encode(topic: str, msg: BusMessage) -> bytes:
    """Wire format for networked backends: the model's JSON, checked against the catalogue."""
    check_message(topic, msg)
    return msg.model_dump_json().encode()


def decode(topic: str, data: bytes) -> BusMessage:
    """Inverse of :func:`encode`; a malformed payload raises ValueError naming the topic and field."""
    message_type = message_type_for(topic)
    try:
        return message_type.model_validate_json(data)
    except ValidationError as exc:
        raise ValueError(f"bad {message_type.__name__} payload on {topic!r}: {exc}") from exc
