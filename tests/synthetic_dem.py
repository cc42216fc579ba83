"""GeoTIFF terrains with known answers, shared by the geodata and mission tests.

Elevation is an analytic function of lon/lat sampled at pixel centres, so a test can compare what the
terrain code answers with the function itself (a plane is exact under bilinear sampling). Files are
written by ``geodata.terrain.write_dem_geotiff``, the same writer the product uses, so the accuracy tag
is the one ``DemTerrain.open`` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from geodata.terrain import write_dem_geotiff

ElevationFn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


def write_lonlat_dem(
    path: Path,
    elevation: ElevationFn,
    *,
    west: float,
    north: float,
    step: float,
    cols: int,
    rows: int,
    accuracy_m: float | None = None,
    nodata: float | None = None,
) -> Path:
    """An EPSG:4326 float32 GeoTIFF of ``elevation`` with its north-west corner at (west, north)."""
    lons = west + step * (np.arange(cols) + 0.5)
    lats = north - step * (np.arange(rows) + 0.5)
    lon, lat = np.meshgrid(lons, lats)
    values = np.asarray(elevation(lon, lat), dtype=np.float64).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_dem_geotiff(
        path,
        values,
        (step, 0.0, west, 0.0, -step, north),
        nodata=nodata,
        vertical_accuracy_m=accuracy_m,
    )
