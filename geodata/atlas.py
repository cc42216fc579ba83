"""One loaded region: zones + border + terrain + fixed cameras, built from its manifest (contract 3).

``load_region()`` is what every command and service calls. It is pure apart from reading files (the
region folder, the user data directory, DEMs): no network, no global state. Callers that load the same
region repeatedly (the ground station, tests) pass a ``RegionCache`` to skip re-parsing unchanged files.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import shapely
from pyproj import Geod
from shapely.geometry import box

from geodata.border import Border
from geodata.coverage import DataCoverage
from geodata.errors import DEFAULT_MAX_INPUT_BYTES, GeodataError, InputError, Problem
from geodata.regions import DEFAULT_REGION, REGIONS_DIR
from geodata.regions.dem_search import DemCandidate, TerrainStatus, resolve_terrain
from geodata.regions.manifest import RegionManifest, find_manifest, load_manifest
from geodata.sensors import FixedCamera, load_cameras_geojson
from geodata.terrain import DemTerrain, Terrain
from geodata.userdata import UserData
from geodata.vertical import VerticalRef
from geodata.zones.index import ZoneHit, ZoneIndex
from geodata.zones.load import ZoneFormat, load_zones
from geodata.zones.model import ImportResult, Zone

ENV_REGION = "BORDERWATCH_REGION"
_WGS84_GEOD = Geod(ellps="WGS84")
T = TypeVar("T")


class RegionNotFoundError(GeodataError):
    """Neither a shipped region of that name nor a folder with a manifest."""


class ZoneOrigin(StrEnum):
    REGION = "region"  # the region's own (approximate) zones
    USER = "user"  # imported by the user with `borderwatch zones import`


@dataclass(frozen=True)
class ZoneLayer:
    """One file of zones that went into the region, in layering order (later layers win)."""

    origin: ZoneOrigin
    path: Path
    zone_count: int
    replaced_count: int
    """Zones of earlier layers with the same country and identifier that this layer replaced."""
    coverage_bbox: tuple[float, float, float, float] | None = None
    """User imports: the area the file is complete for (declared at import, else its zones' extent)."""


@dataclass
class RegionCache:
    """Parsed files keyed by (path, size, mtime), so reloading an unchanged region costs only stat calls."""

    _entries: dict[tuple[str, str, int, int], object] = field(default_factory=dict)

    def get(self, kind: str, path: Path, parse: Callable[[Path], T]) -> T:
        stat = path.stat()
        key = (kind, str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in self._entries:
            self._entries[key] = parse(path)
        value: T = self._entries[key]  # type: ignore[assignment]
        return value


@dataclass(frozen=True)
class Region:
    """Everything borderwatch knows about one area; see ``load_region``."""

    name: str
    title: str
    bbox: tuple[float, float, float, float]
    zones: ZoneIndex
    border: Border
    terrain: Terrain
    terrain_status: TerrainStatus
    cameras: list[FixedCamera]
    manifest: RegionManifest
    directory: Path
    zone_list: tuple[Zone, ...]
    zone_layers: tuple[ZoneLayer, ...]
    user_data: UserData
    warnings: tuple[str, ...] = ()

    @property
    def notice(self) -> str:
        return self.manifest.notice

    def ground_amsl_m(self, lon: float, lat: float) -> float | None:
        """Terrain elevation where a real DEM knows it; None on the flat fallback or outside every DEM."""
        sample = self.terrain.sample(lon, lat)
        if math.isnan(float(sample.accuracy_m)):
            return None
        return float(sample.elevation_amsl_m)

    @functools.cached_property
    def coverage(self) -> DataCoverage:
        """Where this region's data is complete: zones over the manifest's declared area plus every
        import's declared or computed coverage; the border over its country polygons (contract 18)."""
        areas = [box(*self.bbox)]
        sources = [f"region {self.name} manifest bbox {_bbox_text(self.bbox)}"]
        for layer in self.zone_layers:
            if layer.origin is ZoneOrigin.USER and layer.coverage_bbox is not None:
                areas.append(box(*layer.coverage_bbox))
                sources.append(f"import {layer.path.name}: {_bbox_text(layer.coverage_bbox)}")
        border_area = shapely.union_all(list(self.border.countries.values()))
        zones_area = shapely.union_all(areas)
        shapely.prepare(zones_area)
        shapely.prepare(border_area)
        return DataCoverage(zones=zones_area, border=border_area, zone_sources=tuple(sources))

    def zones_at(
        self, lon: float, lat: float, alt_m: float, ref: VerticalRef, *, at: datetime | None = None
    ) -> list[ZoneHit]:
        """Zones at a point with this region's terrain under it (unknown terrain leaves hits uncertain)."""
        return self.zones.at_point(lon, lat, alt_m, ref, at=at, ground_amsl_m=self.ground_amsl_m(lon, lat))


def shipped_regions() -> list[str]:
    """Names of the regions that come with borderwatch."""
    return sorted(p.name for p in REGIONS_DIR.iterdir() if p.is_dir() and find_manifest(p) is not None)


def resolve_region_dir(name_or_path: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """A region folder from a name (shipped region) or a path; None means BORDERWATCH_REGION or default."""
    env = os.environ if environ is None else environ
    chosen: str | Path = name_or_path if name_or_path is not None else env.get(ENV_REGION) or DEFAULT_REGION
    text = str(chosen)
    as_path = Path(text).expanduser()
    looks_like_path = isinstance(chosen, Path) or os.sep in text or text.startswith(".")
    if as_path.is_file() and as_path.name.startswith("manifest."):
        return as_path.parent
    if as_path.is_dir() and (looks_like_path or find_manifest(as_path) is not None):
        if find_manifest(as_path) is None:
            raise RegionNotFoundError(f"{as_path} has no manifest.yaml: not a region folder")
        return as_path
    if not looks_like_path and (REGIONS_DIR / text).is_dir() and find_manifest(REGIONS_DIR / text):
        return REGIONS_DIR / text
    known = ", ".join(shipped_regions()) or "none"
    raise RegionNotFoundError(f"no region {text!r}: give a shipped region name ({known}) or a region folder")


def _parse_zone_file(
    path: Path, format_name: str | None, max_bytes: int = DEFAULT_MAX_INPUT_BYTES
) -> ImportResult:
    fmt = ZoneFormat(format_name) if format_name else None
    return load_zones(path, format=fmt, strict=False, max_bytes=max_bytes)


def _bbox_text(bbox: tuple[float, float, float, float]) -> str:
    return f"lon {bbox[0]:.4f}..{bbox[2]:.4f}, lat {bbox[1]:.4f}..{bbox[3]:.4f}"


def zones_bbox(zones: Sequence[Zone]) -> tuple[float, float, float, float] | None:
    """The extent of the zones' footprints: an import's computed coverage when none was declared."""
    if not zones:
        return None
    west, south, east, north = shapely.total_bounds([z.footprint for z in zones])
    return float(west), float(south), float(east), float(north)


def _layer_zones(
    layers: Sequence[tuple[ZoneOrigin, Path, ImportResult, tuple[float, float, float, float] | None]],
) -> tuple[list[Zone], list[ZoneLayer]]:
    """Later layers replace earlier zones of the same (country, identifier): authority data wins."""
    merged: dict[tuple[str, str], Zone] = {}
    anonymous: list[Zone] = []
    described: list[ZoneLayer] = []
    for origin, path, result, coverage in layers:
        replaced = 0
        own_keys: set[tuple[str, str]] = set()
        for zone in result.zones:
            if not zone.identifier:
                anonymous.append(zone)
                continue
            key = (zone.country, zone.identifier)
            if key in merged and key not in own_keys:
                replaced += 1
            if key in own_keys:
                # duplicate identifiers inside one file are real (ED-269 CHE sample): keep them all
                anonymous.append(zone)
                continue
            own_keys.add(key)
            merged[key] = zone
        described.append(ZoneLayer(origin, path, len(result.zones), replaced, coverage))
    return [*merged.values(), *anonymous], described


def load_region(
    name_or_path: str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    dem_paths: Sequence[str | Path | DemCandidate] | None = None,
    environ: Mapping[str, str] | None = None,
    cache: RegionCache | None = None,
) -> Region:
    """Loads a region: its zones with the user's imported zones layered over them, the border, the best
    terrain found (or flat ground with a loud status) and the fixed cameras.

    Raises RegionNotFoundError or InputError (with file and location) for a missing or broken region.
    """
    env = os.environ if environ is None else environ
    files = cache or RegionCache()
    directory = resolve_region_dir(name_or_path, env)
    manifest_path = find_manifest(directory)
    if manifest_path is None:  # resolve_region_dir guarantees one; keep mypy and readers certain
        raise RegionNotFoundError(f"{directory} has no manifest")
    manifest = files.get("manifest", manifest_path, load_manifest)
    user_data = UserData.from_env(data_dir, env)
    warnings: list[str] = []

    def region_file(relative: str, what: str) -> Path:
        path = (directory / relative).resolve()
        if not path.is_file():
            raise InputError(str(manifest_path), [Problem(f"$.files.{what}", f"{relative} does not exist")])
        return path

    zones_path = region_file(manifest.files.zones, "zones")
    region_zones = files.get("zones", zones_path, functools.partial(_parse_zone_file, format_name=None))
    if region_zones.rejected:
        raise InputError(str(zones_path), list(region_zones.rejected))
    layers: list[tuple[ZoneOrigin, Path, ImportResult, tuple[float, float, float, float] | None]] = [
        (ZoneOrigin.REGION, zones_path, region_zones, manifest.bbox)
    ]
    for imported in user_data.imported_zone_files(manifest.name):
        record = imported.record
        parse = functools.partial(_parse_zone_file, format_name=record.format, max_bytes=record.max_bytes)
        try:
            result = files.get(f"user-zones:{record.format}:{record.max_bytes}", imported.path, parse)
        except GeodataError as exc:
            # one unreadable import must not take the whole region (and the ground station) down
            warnings.append(f"{imported.path}: skipped, it no longer imports: {exc}")
            continue
        if result.rejected:
            warnings.append(
                f"{imported.path}: {len(result.rejected)} zone(s) rejected on reload (kept the other "
                f"{len(result.zones)})"
            )
        coverage = record.coverage_bbox or zones_bbox(result.zones)
        layers.append((ZoneOrigin.USER, imported.path, result, coverage))
    zone_list, zone_layers = _layer_zones(layers)

    border = files.get("border", region_file(manifest.files.border, "border"), Border.from_geojson)

    cameras: list[FixedCamera] = []
    if manifest.files.cameras:
        cameras = files.get("cameras", region_file(manifest.files.cameras, "cameras"), load_cameras_geojson)

    resolved = resolve_terrain(
        manifest.terrain,
        user_data.root,
        manifest.bbox,
        region_name=manifest.name,
        explicit=list(dem_paths or ()),
        environ=env,
        open_dem=lambda path, accuracy: files.get(
            f"dem:{accuracy!r}", path, functools.partial(DemTerrain.open, vertical_accuracy_m=accuracy)
        ),
    )
    if not resolved.status.has_dem:
        warnings.append(resolved.status.message)

    return Region(
        name=manifest.name,
        title=manifest.title,
        bbox=manifest.bbox,
        zones=ZoneIndex(zone_list),
        border=border,
        terrain=resolved.terrain,
        terrain_status=resolved.status,
        cameras=list(cameras),
        manifest=manifest,
        directory=directory,
        zone_list=tuple(zone_list),
        zone_layers=tuple(zone_layers),
        user_data=user_data,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class RegionSummary:
    """What `borderwatch geodata info` shows, as data (the ground station serves the same)."""

    name: str
    title: str
    bbox: tuple[float, float, float, float]
    notice: str
    zone_count: int
    zones_by_restriction: dict[str, int]
    approximate_zone_count: int
    zone_layers: tuple[ZoneLayer, ...]
    countries: dict[str, str]
    border_length_km: float
    terrain: TerrainStatus
    camera_ids: tuple[str, ...]
    warnings: tuple[str, ...]


def summarise(region: Region) -> RegionSummary:
    by_restriction: dict[str, int] = {}
    for zone in region.zone_list:
        by_restriction[zone.restriction.value] = by_restriction.get(zone.restriction.value, 0) + 1
    return RegionSummary(
        name=region.name,
        title=region.title,
        bbox=region.bbox,
        notice=region.notice,
        zone_count=len(region.zone_list),
        zones_by_restriction=dict(sorted(by_restriction.items())),
        approximate_zone_count=sum(1 for z in region.zone_list if z.approximate),
        zone_layers=region.zone_layers,
        countries={code: region.border.names.get(code, code) for code in region.border.iso3_codes},
        border_length_km=_WGS84_GEOD.geometry_length(region.border.border_line) / 1000.0,
        terrain=region.terrain_status,
        camera_ids=tuple(c.id for c in region.cameras),
        warnings=region.warnings,
    )
