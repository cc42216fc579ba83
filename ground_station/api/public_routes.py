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
        ("GET", "/api/health"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
        # The status page is a static login form; all data it shows is fetched with the user's token.
        ("GET", "/"),
        # Ticket-authenticated, not public: a browser <img> cannot send a bearer header and tokens never
        # go in URLs, so these take a single-use, 30-second stream ticket that only the authenticated
        # POST .../ticket routes issue, bound to that one stream or recording. No ticket -> 401.
        *TICKET_ROUTES,
    }
)
"""(method, path) pairs; HEAD is implied wherever GET is public."""
