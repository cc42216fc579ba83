"""Pieces ED-269 and ED-318 share: restriction, reasons, texts, authorities, applicability, limits."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from geodata.errors import InputError, Problem
from geodata.vertical import VerticalRef
from geodata.zones.limits import LimitError, Unit, limit_from_fields, number, parse_ref, parse_unit
from geodata.zones.model import (
    ALL_DAYS,
    GROUND,
    PERMANENT,
    UNLIMITED,
    AltitudeLimit,
    Applicability,
    Authority,
    DailyPeriod,
    ImportResult,
    Reason,
    Restriction,
    TimeWindow,
    Weekday,
    Zone,
)
from geodata.zones.source_io import jpath, type_name


class ZoneRejected(ValueError):
    """One zone cannot be imported; the rest of the file still can."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.problem = Problem(location, message)


@dataclass
class Notes:
    """Warnings collected while reading one document."""

    items: list[Problem] = field(default_factory=list)

    def add(self, location: str, message: str) -> None:
        self.items.append(Problem(location, message))


ZoneParser = Callable[[Any, str, int], Sequence[Zone]]
"""Parses one raw entry at (JSON path, index) into its zones, or raises ZoneRejected."""


def import_each(
    raws: Sequence[Any], base: str, parse: ZoneParser, notes: Notes, label: str, *, strict: bool
) -> ImportResult:
    """One bad zone is listed as rejected and the rest of the file still imports (every importer does it
    the same way); ``strict`` turns any rejection or warning into an InputError instead."""
    result = ImportResult()
    for i, raw in enumerate(raws):
        try:
            result.zones.extend(parse(raw, jpath(base, i), i))
        except ZoneRejected as exc:
            result.rejected.append(exc.problem)
    result.warnings.extend(notes.items)
    if strict and (result.rejected or result.warnings):
        raise InputError(label, result.problems())
    return result


RESTRICTION_SPELLINGS = {
    "PROHIBITED": Restriction.PROHIBITED,
    "REQ_AUTHORISATION": Restriction.REQ_AUTHORISATION,
    "REQ_AUTHORIZATION": Restriction.REQ_AUTHORISATION,
    "CONDITIONAL": Restriction.CONDITIONAL,
    "NO_RESTRICTION": Restriction.NO_RESTRICTION,
}


def restriction(raw: object, loc: str) -> Restriction:
    if not isinstance(raw, str) or raw.strip().upper() not in RESTRICTION_SPELLINGS:
        allowed = ", ".join(r.value for r in Restriction)
        raise ZoneRejected(loc, f"unknown restriction {raw!r} (expected one of {allowed})")
    return RESTRICTION_SPELLINGS[raw.strip().upper()]


def reasons(raw: object, loc: str, notes: Notes) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        notes.add(loc, f"reason should be an array of codes, got {type_name(raw)}; ignored")
        return ()
    known = {r.value for r in Reason}
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            notes.add(jpath(loc, i), f"reason code must be a string, got {type_name(item)}; ignored")
            continue
        if item.upper() not in known:
            notes.add(jpath(loc, i), f"unknown reason code {item!r}; kept as text")
        out.append(item.upper() if item.upper() in known else item)
    return tuple(out)


