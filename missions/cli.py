"""Command-line edge of missions: ``borderwatch mission validate|survey|convert|profile``.

Exit codes: 0 the mission is legal (warnings allowed), 1 it has errors, 2 the input could not be read.
Bad input is one clear message on stderr naming the file and the place, never a traceback.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from shapely.geometry import Polygon

from geodata.errors import GeodataError, InputError, Problem
from missions.formats.codec import CodecError
from missions.formats.convert import MissionFormat, format_of, read_mission, write_mission
from missions.formats.geojson import load_area
from missions.model import AltFrame, HomePosition, Mission, position_of
from missions.path import TerrainLike
from missions.patterns import Altitude, build_mission, survey_grid, terrain_follow
from missions.region import RegionLike
from missions.validate import CheckRecord, Lang, Severity, validate

mission_app = typer.Typer(no_args_is_help=True, help="Mission plans: validate, survey, convert, profile.")


class MissionExit(IntEnum):
    OK = 0
    HAS_ERRORS = 1
    BAD_INPUT = 2


RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="Region name or folder; default: $BORDERWATCH_REGION or jesenik-nysa."),
]
DemOption = Annotated[
    list[Path] | None,
    typer.Option("--dem", help="DEM file(s) to use before the region's own search list."),
]


def register(app: typer.Typer) -> None:
    """Adds this package's commands to the ``borderwatch`` app."""
    app.add_typer(mission_app, name="mission")


def error_object(
    code: str, message: str, source: str = "", problems: list[Problem] | None = None
) -> dict[str, Any]:
    """The stable JSON shape of a CLI error: ``{"ok": false, "error": {code, message, source, problems:
    [{path, message}]}}`` (``path`` is the JSON path or line of the problem)."""
    return {
        "ok": False,
        "error": {
            "code": code,
            "message": message,
            "source": source,
            "problems": [{"path": p.location, "message": p.message} for p in problems or []],
        },
    }


def _bad_input(
    message: str, *, as_json: bool = False, code: str = "bad_input", error: InputError | None = None
) -> NoReturn:
    """Exit 2 with the problem on stderr, or with ``--json`` as the error object on stdout."""
    if as_json:
        body = error_object(code, message, error.source if error else "", error.problems if error else None)
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(MissionExit.BAD_INPUT))


def _load_region(region: str | None, dem: list[Path] | None, *, as_json: bool = False) -> RegionLike:
    from geodata.atlas import load_region

    try:
        loaded = load_region(region, dem_paths=list(dem or ()))
    except InputError as exc:
        _bad_input(f"region: {exc}", as_json=as_json, code="bad_region", error=exc)
    except (GeodataError, OSError) as exc:
        _bad_input(f"region: {exc}", as_json=as_json, code="bad_region")
    for warning in loaded.warnings:
        typer.echo(f"note: {warning}", err=True)
    return loaded


def _read(path: Path, *, as_json: bool = False) -> Mission:
    try:
        return read_mission(path)
    except InputError as exc:
        _bad_input(str(exc), as_json=as_json, error=exc)
    except (CodecError, ValueError, OSError) as exc:
        _bad_input(f"{path}: {exc}", as_json=as_json)


