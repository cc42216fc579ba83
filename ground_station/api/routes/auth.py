"""OAuth2 password flow: ``/api/auth/token`` (form) and ``/api/auth/refresh`` (rotating refresh token)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require, unauthorised
from ground_station.auth.passwords import MAX_PASSWORD_LENGTH
from ground_station.auth.roles import ROLE_PERMISSIONS, Permission, Role
from ground_station.auth.throttle import client_address
from ground_station.auth.tokens import IssuedTokens, Principal, TokenError
from ground_station.auth.users import authenticate
from ground_station.store.models import AuditAction, AuditEntry

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


MAX_PASSWORD_CHARS = MAX_PASSWORD_LENGTH
"""As for new users: a megabyte "password" would only buy an attacker argon2 CPU time."""

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
"""Token responses must never sit in a browser or proxy cache (RFC 6749 5.1)."""


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="Log in (OAuth2 password flow)",
    responses={429: {"description": "too many failures from this address for this account; see Retry-After"}},
)
async def login(
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    context: StationContext = Depends(get_context),
) -> TokenResponse:
    throttle = context.login_throttle
    client = client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        context.settings.auth.trusted_proxies,
    )
    key = throttle.key(form.username, client) if throttle is not None else None
    if throttle is not None and key is not None:
        wait_s = throttle.retry_after_s(key)
        if wait_s is not None:  # refused without checking the password; counted, not audited one by one
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"too many failed logins; try again in {wait_s} s",
                headers={"Retry-After": str(wait_s)},
            )
    too_long = len(form.password) > MAX_PASSWORD_CHARS or len(form.username) > 64
    user = None if too_long else await authenticate(context.store.users, form.username, form.password)
    now = datetime.now(UTC)
    if user is None:
        detail: dict[str, object] = {"client": client}
        audit = True
        if throttle is not None and key is not None:
            failure = throttle.failed(key)
            audit = failure.audit
            detail.update(
                failures=failure.failures,
                refused_while_throttled=failure.refused_since_last_audit,
                next_delay_s=failure.delay_s,
            )
        if audit:
            await context.store.audit.append(
                AuditEntry(now, form.username[:64], AuditAction.LOGIN_FAILED, None, detail)
            )
        raise unauthorised("wrong user name or password")
    if throttle is not None and key is not None:
        throttle.succeeded(key)
    await context.store.audit.append(AuditEntry(now, user.username, AuditAction.LOGIN, None))
    response.headers.update(NO_STORE)
    return _response(await context.tokens.issue(user))


@router.post("/refresh", response_model=TokenResponse, summary="Exchange a refresh token (rotated on use)")
async def refresh(
    body: RefreshRequest, response: Response, context: StationContext = Depends(get_context)
) -> TokenResponse:
    response.headers.update(NO_STORE)
    try:
        _user, tokens = await context.tokens.rotate(body.refresh_token)
    except TokenError as exc:
        raise unauthorised(str(exc)) from None
    return _response(tokens)


@router.get("/me", response_model=Me, summary="Who the token belongs to")
async def me(principal: Principal = Depends(require(Permission.VIEW_SELF))) -> Me:
    return Me(
        username=principal.username,
        organisation=principal.organisation,
        role=principal.role,
        permissions=sorted(ROLE_PERMISSIONS[principal.role]),
    )
