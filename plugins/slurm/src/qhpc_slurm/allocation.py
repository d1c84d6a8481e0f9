"""A whole hybrid loop as one Slurm job: the optimiser and every backend call inside one allocation.

The scheduler's jobs (:mod:`qhpc_slurm.scheduler`) are single executions; a variational loop sent
that way would queue one Slurm job per evaluation. Instead :func:`run_in_allocation` submits the
loop's own command line (``qhpc vqe h2_4q --json``) as one batch job, with the resources, licenses
and site options the loop's backend gets (:func:`qhpc_slurm.resources.derive`, so a QPU's license
is held for the whole loop and no other job drives that QPU meanwhile), forwards what the loop
prints on stderr (its progress, one line per iteration) while it runs, and returns what it printed
on stdout once Slurm says COMPLETED. Any other end fails with Slurm's reason, as the scheduler's
jobs do (:func:`qhpc_slurm.outcomes.slurm_failure`); interrupting the wait (Ctrl-C) cancels the job.

The job appends its line to ``WORK_DIR/accounting.jsonl`` like any other; when the command prints
a JSON object with ``backend_seconds`` (``qhpc vqe --json`` does), that is recorded as the backend
time, and as the QPU time where the backend is a QPU or takes a license. A job that succeeds
leaves no files behind; a failed one keeps its script, stdout and stderr for diagnosis.

``qhpc vqe ... --scheduler slurm`` runs VQE this way (through :meth:`SlurmScheduler.run_allocation
<qhpc_slurm.scheduler.SlurmScheduler.run_allocation>`).
"""

from __future__ import annotations

import json
import logging
import shlex
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import slurm
from .outcomes import append_accounting, slurm_failure
from .resources import Resources, derive, job_options
from .settings import SlurmSettings
from .slurm import SlurmError, SlurmRecord

log = logging.getLogger(__name__)


@dataclass
class AllocationResult:
    """A command that ran to completion in one Slurm job."""

    slurm_job: str
    stdout: str
    record: SlurmRecord
    resources: Resources
    #: the line appended to ``accounting.jsonl``
    accounting: dict[str, Any] = field(default_factory=dict)


