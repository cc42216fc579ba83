"""Latest known state of each vehicle, kept from the bus so the REST API answers without asking links."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.messages import (
    BatteryMsg,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
)


@dataclass
class VehicleSnapshot:
    vehicle_id: str
    status: StatusMsg | None = None
    position: PositionMsg | None = None
    battery: BatteryMsg | None = None
    link: LinkMsg | None = None
    mission: MissionProgressMsg | None = None


_FIELD_BY_TYPE: dict[type, str] = {
    StatusMsg: "status",
    PositionMsg: "position",
    BatteryMsg: "battery",
    LinkMsg: "link",
    MissionProgressMsg: "mission",
}


class VehicleStateCache:
    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._snapshots: dict[str, VehicleSnapshot] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    def get(self, vehicle_id: str) -> VehicleSnapshot:
        return self._snapshots.get(vehicle_id) or VehicleSnapshot(vehicle_id)

    def seen(self) -> list[str]:
        return sorted(self._snapshots)

    async def start(self) -> None:
        self._subscription = self._bus.subscribe("vehicle.>", maxsize=50_000)
        self._task = asyncio.create_task(self._pump(self._subscription), name="vehicle-state-cache")

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _pump(self, subscription: Subscription) -> None:
        async for _topic, msg in subscription:
            name = _FIELD_BY_TYPE.get(type(msg))
            if name is None:
                continue
            vehicle_id = msg.vehicle_id  # type: ignore[attr-defined]
            snapshot = self._snapshots.get(vehicle_id)
            if snapshot is None:
                snapshot = self._snapshots[vehicle_id] = VehicleSnapshot(vehicle_id)
            setattr(snapshot, name, msg)
