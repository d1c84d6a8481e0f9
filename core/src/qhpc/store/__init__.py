"""The durable job store of the access server (SQLAlchemy 2; SQLite by default, PostgreSQL by URL).

``Store(url)`` opens a store and brings its schema to the newest version (Alembic migrations
shipped in ``qhpc/store/migrations``). Its parts, one idea each:

``users``       users and API tokens (:mod:`qhpc.store.users`)
``jobs``        submission with quotas and idempotency keys, queries, cancellation (:mod:`.jobs`)
``runs``        the executor's side: claim, progress, conditional completion, recovery (:mod:`.runs`)
``sessions``    sessions on one backend (:mod:`.sessions`)
``accounting``  seconds per user and backend, jobs by state, queue lengths (:mod:`.accounting`)
"""

from __future__ import annotations

from .accounting import Accounting
from .db import Database, default_url, redacted
from .jobs import Jobs, NewJob, Quotas, SubmissionRefused
from .migrate import upgrade
from .runs import Claimed, Completion, Progress, Runs
from .sessions import Sessions
from .users import Principal, Users

__all__ = ["Claimed", "Completion", "Database", "NewJob", "Principal", "Progress", "Quotas", "Store",
           "SubmissionRefused", "default_url", "redacted"]


class Store:
    """One job store (``url``: ``sqlite:///PATH`` or ``postgresql://...``; ``None``: the default file)."""

    def __init__(self, url: str | None = None, *, migrate: bool = True, owner: str = "") -> None:
        self.db = Database(url)
        if migrate:
            upgrade(self.db)
        self.users = Users(self.db)
        self.jobs = Jobs(self.db)
        self.runs = Runs(self.db, owner)
        self.sessions = Sessions(self.db)
        self.accounting = Accounting(self.db)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
