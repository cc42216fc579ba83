"""EUROCAE ED-269 UAS geographical zone JSON: import (both layouts seen in the wild) and export.

Layouts: ``{title, description, features: [...]}`` (UASZoneVersion style, interuss/dss CHE set) and
``{formatVersion, createdAt, UASZoneList: [...]}`` (interuss/monitoring CIS sample); a bare array of
zones is accepted too. Quirks handled: string numbers ("0"), ``upperLimit: null`` (unlimited),
repeated identifiers (``Zone.uid`` stays unique), ``uSpaceClass`` as string or array, ``schedule``
and ``dailyPeriod``, Circle and Polygon projections, several geometry layers per zone.
``extendedProperties.borderwatch.approximate`` marks the project's hand-written zones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.vertical import FEET_TO_M
from geodata.zones import ed_common as ed
from geodata.zones.ed_common import Notes, ZoneRejected
from geodata.zones.geometry import (
    GeometryError,
    check_lon_lat,
    circle_polygon,
    closed_ring,
    polygon_from_rings,
    position_array,
)
from geodata.zones.limits import Unit
from geodata.zones.model import AltitudeLimit, Circle, ImportResult, Zone, ZoneVolume, make_uid
from geodata.zones.source_io import Source, jpath, load_json_document, type_name

LIST_KEYS = ("features", "UASZoneList")


def load_ed269(
    source: Source | dict[str, Any] | list[Any],
    *,
    strict: bool = False,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> ImportResult:
    """Import every good zone; list rejected ones with their JSON path.

    ``source`` is a file path (``Path`` or ``str``), the raw bytes of a file, or an already parsed
    document. Files over ``max_bytes`` are refused before reading. ``strict`` raises
    :class:`InputError` on any problem, rejected zone or warning alike.
    """
    doc, label = load_json_document(source, max_bytes)
    zones_raw, base = _zone_list(doc, label)
    notes = Notes()
    return ed.import_each(
        zones_raw,
        base,
        lambda raw, loc, i: [parse_zone(raw, loc, notes, source=label, index=i)],
        notes,
        label,
        strict=strict,
    )


def _zone_list(doc: Any, label: str) -> tuple[list[Any], str]:
    if isinstance(doc, list):
        return doc, "$"
    if not isinstance(doc, dict):
        raise InputError(label, [Problem("$", f"expected an ED-269 object or array, got {type_name(doc)}")])
    for key in LIST_KEYS:
        if key in doc:
            value = doc[key]
            if not isinstance(value, list):
                raise InputError(label, [Problem(f"$.{key}", f"must be an array, got {type_name(value)}")])
            return value, f"$.{key}"
    raise InputError(label, [Problem("$", "no 'features' or 'UASZoneList' array: not ED-269 zone data")])


def parse_zone(raw: Any, loc: str, notes: Notes, *, source: str, index: int) -> Zone:
    if not isinstance(raw, dict):
        raise ZoneRejected(loc, f"zone must be an object, got {type_name(raw)}")
    identifier = raw.get("identifier")
    if isinstance(identifier, int | float) and not isinstance(identifier, bool):
        notes.add(jpath(loc, "identifier"), "identifier should be a string; converted")
        identifier = str(identifier)
    if not isinstance(identifier, str) or not identifier.strip():
        raise ZoneRejected(jpath(loc, "identifier"), f"missing or empty identifier ({type_name(identifier)})")
    country = raw.get("country")
    if not isinstance(country, str) or len(country) != 3:
        notes.add(jpath(loc, "country"), f"country should be ISO 3166-1 alpha-3, got {country!r}")
        country = country if isinstance(country, str) else ""
    country = country.upper()
    geometry = raw.get("geometry")
    if not isinstance(geometry, list) or not geometry:
        raise ZoneRejected(
            jpath(loc, "geometry"), f"geometry must be a non-empty array, got {type_name(geometry)}"
        )
    volumes = tuple(
        parse_volume(g, jpath(jpath(loc, "geometry"), k), notes, country) for k, g in enumerate(geometry)
    )
    extended = raw.get("extendedProperties")
    approximate = bool(
        isinstance(extended, dict)
        and isinstance(extended.get("borderwatch"), dict)
        and extended["borderwatch"].get("approximate") is True
    )
    u_space = raw.get("uSpaceClass")
    u_space_classes = (
        tuple(u_space) if isinstance(u_space, list) else ((u_space,) if isinstance(u_space, str) else ())
    )
    return Zone(
        identifier=identifier.strip(),
        country=country,
        name=ed.text(raw.get("name"), jpath(loc, "name"), notes, what="name"),
        restriction=ed.restriction(raw.get("restriction"), jpath(loc, "restriction")),
        reasons=ed.reasons(raw.get("reason"), jpath(loc, "reason"), notes),
        volumes=volumes,
        applicability=ed.applicability(raw.get("applicability"), jpath(loc, "applicability"), notes),
        authority=ed.authority(raw.get("zoneAuthority"), jpath(loc, "zoneAuthority"), notes),
        message=ed.text(raw.get("message"), jpath(loc, "message"), notes, what="message"),
        approximate=approximate,
        source=source,
        uid=make_uid(source, index, identifier.strip()),
        other_reason_info=ed.text(raw.get("otherReasonInfo"), jpath(loc, "otherReasonInfo"), notes),
        restriction_conditions=ed.text(
            raw.get("restrictionConditions"), jpath(loc, "restrictionConditions"), notes
        ),
        u_space_classes=tuple(str(c) for c in u_space_classes),
    )


def parse_volume(raw: Any, loc: str, notes: Notes, country: str) -> ZoneVolume:
    if not isinstance(raw, dict):
        raise ZoneRejected(loc, f"geometry entry must be an object, got {type_name(raw)}")
    unit = ed.unit_of(raw.get("uomDimensions"), jpath(loc, "uomDimensions"))
    lower = ed.structured_limit(
        raw.get("lowerLimit"),
        unit,
        raw.get("lowerVerticalReference"),
        jpath(loc, "lowerLimit"),
        notes,
        upper=False,
    )
    upper = ed.structured_limit(
        raw.get("upperLimit"),
        unit,
        raw.get("upperVerticalReference"),
        jpath(loc, "upperLimit"),
        notes,
        upper=True,
    )
    ed.check_band(lower, upper, loc)
    footprint, circle = horizontal_projection(
        raw.get("horizontalProjection"), jpath(loc, "horizontalProjection"), notes, country, unit
    )
    return ZoneVolume(footprint, lower, upper, circle)


def horizontal_projection(
    raw: Any, loc: str, notes: Notes, country: str, unit: Unit
) -> tuple[Polygon | MultiPolygon, Circle | None]:
    if not isinstance(raw, dict):
        raise ZoneRejected(loc, f"horizontalProjection must be an object, got {type_name(raw)}")
    kind = raw.get("type")
    try:
        if kind == "Circle":
            center = position_array([raw.get("center")], jpath(loc, "center"))
            check_lon_lat(center, jpath(loc, "center"), country)
            radius_raw = raw.get("radius")
            if isinstance(radius_raw, bool) or not isinstance(radius_raw, int | float | str):
                raise ZoneRejected(
                    jpath(loc, "radius"), f"radius must be a number, got {type_name(radius_raw)}"
                )
            try:
                radius = float(radius_raw)
            except ValueError:
                raise ZoneRejected(jpath(loc, "radius"), f"radius {radius_raw!r} is not a number") from None
            radius_m = radius * FEET_TO_M if unit is Unit.FT else radius
            lon, lat = float(center[0, 0]), float(center[0, 1])
            return circle_polygon(lon, lat, radius_m, jpath(loc, "radius")), Circle(lon, lat, radius_m)
        if kind == "Polygon":
            return polygon_coordinates(
                raw.get("coordinates"), jpath(loc, "coordinates"), notes, country
            ), None
    except GeometryError as exc:
        raise ZoneRejected(exc.location, exc.message) from None
    raise ZoneRejected(jpath(loc, "type"), f"unknown projection type {kind!r} (expected Polygon or Circle)")


def polygon_coordinates(raw: Any, loc: str, notes: Notes, country: str | None) -> Polygon | MultiPolygon:
    """GeoJSON Polygon coordinates (shell + holes) -> valid polygon; raises GeometryError with location."""
    if not isinstance(raw, list) or not raw:
        raise GeometryError(
            loc, f"polygon coordinates must be a non-empty array of rings, got {type_name(raw)}"
        )
    rings = []
    for r, ring_raw in enumerate(raw):
        rloc = jpath(loc, r)
        coords = position_array(ring_raw, rloc)
        check_lon_lat(coords, rloc, country)
        rings.append(closed_ring(coords, rloc, notes.items))
    return polygon_from_rings(rings, loc, notes.items)


def multipolygon_coordinates(raw: Any, loc: str, notes: Notes, country: str | None) -> MultiPolygon:
    """GeoJSON MultiPolygon coordinates -> one MultiPolygon (a part repaired into several is flattened)."""
    if not isinstance(raw, list) or not raw:
        raise GeometryError(loc, "MultiPolygon needs a non-empty array of polygons")
    parts = [polygon_coordinates(p, jpath(loc, k), notes, country) for k, p in enumerate(raw)]
    return MultiPolygon([g for p in parts for g in ([p] if isinstance(p, Polygon) else p.geoms)])


# ---- export ------------------------------------------------------------------------------------------


def dump_ed269(
    zones: Sequence[Zone], *, title: str = "borderwatch export", description: str = ""
) -> dict[str, Any]:
    """ED-269 ``{title, description, features}``; limits in metres, circles kept as circles."""
    return {
        "title": title,
        "description": description or f"exported {datetime.now(UTC).isoformat(timespec='seconds')}",
        "features": [zone_to_ed269(z) for z in zones],
    }


def zone_to_ed269(zone: Zone) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": zone.identifier,
        "country": zone.country,
        "name": zone.name,
        "type": "COMMON",
        "restriction": zone.restriction.value,
        "reason": list(zone.reasons),
    }
    if zone.other_reason_info:
        out["otherReasonInfo"] = zone.other_reason_info
    if zone.restriction_conditions:
        out["restrictionConditions"] = zone.restriction_conditions
    if zone.u_space_classes:
        out["uSpaceClass"] = list(zone.u_space_classes)
    out["message"] = zone.message
    out["applicability"] = ed.applicability_to_ed(zone.applicability)
    if zone.authority is not None:
        out["zoneAuthority"] = [ed.authority_to_ed269(zone.authority)]
    out["geometry"] = [g for v in zone.volumes for g in volume_to_ed269(v)]
    if zone.approximate:
        out["extendedProperties"] = {"borderwatch": {"approximate": True}}
    return out


def volume_to_ed269(volume: ZoneVolume) -> list[dict[str, Any]]:
    limits = {
        "uomDimensions": "M",
        "lowerLimit": _limit_value(volume.lower),
        "lowerVerticalReference": volume.lower.ref.value,
        "upperLimit": _limit_value(volume.upper),
        "upperVerticalReference": volume.upper.ref.value,
    }
    if volume.circle is not None:
        c = volume.circle
        projection: dict[str, Any] = {
            "type": "Circle",
            "center": [c.center_lon, c.center_lat],
            "radius": c.radius_m,
        }
        return [{**limits, "horizontalProjection": projection}]
    polygons = [volume.footprint] if isinstance(volume.footprint, Polygon) else list(volume.footprint.geoms)
    return [
        {
            **limits,
            "horizontalProjection": {
                "type": "Polygon",
                "coordinates": [
                    np.asarray(p.exterior.coords)[:, :2].tolist(),
                    *(np.asarray(h.coords)[:, :2].tolist() for h in p.interiors),
                ],
            },
        }
        for p in polygons
    ]


def _limit_value(limit: AltitudeLimit) -> float | None:
    if math.isinf(limit.value_m):
        return None
    return round(limit.value_m, 3)
