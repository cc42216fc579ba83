"""One long-lived, mutually authenticated WebSocket per partner pair, resumable without loss or duplicates.

Per partner, an :class:`Outbox` numbers what we send and keeps it until the partner acknowledges it; an
:class:`Inbox` accepts only the next number from the partner. After a drop, each side's ``hello`` names
the next number it expects, and the other side sends from there: nothing of the gap is lost or repeated.
The outbox is bounded: when a partner stays away too long the oldest frames go, the loss is audited and
the next ``hello`` tells the partner, which audits it too (never silently).

Every refusal (certificate, forged origin, replay, reordering, malformed, oversized, flood) is audited
and ends only that partner's connection; other partners' links run in their own tasks, unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError
from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from ground_station.bus.messages import AuditAction
from ground_station.sharing import wire
from ground_station.sharing.tls import PartnerTrust, PeerRefused, peer_centre

log = logging.getLogger(__name__)

Audit = Callable[[AuditAction, str | None, dict[str, Any]], Awaitable[None]]
Clock = Callable[[], datetime]
Monotonic = Callable[[], float]

CLOSE_POLICY = 1008
ACK_EVERY = 64


class Outbox:
    """What we sent a partner and it has not acknowledged, in order; bounded."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.epoch = secrets.token_hex(8)
        self.capacity = capacity
        self.next_seq = 1
        self.frames: deque[tuple[int, str]] = deque()
        self.lost = 0

    def add(self, frame_text: Callable[[int], str]) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self.frames.append((seq, frame_text(seq)))
        if len(self.frames) > self.capacity:
            self.frames.popleft()
            self.lost += 1
        return seq

    @property
    def first_seq(self) -> int:
        return self.frames[0][0] if self.frames else self.next_seq

    def ack(self, upto: int) -> None:
        while self.frames and self.frames[0][0] <= upto:
            self.frames.popleft()

    def since(self, seq: int) -> list[tuple[int, str]]:
        if not self.frames or seq >= self.next_seq:
            return []
        start = max(0, seq - self.frames[0][0])
        return [self.frames[i] for i in range(start, len(self.frames))]


@dataclass
class Inbox:
    """The next number we accept from a partner, per partner epoch."""

    peer_epoch: str | None = None
    expected: int = 1


