"""OAuth2 password flow: ``/api/auth/token`` (form) and ``/api/auth/refresh`` (rotating refresh token).

Browsers (the web UI) send ``X-Borderwatch-Client: web``: their refresh token then travels only in an
httpOnly, SameSite=Strict cookie (Secure over TLS) scoped to ``/api/auth``, never in a response body, so
page scripts cannot read it; ``/api/auth/refresh`` reads it from the cookie when the body has none, and
``/api/auth/logout`` revokes it and clears the cookie. API clients keep getting it in the body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require, unauthorised
from ground_station.auth.passwords import MAX_PASSWORD_LENGTH
from ground_station.auth.roles import ROLE_PERMISSIONS, Permission, Role
from ground_station.auth.throttle import client_address
from ground_station.auth.tokens import IssuedTokens, Principal, TokenError, _hash
from ground_station.auth.users import authenticate
from ground_station.store.models import AuditAction

router = APIRouter(prefix="/api/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")
    refresh_token: str | None = Field(
        default=None, description="absent for web clients, which get it as an httpOnly cookie"
    )


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(default=None, min_length=10, max_length=200)


REFRESH_COOKIE = "bw_refresh"
REFRESH_COOKIE_PATH = "/api/auth"
WEB_CLIENT_HEADER = "x-borderwatch-client"


class Me(BaseModel):
    username: str
    organisation: str
    role: Role
    permissions: list[Permission]


def _is_web_client(request: Request) -> bool:
    return request.headers.get(WEB_CLIENT_HEADER, "").lower() == "web"


def _response(
    tokens: IssuedTokens, request: Request, response: Response, context: StationContext
) -> TokenResponse:
    if not _is_web_client(request):
        return TokenResponse(
            access_token=tokens.access_token,
            expires_in=tokens.expires_in_s,
            refresh_token=tokens.refresh_token,
        )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=int(context.settings.auth.refresh_token_days * 86400),
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return TokenResponse(access_token=tokens.access_token, expires_in=tokens.expires_in_s)


def _clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
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
    if user is None:
        detail: dict[str, object] = {"client": client}
        record_failure = True
        if throttle is not None and key is not None:
            failure = throttle.failed(key)
            record_failure = failure.audit
            detail.update(
                failures=failure.failures,
                refused_while_throttled=failure.refused_since_last_audit,
                next_delay_s=failure.delay_s,
            )
        if record_failure:
            await audit(context, form.username[:64], AuditAction.LOGIN_FAILED, detail=detail)
        raise unauthorised("wrong user name or password")
    if throttle is not None and key is not None:
        throttle.succeeded(key)
    await audit(context, user.username, AuditAction.LOGIN, organisation=user.organisation)
    response.headers.update(NO_STORE)
    return _response(await context.tokens.issue(user), request, response, context)


@router.post("/refresh", response_model=TokenResponse, summary="Exchange a refresh token (rotated on use)")
async def refresh(
    request: Request,
    response: Response,
    body: RefreshRequest | None = None,
    context: StationContext = Depends(get_context),
) -> TokenResponse:
    response.headers.update(NO_STORE)
    presented = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if body is not None and not presented:  # a body that forgot its token: say which field is missing
        raise RequestValidationError(
            [{"loc": ("body", "refresh_token"), "msg": "Field required", "type": "missing"}]
        )
    try:
        if not presented:
            raise TokenError("no refresh token: send it in the body or as the session cookie")
        user, tokens = await context.tokens.rotate(presented)
    except TokenError as exc:
        raise unauthorised(str(exc)) from None
    # after the rotation (only it tells who the caller is); a failed audit still withholds the tokens
    await audit(context, user.username, AuditAction.TOKEN_REFRESHED, organisation=user.organisation)
    return _response(tokens, request, response, context)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the refresh token of this login (cookie or body) and clear the cookie",
)
async def logout(
    request: Request, body: RefreshRequest | None = None, context: StationContext = Depends(get_context)
) -> Response:
    presented = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    record = await context.store.refresh_tokens.get(_hash(presented)) if presented else None
    user = await context.store.users.by_id(record.user_id) if record is not None else None
    await audit(
        context,
        user.username if user is not None else None,
        AuditAction.LOGOUT,
        detail={"session_found": record is not None},
        organisation=user.organisation if user is not None else None,
    )
    if record is not None:
        await context.store.refresh_tokens.revoke_family(record.family_id, datetime.now(UTC))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_cookie(request, response)
    return response


@router.get("/me", response_model=Me, summary="Who the token belongs to")
async def me(principal: Principal = Depends(require(Permission.VIEW_SELF))) -> Me:
    return Me(
        username=principal.username,
        organisation=principal.organisation,
        role=principal.role,
        permissions=sorted(ROLE_PERMISSIONS[principal.role]),
    )
