"""MISSION_ITEM_INT lists, the form a vehicle stores: what is uploaded, and what is downloaded to check
"the vehicle holds exactly what was approved".

Lat/lon become integers of 1e-7 degrees and params/z single-precision floats here, exactly as on the wire,
so a list made by ``mission_to_items`` compares equal to the same list read back from a vehicle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from pymavlink import mavutil

from missions.commands import is_positional
from missions.formats.codec import (
    ALT_OF_FRAME,
    CodecError,
    RawItem,
    item_to_raw,
    params_of,
    raw_to_item,
)
from missions.model import (
    AltFrame,
    AltitudeItem,
    HomePosition,
    Mission,
    MissionItem,
    OtherCommand,
    RegionOfInterest,
    position_of,
)
from missions.path import TerrainLike

mav = mavutil.mavlink


@dataclass(frozen=True)
class MissionItemInt:
    """The fields of MAVLink MISSION_ITEM_INT (target ids left to the link)."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    """Latitude in 1e-7 degrees."""
    y: int
    """Longitude in 1e-7 degrees."""
    z: float
    mission_type: int = mav.MAV_MISSION_TYPE_MISSION


@dataclass(frozen=True)
class ItemTolerance:
    """How far a downloaded item may differ and still be "the same" (float32 and 1e-7 degree rounding)."""

    position_e7: int = 1
    alt_m: float = 0.01
    param: float = 1e-4


def _f32(value: float | None) -> float:
    return float(np.float32(math.nan if value is None else value))


def _scaled(value: float | None, scale: float) -> int:
    if value is None or math.isnan(value):
        return 0
    return round(value * scale)


def _is_global(frame: int) -> bool:
    """Global frames carry lat/lon in x/y as 1e-7 degrees; other frames carry param5/6 as plain integers."""
    return frame in ALT_OF_FRAME


def raw_to_int(raw: RawItem, seq: int, mission_type: int = mav.MAV_MISSION_TYPE_MISSION) -> MissionItemInt:
    p = raw.params
    scale = 1e7 if _is_global(raw.frame) else 1.0
    return MissionItemInt(
        seq=seq,
        frame=raw.frame,
        command=raw.command,
        current=0,
        autocontinue=1,
        param1=_f32(p[0]),
        param2=_f32(p[1]),
        param3=_f32(p[2]),
        param4=_f32(p[3]),
        x=_scaled(p[4], scale),
        y=_scaled(p[5], scale),
        z=_f32(p[6]),
        mission_type=mission_type,
    )


PRECISE_TERRAIN_M = 10.0
"""Design contract 2: only terrain this accurate may turn a height above terrain into an AMSL altitude."""
_TERRAIN_FRAMES = (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT)


def _ground_amsl_m(terrain: TerrainLike | None, lon: float, lat: float, what: str) -> float:
    """Precise terrain under a point, else CodecError saying why the altitude cannot be resolved."""
    if terrain is None:
        raise CodecError(f"{what}: no terrain model: a height above terrain cannot be turned into AMSL")
    sample = terrain.sample(np.array([lon]), np.array([lat]))
    ground = float(np.asarray(sample.elevation_amsl_m)[0])
    accuracy = float(np.asarray(sample.accuracy_m)[0])
    if math.isnan(ground) or math.isnan(accuracy):
        raise CodecError(
            f"{what}: terrain unknown at lon {lon:.6f}, lat {lat:.6f}: cannot turn AGL into AMSL"
        )
    if accuracy > PRECISE_TERRAIN_M:
        raise CodecError(
            f"{what}: terrain at lon {lon:.6f}, lat {lat:.6f} is only approximate (±{accuracy:g} m): "
            "cannot turn AGL into AMSL"
        )
    return ground


def _resolve_agl(item: MissionItem, terrain: TerrainLike | None, what: str) -> MissionItem:
    """An AGL item (QGC CalcAboveTerrain without its AMSL value) as AMSL over precise terrain under it,
    keeping the asked height as its intent. Raises CodecError where the terrain is not precise."""
    if isinstance(item, OtherCommand) and item.frame in _TERRAIN_FRAMES and is_positional(item.command):
        lat, lon, alt = item.params[4], item.params[5], item.params[6]
        if lat is None or lon is None or alt is None:
            raise CodecError(f"{what}: a height above terrain without a position cannot be resolved")
        ground = _ground_amsl_m(terrain, float(lon), float(lat), what)
        params = params_of([*item.params[:6], ground + float(alt)])
        return item.model_copy(update={"frame": mav.MAV_FRAME_GLOBAL, "params": params})
    if not isinstance(item, AltitudeItem) or item.alt_frame is not AltFrame.AGL:
        return item
    lon = float(item.lon)
    lat = float(item.lat)
    ground = _ground_amsl_m(terrain, lon, lat, what)
    alt = float(item.alt_m)
    update: dict[str, object] = {"alt_m": ground + alt, "alt_frame": AltFrame.AMSL}
    if not isinstance(item, RegionOfInterest):
        update["agl_intent_m"] = alt
    return item.model_copy(update=update)


def unresolved_altitudes(mission: Mission, terrain: TerrainLike | None) -> list[str]:
    """Items whose height above terrain cannot become an AMSL altitude (no precise terrain under them).

    Such a mission can never be uploaded: no validation override gets past this, because the vehicle
    would fly an altitude nobody knows.
    """
    problems: list[str] = []
    for seq, item in enumerate(mission.items):
        try:
            _resolve_agl(item, terrain, f"item {seq}")
        except CodecError as exc:
            problems.append(str(exc))
    return problems


def mission_to_items(mission: Mission, terrain: TerrainLike | None = None) -> list[MissionItemInt]:
    """The MISSION_ITEM_INT list to upload (PX4 numbering: seq 0 is the first item, no home entry).

    With ``terrain``, AGL altitudes become AMSL (MAV_FRAME_GLOBAL) over the terrain under each item, and
    only where that terrain is precise (CodecError otherwise); without, they stay in
    MAV_FRAME_GLOBAL_TERRAIN_ALT (for files, never for upload).
    """
    out: list[MissionItemInt] = []
    for seq, item in enumerate(mission.items):
        resolved = _resolve_agl(item, terrain, f"item {seq}") if terrain is not None else item
        out.append(raw_to_int(item_to_raw(resolved), seq))
    return out


def int_to_raw(item: MissionItemInt) -> RawItem:
    def opt(value: float) -> float | None:
        return None if math.isnan(value) else float(value)

    scale = 1e7 if _is_global(item.frame) else 1.0
    lat = item.x / scale
    lon = item.y / scale
    return RawItem(
        item.command,
        item.frame,
        (opt(item.param1), opt(item.param2), opt(item.param3), opt(item.param4), lat, lon, opt(item.z)),
    )


def items_to_mission(items: list[MissionItemInt], *, home: HomePosition | None = None) -> Mission:
    """A mission from a downloaded list (vehicle profile, authorisations etc. are not on the vehicle).

    Without ``home`` the first positioned item stands in for it. Raises CodecError naming the item.
    """
    typed: list[MissionItem] = []
    for item in sorted(items, key=lambda i: i.seq):
        if item.mission_type != mav.MAV_MISSION_TYPE_MISSION:
            continue
        try:
            typed.append(raw_to_item(int_to_raw(item)))
        except CodecError as exc:
            raise CodecError(f"item seq {item.seq}: {exc}") from None
    if home is None:
        first = next((p for p in map(position_of, typed) if p is not None), None)
        if first is None:
            raise CodecError("no positioned item to take home from; pass home=")
        home = HomePosition(lon=first[0], lat=first[1])
    return Mission(items=tuple(typed), home=home)


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance


def item_differences(
    approved: list[MissionItemInt],
    downloaded: list[MissionItemInt],
    tolerance: ItemTolerance = ItemTolerance(),
) -> list[str]:
    """What differs between two lists, item by item and field by field (empty when they match)."""
    if len(approved) != len(downloaded):
        return [f"{len(approved)} items approved, {len(downloaded)} on the vehicle"]
    out: list[str] = []
    for a, b in zip(approved, downloaded, strict=True):
        for f in fields(MissionItemInt):
            if f.name == "current":
                continue
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if f.name in ("x", "y"):
                same = abs(int(va) - int(vb)) <= tolerance.position_e7
            elif f.name == "z":
                same = _close(float(va), float(vb), tolerance.alt_m)
            elif f.name.startswith("param"):
                same = _close(float(va), float(vb), tolerance.param)
            else:
                same = va == vb
            if not same:
                out.append(f"item {a.seq}: {f.name} approved {va!r}, vehicle has {vb!r}")
    return out


def items_equal(
    approved: list[MissionItemInt],
    downloaded: list[MissionItemInt],
    tolerance: ItemTolerance = ItemTolerance(),
) -> bool:
    """The "downloaded matches approved" check."""
    return not item_differences(approved, downloaded, tolerance)