class TokenBucket:
    """A flooding partner is cut off; the clock is injected so tests need no real time."""

    def __init__(self, rate_per_s: float, burst: float, clock: Monotonic = time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.tokens = burst
        self.clock = clock
        self.last = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class FrameHandler(Protocol):
    """What the link delivers to: the receiving side's view, the gateway's answers to requests."""

    async def on_frame(self, partner: str, frame: Any) -> None: ...
    async def on_link_up(self, partner: str) -> None: ...
    async def on_link_down(self, partner: str) -> None: ...


class Refuse(Exception):
    """Ends one partner connection after auditing ``reason``."""

    def __init__(self, reason: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or {}


@dataclass
class PartnerLink:
    partner: str
    url: str | None = None
    """Set when this side dials; otherwise the partner dials us."""
    outbox: Outbox = field(default_factory=Outbox)
    inbox: Inbox = field(default_factory=Inbox)
    connection: Any | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    sent_upto: int = 0
    received: int = 0
    refused: int = 0
    reported_lost: int = 0
    acked_upto: int = 0

    def send(self, frame_text: Callable[[int], str]) -> int:
        seq = self.outbox.add(frame_text)
        self.wake.set()
        return seq


@dataclass(frozen=True)
class LinkLimits:
    max_frame_bytes: int = wire.MAX_FRAME_BYTES
    rate_per_s: float = 5000.0
    burst: float = 10_000.0
    outbox_capacity: int = 100_000
    idle_ack_s: float = 0.5


class FederationNode:
    """This centre's end of every partner link: the listener, the dialers, one session per partner."""

    def __init__(
        self,
        centre: str,
        trust: dict[str, PartnerTrust],
        server_ssl: ssl.SSLContext | None,
        client_ssl: ssl.SSLContext | None,
        handler: FrameHandler,
        audit: Audit,
        clock: Clock,
        limits: LinkLimits | None = None,
        monotonic: Monotonic = time.monotonic,
        partner_urls: dict[str, str] | None = None,
    ) -> None:
        self.centre = centre
        self.trust = trust
        self.server_ssl = server_ssl
        self.client_ssl = client_ssl
        self.handler = handler
        self.audit = audit
        self.clock = clock
        self.limits = limits or LinkLimits()
        self.monotonic = monotonic
        self.links: dict[str, PartnerLink] = {}
        for partner in trust:
            link = PartnerLink(partner, (partner_urls or {}).get(partner))
            link.outbox.capacity = self.limits.outbox_capacity
            self.links[partner] = link
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks = {partner: asyncio.Lock() for partner in trust}
        self.port: int | None = None

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        if port is not None and self.server_ssl is not None:
            self._server = await serve(
                self._accept,
                host,
                port,
                ssl=self.server_ssl,
                max_size=self.limits.max_frame_bytes,
                compression=None,
                max_queue=64,
                close_timeout=2,
            )
            sockets = list(self._server.sockets)
            self.port = int(sockets[0].getsockname()[1]) if sockets else port
        for link in self.links.values():
            if link.url:
                self._spawn(self._dial_forever(link))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send(self, partner: str, frame_text: Callable[[int], str]) -> int | None:
        link = self.links.get(partner)
        return link.send(frame_text) if link is not None else None

    # ---- connections -----------------------------------------------------------------------------
    async def _accept(self, connection: ServerConnection) -> None:
        ssl_object = connection.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        try:
            partner = peer_centre(der, self.trust, self.clock())
        except PeerRefused as exc:
            await self.audit(AuditAction.FEDERATION_REFUSED, None, {"reason": "certificate", "why": str(exc)})
            await connection.close(CLOSE_POLICY, "certificate refused")
            return
        await self._session(self.links[partner], connection)

    async def _dial_forever(self, link: PartnerLink) -> None:
        delay = 0.05
        last_refusal: str | None = None
        assert link.url is not None
        while True:
            try:
                async with connect(
                    link.url,
                    ssl=self.client_ssl,
                    max_size=self.limits.max_frame_bytes,
                    compression=None,
                    max_queue=64,
                    proxy=None,
                    open_timeout=10,
                    close_timeout=2,
                ) as connection:
                    ssl_object = connection.transport.get_extra_info("ssl_object")
                    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
                    try:
                        partner = peer_centre(der, self.trust, self.clock())
                    except PeerRefused as exc:
                        await self.audit(
                            AuditAction.FEDERATION_REFUSED,
                            link.partner,
                            {"reason": "certificate", "why": str(exc)},
                        )
                        partner = ""
                    if partner == link.partner:
                        delay, last_refusal = 0.05, None
                        await self._session(link, connection)
                    else:
                        await connection.close(CLOSE_POLICY, "certificate refused")
            except asyncio.CancelledError:
                raise
            except ssl.SSLError as exc:
                # the partner's server presented a certificate we do not trust: audited once per streak
                if last_refusal != str(exc.reason):
                    last_refusal = str(exc.reason)
                    await self.audit(
                        AuditAction.FEDERATION_REFUSED, link.partner, {"reason": "tls", "why": str(exc)}
                    )
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                log.info("federation link to %s: %s", link.partner, exc)
            except Exception:  # a dialer must never die: the link would stay down silently
                log.exception("federation dialer for %s", link.partner)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _session(self, link: PartnerLink, connection: Any) -> None:
        """One connection's life; a newer connection for the same partner replaces an older one."""
        old = link.connection
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close(1000, "replaced by a newer connection")
        async with self._locks[link.partner]:
            link.connection = connection
            writer: asyncio.Future[Any] | None = None
            try:
                await connection.send(self._hello(link).model_dump_json())
                peer_hello = await self._read_hello(link, connection)
                await self._resume(link, peer_hello)
                link.up.set()
                await self.audit(
                    AuditAction.PARTNER_LINK_UP,
                    link.partner,
                    {"resume_from_us": peer_hello.resume_from, "resume_from_them": link.inbox.expected},
                )
                await self.handler.on_link_up(link.partner)
                writer = asyncio.gather(self._write(link, connection), self._ack_idle(link, connection))
                await self._read(link, connection)
            except Refuse as refusal:
                link.refused += 1
                await self.audit(
                    AuditAction.FEDERATION_REFUSED, link.partner, {"reason": refusal.reason, **refusal.detail}
                )
                with contextlib.suppress(Exception):
                    await connection.close(CLOSE_POLICY, refusal.reason[:100])
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else (exc.sent.code if exc.sent else None)
                if code == 1009 or (exc.sent is not None and exc.sent.code == 1009):
                    link.refused += 1
                    await self.audit(
                        AuditAction.FEDERATION_REFUSED,
                        link.partner,
                        {"reason": "oversized", "limit_bytes": self.limits.max_frame_bytes},
                    )
            finally:
                if writer is not None:
                    writer.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await writer
                was_up = link.up.is_set()
                link.up.clear()
                if link.connection is connection:
                    link.connection = None
                if was_up:
                    await self.audit(AuditAction.PARTNER_LINK_DOWN, link.partner, {"received": link.received})
                    await self.handler.on_link_down(link.partner)

    def _hello(self, link: PartnerLink) -> wire.Hello:
        return wire.Hello(
            v=wire.PROTOCOL_VERSION,
            centre=self.centre,
            epoch=link.outbox.epoch,
            resume_from=link.inbox.expected,
            peer_epoch=link.inbox.peer_epoch,
            first_seq=link.outbox.first_seq,
        )

    async def _read_hello(self, link: PartnerLink, connection: Any) -> wire.Hello:
        text = await connection.recv()
        try:
            hello = wire.parse(text)
        except ValidationError as exc:
            raise Refuse("malformed", {"errors": exc.error_count()}) from None
        if not isinstance(hello, wire.Hello):
            raise Refuse("protocol", {"expected": "hello", "got": hello.kind})
        if hello.v != wire.PROTOCOL_VERSION:
            raise Refuse("version", {"theirs": hello.v, "ours": wire.PROTOCOL_VERSION})
        if hello.centre != link.partner:
            raise Refuse("forged", {"claimed": hello.centre})
        return hello

    async def _resume(self, link: PartnerLink, hello: wire.Hello) -> None:
        # fresh: this station (re)started, so it owes nothing before the oldest frame the partner still
        # holds unacknowledged; that frame may have reached our predecessor: a repeat, never a loss
        fresh = link.inbox.peer_epoch is None
        if hello.epoch != link.inbox.peer_epoch:
            if not fresh:
                await self.audit(
                    AuditAction.PARTNER_LINK_UP,
                    link.partner,
                    {"note": "partner restarted; numbering restarts"},
                )
            link.inbox = Inbox(hello.epoch, 1)
        if fresh and link.inbox.expected < hello.first_seq:
            link.inbox.expected = hello.first_seq
        elif link.inbox.expected < hello.first_seq:
            await self.audit(
                AuditAction.FEDERATION_REFUSED,
                link.partner,
                {"reason": "partner_outbox_overflow", "lost": hello.first_seq - link.inbox.expected},
            )
            link.inbox.expected = hello.first_seq
        link.acked_upto = link.inbox.expected - 1  # what our hello already told the partner
        resume = hello.resume_from if hello.peer_epoch == link.outbox.epoch else 1
        link.outbox.ack(resume - 1)
        link.sent_upto = resume - 1
        if link.outbox.lost > link.reported_lost:
            await self.audit(
                AuditAction.FEDERATION_REFUSED,
                link.partner,
                {"reason": "outbox_overflow", "lost": link.outbox.lost - link.reported_lost},
            )
            link.reported_lost = link.outbox.lost

    async def _write(self, link: PartnerLink, connection: Any) -> None:
        """Sends what is pending, in order, then sleeps until the outbox grows."""
        while True:
            link.wake.clear()
            for seq, text in link.outbox.since(link.sent_upto + 1):
                await connection.send(text)
                link.sent_upto = seq
            if link.outbox.next_seq - 1 <= link.sent_upto:
                await link.wake.wait()

    async def _ack_idle(self, link: PartnerLink, connection: Any) -> None:
        """Acknowledges what arrived since the last ack, so the partner's outbox empties even when fewer
        than ``ACK_EVERY`` frames came (the tail of a stream). Only memory depends on this timer: resuming
        is decided by the ``hello``, never by acks."""
        while True:
            await asyncio.sleep(self.limits.idle_ack_s)
            received_upto = link.inbox.expected - 1
            if received_upto > link.acked_upto:
                link.acked_upto = received_upto
                await connection.send(wire.Ack(upto=received_upto).model_dump_json())

    async def _read(self, link: PartnerLink, connection: Any) -> None:
        bucket = TokenBucket(self.limits.rate_per_s, self.limits.burst, self.monotonic)
        since_ack = 0
        async for text in connection:
            if not bucket.take():
                raise Refuse("flood", {"rate_per_s": self.limits.rate_per_s})
            try:
                frame = wire.parse(text)
            except ValidationError as exc:
                raise Refuse(
                    "malformed", {"errors": exc.error_count(), "first": str(exc.errors()[0]["loc"])}
                ) from None
            if isinstance(frame, wire.Ack):
                link.outbox.ack(frame.upto)
                continue
            if isinstance(frame, wire.Hello):
                raise Refuse("protocol", {"unexpected": "hello"})
            if frame.origin != link.partner:
                raise Refuse("forged", {"claimed_origin": frame.origin, "seq": frame.seq})
            if frame.seq < link.inbox.expected:
                raise Refuse("replayed", {"seq": frame.seq, "expected": link.inbox.expected})
            if frame.seq > link.inbox.expected:
                raise Refuse("reordered", {"seq": frame.seq, "expected": link.inbox.expected})
            await self.handler.on_frame(link.partner, frame)
            link.inbox.expected += 1
            link.received += 1
            since_ack += 1
            if since_ack >= ACK_EVERY or not isinstance(frame, wire.DATA_FRAMES):
                since_ack = 0
                link.acked_upto = link.inbox.expected - 1
                await connection.send(wire.Ack(upto=link.acked_upto).model_dump_json())
