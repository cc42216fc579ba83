"""Approved MAVLink mission items <-> MAVSDK ``mission_raw`` items (field for field, no reinterpretation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mavsdk.plugins.mission_raw import MissionItem as MavsdkMissionItem

from missions.formats.mavlink_items import MissionItemInt, item_differences

MISSION_TYPE_MISSION = 0
MISSION_TYPE_FENCE = 1
MISSION_TYPE_RALLY = 2


def to_mavsdk(items: Sequence[MissionItemInt], mission_type: int) -> list[MavsdkMissionItem]:
    """Sequence numbers are renumbered 0..n-1 and the type forced, since each list is its own transfer."""
    return [
        MavsdkMissionItem(
            seq=index,
            frame=item.frame,
            command=item.command,
            current=1 if index == 0 and mission_type == MISSION_TYPE_MISSION else 0,
            autocontinue=item.autocontinue,
            param1=item.param1,
            param2=item.param2,
            param3=item.param3,
            param4=item.param4,
            x=item.x,
            y=item.y,
            z=item.z,
            mission_type=mission_type,
        )
        for index, item in enumerate(items)
    ]


def from_mavsdk(items: Sequence[MavsdkMissionItem]) -> list[MissionItemInt]:
    return [
        MissionItemInt(
            seq=item.seq,
            frame=item.frame,
            command=item.command,
            current=item.current,
            autocontinue=item.autocontinue,
            param1=item.param1,
            param2=item.param2,
            param3=item.param3,
            param4=item.param4,
            x=item.x,
            y=item.y,
            z=item.z,
            mission_type=item.mission_type,
        )
        for item in items
    ]


def normalised(items: Sequence[MissionItemInt], mission_type: int) -> list[MissionItemInt]:
    """The approved items as the vehicle will hold them (renumbered, typed) for comparison."""
    return [replace(item, seq=index, mission_type=mission_type) for index, item in enumerate(items)]


def differences(
    approved: Sequence[MissionItemInt], downloaded: Sequence[MissionItemInt], mission_type: int
) -> list[str]:
    return item_differences(normalised(approved, mission_type), normalised(downloaded, mission_type))
