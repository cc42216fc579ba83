"""Zones and terrain queries over the loaded region (read-only map data every role may see)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel
from shapely.geometry import box, mapping

from geodata.vertical import VerticalRef
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(tags=["map"])

MapGuard = Depends(require(Permission.VIEW_MAP))
MAX_BBOX_DEGREES = 5.0


class TerrainElevation(BaseModel):
    lon: float
    lat: float
    elevation_amsl_m: float | None
    accuracy_m: float | None
    quality: str


def _region(context: StationContext) -> Any:
    if context.region is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"no region loaded: {context.region_error or 'unknown'}",
        )
    return context.region


def _limit(value: float) -> float | None:
    return None if math.isinf(value) else value


def _authority(zone: Any) -> dict[str, str] | None:
    authority = getattr(zone, "authority", None)
    if authority is None:
        return None
    fields = ("name", "service", "email", "phone", "site_url")
    return {name: getattr(authority, name) for name in fields if getattr(authority, name, "")}


def zone_feature(zone: Any) -> dict[str, Any]:
    """One zone as GeoJSON (lon/lat), with its vertical band per volume and applicability."""
    volumes = [
        {
            "lower_m": _limit(v.lower.value_m),
            "lower_ref": str(v.lower.ref),
            "lower_text": v.lower.text,
            "upper_m": _limit(v.upper.value_m),
            "upper_ref": str(v.upper.ref),
            "upper_text": v.upper.text,
        }
        for v in zone.volumes
    ]
    return {
        "type": "Feature",
        "id": zone.uid or zone.identifier,
        "geometry": mapping(zone.footprint),
        "properties": {
            "identifier": zone.identifier,
            "uid": zone.uid,
            "country": zone.country,
            "name": zone.name,
            "restriction": str(zone.restriction),
            "reasons": list(zone.reasons),
            "message": zone.message,
            "approximate": zone.approximate,
            "permanent": zone.applicability.permanent,
            "volumes": volumes,
            "authority": _authority(zone),
            "source": zone.source,
        },
    }


def _as_zone(hit: Any) -> Any:
    """Queries may return zones or hit records that carry one."""
    return getattr(hit, "zone", hit)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) != 4:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="query: bbox: expected 4 comma-separated numbers min_lon,min_lat,max_lon,max_lat",
        )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="query: bbox: values must be numbers"
        ) from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail="query: bbox: values must be finite"
        )
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="query: bbox: need -180<=min_lon<max_lon<=180 and -90<=min_lat<max_lat<=90",
        )
    if max_lon - min_lon > MAX_BBOX_DEGREES or max_lat - min_lat > MAX_BBOX_DEGREES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"query: bbox: at most {MAX_BBOX_DEGREES} degrees a side",
        )
    return min_lon, min_lat, max_lon, max_lat


@router.get("/api/zones", summary="Zones touching a bounding box, as GeoJSON")
async def zones_in_bbox(
    bbox: str = Query(max_length=200, description="min_lon,min_lat,max_lon,max_lat (WGS84)"),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> dict[str, Any]:
    region = _region(context)
    area = box(*parse_bbox(bbox))
    zones = [_as_zone(hit) for hit in region.zones.in_area(area)]
    return {"type": "FeatureCollection", "features": [zone_feature(z) for z in zones]}


@router.get("/api/zones/at", summary="Zones containing a point at an altitude")
async def zones_at_point(
    lon: float = Query(ge=-180.0, le=180.0),
    lat: float = Query(ge=-90.0, le=90.0),
    alt: float = Query(ge=-500.0, le=20_000.0, description="altitude in metres in the frame `ref`"),
    ref: VerticalRef = Query(default=VerticalRef.AGL),
    at: AwareDatetime | None = Query(default=None, description="time (UTC) for applicability; default now"),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> dict[str, Any]:
    region = _region(context)
    ground = float(
        np.asarray(region.terrain.sample(np.array([lon]), np.array([lat])).elevation_amsl_m).ravel()[0]
    )
    hits = region.zones.at_point(
        lon, lat, alt, ref, at=at, ground_amsl_m=ground if math.isfinite(ground) else None
    )
    features = []
    for hit in hits:
        feature = zone_feature(_as_zone(hit))
        feature["properties"]["uncertain"] = bool(getattr(hit, "uncertain", False))
        feature["properties"]["notes"] = list(getattr(hit, "notes", ()))
        features.append(feature)
    return {
        "type": "FeatureCollection",
        "features": features,
        "query": {
            "lon": lon,
            "lat": lat,
            "alt_m": alt,
            "ref": ref.value,
            "ground_amsl_m": ground if math.isfinite(ground) else None,
        },
    }


@router.get("/api/terrain/elevation", response_model=TerrainElevation)
async def terrain_elevation(
    lon: float = Query(ge=-180.0, le=180.0),
    lat: float = Query(ge=-90.0, le=90.0),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> TerrainElevation:
    region = _region(context)
    sample = region.terrain.sample(np.array([lon]), np.array([lat]))
    elevation = float(np.asarray(sample.elevation_amsl_m).ravel()[0])
    accuracy = float(np.asarray(sample.accuracy_m).ravel()[0])
    known = math.isfinite(elevation)
    return TerrainElevation(
        lon=lon,
        lat=lat,
        elevation_amsl_m=elevation if known else None,
        accuracy_m=accuracy if math.isfinite(accuracy) else None,
        quality=str(np.asarray(sample.quality).ravel()[0]),
    )


MAX_PROFILE_VERTICES = 400
MAX_PROFILE_SAMPLES = 5000


def _parse_path(text: str) -> tuple[list[float], list[float]]:
    lons: list[float] = []
    lats: list[float] = []
    for index, pair in enumerate(text.split(";")):
        parts = pair.split(",")
        try:
            lon, lat = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
        except ValueError:
            lon = lat = math.nan
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"query: path: vertex {index} is not 'lon,lat' in degrees",
            )
        lons.append(lon)
        lats.append(lat)
    if not 2 <= len(lons) <= MAX_PROFILE_VERTICES:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"query: path: between 2 and {MAX_PROFILE_VERTICES} vertices",
        )
    return lons, lats


def _or_none(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).ravel()]


@router.get("/api/terrain/profile", summary="Terrain along a path (the planner's altitude profile)")
async def terrain_profile(
    path: str = Query(
        max_length=10_000,
        pattern=r"^[-+0-9.,;eE]+$",
        description="lon,lat;lon,lat;… (WGS84), 2 to 400 vertices",
    ),
    spacing_m: float = Query(default=20.0, ge=1.0, le=10_000.0, description="largest gap between samples"),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> dict[str, Any]:
    region = _region(context)
    lons, lats = _parse_path(path)
    profile = region.terrain.profile(np.array(lons), np.array(lats), spacing_m)
    if len(profile.distance_m) > MAX_PROFILE_SAMPLES:
        length = float(profile.distance_m[-1])
        profile = region.terrain.profile(np.array(lons), np.array(lats), length / (MAX_PROFILE_SAMPLES - 1))
    return {
        "distance_m": _or_none(profile.distance_m),
        "elevation_amsl_m": _or_none(profile.elevation_amsl_m),
        "accuracy_m": _or_none(profile.accuracy_m),
        "vertex_index": [int(i) for i in np.asarray(profile.vertex_index).ravel()],
        "quality": str(profile.worst_quality).lower(),
    }
