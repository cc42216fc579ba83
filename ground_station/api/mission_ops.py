"""Validation and conversion of missions for upload, run off the event loop (they are CPU work).

The missions package does the work; this module only chooses what to run and keeps the loop free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from missions.model import Mission
from missions.validate import ValidationReport, validate


class RegionUnavailableError(Exception):
    """No region is loaded, so a mission cannot be validated (and therefore not uploaded)."""


@dataclass(frozen=True)
class UploadItems:
    mission_items: list[Any]
    fence_items: list[Any]
    rally_items: list[Any]


def _require_region(region: Any | None, region_error: str | None) -> Any:
    if region is None:
        raise RegionUnavailableError(
            f"no region loaded ({region_error or 'unknown reason'}): cannot validate"
        )
    return region


async def validate_mission(
    mission: Mission,
    region: Any | None,
    region_error: str | None = None,
    at: datetime | None = None,
    permits: Sequence[Any] = (),
) -> ValidationReport:
    """``permits``: cross-border flight permits of active incidents (they relax the border rule only)."""
    chosen = _require_region(region, region_error)
    return await asyncio.to_thread(validate, mission, chosen, at=at, permits=permits)


def _build_items(mission: Mission, region: Any) -> UploadItems:
    """Mission items, the zone-derived geofence merged with the plan's own fence, and rally points."""
    from missions.fence import derive_geofence, geofence_to_items, rally_to_items
    from missions.formats.mavlink_items import mission_to_items
    from missions.model import Geofence

    mission_items = list(mission_to_items(mission, region.terrain))
    derived = derive_geofence(mission, region)
    fence = Geofence(
        polygons=(*derived.polygons, *mission.geofence.polygons),
        circles=(*derived.circles, *mission.geofence.circles),
        not_represented=(*derived.not_represented, *mission.geofence.not_represented),
    )
    return UploadItems(
        mission_items, list(geofence_to_items(fence)), list(rally_to_items(mission.rally_points))
    )


async def build_upload_items(
    mission: Mission, region: Any | None, region_error: str | None = None
) -> UploadItems:
    chosen = _require_region(region, region_error)
    return await asyncio.to_thread(_build_items, mission, chosen)
