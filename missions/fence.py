"""The onboard geofence derived from the zones near a mission, within the vehicle's budget of fence points.

The fence is the vehicle's own last line of defence, so every simplification is on the safe side: the
inclusion polygon still contains the whole path, and each exclusion polygon still covers its zone (it is
simplified, then grown by the simplification tolerance). What the budget cannot fit is named, not dropped
silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from pymavlink import mavutil
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.crs import Crs, transform_geometry
from geodata.vertical import VerticalRef
from geodata.zones.model import Restriction, Zone
from missions.formats.mavlink_items import MissionItemInt
from missions.model import AltFrame, FenceCircle, FencePolygon, Geofence, Mission, RallyPoint, utc_start
from missions.path import build_vertices
from missions.region import RegionLike

mav = mavutil.mavlink

DEFAULT_MARGIN_M = 100.0
"""Width of the approved operating area either side of the path."""
DEFAULT_SEARCH_M = 2_000.0
"""Zones this far outside the operating area still get an exclusion (the vehicle may drift or be flown)."""
_TOLERANCES_M = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
_METRIC = int(Crs.UTM33N)


@dataclass(frozen=True)
class _Exclusion:
    zone_id: str
    distance_m: float
    polygon_m: Polygon | None
    circle: FenceCircle | None


def _to_metric(geom: BaseGeometry) -> BaseGeometry:
    return transform_geometry(geom, Crs.WGS84, _METRIC)


def _to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    return transform_geometry(geom, _METRIC, Crs.WGS84)


def _ring_vertices(polygon: Polygon) -> tuple[tuple[float, float], ...]:
    """Exterior ring in lon/lat without the closing repeat."""
    coords = shapely.get_coordinates(_to_lonlat(polygon.exterior))
    return tuple((float(x), float(y)) for x, y in coords[:-1])


def _parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon):
        return [g for g in geom.geoms if not g.is_empty]
    return [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]


def _reachable(zone: Zone, max_amsl_m: float, max_agl_m: float) -> bool:
    """Whether the mission could reach the zone's band from below (2D fences cannot express bands)."""
    for volume in zone.volumes:
        lower = volume.lower
        if lower.ref is VerticalRef.AGL:
            if lower.value_m <= max_agl_m:
                return True
        elif lower.value_m <= max_amsl_m + 100.0:  # AMSL, WGS84 (~45 m apart here) and STD, with a margin
            return True
    return False


def _blocking(zone: Zone, authorisations: tuple[str, ...]) -> bool:
    if zone.restriction is Restriction.PROHIBITED:
        return True
    if zone.restriction is Restriction.REQ_AUTHORISATION:
        return not ({zone.uid, zone.identifier} & set(authorisations) - {""})
    return False


def _covering(polygon_m: Polygon, tolerance_m: float) -> Polygon:
    """Fewer vertices, still covering the original: simplify by t, then grow by t with mitred corners."""
    if tolerance_m <= 0:
        return polygon_m
    grown = polygon_m.simplify(tolerance_m, preserve_topology=True).buffer(
        tolerance_m, join_style="mitre", mitre_limit=3.0
    )
    parts = _parts(grown)
    return max(parts, key=lambda p: p.area) if parts else polygon_m


def _inclusion(area_m: Polygon, tolerance_m: float, margin_m: float) -> Polygon:
    """Simplified within the margin, so the path (``margin_m`` from the edge) stays inside."""
    t = min(tolerance_m, margin_m * 0.5)
    simplified = area_m.simplify(t, preserve_topology=True) if t > 0 else area_m
    parts = _parts(simplified)
    return max(parts, key=lambda p: p.area) if parts else area_m


def _vertex_count(polygon: Polygon) -> int:
    return len(polygon.exterior.coords) - 1


