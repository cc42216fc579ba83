"""Missions with immutable versions, their validation results and approvals, in SQLite."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from ground_station.store.errors import NotFoundError
from ground_station.store.models import Approval, MissionSummary, MissionVersion, ValidationRecord
from ground_station.store.sqlite.database import Database, required_db_time, to_db_time, utc_now


def _summary(row: sqlite3.Row) -> MissionSummary:
    created, updated = required_db_time(row, "created_at"), required_db_time(row, "updated_at")
    return MissionSummary(
        id=row["id"],
        organisation=row["organisation"],
        name=row["name"],
        latest_version=int(row["latest_version"]),
        created_by=row["created_by"],
        created_at=created,
        updated_at=updated,
    )


def _version(row: sqlite3.Row) -> MissionVersion:
    created = required_db_time(row, "created_at")
    return MissionVersion(
        mission_id=row["mission_id"],
        version=int(row["version"]),
        body=json.loads(row["body"]),
        created_by=row["created_by"],
        created_at=created,
    )


_SUMMARY_SQL = (
    "SELECT m.*, (SELECT MAX(version) FROM mission_versions v WHERE v.mission_id = m.id) AS latest_version "
    "FROM missions m WHERE m.deleted_at IS NULL"
)


class SqliteMissions:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(
        self, organisation: str, name: str, body: dict[str, Any], created_by: str
    ) -> MissionVersion:
        mission_id = uuid.uuid4().hex
        now = to_db_time(utc_now())
        async with self._db.write() as connection:
            await connection.execute(
                "INSERT INTO missions (id, organisation, name, created_by, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (mission_id, organisation, name, created_by, now, now),
            )
            await connection.execute(
                "INSERT INTO mission_versions (mission_id, version, body, created_by, created_at) "
                "VALUES (?, 1, ?, ?, ?)",
                (mission_id, json.dumps(body), created_by, now),
            )
        version = await self.get_version(mission_id, 1)
        assert version is not None
        return version

    async def add_version(self, mission_id: str, body: dict[str, Any], created_by: str) -> MissionVersion:
        now = to_db_time(utc_now())
        async with self._db.write() as connection:
            row = await (
                await connection.execute(
                    "SELECT (SELECT MAX(version) FROM mission_versions WHERE mission_id = m.id) "
                    "FROM missions m WHERE m.id = ? AND m.deleted_at IS NULL",
                    (mission_id,),
                )
            ).fetchone()
            if row is None:
                raise NotFoundError(f"mission {mission_id!r} not found")
            next_version = int(row[0]) + 1
            name = body.get("name")
            await connection.execute(
                "INSERT INTO mission_versions (mission_id, version, body, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (mission_id, next_version, json.dumps(body), created_by, now),
            )
            await connection.execute(
                "UPDATE missions SET updated_at = ?, name = COALESCE(?, name) WHERE id = ?",
                (now, name if isinstance(name, str) else None, mission_id),
            )
        version = await self.get_version(mission_id, next_version)
        assert version is not None
        return version

    async def get_summary(self, mission_id: str) -> MissionSummary | None:
        row = await self._db.fetch_one(_SUMMARY_SQL + " AND m.id = ?", (mission_id,))
        return _summary(row) if row else None

    async def get_version(self, mission_id: str, version: int | None = None) -> MissionVersion | None:
        if version is None:
            row = await self._db.fetch_one(
                "SELECT v.* FROM mission_versions v JOIN missions m ON m.id = v.mission_id "
                "WHERE v.mission_id = ? AND m.deleted_at IS NULL ORDER BY v.version DESC LIMIT 1",
                (mission_id,),
            )
        else:
            row = await self._db.fetch_one(
                "SELECT v.* FROM mission_versions v JOIN missions m ON m.id = v.mission_id "
                "WHERE v.mission_id = ? AND v.version = ? AND m.deleted_at IS NULL",
                (mission_id, version),
            )
        return _version(row) if row else None

    async def find(self, organisation: str | None = None) -> list[MissionSummary]:
        if organisation is None:
            rows = await self._db.fetch_all(_SUMMARY_SQL + " ORDER BY m.updated_at DESC")
        else:
            rows = await self._db.fetch_all(
                _SUMMARY_SQL + " AND m.organisation = ? ORDER BY m.updated_at DESC", (organisation,)
            )
        return [_summary(r) for r in rows]

    async def versions(self, mission_id: str) -> list[MissionVersion]:
        rows = await self._db.fetch_all(
            "SELECT * FROM mission_versions WHERE mission_id = ? ORDER BY version", (mission_id,)
        )
        return [_version(r) for r in rows]

    async def delete(self, mission_id: str) -> bool:
        """Soft delete: versions, validations and approvals stay for the record."""
        changed = await self._db.execute(
            "UPDATE missions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            (to_db_time(utc_now()), mission_id),
        )
        return changed == 1

    async def record_validation(self, record: ValidationRecord) -> None:
        await self._db.execute(
            "INSERT INTO mission_validations (mission_id, version, ok, violations, region, validated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.mission_id,
                record.version,
                int(record.ok),
                json.dumps(record.violations),
                record.region,
                to_db_time(record.validated_at),
            ),
        )

    async def validations(self, mission_id: str) -> list[ValidationRecord]:
        rows = await self._db.fetch_all(
            "SELECT * FROM mission_validations WHERE mission_id = ? ORDER BY id", (mission_id,)
        )
        return [
            ValidationRecord(
                r["mission_id"],
                int(r["version"]),
                bool(r["ok"]),
                json.loads(r["violations"]),
                r["region"],
                required_db_time(r, "validated_at"),
            )
            for r in rows
        ]

    async def record_approval(self, approval: Approval) -> None:
        await self._db.execute(
            "INSERT INTO mission_approvals "
            "(mission_id, version, vehicle_id, approved_by, approved_at, override, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                approval.mission_id,
                approval.version,
                approval.vehicle_id,
                approval.approved_by,
                to_db_time(approval.approved_at),
                int(approval.override),
                approval.reason,
            ),
        )

    async def approvals(self, mission_id: str) -> list[Approval]:
        rows = await self._db.fetch_all(
            "SELECT * FROM mission_approvals WHERE mission_id = ? ORDER BY id", (mission_id,)
        )
        return self._approvals(rows)

    async def latest_approvals(self) -> dict[str, Approval]:
        rows = await self._db.fetch_all(
            "SELECT * FROM mission_approvals "
            "WHERE id IN (SELECT MAX(id) FROM mission_approvals GROUP BY vehicle_id)"
        )
        return {a.vehicle_id: a for a in self._approvals(rows)}

    @staticmethod
    def _approvals(rows: list[sqlite3.Row]) -> list[Approval]:
        return [
            Approval(
                r["mission_id"],
                int(r["version"]),
                r["vehicle_id"],
                r["approved_by"],
                required_db_time(r, "approved_at"),
                bool(r["override"]),
                r["reason"],
            )
            for r in rows
        ]
