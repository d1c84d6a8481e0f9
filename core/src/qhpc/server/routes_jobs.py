"""``/v1/jobs``: submit one job or a batch, follow them, fetch results, cancel; ``/v1/sessions``.

A user sees only their own jobs and sessions: another user's id is answered 404, exactly as an id
that does not exist, so ids leak nothing.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.concurrency import run_in_threadpool

from ..store import Principal
from .deps import principal, service
from .errors import ApiError
from .schemas import (
    BatchAnswer,
    BatchRequest,
    ErrorAnswer,
    EventList,
    JobInfo,
    JobList,
    JobRequest,
    ResultAnswer,
    SessionInfo,
    SessionRequest,
)
from .service import Service

STATES = ("QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorAnswer} for code in (401, 403, 404, 409, 413, 422, 429)}

router = APIRouter(prefix="/v1", responses=ERRORS)

Svc = Annotated[Service, Depends(service)]
User = Annotated[Principal, Depends(principal)]


def _not_found(job_id: str) -> ApiError:
    return ApiError(404, f"no job {job_id}")


@router.post("/jobs", status_code=201, response_model=JobInfo, summary="Submit a job")
async def submit(body: JobRequest, response: Response, svc: Svc, user: User,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> dict[str, Any]:
    """Store the job durably and answer (201; 200 when the idempotency key names an existing job)."""
    # a well-formed submission is answered by .fastpath.SubmitFastPath, with accept() below
    info, response.status_code = await accept(svc, user, body, idempotency_key)
    return info


async def accept(svc: Service, user: Principal, body: JobRequest, idempotency_key: str | None
                 ) -> tuple[dict[str, Any], int]:
    """Admit and durably store one job: (its info, 201; or 200 when the key names an existing job)."""
    start = time.perf_counter()
    if idempotency_key is not None and body.idempotency_key is None:
        body.idempotency_key = idempotency_key
    jobs = svc.admit(user, [body]) if svc.admission.cached(body) else await run_in_threadpool(svc.admit, user, [body])
    (info, replayed), = await svc.submit(user, jobs)
    svc.metrics.submit_seconds.observe(time.perf_counter() - start)
    return {**info, "replayed": replayed}, 200 if replayed else 201


@router.post("/jobs/batch", status_code=201, response_model=BatchAnswer, summary="Submit several jobs at once")
async def submit_batch(body: BatchRequest, svc: Svc, user: User) -> dict[str, Any]:
    """All or nothing: either every job is stored, or none is and the answer says why."""
    limit = svc.settings.service.server.max_batch
    if len(body.jobs) > limit:
        raise ApiError(422, f"a batch holds at most {limit} jobs, not {len(body.jobs)}")
    start = time.perf_counter()
    jobs = (svc.admit(user, body.jobs) if all(svc.admission.cached(j) for j in body.jobs)
            else await run_in_threadpool(svc.admit, user, body.jobs))
    outcome = await svc.submit(user, jobs)
    svc.metrics.submit_seconds.observe(time.perf_counter() - start)
    return {"jobs": [{**info, "replayed": replayed} for info, replayed in outcome]}


@router.get("/jobs", response_model=JobList, summary="List your jobs")
def list_jobs(svc: Svc, user: User,
              status: Annotated[list[str], Query(description="QUEUED, RUNNING, DONE, FAILED, CANCELLED")] = [],  # noqa: B006
              backend: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006
              since: Annotated[float | None, Query(description="created at or after (seconds since the epoch)")] = None,
              until: Annotated[float | None, Query(description="created before (seconds since the epoch)")] = None,
              session: Annotated[str | None, Query(max_length=64)] = None,
              cursor: Annotated[str | None, Query(max_length=32)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Newest first; ``next_cursor`` gives the next page."""
    wrong = [s for s in status if s.upper() not in STATES]
    if wrong:
        raise ApiError(422, f"status {wrong[0]!r} is not one of {', '.join(STATES)}")
    before = None
    if cursor is not None:
        if not cursor.isdigit():
            raise ApiError(422, f"cursor {cursor!r} is not one this server gave")
        before = int(cursor)
    jobs, next_seq = svc.store.jobs.query(user.user_id, statuses=[s.upper() for s in status], backends=backend,
                                         since=since, until=until, session_id=session, before_seq=before, limit=limit)
    return {"jobs": jobs, "next_cursor": None if next_seq is None else str(next_seq)}


@router.get("/jobs/{job_id}", response_model=JobInfo, summary="A job's state")
def get_job(job_id: str, svc: Svc, user: User) -> dict[str, Any]:
    info = svc.store.jobs.get(job_id, user.user_id)
    if info is None:
        raise _not_found(job_id)
    return info


