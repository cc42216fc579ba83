"""GeoJSON for sharing a mission with GIS tools and partners' maps.

The export draws the path, every positioned item, the fence and rally points as features, and carries the
whole mission as a foreign member ``"borderwatch_mission"``, so a borderwatch export reads back exactly.
A GeoJSON from elsewhere is read as a route: its first LineString becomes waypoints (lossy by nature).
Survey areas are read from here too (``load_area``).
"""

from __future__ import annotations

from typing import Any

import shapely
from pydantic import ValidationError
from shapely.geometry import Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from missions.formats.jsonread import Problems, as_list, as_number, as_object, type_name
from missions.formats.source import Source, parse_json, read_source
from missions.model import (
    AltFrame,
    FlyingItem,
    HomePosition,
    Land,
    Mission,
    MissionItem,
    PositionedItem,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)

MEMBER = "borderwatch_mission"
MAX_VERTICES = 100_000


def dump_geojson(mission: Mission) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    track = [[mission.home.lon, mission.home.lat]]
    track += [[i.lon, i.lat] for i in mission.items if isinstance(i, FlyingItem | Land)]
    if any(isinstance(i, ReturnToLaunch) for i in mission.items):
        track.append([mission.home.lon, mission.home.lat])
    features.append(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": track},
            "properties": {"role": "path"},
        }
    )
    features.append(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [mission.home.lon, mission.home.lat]},
            "properties": {"role": "home", "alt_amsl_m": mission.home.alt_amsl_m},
        }
    )
    for index, item in enumerate(mission.items):
        if not isinstance(item, PositionedItem):
            continue
        props = {"role": "item", "index": index, **item.model_dump(mode="json", exclude={"lon", "lat"})}
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [item.lon, item.lat]},
                "properties": props,
            }
        )
    for polygon in mission.geofence.polygons:
        ring = [list(v) for v in polygon.vertices] + [list(polygon.vertices[0])]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"role": "fence", "inclusion": polygon.inclusion},
            }
        )
    for circle in mission.geofence.circles:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [circle.lon, circle.lat]},
                "properties": {
                    "role": "fence_circle",
                    "inclusion": circle.inclusion,
                    "radius_m": circle.radius_m,
                },
            }
        )
    for rally in mission.rally_points:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rally.lon, rally.lat]},
                "properties": {"role": "rally", "alt_m": rally.alt_m, "alt_frame": rally.alt_frame.value},
            }
        )
    return {"type": "FeatureCollection", "features": features, MEMBER: mission.model_dump(mode="json")}


def _pydantic_problems(exc: ValidationError, prefix: str) -> list[Problem]:
    out = []
    for error in exc.errors()[:50]:
        location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        out.append(Problem(f"{prefix}{location}", error["msg"]))
    return out


def _positions(coords: Any, where: str, problems: Problems) -> list[tuple[float, float, float | None]]:
    points = as_list(coords, where, problems, max_len=MAX_VERTICES) or []
    out: list[tuple[float, float, float | None]] = []
    for k, p in enumerate(points):
        pos = as_list(p, f"{where}[{k}]", problems)
        if pos is None:
            continue
        if len(pos) not in (2, 3):
            problems.add(f"{where}[{k}]", f"a position has 2 or 3 numbers, got {len(pos)}")
            continue
        lon = as_number(pos[0], f"{where}[{k}][0]", problems, lo=-180.0, hi=180.0)
        lat = as_number(pos[1], f"{where}[{k}][1]", problems, lo=-90.0, hi=90.0)
        alt = (
            as_number(pos[2], f"{where}[{k}][2]", problems, lo=-1000.0, hi=20000.0) if len(pos) == 3 else None
        )
        if lon is not None and lat is not None and (len(pos) == 2 or alt is not None):
            out.append((lon, lat, alt))
    return out


def _features(doc: Any, problems: Problems) -> list[tuple[str, dict[str, Any]]]:
    obj = as_object(doc, "$", problems)
    if obj is None:
        return []
    if obj.get("type") == "Feature":
        return [("$", obj)]
    if obj.get("type") != "FeatureCollection":
        problems.add("$.type", f"expected 'FeatureCollection' or 'Feature', got {type_name(obj.get('type'))}")
        return []
    features = as_list(obj.get("features"), "$.features", problems, max_len=MAX_VERTICES) or []
    out = []
    for k, f in enumerate(features):
        fo = as_object(f, f"$.features[{k}]", problems)
        if fo is not None:
            out.append((f"$.features[{k}]", fo))
    return out


