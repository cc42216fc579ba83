"""What the vehicle has stored: mission, geofence and rally items as received (MISSION_ITEM_INT form)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

from pymavlink.dialects.v20 import common as mavlink


class MissionType(IntEnum):
    MISSION = mavlink.MAV_MISSION_TYPE_MISSION
    FENCE = mavlink.MAV_MISSION_TYPE_FENCE
    RALLY = mavlink.MAV_MISSION_TYPE_RALLY
    ALL = mavlink.MAV_MISSION_TYPE_ALL


class MavFrame(IntEnum):
    GLOBAL = 0
    LOCAL_NED = 1
    MISSION = 2
    GLOBAL_RELATIVE_ALT = 3
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10
    GLOBAL_TERRAIN_ALT_INT = 11


INT_FRAME_TO_FLOAT = {
    MavFrame.GLOBAL_INT: MavFrame.GLOBAL,
    MavFrame.GLOBAL_RELATIVE_ALT_INT: MavFrame.GLOBAL_RELATIVE_ALT,
    MavFrame.GLOBAL_TERRAIN_ALT_INT: MavFrame.GLOBAL_TERRAIN_ALT,
}
GLOBAL_FRAMES = frozenset(
    {
        MavFrame.GLOBAL,
        MavFrame.GLOBAL_RELATIVE_ALT,
        MavFrame.GLOBAL_INT,
        MavFrame.GLOBAL_RELATIVE_ALT_INT,
        MavFrame.GLOBAL_TERRAIN_ALT,
        MavFrame.GLOBAL_TERRAIN_ALT_INT,
    }
)
RELATIVE_FRAMES = frozenset({MavFrame.GLOBAL_RELATIVE_ALT, MavFrame.GLOBAL_RELATIVE_ALT_INT})
TERRAIN_FRAMES = frozenset({MavFrame.GLOBAL_TERRAIN_ALT, MavFrame.GLOBAL_TERRAIN_ALT_INT})


@dataclass(frozen=True)
class StoredItem:
    """One item as MISSION_ITEM_INT carries it (lat/lon in 1e7 degrees)."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float

    @property
    def lat(self) -> float:
        return self.x / 1e7

    @property
    def lon(self) -> float:
        return self.y / 1e7


@dataclass
class MissionStore:
    """The three item lists; ``current_seq`` is the mission item the navigator works on.

    A new mission is not the navigator's until ``loaded_at`` (wall clock): PX4's mission manager
    stores it at once (downloads and MISSION_CURRENT's total see it), but the navigator checks it a
    moment later, and until then commander refuses to start it (trace e). ``uploaded_current_seq`` is
    what the link reports as current in that window: the item the upload flagged ``current``, or -1.
    """

    items: dict[MissionType, list[StoredItem]] = field(
        default_factory=lambda: {MissionType.MISSION: [], MissionType.FENCE: [], MissionType.RALLY: []}
    )
    current_seq: int = 0
    loaded_at: float = 0.0
    uploaded_current_seq: int = -1
    # Bumped on every change so the navigator and the geofence reload only when needed.
    version: dict[MissionType, int] = field(
        default_factory=lambda: {MissionType.MISSION: 0, MissionType.FENCE: 0, MissionType.RALLY: 0}
    )

    def replace_items(self, mission_type: MissionType, items: list[StoredItem]) -> None:
        self.items[mission_type] = [replace(item, seq=i) for i, item in enumerate(items)]
        self.version[mission_type] += 1
        if mission_type == MissionType.MISSION:
            self.current_seq = 0

    def mission_loaded(self, now: float) -> bool:
        return bool(self.items[MissionType.MISSION]) and now >= self.loaded_at

    def link_current_seq(self, now: float) -> int:
        """PX4's ``MavlinkMissionManager::_current_seq``: set from the upload at once, then from the
        navigator's mission_result once it has loaded the mission."""
        return self.current_seq if now >= self.loaded_at else self.uploaded_current_seq

    def clear(self, mission_type: MissionType) -> None:
        types = list(self.items) if mission_type == MissionType.ALL else [mission_type]
        for kind in types:
            self.replace_items(kind, [])

    def get(self, mission_type: MissionType) -> list[StoredItem]:
        return self.items[mission_type]
