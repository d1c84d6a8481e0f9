"""The server's state and the work behind its routes: store, integrator, admission, group commit,
authentication, metrics, long-polls, the executor's supervision and periodic housekeeping."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Sequence
from typing import Any

from ..config import Settings
from ..integrator import Integrator
from ..store import NewJob, Principal, Quotas, Store, SubmissionRefused
from .admission import Admission
from .auth import AuthGuard
from .errors import ApiError
from .metrics import Metrics
from .schemas import JobRequest
from .supervisor import Supervisor
from .writer import GroupCommitter

log = logging.getLogger("qhpc.server")

#: Seconds between checks of the jobs someone waits for (GET .../result?wait=).
WAIT_POLL_SECONDS = 0.05
HOUSEKEEPING_SECONDS = 1.0


class Waiters:
    """Long-polls: requests waiting for jobs to finish, woken when the store says they have."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    async def wait(self, job_id: str, timeout: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(job_id, []).append(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            futures = self._waiting.get(job_id, [])
            if future in futures:
                futures.remove(future)
            if not futures:
                self._waiting.pop(job_id, None)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(WAIT_POLL_SECONDS)
            if not self._waiting:
                continue
            try:
                statuses = await asyncio.to_thread(self.store.jobs.statuses, list(self._waiting))
            except Exception as exc:
                log.warning("cannot read job states for waiting requests: %s", exc)
                continue
            for job_id, status in statuses.items():
                if status in ("DONE", "FAILED", "CANCELLED"):
                    for future in self._waiting.get(job_id, []):
                        if not future.done():
                            future.set_result(None)


class Service:
    def __init__(self, settings: Settings, config_path: str | None = None, *, executor: bool = True) -> None:
        self.settings = settings
        server = settings.service.server
        self.store = Store(server.database)
        self.integrator = Integrator(settings=settings)
        self.admission = Admission(self.integrator)
        self.guard = AuthGuard(self.store.users, free_failures=server.auth_failures,
                               cache_seconds=server.auth_cache_seconds)
        self.metrics = Metrics(self.store)
        self.supervisor = Supervisor(config_path, drain_seconds=server.drain_seconds)
        self.writer = GroupCommitter(self.store, self.quotas, self.supervisor.wake)
        self.waiters = Waiters(self.store)
        self._executor = executor
        self._tasks: list[asyncio.Task[None]] = []
        self.started = time.time()

    # -- life -------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._executor:
            self.supervisor.start()
        self._tasks = [asyncio.create_task(self.waiters.run()), asyncio.create_task(self._housekeeping())]
        if self.settings.service.server.warm_up:  # read every backend's capabilities now, not on a user's request
            asyncio.get_running_loop().run_in_executor(None, self._warm_up)

    def _warm_up(self) -> None:
        try:
            self.integrator.availability(self.integrator.backends.values())
        except Exception as exc:
            log.warning("reading the backends' capabilities failed: %s", exc)
        # What start-up made (the SDKs' modules, the plugins, the backends) lives as long as the
        # server: moved out of the collector's reach, it is no longer walked by every full
        # collection a stream of requests triggers (measured: a full collection of a warmed-up
        # server's heap took 100 ms, a pause in some request's answer; after freezing, 0.01 ms).
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.to_thread(self.writer.close)
        await asyncio.to_thread(self.supervisor.stop)
        self.integrator.close(wait=False)
        self.store.close()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                if self._executor:
                    self.supervisor.check()
                await asyncio.to_thread(self.store.sessions.expire)
                await asyncio.to_thread(self.metrics.follow)
            except Exception as exc:
                log.warning("housekeeping failed: %s: %s", type(exc).__name__, exc)

    # -- submission -------------------------------------------------------------------------------
    def quotas(self, user: str) -> Quotas:
        quota = self.settings.service.quotas.for_user(user)
        return Quotas(max_queued=quota.max_queued, qpu_seconds_per_day=quota.qpu_seconds_per_day)

    def admit(self, principal: Principal, requests: Sequence[JobRequest]) -> list[NewJob]:
        quota = self.settings.service.quotas.for_user(principal.name)
        sessions: dict[str, str] = {}
        jobs = []
        for request in requests:
            backend = None
            if request.session is not None:
                if request.session not in sessions:
                    info = self.store.sessions.get(request.session, principal.user_id)
                    if info is None:
                        raise ApiError(404, f"no session {request.session}")
                    if info["status"] != "open":
                        raise ApiError(409, f"session {request.session} is {info['status']}"
                                            + (f" ({info['reason']})" if info.get("reason") else "") + "; open a new one")
                    sessions[request.session] = info["backend"]
                backend = sessions[request.session]
            jobs.append(self.admission.check(request, principal, quota, backend))
        return jobs

    async def submit(self, principal: Principal, jobs: list[NewJob]) -> list[tuple[dict[str, Any], bool]]:
        outcome = await asyncio.wrap_future(self.writer.submit(jobs))
        if isinstance(outcome, SubmissionRefused):
            self.metrics.refused.labels(outcome.quota or str(outcome.status)).inc()
            raise ApiError(outcome.status, str(outcome))
        for info, replayed in outcome:
            if not replayed:
                self.metrics.submitted.labels(info["backend"]).inc()
        log.info("user %s submitted %d job(s): %s", principal.name, len(outcome),
                 ", ".join(info["id"] for info, _ in outcome[:5]) + (" ..." if len(outcome) > 5 else ""))
        return outcome
