"""What a qhpc job asks Slurm for, derived from the program and its backend.

* **memory**: the simulation's state plus ``memory_overhead`` MiB (the Python process, qhpc and
  the SDK: about 100 MiB measured for a small Aer job; 512 MiB by default). The state by method,
  read from the backend's name: statevector ``16 B x 2^n``, density matrix and unitary
  ``16 B x 4^n``, superoperator ``16 B x 16^n``, stabilizer tableau ``(2n)^2`` bits, matrix
  product state ``16 B x n x 4 x 256^2`` (bond dimension 256: a heuristic, the real need depends
  on entanglement); a QPU front-end or another kind of program (annealing, analog) needs none. A
  backend that is none of these is counted as a statevector.
* **CPUs**: one; ``max_cpus`` for statevector-like simulations of 14 qubits or more (Aer's own
  threshold for parallel statevector simulation); ``OMP_NUM_THREADS`` is set to what was given.
* **time**: the request's ``time_limit`` when given, else ``time_factor`` x the backend's
  ``estimate_seconds``, plus ``startup_seconds`` for the worker to start; Slurm counts whole minutes.
  Without either, no ``--time`` (the partition's default limit applies).
* **licenses**: ``--licenses=NAME:1`` for each license ``[scheduler.slurm] licenses`` names for the
  backend: Slurm runs at most as many such jobs at once as slurm.conf's ``Licenses=NAME:COUNT``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .settings import SlurmSettings

MIB = 1024 * 1024
#: Aer's statevector_parallel_threshold: smaller simulations run on one thread.
PARALLEL_QUBITS = 14
#: Bond dimension assumed for matrix product state memory.
MPS_BOND = 256


@dataclass(frozen=True)
class Resources:
    """One Slurm job's request."""

    memory_mb: int
    cpus: int
    time_minutes: int | None
    licenses: tuple[str, ...] = ()
    #: the program's size (qubits for circuits) and the state the memory estimate assumed
    size: int = 0
    method: str = "none"

    def sbatch_options(self) -> list[str]:
        options = ["--ntasks=1", f"--cpus-per-task={self.cpus}", f"--mem={self.memory_mb}M"]
        if self.time_minutes is not None:
            options.append(f"--time={self.time_minutes}")
        if self.licenses:
            options.append("--licenses=" + ",".join(f"{name}:1" for name in self.licenses))
        return options

    @staticmethod
    def combine(items: Iterable[Resources]) -> Resources:
        """The request one job array needs to run each of ``items`` (the largest of each)."""
        items = list(items)
        limits = [r.time_minutes for r in items]
        return Resources(
            memory_mb=max(r.memory_mb for r in items), cpus=max(r.cpus for r in items),
            time_minutes=None if any(t is None for t in limits) else max(t for t in limits if t is not None),
            licenses=tuple(sorted({name for r in items for name in r.licenses})),
            size=max(r.size for r in items), method=",".join(sorted({r.method for r in items})),
        )


def method_of(backend: str, kind: str, is_qpu: bool) -> str:
    """The simulation method a backend's name says (``statevector`` when it says none)."""
    if is_qpu:
        return "qpu"
    if kind != "gate":
        return kind
    name = backend.lower()
    for words, method in ((("superop",), "superop"), (("density",), "density_matrix"),
                          (("unitary",), "unitary"), (("stabilizer", "clifford"), "stabilizer"),
                          (("matrix_product", "mps", "tensor"), "matrix_product_state")):
        if any(word in name for word in words):
            return method
    return "statevector"


def state_bytes(method: str, n: int) -> int:
    """Bytes the simulation's state takes for ``n`` qubits."""
    if method == "statevector":
        return 16 * 2**n
    if method in ("density_matrix", "unitary"):
        return 16 * 4**n
    if method == "superop":
        return 16 * 16**n
    if method == "stabilizer":
        return (2 * n) ** 2 // 8 + 1
    if method == "matrix_product_state":
        return 16 * n * 4 * MPS_BOND**2
    return 0


def derive(*, backend: str, kind: str, size: int, is_qpu: bool, estimate: float | None,
           time_limit: float | None, settings: SlurmSettings) -> Resources:
    """The resources of one job (see the module docstring)."""
    method = method_of(backend, kind, is_qpu)
    memory = settings.memory_overhead + math.ceil(state_bytes(method, size) / MIB)
    threads = method in ("statevector", "density_matrix", "unitary", "superop") and size >= PARALLEL_QUBITS
    cpus = settings.max_cpus if threads else 1
    seconds: float | None
    if time_limit is not None:
        seconds = time_limit
    elif estimate is not None and estimate == estimate and estimate >= 0:
        seconds = settings.time_factor * estimate
    else:
        seconds = None
    minutes = None if seconds is None else max(1, math.ceil((seconds + settings.startup_seconds) / 60))
    return Resources(memory_mb=max(1, memory), cpus=cpus, time_minutes=minutes,
                     licenses=settings.licenses.get(backend, ()), size=size, method=method)


def estimate_seconds(backend: Any, program: Any, shots: int) -> float | None:
    """The backend's run-time estimate, or ``None`` if it cannot give one."""
    try:
        value = float(backend.estimate_seconds(program, shots))
    except Exception:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def job_options(settings: SlurmSettings, resources: Resources, backend_options: Iterable[str] = ()) -> list[str]:
    """The sbatch options of a job that needs ``resources``: the site's partition, account, QoS
    and options, then the backend's own (``backend_options``)."""
    options = [f"--chdir={settings.work_dir}", "--requeue" if settings.requeue else "--no-requeue"]
    options += [f"--{key}={value}" for key, value in (("partition", settings.partition),
                                                       ("account", settings.account), ("qos", settings.qos)) if value]
    return options + resources.sbatch_options() + list(settings.sbatch_options) + list(backend_options)
