"""The geofence as PX4 evaluates it: uploaded inclusion/exclusion polygons and circles plus the
GF_MAX_HOR_DIST / GF_MAX_VER_DIST limits around home, checked on the actual position (GF_PREDICT=0).

Inclusion zones form a union (inside any one is fine); every exclusion zone must be avoided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pymavlink.dialects.v20 import common as mavlink

from sim.geo import LocalFrame, point_in_polygon
from sim.mission_store import StoredItem


@dataclass(frozen=True)
class FencePolygon:
    vertices_en: tuple[tuple[float, float], ...]
    inclusion: bool


@dataclass(frozen=True)
class FenceCircle:
    centre_en: tuple[float, float]
    radius_m: float
    inclusion: bool


@dataclass
class Geofence:
    polygons: list[FencePolygon] = field(default_factory=list)
    circles: list[FenceCircle] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.polygons and not self.circles

    def contains(self, east_m: float, north_m: float) -> bool:
        """True when the point is inside the fence (trivially so when there is none)."""
        inclusions = 0
        inside_some = False
        for poly in self.polygons:
            inside = point_in_polygon(east_m, north_m, list(poly.vertices_en))
            if poly.inclusion:
                inclusions += 1
                inside_some = inside_some or inside
            elif inside:
                return False
        for circle in self.circles:
            inside = (
                math.hypot(east_m - circle.centre_en[0], north_m - circle.centre_en[1]) <= circle.radius_m
            )
            if circle.inclusion:
                inclusions += 1
                inside_some = inside_some or inside
            elif inside:
                return False
        return inside_some or inclusions == 0


def geofence_from_items(items: list[StoredItem], frame: LocalFrame) -> Geofence:
    """Groups consecutive polygon vertices by their declared count (param1), as PX4 does."""
    fence = Geofence()
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in (
            mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
        ):
            count = max(int(item.param1), 1)
            vertices = [frame.to_en(v.lon, v.lat) for v in items[i : i + count]]
            if len(vertices) >= 3:
                fence.polygons.append(
                    FencePolygon(
                        tuple(vertices), item.command == mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
                    )
                )
            i += count
            continue
        if item.command in (
            mavlink.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
            mavlink.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
        ):
            fence.circles.append(
                FenceCircle(
                    frame.to_en(item.lon, item.lat),
                    float(item.param1),
                    item.command == mavlink.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                )
            )
        i += 1
    return fence


def violates(
    fence: Geofence,
    east_m: float,
    north_m: float,
    alt_rel_m: float,
    max_hor_dist_m: float,
    max_ver_dist_m: float,
    home_en: tuple[float, float] = (0.0, 0.0),
) -> bool:
    """True when the position breaks any fence rule (GF_MAX_* count from home)."""
    if max_hor_dist_m > 0 and math.hypot(east_m - home_en[0], north_m - home_en[1]) > max_hor_dist_m:
        return True
    if max_ver_dist_m > 0 and alt_rel_m > max_ver_dist_m:
        return True
    return not fence.contains(east_m, north_m)
