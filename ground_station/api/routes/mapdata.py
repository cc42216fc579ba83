"""Map layers for the web UI, from the loaded region: outline, state border, camera footprints, relief,
and the zones as raster tiles for overview zooms.

Every route needs ``view_map``; the browser sends its bearer token with each request (MapLibre's
``transformRequest`` for the hillshade tiles), so nothing of the region is public.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from shapely.geometry import mapping

from geodata.errors import InputError
from geodata.terrain.tiles import check_tile
from geodata.zones.tiles import DETAIL_MIN_ZOOM, ZoneTiles
from ground_station.api.context import StationContext, get_context
from ground_station.api.routes.geo import _region
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(prefix="/api/map", tags=["map"])

MapGuard = Depends(require(Permission.VIEW_MAP))
MAX_TILE_ZOOM = 16
T = TypeVar("T")


def _terrain_known(region: Any) -> bool:
    return str(region.terrain_status.quality).lower() != "unknown"


@router.get("/region", summary="The loaded region: outline, countries and whether terrain is loaded")
async def region_info(
    _: Principal = MapGuard, context: StationContext = Depends(get_context)
) -> dict[str, Any]:
    region = _region(context)
    terrain = region.terrain_status
    tiles = await asyncio.to_thread(_zone_tiles, region)
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
        # below detail_min_zoom the page draws zone tiles; tiles_version goes into their URL
        "zones": {"tiles_version": tiles.version, "detail_min_zoom": DETAIL_MIN_ZOOM},
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


class _PerRegion(Generic[T]):
    """A value derived once per loaded region (ray-cast footprints, projected zones), built off the event
    loop; concurrent first requests wait for one build, not one each."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self._build = build
        self._cached: dict[int, tuple[Any, T]] = {}  # id(region) -> (region, value)
        self._lock = threading.Lock()

    def __call__(self, region: Any) -> T:
        with self._lock:
            cached = self._cached.get(id(region))
            if cached is None or cached[0] is not region:
                cached = self._cached[id(region)] = (region, self._build(region))
            return cached[1]


def _build_footprints(region: Any) -> dict[str, Any]:
    from geodata.sensors import footprints_geojson

    collection = footprints_geojson(list(region.cameras), region.terrain)
    for camera, feature in zip(region.cameras, collection["features"], strict=True):
        feature["properties"].update(
            lon=camera.lon,
            lat=camera.lat,
            heading_deg=camera.heading_deg,
            hfov_deg=camera.hfov_deg,
        )
    return collection


_footprints = _PerRegion(_build_footprints)


@router.get("/cameras", summary="Fixed cameras with their ground footprints (null where terrain is unknown)")
async def camera_footprints(
    _: Principal = MapGuard, context: StationContext = Depends(get_context)
) -> dict[str, Any]:
    region = _region(context)
    return await asyncio.to_thread(_footprints, region)


class TileAddress:
    """z/x/y of an XYZ tile, from the path; 404 outside the zoom's grid."""

    def __init__(
        self, z: int = Path(ge=0, le=MAX_TILE_ZOOM), x: int = Path(ge=0), y: int = Path(ge=0)
    ) -> None:
        try:
            check_tile(z, x, y)
        except InputError:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no tile {z}/{x}/{y}") from None
        self.z, self.x, self.y = z, x, y


@router.get(
    "/hillshade/{z}/{x}/{y}.png",
    summary="Relief (hillshade) tile from the region's DEM; 204 where no terrain is loaded",
    responses={200: {"content": {"image/png": {}}}},
)
async def hillshade_tile(
    tile: TileAddress = Depends(),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> Response:
    region = _region(context)
    if not _terrain_known(region):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    from geodata.terrain.tiles import hillshade_tile_png

    return await _png_tile(tile, partial(hillshade_tile_png, region.terrain))


async def _png_tile(tile: TileAddress, draw: Callable[[int, int, int], bytes]) -> Response:
    """One tile, drawn off the event loop."""
    png = await asyncio.to_thread(draw, tile.z, tile.x, tile.y)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


_zone_tiles = _PerRegion(lambda region: ZoneTiles(region.zone_list))


def _zone_tile_png(region: Any, z: int, x: int, y: int) -> bytes:
    return bytes(_zone_tiles(region).png(z, x, y))


@router.get(
    "/zones/{z}/{x}/{y}.png",
    summary="Zones as a raster tile (fill and outline per restriction class) for overview zooms",
    description="The page draws zones as vectors (GET /api/zones) from zoom "
    "`geodata.zones.tiles.DETAIL_MIN_ZOOM`, and these tiles below it: their cost in the browser does not "
    "grow with the number of zones.",
    responses={200: {"content": {"image/png": {}}}},
)
async def zone_tile(
    tile: TileAddress = Depends(),
    _: Principal = MapGuard,
    context: StationContext = Depends(get_context),
) -> Response:
    return await _png_tile(tile, partial(_zone_tile_png, _region(context)))
