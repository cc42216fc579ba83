"""The sending side: bus messages -> policy -> numbered frames to each partner, audited per session.

Every item is decided on its own (:func:`ground_station.sharing.policy.decide`), so a closed incident or a
revoked agreement stops the flow with the next item; :meth:`Gateway.refresh` additionally ends the open
sessions at once and tells the partner to drop what they unlocked. The audit is per session (start, end,
under which agreement, legal basis, incident) plus periodic digests (count and SHA-256 of what was sent),
never per position: a 10 Hz stream would drown the chain. A session's start row is written before its
first item leaves (contract 16: nothing leaves without its record).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ground_station.bus.base import Bus, Subscription
from ground_station.bus.messages import AlertMsg, AuditAction, BatteryMsg, PositionMsg, StatusMsg
from ground_station.sharing import wire
from ground_station.sharing.link import FederationNode
from ground_station.sharing.model import RAW_CLASSES, Agreement, DataClass, Incident, Situation
from ground_station.sharing.policy import (
    REFUSAL_TEXT,
    Decision,
    Item,
    Plan,
    decide,
    plan,
    unlocking_incidents,
)

log = logging.getLogger(__name__)

Audit = Callable[..., Any]
YIELD_EVERY = 10
SessionKey = tuple[str, DataClass, str | None, Situation | None, str | None]


@dataclass
class Session:
    count: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    legal_basis: str | None = None


def summarise(agreement: Agreement, now: datetime) -> wire.AgreementSummary:
    return wire.AgreementSummary(
        id=agreement.id,
        sha256=hashlib.sha256(agreement.model_dump_json().encode()).hexdigest(),
        legal_basis=agreement.legal_basis,
        normal=agreement.normal.data_classes if agreement.normal else frozenset(),
        incident=agreement.incident.data_classes if agreement.incident else frozenset(),
        valid_until=agreement.valid_until,
        in_force=agreement.in_force(now),
    )


class Gateway:
    def __init__(
        self,
        centre: str,
        node: FederationNode,
        audit: Audit,
        clock: Callable[[], datetime],
        partner_incidents: Callable[[], Iterable[Incident]] = list,
    ) -> None:
        self.centre = centre
        self.node = node
        self.audit = audit
        self.clock = clock
        self.partner_incidents = partner_incidents
        self._agreements: list[Agreement] = []
        self._by_partner: dict[str, list[Agreement]] = {}
        self._stamps: dict[SessionKey, str] = {}
        self._plans: dict[tuple[str, DataClass], Plan] = {}
        self.incidents: list[Incident] = []
        self.sessions: dict[SessionKey, Session] = {}
        self.subject_state: dict[tuple[str, DataClass, str], Any] = {}
        self.positions: dict[str, tuple[float, float]] = {}
        self.sent = 0
        self.refused_items = 0
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def agreements(self) -> list[Agreement]:
        return self._agreements

    @agreements.setter
    def agreements(self, agreements: list[Agreement]) -> None:
        """Indexed by partner once per change, not filtered per item (the policy still checks it)."""
        self._agreements = list(agreements)
        self._plans = {}
        self._by_partner = {}
        for agreement in sorted(self._agreements, key=lambda a: a.id):
            self._by_partner.setdefault(agreement.partner, []).append(agreement)

    @property
    def bus_dropped(self) -> int:
        """Bus messages lost before the gateway saw them (it fell behind): never sent, so never leaked,
        but a partner's picture is thinner; reported in the sharing status."""
        return sum(subscription.dropped for subscription in self._subscriptions)

    @property
    def partners(self) -> list[str]:
        return list(self.node.links)

    # ---- bus --------------------------------------------------------------------------------------
    async def start(self, bus: Bus) -> None:
        for pattern in ("vehicle.*.position", "vehicle.*.battery", "vehicle.*.status", "alert"):
            subscription = bus.subscribe(pattern, maxsize=10_000)
            self._subscriptions.append(subscription)
            self._tasks.append(asyncio.ensure_future(self._consume(subscription)))

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for key in list(self.sessions):
            await self._end(key, "station stopping")

    async def _consume(self, subscription: Subscription) -> None:
        handled = 0
        async for _topic, msg in subscription:
            try:
                await self.handle(msg)
            except Exception:  # one bad item must not stop sharing (nor leak: nothing was sent)
                log.exception("sharing gateway could not handle %s", type(msg).__name__)
            handled += 1
            if handled % YIELD_EVERY == 0:
                # a burst (every vehicle's position at once) is decided in slices, so the link writers
                # start sending the first items before the last are decided
                await asyncio.sleep(0)

    async def handle(self, msg: Any) -> None:
        if isinstance(msg, PositionMsg):
            self.positions[msg.vehicle_id] = (msg.lon, msg.lat)
            await self._offer(
                DataClass.POSITIONS, msg.vehicle_id, msg.lon, msg.lat, lambda d: _position(msg, d)
            )
        elif isinstance(msg, BatteryMsg | StatusMsg):
            lon, lat = self.positions.get(msg.vehicle_id, (None, None))
            await self._offer(DataClass.TELEMETRY, msg.vehicle_id, lon, lat, lambda d: _telemetry(msg, d))
        elif isinstance(msg, AlertMsg):
            await self._offer(DataClass.ALERTS, msg.alert_id, msg.lon, msg.lat, lambda d: _alert(msg, d))

    # ---- deciding ---------------------------------------------------------------------------------
    def _all_incidents(self) -> list[Incident]:
        return [*self.incidents, *self.partner_incidents()]

    def decide_for(
        self, partner: str, data_class: DataClass, lon: float | None, lat: float | None
    ) -> Decision:
        return decide(
            Item(data_class, lon, lat),
            partner,
            self.centre,
            self.agreements,
            self._all_incidents(),
            self.clock(),
        )

    async def _offer(
        self,
        data_class: DataClass,
        subject: str,
        lon: float | None,
        lat: float | None,
        build: Callable[..., Any],
    ) -> None:
        now = self.clock()
        incidents = self._all_incidents()
        item = Item(data_class, lon, lat)
        body_text: str | None = None
        sent_at = json.dumps(now.isoformat())
        origin = json.dumps(self.centre)
        for partner in self.partners:
            decision = self._plan(partner, data_class, incidents, now).allowed(lon, lat)
            if decision is None:  # refused: decide() names the reason (the plan only knows "no")
                decision = decide(
                    item, partner, self.centre, self._by_partner.get(partner, ()), incidents, now
                )
            state_key = (partner, data_class, subject)
            state = decision.key if decision.allowed else ("refused", decision.refusal)
            if self.subject_state.get(state_key) != state:
                self.subject_state[state_key] = state
                if not decision.allowed and decision.refusal is not None:
                    await self.audit(
                        AuditAction.SHARE_REFUSED,
                        partner,
                        {
                            "side": "sender",
                            "data_class": data_class,
                            "subject": subject,
                            "refusal": decision.refusal,
                            "message": REFUSAL_TEXT[decision.refusal],
                        },
                    )
            if not decision.allowed:
                self.refused_items += 1
                continue
            session = self.sessions.get(decision.key)
            if session is None:
                session = await self._start(decision)
            if body_text is None:
                # validated once per item through the frame model; stamped per partner below
                body = build(decision)
                frame = wire.FRAME.validate_python(
                    {"seq": 1, **_stamp_fields(decision, self.centre, now), **body}
                )
                body_text = frame.model_dump_json(include=set(body))[1:-1]
            stamp_text = self._stamps.get(decision.key)
            if stamp_text is None:
                stamp_text = self._stamps[decision.key] = _stamp_text(decision)
            rest = f'"origin":{origin},"sent_at":{sent_at},{stamp_text},{body_text}}}'

            self.node.send(partner, _numbered(rest))
            session.count += 1
            session.digest.update(rest.encode())
            self.sent += 1

    def _plan(self, partner: str, data_class: DataClass, incidents: list[Incident], now: datetime) -> Plan:
        """The cached position-independent part of the decision, remade after any change of agreements
        or incidents (``refresh``) and at its next time boundary (an agreement or incident starting or
        ending). Property-tested to allow exactly what :func:`decide` allows."""
        key = (partner, data_class)
        cached = self._plans.get(key)
        if cached is None or (cached.valid_until is not None and now >= cached.valid_until):
            cached = plan(partner, data_class, self.centre, self._by_partner.get(partner, ()), incidents, now)
            self._plans[key] = cached
        return cached

    async def _start(self, decision: Decision) -> Session:
        session = Session(legal_basis=decision.legal_basis)
        await self.audit(
            AuditAction.SHARE_STARTED,
            decision.partner,
            {
                "side": "sender",
                "data_class": decision.data_class,
                "agreement_id": decision.agreement_id,
                "legal_basis": decision.legal_basis,
                "situation": decision.situation,
                "incident_id": decision.incident_id,
                "retention_s": decision.retention_s,
            },
        )
        self.sessions[decision.key] = session
        return session

    async def _end(self, key: SessionKey, reason: str) -> None:
        session = self.sessions.pop(key, None)
        if session is None:
            return
        partner, data_class, agreement_id, situation, incident_id = key
        await self.audit(
            AuditAction.SHARE_ENDED,
            partner,
            {
                "side": "sender",
                "data_class": data_class,
                "agreement_id": agreement_id,
                "situation": situation,
                "incident_id": incident_id,
                "count": session.count,
                "sha256": session.digest.hexdigest(),
                "reason": reason,
            },
        )
        for state_key in [k for k, v in self.subject_state.items() if v == key]:
            del self.subject_state[state_key]

    # ---- changes of agreements and incidents -------------------------------------------------------
    async def refresh(self, agreements: list[Agreement], incidents: list[Incident]) -> None:
        """New agreements/incidents: end every session they no longer carry and tell the partner now."""
        self.agreements = list(agreements)  # also forgets every plan
        self.incidents = list(incidents)
        now = self.clock()
        by_id = {a.id: a for a in self.agreements}
        active = {i.id for i in self._all_incidents() if i.active(now)}
        for key in list(self.sessions):
            partner, data_class, agreement_id, situation, incident_id = key
            agreement = by_id.get(agreement_id or "")
            reason = None
            if agreement is None or not agreement.in_force(now):
                reason = "agreement no longer in force"
            elif situation == Situation.INCIDENT and incident_id not in active:
                reason = "incident closed"
            if reason is None:
                continue
            await self._end(key, reason)
            revoke = wire.Revoke(
                seq=1,
                origin=self.centre,
                sent_at=now,
                data_classes=frozenset({data_class}),
                incident_id=incident_id if reason == "incident closed" else None,
                agreement_id=agreement_id,
                reason=reason,
            )
            self._send_sequenced(partner, revoke)
        await self.send_agreement_digests()

    async def partner_up(self, partner: str, head: tuple[int, str] | None) -> None:
        """A (re)connected partner may have restarted and lost our digest, incidents and head: resend."""
        now = self.clock()
        await self.send_agreement_digests([partner])
        for incident in self.incidents:
            if incident.active(now):
                self._send_sequenced(
                    partner, wire.IncidentNotice(seq=1, origin=self.centre, sent_at=now, incident=incident)
                )
        if head is not None:
            self._send_sequenced(
                partner,
                wire.ChainHead(seq=1, origin=self.centre, sent_at=now, row_id=head[0], row_hash=head[1]),
            )

    async def send_agreement_digests(self, partners: list[str] | None = None) -> None:
        now = self.clock()
        for partner in partners if partners is not None else self.partners:
            summaries = tuple(summarise(a, now) for a in self.agreements if a.partner == partner)
            self._send_sequenced(
                partner, wire.AgreementDigest(seq=1, origin=self.centre, sent_at=now, agreements=summaries)
            )

    async def notify_incident(self, incident: Incident) -> None:
        now = self.clock()
        for partner in self.partners:
            self._send_sequenced(
                partner, wire.IncidentNotice(seq=1, origin=self.centre, sent_at=now, incident=incident)
            )

    async def send_chain_head(self, head: tuple[int, str] | None) -> None:
        if head is None:
            return
        now = self.clock()
        for partner in self.partners:
            self._send_sequenced(
                partner,
                wire.ChainHead(seq=1, origin=self.centre, sent_at=now, row_id=head[0], row_hash=head[1]),
            )

    async def answer_request(self, partner: str, request: wire.Request) -> None:
        """A partner asks for classes (optionally in an area): each one no agreement can give now, or not
        in that whole area, is refused and audited. Granting needs nothing: allowed items flow anyway."""
        now = self.clock()
        area = request.area.geometry if request.area is not None else None
        for data_class in sorted(request.data_classes):
            refusal = self._request_refusal(partner, data_class, area, now)
            if refusal is None:
                continue
            await self.audit(
                AuditAction.SHARE_REFUSED,
                partner,
                {"side": "sender", "requested": data_class, "refusal": refusal, "area": bool(area)},
            )
            self._send_sequenced(
                partner,
                wire.Refused(seq=1, origin=self.centre, sent_at=now, data_class=data_class, refusal=refusal),
            )

    def _request_refusal(self, partner: str, data_class: DataClass, area: Any, now: datetime) -> str | None:
        outside = False
        for agreement in self._by_partner.get(partner, ()):
            if not agreement.in_force(now):
                continue
            clauses = []
            normal = agreement.normal
            if normal is not None and data_class in normal.data_classes and data_class not in RAW_CLASSES:
                clauses.append(normal)
            clause = agreement.incident
            if clause is not None and data_class in clause.data_classes:
                if unlocking_incidents(agreement, self.centre, self._all_incidents(), now):
                    clauses.append(clause)
            for allowed in clauses:
                if area is None or allowed.area.geometry.covers(area):
                    return None
                outside = True
        return "outside_area" if outside else "class_not_agreed"

    async def digests(self) -> None:
        for key, session in self.sessions.items():
            await self.audit(
                AuditAction.SHARE_DIGEST,
                key[0],
                {
                    "side": "sender",
                    "data_class": key[1],
                    "agreement_id": key[2],
                    "incident_id": key[4],
                    "count": session.count,
                    "sha256": session.digest.hexdigest(),
                },
            )

    def _send_sequenced(self, partner: str, frame: Any) -> None:
        self.node.send(partner, lambda seq: frame.model_copy(update={"seq": seq}).model_dump_json())


