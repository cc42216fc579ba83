"""What the API needs from the vehicle layer to command vehicles (the fleet satisfies it structurally)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class VehicleControl(Protocol):
    def slugs(self) -> Sequence[str]: ...

    async def arm(self, slug: str) -> None: ...
    async def disarm(self, slug: str) -> None: ...
    async def takeoff(self, slug: str, alt_rel_m: float | None = None) -> None: ...
    async def upload_mission(
        self, slug: str, mission_items: Sequence[Any], fence_items: Sequence[Any], rally_items: Sequence[Any]
    ) -> Any: ...
    async def start(self, slug: str) -> None: ...
    async def pause(self, slug: str) -> None: ...
    async def resume(self, slug: str) -> None: ...
    async def goto(self, slug: str, lon: float, lat: float, alt_amsl_m: float) -> None: ...
    async def rtl(self, slug: str) -> None: ...
    async def land(self, slug: str) -> None: ...


class NoVehicleControl:
    """Used when the service runs without vehicle links (e.g. ``serve`` with no vehicles configured)."""

    def __init__(self, slugs: Sequence[str] = ()) -> None:
        self._slugs = list(slugs)

    def slugs(self) -> Sequence[str]:
        return self._slugs

    async def _refuse(self, slug: str) -> None:
        raise VehicleUnavailableError(f"vehicle {slug!r} has no active link in this service")

    async def arm(self, slug: str) -> None:
        await self._refuse(slug)

    async def disarm(self, slug: str) -> None:
        await self._refuse(slug)

    async def takeoff(self, slug: str, alt_rel_m: float | None = None) -> None:
        await self._refuse(slug)

    async def upload_mission(
        self, slug: str, mission_items: Sequence[Any], fence_items: Sequence[Any], rally_items: Sequence[Any]
    ) -> Any:
        await self._refuse(slug)

    async def start(self, slug: str) -> None:
        await self._refuse(slug)

    async def pause(self, slug: str) -> None:
        await self._refuse(slug)

    async def resume(self, slug: str) -> None:
        await self._refuse(slug)

    async def goto(self, slug: str, lon: float, lat: float, alt_amsl_m: float) -> None:
        await self._refuse(slug)

    async def rtl(self, slug: str) -> None:
        await self._refuse(slug)

    async def land(self, slug: str) -> None:
        await self._refuse(slug)


class VehicleUnavailableError(Exception):
    """The vehicle exists in the configuration but cannot take commands now (no link)."""
