"""Users (admin only) and the audit log (commanders and admins)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.accounts import (
    AccountChange,
    Auditor,
    SelfLockoutError,
    UnknownUserError,
    change_role,
    delete_user,
    disable_user,
    enable_user,
    revoke_sessions,
)
from ground_station.auth.passwords import WeakPasswordError
from ground_station.auth.roles import Permission, Role
from ground_station.auth.tokens import Principal
from ground_station.auth.users import InvalidUsernameError, create_user
from ground_station.store.models import AuditAction, Organisation, User

router = APIRouter(tags=["admin"])


class UserView(BaseModel):
    id: int
    username: str
    organisation: str
    role: Role
    created_at: datetime
    disabled: bool


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=10, max_length=200)
    role: Role
    organisation: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    organisation_name: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class RoleChange(BaseModel):
    role: Role


class AccountChangeView(BaseModel):
    user: UserView
    revoked_refresh_tokens: int = Field(description="refresh tokens revoked by this change")


USERNAME_PATH = Path(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")


class AuditView(BaseModel):
    id: int | None
    time_utc: datetime
    actor: str | None
    action: AuditAction
    target: str | None
    detail: dict[str, Any]


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        organisation=user.organisation,
        role=user.role,
        created_at=user.created_at,
        disabled=user.disabled,
    )


@router.get("/api/users", response_model=list[UserView])
async def list_users(
    _: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> list[UserView]:
    return [user_view(u) for u in await context.store.users.find()]


@router.post("/api/users", response_model=UserView, status_code=status.HTTP_201_CREATED)
async def add_user(
    body: NewUser,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> UserView:
    existing = await context.store.organisations.get(body.organisation)
    organisation = existing or Organisation(
        body.organisation,
        body.organisation_name or body.organisation,
        body.country or context.settings.organisation.country,
    )
    await audit(
        context,
        principal.username,
        AuditAction.USER_CREATED,
        body.username,
        {"role": body.role.value, "organisation": organisation.slug},
    )
    try:
        user = await create_user(
            context.store.users,
            context.store.organisations,
            body.username,
            body.password,
            body.role,
            organisation,
        )
    except (WeakPasswordError, InvalidUsernameError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    return user_view(user)


def _auditor(context: StationContext, principal: Principal) -> Auditor:
    """Account changes are audited like every route: durably before the change, then on the bus."""

    async def record(action: AuditAction, target: str, detail: dict[str, Any]) -> None:
        await audit(context, principal.username, action, target, detail, principal.organisation)

    return record


async def _announced_change(
    change: Callable[..., Awaitable[AccountChange]],
    username: str,
    principal: Principal,
    context: StationContext,
) -> AccountChangeView:
    """Disable and revoke differ only in the accounts function: audited, then announced on the bus."""
    now = context.tokens.clock.now()
    return await _account_change(
        lambda: change(
            context.store,
            username,
            actor=principal.username,
            now=now,
            bus=context.bus,
            record=_auditor(context, principal),
        ),
        context,
        username,
    )


async def _account_change(
    change: Callable[[], Awaitable[AccountChange]], context: StationContext, username: str
) -> AccountChangeView:
    try:
        result = await change()
    except UnknownUserError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except SelfLockoutError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    user = await context.store.users.by_username(username)
    return AccountChangeView(
        user=user_view(user or result.user), revoked_refresh_tokens=result.revoked_tokens
    )


@router.post(
    "/api/users/{username}/disable",
    response_model=AccountChangeView,
    summary="Disable an account: no login, refresh tokens revoked, open WebSockets closed (4403)",
)
async def disable(
    username: str = USERNAME_PATH,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> AccountChangeView:
    return await _announced_change(disable_user, username, principal, context)


@router.post("/api/users/{username}/enable", response_model=AccountChangeView, summary="Re-enable an account")
async def enable(
    username: str = USERNAME_PATH,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> AccountChangeView:
    now = context.tokens.clock.now()
    return await _account_change(
        lambda: enable_user(
            context.store, username, actor=principal.username, now=now, record=_auditor(context, principal)
        ),
        context,
        username,
    )


@router.post(
    "/api/users/{username}/revoke",
    response_model=AccountChangeView,
    summary="Log a user out everywhere: refresh tokens revoked, open WebSockets closed (4401)",
)
async def revoke(
    username: str = USERNAME_PATH,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> AccountChangeView:
    return await _announced_change(revoke_sessions, username, principal, context)


@router.put("/api/users/{username}/role", response_model=AccountChangeView, summary="Change a user's role")
async def set_role(
    body: RoleChange,
    username: str = USERNAME_PATH,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> AccountChangeView:
    now = context.tokens.clock.now()
    return await _account_change(
        lambda: change_role(
            context.store,
            username,
            body.role,
            actor=principal.username,
            now=now,
            bus=context.bus,
            record=_auditor(context, principal),
        ),
        context,
        username,
    )


@router.delete(
    "/api/users/{username}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an account (audit rows keep its name); open WebSockets closed (4403)",
)
async def delete(
    username: str = USERNAME_PATH,
    principal: Principal = Depends(require(Permission.MANAGE_USERS)),
    context: StationContext = Depends(get_context),
) -> Response:
    now = context.tokens.clock.now()
    try:
        await delete_user(
            context.store,
            username,
            actor=principal.username,
            now=now,
            bus=context.bus,
            record=_auditor(context, principal),
        )
    except UnknownUserError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except SelfLockoutError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/audit", response_model=list[AuditView])
async def list_audit(
    action: AuditAction | None = Query(default=None),
    limit: int = Query(default=500, ge=1, le=5000),
    draft_checks: bool = Query(default=True, description="include the planner's draft checks (one per edit)"),
    _: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> list[AuditView]:
    entries = await context.store.audit.find(action, limit, draft_checks=draft_checks)
    return [AuditView(**entry.__dict__) for entry in entries]
