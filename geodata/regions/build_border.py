"""Rebuilds ``jesenik-nysa/border.geojson`` from the npm package ``@geo-maps/countries-maritime-10m``.

Why a script: the border file is a derived database under ODbL, so anyone must be able to redo the
derivation from the public package and check it. Run it from the repository root:

    .venv/bin/python -m geodata.regions.build_border

It runs ``npm pack`` into a temporary directory (so only npm, a registry client, is needed), reads
``map.geo.json``, keeps the countries whose polygons reach into the clip box, clips them, snaps the
coordinates to 5 decimals (about 1 m) while keeping the polygons valid, and writes the file.
The maritime variant is used on purpose: the land-only variant cuts inland water out of the country
polygons, which leaves gaps along the border rivers.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

PACKAGE = "@geo-maps/countries-maritime-10m"
VERSION = "0.6.0"
CLIP_BBOX = (16.6, 49.9, 18.0, 50.8)
"""lon_min, lat_min, lon_max, lat_max: the region (16.8-17.8 E, 50.0-50.7 N) with a wider margin."""
GRID_DEG = 1e-5
COUNTRY_NAMES = {"CZE": "Czechia", "POL": "Poland", "DEU": "Germany", "SVK": "Slovakia"}
OUTPUT = Path(__file__).resolve().parent / "jesenik-nysa" / "border.geojson"


@dataclass(frozen=True)
class ClippedCountry:
    iso_a3: str
    geometry: BaseGeometry


def fetch_package_geojson(workdir: Path) -> dict[str, Any]:
    """``npm pack`` the pinned package into ``workdir`` and parse its ``map.geo.json``."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(workdir)],
        check=True,
        cwd=workdir,
        capture_output=True,
    )
    tarball = next(workdir.glob("*.tgz"))
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/map.geo.json")
        if member is None:
            raise RuntimeError(f"{tarball} has no package/map.geo.json")
        data: dict[str, Any] = json.load(member)
    return data


def clip_countries(
    collection: dict[str, Any], bbox: tuple[float, float, float, float]
) -> list[ClippedCountry]:
    """Countries of ``COUNTRY_NAMES`` that reach into ``bbox``, clipped to it and snapped to the grid."""
    box = shapely.box(*bbox)
    clipped: list[ClippedCountry] = []
    for feature in collection["features"]:
        iso_a3 = feature["properties"].get("A3")
        if iso_a3 not in COUNTRY_NAMES:
            continue
        geometry = shape(feature["geometry"])
        if not geometry.intersects(box):
            continue
        part = shapely.set_precision(shapely.clip_by_rect(geometry, *bbox), GRID_DEG)
        if not part.is_empty:
            clipped.append(ClippedCountry(iso_a3, part))
    return sorted(clipped, key=lambda country: country.iso_a3)


def _rounded(coordinates: Any) -> Any:
    """set_precision leaves binary noise (16.800000000000001); JSON should show the 5 decimals."""
    if isinstance(coordinates, float | int):
        return round(float(coordinates), 5)
    return [_rounded(c) for c in coordinates]


def to_feature_collection(countries: list[ClippedCountry]) -> dict[str, Any]:
    source = f"npm {PACKAGE}@{VERSION} (map.geo.json), OSM-derived, data licence ODbL-1.0"
    features = []
    for country in countries:
        geometry = dict(mapping(country.geometry))
        geometry["coordinates"] = _rounded(geometry["coordinates"])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "iso_a3": country.iso_a3,
                    "name": COUNTRY_NAMES[country.iso_a3],
                    "clip_bbox": list(CLIP_BBOX),
                    "source": source,
                },
                "geometry": geometry,
            }
        )
    return {
        "type": "FeatureCollection",
        "attribution": "© OpenStreetMap contributors, ODbL-1.0 (via npm @geo-maps/countries-maritime-10m)",
        "features": features,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="borderwatch-border-") as tmp:
        collection = fetch_package_geojson(Path(tmp))
    countries = clip_countries(collection, CLIP_BBOX)
    OUTPUT.write_text(json.dumps(to_feature_collection(countries), separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT} ({', '.join(c.iso_a3 for c in countries)})")


if __name__ == "__main__":
    main()
