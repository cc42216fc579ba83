"""Passwords, the JWT secret file, access tokens and rotating refresh tokens."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from ground_station.auth.passwords import WeakPasswordError, hash_password, verify_password
from ground_station.auth.roles import ROLE_PERMISSIONS, Permission, Role, roles_with
from ground_station.auth.secret import SecretFileError, load_or_create_secret
from ground_station.auth.tokens import TokenError, TokenService
from ground_station.auth.users import InvalidUsernameError, authenticate, create_user, generate_password
from ground_station.store.models import Organisation
from ground_station.store.sqlite import open_sqlite_store


def test_argon2_hashes_verify_and_differ() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "correct horse battery")
    assert not verify_password(first, "wrong horse battery")
    assert not verify_password("not a hash", "x")
    with pytest.raises(WeakPasswordError):
        hash_password("short")


def test_secret_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jwt-secret"
    secret = load_or_create_secret(path)
    assert len(secret) >= 32 and oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_or_create_secret(path) == secret
    os.chmod(path, 0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        load_or_create_secret(path)
    os.chmod(path, 0o600)
    path.write_text("short")
    with pytest.raises(SecretFileError, match="shorter than"):
        load_or_create_secret(path)


def test_role_table() -> None:
    assert roles_with(Permission.OVERRIDE_VALIDATION) == {Role.COMMANDER, Role.ADMIN}
    assert roles_with(Permission.MANAGE_USERS) == {Role.ADMIN}
    assert Permission.COMMAND_VEHICLES not in ROLE_PERMISSIONS[Role.PARTNER_VIEWER]
    assert Permission.VIEW_MAP in ROLE_PERMISSIONS[Role.PARTNER_VIEWER]


def test_generated_passwords_are_random_and_long() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20 and all(len(p) == 20 for p in passwords)


async def test_login_access_and_refresh_rotation(tmp_path: Path) -> None:
    store = await open_sqlite_store(tmp_path / "db.sqlite3")
    org = Organisation("hzs", "HZS", "CZ")
    user = await create_user(store.users, store.organisations, "alice", "a-long-password", Role.PILOT, org)
    with pytest.raises(InvalidUsernameError):
        await create_user(store.users, store.organisations, "bad name", "a-long-password", Role.PILOT, org)
    assert await authenticate(store.users, "alice", "a-long-password") == user
    assert await authenticate(store.users, "alice", "wrong-password") is None
    assert await authenticate(store.users, "nobody", "a-long-password") is None

    tokens = TokenService(
        "s" * 48, timedelta(minutes=5), timedelta(days=1), store.users, store.refresh_tokens
    )
    issued = await tokens.issue(user)
    principal = await tokens.principal(issued.access_token)
    assert (principal.username, principal.organisation, principal.role) == ("alice", "hzs", Role.PILOT)

    _, rotated = await tokens.rotate(issued.refresh_token)
    assert rotated.refresh_token != issued.refresh_token
    with pytest.raises(TokenError, match="already used"):
        await tokens.rotate(issued.refresh_token)
    with pytest.raises(TokenError, match="already used"):  # reuse revoked the whole family
        await tokens.rotate(rotated.refresh_token)
    with pytest.raises(TokenError, match="unknown refresh token"):
        await tokens.rotate("x" * 40)

    other = TokenService("t" * 48, timedelta(minutes=5), timedelta(days=1), store.users, store.refresh_tokens)
    with pytest.raises(TokenError, match="invalid access token"):
        await other.principal(issued.access_token)
    expired = tokens.issue_access(user, now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(TokenError, match="expired"):
        await tokens.principal(expired)
    forged = jwt.encode(
        {**jwt.decode(issued.access_token, options={"verify_signature": False}), "typ": "refresh"},
        "s" * 48,
        algorithm="HS256",
    )
    with pytest.raises(TokenError, match="not an access token"):
        await tokens.principal(forged)
    await store.close()
