"""Refuses state-changing requests (503) while an audit record could be written nowhere.

When both the store and the spill journal refuse writes, an action could happen without its record;
the station then answers every non-GET HTTP request with 503 until a record lands again. Reads stay
available so people can see what is going on (``/api/health`` says why).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ground_station.api.body_limit import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadinessGate:
    """Pure ASGI middleware; ``reason()`` returns why the station is not ready, or None."""

    def __init__(self, app: ASGIApp, reason: Callable[[], str | None]) -> None:
        self.app = app
        self.reason = reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            why = self.reason()
            if why is not None:
                body = json.dumps({"detail": f"station not ready, state-changing requests refused: {why}"})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5")],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)
