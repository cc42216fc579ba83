"""Typed reads from parsed JSON that record every problem with its JSON path instead of raising at the first.

A pilot fixing a hand-edited plan wants all problems at once, each with the place to look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from geodata.errors import Problem

MAX_PROBLEMS = 200


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(where, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def as_object(value: Any, where: str, problems: Problems) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.add(where, f"expected an object, got {type_name(value)}")
    return None


def as_list(value: Any, where: str, problems: Problems, *, max_len: int | None = None) -> list[Any] | None:
    if not isinstance(value, list):
        problems.add(where, f"expected an array, got {type_name(value)}")
        return None
    if max_len is not None and len(value) > max_len:
        problems.add(where, f"{len(value)} entries exceed the limit of {max_len}")
        return None
    return value


def as_number(
    value: Any,
    where: str,
    problems: Problems,
    *,
    lo: float | None = None,
    hi: float | None = None,
    nullable: bool = False,
) -> float | None:
    """A finite number within [lo, hi]; ``None`` for JSON null when ``nullable``."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(where, f"expected a number, got {type_name(value)}")
        return None
    number = float(value)
    if not math.isfinite(number):
        problems.add(where, "number must be finite")
        return None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        problems.add(
            where,
            f"{number:g} is out of range {lo:g}..{hi:g}"
            if lo is not None and hi is not None
            else f"{number:g} is out of range",
        )
        return None
    return number


def as_bool(value: Any, where: str, problems: Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    problems.add(where, f"expected true or false, got {type_name(value)}")
    return None


def as_int(value: Any, where: str, problems: Problems, *, lo: int, hi: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
        problems.add(where, f"expected a whole number, got {type_name(value)} {value!r}"[:200])
        return None
    number = int(value)
    if not lo <= number <= hi:
        problems.add(where, f"{number} is out of range {lo}..{hi}")
        return None
    return number


def lat_lon(
    value: Any, where: str, problems: Problems, *, with_alt: bool = False
) -> tuple[float, ...] | None:
    """QGC's ``[lat, lon]`` or ``[lat, lon, alt]`` arrays, range-checked."""
    length = 3 if with_alt else 2
    items = as_list(value, where, problems)
    if items is None:
        return None
    if len(items) != length:
        problems.add(
            where, f"expected [{'lat, lon, alt' if with_alt else 'lat, lon'}], got {len(items)} values"
        )
        return None
    lat = as_number(items[0], f"{where}[0]", problems, lo=-90.0, hi=90.0)
    lon = as_number(items[1], f"{where}[1]", problems, lo=-180.0, hi=180.0)
    alt = as_number(items[2], f"{where}[2]", problems, lo=-1000.0, hi=20000.0) if with_alt else 0.0
    if lat is None or lon is None or alt is None:
        return None
    return (lat, lon, alt) if with_alt else (lat, lon)
