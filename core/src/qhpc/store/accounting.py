"""Accounting and operators' counts: seconds used per user and backend, jobs by state, queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .db import Database
from .models import JOB_EVENTS, JOBS, USAGE, USERS

J = JOBS.c
E = JOB_EVENTS.c
U = USAGE.c
Us = USERS.c


class Accounting:
    def __init__(self, db: Database) -> None:
        self.db = db

    def usage(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """Seconds of backend time per user, backend and device kind (``qpu``/``emulator``), with
        the number of runs, between ``since`` and ``until``."""
        query = (select(Us.name.label("user"), U.backend, U.device,
                        func.sum(U.seconds).label("seconds"), func.count().label("runs"))
                 .join(USERS, Us.id == U.user_id).group_by(Us.name, U.backend, U.device)
                 .order_by(Us.name, U.backend))
        if since is not None:
            query = query.where(U.at >= since)
        if until is not None:
            query = query.where(U.at < until)
        with self.db.read() as conn:
            return [{**dict(r._mapping), "seconds": float(r.seconds)} for r in conn.execute(query)]

    def jobs_by_state(self) -> dict[str, int]:
        with self.db.read() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(select(J.status, func.count()).group_by(J.status))}

    def queue_lengths(self) -> dict[str, int]:
        """Queued jobs per backend (``auto`` for jobs whose backend is chosen when they run)."""
        with self.db.read() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(
                select(J.backend, func.count()).where(J.status == "QUEUED").group_by(J.backend))}

    def stage_events_after(self, last_id: int, limit: int = 5000) -> list[tuple[int, str, str, float]]:
        """Stage timings recorded since event ``last_id``: (event id, kind, stage, seconds)."""
        with self.db.read() as conn:
            rows = conn.execute(select(E.id, E.kind, E.stage, E.seconds)
                                .where(E.id > last_id, E.kind.in_(("stage", "done", "failed")))
                                .order_by(E.id).limit(limit)).all()
        return [(r.id, r.kind, r.stage or "", float(r.seconds or 0.0)) for r in rows]

    def last_event_id(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(E.id), 0))).scalar_one())
