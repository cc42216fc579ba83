"""Agreements and incidents in the station's SQLite file (tables from migration 3).

Bodies are stored as the models' JSON: the model is the schema, and an old row reads back exactly as it
was agreed. Nothing is deleted: revoking an agreement or closing an incident sets a time.
"""

from __future__ import annotations

from datetime import datetime

from ground_station.sharing.model import Agreement, FlightPermit, Incident
from ground_station.store.sqlite.database import Database, to_db_time


class SharingRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_agreement(self, agreement: Agreement, created_by: str, at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO sharing_agreements (id, partner, body, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (agreement.id, agreement.partner, agreement.model_dump_json(), created_by, to_db_time(at)),
        )

    async def revoke_agreement(self, agreement_id: str, at: datetime) -> Agreement | None:
        current = await self.agreement(agreement_id)
        if current is None or current.revoked_at is not None:
            return current
        revoked = current.model_copy(update={"revoked_at": at})
        await self._db.execute(
            "UPDATE sharing_agreements SET body = ?, revoked_at = ? WHERE id = ?",
            (revoked.model_dump_json(), to_db_time(at), agreement_id),
        )
        return revoked

    async def agreement(self, agreement_id: str) -> Agreement | None:
        row = await self._db.fetch_one("SELECT body FROM sharing_agreements WHERE id = ?", (agreement_id,))
        return Agreement.model_validate_json(row[0]) if row else None

    async def agreements(self) -> list[Agreement]:
        rows = await self._db.fetch_all("SELECT body FROM sharing_agreements ORDER BY created_at, id")
        return [Agreement.model_validate_json(r[0]) for r in rows]

    async def add_incident(self, incident: Incident, at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO incidents (id, organisation, body, declared_at) VALUES (?, ?, ?, ?)",
            (incident.id, incident.organisation, incident.model_dump_json(), to_db_time(at)),
        )

    async def _save_incident(self, incident: Incident) -> None:
        await self._db.execute(
            "UPDATE incidents SET body = ?, closed_at = ? WHERE id = ?",
            (
                incident.model_dump_json(),
                to_db_time(incident.closed_at) if incident.closed_at else None,
                incident.id,
            ),
        )

    async def close_incident(self, incident_id: str, at: datetime) -> Incident | None:
        current = await self.incident(incident_id)
        if current is None or current.closed_at is not None:
            return current
        closed = current.model_copy(update={"closed_at": at})
        await self._save_incident(closed)
        return closed

    async def add_permit(self, incident_id: str, permit: FlightPermit) -> Incident | None:
        current = await self.incident(incident_id)
        if current is None:
            return None
        updated = current.model_copy(update={"permits": (*current.permits, permit)})
        await self._save_incident(updated)
        return updated

    async def incident(self, incident_id: str) -> Incident | None:
        row = await self._db.fetch_one("SELECT body FROM incidents WHERE id = ?", (incident_id,))
        return Incident.model_validate_json(row[0]) if row else None

    async def incidents(self) -> list[Incident]:
        rows = await self._db.fetch_all("SELECT body FROM incidents ORDER BY declared_at, id")
        return [Incident.model_validate_json(r[0]) for r in rows]
