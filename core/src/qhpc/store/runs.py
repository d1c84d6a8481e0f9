"""Jobs as the executor sees them: claiming, recording progress, completing, recovering.

Every change an executor makes is conditional on the job still being its own run:
``status = 'RUNNING' AND owner = :me AND attempt = :n``. A job cancelled by its owner, or taken
over by the recovery of a restarted server, no longer matches, so an outdated run can neither
complete it nor change its state. Claiming increments ``attempt``; together these make completion
happen at most once per job, however often a crash makes it run.

Recovery (at executor start) looks at every job left RUNNING by another executor:

* on a QPU on the premises: FAILED, with the reason; it may have used the device, and running
  it again could use it twice;
* otherwise (emulators; remote peers, which deduplicate by idempotency key): QUEUED again, unless
  it has been interrupted ``max_attempts`` times already (then FAILED, with the count).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update

from .db import Database
from .jobs import _SQL, PRIORITIES, _in
from .models import JOB_EVENTS, JOBS, USAGE

J = JOBS.c
E = JOB_EVENTS.c
U = USAGE.c


@dataclass
class Claimed:
    """A job an executor took: everything needed to run it."""

    seq: int
    id: str
    user_id: int
    attempt: int
    backend: str
    device: str
    location: str
    session_id: str | None
    program: str
    program_format: str | None
    shots: int
    seed: int | None
    memory: bool
    parameters: dict[str, float]
    options: dict[str, Any]
    time_limit: float | None


@dataclass
class Progress:
    """Events, and optionally a new sub-state and resolved backend, of one run."""

    seq: int
    attempt: int
    events: list[dict[str, Any]] = field(default_factory=list)
    substate: str | None = None
    backend: str | None = None


@dataclass
class Completion:
    """The end of one run: DONE with a result, FAILED with an error, or CANCELLED."""

    seq: int
    attempt: int
    user_id: int
    status: str
    backend: str
    device: str
    result: str | None = None
    digest: str | None = None
    error: str | None = None
    run_seconds: float | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


_CLAIM_COLUMNS = (J.seq, J.id, J.user_id, J.attempt, J.backend, J.device, J.location, J.session_id,
                  J.program, J.program_format, J.shots, J.seed, J.memory, J.parameters, J.options,
                  J.time_limit)


#: A job a dead executor knew was only waiting is queued again without counting, up to this many
#: times max_attempts attempts (a bound, should the record be wrong).
WAITING_REQUEUES = 3


class Runs:
    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def orphan_owners(self) -> list[str]:
        """The other executors that hold RUNNING jobs (dead ones: one executor runs per store)."""
        with self.db.read() as conn:
            return [o for (o,) in conn.execute(select(J.owner).distinct().where(
                J.status == "RUNNING", J.owner.is_not(None), J.owner != self.owner)).all()]

    def recover(self, max_attempts: int, waiting: Mapping[str, Collection[int]] | None = None) -> dict[str, int]:
        """Requeue or fail the jobs other (dead) executors left RUNNING; counts of each. A job of an
        on-premises QPU that may have started on the device (sub-state ``executing``, or unknown) is
        failed rather than run twice; one still compiling or waiting is queued again.

        ``waiting`` names, by owner, the jobs a dead executor recorded as not running (taken, or
        waiting for a worker; see :func:`qhpc.server.executor.waiting_jobs`): taken for innocent of
        its end, they are queued again
        without counting toward ``max_attempts`` (a job that crashes every executor that runs it
        would otherwise take down up to a batch of other users' jobs with it, each crash using one
        of their attempts). Other interruptions count; a job fails at the ``max_attempts``-th."""
        now = time.time()
        counts = {"requeued": 0, "failed": 0}
        with self.db.write() as conn:
            rows = conn.execute(select(J.seq, J.attempt, J.device, J.location, J.owner, J.substate).where(
                J.status == "RUNNING", (J.owner.is_(None)) | (J.owner != self.owner))).all()
            for row in rows:
                idle = row.seq in (waiting or {}).get(row.owner or "", ())
                # the executor commits "executing" before a job of an on-premises QPU starts on the
                # device: one still compiling or waiting for a worker never reached it
                if row.device == "qpu" and row.location != "remote" and row.substate not in ("compiling", "waiting"):
                    status, reason = "FAILED", (f"the server stopped while attempt {row.attempt} was running on a "
                                                "QPU; it is not run again because it may have used the device")
                elif idle and row.attempt < WAITING_REQUEUES * max_attempts:
                    status, reason = "QUEUED", (f"attempt {row.attempt} was waiting for a worker when its executor "
                                                "stopped; queued again (not counted as an interruption)")
                else:
                    interrupted = 1 + conn.execute(select(func.count()).select_from(JOB_EVENTS).where(
                        JOB_EVENTS.c.job_seq == row.seq, JOB_EVENTS.c.kind == "requeued",
                        JOB_EVENTS.c.detail.like("% was interrupted by %"))).scalar_one()
                    if interrupted >= max_attempts:
                        status, reason = "FAILED", (f"interrupted {interrupted} times by server restarts "
                                                    f"(max_attempts = {max_attempts}); not run again")
                    else:
                        status, reason = "QUEUED", (f"attempt {row.attempt} was interrupted by a server restart; "
                                                    "queued again")
                values: dict[str, Any] = {"status": status, "substate": None, "owner": None}
                if status == "FAILED":
                    values.update(error=reason, finished_at=now)
                done = conn.execute(update(JOBS).where(J.seq == row.seq, J.status == "RUNNING",
                                                      J.attempt == row.attempt).values(**values))
                if done.rowcount == 1:
                    conn.execute(insert(JOB_EVENTS).values(
                        job_seq=row.seq, attempt=row.attempt, time=now, status=status, stage=None, seconds=None,
                        kind="requeued" if status == "QUEUED" else "failed", detail=reason))
                    counts["requeued" if status == "QUEUED" else "failed"] += 1
        return counts

    def claim(self, limit: int, busy_sessions: Iterable[str] = ()) -> list[Claimed]:
        """Take up to ``limit`` queued jobs, oldest first (session jobs before others), never two
        of one session at once nor one of a session in ``busy_sessions``."""
        return self.cycle((), (), limit, busy_sessions)[1]

    def cycle(self, progress: Sequence[Progress], completions: Sequence[Completion], limit: int,
              busy_sessions: Iterable[str] = ()) -> tuple[list[bool], list[Claimed]]:
        """:meth:`record` and :meth:`claim` in one transaction (one commit, one sync, per turn of
        the executor's loop).

        SQLite has one writer at a time, and the executor's transaction keeps the server's
        submissions waiting while it runs, so it is short: plain SQL on the driver's cursor, the
        parameters made before it starts, no column update for a job whose completion is in the
        same transaction (measured: these transactions held the write lock 16 ms at the median
        under load, a quarter to 40% of the time, before)."""
        if not progress and not completions and limit <= 0:
            return [], []
        now = time.time()
        sql = _SQL[self.db.is_sqlite]
        ending = {(c.seq, c.attempt) for c in completions}
        updates: list[tuple[str, list[Any]]] = []
        events: list[tuple[Any, ...]] = []
        for item in progress:
            events.extend(_event_row(item.seq, item.attempt, e) for e in item.events)
            if (item.seq, item.attempt) in ending:  # the completion below sets both columns
                continue
            values = {k: v for k, v in (("substate", item.substate), ("backend", item.backend)) if v is not None}
            if values:
                # "executing" is never taken back: the executor commits it directly before a QPU job
                # starts, and a "waiting" it queued earlier may reach the store after it
                sets = ", ".join("substate = CASE WHEN substate = 'executing' THEN substate ELSE ? END"
                                 if k == "substate" else f"{k} = ?" for k in values)
                updates.append((sql(f"UPDATE jobs SET {sets} WHERE {_MINE}"),
                                [*values.values(), item.seq, self.owner, item.attempt]))
        finish = sql("UPDATE jobs SET status = ?, substate = NULL, finished_at = ?, result = ?, digest = ?, error = ?, "
                     f"backend = ?, owner = NULL WHERE {_MINE}")
        accepted: list[bool] = []
        usage: list[tuple[Any, ...]] = []
        finishing = [[done.status, now, done.result, done.digest, done.error, done.backend, done.seq, self.owner,
                      done.attempt] for done in completions]
        with self.db.write_cursor() as cursor:
            for text, params in updates:
                cursor.execute(text, params)
            if self.db.is_sqlite:  # in-process: one statement after the other costs nothing more
                changed = []
                for params in finishing:
                    cursor.execute(finish, params)
                    changed.append(cursor.rowcount == 1)
            else:  # PostgreSQL: every completion in one round trip (a pipeline), each saying if it counted
                changed = _returning_many(cursor, finish + " RETURNING seq", finishing)
            for done, counted in zip(completions, changed):
                accepted.append(counted)
                if counted:
                    events.extend(_event_row(done.seq, done.attempt, e) for e in done.events)
                else:  # an outdated run: its outcome does not count, and the log says so
                    cursor.execute(sql("SELECT status FROM jobs WHERE seq = ?"), [done.seq])
                    status = cursor.fetchall()[0][0]
                    events.append((done.seq, done.attempt, now, "discarded", status, None, None,
                                   f"attempt {done.attempt} ended {done.status}, but the job had been cancelled or "
                                   "taken over; that outcome is not used"))
                if done.run_seconds:  # the backend was used, whether or not the outcome still counts
                    usage.append((done.user_id, done.seq, done.backend, done.device, done.run_seconds, now))
            claimed = self._claim(cursor, sql, now, limit, set(busy_sessions)) if limit > 0 else []
            events.extend((c.seq, c.attempt, now, "dispatched", "RUNNING", None, None, f"attempt {c.attempt}")
                          for c in claimed)
            if events:
                cursor.executemany(sql(f"INSERT INTO job_events ({', '.join(_EVENT_COLUMNS)}) "
                                       f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})"), events)
            if usage:
                cursor.executemany(sql("INSERT INTO usage (user_id, job_seq, backend, device, seconds, at) "
                                       "VALUES (?, ?, ?, ?, ?, ?)"), usage)
        return accepted, claimed

    def _claim(self, cursor: Any, sql: Any, now: float, limit: int, busy: set[str]) -> list[Claimed]:
        # one query per priority, each an ordered walk of ix_jobs_claim (status, priority, seq) that
        # stops after a few rows; "ORDER BY priority DESC, seq" sorts every queued job instead
        picked: list[int] = []
        for priority in PRIORITIES:
            cursor.execute(sql("SELECT seq, session_id FROM jobs WHERE status = 'QUEUED' AND priority = ? "
                               "ORDER BY seq LIMIT ?"), [priority, limit * 4 + len(busy)])
            for seq, session_id in cursor.fetchall():
                if session_id is not None:
                    if session_id in busy:
                        continue
                    busy.add(session_id)
                picked.append(seq)
                if len(picked) == limit:
                    break
            if len(picked) == limit:
                break
        if not picked:
            return []
        cursor.execute(sql(f"UPDATE jobs SET status = 'RUNNING', substate = 'compiling', owner = ?, "
                           f"attempt = attempt + 1, started_at = ? WHERE seq IN {_in(len(picked))} "
                           "AND status = 'QUEUED'"), [self.owner, now, *picked])
        cursor.execute(sql(f"SELECT {', '.join(_CLAIM_NAMES)} FROM jobs WHERE seq IN {_in(len(picked))} "
                           "AND owner = ? AND status = 'RUNNING'"), [*picked, self.owner])
        order = {seq: k for k, seq in enumerate(picked)}
        rows = sorted((dict(zip(_CLAIM_NAMES, row)) for row in cursor.fetchall()), key=lambda r: order[r["seq"]])
        return [Claimed(**{**r, "memory": bool(r["memory"]), "parameters": json.loads(r["parameters"]),
                           "options": json.loads(r["options"])}) for r in rows]

    def stopped(self, runs: Sequence[tuple[int, int]]) -> set[int]:
        """Of the runs ``(seq, attempt)`` in flight here, those that are no longer this executor's
        (cancelled by their owner, or taken over)."""
        if not runs:
            return set()
        attempts = dict(runs)
        with self.db.read() as conn:
            rows = conn.execute(select(J.seq, J.status, J.owner, J.attempt)
                                .where(J.seq.in_(list(attempts)))).all()
        return {r.seq for r in rows
                if not (r.status == "RUNNING" and r.owner == self.owner and r.attempt == attempts[r.seq])}

    def record(self, progress: Sequence[Progress], completions: Sequence[Completion]) -> list[bool]:
        """Write progress and completions in one transaction; for each completion, whether it was
        accepted (the run was still this executor's)."""
        return self.cycle(progress, completions, 0)[0]


#: A run is this executor's: the completion of another attempt, or of a job cancelled or taken
#: over meanwhile, changes nothing.
_MINE = "seq = ? AND status = 'RUNNING' AND owner = ? AND attempt = ?"
_EVENT_COLUMNS = ("job_seq", "attempt", "time", "kind", "status", "stage", "seconds", "detail")
_CLAIM_NAMES = [c.key for c in _CLAIM_COLUMNS]


def _returning_many(cursor: Any, statement: str, params: list[list[Any]]) -> list[bool]:
    """psycopg: run ``statement`` (``... RETURNING``) for each parameter list in one pipeline;
    whether each returned a row."""
    if not params:
        return []
    cursor.executemany(statement, params, returning=True)
    out = []
    while True:
        out.append(bool(cursor.fetchall()))
        if not cursor.nextset():
            return out


def _event_row(seq: int, attempt: int, event: dict[str, Any]) -> tuple[Any, ...]:
    return (seq, attempt, event["time"], event["kind"], event["status"], event.get("stage"), event.get("seconds"),
            event.get("detail"))
