"""Map layers for the web UI, from the loaded region: outline, state border, camera footprints, relief.

Every route needs ``view_map``; the browser sends its bearer token with each request (MapLibre's
``transformRequest`` for the hillshade tiles), so nothing of the region is public.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from shapely.geometry import mapping

from ground_station.api.context import StationContext, get_context
from ground_station.api.routes.geo import _region
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(prefix="/api/map", tags=["map"])

MapGuard = Depends(require(Permission.VIEW_MAP))
MAX_TILE_ZOOM = 16


def _terrain_known(region: Any) -> bool:
    return str(region.terrain_status.quality).lower() != "unknown"


@router.get("/region", summary="The loaded region: outline, countries and whether terrain is loaded")
async def region_info(
    _: Principal = MapGuard, context: StationContext = Depends(get_context)
) -> dict[str, Any]:
    region = _region(context)
    terrain = region.terrain_status
    return {
        "name": region.name,
        "title": region.title,
        "bbox": list(region.bbox),
        "countries": dict(region.border.names),
        "terrain": {
            "loaded": _terrain_known(region),
            "quality": str(terrain.quality).lower(),
            "message": terrain.message,
        },
    }


@router.get("/border", summary="Country polygons and the state border line, as GeoJSON")
async def border(_: Principal = MapGuard, context: StationContext = Depends(get_context)) -> dict[str, Any]:
    region = _region(context)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": mapping(polygon),
            "properties": {"kind": "country", "iso3": code, "name": region.border.names.get(code, code)},
        }
        for code, polygon in region.border.countries.items()
    ]
    if not region.border.border_line.is_empty:
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(region.border.border_line),
                "properties": {"kind": "border"},
            }
        )
    return {"type": "FeatureCollection", "features": features}


_FOOTPRINTS: dict[int, tuple[Any, dict[str, Any]]] = {}
"""id(region) -> (region, footprints): ray-casting is done once per loaded region."""


def _footprints(region: Any) -> dict[str, Any]:
    cached = _FOOTPRINTS.get(id(region))
    if cached is not None and cached[0] is region:
        return cached[1]
    from geodata.sensors import footprints_geojson

    collection = footprints_geojson(list(region.cameras), region.terrain)
    for camera, feature in zip(region.cameras, collection["features"], strict=True):
        feature["properties"].update(
            lon=camera.lon,
            lat=camera.lat,
            heading_deg=camera.heading_deg,
            hfov_deg=camera.hfov_deg,
        )
    _FOOTPRINTS[id(region)] = (region, collection)
    return collection


@router.get("/cameras", summary="Fixed cameras with their ground footprints (null where terrain is unknown)")
async def camera_footprints(
    _: Principal = MapGuard, context: StationContext = Depends(get_context)
) -> dict[str, Any]:
    region = _region(context)
    return await asyncio.to_thread(_footprints, region)


@router.get(
    "/hillshade/{z}/{x}/{y}.png",
    summary="Relief (hillshade) tile from the region's DEM; 204 where no terrain is loaded",
    responses={200: {"content": {"image/png": {}}}},
)
async def hillshade_tile(
    z: int = Path(ge=0, le=MAX_TILE_ZOOM),
    x: int = Path(ge=0),
    y: int = Path(ge=0),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> Response:
    region = _region(context)
    if not _terrain_known(region):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    limit = 2**z
    if x >= limit or y >= limit:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no tile {z}/{x}/{y}")
    from geodata.terrain.tiles import hillshade_tile_png

    png = await asyncio.to_thread(hillshade_tile_png, region.terrain, z, x, y)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
