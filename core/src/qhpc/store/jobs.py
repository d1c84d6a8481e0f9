"""Jobs as users see them: durable submission (idempotent, within quotas), queries, cancellation.

:meth:`Jobs.submit` writes many requests in one transaction (the server's group commit): per user
it counts the jobs still queued or running and the QPU seconds of the last day *inside* that
transaction, so concurrent requests cannot slip past a quota, and it looks up idempotency keys so
a retried request returns the job it created the first time instead of a second one.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ..errors import QhpcError
from .db import Database
from .models import JOB_EVENTS, JOBS, SESSIONS, USAGE

J = JOBS.c
E = JOB_EVENTS.c
S = SESSIONS.c
U = USAGE.c

ACTIVE = ("QUEUED", "RUNNING")
FINAL = ("DONE", "FAILED", "CANCELLED")
#: What job listings and status answers show.
INFO_COLUMNS = (J.seq, J.id, J.status, J.substate, J.backend, J.requested_backend, J.device,
                J.session_id, J.num_qubits, J.shots, J.seed, J.memory, J.attempt, J.created_at,
                J.started_at, J.finished_at, J.error, J.digest, J.user_id)


class SubmissionRefused(QhpcError):
    """A request the store refused: ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, quota: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.quota = quota


@dataclass
class NewJob:
    """One job of a submission, checked by the server before it reaches the store."""

    user_id: int
    user_name: str
    backend: str
    requested_backend: str
    device: str
    location: str
    program: str
    program_format: str | None
    num_qubits: int
    shots: int
    seed: int | None
    memory: bool
    parameters: dict[str, float]
    options: dict[str, Any]
    time_limit: float | None
    request_hash: str
    idempotency_key: str | None = None
    session_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class Quotas:
    """The limits :meth:`Jobs.submit` enforces for one user (``None``: unlimited)."""

    max_queued: int | None
    qpu_seconds_per_day: float | None


_INFO_KEYS = [c.key for c in INFO_COLUMNS if c.key not in ("seq", "user_id", "digest")]


