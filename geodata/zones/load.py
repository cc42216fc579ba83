"""One entry point for every zone format; the format is sniffed from the content when not given."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.zones.ed269 import load_ed269
from geodata.zones.ed318 import load_ed318
from geodata.zones.geojson_mapped import CZ_DRONEMAP, PL_PANSA_AIRSPACE, load_mapped_geojson
from geodata.zones.model import ImportResult
from geodata.zones.openair import load_openair
from geodata.zones.source_io import check_size, decode_text


class ZoneFormat(StrEnum):
    ED269 = "ed269"
    ED318 = "ed318"
    OPENAIR = "openair"
    CZ_DRONEMAP = "cz-dronemap"
    PL_PANSA = "pl-pansa"


SNIFF_BYTES = 64 * 1024


def sniff_format(head: str) -> ZoneFormat | None:
    """Guess from the first bytes: JSON keys for ED-269/ED-318/WFS layers, record keywords for OpenAir."""
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        if '"UASZoneList"' in text or '"horizontalProjection"' in text or '"uomDimensions"' in text:
            return ZoneFormat.ED269
        if '"FeatureCollection"' in text and ('"layer"' in text or '"limitedApplicability"' in text):
            return ZoneFormat.ED318
        if '"airspaceElementType"' in text or '"designator"' in text:
            return ZoneFormat.PL_PANSA
        if '"nazev' in text or '"AGL_limit"' in text or '"OOP"' in text or '"IDENT"' in text:
            return ZoneFormat.CZ_DRONEMAP
        if '"FeatureCollection"' in text:
            return ZoneFormat.ED318
        return None
    for line in text.splitlines()[:400]:
        stripped = line.strip()
        if stripped.startswith(("AC ", "AN ", "DP ", "V X=")) or stripped == "AC":
            return ZoneFormat.OPENAIR
    return None


def load_zones(
    path: Path | str,
    format: ZoneFormat | None = None,
    strict: bool = False,
    *,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    country: str | None = None,
) -> ImportResult:
    """Import a zone file of any supported format; problems carry the file name and JSON path/line."""
    path = Path(path)
    fmt = format
    if fmt is None:
        fmt = _sniff_file(path, max_bytes)
    if fmt is ZoneFormat.OPENAIR:
        return load_openair(path, strict=strict, country=country, max_bytes=max_bytes)
    if fmt is ZoneFormat.ED269:
        return load_ed269(path, strict=strict, max_bytes=max_bytes)
    if fmt is ZoneFormat.ED318:
        return load_ed318(path, strict=strict, max_bytes=max_bytes)
    mapping = CZ_DRONEMAP if fmt is ZoneFormat.CZ_DRONEMAP else PL_PANSA_AIRSPACE
    return load_mapped_geojson(path, mapping, strict=strict, max_bytes=max_bytes)


def _sniff_file(path: Path, max_bytes: int) -> ZoneFormat:
    check_size(path, max_bytes)  # size and readability first: a huge file is refused, not sniffed
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    fmt = sniff_format(decode_text(head, str(path)) if head else "")
    if fmt is None:
        choices = ", ".join(f.value for f in ZoneFormat)
        raise InputError(
            str(path), [Problem("file", f"cannot tell the zone format; pass format= one of {choices}")]
        )
    return fmt
