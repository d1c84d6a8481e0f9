"""The executor: the process that runs the server's jobs with :class:`qhpc.Integrator`.

``qhpc serve`` starts it (``python -m qhpc.server.executor``) and restarts it if it dies. It runs
in its own process so that simulations, which hold the GIL, never slow down the API, and a backend
that crashes its process cannot take the API with it. It talks to the API only through the store
and a pipe: the API writes a byte after each commit of new jobs (so they start at once), and the
pipe's end of file tells the executor that the server is gone (it exits at once; the next executor
recovers the jobs it left).

Each job it claims becomes an integrator job; the integrator's job events (through the
``qhpc_job_event`` hook) become the job's stored event log and sub-state (``compiling``,
``waiting`` for the backend, ``executing``). When a job ends, its result (canonical JSON and
digest), or its error, is written conditionally (see :mod:`qhpc.store.runs`). Before a job starts
on a QPU of the premises, the ``executing`` sub-state is committed first, so recovery knows the
device may have been used. SIGTERM drains: no new jobs, the running ones finish (up to
``[server] drain_seconds``), then it exits.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import logging
import os
import queue
import select
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NoReturn

from qhpc_interop import InteropError

from ..builtin import SourceText
from ..config import Settings, load_settings
from ..errors import QhpcError
from ..hookspecs import hookimpl
from ..integrator import Integrator
from ..jobs import Job, JobEvent, JobEventKind, JobStatus
from ..store import Claimed, Completion, Progress, Store
from .logs import configure_logging
from .protocol import canonical, digest_of, result_to_doc

log = logging.getLogger("qhpc.executor")

#: Seconds between checks for jobs cancelled through the API.
CANCEL_CHECK_SECONDS = 0.1
#: Seconds to wait for work when nothing wakes the executor.
IDLE_SECONDS = 0.25
#: The shortest time between two turns of the executor's loop.
TURN_SECONDS = 0.02
#: Seconds between looks for jobs another executor left RUNNING (one that outlived its server).
RECOVER_SECONDS = 10.0
#: Parsed programs kept (sessions resubmit the same program with new parameters).
PROGRAM_CACHE = 256
SUBSTATES = {JobEventKind.QUEUED: "waiting", JobEventKind.RUNNING: "executing"}
#: Sub-states only move forward (a job may start running before its "queued" event is emitted).
ORDER = {"compiling": 0, "waiting": 1, "executing": 2}


def inflight_path(owner: str) -> str:
    """Where the executor of ``owner`` keeps the state of the jobs it holds (see :meth:`Executor._mark`)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in owner)
    return os.path.join(tempfile.gettempdir(), f"qhpc-executor-{safe}.inflight.json")


def waiting_jobs(owners: Iterable[str]) -> dict[str, set[int]]:
    """The jobs each dead executor of ``owners`` last recorded as only waiting for a worker."""
    out: dict[str, set[int]] = {}
    for owner in owners:
        try:
            with open(inflight_path(owner)) as f:
                states = json.load(f)
        except (OSError, ValueError):
            continue
        # the job being compiled when a job was running: the crash is taken for the runner's (a
        # compile that crashes does so when first dispatched, before the jobs after it run)
        idle = IDLE + (("compiling",) if "running" in states.values() else ())
        out[owner] = {int(seq) for seq, state in states.items() if state in idle}
    return out


#: In-flight states, in the order a job goes through them (a record never moves backwards):
#: taken from the store, being read and compiled (one at a time, on the main thread), handed to
#: the integrator and waiting for a worker, running on a backend.
INFLIGHT = {"claimed": 0, "compiling": 1, "waiting": 2, "running": 3}
#: The states in which a job cannot have ended its executor.
IDLE = ("claimed", "waiting")


@dataclass
class _Run:
    claimed: Claimed
    job: Job
    seen: int = 0  # events of job.events already recorded
    substate: str = "compiling"
    backend: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)


