"""The ONE allow-list of routes that answer without a token (design contract 11).

Everything else must depend on :func:`ground_station.api.security.require`; the route-coverage test
enumerates ``app.routes`` (WebSockets included) and proves it.
"""

from __future__ import annotations

TICKET_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/video/streams/{stream_id}/mjpeg"),
        ("POST", "/api/video/streams/{stream_id}/webrtc"),
        ("GET", "/api/video/recordings/{recording_id}/mjpeg"),
    }
)
"""Routes authenticated by a stream ticket (``ground_station.video.tickets``) instead of a token."""

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/api/auth/token"),
        ("POST", "/api/auth/refresh"),
        # Revokes the refresh token the caller presents (cookie or body) and clears the cookie: holding
        # that token is the proof, as for refresh.
        ("POST", "/api/auth/logout"),
        ("GET", "/api/health"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        # The web UI's HTML and the plain status page: static login forms; all data they show is fetched
        # with the user's token.
        ("GET", "/"),
        ("GET", "/status"),
        # Ticket-authenticated, not public: a browser <img> cannot send a bearer header and tokens never
        # go in URLs, so these take a single-use, 30-second stream ticket that only the authenticated
        # POST .../ticket routes issue, bound to that one stream or recording. No ticket -> 401.
        *TICKET_ROUTES,
    }
)
"""(method, path) pairs; HEAD is implied wherever GET is public."""

PUBLIC_MOUNTS: frozenset[str] = frozenset(
    {
        # The web UI's built assets (JS, CSS, icons from web/dist): code, no data; contract 15.
        "/ui",
        # Swagger UI's files for the offline /docs (PyPI swagger-ui-bundle, Apache-2.0): code, no data.
        "/docs/assets",
    }
)
"""Paths of mounted sub-applications and static folders that answer without a token. Nothing else may be
mounted: the route-coverage test fails on any mount not listed here."""
