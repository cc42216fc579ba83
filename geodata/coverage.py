"""Where loaded data is complete: the area a zone set or a border can answer for.

Kept with the data (region manifest bbox, each import's declared or computed coverage, the border's
country polygons) so that a mission outside it is reported as unchecked rather than passed (contract 18).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class DataCoverage:
    """Where the loaded data is complete (lon/lat geometries): outside ``zones`` nobody told borderwatch
    which zones exist, outside ``border`` it does not know which country a point is in. Missing data is
    not permission (design contract 18), so a path outside either is not checked, and not legal.
    """

    zones: BaseGeometry
    border: BaseGeometry
    zone_sources: tuple[str, ...] = ()
    """What the zone coverage is made of (region manifest area, each import), for the report."""