def _event_doc(event: JobEvent) -> dict[str, Any]:
    return {"time": event.time, "kind": str(event.kind), "status": str(event.status), "stage": event.stage,
            "seconds": event.seconds, "detail": event.detail}


class Executor:
    def __init__(self, settings: Settings, store: Store, integrator: Integrator, *, capacity: int,
                 wake_fd: int | None = None, grace: float = 10.0,
                 store_thread: ThreadPoolExecutor | None = None) -> None:
        self.settings = settings
        #: where the turns' transactions run (see main()); ``None``: on the calling thread
        self.store_thread = store_thread
        self.store = store
        self.integrator = integrator
        self.capacity = capacity
        self.wake_fd = wake_fd
        self.grace = grace
        self.runs: dict[str, _Run] = {}
        self._events: queue.SimpleQueue[tuple[Job, JobEvent]] = queue.SimpleQueue()
        self._self_r, self._self_w = os.pipe()
        os.set_blocking(self._self_w, False)
        self._draining = False
        self._programs: OrderedDict[str, Any] = OrderedDict()
        self._progress: list[Progress] = []
        self._completions: list[Completion] = []
        self._last_cancel_check = 0.0
        self._last_recovery = 0.0
        #: seq -> in-flight state of each job held, mirrored to a file the next executor reads
        self._inflight: dict[int, str] = {}
        self._inflight_lock = threading.Lock()
        self._inflight_file = inflight_path(store.runs.owner)
        self._registered = threading.Condition()
        self._qpu_submitting = False  # a job for a QPU of the premises is being submitted
        integrator.registry.add("qhpc-server-executor", _Observer(self))

    # -- the in-flight record ---------------------------------------------------------------------
    def _mark(self, seq: int, state: str) -> None:
        """Record that job ``seq`` is compiling, waiting for a worker, running or done, before it
        goes on (written at once, no sync: it must outlive the process, not the machine). If this
        executor dies, the next one requeues the jobs recorded as waiting without counting the
        interruption against them: they cannot have caused it."""
        with self._inflight_lock:
            if state == "done":
                if self._inflight.pop(seq, None) is None:
                    return
            elif INFLIGHT[state] > INFLIGHT.get(self._inflight.get(seq, ""), -1):
                self._inflight[seq] = state
            else:
                return
            temporary = f"{self._inflight_file}.{os.getpid()}"
            try:
                with open(temporary, "w") as f:
                    json.dump(self._inflight, f)
                os.replace(temporary, self._inflight_file)
            except OSError as exc:  # then every job counts as it did before the record
                log.warning("cannot record the jobs in flight in %s: %s", self._inflight_file, exc)

    # -- the hook (integrator threads) ------------------------------------------------------------
    def on_event(self, job: Job, event: JobEvent) -> None:
        if event.kind is JobEventKind.RUNNING:
            started = self.runs.get(job.id)
            if started is not None:
                self._mark(started.claimed.seq, "running")
            self._before_start(job)
        self._events.put((job, event))
        try:
            os.write(self._self_w, b"e")
        except BlockingIOError:
            pass

    def _before_start(self, job: Job) -> None:
        """A job on a QPU of the premises is recorded as executing before the device is used."""
        run = self.runs.get(job.id)
        if run is None and self._qpu_submitting:  # it started before the main thread registered it
            with self._registered:
                self._registered.wait_for(lambda: job.id in self.runs, timeout=30)
                run = self.runs.get(job.id)
        if run is None or run.claimed.device != "qpu" or run.claimed.location == "remote":
            return
        self.store.runs.record([Progress(run.claimed.seq, run.claimed.attempt, substate="executing")], [])

    # -- the main loop --------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Requeue or fail what other (dead) executors left RUNNING: at the start, and every
        :data:`RECOVER_SECONDS`, for an executor that outlived its server for a moment and took
        jobs after this one had started."""
        self._last_recovery = time.monotonic()
        owners = self.store.runs.orphan_owners()
        counts = self.store.runs.recover(self.settings.service.server.max_attempts, waiting_jobs(owners))
        for owner in owners:  # read once: what they held is recovered (and a write cut short)
            for path in [inflight_path(owner), *glob.glob(glob.escape(inflight_path(owner)) + ".*")]:
                with contextlib.suppress(OSError):
                    os.remove(path)
        if any(counts.values()):
            log.warning("recovered jobs left by a stopped server: %d queued again, %d failed",
                        counts["requeued"], counts["failed"])

    def _server_gone(self) -> bool:
        """Whether the server process has closed its end of the wake pipe (without waiting)."""
        if self.wake_fd is None:
            return False
        try:
            ready, _, _ = select.select([self.wake_fd], [], [], 0)
        except InterruptedError:
            return False
        if not ready:
            return False
        data = os.read(self.wake_fd, 65536)
        return not data

    def _leave(self) -> NoReturn:
        """Record what is known and exit: the next server's executor recovers the jobs left running."""
        self._take_events()
        self._flush()
        log.warning("the server process is gone; the executor stops")
        os._exit(0)

    def run(self) -> None:
        self._recover()
        drain_deadline: float | None = None
        while True:
            turn = time.monotonic()
            self._take_events()
            if self._draining:
                self._flush()
                drain_deadline = drain_deadline or time.monotonic() + self.grace
                if not self.runs or time.monotonic() > drain_deadline:
                    if not self.runs:  # nothing left for the next executor to read
                        with contextlib.suppress(OSError):
                            os.remove(self._inflight_file)
                    return
            else:
                if self._server_gone():  # before taking jobs: a new server's executor owns them now
                    self._leave()
                if time.monotonic() - self._last_recovery > RECOVER_SECONDS:
                    self._recover()
                # what happened and what to take next: one transaction, one commit per turn
                free = self.capacity - len(self.runs)
                busy = {r.claimed.session_id for r in self.runs.values() if r.claimed.session_id}
                taken = self._flush(claim=free, busy=busy)
                for claimed in taken:
                    self._mark(claimed.seq, "claimed")
                for claimed in taken:
                    self._dispatch(claimed)
            if time.monotonic() - self._last_cancel_check > CANCEL_CHECK_SECONDS and self.runs:
                self._check_cancelled()
            if self._events.empty() and not self._completions:
                self._wait(IDLE_SECONDS if not self.runs else CANCEL_CHECK_SECONDS)
            # at most one turn (one write transaction) per TURN_SECONDS: under load, what happens
            # meanwhile is recorded by the next commit, and the store's writer is left free for
            # the API's submissions (SQLite has one writer at a time)
            rest = turn + TURN_SECONDS - time.monotonic()
            if rest > 0 and not self._draining:
                time.sleep(rest)

    def drain(self) -> None:
        self._draining = True
        try:
            os.write(self._self_w, b"d")
        except BlockingIOError:
            pass

    def _wait(self, timeout: float) -> None:
        fds = [self._self_r] + ([self.wake_fd] if self.wake_fd is not None else [])
        try:
            ready, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            return
        for fd in ready:
            data = os.read(fd, 65536)
            if fd == self.wake_fd and not data:  # the server is gone: the next executor recovers our jobs
                self._leave()

    # -- jobs -----------------------------------------------------------------------------------------
    def _program(self, claimed: Claimed) -> Any:
        key = hashlib.sha256(f"{claimed.program_format}\0{claimed.program}".encode()).hexdigest()
        cached = self._programs.get(key)
        if cached is not None:
            self._programs.move_to_end(key)
            return cached
        fmt = claimed.program_format
        text = SourceText(claimed.program, "program")
        if fmt is not None and self.integrator.kind_of(fmt).name == "gate":  # read as admission read it
            program: Any = self.integrator.to_circuit(self.integrator.formats[fmt].loads(text), source=fmt)[0]
        else:
            program = text
        self._programs[key] = program
        if len(self._programs) > PROGRAM_CACHE:
            self._programs.popitem(last=False)
        return program

    def _dispatch(self, claimed: Claimed) -> None:
        options = dict(claimed.options)
        if claimed.location == "remote":  # a re-run after a crash finds the peer's job instead of a new one
            options.setdefault("idempotency_key", claimed.id)
        self._qpu_submitting = claimed.device == "qpu" and claimed.location != "remote"
        self._mark(claimed.seq, "compiling")
        try:
            program = self._program(claimed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                job = self.integrator.submit(
                    program, backend=claimed.backend, shots=claimed.shots, seed=claimed.seed, memory=claimed.memory,
                    parameters=claimed.parameters or None, options=options, time_limit=claimed.time_limit,
                    source_format=None if not isinstance(program, str) else claimed.program_format)
        except Exception as exc:
            self._qpu_submitting = False
            self._mark(claimed.seq, "done")
            message = str(exc) if isinstance(exc, QhpcError | InteropError) else f"{type(exc).__name__}: {exc}"
            self._completions.append(Completion(
                claimed.seq, claimed.attempt, claimed.user_id, "FAILED", claimed.backend, claimed.device,
                error=f"refused when it was run: {message}",
                events=[{"time": time.time(), "kind": "failed", "status": "FAILED", "detail": message}]))
            return
        run = _Run(claimed, job)
        if job.backend != claimed.backend:
            run.backend = job.backend
        with self._registered:
            self.runs[job.id] = run
            self._qpu_submitting = False
            self._registered.notify_all()
        # registered first: a start from now on is marked by on_event, one before it is seen here
        self._mark(claimed.seq, "waiting" if job.status is JobStatus.QUEUED else "running")

    def _take_events(self) -> None:
        touched: dict[str, _Run] = {}
        while True:
            try:
                job, event = self._events.get_nowait()
            except queue.Empty:
                break
            run = self.runs.get(job.id)
            if run is None:
                continue
            touched[job.id] = run
            new_state = SUBSTATES.get(event.kind)
            if new_state is not None and ORDER[new_state] > ORDER[run.substate]:
                run.substate = new_state
        for job_id, run in touched.items():
            new = run.job.events[run.seen:]
            run.seen += len(new)
            docs = [_event_doc(e) for e in new]
            if run.job.status.final and run.job.done():
                del self.runs[job_id]
                self._completions.append(self._completion(run, docs))
                self._mark(run.claimed.seq, "done")
            else:
                self._progress.append(Progress(run.claimed.seq, run.claimed.attempt, docs, run.substate, run.backend))
                run.backend = None

    def _completion(self, run: _Run, events: list[dict[str, Any]]) -> Completion:
        claimed, job = run.claimed, run.job
        seconds = job.timings.get("run")
        base: dict[str, Any] = {"seq": claimed.seq, "attempt": claimed.attempt, "user_id": claimed.user_id, "backend": job.backend,
                "device": claimed.device, "run_seconds": seconds, "events": events}
        if job.status is JobStatus.DONE:
            try:
                text = canonical(result_to_doc(job.result(0), job_id=claimed.id))
            except (TypeError, ValueError) as exc:
                return Completion(status="FAILED", error=f"the result cannot be stored: {exc}", **base)
            return Completion(status="DONE", result=text, digest=digest_of(text), **base)
        if job.status is JobStatus.CANCELLED:
            return Completion(status="CANCELLED", error="cancelled", **base)
        return Completion(status="FAILED", error=job.error or "the job failed", **base)

    def _flush(self, claim: int = 0, busy: set[str] | None = None) -> list[Claimed]:
        """Write the progress and completions gathered (and claim up to ``claim`` jobs) at once."""
        if not self._progress and not self._completions and claim <= 0:
            return []
        progress, completions = self._progress, self._completions
        self._progress, self._completions = [], []
        if self.store_thread is not None:
            accepted, claimed = self.store_thread.submit(self.store.runs.cycle, progress, completions, claim,
                                                         busy or set()).result()
        else:
            accepted, claimed = self.store.runs.cycle(progress, completions, claim, busy or set())
        for done, ok in zip(completions, accepted):
            if not ok:
                log.info("job %d: the outcome of attempt %d was not recorded (cancelled or taken over meanwhile)",
                         done.seq, done.attempt)
        return claimed

    def _check_cancelled(self) -> None:
        self._last_cancel_check = time.monotonic()
        by_seq = {run.claimed.seq: run for run in self.runs.values()}
        for seq in self.store.runs.stopped([(r.claimed.seq, r.claimed.attempt) for r in by_seq.values()]):
            by_seq[seq].job.cancel()


class _Observer:
    """The executor as a qhpc plugin: it observes job events through the public hook."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    @hookimpl
    def qhpc_job_event(self, job: Job, event: JobEvent) -> None:
        self._executor.on_event(job, event)


def _lower_priority(increment: int, keep: int, idle: bool = False) -> None:
    """Add ``increment`` to the niceness of every thread of this process but ``keep`` (Linux, where
    niceness is per thread; elsewhere, of the whole process), and with ``idle`` put them under
    Linux's ``SCHED_IDLE`` policy. Threads started later inherit both from the thread that
    starts them."""
    try:
        target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + increment)
        tasks = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        tasks = []
    if not tasks:
        with contextlib.suppress(OSError):
            os.nice(increment)
    policy = getattr(os, "SCHED_IDLE", None) if idle else None
    for tid in tasks:
        if tid != keep:
            with contextlib.suppress(OSError):  # a thread that has just ended: nothing to do
                os.setpriority(os.PRIO_PROCESS, tid, target)
                if policy is not None:
                    os.sched_setscheduler(tid, policy, os.sched_param(0))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qhpc.server.executor")
    parser.add_argument("--config", default=None)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--wake-fd", type=int, default=None)
    args = parser.parse_args(argv)
    configure_logging("qhpc-executor")
    settings = load_settings(args.config)
    # the API answers first: running jobs yields the processor to accepting them (under load, a
    # submission waits for its commit, not for the simulations of the jobs ahead of it; accepted
    # jobs are durable and run as soon as the processor is free). Measured with a C load generator
    # on 2 cores: 556-583 one-job submissions/s accepted at niceness 19, 314-441 at 5.
    # Except for the turns' transactions: they hold SQLite's one write lock, and preempted at
    # niceness 19 they kept the server's submissions waiting (9.5 ms at p90). They run on a thread
    # started before the niceness is set, which on Linux is per thread, so it keeps the normal
    # priority (a few ms of processor a second); every thread started later inherits 19.
    store_thread = ThreadPoolExecutor(1, thread_name_prefix="qhpc-store")
    keep = store_thread.submit(threading.get_native_id).result()
    # SCHED_IDLE on top: a thread of normal priority that wakes takes the processor from them at
    # once, where niceness 19 only weighs them down (measured with wrk on PostgreSQL, p99 of the
    # submissions 16.5-18.3 ms under it against 20.5-24.0 at niceness alone)
    _lower_priority(settings.service.server.executor_nice, keep, settings.service.server.executor_idle)
    store = Store(settings.service.server.database, migrate=False, owner=args.owner)
    integrator = Integrator(settings=settings)
    workers = settings.max_workers or int(os.environ.get("QHPC_MAX_WORKERS", "2"))
    executor = Executor(settings, store, integrator, capacity=max(8, 4 * workers), wake_fd=args.wake_fd,
                        store_thread=store_thread, grace=settings.service.server.drain_seconds)
    signal.signal(signal.SIGTERM, lambda *_: executor.drain())
    signal.signal(signal.SIGINT, lambda *_: executor.drain())
    threading.current_thread().name = "qhpc-executor"
    try:
        executor.run()
    finally:
        integrator.close(wait=False)
        store_thread.shutdown()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
