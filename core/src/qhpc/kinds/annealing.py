"""The annealing kind: binary quadratic models (``qhpc.bqm``, :mod:`qhpc_interop.bqm`).

**Sign convention: minimise.** A sample's energy is the model's energy, and the best sample is
the one of lowest energy (see :mod:`qhpc_interop.bqm` for how myQLM's and Qiskit's signs map).

**Counts** are keyed by bitstrings over the problem's variables **in label order, variable 0 the
rightmost character** (as clbit 0 of a gate circuit's counts): ``'1'`` is the value 1 (BINARY) or
+1 (SPIN), ``'0'`` is 0 or -1. The result's metadata holds the **sample set**
(:meth:`AnnealingKind.result_metadata`): ``result.metadata["samples"]``, one entry per distinct
sample, lowest energy first::

    {"bitstring": "0110", "sample": {"a": 0, "b": 1, "c": 1, "d": 0}, "energy": -3.0, "occurrences": 412}

with ``result.metadata["variables"]`` (the labels in order) and ``["vartype"]``. The energies are
computed here from the problem, never taken from the backend; a backend that reports its own
energies (``RunOutput.metadata["energies"]``, bitstring -> energy) has them checked against the
problem's, so a sign or order slip in a backend or translator fails the job instead of passing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qhpc_interop.bqm import FORMAT, BinaryQuadraticModel

from ..errors import JobFailedError
from ..interfaces import BackendCapabilities, RunOutput
from . import ProgramKind

#: Relative tolerance of a backend's reported energies against the problem's.
ENERGY_TOLERANCE = 1e-9


def sample_table(model: BinaryQuadraticModel, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The distinct samples of ``counts`` with their energies and occurrences, lowest energy first
    (ties: more occurrences first, then by bitstring)."""
    if not counts:
        return []
    keys = list(counts)
    rows = model.samples_of(keys)
    energies = model.energies(rows)
    order = sorted(range(len(keys)), key=lambda k: (energies[k], -counts[keys[k]], keys[k]))
    labels = model.variables
    table = []
    for k in order:
        values = rows[k].tolist()
        table.append({"bitstring": keys[k], "sample": dict(zip(labels, values)),
                      "energy": float(energies[k]), "occurrences": int(counts[keys[k]])})
    return table


class AnnealingKind(ProgramKind):
    name = "annealing"
    hub = FORMAT
    unit = "variable"
    plugins = ("qhpc-dwave",)

    def is_program(self, program: object) -> bool:
        return isinstance(program, BinaryQuadraticModel)

    def size(self, program: Any) -> int:
        return int(program.num_variables)

    def fit_reasons(self, program: Any, caps: BackendCapabilities, *, shots: int, memory: bool) -> list[str]:
        return ["the problem has no variables"] if program.num_variables == 0 else []

    def fingerprint(self, program: Any) -> str:
        return str(program.fingerprint())

    def verify(self, output: RunOutput, program: Any, shots: int, backend: str) -> None:
        n = program.num_variables
        counts = output.counts
        if not isinstance(counts, dict):
            raise JobFailedError(f"{backend} returned counts of type {type(counts).__name__}, not a dict")
        total = 0
        for key, value in counts.items():
            if not isinstance(key, str) or len(key) != n or key.strip("01"):
                raise JobFailedError(f"{backend} returned the sample {key!r}, not a bitstring over the problem's "
                                     f"{n} variables")
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise JobFailedError(f"{backend} returned the count {value!r} for {key}, not a whole number")
            total += int(value)
        output.counts = counts = {key: int(value) for key, value in counts.items() if value}
        if total != shots:
            raise JobFailedError(f"{backend} returned {total} samples for {shots} shots (reads)")
        if output.memory is not None:
            if len(output.memory) != shots:
                raise JobFailedError(f"{backend} returned {len(output.memory)} samples in memory for {shots} shots")
            tally: dict[str, int] = {}
            for key in output.memory:
                tally[key] = tally.get(key, 0) + 1
            if tally != {k: int(v) for k, v in counts.items()}:
                raise JobFailedError(f"{backend}'s memory does not match its counts")
        reported = output.metadata.get("energies")
        if reported is not None:
            if not isinstance(reported, dict) or not set(counts) <= set(reported):
                raise JobFailedError(f"{backend} reported energies for other samples than it counted")
            keys = list(counts)
            ours = program.energies(program.samples_of(keys))
            tolerance = ENERGY_TOLERANCE * (1.0 + abs(program.offset) + program.scale() * (n + program.num_interactions))
            theirs = [reported[key] for key in keys]
            numeric = all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in theirs)
            wrong = np.flatnonzero(np.abs(np.array(theirs, dtype=float) - ours) > tolerance) if numeric else [
                next(k for k, e in enumerate(theirs) if not isinstance(e, (int, float)) or isinstance(e, bool))]
            if len(wrong):
                k = int(wrong[0])
                raise JobFailedError(f"{backend} reported the energy {theirs[k]!r} for sample {keys[k]}, but the "
                                     f"problem gives {float(ours[k])!r} (a sign or variable-order slip)")

    def result_metadata(self, output: RunOutput, program: Any) -> dict[str, Any]:
        return {"samples": sample_table(program, output.counts), "variables": list(program.variables),
                "vartype": str(program.vartype)}

    def describe(self, program: Any) -> str:
        return (f"a {program.num_variables}-variable {program.vartype} annealing problem "
                f"({program.num_interactions} interactions)")
