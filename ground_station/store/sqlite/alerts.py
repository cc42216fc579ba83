"""Alerts (acknowledgeable) and the audit log of accountable actions, in SQLite."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from ground_station.sharing.chain import GENESIS, ChainRow, row_hash
from ground_station.store.models import AlertRecord, AuditAction, AuditEntry
from ground_station.store.sqlite.database import Database, from_db_time, required_db_time, to_db_time


def _alert(row: sqlite3.Row) -> AlertRecord:
    at = required_db_time(row, "time_utc")
    return AlertRecord(
        alert_id=row["alert_id"],
        vehicle_id=row["vehicle_id"],
        kind=row["kind"],
        severity=row["severity"],
        message=row["message"],
        messages=json.loads(row["messages"]),
        time_utc=at,
        lon=row["lon"],
        lat=row["lat"],
        predicted=bool(row["predicted"]),
        zone_id=row["zone_id"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=from_db_time(row["acknowledged_at"]),
    )


class SqliteAlerts:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def upsert(self, alert: AlertRecord) -> None:
        await self._db.execute(
            "INSERT INTO alerts (alert_id, vehicle_id, kind, severity, message, messages, time_utc, "
            "lon, lat, predicted, zone_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(alert_id) DO UPDATE SET severity = excluded.severity, message = excluded.message, "
            "messages = excluded.messages, time_utc = excluded.time_utc, lon = excluded.lon, "
            "lat = excluded.lat, predicted = excluded.predicted",
            (
                alert.alert_id,
                alert.vehicle_id,
                alert.kind,
                alert.severity,
                alert.message,
                json.dumps(alert.messages, ensure_ascii=False),
                to_db_time(alert.time_utc),
                alert.lon,
                alert.lat,
                int(alert.predicted),
                alert.zone_id,
            ),
        )

    async def get(self, alert_id: str) -> AlertRecord | None:
        row = await self._db.fetch_one("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,))
        return _alert(row) if row else None

    async def find(
        self, vehicle_id: str | None = None, unacknowledged_only: bool = False, limit: int = 500
    ) -> list[AlertRecord]:
        clauses, params = [], []
        if vehicle_id is not None:
            clauses.append("vehicle_id = ?")
            params.append(vehicle_id)
        if unacknowledged_only:
            clauses.append("acknowledged_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.fetch_all(
            f"SELECT * FROM alerts {where} ORDER BY time_utc DESC LIMIT ?", (*params, limit)
        )
        return [_alert(r) for r in rows]

    async def acknowledge(self, alert_id: str, username: str, at: datetime) -> AlertRecord | None:
        await self._db.execute(
            "UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? "
            "WHERE alert_id = ? AND acknowledged_at IS NULL",
            (username, to_db_time(at), alert_id),
        )
        return await self.get(alert_id)


class SqliteAudit:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def append(self, entry: AuditEntry) -> AuditEntry:
        """Appends once per ``entry_id``: a replayed entry returns the row already stored."""
        time_text = to_db_time(entry.time_utc)
        detail_text = json.dumps(entry.detail, default=str)
        async with self._db.write() as connection:
            # checked before inserting: a conflicting INSERT would still use up an AUTOINCREMENT id
            existing = list(
                await connection.execute_fetchall(
                    "SELECT id FROM audit WHERE entry_id = ?", (entry.entry_id,)
                )
            )
            if existing and entry.entry_id is not None:
                new_id = existing[0][0]
            else:
                # the link is read inside the same write transaction: two appends never share a parent
                last = list(
                    await connection.execute_fetchall(
                        "SELECT row_hash FROM audit WHERE row_hash IS NOT NULL ORDER BY id DESC LIMIT 1"
                    )
                )
                prev_hash = last[0][0] if last else GENESIS
                action = entry.action.value
                fields = (time_text, entry.actor, action, entry.target, detail_text, entry.entry_id)
                cursor = await connection.execute(
                    "INSERT INTO audit (time_utc, actor, action, target, detail, entry_id, prev_hash, "
                    "row_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*fields, prev_hash, row_hash(*fields, prev_hash)),
                )
                new_id = cursor.lastrowid
        return AuditEntry(
            entry.time_utc, entry.actor, entry.action, entry.target, entry.detail, new_id, entry.entry_id
        )

    async def chain_rows(self, after_id: int = 0) -> list[ChainRow]:
        """Rows exactly as stored, for :func:`ground_station.sharing.chain.verify` and exports."""
        rows = await self._db.fetch_all(
            "SELECT id, time_utc, actor, action, target, detail, entry_id, prev_hash, row_hash FROM audit "
            "WHERE id > ? ORDER BY id",
            (after_id,),
        )
        return [ChainRow(*tuple(r)) for r in rows]

    async def head(self) -> tuple[int, str] | None:
        """The last chained row's id and hash: what is exchanged with partners."""
        row = await self._db.fetch_one(
            "SELECT id, row_hash FROM audit WHERE row_hash IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        return (int(row[0]), str(row[1])) if row else None

    async def find(
        self, action: AuditAction | None = None, limit: int = 500, *, draft_checks: bool = True
    ) -> list[AuditEntry]:
        """Newest first. ``draft_checks=False`` leaves out the planner's draft validations (one per edit),
        which would otherwise push commands and overrides out of a short list."""
        where: list[str] = []
        params: list[object] = []
        if action is not None:
            where.append("action = ?")
            params.append(action.value)
        if not draft_checks:
            where.append("NOT (action = ? AND json_extract(detail, '$.draft') IS 1)")
            params.append(AuditAction.MISSION_VALIDATED.value)
        condition = f"WHERE {' AND '.join(where)} " if where else ""
        rows = await self._db.fetch_all(
            f"SELECT * FROM audit {condition}ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [
            AuditEntry(
                required_db_time(r, "time_utc"),
                r["actor"],
                AuditAction(r["action"]),
                r["target"],
                json.loads(r["detail"]),
                r["id"],
                r["entry_id"],
            )
            for r in rows
        ]
