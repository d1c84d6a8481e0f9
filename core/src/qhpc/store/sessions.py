"""Sessions: a user's reservation of one backend for a sequence of jobs (a hybrid loop).

A session is ``open`` until its owner closes it (``closed``: no new jobs; queued ones still run)
or it ends by itself (``expired``): idle (no job queued or running) for ``idle_timeout`` seconds,
or older than ``max_lifetime``; the jobs still queued in an expired session are cancelled.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import exists, func, insert, select, update

from .db import Database
from .jobs import ACTIVE
from .models import JOB_EVENTS, JOBS, SESSIONS

J = JOBS.c
E = JOB_EVENTS.c
S = SESSIONS.c

_COLUMNS = (S.id, S.backend, S.status, S.created_at, S.last_used_at,
            S.idle_timeout, S.max_lifetime, S.closed_at, S.reason)


class Sessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, user_id: int, backend: str, idle_timeout: float, max_lifetime: float) -> dict[str, Any]:
        now = time.time()
        session_id = uuid.uuid4().hex
        with self.db.write() as conn:
            conn.execute(insert(SESSIONS).values(id=session_id, user_id=user_id, backend=backend, status="open",
                                                created_at=now, last_used_at=now, idle_timeout=idle_timeout,
                                                max_lifetime=max_lifetime, closed_at=None, reason=None))
        info = self.get(session_id, user_id)
        assert info is not None
        return info

    def get(self, session_id: str, user_id: int) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(select(*_COLUMNS).where(S.id == session_id, S.user_id == user_id)).first()
            if row is None:
                return None
            jobs = conn.execute(select(func.count()).select_from(JOBS).where(J.session_id == session_id)).scalar_one()
        data = dict(row._mapping)
        data["jobs"] = int(jobs)
        return data

    def close(self, session_id: str, user_id: int) -> dict[str, Any] | None:
        with self.db.write() as conn:
            conn.execute(update(SESSIONS).where(S.id == session_id, S.user_id == user_id,
                                               S.status == "open")
                         .values(status="closed", closed_at=time.time(), reason="closed by its owner"))
        return self.get(session_id, user_id)

    def expire(self, now: float | None = None) -> int:
        """End idle and over-age sessions, cancelling their queued jobs; how many ended."""
        now = time.time() if now is None else now
        busy = exists().where(J.session_id == S.id, J.status.in_(ACTIVE))
        with self.db.write() as conn:
            rows = conn.execute(select(S.id, S.created_at, S.max_lifetime).where(
                S.status == "open",
                ((S.created_at + S.max_lifetime) <= now)
                | (((S.last_used_at + S.idle_timeout) <= now) & ~busy))).all()
            for row in rows:
                aged = row.created_at + row.max_lifetime <= now
                reason = (f"reached its maximum lifetime of {row.max_lifetime:g} s" if aged
                          else "idle time-out")
                conn.execute(update(SESSIONS).where(S.id == row.id, S.status == "open")
                             .values(status="expired", closed_at=now, reason=reason))
                queued = conn.execute(select(J.seq, J.attempt).where(J.session_id == row.id,
                                                                         J.status == "QUEUED")).all()
                detail = f"session {row.id} expired ({reason})"
                for job in queued:
                    done = conn.execute(update(JOBS).where(J.seq == job.seq, J.status == "QUEUED").values(
                        status="CANCELLED", finished_at=now, error=detail))
                    if done.rowcount == 1:
                        conn.execute(insert(JOB_EVENTS).values(job_seq=job.seq, attempt=job.attempt, time=now,
                                                             kind="cancelled", status="CANCELLED", stage=None,
                                                             seconds=None, detail=detail))
        return len(rows)
