"""Agreement areas made from the region: "within N km of the CZ-PL border" as a WGS84 polygon.

Compiled once when an admin asks for it (and then stored in the agreement as a polygon), so deciding
never needs the border or a projection: a polygon test per item stays cheap at thousands per second.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Polygon

from geodata.crs import Crs, transform_geometry, utm_epsg_for
from ground_station.sharing.model import Area


def border_band(border: Any, km: float) -> Area:
    """The band of ``km`` on both sides of the border line; buffered in the border's UTM zone (metres),
    then simplified to ~50 m so the stored ring stays small."""
    line = border.border_line
    if line is None or line.is_empty:
        raise ValueError("the region has no border line")
    centre = line.centroid
    epsg = utm_epsg_for(float(centre.x), float(centre.y))
    metric = transform_geometry(line, Crs.WGS84, epsg)
    band = metric.buffer(km * 1000.0, quad_segs=8).simplify(50.0)
    if not isinstance(band, Polygon):
        band = band.convex_hull
    if band.is_empty:
        raise ValueError(f"a band of {km:g} km around the border is empty")
    ring = transform_geometry(Polygon(band.exterior), epsg, Crs.WGS84)
    return Area(
        ring=tuple((float(x), float(y)) for x, y in ring.exterior.coords), label=f"{km:g} km of the border"
    )
