"""Missions as KML and GeoJSON files for the web page: import as a new mission, export a version.

The parsers and writers are ``missions.formats`` (the CLI's own). GeoJSON exported here reads back
exactly (the whole mission rides in a foreign member); KML is lossy by design (contract 10: heights above
home become heights above sea level where home's altitude is known, fence and rally points are dropped),
so the export says so in a header.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from enum import StrEnum

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from geodata.errors import InputError
from ground_station.api.context import StationContext, get_context
from ground_station.api.mission_ops import parse_mission
from ground_station.api.routes.missions import (
    MissionScope,
    MissionVersionView,
    MissionViewer,
    _create,
    _read_limited_body,
    version_response,
)
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.store.models import AuditAction
from missions.formats.geojson import dump_geojson, load_geojson
from missions.formats.kml import dump_kml, load_kml
from missions.model import Mission

router = APIRouter(tags=["missions"])

KML_TYPE = "application/vnd.google-earth.kml+xml"
GEOJSON_TYPE = "application/geo+json"


class FileFormat(StrEnum):
    KML = "kml"
    GEOJSON = "geojson"


def _loader(fmt: FileFormat, max_bytes: int) -> Callable[[bytes], Mission]:
    if fmt is FileFormat.KML:
        return lambda data: load_kml(data, max_bytes=max_bytes)
    return lambda data: load_geojson(data, max_bytes=max_bytes)


async def _import(
    fmt: FileFormat, request: Request, principal: Principal, context: StationContext
) -> Response:
    max_bytes = context.settings.max_input_bytes
    data = await _read_limited_body(request, max_bytes)
    try:
        mission = await asyncio.to_thread(_loader(fmt, max_bytes), data)
    except InputError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "message": f"the {fmt.value.upper()} file cannot be used",
                "problems": [{"location": p.location, "message": p.message} for p in exc.problems[:100]],
            },
        ) from None
    version = await _create(
        context, principal, mission, f"imported {fmt.value}", AuditAction.MISSION_IMPORTED
    )
    return await version_response(version, status.HTTP_201_CREATED)


def _file_body(fmt: FileFormat, example: str) -> dict[str, object]:
    media = KML_TYPE if fmt is FileFormat.KML else GEOJSON_TYPE
    return {
        "requestBody": {
            "required": True,
            "content": {media: {"schema": {"type": "string"}, "example": example}},
        }
    }


@router.post(
    "/api/missions/kml",
    response_model=MissionVersionView,
    status_code=status.HTTP_201_CREATED,
    summary="Import a KML file (Point placemarks in order) as a new mission",
    openapi_extra=_file_body(FileFormat.KML, '<kml xmlns="http://www.opengis.net/kml/2.2"/>'),
)
async def import_kml(
    request: Request,
    principal: Principal = Depends(require(Permission.EDIT_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> Response:
    return await _import(FileFormat.KML, request, principal, context)


@router.post(
    "/api/missions/geojson",
    response_model=MissionVersionView,
    status_code=status.HTTP_201_CREATED,
    summary="Import GeoJSON (a borderwatch export exactly, else its first LineString) as a new mission",
    openapi_extra=_file_body(FileFormat.GEOJSON, '{"type": "FeatureCollection", "features": []}'),
)
async def import_geojson(
    request: Request,
    principal: Principal = Depends(require(Permission.EDIT_MISSIONS)),
    context: StationContext = Depends(get_context),
) -> Response:
    return await _import(FileFormat.GEOJSON, request, principal, context)


def _render(fmt: FileFormat, body: dict[str, object]) -> bytes:
    mission = parse_mission(body)
    if fmt is FileFormat.KML:
        return dump_kml(mission)
    return json.dumps(dump_geojson(mission), indent=1, allow_nan=False).encode()


async def _export(fmt: FileFormat, version: int | None, scope: MissionScope) -> Response:
    found = await scope.version(version)
    data = await asyncio.to_thread(_render, fmt, found.body)
    headers = {"X-Borderwatch-Lossy": "true"} if fmt is FileFormat.KML else {}
    return Response(data, media_type=KML_TYPE if fmt is FileFormat.KML else GEOJSON_TYPE, headers=headers)


@router.get(
    "/api/missions/{mission_id}/kml",
    summary="Export a version as KML (lossy: see the module's note)",
    response_class=Response,
    responses={200: {"content": {KML_TYPE: {"schema": {"type": "string"}}}}},
)
async def export_kml(
    version: int | None = Query(default=None, ge=1), scope: MissionScope = MissionViewer
) -> Response:
    return await _export(FileFormat.KML, version, scope)


@router.get(
    "/api/missions/{mission_id}/geojson",
    summary="Export a version as GeoJSON (reads back exactly)",
    response_class=Response,
    responses={200: {"content": {GEOJSON_TYPE: {"schema": {"type": "object"}}}}},
)
async def export_geojson(
    version: int | None = Query(default=None, ge=1), scope: MissionScope = MissionViewer
) -> Response:
    return await _export(FileFormat.GEOJSON, version, scope)
