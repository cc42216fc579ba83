"""``GET /status``: a static login form + tables of vehicles, flights and alerts, fetched with a token.

The HTML carries no data, so it is public; everything it shows comes from authenticated API calls.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ground_station.api.headers import content_security_policy

router = APIRouter(tags=["web"])

STATUS_PAGE = Path(__file__).with_name("status.html")


@router.get("/status", response_class=HTMLResponse, include_in_schema=False)
async def status_page() -> HTMLResponse:
    html = STATUS_PAGE.read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(html)})
