"""The embedded default scheduler: a pool of worker threads with a concurrency limit.

Jobs wait in FIFO order until a worker is free. Each job ends exactly once, through one of
``on_done``, ``on_error`` or ``on_cancelled``:

* cancelling a queued job removes it at once;
* cancelling a running job sets its :class:`~qhpc.interfaces.CancelToken` and ends the job
  ``CANCELLED`` at once, whatever the backend does; a backend that checks the token stops early,
  and whatever it returns later is discarded;
* a job that runs past its ``time_limit`` is ended the same way, through ``on_error`` with a
  :class:`~qhpc.errors.JobTimeLimitError`;
* a worker still inside a backend ``grace`` seconds after its job ended (a backend that ignores
  its cancel token, a QPU that never answers) is retired and replaced, so stuck backends never
  starve the jobs behind them. Workers are daemon threads: process exit never waits for one.

The limit defaults to ``[scheduler] max_workers`` in the configuration, ``$QHPC_MAX_WORKERS``, or
2: emulators such as Aer already use every core for one job, so running many at once mostly adds
memory pressure. Note that Aer (0.18) holds the GIL for a whole simulation: while one Aer job
runs, no Python code in this process runs (time limits and cancellation included: they take effect
when the simulation returns). Concurrency here overlaps work that releases the GIL (remote QPUs,
I/O); a scheduler that runs jobs in other processes (Slurm) is the way to parallel emulation and to
hard time limits.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import JobTimeLimitError, QhpcError
from .interfaces import CancelToken, ExecutionRequest, RunOutput, Scheduler

log = logging.getLogger(__name__)

#: Seconds a worker may stay inside a backend after its job was cancelled or timed out before it
#: is retired and replaced.
DEFAULT_GRACE = 2.0


@dataclass(eq=False)
class _Task:
    request: ExecutionRequest
    execute: Callable[[ExecutionRequest, CancelToken], RunOutput]
    on_start: Callable[[], None]
    on_done: Callable[[RunOutput], None]
    on_error: Callable[[BaseException], None]
    on_cancelled: Callable[[], None]
    token: CancelToken = field(default_factory=CancelToken)
    ended: bool = False  # the job's outcome has been reported (exactly once)
    deadline: float | None = None  # monotonic time the run must end by
    ended_at: float | None = None  # when it was ended while its backend was still running
    worker: _Worker | None = None


@dataclass(eq=False)
class _Worker:
    thread: threading.Thread | None = None
    task: _Task | None = None
    retired: bool = False  # replaced while stuck in a backend; leaves when the backend returns


class InProcessScheduler(Scheduler):
    """Run jobs in this process on ``max_workers`` threads."""

    name = "inprocess"
    description = "worker threads in the calling process (the default; no cluster needed)"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, max_workers: int | None = None) -> InProcessScheduler:
        """Settings: ``grace`` (seconds a stuck worker is given before it is replaced)."""
        from .errors import ConfigError

        unknown = sorted(set(settings) - {"grace"})
        if unknown:
            raise ConfigError(f"scheduler.inprocess: unknown setting {unknown[0]!r} (known: grace)")
        grace = settings.get("grace", DEFAULT_GRACE)
        if isinstance(grace, bool) or not isinstance(grace, int | float) or grace < 0:
            raise ConfigError(f"scheduler.inprocess.grace must be a number of seconds >= 0, not {grace!r}")
        return cls(max_workers, grace=float(grace))

    def __init__(self, max_workers: int | None = None, *, grace: float = DEFAULT_GRACE) -> None:
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
        self.grace = grace
        self._queue: deque[_Task] = deque()
        self._running: dict[str, _Task] = {}
        self._workers: list[_Worker] = []
        self._cond = threading.Condition()
        self._monitor: threading.Thread | None = None
        self._reporting = 0  # workers between a job's end and the return of its callback
        self._closed = False

    # -- submission --------------------------------------------------------------------------
    def submit(self, request: ExecutionRequest, execute: Callable[[ExecutionRequest, CancelToken], RunOutput], *,
               on_start: Callable[[], None], on_done: Callable[[RunOutput], None],
               on_error: Callable[[BaseException], None], on_cancelled: Callable[[], None]) -> None:
        task = _Task(request, execute, on_start, on_done, on_error, on_cancelled)
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler has been shut down")
            self._queue.append(task)
            self._spawn_if_needed()
            self._cond.notify_all()

    def _live_workers(self) -> list[_Worker]:
        return [w for w in self._workers if not w.retired]

    def _spawn_if_needed(self) -> None:
        """Start a worker if work is waiting and fewer than ``max_workers`` live ones are idle (lock held)."""
        live = self._live_workers()
        idle = sum(1 for w in live if w.task is None)
        if len(live) < self.max_workers and len(self._queue) > idle:
            worker = _Worker()
            worker.thread = threading.Thread(target=self._work, args=(worker,), daemon=True,
                                             name=f"qhpc-worker-{len(self._workers)}")
            self._workers.append(worker)
            worker.thread.start()

    # -- workers ------------------------------------------------------------------------------
    def _work(self, worker: _Worker) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed and not worker.retired:
                    self._cond.wait()
                if worker.retired or not self._queue:
                    self._leave(worker)
                    return
                task = self._queue.popleft()
                task.worker = worker
                worker.task = task
                self._running[task.request.job_id] = task
                if task.request.time_limit is not None:
                    task.deadline = time.monotonic() + task.request.time_limit
                    self._ensure_monitor()
                    # a monitor already waiting (with no deadline, or a later one) must see this one
                    self._cond.notify_all()
            self._run(task)
            with self._cond:
                worker.task = None
                if worker.retired:  # replaced while stuck: the replacement serves the queue now
                    self._leave(worker)
                    return
            del task  # an idle worker must not keep the last job (and its result) alive

    def _leave(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        self._cond.notify_all()

    def _run(self, task: _Task) -> None:
        output: RunOutput | None = None
        error: BaseException | None = None
        try:
            task.on_start()
            output = task.execute(task.request, task.token)
        except BaseException as exc:  # the job fails; the worker lives on
            error = exc
        # deciding the outcome happens under the lock `cancel` and the monitor take: whoever
        # marks the task ended first reports it, and only once
        with self._cond:
            self._running.pop(task.request.job_id, None)
            already = task.ended
            task.ended = True
            cancelled = task.token.cancelled
            if not already:
                self._reporting += 1
            self._cond.notify_all()
        if already:
            return  # cancelled or timed out while running: the outcome was reported then
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
        finally:
            with self._cond:
                self._reporting -= 1
                self._cond.notify_all()

    # -- cancellation, time limits and stuck workers --------------------------------------------
    def wait_returned(self, job_id: str, timeout: float) -> bool:
        """Wait until no worker is inside the backend for ``job_id`` any more (after a cancellation:
        until the backend has seen it, and stopped a remote task); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while job_id in self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            for task in self._queue:
                if task.request.job_id == job_id:
                    self._queue.remove(task)
                    task.ended = True
                    break
            else:
                running = self._running.get(job_id)
                if running is None or running.ended:
                    return False
                task = running
                self._end_running(task)
        task.on_cancelled()
        return True

    def _end_running(self, task: _Task) -> None:
        """Mark a running task ended and ask its backend to stop (lock held); the caller reports it."""
        task.token.cancel()
        task.ended = True
        task.ended_at = time.monotonic()
        self._ensure_monitor()
        self._cond.notify_all()

    def _ensure_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = threading.Thread(target=self._watch, name="qhpc-scheduler-monitor", daemon=True)
            self._monitor.start()

    def _watch(self) -> None:
        """End jobs past their time limit; retire and replace workers stuck in an ended job."""
        while True:
            expired: list[_Task] = []
            with self._cond:
                now = time.monotonic()
                wake: float | None = None
                for task in list(self._running.values()):
                    if not task.ended and task.deadline is not None:
                        if now >= task.deadline:
                            self._end_running(task)
                            expired.append(task)
                        else:
                            wake = task.deadline if wake is None else min(wake, task.deadline)
                    if task.ended and task.ended_at is not None:
                        retire_at = task.ended_at + self.grace
                        if now >= retire_at:
                            self._retire(task)
                        else:
                            wake = retire_at if wake is None else min(wake, retire_at)
                if not expired:
                    if self._closed and not self._running:
                        self._monitor = None
                        return
                    self._cond.wait(None if wake is None else max(0.0, wake - now))
            for task in expired:
                limit = task.request.time_limit
                task.on_error(JobTimeLimitError(
                    f"job {task.request.job_id} exceeded its time limit of {limit:g} s on {task.request.backend} "
                    "and was stopped"))

    def _retire(self, task: _Task) -> None:
        """The worker running ``task`` is stuck in its backend: retire it and start a replacement (lock held)."""
        self._running.pop(task.request.job_id, None)
        worker = task.worker
        if worker is not None and not worker.retired:
            worker.retired = True
            log.warning("backend %s has not returned %.1f s after job %s ended; its worker is replaced",
                        task.request.backend, self.grace, task.request.job_id)
        if not self._closed:
            self._spawn_if_needed()

    # -- introspection and shutdown ---------------------------------------------------------------
    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    def running(self) -> int:
        with self._cond:
            return sum(1 for t in self._running.values() if not t.ended)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work. With ``wait``, finish what is queued and running (jobs that already
        ended are not waited for); without, cancel everything at once and return."""
        with self._cond:
            self._closed = True
            dropped = [] if wait else list(self._queue)
            stopped = [] if wait else [t for t in self._running.values() if not t.ended]
            if not wait:
                self._queue.clear()
                for task in dropped:
                    task.ended = True
                for task in stopped:
                    self._end_running(task)
            self._cond.notify_all()
        for task in dropped + stopped:
            task.on_cancelled()
        if not wait:
            return
        with self._cond:
            while self._queue or self._reporting or any(not t.ended for t in self._running.values()):
                self._cond.wait()
            live = [w.thread for w in self._live_workers() if w.thread is not None and w.task is None]
        for thread in live:
            thread.join()
