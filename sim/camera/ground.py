"""Ground imagery for the renderer: shaded texture tiles in UTM 33N, cached, composed into mosaics.

A camera frame is drawn by warping a few mosaics (coarse to fine) with one homography each, so the cost
per frame is a handful of cv2.warpPerspective calls whatever the texture's complexity. Tiles are keyed by
their global index, so the world looks the same wherever a camera comes from.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from geodata.crs import Crs, transform
from geodata.terrain import Terrain
from sim.camera.texture import TileWindow, hillshade, render_ground_texture

ImageU8 = NDArray[np.uint8]

log = logging.getLogger(__name__)

SHADE_GRID = 17  # terrain samples per tile side for hillshade (DEM pixels are much coarser anyway)


@dataclass(frozen=True)
class DetailLevel:
    """One level of detail: metres per texel and texels per tile side; mosaics are 3 x 3 tiles."""

    res_m: float
    tile_px: int

    @property
    def tile_m(self) -> float:
        return self.res_m * self.tile_px

    @property
    def mosaic_m(self) -> float:
        return 3.0 * self.tile_m


# Coarse (6 km mosaic, to the horizon haze), medium (1.5 km) and fine (384 m, a drone at 120 m sees 170 m).
DEFAULT_LEVELS: tuple[DetailLevel, ...] = (
    DetailLevel(res_m=4.0, tile_px=512),
    DetailLevel(res_m=1.0, tile_px=512),
    DetailLevel(res_m=0.25, tile_px=512),
)


class TileCache:
    """Shaded ground tiles by (level, column, row), least recently used evicted first.

    Thread-safe: cameras render in their own worker threads and share one cache per terrain and seed,
    so two cameras over the same place render its tiles once. Tiles are read-only once cached.
    """

    def __init__(self, terrain: Terrain, seed: int, *, capacity: int = 192) -> None:
        self._terrain = terrain
        self._seed = seed
        self._capacity = capacity
        self._tiles: OrderedDict[tuple[float, int, int, int], ImageU8] = OrderedDict()
        self._inflight: dict[tuple[float, int, int, int], threading.Event] = {}
        self._lock = threading.Lock()

    def tile(self, level: DetailLevel, col: int, row: int) -> ImageU8:
        key = (level.res_m, level.tile_px, col, row)
        while True:
            with self._lock:
                hit = self._tiles.get(key)
                if hit is not None:
                    self._tiles.move_to_end(key)
                    return hit
                pending = self._inflight.get(key)
                if pending is None:
                    pending = self._inflight[key] = threading.Event()
                    break
            pending.wait()  # another thread (a camera or the prefetcher) is rendering it right now
        try:
            tile = self._render(level, col, row)  # outside the lock: other cameras keep rendering
            tile.setflags(write=False)
            with self._lock:
                self._tiles[key] = tile
                while len(self._tiles) > self._capacity:
                    self._tiles.popitem(last=False)
            return tile
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            pending.set()

    def has(self, level: DetailLevel, col: int, row: int) -> bool:
        key = (level.res_m, level.tile_px, col, row)
        with self._lock:
            return key in self._tiles or key in self._inflight

    def prefetch(self, level: DetailLevel, tiles: list[tuple[int, int]]) -> None:
        """Renders tiles a camera will need soon on the background thread, so its frames do not stall."""
        wanted = [t for t in tiles if not self.has(level, *t)]
        if wanted:
            _PREFETCHER.submit(self._prefetch, level, wanted)

    def _prefetch(self, level: DetailLevel, tiles: list[tuple[int, int]]) -> None:
        for col, row in tiles:
            try:
                self.tile(level, col, row)
            except Exception:  # a failed prefetch is retried (and reported) by the camera that needs it
                log.debug("prefetch of tile %s failed", (level.res_m, col, row), exc_info=True)

    def _render(self, level: DetailLevel, col: int, row: int) -> ImageU8:
        # Tile (col, row) spans eastings [col, col+1) * tile_m and northings (row-1, row] * tile_m.
        win = TileWindow(
            west_e=col * level.tile_m,
            north_n=row * level.tile_m,
            res_m=level.res_m,
            width=level.tile_px,
            height=level.tile_px,
        )
        texture = render_ground_texture(win, self._seed)
        texture *= self._shade(win)[..., None]
        return np.clip(texture, 0, 255).astype(np.uint8)

    def _shade(self, win: TileWindow) -> NDArray[np.float32]:
        extent = win.width * win.res_m
        spacing = extent / (SHADE_GRID - 1)
        # One extra sample on each side so the gradient at the tile edge matches the neighbour's.
        offsets = (np.arange(-1, SHADE_GRID + 1)) * spacing
        east = win.west_e + offsets
        north = win.north_n - offsets
        ee, nn = np.meshgrid(east, north)
        lon, lat = transform(ee.ravel(), nn.ravel(), Crs.UTM33N, Crs.WGS84)
        elevation = self._terrain.sample(lon, lat).elevation_amsl_m.reshape(ee.shape)
        shade_grid = hillshade(np.asarray(elevation, dtype=np.float64), spacing)
        step = win.res_m / spacing
        affine = np.array([[step, 0.0, 0.5 * step + 1.0], [0.0, step, 0.5 * step + 1.0]])
        shade = cv2.warpAffine(
            shade_grid,
            affine,
            (win.width, win.height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return np.asarray(shade, dtype=np.float32)


# One background thread for all cameras: tile rendering ahead of a moving camera, never in parallel
# with itself, so a demo with many cameras does not grow a thread per camera.
_PREFETCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="camera-tile-prefetch")
PREFETCH_EDGE_FRACTION = 0.3

_SHARED: dict[tuple[int, int], tuple[Terrain, TileCache]] = {}
_SHARED_LOCK = threading.Lock()


def shared_tile_cache(terrain: Terrain, seed: int) -> TileCache:
    """The process-wide tile cache for this terrain object and seed."""
    key = (id(terrain), seed)
    with _SHARED_LOCK:
        entry = _SHARED.get(key)
        if entry is None or entry[0] is not terrain:  # id() reused after the old terrain died
            entry = (terrain, TileCache(terrain, seed))
            _SHARED[key] = entry
            while len(_SHARED) > 8:
                _SHARED.pop(next(iter(_SHARED)))
        return entry[1]


@dataclass
class Mosaic:
    """3 x 3 tiles of one level around a centre tile, with the UTM of its top-left corner."""

    level: DetailLevel
    centre: tuple[int, int]
    image: ImageU8

    @property
    def west_e(self) -> float:
        return (self.centre[0] - 1) * self.level.tile_m

    @property
    def north_n(self) -> float:
        return (self.centre[1] + 1) * self.level.tile_m

    def utm_to_texel(self) -> NDArray[np.float64]:
        res = self.level.res_m
        return np.array(
            [
                [1.0 / res, 0.0, -self.west_e / res - 0.5],
                [0.0, -1.0 / res, self.north_n / res - 0.5],
                [0.0, 0.0, 1.0],
            ]
        )

    def contains_points(self, east: NDArray[np.float64], north: NDArray[np.float64]) -> NDArray[np.bool_]:
        # Half a texel of margin: bilinear sampling needs both neighbours inside the image.
        margin = self.level.res_m
        size = self.level.mosaic_m
        with np.errstate(invalid="ignore"):
            return (
                (east >= self.west_e + margin)
                & (east <= self.west_e + size - margin)
                & (north <= self.north_n - margin)
                & (north >= self.north_n - size + margin)
            )


def tile_index(level: DetailLevel, east: float, north: float) -> tuple[int, int]:
    return math.floor(east / level.tile_m), math.ceil(north / level.tile_m)


class MosaicSet:
    """The current mosaic of every level, rebuilt only when its centre tile changes."""

    def __init__(self, cache: TileCache, levels: tuple[DetailLevel, ...] = DEFAULT_LEVELS) -> None:
        self._cache = cache
        self.levels = levels
        self._mosaics: dict[float, Mosaic] = {}

    def mosaic(self, level: DetailLevel, east: float, north: float) -> Mosaic:
        centre = tile_index(level, east, north)
        self._prefetch_ahead(level, east, north, centre)
        current = self._mosaics.get(level.res_m)
        if current is not None and current.centre == centre:
            return current
        px = level.tile_px
        image = np.empty((3 * px, 3 * px, 3), dtype=np.uint8)
        for dr in range(3):
            for dc in range(3):
                tile = self._cache.tile(level, centre[0] - 1 + dc, centre[1] + 1 - dr)
                image[dr * px : (dr + 1) * px, dc * px : (dc + 1) * px] = tile
        mosaic = Mosaic(level=level, centre=centre, image=image)
        self._mosaics[level.res_m] = mosaic
        return mosaic

    def _prefetch_ahead(self, level: DetailLevel, east: float, north: float, centre: tuple[int, int]) -> None:
        """Near the edge of the centre tile, the next mosaic is one tile over: render its new tiles now."""
        across = east / level.tile_m - centre[0]  # 0 at the west edge .. 1 at the east edge
        down = centre[1] - north / level.tile_m  # 0 at the north edge .. 1 at the south edge
        dc = -1 if across < PREFETCH_EDGE_FRACTION else (1 if across > 1 - PREFETCH_EDGE_FRACTION else 0)
        dr = 1 if down < PREFETCH_EDGE_FRACTION else (-1 if down > 1 - PREFETCH_EDGE_FRACTION else 0)
        if dc == 0 and dr == 0:
            return
        col, row = centre[0] + dc, centre[1] + dr
        self._cache.prefetch(level, [(col + i, row + j) for j in (1, 0, -1) for i in (-1, 0, 1)])
