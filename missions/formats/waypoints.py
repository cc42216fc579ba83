"""QGC WPL 110 ``.waypoints`` text (Mission Planner, older QGC). Declared lossy: it holds only the MAVLink
items and home, so vehicle profile, authorisations, AGL intent, fence and rally points are not kept.
"""

from __future__ import annotations

import math

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from missions.formats.codec import CodecError, RawItem, item_to_raw, params_of, raw_to_item
from missions.formats.qgc_plan import DEFAULT_MAX_ITEMS
from missions.formats.source import Source, read_source
from missions.model import HomePosition, Mission, MissionItem

HEADER = "QGC WPL 110"
LOSSY = True


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "nan"
    return repr(float(value))


def dump_waypoints(mission: Mission) -> str:
    """Line 0 is home (ArduPilot convention); then one line per item, tab-separated."""
    home = mission.home
    lines = [HEADER]
    home_alt = home.alt_amsl_m if home.alt_amsl_m is not None else 0.0
    lines.append(
        "\t".join(
            ["0", "1", "0", "16", "0", "0", "0", "0", _fmt(home.lat), _fmt(home.lon), _fmt(home_alt), "1"]
        )
    )
    for seq, item in enumerate(mission.items, start=1):
        raw = item_to_raw(item)
        cells = [str(seq), "0", str(raw.frame), str(raw.command), *(_fmt(p) for p in raw.params), "1"]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _number(text: str, where: str, problems: list[Problem]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(where, f"{text[:40]!r} is not a number"))
        return None
    if math.isinf(value):
        problems.append(Problem(where, "number must be finite"))
        return None
    return value


def load_waypoints(
    source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES, max_items: int = DEFAULT_MAX_ITEMS
) -> Mission:
    """Reads a ``.waypoints`` file; InputError names the line and column of every problem."""
    data, name = read_source(source, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, [Problem(f"byte {exc.start}", "not UTF-8 text")]) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip().startswith("QGC WPL"):
        raise InputError(name, [Problem("line 1", f"expected header '{HEADER}'")])
    body = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip()]
    if len(body) > max_items + 1:
        raise InputError(name, [Problem(f"line {body[max_items + 1][0]}", f"more than {max_items} items")])
    problems: list[Problem] = []
    home: HomePosition | None = None
    items: list[MissionItem] = []
    for number, line in body:
        cells = line.strip().split("\t") if "\t" in line else line.split()
        where = f"line {number}"
        if len(cells) != 12:
            problems.append(Problem(where, f"expected 12 columns, got {len(cells)}"))
            continue
        values = [_number(c, f"{where} column {k + 1}", problems) for k, c in enumerate(cells)]
        if any(v is None for v in values):
            continue
        v = [float(x) for x in values if x is not None]
        params = params_of([None if math.isnan(p) else p for p in v[4:11]])
        if home is None and int(v[0]) == 0:
            lat, lon, alt = params[4], params[5], params[6]
            if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
                problems.append(Problem(where, "home position is not a valid lat/lon"))
                continue
            home = HomePosition(lat=lat, lon=lon, alt_amsl_m=alt if alt else None)
            continue
        try:
            items.append(raw_to_item(RawItem(int(v[3]), int(v[2]), params)))
        except (CodecError, ValueError) as exc:
            problems.append(Problem(where, str(exc)))
        if len(problems) >= 200:
            break
    if home is None and not problems:
        problems.append(Problem("line 2", "no home line (sequence 0)"))
    if problems or home is None:
        raise InputError(name, problems)
    return Mission(items=tuple(items), home=home)
