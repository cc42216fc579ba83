"""Share decisions as pure functions: same inputs, same answer, no clock, no store, no network.

Design contract 16: sharing is enforced by the sender. :func:`decide` is the only gate an item passes
on its way to a partner; the gateway calls it for every item (cheap: prepared polygons), so an agreement
that expires or an incident that closes stops the flow with the very next item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ground_station.sharing.model import RAW_CLASSES, Agreement, DataClass, Incident, Situation


class Refusal(StrEnum):
    NO_AGREEMENT = "no_agreement"
    AGREEMENT_NOT_IN_FORCE = "agreement_not_in_force"
    CLASS_NOT_AGREED = "class_not_agreed"
    OUTSIDE_AREA = "outside_area"
    RAW_NEEDS_INCIDENT = "raw_needs_incident"
    NO_POSITION = "no_position"


REFUSAL_TEXT: dict[Refusal, dict[str, str]] = {
    Refusal.NO_AGREEMENT: {
        "en": "No agreement with this partner.",
        "cs": "S tímto partnerem není uzavřena žádná dohoda.",
        "pl": "Brak porozumienia z tym partnerem.",
    },
    Refusal.AGREEMENT_NOT_IN_FORCE: {
        "en": "The agreement is not in force (expired, not yet valid or revoked).",
        "cs": "Dohoda není platná (vypršela, ještě neplatí nebo byla zrušena).",
        "pl": "Porozumienie nie obowiązuje (wygasło, jeszcze nie obowiązuje lub zostało cofnięte).",
    },
    Refusal.CLASS_NOT_AGREED: {
        "en": "The agreement does not allow this data class in the current situation.",
        "cs": "Dohoda v současné situaci tuto kategorii dat nepovoluje.",
        "pl": "Porozumienie nie zezwala na tę kategorię danych w obecnej sytuacji.",
    },
    Refusal.OUTSIDE_AREA: {
        "en": "The item lies outside the area the agreement covers.",
        "cs": "Položka leží mimo oblast, na kterou se dohoda vztahuje.",
        "pl": "Element znajduje się poza obszarem objętym porozumieniem.",
    },
    Refusal.RAW_NEEDS_INCIDENT: {
        "en": "Raw data is shared only during an active incident.",
        "cs": "Surová data se sdílejí jen během aktivní mimořádné události.",
        "pl": "Surowe dane są udostępniane tylko podczas aktywnego zdarzenia nadzwyczajnego.",
    },
    Refusal.NO_POSITION: {
        "en": "The item has no position, so its area cannot be checked.",
        "cs": "Položka nemá polohu, takže nelze ověřit oblast.",
        "pl": "Element nie ma położenia, więc nie można sprawdzić obszaru.",
    },
}


@dataclass(frozen=True)
class Item:
    """What is about to leave: its class and where it is (``None``: unknown, which is never permission)."""

    data_class: DataClass
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    partner: str
    data_class: DataClass
    agreement_id: str | None = None
    situation: Situation | None = None
    incident_id: str | None = None
    retention_s: int | None = None
    legal_basis: str | None = None
    refusal: Refusal | None = None

    @property
    def key(self) -> tuple[str, DataClass, str | None, Situation | None, str | None]:
        """What a sharing session is: same key, same session (the audit is per session, not per item)."""
        return (self.partner, self.data_class, self.agreement_id, self.situation, self.incident_id)


def unlocking_incidents(
    agreement: Agreement, sender: str, incidents: Iterable[Incident], now: datetime
) -> list[Incident]:
    """Active incidents that open the agreement's incident clause: the sender's own, and a partner's
    only where the agreement names that partner."""
    return [
        incident
        for incident in incidents
        if incident.active(now)
        and (incident.organisation == sender or incident.organisation in agreement.partner_incidents_from)
    ]


def decide(
    item: Item,
    partner: str,
    sender: str,
    agreements: Iterable[Agreement],
    incidents: Iterable[Incident],
    now: datetime,
) -> Decision:
    """May ``item`` go from ``sender`` to ``partner`` now? The normal clause is tried first, so an item
    the normal clause allows is never attributed to an incident; raw classes only under an incident."""
    incidents = list(incidents)
    mine = [a for a in agreements if a.partner == partner]
    if not mine:
        return Decision(False, partner, item.data_class, refusal=Refusal.NO_AGREEMENT)
    in_force = [a for a in mine if a.in_force(now)]
    if not in_force:
        return Decision(False, partner, item.data_class, refusal=Refusal.AGREEMENT_NOT_IN_FORCE)
    if item.lon is None or item.lat is None:
        return Decision(False, partner, item.data_class, refusal=Refusal.NO_POSITION)
    lon, lat = item.lon, item.lat
    refusal = Refusal.CLASS_NOT_AGREED
    raw = item.data_class in RAW_CLASSES
    for agreement in sorted(in_force, key=lambda a: a.id):
        clause = agreement.normal
        if clause is not None and item.data_class in clause.data_classes:
            if raw:
                refusal = Refusal.RAW_NEEDS_INCIDENT
            elif clause.area.contains(lon, lat):
                return Decision(
                    True,
                    partner,
                    item.data_class,
                    agreement.id,
                    Situation.NORMAL,
                    None,
                    clause.retention_s,
                    agreement.legal_basis,
                )
            else:
                refusal = Refusal.OUTSIDE_AREA
    for agreement in sorted(in_force, key=lambda a: a.id):
        clause = agreement.incident
        if clause is None or item.data_class not in clause.data_classes:
            continue
        if not clause.area.contains(lon, lat):
            refusal = Refusal.OUTSIDE_AREA
            continue
        unlocking = [
            i for i in unlocking_incidents(agreement, sender, incidents, now) if i.area.contains(lon, lat)
        ]
        if not unlocking:
            if refusal is Refusal.CLASS_NOT_AGREED or raw:
                refusal = Refusal.RAW_NEEDS_INCIDENT if raw else Refusal.CLASS_NOT_AGREED
            continue
        incident = min(unlocking, key=lambda i: i.id)
        return Decision(
            True,
            partner,
            item.data_class,
            agreement.id,
            Situation.INCIDENT,
            incident.id,
            clause.retention_s,
            agreement.legal_basis,
        )
    return Decision(False, partner, item.data_class, refusal=refusal)


def video_variant(
    partner: str,
    sender: str,
    lon: float | None,
    lat: float | None,
    agreements: Iterable[Agreement],
    incidents: Iterable[Incident],
    now: datetime,
) -> Decision | None:
    """The video a partner may see from a camera at (lon, lat): raw when an incident allows it, else
    anonymised when agreed, else none. The hook the video delivery (issue 12) asks; no transport here."""
    agreements = list(agreements)
    incidents = list(incidents)
    for data_class in (DataClass.RAW_VIDEO, DataClass.ANONYMISED_VIDEO):
        decision = decide(Item(data_class, lon, lat), partner, sender, agreements, incidents, now)
        if decision.allowed:
            return decision
    return None


@dataclass(frozen=True)
class _Candidate:
    area: Any
    template: Decision
    incidents: tuple[Incident, ...] = ()
    """For incident clauses: the unlocking incidents, by id; the item must lie in one of them too."""


@dataclass(frozen=True)
class Plan:
    """The position-independent part of :func:`decide` for one partner and data class, valid until
    ``valid_until``: what the gateway reuses for every item of a stream. ``allowed`` answers exactly as
    :func:`decide` does for items it allows, and ``None`` where :func:`decide` would refuse (the caller
    then asks :func:`decide` for the reason; refusals are not on the fast path)."""

    candidates: tuple[_Candidate, ...]
    valid_until: datetime | None

    def allowed(self, lon: float | None, lat: float | None) -> Decision | None:
        if lon is None or lat is None:
            return None
        for candidate in self.candidates:
            if not candidate.area.contains(lon, lat):
                continue
            if not candidate.template.situation == Situation.INCIDENT:
                return candidate.template
            for incident in candidate.incidents:
                if incident.area.contains(lon, lat):
                    return replace(candidate.template, incident_id=incident.id)
        return None


def plan(
    partner: str,
    data_class: DataClass,
    sender: str,
    agreements: Iterable[Agreement],
    incidents: Iterable[Incident],
    now: datetime,
) -> Plan:
    """Everything :func:`decide` looks at except the item's position, in the order it looks at it."""
    incidents = list(incidents)
    mine = sorted((a for a in agreements if a.partner == partner), key=lambda a: a.id)
    boundaries: list[datetime] = []
    for agreement in mine:
        boundaries += [t for t in (agreement.valid_from, agreement.valid_until, agreement.revoked_at) if t]
    for incident in incidents:
        boundaries += [t for t in (incident.starts_at, incident.ends_at, incident.closed_at) if t]
    future = [t for t in boundaries if t > now]
    in_force = [a for a in mine if a.in_force(now)]
    candidates: list[_Candidate] = []
    if data_class not in RAW_CLASSES:
        for agreement in in_force:
            clause = agreement.normal
            if clause is not None and data_class in clause.data_classes:
                template = Decision(
                    True,
                    partner,
                    data_class,
                    agreement.id,
                    Situation.NORMAL,
                    None,
                    clause.retention_s,
                    agreement.legal_basis,
                )
                candidates.append(_Candidate(clause.area, template))
    for agreement in in_force:
        clause = agreement.incident
        if clause is None or data_class not in clause.data_classes:
            continue
        unlocking = sorted(unlocking_incidents(agreement, sender, incidents, now), key=lambda i: i.id)
        if not unlocking:
            continue
        template = Decision(
            True,
            partner,
            data_class,
            agreement.id,
            Situation.INCIDENT,
            None,
            clause.retention_s,
            agreement.legal_basis,
        )
        candidates.append(_Candidate(clause.area, template, tuple(unlocking)))
    return Plan(tuple(candidates), min(future) if future else None)
