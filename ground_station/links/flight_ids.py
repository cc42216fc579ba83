"""Flight ids: readable, sortable by start time, and unique even for flights started in the same second.

The old ``<vehicle>-<YYYYmmddTHHMMSS>Z`` collided when a vehicle (or a spoofer) armed twice within one
second, and the store's upsert then merged two flights into one row. Milliseconds plus a per-process
counter plus random bits keep ids unique across restarts and across stations sharing a database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

_COUNTER = itertools.count()


def new_flight_id(vehicle_id: str, started: dt.datetime) -> str:
    """``<vehicle>-<YYYYmmddTHHMMSS.mmm>Z-<counter><random>``; 8 hex characters of suffix."""
    stamp = started.astimezone(dt.UTC)
    suffix = f"{next(_COUNTER) & 0xFFFF:04x}{secrets.token_hex(2)}"
    return f"{vehicle_id}-{stamp:%Y%m%dT%H%M%S}.{stamp.microsecond // 1000:03d}Z-{suffix}"