def derive_geofence(
    mission: Mission,
    region: RegionLike,
    *,
    max_points: int | None = None,
    margin_m: float = DEFAULT_MARGIN_M,
    search_m: float = DEFAULT_SEARCH_M,
    at: datetime | None = None,
) -> Geofence:
    """Inclusion polygon around the buffered path plus exclusions for blocking zones nearby.

    Blocking: PROHIBITED, and REQ_AUTHORISATION without the mission's authorisation, active at the planned
    time, whose band the mission can reach. ``max_points`` defaults to the vehicle's ``max_fence_points``.
    """
    budget = max_points if max_points is not None else mission.vehicle.max_fence_points
    vertices = build_vertices(mission, region.terrain)
    track = np.column_stack([vertices.lon, vertices.lat])
    unique_track = np.unique(track, axis=0)
    path: BaseGeometry = LineString(track) if unique_track.shape[0] >= 2 else Point(track[0])
    path_m = _to_metric(path)
    area_m = path_m.buffer(margin_m, quad_segs=4)
    if not isinstance(area_m, Polygon):
        area_m = area_m.convex_hull
    search_m_geom = area_m.buffer(search_m, quad_segs=4)
    alts = vertices.alt_amsl_m[np.isfinite(vertices.alt_amsl_m)]
    max_amsl = float(alts.max()) if alts.size else math.inf
    ground = float(np.nanmin(alts)) if alts.size else math.nan
    max_agl = max_amsl - ground if math.isfinite(ground) else math.inf

    exclusions: list[_Exclusion] = []
    when = utc_start(mission, at)
    for zone in region.zones.in_area(_to_lonlat(search_m_geom), at=when):
        if not _blocking(zone, mission.zone_authorisations) or not _reachable(zone, max_amsl, max_agl):
            continue
        for volume in zone.volumes:
            footprint_m = _to_metric(volume.footprint)
            distance = float(footprint_m.distance(path_m))
            if volume.circle is not None:
                c = volume.circle
                circle = FenceCircle(lon=c.center_lon, lat=c.center_lat, radius_m=c.radius_m, inclusion=False)
                exclusions.append(_Exclusion(zone.identifier, distance, None, circle))
                continue
            clipped = footprint_m.intersection(search_m_geom)
            for part in _parts(clipped):
                exclusions.append(_Exclusion(zone.identifier, distance, part, None))

    exclusions.sort(key=lambda e: e.distance_m)
    return _fit_budget(area_m, exclusions, budget, margin_m)


def _coverings(polygons_m: Sequence[Polygon], tolerance_m: float) -> list[Polygon]:
    """``_covering`` for many polygons at once (shapely's vectorised simplify and buffer)."""
    if not polygons_m:
        return []
    if tolerance_m <= 0:
        return list(polygons_m)
    array = np.asarray(polygons_m, dtype=object)
    grown = shapely.buffer(
        shapely.simplify(array, tolerance_m, preserve_topology=True),
        tolerance_m,
        join_style="mitre",
        mitre_limit=3.0,
    )
    out: list[Polygon] = []
    for original, cover in zip(polygons_m, grown, strict=True):
        single = cover if isinstance(cover, Polygon) else cover.convex_hull
        out.append(single if isinstance(single, Polygon) and not single.is_empty else original)
    return out


def _fence(
    inclusion: Polygon, polygons: Sequence[Polygon], circles: Sequence[FenceCircle], dropped: Sequence[str]
) -> Geofence:
    return Geofence(
        polygons=(
            FencePolygon(vertices=_ring_vertices(inclusion), inclusion=True),
            *(FencePolygon(vertices=_ring_vertices(p), inclusion=False) for p in polygons),
        ),
        circles=tuple(circles),
        not_represented=tuple(dict.fromkeys(dropped)),
    )


def _fit_budget(area_m: Polygon, exclusions: Sequence[_Exclusion], budget: int, margin_m: float) -> Geofence:
    """Coarser tolerances first; if even the coarsest cannot hold every zone, the nearest zones are kept
    and the farthest named in ``not_represented``."""
    polygon_zones = [e for e in exclusions if e.polygon_m is not None]
    circle_zones = [e for e in exclusions if e.circle is not None]
    originals = [e.polygon_m for e in polygon_zones if e.polygon_m is not None]
    for tolerance in _TOLERANCES_M:
        inclusion = _inclusion(area_m, tolerance, margin_m)
        covers = _coverings(originals, tolerance)
        total = _vertex_count(inclusion) + sum(_vertex_count(p) for p in covers) + len(circle_zones)
        if total <= budget:
            return _fence(inclusion, covers, [e.circle for e in circle_zones if e.circle is not None], [])
    inclusion = _inclusion(area_m, _TOLERANCES_M[-1], margin_m)
    if _vertex_count(inclusion) > budget:
        hull = area_m.convex_hull
        if not isinstance(hull, Polygon) or _vertex_count(hull) > budget:
            raise ValueError(f"even the operating area alone needs more than {budget} fence points")
        inclusion = hull
    cover_of = dict(
        zip((id(e) for e in polygon_zones), _coverings(originals, _TOLERANCES_M[-1]), strict=True)
    )
    room = budget - _vertex_count(inclusion)
    kept_polygons: list[Polygon] = []
    kept_circles: list[FenceCircle] = []
    dropped: list[str] = []
    for exclusion in exclusions:  # nearest first
        cost = 1 if exclusion.circle is not None else _vertex_count(cover_of[id(exclusion)])
        if cost <= room and not dropped:
            room -= cost
            if exclusion.circle is not None:
                kept_circles.append(exclusion.circle)
            else:
                kept_polygons.append(cover_of[id(exclusion)])
        else:
            dropped.append(exclusion.zone_id)
    return _fence(inclusion, kept_polygons, kept_circles, dropped)


