"""The region manifest (design contract 3): what a region folder holds, and where its terrain may be found.

Parsed into pydantic models at the file boundary, so a broken manifest fails with the field that is wrong
instead of a KeyError somewhere inside the atlas.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, InputError, Problem

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")
PositiveMetres = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionFiles(_Strict):
    zones: str
    border: str
    cameras: str | None = None


class DemSearchEntry(_Strict):
    """One rung of the DEM search list; ``{data}`` in a path stands for the user data directory."""

    label: str
    paths: list[str] = Field(min_length=1)
    vertical_accuracy_m: PositiveMetres
    """Used when a file found here neither carries an accuracy tag nor is a product borderwatch knows."""


class TerrainConfig(_Strict):
    search: list[DemSearchEntry] = Field(default_factory=list)
    flat_fallback_elevation_amsl_m: float = Field(allow_inf_nan=False)
    how_to_get_terrain: str


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    file: str
    licence: str
    what: str = ""


class RegionManifest(_Strict):
    schema_version: int = Field(alias="schema", ge=1, le=1)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    notice: str
    bbox: tuple[float, float, float, float]
    """lon_min, lat_min, lon_max, lat_max (WGS84)."""
    countries: list[str] = Field(default_factory=list)
    files: RegionFiles
    terrain: TerrainConfig
    sources: list[SourceEntry] = Field(min_length=1)

    @field_validator("bbox")
    @classmethod
    def _bbox_is_a_box(cls, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        lon_min, lat_min, lon_max, lat_max = bbox
        if not all(math.isfinite(v) for v in bbox):
            raise ValueError("bbox values must be finite numbers")
        if not (-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
            raise ValueError("bbox must be [lon_min, lat_min, lon_max, lat_max] in WGS84 with min < max")
        return bbox


def find_manifest(region_dir: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        candidate = region_dir / name
        if candidate.is_file():
            return candidate
    return None


def load_manifest(path: Path, *, max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> RegionManifest:
    """Reads and validates a manifest; every problem names its field path."""
    source = str(path)
    size = path.stat().st_size
    if size > max_input_bytes:
        raise FileTooLargeError(
            source, [Problem("file", f"{size} bytes is over the limit of {max_input_bytes}")]
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise InputError(source, [Problem(where, f"not valid YAML/JSON: {exc}")]) from None
    if not isinstance(raw, dict):
        raise InputError(source, [Problem("$", "a manifest must be a mapping of fields")])
    try:
        return RegionManifest.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem("$." + ".".join(str(p) for p in error["loc"]) if error["loc"] else "$", error["msg"])
            for error in exc.errors()
        ]
        raise InputError(source, problems) from None