def run_in_allocation(settings: SlurmSettings, argv: Sequence[str], *, backend: str, size: int, kind: str = "gate",
                      is_qpu: bool = False, time_limit: float | None = None, label: str = "hybrid",
                      on_progress: Callable[[str], None] | None = None) -> AllocationResult:
    """Run ``settings.command`` + ``argv`` as one Slurm batch job and wait for its end.

    ``backend`` and ``size`` (qubits for circuits) give the job's memory, CPUs and licenses as
    for a single job on that backend; ``time_limit`` (seconds) its Slurm time limit (else the
    partition's default). ``on_progress`` receives each line the command writes to stderr, as
    it is written. Raises :class:`~qhpc.errors.JobFailedError` (with Slurm's reason) unless Slurm
    reports the job COMPLETED.
    """
    settings.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    resources = derive(backend=backend, kind=kind, size=size, is_qpu=is_qpu, estimate=None, time_limit=time_limit,
                       settings=settings)
    stem = f"{label}-{uuid.uuid4().hex[:16]}"
    script = settings.work_dir / f"{stem}.sh"
    out_path = settings.work_dir / f"{stem}.out"
    err_path = settings.work_dir / f"{stem}.err"
    options = [f"--job-name=qhpc-{label}", f"--output={out_path}", f"--error={err_path}",
               *job_options(settings, resources, settings.backend_options.get(backend, ()))]
    command = " ".join(shlex.quote(word) for word in (*settings.command, *argv))
    slurm.write_script(script, options, [f"# a {label} loop on {backend} in one allocation", f"exec {command}"])
    job_id = slurm.sbatch(options, str(script))
    name, key = str(job_id), (job_id, None)
    forwarded = 0
    record: SlurmRecord | None = None
    gone_since: float | None = None
    sacct_available = False
    try:
        while True:
            try:
                seen = slurm.squeue().get(key)
                in_queue = seen is not None
                record = seen or record
            except SlurmError as exc:
                log.warning("cannot see the Slurm queue: %s", exc)
                in_queue = True  # unknown: keep waiting
            forwarded = _forward(err_path, forwarded, on_progress)
            if record is not None and record.final:
                break
            if not in_queue:  # never seen, or gone without a final state: ask accounting, then give up
                found = _sacct(name)
                sacct_available = sacct_available or found is not None
                if found is not None and found.final:
                    record = found
                    break
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since >= settings.result_wait:
                    break
            time.sleep(settings.poll_interval)
    except BaseException:  # interrupted: the allocation must not run on without anyone waiting for it
        try:
            slurm.scancel([name])
        except SlurmError as exc:
            log.warning("could not cancel Slurm job %s: %s", name, exc)
        _account(settings, name, backend, resources, record, "CANCELLED", None, label)
        raise
    _forward(err_path, forwarded, on_progress)
    if record is not None and not record.final:
        record = None  # it left the queue without a final state that anyone can read: vanished
    stdout = _read(out_path)
    ok = record is not None and record.state == "COMPLETED" and record.exit_status == 0
    if not ok:
        error = None
        if record is not None and record.state in ("COMPLETED", "FAILED") and record.signal is None:
            lines = [line.strip() for line in _read(err_path).splitlines() if line.strip()]
            error = f"Slurm job {name}: {lines[-1].removeprefix('error: ')}" if lines else None
        failure = slurm_failure(name, record, out_path=err_path, memory_mb=resources.memory_mb, time_limit=time_limit,
                                startup_seconds=settings.startup_seconds, worker_error=error,
                                sacct_available=sacct_available)
        _account(settings, name, backend, resources, record, "FAILED", None, label, error=str(failure))
        raise failure
    assert record is not None
    line = _account(settings, name, backend, resources, record, "DONE", _backend_seconds(stdout), label)
    for path in (script, out_path, err_path):
        path.unlink(missing_ok=True)
    return AllocationResult(name, stdout, record, resources, line)


def _forward(path: Any, position: int, on_progress: Callable[[str], None] | None) -> int:
    """Hand the complete lines written to ``path`` since ``position`` to ``on_progress``."""
    try:
        with open(path, "rb") as handle:
            handle.seek(position)
            data = handle.read()
    except OSError:
        return position
    end = data.rfind(b"\n") + 1
    if end and on_progress is not None:
        for line in data[:end].decode("utf-8", "replace").splitlines():
            try:
                on_progress(line)
            except Exception:
                log.exception("the progress callback failed")
    return position + end


def _read(path: Any) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _sacct(name: str) -> SlurmRecord | None:
    """What accounting storage says of the job (``None`` where there is none, or it knows nothing)."""
    try:
        found = slurm.sacct([name])
    except SlurmError as exc:
        log.warning("sacct failed: %s", exc)
        return None
    return next((r for r in (found or {}).values() if r.name == name), None)


def _backend_seconds(stdout: str) -> float | None:
    """``backend_seconds`` of the JSON object the command printed, if it printed one."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    value = doc.get("backend_seconds") if isinstance(doc, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _account(settings: SlurmSettings, name: str, backend: str, resources: Resources, record: SlurmRecord | None,
             status: str, backend_seconds: float | None, label: str, error: str | None = None) -> dict[str, Any]:
    elapsed = (record.end_time - record.start_time if record is not None and record.final and record.start_time
               and record.end_time else None)
    qpu = bool(resources.licenses) or resources.method == "qpu"
    line: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "allocation": label, "slurm_job": name, "backend": backend,
        "status": status, "slurm_state": record.state if record else None, "licenses": list(resources.licenses),
        "qpu_seconds": backend_seconds if qpu else 0.0, "backend_seconds": backend_seconds,
        "slurm_elapsed_seconds": elapsed, "node": record.nodes if record else None,
        "partition": record.partition if record else None, "memory_mb": resources.memory_mb, "cpus": resources.cpus,
        "time_limit_minutes": resources.time_minutes,
    }
    if error:
        line["error"] = error
    append_accounting(settings.work_dir, line)
    return line
