"""Finds the best terrain a region can have: the DEM search list of its manifest (design contracts 2, 3).

Order, best first: DEMs the caller names, then ``BORDERWATCH_DEM``, then the manifest's search list under
the user data directory. Everything found is stacked in that order, so a better DEM answers where it
covers and a coarser one fills its gaps. With nothing found the region gets flat ground at a stated
elevation and a status that says loudly how to get terrain.
"""

from __future__ import annotations

import glob
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from geodata.errors import GeodataError, InputError, Problem
from geodata.regions.manifest import TerrainConfig
from geodata.terrain import (
    DemTerrain,
    FlatTerrain,
    Terrain,
    TerrainQuality,
    TerrainStack,
    quality_for_accuracy,
)
from geodata.terrain.accuracy import SRTM, accuracy_from_tags, known_product

ENV_DEM = "BORDERWATCH_DEM"
ENV_DEM_ACCURACY = "BORDERWATCH_DEM_ACCURACY_M"
DEM_SUFFIXES = (".tif", ".tiff", ".hgt")
UNDECLARED_GEOTIFF_ACCURACY_M = 30.0
"""What an unknown GeoTIFF named in BORDERWATCH_DEM is taken to be worth: deliberately 'approximate'."""


DemOpener = Callable[[Path, float], DemTerrain]


@dataclass(frozen=True)
class DemCandidate:
    """A DEM file and its accuracy: ``declared`` wins over the file; otherwise it is the fallback used
    only when the file neither carries an accuracy tag nor is a product borderwatch recognises."""

    path: Path
    accuracy_m: float
    origin: str
    declared: bool = False


@dataclass(frozen=True)
class DemSource:
    """A DEM the region actually uses."""

    path: Path
    name: str
    vertical_accuracy_m: float
    origin: str

    @property
    def quality(self) -> TerrainQuality:
        return quality_for_accuracy(self.vertical_accuracy_m)


@dataclass(frozen=True)
class TerrainStatus:
    """Which terrain a region uses and how good it is; ``message`` is what a person should read."""

    quality: TerrainQuality
    """Of the weakest DEM in use; UNKNOWN when there is none (flat fallback)."""
    sources: tuple[DemSource, ...]
    flat_elevation_amsl_m: float | None
    message: str
    searched: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default=())
    """DEM files found but unusable, each with the reason."""

    @property
    def has_dem(self) -> bool:
        return bool(self.sources)


@dataclass(frozen=True)
class ResolvedTerrain:
    terrain: Terrain
    status: TerrainStatus


def _expand(pattern: str, data_dir: Path) -> list[Path]:
    text = os.path.expanduser(pattern.replace("{data}", str(data_dir)))
    if glob.has_magic(text):
        return [Path(p) for p in sorted(glob.glob(text))]
    path = Path(text)
    if path.is_dir():  # a folder: every DEM below it (the fetch-dem cache nests one folder per tile)
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DEM_SUFFIXES)
    return [path] if path.exists() else []


def _fallback_accuracy(path: Path) -> float:
    return SRTM.vertical_accuracy_m if path.suffix.lower() == ".hgt" else UNDECLARED_GEOTIFF_ACCURACY_M


def _env_declared_accuracy(environ: Mapping[str, str]) -> float | None:
    """BORDERWATCH_DEM_ACCURACY_M, when set: the user's word beats tags and product names."""
    declared = environ.get(ENV_DEM_ACCURACY)
    if not declared:
        return None
    try:
        value = float(declared)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value > 0:
        return value
    raise InputError(
        ENV_DEM_ACCURACY, [Problem("value", f"must be a positive number of metres, got {declared!r}")]
    )


