"""Every refusal is a JSON answer ``{"error": "one line saying what and why"}`` with a 4xx status;
an unexpected failure is a 500 with a generic message, logged with its traceback (never with the
request's body or token)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("qhpc.server")


class ApiError(Exception):
    """A refusal with its HTTP status and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = " ".join(message.split())
        self.headers = headers


def error_body(message: str, detail: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if detail is not None:
        body["detail"] = detail
    return body


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc) if isinstance(loc, list | tuple) else str(loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # the offending input is not echoed back: it may be a whole program
        detail = [{"loc": _location(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        first = detail[0] if detail else {"loc": "request", "msg": "invalid"}
        more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
        return JSONResponse(error_body(f"{first['loc']}: {first['msg']}{more}", detail), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return JSONResponse(error_body(message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc,
                  exc_info=exc)
        return JSONResponse(error_body("internal error; the server's log has the details"), status_code=500)
