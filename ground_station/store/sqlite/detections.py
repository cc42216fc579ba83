"""Geo-located detections in SQLite: one row per person/vehicle per detector run.

Rows are written in batches (one transaction per batch, all or nothing) and pruned by age in bounded
transactions, so a retention pass never holds the write lock for long.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ground_station.store.models import DetectionQuery, DetectionRecord
from ground_station.store.sqlite.database import Database, required_db_time, to_db_time

_COLUMNS = (
    "camera_id, frame_seq, time_utc, track_id, kind, lon, lat, alt_amsl_m, uncertainty_m, range_m, score"
)


def _record(row: sqlite3.Row) -> DetectionRecord:
    return DetectionRecord(
        camera_id=row["camera_id"],
        frame_seq=row["frame_seq"],
        time_utc=required_db_time(row, "time_utc"),
        track_id=row["track_id"],
        kind=row["kind"],
        lon=row["lon"],
        lat=row["lat"],
        alt_amsl_m=row["alt_amsl_m"],
        uncertainty_m=row["uncertainty_m"],
        range_m=row["range_m"],
        score=row["score"],
    )


class SqliteDetections:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, records: Sequence[DetectionRecord]) -> None:
        if not records:
            return
        await self._db.execute_many(
            f"INSERT INTO detections ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.camera_id,
                    r.frame_seq,
                    to_db_time(r.time_utc),
                    r.track_id,
                    r.kind,
                    r.lon,
                    r.lat,
                    r.alt_amsl_m,
                    r.uncertainty_m,
                    r.range_m,
                    r.score,
                )
                for r in records
            ],
        )

    async def find(self, query: DetectionQuery) -> list[DetectionRecord]:
        """The newest ``query.limit`` rows that match, returned oldest first."""
        where: list[str] = []
        params: list[Any] = []
        if query.camera_id is not None:
            where.append("camera_id = ?")
            params.append(query.camera_id)
        if query.since is not None:
            where.append("time_utc >= ?")
            params.append(to_db_time(query.since))
        if query.until is not None:
            where.append("time_utc < ?")
            params.append(to_db_time(query.until))
        if query.bbox is not None:
            west, south, east, north = query.bbox
            where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
            params += [west, east, south, north]
        if query.kinds is not None:
            kinds = sorted(query.kinds)
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params += kinds
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        if not query.limit_runs:
            rows = await self._db.fetch_all(
                f"SELECT {_COLUMNS} FROM detections {clause} ORDER BY time_utc DESC, id DESC LIMIT ?",
                (*params, query.limit),
            )
            return [_record(r) for r in reversed(rows)]
        runs = (
            f"SELECT DISTINCT camera_id, time_utc, frame_seq FROM detections {clause} "
            "ORDER BY time_utc DESC, frame_seq DESC LIMIT ?"
        )
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM detections {clause} {'AND' if where else 'WHERE'} "
            f"(camera_id, time_utc, frame_seq) IN ({runs}) ORDER BY time_utc, frame_seq, id",
            (*params, *params, query.limit),
        )
        return [_record(r) for r in rows]

    async def delete_before(self, cutoff: datetime, batch: int = 10_000) -> int:
        deleted = 0
        while True:
            count = await self._db.execute(
                "DELETE FROM detections WHERE id IN "
                "(SELECT id FROM detections WHERE time_utc < ? ORDER BY time_utc LIMIT ?)",
                (to_db_time(cutoff), batch),
            )
            deleted += count
            if count < batch:
                return deleted

    async def count(self, camera_id: str | None = None) -> int:
        if camera_id is None:
            row = await self._db.fetch_one("SELECT COUNT(*) FROM detections")
        else:
            row = await self._db.fetch_one(
                "SELECT COUNT(*) FROM detections WHERE camera_id = ?", (camera_id,)
            )
        return int(row[0]) if row else 0
