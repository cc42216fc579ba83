"""Persistence behind small per-aggregate repository protocols (SQLite now, PostgreSQL/PostGIS later)."""
