"""The FastAPI application of the access server, and :func:`serve` (``qhpc serve``).

Routes (all under ``/v1/`` but ``/metrics`` and ``/openapi.json``)::

    GET    /v1/health                       up? (no token)
    GET    /v1/plugins                      installed plugins
    GET    /v1/backends                     capabilities, health, queue length of every backend
    GET    /v1/backends/NAME                one backend, with its calibration snapshot's identity
    GET    /v1/backends/NAME/calibration    the snapshot itself
    POST   /v1/jobs                         submit (Idempotency-Key header or field)
    POST   /v1/jobs/batch                   submit several, all or nothing
    GET    /v1/jobs                         your jobs (?status=&backend=&since=&until=&session=&cursor=&limit=)
    GET    /v1/jobs/ID                      state and sub-state
    GET    /v1/jobs/ID/events               event log
    GET    /v1/jobs/ID/result?wait=S        result and digest (202 while running, 409 if it failed)
    POST   /v1/jobs/ID/cancel
    POST   /v1/sessions                     open a session on a backend
    GET    /v1/sessions/ID
    DELETE /v1/sessions/ID                  close it
    GET    /v1/admin/accounting             seconds per user and backend (administrators)
    GET    /metrics                         Prometheus
    GET    /openapi.json
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from .. import __version__
from ..config import Settings
from . import errors, routes_jobs, routes_meta
from .fastpath import SubmitFastPath
from .limits import BodyLimit
from .logs import configure_logging
from .service import Service

log = logging.getLogger("qhpc.server")


def create_app(settings: Settings, config_path: str | None = None, *, executor: bool = True) -> FastAPI:
    """The application; its lifespan starts and stops the service (and the executor process)."""
    service = Service(settings, config_path, executor=executor)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="qhpc access server", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json",
                  description="Submit quantum programs to the site's emulators and QPUs, follow them and fetch "
                              "their results. Authenticate with 'Authorization: Bearer TOKEN'.")
    app.state.service = service
    errors.install(app)
    app.add_middleware(SubmitFastPath)  # inside the size limit
    app.add_middleware(BodyLimit, max_bytes=settings.service.server.max_body_bytes)
    app.include_router(routes_jobs.router)
    app.include_router(routes_meta.router)
    app.include_router(routes_meta.metrics_router)
    return app


def serve(settings: Settings, config_path: str | None = None, *, host: str | None = None,
          port: int | None = None) -> None:
    """Run the server until it is stopped (SIGINT/SIGTERM: running jobs get a grace period)."""
    import uvicorn

    server = settings.service.server
    configure_logging("qhpc-server", access_log=server.access_log)
    options: dict[str, Any] = {}
    if server.tls_cert is not None:
        options.update(ssl_certfile=server.tls_cert, ssl_keyfile=server.tls_key)
    app = create_app(settings, config_path)
    config = uvicorn.Config(app, host=host or server.host, port=server.port if port is None else port,
                            access_log=server.access_log, log_config=None, lifespan="on",
                            timeout_graceful_shutdown=5, **options)
    scheme = "https" if server.tls_cert else "http"
    log.info("qhpc %s serving %s://%s:%d (store %s)", __version__, scheme, config.host, config.port,
             app.state.service.store.db)
    uvicorn.Server(config).run()
