"""Rules that make sure a LEGAL verdict means "every part was checked" (design contract 18).

- ``unchecked``: items whose effect on the flight borderwatch does not model, or commands it does not know.
- ``data_coverage``: path points outside the area the loaded zone set or border is complete for.
- ``altitude_reference``: altitudes above terrain that cannot be resolved (terrain not precise there) and
  PX4 missions in the terrain frame, which PX4 does not fly.
- ``home_altitude``: a declared home altitude that disagrees with precise terrain under home.

The check record (what each leg was checked against) is built here too, from the same arrays the rules
use, so the record cannot claim a check the rules did not make.
"""

from __future__ import annotations

import math

import numpy as np
from pymavlink import mavutil

from missions.commands import TYPED_FLIGHT_COMMANDS, CommandClass, command_info, is_positional
from missions.model import (
    AltFrame,
    Land,
    Loiter,
    MissionItem,
    Orbit,
    OtherCommand,
    Takeoff,
    Waypoint,
)
from missions.path import other_target
from missions.region import coverage_of
from missions.validate.context import TERRAIN_CLASSES, RuleContext, terrain_classes
from missions.validate.messages import Lang, Msg
from missions.validate.report import (
    CheckRecord,
    LegCheck,
    RuleId,
    Severity,
    Violation,
    Where,
    violation,
)

mav = mavutil.mavlink

QGC_ALT_MODE_TERRAIN_FRAME = 4
QGC_FIRMWARE_PX4 = 12
_TERRAIN_WORDS = {
    "approximate": {Lang.EN: "only approximate", Lang.CS: "jen přibližný", Lang.PL: "tylko przybliżony"},
    "unknown": {Lang.EN: "unknown", Lang.CS: "neznámý", Lang.PL: "nieznany"},
}
_ABOVE = {Lang.EN: "above", Lang.CS: "nad", Lang.PL: "nad"}
_BELOW = {Lang.EN: "below", Lang.CS: "pod", Lang.PL: "pod"}


def _at(index: int) -> Where:
    return Where(item_index=index)


def check_unchecked(ctx: RuleContext) -> list[Violation]:
    """Every item must be understood: unknown commands, flight-changing commands the path model does not
    reproduce, and positions in frames that are not global are errors, never warnings."""
    found: list[Violation] = []
    for index, item in enumerate(ctx.mission.items):
        if not isinstance(item, OtherCommand):
            continue
        info = command_info(item.command)
        if info is None:
            found.append(
                violation(
                    RuleId.UNCHECKED,
                    Severity.ERROR,
                    Msg.UNKNOWN_COMMAND,
                    where=_at(index),
                    item=index,
                    command=item.command,
                )
            )
        elif info.cls is CommandClass.FLIGHT and (not info.modelled or item.command in TYPED_FLIGHT_COMMANDS):
            found.append(
                violation(
                    RuleId.UNCHECKED,
                    Severity.ERROR,
                    Msg.UNMODELLED_COMMAND,
                    where=_at(index),
                    item=index,
                    name=info.name,
                    command=item.command,
                )
            )
        elif info.cls is CommandClass.POSITIONAL and other_target(item) is None:
            found.append(
                violation(
                    RuleId.UNCHECKED,
                    Severity.ERROR,
                    Msg.UNPLACEABLE_POSITION,
                    where=_at(index),
                    item=index,
                    name=info.name,
                    command=item.command,
                    frame=item.frame,
                )
            )
    return found


def check_coverage(ctx: RuleContext) -> list[Violation]:
    """Points of the path where no zone data or no border data is loaded: not checked, so not legal."""
    s = ctx.samples
    found: list[Violation] = []
    for covered, key in ((ctx.zones_covered, Msg.NO_ZONE_DATA), (ctx.border_covered, Msg.NO_BORDER_DATA)):
        missing = np.flatnonzero(~covered)
        if missing.size:
            first = int(missing[0])
            found.append(
                violation(
                    RuleId.DATA_COVERAGE,
                    Severity.ERROR,
                    key,
                    where=ctx.sample_where(first),
                    count=int(missing.size),
                    leg=int(s.leg_index[first]),
                )
            )
    return found


def _above_terrain(item: MissionItem) -> tuple[float, float, float] | None:
    """(lon, lat, height) of an item whose altitude is a height above the terrain model."""
    if isinstance(item, Takeoff | Waypoint | Loiter | Orbit) and item.alt_frame is AltFrame.AGL:
        return float(item.lon), float(item.lat), float(item.alt_m)
    if isinstance(item, OtherCommand):
        target = other_target(item)
        if (
            target is not None
            and target.frame is AltFrame.AGL
            and target.lon is not None
            and target.lat is not None
            and target.alt_m is not None
        ):
            return float(target.lon), float(target.lat), float(target.alt_m)
    return None


def _is_px4(ctx: RuleContext) -> bool:
    qgc = ctx.mission.qgc
    return qgc is None or qgc.firmware_type in (None, QGC_FIRMWARE_PX4)


