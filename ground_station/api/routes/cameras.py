"""Cameras the station knows: configured streams (drone gimbals, simulator poles) and the region's poles."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(tags=["cameras"])


class CameraSource(StrEnum):
    CONFIG = "config"
    REGION = "region"


class CameraView(BaseModel):
    id: str
    kind: str
    source: CameraSource
    stream_url: str | None
    vehicle_id: str | None = None
    name: str | None = None
    organisation: str | None = None
    lon: float | None = None
    lat: float | None = None
    heading_deg: float | None = None
    tilt_deg: float | None = None
    hfov_deg: float | None = None
    max_range_m: float | None = None


@router.get("/api/cameras", response_model=list[CameraView])
async def list_cameras(
    _: Principal = Depends(require(Permission.VIEW_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> list[CameraView]:
    """Configured cameras first; a region camera with the same id adds its pose to the configured one."""
    region_cameras = {c.id: c for c in getattr(context.region, "cameras", None) or []}
    views = []
    for camera in context.settings.cameras:
        pole = region_cameras.pop(camera.id, None)
        views.append(
            CameraView(
                id=camera.id,
                kind=camera.kind,
                source=CameraSource.CONFIG,
                stream_url=camera.stream_url,
                vehicle_id=camera.vehicle_slug,
                name=getattr(pole, "name", None),
                organisation=getattr(pole, "organisation", None),
                lon=getattr(pole, "lon", None),
                lat=getattr(pole, "lat", None),
                heading_deg=getattr(pole, "heading_deg", None),
                tilt_deg=getattr(pole, "tilt_deg", None),
                hfov_deg=getattr(pole, "hfov_deg", None),
                max_range_m=getattr(pole, "max_range_m", None),
            )
        )
    for pole in region_cameras.values():
        views.append(
            CameraView(
                id=pole.id,
                kind="fixed",
                source=CameraSource.REGION,
                stream_url=pole.stream_url,
                name=pole.name,
                organisation=pole.organisation,
                lon=pole.lon,
                lat=pole.lat,
                heading_deg=pole.heading_deg,
                tilt_deg=pole.tilt_deg,
                hfov_deg=pole.hfov_deg,
                max_range_m=pole.max_range_m,
            )
        )
    return views