_SEQ_PREFIX = '{"seq":1,'


def _numbered(rest: str) -> Callable[[int], str]:
    """The frame text with the link's sequence number put in front (no second serialisation)."""

    def text(seq: int) -> str:
        return f'{{"seq":{seq},{rest}'

    return text


def _stamp_fields(decision: Decision, origin: str, now: datetime) -> dict[str, Any]:
    return {
        "origin": origin,
        "sent_at": now,
        "data_class": decision.data_class,
        "agreement_id": decision.agreement_id,
        "situation": decision.situation,
        "incident_id": decision.incident_id,
        "retention_s": decision.retention_s,
    }


def _stamp_text(decision: Decision) -> str:
    """What every item leaving under ``decision`` is stamped with (contract 16), as JSON members;
    the same for every item of a session, so made once per session."""
    situation = decision.situation.value if decision.situation else None
    return (
        f'"data_class":{json.dumps(decision.data_class.value)},'
        f'"agreement_id":{json.dumps(decision.agreement_id)},'
        f'"situation":{json.dumps(situation)},"incident_id":{json.dumps(decision.incident_id)},'
        f'"retention_s":{int(decision.retention_s or 0)}'
    )


def _position(msg: PositionMsg, decision: Decision) -> dict[str, Any]:
    heading = msg.heading_deg
    return {
        "kind": "position",
        "vehicle_id": msg.vehicle_id,
        "time_utc": msg.time_utc,
        "lon": msg.lon,
        "lat": msg.lat,
        "alt_amsl_m": msg.alt_amsl_m,
        "heading_deg": heading,
    }


def _telemetry(msg: BatteryMsg | StatusMsg, decision: Decision) -> dict[str, Any]:
    if isinstance(msg, BatteryMsg):
        return {
            "kind": "telemetry",
            "vehicle_id": msg.vehicle_id,
            "time_utc": msg.time_utc,
            "battery_pct": msg.remaining_pct,
            "voltage_v": msg.voltage_v,
        }
    return {
        "kind": "telemetry",
        "vehicle_id": msg.vehicle_id,
        "time_utc": msg.time_utc,
        "flight_mode": msg.flight_mode,
    }


def _alert(msg: AlertMsg, decision: Decision) -> dict[str, Any]:
    return {
        "kind": "alert",
        "alert_id": msg.alert_id,
        "vehicle_id": msg.vehicle_id,
        "alert_kind": msg.kind,
        "severity": msg.severity,
        "message": msg.message,
        "lon": msg.lon,
        "lat": msg.lat,
        "time_utc": msg.time_utc,
        "active": msg.active,
    }
