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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .db import Database
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


class Runs:
    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def recover(self, max_attempts: int) -> dict[str, int]:
        """Requeue or fail the jobs other (dead) executors left RUNNING; counts of each."""
        now = time.time()
        counts = {"requeued": 0, "failed": 0}
        with self.db.write() as conn:
            rows = conn.execute(select(J.seq, J.attempt, J.device, J.location, J.owner).where(
                J.status == "RUNNING", (J.owner.is_(None)) | (J.owner != self.owner))).all()
            for row in rows:
                if row.device == "qpu" and row.location != "remote":
                    status, reason = "FAILED", (f"the server stopped while attempt {row.attempt} was running on a "
                                                "QPU; it is not run again because it may have used the device")
                elif row.attempt >= max_attempts:
                    status, reason = "FAILED", (f"interrupted {row.attempt} times by server restarts "
                                                f"(max_attempts = {max_attempts}); not run again")
                else:
                    status, reason = "QUEUED", f"attempt {row.attempt} was interrupted by a server restart; queued again"
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
        if limit <= 0:
            return []
        with self.db.write() as conn:
            return self._claim(conn, limit, busy_sessions)

    def cycle(self, progress: Sequence[Progress], completions: Sequence[Completion], limit: int,
              busy_sessions: Iterable[str] = ()) -> tuple[list[bool], list[Claimed]]:
        """:meth:`record` and :meth:`claim` in one transaction (one commit, one sync, per turn of
        the executor's loop)."""
        with self.db.write() as conn:
            accepted = self._record(conn, progress, completions) if progress or completions else []
            claimed = self._claim(conn, limit, busy_sessions) if limit > 0 else []
        return accepted, claimed

    def _claim(self, conn: Connection, limit: int, busy_sessions: Iterable[str]) -> list[Claimed]:
        busy = set(busy_sessions)
        now = time.time()
        candidates = conn.execute(select(J.seq, J.session_id).where(J.status == "QUEUED")
                                  .order_by(J.priority.desc(), J.seq).limit(limit * 4 + len(busy))).all()
        picked: list[int] = []
        for row in candidates:
            if row.session_id is not None:
                if row.session_id in busy:
                    continue
                busy.add(row.session_id)
            picked.append(row.seq)
            if len(picked) == limit:
                break
        if not picked:
            return []
        conn.execute(update(JOBS).where(J.seq.in_(picked), J.status == "QUEUED").values(
            status="RUNNING", substate="compiling", owner=self.owner, attempt=J.attempt + 1, started_at=now))
        order = {seq: k for k, seq in enumerate(picked)}
        rows = sorted(conn.execute(select(*_CLAIM_COLUMNS).where(
            J.seq.in_(picked), J.owner == self.owner, J.status == "RUNNING")).all(),
            key=lambda r: order[r.seq])
        if rows:
            conn.execute(insert(JOB_EVENTS), [
                {"job_seq": r.seq, "attempt": r.attempt, "time": now, "kind": "dispatched", "status": "RUNNING",
                 "stage": None, "seconds": None, "detail": f"attempt {r.attempt}"} for r in rows])
        return [Claimed(seq=r.seq, id=r.id, user_id=r.user_id, attempt=r.attempt, backend=r.backend, device=r.device,
                        location=r.location, session_id=r.session_id, program=r.program,
                        program_format=r.program_format, shots=r.shots, seed=r.seed, memory=bool(r.memory),
                        parameters=json.loads(r.parameters), options=json.loads(r.options),
                        time_limit=r.time_limit) for r in rows]

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
        with self.db.write() as conn:
            return self._record(conn, progress, completions)

    def _record(self, conn: Connection, progress: Sequence[Progress], completions: Sequence[Completion]) -> list[bool]:
        now = time.time()
        accepted: list[bool] = []
        events: list[dict[str, Any]] = []
        usage: list[dict[str, Any]] = []
        for item in progress:
            events.extend({"job_seq": item.seq, "attempt": item.attempt, **_event(e)} for e in item.events)
            values: dict[str, Any] = {}
            if item.substate is not None:
                values["substate"] = item.substate
            if item.backend is not None:
                values["backend"] = item.backend
            if values:
                conn.execute(update(JOBS).where(*self._mine(item.seq, item.attempt)).values(**values))
        for done in completions:
            changed = conn.execute(update(JOBS).where(*self._mine(done.seq, done.attempt)).values(
                status=done.status, substate=None, finished_at=now, result=done.result, digest=done.digest,
                error=done.error, backend=done.backend, owner=None))
            accepted.append(changed.rowcount == 1)
            if changed.rowcount == 1:
                events.extend({"job_seq": done.seq, "attempt": done.attempt, **_event(e)} for e in done.events)
            else:  # an outdated run: its outcome does not count, and the log says so
                status = conn.execute(select(J.status).where(J.seq == done.seq)).scalar_one()
                events.append({"job_seq": done.seq, "attempt": done.attempt, "time": now, "kind": "discarded",
                               "status": status, "stage": None, "seconds": None,
                               "detail": f"attempt {done.attempt} ended {done.status}, but the job had been "
                                         "cancelled or taken over; that outcome is not used"})
            if done.run_seconds:  # the backend was used, whether or not the outcome still counts
                usage.append({"user_id": done.user_id, "job_seq": done.seq, "backend": done.backend,
                              "device": done.device, "seconds": done.run_seconds, "at": now})
        if events:
            conn.execute(insert(JOB_EVENTS), events)
        if usage:
            conn.execute(insert(USAGE), usage)
        return accepted

    def _mine(self, seq: int, attempt: int) -> tuple[Any, ...]:
        return J.seq == seq, J.status == "RUNNING", J.owner == self.owner, J.attempt == attempt


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {"time": event["time"], "kind": event["kind"], "status": event["status"], "stage": event.get("stage"),
            "seconds": event.get("seconds"), "detail": event.get("detail")}
