"""The SQLite implementation of the store: one file, WAL, versioned migrations."""

from ground_station.store.sqlite.store import SqliteStore, open_sqlite_store

__all__ = ["SqliteStore", "open_sqlite_store"]
