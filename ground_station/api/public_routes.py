"""The ONE allow-list of routes that answer without a token (design contract 11).

Everything else must depend on :func:`ground_station.api.security.require`; the route-coverage test
enumerates ``app.routes`` (WebSockets included) and proves it.
"""

from __future__ import annotations

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/auth/token"),
        ("POST", "/api/auth/refresh"),
        ("GET", "/api/health"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        # The status page is a static login form; all data it shows is fetched with the user's token.
        ("GET", "/"),
    }
)
"""(method, path) pairs; HEAD is implied wherever GET is public."""
