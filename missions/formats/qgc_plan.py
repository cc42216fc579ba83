"""QGroundControl ``.plan`` files: mission (simple and survey/corridor complex items), geoFence, rallyPoints.

What QGC has no place for (authorisations, category, vehicle profile, start time, pilot position) travels
in a top-level ``"borderwatch"`` block that QGC ignores (design contract 10). AGL intent needs no block:
QGC's own "calculated above terrain" altitude mode (AltitudeMode 3) carries it.

Complex items (survey, corridor scan) are checked as the simple items QGC generated for them
(``TransectStyleComplexItem.Items``, exactly what QGC uploads) and written back exactly as read while those
items are unchanged. Item-level reading and writing is in ``qgc_items``. Plan-level QGC fields
(firmwareType, vehicleType, cruiseSpeed, hoverSpeed, globalPlanAltitudeMode) are kept as read. Versions
QGC still reads: mission version 2 (plans), version 1 (older ``.mission`` files, MissionController's
``_loadJsonMissionFileV1``) except its surveys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import shapely
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError
from pymavlink import mavutil
from shapely.geometry import Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
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
from missions.formats.qgc_items import (
    ALT_MODE_RELATIVE,
    ReadItem,
    do_jump_ids,
    read_simple_item,
    simple_item_json,
    typed_item,
)
from missions.formats.source import Source, parse_json, read_source
from missions.model import (
    AltFrame,
    FenceCircle,
    FencePolygon,
    Geofence,
    GroundPoint,
    HomePosition,
    Mission,
    MissionItem,
    OperationCategory,
    QgcPlanInfo,
    RallyPoint,
    VehicleProfile,
)

mav = mavutil.mavlink

DEFAULT_MAX_ITEMS = 10_000
"""More items than any autopilot stores (PX4's dataman holds a few thousand): refuse, do not churn."""
MAX_FENCE_VERTICES = 10_000


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

_MULTIROTOR_TYPES = frozenset({2, 3, 4, 13, 14, 15})
"""MAV_TYPE values QGC flies at hoverSpeed (quad, coaxial, helicopter, hexa, octo, tricopter)."""


def _fence_json(fence: Geofence, breach_return: tuple[float | None, ...] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
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
    if breach_return is not None:
        out["breachReturn"] = list(breach_return)
    return out


def _same_json(a: Any, b: Any) -> bool:
    """Equal as QGC reads them: numbers by value (0 == 0.0), null as null, containers element-wise."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def _mission_items_json(mission: Mission) -> list[dict[str, Any]]:
    """Simple items, and each QGC complex item exactly as read when the items it generated are unchanged
    (a survey drawn in QGC stays a survey QGC can edit); a changed one is written as its simple items."""
    items = mission.items
    jump_ids = do_jump_ids(items)
    simple = [simple_item_json(item, k, jump_ids) for k, item in enumerate(items)]
    complex_items = mission.qgc.complex_items if mission.qgc is not None else ()
    out: list[dict[str, Any]] = []
    k = 0
    while k < len(items):
        info = items[k].qgc
        index = info.complex_index if info is not None else None
        if index is not None and index < len(complex_items):
            stop = k
            while stop < len(items) and (q := items[stop].qgc) is not None and q.complex_index == index:
                stop += 1
            original = complex_items[index]
            generated = original.get("TransectStyleComplexItem", {}).get("Items", [])
            if _same_json(simple[k:stop], generated):
                out.append(original)
                k = stop
                continue
        out.append(simple[k])
        k += 1
    return out


def dump_plan(mission: Mission) -> dict[str, Any]:
    """The mission as a QGC plan document (``json.dumps`` it to write a file). A plan read from QGC is
    written back with every field QGC reads unchanged."""
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
    qgc = mission.qgc or QgcPlanInfo()
    speed = mission.vehicle.cruise_speed_m_s
    mission_json: dict[str, Any] = {
        "cruiseSpeed": qgc.cruise_speed if qgc.cruise_speed is not None else speed,
        "firmwareType": qgc.firmware_type if qgc.firmware_type is not None else QGC_FIRMWARE_PX4,
        "globalPlanAltitudeMode": qgc.global_plan_altitude_mode
        if qgc.global_plan_altitude_mode is not None
        else ALT_MODE_RELATIVE,
        "hoverSpeed": qgc.hover_speed if qgc.hover_speed is not None else speed,
        "items": _mission_items_json(mission),
        "plannedHomePosition": [home.lat, home.lon, home.alt_amsl_m],
        "vehicleType": qgc.vehicle_type if qgc.vehicle_type is not None else QGC_VEHICLE_MULTIROTOR,
        "version": 2,
    }
    if mission.qgc is not None and mission.qgc.global_plan_altitude_mode is None:
        del mission_json["globalPlanAltitudeMode"]  # older QGC: absent means per-item modes
    return {
        "fileType": "Plan",
        "geoFence": _fence_json(mission.geofence, qgc.fence_breach_return),
        "groundStation": qgc.ground_station or "borderwatch",
        "mission": mission_json,
        "rallyPoints": {"points": [[r.lat, r.lon, r.alt_m] for r in mission.rally_points], "version": 2},
        "version": 1,
        "borderwatch": block.model_dump(mode="json", exclude_defaults=True),
    }


# ---- import -----------------------------------------------------------------------------------------


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


def _complex_read(
    obj: dict[str, Any], where: str, problems: Problems, budget: int, complex_index: int
) -> list[ReadItem]:
    """The simple items QGC generated for a survey or corridor scan (what QGC uploads), to be checked;
    the complex item itself is kept as read and written back unchanged."""
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
    if not generated:
        problems.add(
            f"{transect_where}.Items",
            "empty: QGC did not generate the survey's items; open and save the plan in QGC",
        )
    out: list[ReadItem] = []
    for k, sub in enumerate(generated):
        parsed = read_simple_item(sub, f"{transect_where}.Items[{k}]", problems, complex_index)
        if parsed is not None:
            out.append(parsed)
        if problems.full:
            break
    return out


def _mission_items(
    mission_obj: dict[str, Any], problems: Problems, max_items: int
) -> tuple[list[MissionItem], tuple[dict[str, Any], ...]]:
    items_json = as_list(mission_obj.get("items"), "$.mission.items", problems, max_len=max_items)
    if items_json is None:
        return [], ()
    read: list[ReadItem] = []
    complex_items: list[dict[str, Any]] = []
    for i, entry in enumerate(items_json):
        where = f"$.mission.items[{i}]"
        obj = as_object(entry, where, problems)
        if obj is None:
            continue
        if obj.get("type") == "ComplexItem":
            read.extend(_complex_read(obj, where, problems, max_items - len(read), len(complex_items)))
            complex_items.append(obj)
        else:
            parsed = read_simple_item(obj, where, problems, None)
            if parsed is not None:
                read.append(parsed)
        if len(read) > max_items:
            problems.add("$.mission.items", f"more than {max_items} items after expanding complex items")
            break
        if problems.full:
            break
    ids = [r.info.do_jump_id for r in read]
    if any(i is not None and i >= 0 for i in ids):
        jump_index = {int(i): k for k, i in enumerate(ids) if i is not None and i >= 0}
    else:  # no doJumpIds at all: QGC numbers items 1.. after the planned home
        jump_index = {k + 1: k for k in range(len(read))}
    items = [t for r in read if (t := typed_item(r, jump_index, problems)) is not None]
    return items, tuple(complex_items)


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


def _qgc_info(
    doc: dict[str, Any],
    mission_obj: dict[str, Any],
    problems: Problems,
    complex_items: tuple[dict[str, Any], ...],
) -> QgcPlanInfo:
    def number(key: str) -> float | None:
        value = mission_obj.get(key)
        return None if value is None else as_number(value, f"$.mission.{key}", problems, lo=0.0, hi=1000.0)

    def whole(key: str, hi: int) -> int | None:
        value = mission_obj.get(key)
        return None if value is None else as_int(value, f"$.mission.{key}", problems, lo=0, hi=hi)

    station = doc.get("groundStation")
    fence = doc.get("geoFence")
    breach: tuple[float | None, ...] | None = None
    if isinstance(fence, dict) and "breachReturn" in fence:
        values = as_list(fence["breachReturn"], "$.geoFence.breachReturn", problems) or []
        numbers = [
            as_number(v, f"$.geoFence.breachReturn[{k}]", problems, nullable=True)
            for k, v in enumerate(values)
        ]
        breach = tuple(numbers)
    return QgcPlanInfo(
        firmware_type=whole("firmwareType", 255),
        vehicle_type=whole("vehicleType", 255),
        cruise_speed=number("cruiseSpeed"),
        hover_speed=number("hoverSpeed"),
        global_plan_altitude_mode=whole("globalPlanAltitudeMode", 5),
        ground_station=station if isinstance(station, str) else None,
        complex_items=complex_items,
        fence_breach_return=breach,
    )


def _vehicle(block: BorderwatchBlock, qgc: QgcPlanInfo) -> VehicleProfile:
    """The block's profile, else QGC's planning speed: hoverSpeed for multirotors, cruiseSpeed otherwise."""
    if block.vehicle is not None:
        return block.vehicle
    multirotor = qgc.vehicle_type is None or qgc.vehicle_type in _MULTIROTOR_TYPES
    speed = qgc.hover_speed if multirotor else qgc.cruise_speed
    speed = speed if speed is not None else (qgc.cruise_speed if multirotor else qgc.hover_speed)
    if speed is None or not 0.1 <= speed <= 100.0:
        return VehicleProfile()
    return VehicleProfile(cruise_speed_m_s=speed)


class _MissionFileName(str):
    """The name of an older .mission file, whose mission object is the document itself."""


def _located(name: str, problems: list[Problem]) -> list[Problem]:
    """JSON paths as they are in the file: a .mission file has no ``mission`` member."""
    if not isinstance(name, _MissionFileName):
        return problems
    return [Problem(p.location.replace("$.mission", "$", 1), p.message) for p in problems]


def _mission_items_v1(
    mission_obj: dict[str, Any], problems: Problems, max_items: int
) -> tuple[list[MissionItem], tuple[dict[str, Any], ...]]:
    """QGC's version 1 mission (MissionController::_loadJsonMissionFileV1): simple items whose ``id`` is
    their sequence number, and complex items in a separate ``complexItems`` list."""
    if as_list(mission_obj.get("complexItems", []), "$.mission.complexItems", problems):
        problems.add(
            "$.mission.complexItems",
            "version 1 survey items (QGC before 3.2) are not read: open and save the plan in QGC to "
            "convert it",
        )
        return [], ()
    items_json = as_list(mission_obj.get("items"), "$.mission.items", problems, max_len=max_items) or []
    read: list[ReadItem] = []
    for i, entry in enumerate(items_json):
        parsed = read_simple_item(entry, f"$.mission.items[{i}]", problems, None)
        if parsed is None:
            continue
        if parsed.info.do_jump_id is None and isinstance(entry.get("id"), int):
            parsed = ReadItem(
                parsed.raw, parsed.info.model_copy(update={"do_jump_id": entry["id"]}), parsed.where
            )
        read.append(parsed)
    jump_index = {int(r.info.do_jump_id): k for k, r in enumerate(read) if r.info.do_jump_id is not None}
    if not jump_index:
        jump_index = {k + 1: k for k in range(len(read))}
    return [t for r in read if (t := typed_item(r, jump_index, problems)) is not None], ()


def _planned_home_v1(value: Any, problems: Problems) -> tuple[float, float, float | None] | None:
    """Version 1: the planned home is itself an item object with a coordinate."""
    home = read_simple_item(value, "$.mission.plannedHomePosition", problems, None)
    if home is None:
        return None
    lat, lon, alt = home.raw.params[4], home.raw.params[5], home.raw.params[6]
    if lat is None or lon is None:
        problems.add("$.mission.plannedHomePosition.coordinate", "the planned home has no latitude/longitude")
        return None
    return lat, lon, alt


def _planned_home(value: Any, problems: Problems) -> tuple[float, float, float | None] | None:
    """QGC's [lat, lon, alt]; alt may be null (QGC reads it as NaN; MAVSDK's example plan has it): then
    the home altitude is unknown and taken from the terrain where the terrain is known."""
    where = "$.mission.plannedHomePosition"
    values = as_list(value, where, problems)
    if values is None:
        return None
    if len(values) != 3:
        problems.add(where, f"expected [lat, lon, alt], got {len(values)} values")
        return None
    lat = as_number(values[0], f"{where}[0]", problems, lo=-90.0, hi=90.0)
    lon = as_number(values[1], f"{where}[1]", problems, lo=-180.0, hi=180.0)
    alt = as_number(values[2], f"{where}[2]", problems, lo=-1000.0, hi=20000.0, nullable=True)
    if lat is None or lon is None or (values[2] is not None and alt is None):
        return None
    return lat, lon, alt


def plan_from_document(doc_json: Any, name: str, *, max_items: int = DEFAULT_MAX_ITEMS) -> Mission:
    """A mission from an already parsed plan document; InputError lists every problem by JSON path."""
    problems = Problems()
    doc = as_object(doc_json, "$", problems)
    if doc is None:
        raise InputError(str(name), _located(name, problems.items))
    if doc.get("fileType") == "Mission":  # QGC's older .mission file: the document is the mission object
        doc = {"fileType": "Plan", "mission": doc, "version": 1}
        name = _MissionFileName(name)
    if doc.get("fileType") != "Plan":
        problems.add(
            "$.fileType",
            f"expected 'Plan' (or an older 'Mission'), got {type_name(doc.get('fileType'))} "
            f"{doc.get('fileType')!r}"[:200],
        )
    mission_obj = as_object(doc.get("mission"), "$.mission", problems)
    if mission_obj is None:
        raise InputError(str(name), _located(name, problems.items))
    version = mission_obj.get("version", 2)
    if version not in (1, 2):
        problems.add("$.mission.version", f"mission version {version!r}: QGC writes 1 or 2")
        raise InputError(str(name), _located(name, problems.items))
    block = _block(doc, problems)
    if version == 1:
        items, complex_items = _mission_items_v1(mission_obj, problems, max_items)
        home_json = _planned_home_v1(mission_obj.get("plannedHomePosition"), problems)
    else:
        items, complex_items = _mission_items(mission_obj, problems, max_items)
        home_json = _planned_home(mission_obj.get("plannedHomePosition"), problems)
    geofence = _geofence(doc, problems, block.fence_not_represented)
    rally = _rally(doc, problems, block.rally_alt_frames)
    qgc = _qgc_info(doc, mission_obj, problems, complex_items)
    vehicle = _vehicle(block, qgc)
    if problems:
        raise InputError(str(name), _located(name, problems.items))
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
            qgc=qgc,
        )
    except ValidationError as exc:
        for error in exc.errors()[:20]:
            problems.add("$.borderwatch." + ".".join(str(p) for p in error["loc"]), error["msg"])
        raise InputError(str(name), _located(name, problems.items)) from None


def load_plan(
    source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES, max_items: int = DEFAULT_MAX_ITEMS
) -> Mission:
    """Reads a QGC ``.plan`` (path, JSON text or bytes). Raises InputError naming the JSON path of every
    problem, FileTooLargeError before parsing anything over ``max_bytes``."""
    data, name = read_source(source, max_bytes=max_bytes)
    return plan_from_document(parse_json(data, name), name, max_items=max_items)
