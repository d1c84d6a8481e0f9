"""Talking to Slurm: ``sbatch --parsable``, ``squeue --json``, ``sacct --json``, ``scancel``.

The JSON of Slurm 22.05 (OpenAPI plugin v0.0.38), as ``squeue --json`` prints it there::

    {"meta": {...}, "errors": [], "jobs": [
      {"job_id": 12, "array_job_id": 0, "array_task_id": null, "array_task_string": "",
       "job_state": "TIMEOUT", "state_reason": "TimeLimit", "exit_code": 15,
       "start_time": 1795810494, "end_time": 1795810562, "nodes": "localhost", "partition": "debug", ...}]}

``exit_code`` is the wait status (``exit status << 8 | signal``); a pending array is one record
whose ``array_task_string`` lists the pending tasks (``"2-3"``, ``"0-199%4"``); each started task
has its own record with ``array_task_id``. Slurm 22.05 ignores ``--jobs`` and ``--states`` with
``--json``: every job slurmctld still holds is listed, finished ones included for ``MinJobAge``
seconds. Later versions (23.02+) print ``job_state`` as a list of flags, ``exit_code`` as an
object and times as ``{"set": ..., "number": ...}``; :func:`record_from_json` reads both shapes.
``sacct --json`` (only where accounting storage is configured) prints ``state`` as
``{"current": ..., "reason": ...}`` and ``time`` as ``{"start": ..., "end": ...}``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qhpc.errors import QhpcError

#: Seconds a Slurm command may take before it is given up (a busy controller answers in well under).
COMMAND_TIMEOUT = 60.0

#: Slurm base job states after which the job holds no resources any more.
FINAL_STATES = frozenset({
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
    "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT",
})
#: States in which the job has started (or has run and is being cleaned up).
STARTED_STATES = frozenset({"RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT"})
#: Every base state Slurm 22.05 reports (the others hold a job waiting).
WAITING_STATES = frozenset({"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                            "RESV_DEL_HOLD", "RESIZING", "POWER_UP_NODE"})

#: Key of one Slurm job: (job id, None), or (array job id, task index) for an array task.
Key = tuple[int, int | None]


class SlurmError(QhpcError):
    """A Slurm command failed; the message carries what Slurm said."""


@dataclass(frozen=True)
class SlurmRecord:
    """What Slurm says of one job (or one array task)."""

    job_id: int
    array_job_id: int | None
    array_task_id: int | None
    state: str
    reason: str = ""
    exit_status: int | None = None
    signal: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    nodes: str = ""
    partition: str = ""
    time_limit_minutes: int | None = None

    @property
    def key(self) -> Key:
        if self.array_job_id and self.array_task_id is not None:
            return (self.array_job_id, self.array_task_id)
        return (self.job_id, None)

    @property
    def name(self) -> str:
        """How Slurm's tools name the job: ``12`` or ``11_3``."""
        return slurm_name(self.key)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def started(self) -> bool:
        return self.state in STARTED_STATES or (self.final and bool(self.start_time))


def slurm_name(key: Key) -> str:
    return str(key[0]) if key[1] is None else f"{key[0]}_{key[1]}"


