"""Jobs as users see them: durable submission (idempotent, within quotas), queries, cancellation.

:meth:`Jobs.submit` writes many requests in one transaction (the server's group commit): per user
it counts the jobs still queued or running and the QPU seconds of the last day *inside* that
transaction, so concurrent requests cannot slip past a quota, and it looks up idempotency keys so
a retried request returns the job it created the first time instead of a second one.

Counting a user's queued and running jobs costs time in proportion to their number (1.3 ms a
transaction with 1,000-3,000 queued, measured: more than the inserts). The server's one writer
therefore keeps :class:`ActiveBounds`: an upper bound per user, which only its own inserts raise
(nothing else makes a job queued or running: the executor only moves jobs on, or back from
running to queued). A transaction counts exactly only where the bound would refuse. If someone
else has inserted jobs meanwhile (the first new job's ``seq`` is not the one after the writer's
last), the transaction is rolled back and done again, counting.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..errors import QhpcError
from .db import Database
from .models import JOB_EVENTS, JOBS, SESSIONS, USAGE

J = JOBS.c
E = JOB_EVENTS.c
S = SESSIONS.c
U = USAGE.c

ACTIVE = ("QUEUED", "RUNNING")
#: The priorities a job may have, highest first: jobs in a session (a hybrid loop waits for each)
#: come before the others.
PRIORITIES = (1, 0)
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


class ActiveBounds:
    """Upper bounds on users' queued-or-running job counts, kept across :meth:`Jobs.submit` calls
    by the one writer that makes them (see the module docstring). Not thread-safe: one writer."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        #: the ``seq`` of the last job the writer inserted (``None``: count afresh)
        self.last_seq: int | None = None

    def clear(self) -> None:
        self.counts.clear()
        self.last_seq = None


@dataclass
class Quotas:
    """The limits :meth:`Jobs.submit` enforces for one user (``None``: unlimited)."""

    max_queued: int | None
    qpu_seconds_per_day: float | None


_INFO_KEYS = [c.key for c in INFO_COLUMNS if c.key not in ("seq", "user_id", "digest")]


def info(row: Any) -> dict[str, Any]:
    """The JSON form of a job's state (from a row holding :data:`INFO_COLUMNS`)."""
    return _info_of(row._mapping)


class Jobs:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- submission -------------------------------------------------------------------------
    def submit(self, requests: Sequence[Sequence[NewJob]], quotas: Callable[[str], Quotas],
               now: float | None = None, bounds: ActiveBounds | None = None,
               ) -> list[list[tuple[dict[str, Any], bool]] | SubmissionRefused]:
        """Store the jobs of each request in one transaction. Each request is all or nothing; the
        answer for each is a list of (job info, replayed) or the refusal. ``bounds``: the
        caller's :class:`ActiveBounds`, if it is the only one inserting jobs (the server)."""
        now = time.time() if now is None else now
        while True:
            try:
                if not self.db.is_sqlite and _needs_no_reads(requests, quotas, bounds):
                    # PostgreSQL, and the group is decided from memory: one statement, its own
                    # transaction (the writer's bounds and last seq checked inside it)
                    state = _SubmitState(None, False, quotas, now, requests, bounds)
                    plans = [state.plan(jobs) for jobs in requests]
                    created = state.store(alone=self.db.write_alone)
                    answers = [state.answer(plan, created) for plan in plans]
                else:
                    with self.db.write_cursor() as cursor:
                        state = _SubmitState(cursor, self.db.is_sqlite, quotas, now, requests, bounds)
                        plans = [state.plan(jobs) for jobs in requests]
                        created = state.store()
                        answers = [state.answer(plan, created) for plan in plans]
                break
            except _StaleBounds:  # nothing stored: again, counting every user's jobs
                assert bounds is not None
                bounds.clear()
            except BaseException:
                if bounds is not None:
                    bounds.clear()
                raise
        if bounds is not None:  # committed: the counts and the writer's last seq are now right
            if state.raced:
                bounds.clear()
            else:
                bounds.counts.update(state.active)
                bounds.last_seq = state.last_seq
        return answers

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
    """A job of a request that an idempotency key names: stored earlier (``row``, a mapping of
    :data:`_KEY_COLUMNS`), or earlier in this group (``job``)."""

    def __init__(self, row: dict[str, Any] | None = None, job: NewJob | None = None) -> None:
        self.row = row
        self.job = job


