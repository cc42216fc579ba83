"""Storage failures the service reports to people instead of crashing (locked database, full disk)."""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """Base class of every storage failure raised on purpose; the message says what to do."""


class StoreLockedError(StoreError):
    """Another process holds a write lock for longer than the configured busy timeout."""


class StoreFullError(StoreError):
    """The disk (or the database's page limit) is full; nothing committed before is lost."""


class StoreCorruptError(StoreError):
    """The database file is not a usable SQLite database."""


class NotFoundError(StoreError):
    """The addressed record does not exist."""


class ConflictError(StoreError):
    """The write would break a uniqueness or version rule (for example a duplicate user name)."""


def translate_sqlite_error(exc: sqlite3.Error, path: str) -> StoreError:
    """Maps SQLite's errors to the few cases the service treats differently."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreLockedError(f"database {path} is locked by another process; write refused, retry later")
    if "full" in text or "disk i/o" in text:
        return StoreFullError(f"database {path}: disk full ({exc}); already stored data is intact")
    if "not a database" in text or "malformed" in text:
        return StoreCorruptError(f"database {path} is not a usable SQLite database ({exc})")
    if isinstance(exc, sqlite3.IntegrityError):
        return ConflictError(str(exc))
    return StoreError(f"database {path}: {exc}")