def run(args: Sequence[str], *, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run a Slurm command; raise :class:`SlurmError` (with Slurm's own last words) if it fails."""
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise SlurmError(f"{args[0]} is not installed here (is this a Slurm login node?)") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{args[0]} did not answer within {timeout:g} s (is slurmctld reachable?)") from None
    if done.returncode != 0:
        raise SlurmError(f"{args[0]} failed: {last_words(done.stderr or done.stdout) or f'exit status {done.returncode}'}")
    return done


def last_words(text: str) -> str:
    """The last non-empty line of a command's output (Slurm puts its reason there)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def sbatch(options: Sequence[str], script: str) -> int:
    """Submit a batch script; its Slurm job id (for an array: the array's job id)."""
    done = run(["sbatch", "--parsable", *options, script])
    first = done.stdout.strip().split(";", 1)[0]
    if not first.isdigit():
        raise SlurmError(f"sbatch answered {done.stdout.strip()!r}, not a job id")
    return int(first)


def write_script(path: Path, options: Sequence[str], lines: Sequence[str]) -> None:
    """Write a batch script (executable, this user only) that records how it was submitted."""
    import shlex

    text = "\n".join([
        "#!/bin/bash",
        "# written by qhpc-slurm; submitted with:",
        f"#   sbatch --parsable {' '.join(shlex.quote(o) for o in options)} {shlex.quote(str(path))}",
        'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
        *lines, "",
    ])
    path.write_text(text, encoding="utf-8")
    path.chmod(0o700)


def scancel(names: Iterable[str], *, signal: str | None = None, batch: bool = False) -> None:
    """Cancel (or signal) jobs by name (``12``, ``11_3``)."""
    names = list(names)
    if not names:
        return
    args = ["scancel"]
    if signal:
        args.append(f"--signal={signal}")
    if batch:
        args.append("--batch")
    run([*args, *names])


def squeue() -> dict[Key, SlurmRecord]:
    """Every job slurmctld holds, by key (pending array ranges expanded into their tasks)."""
    done = run(["squeue", "--json"])
    return parse_jobs(_load(done.stdout, "squeue --json"))


def sacct(names: Iterable[str]) -> dict[Key, SlurmRecord] | None:
    """What accounting storage says of these jobs, or ``None`` where Slurm keeps no accounting."""
    try:
        done = run(["sacct", "--json", "--jobs", ",".join(names)])
    except SlurmError as exc:
        if "accounting storage is disabled" in str(exc).lower() or "not installed" in str(exc):
            return None
        raise
    return parse_jobs(_load(done.stdout, "sacct --json"))


def _load(text: str, source: str) -> Any:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SlurmError(f"{source} printed something that is not JSON ({exc})") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("jobs"), list):
        raise SlurmError(f"{source} printed JSON without a 'jobs' list")
    return doc


def parse_jobs(doc: Mapping[str, Any]) -> dict[Key, SlurmRecord]:
    """Records by key from ``squeue --json`` or ``sacct --json`` output."""
    out: dict[Key, SlurmRecord] = {}
    for job in doc.get("jobs", []):
        if not isinstance(job, Mapping):
            continue
        record = record_from_json(job)
        if record is None:
            continue
        pending = _text(job.get("array_task_string"))
        if record.array_task_id is None and pending and record.array_job_id:
            for task in expand_tasks(pending):  # one record stands for the array's pending tasks
                out[(record.array_job_id, task)] = _with_task(record, task)
        else:
            out[record.key] = record
    return out


def _with_task(record: SlurmRecord, task: int) -> SlurmRecord:
    from dataclasses import replace

    return replace(record, array_task_id=task)


def expand_tasks(spec: str) -> list[int]:
    """Task indices of an array task string: ``"0-3,7,10-20:5%4"`` -> 0, 1, 2, 3, 7, 10, 15, 20."""
    spec = spec.split("%", 1)[0]
    tasks: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)(?:-(\d+)(?::(\d+))?)?\s*", part)
        if not match:
            continue
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        step = int(match.group(3)) if match.group(3) else 1
        tasks.extend(range(first, last + 1, max(1, step)))
    return tasks


def record_from_json(job: Mapping[str, Any]) -> SlurmRecord | None:
    """One job of ``squeue --json`` (22.05 and later shapes) or ``sacct --json``."""
    job_id = _number(job.get("job_id"))
    if job_id is None:
        return None
    array = job.get("array")  # sacct: {"job_id": ..., "task_id": ...}
    if isinstance(array, Mapping):
        array_job_id = _number(array.get("job_id"))
        array_task_id = _number(array.get("task_id"))
    else:
        array_job_id = _number(job.get("array_job_id"))
        array_task_id = _number(job.get("array_task_id"))
    state_field = job.get("job_state", job.get("state"))
    reason = _text(job.get("state_reason"))
    if isinstance(state_field, Mapping):  # sacct: {"current": ..., "reason": ...}
        reason = reason or _text(state_field.get("reason"))
        state_field = state_field.get("current")
    state = _base_state(state_field)
    exit_status, signal = _exit(job.get("exit_code"))
    raw_times = job.get("time")
    times: Mapping[str, Any] = raw_times if isinstance(raw_times, Mapping) else {}
    start = _number(job.get("start_time", times.get("start")))
    end = _number(job.get("end_time", times.get("end")))
    limit = job.get("time_limit", times.get("limit"))
    return SlurmRecord(
        job_id=job_id, array_job_id=array_job_id or None, array_task_id=array_task_id,
        state=state, reason="" if reason == "None" else reason, exit_status=exit_status, signal=signal,
        start_time=start or None, end_time=end or None, nodes=_text(job.get("nodes")),
        partition=_text(job.get("partition")), time_limit_minutes=_number(limit),
    )


def _number(value: Any) -> int | None:
    """An integer field: a plain number (22.05) or ``{"set": bool, "infinite": bool, "number": n}``."""
    if isinstance(value, Mapping):
        if value.get("set") is False or value.get("infinite"):
            return None
        value = value.get("number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _base_state(value: Any) -> str:
    """The base state: ``"TIMEOUT"`` (22.05), or the first base state of a flag list (23.02+)."""
    if isinstance(value, list):
        known = FINAL_STATES | STARTED_STATES | WAITING_STATES | {"RUNNING"}
        for item in value:
            if str(item) in known:
                return str(item)
        return str(value[0]) if value else "UNKNOWN"
    return str(value or "UNKNOWN").split(" ", 1)[0].split("+", 1)[0]


def _exit(value: Any) -> tuple[int | None, int | None]:
    """(exit status, signal) from a wait status (22.05 squeue) or an exit-code object."""
    if isinstance(value, Mapping):
        status = _number(value.get("return_code"))
        sig = value.get("signal")
        signal = None
        if isinstance(sig, Mapping):
            signal = _number(sig.get("id", sig.get("signal_id")))
        return status, signal or None
    code = _number(value)
    if code is None:
        return None, None
    if code & 0x7F:
        return None, code & 0x7F
    return code >> 8, None
