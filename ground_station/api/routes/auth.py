"""OAuth2 password flow: ``/api/auth/token`` (form) and ``/api/auth/refresh`` (rotating refresh token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require, unauthorised
from ground_station.auth.roles import ROLE_PERMISSIONS, Permission, Role
from ground_station.auth.tokens import IssuedTokens, Principal, TokenError
from ground_station.auth.users import authenticate
from ground_station.store.models import AuditAction

router = APIRouter(prefix="/api/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")
    refresh_token: str


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class Me(BaseModel):
    username: str
    organisation: str
    role: Role
    permissions: list[Permission]


def _response(tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token, expires_in=tokens.expires_in_s, refresh_token=tokens.refresh_token
    )


@router.post("/token", response_model=TokenResponse, summary="Log in (OAuth2 password flow)")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    context: StationContext = Depends(get_context),
) -> TokenResponse:
    user = await authenticate(context.store.users, form.username, form.password)
    if user is None:
        await audit(context, form.username[:64], AuditAction.LOGIN_FAILED)
        raise unauthorised("wrong user name or password")
    await audit(context, user.username, AuditAction.LOGIN, organisation=user.organisation)
    return _response(await context.tokens.issue(user))


@router.post("/refresh", response_model=TokenResponse, summary="Exchange a refresh token (rotated on use)")
async def refresh(body: RefreshRequest, context: StationContext = Depends(get_context)) -> TokenResponse:
    try:
        user, tokens = await context.tokens.rotate(body.refresh_token)
    except TokenError as exc:
        raise unauthorised(str(exc)) from None
    # after the rotation (only it tells who the caller is); a failed audit still withholds the tokens
    await audit(context, user.username, AuditAction.TOKEN_REFRESHED, organisation=user.organisation)
    return _response(tokens)


@router.get("/me", response_model=Me, summary="Who the token belongs to")
async def me(principal: Principal = Depends(require(Permission.VIEW_SELF))) -> Me:
    return Me(
        username=principal.username,
        organisation=principal.organisation,
        role=principal.role,
        permissions=sorted(ROLE_PERMISSIONS[principal.role]),
    )
