"""Ending or changing an account: disable, delete, change role, revoke sessions.

One place for the API and the CLI, so both do the same three things in the same order: write the audit
row (before the change, so no change is ever made without its record; the API passes its durable
auditor, the CLI writes to the store), change the store (refresh tokens revoked, so no new access token
can be minted), and tell open sessions on the bus (``auth`` topic) so WebSockets close at once instead
of at token expiry.
The CLI runs in another process with no bus; the service's sockets then notice on their periodic
re-check (``SESSION_RECHECK_S`` in the WebSocket route).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ground_station.auth.roles import Role
from ground_station.bus.base import Bus
from ground_station.bus.catalogue import topic_for
from ground_station.bus.messages import AccessChange, AccessChangedMsg
from ground_station.store.models import AuditAction, AuditEntry, User
from ground_station.store.repositories import Store

Auditor = Callable[[AuditAction, str, dict[str, Any]], Awaitable[None]]
"""Records (action, target user, detail) durably, or raises so the change is not made."""


def store_auditor(store: Store, actor: str | None, now: datetime) -> Auditor:
    """The CLI's auditor: a direct store write (the CLI has no journal or bus)."""

    async def record(action: AuditAction, target: str, detail: dict[str, Any]) -> None:
        await store.audit.append(AuditEntry(now, actor, action, target, detail))

    return record


class UnknownUserError(LookupError):
    pass


class SelfLockoutError(ValueError):
    """An admin may not disable, delete or demote their own account (someone must remain to undo it)."""


@dataclass(frozen=True)
class AccountChange:
    user: User
    revoked_tokens: int


async def _user(store: Store, username: str) -> User:
    user = await store.users.by_username(username)
    if user is None:
        raise UnknownUserError(f"no user {username!r}")
    return user


def _check_not_self(actor: str | None, user: User, what: str) -> None:
    if actor is not None and actor == user.username:
        raise SelfLockoutError(f"you may not {what} your own account")


async def _announce(
    bus: Bus | None, now: datetime, user: User, change: AccessChange, role: Role | None
) -> None:
    if bus is not None:
        msg = AccessChangedMsg(
            time_utc=now,
            user_id=user.id,
            username=user.username,
            change=change,
            role=role.value if role else None,
        )
        await bus.publish(topic_for(AccessChangedMsg), msg)


async def disable_user(
    store: Store,
    username: str,
    *,
    actor: str | None,
    now: datetime,
    bus: Bus | None = None,
    record: Auditor | None = None,
) -> AccountChange:
    user = await _user(store, username)
    _check_not_self(actor, user, "disable")
    await (record or store_auditor(store, actor, now))(
        AuditAction.USER_DISABLED, user.username, {"refresh_tokens": "revoked"}
    )
    await store.users.set_disabled(user.id, True)
    revoked = await store.refresh_tokens.revoke_user(user.id, now)
    await _announce(bus, now, user, AccessChange.DISABLED, None)
    return AccountChange(user, revoked)


async def enable_user(
    store: Store, username: str, *, actor: str | None, now: datetime, record: Auditor | None = None
) -> AccountChange:
    user = await _user(store, username)
    await (record or store_auditor(store, actor, now))(AuditAction.USER_ENABLED, user.username, {})
    await store.users.set_disabled(user.id, False)
    return AccountChange(user, 0)


async def delete_user(
    store: Store,
    username: str,
    *,
    actor: str | None,
    now: datetime,
    bus: Bus | None = None,
    record: Auditor | None = None,
) -> AccountChange:
    user = await _user(store, username)
    _check_not_self(actor, user, "delete")
    await (record or store_auditor(store, actor, now))(
        AuditAction.USER_DELETED,
        user.username,
        {"role": user.role.value, "organisation": user.organisation, "refresh_tokens": "revoked"},
    )
    revoked = await store.refresh_tokens.revoke_user(user.id, now)
    await store.users.delete(user.id)
    await _announce(bus, now, user, AccessChange.DELETED, None)
    return AccountChange(user, revoked)


async def revoke_sessions(
    store: Store,
    username: str,
    *,
    actor: str | None,
    now: datetime,
    bus: Bus | None = None,
    record: Auditor | None = None,
) -> AccountChange:
    """Logs the user out everywhere: refresh tokens revoked, open sockets closed."""
    user = await _user(store, username)
    await (record or store_auditor(store, actor, now))(AuditAction.SESSIONS_REVOKED, user.username, {})
    revoked = await store.refresh_tokens.revoke_user(user.id, now)
    await _announce(bus, now, user, AccessChange.SESSIONS_REVOKED, None)
    return AccountChange(user, revoked)


async def change_role(
    store: Store,
    username: str,
    role: Role,
    *,
    actor: str | None,
    now: datetime,
    bus: Bus | None = None,
    record: Auditor | None = None,
) -> AccountChange:
    user = await _user(store, username)
    if role is not Role.ADMIN:
        _check_not_self(actor, user, "demote")
    await (record or store_auditor(store, actor, now))(
        AuditAction.USER_ROLE_CHANGED, user.username, {"from": user.role.value, "to": role.value}
    )
    await store.users.set_role(user.id, role)
    await _announce(bus, now, user, AccessChange.ROLE_CHANGED, role)
    return AccountChange(user, 0)
