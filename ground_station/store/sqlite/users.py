"""Organisations, users and refresh tokens in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ground_station.auth.roles import Role
from ground_station.store.errors import ConflictError
from ground_station.store.models import Organisation, RefreshTokenRecord, User
from ground_station.store.sqlite.database import Database, from_db_time, required_db_time, to_db_time, utc_now


class SqliteOrganisations:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def ensure(self, organisation: Organisation) -> Organisation:
        await self._db.execute(
            "INSERT INTO organisations (slug, name, country) VALUES (?, ?, ?) ON CONFLICT(slug) DO NOTHING",
            (organisation.slug, organisation.name, organisation.country),
        )
        stored = await self.get(organisation.slug)
        assert stored is not None
        return stored

    async def get(self, slug: str) -> Organisation | None:
        row = await self._db.fetch_one("SELECT * FROM organisations WHERE slug = ?", (slug,))
        return Organisation(row["slug"], row["name"], row["country"]) if row else None

    async def find(self) -> list[Organisation]:
        rows = await self._db.fetch_all("SELECT * FROM organisations ORDER BY slug")
        return [Organisation(r["slug"], r["name"], r["country"]) for r in rows]


def _user(row: sqlite3.Row) -> User:
    created = required_db_time(row, "created_at")
    return User(
        id=row["id"],
        username=row["username"],
        organisation=row["organisation"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        created_at=created,
        disabled=bool(row["disabled"]),
    )


class SqliteUsers:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, username: str, organisation: str, role: Role, password_hash: str) -> User:
        async with self._db.write() as connection:
            org = await (
                await connection.execute("SELECT 1 FROM organisations WHERE slug = ?", (organisation,))
            ).fetchone()
            if org is None:
                raise ConflictError(f"organisation {organisation!r} does not exist")
            taken = await (
                await connection.execute("SELECT 1 FROM users WHERE username = ?", (username,))
            ).fetchone()
            if taken is not None:
                raise ConflictError(f"user {username!r} already exists")
            await connection.execute(
                "INSERT INTO users (username, organisation, role, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (username, organisation, role.value, password_hash, to_db_time(utc_now())),
            )
        user = await self.by_username(username)
        assert user is not None
        return user

    async def by_username(self, username: str) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE username = ?", (username,))
        return _user(row) if row else None

    async def by_id(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def find(self) -> list[User]:
        return [_user(r) for r in await self._db.fetch_all("SELECT * FROM users ORDER BY id")]

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    async def set_disabled(self, user_id: int, disabled: bool) -> bool:
        changed = await self._db.execute(
            "UPDATE users SET disabled = ? WHERE id = ?", (1 if disabled else 0, user_id)
        )
        return changed == 1

    async def set_role(self, user_id: int, role: Role) -> bool:
        changed = await self._db.execute("UPDATE users SET role = ? WHERE id = ?", (role.value, user_id))
        return changed == 1

    async def delete(self, user_id: int) -> bool:
        """Removes the user and their refresh tokens; audit rows keep the name as text."""
        async with self._db.write() as connection:
            await connection.execute("DELETE FROM refresh_tokens WHERE user_id = ?", (user_id,))
            cursor = await connection.execute("DELETE FROM users WHERE id = ?", (user_id,))
            return cursor.rowcount == 1

    async def count(self) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0


def _token(row: sqlite3.Row) -> RefreshTokenRecord:
    issued = required_db_time(row, "issued_at")
    expires = required_db_time(row, "expires_at")
    return RefreshTokenRecord(
        token_hash=row["token_hash"],
        user_id=row["user_id"],
        family_id=row["family_id"],
        issued_at=issued,
        expires_at=expires,
        revoked_at=from_db_time(row["revoked_at"]),
    )


class SqliteRefreshTokens:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, record: RefreshTokenRecord) -> None:
        await self._db.execute(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, issued_at, expires_at, revoked_at) "
            "VALUES (?, ?, ?, ?, ?, NULL)",
            (
                record.token_hash,
                record.user_id,
                record.family_id,
                to_db_time(record.issued_at),
                to_db_time(record.expires_at),
            ),
        )

    async def get(self, token_hash: str) -> RefreshTokenRecord | None:
        row = await self._db.fetch_one("SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash,))
        return _token(row) if row else None

    async def revoke(self, token_hash: str, at: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            (to_db_time(at), token_hash),
        )
        return changed == 1

    async def revoke_user(self, user_id: int, at: datetime) -> int:
        """Revokes every live refresh token of a user (logs them out everywhere); returns how many."""
        return await self._db.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (to_db_time(at), user_id),
        )

    async def family_active(self, family_id: str, at: datetime) -> bool:
        """Whether the login still holds a usable refresh token (``rotate`` adds the new one first)."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL AND expires_at > ? "
            "LIMIT 1",
            (family_id, to_db_time(at)),
        )
        return row is not None

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._db.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            (to_db_time(at), family_id),
        )
