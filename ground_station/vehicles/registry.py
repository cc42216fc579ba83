"""Which vehicles the station knows, and for each its link router, tracker and MAVSDK session."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from ground_station.bus.messages import LinkMsg, StatusMsg, VehicleState
from ground_station.links.router import LinkRouter
from ground_station.links.vehicle_state import VehicleTracker
from ground_station.vehicles.errors import VehicleNotFound
from ground_station.vehicles.mavsdk_session import MavsdkSession

SessionSource = Callable[[], Awaitable[MavsdkSession]]


@dataclass
class VehicleEntry:
    """``sessions`` opens (or returns) the link's MAVSDK session; None: no command link at all."""

    vehicle_id: str
    router: LinkRouter
    sessions: SessionSource | None

    @property
    def tracker(self) -> VehicleTracker:
        return self.router.trackers[self.vehicle_id]

    @property
    def system_id(self) -> int:
        return self.tracker.system_id

    @property
    def state(self) -> VehicleState:
        return self.tracker.state

    def status(self) -> StatusMsg:
        return self.tracker.status_message(dt.datetime.now(dt.UTC))

    def link(self) -> LinkMsg:
        return self.tracker.link_message(dt.datetime.now(dt.UTC), time.monotonic())


class VehicleRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, VehicleEntry] = {}

    def add(self, entry: VehicleEntry) -> None:
        if entry.vehicle_id in self._entries:
            raise ValueError(f"vehicle {entry.vehicle_id!r} registered twice")
        self._entries[entry.vehicle_id] = entry

    def get(self, vehicle_id: str) -> VehicleEntry:
        try:
            return self._entries[vehicle_id]
        except KeyError:
            raise VehicleNotFound(vehicle_id) from None

    def slugs(self) -> list[str]:
        return list(self._entries)

    def __iter__(self) -> Iterator[VehicleEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
