"""Procedural ground texture: fields, roads, forest and villages, as a pure function of world position.

The world is described in UTM 33N metres (easting, northing), so the same place looks the same from
every camera, at every level of detail and in every run with the same seed. A 1.5 km DEM pixel would
be one flat colour; this adds the structure a detector or a human needs to judge motion and scale.

Layout: a grid of ~150 m parcels with jittered boundaries (separable, so cell lookup is 1-D per axis).
Each parcel is forest, village (lots with pitched-roof houses) or a field (crop colour and stripes).
Some boundaries carry 6 m asphalt roads, the rest narrow hedgerows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

PARCEL_M = 150.0
BOUNDARY_JITTER_M = 35.0
ROAD_HALF_WIDTH_M = 3.0
HEDGE_HALF_WIDTH_M = 0.8
ROAD_PROBABILITY = 0.35
LOT_M = 30.0

_MASK32 = np.uint64(0xFFFFFFFF)

# BGR palettes (OpenCV order), 0..255.
_FIELD_COLOURS = np.array(
    [
        [60, 150, 95],  # green crop
        [70, 170, 200],  # ripe wheat
        [55, 85, 120],  # ploughed soil
        [80, 160, 120],  # meadow
        [50, 120, 80],  # dark crop
        [90, 185, 210],  # rapeseed stubble
    ],
    dtype=np.float32,
)
_FOREST_COLOUR = np.array([40, 80, 35], dtype=np.float32)
_GARDEN_COLOUR = np.array([70, 135, 95], dtype=np.float32)
_ROAD_COLOUR = np.array([95, 98, 100], dtype=np.float32)
_HEDGE_COLOUR = np.array([35, 90, 45], dtype=np.float32)
_ROOF_COLOURS = np.array(
    [[45, 70, 165], [70, 70, 75], [40, 60, 110], [90, 95, 120], [60, 90, 190]], dtype=np.float32
)


class LandUse:
    FIELD = 0
    FOREST = 1
    VILLAGE = 2


def hash_unit(*coords: IntArray | int, seed: int) -> FloatArray:
    """Deterministic uniform [0, 1) per integer coordinate tuple (vectorised, platform independent)."""
    arrays = np.broadcast_arrays(*[np.asarray(c, dtype=np.int64) for c in coords])
    h = np.full(arrays[0].shape, (seed * 0x9E3779B1 + 0x85EBCA6B) & 0xFFFFFFFF, dtype=np.uint64)
    primes = (0x27D4EB2F, 0x165667B1, 0xC2B2AE3D, 0x61C88647)
    for i, a in enumerate(arrays):
        h = (h ^ ((a.astype(np.uint64) & _MASK32) * np.uint64(primes[i % 4]))) & _MASK32
        h = ((h ^ (h >> np.uint64(15))) * np.uint64(0x2C1B3C6D)) & _MASK32
        h = ((h ^ (h >> np.uint64(12))) * np.uint64(0x297A2D39)) & _MASK32
        h = h ^ (h >> np.uint64(15))
    return h.astype(np.float64) / 4294967296.0


def value_noise_at(e: FloatArray, n: FloatArray, scale_m: float, seed: int) -> FloatArray:
    """Smooth noise in [0, 1) at arbitrary points (for a few points, e.g. parcel centres)."""
    x = np.asarray(e) / scale_m
    y = np.asarray(n) / scale_m
    ix = np.floor(x).astype(np.int64)
    iy = np.floor(y).astype(np.int64)
    fx = x - ix
    fy = y - iy
    sx = fx * fx * (3 - 2 * fx)
    sy = fy * fy * (3 - 2 * fy)
    v00 = hash_unit(ix, iy, seed=seed)
    v10 = hash_unit(ix + 1, iy, seed=seed)
    v01 = hash_unit(ix, iy + 1, seed=seed)
    v11 = hash_unit(ix + 1, iy + 1, seed=seed)
    return (v00 * (1 - sx) + v10 * sx) * (1 - sy) + (v01 * (1 - sx) + v11 * sx) * sy


@dataclass(frozen=True)
class TileWindow:
    """A north-up raster window in UTM metres: top-left corner, metres per texel, size in texels."""

    west_e: float
    north_n: float
    res_m: float
    width: int
    height: int

    def eastings(self) -> FloatArray:
        return np.asarray(self.west_e + (np.arange(self.width) + 0.5) * self.res_m, dtype=np.float64)

    def northings(self) -> FloatArray:
        return np.asarray(self.north_n - (np.arange(self.height) + 0.5) * self.res_m, dtype=np.float64)


def value_noise_grid(win: TileWindow, scale_m: float, seed: int) -> NDArray[np.float32]:
    """Value noise over a window: lattice values hashed, then bilinearly warped up with OpenCV."""
    i0 = int(np.floor(win.west_e / scale_m)) - 1
    i1 = int(np.ceil((win.west_e + win.width * win.res_m) / scale_m)) + 1
    j_top = int(np.ceil(win.north_n / scale_m)) + 1
    j_bottom = int(np.floor((win.north_n - win.height * win.res_m) / scale_m)) - 1
    cols = np.arange(i0, i1 + 1)
    rows = np.arange(j_top, j_bottom - 1, -1)
    lattice = hash_unit(cols[None, :], rows[:, None], seed=seed).astype(np.float32)
    step = win.res_m / scale_m
    affine = np.array(
        [
            [step, 0.0, (win.west_e + 0.5 * win.res_m) / scale_m - i0],
            [0.0, step, j_top - (win.north_n - 0.5 * win.res_m) / scale_m],
        ]
    )
    warped = cv2.warpAffine(
        lattice,
        affine,
        (win.width, win.height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(warped, dtype=np.float32)


@dataclass(frozen=True)
class _AxisCells:
    cell: IntArray  # parcel index along this axis for each texel column/row
    dist_m: FloatArray  # distance to the nearest parcel boundary
    boundary: IntArray  # index of that nearest boundary


def _axis_cells(coords: FloatArray, axis: int, seed: int) -> _AxisCells:
    def boundary_pos(k: IntArray) -> FloatArray:
        jitter = (hash_unit(k, axis, seed=seed) - 0.5) * 2.0 * BOUNDARY_JITTER_M
        return k * PARCEL_M + jitter

    k = np.floor(coords / PARCEL_M).astype(np.int64)
    k = np.where(coords < boundary_pos(k), k - 1, k)
    k = np.where(coords >= boundary_pos(k + 1), k + 1, k)
    lower = coords - boundary_pos(k)
    upper = boundary_pos(k + 1) - coords
    nearest = np.where(lower <= upper, k, k + 1)
    return _AxisCells(cell=k, dist_m=np.minimum(lower, upper), boundary=nearest)


def _parcel_classes(cells_e: IntArray, cells_n: IntArray, seed: int) -> tuple[IntArray, IntArray]:
    """Land use and a palette index per parcel, over the small grid of parcels a window touches."""
    ce = np.asarray((cells_e[None, :] + 0.5) * PARCEL_M, dtype=np.float64)
    cn = np.asarray((cells_n[:, None] + 0.5) * PARCEL_M, dtype=np.float64)
    forest = value_noise_at(ce, cn, 700.0, seed + 11) > 0.66
    village = value_noise_at(ce, cn, 1100.0, seed + 23) > 0.72
    land = np.where(forest, LandUse.FOREST, np.where(village, LandUse.VILLAGE, LandUse.FIELD))
    palette = (hash_unit(cells_e[None, :], cells_n[:, None], seed=seed + 5) * len(_FIELD_COLOURS)).astype(
        np.int64
    )
    return land.astype(np.int64), palette


def render_ground_texture(win: TileWindow, seed: int) -> NDArray[np.float32]:
    """BGR float32 texture (0..255) of the window, before terrain shading."""
    e = win.eastings()
    n = win.northings()
    ax_e = _axis_cells(e, 0, seed)
    ax_n = _axis_cells(n, 1, seed)
    ue, inv_e = np.unique(ax_e.cell, return_inverse=True)
    un, inv_n = np.unique(ax_n.cell, return_inverse=True)
    land_small, palette_small = _parcel_classes(ue, un, seed)
    land = land_small[inv_n[:, None], inv_e[None, :]]
    palette = palette_small[inv_n[:, None], inv_e[None, :]]

    img = _FIELD_COLOURS[palette]  # (H, W, 3)

    # Field stripes: direction per parcel (east-west or north-south), period 3-6 m.
    stripe_dir = (hash_unit(ue[None, :], un[:, None], seed=seed + 7) > 0.5)[inv_n[:, None], inv_e[None, :]]
    stripe_coord = np.where(stripe_dir, e[None, :], n[:, None])
    stripes = 1.0 + 0.07 * np.sin(stripe_coord * (2 * np.pi / 4.5)).astype(np.float32)
    img *= stripes[..., None]

    is_forest = land == LandUse.FOREST
    if is_forest.any():
        crowns = value_noise_grid(win, max(4.0, 2.0 * win.res_m), seed + 31)
        img[is_forest] = _FOREST_COLOUR * (0.65 + 0.7 * crowns[is_forest])[:, None]

    is_village = land == LandUse.VILLAGE
    if is_village.any():
        _draw_village(img, is_village, e, n, seed)

    _draw_boundaries(img, ax_e, ax_n, e, n, is_forest, seed)

    # Metre-scale mottling so no area is a flat colour at any zoom.
    # Layers finer than two texels would only alias, so coarse levels swap them for per-texel grain.
    mottle = value_noise_grid(win, max(9.0, 2.0 * win.res_m), seed + 41) * 0.18
    if win.res_m * 2.0 <= 1.7:
        mottle += value_noise_grid(win, 1.7, seed + 43) * 0.12
    else:
        mottle += _texel_grain(win, seed + 43) * 0.12
    img *= (0.85 + mottle)[..., None]
    return img


def _texel_grain(win: TileWindow, seed: int) -> NDArray[np.float32]:
    # Seeded by the window's position, so a given tile always gets the same grain.
    key = hash_unit(round(win.west_e), round(win.north_n), int(win.res_m * 1000), seed=seed)
    rng = np.random.default_rng(int(float(key[()]) * 2**32))
    return rng.random((win.height, win.width), dtype=np.float32)


def _draw_village(
    img: NDArray[np.float32], mask: NDArray[np.bool_], e: FloatArray, n: FloatArray, seed: int
) -> None:
    img[mask] = _GARDEN_COLOUR
    lot_e = np.floor(e / LOT_M).astype(np.int64)
    lot_n = np.floor(n / LOT_M).astype(np.int64)
    fe = e / LOT_M - lot_e  # position inside the lot, 0..1
    fn = n / LOT_M - lot_n
    le, inv_le = np.unique(lot_e, return_inverse=True)
    ln, inv_ln = np.unique(lot_n, return_inverse=True)
    has_house = hash_unit(le[None, :], ln[:, None], seed=seed + 51) < 0.7
    half_w = 0.15 + 0.15 * hash_unit(le[None, :], ln[:, None], seed=seed + 53)  # fraction of the lot
    half_h = 0.12 + 0.12 * hash_unit(le[None, :], ln[:, None], seed=seed + 57)
    roof = (hash_unit(le[None, :], ln[:, None], seed=seed + 59) * len(_ROOF_COLOURS)).astype(np.int64)
    hw = half_w[inv_ln[:, None], inv_le[None, :]]
    hh = half_h[inv_ln[:, None], inv_le[None, :]]
    de = fe[None, :] - 0.5
    dn = fn[:, None] - 0.5
    inside = (np.abs(de) < hw) & (np.abs(dn) < hh) & has_house[inv_ln[:, None], inv_le[None, :]] & mask
    if not inside.any():
        return
    colour = _ROOF_COLOURS[roof[inv_ln[:, None], inv_le[None, :]]]
    # Pitched roof: the half facing away from the light is darker, ridge along the longer side.
    ridge_along_e = hw > hh
    shaded = np.where(ridge_along_e, dn < 0, de < 0)
    colour = colour * np.where(shaded, 0.72, 1.0)[..., None].astype(np.float32)
    img[inside] = colour[inside]


def _road_flags(boundary: IntArray, block: IntArray, axis: int, seed: int) -> NDArray[np.bool_]:
    """Hash only the few distinct (boundary, block) pairs a window has, then broadcast them."""
    ub, inv_b = np.unique(boundary, return_inverse=True)
    uk, inv_k = np.unique(block, return_inverse=True)
    table = hash_unit(ub[:, None], uk[None, :], axis, seed=seed) < ROAD_PROBABILITY
    return np.asarray(table[inv_b.reshape(boundary.shape), inv_k.reshape(block.shape)], dtype=np.bool_)


def _draw_boundaries(
    img: NDArray[np.float32],
    ax_e: _AxisCells,
    ax_n: _AxisCells,
    e: FloatArray,
    n: FloatArray,
    in_forest: NDArray[np.bool_],
    seed: int,
) -> None:
    # A boundary carries a road in 600 m long runs (blocks of 4 parcels), else a hedgerow.
    road_e = _road_flags(ax_e.boundary[None, :], (ax_n.cell // 4)[:, None], 0, seed + 61)
    road_n = _road_flags(ax_n.boundary[:, None], (ax_e.cell // 4)[None, :], 1, seed + 67)
    near_e = ax_e.dist_m[None, :]
    near_n = ax_n.dist_m[:, None]
    on_road = (road_e & (near_e < ROAD_HALF_WIDTH_M)) | (road_n & (near_n < ROAD_HALF_WIDTH_M))
    # Hedgerows edge fields; inside a forest they would draw a grid on the canopy.
    on_hedge = ((near_e < HEDGE_HALF_WIDTH_M) | (near_n < HEDGE_HALF_WIDTH_M)) & ~on_road & ~in_forest
    img[on_hedge] = _HEDGE_COLOUR
    img[on_road] = _ROAD_COLOUR
    # Dashed white centre line: helps judge motion and scale on asphalt.
    centre_e = road_e & (near_e < 0.1) & (np.mod(n, 6.0) < 3.0)[:, None]
    centre_n = road_n & (near_n < 0.1) & (np.mod(e, 6.0) < 3.0)[None, :]
    img[(centre_e | centre_n) & on_road] = (200, 200, 200)


def hillshade(
    elevation_m: NDArray[np.float64], spacing_m: float, azimuth_deg: float = 315.0, altitude_deg: float = 45.0
) -> NDArray[np.float32]:
    """Relative terrain shading, 1.0 on flat ground; NaN elevations count as flat."""
    z = np.where(
        np.isnan(elevation_m), np.nanmean(elevation_m) if np.isfinite(elevation_m).any() else 0.0, elevation_m
    )
    dz_dn, dz_de = np.gradient(z, spacing_m)
    dz_dn = -dz_dn  # rows run southwards
    az = np.radians(azimuth_deg)
    alt = np.radians(altitude_deg)
    light = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])
    norm = np.sqrt(dz_de**2 + dz_dn**2 + 1.0)
    lambert = (-dz_de * light[0] - dz_dn * light[1] + light[2]) / norm
    return np.asarray(np.clip(lambert / np.sin(alt), 0.35, 1.35), dtype=np.float32)
