"""Validation and conversion of missions for upload, run off the event loop (they are CPU work).

The missions package does the work; this module only chooses what to run and keeps the loop free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from missions.model import MAX_ITEMS, Mission, MissionItem
from missions.validate import ValidationReport, validate


class UploadTooLargeError(ValueError):
    """More items than the station uploads; refused before anything is sent to the vehicle."""


def check_upload_size(items: UploadItems) -> None:
    """Mission, fence and rally lists each within ``MAX_ITEMS`` (conversion may add fence points)."""
    for what, count in (
        ("mission", len(items.mission_items)),
        ("fence", len(items.fence_items)),
        ("rally", len(items.rally_items)),
    ):
        if count > MAX_ITEMS:
            raise UploadTooLargeError(
                f"{what} list has {count} items, above the {MAX_ITEMS} item limit; nothing was sent"
            )


def stored_item_count(body: dict[str, Any]) -> int:
    """Items of a stored mission body, counted before parsing it (old rows predate the cap)."""
    items = body.get("items")
    return len(items) if isinstance(items, list) else 0


PARSE_CHUNK = 250
_ITEMS: TypeAdapter[list[MissionItem]] = TypeAdapter(list[MissionItem])
_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def parse_mission(body: dict[str, Any]) -> Mission:
    """Parses a stored body; callers run it in a thread.

    A thread alone is not enough: pydantic-core holds the GIL for a whole ``model_validate`` call
    (~50 ms for 10,000 items), and the event loop cannot run meanwhile. The items are therefore
    validated in chunks, between which the loop gets the GIL; the result equals ``model_validate``."""
    raw = body.get("items")
    if not isinstance(raw, list) or len(raw) <= PARSE_CHUNK or len(raw) > MAX_ITEMS:
        return Mission.model_validate(body)  # small, or malformed: one call with the exact errors
    items: list[MissionItem] = []
    try:
        for start in range(0, len(raw), PARSE_CHUNK):
            items.extend(_ITEMS.validate_python(raw[start : start + PARSE_CHUNK]))
    except ValidationError:
        return Mission.model_validate(body)  # raises with the item's real index
    head = Mission.model_validate({**body, "items": []})
    return head.model_copy(update={"items": tuple(items)})


def export_plan(body: dict[str, Any]) -> bytes:
    """A stored mission as QGC ``.plan`` JSON bytes: parse, convert and serialise, all in the caller's
    thread (FastAPI serialised the 10,000-item dict on the loop). pydantic-core's serialiser is used
    because ``json.dumps`` held the GIL (and so the loop) ~3x longer for the same document."""
    from missions.formats.qgc_plan import dump_plan

    return _JSON.dump_json(dump_plan(parse_mission(body)))


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
