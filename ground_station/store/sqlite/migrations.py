"""Versioned schema migrations: append new ones, never edit an applied one.

Each migration runs in one transaction together with the bump of ``PRAGMA user_version``, so a crash
mid-migration leaves the previous schema intact and the next start simply applies it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from ground_station.store.errors import StoreError
from ground_station.store.sqlite.database import Database, to_db_time, utc_now


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "organisations, users, tokens, missions, flights, track, alerts, audit",
        (
            """CREATE TABLE schema_migrations (
                version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)""",
            """CREATE TABLE organisations (
                slug TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL)""",
            """CREATE TABLE users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                username TEXT NOT NULL UNIQUE,
                organisation TEXT NOT NULL REFERENCES organisations(slug),
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id),
                family_id TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                revoked_at TEXT)""",
            "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id)",
            """CREATE TABLE missions (
                id TEXT PRIMARY KEY,
                organisation TEXT NOT NULL,
                name TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                deleted_at TEXT)""",
            """CREATE TABLE mission_versions (
                mission_id TEXT NOT NULL REFERENCES missions(id),
                version INTEGER NOT NULL,
                body TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (mission_id, version))""",
            """CREATE TABLE mission_validations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                mission_id TEXT NOT NULL REFERENCES missions(id),
                version INTEGER NOT NULL,
                ok INTEGER NOT NULL,
                violations TEXT NOT NULL,
                region TEXT NOT NULL,
                validated_at TEXT NOT NULL)""",
            """CREATE TABLE mission_approvals (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                mission_id TEXT NOT NULL REFERENCES missions(id),
                version INTEGER NOT NULL,
                vehicle_id TEXT NOT NULL,
                approved_by TEXT NOT NULL,
                approved_at TEXT NOT NULL,
                override INTEGER NOT NULL,
                reason TEXT)""",
            """CREATE TABLE flights (
                id TEXT PRIMARY KEY,
                vehicle_id TEXT NOT NULL,
                started_at TEXT NOT NULL,
                ended_at TEXT,
                tlog_path TEXT,
                mission_id TEXT,
                mission_version INTEGER)""",
            "CREATE INDEX flights_vehicle ON flights(vehicle_id, started_at)",
            """CREATE TABLE track_points (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                vehicle_id TEXT NOT NULL,
                flight_id TEXT,
                time_utc TEXT NOT NULL,
                lon REAL NOT NULL, lat REAL NOT NULL,
                alt_amsl_m REAL NOT NULL, alt_rel_m REAL NOT NULL,
                vn_mps REAL NOT NULL, ve_mps REAL NOT NULL, vd_mps REAL NOT NULL)""",
            "CREATE INDEX track_points_flight ON track_points(flight_id, time_utc)",
            """CREATE TABLE flight_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                vehicle_id TEXT NOT NULL,
                flight_id TEXT,
                kind TEXT NOT NULL,
                time_utc TEXT NOT NULL,
                detail TEXT)""",
            "CREATE INDEX flight_events_flight ON flight_events(flight_id, time_utc)",
            """CREATE TABLE alerts (
                alert_id TEXT PRIMARY KEY,
                vehicle_id TEXT,
                kind TEXT NOT NULL,
                severity TEXT NOT NULL,
                message TEXT NOT NULL,
                messages TEXT NOT NULL,
                time_utc TEXT NOT NULL,
                lon REAL, lat REAL,
                predicted INTEGER NOT NULL,
                zone_id TEXT,
                acknowledged_by TEXT,
                acknowledged_at TEXT)""",
            "CREATE INDEX alerts_time ON alerts(time_utc)",
            """CREATE TABLE audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                time_utc TEXT NOT NULL,
                actor TEXT,
                action TEXT NOT NULL,
                target TEXT,
                detail TEXT NOT NULL)""",
        ),
    ),
    Migration(
        2,
        "idempotency keys for audit rows and flight events replayed from the spill journal",
        (
            "ALTER TABLE audit ADD COLUMN entry_id TEXT",
            "CREATE UNIQUE INDEX audit_entry_id ON audit(entry_id)",
            "ALTER TABLE flight_events ADD COLUMN entry_id TEXT",
            "CREATE UNIQUE INDEX flight_events_entry_id ON flight_events(entry_id)",
        ),
    ),
    Migration(
        3,
        "cross-border sharing: hash-chained audit rows, agreements, incidents (issue 16)",
        (
            "ALTER TABLE audit ADD COLUMN prev_hash TEXT",
            "ALTER TABLE audit ADD COLUMN row_hash TEXT",
            """CREATE TABLE sharing_agreements (
                id TEXT PRIMARY KEY, partner TEXT NOT NULL, body TEXT NOT NULL,
                created_by TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)""",
            """CREATE TABLE incidents (
                id TEXT PRIMARY KEY, organisation TEXT NOT NULL, body TEXT NOT NULL,
                declared_at TEXT NOT NULL, closed_at TEXT)""",
        ),
    ),
    Migration(
        4,
        "geo-located detections of people and vehicles from the cameras (issue 13)",
        (
            """CREATE TABLE detections (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                camera_id TEXT NOT NULL,
                frame_seq INTEGER NOT NULL,
                time_utc TEXT NOT NULL,
                track_id INTEGER NOT NULL,
                kind TEXT NOT NULL,
                lon REAL NOT NULL, lat REAL NOT NULL, alt_amsl_m REAL NOT NULL,
                uncertainty_m REAL NOT NULL, range_m REAL NOT NULL, score REAL NOT NULL)""",
            "CREATE INDEX detections_camera_time ON detections(camera_id, time_utc)",
            "CREATE INDEX detections_time ON detections(time_utc)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


async def schema_version(database: Database) -> int:
    row = await database.fetch_one("PRAGMA user_version")
    return int(row[0]) if row else 0


async def migrate(database: Database) -> int:
    """Applies every pending migration; returns the resulting schema version."""
    current = await schema_version(database)
    if current > LATEST_VERSION:
        raise StoreError(
            f"database {database.path} has schema version {current}, newer than this borderwatch "
            f"({LATEST_VERSION}); upgrade borderwatch instead of downgrading the database"
        )
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        async with database.write() as connection:
            for statement in migration.statements:
                await connection.execute(statement)
            await connection.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, to_db_time(utc_now())),
            )
            await connection.execute(f"PRAGMA user_version = {migration.version}")
        current = migration.version
    return current