def _parse_time(text: str | None, *, as_json: bool = False) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _bad_input(
            f"--at {text!r} is not an ISO 8601 time (e.g. 2026-07-01T08:00:00Z)",
            as_json=as_json,
            code="bad_option",
        )
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def mission_bbox(mission: Mission) -> tuple[float, float, float, float]:
    """lon_min, lat_min, lon_max, lat_max of home and every item with a position."""
    points = [(mission.home.lon, mission.home.lat)]
    points += [p for p in map(position_of, mission.items) if p is not None]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _dem_notes(dem: list[Path] | None, mission: Mission) -> list[str]:
    """Each --dem file that does not cover the mission area, with its bounds: a DEM named on the command
    line and then quietly unused would leave the pilot believing terrain was checked."""
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    west, south, east, north = mission_bbox(mission)
    area = f"lon {west:.4f}..{east:.4f}, lat {south:.4f}..{north:.4f}"
    notes: list[str] = []
    for path in dem or ():
        try:
            with rasterio.open(path) as dataset:
                bounds = dataset.bounds
                crs = dataset.crs
                left, bottom, right, top = (
                    transform_bounds(crs, "EPSG:4326", *bounds)
                    if crs is not None and crs.to_epsg() != 4326
                    else tuple(bounds)
                )
        except (RasterioError, OSError) as exc:
            notes.append(f"--dem {path}: cannot be read ({exc}); it is not used")
            continue
        if left <= west and right >= east and bottom <= south and top >= north:
            continue
        notes.append(
            f"--dem {path} covers lon {left:.4f}..{right:.4f}, lat {bottom:.4f}..{top:.4f}; "
            f"it does not cover the mission area ({area})"
        )
    return notes


@mission_app.command("validate")
def validate_command(
    plan: Annotated[Path, typer.Argument(help="Mission file: .plan, .geojson, .kml or .waypoints")],
    at: Annotated[str | None, typer.Option("--at", help="Zone times at this ISO time (UTC)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"ok": bool, "violations": [...]}')] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the messages")] = Lang.EN,
    region: RegionOption = None,
    dem: DemOption = None,
) -> None:
    """Checks a mission against zones, border, terrain, battery and structure. Exit 0 legal, 1 errors."""
    when = _parse_time(at, as_json=as_json)
    mission = _read(plan, as_json=as_json)
    loaded = _load_region(region, dem, as_json=as_json)
    notes = _dem_notes(dem, mission)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    report = validate(mission, loaded, at=when)
    if as_json:
        body = report.to_json_dict()
        body["notes"] = notes
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        for v in report.violations:
            place = []
            if v.item_index is not None:
                place.append(f"item {v.item_index}")
            if v.leg_index is not None:
                place.append(f"leg {v.leg_index}")
            if v.lon is not None and v.lat is not None:
                place.append(f"{v.lon:.5f} {v.lat:.5f}")
            if v.alt_amsl_m is not None:
                place.append(f"{v.alt_amsl_m:.0f} m AMSL")
            where = f" ({', '.join(place)})" if place else ""
            typer.echo(f"{v.severity.value:7} [{v.rule_id.value}]{where}: {v.messages[lang]}")
        errors = sum(v.severity is Severity.ERROR for v in report.violations)
        warnings = len(report.violations) - errors
        if report.checked is not None:
            typer.echo(_checked_line(report.checked))
        verdict = "LEGAL" if report.ok else "NOT LEGAL"
        typer.echo(f"{verdict}: {errors} error(s), {warnings} warning(s)")
    raise typer.Exit(int(MissionExit.OK if report.ok else MissionExit.HAS_ERRORS))


def _checked_line(checked: CheckRecord) -> str:
    """What the verdict rests on, in one line: legs checked, coverage, terrain, zone data sources."""
    legs = checked.legs
    zones = sum(leg.zones for leg in legs)
    border = sum(leg.border for leg in legs)
    terrain = {
        name: sum(leg.terrain == name for leg in legs) for name in ("precise", "approximate", "unknown")
    }
    terrain_text = ", ".join(f"{count} {name}" for name, count in terrain.items() if count)
    sources = "; ".join(checked.zone_sources) or "none"
    return (
        f"checked {len(legs)} leg(s): zone data covers {zones}, border data covers {border}, "
        f"terrain {terrain_text or 'none'} (zone data: {sources})"
    )


