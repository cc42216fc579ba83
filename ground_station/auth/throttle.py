"""Login throttling: each failure for one (account, client address) makes the next try wait longer.

Argon2 makes each guess cost the station ~50 ms of CPU; without a limit, one client can still try
thousands of passwords an hour against one account. After ``free_failures`` failures the pair must wait
``base_delay_s`` x 2^(n - free_failures - 1), capped at ``max_delay_s``; tries during the wait are
answered 429 with ``Retry-After`` without checking the password. There is no hard lock-out, so an
attacker cannot lock a real user out, and the right user from another address is not slowed at all.
A success forgets the pair; pairs quiet for ``forget_after_s`` are forgotten, and the table is bounded.

Audit rows stay bounded too: a failure is audited while the pair is under ``free_failures`` and then
only at 2^k failures, with the count (and the refused tries in between) in the row's detail.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ground_station.auth.clock import Clock

Key = tuple[str, str]


@dataclass(frozen=True)
class ThrottleSettings:
    free_failures: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    forget_after_s: float = 24 * 3600.0
    max_entries: int = 100_000


@dataclass
class _Entry:
    failures: int = 0
    refused: int = 0
    blocked_until: datetime | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True)
class Failure:
    failures: int
    refused_since_last_audit: int
    delay_s: float
    audit: bool
    """Whether this failure deserves an audit row (bounded: under the free count, then at 2^k)."""


class LoginThrottle:
    def __init__(self, clock: Clock, settings: ThrottleSettings | None = None) -> None:
        self.clock = clock
        self.settings = settings or ThrottleSettings()
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()

    @staticmethod
    def key(username: str, client: str) -> Key:
        return username.strip().lower()[:64], client

    def _entry(self, key: Key) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock.now()
        if entry.last_seen is not None and now - entry.last_seen > timedelta(
            seconds=self.settings.forget_after_s
        ):
            del self._entries[key]
            return None
        return entry

    def retry_after_s(self, key: Key) -> int | None:
        """Whole seconds to wait (for ``Retry-After``), or None when a try is allowed now."""
        entry = self._entry(key)
        if entry is None or entry.blocked_until is None:
            return None
        remaining = (entry.blocked_until - self.clock.now()).total_seconds()
        if remaining <= 0:
            return None
        entry.refused += 1
        return max(1, math.ceil(remaining))

    def failed(self, key: Key) -> Failure:
        now = self.clock.now()
        entry = self._entry(key) or _Entry()
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.settings.max_entries:
            self._entries.popitem(last=False)
        entry.failures += 1
        entry.last_seen = now
        s = self.settings
        over = entry.failures - s.free_failures
        delay = 0.0 if over <= 0 else min(s.max_delay_s, s.base_delay_s * 2 ** min(over - 1, 30))
        entry.blocked_until = now + timedelta(seconds=delay) if delay else None
        audit = entry.failures <= s.free_failures or entry.failures & (entry.failures - 1) == 0
        refused = entry.refused
        if audit:
            entry.refused = 0
        return Failure(entry.failures, refused, delay, audit)

    def succeeded(self, key: Key) -> None:
        self._entries.pop(key, None)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: list[str]) -> str:
    """The client's address: ``X-Forwarded-For`` is believed only when the peer is a trusted proxy,
    and then only up to the first address (from the right) that is not itself a trusted proxy."""
    if peer is None:
        return "unknown"
    networks = []
    for proxy in trusted_proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            continue

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not forwarded_for or not trusted(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed header from behind the proxy: fall back to the proxy
    return peer
