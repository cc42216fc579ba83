"""Helpers for the sharing tests: centres with their own CAs, nodes on ephemeral 127.0.0.1 ports,
a recording handler and an in-memory audit. No tests here."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from ground_station.bus.messages import AuditAction
from ground_station.sharing import wire
from ground_station.sharing.link import FederationNode, LinkLimits
from ground_station.sharing.tls import Identity, PartnerTrust, client_context, server_context, write_identity

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def make_centres(root: Path, *names: str) -> dict[str, Identity]:
    return {
        name: write_identity(root / name, name, datetime.now(UTC), ("127.0.0.1", "localhost"))
        for name in names
    }


@dataclass
class Recorder:
    """Frame handler and audit sink at once; ``changed`` wakes waiters on every event (no sleeps)."""

    frames: list[tuple[str, Any]] = field(default_factory=list)
    audits: list[tuple[AuditAction, str | None, dict[str, Any]]] = field(default_factory=list)
    ups: list[str] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _note(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def on_frame(self, partner: str, frame: Any) -> None:
        self.frames.append((partner, frame))
        await self._note()

    async def on_link_up(self, partner: str) -> None:
        self.ups.append(partner)
        await self._note()

    async def on_link_down(self, partner: str) -> None:
        await self._note()

    async def audit(self, action: AuditAction, target: str | None, detail: dict[str, Any]) -> None:
        self.audits.append((action, target, detail))
        await self._note()

    async def until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        async def wait() -> None:
            async with self.changed:
                await self.changed.wait_for(condition)

        await asyncio.wait_for(wait(), timeout)

    def refusals(self, reason: str) -> list[dict[str, Any]]:
        return [
            d for a, _t, d in self.audits if a is AuditAction.FEDERATION_REFUSED and d.get("reason") == reason
        ]


def node(
    me: str,
    identities: dict[str, Identity],
    partners: dict[str, Identity],
    recorder: Recorder,
    urls: dict[str, str] | None = None,
    limits: LinkLimits | None = None,
    revoked: dict[str, frozenset[int]] | None = None,
    monotonic: Callable[[], float] | None = None,
) -> FederationNode:
    identity = identities[me]
    ca_files = [p.ca_file for p in partners.values()]
    trust = {
        name: PartnerTrust(name, p.ca_file.read_bytes(), (revoked or {}).get(name, frozenset()))
        for name, p in partners.items()
    }
    kwargs: dict[str, Any] = {}
    if monotonic is not None:
        kwargs["monotonic"] = monotonic
    return FederationNode(
        me,
        trust,
        server_context(identity, ca_files),
        client_context(identity, ca_files),
        recorder,
        recorder.audit,
        lambda: datetime.now(UTC),
        limits=limits,
        partner_urls=urls,
        **kwargs,
    )


async def raw_client(
    port: int, identity: Identity, server_ca: Path, max_size: int = 1 << 20
) -> ClientConnection:
    """A hand-driven partner: its real certificate, but frames written by the test (replays, forgeries)."""
    context = client_context(identity, [server_ca])
    return await connect(
        f"wss://127.0.0.1:{port}", ssl=context, proxy=None, compression=None, max_size=max_size
    )


def hello(centre: str, epoch: str = "abcdef0123456789", resume_from: int = 1) -> str:
    return wire.Hello(v=1, centre=centre, epoch=epoch, resume_from=resume_from, first_seq=1).model_dump_json()


def notice_json(seq: int, origin: str) -> str:
    return json.dumps(
        {
            "kind": "chain_head",
            "seq": seq,
            "origin": origin,
            "sent_at": NOW.isoformat(),
            "row_id": seq,
            "row_hash": "ab" * 32,
        }
    )


def unused_ssl() -> ssl.SSLContext:
    return ssl.create_default_context()
