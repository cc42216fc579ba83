"""QGroundControl ``.plan`` files: mission (simple and survey/corridor complex items), geoFence, rallyPoints.

What QGC has no place for (authorisations, category, vehicle profile, start time, pilot position) travels
in a top-level ``"borderwatch"`` block that QGC ignores (design contract 10). AGL intent needs no block:
QGC's own "calculated above terrain" altitude mode (AltitudeMode 3) carries it.

Complex items are imported as the simple items QGC generated for them (``TransectStyleComplexItem.Items``,
exactly what QGC uploads), so a survey drawn in QGC is checked as flown; exported plans hold simple items.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import shapely
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError
from shapely.geometry import Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError
from missions.formats.codec import (
    CodecError,
    RawItem,
    item_to_raw,
    params_of,
    raw_to_item,
)
from missions.formats.jsonread import (
    Problems,
    as_bool,
    as_int,
    as_list,
    as_number,
    as_object,
    lat_lon,
    type_name,
)
from missions.formats.source import Source, parse_json, read_source
from missions.model import (
    AltFrame,
    FenceCircle,
    FencePolygon,
    Geofence,
    GroundPoint,
    HomePosition,
    Land,
    Loiter,
    Mission,
    MissionItem,
    OperationCategory,
    Orbit,
    RallyPoint,
    RegionOfInterest,
    Takeoff,
    VehicleProfile,
    Waypoint,
)

DEFAULT_MAX_ITEMS = 10_000
"""More items than any autopilot stores (PX4's dataman holds a few thousand): refuse, do not churn."""
MAX_FENCE_VERTICES = 10_000

# QGC's AltitudeMode values (QGroundControlQmlGlobal::AltMode).
ALT_MODE_RELATIVE = 1
ALT_MODE_ABSOLUTE = 2
ALT_MODE_CALC_ABOVE_TERRAIN = 3
ALT_MODE_TERRAIN_FRAME = 4

QGC_FIRMWARE_PX4 = 12
QGC_VEHICLE_MULTIROTOR = 2
_TRANSECT_TYPES = ("survey", "CorridorScan")


class BorderwatchBlock(BaseModel):
    """The plan's ``"borderwatch"`` block: every Mission field QGC cannot hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    name: str = ""
    vehicle: VehicleProfile | None = None
    home: HomePosition | None = None
    pilot: GroundPoint | None = None
    planned_start: AwareDatetime | None = None
    category: OperationCategory = OperationCategory.OPEN
    approved_ceiling_agl_m: float | None = None
    zone_authorisations: tuple[str, ...] = ()
    cross_border_authorisation: str | None = None
    expected_wind_m_s: float = 0.0
    fence_not_represented: tuple[str, ...] = ()
    rally_alt_frames: tuple[AltFrame, ...] | None = None


# ---- export -----------------------------------------------------------------------------------------


def _simple_item(item: MissionItem, seq: int) -> dict[str, Any]:
    raw = item_to_raw(item)
    out: dict[str, Any] = {
        "autoContinue": True,
        "command": raw.command,
        "doJumpId": seq,
        "frame": raw.frame,
        "params": list(raw.params),
        "type": "SimpleItem",
    }
    if isinstance(item, Takeoff | Waypoint | Loiter | Orbit | RegionOfInterest):
        if item.alt_frame is AltFrame.AGL:
            mode, altitude, amsl = ALT_MODE_TERRAIN_FRAME, item.alt_m, None
        elif item.alt_frame is AltFrame.REL_HOME:
            mode, altitude, amsl = ALT_MODE_RELATIVE, item.alt_m, None
        elif isinstance(item, RegionOfInterest) or item.agl_intent_m is None:
            mode, altitude, amsl = ALT_MODE_ABSOLUTE, item.alt_m, None
        else:
            mode, altitude, amsl = ALT_MODE_CALC_ABOVE_TERRAIN, item.agl_intent_m, item.alt_m
        out.update({"AMSLAltAboveTerrain": amsl, "Altitude": altitude, "AltitudeMode": mode})
    elif isinstance(item, Land):
        out.update({"AMSLAltAboveTerrain": None, "Altitude": 0, "AltitudeMode": ALT_MODE_RELATIVE})
    return out


def _fence_json(fence: Geofence) -> dict[str, Any]:
    return {
        "circles": [
            {
                "circle": {"center": [c.lat, c.lon], "radius": c.radius_m},
                "inclusion": c.inclusion,
                "version": 1,
            }
            for c in fence.circles
        ],
        "polygons": [
            {"inclusion": p.inclusion, "polygon": [[lat, lon] for lon, lat in p.vertices], "version": 1}
            for p in fence.polygons
        ],
        "version": 2,
    }


def dump_plan(mission: Mission) -> dict[str, Any]:
    """The mission as a QGC plan document (``json.dumps`` it to write a file)."""
    home = mission.home
    frames = tuple(r.alt_frame for r in mission.rally_points)
    block = BorderwatchBlock(
        name=mission.name,
        vehicle=mission.vehicle,
        home=home,
        pilot=mission.pilot,
        planned_start=mission.planned_start,
        category=mission.category,
        approved_ceiling_agl_m=mission.approved_ceiling_agl_m,
        zone_authorisations=mission.zone_authorisations,
        cross_border_authorisation=mission.cross_border_authorisation,
        expected_wind_m_s=mission.expected_wind_m_s,
        fence_not_represented=mission.geofence.not_represented,
        rally_alt_frames=frames if any(f is not AltFrame.REL_HOME for f in frames) else None,
    )
    return {
        "fileType": "Plan",
        "geoFence": _fence_json(mission.geofence),
        "groundStation": "borderwatch",
        "mission": {
            "cruiseSpeed": mission.vehicle.cruise_speed_m_s,
            "firmwareType": QGC_FIRMWARE_PX4,
            "globalPlanAltitudeMode": ALT_MODE_RELATIVE,
            "hoverSpeed": mission.vehicle.cruise_speed_m_s,
            "items": [_simple_item(item, seq) for seq, item in enumerate(mission.items, start=1)],
            "plannedHomePosition": [
                home.lat,
                home.lon,
                home.alt_amsl_m if home.alt_amsl_m is not None else 0,
            ],
            "vehicleType": QGC_VEHICLE_MULTIROTOR,
            "version": 2,
        },
        "rallyPoints": {"points": [[r.lat, r.lon, r.alt_m] for r in mission.rally_points], "version": 2},
        "version": 1,
        "borderwatch": block.model_dump(mode="json", exclude_defaults=True),
    }


# ---- import -----------------------------------------------------------------------------------------


def _raw_from_json(obj: dict[str, Any], where: str, problems: Problems) -> RawItem | None:
    command = as_int(obj.get("command"), f"{where}.command", problems, lo=0, hi=65535)
    frame = as_int(obj.get("frame"), f"{where}.frame", problems, lo=0, hi=255)
    params_json = as_list(obj.get("params"), f"{where}.params", problems)
    if params_json is not None and len(params_json) != 7:
        problems.add(f"{where}.params", f"expected 7 params, got {len(params_json)}")
        return None
    if command is None or frame is None or params_json is None:
        return None
    values = [
        as_number(v, f"{where}.params[{k}]", problems, nullable=True) for k, v in enumerate(params_json)
    ]
    bad = [k for k, v in enumerate(params_json) if v is not None and values[k] is None]
    if bad:
        return None
    return RawItem(command, frame, params_of(values))


def _simple_from_json(obj: Any, where: str, problems: Problems) -> MissionItem | None:
    item_obj = as_object(obj, where, problems)
    if item_obj is None:
        return None
    raw = _raw_from_json(item_obj, where, problems)
    if raw is None:
        return None
    try:
        item = raw_to_item(raw)
    except CodecError as exc:
        problems.add(where, f"command {raw.command}: {exc}")
        return None
    mode = item_obj.get("AltitudeMode")
    if mode == ALT_MODE_CALC_ABOVE_TERRAIN and isinstance(item, Takeoff | Waypoint | Loiter | Orbit):
        agl = as_number(item_obj.get("Altitude"), f"{where}.Altitude", problems, lo=0.0, hi=20000.0)
        if agl is None:
            return None
        if item.alt_frame is not AltFrame.AMSL:
            problems.add(f"{where}.frame", "AltitudeMode 3 (above terrain) needs frame 0 (AMSL)")
            return None
        item = item.model_copy(update={"agl_intent_m": agl})
    return item


def _polygon_lonlat(
    value: Any, where: str, problems: Problems, *, max_vertices: int
) -> tuple[tuple[float, float], ...] | None:
    vertices = as_list(value, where, problems, max_len=max_vertices)
    if vertices is None:
        return None
    points = [lat_lon(v, f"{where}[{k}]", problems) for k, v in enumerate(vertices)]
    if any(p is None for p in points):
        return None
    lonlat = tuple((p[1], p[0]) for p in points if p is not None)
    if len(lonlat) >= 2 and lonlat[0] == lonlat[-1]:
        lonlat = lonlat[:-1]
    if len(lonlat) < 3:
        problems.add(where, f"a polygon needs at least 3 distinct vertices, got {len(lonlat)}")
        return None
    polygon = Polygon(lonlat)
    if not polygon.is_valid:
        problems.add(where, f"invalid polygon: {shapely.is_valid_reason(polygon)}")
        return None
    return lonlat


def _complex_items(obj: dict[str, Any], where: str, problems: Problems, budget: int) -> list[MissionItem]:
    kind = obj.get("complexItemType")
    if kind not in _TRANSECT_TYPES:
        problems.add(
            f"{where}.complexItemType", f"complex item {kind!r} is not supported (survey, CorridorScan)"
        )
        return []
    if kind == "survey":
        _polygon_lonlat(obj.get("polygon"), f"{where}.polygon", problems, max_vertices=MAX_FENCE_VERTICES)
    transect_where = f"{where}.TransectStyleComplexItem"
    transect = as_object(obj.get("TransectStyleComplexItem"), transect_where, problems)
    if transect is None:
        return []
    generated = as_list(transect.get("Items"), f"{transect_where}.Items", problems, max_len=budget)
    if generated is None:
        return []
    items: list[MissionItem] = []
    for k, sub in enumerate(generated):
        parsed = _simple_from_json(sub, f"{transect_where}.Items[{k}]", problems)
        if parsed is not None:
            items.append(parsed)
        if problems.full:
            break
    return items


def _mission_items(mission_obj: dict[str, Any], problems: Problems, max_items: int) -> list[MissionItem]:
    items_json = as_list(mission_obj.get("items"), "$.mission.items", problems, max_len=max_items)
    if items_json is None:
        return []
    items: list[MissionItem] = []
    for i, entry in enumerate(items_json):
        where = f"$.mission.items[{i}]"
        obj = as_object(entry, where, problems)
        if obj is None:
            continue
        kind = obj.get("type")
        if kind == "SimpleItem":
            parsed = _simple_from_json(obj, where, problems)
            if parsed is not None:
                items.append(parsed)
        elif kind == "ComplexItem":
            items.extend(_complex_items(obj, where, problems, max_items - len(items)))
        else:
            problems.add(f"{where}.type", f"expected 'SimpleItem' or 'ComplexItem', got {kind!r}"[:200])
        if len(items) > max_items:
            problems.add("$.mission.items", f"more than {max_items} items after expanding complex items")
            break
        if problems.full:
            break
    return items


def _fence_entries(
    fence: dict[str, Any], key: str, problems: Problems
) -> Iterator[tuple[str, dict[str, Any], bool | None]]:
    """Each object of ``geoFence.<key>`` with its JSON path and inclusion flag; QGC writes polygons and
    circles alike, so one reader reports a non-object entry or a bad flag the same way for both."""
    path = f"$.geoFence.{key}"
    for k, entry in enumerate(as_list(fence.get(key, []), path, problems) or []):
        where = f"{path}[{k}]"
        obj = as_object(entry, where, problems)
        if obj is not None:
            yield where, obj, as_bool(obj.get("inclusion"), f"{where}.inclusion", problems)


def _geofence(doc: dict[str, Any], problems: Problems, not_represented: tuple[str, ...]) -> Geofence:
    if "geoFence" not in doc:
        return Geofence(not_represented=not_represented)
    fence = as_object(doc["geoFence"], "$.geoFence", problems)
    if fence is None:
        return Geofence()
    polygons: list[FencePolygon] = []
    for where, obj, inclusion in _fence_entries(fence, "polygons", problems):
        vertices = _polygon_lonlat(
            obj.get("polygon"), f"{where}.polygon", problems, max_vertices=MAX_FENCE_VERTICES
        )
        if inclusion is not None and vertices is not None:
            polygons.append(FencePolygon(vertices=vertices, inclusion=inclusion))
    circles: list[FenceCircle] = []
    for where, obj, inclusion in _fence_entries(fence, "circles", problems):
        circle = as_object(obj.get("circle"), f"{where}.circle", problems)
        if circle is None:
            continue
        centre = lat_lon(circle.get("center"), f"{where}.circle.center", problems)
        radius = as_number(circle.get("radius"), f"{where}.circle.radius", problems, lo=0.001, hi=1e7)
        if inclusion is not None and centre is not None and radius is not None:
            circles.append(FenceCircle(lon=centre[1], lat=centre[0], radius_m=radius, inclusion=inclusion))
    return Geofence(polygons=tuple(polygons), circles=tuple(circles), not_represented=not_represented)


def _rally(doc: dict[str, Any], problems: Problems, frames: tuple[AltFrame, ...] | None) -> list[RallyPoint]:
    if "rallyPoints" not in doc:
        return []
    rally = as_object(doc["rallyPoints"], "$.rallyPoints", problems)
    if rally is None:
        return []
    points = (
        as_list(rally.get("points", []), "$.rallyPoints.points", problems, max_len=MAX_FENCE_VERTICES) or []
    )
    if frames is not None and len(frames) != len(points):
        problems.add("$.borderwatch.rally_alt_frames", f"{len(frames)} frames for {len(points)} rally points")
        frames = None
    out: list[RallyPoint] = []
    for k, entry in enumerate(points):
        p = lat_lon(entry, f"$.rallyPoints.points[{k}]", problems, with_alt=True)
        if p is not None:
            frame = frames[k] if frames is not None else AltFrame.REL_HOME
            out.append(RallyPoint(lat=p[0], lon=p[1], alt_m=p[2], alt_frame=frame))
    return out


def _block(doc: dict[str, Any], problems: Problems) -> BorderwatchBlock:
    if "borderwatch" not in doc:
        return BorderwatchBlock()
    try:
        return BorderwatchBlock.model_validate(doc["borderwatch"])
    except ValidationError as exc:
        for error in exc.errors()[:20]:
            location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            problems.add(f"$.borderwatch{location}", error["msg"])
        return BorderwatchBlock()


def _vehicle(mission_obj: dict[str, Any], block: BorderwatchBlock, problems: Problems) -> VehicleProfile:
    if block.vehicle is not None:
        return block.vehicle
    speed = mission_obj.get("hoverSpeed", mission_obj.get("cruiseSpeed"))
    if speed is None:
        return VehicleProfile()
    value = as_number(speed, "$.mission.hoverSpeed", problems, lo=0.1, hi=100.0)
    return VehicleProfile(cruise_speed_m_s=value) if value is not None else VehicleProfile()


def plan_from_document(doc_json: Any, name: str, *, max_items: int = DEFAULT_MAX_ITEMS) -> Mission:
    """A mission from an already parsed plan document; InputError lists every problem by JSON path."""
    problems = Problems()
    doc = as_object(doc_json, "$", problems)
    if doc is None:
        raise InputError(name, problems.items)
    if doc.get("fileType") != "Plan":
        problems.add(
            "$.fileType",
            f"expected 'Plan', got {type_name(doc.get('fileType'))} {doc.get('fileType')!r}"[:200],
        )
    mission_obj = as_object(doc.get("mission"), "$.mission", problems)
    if mission_obj is None:
        raise InputError(name, problems.items)
    block = _block(doc, problems)
    items = _mission_items(mission_obj, problems, max_items)
    home_json = lat_lon(
        mission_obj.get("plannedHomePosition"), "$.mission.plannedHomePosition", problems, with_alt=True
    )
    geofence = _geofence(doc, problems, block.fence_not_represented)
    rally = _rally(doc, problems, block.rally_alt_frames)
    vehicle = _vehicle(mission_obj, block, problems)
    if problems:
        raise InputError(name, problems.items)
    if block.home is not None:
        home = block.home
    else:
        assert home_json is not None
        home = HomePosition(lat=home_json[0], lon=home_json[1], alt_amsl_m=home_json[2])
    try:
        return Mission(
            name=block.name,
            items=tuple(items),
            vehicle=vehicle,
            home=home,
            pilot=block.pilot,
            planned_start=block.planned_start,
            category=block.category,
            approved_ceiling_agl_m=block.approved_ceiling_agl_m,
            zone_authorisations=block.zone_authorisations,
            cross_border_authorisation=block.cross_border_authorisation,
            expected_wind_m_s=block.expected_wind_m_s,
            geofence=geofence,
            rally_points=tuple(rally),
        )
    except ValidationError as exc:
        for error in exc.errors()[:20]:
            problems.add("$.borderwatch." + ".".join(str(p) for p in error["loc"]), error["msg"])
        raise InputError(name, problems.items) from None


def load_plan(
    source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES, max_items: int = DEFAULT_MAX_ITEMS
) -> Mission:
    """Reads a QGC ``.plan`` (path, JSON text or bytes). Raises InputError naming the JSON path of every
    problem, FileTooLargeError before parsing anything over ``max_bytes``."""
    data, name = read_source(source, max_bytes=max_bytes)
    return plan_from_document(parse_json(data, name), name, max_items=max_items)
