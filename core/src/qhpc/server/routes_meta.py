"""Health, plugins, backends (capabilities, health, queue length, calibration), accounting, metrics."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from .. import __version__
from ..errors import QhpcError
from ..interfaces import Backend
from ..store import Principal
from .deps import admin, principal, service
from .errors import ApiError
from .protocol import API_VERSION, plain
from .routes_jobs import ERRORS
from .schemas import BackendInfo, BackendList
from .service import Service

router = APIRouter(prefix="/v1", responses=ERRORS)
metrics_router = APIRouter()

Svc = Annotated[Service, Depends(service)]
User = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(admin)]


@router.get("/health", summary="Is the server up (no token needed)")
def health(svc: Svc) -> dict[str, Any]:
    try:
        svc.store.jobs.statuses(["-"])
        database = "ok"
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    process = svc.supervisor.process
    executor = "off" if process is None else ("running" if process.poll() is None else "stopped")
    return {"status": "ok" if database == "ok" else "degraded", "version": __version__, "api": API_VERSION,
            "database": database, "executor": executor, "uptime_seconds": round(time.time() - svc.started, 3)}


@router.get("/plugins", summary="Installed plugins and what they provide")
def plugins(svc: Svc, _user: User) -> list[dict[str, Any]]:
    svc.integrator.backends  # noqa: B018 - loads the plugins' provisions once
    return [{key: value for key, value in info.to_dict().items()}
            for info in sorted(svc.integrator.registry.infos.values(), key=lambda i: i.name)]


def _describe(svc: Service, backend: Backend, answer: Any, queues: dict[str, int], *,
              calibration: bool) -> dict[str, Any]:
    available = not isinstance(answer, str)
    out: dict[str, Any] = {
        "name": backend.name, "kind": str(backend.kind), "description": backend.description,
        "health": {"available": available, "detail": None if available else answer},
        "queue_length": queues.get(backend.name, 0),
        "capabilities": plain(answer.to_dict()) if available else None, "calibration": None,
    }
    if calibration:
        snapshot = getattr(backend, "snapshot", None)
        if snapshot is not None and hasattr(snapshot, "digest"):
            out["calibration"] = {"name": snapshot.name, "timestamp": snapshot.timestamp, "source": snapshot.source,
                                  "digest": "sha256:" + snapshot.digest(), "num_qubits": snapshot.num_qubits}
    status = getattr(backend, "resource_status", None)
    if callable(status):  # a backend on a QuantumResource reports the resource's own queue
        try:
            out["resource"] = plain(status())
        except Exception as exc:
            out["resource"] = {"available": False, "detail": str(exc)}
    return out


@router.get("/backends", response_model=BackendList, summary="Backends: capabilities, health, queue length")
def backends(svc: Svc, _user: User) -> dict[str, Any]:
    listed = svc.integrator.refresh_backends()  # with a peer's that answered since start
    answers = svc.integrator.availability(listed.values())
    queues = svc.store.accounting.queue_lengths()
    return {"backends": [_describe(svc, b, answers[n], queues, calibration=False)
                         for n, b in sorted(listed.items())]}


def _backend(svc: Service, name: str) -> Backend:
    try:
        return svc.integrator.backend(name)
    except QhpcError as exc:
        raise ApiError(404, str(exc)) from None


@router.get("/backends/{name}", response_model=BackendInfo, summary="One backend, with its calibration")
def backend(name: str, svc: Svc, _user: User) -> dict[str, Any]:
    target = _backend(svc, name)
    answer = svc.integrator.availability([target])[target.name]
    return _describe(svc, target, answer, svc.store.accounting.queue_lengths(), calibration=True)


@router.get("/backends/{name}/calibration", summary="A backend's calibration snapshot (qhpc.calibration JSON)")
def calibration(name: str, svc: Svc, _user: User) -> dict[str, Any]:
    snapshot = getattr(_backend(svc, name), "snapshot", None)
    if snapshot is None or not hasattr(snapshot, "to_dict"):
        raise ApiError(404, f"{name} has no calibration snapshot")
    return plain(snapshot.to_dict())  # type: ignore[no-any-return]


@router.get("/admin/accounting", summary="Seconds used per user and backend (administrators)")
def accounting(svc: Svc, _admin: Admin,
               since: Annotated[float | None, Query(description="seconds since the epoch")] = None,
               until: Annotated[float | None, Query(description="seconds since the epoch")] = None) -> dict[str, Any]:
    return {"since": since, "until": until, "usage": svc.store.accounting.usage(since, until)}


@metrics_router.get("/metrics", summary="Prometheus metrics (an administrator's token unless metrics_public)",
                    response_class=Response)
def metrics(request: Request, svc: Svc) -> Response:
    if not svc.settings.service.server.metrics_public:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        from .deps import client_address

        user = svc.guard.authenticate(token, client_address(request))
        if not user.is_admin:
            raise ApiError(403, f"{user.name} is not an administrator")
    svc.metrics.follow()
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
