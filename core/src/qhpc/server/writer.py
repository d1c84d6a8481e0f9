"""Group commit: the submissions that arrive while one transaction commits share the next one.

A request is answered only after the transaction holding its jobs has committed (and, on SQLite,
been synced to disk): every accepted job is durable before the client hears of it. One writer
thread commits whatever is waiting as a single transaction, so under load the cost of a commit
(an fsync) is shared by many requests instead of paid by each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from ..store import NewJob, Quotas, Store, SubmissionRefused
from ..store.jobs import ActiveBounds

log = logging.getLogger("qhpc.server")

#: Requests committed in one transaction at most.
MAX_GROUP = 256

Outcome = list[tuple[dict[str, Any], bool]] | SubmissionRefused


class GroupCommitter:
    def __init__(self, store: Store, quotas: Callable[[str], Quotas], on_commit: Callable[[], None]) -> None:
        self.store = store
        self.quotas = quotas
        self.on_commit = on_commit
        self._pending: list[tuple[Sequence[NewJob], Future[Outcome]]] = []
        self._cond = threading.Condition()
        self._closed = False
        self.groups = 0
        self.bounds = ActiveBounds()  # this thread is the server's only writer of new jobs
        self._thread = threading.Thread(target=self._loop, name="qhpc-group-commit", daemon=True)
        self._thread.start()

    def submit(self, jobs: Sequence[NewJob]) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            self._pending.append((jobs, future))
            self._cond.notify()
        return future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
                group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
            self._commit(group)

    def _commit(self, group: list[tuple[Sequence[NewJob], Future[Outcome]]]) -> None:
        try:
            outcomes = self.store.jobs.submit([jobs for jobs, _ in group], self.quotas, bounds=self.bounds)
        except Exception as exc:  # one bad request must not fail the others: commit them one by one
            if len(group) > 1:
                for item in group:
                    self._commit([item])
                return
            log.error("cannot store a submission: %s: %s", type(exc).__name__, exc)
            group[0][1].set_exception(exc)
            return
        self.groups += 1
        for (_, future), outcome in zip(group, outcomes):
            future.set_result(outcome)
        if any(not isinstance(o, SubmissionRefused) for o in outcomes):
            self.on_commit()

    def close(self) -> None:
        """Commit what is waiting, then stop."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=30)
