"""Users (admin only) and the audit log (commanders and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
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


@router.get("/api/audit", response_model=list[AuditView])
async def list_audit(
    action: AuditAction | None = Query(default=None),
    limit: int = Query(default=500, ge=1, le=5000),
    _: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> list[AuditView]:
    return [AuditView(**entry.__dict__) for entry in await context.store.audit.find(action, limit)]
