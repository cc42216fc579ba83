"""``WS /ws/telemetry``: the bus, coalesced per vehicle, for browsers.

Protocol (JSON text frames):
- authenticate with ``?token=<access token>`` or, if absent, a first message
  ``{"type": "auth", "token": ...}`` within 5 s; refusal closes with code 4401 (no/invalid token)
  or 4403 (role may not view telemetry);
- server sends ``{"type": "hello", ...}`` and then ``telemetry`` frames (``vehicle_id``, ``data`` keyed by
  topic) at up to 10 Hz per vehicle, and ``alert`` frames as they happen;
- the first subscription may be given as ``?vehicles=a,b&topics=position,alert``;
- client may send ``{"type": "subscribe", "vehicles": [...] | null, "topics": [...] | null}`` at any time;
- token renewal: the client may send ``{"type": "auth", "token": ...}`` at any time and gets
  ``{"type": "auth_ok", "expires_at": <unix s>}`` (a bad token closes 4401); the server sends
  ``{"type": "token_expiring", "expires_at": ...}`` 60 s before the current token expires, closes 4401
  when it has expired, and 4403 when the user is disabled or removed (checked every few seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from ground_station.api.context import StationContext, get_ws_context
from ground_station.api.telemetry_hub import ClientFilter, SlowClientError, TelemetryClient, TelemetryTopic
from ground_station.auth.roles import Permission, has_permission
from ground_station.auth.tokens import Principal, TokenError

router = APIRouter(tags=["telemetry"])

WS_TELEMETRY_PERMISSION = Permission.VIEW_TELEMETRY
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
CLOSE_BAD_REQUEST = 4422
AUTH_TIMEOUT_S = 5.0
EXPIRY_WARNING_S = 60.0
USER_CHECK_INTERVAL_S = 5.0


def token_expiry(token: str) -> float:
    """The ``exp`` of an access token that :meth:`TokenService.principal` has already verified."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims.get("exp", 0))


@dataclass
class _Session:
    """The socket's current authentication; replaced by each ``auth`` message."""

    principal: Principal
    expires_at: float
    warned: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def renew(self, principal: Principal, expires_at: float) -> None:
        self.principal, self.expires_at, self.warned = principal, expires_at, False
        self.changed.set()


async def _watch_session(websocket: WebSocket, context: StationContext, session: _Session) -> None:
    """Warns before the token expires, closes 4401 at expiry and 4403 once the user is disabled."""
    next_user_check = 0.0
    while True:
        now = time.time()
        if now >= session.expires_at:
            await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="access token expired; reconnect")
            return
        if not session.warned and now >= session.expires_at - EXPIRY_WARNING_S:
            session.warned = True
            await websocket.send_text(
                json.dumps({"type": "token_expiring", "expires_at": session.expires_at})
            )
        if now >= next_user_check:
            user = await context.store.users.by_id(session.principal.user_id)
            if user is None or user.disabled:
                await websocket.close(code=CLOSE_FORBIDDEN, reason="user disabled")
                return
            next_user_check = now + USER_CHECK_INTERVAL_S
        deadline = session.expires_at if session.warned else session.expires_at - EXPIRY_WARNING_S
        wait = max(0.05, min(deadline, next_user_check) - time.time())
        session.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(session.changed.wait(), wait)


class SubscribeMessage(BaseModel):
    type: str
    vehicles: list[str] | None = None
    topics: list[TelemetryTopic] | None = None


async def _principal(context: StationContext, websocket: WebSocket) -> tuple[Principal, str] | None:
    """The caller, or None after closing the socket with the reason.

    The socket is accepted before checking, so every client (not only test clients) sees the close
    code 4401/4403 instead of a bare failed handshake.
    """
    token = websocket.query_params.get("token")
    await websocket.accept()
    if not token:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                first = await websocket.receive_text()
            message = json.loads(first)
            token = (
                message.get("token") if isinstance(message, dict) and message.get("type") == "auth" else None
            )
        except (TimeoutError, json.JSONDecodeError, WebSocketDisconnect):
            token = None
    try:
        if not token:
            raise TokenError("no token: use ?token= or send {'type': 'auth', 'token': ...} first")
        principal = await context.tokens.principal(token)
    except TokenError as exc:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=str(exc)[:120])
        return None
    if not has_permission(principal.role, WS_TELEMETRY_PERMISSION):
        await websocket.close(
            code=CLOSE_FORBIDDEN, reason=f"role {principal.role.value} may not view telemetry"
        )
        return None
    return principal, token


