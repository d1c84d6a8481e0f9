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

from sqlalchemy import Connection, func, insert, select, update

from ..errors import QhpcError
from .db import Database
from .models import Job, JobEvent, Session, Usage

ACTIVE = ("QUEUED", "RUNNING")
FINAL = ("DONE", "FAILED", "CANCELLED")
#: What job listings and status answers show.
INFO_COLUMNS = (Job.seq, Job.id, Job.status, Job.substate, Job.backend, Job.requested_backend, Job.device,
                Job.session_id, Job.num_qubits, Job.shots, Job.seed, Job.memory, Job.attempt, Job.created_at,
                Job.started_at, Job.finished_at, Job.error, Job.digest, Job.user_id)


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
            state = _SubmitState(conn, quotas, now)
            return [state.request(jobs) for jobs in requests]

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str, user_id: int | None = None) -> dict[str, Any] | None:
        query = select(*INFO_COLUMNS).where(Job.id == job_id)
        if user_id is not None:
            query = query.where(Job.user_id == user_id)
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else info(row)

    def query(self, user_id: int, *, statuses: Iterable[str] = (), backends: Iterable[str] = (),
             since: float | None = None, until: float | None = None, session_id: str | None = None,
             before_seq: int | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
        """The user's jobs, newest first, and the cursor of the next page (``None``: no more)."""
        query = select(*INFO_COLUMNS).where(Job.user_id == user_id)
        statuses, backends = list(statuses), list(backends)
        if statuses:
            query = query.where(Job.status.in_(statuses))
        if backends:
            query = query.where(Job.backend.in_(backends))
        if since is not None:
            query = query.where(Job.created_at >= since)
        if until is not None:
            query = query.where(Job.created_at < until)
        if session_id is not None:
            query = query.where(Job.session_id == session_id)
        if before_seq is not None:
            query = query.where(Job.seq < before_seq)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(Job.seq.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return [info(r) for r in rows], (rows[-1].seq if more and rows else None)

    def events(self, job_id: str, user_id: int | None = None) -> list[dict[str, Any]] | None:
        with self.db.read() as conn:
            seq = _seq(conn, job_id, user_id)
            if seq is None:
                return None
            rows = conn.execute(select(JobEvent.time, JobEvent.kind, JobEvent.status, JobEvent.stage, JobEvent.seconds,
                                       JobEvent.detail, JobEvent.attempt)
                                .where(JobEvent.job_seq == seq).order_by(JobEvent.id)).mappings().all()
        return [{k: v for k, v in r.items() if v is not None} for r in rows]

    def result(self, job_id: str, user_id: int | None = None) -> tuple[dict[str, Any], str | None, str | None] | None:
        """(job info, result text, digest) of a job, or ``None`` if there is no such job."""
        with self.db.read() as conn:
            row = conn.execute(select(*INFO_COLUMNS, Job.result.label("result_text"))
                               .where(Job.id == job_id, *([Job.user_id == user_id] if user_id is not None else [])
                                      )).first()
        if row is None:
            return None
        return info(row), row.result_text, row.digest

    def statuses(self, job_ids: Sequence[str]) -> dict[str, str]:
        if not job_ids:
            return {}
        with self.db.read() as conn:
            return {r.id: r.status for r in conn.execute(select(Job.id, Job.status).where(Job.id.in_(job_ids)))}

    # -- cancellation -----------------------------------------------------------------------------
    def cancel(self, job_id: str, user_id: int, reason: str = "cancelled by its owner") -> tuple[dict[str, Any], bool] | None:
        """Cancel a queued or running job: (its state now, whether this call cancelled it); ``None``
        if the user has no such job. A running job's executor notices and stops its backend."""
        now = time.time()
        with self.db.write() as conn:
            seq = _seq(conn, job_id, user_id)
            if seq is None:
                return None
            done = conn.execute(update(Job).where(Job.seq == seq, Job.status.in_(ACTIVE))
                                .values(status="CANCELLED", substate=None, finished_at=now, error=reason))
            changed = done.rowcount == 1
            if changed:
                attempt = conn.execute(select(Job.attempt).where(Job.seq == seq)).scalar_one()
                conn.execute(insert(JobEvent).values(job_seq=seq, attempt=attempt, time=now, kind="cancelled",
                                                     status="CANCELLED", detail=reason))
            row = conn.execute(select(*INFO_COLUMNS).where(Job.seq == seq)).one()
        return info(row), changed


def _seq(conn: Connection, job_id: str, user_id: int | None) -> int | None:
    query = select(Job.seq).where(Job.id == job_id)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    return conn.execute(query).scalar()


class _SubmitState:
    """The per-user counts of one submission transaction."""

    def __init__(self, conn: Connection, quotas: Callable[[str], Quotas], now: float) -> None:
        self.conn = conn
        self.quotas = quotas
        self.now = now
        self.active: dict[int, int] = {}
        self.qpu_seconds: dict[int, float] = {}

    def _active(self, user_id: int) -> int:
        if user_id not in self.active:
            self.active[user_id] = self.conn.execute(select(func.count()).select_from(Job).where(
                Job.user_id == user_id, Job.status.in_(ACTIVE))).scalar_one()
        return self.active[user_id]

    def _qpu_seconds(self, user_id: int) -> float:
        if user_id not in self.qpu_seconds:
            self.qpu_seconds[user_id] = float(self.conn.execute(
                select(func.coalesce(func.sum(Usage.seconds), 0.0)).where(
                    Usage.user_id == user_id, Usage.device == "qpu", Usage.at >= self.now - 86400.0)).scalar_one())
        return self.qpu_seconds[user_id]

    def request(self, jobs: Sequence[NewJob]) -> list[tuple[dict[str, Any], bool]] | SubmissionRefused:
        if not jobs:
            return []
        conn = self.conn
        user_id, user = jobs[0].user_id, jobs[0].user_name
        # retried requests: the jobs their keys created the first time
        keys = [j.idempotency_key for j in jobs if j.idempotency_key is not None]
        if len(set(keys)) != len(keys):
            return SubmissionRefused(422, "the same idempotency key is given to two jobs of one request")
        existing: dict[str, Any] = {}
        if keys:
            for row in conn.execute(select(*INFO_COLUMNS, Job.idempotency_key, Job.request_hash)
                                    .where(Job.user_id == user_id, Job.idempotency_key.in_(keys))):
                existing[row.idempotency_key] = row
        fresh = [j for j in jobs if j.idempotency_key not in existing]
        for job in jobs:
            old = existing.get(job.idempotency_key) if job.idempotency_key is not None else None
            if old is not None and old.request_hash != job.request_hash:
                return SubmissionRefused(409, f"idempotency key {job.idempotency_key!r} was used for a different "
                                              f"request (job {old.id}); use a new key for a new job")
        quota = self.quotas(user)
        if fresh and quota.max_queued is not None and self._active(user_id) + len(fresh) > quota.max_queued:
            return SubmissionRefused(429, f"quota max_queued: {user} has {self._active(user_id)} jobs queued or running "
                                          f"and may have at most {quota.max_queued}; wait for some to finish",
                                     "max_queued")
        if any(j.device == "qpu" for j in fresh) and quota.qpu_seconds_per_day is not None:
            used = self._qpu_seconds(user_id)
            if used >= quota.qpu_seconds_per_day:
                return SubmissionRefused(429, f"quota qpu_seconds_per_day: {user} used {used:.1f} of "
                                              f"{quota.qpu_seconds_per_day:g} QPU seconds in the last 24 hours",
                                         "qpu_seconds_per_day")
        sessions = {j.session_id for j in fresh if j.session_id is not None}
        for session_id in sessions:
            session = conn.execute(select(Session.status, Session.backend, Session.user_id)
                                   .where(Session.id == session_id)).first()
            if session is None or session.user_id != user_id:
                return SubmissionRefused(404, f"no session {session_id}")
            if session.status != "open":
                return SubmissionRefused(409, f"session {session_id} is {session.status}; open a new one")
            conn.execute(update(Session).where(Session.id == session_id).values(last_used_at=self.now))
        if fresh:
            conn.execute(insert(Job), [_row(j, self.now) for j in fresh])
            seqs = dict(conn.execute(select(Job.id, Job.seq).where(Job.id.in_([j.id for j in fresh]))).all())
            conn.execute(insert(JobEvent), [{"job_seq": seqs[j.id], "attempt": 0, "time": self.now, "kind": "accepted",
                                             "status": "QUEUED", "stage": None, "seconds": None, "detail": None}
                                            for j in fresh])
            self.active[user_id] = self._active(user_id) + len(fresh)
        created = {row.id: row for row in conn.execute(select(*INFO_COLUMNS).where(
            Job.id.in_([j.id for j in fresh])))} if fresh else {}
        out: list[tuple[dict[str, Any], bool]] = []
        for job in jobs:
            if job.idempotency_key is not None and job.idempotency_key in existing:
                out.append((info(existing[job.idempotency_key]), True))
            else:
                out.append((info(created[job.id]), False))
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
