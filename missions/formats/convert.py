"""Reading and writing any supported mission file, chosen by its extension."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from missions.formats.geojson import dump_geojson, load_geojson
from missions.formats.kml import dump_kml, load_kml
from missions.formats.qgc_plan import dump_plan, load_plan
from missions.formats.waypoints import dump_waypoints, load_waypoints
from missions.model import Mission


class MissionFormat(StrEnum):
    PLAN = ".plan"
    GEOJSON = ".geojson"
    KML = ".kml"
    WAYPOINTS = ".waypoints"

    @property
    def lossy(self) -> bool:
        """Whether writing this format drops mission fields (design contract 10)."""
        return self in (MissionFormat.KML, MissionFormat.WAYPOINTS)


_ALIASES = {".json": MissionFormat.GEOJSON, ".txt": MissionFormat.WAYPOINTS}


def format_of(path: Path) -> MissionFormat:
    suffix = path.suffix.lower()
    if suffix in _ALIASES:
        return _ALIASES[suffix]
    try:
        return MissionFormat(suffix)
    except ValueError:
        known = ", ".join(f.value for f in MissionFormat)
        raise InputError(
            str(path), [Problem("file name", f"unknown extension {suffix!r} (use {known})")]
        ) from None


def read_mission(path: Path, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> Mission:
    fmt = format_of(path)
    if fmt is MissionFormat.PLAN:
        return load_plan(path, max_bytes=max_bytes)
    if fmt is MissionFormat.GEOJSON:
        return load_geojson(path, max_bytes=max_bytes)
    if fmt is MissionFormat.KML:
        return load_kml(path, max_bytes=max_bytes)
    return load_waypoints(path, max_bytes=max_bytes)


def render_mission(mission: Mission, fmt: MissionFormat) -> bytes:
    if fmt is MissionFormat.PLAN:
        return json.dumps(dump_plan(mission), indent=4, allow_nan=False).encode()
    if fmt is MissionFormat.GEOJSON:
        return json.dumps(dump_geojson(mission), indent=1, allow_nan=False).encode()
    if fmt is MissionFormat.KML:
        return dump_kml(mission)
    return dump_waypoints(mission).encode()


def write_mission(mission: Mission, path: Path) -> MissionFormat:
    fmt = format_of(path)
    path.write_bytes(render_mission(mission, fmt))
    return fmt
