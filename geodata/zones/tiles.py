"""Zones drawn into XYZ raster tiles (Web Mercator, 256 px PNG) for the map's overview zooms.

Why raster: a browser redraws every vector polygon in view on each map repaint, and the planner repaints
on each edit; with 10,000 zones in view that was ~0.4 s a frame in software WebGL (``bench.bench_planner
--ablate``). A raster tile costs the same whatever the zone count. The page switches to the detailed,
clickable vector zones from ``DETAIL_MIN_ZOOM`` (few zones are in view there).

Same look as the vector layer: fill per restriction class (alpha ``FILL_ALPHA``), solid outlines, dashed
outlines for approximate zones, the most severe class drawn on top. Overlapping zones of one class are
drawn once (the overview answers "where is this class", the vector zoom answers "which zone is this").
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import shapely
from numpy.typing import NDArray

from geodata.terrain.png import encode_png
from geodata.terrain.tiles import TILE_SIZE_PX, check_tile
from geodata.zones.model import Restriction, Zone

DETAIL_MIN_ZOOM = 14
"""MapLibre zoom (512 px world) from which the page draws zones as vectors; below it, these tiles."""

RESTRICTION_RGB: dict[Restriction, tuple[int, int, int]] = {
    Restriction.PROHIBITED: (0xD7, 0x19, 0x1C),
    Restriction.REQ_AUTHORISATION: (0xFD, 0x8D, 0x3C),
    Restriction.CONDITIONAL: (0xF2, 0xD4, 0x22),
    Restriction.NO_RESTRICTION: (0x1A, 0x96, 0x41),
}
"""The vector layer's colours (``RESTRICTION_COLOURS`` in web/src/map.ts); grey for anything else."""
OTHER_RGB = (0x7F, 0x7F, 0x7F)
DRAW_ORDER = (
    Restriction.NO_RESTRICTION,
    Restriction.CONDITIONAL,
    Restriction.REQ_AUTHORISATION,
    Restriction.PROHIBITED,
)
"""Painted in this order, so where classes overlap the most severe one is on top."""
FILL_ALPHA = 0.28
LINE_ALPHA = 0.95
DASH_PX = 4
"""Approximate outlines: DASH_PX pixels drawn, DASH_PX left out, along both axes."""

_HALF_WORLD_M = math.pi * 6378137.0


def to_web_mercator(geometry: shapely.Geometry) -> shapely.Geometry:
    """Lon/lat (degrees) to EPSG:3857 metres, spherical formula (the tiles' own projection)."""

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = coords[:, 0], np.clip(coords[:, 1], -85.05112878, 85.05112878)
        x = lon / 180.0 * _HALF_WORLD_M
        y = np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0)) * 6378137.0
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


