"""The analog kind: neutral-atom pulse programs (``qhpc.analog``, :mod:`qhpc_interop.analog`).

**Size** is the number of atoms in the register. **Variables** (Pulser sequences can be
parametrised) are bound by name at submission: ``qhpc.run(seq, parameters={"omega": 3.0})``, a
list for a variable of size > 1; a program with a free variable is refused before it runs.

**Counts** are keyed by bitstrings over the atoms **in register order, atom 0 the rightmost
character** (like qubit 0 of a gate circuit; Pulser itself writes atom 0 leftmost, and the
backends reverse its bitstrings). ``'1'`` is the excited state of the measured basis, Pulser's
convention: the Rydberg state ``r`` in the ``ground-rydberg`` basis, the hyperfine state ``h`` in
the ``digital`` basis (``d`` in ``XY``); ``'0'`` is ``g`` (``u``). An atom left in a state outside
the measured basis (a Rydberg atom read in the ``digital`` basis) reads ``'0'``. The result's
metadata names the basis and the atoms: ``result.metadata["basis"]``, ``["atoms"]`` (names in
order) and ``["one_state"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from qhpc_interop.analog import FORMAT, ONE_STATE, AnalogError, AnalogProgram

from ..errors import JobFailedError, JobRejectedError
from ..interfaces import BackendCapabilities, RunOutput
from . import ProgramKind


class AnalogKind(ProgramKind):
    name = "analog"
    hub = FORMAT
    unit = "atom"
    plugins = ("qhpc-pulser",)

    def is_program(self, program: object) -> bool:
        return isinstance(program, AnalogProgram)

    def size(self, program: Any) -> int:
        return int(program.num_atoms)

    def fit_reasons(self, program: Any, caps: BackendCapabilities, *, shots: int, memory: bool) -> list[str]:
        reasons = []
        if program.num_atoms == 0:
            reasons.append("the register has no atoms")
        if not program.pulses:
            reasons.append("the program has no pulses")
        return reasons

    def bind(self, program: Any, parameters: Mapping[str, Any]) -> Any:
        try:
            return program.bind(dict(parameters)) if parameters else program
        except AnalogError as exc:
            raise JobRejectedError(str(exc)) from None

    def free_parameters(self, program: Any) -> set[str]:
        return set(program.free_variables)

    def fingerprint(self, program: Any) -> str:
        return str(program.fingerprint())

    def verify(self, output: RunOutput, program: Any, shots: int, backend: str) -> None:
        n = program.num_atoms
        counts = output.counts
        if not isinstance(counts, dict):
            raise JobFailedError(f"{backend} returned counts of type {type(counts).__name__}, not a dict")
        total = 0
        for key, value in counts.items():
            if not isinstance(key, str) or len(key) != n or key.strip("01"):
                raise JobFailedError(f"{backend} returned the outcome {key!r}, not a bitstring over the program's "
                                     f"{n} atoms")
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise JobFailedError(f"{backend} returned the count {value!r} for {key}, not a whole number")
            total += int(value)
        output.counts = {key: int(value) for key, value in counts.items() if value}
        if total != shots:
            raise JobFailedError(f"{backend} returned {total} shots for {shots} requested")
        if output.memory is not None:
            if len(output.memory) != shots:
                raise JobFailedError(f"{backend} returned {len(output.memory)} shots in memory for {shots} requested")
            tally: dict[str, int] = {}
            for key in output.memory:
                tally[key] = tally.get(key, 0) + 1
            if tally != output.counts:
                raise JobFailedError(f"{backend}'s memory does not match its counts")

    def result_metadata(self, output: RunOutput, program: Any) -> dict[str, Any]:
        basis = program.measurement_basis
        return {"basis": basis, "one_state": ONE_STATE[basis], "atoms": list(program.atom_names)}

    def describe(self, program: Any) -> str:
        return str(program.describe())
