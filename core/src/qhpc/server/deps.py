"""Request dependencies: the service, and who the request acts for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..store import Principal
from .errors import ApiError
from .service import Service

bearer = HTTPBearer(auto_error=False, description="An API token: qhpc admin token create NAME")


async def service(request: Request) -> Service:
    # async: FastAPI runs a plain function dependency in its thread pool, a hand-over per request
    return request.app.state.service  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


async def principal(request: Request,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Principal:
    svc: Service = request.app.state.service
    try:
        return svc.guard.authenticate(credentials.credentials if credentials else None, client_address(request))
    except ApiError:
        svc.metrics.auth_failures.inc()
        raise


async def admin(user: Annotated[Principal, Depends(principal)]) -> Principal:
    if not user.is_admin:
        raise ApiError(403, f"{user.name} is not an administrator")
    return user
