"""Vertical accuracy of the DEM products borderwatch knows, so a file can declare it without a flag."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KnownProduct:
    name: str
    vertical_accuracy_m: float
    basis: str


COPERNICUS_GLO30 = KnownProduct(
    "Copernicus DEM GLO-30", 4.0, "ESA/Airbus product spec: absolute vertical accuracy < 4 m (LE90)"
)
COPERNICUS_GLO90 = KnownProduct("Copernicus DEM GLO-90", 4.0, "same source data as GLO-30, < 4 m (LE90)")
SRTM = KnownProduct("SRTM 1/3 arc-second (.hgt)", 16.0, "SRTM mission spec: 16 m absolute (LE90)")
SRTM30_PLUS = KnownProduct(
    "SRTM30_PLUS 30 arc-second",
    130.0,
    "shared/data/dem README: 1.5 km pixels of 1 km averages, byte-split artifacts up to +-128 m",
)

ACCURACY_TAG_NAMES = ("VERTICAL_ACCURACY_M", "vertical_accuracy_m", "BORDERWATCH_VERTICAL_ACCURACY_M")
"""GeoTIFF metadata tags a DEM may carry its accuracy in (written by borderwatch and by the tests)."""

_COPERNICUS_30 = re.compile(r"Copernicus_DSM(_COG)?_10_", re.IGNORECASE)
_COPERNICUS_90 = re.compile(r"Copernicus_DSM(_COG)?_30_", re.IGNORECASE)
_SRTM_HGT = re.compile(r"^[NS]\d{2}[EW]\d{3}(\.SRTMGL[13])?\.hgt(\.zip)?$", re.IGNORECASE)


def known_product(path: Path, tags: Mapping[str, str]) -> KnownProduct | None:
    """Recognises a product from its file name or its metadata tags."""
    name = path.name
    if _COPERNICUS_30.search(name):
        return COPERNICUS_GLO30
    if _COPERNICUS_90.search(name):
        return COPERNICUS_GLO90
    if _SRTM_HGT.match(name):
        return SRTM
    source = " ".join(str(v) for v in tags.values())
    if "srtm30plus" in name.lower() or "SRTM30_PLUS" in source:
        return SRTM30_PLUS
    return None


def accuracy_from_tags(tags: Mapping[str, str]) -> float | None:
    """A declared accuracy tag, if the file has one and it is a positive number."""
    for key in ACCURACY_TAG_NAMES:
        if key in tags:
            try:
                value = float(tags[key])
            except ValueError:
                return None
            return value if value > 0 else None
    return None
