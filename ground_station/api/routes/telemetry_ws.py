"""``WS /ws/telemetry``: the bus, coalesced per vehicle, for browsers — for as long as access lasts.

Protocol (JSON text frames; the web UI relies on it exactly):

- authenticate with ``?token=<access token>`` or, if absent, a first message
  ``{"type": "auth", "token": ...}`` within 5 s; refusal closes with code 4401 (no/invalid/expired
  token) or 4403 (role may not view telemetry);
- server sends ``{"type": "hello", "user", "role", "topics", "max_rate_hz", "expires_at"}`` and then
  ``telemetry`` frames (``vehicle_id``, ``data`` keyed by topic) at up to 10 Hz per vehicle, and ``alert``
  frames as they happen;
- the first subscription may be given as ``?vehicles=a,b&topics=position,alert``;
- client may send ``{"type": "subscribe", "vehicles": [...] | null, "topics": [...] | null}`` at any time
  (answered ``{"type": "subscribed", ...}``);
- **session lifetime**: the client may send ``{"type": "auth", "token": ...}`` at any time with a fresh
  access token of the same user (from ``/api/auth/refresh``) and gets ``{"type": "auth_ok",
  "expires_at": ...}``; a bad token, or one of another user, closes with 4401;
- 60 s before the current token expires the server sends ``{"type": "token_expiring", "expires_at":
  ...}``; at expiry, unless renewed, it closes with **4401**;
- when an admin disables or deletes the user, or their role no longer allows telemetry, the socket
  closes at once with **4403**; when their sessions are revoked ("log out everywhere") with **4401**.
  Such changes arrive on the bus (``auth`` topic); sockets also re-check the account every
  ``SESSION_RECHECK_S`` so a change made by the CLI (another process, no bus) takes effect too;
- 4408: the client did not take frames fast enough; 4422: bad query.

Time comes from the station's injected clock, so tests move it instead of waiting minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from ground_station.api.context import StationContext, get_ws_context
from ground_station.api.telemetry_hub import ClientFilter, SlowClientError, TelemetryClient, TelemetryTopic
from ground_station.auth.roles import Permission, has_permission
from ground_station.auth.tokens import AccessGrant, TokenError
from ground_station.bus.catalogue import topic_for
from ground_station.bus.messages import AccessChange, AccessChangedMsg

router = APIRouter(tags=["telemetry"])

WS_TELEMETRY_PERMISSION = Permission.VIEW_TELEMETRY
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4408
CLOSE_BAD_REQUEST = 4422
AUTH_TIMEOUT_S = 5.0
EXPIRY_WARNING = timedelta(seconds=60)
SESSION_RECHECK_S = 30.0


@dataclass(frozen=True)
class Closing:
    """Why a session ends: the close code and a short reason (WebSocket reasons are <= 123 bytes)."""

    code: int
    reason: str


@dataclass
class _Session:
    grant: AccessGrant
    renewed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def user_id(self) -> int:
        return self.grant.principal.user_id


class SubscribeMessage(BaseModel):
    type: str = Field(max_length=32)
    vehicles: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=1000)
    topics: list[TelemetryTopic] | None = Field(default=None, max_length=len(TelemetryTopic))


def _forbidden_role(role: str) -> Closing:
    return Closing(CLOSE_FORBIDDEN, f"role {role} may not view telemetry")


async def _grant(context: StationContext, websocket: WebSocket) -> AccessGrant | None:
    """The caller's grant, or None after closing the socket with the reason.

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
        if not token or not isinstance(token, str):
            raise TokenError("no token: use ?token= or send {'type': 'auth', 'token': ...} first")
        grant = await context.tokens.grant(token)
    except TokenError as exc:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=str(exc)[:120])
        return None
    if not has_permission(grant.principal.role, WS_TELEMETRY_PERMISSION):
        closing = _forbidden_role(grant.principal.role.value)
        await websocket.close(code=closing.code, reason=closing.reason)
        return None
    return grant


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


async def _renew(context: StationContext, session: _Session, token: Any) -> Closing | None:
    """Swaps in a fresh access token of the same user; anything else ends the session (4401)."""
    try:
        if not isinstance(token, str) or not token:
            raise TokenError("auth: token missing")
        grant = await context.tokens.grant(token)
    except TokenError as exc:
        return Closing(CLOSE_UNAUTHENTICATED, str(exc)[:120])
    if grant.principal.user_id != session.user_id:
        return Closing(CLOSE_UNAUTHENTICATED, "auth: token belongs to another user")
    if not has_permission(grant.principal.role, WS_TELEMETRY_PERMISSION):
        return _forbidden_role(grant.principal.role.value)
    session.grant = grant
    session.renewed.set()
    return None


