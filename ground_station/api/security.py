"""Route guards: ``Depends(require(Permission.X))`` on every non-public route.

``require`` both authenticates (a valid access token of an existing, enabled user) and authorises
(the user's role has the permission). Organisation scoping (a pilot commands only their own
organisation's vehicles) is checked with :func:`ensure_same_organisation` where the target is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from ground_station.api.context import StationContext, get_context
from ground_station.auth.roles import CROSS_ORGANISATION_ROLES, Permission, has_permission
from ground_station.auth.tokens import Principal, TokenError

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

Guard = Callable[..., Awaitable[Principal]]


def unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def authenticate(context: StationContext, token: str | None) -> Principal:
    if not token:
        raise unauthorised("not authenticated: send 'Authorization: Bearer <access token>'")
    try:
        return await context.tokens.principal(token)
    except TokenError as exc:
        raise unauthorised(str(exc)) from None


def require(permission: Permission) -> Guard:
    async def guard(
        request: Request,
        token: str | None = Depends(oauth2_scheme),
        context: StationContext = Depends(get_context),
    ) -> Principal:
        principal = await authenticate(context, token)
        if not has_permission(principal.role, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value!r} may not {permission.value.replace('_', ' ')}",
            )
        request.state.principal = principal
        return principal

    guard.required_permission = permission  # type: ignore[attr-defined]
    guard.__name__ = f"require_{permission.value}"
    return guard


def acts_across_organisations(principal: Principal) -> bool:
    return principal.role in CROSS_ORGANISATION_ROLES


def may_act_for(principal: Principal, organisation: str) -> bool:
    return acts_across_organisations(principal) or principal.organisation == organisation


def ensure_same_organisation(principal: Principal, organisation: str, what: str) -> None:
    if not may_act_for(principal, organisation):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"{what} belongs to organisation {organisation!r}; you act for {principal.organisation!r}",
        )
