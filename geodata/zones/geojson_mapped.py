"""GeoJSON zone layers whose properties are not ED-269: a :class:`FieldMapping` says what means what.

Ready-made mappings (field names from public clients of these services, see ``geodata/SOURCES.md``;
neither service publishes a schema, so unknown fields fall back to conservative defaults: a layer
without a vertical band is GND..unlimited, a missing restriction is REQ_AUTHORISATION):

* ``CZ_DRONEMAP`` - the ŘLP ČR DroneMap ArcGIS layers at aimgis.rlp.cz exported as GeoJSON
  (``.../MapServer/<layer>/query?f=geojson&outFields=*``): services ``zony`` (aerodrome zones),
  ``Gridy`` (CTR/ATZ grid cells with ``AGL_limit``: free below it, authorisation above), ``HOPs``
  (densely populated areas), ``chranena_uzemi`` (protected areas, ``KAT`` NP/CHKO/...), ``ODOS``
  (military objects), ``energeticka_sit``, ``zdroje_vody``. Fields used: ``IDENT``/``OBJECTID``,
  ``nazev2``/``nazev``, ``OOP`` (AIP designator LKP.../LKR3xx), ``KAT``, ``type``, ``zone``,
  ``vyska`` (text band), ``AGL_limit`` (m), ``provoz_ZZ`` (operator contact).
* ``PL_PANSA_AIRSPACE`` - PAŻP/PANSA airspace feeds (``airspace.pansa.pl/map-configuration/
  static-airspace``, ``.../aup``, ``.../uup``): a bare JSON array of Features with ``designator``,
  ``airspaceElementType`` (P, R, D, TRA, TSA, CTR, MCTR, ATZ, ADIZ, MRT, NPZ, ADHOC, TMA...),
  ``lowerAltitude``/``upperAltitude`` text and ``airspaceReservations`` [{startDate, endDate,
  lowerAltitude, upperAltitude}] (one zone per reservation, each with its window and band). The
  legal PANSA DroneMap/DRA geozone API needs a key and publishes ED-269, which ``load_ed269`` reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.vertical import VerticalRef
from geodata.zones.ed269 import multipolygon_coordinates, polygon_coordinates
from geodata.zones.ed_common import Notes, ZoneRejected, import_each
from geodata.zones.geometry import GeometryError
from geodata.zones.limits import LimitError, parse_limit_text
from geodata.zones.model import (
    GROUND,
    UNLIMITED,
    AltitudeLimit,
    Applicability,
    Authority,
    ImportResult,
    Restriction,
    TimeWindow,
    Zone,
    ZoneVolume,
    make_uid,
)
from geodata.zones.source_io import Source, jpath, load_json_document, type_name


@dataclass(frozen=True)
class RestrictionRule:
    """If ``field`` (case-insensitive text) matches ``pattern``, the zone gets ``restriction``."""

    field: str
    pattern: str
    restriction: Restriction
    reason: str = ""


@dataclass(frozen=True)
class FieldMapping:
    label: str
    country: str
    identifier_fields: tuple[str, ...]
    name_fields: tuple[str, ...]
    rules: tuple[RestrictionRule, ...] = ()
    default_restriction: Restriction = Restriction.REQ_AUTHORISATION
    default_reasons: tuple[str, ...] = ("OTHER",)
    band_field: str | None = None  # "GND - 120 m AGL"
    lower_field: str | None = None  # text or number
    upper_field: str | None = None
    numeric_ref: VerticalRef = VerticalRef.AGL  # for plain numbers in lower/upper fields
    numeric_in_feet: bool = False
    default_lower: AltitudeLimit = GROUND
    default_upper: AltitudeLimit = UNLIMITED
    message_fields: tuple[str, ...] = ()
    contact_field: str | None = None
    start_field: str | None = None  # ISO text or epoch milliseconds (ArcGIS)
    end_field: str | None = None
    reservations_field: str | None = None
    reservation_start: str = "startDate"
    reservation_end: str = "endDate"
    reservation_lower: str = "lowerAltitude"
    reservation_upper: str = "upperAltitude"
    extra_fields: tuple[str, ...] = ()
    approximate: bool = False
    value_aliases: Mapping[str, str] = field(default_factory=dict)


CZ_DRONEMAP = FieldMapping(
    label="cz-dronemap-aimgis",
    country="CZE",
    identifier_fields=("IDENT", "OBJECTID", "OBJECT_ID", "FID"),
    name_fields=("nazev2", "nazev", "NAZEV", "type"),
    rules=(
        RestrictionRule("OOP", r"\bLKP\d", Restriction.PROHIBITED, "SENSITIVE"),
        RestrictionRule("OOP", r"\bLKR319\b", Restriction.PROHIBITED, "SENSITIVE"),
        RestrictionRule("nazev", r"VOJENSK", Restriction.PROHIBITED, "SENSITIVE"),
        RestrictionRule("KAT", r"^NP$", Restriction.REQ_AUTHORISATION, "NATURE"),
        RestrictionRule("OOP", r"\bLKR318", Restriction.CONDITIONAL, "NATURE"),
        RestrictionRule("KAT", r"^(CHKO|NPR|PR|NPP|PP)$", Restriction.CONDITIONAL, "NATURE"),
        RestrictionRule("OOP", r"\bLKR316\b", Restriction.CONDITIONAL, "POPULATION"),
        RestrictionRule("type", r"GRID", Restriction.REQ_AUTHORISATION, "AIR_TRAFFIC"),
        RestrictionRule("OOP", r"\bLKR31[45]", Restriction.REQ_AUTHORISATION, "AIR_TRAFFIC"),
        RestrictionRule("zone", r"AD", Restriction.REQ_AUTHORISATION, "AIR_TRAFFIC"),
        RestrictionRule("OOP", r"\bLKR31[1237]\b", Restriction.CONDITIONAL, "SENSITIVE"),
    ),
    band_field="vyska",
    lower_field="AGL_limit",  # grid cells: free up to AGL_limit, authorisation above
    numeric_ref=VerticalRef.AGL,
    message_fields=("vyska", "OOP", "KAT", "zone", "type"),
    contact_field="provoz_ZZ",
    extra_fields=("OOP", "KAT", "type", "zone"),
)

PL_PANSA_AIRSPACE = FieldMapping(
    label="pl-pansa-airspace",
    country="POL",
    identifier_fields=("designator", "id", "name"),
    name_fields=("designator", "name"),
    rules=(
        RestrictionRule("airspaceElementType", r"^(P|NPZ)$", Restriction.PROHIBITED, "SENSITIVE"),
        RestrictionRule(
            "airspaceElementType",
            r"^(R|TRA|TSA|CTR|MCTR|ATZ|ADIZ|MRT|ADHOC|TMA|MTMA|EA)$",
            Restriction.REQ_AUTHORISATION,
            "AIR_TRAFFIC",
        ),
        RestrictionRule("airspaceElementType", r"^D$", Restriction.CONDITIONAL, "AIR_TRAFFIC"),
    ),
    default_restriction=Restriction.CONDITIONAL,
    lower_field="lowerAltitude",
    upper_field="upperAltitude",
    numeric_ref=VerticalRef.AMSL,
    numeric_in_feet=True,
    message_fields=("airspaceElementType",),
    reservations_field="airspaceReservations",
    extra_fields=("airspaceElementType", "section"),
)


def load_mapped_geojson(
    source: Source | dict[str, Any] | list[Any],
    mapping: FieldMapping,
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> ImportResult:
    doc, label = load_json_document(source, max_bytes)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features, base = doc.get("features"), "$.features"
    elif isinstance(doc, list):
        features, base = doc, "$"
    else:
        raise InputError(
            label,
            [Problem("$", f"expected a FeatureCollection or an array of Features, got {type_name(doc)}")],
        )
    if not isinstance(features, list):
        raise InputError(label, [Problem(base, f"must be an array, got {type_name(features)}")])
    notes = Notes()
    return import_each(
        features,
        base,
        lambda raw, loc, i: _feature_zones(raw, loc, mapping, notes, label, i),
        notes,
        label,
        strict=strict,
    )


def _feature_zones(raw: Any, loc: str, m: FieldMapping, notes: Notes, label: str, index: int) -> list[Zone]:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise ZoneRejected(loc, f"expected a GeoJSON Feature, got {type_name(raw)}")
    props = raw.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise ZoneRejected(jpath(loc, "properties"), f"properties must be an object, got {type_name(props)}")
    ploc = jpath(loc, "properties")
    identifier = _first(props, m.identifier_fields)
    if identifier is None:
        raise ZoneRejected(ploc, f"no identifier in any of {', '.join(m.identifier_fields)}")
    name = _first(props, m.name_fields) or identifier
    footprint = _footprint(raw.get("geometry"), jpath(loc, "geometry"), notes)
    restriction, reason = _restriction(props, m)
    lower, upper = _band(props, m, ploc, notes)
    message = "; ".join(f"{f}={props[f]}" for f in m.message_fields if props.get(f) not in (None, ""))
    contact = _first(props, (m.contact_field,)) if m.contact_field else None
    authority = Authority(name=contact) if contact else None
    extra = tuple((f, str(props[f])) for f in m.extra_fields if props.get(f) not in (None, ""))
    windows = _window(props, m, ploc, notes)
    base = {
        "identifier": identifier,
        "country": m.country,
        "name": name,
        "restriction": restriction,
        "reasons": (reason,) if reason else m.default_reasons,
        "authority": authority,
        "message": message,
        "approximate": m.approximate,
        "source": f"{label} ({m.label})",
        "extra": extra,
    }
    reservations = props.get(m.reservations_field) if m.reservations_field else None
    if isinstance(reservations, list) and reservations:
        zones = []
        rloc = jpath(ploc, m.reservations_field or "")
        for k, res in enumerate(reservations):
            kloc = jpath(rloc, k)
            if not isinstance(res, dict):
                notes.add(kloc, f"reservation must be an object, got {type_name(res)}; skipped")
                continue
            r_lower = _limit(res.get(m.reservation_lower), m, jpath(kloc, m.reservation_lower), notes, lower)
            r_upper = _limit(res.get(m.reservation_upper), m, jpath(kloc, m.reservation_upper), notes, upper)
            start = _time(res.get(m.reservation_start), jpath(kloc, m.reservation_start))
            end = _time(res.get(m.reservation_end), jpath(kloc, m.reservation_end))
            zones.append(
                Zone(
                    **base,  # type: ignore[arg-type]
                    volumes=(ZoneVolume(footprint, r_lower, r_upper),),
                    applicability=Applicability((TimeWindow(start, end),)),
                    uid=make_uid(label, index * 1000 + k, identifier),
                )
            )
        return zones
    return [
        Zone(
            **base,  # type: ignore[arg-type]
            volumes=(ZoneVolume(footprint, lower, upper),),
            applicability=Applicability(windows),
            uid=make_uid(label, index, identifier),
        )
    ]


def _first(props: Mapping[str, Any], fields: tuple[str, ...]) -> str | None:
    for f in fields:
        value = props.get(f)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _footprint(raw: Any, loc: str, notes: Notes) -> Polygon | MultiPolygon:
    if not isinstance(raw, dict):
        raise ZoneRejected(loc, f"geometry must be an object, got {type_name(raw)}")
    kind = raw.get("type")
    try:
        if kind == "Polygon":
            return polygon_coordinates(raw.get("coordinates"), jpath(loc, "coordinates"), notes, None)
        if kind == "MultiPolygon":
            return multipolygon_coordinates(raw.get("coordinates"), jpath(loc, "coordinates"), notes, None)
    except GeometryError as exc:
        raise ZoneRejected(exc.location, exc.message) from None
    raise ZoneRejected(jpath(loc, "type"), f"unsupported geometry type {kind!r} (Polygon or MultiPolygon)")


def _restriction(props: Mapping[str, Any], m: FieldMapping) -> tuple[Restriction, str]:
    for rule in m.rules:
        value = props.get(rule.field)
        if value is not None and re.search(rule.pattern, str(value).strip(), re.IGNORECASE):
            return rule.restriction, rule.reason
    return m.default_restriction, ""


def _limit(raw: Any, m: FieldMapping, loc: str, notes: Notes, default: AltitudeLimit) -> AltitudeLimit:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
        if not math.isfinite(value):
            notes.add(loc, f"limit {raw!r} is not finite; default {default.text} used")
            return default
        unit = "ft" if m.numeric_in_feet else "m"
        return AltitudeLimit(
            value * (0.3048 if m.numeric_in_feet else 1.0),
            m.numeric_ref,
            f"{value:g} {unit} {m.numeric_ref.value}",
        )
    if isinstance(raw, str):
        try:
            limit, warning = parse_limit_text(raw, default_ref=m.numeric_ref)
        except LimitError as exc:
            notes.add(loc, f"{exc}; default {default.text} used")
            return default
        if warning:
            notes.add(loc, warning)
        return limit
    notes.add(loc, f"limit must be text or a number, got {type_name(raw)}; default {default.text} used")
    return default


def _band(
    props: Mapping[str, Any], m: FieldMapping, ploc: str, notes: Notes
) -> tuple[AltitudeLimit, AltitudeLimit]:
    lower, upper = m.default_lower, m.default_upper
    if m.band_field and isinstance(props.get(m.band_field), str) and props[m.band_field].strip():
        text = props[m.band_field]
        parts = re.split(r"\s*[-–]\s*(?=[A-Za-z0-9])", text.strip(), maxsplit=1)
        if len(parts) == 2:
            lower = _limit(parts[0], m, jpath(ploc, m.band_field), notes, lower)
            upper = _limit(parts[1], m, jpath(ploc, m.band_field), notes, upper)
        else:
            notes.add(
                jpath(ploc, m.band_field),
                f"band {text!r} is not 'lower - upper'; {lower.text}..{upper.text} used",
            )
    if m.lower_field and props.get(m.lower_field) is not None:
        lower = _limit(props[m.lower_field], m, jpath(ploc, m.lower_field), notes, lower)
    if m.upper_field and props.get(m.upper_field) is not None:
        upper = _limit(props[m.upper_field], m, jpath(ploc, m.upper_field), notes, upper)
    if lower.ref == upper.ref and lower.value_m > upper.value_m:
        raise ZoneRejected(ploc, f"lower limit {lower.text} is above upper limit {upper.text}")
    return lower, upper


def _time(raw: Any, loc: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        return datetime.fromtimestamp(raw / 1000.0, UTC)  # ArcGIS epoch milliseconds
    if isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise ZoneRejected(loc, f"invalid date-time {raw!r}") from None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    raise ZoneRejected(loc, f"date-time must be ISO text or epoch milliseconds, got {type_name(raw)}")


def _window(props: Mapping[str, Any], m: FieldMapping, ploc: str, notes: Notes) -> tuple[TimeWindow, ...]:
    start = _time(props.get(m.start_field), jpath(ploc, m.start_field)) if m.start_field else None
    end = _time(props.get(m.end_field), jpath(ploc, m.end_field)) if m.end_field else None
    if start is None and end is None:
        return ()
    return (TimeWindow(start, end),)