def check_altitude_reference(ctx: RuleContext) -> list[Violation]:
    """Heights above terrain become altitudes above sea level only over precise terrain (QGC's
    CalcAboveTerrain without AMSLAltAboveTerrain); QGC's terrain frame is not flown by PX4."""
    terrain = ctx.region.terrain
    found: list[Violation] = []
    for index, item in enumerate(ctx.mission.items):
        info = item.qgc
        if info is not None and info.altitude_mode == QGC_ALT_MODE_TERRAIN_FRAME and _is_px4(ctx):
            found.append(
                violation(
                    RuleId.ALTITUDE_REFERENCE,
                    Severity.ERROR,
                    Msg.TERRAIN_FRAME_PX4,
                    where=_at(index),
                    item=index,
                )
            )
            continue
        above = _above_terrain(item)
        if above is None:
            continue
        lon, lat, agl = above
        quality = "unknown"
        if terrain is not None:
            accuracy = terrain.sample(np.array([lon]), np.array([lat])).accuracy_m
            quality = str(terrain_classes(np.asarray(accuracy, dtype=np.float64))[0])
        if quality != "precise":
            found.append(
                violation(
                    RuleId.ALTITUDE_REFERENCE,
                    Severity.ERROR,
                    Msg.AGL_UNRESOLVED,
                    where=Where(item_index=index, lon=lon, lat=lat),
                    item=index,
                    agl=agl,
                    quality=_TERRAIN_WORDS[quality],
                )
            )
    return found


def home_offset_m(ctx: RuleContext) -> tuple[float, float] | None:
    """(declared home - precise terrain at home, terrain) in metres; None where either is unknown."""
    declared = ctx.mission.home.alt_amsl_m
    terrain = ctx.region.terrain
    if declared is None or terrain is None:
        return None
    home = ctx.mission.home
    sample = terrain.sample(np.array([home.lon]), np.array([home.lat]))
    accuracy = float(np.asarray(sample.accuracy_m)[0])
    ground = float(np.asarray(sample.elevation_amsl_m)[0])
    if math.isnan(accuracy) or math.isnan(ground) or accuracy > 10.0:
        return None
    return float(declared) - ground, ground


def home_is_wrong(ctx: RuleContext) -> bool:
    """The declared home altitude is off precise terrain by more than the error margin."""
    offset = home_offset_m(ctx)
    return offset is not None and abs(offset[0]) > ctx.config.home_terrain_error_m


def check_home_altitude(ctx: RuleContext) -> list[Violation]:
    """The plan's home altitude against precise terrain at home: warn beyond the warning margin, error
    beyond the error margin (then heights relative to home are not reported: they would be as wrong)."""
    mission = ctx.mission
    if mission.home.alt_amsl_m is None:
        terrain = ctx.region.terrain
        if terrain is None:
            return [violation(RuleId.HOME_ALTITUDE, Severity.ERROR, Msg.HOME_ALT_UNKNOWN)]
        sample = terrain.sample(np.array([mission.home.lon]), np.array([mission.home.lat]))
        if np.isnan(np.asarray(sample.accuracy_m)).any():
            return [violation(RuleId.HOME_ALTITUDE, Severity.ERROR, Msg.HOME_ALT_UNKNOWN)]
        return []
    offset = home_offset_m(ctx)
    if offset is None:
        return []
    difference, ground = offset
    config = ctx.config
    if abs(difference) <= config.home_terrain_warn_m:
        return []
    error = abs(difference) > config.home_terrain_error_m
    return [
        violation(
            RuleId.HOME_ALTITUDE,
            Severity.ERROR if error else Severity.WARNING,
            Msg.HOME_OFF_TERRAIN,
            where=Where(lon=float(mission.home.lon), lat=float(mission.home.lat)),
            home=float(mission.home.alt_amsl_m),
            difference=abs(difference),
            direction=_ABOVE if difference > 0 else _BELOW,
            ground=ground,
            margin=config.home_terrain_error_m if error else config.home_terrain_warn_m,
        )
    ]


def check_record(ctx: RuleContext) -> CheckRecord:
    """Per leg: whether zones and border cover it and how good the terrain under it is."""
    items = ctx.mission.items
    positional = [
        i
        for i, item in enumerate(items)
        if isinstance(item, Takeoff | Waypoint | Loiter | Orbit | Land)
        or (isinstance(item, OtherCommand) and is_positional(item.command))
    ]
    v = ctx.vertices
    path_items = sorted({int(i) for i in v.item_index if i >= 0})
    s = ctx.samples
    legs: list[LegCheck] = []
    if v.leg_count:
        leg_of = s.leg_index
        zones_ok = np.ones(v.leg_count, dtype=bool)
        border_ok = np.ones(v.leg_count, dtype=bool)
        rank = np.zeros(v.leg_count, dtype=np.int8)
        np.logical_and.at(zones_ok, leg_of, ctx.zones_covered)
        np.logical_and.at(border_ok, leg_of, ctx.border_covered)
        np.maximum.at(rank, leg_of, ctx.terrain_rank)
        legs = [
            LegCheck(
                leg_index=k,
                item_index=int(v.item_index[k + 1]),
                zones=bool(zones_ok[k]),
                border=bool(border_ok[k]),
                terrain=TERRAIN_CLASSES[int(rank[k])],
            )
            for k in range(v.leg_count)
        ]
    coverage = coverage_of(ctx.region)
    return CheckRecord(
        positional_items=positional,
        path_items=path_items,
        legs=legs,
        zone_sources=list(coverage.zone_sources) if coverage is not None else [],
    )
