"""Creating users and checking passwords: the only place that sees clear-text passwords."""

from __future__ import annotations

import asyncio
import secrets
import string

from ground_station.auth.passwords import burn_verification_time, hash_password, verify_password
from ground_station.auth.roles import Role
from ground_station.store.models import Organisation, User
from ground_station.store.repositories import OrganisationRepository, UserRepository

USERNAME_ALPHABET = set(string.ascii_letters + string.digits + "._-@")


class InvalidUsernameError(ValueError):
    pass


def check_username(username: str) -> str:
    if not 2 <= len(username) <= 64 or not set(username) <= USERNAME_ALPHABET:
        raise InvalidUsernameError("user name must be 2-64 characters of letters, digits, '.', '_', '-', '@'")
    return username


def generate_password(length: int = 20) -> str:
    """A random password for demo and bootstrap users (printed once, stored only as a hash)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


async def create_user(
    users: UserRepository,
    organisations: OrganisationRepository,
    username: str,
    password: str,
    role: Role,
    organisation: Organisation,
) -> User:
    check_username(username)
    password_hash = await asyncio.to_thread(hash_password, password)
    await organisations.ensure(organisation)
    return await users.add(username, organisation.slug, role, password_hash)


async def authenticate(users: UserRepository, username: str, password: str) -> User | None:
    user = await users.by_username(username)
    if user is None:
        await asyncio.to_thread(burn_verification_time, password)
        return None
    if user.disabled or not await asyncio.to_thread(verify_password, user.password_hash, password):
        return None
    return user
