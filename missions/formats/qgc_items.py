"""QGC ``SimpleItem`` JSON <-> typed mission items, read and written as QGC does.

QGC's ``MissionItem::load/save`` and ``SimpleMissionItem::load/save`` decide what a plan item means: the
MAVLink command, frame and params 1-7 (or the older 4 params with a ``coordinate``), ``doJumpId`` (what
DO_JUMP refers to), and for items with an altitude the trio ``AltitudeMode``/``Altitude``/
``AMSLAltAboveTerrain``. Mode 3 (CalcAboveTerrain) is frame 0 with ``Altitude`` the height above terrain
and param7 the AMSL altitude QGC computed, null until QGC had terrain. Whatever QGC wrote is kept on the
item (``QgcItemInfo``) so the plan is written back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymavlink import mavutil

from missions.commands import CommandClass, command_info
from missions.formats.codec import CodecError, RawItem, item_to_raw, params_of, raw_to_item
from missions.formats.jsonread import Problems, as_bool, as_int, as_list, as_number, as_object
from missions.model import (
    DoJump,
    Land,
    Loiter,
    MissionItem,
    Orbit,
    OtherCommand,
    QgcItemInfo,
    RegionOfInterest,
    Takeoff,
    Waypoint,
)

mav = mavutil.mavlink

# QGC's AltitudeMode values (QGroundControlQmlGlobal::AltMode: 0 mixed, 1 relative, 2 absolute,
# 3 calculated above terrain, 4 terrain frame, 5 none).
ALT_MODE_RELATIVE = 1
ALT_MODE_ABSOLUTE = 2
ALT_MODE_CALC_ABOVE_TERRAIN = 3
ALT_MODE_TERRAIN_FRAME = 4


def specifies_altitude(item: MissionItem) -> bool:
    """Items QGC writes AltitudeMode/Altitude/AMSLAltAboveTerrain for (SimpleMissionItem::save: commands
    that specify a coordinate or an altitude)."""
    if isinstance(item, Takeoff | Waypoint | Loiter | Orbit | RegionOfInterest | Land):
        return True
    if isinstance(item, OtherCommand):
        info = command_info(item.command)
        return info is not None and info.cls is CommandClass.POSITIONAL
    return False


def do_jump_ids(items: tuple[MissionItem, ...]) -> list[int]:
    """Each item's doJumpId: as read where every item kept a distinct one, else QGC's own numbering
    (sequence number, 1 for the first item after the planned home)."""
    ids = [item.qgc.do_jump_id if item.qgc is not None else None for item in items]
    if all(i is not None for i in ids) and len(set(ids)) == len(ids):
        return [int(i) for i in ids if i is not None]
    return list(range(1, len(items) + 1))


def altitude_fields(item: MissionItem, raw: RawItem) -> tuple[RawItem, dict[str, Any]]:
    """QGC's altitude keys for an item, and the raw item as QGC stores it (mode 3 keeps frame 0 with
    param7 null until terrain is known)."""
    info = item.qgc
    mode = info.altitude_mode if info is not None else None
    if mode is None:
        if info is not None or not specifies_altitude(item):
            return raw, {}
        if raw.frame in (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT):
            mode = ALT_MODE_CALC_ABOVE_TERRAIN
        elif raw.frame in (mav.MAV_FRAME_GLOBAL_RELATIVE_ALT, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT):
            mode = ALT_MODE_RELATIVE
        elif getattr(item, "agl_intent_m", None) is not None:
            mode = ALT_MODE_CALC_ABOVE_TERRAIN
        else:
            mode = ALT_MODE_ABSOLUTE
    p = list(raw.params)
    if mode == ALT_MODE_CALC_ABOVE_TERRAIN:
        if raw.frame in (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT):
            altitude, p[6] = p[6], None
            unresolved = RawItem(raw.command, mav.MAV_FRAME_GLOBAL, params_of(p))
            return unresolved, {"AMSLAltAboveTerrain": None, "Altitude": altitude, "AltitudeMode": mode}
        intent = getattr(item, "agl_intent_m", None)
        altitude = intent if intent is not None else (info.altitude if info is not None else None)
        return raw, {"AMSLAltAboveTerrain": p[6], "Altitude": altitude, "AltitudeMode": mode}
    amsl = info.amsl_alt_above_terrain if info is not None else None
    return raw, {"AMSLAltAboveTerrain": amsl, "Altitude": p[6], "AltitudeMode": mode}


def simple_item_json(item: MissionItem, index: int, jump_ids: list[int]) -> dict[str, Any]:
    raw = item_to_raw(item)
    if isinstance(item, DoJump):
        # QGC's DO_JUMP param1 is the target's doJumpId, not its index (PlanManager translates on upload)
        target = jump_ids[item.target_item] if item.target_item < len(jump_ids) else item.target_item + 1
        raw = RawItem(raw.command, raw.frame, (float(target), *raw.params[1:]))
    raw, altitude = altitude_fields(item, raw)
    out: dict[str, Any] = {
        "autoContinue": item.qgc.auto_continue if item.qgc is not None else True,
        "command": raw.command,
        "doJumpId": jump_ids[index],
        "frame": raw.frame,
        "params": list(raw.params),
        "type": "SimpleItem",
    }
    out.update(altitude)
    return out


@dataclass(frozen=True)
class ReadItem:
    """One SimpleItem as read, before DO_JUMP targets are translated and the item is typed."""

    raw: RawItem
    info: QgcItemInfo
    where: str


def read_params(obj: dict[str, Any], where: str, problems: Problems) -> list[Any] | None:
    """Params 1-7 from any item format QGC still reads (MissionItem::load): 7 ``params``; or 4 ``params``
    with a ``coordinate`` [lat, lon, alt] (QGC's older format, as in its unit-test plans); or the V1
    keys ``param1``..``param4`` with a ``coordinate``."""
    if "params" not in obj and all(f"param{k}" in obj for k in range(1, 5)):
        first_four: list[Any] | None = [obj[f"param{k}"] for k in range(1, 5)]
    else:
        first_four = as_list(obj.get("params"), f"{where}.params", problems)
        if first_four is None:
            return None
        if len(first_four) == 7:
            return first_four
    if first_four is None or len(first_four) != 4:
        count = len(first_four) if first_four is not None else 0
        problems.add(f"{where}.params", f"expected 7 params, or 4 with a coordinate (older QGC), got {count}")
        return None
    coordinate = as_list(obj.get("coordinate"), f"{where}.coordinate", problems)
    if coordinate is None:
        return None
    if len(coordinate) != 3:
        problems.add(f"{where}.coordinate", f"expected [lat, lon, alt], got {len(coordinate)} values")
        return None
    return [*first_four, *coordinate]


def altitude_info(obj: dict[str, Any], where: str, problems: Problems) -> tuple[int | None, Any, Any]:
    keys = ("AltitudeMode", "Altitude", "AMSLAltAboveTerrain")
    present = [k for k in keys if k in obj]
    if not present:
        return None, None, None
    missing = [k for k in keys if k not in obj]
    if missing:
        problems.add(
            where,
            "QGC writes AltitudeMode, Altitude and AMSLAltAboveTerrain together; "
            f"missing {', '.join(missing)}",
        )
        return None, None, None
    mode = as_int(obj["AltitudeMode"], f"{where}.AltitudeMode", problems, lo=0, hi=5)
    altitude = as_number(
        obj["Altitude"], f"{where}.Altitude", problems, nullable=True, lo=-1000.0, hi=20000.0
    )
    amsl = as_number(
        obj["AMSLAltAboveTerrain"],
        f"{where}.AMSLAltAboveTerrain",
        problems,
        nullable=True,
        lo=-1000.0,
        hi=20000.0,
    )
    return mode, altitude, amsl


def read_simple_item(
    obj_json: Any, where: str, problems: Problems, complex_index: int | None
) -> ReadItem | None:
    obj = as_object(obj_json, where, problems)
    if obj is None:
        return None
    kind = obj.get("type")
    if kind not in ("SimpleItem", "missionItem"):
        problems.add(f"{where}.type", f"expected 'SimpleItem', got {kind!r}"[:200])
        return None
    command = as_int(obj.get("command"), f"{where}.command", problems, lo=0, hi=65535)
    frame = as_int(obj.get("frame"), f"{where}.frame", problems, lo=0, hi=255)
    params_json = read_params(obj, where, problems)
    auto = obj.get("autoContinue", True)
    auto_continue = as_bool(auto, f"{where}.autoContinue", problems)
    jump = obj.get("doJumpId")
    do_jump_id = as_int(jump, f"{where}.doJumpId", problems, lo=-1, hi=2**31) if jump is not None else None
    mode, altitude, amsl = altitude_info(obj, where, problems)
    if command is None or frame is None or params_json is None or auto_continue is None:
        return None
    values = [
        as_number(v, f"{where}.params[{k}]", problems, nullable=True) for k, v in enumerate(params_json)
    ]
    if any(v is not None and values[k] is None for k, v in enumerate(params_json)):
        return None
    info = QgcItemInfo(
        do_jump_id=do_jump_id,
        auto_continue=auto_continue,
        altitude_mode=mode,
        altitude=altitude,
        amsl_alt_above_terrain=amsl,
        complex_index=complex_index,
    )
    return ReadItem(RawItem(command, frame, params_of(values)), info, where)


def typed_item(read: ReadItem, jump_index: dict[int, int], problems: Problems) -> MissionItem | None:
    """The typed item, reading the altitude as QGC does (SimpleMissionItem::load): mode 3
    (CalcAboveTerrain) is frame 0 with ``Altitude`` the height above terrain and param7 the AMSL altitude
    QGC computed, or null while QGC had no terrain: then the height above terrain is all there is."""
    raw, info, where = read.raw, read.info, read.where
    agl_intent: float | None = None
    if raw.command == mav.MAV_CMD_DO_JUMP:
        target = raw.params[0]
        if target is None or target != int(target) or int(target) not in jump_index:
            problems.add(
                f"{where}.params[0]",
                f"DO_JUMP target {target!r} is not the doJumpId of any item (QGC refers to the target's "
                "doJumpId, not its position)",
            )
            return None
        raw = RawItem(raw.command, raw.frame, params_of([float(jump_index[int(target)]), *raw.params[1:]]))
    elif info.altitude_mode == ALT_MODE_CALC_ABOVE_TERRAIN and positional_or_roi(raw.command):
        if raw.frame != mav.MAV_FRAME_GLOBAL:
            problems.add(
                f"{where}.frame", f"AltitudeMode 3 (calculated above terrain) is frame 0, got {raw.frame}"
            )
            return None
        if info.altitude is None:
            problems.add(f"{where}.Altitude", "AltitudeMode 3 needs Altitude (the height above terrain)")
            return None
        if raw.params[6] is None:
            p = list(raw.params)
            p[6] = info.altitude
            raw = RawItem(raw.command, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, params_of(p))
        else:
            agl_intent = info.altitude
    try:
        item = raw_to_item(raw)
    except CodecError as exc:
        problems.add(where, f"command {raw.command}: {exc}")
        return None
    update: dict[str, Any] = {"qgc": info}
    if agl_intent is not None and isinstance(item, Takeoff | Waypoint | Loiter | Orbit) and agl_intent >= 0:
        update["agl_intent_m"] = agl_intent
    return item.model_copy(update=update)


def positional_or_roi(command: int) -> bool:
    info = command_info(command)
    return info is not None and (
        info.cls is CommandClass.POSITIONAL or command == mav.MAV_CMD_DO_SET_ROI_LOCATION
    )
