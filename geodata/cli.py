"""Command-line edge of geodata: ``borderwatch zones|terrain|geodata …``.

Every command takes ``--region NAME|PATH`` (else BORDERWATCH_REGION, else jesenik-nysa). Errors are one
clear message on stderr and a non-zero exit code from ``ExitCode``, never a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from geodata.atlas import Region, RegionNotFoundError, ZoneOrigin, load_region, summarise, zones_bbox
from geodata.errors import DEFAULT_MAX_INPUT_BYTES, GeodataError, InputError
from geodata.fetch_dem import FetchProgress, TileStatus
from geodata.terrain import TerrainQuality
from geodata.vertical import VerticalRef
from geodata.zones.load import ZoneFormat, load_zones
from geodata.zones.model import AltitudeLimit, Zone

P = ParamSpec("P")
R = TypeVar("R")


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # bad input, missing region, nothing imported, strict import with problems
    USAGE = 2  # click's own code for a bad command line
    PARTIAL = 3  # `zones import` stored the good zones but rejected some
    NO_TERRAIN = 4  # no terrain answer: outside every DEM, or no DEM at all


class RefChoice(StrEnum):
    AGL = "AGL"
    AMSL = "AMSL"
    WGS84 = "WGS84"


RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Shipped region name or path to a region folder; default: $BORDERWATCH_REGION or jesenik-nysa.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LonArgument = Annotated[float, typer.Argument(help="Longitude (WGS84 degrees east).")]
LatArgument = Annotated[float, typer.Argument(help="Latitude (WGS84 degrees north).")]

zones_app = typer.Typer(no_args_is_help=True, help="UAS geographical zones: import, list, query.")
terrain_app = typer.Typer(no_args_is_help=True, help="Terrain: elevation with its accuracy, basemap tiles.")
geodata_app = typer.Typer(no_args_is_help=True, help="The loaded region: summary, DEM download.")


def register(app: typer.Typer) -> None:
    """Adds this package's commands to the ``borderwatch`` app."""
    app.add_typer(zones_app, name="zones")
    app.add_typer(terrain_app, name="terrain")
    app.add_typer(geodata_app, name="geodata")


# ---- plumbing --------------------------------------------------------------------------------------


def _fail(message: str, code: ExitCode = ExitCode.FAILED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(code))


def clean_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turns the errors this package raises on purpose (and I/O errors) into a message and exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (RegionNotFoundError, InputError, GeodataError) as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        except ValueError as exc:
            _fail(str(exc))

    return wrapper


def _load(region: str | None) -> Region:
    return load_region(region)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _limit_text(limit: AltitudeLimit) -> str:
    if limit.text:
        return limit.text
    if limit.unlimited:
        return "UNL"
    return f"{limit.value_m:g} m {limit.ref.value}"


def _band_text(zone: Zone) -> str:
    bands = sorted({f"{_limit_text(v.lower)} – {_limit_text(v.upper)}" for v in zone.volumes})
    return "; ".join(bands)


def _limit_json(limit: AltitudeLimit) -> dict[str, Any]:
    return {
        "value_m": None if limit.unlimited else limit.value_m,
        "ref": limit.ref.value,
        "text": limit.text,
        "unlimited": limit.unlimited,
    }


def _zone_json(zone: Zone) -> dict[str, Any]:
    return {
        "identifier": zone.identifier,
        "uid": zone.uid,
        "country": zone.country,
        "name": zone.name,
        "restriction": zone.restriction.value,
        "reasons": list(zone.reasons),
        "volumes": [{"lower": _limit_json(v.lower), "upper": _limit_json(v.upper)} for v in zone.volumes],
        "permanent": zone.applicability.permanent,
        "authority": zone.authority.name if zone.authority else None,
        "message": zone.message,
        "approximate": zone.approximate,
        "source": zone.source,
    }


