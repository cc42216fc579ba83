"""Writes elevation grids as GeoTIFF / COG: analytic test terrains, clipped regions, simulator worlds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.transform import Affine

from geodata.terrain.accuracy import ACCURACY_TAG_NAMES


def write_dem_geotiff(
    path: str | Path,
    values: NDArray[np.floating] | NDArray[np.integer],
    affine: tuple[float, float, float, float, float, float],
    *,
    crs: str | int = 4326,
    nodata: float | None = None,
    vertical_accuracy_m: float | None = None,
    tags: Mapping[str, str] | None = None,
    cloud_optimised: bool = False,
) -> Path:
    """One-band DEM; ``affine`` is (a, b, c, d, e, f) as in rasterio. The accuracy, if given, is tagged
    so ``DemTerrain.open`` picks it up without an argument."""
    target = Path(path)
    grid = np.asarray(values)
    all_tags = dict(tags or {})
    if vertical_accuracy_m is not None:
        all_tags[ACCURACY_TAG_NAMES[0]] = repr(float(vertical_accuracy_m))
    crs_text = f"EPSG:{crs}" if isinstance(crs, int) else crs
    profile: dict[str, object] = {
        "driver": "COG" if cloud_optimised else "GTiff",
        "width": grid.shape[1],
        "height": grid.shape[0],
        "count": 1,
        "dtype": grid.dtype.name,
        "crs": crs_text,
        "transform": Affine(*affine),
        "compress": "deflate",
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(target, "w", **profile) as dataset:
        dataset.write(grid, 1)
        if all_tags:
            dataset.update_tags(**all_tags)
    return target
