"""Area patterns for the planner: a survey (lawn-mower over a drawn polygon) and a corridor (passes along a
drawn line). The service computes them with ``missions.patterns`` and answers the items; nothing is stored,
so these POST routes leave no audit row (the planner's draft check that follows does).

The size of what a request can make is bounded before anything is generated: at most
``MAX_TRANSECTS`` survey lines or corridor passes, an area at most ``MAX_EXTENT_M`` across, and at most
``MAX_PATTERN_ITEMS`` items, so a tiny spacing over a huge polygon is a 422, not minutes of CPU.
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from shapely.errors import GEOSException
from shapely.geometry import LineString, Polygon

from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from missions.model import AltFrame, FlyingItem, MissionItem
from missions.patterns import Altitude, corridor, in_local_metres, survey_grid

router = APIRouter(tags=["missions"])

MAX_TRANSECTS = 400
MAX_EXTENT_M = 30_000.0
MAX_PATTERN_ITEMS = 2_000
MAX_VERTICES = 200


class LonLat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-85.0, le=85.0)


class PatternAltitude(BaseModel):
    alt_m: float = Field(ge=1.0, le=5000.0, description="altitude of every pattern waypoint")
    frame: AltFrame = Field(default=AltFrame.AGL)


class SurveyRequest(PatternAltitude):
    model_config = ConfigDict(extra="forbid")

    polygon: list[LonLat] = Field(
        min_length=3, max_length=MAX_VERTICES, description="the area's outline (closing vertex optional)"
    )
    spacing_m: float = Field(ge=5.0, le=2000.0, description="distance between survey lines")
    angle_deg: float | None = Field(
        default=None,
        ge=0.0,
        lt=180.0,
        description="flight direction (degrees from east); default: fewest turns",
    )
    turnaround_m: float = Field(default=0.0, ge=0.0, le=500.0)
    trigger_camera: bool = Field(default=True, description="camera triggered by distance along the lines")


class CorridorRequest(PatternAltitude):
    model_config = ConfigDict(extra="forbid")

    line: list[LonLat] = Field(min_length=2, max_length=MAX_VERTICES, description="the corridor's centreline")
    width_m: float = Field(ge=1.0, le=5000.0, description="total width covered")
    spacing_m: float = Field(ge=5.0, le=2000.0, description="distance between passes")


class PatternResult(BaseModel):
    kind: str
    items: list[dict[str, Any]]
    waypoints: int
    lines: int
    length_m: float


def _refuse(field: str, message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own, naming the body field."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
    )


def _extent_m(geometry: Any) -> tuple[Any, float]:
    """The geometry in its local East-North plane and its larger bounding-box side, in metres."""
    local = in_local_metres(geometry)
    min_x, min_y, max_x, max_y = local.bounds
    return local, max(max_x - min_x, max_y - min_y)


def _result(kind: str, items: tuple[MissionItem, ...], lines: int) -> PatternResult:
    points = [i for i in items if isinstance(i, FlyingItem)]
    if len(items) > MAX_PATTERN_ITEMS:
        raise _refuse("spacing_m", f"the pattern would have {len(items)} items, above {MAX_PATTERN_ITEMS}")
    path = LineString([(p.lon, p.lat) for p in points]) if len(points) > 1 else None
    length = 0.0
    if path is not None:
        local, _ = _extent_m(path)
        length = float(local.length)
    return PatternResult(
        kind=kind,
        items=[item.model_dump(mode="json") for item in items],
        waypoints=len(points),
        lines=lines,
        length_m=round(length, 1),
    )


@router.post(
    "/api/patterns/survey",
    response_model=PatternResult,
    summary="Lawn-mower survey over a polygon (items for the planner; nothing is stored)",
)
async def survey_pattern(
    body: SurveyRequest, _: Principal = Depends(require(Permission.VIEW_MISSIONS))
) -> PatternResult:
    ring = [(p.lon, p.lat) for p in body.polygon]
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(set(ring)) < 3:
        raise _refuse("polygon", "a survey area needs at least 3 distinct vertices")
    area = Polygon(ring)
    if not area.is_valid or area.area == 0:
        raise _refuse("polygon", f"not a valid area: {shapely.is_valid_reason(area)}")
    try:
        _local, extent = _extent_m(area)
        if not math.isfinite(extent) or extent > MAX_EXTENT_M:
            raise _refuse(
                "polygon", f"the area is {extent:.0f} m across, above the {MAX_EXTENT_M:.0f} m limit"
            )
        if extent / body.spacing_m > MAX_TRANSECTS:
            raise _refuse(
                "spacing_m",
                f"{body.spacing_m:g} m spacing over {extent:.0f} m makes more than {MAX_TRANSECTS} lines",
            )
        items = survey_grid(
            area,
            Altitude(body.alt_m, body.frame),
            spacing_m=body.spacing_m,
            angle_deg=body.angle_deg,
            turnaround_m=body.turnaround_m,
        )
    except (ValueError, IndexError, GEOSException) as exc:  # pydantic's ValidationError included
        raise _refuse("polygon", f"no survey over this area: {exc}") from None
    if not body.trigger_camera:
        items = tuple(i for i in items if i.kind != "camera_trigger_distance")
    waypoints = sum(isinstance(i, FlyingItem) for i in items)
    return _result("survey", items, waypoints // 2)


@router.post(
    "/api/patterns/corridor",
    response_model=PatternResult,
    summary="Corridor scan along a line (items for the planner; nothing is stored)",
)
async def corridor_pattern(
    body: CorridorRequest, _: Principal = Depends(require(Permission.VIEW_MISSIONS))
) -> PatternResult:
    points = [(p.lon, p.lat) for p in body.line]
    deduplicated = [p for k, p in enumerate(points) if k == 0 or p != points[k - 1]]
    if len(deduplicated) < 2:
        raise _refuse("line", "a corridor needs at least 2 distinct vertices")
    line = LineString(deduplicated)
    passes = max(1, math.ceil(body.width_m / body.spacing_m))
    if passes > MAX_TRANSECTS:
        raise _refuse("spacing_m", f"{passes} passes, above {MAX_TRANSECTS}")
    try:
        _local, extent = _extent_m(line)
        if not math.isfinite(extent) or extent > MAX_EXTENT_M:
            raise _refuse("line", f"the line is {extent:.0f} m across, above the {MAX_EXTENT_M:.0f} m limit")
        if passes * len(deduplicated) > MAX_PATTERN_ITEMS:
            raise _refuse(
                "spacing_m",
                f"{passes} passes of {len(deduplicated)} vertices exceed {MAX_PATTERN_ITEMS} items",
            )
        items = corridor(line, body.width_m, Altitude(body.alt_m, body.frame), spacing_m=body.spacing_m)
    except (ValueError, IndexError, GEOSException) as exc:  # e.g. a pass that vanishes when offset
        raise _refuse("line", f"no corridor along this line: {exc}") from None
    return _result("corridor", items, passes)