# The submission runs its statements on the driver's cursor (sqlite3 or psycopg), as plain SQL
# written once, in a transaction of Database.write_cursor: SQLAlchemy's execution of a Core
# statement (compiled-cache lookup, parameter processing, events, result wrapping) and of a
# transaction (pool check-out, events, reset) cost more CPU than the statements themselves.
_INFO_NAMES = [c.key for c in INFO_COLUMNS]
_KEY_COLUMNS = [*_INFO_NAMES, "idempotency_key", "request_hash"]
_JOB_COLUMNS = [c.key for c in JOBS.columns if c.key != "seq"]
_EVENT_COLUMNS = ["job_seq", "attempt", "time", "kind", "status"]
#: Rows per multi-row INSERT (SQLite allows 32766 parameters a statement).
_ROWS_PER_INSERT = 500


def _in(n: int) -> str:
    return "(" + ",".join(["?"] * n) + ")"


class _Sql:
    """The submission's statements for one driver (``?`` placeholders, or psycopg's ``%s``)."""

    def __init__(self, qmark: bool) -> None:
        self.qmark = qmark

    def __call__(self, text: str) -> str:
        return text if self.qmark else text.replace("%", "%%").replace("?", "%s")

    def active(self, users: int) -> str:
        return self(f"SELECT user_id, count(*) FROM jobs WHERE user_id IN {_in(users)} "
                    "AND status IN ('QUEUED', 'RUNNING') GROUP BY user_id")

    def by_keys(self, keys: int) -> str:
        return self(f"SELECT {', '.join(_KEY_COLUMNS)} FROM jobs WHERE user_id = ? AND idempotency_key IN {_in(keys)}")

    def insert_jobs(self, rows: int) -> str:
        values = ",".join([_in(len(_JOB_COLUMNS))] * rows)
        return self(f"INSERT INTO jobs ({', '.join(_JOB_COLUMNS)}) VALUES {values} RETURNING id, seq")

    def insert_jobs_and_events_json(self, guard: str = "") -> str:
        """PostgreSQL: any number of jobs (a JSON array of their rows) and their events in one
        statement whose text does not depend on the number of rows, so psycopg converts it once
        and the server prepares it once; the rows travel as one string, parsed by the server.
        ``guard``: a condition the rows are inserted under."""
        columns = ", ".join(_JOB_COLUMNS)
        return self(f"WITH made AS (INSERT INTO jobs ({columns}) SELECT {columns} FROM "
                    f"json_populate_recordset(NULL::jobs, ?::json){guard} RETURNING id, seq), "
                    f"logged AS (INSERT INTO job_events ({', '.join(_EVENT_COLUMNS)}) "
                    "SELECT seq, 0, ?, 'accepted', 'QUEUED' FROM made) SELECT id, seq FROM made")

    def insert_jobs_and_events_alone(self) -> str:
        """:meth:`insert_jobs_and_events_json` as a transaction of its own: it inserts only if the
        jobs sequence last gave out the writer's last seq (an uncorrelated sub-select, evaluated
        once, before the first new seq is taken), and else inserts nothing."""
        return self.insert_jobs_and_events_json(
            " WHERE (SELECT pg_sequence_last_value(pg_get_serial_sequence('jobs', 'seq')::regclass)) = ?")

    def insert_events(self, rows: int) -> str:
        values = ",".join(["(?,0,?,'accepted','QUEUED')"] * rows)
        return self(f"INSERT INTO job_events ({', '.join(_EVENT_COLUMNS)}) VALUES {values}")


_SQL = {True: _Sql(qmark=True), False: _Sql(qmark=False)}
_PG_INSERT = _SQL[False].insert_jobs_and_events_json()
_PG_INSERT_ALONE = _SQL[False].insert_jobs_and_events_alone()


class _StaleBounds(Exception):
    """Jobs were inserted by someone else since the writer's :class:`ActiveBounds` were right."""


