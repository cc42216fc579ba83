"""EUROCAE ED-318 (GeoJSON-based successor of ED-269) import.

A FeatureCollection; each Feature's geometry is a Polygon, a Point with ``extent: {subType: Circle,
radius}``, or a GeometryCollection of those, each carrying its own ``layer: {upper, upperReference,
lower, lowerReference, uom}``. Properties follow ED-269 with localised texts (``[{text, lang}]``),
``type`` for the restriction (``REQ_AUTHORIZATION``; the British spelling is accepted with a
warning) and ``limitedApplicability`` for time windows. Metadata is checked (``validFrom`` and
``issued`` must be date-times): the UASGeoZones ``InvalidExample`` fails there and on the missing
``lang`` of a text, so it imports with warnings and is refused when ``strict``.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.vertical import FEET_TO_M
from geodata.zones import ed_common as ed
from geodata.zones.ed269 import multipolygon_coordinates, polygon_coordinates
from geodata.zones.ed_common import Notes, ZoneRejected
from geodata.zones.geometry import GeometryError, check_lon_lat, circle_polygon, position_array
from geodata.zones.limits import Unit
from geodata.zones.model import Circle, ImportResult, Zone, ZoneVolume, make_uid
from geodata.zones.source_io import Source, jpath, load_json_document, type_name


def load_ed318(
    source: Source | dict[str, Any],
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> ImportResult:
    doc, label = load_json_document(source, max_bytes)
    if not isinstance(doc, dict):
        raise InputError(label, [Problem("$", f"expected a GeoJSON FeatureCollection, got {type_name(doc)}")])
    if doc.get("type") != "FeatureCollection":
        raise InputError(label, [Problem("$.type", f"expected 'FeatureCollection', got {doc.get('type')!r}")])
    features = doc.get("features")
    if not isinstance(features, list):
        raise InputError(label, [Problem("$.features", f"must be an array, got {type_name(features)}")])
    notes = Notes()
    _check_metadata(doc.get("metadata"), notes)
    return ed.import_each(
        features,
        "$.features",
        lambda raw, loc, i: [parse_feature(raw, loc, notes, source=label, index=i)],
        notes,
        label,
        strict=strict,
    )


def _check_metadata(raw: object, notes: Notes) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        notes.add("$.metadata", f"metadata must be an object, got {type_name(raw)}")
        return
    for key in ("validFrom", "validTo", "issued"):
        if key in raw:
            try:
                ed.parse_datetime(raw[key], f"$.metadata.{key}", notes)
            except ZoneRejected as exc:
                notes.add(exc.problem.location, exc.problem.message)


def parse_feature(raw: Any, loc: str, notes: Notes, *, source: str, index: int) -> Zone:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise ZoneRejected(loc, f"expected a GeoJSON Feature, got {type_name(raw)}")
    props = raw.get("properties")
    ploc = jpath(loc, "properties")
    if not isinstance(props, dict):
        raise ZoneRejected(ploc, f"properties must be an object, got {type_name(props)}")
    identifier = props.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip():
        raise ZoneRejected(
            jpath(ploc, "identifier"), f"missing or empty identifier ({type_name(identifier)})"
        )
    country = props.get("country")
    if not isinstance(country, str) or len(country) != 3:
        notes.add(jpath(ploc, "country"), f"country should be ISO 3166-1 alpha-3, got {country!r}")
        country = country if isinstance(country, str) else ""
    restriction_raw = props.get("type")
    if restriction_raw == "REQ_AUTHORISATION":
        notes.add(jpath(ploc, "type"), "ED-318 spells REQ_AUTHORIZATION; British spelling accepted")
    volumes = tuple(_volumes(raw.get("geometry"), jpath(loc, "geometry"), notes, country.upper()))
    extended = props.get("extendedProperties")
    return Zone(
        identifier=identifier.strip(),
        country=country.upper(),
        name=ed.text(props.get("name"), jpath(ploc, "name"), notes, what="name"),
        restriction=ed.restriction(restriction_raw, jpath(ploc, "type")),
        reasons=ed.reasons(props.get("reason"), jpath(ploc, "reason"), notes),
        volumes=volumes,
        applicability=ed.applicability(
            props.get("limitedApplicability"),
            jpath(ploc, "limitedApplicability"),
            notes,
            permanent_flag=False,
        ),
        authority=ed.authority(props.get("zoneAuthority"), jpath(ploc, "zoneAuthority"), notes),
        message=ed.text(props.get("message"), jpath(ploc, "message"), notes, what="message"),
        approximate=bool(
            isinstance(extended, dict)
            and isinstance(extended.get("borderwatch"), dict)
            and extended["borderwatch"].get("approximate") is True
        ),
        source=source,
        uid=make_uid(source, index, identifier.strip()),
        other_reason_info=ed.text(props.get("otherReasonInfo"), jpath(ploc, "otherReasonInfo"), notes),
        restriction_conditions=ed.text(
            props.get("restrictionConditions"), jpath(ploc, "restrictionConditions"), notes
        ),
    )


def _volumes(raw: Any, loc: str, notes: Notes, country: str) -> list[ZoneVolume]:
    if not isinstance(raw, dict):
        raise ZoneRejected(loc, f"geometry must be an object, got {type_name(raw)}")
    if raw.get("type") == "GeometryCollection":
        members = raw.get("geometries")
        if not isinstance(members, list) or not members:
            raise ZoneRejected(
                jpath(loc, "geometries"), "GeometryCollection needs a non-empty 'geometries' array"
            )
        out: list[ZoneVolume] = []
        for k, member in enumerate(members):
            out.extend(_volumes(member, jpath(jpath(loc, "geometries"), k), notes, country))
        return out
    layer = raw.get("layer")
    lloc = jpath(loc, "layer")
    if not isinstance(layer, dict):
        raise ZoneRejected(
            lloc, f"each geometry needs a 'layer' object with its limits, got {type_name(layer)}"
        )
    unit = ed.unit_of(str(layer.get("uom", "m")).upper(), jpath(lloc, "uom"))
    lower = ed.structured_limit(
        layer.get("lower"), unit, layer.get("lowerReference"), jpath(lloc, "lower"), notes, upper=False
    )
    upper = ed.structured_limit(
        layer.get("upper"), unit, layer.get("upperReference"), jpath(lloc, "upper"), notes, upper=True
    )
    ed.check_band(lower, upper, lloc)
    footprint, circle = _footprint(raw, loc, notes, country, unit)
    return [ZoneVolume(footprint, lower, upper, circle)]


def _footprint(
    raw: dict[str, Any], loc: str, notes: Notes, country: str, unit: Unit
) -> tuple[Polygon | MultiPolygon, Circle | None]:
    kind = raw.get("type")
    try:
        if kind == "Polygon":
            return polygon_coordinates(
                raw.get("coordinates"), jpath(loc, "coordinates"), notes, country
            ), None
        if kind == "MultiPolygon":
            return multipolygon_coordinates(
                raw.get("coordinates"), jpath(loc, "coordinates"), notes, country
            ), None
        if kind == "Point":
            center = position_array([raw.get("coordinates")], jpath(loc, "coordinates"))
            check_lon_lat(center, jpath(loc, "coordinates"), country)
            extent = raw.get("extent")
            eloc = jpath(loc, "extent")
            if not isinstance(extent, dict) or str(extent.get("subType", "")).lower() != "circle":
                raise ZoneRejected(eloc, "a Point geometry needs extent {subType: Circle, radius}")
            radius_raw = extent.get("radius")
            if isinstance(radius_raw, bool) or not isinstance(radius_raw, int | float):
                raise ZoneRejected(
                    jpath(eloc, "radius"), f"radius must be a number, got {type_name(radius_raw)}"
                )
            radius_m = float(radius_raw) * (FEET_TO_M if unit is Unit.FT else 1.0)
            lon, lat = float(center[0, 0]), float(center[0, 1])
            return circle_polygon(lon, lat, radius_m, jpath(eloc, "radius")), Circle(lon, lat, radius_m)
    except GeometryError as exc:
        raise ZoneRejected(exc.location, exc.message) from None
    raise ZoneRejected(jpath(loc, "type"), f"unsupported geometry type {kind!r}")
