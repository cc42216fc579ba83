"""Single-use, short-lived stream tickets: how a browser authenticates a video request.

An ``<img src>`` or a WebRTC offer posted by a page cannot carry the bearer header, and access tokens
never go in URLs (they would end up in logs and browser history, and live for minutes). So the
authenticated API issues a ticket: 32 random bytes, bound to one stream (or recording), one purpose and
one user, valid for ``ttl_s`` (default 30 s) and redeemable exactly once. A leaked ticket is worthless
once used or expired, and it never grants more than that one view.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class TicketError(PermissionError):
    """A ticket that is unknown, used, expired, or for another stream: says which."""


@dataclass(frozen=True)
class Ticket:
    value: str
    target: str  # "stream:<id>" or "recording:<id>"
    purpose: str  # "mjpeg", "webrtc", "playback"
    user: str
    organisation: str | None
    expires_monotonic: float
    expires_at: datetime


class TicketBook:
    def __init__(self, ttl_s: float = 30.0, *, max_outstanding: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self._max = max_outstanding
        self._tickets: dict[str, Ticket] = {}
        self._used: dict[str, float] = {}

    def issue(self, target: str, purpose: str, user: str, organisation: str | None = None) -> Ticket:
        self._expire()
        if len(self._tickets) >= self._max:
            raise TicketError("too many outstanding stream tickets; try again shortly")
        value = secrets.token_urlsafe(32)
        ticket = Ticket(
            value=value,
            target=target,
            purpose=purpose,
            user=user,
            organisation=organisation,
            expires_monotonic=time.monotonic() + self.ttl_s,
            expires_at=datetime.now(UTC) + timedelta(seconds=self.ttl_s),
        )
        self._tickets[value] = ticket
        return ticket

    def redeem(self, value: str | None, target: str, purpose: str) -> Ticket:
        """Consumes the ticket; TicketError unless it is valid for exactly this target and purpose."""
        self._expire()
        if not value:
            raise TicketError("no stream ticket: get one from POST /api/video/streams/{id}/ticket")
        ticket = self._tickets.pop(value, None)
        if ticket is None:
            if value in self._used:
                raise TicketError("stream ticket already used (tickets are single-use)")
            raise TicketError("unknown or expired stream ticket")
        self._used[value] = time.monotonic() + self.ttl_s
        if ticket.target != target or ticket.purpose != purpose:
            raise TicketError(
                f"stream ticket is for {ticket.target} ({ticket.purpose}), not {target} ({purpose})"
            )
        return ticket

    def _expire(self) -> None:
        now = time.monotonic()
        for value in [v for v, t in self._tickets.items() if t.expires_monotonic <= now]:
            del self._tickets[value]
        for value in [v for v, until in self._used.items() if until <= now]:
            del self._used[value]
