"""Two aiosqlite connections (one writer, one reader) with explicit write transactions and readable errors.

Writes go through one connection, serialised by an asyncio lock and run as ``BEGIN IMMEDIATE`` so a
competing process makes us wait ``busy_timeout`` and then fail with :class:`StoreLockedError`, never a
half-applied change. Reads go through a second, ``query_only`` connection: under WAL each read sees the
last *committed* state, so a reader never observes the rows of a transaction that is still open on the
writer (or that is later rolled back), and reads do not queue behind writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from ground_station.store.errors import StoreError, translate_sqlite_error

Params = Sequence[Any] | dict[str, Any]


def to_db_time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; times must be timezone-aware UTC")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def required_db_time(row: sqlite3.Row, column: str) -> datetime:
    """A NOT NULL time column: NULL there means a damaged database, so it is an error naming the column."""
    value = from_db_time(row[column])
    if value is None:
        raise ValueError(f"column {column!r} is NULL where the schema requires a time")
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _open_reader(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
    """The read connection; ``query_only`` so a read path can never write by mistake."""
    reader = await aiosqlite.connect(str(path), timeout=busy_timeout_ms / 1000.0, isolation_level=None)
    reader.row_factory = sqlite3.Row
    try:
        await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await reader.execute("PRAGMA query_only = ON")
    except BaseException:
        await reader.close()
        raise
    return reader


class Database:
    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._reader: aiosqlite.Connection | None = None
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 5000) -> Database:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory of database {path}: {exc.strerror}") from None
        try:
            connection = await aiosqlite.connect(
                str(path), timeout=busy_timeout_ms / 1000.0, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, str(path)) from None
        connection.row_factory = sqlite3.Row
        database = cls(connection, path)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode_row = await (await connection.execute("PRAGMA journal_mode = WAL")).fetchone()
            if mode_row is None or str(mode_row[0]).lower() != "wal":
                raise StoreError(f"database {path}: could not switch to WAL journal mode")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await connection.execute("PRAGMA foreign_keys = ON")
            database._reader = await _open_reader(path, busy_timeout_ms)
        except sqlite3.Error as exc:
            await connection.close()
            raise translate_sqlite_error(exc, str(path)) from None
        return database

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self._connection.close()

    async def execute_pragma(self, sql: str) -> None:
        """For tests and maintenance (``PRAGMA max_page_count`` and the like)."""
        await self._connection.execute(sql)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        async with self._write_lock:
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, str(self.path)) from None
            try:
                yield self._connection
                await self._connection.execute("COMMIT")
            except BaseException as exc:
                try:
                    await self._connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise translate_sqlite_error(exc, str(self.path)) from None
                raise

    async def check_writable(self) -> None:
        """Takes and releases the write lock: raises StoreLockedError now rather than at the first write."""
        async with self.write():
            pass

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement in its own write transaction; returns the affected row count."""
        async with self.write() as connection:
            cursor = await connection.execute(sql, params)
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.write() as connection:
            await connection.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Committed rows only: runs on the read connection, never inside the writer's transaction."""
        reader = self._reader if self._reader is not None else self._connection
        try:
            return list(await reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, str(self.path)) from None

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None