@router.get("/jobs/{job_id}/events", response_model=EventList, summary="A job's event log")
def job_events(job_id: str, svc: Svc, user: User) -> dict[str, Any]:
    events = svc.store.jobs.events(job_id, user.user_id)
    if events is None:
        raise _not_found(job_id)
    return {"job_id": job_id, "events": events}


@router.get("/jobs/{job_id}/result", response_model=ResultAnswer, summary="A job's result",
            responses={202: {"model": JobInfo, "description": "not finished yet"},
                       409: {"model": ErrorAnswer, "description": "it failed or was cancelled"}})
async def job_result(job_id: str, svc: Svc, user: User,
                     wait: Annotated[float, Query(ge=0, le=3600, description="seconds to wait for it to finish")] = 0
                     ) -> Response:
    """200 with the result and its digest when DONE; 202 with the state while it runs (after
    waiting up to ``wait`` seconds); 409 with the reason if it FAILED or was CANCELLED."""
    found = await run_in_threadpool(svc.store.jobs.result, job_id, user.user_id)
    if found is None:
        raise _not_found(job_id)
    wait = min(wait, svc.settings.service.server.result_wait_max)
    if found[0]["status"] not in ("DONE", "FAILED", "CANCELLED") and wait > 0:
        await svc.waiters.wait(job_id, wait)
        found = await run_in_threadpool(svc.store.jobs.result, job_id, user.user_id)
        assert found is not None
    info, text, digest = found
    if info["status"] == "DONE" and text is not None and digest is not None:
        # the stored canonical text, byte for byte: the digest covers exactly what is sent
        body = '{"job_id":' + json.dumps(job_id) + ',"digest":' + json.dumps(digest) + ',"result":' + text + "}"
        return Response(body.encode("utf-8"), media_type="application/json")
    if info["status"] in ("FAILED", "CANCELLED"):
        message = f"job {job_id} {'failed' if info['status'] == 'FAILED' else 'was cancelled'}: {info['error']}"
        return Response(json.dumps({"error": message, "status": info["status"]}), status_code=409,
                        media_type="application/json")
    return Response(JobInfo(**info).model_dump_json(), status_code=202, media_type="application/json")


@router.post("/jobs/{job_id}/cancel", response_model=JobInfo, summary="Cancel a job")
def cancel_job(job_id: str, svc: Svc, user: User) -> dict[str, Any]:
    """Cancel a queued or running job (409 if it had finished already)."""
    found = svc.store.jobs.cancel(job_id, user.user_id)
    if found is None:
        raise _not_found(job_id)
    info, changed = found
    if not changed:
        raise ApiError(409, f"job {job_id} is {info['status']} already")
    svc.supervisor.wake()
    return info


# -- sessions -----------------------------------------------------------------------------------


@router.post("/sessions", status_code=201, response_model=SessionInfo, summary="Open a session on a backend")
def open_session(body: SessionRequest, svc: Svc, user: User) -> dict[str, Any]:
    """Jobs submitted with ``session`` run in order on its backend, ahead of other jobs, with their
    compiled programs kept; it ends when closed, idle for ``idle_timeout``, or at ``max_lifetime``."""
    limits = svc.settings.service.sessions
    if body.backend == "auto":
        raise ApiError(422, "a session runs on one named backend, not auto")
    try:
        svc.integrator.capabilities(body.backend)
    except Exception as exc:
        raise ApiError(422, f"cannot open a session on {body.backend}: {exc}") from None
    idle = min(body.idle_timeout or limits.idle_timeout, limits.idle_timeout)
    lifetime = min(body.max_lifetime or limits.max_lifetime, limits.max_lifetime)
    return svc.store.sessions.open(user.user_id, body.backend, idle, lifetime)


@router.get("/sessions/{session_id}", response_model=SessionInfo, summary="A session's state")
def get_session(session_id: str, svc: Svc, user: User) -> dict[str, Any]:
    info = svc.store.sessions.get(session_id, user.user_id)
    if info is None:
        raise ApiError(404, f"no session {session_id}")
    return info


@router.delete("/sessions/{session_id}", response_model=SessionInfo, summary="Close a session")
def close_session(session_id: str, svc: Svc, user: User) -> dict[str, Any]:
    """No new jobs are accepted; those already queued still run."""
    info = svc.store.sessions.close(session_id, user.user_id)
    if info is None:
        raise ApiError(404, f"no session {session_id}")
    return info
