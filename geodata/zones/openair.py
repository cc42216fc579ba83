"""OpenAir airspace files (Czech AIP-derived glider files, Polish/German/Austrian neighbours).

Records start at ``AC``; ``AN`` name, ``AL``/``AH`` limits, ``AY`` type, ``AF``/``AG`` radio;
geometry from ``DP`` points, ``V X=`` centre, ``V D=+|-`` arc direction, ``DA`` (radius NM, start
and end bearing) and ``DB`` (arc between two points) arcs, ``DC`` circles (NM). ``*`` starts a
comment anywhere on a line (``DC 2 *NM``). Style lines (``SP``, ``SB``, ``AT``, ``V Z=``) are ignored;
``DY``/``V W=`` airways are reported and the record rejected. Arcs are densified to 1 m sagitta,
circles circumscribed (see ``geometry``). Every problem carries its line number.

Restriction mapping (documented choice, conservative for a drone pilot; the OpenAir class says
little about UAS rules, so names of the national designators refine it):

================================  ===================  ==========================================
OpenAir ``AC`` / name / ``AY``       Restriction           why
================================  ===================  ==========================================
P, GP, name ``EP P``/``LKP``        PROHIBITED            prohibited area
R, name TRA/TSA/EPTR/EPTS/LKR       REQ_AUTHORISATION     reserved/restricted when active
A, B, C, D, CTR, AY CTR             REQ_AUTHORISATION     controlled airspace: ATC clearance
Q (danger), name EPD/LKD, DROPZONE  CONDITIONAL           hazardous activity: coordinate
E, F, TMZ, RMZ, W, GS, AY GSEC      CONDITIONAL           transponder/radio/glider sectors
G, UNCLASSIFIED                     NO_RESTRICTION        uncontrolled (unless the name says TRA...)
================================  ===================  ==========================================

Reasons: ``AIR_TRAFFIC`` always. Country: the ``country`` argument, else from the ICAO prefix of
the name (LK -> CZE, EP -> POL, ED -> DEU, LO -> AUT, LZ -> SVK), else empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.zones.geometry import (
    GeometryError,
    arc_positions,
    azimuth_distance,
    check_lon_lat,
    circle_polygon,
    closed_ring,
    polygon_from_rings,
)
from geodata.zones.limits import LimitError, parse_limit_text
from geodata.zones.model import (
    GROUND,
    UNLIMITED,
    AltitudeLimit,
    Circle,
    ImportResult,
    Restriction,
    Zone,
    ZoneVolume,
    make_uid,
)
from geodata.zones.source_io import Source, decode_text, read_limited

NM_TO_M = 1852.0


class OpenAirClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    P = "P"
    R = "R"
    Q = "Q"
    W = "W"
    GP = "GP"
    GS = "GS"
    CTR = "CTR"
    TMZ = "TMZ"
    RMZ = "RMZ"
    UNCLASSIFIED = "UNCLASSIFIED"


CLASS_RESTRICTION: dict[OpenAirClass, Restriction] = {
    OpenAirClass.P: Restriction.PROHIBITED,
    OpenAirClass.GP: Restriction.PROHIBITED,
    OpenAirClass.R: Restriction.REQ_AUTHORISATION,
    OpenAirClass.A: Restriction.REQ_AUTHORISATION,
    OpenAirClass.B: Restriction.REQ_AUTHORISATION,
    OpenAirClass.C: Restriction.REQ_AUTHORISATION,
    OpenAirClass.D: Restriction.REQ_AUTHORISATION,
    OpenAirClass.CTR: Restriction.REQ_AUTHORISATION,
    OpenAirClass.Q: Restriction.CONDITIONAL,
    OpenAirClass.E: Restriction.CONDITIONAL,
    OpenAirClass.F: Restriction.CONDITIONAL,
    OpenAirClass.TMZ: Restriction.CONDITIONAL,
    OpenAirClass.RMZ: Restriction.CONDITIONAL,
    OpenAirClass.W: Restriction.CONDITIONAL,
    OpenAirClass.GS: Restriction.CONDITIONAL,
    OpenAirClass.G: Restriction.NO_RESTRICTION,
    OpenAirClass.UNCLASSIFIED: Restriction.NO_RESTRICTION,
}

_PROHIBITED_NAME = re.compile(r"\b(EP ?P\d|LKP\d)")
_RESERVED_NAME = re.compile(r"\b(TRA|TSA|EPTR\d|EPTS\d|LKTRA\d|LKTSA\d|LKR\d|EPR\d|MRT)")
_DANGER_NAME = re.compile(r"\b(EPD\d|LKD\d|DROPZONE|PJE)")
ICAO_COUNTRY = {"LK": "CZE", "EP": "POL", "ED": "DEU", "ET": "DEU", "LO": "AUT", "LZ": "SVK"}
_ICAO_TOKEN = re.compile(r"\b(LK|EP|ED|ET|LO|LZ)(?:[A-Z0-9]| [PRD] ?\d)")
_COORD = re.compile(
    r"(\d{1,3})(?::(\d{1,2}(?:\.\d+)?))?(?::(\d{1,2}(?:\.\d+)?))?\s*([NS])\s*[, ]?\s*"
    r"(\d{1,3})(?::(\d{1,2}(?:\.\d+)?))?(?::(\d{1,2}(?:\.\d+)?))?\s*([EW])",
    re.IGNORECASE,
)
IGNORED_RECORDS = {"SP", "SB", "AT", "AF", "AG", "AX", "TO", "TC"}


def restriction_for(cls: OpenAirClass, name: str, kind: str) -> Restriction:
    upper = name.upper()
    if _PROHIBITED_NAME.search(upper):
        return Restriction.PROHIBITED
    if _RESERVED_NAME.search(upper):
        return Restriction.REQ_AUTHORISATION
    if _DANGER_NAME.search(upper):
        return Restriction.CONDITIONAL
    if kind.upper() == "CTR":
        return Restriction.REQ_AUTHORISATION
    return CLASS_RESTRICTION[cls]


def country_for(name: str) -> str:
    match = _ICAO_TOKEN.search(name.upper())
    return ICAO_COUNTRY[match.group(1)] if match else ""


class _RecordError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(f"line {line}", message)


@dataclass
class _Record:
    first_line: int
    cls_text: str
    name: str = ""
    kind: str = ""
    lower: AltitudeLimit | None = None
    upper: AltitudeLimit | None = None
    frequency: str = ""
    ground_name: str = ""
    points: list[tuple[float, float]] = field(default_factory=list)
    circle: Circle | None = None
    center: tuple[float, float] | None = None
    clockwise: bool = True
    error: Problem | None = None
    warnings: list[Problem] = field(default_factory=list)


def parse_coordinate(text: str, line: int) -> tuple[float, float]:
    """``50:18:06 N 017:17:51 E`` (also DD:MM.mm and decimal forms) -> (lon, lat)."""
    match = _COORD.search(text)
    if not match:
        raise _RecordError(line, f"cannot read coordinate {text.strip()!r}")
    g = match.groups()
    lat = _dms(g[0], g[1], g[2], line) * (-1 if g[3].upper() == "S" else 1)
    lon = _dms(g[4], g[5], g[6], line) * (-1 if g[7].upper() == "W" else 1)
    if abs(lat) > 90 or abs(lon) > 180:
        raise _RecordError(line, f"coordinate {text.strip()!r} out of range")
    return lon, lat


def _dms(deg: str, minutes: str | None, seconds: str | None, line: int) -> float:
    m = float(minutes or 0)
    s = float(seconds or 0)
    if m >= 60 or s >= 60:
        raise _RecordError(line, f"minutes/seconds out of range in {deg}:{minutes}:{seconds}")
    return float(deg) + m / 60 + s / 3600


def load_openair(
    source: Source,
    *,
    strict: bool = False,
    country: str | None = None,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> ImportResult:
    """Import an OpenAir file (``Path``/``str`` path or raw bytes); problems are located by line.

    ``country`` (ISO alpha-3) overrides the guess from ICAO designators for every zone.
    """
    data, label = read_limited(source, max_bytes)
    text = decode_text(data, label)
    if "\x00" in text:
        raise InputError(label, [Problem("file", "binary data (NUL bytes): not an OpenAir text file")])
    result = ImportResult()
    record: _Record | None = None
    index = 0

    def finish(rec: _Record | None) -> None:
        nonlocal index
        if rec is None:
            return
        if rec.error is not None:
            result.rejected.append(rec.error)
            return
        if not rec.name and not rec.points and rec.circle is None:
            return  # a style-only AC block
        try:
            zone = _zone(rec, label, index, country)
        except _RecordError as exc:
            result.rejected.append(exc.problem)
            return
        result.warnings.extend(rec.warnings)
        result.zones.append(zone)
        index += 1

    for line_no, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.split("*", 1)[0].strip()
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "AC":
            finish(record)
            record = _Record(line_no, rest.upper())
            continue
        if record is None:
            if keyword in IGNORED_RECORDS:
                continue
            result.rejected.append(Problem(f"line {line_no}", f"'{keyword}' before any 'AC' record"))
            continue
        if record.error is not None:
            continue
        try:
            _apply(record, keyword, rest, line_no)
        except _RecordError as exc:
            record.error = Problem(
                exc.problem.location,
                f"{exc.problem.message} (record '{record.name or '?'}' from line {record.first_line})",
            )
    finish(record)
    if strict and (result.rejected or result.warnings):
        raise InputError(label, result.problems())
    return result


def _apply(rec: _Record, keyword: str, rest: str, line: int) -> None:
    if keyword == "AN":
        rec.name = rest
    elif keyword == "AY":
        rec.kind = rest
    elif keyword in ("AL", "AH"):
        try:
            limit, warning = parse_limit_text(rest)
        except LimitError as exc:
            raise _RecordError(line, str(exc)) from None
        if warning:
            rec.warnings.append(Problem(f"line {line}", warning))
        if keyword == "AL":
            rec.lower = limit
        else:
            rec.upper = limit
    elif keyword == "AF":
        rec.frequency = rest
    elif keyword == "AG":
        rec.ground_name = rest
    elif keyword == "DP":
        rec.points.append(parse_coordinate(rest, line))
    elif keyword == "V":
        _variable(rec, rest, line)
    elif keyword == "DC":
        if rec.center is None:
            raise _RecordError(line, "DC circle without a preceding 'V X=' centre")
        radius_nm = _float(rest, line, "circle radius (NM)")
        rec.circle = Circle(rec.center[0], rec.center[1], radius_nm * NM_TO_M)
    elif keyword == "DA":
        _arc_by_angles(rec, rest, line)
    elif keyword == "DB":
        _arc_by_points(rec, rest, line)
    elif keyword in ("DY",):
        raise _RecordError(line, "airway segments (DY) are not supported")
    elif keyword not in IGNORED_RECORDS:
        rec.warnings.append(Problem(f"line {line}", f"unknown OpenAir record '{keyword}' ignored"))


def _variable(rec: _Record, rest: str, line: int) -> None:
    name, _, value = rest.partition("=")
    name = name.strip().upper()
    value = value.strip()
    if name == "X":
        rec.center = parse_coordinate(value, line)
    elif name == "D":
        if value not in ("+", "-"):
            raise _RecordError(line, f"arc direction must be '+' or '-', got {value!r}")
        rec.clockwise = value == "+"
    elif name == "W":
        raise _RecordError(line, "airway width (V W=) is not supported")
    elif name != "Z":
        raise _RecordError(line, f"unknown variable 'V {rest}'")


def _float(text: str, line: int, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _RecordError(line, f"{what} must be a number, got {text.strip()!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise _RecordError(line, f"{what} must be positive, got {text.strip()!r}")
    return value


def _arc_by_angles(rec: _Record, rest: str, line: int) -> None:
    if rec.center is None:
        raise _RecordError(line, "DA arc without a preceding 'V X=' centre")
    parts = [p for p in rest.split(",")]
    if len(parts) != 3:
        raise _RecordError(line, f"DA needs 'radius, start, end', got {rest!r} (unclosed arc?)")
    radius = _float(parts[0], line, "arc radius (NM)") * NM_TO_M
    try:
        start, end = float(parts[1]), float(parts[2])
    except ValueError:
        raise _RecordError(line, f"DA bearings must be numbers, got {rest!r}") from None
    rec.points.extend(map(tuple, arc_positions(rec.center, radius, start, end, rec.clockwise).tolist()))


def _arc_by_points(rec: _Record, rest: str, line: int) -> None:
    if rec.center is None:
        raise _RecordError(line, "DB arc without a preceding 'V X=' centre")
    matches = list(_COORD.finditer(rest))
    if len(matches) != 2:
        raise _RecordError(
            line, f"DB needs two coordinates 'start, end', found {len(matches)} (unclosed arc?)"
        )
    start = parse_coordinate(matches[0].group(0), line)
    end = parse_coordinate(matches[1].group(0), line)
    az1, d1 = azimuth_distance(rec.center, start)
    az2, d2 = azimuth_distance(rec.center, end)
    if d1 <= 0 or d2 <= 0:
        raise _RecordError(line, "DB arc end point coincides with its centre")
    if abs(d1 - d2) > max(0.05 * max(d1, d2), 200.0):
        rec.warnings.append(
            Problem(
                f"line {line}", f"arc end points are {d1:.0f} m and {d2:.0f} m from the centre; mean used"
            )
        )
    arc = arc_positions(rec.center, (d1 + d2) / 2, az1, az2, rec.clockwise)
    arc[0] = start  # keep the published end points exactly
    arc[-1] = end
    rec.points.extend(map(tuple, arc.tolist()))


def _zone(rec: _Record, label: str, index: int, country: str | None) -> Zone:
    loc = f"line {rec.first_line}"
    if not rec.name:
        raise _RecordError(rec.first_line, "record without a name (AN)")
    if rec.lower is None or rec.upper is None:
        missing = "AL" if rec.lower is None else "AH"
        raise _RecordError(rec.first_line, f"'{rec.name}': missing {missing} limit")
    if rec.circle is not None and rec.points:
        raise _RecordError(rec.first_line, f"'{rec.name}': both a circle (DC) and polygon points")
    try:
        if rec.circle is not None:
            c = rec.circle
            footprint: Polygon | MultiPolygon = circle_polygon(c.center_lon, c.center_lat, c.radius_m, loc)
        else:
            if len(rec.points) < 3:
                raise _RecordError(
                    rec.first_line, f"'{rec.name}': {len(rec.points)} point(s), a polygon needs 3"
                )
            coords = np.asarray(rec.points, dtype=np.float64)
            check_lon_lat(coords, loc)
            ring = closed_ring(coords, loc, [])  # OpenAir polygons are implicitly closed
            footprint = polygon_from_rings([ring], loc, rec.warnings)
    except GeometryError as exc:
        raise _RecordError(rec.first_line, f"'{rec.name}': {exc.message}") from None
    try:
        cls = OpenAirClass(rec.cls_text) if rec.cls_text else OpenAirClass.UNCLASSIFIED
    except ValueError:
        rec.warnings.append(Problem(loc, f"unknown airspace class {rec.cls_text!r}; treated as CONDITIONAL"))
        cls = OpenAirClass.UNCLASSIFIED
        restriction = Restriction.CONDITIONAL
    else:
        restriction = restriction_for(cls, rec.name, rec.kind)
    lower = rec.lower if rec.lower is not None else GROUND
    upper = rec.upper if rec.upper is not None else UNLIMITED
    if lower.ref == upper.ref and lower.value_m > upper.value_m:
        raise _RecordError(rec.first_line, f"'{rec.name}': lower limit {lower.text} above upper {upper.text}")
    volume = ZoneVolume(footprint, lower, upper, rec.circle)
    message = " ".join(
        p for p in (f"{rec.ground_name} {rec.frequency}".strip(), f"OpenAir class {cls.value}") if p
    )
    extra = tuple(
        (k, v)
        for k, v in (("openair_class", cls.value), ("type", rec.kind), ("frequency", rec.frequency))
        if v
    )
    return Zone(
        identifier=rec.name,
        country=country if country is not None else country_for(rec.name),
        name=rec.name,
        restriction=restriction,
        reasons=("AIR_TRAFFIC",),
        volumes=(volume,),
        message=message,
        source=f"{label}:{rec.first_line}",
        uid=make_uid(label, index, rec.name),
        extra=extra,
    )
