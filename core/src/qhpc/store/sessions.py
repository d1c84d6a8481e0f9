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
from .models import Job, JobEvent, Session

_COLUMNS = (Session.id, Session.backend, Session.status, Session.created_at, Session.last_used_at,
            Session.idle_timeout, Session.max_lifetime, Session.closed_at, Session.reason)


class Sessions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, user_id: int, backend: str, idle_timeout: float, max_lifetime: float) -> dict[str, Any]:
        now = time.time()
        session_id = uuid.uuid4().hex
        with self.db.write() as conn:
            conn.execute(insert(Session).values(id=session_id, user_id=user_id, backend=backend, status="open",
                                                created_at=now, last_used_at=now, idle_timeout=idle_timeout,
                                                max_lifetime=max_lifetime, closed_at=None, reason=None))
        info = self.get(session_id, user_id)
        assert info is not None
        return info

    def get(self, session_id: str, user_id: int) -> dict[str, Any] | None:
        with self.db.read() as conn:
            row = conn.execute(select(*_COLUMNS).where(Session.id == session_id, Session.user_id == user_id)).first()
            if row is None:
                return None
            jobs = conn.execute(select(func.count()).select_from(Job).where(Job.session_id == session_id)).scalar_one()
        data = dict(row._mapping)
        data["jobs"] = int(jobs)
        return data

    def close(self, session_id: str, user_id: int) -> dict[str, Any] | None:
        with self.db.write() as conn:
            conn.execute(update(Session).where(Session.id == session_id, Session.user_id == user_id,
                                               Session.status == "open")
                         .values(status="closed", closed_at=time.time(), reason="closed by its owner"))
        return self.get(session_id, user_id)

    def expire(self, now: float | None = None) -> int:
        """End idle and over-age sessions, cancelling their queued jobs; how many ended."""
        now = time.time() if now is None else now
        busy = exists().where(Job.session_id == Session.id, Job.status.in_(ACTIVE))
        with self.db.write() as conn:
            rows = conn.execute(select(Session.id, Session.created_at, Session.max_lifetime).where(
                Session.status == "open",
                ((Session.created_at + Session.max_lifetime) <= now)
                | (((Session.last_used_at + Session.idle_timeout) <= now) & ~busy))).all()
            for row in rows:
                aged = row.created_at + row.max_lifetime <= now
                reason = (f"reached its maximum lifetime of {row.max_lifetime:g} s" if aged
                          else "idle time-out")
                conn.execute(update(Session).where(Session.id == row.id, Session.status == "open")
                             .values(status="expired", closed_at=now, reason=reason))
                queued = conn.execute(select(Job.seq, Job.attempt).where(Job.session_id == row.id,
                                                                         Job.status == "QUEUED")).all()
                detail = f"session {row.id} expired ({reason})"
                for job in queued:
                    done = conn.execute(update(Job).where(Job.seq == job.seq, Job.status == "QUEUED").values(
                        status="CANCELLED", finished_at=now, error=detail))
                    if done.rowcount == 1:
                        conn.execute(insert(JobEvent).values(job_seq=job.seq, attempt=job.attempt, time=now,
                                                             kind="cancelled", status="CANCELLED", stage=None,
                                                             seconds=None, detail=detail))
        return len(rows)
