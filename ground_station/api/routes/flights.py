"""Flights: list, track as GeoJSON (full rate), events, and the raw ``.tlog`` download."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from ground_station.api.context import StationContext, get_context
from ground_station.api.security import may_act_for, require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal
from ground_station.store.models import Flight

router = APIRouter(prefix="/api/flights", tags=["flights"])

FlightIdPath = Path(description="flight id", pattern=r"^[A-Za-z0-9_.:-]{1,128}$")


class FlightView(BaseModel):
    id: str
    vehicle_id: str
    started_at: datetime
    ended_at: datetime | None
    has_tlog: bool
    mission_id: str | None
    mission_version: int | None


class FlightEventView(BaseModel):
    kind: str
    time_utc: datetime
    detail: str | None


def flight_view(flight: Flight) -> FlightView:
    return FlightView(
        id=flight.id,
        vehicle_id=flight.vehicle_id,
        started_at=flight.started_at,
        ended_at=flight.ended_at,
        has_tlog=bool(flight.tlog_path),
        mission_id=flight.mission_id,
        mission_version=flight.mission_version,
    )


def _resolve_tlog(stored: str, tlog_dir: FsPath) -> tuple[FsPath | None, bool]:
    """Only files under the tlog directory are served, whatever path a flight record holds."""
    path = FsPath(stored).resolve()
    if not path.is_relative_to(tlog_dir.resolve()):
        return None, False
    return path, path.is_file()


async def _flight_for(context: StationContext, principal: Principal, flight_id: str) -> Flight:
    flight = await context.store.flights.get(flight_id)
    if flight is None or not may_act_for(principal, context.settings.vehicle_organisation(flight.vehicle_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"flight {flight_id!r} not found")
    return flight


def visible_flight(permission: Permission) -> Callable[..., Awaitable[Flight]]:
    """A dependency resolving the path's flight for a caller holding ``permission``; a flight of another
    organisation is "not found", like one that does not exist, so ids cannot be probed."""

    async def dependency(
        flight_id: str = FlightIdPath,
        principal: Principal = Depends(require(permission)),
        context: StationContext = Depends(get_context),
    ) -> Flight:
        return await _flight_for(context, principal, flight_id)

    return dependency


ViewedFlight = Depends(visible_flight(Permission.VIEW_FLIGHTS))


@router.get("", response_model=list[FlightView])
async def list_flights(
    vehicle_id: str | None = Query(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"),
    limit: int = Query(default=200, ge=1, le=5000),
    principal: Principal = Depends(require(Permission.VIEW_FLIGHTS)),
    context: StationContext = Depends(get_context),
) -> list[FlightView]:
    flights = await context.store.flights.find(vehicle_id, limit)
    return [
        flight_view(f)
        for f in flights
        if may_act_for(principal, context.settings.vehicle_organisation(f.vehicle_id))
    ]


@router.get("/{flight_id}", response_model=FlightView)
async def get_flight(flight: Flight = ViewedFlight) -> FlightView:
    return flight_view(flight)


@router.get("/{flight_id}/track", summary="Track as a GeoJSON FeatureCollection (LineString + times)")
async def flight_track(
    flight: Flight = ViewedFlight, context: StationContext = Depends(get_context)
) -> dict[str, Any]:
    points = await context.store.flights.track(flight.id)
    coordinates = [[p.lon, p.lat, p.alt_amsl_m] for p in points]
    geometry: dict[str, Any] = (
        {"type": "LineString", "coordinates": coordinates}
        if len(coordinates) >= 2
        else {"type": "Point", "coordinates": coordinates[0]}
        if coordinates
        else {"type": "LineString", "coordinates": []}
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "flight_id": flight.id,
                    "vehicle_id": flight.vehicle_id,
                    "altitude_reference": "AMSL",
                    "times_utc": [p.time_utc.isoformat() for p in points],
                    "alt_rel_m": [p.alt_rel_m for p in points],
                    "point_count": len(points),
                },
            }
        ],
    }


@router.get("/{flight_id}/events", response_model=list[FlightEventView])
async def flight_events(
    flight: Flight = ViewedFlight, context: StationContext = Depends(get_context)
) -> list[FlightEventView]:
    return [
        FlightEventView(kind=e.kind, time_utc=e.time_utc, detail=e.detail)
        for e in await context.store.flights.events(flight.id)
    ]


@router.get("/{flight_id}/tlog", summary="Raw MAVLink telemetry log (QGroundControl .tlog format)")
async def flight_tlog(
    flight: Flight = Depends(visible_flight(Permission.DOWNLOAD_TLOGS)),
    context: StationContext = Depends(get_context),
) -> FileResponse:
    if not flight.tlog_path:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"flight {flight.id!r} has no tlog")
    path, is_file = await asyncio.to_thread(_resolve_tlog, flight.tlog_path, context.settings.tlog_dir)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="tlog is outside the configured tlog directory")
    if not is_file:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"tlog file of flight {flight.id!r} is missing")
    return FileResponse(path, media_type="application/octet-stream", filename=f"{flight.id}.tlog")