def dem_candidates(
    config: TerrainConfig,
    data_dir: Path,
    *,
    explicit: Sequence[str | Path | DemCandidate] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[list[DemCandidate], list[str]]:
    """Candidate files best first, and a readable list of what was searched."""
    env = os.environ if environ is None else environ
    candidates: list[DemCandidate] = []
    searched: list[str] = []
    for item in explicit:
        if isinstance(item, DemCandidate):
            candidates.append(item)
            searched.append(f"argument: {item.path}")
            continue
        for path in _expand(str(item), data_dir):
            candidates.append(DemCandidate(path, _fallback_accuracy(path), "argument"))
        searched.append(f"argument: {item}")
    env_value = env.get(ENV_DEM, "")
    env_accuracy = _env_declared_accuracy(env) if env_value.strip() else None
    for part in (p for p in env_value.split(os.pathsep) if p.strip()):
        for path in _expand(part.strip(), data_dir):
            if env_accuracy is not None:
                candidates.append(DemCandidate(path, env_accuracy, ENV_DEM, declared=True))
            else:
                candidates.append(DemCandidate(path, _fallback_accuracy(path), ENV_DEM))
        searched.append(f"{ENV_DEM}: {part.strip()}")
    for entry in config.search:
        for pattern in entry.paths:
            for path in _expand(pattern, data_dir):
                candidates.append(DemCandidate(path, entry.vertical_accuracy_m, entry.label))
            searched.append(f"{entry.label}: {pattern.replace('{data}', str(data_dir))}")
    unique: list[DemCandidate] = []
    seen: set[Path] = set()
    for candidate in candidates:
        key = candidate.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique, searched


def _declared_accuracy(candidate: DemCandidate) -> float:
    """A declared accuracy, else the file's own tag, else a product borderwatch recognises, else the
    fallback of the search entry."""
    if candidate.declared:
        return candidate.accuracy_m
    with rasterio.open(candidate.path) as dataset:
        tags = {str(k): str(v) for k, v in dataset.tags().items()}
    tagged = accuracy_from_tags(tags)
    if tagged is not None:
        return tagged
    product = known_product(candidate.path, tags)
    return product.vertical_accuracy_m if product is not None else candidate.accuracy_m


def _open_dem(path: Path, vertical_accuracy_m: float) -> DemTerrain:
    return DemTerrain.open(path, vertical_accuracy_m=vertical_accuracy_m)


def _intersects(dem: DemTerrain, bbox: tuple[float, float, float, float]) -> bool:
    """Only DEMs in WGS84 are checked; a projected DEM is kept and left to answer per point."""
    if dem.crs.to_epsg() != 4326:
        return True
    b = dem.bounds
    return not (b.right < bbox[0] or b.left > bbox[2] or b.top < bbox[1] or b.bottom > bbox[3])


def resolve_terrain(
    config: TerrainConfig,
    data_dir: Path,
    bbox: tuple[float, float, float, float],
    *,
    region_name: str,
    explicit: Sequence[str | Path | DemCandidate] = (),
    environ: Mapping[str, str] | None = None,
    open_dem: DemOpener | None = None,
) -> ResolvedTerrain:
    """The terrain of a region; ``open_dem`` lets a caller cache opened DEMs (they are read into memory)."""
    opener = open_dem or _open_dem
    candidates, searched = dem_candidates(config, data_dir, explicit=explicit, environ=environ)
    dems: list[DemTerrain] = []
    sources: list[DemSource] = []
    skipped: list[str] = []
    for candidate in candidates:
        try:
            dem = opener(candidate.path, _declared_accuracy(candidate))
        except (GeodataError, RasterioError, OSError) as exc:
            skipped.append(f"{candidate.path}: {exc}".replace("\n", " "))
            continue
        if not _intersects(dem, bbox):
            skipped.append(f"{candidate.path}: does not cover the region")
            continue
        dems.append(dem)
        sources.append(DemSource(candidate.path, dem.name, dem.vertical_accuracy_m, candidate.origin))
    if dems:
        terrain: Terrain = dems[0] if len(dems) == 1 else TerrainStack(dems)
        quality = quality_for_accuracy(max(s.vertical_accuracy_m for s in sources))
        listing = "; ".join(f"{s.name} ±{s.vertical_accuracy_m:g} m" for s in sources)
        message = f"terrain {quality.value}: {listing}"
        return ResolvedTerrain(
            terrain, TerrainStatus(quality, tuple(sources), None, message, tuple(searched), tuple(skipped))
        )
    elevation = config.flat_fallback_elevation_amsl_m
    how = config.how_to_get_terrain.replace("{data}", str(data_dir))
    message = (
        f"NO TERRAIN: no DEM found for region {region_name}; using flat ground at {elevation:g} m AMSL and "
        f"every AGL answer is 'terrain unknown'. To get terrain: {how}"
    )
    flat = FlatTerrain(elevation, name=f"flat ground at {elevation:g} m AMSL (no DEM for {region_name})")
    status = TerrainStatus(TerrainQuality.UNKNOWN, (), elevation, message, tuple(searched), tuple(skipped))
    return ResolvedTerrain(flat, status)