def tile_bounds_m(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of tile z/x/y in EPSG:3857 metres."""
    size = 2.0 * _HALF_WORLD_M / 2**z
    min_x = -_HALF_WORLD_M + x * size
    max_y = _HALF_WORLD_M - y * size
    return min_x, max_y - size, min_x + size, max_y


@dataclass(frozen=True)
class _ClassLayer:
    rgb: tuple[int, int, int]
    areas: NDArray[np.object_]
    """Footprints in EPSG:3857."""
    approximate: NDArray[np.bool_]
    tree: shapely.STRtree


class ZoneTiles:
    """The zones of one loaded region, ready to be drawn tile by tile (recently drawn tiles are kept)."""

    def __init__(self, zones: Iterable[Zone], cache_tiles: int = 512) -> None:
        grouped: dict[Restriction | None, list[Zone]] = {}
        for zone in zones:
            key = zone.restriction if zone.restriction in RESTRICTION_RGB else None
            grouped.setdefault(key, []).append(zone)
        order: Sequence[Restriction | None] = (None, *DRAW_ORDER)
        self._layers: list[_ClassLayer] = []
        for key in order:
            members = grouped.get(key, [])
            if not members:
                continue
            areas = np.array([to_web_mercator(z.footprint) for z in members], dtype=object)
            self._layers.append(
                _ClassLayer(
                    rgb=RESTRICTION_RGB[key] if key is not None else OTHER_RGB,
                    areas=areas,
                    approximate=np.array([z.approximate for z in members], dtype=bool),
                    tree=shapely.STRtree(areas),
                )
            )
        self.version = self._fingerprint()
        self.png = lru_cache(maxsize=cache_tiles)(self._png)

    def _fingerprint(self) -> str:
        """Changes whenever any tile would: the browser caches tiles, and a stale zone map must not survive
        a change of zones (the page puts this in the tile URL)."""
        digest = hashlib.sha1(usedforsecurity=False)
        for layer in self._layers:
            digest.update(bytes(layer.rgb))
            digest.update(layer.approximate.tobytes())
            for wkb in shapely.to_wkb(layer.areas):
                digest.update(wkb)
        return digest.hexdigest()[:16]

    def rgba(self, z: int, x: int, y: int) -> NDArray[np.uint8]:
        """The tile as (256, 256, 4) straight-alpha RGBA."""
        check_tile(z, x, y)
        min_x, min_y, max_x, max_y = tile_bounds_m(z, x, y)
        pixel = (max_x - min_x) / TILE_SIZE_PX
        # a margin so that outlines just outside the tile still draw their inner half
        query = shapely.box(min_x - pixel, min_y - pixel, max_x + pixel, max_y + pixel)
        to_pixels = _PixelGrid(min_x, max_y, pixel)
        shape = (TILE_SIZE_PX, TILE_SIZE_PX)
        rows, cols = np.indices(shape)
        dashes = ((rows // DASH_PX) + (cols // DASH_PX)) % 2 == 0
        colour = np.zeros((*shape, 3), dtype=np.float64)
        alpha = np.zeros(shape, dtype=np.float64)
        for layer in self._layers:
            hits = layer.tree.query(query)
            if hits.size == 0:
                continue
            areas = layer.areas[hits]
            solid = ~layer.approximate[hits]
            fill = to_pixels.fill(areas)
            edges = to_pixels.outline(areas[solid]) | (to_pixels.outline(areas[~solid]) & dashes)
            paint = np.where(edges, LINE_ALPHA, np.where(fill, FILL_ALPHA, 0.0))
            colour, alpha = _over(colour, alpha, np.array(layer.rgb, dtype=np.float64), paint)
        rgba = np.dstack([colour, alpha * 255.0])
        return np.asarray(np.round(rgba), dtype=np.uint8)

    def _png(self, z: int, x: int, y: int) -> bytes:
        return encode_png(self.rgba(z, x, y))


_SHIFT = 4
"""OpenCV's fixed-point vertices: coordinates in 1/16 pixel."""


@dataclass(frozen=True)
class _PixelGrid:
    """One tile's pixels: EPSG:3857 metres to OpenCV's fixed-point pixel coordinates, and drawing.
    OpenCV draws in C; rasterio's rasterize spent ~90 % of a tile converting shapes to GeoJSON in Python."""

    min_x: float
    max_y: float
    pixel_m: float

    def _rings(self, polygons: NDArray[np.object_]) -> tuple[list[NDArray[np.int32]], NDArray[np.intp]]:
        """Every ring (exterior and holes) in pixels, and the index of the polygon part each belongs to."""
        parts = shapely.get_parts(polygons)
        rings, part_of = shapely.get_rings(parts, return_index=True)
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        px = (coords[:, 0] - self.min_x) / self.pixel_m - 0.5
        py = (self.max_y - coords[:, 1]) / self.pixel_m - 0.5
        # far-away vertices clipped: OpenCV's fixed point overflows beyond ~2**27 / 16 pixels
        fixed = np.round(np.clip(np.column_stack([px, py]), -1e5, 1e5) * (1 << _SHIFT)).astype(np.int32)
        splits = np.flatnonzero(np.diff(ring_of)) + 1
        return list(np.split(fixed, splits)), part_of

    def fill(self, polygons: NDArray[np.object_]) -> NDArray[np.bool_]:
        mask = np.zeros((TILE_SIZE_PX, TILE_SIZE_PX), dtype=np.uint8)
        if polygons.size == 0:
            return mask.astype(bool)
        rings, part_of = self._rings(polygons)
        # one call per part: its holes are cut out (even-odd within the call), parts overlap as a union
        starts = np.flatnonzero(np.r_[True, np.diff(part_of) != 0])
        for first, end in zip(starts, [*starts[1:], len(rings)], strict=True):
            cv2.fillPoly(mask, rings[first:end], 1, lineType=cv2.LINE_8, shift=_SHIFT)
        return mask.astype(bool)

    def outline(self, polygons: NDArray[np.object_]) -> NDArray[np.bool_]:
        mask = np.zeros((TILE_SIZE_PX, TILE_SIZE_PX), dtype=np.uint8)
        if polygons.size == 0:
            return mask.astype(bool)
        rings, _ = self._rings(polygons)
        cv2.polylines(mask, rings, isClosed=True, color=1, thickness=1, lineType=cv2.LINE_8, shift=_SHIFT)
        return mask.astype(bool)


def _over(
    colour: NDArray[np.float64],
    alpha: NDArray[np.float64],
    rgb: NDArray[np.float64],
    paint: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Porter-Duff "over" of a one-colour layer with per-pixel alpha ``paint`` onto straight-alpha pixels."""
    out_alpha = paint + alpha * (1.0 - paint)
    safe = np.where(out_alpha > 0.0, out_alpha, 1.0)[..., np.newaxis]
    out_colour = (rgb * paint[..., np.newaxis] + colour * (alpha * (1.0 - paint))[..., np.newaxis]) / safe
    return out_colour, out_alpha
