"""How a Slurm job that ended is reported: the error that carries Slurm's reason, and the
accounting line every ended job appends to ``WORK_DIR/accounting.jsonl``.

Shared by the scheduler (one qhpc job per Slurm job) and by :mod:`qhpc_slurm.allocation` (a whole
hybrid loop in one Slurm job), so both say the same thing for the same Slurm state.
"""

from __future__ import annotations

import json
import logging
import os
import signal as signals
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qhpc.errors import JobFailedError, JobTimeLimitError

from .slurm import SlurmRecord

log = logging.getLogger(__name__)

ACCOUNTING_FILE = "accounting.jsonl"


class SlurmJobError(JobFailedError):
    """Slurm ended the job (node failure, out of memory, preemption, a signal) or it vanished."""


def slurm_failure(name: str, record: SlurmRecord | None, *, out_path: Path | None, memory_mb: int,
                  time_limit: float | None, startup_seconds: float, worker_error: str | None,
                  sacct_available: bool) -> BaseException:
    """The error for Slurm job ``name`` that ended without a result (or with a failed one).

    ``record`` is the last thing Slurm said of it (``None``: it vanished); ``out_path`` the job's
    output, whose last words (slurmstepd's memory report) are quoted; ``worker_error`` what the
    program itself said when it failed.
    """
    said = f"; the worker said: {worker_error}" if worker_error else ""
    if record is None:
        where = "" if sacct_available else " (there is no accounting storage to ask)"
        return SlurmJobError(f"Slurm job {name} vanished: it left the queue without a result and Slurm "
                             f"no longer knows it{where}{said}")
    state, name = record.state, record.name
    why = f", reason {record.reason}" if record.reason else ""
    tail = out_tail(out_path)
    detail = f" ({tail})" if tail and not worker_error else ""
    if state in ("TIMEOUT", "DEADLINE"):
        limit = f" of {record.time_limit_minutes} min" if record.time_limit_minutes else ""
        asked = (f" (the job's time limit of {time_limit:g} s plus {startup_seconds:g} s "
                 "to start, in whole minutes)") if time_limit else ""
        return JobTimeLimitError(f"Slurm job {name} ended {state}: it ran past its Slurm time limit{limit}{asked}"
                                 f"{why}{said}")
    if state == "OUT_OF_MEMORY" or (record.signal == signals.SIGKILL and "memory limit" in tail.lower()):
        return SlurmJobError(f"Slurm job {name} ended OUT_OF_MEMORY: it used more than its "
                             f"{memory_mb} MiB{why}{detail}{said}")
    if state in ("NODE_FAIL", "BOOT_FAIL"):
        return SlurmJobError(f"Slurm job {name} ended {state}: its node {record.nodes or '?'} failed{why}{said}")
    if state == "PREEMPTED":
        return SlurmJobError(f"Slurm job {name} ended PREEMPTED: a job of higher priority took its resources"
                             f"{why}{said}")
    if state == "CANCELLED":
        return SlurmJobError(f"Slurm job {name} was CANCELLED outside qhpc (scancel by its owner or an "
                             f"administrator){why}{said}")
    if worker_error and state in ("COMPLETED", "FAILED") and record.signal is None:
        return JobFailedError(worker_error)
    if record.signal:
        return SlurmJobError(f"Slurm job {name} ended {state}: killed by signal {record.signal} "
                             f"({signal_name(record.signal)}){why}{detail}{said}")
    status = f" with exit status {record.exit_status}" if record.exit_status is not None else ""
    return SlurmJobError(f"Slurm job {name} ended {state}{status} without writing its result{why}{detail}{said}")


def append_accounting(work_dir: Path, line: Mapping[str, Any]) -> None:
    """Append one JSON line to ``work_dir/accounting.jsonl`` (one write, so appends stay whole)."""
    try:
        with open(work_dir / ACCOUNTING_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, separators=(",", ":")) + "\n")
    except OSError as exc:
        log.warning("cannot write the accounting line of Slurm job %s: %s", line.get("slurm_job"), exc)


def out_tail(path: Path | None) -> str:
    """The last line Slurm or the worker wrote to the job's output (its last words), if any."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for words in (("exceeded memory limit",), ("exceeded", "memory")):  # slurmstepd's reason, with figures first
        for line in reversed(lines):
            if all(word in line.lower() for word in words):
                return line
    return lines[-1] if lines else ""


def signal_name(number: int) -> str:
    try:
        return signals.Signals(number).name
    except ValueError:
        return "unknown signal"