def _needs_no_reads(requests: Sequence[Sequence[NewJob]], quotas: Callable[[str], Quotas],
                    bounds: ActiveBounds | None) -> bool:
    """Whether a group can be decided without reading the store: the writer's bounds hold every
    user and keep each within their queue quota, and no job names an idempotency key, a session,
    or a QPU under a daily QPU-seconds quota."""
    if bounds is None or bounds.last_seq is None:
        return False
    asked: dict[int, int] = {}
    total = 0
    for jobs in requests:
        for j in jobs:
            if j.idempotency_key is not None or j.session_id is not None:
                return False
            if j.device == "qpu" and quotas(j.user_name).qpu_seconds_per_day is not None:
                return False
            asked[j.user_id] = asked.get(j.user_id, 0) + 1
            total += 1
    if total > _ROWS_PER_INSERT:
        return False
    names = {j.user_id: j.user_name for jobs in requests for j in jobs}
    for user_id, n in asked.items():
        known = bounds.counts.get(user_id)
        limit = quotas(names[user_id]).max_queued
        if known is None or (limit is not None and known + n > limit):
            return False
    return True


class _SubmitState:
    """One group of requests in one transaction: each request is planned against counts kept in
    memory (so the group needs a handful of statements whatever its size), then every new job
    is inserted at once."""

    def __init__(self, cursor: Any, qmark: bool, quotas: Callable[[str], Quotas], now: float,
                 requests: Sequence[Sequence[NewJob]], bounds: ActiveBounds | None = None) -> None:
        self.sql = _SQL[qmark]
        self.qmark = qmark
        self.cursor = cursor
        self.quotas = quotas
        self.now = now
        self.qpu_seconds: dict[int, float] = {}
        self.sessions: dict[str, Any] = {}
        cursor, sql = self.cursor, self.sql
        asked: dict[int, int] = {}  # jobs asked for in this group, per user
        names: dict[int, str] = {}
        for jobs in requests:
            for j in jobs:
                asked[j.user_id] = asked.get(j.user_id, 0) + 1
                names[j.user_id] = j.user_name
        users = sorted(asked)
        #: each user's queued-or-running jobs (exact, or an upper bound that is within the quota)
        self.active: dict[int, int] = {}
        #: the seq the first new job gets if nobody else inserted jobs since the bounds were right
        self.expected_seq: int | None = None
        self.last_seq = bounds.last_seq if bounds is not None else None
        if bounds is not None and bounds.last_seq is not None:
            for user_id in users:
                limit = quotas(names[user_id]).max_queued
                known = bounds.counts.get(user_id)
                if known is not None and (limit is None or known + asked[user_id] <= limit):
                    self.active[user_id] = known
            if self.active:
                self.expected_seq = bounds.last_seq + 1
        count = [u for u in users if u not in self.active]
        if count:
            self.active.update(dict.fromkeys(count, 0))
            cursor.execute(sql.active(len(count)), count)
            self.active.update((int(user_id), int(count)) for user_id, count in cursor.fetchall())
        # what earlier requests stored under these idempotency keys
        self.keys: dict[tuple[int, str], _Replay] = {}
        for user_id in users:
            keys = sorted({j.idempotency_key for jobs in requests for j in jobs
                           if j.user_id == user_id and j.idempotency_key is not None})
            if keys:
                cursor.execute(sql.by_keys(len(keys)), [user_id, *keys])
                for values in cursor.fetchall():
                    row = dict(zip(_KEY_COLUMNS, values))
                    self.keys[(user_id, row["idempotency_key"])] = _Replay(row=row)
        self.fresh: list[NewJob] = []
        self.touched: set[str] = set()
        #: jobs were inserted by someone else while this group's jobs were (they are stored)
        self.raced = False

    def _qpu_seconds(self, user_id: int) -> float:
        if user_id not in self.qpu_seconds:
            self.cursor.execute(self.sql("SELECT coalesce(sum(seconds), 0.0) FROM usage WHERE user_id = ? "
                                         "AND device = 'qpu' AND at >= ?"), [user_id, self.now - 86400.0])
            self.qpu_seconds[user_id] = float(self.cursor.fetchall()[0][0])
        return self.qpu_seconds[user_id]

    def _session(self, session_id: str) -> dict[str, Any] | None:
        if session_id not in self.sessions:
            self.cursor.execute(self.sql("SELECT status, backend, user_id FROM sessions WHERE id = ?"), [session_id])
            found = self.cursor.fetchone()
            self.sessions[session_id] = None if found is None else dict(zip(("status", "backend", "user_id"), found))
        return self.sessions[session_id]  # type: ignore[no-any-return]

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
                stored_hash = old.row["request_hash"] if old.row is not None else old.job.request_hash  # type: ignore[union-attr]
                if stored_hash != job.request_hash:
                    stored_id = old.row["id"] if old.row is not None else old.job.id  # type: ignore[union-attr]
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
            if session is None or session["user_id"] != user_id:
                return SubmissionRefused(404, f"no session {session_id}")
            if session["status"] != "open":
                return SubmissionRefused(409, f"session {session_id} is {session['status']}; open a new one")
            self.touched.add(session_id)
        self.active[user_id] += len(fresh)
        for job in fresh:
            if job.idempotency_key is not None:
                self.keys[(user_id, job.idempotency_key)] = _Replay(job=job)
        self.fresh.extend(fresh)
        return planned

    def store(self, alone: Callable[[str, Any], list[tuple[Any, ...]]] | None = None) -> dict[str, dict[str, Any]]:
        """Insert every new job of the group (and its ``accepted`` event); their infos by id.
        ``alone``: run the insert as one statement in a transaction of its own with this
        (PostgreSQL, a group decided without reads: see :func:`_needs_no_reads`)."""
        if not self.fresh:
            return {}
        cursor, sql, now = self.cursor, self.sql, self.now
        rows = [_row(j, now) for j in self.fresh]
        seqs: dict[str, int] = {}
        if alone is not None:
            assert self.expected_seq is not None and len(rows) <= _ROWS_PER_INSERT and not self.touched
            made = alone(_PG_INSERT_ALONE, [json.dumps(rows), self.expected_seq - 1, now])
            if not made:
                raise _StaleBounds  # the sequence moved on since the writer's last insert: nothing stored
            seqs.update((job_id, int(seq)) for job_id, seq in made)
            # another inserter took a seq between the check and this group's first: the jobs are
            # stored (a window of one statement, as with two transactions counting at once under
            # PostgreSQL's READ COMMITTED); the next group counts afresh
            self.raced = min(seqs.values()) != self.expected_seq
            self.last_seq = max(seqs.values())
            return {r["id"]: {**{k: r[k] for k in _INFO_KEYS}, "memory": bool(r["memory"]), "has_result": False}
                    for r in rows}
        for at in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[at:at + _ROWS_PER_INSERT]
            if self.qmark:
                cursor.execute(sql.insert_jobs(len(chunk)), [row[c] for row in chunk for c in _JOB_COLUMNS])
                seqs.update((job_id, int(seq)) for job_id, seq in cursor.fetchall())
                cursor.execute(sql.insert_events(len(chunk)), [v for row in chunk for v in (seqs[row["id"]], now)])
            else:  # PostgreSQL: the jobs and their events in one statement (one round trip)
                cursor.execute(_PG_INSERT, [json.dumps(chunk), now])
                seqs.update((job_id, int(seq)) for job_id, seq in cursor.fetchall())
            if at == 0 and self.expected_seq is not None and min(seqs.values()) != self.expected_seq:
                raise _StaleBounds  # someone else inserted jobs: the bounds may be too low
            self.last_seq = max(seqs.values())
        if self.touched:
            touched = sorted(self.touched)
            cursor.execute(sql(f"UPDATE sessions SET last_used_at = ? WHERE id IN {_in(len(touched))}"),
                           [now, *touched])
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
                out.append((_info_of(old.row), True))
            else:  # replays a job stored by an earlier request of this group
                assert old.job is not None
                out.append((created[old.job.id], True))
        return out


def _info_of(mapping: dict[str, Any]) -> dict[str, Any]:
    """:func:`info` of a plain mapping."""
    data = {key: mapping[key] for key in _INFO_KEYS}
    data["memory"] = bool(data["memory"])
    data["has_result"] = mapping["digest"] is not None
    return data


def _row(job: NewJob, now: float) -> dict[str, Any]:
    return {
        "id": job.id, "user_id": job.user_id, "status": "QUEUED", "substate": None, "backend": job.backend,
        "requested_backend": job.requested_backend, "device": job.device, "location": job.location,
        "session_id": job.session_id, "priority": PRIORITIES[0] if job.session_id else PRIORITIES[-1], "program": job.program,
        "program_format": job.program_format, "num_qubits": job.num_qubits, "shots": job.shots, "seed": job.seed,
        "memory": job.memory, "parameters": json.dumps(job.parameters, sort_keys=True),
        "options": json.dumps(job.options, sort_keys=True), "time_limit": job.time_limit,
        "idempotency_key": job.idempotency_key, "request_hash": job.request_hash, "attempt": 0, "owner": None,
        "created_at": now, "started_at": None, "finished_at": None, "error": None, "result": None, "digest": None,
    }
