"""Approved MAVLink mission items <-> MAVSDK ``mission_raw`` items (field for field, no reinterpretation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from mavsdk.plugins.mission_raw import MissionItem as MavsdkMissionItem

from missions.formats.mavlink_items import MissionItemInt

MISSION_TYPE_MISSION = 0
MISSION_TYPE_FENCE = 1
MISSION_TYPE_RALLY = 2


_ITEM_FIELDS = tuple(field.name for field in fields(MissionItemInt))
_CARRIED_FIELDS = tuple(name for name in _ITEM_FIELDS if name not in ("seq", "current", "mission_type"))
"""The fields both item types share one for one; seq, current and mission_type are set per transfer."""


def to_mavsdk(items: Sequence[MissionItemInt], mission_type: int) -> list[MavsdkMissionItem]:
    """Sequence numbers are renumbered 0..n-1 and the type forced, since each list is its own transfer."""
    return [
        MavsdkMissionItem(
            seq=index,
            current=1 if index == 0 and mission_type == MISSION_TYPE_MISSION else 0,
            mission_type=mission_type,
            **{name: getattr(item, name) for name in _CARRIED_FIELDS},
        )
        for index, item in enumerate(items)
    ]


def from_mavsdk(items: Sequence[MavsdkMissionItem]) -> list[MissionItemInt]:
    return [MissionItemInt(**{name: getattr(item, name) for name in _ITEM_FIELDS}) for item in items]
