"""Flights, their full-rate tracks and events, in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from ground_station.store.models import Flight, FlightEvent, TrackPoint
from ground_station.store.sqlite.database import Database, from_db_time, required_db_time, to_db_time


def _flight(row: sqlite3.Row) -> Flight:
    started = required_db_time(row, "started_at")
    return Flight(
        id=row["id"],
        vehicle_id=row["vehicle_id"],
        started_at=started,
        ended_at=from_db_time(row["ended_at"]),
        tlog_path=row["tlog_path"],
        mission_id=row["mission_id"],
        mission_version=row["mission_version"],
    )


class SqliteFlights:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def start(self, flight: Flight) -> None:
        await self._db.execute(
            "INSERT INTO flights (id, vehicle_id, started_at, ended_at, tlog_path, mission_id, "
            "mission_version) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "tlog_path = COALESCE(excluded.tlog_path, flights.tlog_path)",
            (
                flight.id,
                flight.vehicle_id,
                to_db_time(flight.started_at),
                to_db_time(flight.ended_at) if flight.ended_at else None,
                flight.tlog_path,
                flight.mission_id,
                flight.mission_version,
            ),
        )

    async def end(self, flight_id: str, ended_at: datetime) -> None:
        await self._db.execute(
            "UPDATE flights SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            (to_db_time(ended_at), flight_id),
        )

    async def set_tlog(self, flight_id: str, tlog_path: str) -> None:
        await self._db.execute("UPDATE flights SET tlog_path = ? WHERE id = ?", (tlog_path, flight_id))

    async def set_mission(self, flight_id: str, mission_id: str, version: int) -> None:
        await self._db.execute(
            "UPDATE flights SET mission_id = ?, mission_version = ? WHERE id = ?",
            (mission_id, version, flight_id),
        )

    async def get(self, flight_id: str) -> Flight | None:
        row = await self._db.fetch_one("SELECT * FROM flights WHERE id = ?", (flight_id,))
        return _flight(row) if row else None

    async def find(self, vehicle_id: str | None = None, limit: int = 200) -> list[Flight]:
        if vehicle_id is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM flights ORDER BY started_at DESC LIMIT ?", (limit,)
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM flights WHERE vehicle_id = ? ORDER BY started_at DESC LIMIT ?",
                (vehicle_id, limit),
            )
        return [_flight(r) for r in rows]

    async def open_flight(self, vehicle_id: str) -> Flight | None:
        row = await self._db.fetch_one(
            "SELECT * FROM flights WHERE vehicle_id = ? AND ended_at IS NULL "
            "ORDER BY started_at DESC LIMIT 1",
            (vehicle_id,),
        )
        return _flight(row) if row else None

    async def add_track(self, points: Sequence[TrackPoint]) -> None:
        if not points:
            return
        await self._db.execute_many(
            "INSERT INTO track_points (vehicle_id, flight_id, time_utc, lon, lat, alt_amsl_m, alt_rel_m, "
            "vn_mps, ve_mps, vd_mps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.vehicle_id,
                    p.flight_id,
                    to_db_time(p.time_utc),
                    p.lon,
                    p.lat,
                    p.alt_amsl_m,
                    p.alt_rel_m,
                    p.vn_mps,
                    p.ve_mps,
                    p.vd_mps,
                )
                for p in points
            ],
        )

    async def track(self, flight_id: str) -> list[TrackPoint]:
        rows = await self._db.fetch_all(
            "SELECT * FROM track_points WHERE flight_id = ? ORDER BY time_utc, id", (flight_id,)
        )
        return [
            TrackPoint(
                r["vehicle_id"],
                r["flight_id"],
                required_db_time(r, "time_utc"),
                r["lon"],
                r["lat"],
                r["alt_amsl_m"],
                r["alt_rel_m"],
                r["vn_mps"],
                r["ve_mps"],
                r["vd_mps"],
            )
            for r in rows
        ]

    async def track_count(self, vehicle_id: str | None = None) -> int:
        if vehicle_id is None:
            row = await self._db.fetch_one("SELECT COUNT(*) FROM track_points")
        else:
            row = await self._db.fetch_one(
                "SELECT COUNT(*) FROM track_points WHERE vehicle_id = ?", (vehicle_id,)
            )
        return int(row[0]) if row else 0

    async def add_event(self, event: FlightEvent) -> None:
        await self._db.execute(
            "INSERT INTO flight_events (vehicle_id, flight_id, kind, time_utc, detail, entry_id) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(entry_id) DO NOTHING",
            (
                event.vehicle_id,
                event.flight_id,
                event.kind,
                to_db_time(event.time_utc),
                event.detail,
                event.entry_id,
            ),
        )

    async def events(self, flight_id: str) -> list[FlightEvent]:
        rows = await self._db.fetch_all(
            "SELECT * FROM flight_events WHERE flight_id = ? ORDER BY time_utc, id", (flight_id,)
        )
        return [
            FlightEvent(
                r["vehicle_id"], r["flight_id"], r["kind"], required_db_time(r, "time_utc"), r["detail"]
            )
            for r in rows
        ]
