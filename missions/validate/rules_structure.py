"""Structural rules: a mission must start with a take-off, end with RTL or landing, and hold sane numbers.

They run before anything geometric, because NaN or impossible coordinates would make every later check
meaningless (models built with ``model_construct`` skip pydantic's own checks, so these are repeated here).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pymavlink import mavutil

from geodata.crs import distance_m
from missions.commands import command_info
from missions.model import (
    DoJump,
    Land,
    Loiter,
    Mission,
    MissionItem,
    Orbit,
    OtherCommand,
    RegionOfInterest,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)
from missions.path import loop_overflows, other_target, placed_in_path
from missions.validate.context import RuleConfig, RuleContext
from missions.validate.messages import Msg
from missions.validate.report import RuleId, Severity, Violation, Where, violation

mav = mavutil.mavlink

_POSITIONED = (Takeoff, Waypoint, Loiter, Orbit, Land, RegionOfInterest)
_ENDS = (ReturnToLaunch, Land)


def _position(item: MissionItem) -> tuple[float, float] | None:
    if isinstance(item, _POSITIONED):
        return float(item.lon), float(item.lat)
    return None


def _valid_lonlat(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def _item_problem(severity: Severity, key: Msg, index: int, **values: Any) -> Violation:
    """A structure finding about one item: located at it, and its message names it."""
    return violation(RuleId.STRUCTURE, severity, key, where=Where(item_index=index), item=index, **values)


def geometry_problems(mission: Mission, config: RuleConfig) -> list[Violation]:
    """Errors that make the path itself undefined: no items, bad coordinates, impossible altitudes."""
    if not mission.items:
        return [violation(RuleId.STRUCTURE, Severity.ERROR, Msg.EMPTY_MISSION)]
    found: list[Violation] = []
    home = (float(mission.home.lon), float(mission.home.lat))
    if not _valid_lonlat(*home):
        found.append(
            violation(
                RuleId.STRUCTURE,
                Severity.ERROR,
                Msg.BAD_COORDINATE,
                item="home",
                bad_lon=home[0],
                bad_lat=home[1],
            )
        )
    checked: list[tuple[int, tuple[float, float]]] = []
    for index, item in enumerate(mission.items):
        position = _position(item)
        if position is not None and not _valid_lonlat(*position):
            found.append(
                _item_problem(
                    Severity.ERROR, Msg.BAD_COORDINATE, index, bad_lon=position[0], bad_lat=position[1]
                )
            )
            continue
        if isinstance(item, Takeoff | Waypoint | Loiter | Orbit):
            alt_f = float(item.alt_m)
            if not (math.isfinite(alt_f) and config.min_alt_amsl_m <= alt_f <= config.max_alt_amsl_m):
                found.append(
                    _item_problem(
                        Severity.ERROR, Msg.ABSURD_ALTITUDE, index, alt=alt_f, frame=item.alt_frame.value
                    )
                )
                continue
        if position is not None:
            checked.append((index, position))
    if checked and _valid_lonlat(*home):
        lonlat = np.asarray([p for _i, p in checked], dtype=np.float64)
        far = distance_m(home[0], home[1], lonlat[:, 0], lonlat[:, 1])
        for k in np.flatnonzero(far > config.absurd_distance_from_home_m):
            index = checked[int(k)][0]
            found.append(
                _item_problem(Severity.ERROR, Msg.FAR_FROM_HOME, index, distance_km=float(far[k]) / 1000.0)
            )
    return found


def sequence_problems(mission: Mission) -> list[Violation]:
    """Order problems: no take-off first, no end, items after the end, exact repeats, unknown commands."""
    items = mission.items
    found: list[Violation] = []
    flying = [(i, it) for i, it in enumerate(items) if placed_in_path(it)]
    if not flying or not _takes_off(flying[0][1]):
        first = flying[0][0] if flying else None
        found.append(
            violation(RuleId.STRUCTURE, Severity.ERROR, Msg.NO_TAKEOFF, where=Where(item_index=first))
        )
    end = next((i for i, it in enumerate(items) if _ends(it)), None)
    if end is None:
        found.append(violation(RuleId.STRUCTURE, Severity.ERROR, Msg.NO_END))
    else:
        for index in range(end + 1, len(items)):
            found.append(_item_problem(Severity.ERROR, Msg.ITEMS_AFTER_END, index))
    for index in range(1, len(items)):
        if _same_apart_from_bookkeeping(items[index], items[index - 1]):
            found.append(_item_problem(Severity.WARNING, Msg.DUPLICATE_ITEM, index, previous=index - 1))
    for index, item in enumerate(items):
        if isinstance(item, DoJump):
            # DO_JUMP counts MAVLink sequence numbers, which are the item indices (no home entry, PX4);
            # QGC's doJumpId numbering is translated by the plan reader
            if not 0 <= item.target_item < len(items) or item.target_item == index:
                found.append(
                    _item_problem(Severity.ERROR, Msg.JUMP_OUT_OF_RANGE, index, target=item.target_item)
                )
            if item.repeat < 0:
                found.append(_item_problem(Severity.ERROR, Msg.JUMP_BAD_REPEAT, index, repeat=item.repeat))
    if loop_overflows(items):
        jumps = [i for i, it in enumerate(items) if isinstance(it, DoJump)]
        found.append(
            _item_problem(Severity.ERROR, Msg.JUMP_BAD_REPEAT, jumps[0] if jumps else 0, repeat="too many")
        )
    return found


def _same_apart_from_bookkeeping(a: MissionItem, b: MissionItem) -> bool:
    """Equal but for QGC bookkeeping (doJumpId differs between otherwise equal items). Items are frozen
    with extra fields forbidden, so their field values are all pydantic's equality compares; comparing
    them directly saves two model copies per item (~15 % of a 1,000-item draft check)."""
    if type(a) is not type(b):
        return False
    return {k: v for k, v in a.__dict__.items() if k != "qgc"} == {
        k: v for k, v in b.__dict__.items() if k != "qgc"
    }


def _takes_off(item: MissionItem) -> bool:
    if isinstance(item, Takeoff):
        return True
    info = command_info(item.command) if isinstance(item, OtherCommand) else None
    return info is not None and info.takes_off


def _ends(item: MissionItem) -> bool:
    if isinstance(item, _ENDS):
        return True
    if isinstance(item, OtherCommand):
        target = other_target(item)
        return target is not None and target.lands
    return False


def check_structure(ctx: RuleContext) -> list[Violation]:
    return sequence_problems(ctx.mission)
