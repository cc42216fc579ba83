"""Terrain: DEM elevations with their declared accuracy (design contract 2), AGL <-> AMSL, tiles.

Every source says how good its answer is: ``precise`` (<= 10 m), ``approximate`` or ``unknown``.
Outside coverage or on nodata the answer is NaN/unknown from ``sample`` and an OutsideCoverageError from
``elevation_amsl_m``: never a silent 0 m.
"""

from geodata.terrain.dem import DemTerrain
from geodata.terrain.flat import FlatTerrain
from geodata.terrain.heights import agl_to_amsl, amsl_to_agl
from geodata.terrain.model import (
    PRECISE_LIMIT_M,
    Terrain,
    TerrainProfile,
    TerrainQuality,
    TerrainSample,
    quality_for_accuracy,
)
from geodata.terrain.stack import TerrainStack, open_dem_files
from geodata.terrain.tiles import hillshade_tile_png, slope_tile_png
from geodata.terrain.write import write_dem_geotiff

__all__ = [
    "PRECISE_LIMIT_M",
    "DemTerrain",
    "FlatTerrain",
    "Terrain",
    "TerrainProfile",
    "TerrainQuality",
    "TerrainSample",
    "TerrainStack",
    "agl_to_amsl",
    "amsl_to_agl",
    "hillshade_tile_png",
    "open_dem_files",
    "quality_for_accuracy",
    "slope_tile_png",
    "write_dem_geotiff",
]