def geofence_to_items(geofence: Geofence) -> list[MissionItemInt]:
    """MAVLink fence items (mission_type FENCE): polygon vertices carry the vertex count in param1."""
    out: list[MissionItemInt] = []
    for polygon in geofence.polygons:
        command = (
            mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
            if polygon.inclusion
            else mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
        )
        for lon, lat in polygon.vertices:
            out.append(_fence_item(len(out), command, float(len(polygon.vertices)), lon, lat))
    for circle in geofence.circles:
        command = (
            mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
            if circle.inclusion
            else mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
        )
        out.append(_fence_item(len(out), command, float(np.float32(circle.radius_m)), circle.lon, circle.lat))
    return out


def _fence_item(seq: int, command: int, param1: float, lon: float, lat: float) -> MissionItemInt:
    return MissionItemInt(
        seq=seq,
        frame=mav.MAV_FRAME_GLOBAL,
        command=command,
        current=0,
        autocontinue=1,
        param1=param1,
        param2=0.0,
        param3=0.0,
        param4=0.0,
        x=round(lat * 1e7),
        y=round(lon * 1e7),
        z=0.0,
        mission_type=mav.MAV_MISSION_TYPE_FENCE,
    )


def items_to_geofence(items: Sequence[MissionItemInt]) -> Geofence:
    """A downloaded fence list back into polygons and circles; ValueError on a malformed list."""
    polygons: list[FencePolygon] = []
    circles: list[FenceCircle] = []
    ordered = sorted(items, key=lambda i: i.seq)
    k = 0
    polygon_commands = {
        mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION: True,
        mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION: False,
    }
    circle_commands = {
        mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION: True,
        mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION: False,
    }
    while k < len(ordered):
        item = ordered[k]
        if item.command in polygon_commands:
            count = int(item.param1)
            group = ordered[k : k + count]
            if count < 3 or len(group) != count or any(g.command != item.command for g in group):
                raise ValueError(f"fence item seq {item.seq}: polygon of {count} vertices is incomplete")
            polygons.append(
                FencePolygon(
                    vertices=tuple((g.y / 1e7, g.x / 1e7) for g in group),
                    inclusion=polygon_commands[item.command],
                )
            )
            k += count
        elif item.command in circle_commands:
            circles.append(
                FenceCircle(
                    lon=item.y / 1e7,
                    lat=item.x / 1e7,
                    radius_m=item.param1,
                    inclusion=circle_commands[item.command],
                )
            )
            k += 1
        else:
            raise ValueError(f"fence item seq {item.seq}: command {item.command} is not a fence command")
    return Geofence(polygons=tuple(polygons), circles=tuple(circles))


_RALLY_FRAME = {
    AltFrame.AMSL: mav.MAV_FRAME_GLOBAL,
    AltFrame.REL_HOME: mav.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    AltFrame.AGL: mav.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}


def rally_to_items(points: Sequence[RallyPoint]) -> list[MissionItemInt]:
    """Rally points as MAV_CMD_NAV_RALLY_POINT items (mission_type RALLY)."""
    return [
        MissionItemInt(
            seq=seq,
            frame=_RALLY_FRAME[p.alt_frame],
            command=mav.MAV_CMD_NAV_RALLY_POINT,
            current=0,
            autocontinue=1,
            param1=0.0,
            param2=0.0,
            param3=0.0,
            param4=0.0,
            x=round(p.lat * 1e7),
            y=round(p.lon * 1e7),
            z=float(np.float32(p.alt_m)),
            mission_type=mav.MAV_MISSION_TYPE_RALLY,
        )
        for seq, p in enumerate(points)
    ]