def _parse_time(text: str | None) -> datetime | None:
    """ISO 8601; a time without zone is taken as UTC (the design keeps every time in UTC)."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        _fail(f"--time {text!r} is not an ISO 8601 time such as 2026-05-02T10:30:00Z", ExitCode.USAGE)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _check_lonlat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        _fail(f"({lon}, {lat}) is not a lon/lat position (order is LON LAT)", ExitCode.USAGE)


# ---- zones -----------------------------------------------------------------------------------------


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        _fail(f"--coverage {text!r} must be LON_MIN,LAT_MIN,LON_MAX,LAT_MAX", ExitCode.USAGE)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        _fail(f"--coverage {text!r} is not a lon/lat box with min < max", ExitCode.USAGE)
    return west, south, east, north


@zones_app.command("import")
@clean_errors
def zones_import(
    file: Annotated[Path, typer.Argument(help="ED-269 / ED-318 JSON, OpenAir text or GeoJSON file.")],
    format_: Annotated[
        ZoneFormat | None,
        typer.Option(
            "--format",
            help="Input format (cz-dronemap / pl-pansa: the authorities' GeoJSON/WFS layers); "
            "default: detected from the content.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing if the file has any problem (even a warning).")
    ] = False,
    max_bytes: Annotated[
        int,
        typer.Option("--max-bytes", min=1, help="Refuse larger files before parsing (design contract 13)."),
    ] = DEFAULT_MAX_INPUT_BYTES,
    coverage: Annotated[
        str | None,
        typer.Option(
            "--coverage",
            help="LON_MIN,LAT_MIN,LON_MAX,LAT_MAX the authority's file is complete for (default: the "
            "bounding box of its zones). Missions outside all zone coverage are not legal.",
        ),
    ] = None,
    region: RegionOption = None,
) -> None:
    """Import zones into the user data directory, layered over the region's zones."""
    declared = _parse_bbox(coverage) if coverage is not None else None
    loaded = _load(region)
    # --strict: the importer itself raises on any problem, listing every one with its location
    result = load_zones(file, format=format_, strict=strict, max_bytes=max_bytes)
    for problem in result.rejected:
        typer.echo(f"rejected  {file}: {problem}", err=True)
    for problem in result.warnings[:50]:
        typer.echo(f"warning   {file}: {problem}", err=True)
    if len(result.warnings) > 50:
        typer.echo(f"warning   … and {len(result.warnings) - 50} more warnings", err=True)
    if not result.zones:
        _fail(f"{file}: no usable zone ({len(result.rejected)} rejected); nothing imported")
    stored = loaded.user_data.store_import(
        loaded.name,
        file,
        format_name=format_.value if format_ else None,
        zones_imported=len(result.zones),
        zones_rejected=len(result.rejected),
        max_bytes=max_bytes,
        coverage_bbox=declared or zones_bbox(result.zones),
        coverage_declared=declared is not None,
    )
    typer.echo(
        f"imported {len(result.zones)} zone(s) from {file} into region {loaded.name} "
        f"({len(result.rejected)} rejected, {len(result.warnings)} warning(s)); stored as {stored.path}"
    )
    if result.rejected:
        raise typer.Exit(int(ExitCode.PARTIAL))


@zones_app.command("list")
@clean_errors
def zones_list(region: RegionOption = None, as_json: JsonOption = False) -> None:
    """List the region's zones and the user's imported ones (later layers replace same identifiers)."""
    loaded = _load(region)
    if as_json:
        _print_json(
            {
                "region": loaded.name,
                "layers": [
                    {
                        "origin": layer.origin.value,
                        "path": str(layer.path),
                        "zones": layer.zone_count,
                        "replaced": layer.replaced_count,
                    }
                    for layer in loaded.zone_layers
                ],
                "zones": [_zone_json(z) for z in loaded.zone_list],
            }
        )
        return
    for layer in loaded.zone_layers:
        label = "region" if layer.origin is ZoneOrigin.REGION else "imported"
        extra = f", replacing {layer.replaced_count}" if layer.replaced_count else ""
        typer.echo(f"# {label}: {layer.path} ({layer.zone_count} zone(s){extra})")
    for zone in loaded.zone_list:
        flag = " ~approx" if zone.approximate else ""
        typer.echo(
            f"{zone.identifier:<28} {zone.country:<3} {zone.restriction.value:<17} "
            f"{_band_text(zone):<30} {zone.name}{flag}"
        )
    typer.echo(f"{len(loaded.zone_list)} zone(s)")


