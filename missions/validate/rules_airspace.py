"""Where the path may go: UAS geographical zones (3D, at the planned time) and the state border."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geodata.zones.model import Restriction, Zone
from missions.path import PathVertices
from missions.region import BorderLike
from missions.validate.context import RuleContext
from missions.validate.messages import Lang, Msg, render
from missions.validate.report import RuleId, Severity, Violation, Where, violation


def _contact(zone: Zone) -> str:
    authority = zone.authority
    if authority is None:
        return "no contact published"
    parts = [authority.name, authority.service, authority.phone, authority.email, authority.site_url]
    text = ", ".join(p for p in parts if p)
    return text or "no contact published"


def _conditions(zone: Zone) -> str:
    text = zone.restriction_conditions or zone.message
    text = text.strip() if text else "see the zone's published conditions."
    return text if text.endswith((".", "!", "?")) else text + "."


def _legs_note(legs: np.ndarray[Any, np.dtype[np.intp]]) -> dict[Lang, str]:
    if legs.size <= 1:
        return dict.fromkeys(Lang, "")
    return render(Msg.LEGS_NOTE, first=int(legs.min()), last=int(legs.max()), count=int(legs.size))


def _is_authorised(zone: Zone, authorisations: tuple[str, ...]) -> bool:
    return bool({zone.uid, zone.identifier} & set(authorisations) - {""})


def check_zones(ctx: RuleContext) -> list[Violation]:
    """One violation per zone the path enters, at the first sample inside it."""
    hits = ctx.zone_hits
    if hits.sample_index.size == 0:
        return []
    zones = ctx.region.zones.zones
    order = np.lexsort((hits.sample_index, hits.zone_index))
    zone_sorted = hits.zone_index[order]
    sample_sorted = hits.sample_index[order]
    unique_zones, starts = np.unique(zone_sorted, return_index=True)
    stops = np.append(starts[1:], zone_sorted.size)
    s = ctx.samples
    found: list[Violation] = []
    for zone_idx, start, stop in zip(unique_zones, starts, stops, strict=True):
        zone: Zone = zones[int(zone_idx)]
        if zone.restriction is Restriction.NO_RESTRICTION:
            continue
        first = int(sample_sorted[start])
        legs = np.unique(s.leg_index[sample_sorted[start:stop]])
        extra: dict[str, object]
        if zone.restriction is Restriction.PROHIBITED:
            key, severity, extra = Msg.ZONE_PROHIBITED, Severity.ERROR, {"alt": float(s.alt_amsl_m[first])}
        elif zone.restriction is Restriction.REQ_AUTHORISATION:
            if _is_authorised(zone, ctx.mission.zone_authorisations):
                continue
            key, severity, extra = Msg.ZONE_AUTHORISATION, Severity.ERROR, {"contact": _contact(zone)}
        else:
            key, severity = Msg.ZONE_CONDITIONAL, Severity.WARNING
            extra = {"conditions": _conditions(zone), "contact": _contact(zone)}
        found.append(
            violation(
                RuleId.ZONES,
                severity,
                key,
                where=ctx.sample_where(first),
                zone_id=zone.identifier,
                zone_name=zone.name,
                zone=zone.name or zone.identifier,
                zone_ref=zone.identifier,
                legs=_legs_note(legs),
                **extra,
            )
        )
    return found


@dataclass(frozen=True)
class _Crossing:
    leg: int
    lon: float
    lat: float
    fraction: float
    from_country: str
    to_country: str


_NUDGE_DEG = 2e-6
"""How far (~0.2 m) before and after a crossing point the countries are looked up."""


def _leg_lines(v: PathVertices) -> NDArray[np.object_]:
    a = np.arange(v.leg_count)
    lines: NDArray[np.object_] = shapely.linestrings(
        np.stack([np.column_stack([v.lon[a], v.lat[a]]), np.column_stack([v.lon[a + 1], v.lat[a + 1]])], 1)
    )
    return lines


def _segments(line: BaseGeometry) -> NDArray[np.object_]:
    """The border line as two-point segments, so an STRtree can find the few a leg may cross."""
    parts = []
    for part in shapely.get_parts(line):
        coords = shapely.get_coordinates(part)
        if coords.shape[0] >= 2:
            parts.append(np.stack([coords[:-1], coords[1:]], axis=1))
    if not parts:
        return np.empty(0, dtype=object)
    segments: NDArray[np.object_] = shapely.linestrings(np.concatenate(parts))
    return segments


def _crossings(border: BorderLike, v: PathVertices) -> list[_Crossing]:
    """Every crossing of the path with the border line, found with one STRtree query of all legs against
    the border's segments and one vectorised intersection of the candidate pairs."""
    segments = _segments(border.border_line)
    if segments.size == 0:
        return []
    all_lines = _leg_lines(v)
    leg_idx, seg_idx = shapely.STRtree(segments).query(all_lines, predicate="intersects")
    if leg_idx.size == 0:
        return []
    hits = shapely.intersection(all_lines[leg_idx], segments[seg_idx])
    points, which = shapely.get_coordinates(hits, return_index=True)
    if points.size == 0:
        return []
    legs = leg_idx[which]
    # a leg through a vertex of the border line meets two segments at one point: keep it once
    _unique, first = np.unique(np.column_stack([legs, np.round(points, 9)]), axis=0, return_index=True)
    points, legs = points[first], legs[first]
    own = all_lines[legs]
    length = shapely.length(own)
    along = shapely.line_locate_point(own, shapely.points(points))
    before = shapely.get_coordinates(
        shapely.line_interpolate_point(own, np.clip(along - _NUDGE_DEG, 0, None))
    )
    after = shapely.get_coordinates(
        shapely.line_interpolate_point(own, np.minimum(along + _NUDGE_DEG, length))
    )
    from_c = border.country_at(before[:, 0], before[:, 1])
    to_c = border.country_at(after[:, 0], after[:, 1])
    order = np.lexsort((along, legs))
    out = []
    for k in order:
        fraction = float(along[k] / length[k]) if length[k] > 0 else 0.0
        out.append(
            _Crossing(
                int(legs[k]),
                float(points[k, 0]),
                float(points[k, 1]),
                fraction,
                str(from_c[k]),
                str(to_c[k]),
            )
        )
    return out


def check_border(ctx: RuleContext) -> list[Violation]:
    """Legs that pass from one country into another, unless the mission holds a cross-border authorisation.

    A crossing is where a leg meets the border line with different countries on either side of the point.
    """
    border = ctx.region.border
    if border is None or ctx.mission.cross_border_authorisation or ctx.crossing_permitted():
        return []
    v = ctx.vertices
    if v.leg_count == 0:
        return []
    found: list[Violation] = []
    for crossing in _crossings(border, v):
        if (
            not crossing.from_country
            or not crossing.to_country
            or crossing.from_country == crossing.to_country
        ):
            continue  # leaving the mapped countries, or grazing the line, is not a crossing
        a = crossing.leg
        alt = float(v.alt_amsl_m[a] + crossing.fraction * (v.alt_amsl_m[a + 1] - v.alt_amsl_m[a]))
        found.append(
            violation(
                RuleId.BORDER,
                Severity.ERROR,
                Msg.BORDER_CROSSING,
                where=Where(
                    item_index=int(v.item_index[a + 1]),
                    leg_index=a,
                    lon=crossing.lon,
                    lat=crossing.lat,
                    alt_amsl_m=alt,
                ),
                leg=a,
                from_country=crossing.from_country,
                to_country=crossing.to_country,
            )
        )
    return found