async def _receive_commands(
    context: StationContext, websocket: WebSocket, client: TelemetryClient, session: _Session
) -> Closing:
    while True:
        text = await websocket.receive_text()
        try:
            raw: Any = json.loads(text)
            if isinstance(raw, dict) and raw.get("type") == "auth":
                closing = await _renew(context, session, raw.get("token"))
                if closing is not None:
                    return closing
                client.send_control(
                    json.dumps({"type": "auth_ok", "expires_at": session.grant.expires_at.isoformat()})
                )
                continue
            message = SubscribeMessage.model_validate(raw)
            if message.type != "subscribe":
                raise ValueError(
                    f"type: unknown message type {message.type!r} (expected 'subscribe' or 'auth')"
                )
        except (json.JSONDecodeError, ValidationError, ValueError) as exc:
            error = exc.errors() if isinstance(exc, ValidationError) else str(exc)
            client.send_control(json.dumps({"type": "error", "message": error}, default=str))
            continue
        client.set_filter(_filter(message))
        client.send_control(
            json.dumps({"type": "subscribed", "vehicles": message.vehicles, "topics": message.topics})
        )


async def _first_of(*awaitables: Any) -> None:
    """Waits until any of the awaitables finishes, cancelling the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _watch_expiry(context: StationContext, client: TelemetryClient, session: _Session) -> Closing:
    """Warns ``EXPIRY_WARNING`` before the token expires and ends the session at expiry, unless renewed."""
    clock = context.tokens.clock
    warned_for: datetime | None = None
    while True:
        session.renewed.clear()
        expires_at = session.grant.expires_at
        now = clock.now()
        if now >= expires_at:
            return Closing(CLOSE_UNAUTHENTICATED, "access token expired; refresh and reconnect")
        if now >= expires_at - EXPIRY_WARNING and warned_for != expires_at:
            warned_for = expires_at
            client.send_control(json.dumps({"type": "token_expiring", "expires_at": expires_at.isoformat()}))
        target = expires_at if warned_for == expires_at else expires_at - EXPIRY_WARNING
        await _first_of(clock.sleep_until(target), session.renewed.wait())


async def _watch_access(context: StationContext, session: _Session) -> Closing:
    """Ends the session when the account is disabled, deleted, re-roled out of telemetry or logged out."""
    clock = context.tokens.clock
    subscription = context.bus.subscribe(topic_for(AccessChangedMsg), maxsize=1000)
    next_event: asyncio.Future[Any] = asyncio.ensure_future(anext(subscription))
    try:
        while True:
            sleeper = asyncio.ensure_future(
                clock.sleep_until(clock.now() + timedelta(seconds=SESSION_RECHECK_S))
            )
            try:
                await asyncio.wait({next_event, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
            if next_event.done():
                _topic, msg = next_event.result()
                next_event = asyncio.ensure_future(anext(subscription))
                if not isinstance(msg, AccessChangedMsg) or msg.user_id != session.user_id:
                    continue
                if msg.change is AccessChange.SESSIONS_REVOKED:
                    return Closing(
                        CLOSE_UNAUTHENTICATED, "sessions revoked by an administrator; log in again"
                    )
            principal = await context.tokens.current(session.user_id)
            if principal is None:
                return Closing(CLOSE_FORBIDDEN, "account disabled or deleted")
            if not await context.tokens.session_active(session.grant):
                return Closing(CLOSE_UNAUTHENTICATED, "this login was ended; log in again")
            if not has_permission(principal.role, WS_TELEMETRY_PERMISSION):
                return _forbidden_role(principal.role.value)
    finally:
        next_event.cancel()
        subscription.close()


@router.websocket("/ws/telemetry")
async def telemetry(websocket: WebSocket) -> None:
    context = get_ws_context(websocket)
    grant = await _grant(context, websocket)
    if grant is None:
        return
    principal = grant.principal
    try:
        initial = _query_filter(websocket)
    except ValueError as exc:
        await websocket.close(code=CLOSE_BAD_REQUEST, reason=str(exc)[:120])
        return
    session = _Session(grant)
    client = TelemetryClient(websocket.send_text, initial)
    await websocket.send_text(
        json.dumps(
            {
                "type": "hello",
                "user": principal.username,
                "role": principal.role.value,
                "topics": [t.value for t in TelemetryTopic],
                "max_rate_hz": 10,
                "expires_at": grant.expires_at.isoformat(),
            }
        )
    )
    context.hub.register(client)
    name = principal.username
    sender = asyncio.create_task(client.run(), name=f"ws-send-{name}")
    tasks: set[asyncio.Task[Any]] = {
        sender,
        asyncio.create_task(_receive_commands(context, websocket, client, session), name=f"ws-recv-{name}"),
        asyncio.create_task(_watch_expiry(context, client, session), name=f"ws-expiry-{name}"),
        asyncio.create_task(_watch_access(context, session), name=f"ws-access-{name}"),
    }
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        closing: Closing | None = None
        for task in done:
            if task.cancelled():
                continue
            error = task.exception()
            if isinstance(error, SlowClientError):
                closing = Closing(CLOSE_TOO_SLOW, "client too slow")
            elif error is None and isinstance(task.result(), Closing):
                closing = task.result()
        if closing is not None:
            if closing.code != CLOSE_TOO_SLOW and not sender.done():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):  # let queued session messages (token_expiring) out
                        await client.control_sent()
            with contextlib.suppress(Exception):
                await websocket.close(code=closing.code, reason=closing.reason)
    finally:
        context.hub.unregister(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