@zones_app.command("remove")
@clean_errors
def zones_remove(
    stored_name: Annotated[str, typer.Argument(help="File name of an import, as `zones list` shows it.")],
    region: RegionOption = None,
) -> None:
    """Remove one imported zone file from the user data directory."""
    loaded = _load(region)
    if not loaded.user_data.remove_import(loaded.name, stored_name):
        _fail(f"no imported zone file {stored_name!r} in region {loaded.name}")
    typer.echo(f"removed {stored_name} from region {loaded.name}")


@zones_app.command("at")
@clean_errors
def zones_at(
    lon: LonArgument,
    lat: LatArgument,
    alt: Annotated[float, typer.Option("--alt", help="Altitude in metres in the --ref frame.")],
    ref: Annotated[RefChoice, typer.Option("--ref", help="Vertical reference of --alt.")],
    time: Annotated[
        str | None, typer.Option("--time", help="ISO 8601 time (UTC if no zone given); default: now.")
    ] = None,
    region: RegionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Zones that apply at a point, an altitude and a time."""
    _check_lonlat(lon, lat)
    if not math.isfinite(alt):
        _fail("--alt must be a finite number of metres", ExitCode.USAGE)
    at = _parse_time(time) or datetime.now(UTC)
    loaded = _load(region)
    sample = loaded.terrain.sample(lon, lat)
    ground_or_none = loaded.ground_amsl_m(lon, lat)
    ground_known = ground_or_none is not None
    ground = float(sample.elevation_amsl_m)
    accuracy = float(sample.accuracy_m)
    quality = sample.worst_quality if ground_known else TerrainQuality.UNKNOWN
    hits = loaded.zones_at(lon, lat, alt, VerticalRef(ref.value), at=at)
    country = str(loaded.border.country_at(lon, lat))
    terrain_note = (
        f"terrain {quality.value} ±{accuracy:g} m, ground {ground:.0f} m AMSL"
        if ground_known
        else "terrain unknown: a band in another frame than --ref cannot be confirmed (hits marked uncertain)"
    )
    if as_json:
        _print_json(
            {
                "lon": lon,
                "lat": lat,
                "alt_m": alt,
                "ref": ref.value,
                "time": at.isoformat(),
                "country": country or None,
                "terrain": {
                    "quality": quality.value,
                    "ground_amsl_m": ground if ground_known else None,
                    "accuracy_m": accuracy if ground_known else None,
                },
                "zones": [
                    {**_zone_json(hit.zone), "uncertain": hit.uncertain, "notes": list(hit.notes)}
                    for hit in hits
                ],
                "notice": loaded.notice,
            }
        )
        return
    place = country or "outside the border data"
    typer.echo(f"{lon:.5f}, {lat:.5f}, {alt:g} m {ref.value} at {at.isoformat()} ({place})")
    typer.echo(f"  {terrain_note}")
    if not hits:
        typer.echo("  no zone applies")
    for hit in hits:
        zone = hit.zone
        flags = [w for w, on in (("approximate", zone.approximate), ("uncertain", hit.uncertain)) if on]
        flag = f" ({', '.join(flags)})" if flags else ""
        typer.echo(
            f"  {zone.restriction.value:<17} {zone.identifier}: {zone.name}{flag} [{_band_text(zone)}]"
        )
        for note in hit.notes:
            typer.echo(f"      {note}")
    if any(hit.zone.approximate for hit in hits):
        typer.echo(f"  note: {loaded.notice}")


# ---- terrain ---------------------------------------------------------------------------------------


@terrain_app.command("elevation")
@clean_errors
def terrain_elevation(
    lon: LonArgument,
    lat: LatArgument,
    region: RegionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ground elevation (AMSL) at a point, with the DEM's quality and vertical accuracy."""
    _check_lonlat(lon, lat)
    loaded = _load(region)
    status = loaded.terrain_status
    sample = loaded.terrain.sample(lon, lat)
    elevation = float(sample.elevation_amsl_m)
    accuracy = float(sample.accuracy_m)
    known = status.has_dem and not math.isnan(elevation)
    if as_json:
        _print_json(
            {
                "lon": lon,
                "lat": lat,
                "elevation_amsl_m": elevation if known else None,
                "quality": (sample.worst_quality if known else TerrainQuality.UNKNOWN).value,
                "accuracy_m": accuracy if known else None,
                "terrain": loaded.terrain.name,
                "message": None if known else _no_terrain_message(loaded, lon, lat),
            }
        )
    elif known:
        typer.echo(
            f"{elevation:.1f} m AMSL at {lon:.5f}, {lat:.5f}: {sample.worst_quality.value} "
            f"(±{accuracy:g} m, {loaded.terrain.name})"
        )
    else:
        typer.echo(_no_terrain_message(loaded, lon, lat), err=True)
    if not known:
        raise typer.Exit(int(ExitCode.NO_TERRAIN))


def _no_terrain_message(region: Region, lon: float, lat: float) -> str:
    if not region.terrain_status.has_dem:
        return f"unknown: {region.terrain_status.message}"
    return (
        f"unknown: no DEM of region {region.name} covers {lon:.5f}, {lat:.5f} (or it is nodata there); "
        f"DEMs in use: {region.terrain_status.message}"
    )


@terrain_app.command("tiles")
@clean_errors
def terrain_tiles(
    out: Annotated[Path, typer.Option("--out", help="Folder to write {z}/{x}/{y}.png into.")],
    zoom: Annotated[str, typer.Option("--zoom", help="Zoom level or range, e.g. 12 or 10-13.")] = "10-12",
    kind: Annotated[str, typer.Option("--kind", help="hillshade or slope.")] = "hillshade",
    region: RegionOption = None,
) -> None:
    """Write hillshade or slope XYZ tiles of the region for the offline basemap."""
    from geodata.terrain import hillshade_tile_png, slope_tile_png

    renderers = {"hillshade": hillshade_tile_png, "slope": slope_tile_png}
    if kind not in renderers:
        _fail(f"--kind must be one of {', '.join(renderers)}", ExitCode.USAGE)
    zooms = _zoom_range(zoom)
    loaded = _load(region)
    if not loaded.terrain_status.has_dem:
        _fail(loaded.terrain_status.message, ExitCode.NO_TERRAIN)
    tiles = [(z, x, y) for z in zooms for x, y in _tiles_covering(loaded.bbox, z)]
    if len(tiles) > 20000:
        _fail(f"{len(tiles)} tiles is too many; choose fewer zoom levels", ExitCode.USAGE)
    render = renderers[kind]
    with typer.progressbar(tiles, label=f"{kind} tiles", file=sys.stderr) as progress:
        for z, x, y in progress:
            target = out / str(z) / str(x) / f"{y}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(render(loaded.terrain, z, x, y))
    typer.echo(f"wrote {len(tiles)} {kind} tile(s) to {out}")


def _zoom_range(text: str) -> list[int]:
    try:
        first, _, last = text.partition("-")
        low, high = int(first), int(last or first)
    except ValueError:
        _fail(f"--zoom {text!r} must be a level or a range such as 10-13", ExitCode.USAGE)
    if not 0 <= low <= high <= 18:
        _fail(f"--zoom {text!r} must lie within 0..18 with low <= high", ExitCode.USAGE)
    return list(range(low, high + 1))


def _tiles_covering(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    def tile_xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    x0, y0 = tile_xy(bbox[0], bbox[3])
    x1, y1 = tile_xy(bbox[2], bbox[1])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


# ---- geodata ---------------------------------------------------------------------------------------


@geodata_app.command("info")
@clean_errors
def geodata_info(region: RegionOption = None, as_json: JsonOption = False) -> None:
    """Summary of the region: zones by restriction, border, terrain (DEM) status, cameras."""
    loaded = _load(region)
    summary = summarise(loaded)
    if as_json:
        _print_json(
            {
                "name": summary.name,
                "title": summary.title,
                "bbox": list(summary.bbox),
                "notice": summary.notice,
                "zones": {
                    "total": summary.zone_count,
                    "approximate": summary.approximate_zone_count,
                    "by_restriction": summary.zones_by_restriction,
                    "layers": [
                        {"origin": layer.origin.value, "path": str(layer.path), "zones": layer.zone_count}
                        for layer in summary.zone_layers
                    ],
                },
                "border": {
                    "countries": summary.countries,
                    "border_length_km": round(summary.border_length_km, 1),
                },
                "terrain": {
                    "quality": summary.terrain.quality.value,
                    "message": summary.terrain.message,
                    "sources": [
                        {
                            "name": s.name,
                            "path": str(s.path),
                            "vertical_accuracy_m": s.vertical_accuracy_m,
                            "origin": s.origin,
                        }
                        for s in summary.terrain.sources
                    ],
                    "flat_elevation_amsl_m": summary.terrain.flat_elevation_amsl_m,
                    "skipped": list(summary.terrain.skipped),
                },
                "cameras": list(summary.camera_ids),
                "user_data": str(loaded.user_data.root),
                "warnings": list(summary.warnings),
            }
        )
        return
    typer.echo(f"region   {summary.name}: {summary.title}")
    typer.echo(f"folder   {loaded.directory}")
    typer.echo(f"bbox     lon {summary.bbox[0]}–{summary.bbox[2]}, lat {summary.bbox[1]}–{summary.bbox[3]}")
    restrictions = ", ".join(f"{k} {v}" for k, v in summary.zones_by_restriction.items())
    typer.echo(
        f"zones    {summary.zone_count} ({restrictions}); {summary.approximate_zone_count} approximate"
    )
    for layer in summary.zone_layers:
        typer.echo(f"         {layer.origin.value}: {layer.path} ({layer.zone_count})")
    countries = ", ".join(f"{code} {name}" for code, name in summary.countries.items())
    typer.echo(f"border   {countries}; border line {summary.border_length_km:.1f} km in the data")
    typer.echo(f"terrain  {summary.terrain.message}")
    for skipped in summary.terrain.skipped:
        typer.echo(f"         skipped {skipped}")
    typer.echo(f"cameras  {len(summary.camera_ids)}: {', '.join(summary.camera_ids)}")
    typer.echo(f"data     {loaded.user_data.root}")
    typer.echo(f"notice   {summary.notice}")


@geodata_app.command("fetch-dem")
@clean_errors
def geodata_fetch_dem(
    region: RegionOption = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Where the Copernicus GLO-30 COG tiles are served.")
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Tile cache folder; default: $BORDERWATCH_DATA/dem/copernicus-glo30."),
    ] = None,
) -> None:
    """Download the region's Copernicus GLO-30 DEM tiles (needs network) and cache them."""
    from geodata.fetch_dem import base_url_from_env, fetch_copernicus_glo30

    loaded = _load(region)
    cache_dir = cache or loaded.user_data.copernicus_cache_dir
    with _FetchProgressBar() as progress:
        fetched = fetch_copernicus_glo30(
            loaded.bbox, cache_dir, base_url=base_url or base_url_from_env(), progress=progress
        )
    typer.echo(f"cached {len(fetched)} Copernicus GLO-30 tile(s) in {cache_dir}")
    if cache is not None and cache.resolve() != loaded.user_data.copernicus_cache_dir.resolve():
        typer.echo(f"this is not the region's search path: set BORDERWATCH_DEM={cache} to use these tiles")
    reloaded = load_region(region)
    typer.echo(f"terrain  {reloaded.terrain_status.message}")


class _FetchProgressBar:
    """Turns fetch-dem progress events into one bar over all tiles (each tile worth 100 steps)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._position = 0

    def __enter__(self) -> _FetchProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def __call__(self, event: FetchProgress) -> None:
        if self._bar is None:
            self._bar = typer.progressbar(
                length=event.tile_count * 100, label="Copernicus GLO-30", file=sys.stderr
            )
            self._bar.__enter__()
        if event.status in (TileStatus.CACHED, TileStatus.DONE, TileStatus.MISSING):
            within = 100
        elif event.bytes_total:
            within = min(99, int(100 * event.bytes_done / event.bytes_total))
        else:
            within = 0
        position = event.tile_index * 100 + within
        if position > self._position:
            self._bar.update(position - self._position)
            self._position = position
        if event.status is TileStatus.MISSING:
            typer.echo(f"\n{event.tile}: not in the bucket (sea or outside the product)", err=True)
