"""``/docs`` without the internet: Swagger UI served from the ``swagger-ui-bundle`` package.

FastAPI's default page loads Swagger UI from a CDN, which fails on an offline station and lets a third
party run script on the page that holds an admin's token. The PyPI package ``swagger-ui-bundle``
(Apache-2.0, compatible with EUPL-1.2; it ships the swagger-ui dist files) is served under
``/docs/assets``; the page's one inline script is allowed by its hash in the CSP. ReDoc (CDN only) is
not offered.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from ground_station.api.headers import content_security_policy

ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def install_offline_docs(app: FastAPI) -> None:
    """Needs the app created with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_dir()), name="swagger-ui-assets")
    page_body = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
    ).body
    page = bytes(page_body).decode()
    redirect = bytes(get_swagger_ui_oauth2_redirect_html().body).decode()
    page_headers = {"Content-Security-Policy": content_security_policy(page)}
    redirect_headers = {"Content-Security-Policy": content_security_policy(redirect)}

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page, headers=page_headers)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return HTMLResponse(redirect, headers=redirect_headers)