def _route_mission(doc: Any, name: str, default_alt_rel_m: float) -> Mission:
    problems = Problems()
    for where, feature in _features(doc, problems):
        geometry = as_object(feature.get("geometry"), f"{where}.geometry", problems)
        if geometry is None or geometry.get("type") != "LineString":
            continue
        points = _positions(geometry.get("coordinates"), f"{where}.geometry.coordinates", problems)
        if problems:
            break
        if len(points) < 2:
            problems.add(f"{where}.geometry.coordinates", "a route needs at least 2 positions")
            break
        items: list[MissionItem] = [
            Takeoff(lon=points[0][0], lat=points[0][1], alt_m=default_alt_rel_m, alt_frame=AltFrame.REL_HOME)
        ]
        for lon, lat, alt in points[1:]:
            if alt is None:
                items.append(Waypoint(lon=lon, lat=lat, alt_m=default_alt_rel_m, alt_frame=AltFrame.REL_HOME))
            else:
                items.append(Waypoint(lon=lon, lat=lat, alt_m=alt, alt_frame=AltFrame.AMSL))
        items.append(ReturnToLaunch())
        return Mission(items=tuple(items), home=HomePosition(lon=points[0][0], lat=points[0][1]))
    if not problems:
        problems.add("$", "no LineString feature to read as a route")
    raise InputError(name, problems.items)


def load_geojson(
    source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES, default_alt_rel_m: float = 50.0
) -> Mission:
    """A mission from a borderwatch export (exact), or a route from any GeoJSON LineString (lossy)."""
    data, name = read_source(source, max_bytes=max_bytes)
    doc = parse_json(data, name)
    if isinstance(doc, dict) and MEMBER in doc:
        try:
            return Mission.model_validate(doc[MEMBER])
        except ValidationError as exc:
            raise InputError(name, _pydantic_problems(exc, f"$.{MEMBER}")) from None
    return _route_mission(doc, name, default_alt_rel_m)


def load_area(source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> Polygon:
    """The first Polygon in a GeoJSON file (a survey area); InputError with JSON path when there is none or
    it is invalid (self-intersecting, too few vertices, out-of-range coordinates)."""
    data, name = read_source(source, max_bytes=max_bytes)
    doc = parse_json(data, name)
    problems = Problems()
    candidates: list[tuple[str, dict[str, Any]]] = []
    obj = doc if isinstance(doc, dict) else None
    if obj is not None and obj.get("type") == "Polygon":
        candidates = [("$", obj)]
    else:
        for where, feature in _features(doc, problems):
            geometry = as_object(feature.get("geometry"), f"{where}.geometry", problems)
            if geometry is not None and geometry.get("type") == "Polygon":
                candidates.append((f"{where}.geometry", geometry))
    for where, geometry in candidates[:1]:
        rings = as_list(geometry.get("coordinates"), f"{where}.coordinates", problems)
        if not rings:
            problems.add(f"{where}.coordinates", "a polygon needs an exterior ring")
            break
        shell = _positions(rings[0], f"{where}.coordinates[0]", problems)
        holes = [
            _positions(r, f"{where}.coordinates[{k}]", problems) for k, r in enumerate(rings[1:], start=1)
        ]
        if problems:
            break
        if len(shell) < 4:
            problems.add(f"{where}.coordinates[0]", f"a ring needs at least 4 positions, got {len(shell)}")
            break
        polygon = Polygon([(p[0], p[1]) for p in shell], [[(p[0], p[1]) for p in h] for h in holes])
        if not polygon.is_valid:
            problems.add(f"{where}.coordinates", f"invalid polygon: {shapely.is_valid_reason(polygon)}")
            break
        return polygon
    if not problems:
        problems.add("$", "no Polygon geometry found")
    raise InputError(name, problems.items)


__all__ = ["dump_geojson", "load_area", "load_geojson"]
