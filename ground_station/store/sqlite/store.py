"""Opens the SQLite file, migrates it and exposes one repository per aggregate."""

from __future__ import annotations

from pathlib import Path

from ground_station.store.sqlite.alerts import SqliteAlerts, SqliteAudit
from ground_station.store.sqlite.database import Database
from ground_station.store.sqlite.detections import SqliteDetections
from ground_station.store.sqlite.flights import SqliteFlights
from ground_station.store.sqlite.migrations import migrate
from ground_station.store.sqlite.missions import SqliteMissions
from ground_station.store.sqlite.users import SqliteOrganisations, SqliteRefreshTokens, SqliteUsers


class SqliteStore:
    def __init__(self, database: Database, schema_version: int) -> None:
        self.database = database
        self.schema_version = schema_version
        self.organisations = SqliteOrganisations(database)
        self.users = SqliteUsers(database)
        self.refresh_tokens = SqliteRefreshTokens(database)
        self.missions = SqliteMissions(database)
        self.flights = SqliteFlights(database)
        self.alerts = SqliteAlerts(database)
        self.audit = SqliteAudit(database)
        self.detections = SqliteDetections(database)

    @property
    def path(self) -> Path:
        return self.database.path

    async def ping(self) -> None:
        """A cheap read on the read connection; raises StoreError when the database cannot be read."""
        await self.database.fetch_one("SELECT 1")

    async def check_writable(self) -> None:
        """Takes and releases the write lock; raises StoreError when writes are refused (locked)."""
        await self.database.check_writable()

    async def close(self) -> None:
        await self.database.close()


async def open_sqlite_store(path: Path, busy_timeout_ms: int = 5000) -> SqliteStore:
    """Opens (creating if needed) and migrates the database; errors are :class:`StoreError` subclasses."""
    database = await Database.open(path, busy_timeout_ms)
    try:
        version = await migrate(database)
    except BaseException:
        await database.close()
        raise
    return SqliteStore(database, version)
