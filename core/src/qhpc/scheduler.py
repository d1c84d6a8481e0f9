"""The embedded default scheduler: a pool of worker threads with a concurrency limit.

Jobs wait in FIFO order until a worker is free. Cancelling a queued job removes it at once;
cancelling a running job sets its :class:`~qhpc.interfaces.CancelToken` and the job ends
``CANCELLED`` when the backend returns (emulators that check the token stop early; a backend call
that cannot be interrupted runs to its end and its result is discarded).

The limit defaults to ``$QHPC_MAX_WORKERS`` or 2: emulators such as Aer already use every core
for one job, so running many at once mostly adds memory pressure. Note that Aer (0.18) holds the
GIL for a whole simulation: while one Aer job runs, no Python code in this process runs, other
workers included. Concurrency here overlaps work that releases the GIL (remote QPUs, I/O); a
scheduler that runs jobs in other processes (Slurm) is the way to parallel emulation.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import QhpcError
from .interfaces import CancelToken, ExecutionRequest, RunOutput, Scheduler

log = logging.getLogger(__name__)


@dataclass
class _Task:
    request: ExecutionRequest
    execute: Callable[[ExecutionRequest, CancelToken], RunOutput]
    on_start: Callable[[], None]
    on_done: Callable[[RunOutput], None]
    on_error: Callable[[BaseException], None]
    on_cancelled: Callable[[], None]
    token: CancelToken


class InProcessScheduler(Scheduler):
    """Run jobs in this process on ``max_workers`` threads."""

    name = "inprocess"
    description = "worker threads in the calling process (the default; no cluster needed)"

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is None:
            raw = os.environ.get("QHPC_MAX_WORKERS", "2")
            try:
                max_workers = int(raw)
            except ValueError:
                raise QhpcError(f"QHPC_MAX_WORKERS must be a whole number of at least 1, not {raw!r}") from None
            if max_workers < 1:
                raise QhpcError(f"QHPC_MAX_WORKERS must be at least 1, not {max_workers}")
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self.max_workers = max_workers
        self._queue: deque[_Task] = deque()
        self._running: dict[str, _Task] = {}
        self._cond = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._closed = False

    def submit(self, request: ExecutionRequest, execute: Callable[[ExecutionRequest, CancelToken], RunOutput], *,
               on_start: Callable[[], None], on_done: Callable[[RunOutput], None],
               on_error: Callable[[BaseException], None], on_cancelled: Callable[[], None]) -> None:
        task = _Task(request, execute, on_start, on_done, on_error, on_cancelled, CancelToken())
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler has been shut down")
            self._queue.append(task)
            if len(self._workers) < self.max_workers and len(self._queue) > self._idle():
                worker = threading.Thread(target=self._work, name=f"qhpc-worker-{len(self._workers)}", daemon=True)
                self._workers.append(worker)
                worker.start()
            self._cond.notify()

    def _idle(self) -> int:
        return len(self._workers) - len(self._running)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                task = self._queue.popleft()
                self._running[task.request.job_id] = task
            self._run(task)
            del task  # an idle worker must not keep the last job (and its result) alive

    def _run(self, task: _Task) -> None:
        output: RunOutput | None = None
        error: BaseException | None = None
        try:
            task.on_start()
            output = task.execute(task.request, task.token)
        except BaseException as exc:  # the job fails; the worker lives on
            error = exc
        # deciding the outcome and leaving `_running` happen under the lock `cancel` takes: a
        # cancel either lands before (the job ends CANCELLED) or finds the job gone (returns False)
        with self._cond:
            cancelled = task.token.cancelled
            self._running.pop(task.request.job_id, None)
            self._cond.notify_all()
        try:
            if cancelled:
                task.on_cancelled()
            elif error is not None:
                task.on_error(error)
            else:
                assert output is not None
                task.on_done(output)
        except BaseException as exc:  # verification or post-processing failed
            task.on_error(exc)

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            for task in self._queue:
                if task.request.job_id == job_id:
                    self._queue.remove(task)
                    break
            else:
                running = self._running.get(job_id)
                if running is None:
                    return False
                running.token.cancel()
                return True
        task.on_cancelled()
        return True

    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    def running(self) -> int:
        with self._cond:
            return len(self._running)

    def shutdown(self, wait: bool = True) -> None:
        with self._cond:
            self._closed = True
            if not wait:
                dropped = list(self._queue)
                self._queue.clear()
            else:
                dropped = []
            self._cond.notify_all()
        for task in dropped:
            task.on_cancelled()
        if wait:
            for worker in self._workers:
                worker.join()
