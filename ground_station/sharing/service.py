"""The sharing part of a running station: agreements and incidents (stored), the federation node, the
sending gateway and the receiving view, started and stopped with the app.

API routes change agreements and incidents only through here, so every change reaches the gateway
(``refresh``) in the same call: a closed incident stops the flow before the route answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ground_station.bus.base import Bus
from ground_station.sharing import wire
from ground_station.sharing.audit_log import SharingAudit, utc_now
from ground_station.sharing.config import SharingConfig
from ground_station.sharing.gateway import Gateway
from ground_station.sharing.link import FederationNode, LinkLimits
from ground_station.sharing.model import Agreement, AgreementBody, FlightPermit, Incident, IncidentBody
from ground_station.sharing.policy import Decision, video_variant
from ground_station.sharing.receiver import PartnerView, Receiver
from ground_station.sharing.repository import SharingRepository
from ground_station.sharing.tls import Identity, PartnerTrust, client_context, server_context
from ground_station.store.durable import DurableWriter

log = logging.getLogger(__name__)


def _trust(config: SharingConfig) -> dict[str, PartnerTrust]:
    return {
        p.centre: PartnerTrust(
            p.centre, p.ca_file.read_bytes(), frozenset(int(s, 16) for s in p.revoked_serials)
        )
        for p in config.partners
    }


class SharingService:
    def __init__(
        self,
        centre: str,
        config: SharingConfig,
        repository: SharingRepository,
        store: Any,
        bus: Bus,
        durable: DurableWriter,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.centre = centre
        self.config = config
        self.repository = repository
        self.store = store
        self.bus = bus
        self.clock = clock
        self.audit = SharingAudit(durable, bus, centre, clock)
        self.view = PartnerView(clock, config.max_retention_s)
        self.receiver = Receiver(self.view, self.audit)
        self.node: FederationNode | None = None
        self.gateway: Gateway | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.config.enabled and self.config.partners:
            assert self.config.cert_file and self.config.key_file and self.config.ca_file
            identity = Identity(self.config.cert_file, self.config.key_file, self.config.ca_file)
            ca_files: list[Path] = [p.ca_file for p in self.config.partners]
            self.node = FederationNode(
                self.centre,
                _trust(self.config),
                server_context(identity, ca_files),
                client_context(identity, ca_files),
                self.receiver,
                self.audit,
                self.clock,
                limits=LinkLimits(rate_per_s=self.config.rate_per_s, burst=2 * self.config.rate_per_s),
                partner_urls={p.centre: p.url for p in self.config.partners if p.url},
            )
            self.gateway = Gateway(
                self.centre, self.node, self.audit, self.clock, self.view.partner_incidents
            )
            self.receiver.on_incident = self._partner_incident_changed
            self.receiver.on_request = self.gateway.answer_request
            self.receiver.on_up = self._partner_up
            self.gateway.agreements = await self.repository.agreements()
            self.gateway.incidents = await self.repository.incidents()
            await self.gateway.start(self.bus)
            await self.gateway.send_agreement_digests()
            await self.gateway.send_chain_head(await self.store.audit.head())
            for incident in self.gateway.incidents:
                if incident.active(self.clock()):
                    await self.gateway.notify_incident(incident)
            await self.node.start(self.config.listen_host, self.config.listen_port)
            self._task = asyncio.ensure_future(self._periodic())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.gateway is not None:
            await self.gateway.stop()
        if self.node is not None:
            await self.node.stop()

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.config.digest_interval_s)
            try:
                await self.tick()
            except Exception:
                log.exception("sharing digests")

    async def tick(self) -> None:
        """Digests of open sessions on both sides, the chain head to partners, retention enforced."""
        self.view.prune()
        await self.receiver.digests()
        if self.gateway is not None:
            await self.gateway.digests()
            await self.gateway.send_chain_head(await self.store.audit.head())

    async def _partner_up(self, partner: str) -> None:
        if self.gateway is not None:
            await self.gateway.partner_up(partner, await self.store.audit.head())

    async def _partner_incident_changed(self) -> None:
        await self._refresh()

    async def _refresh(self) -> None:
        if self.gateway is not None:
            await self.gateway.refresh(await self.repository.agreements(), await self.repository.incidents())

    # ---- agreements ---------------------------------------------------------------------------------
    async def create_agreement(self, body: AgreementBody, actor: str) -> Agreement:
        agreement = Agreement(id=f"agr-{secrets.token_hex(6)}", **body.model_dump())
        await self.repository.add_agreement(agreement, actor, self.clock())
        await self._refresh()
        return agreement

    async def revoke_agreement(self, agreement_id: str) -> Agreement | None:
        revoked = await self.repository.revoke_agreement(agreement_id, self.clock())
        await self._refresh()
        return revoked

    # ---- incidents ----------------------------------------------------------------------------------
    async def declare_incident(self, body: IncidentBody, actor: str) -> Incident:
        incident = Incident(
            id=f"inc-{secrets.token_hex(6)}", organisation=self.centre, declared_by=actor, **body.model_dump()
        )
        await self.repository.add_incident(incident, self.clock())
        await self._refresh()
        if self.gateway is not None:
            await self.gateway.notify_incident(incident)
        return incident

    async def close_incident(self, incident_id: str) -> Incident | None:
        closed = await self.repository.close_incident(incident_id, self.clock())
        await self._refresh()
        if closed is not None and self.gateway is not None:
            await self.gateway.notify_incident(closed)
        return closed

    async def add_permit(self, incident_id: str, permit: FlightPermit) -> Incident | None:
        return await self.repository.add_permit(incident_id, permit)

    async def permits(self) -> list[FlightPermit]:
        """Cross-border flight permits of active incidents: what mission validation may relax for."""
        now = self.clock()
        return [p for i in await self.repository.incidents() if i.active(now) for p in i.permits]

    async def video_variant(self, partner: str, lon: float, lat: float) -> Decision | None:
        incidents = [*await self.repository.incidents(), *self.view.partner_incidents()]
        return video_variant(
            partner, self.centre, lon, lat, await self.repository.agreements(), incidents, self.clock()
        )

    def request(self, partner: str, data_classes: frozenset[Any], area: Any | None) -> bool:
        """Asks a partner for data classes; False when no link to that partner is configured."""
        if self.gateway is None or partner not in self.gateway.partners:
            return False
        request = wire.Request(
            seq=1, origin=self.centre, sent_at=self.clock(), data_classes=data_classes, area=area
        )
        self.gateway._send_sequenced(partner, request)
        return True

    async def cross_border_permits(self) -> list[Any]:
        """The same permits as the mission validator's ``CrossBorderPermit`` (border rule only)."""
        from missions.validate import CrossBorderPermit

        return [
            CrossBorderPermit(p.reference, p.area.geometry, p.valid_from, p.valid_until)
            for p in await self.permits()
        ]

    def status(self) -> dict[str, Any]:
        links = {}
        if self.node is not None:
            for partner, link in self.node.links.items():
                links[partner] = {
                    "up": link.up.is_set(),
                    "dials": link.url is not None,
                    "sent_seq": link.outbox.next_seq - 1,
                    "unacknowledged": len(link.outbox.frames),
                    "received": link.received,
                    "refused": link.refused,
                }
        return {
            "enabled": self.node is not None,
            "centre": self.centre,
            "listen_port": self.node.port if self.node else None,
            "links": links,
            "sent_items": self.gateway.sent if self.gateway else 0,
            "refused_items": self.gateway.refused_items if self.gateway else 0,
            "bus_dropped": self.gateway.bus_dropped if self.gateway else 0,
            "partner_chain_heads": {
                p: {"row_id": h.row_id, "row_hash": h.row_hash} for p, h in self.view.chain_heads.items()
            },
        }