def text(raw: object, loc: str, notes: Notes, *, what: str = "text") -> str:
    """A plain string, or ED-318's ``[{text, lang}]`` (English preferred, else the first)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        notes.add(loc, f"{what} should be a string, got a number; converted")
        return str(raw)
    if isinstance(raw, list):
        texts: list[tuple[str, str]] = []
        for i, item in enumerate(raw):
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                lang = item.get("lang")
                if not isinstance(lang, str):
                    notes.add(jpath(loc, i), f"{what} entry has no 'lang'")
                    lang = ""
                texts.append((lang, item["text"]))
            else:
                notes.add(jpath(loc, i), f"{what} entry must be {{text, lang}}, got {type_name(item)}")
        english = [t for lang, t in texts if lang.lower().startswith("en")]
        return english[0] if english else (texts[0][1] if texts else "")
    notes.add(loc, f"{what} should be a string, got {type_name(raw)}; ignored")
    return ""


def authority(raw: object, loc: str, notes: Notes) -> Authority | None:
    """The authority to contact: the first with purpose AUTHORIZATION, else the first listed."""
    if raw is None:
        return None
    entries = raw if isinstance(raw, list) else [raw]
    parsed: list[Authority] = []
    for i, entry in enumerate(entries):
        eloc = jpath(loc, i)
        if not isinstance(entry, dict):
            notes.add(eloc, f"authority must be an object, got {type_name(entry)}; ignored")
            continue
        parsed.append(
            Authority(
                name=text(entry.get("name"), jpath(eloc, "name"), notes),
                service=text(entry.get("service"), jpath(eloc, "service"), notes),
                email=text(entry.get("email"), jpath(eloc, "email"), notes),
                phone=text(entry.get("phone"), jpath(eloc, "phone"), notes),
                site_url=text(entry.get("siteURL"), jpath(eloc, "siteURL"), notes),
                purpose=text(entry.get("purpose"), jpath(eloc, "purpose"), notes),
                contact_name=text(entry.get("contactName"), jpath(eloc, "contactName"), notes),
                interval_before=text(entry.get("intervalBefore"), jpath(eloc, "intervalBefore"), notes),
            )
        )
    for a in parsed:
        if a.purpose.upper() in {"AUTHORIZATION", "AUTHORISATION"}:
            return a
    return parsed[0] if parsed else None


def authority_to_ed269(a: Authority) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": a.name,
        "service": a.service,
        "email": a.email,
        "contactName": a.contact_name,
        "siteURL": a.site_url,
        "phone": a.phone,
        "purpose": a.purpose,
        "intervalBefore": a.interval_before,
    }
    return {k: v for k, v in out.items() if v}


# ---- time -------------------------------------------------------------------------------------

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")
DAY_CODES = {d.name: d for d in Weekday}


def parse_datetime(raw: object, loc: str, notes: Notes) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ZoneRejected(loc, f"date-time must be an ISO 8601 string, got {type_name(raw)}")
    try:
        value = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError:
        raise ZoneRejected(loc, f"invalid ISO 8601 date-time {raw!r}") from None
    if value.tzinfo is None:
        notes.add(loc, f"date-time {raw!r} has no UTC offset; read as UTC")
        value = value.replace(tzinfo=UTC)
    return value


def parse_time(raw: object, loc: str, notes: Notes) -> tuple[time, tzinfo]:
    if not isinstance(raw, str):
        raise ZoneRejected(loc, f"time must be a string like '17:00:00Z', got {type_name(raw)}")
    match = _TIME.match(raw.strip())
    if not match:
        raise ZoneRejected(loc, f"invalid time {raw!r} (expected hh:mm[:ss][Z|+hh:mm])")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour == 24 and minute == 0 and second == 0:
        hour, minute, second = 23, 59, 59
    if hour > 23 or minute > 59 or second > 59:
        raise ZoneRejected(loc, f"time {raw!r} out of range")
    zone_text = match.group(4)
    tz: tzinfo
    if zone_text is None:
        notes.add(loc, f"time {raw!r} has no UTC offset; read as UTC")
        tz = UTC
    elif zone_text == "Z":
        tz = UTC
    else:
        sign = -1 if zone_text[0] == "-" else 1
        digits = zone_text[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return time(hour, minute, second), tz


def parse_periods(raw: object, loc: str, notes: Notes) -> tuple[DailyPeriod, ...]:
    """ED-269 ``schedule``/``dailyPeriod`` (and ED-318 ``schedule``) entries."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ZoneRejected(loc, f"schedule must be an array, got {type_name(raw)}")
    periods: list[DailyPeriod] = []
    for i, item in enumerate(raw):
        ploc = jpath(loc, i)
        if not isinstance(item, dict):
            raise ZoneRejected(ploc, f"schedule entry must be an object, got {type_name(item)}")
        days_raw = item.get("day", [])
        start_raw, end_raw = item.get("startTime"), item.get("endTime")
        if start_raw is None and end_raw is None and not days_raw:
            continue  # the CIS sample's all-null dailyPeriod of a permanent zone
        days = _days(days_raw, jpath(ploc, "day"))
        start, tz = parse_time(
            start_raw if start_raw is not None else "00:00Z", jpath(ploc, "startTime"), notes
        )
        end, _ = parse_time(end_raw if end_raw is not None else "23:59:59Z", jpath(ploc, "endTime"), notes)
        periods.append(DailyPeriod(days, start, end, tz))
    return tuple(periods)


def _days(raw: object, loc: str) -> frozenset[Weekday]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise ZoneRejected(loc, f"day must be an array of MON..SUN/ANY, got {type_name(raw)}")
    if not items:
        return ALL_DAYS
    days: set[Weekday] = set()
    for i, d in enumerate(items):
        code = d.strip().upper() if isinstance(d, str) else None
        if code == "ANY":
            return ALL_DAYS
        if code not in DAY_CODES:
            raise ZoneRejected(jpath(loc, i), f"unknown day {d!r} (expected MON..SUN or ANY)")
        days.add(DAY_CODES[code])
    return frozenset(days)