def info(row: Any) -> dict[str, Any]:
    """The JSON form of a job's state (from a row holding :data:`INFO_COLUMNS`)."""
    mapping = row._mapping
    data = {key: mapping[key] for key in _INFO_KEYS}
    data["memory"] = bool(data["memory"])
    data["has_result"] = mapping["digest"] is not None
    return data


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- submission -------------------------------------------------------------------------
    def submit(self, requests: Sequence[Sequence[NewJob]], quotas: Callable[[str], Quotas],
               now: float | None = None) -> list[list[tuple[dict[str, Any], bool]] | SubmissionRefused]:
        """Store the jobs of each request in one transaction. Each request is all or nothing; the
        answer for each is a list of (job info, replayed) or the refusal."""
        now = time.time() if now is None else now
        with self.db.write() as conn:
            state = _SubmitState(conn, quotas, now, requests)
            plans = [state.plan(jobs) for jobs in requests]
            created = state.store()
            return [state.answer(plan, created) for plan in plans]

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str, user_id: int | None = None) -> dict[str, Any] | None:
        query = select(*INFO_COLUMNS).where(J.id == job_id)
        if user_id is not None:
            query = query.where(J.user_id == user_id)
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else info(row)

    def query(self, user_id: int, *, statuses: Iterable[str] = (), backends: Iterable[str] = (),
             since: float | None = None, until: float | None = None, session_id: str | None = None,
             before_seq: int | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
        """The user's jobs, newest first, and the cursor of the next page (``None``: no more)."""
        query = select(*INFO_COLUMNS).where(J.user_id == user_id)
        statuses, backends = list(statuses), list(backends)
        if statuses:
            query = query.where(J.status.in_(statuses))
        if backends:
            query = query.where(J.backend.in_(backends))
        if since is not None:
            query = query.where(J.created_at >= since)
        if until is not None:
            query = query.where(J.created_at < until)
        if session_id is not None:
            query = query.where(J.session_id == session_id)
        if before_seq is not None:
            query = query.where(J.seq < before_seq)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(J.seq.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return [info(r) for r in rows], (rows[-1].seq if more and rows else None)

    def events(self, job_id: str, user_id: int | None = None) -> list[dict[str, Any]] | None:
        with self.db.read() as conn:
            seq = _seq(conn, job_id, user_id)
            if seq is None:
                return None
            rows = conn.execute(select(E.time, E.kind, E.status, E.stage, E.seconds,
                                       E.detail, E.attempt)
                                .where(E.job_seq == seq).order_by(E.id)).mappings().all()
        return [{k: v for k, v in r.items() if v is not None} for r in rows]

    def result(self, job_id: str, user_id: int | None = None) -> tuple[dict[str, Any], str | None, str | None] | None:
        """(job info, result text, digest) of a job, or ``None`` if there is no such job."""
        with self.db.read() as conn:
            row = conn.execute(select(*INFO_COLUMNS, J.result.label("result_text"))
                               .where(J.id == job_id, *([J.user_id == user_id] if user_id is not None else [])
                                      )).first()
        if row is None:
            return None
        return info(row), row.result_text, row.digest

    def statuses(self, job_ids: Sequence[str]) -> dict[str, str]:
        if not job_ids:
            return {}
        with self.db.read() as conn:
            return {r.id: r.status for r in conn.execute(select(J.id, J.status).where(J.id.in_(job_ids)))}

    # -- cancellation -----------------------------------------------------------------------------
    def cancel(self, job_id: str, user_id: int, reason: str = "cancelled by its owner") -> tuple[dict[str, Any], bool] | None:
        """Cancel a queued or running job: (its state now, whether this call cancelled it); ``None``
        if the user has no such job. A running job's executor notices and stops its backend."""
        now = time.time()
        with self.db.write() as conn:
            seq = _seq(conn, job_id, user_id)
            if seq is None:
                return None
            done = conn.execute(update(JOBS).where(J.seq == seq, J.status.in_(ACTIVE))
                                .values(status="CANCELLED", substate=None, finished_at=now, error=reason))
            changed = done.rowcount == 1
            if changed:
                attempt = conn.execute(select(J.attempt).where(J.seq == seq)).scalar_one()
                conn.execute(insert(JOB_EVENTS).values(job_seq=seq, attempt=attempt, time=now, kind="cancelled",
                                                     status="CANCELLED", detail=reason))
            row = conn.execute(select(*INFO_COLUMNS).where(J.seq == seq)).one()
        return info(row), changed


def _seq(conn: Connection, job_id: str, user_id: int | None) -> int | None:
    query = select(J.seq).where(J.id == job_id)
    if user_id is not None:
        query = query.where(J.user_id == user_id)
    return conn.execute(query).scalar()


class _Replay:
    """A job of a request that an idempotency key names: stored earlier, or earlier in this group."""

    def __init__(self, row: Any = None, job: NewJob | None = None) -> None:
        self.row = row
        self.job = job


# The statements of a submission, built once: a statement object built anew for each request costs
# more (construction and its cache key) than running it.
_ACTIVE_COUNT = select(func.count()).select_from(JOBS).where(J.user_id == bindparam("user_id"), J.status.in_(ACTIVE))
_BY_KEYS = select(*INFO_COLUMNS, J.idempotency_key, J.request_hash).where(
    J.user_id == bindparam("user_id"), J.idempotency_key.in_(bindparam("keys", expanding=True)))
_INSERT_JOBS = insert(JOBS).returning(J.id, J.seq, sort_by_parameter_order=True)
_INSERT_EVENTS = insert(JOB_EVENTS)


class _SubmitState:
    """One group of requests in one transaction: each request is planned against counts kept in
    memory (so the group needs a handful of statements whatever its size), then every new job
    is inserted at once."""

    def __init__(self, conn: Connection, quotas: Callable[[str], Quotas], now: float,
                 requests: Sequence[Sequence[NewJob]]) -> None:
        self.conn = conn
        self.quotas = quotas
        self.now = now
        self.qpu_seconds: dict[int, float] = {}
        self.sessions: dict[str, Any] = {}
        users = {j.user_id for jobs in requests for j in jobs}
        self.active: dict[int, int] = {user_id: conn.execute(_ACTIVE_COUNT, {"user_id": user_id}).scalar_one()
                                       for user_id in users}
        # what earlier requests stored under these idempotency keys
        self.keys: dict[tuple[int, str], _Replay] = {}
        for user_id in users:
            keys = sorted({j.idempotency_key for jobs in requests for j in jobs
                           if j.user_id == user_id and j.idempotency_key is not None})
            if keys:
                for row in conn.execute(_BY_KEYS, {"user_id": user_id, "keys": keys}):
                    self.keys[(user_id, row.idempotency_key)] = _Replay(row=row)
        self.fresh: list[NewJob] = []
        self.touched: set[str] = set()

    def _qpu_seconds(self, user_id: int) -> float:
        if user_id not in self.qpu_seconds:
            self.qpu_seconds[user_id] = float(self.conn.execute(
                select(func.coalesce(func.sum(U.seconds), 0.0)).where(
                    U.user_id == user_id, U.device == "qpu", U.at >= self.now - 86400.0)).scalar_one())
        return self.qpu_seconds[user_id]

    def _session(self, session_id: str) -> Any:
        if session_id not in self.sessions:
            self.sessions[session_id] = self.conn.execute(
                select(S.status, S.backend, S.user_id).where(S.id == session_id)).first()
        return self.sessions[session_id]

    def plan(self, jobs: Sequence[NewJob]) -> list[tuple[NewJob, _Replay | None]] | SubmissionRefused:
        """Decide a request: its jobs (each new, or replaying a stored one), or why it is refused."""
        if not jobs:
            return []
        user_id, user = jobs[0].user_id, jobs[0].user_name
        keys = [j.idempotency_key for j in jobs if j.idempotency_key is not None]
        if len(set(keys)) != len(keys):
            return SubmissionRefused(422, "the same idempotency key is given to two jobs of one request")
        planned: list[tuple[NewJob, _Replay | None]] = []
        for job in jobs:
            old = self.keys.get((user_id, job.idempotency_key)) if job.idempotency_key is not None else None
            if old is not None:
                stored_hash = old.row.request_hash if old.row is not None else old.job.request_hash  # type: ignore[union-attr]
                if stored_hash != job.request_hash:
                    stored_id = old.row.id if old.row is not None else old.job.id  # type: ignore[union-attr]
                    return SubmissionRefused(409, f"idempotency key {job.idempotency_key!r} was used for a different "
                                                  f"request (job {stored_id}); use a new key for a new job")
            planned.append((job, old))
        fresh = [job for job, old in planned if old is None]
        quota = self.quotas(user)
        if fresh and quota.max_queued is not None and self.active[user_id] + len(fresh) > quota.max_queued:
            return SubmissionRefused(429, f"quota max_queued: {user} has {self.active[user_id]} jobs queued or running "
                                          f"and may have at most {quota.max_queued}; wait for some to finish",
                                     "max_queued")
        if any(j.device == "qpu" for j in fresh) and quota.qpu_seconds_per_day is not None:
            used = self._qpu_seconds(user_id)
            if used >= quota.qpu_seconds_per_day:
                return SubmissionRefused(429, f"quota qpu_seconds_per_day: {user} used {used:.1f} of "
                                              f"{quota.qpu_seconds_per_day:g} QPU seconds in the last 24 hours",
                                         "qpu_seconds_per_day")
        for session_id in {j.session_id for j in fresh if j.session_id is not None}:
            session = self._session(session_id)
            if session is None or session.user_id != user_id:
                return SubmissionRefused(404, f"no session {session_id}")
            if session.status != "open":
                return SubmissionRefused(409, f"session {session_id} is {session.status}; open a new one")
            self.touched.add(session_id)
        self.active[user_id] += len(fresh)
        for job in fresh:
            if job.idempotency_key is not None:
                self.keys[(user_id, job.idempotency_key)] = _Replay(job=job)
        self.fresh.extend(fresh)
        return planned

    def store(self) -> dict[str, dict[str, Any]]:
        """Insert every new job of the group (and its ``accepted`` event); their infos by id."""
        if not self.fresh:
            return {}
        conn = self.conn
        rows = [_row(j, self.now) for j in self.fresh]
        seqs = dict((r.id, r.seq) for r in conn.execute(_INSERT_JOBS, rows))
        conn.execute(_INSERT_EVENTS, [{"job_seq": seqs[r["id"]], "attempt": 0, "time": self.now,
                                           "kind": "accepted", "status": "QUEUED", "stage": None, "seconds": None,
                                           "detail": None} for r in rows])
        if self.touched:
            conn.execute(update(SESSIONS).where(S.id.in_(self.touched)).values(last_used_at=self.now))
        return {r["id"]: {**{k: r[k] for k in _INFO_KEYS}, "memory": bool(r["memory"]), "has_result": False}
                for r in rows}

    def answer(self, plan: list[tuple[NewJob, _Replay | None]] | SubmissionRefused,
               created: dict[str, dict[str, Any]]) -> list[tuple[dict[str, Any], bool]] | SubmissionRefused:
        if isinstance(plan, SubmissionRefused):
            return plan
        out: list[tuple[dict[str, Any], bool]] = []
        for job, old in plan:
            if old is None:
                out.append((created[job.id], False))
            elif old.row is not None:
                out.append((info(old.row), True))
            else:  # replays a job stored by an earlier request of this group
                assert old.job is not None
                out.append((created[old.job.id], True))
        return out


def _row(job: NewJob, now: float) -> dict[str, Any]:
    return {
        "id": job.id, "user_id": job.user_id, "status": "QUEUED", "substate": None, "backend": job.backend,
        "requested_backend": job.requested_backend, "device": job.device, "location": job.location,
        "session_id": job.session_id, "priority": 1 if job.session_id else 0, "program": job.program,
        "program_format": job.program_format, "num_qubits": job.num_qubits, "shots": job.shots, "seed": job.seed,
        "memory": job.memory, "parameters": json.dumps(job.parameters, sort_keys=True),
        "options": json.dumps(job.options, sort_keys=True), "time_limit": job.time_limit,
        "idempotency_key": job.idempotency_key, "request_hash": job.request_hash, "attempt": 0, "owner": None,
        "created_at": now, "started_at": None, "finished_at": None, "error": None, "result": None, "digest": None,
    }
