"""Security headers on every HTTP answer, and a Content-Security-Policy that allows only our own files.

- ``X-Content-Type-Options: nosniff``: a browser never guesses a JSON or tlog download to be HTML;
- ``Content-Security-Policy``: scripts, styles and connections only from this origin; the two HTML pages
  (status page, Swagger UI) get the SHA-256 of their own inline script/style instead of
  ``'unsafe-inline'``; ``frame-ancestors 'none'`` (with ``X-Frame-Options: DENY`` for old browsers) stops
  click-jacking of the pilot's controls;
- ``Referrer-Policy: no-referrer``: URLs (which may carry ``?token=`` for the WebSocket) never leak;
- token answers add ``Cache-Control: no-store`` themselves (``routes/auth.py``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_INLINE = re.compile(r"<(script|style)(?:\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(html: str | None = None) -> str:
    """The station's CSP; for an HTML page, its inline ``<script>``/``<style>`` blocks are allowed by hash."""
    scripts: list[str] = []
    styles: list[str] = []
    for kind, body in _INLINE.findall(html or ""):
        if body.strip():
            (scripts if kind.lower() == "script" else styles).append(_sha256(body))
    return "; ".join(
        (
            "default-src 'self'",
            " ".join(("script-src 'self'", *scripts)),
            " ".join(("style-src 'self'", *styles)),
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


DEFAULT_CSP = content_security_policy()

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers unless the route already set them (a page's own CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", DEFAULT_CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
