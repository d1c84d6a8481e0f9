"""The ``slurm`` scheduler: each qhpc job becomes a Slurm batch job that runs ``qhpc worker``.

A job's life:

1. :meth:`SlurmScheduler.submit` writes the request (:mod:`qhpc.transport`) and a batch script into
   the work directory and submits it with ``sbatch --parsable``; the resources come from the
   program (:mod:`qhpc_slurm.resources`). :meth:`SlurmScheduler.submit_batch` submits many jobs as
   one job array (one per group of jobs that take the same licenses and options).
2. One watcher thread looks at ``squeue --json`` every ``poll_interval`` seconds and at the jobs'
   result files: the job is RUNNING for the user once Slurm has started it, DONE once its result
   file says so (verified by the integrator as for any scheduler), FAILED with Slurm's reason when
   Slurm ended it (``TIMEOUT``, ``OUT_OF_MEMORY``, ``NODE_FAIL``, ``PREEMPTED``, a signal...) or with
   the worker's reason when the run failed. A job that left the queue without a result is asked of
   ``sacct --json`` where accounting storage exists; otherwise, after ``result_wait`` seconds (a
   shared file system may show a file late), it fails as vanished.
3. :meth:`SlurmScheduler.cancel` ends the job CANCELLED for the user at once and runs ``scancel``.

Each job that ends appends one JSON line to ``WORK_DIR/accounting.jsonl``: the Slurm job, its
final state, the licenses (QPUs) it held and the seconds its backend ran (``backend_seconds``,
measured by the worker); the same figures are in the result's metadata under ``slurm``. A job that
succeeds leaves no files behind; a failed or cancelled job keeps its request, script and Slurm
output for diagnosis.

Time limits are Slurm's: ``--time`` is the request's ``time_limit`` (or ``time_factor`` x the
backend's estimate) plus ``startup_seconds``, rounded up to whole minutes, and slurmctld checks
them about every 30 s; a job past it ends ``FAILED`` with a :class:`~qhpc.errors.JobTimeLimitError`
naming ``TIMEOUT``. The ``execute`` callable of :meth:`submit` is not used: the job runs in the
worker on a compute node, which executes and verifies it the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qhpc import transport
from qhpc.errors import JobFailedError, QhpcError
from qhpc.interfaces import CancelToken, ExecutionRequest, RunOutput, Scheduler

from . import slurm
from .allocation import AllocationResult, run_in_allocation
from .outcomes import SlurmJobError, append_accounting, slurm_failure
from .resources import Resources, derive, estimate_seconds, job_options
from .settings import SlurmSettings
from .slurm import Key, SlurmError, SlurmRecord, slurm_name

log = logging.getLogger(__name__)

@dataclass(eq=False)
class _Job:
    request: ExecutionRequest
    on_start: Callable[[], None]
    on_done: Callable[[RunOutput], None]
    on_error: Callable[[BaseException], None]
    on_cancelled: Callable[[], None]
    request_path: Path
    resources: Resources
    backend_options: tuple[str, ...]
    out_path: Path | None = None
    script: Path | None = None
    key: Key | None = None
    submitted_at: float = 0.0  # wall-clock time sbatch returned
    started: bool = False
    ended: bool = False
    record: SlurmRecord | None = None  # the last thing Slurm said of it
    waiting_since: float | None = None  # monotonic time it ended (or left the queue) without a result
    array: _Array | None = None

    @property
    def name(self) -> str:
        return slurm_name(self.key) if self.key is not None else "(not submitted)"

    @property
    def result_path(self) -> Path:
        from qhpc.worker import result_path

        return result_path(self.request_path)


@dataclass(eq=False)
class _Array:
    script: Path
    remaining: int
    jobs: list[_Job] = field(default_factory=list)


class SlurmScheduler(Scheduler):
    """Run each qhpc job as a Slurm batch job (a batch of jobs as one job array)."""

    name = "slurm"
    description = "Slurm batch jobs running `qhpc worker` (sbatch, squeue --json, scancel; job arrays, licenses)"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, max_workers: int | None = None) -> SlurmScheduler:
        """The scheduler from ``[scheduler.slurm]`` (see :mod:`qhpc_slurm.settings`). Slurm decides
        how many jobs run at once, so ``max_workers`` is not used."""
        return cls(SlurmSettings.from_mapping(settings))

    def __init__(self, settings: SlurmSettings | None = None) -> None:
        self.settings = settings or SlurmSettings()
        self._cond = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._watcher: threading.Thread | None = None
        self._closed = False
        self._kinds: dict[str, Any] | None = None
        self._backends: dict[str, Any] = {}
        self._sacct_available: bool | None = None
        self._squeue_failing = False

    # -- what the installed plugins provide: program kinds (to write requests) and backends ----------
    def _catalogue(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Program kinds and backends by name, from this process's plugins (as the integrator sees them)."""
        with self._cond:
            if self._kinds is None:
                from qhpc.plugins import PluginRegistry

                provided = PluginRegistry.discover().provided(("qhpc_program_kinds", "qhpc_backends"))
                self._kinds = provided["qhpc_program_kinds"]
                self._backends = provided["qhpc_backends"]
            return self._kinds, self._backends

    # -- submission ---------------------------------------------------------------------------------
    def submit(self, request: ExecutionRequest, execute: Callable[[ExecutionRequest, CancelToken], RunOutput], *,
               on_start: Callable[[], None], on_done: Callable[[RunOutput], None],
               on_error: Callable[[BaseException], None], on_cancelled: Callable[[], None]) -> None:
        """Submit one job as one Slurm batch job (``sbatch`` runs before this returns, so a
        refusal by Slurm raises here)."""
        self.submit_batch([{"request": request, "execute": execute, "on_start": on_start, "on_done": on_done,
                            "on_error": on_error, "on_cancelled": on_cancelled}])

    def submit_batch(self, calls: Sequence[Mapping[str, Any]]) -> list[str]:
        """Submit many jobs at once: each item holds the keyword arguments of :meth:`submit`.

        Jobs that take the same licenses and backend options become one job array (one task per
        job); a group of one is a plain batch job. Returns the Slurm names of the jobs (``12`` or
        ``11_3``), in order. If Slurm refuses any group, the groups already submitted are
        cancelled and nothing is queued.
        """
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler has been shut down")
        self.settings.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        jobs: list[_Job] = []
        try:
            for call in calls:
                jobs.append(self._prepare(call))
        except BaseException:
            for job in jobs:
                job.request_path.unlink(missing_ok=True)
            raise
        groups: dict[tuple[Any, ...], list[_Job]] = {}
        for job in jobs:
            groups.setdefault((job.resources.licenses, job.backend_options), []).append(job)
        submitted: list[list[_Job]] = []
        scripts: list[Path] = []
        try:
            for group in groups.values():
                scripts.append(self.settings.work_dir / f"array-{group[0].request_path.stem}.sh")
                if len(group) == 1:
                    self._sbatch_one(group[0])
                else:
                    self._sbatch_array(group)
                submitted.append(group)
        except BaseException:
            try:
                slurm.scancel(str(group[0].key[0]) for group in submitted if group[0].key is not None)
            except SlurmError as exc:
                log.warning("could not cancel the jobs of a refused batch: %s", exc)
            for path in scripts + [p for job in jobs for p in (job.request_path, job.script) if p is not None]:
                path.unlink(missing_ok=True)
            raise
        with self._cond:
            for job in jobs:
                self._jobs[job.request.job_id] = job
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="qhpc-slurm-watcher", daemon=True)
                self._watcher.start()
            self._cond.notify_all()
        return [job.name for job in jobs]

    def _prepare(self, call: Mapping[str, Any]) -> _Job:
        """Write a job's request into the work directory and derive its resources."""
        request: ExecutionRequest = call["request"]
        kinds, backends = self._catalogue()
        doc = transport.request_to_dict(request, kinds)
        kind = kinds[doc["program"]["kind"]]
        backend = backends.get(request.backend)
        is_qpu = backend is not None and str(getattr(backend, "kind", "emulator")) == "qpu"
        estimate = estimate_seconds(backend, request.circuit, request.shots) if backend is not None else None
        resources = derive(backend=request.backend, kind=kind.name, size=int(kind.size(request.circuit)),
                           is_qpu=is_qpu, estimate=estimate, time_limit=request.time_limit, settings=self.settings)
        path = self.settings.work_dir / f"{_file_stem(request.job_id)}.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(transport.dumps(doc), encoding="utf-8")
        os.replace(tmp, path)
        job = _Job(request, call["on_start"], call["on_done"], call["on_error"], call["on_cancelled"], path,
                   resources, self.settings.backend_options.get(request.backend, ()))
        job.result_path.unlink(missing_ok=True)
        return job

    def _sbatch_one(self, job: _Job) -> None:
        stem = job.request_path.stem
        job.script = job.request_path.with_name(f"{stem}.sh")
        job.out_path = job.request_path.with_name(f"{stem}.out")
        options = [f"--job-name=qhpc-{stem[:16]}", f"--output={job.out_path}",
                   *job_options(self.settings, job.resources, job.backend_options)]
        request = job.request
        lines = [f"# qhpc job {request.job_id}: {request.backend}, size {job.resources.size}, {request.shots} shots",
                 f"exec {self._command()} worker {shlex.quote(str(job.request_path))}"]
        slurm.write_script(job.script, options, lines)
        job.key = (slurm.sbatch(options, str(job.script)), None)
        job.submitted_at = time.time()

    def _sbatch_array(self, group: list[_Job]) -> None:
        stem = f"array-{group[0].request_path.stem}"
        script = self.settings.work_dir / f"{stem}.sh"
        resources = Resources.combine(job.resources for job in group)
        options = [f"--job-name=qhpc-{stem[:22]}", f"--array=0-{len(group) - 1}",
                   f"--output={self.settings.work_dir / stem}_%a.out",
                   *job_options(self.settings, resources, group[0].backend_options)]
        lines = [f"# {len(group)} qhpc jobs, one per array task (task i runs request i)", "requests=("]
        lines += [f"  {shlex.quote(str(job.request_path))}  # {job.request.backend}" for job in group]
        lines += [")", f'exec {self._command()} worker "${{requests[$SLURM_ARRAY_TASK_ID]}}"']
        slurm.write_script(script, options, lines)
        array_id = slurm.sbatch(options, str(script))
        array = _Array(script, len(group), list(group))
        now = time.time()
        for index, job in enumerate(group):
            job.key = (array_id, index)
            job.out_path = self.settings.work_dir / f"{stem}_{index}.out"
            job.submitted_at = now
            job.array = array

    def _command(self) -> str:
        return " ".join(shlex.quote(word) for word in self.settings.command)

    # -- watching -------------------------------------------------------------------------------------
    def _watch(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._closed:
                    self._cond.wait()
                if not self._jobs:
                    self._watcher = None
                    return
                active = list(self._jobs.values())
            looked_at = time.time()
            snapshot: dict[Key, SlurmRecord] = {}
            try:
                snapshot = slurm.squeue()
                seen = True
                if self._squeue_failing:
                    log.warning("squeue answers again")
                self._squeue_failing = False
            except SlurmError as exc:
                seen = False
                if not self._squeue_failing:
                    log.warning("cannot see the Slurm queue (jobs are followed by their result files meanwhile): %s",
                                exc)
                self._squeue_failing = True
            missing = [job for job in active if job.key not in snapshot and seen and job.submitted_at < looked_at]
            accounted = self._ask_accounting(missing) if missing else {}
            for job in active:
                try:
                    self._update(job, snapshot.get(job.key) if job.key else None, accounted, seen, looked_at)
                except Exception:  # a bug here must not stop the watcher: fail the job, keep watching
                    log.exception("following Slurm job %s failed", job.name)
                    self._end_failed(job, SlurmJobError(f"qhpc lost track of Slurm job {job.name}"))
            with self._cond:
                if self._jobs:
                    self._cond.wait(self.settings.poll_interval)

    def _ask_accounting(self, jobs: list[_Job]) -> dict[Key, SlurmRecord]:
        """What ``sacct`` knows of jobs that left the queue (nothing where there is no accounting)."""
        if self._sacct_available is False:
            return {}
        try:
            found = slurm.sacct(job.name for job in jobs)
        except SlurmError as exc:
            log.warning("sacct failed: %s", exc)
            return {}
        self._sacct_available = found is not None
        return found or {}

    def _update(self, job: _Job, record: SlurmRecord | None, accounted: Mapping[Key, SlurmRecord], seen: bool,
                looked_at: float) -> None:
        if job.ended:
            return
        in_queue = record is not None
        if record is None and job.key is not None:
            record = accounted.get(job.key)
        if record is not None:
            job.record = record
        result = self._read_result(job)
        if result is not None or (record is not None and record.started):
            self._start(job)
        if result is not None:
            status, output, error = result
            if status == "DONE":
                assert output is not None
                self._end_done(job, output)
            elif record is None:  # the queue cannot be seen, or the job left it: the worker's reason
                self._end_failed(job, JobFailedError(error or "the run failed"))
            elif record.final or not in_queue:
                self._end_failed(job, self._failure(job, record, worker_error=error))
            return  # a failed run still in the queue: Slurm's final state says more (TIMEOUT, PREEMPTED...)
        now = time.monotonic()
        if record is not None and record.final:
            if record.state in ("COMPLETED", "FAILED") and record.signal is None:
                # the worker ended on its own, so it wrote a result: wait for it to show (shared file systems)
                job.waiting_since = job.waiting_since or now
                if now - job.waiting_since >= self.settings.result_wait:
                    self._end_failed(job, self._failure(job, record, worker_error=None))
            else:
                self._end_failed(job, self._failure(job, record, worker_error=None))
        elif record is None and seen and job.submitted_at < looked_at:
            job.waiting_since = job.waiting_since or now
            if now - job.waiting_since >= self.settings.result_wait:
                self._end_failed(job, self._failure(job, None, worker_error=None))
        else:
            job.waiting_since = None

    def _read_result(self, job: _Job) -> tuple[str, RunOutput | None, str | None] | None:
        path = job.result_path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            return "FAILED", None, f"cannot read the result file {path}: {exc.strerror}"
        try:
            return transport.output_from_dict(json.loads(text), str(path))
        except (ValueError, QhpcError) as exc:
            return "FAILED", None, f"the result file {path} is not a qhpc output ({exc})"

    # -- outcomes -------------------------------------------------------------------------------------
    def _claim(self, job: _Job) -> bool:
        """Mark ``job`` ended; True for the one caller that does (it reports the outcome)."""
        with self._cond:
            if job.ended:
                return False
            job.ended = True
            self._jobs.pop(job.request.job_id, None)
            self._cond.notify_all()
            return True

    def _start(self, job: _Job) -> None:
        if job.started or job.ended:
            return
        job.started = True
        try:
            job.on_start()
        except Exception:
            log.exception("on_start of job %s failed", job.request.job_id)

    def _end_done(self, job: _Job, output: RunOutput) -> None:
        if not self._claim(job):
            return
        output.metadata["slurm"] = self._account(job, "DONE", output)
        try:
            job.on_done(output)
        except BaseException as exc:  # verification or post-processing failed
            job.on_error(exc)
            return
        self._remove_files(job, keep_out=False)

    def _end_failed(self, job: _Job, error: BaseException) -> None:
        if not self._claim(job):
            return
        self._account(job, "FAILED", None, error=str(error))
        job.on_error(error)

    def _failure(self, job: _Job, record: SlurmRecord | None, worker_error: str | None) -> BaseException:
        """The error for a job that ended without a result (or with a failed one), with Slurm's reason."""
        return slurm_failure(job.name, record, out_path=job.out_path, memory_mb=job.resources.memory_mb,
                             time_limit=job.request.time_limit, startup_seconds=self.settings.startup_seconds,
                             worker_error=worker_error, sacct_available=bool(self._sacct_available))

    def _account(self, job: _Job, status: str, output: RunOutput | None, error: str | None = None) -> dict[str, Any]:
        """Append the job's accounting line; return what the result's metadata records."""
        record = job.record
        metadata = output.metadata if output is not None else {}
        backend_seconds = metadata.get("backend_seconds")
        elapsed = (record.end_time - record.start_time if record is not None and record.final
                   and record.start_time and record.end_time else None)
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "qhpc_job": job.request.job_id, "slurm_job": job.name,
            "backend": job.request.backend, "status": status, "slurm_state": record.state if record else None,
            "licenses": list(job.resources.licenses), "qpu_seconds": backend_seconds if job.resources.licenses
            or job.resources.method == "qpu" else 0.0, "backend_seconds": backend_seconds,
            "slurm_elapsed_seconds": elapsed, "node": record.nodes if record else None,
            "partition": record.partition if record else None, "memory_mb": job.resources.memory_mb,
            "cpus": job.resources.cpus, "time_limit_minutes": job.resources.time_minutes,
        }
        if error:
            line["error"] = error
        append_accounting(self.settings.work_dir, line)
        return {k: line[k] for k in ("slurm_job", "slurm_state", "licenses", "qpu_seconds", "backend_seconds",
                                     "node", "partition", "memory_mb", "cpus", "time_limit_minutes")}

    def _remove_files(self, job: _Job, *, keep_out: bool) -> None:
        paths = [job.request_path, job.result_path]
        if not keep_out and job.out_path is not None:
            paths.append(job.out_path)
        if job.array is None and job.script is not None:
            paths.append(job.script)
        elif job.array is not None:
            with self._cond:
                job.array.remaining -= 1
                if job.array.remaining == 0:
                    paths.append(job.array.script)
        for path in paths:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    # -- cancellation, introspection, shutdown -------------------------------------------------------
    def cancel(self, job_id: str) -> bool:
        """End the job CANCELLED at once and ``scancel`` it (queued or running)."""
        with self._cond:
            job = self._jobs.get(job_id)
        if job is None or not self._claim(job):
            return False
        job.on_cancelled()
        self._scancel([job])
        self._account(job, "CANCELLED", None)
        return True

    def _scancel(self, jobs: Sequence[_Job]) -> None:
        try:
            slurm.scancel(job.name for job in jobs if job.key is not None)
        except SlurmError as exc:
            log.warning("scancel failed: %s", exc)

    def run_allocation(self, argv: Sequence[str], *, backend: str, size: int, kind: str = "gate",
                       time_limit: float | None = None, label: str = "hybrid",
                       on_progress: Callable[[str], None] | None = None) -> AllocationResult:
        """Run qhpc's command line ``argv`` (``["vqe", "h2_4q", "--json"]``) as ONE Slurm job with
        the resources and licenses of ``backend`` for ``size`` qubits, forwarding its stderr lines to
        ``on_progress``; see :mod:`qhpc_slurm.allocation`. What it printed is in the result's ``stdout``."""
        _, backends = self._catalogue()
        found = backends.get(backend)
        is_qpu = found is not None and str(getattr(found, "kind", "emulator")) == "qpu"
        return run_in_allocation(self.settings, argv, backend=backend, size=size, kind=kind, is_qpu=is_qpu,
                                 time_limit=time_limit, label=label, on_progress=on_progress)

    def slurm_job(self, job_id: str) -> str | None:
        """The Slurm name (``12``, ``11_3``) of a qhpc job this scheduler still follows."""
        with self._cond:
            job = self._jobs.get(job_id)
        return job.name if job is not None else None

    def active(self) -> int:
        """How many jobs are submitted and not yet ended."""
        with self._cond:
            return len(self._jobs)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work. With ``wait``, follow the submitted jobs to their end; without,
        cancel them (``scancel``) and report them CANCELLED at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            if wait:
                while self._jobs:
                    self._cond.wait()
                return
            jobs = list(self._jobs.values())
        claimed = [job for job in jobs if self._claim(job)]
        for job in claimed:
            job.on_cancelled()
        self._scancel(claimed)
        for job in claimed:
            self._account(job, "CANCELLED", None)


def _file_stem(job_id: str) -> str:
    """A file name for a job id (the id itself when it is a plain word)."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", job_id) and not job_id.endswith((".json", ".result")):
        return job_id
    return "job-" + hashlib.sha256(job_id.encode()).hexdigest()[:24]
