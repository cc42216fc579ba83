"""A DEM file (GeoTIFF, Cloud-Optimised GeoTIFF, SRTM .hgt) as a terrain source, held in memory."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, InputError, Problem
from geodata.terrain.accuracy import accuracy_from_tags, known_product
from geodata.terrain.grid import GridSampler
from geodata.terrain.model import Terrain, TerrainSample, as_lonlat_arrays

DEFAULT_MAX_DEM_PIXELS = 200_000_000
"""Bounded memory: 200 M float32 pixels (800 MB) is about 16 Copernicus 1-degree tiles."""

_WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class DemBounds:
    """Footprint of the DEM in its own CRS (left, bottom, right, top)."""

    left: float
    bottom: float
    right: float
    top: float


class DemTerrain(Terrain):
    """Elevation from a raster read into memory once, so sampling millions of points is pure numpy.

    Query points are WGS84 lon/lat; a DEM in another CRS (Krovak, PUWG 1992, UTM) gets them reprojected
    with pyproj. Elevations are AMSL on the DEM's geoid (EGM96 for SRTM, EGM2008 for Copernicus: they
    differ by well under 1 m in the region, far below either DEM's accuracy).
    """

    def __init__(
        self,
        values: NDArray[np.floating],
        affine: tuple[float, float, float, float, float, float],
        *,
        crs: CRS | str | int = 4326,
        vertical_accuracy_m: float,
        name: str,
    ) -> None:
        if not (math.isfinite(vertical_accuracy_m) and vertical_accuracy_m > 0):
            raise ValueError(f"vertical_accuracy_m must be a positive number, got {vertical_accuracy_m!r}")
        self.name = name
        self.vertical_accuracy_m = float(vertical_accuracy_m)
        self.crs = CRS.from_user_input(crs)
        grid = np.asarray(values, dtype=np.float32)
        self._grid = GridSampler(np.where(np.isfinite(grid), grid, np.float32(np.nan)), affine)
        self.resolution_m = _pixel_size_m(affine, self.crs, self._grid.shape)
        self._to_dem: Transformer | None = None
        if not self.crs.equals(_WGS84, ignore_axis_order=True):
            self._to_dem = Transformer.from_crs(_WGS84, self.crs, always_xy=True)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        vertical_accuracy_m: float | None = None,
        name: str | None = None,
        max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
        max_pixels: int = DEFAULT_MAX_DEM_PIXELS,
    ) -> DemTerrain:
        """Reads band 1 of a DEM; nodata and masked pixels become unknown, never 0 m.

        The accuracy comes from the argument, else a metadata tag, else a recognised product (Copernicus,
        SRTM .hgt, SRTM30_PLUS); a DEM whose accuracy nobody declared is refused.
        """
        file = Path(path)
        source = str(file)
        if not file.is_file():
            raise InputError(source, [Problem("file", "DEM file not found")])
        size = file.stat().st_size
        if size > max_input_bytes:
            raise FileTooLargeError(
                source, [Problem("file", f"{size} bytes is over the limit of {max_input_bytes} bytes")]
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                # SRTM tiles are distributed zipped (N50E017.hgt.zip): read them through GDAL's /vsizip/.
                target = f"/vsizip/{file}/{file.stem}" if file.suffix.lower() == ".zip" else str(file)
                dataset = rasterio.open(target)
            with dataset:
                pixels = dataset.width * dataset.height
                if pixels > max_pixels:
                    raise InputError(
                        source, [Problem("raster", f"{pixels} pixels is over the limit of {max_pixels}")]
                    )
                if dataset.crs is None:
                    raise InputError(source, [Problem("crs", "the raster declares no CRS")])
                if dataset.transform.is_identity:
                    raise InputError(source, [Problem("transform", "the raster has no georeferencing")])
                if dataset.count < 1:
                    raise InputError(source, [Problem("bands", "the raster has no band")])
                band = dataset.read(1, masked=True)
                tags = {str(k): str(v) for k, v in dataset.tags().items()}
                crs = CRS.from_wkt(dataset.crs.to_wkt())
                t = dataset.transform
                affine = (float(t.a), float(t.b), float(t.c), float(t.d), float(t.e), float(t.f))
                units = dataset.units[0] if dataset.units else ""
        except InputError:
            raise
        except (RasterioIOError, rasterio.errors.RasterioError, ValueError, OSError) as exc:
            raise InputError(source, [Problem("file", f"not a readable DEM raster: {exc}")]) from None
        if units and units.lower() not in ("m", "metre", "metres", "meter", "meters"):
            raise InputError(source, [Problem("units", f"elevation unit {units!r} is not metres")])
        accuracy = vertical_accuracy_m
        if accuracy is None:
            accuracy = accuracy_from_tags(tags)
        product = known_product(file, tags)
        if accuracy is None and product is not None:
            accuracy = product.vertical_accuracy_m
        if accuracy is None:
            raise InputError(
                source,
                [
                    Problem(
                        "vertical_accuracy_m",
                        "unknown DEM product: declare its vertical accuracy in metres "
                        "(argument or VERTICAL_ACCURACY_M tag)",
                    )
                ],
            )
        values = np.ma.filled(band.astype(np.float32), np.float32(np.nan))
        label = name or (f"{product.name} ({file.name})" if product else file.name)
        return cls(values, affine, crs=crs, vertical_accuracy_m=accuracy, name=label)

    @property
    def bounds(self) -> DemBounds:
        rows, cols = self._grid.shape
        a, b, c, d, e, f = self._grid.affine
        xs = [c, a * cols + c, b * rows + c, a * cols + b * rows + c]
        ys = [f, d * cols + f, e * rows + f, d * cols + e * rows + f]
        return DemBounds(min(xs), min(ys), max(xs), max(ys))

    def elevation_raw(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
        """Bilinear elevation with NaN where unknown: the fast path for bulk use (benchmarks, tiles)."""
        lons, lats = as_lonlat_arrays(lon, lat)
        x, y = lons.ravel(), lats.ravel()
        if self._to_dem is not None:
            tx, ty = self._to_dem.transform(x, y)
            x, y = np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)
        return self._grid.sample(x, y).reshape(lons.shape)

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        elevation = self.elevation_raw(lon, lat)
        accuracy = np.where(np.isnan(elevation), np.nan, self.vertical_accuracy_m)
        return TerrainSample(elevation, accuracy)

    def __repr__(self) -> str:
        rows, cols = self._grid.shape
        return f"DemTerrain({self.name!r}, {cols}x{rows} px, +-{self.vertical_accuracy_m:g} m)"


def _pixel_size_m(
    affine: tuple[float, float, float, float, float, float], crs: CRS, shape: tuple[int, int]
) -> float | None:
    """The smaller side of a pixel on the ground (degrees scaled at the raster's centre latitude)."""
    a, b, _c, d, e, f = affine
    size_x = math.hypot(a, d)
    size_y = math.hypot(b, e)
    if crs.is_geographic:
        rows, cols = shape
        centre_lat = math.radians(d * cols / 2 + e * rows / 2 + f)
        return min(size_x * 111_320.0 * max(math.cos(centre_lat), 1e-6), size_y * 110_574.0)
    if crs.is_projected:
        unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        return min(size_x, size_y) * unit
    return None
