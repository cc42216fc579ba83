"""The receiving side: partner data kept labelled with its origin, under this centre's own retention.

A data frame is kept only if the partner's latest agreement digest names its agreement and data class
(a second check after the sender's, so a sender bug cannot make us hold what was never agreed), and only
for the shorter of the retention it was stamped with and our own maximum. A ``revoke`` frame drops what
it names at once, so an incident's closing empties viewers on the next read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ground_station.bus.messages import AuditAction
from ground_station.sharing import wire
from ground_station.sharing.model import Incident

Audit = Callable[..., Any]


@dataclass
class Held:
    frame: Any
    received_at: datetime
    expires_at: datetime


@dataclass
class ReceivedSession:
    """Per (origin, class, agreement, situation, incident): audited when it starts, counted in digests."""

    count: int = 0
    digest: Any = field(default_factory=hashlib.sha256)


class PartnerView:
    def __init__(self, clock: Callable[[], datetime], max_retention_s: int) -> None:
        self.clock = clock
        self.max_retention = timedelta(seconds=max_retention_s)
        self.items: dict[tuple[str, str, str], Held] = {}
        """(origin, kind, key) -> the latest item: positions per vehicle, alerts per alert id."""
        self.digests: dict[str, dict[str, wire.AgreementSummary]] = {}
        self.incidents: dict[str, Incident] = {}
        self.chain_heads: dict[str, wire.ChainHead] = {}

    def keep(self, origin: str, frame: Any) -> None:
        now = self.clock()
        retention = min(timedelta(seconds=frame.retention_s), self.max_retention)
        key = frame.vehicle_id if not isinstance(frame, wire.AlertFrame) else frame.alert_id
        self.items[(origin, frame.kind, str(key))] = Held(frame, now, now + retention)

    def prune(self) -> int:
        now = self.clock()
        expired = [key for key, held in self.items.items() if held.expires_at <= now]
        for key in expired:
            del self.items[key]
        return len(expired)

    def revoke(self, origin: str, revoke: wire.Revoke) -> int:
        dropped = [
            key
            for key, held in self.items.items()
            if key[0] == origin
            and held.frame.data_class in revoke.data_classes
            and (revoke.incident_id is None or held.frame.incident_id == revoke.incident_id)
            and (revoke.agreement_id is None or held.frame.agreement_id == revoke.agreement_id)
        ]
        for key in dropped:
            del self.items[key]
        return len(dropped)

    def snapshot(self) -> list[dict[str, Any]]:
        """What a viewer sees, each item labelled with the centre it came from and how it may be used."""
        self.prune()
        return [
            {
                "origin": origin,
                "received_at": held.received_at.isoformat(),
                "expires_at": held.expires_at.isoformat(),
                **held.frame.model_dump(mode="json"),
            }
            for (origin, _kind, _key), held in sorted(self.items.items())
        ]

    def partner_incidents(self) -> list[Incident]:
        return list(self.incidents.values())


class Receiver:
    """Applies incoming frames to the view and writes the receiving side's audit rows."""

    def __init__(self, view: PartnerView, audit: Audit) -> None:
        self.view = view
        self.audit = audit
        self.sessions: dict[tuple[Any, ...], ReceivedSession] = {}
        self.refused = 0
        self.on_incident: Callable[[], Any] | None = None
        self.on_request: Callable[[str, wire.Request], Any] | None = None
        self.on_up: Callable[[str], Any] | None = None

    async def on_link_up(self, partner: str) -> None:
        if self.on_up is not None:
            await self.on_up(partner)

    async def on_link_down(self, partner: str) -> None:
        return None

    async def on_frame(self, partner: str, frame: Any) -> None:
        if isinstance(frame, wire.DATA_FRAMES):
            await self._data(partner, frame)
        elif isinstance(frame, wire.AgreementDigest):
            self.view.digests[partner] = {a.id: a for a in frame.agreements}
        elif isinstance(frame, wire.ChainHead):
            self.view.chain_heads[partner] = frame
            await self.audit(
                AuditAction.PARTNER_CHAIN_HEAD, partner, {"row_id": frame.row_id, "row_hash": frame.row_hash}
            )
        elif isinstance(frame, wire.IncidentNotice):
            await self._incident(partner, frame)
        elif isinstance(frame, wire.Revoke):
            dropped = self.view.revoke(partner, frame)
            for key in [k for k in self.sessions if k[0] == partner and k[1] in frame.data_classes]:
                if frame.incident_id is None or key[4] == frame.incident_id:
                    await self._end(key, "revoked: " + frame.reason)
            await self.audit(
                AuditAction.SHARE_ENDED,
                partner,
                {
                    "side": "receiver",
                    "revoked": sorted(frame.data_classes),
                    "incident_id": frame.incident_id,
                    "dropped_items": dropped,
                    "reason": frame.reason,
                },
            )
        elif isinstance(frame, wire.Request) and self.on_request is not None:
            await self.on_request(partner, frame)
        elif isinstance(frame, wire.Refused):
            await self.audit(
                AuditAction.SHARE_REFUSED,
                partner,
                {"side": "receiver", "data_class": frame.data_class, "refusal": frame.refusal},
            )

    async def _incident(self, partner: str, notice: wire.IncidentNotice) -> None:
        if notice.incident.organisation != partner:
            self.refused += 1
            await self.audit(
                AuditAction.FEDERATION_REFUSED,
                partner,
                {"reason": "forged_incident", "claimed": notice.incident.organisation},
            )
            return
        self.view.incidents[notice.incident.id] = notice.incident
        step = "closed" if notice.incident.closed_at else "declared"
        await self.audit(
            AuditAction.INCIDENT_CLOSED if step == "closed" else AuditAction.INCIDENT_DECLARED,
            notice.incident.id,
            {"side": "partner", "partner": partner, "reason": notice.incident.reason},
        )
        if self.on_incident is not None:
            await self.on_incident()

    async def _data(self, partner: str, frame: Any) -> None:
        summary = self.view.digests.get(partner, {}).get(frame.agreement_id)
        allowed = summary is not None and frame.data_class in (
            summary.normal if frame.situation == "normal" else summary.incident
        )
        if not allowed:
            self.refused += 1
            await self.audit(
                AuditAction.SHARE_REFUSED,
                partner,
                {
                    "side": "receiver",
                    "reason": "not_in_agreement_digest",
                    "data_class": frame.data_class,
                    "agreement_id": frame.agreement_id,
                    "seq": frame.seq,
                },
            )
            return
        key = (partner, frame.data_class, frame.agreement_id, frame.situation, frame.incident_id)
        session = self.sessions.get(key)
        if session is None:
            session = self.sessions[key] = ReceivedSession()
            await self.audit(
                AuditAction.SHARE_RECEIVED,
                partner,
                {
                    "side": "receiver",
                    "event": "started",
                    "data_class": frame.data_class,
                    "agreement_id": frame.agreement_id,
                    "legal_basis": summary.legal_basis if summary else None,
                    "situation": frame.situation,
                    "incident_id": frame.incident_id,
                    "retention_s": frame.retention_s,
                    "first_seq": frame.seq,
                },
            )
        session.count += 1
        session.digest.update(frame.model_dump_json().encode())
        self.view.keep(partner, frame)

    async def _end(self, key: tuple[Any, ...], reason: str) -> None:
        session = self.sessions.pop(key, None)
        if session is None:
            return
        await self.audit(
            AuditAction.SHARE_RECEIVED,
            key[0],
            {
                "side": "receiver",
                "event": "ended",
                "data_class": key[1],
                "agreement_id": key[2],
                "situation": key[3],
                "incident_id": key[4],
                "count": session.count,
                "sha256": session.digest.hexdigest(),
                "reason": reason,
            },
        )

    async def digests(self) -> None:
        """Periodic receiver-side digests of every open session (counts and content hashes)."""
        for key, session in self.sessions.items():
            await self.audit(
                AuditAction.SHARE_DIGEST,
                key[0],
                {
                    "side": "receiver",
                    "data_class": key[1],
                    "agreement_id": key[2],
                    "incident_id": key[4],
                    "count": session.count,
                    "sha256": session.digest.hexdigest(),
                },
            )
