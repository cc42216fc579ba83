"""Where the path may go: UAS geographical zones (3D, at the planned time) and the state border."""

from __future__ import annotations

from typing import Any

import numpy as np

from geodata.zones.model import Restriction, Zone
from missions.validate.context import RuleContext
from missions.validate.messages import Msg
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


def _legs_note(legs: np.ndarray[Any, np.dtype[np.intp]]) -> str:
    if legs.size <= 1:
        return ""
    return f" [legs {int(legs.min())}-{int(legs.max())}, {legs.size} legs]"


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
        where = ctx.sample_where(first)
        common = {"zone": zone.name or zone.identifier, "zone_ref": zone.identifier, "legs": _legs_note(legs)}
        ids = {"zone_id": zone.identifier, "zone_name": zone.name}
        if zone.restriction is Restriction.PROHIBITED:
            found.append(
                violation(
                    RuleId.ZONES,
                    Severity.ERROR,
                    Msg.ZONE_PROHIBITED,
                    where=where,
                    **ids,
                    **common,
                    alt=float(s.alt_amsl_m[first]),
                )
            )
        elif zone.restriction is Restriction.REQ_AUTHORISATION:
            if not _is_authorised(zone, ctx.mission.zone_authorisations):
                found.append(
                    violation(
                        RuleId.ZONES,
                        Severity.ERROR,
                        Msg.ZONE_AUTHORISATION,
                        where=where,
                        **ids,
                        **common,
                        contact=_contact(zone),
                    )
                )
        elif zone.restriction is Restriction.CONDITIONAL:
            found.append(
                violation(
                    RuleId.ZONES,
                    Severity.WARNING,
                    Msg.ZONE_CONDITIONAL,
                    where=where,
                    **ids,
                    **common,
                    conditions=_conditions(zone),
                    contact=_contact(zone),
                )
            )
    return found


def _alt_at(
    lons: np.ndarray[Any, np.dtype[np.float64]],
    lats: np.ndarray[Any, np.dtype[np.float64]],
    alts: np.ndarray[Any, np.dtype[np.float64]],
    lon: float,
    lat: float,
) -> float:
    """Altitude where a straight leg passes (lon, lat): the leg's fraction, with metres-like axes."""
    k = np.cos(np.radians(float(lats[0])))
    dx, dy = (float(lons[1]) - float(lons[0])) * k, float(lats[1]) - float(lats[0])
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else ((lon - float(lons[0])) * k * dx + (lat - float(lats[0])) * dy) / length2
    t = min(max(t, 0.0), 1.0)
    return float(alts[0]) + t * (float(alts[1]) - float(alts[0]))


def check_border(ctx: RuleContext) -> list[Violation]:
    """Legs that pass from one country into another, unless the mission holds a cross-border authorisation.

    Countries are looked up at every sample at once; only legs where the country changes are handed to the
    exact crossing computation, so a 1,000-leg survey away from the border costs one vectorised query.
    """
    border = ctx.region.border
    if border is None or ctx.mission.cross_border_authorisation:
        return []
    s = ctx.samples
    if s.size < 2:
        return []
    countries = border.country_at(s.lon, s.lat)
    changes = np.flatnonzero(countries[1:] != countries[:-1])
    candidate_legs = np.unique(s.leg_index[changes])
    v = ctx.vertices
    found: list[Violation] = []
    for leg in candidate_legs:
        a, b = int(leg), int(leg) + 1
        for crossing in border.crossings(v.lon[[a, b]], v.lat[[a, b]]):
            if not crossing.from_country or not crossing.to_country:
                continue  # leaving the mapped countries is not a CZ-PL crossing
            found.append(
                violation(
                    RuleId.BORDER,
                    Severity.ERROR,
                    Msg.BORDER_CROSSING,
                    where=Where(
                        item_index=int(v.item_index[b]),
                        leg_index=a,
                        lon=crossing.lon,
                        lat=crossing.lat,
                        alt_amsl_m=_alt_at(
                            v.lon[[a, b]], v.lat[[a, b]], v.alt_amsl_m[[a, b]], crossing.lon, crossing.lat
                        ),
                    ),
                    leg=a,
                    from_country=crossing.from_country,
                    to_country=crossing.to_country,
                )
            )
    return found