def _parse_home(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lon_text, lat_text = text.split(",")
        return float(lon_text), float(lat_text)
    except ValueError:
        _bad_input(f"--home {text!r} must be LON,LAT")


@mission_app.command("survey")
def survey_command(
    area: Annotated[Path, typer.Option("--area", help="GeoJSON file with the survey polygon")],
    alt_agl: Annotated[float, typer.Option("--alt-agl", help="Height above the terrain (m)", min=5, max=500)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output plan (.plan, .geojson, ...)")],
    spacing: Annotated[float | None, typer.Option("--spacing", help="Line spacing (m)")] = None,
    angle: Annotated[float | None, typer.Option("--angle", help="Flight direction (deg from east)")] = None,
    home: Annotated[str | None, typer.Option("--home", help="Take-off LON,LAT; default first vertex")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Terrain following tolerance (m)")] = 10.0,
    region: RegionOption = None,
    dem: DemOption = None,
) -> None:
    """Plans a terrain-following survey grid over an area and writes it as a plan."""
    try:
        polygon = load_area(area)
    except InputError as exc:
        _bad_input(str(exc))
    try:
        format_of(output)
    except InputError as exc:
        _bad_input(str(exc))
    home_lonlat = _parse_home(home) or tuple(polygon.exterior.coords[0])[:2]
    try:
        pattern = survey_grid(polygon, Altitude(alt_agl, AltFrame.AGL), spacing_m=spacing, angle_deg=angle)
        home_position = HomePosition(lon=float(home_lonlat[0]), lat=float(home_lonlat[1]))
    except ValueError as exc:
        _bad_input(f"{area}: {exc}")
    mission = build_mission(pattern, home_position, name=f"survey {area.stem} at {alt_agl:g} m AGL")
    loaded = _load_region(region, dem)
    terrain = loaded.terrain
    if terrain is not None and not _terrain_unknown(terrain, polygon):
        try:
            mission = terrain_follow(mission, terrain, tolerance_m=tolerance)
        except ValueError as exc:
            typer.echo(f"note: kept AGL (terrain frame) altitudes: {exc}", err=True)
    else:
        typer.echo("note: terrain unknown here; altitudes stay AGL (terrain frame), not followed", err=True)
    write_mission(mission, output)
    typer.echo(f"wrote {output}: {len(mission.items)} items")


def _terrain_unknown(terrain: TerrainLike, polygon: Polygon) -> bool:
    """Flat stand-in ground (no DEM) has no accuracy: following it would be pretending."""
    centre = polygon.centroid
    sample = terrain.sample(np.array([centre.x]), np.array([centre.y]))
    return bool(np.isnan(sample.accuracy_m).any() or np.isnan(sample.elevation_amsl_m).any())


@mission_app.command("convert")
def convert_command(
    source: Annotated[Path, typer.Argument(help="Input mission file")],
    target: Annotated[Path, typer.Argument(help="Output file; format from the extension")],
) -> None:
    """Converts between .plan, .geojson, .kml and .waypoints (QGC WPL 110); KML and .waypoints are lossy."""
    mission = _read(source)
    try:
        fmt = format_of(target)
    except InputError as exc:
        _bad_input(str(exc))
    if fmt.lossy:
        typer.echo(
            f"note: {fmt.value} is lossy: vehicle profile, authorisations and fence are not kept", err=True
        )
    try:
        write_mission(mission, target)
    except OSError as exc:
        _bad_input(f"{target}: {exc}")
    typer.echo(f"wrote {target} ({len(mission.items)} items)")


@mission_app.command("profile")
def profile_command(
    plan: Annotated[Path, typer.Argument(help="Mission file")],
    png: Annotated[Path, typer.Option("--png", help="Output PNG")],
    region: RegionOption = None,
    dem: DemOption = None,
) -> None:
    """Draws the path's altitude profile over the terrain with zone bands shaded."""
    from missions.profile import render_profile_png

    mission = _read(plan)
    loaded = _load_region(region, dem)
    render_profile_png(mission, loaded, png)
    typer.echo(f"wrote {png}")


__all__ = ["MissionExit", "MissionFormat", "register"]