def window(item: dict[str, Any], loc: str, notes: Notes) -> TimeWindow:
    start = parse_datetime(item.get("startDateTime"), jpath(loc, "startDateTime"), notes)
    end = parse_datetime(item.get("endDateTime"), jpath(loc, "endDateTime"), notes)
    if start is not None and end is not None and end < start:
        raise ZoneRejected(loc, f"endDateTime {end.isoformat()} is before startDateTime {start.isoformat()}")
    periods = parse_periods(item.get("schedule"), jpath(loc, "schedule"), notes)
    periods += parse_periods(item.get("dailyPeriod"), jpath(loc, "dailyPeriod"), notes)
    return TimeWindow(start, end, periods)


def applicability(raw: object, loc: str, notes: Notes, *, permanent_flag: bool = True) -> Applicability:
    """ED-269 ``applicability`` / ED-318 ``limitedApplicability``; absent means permanent."""
    if raw is None:
        return PERMANENT
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ZoneRejected(loc, f"applicability must be an array, got {type_name(raw)}")
    windows: list[TimeWindow] = []
    for i, item in enumerate(items):
        aloc = jpath(loc, i)
        if not isinstance(item, dict):
            raise ZoneRejected(aloc, f"applicability entry must be an object, got {type_name(item)}")
        if permanent_flag:
            flag = item.get("permanent")
            if flag is not None and (not isinstance(flag, str) or flag.upper() not in {"YES", "NO"}):
                raise ZoneRejected(jpath(aloc, "permanent"), f"permanent must be 'YES' or 'NO', got {flag!r}")
            if isinstance(flag, str) and flag.upper() == "YES":
                return PERMANENT
        windows.append(window(item, aloc, notes))
    if any(w.start is None and w.end is None and not w.daily for w in windows):
        return PERMANENT
    return Applicability(tuple(windows))


def applicability_to_ed(app: Applicability, *, permanent_flag: bool = True) -> list[dict[str, Any]]:
    if app.permanent:
        return [{"permanent": "YES"}] if permanent_flag else []
    out: list[dict[str, Any]] = []
    for w in app.windows:
        item: dict[str, Any] = {"permanent": "NO"} if permanent_flag else {}
        if w.start is not None:
            item["startDateTime"] = _iso(w.start)
        if w.end is not None:
            item["endDateTime"] = _iso(w.end)
        if w.daily:
            item["schedule"] = [
                {
                    "day": sorted((d.name for d in p.days), key=lambda n: DAY_CODES[n])
                    if p.days != ALL_DAYS
                    else ["ANY"],
                    "startTime": _time_text(p.start, p.tz),
                    "endTime": _time_text(p.end, p.tz),
                }
                for p in w.daily
            ]
        out.append(item)
    return out


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time_text(value: time, tz: tzinfo) -> str:
    offset = datetime.combine(datetime(2000, 1, 1).date(), value, tz).utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return value.strftime("%H:%M:%S") + "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return value.strftime("%H:%M:%S") + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---- vertical limits -----------------------------------------------------------------------------


def structured_limit(
    value_raw: object, unit: Unit, ref_raw: object, loc: str, notes: Notes, *, upper: bool
) -> AltitudeLimit:
    """One ED limit. ``null`` upper = unlimited, ``null`` lower = ground (both real-world quirks)."""
    if value_raw is None:
        return UNLIMITED if upper else GROUND
    try:
        value, was_string = number(value_raw, "limit")
        ref = parse_ref(ref_raw) if ref_raw is not None else VerticalRef.AGL
    except LimitError as exc:
        raise ZoneRejected(loc, str(exc)) from None
    if ref_raw is None:
        notes.add(loc, "vertical reference missing; AGL assumed")
    if was_string:
        notes.add(loc, f"limit given as string {value_raw!r}; read as a number")
    if value < -1000 or (value > 1_000_000 and not upper):
        raise ZoneRejected(loc, f"limit {value:g} is implausible")
    return limit_from_fields(value, unit, ref)


def unit_of(raw: object, loc: str) -> Unit:
    try:
        return parse_unit(raw if raw is not None else "M")
    except LimitError as exc:
        raise ZoneRejected(loc, str(exc)) from None


def check_band(lower: AltitudeLimit, upper: AltitudeLimit, loc: str) -> None:
    if lower.ref == upper.ref and lower.value_m > upper.value_m and not math.isinf(upper.value_m):
        raise ZoneRejected(loc, f"lower limit {lower.text} is above upper limit {upper.text}")
