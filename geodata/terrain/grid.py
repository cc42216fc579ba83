"""Bilinear sampling of an in-memory raster grid: the hot loop of every terrain query, in numpy only."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class GridSampler:
    """Samples ``values`` (NaN = nodata) at map coordinates through the raster's affine transform.

    The affine (a, b, c, d, e, f) maps pixel (col, row) to map x = a*col + b*row + c, y = d*col + e*row + f
    with pixel-is-area semantics: a pixel's value sits at its centre. Between centres the value is bilinear;
    in the half pixel between the outermost centres and the raster edge it is held constant, so the whole
    raster footprint is covered and nothing outside it is.
    """

    values: NDArray[np.float32]
    affine: tuple[float, float, float, float, float, float]
    _padded: NDArray[np.float32] = field(init=False, repr=False, compare=False)
    _inverse: tuple[float, float, float, float, float, float] = field(init=False, repr=False, compare=False)
    _has_nodata: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.size == 0:
            raise ValueError(f"grid must be a non-empty 2-D array, got shape {self.values.shape}")
        # One replicated pixel on every side: the edge half pixels and 1-pixel-wide rasters need no clipping.
        padded = np.pad(np.asarray(self.values, dtype=np.float32), 1, mode="edge")
        object.__setattr__(self, "_padded", np.ascontiguousarray(padded))
        a, b, c, d, e, f = self.affine
        det = a * e - b * d
        if det == 0:
            raise ValueError("raster transform is singular")
        inverse = (e / det, -b / det, (b * f - e * c) / det, -d / det, a / det, (d * c - a * f) / det)
        object.__setattr__(self, "_inverse", inverse)
        object.__setattr__(self, "_has_nodata", bool(np.isnan(self.values).any()))

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.values.shape
        return int(rows), int(cols)

    def fractional_pixel(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Continuous (col, row) where integer + 0.5 is a pixel centre."""
        ia, ib, ic, id_, ie, if_ = self._inverse
        if ib == 0.0 and id_ == 0.0:  # north-up raster: the common case, two multiply-adds
            return x * ia + ic, y * ie + if_
        return x * ia + y * ib + ic, x * id_ + y * ie + if_

    def sample(self, x: FloatArray, y: FloatArray) -> FloatArray:
        rows, cols = self.shape
        col, row = self.fractional_pixel(x, y)
        inside = (col >= 0.0) & (col <= cols) & (row >= 0.0) & (row <= rows)
        # In padded pixel units the centre of original pixel (0, 0) is at (1, 1): +1 - 0.5.
        pc = col + 0.5
        pr = row + 0.5
        all_inside = bool(inside.all())
        if not all_inside:
            pc = np.where(inside, pc, 1.0)
            pr = np.where(inside, pr, 1.0)
        c0 = pc.astype(np.intp)  # non-negative, so truncation is floor
        r0 = pr.astype(np.intp)
        # The far raster edge lands exactly on the last padded centre; keep its 2x2 cell inside the array.
        np.minimum(c0, cols, out=c0)
        np.minimum(r0, rows, out=r0)
        tx = pc - c0
        ty = pr - r0
        width = cols + 2
        flat = self._padded.ravel()
        index = r0 * width + c0
        v00 = flat[index]
        v01 = flat[index + 1]
        v10 = flat[index + width]
        v11 = flat[index + width + 1]
        top = v00 + tx * (v01 - v00)
        bottom = v10 + tx * (v11 - v10)
        out = np.asarray(top + ty * (bottom - top), dtype=np.float64)
        if self._has_nodata:
            self._fill_partial_nodata(out, index, tx, ty, width)
        if not all_inside:
            out[~inside] = np.nan
        return out

    def _fill_partial_nodata(
        self, out: FloatArray, index: NDArray[np.intp], tx: FloatArray, ty: FloatArray, width: int
    ) -> None:
        """Next to nodata, interpolate over the valid corners only, if the nearest pixel itself is valid.

        A point whose nearest pixel is nodata stays unknown (NaN): nodata is never bridged or invented.
        """
        bad = np.flatnonzero(np.isnan(out))
        if bad.size == 0:
            return
        flat = self._padded.ravel()
        idx = index[bad]
        fx = tx[bad]
        fy = ty[bad]
        corners = np.stack([flat[idx], flat[idx + 1], flat[idx + width], flat[idx + width + 1]]).astype(
            np.float64
        )
        weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
        nearest = (fx >= 0.5).astype(np.intp) + 2 * (fy >= 0.5).astype(np.intp)
        nearest_valid = ~np.isnan(corners[nearest, np.arange(bad.size)])
        valid = ~np.isnan(corners)
        weights = np.where(valid, weights, 0.0)
        total = weights.sum(axis=0)
        filled = np.where(valid, corners, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (filled * weights).sum(axis=0) / total
        out[bad] = np.where(nearest_valid & (total > 0), value, np.nan)
