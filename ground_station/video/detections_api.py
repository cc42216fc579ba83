"""Geo-located detections over HTTP: a stream's latest (memory) or history (store), and the map's view
across every camera (store).

Analytic data (where people and vehicles are, with time and uncertainty, never pixels), so the routes
need ``view_map``, which every role holds, ``partner_viewer`` included: showing partners analytic
detections instead of raw video is the point of issue 13.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import groupby

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel

from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.bus.messages import DetectionPoint, DetectionsMsg
from ground_station.store.models import DetectionQuery, DetectionRecord
from ground_station.video.analytics.detector import ObjectKind

router = APIRouter(tags=["video"])

MAX_RUNS = 500
MAX_POINTS = 5000


class DetectionView(BaseModel):
    """One person or vehicle on the map: where, how sure (radius, metres), when and by which camera."""

    camera_id: str
    frame_seq: int
    time_utc: datetime
    track_id: int
    kind: str
    lon: float
    lat: float
    alt_amsl_m: float
    uncertainty_m: float
    range_m: float
    score: float


def _invalid(parameter: str, message: str) -> RequestValidationError:
    """The same 422 shape as FastAPI's own validation errors, naming the query parameter."""
    return RequestValidationError([{"loc": ("query", parameter), "msg": message, "type": "value_error"}])


def _check_window(since: datetime | None, until: datetime | None) -> None:
    for name, value in (("since", since), ("until", until)):
        try:
            if value is not None:
                value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-05:00 and the like: no UTC time
            raise _invalid(name, "outside the times that can be expressed in UTC") from None
    if since is not None and until is not None and until <= since:
        raise _invalid("until", "must be later than since")


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees; a 422 naming ``bbox`` when it is not one."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise _invalid("bbox", "expected west,south,east,north as four numbers") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _invalid("bbox", "expected west,south,east,north as four finite numbers")
    west, south, east, north = values
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _invalid("bbox", "needs -180 <= west <= east <= 180 and -90 <= south <= north <= 90")
    return west, south, east, north


def _point(record: DetectionRecord) -> DetectionPoint:
    return DetectionPoint(
        track_id=record.track_id,
        kind=record.kind,
        lon=record.lon,
        lat=record.lat,
        alt_amsl_m=record.alt_amsl_m,
        uncertainty_m=record.uncertainty_m,
        range_m=record.range_m,
        score=record.score,
    )


def as_messages(records: Iterable[DetectionRecord]) -> list[DetectionsMsg]:
    """Stored rows (ordered by run) grouped back into one message per detector run."""
    return [
        DetectionsMsg(camera_id=camera_id, frame_seq=seq, time_utc=when, detections=[_point(r) for r in rows])
        for (camera_id, when, seq), rows in groupby(
            records, key=lambda r: (r.camera_id, r.time_utc, r.frame_seq)
        )
    ]


@router.get("/api/video/streams/{stream_id}/detections", response_model=list[DetectionsMsg])
async def stream_detections(
    stream_id: str,
    limit: int = Query(default=50, ge=1, le=MAX_RUNS, description="detector runs, newest kept"),
    since: AwareDatetime | None = Query(default=None, description="ISO time with zone, inclusive"),
    until: AwareDatetime | None = Query(default=None, description="ISO time with zone, exclusive"),
    _: Principal = Depends(require(Permission.VIEW_MAP)),
    context: StationContext = Depends(get_context),
) -> list[DetectionsMsg]:
    """A stream's geo-located detections, one message per detector run, oldest first.

    Without ``since``/``until``: the latest runs from memory (the publisher's last 500). That stays
    the fast path because the live view asks for it about once a second per viewer: it costs no
    database read, has no flush delay (the recorder writes every 0.25 s), keeps working while the store
    refuses writes, and includes runs that found nobody. With ``since`` and/or ``until``: history from
    the store, where only runs that found someone have rows (retention: ``storage.detection_retention_days``).
    """
    _check_window(since, until)
    video = context.video
    if video is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="the video service is not running")
    if stream_id not in video.streams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no video stream {stream_id!r}")
    if since is None and until is None:
        publisher = video.detection_publishers.get(stream_id)
        return list(publisher.recent)[-limit:] if publisher else []
    query = DetectionQuery(camera_id=stream_id, since=since, until=until, limit=limit, limit_runs=True)
    return as_messages(await context.store.detections.find(query))


@router.get("/api/detections", response_model=list[DetectionView])
async def map_detections(
    bbox: str | None = Query(default=None, max_length=200, description="west,south,east,north (degrees)"),
    since: AwareDatetime | None = Query(default=None, description="ISO time with zone, inclusive"),
    until: AwareDatetime | None = Query(default=None, description="ISO time with zone, exclusive"),
    kind: list[ObjectKind] | None = Query(default=None, description="only these kinds (repeatable)"),
    limit: int = Query(default=1000, ge=1, le=MAX_POINTS, description="points, newest kept"),
    _: Principal = Depends(require(Permission.VIEW_MAP)),
    context: StationContext = Depends(get_context),
) -> list[DetectionView]:
    """Stored detections of every camera for the map, oldest first (the newest ``limit`` that match)."""
    _check_window(since, until)
    query = DetectionQuery(
        since=since,
        until=until,
        bbox=parse_bbox(bbox),
        kinds=frozenset(k.value for k in kind) if kind else None,
        limit=limit,
    )
    return [DetectionView(**vars(r)) for r in await context.store.detections.find(query)]