def _query_filter(websocket: WebSocket) -> ClientFilter:
    """``?vehicles=a,b&topics=position,alert`` sets the first subscription (so the snapshot respects it)."""
    vehicles = websocket.query_params.get("vehicles")
    topics = websocket.query_params.get("topics")
    try:
        chosen_topics = frozenset(TelemetryTopic(t) for t in topics.split(",")) if topics else None
    except ValueError:
        raise ValueError(f"query: topics: use any of {', '.join(TelemetryTopic)}") from None
    return ClientFilter(
        vehicles=frozenset(v for v in vehicles.split(",") if v) if vehicles else None,
        topics=chosen_topics if chosen_topics is not None else frozenset(TelemetryTopic),
    )


def _filter(message: SubscribeMessage) -> ClientFilter:
    return ClientFilter(
        vehicles=frozenset(message.vehicles) if message.vehicles is not None else None,
        topics=frozenset(message.topics) if message.topics is not None else frozenset(TelemetryTopic),
    )


async def _renew(
    websocket: WebSocket, context: StationContext, session: _Session, raw: dict[str, Any]
) -> bool:
    """Handles ``{"type": "auth", "token": ...}``; False after closing the socket."""
    token = raw.get("token")
    try:
        if not isinstance(token, str) or not token:
            raise TokenError("auth: token missing")
        principal = await context.tokens.principal(token)
    except TokenError as exc:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=str(exc)[:120])
        return False
    if principal.user_id != session.principal.user_id or not has_permission(
        principal.role, WS_TELEMETRY_PERMISSION
    ):
        await websocket.close(code=CLOSE_FORBIDDEN, reason="auth: token of another user or role")
        return False
    session.renew(principal, token_expiry(token))
    await websocket.send_text(json.dumps({"type": "auth_ok", "expires_at": session.expires_at}))
    return True


async def _receive_commands(
    websocket: WebSocket, client: TelemetryClient, context: StationContext, session: _Session
) -> None:
    while True:
        text = await websocket.receive_text()
        try:
            raw: Any = json.loads(text)
            if isinstance(raw, dict) and raw.get("type") == "auth":
                if not await _renew(websocket, context, session, raw):
                    return
                continue
            message = SubscribeMessage.model_validate(raw)
            if message.type != "subscribe":
                raise ValueError(f"type: unknown message type {message.type!r} (expected 'subscribe')")
        except (json.JSONDecodeError, ValidationError, ValueError) as exc:
            error = exc.errors() if isinstance(exc, ValidationError) else str(exc)
            await websocket.send_text(json.dumps({"type": "error", "message": error}, default=str))
            continue
        client.set_filter(_filter(message))
        await websocket.send_text(
            json.dumps({"type": "subscribed", "vehicles": message.vehicles, "topics": message.topics})
        )


@router.websocket("/ws/telemetry")
async def telemetry(websocket: WebSocket) -> None:
    context = get_ws_context(websocket)
    authenticated = await _principal(context, websocket)
    if authenticated is None:
        return
    principal, token = authenticated
    session = _Session(principal, token_expiry(token))
    try:
        initial = _query_filter(websocket)
    except ValueError as exc:
        await websocket.close(code=CLOSE_BAD_REQUEST, reason=str(exc)[:120])
        return
    client = TelemetryClient(websocket.send_text, initial)
    await websocket.send_text(
        json.dumps(
            {
                "type": "hello",
                "user": principal.username,
                "role": principal.role.value,
                "topics": [t.value for t in TelemetryTopic],
                "max_rate_hz": 10,
            }
        )
    )
    context.hub.register(client)
    sender = asyncio.create_task(client.run(), name=f"ws-send-{principal.username}")
    receiver = asyncio.create_task(
        _receive_commands(websocket, client, context, session), name=f"ws-recv-{principal.username}"
    )
    watcher = asyncio.create_task(_watch_session(websocket, context, session), name="ws-session")
    try:
        done, _pending = await asyncio.wait({sender, receiver, watcher}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if isinstance(task.exception(), SlowClientError):
                with contextlib.suppress(Exception):
                    await websocket.close(code=CLOSE_TOO_SLOW, reason="client too slow")
    finally:
        context.hub.unregister(client)
        for task in (sender, receiver, watcher):
            task.cancel()
        for task in (sender, receiver, watcher):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
