"""Maps storage and validation failures to clear HTTP answers (never a traceback)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from ground_station.store.errors import (
    ConflictError,
    NotFoundError,
    StoreError,
    StoreFullError,
    StoreLockedError,
)

log = logging.getLogger(__name__)


def _field_path(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        origin, rest = parts[0], parts[1:]
        return f"{origin}: {'.'.join(rest) or '(whole body)'}"
    return ".".join(parts)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    problems = [f"{_field_path(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors]
    detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"message": "invalid request: " + "; ".join(problems[:20]), "detail": detail},
    )


async def _store_error(request: Request, exc: StoreError) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(exc, ConflictError):
        code = status.HTTP_409_CONFLICT
    elif isinstance(exc, StoreLockedError | StoreFullError):
        code = status.HTTP_503_SERVICE_UNAVAILABLE
    else:
        code = status.HTTP_500_INTERNAL_SERVER_ERROR
    return JSONResponse(status_code=code, content={"detail": str(exc)})


async def _client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
    """The body stopped: the client went away, or ``BodySizeLimit`` already answered 413 and ended the
    body. Not a bug, so no traceback; this answer is discarded either way."""
    log.debug("client disconnected during %s %s", request.method, request.url.path)
    return JSONResponse(
        status_code=status.HTTP_400_BAD_REQUEST, content={"detail": "request body incomplete"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug must not show a traceback to the client; the log has it."""
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": f"internal error ({type(exc).__name__}); the service log has the details"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _client_gone)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
