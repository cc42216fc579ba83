"""KML for Google Earth and partners' viewers. Declared lossy: KML knows altitudes above sea level
(``absolute``) and above ground (``relativeToGround``) but not "above home", and has no place for the
vehicle profile, authorisations, fence or rally points. Item details ride in ExtendedData so a borderwatch
KML reads back with its item kinds and frames.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from missions.formats.source import Source, read_source
from missions.model import (
    AltFrame,
    AltitudeItem,
    FlyingItem,
    HomePosition,
    Land,
    Mission,
    MissionItem,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
    position_of,
)

LOSSY = True
NS = "http://www.opengis.net/kml/2.2"
_Q = f"{{{NS}}}"
MAX_PLACEMARKS = 10_000

_ALT_MODE = {
    AltFrame.AMSL: "absolute",
    AltFrame.AGL: "relativeToGround",
    AltFrame.REL_HOME: "relativeToGround",
}


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{_Q}{tag}")
    if text is not None:
        element.text = text
    return element


def _alt_of(item: MissionItem) -> tuple[float, AltFrame]:
    if isinstance(item, AltitudeItem):
        return float(item.alt_m), item.alt_frame
    return 0.0, AltFrame.REL_HOME


def _point_alt(item: MissionItem, home_amsl: float | None) -> tuple[float, str]:
    alt, frame = _alt_of(item)
    if frame is AltFrame.REL_HOME and home_amsl is not None:
        return home_amsl + alt, "absolute"
    return alt, _ALT_MODE[frame]


def dump_kml(mission: Mission) -> bytes:
    ET.register_namespace("", NS)
    root = ET.Element(f"{_Q}kml")
    document = _sub(root, "Document")
    _sub(document, "name", mission.name or "borderwatch mission")
    home_amsl = mission.home.alt_amsl_m
    coords = []
    for index, item in enumerate(mission.items):
        if not isinstance(item, FlyingItem | Land):
            continue
        alt, mode = _point_alt(item, home_amsl)
        placemark = _sub(document, "Placemark")
        _sub(placemark, "name", f"{index}: {item.kind}")
        extended = _sub(placemark, "ExtendedData")
        for key, value in (
            ("index", index),
            ("kind", item.kind),
            ("alt_m", _alt_of(item)[0]),
            ("alt_frame", _alt_of(item)[1].value),
        ):
            data = _sub(extended, "Data")
            data.set("name", key)
            _sub(data, "value", str(value))
        point = _sub(placemark, "Point")
        _sub(point, "altitudeMode", mode)
        _sub(point, "coordinates", f"{item.lon!r},{item.lat!r},{alt!r}")
        coords.append(f"{item.lon!r},{item.lat!r},{alt!r}")
    path = _sub(document, "Placemark")
    _sub(path, "name", "path")
    line = _sub(path, "LineString")
    _sub(line, "altitudeMode", "absolute" if home_amsl is not None else "relativeToGround")
    _sub(line, "coordinates", " ".join(coords))
    home = _sub(document, "Placemark")
    _sub(home, "name", "home")
    _sub(_sub(home, "Point"), "coordinates", f"{mission.home.lon!r},{mission.home.lat!r},0")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _data(placemark: ET.Element) -> dict[str, str]:
    out = {}
    for data in placemark.iter(f"{_Q}Data"):
        out[data.get("name", "")] = _text(data.find(f"{_Q}value"))
    return out


def _coordinate(text: str, where: str, problems: list[Problem]) -> tuple[float, float, float] | None:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        problems.append(Problem(where, f"coordinates {text[:60]!r} are not numbers"))
        return None
    if len(values) not in (2, 3) or not all(math.isfinite(v) for v in values):
        problems.append(Problem(where, f"coordinates {text[:60]!r} are not lon,lat[,alt]"))
        return None
    lon, lat = values[0], values[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(Problem(where, f"lon {lon:g}, lat {lat:g} out of range"))
        return None
    return lon, lat, values[2] if len(values) == 3 else 0.0


def _item(data: dict[str, str], lon: float, lat: float, alt: float, mode: str) -> MissionItem:
    kind = data.get("kind", "waypoint")
    if "alt_frame" in data and "alt_m" in data:
        frame = AltFrame(data["alt_frame"])
        alt = float(data["alt_m"])
    else:
        frame = AltFrame.AMSL if mode == "absolute" else AltFrame.AGL
    common: dict[str, Any] = {"lon": lon, "lat": lat, "alt_m": alt, "alt_frame": frame}
    if kind == "takeoff":
        return Takeoff(**common)
    if kind == "land":
        return Land(lon=lon, lat=lat)
    return Waypoint(**common)


def load_kml(source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> Mission:
    """Point placemarks in document order become the mission's items (takeoff/land kept, everything else a
    waypoint); a return-to-launch ends it unless it lands. DTDs are refused (no entity expansion)."""
    data, name = read_source(source, max_bytes=max_bytes)
    try:
        # defusedxml refuses any DTD whatever the encoding (a byte search for "<!DOCTYPE" misses UTF-16)
        root = DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError(
            name, [Problem("line 1", "DOCTYPE/ENTITY declarations are not accepted in KML")]
        ) from None
    except LookupError:  # the XML declaration names an encoding Python does not know
        raise InputError(name, [Problem("line 1", "the XML declaration names an unknown encoding")]) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(name, [Problem(f"line {line} column {column}", "not well-formed XML")]) from None
    problems: list[Problem] = []
    items: list[MissionItem] = []
    home: HomePosition | None = None
    for number, placemark in enumerate(root.iter(f"{_Q}Placemark")):
        if number >= MAX_PLACEMARKS:
            problems.append(Problem(f"Placemark[{number}]", f"more than {MAX_PLACEMARKS} placemarks"))
            break
        point = placemark.find(f"{_Q}Point")
        if point is None:
            continue
        where = f"Placemark[{number}] ({_text(placemark.find(f'{_Q}name'))[:40]})"
        coordinate = _coordinate(_text(point.find(f"{_Q}coordinates")), where, problems)
        if coordinate is None:
            continue
        lon, lat, alt = coordinate
        if _text(placemark.find(f"{_Q}name")) == "home":
            home = HomePosition(lon=lon, lat=lat)
            continue
        try:
            items.append(_item(_data(placemark), lon, lat, alt, _text(point.find(f"{_Q}altitudeMode"))))
        except ValueError as exc:
            problems.append(Problem(where, str(exc).splitlines()[0]))
    if problems:
        raise InputError(name, problems)
    if not items:
        raise InputError(name, [Problem("Document", "no Point placemarks")])
    if not isinstance(items[-1], Land | ReturnToLaunch):
        items.append(ReturnToLaunch())
    if home is None:
        first = position_of(items[0])
        assert first is not None  # every item read here has a position
        home = HomePosition(lon=first[0], lat=first[1])
    return Mission(items=tuple(items), home=home)
