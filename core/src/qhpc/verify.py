"""Checking a backend's readout before it reaches the user."""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping

from qhpc_interop import Circuit

from .errors import QhpcError
from .interfaces import ExecutionRequest, RunOutput


def verify_output(output: RunOutput, request: ExecutionRequest, num_clbits: int) -> None:
    """Raise if a backend's readout is inconsistent with the request.

    Counts must be whole, non-negative numbers (Python or numpy integers; not floats, not bools)
    keyed by bitstrings of the circuit's width, summing to the shots; memory must match them; a
    clbit nothing in the circuit writes reads 0 (a 1 there is a readout reversed or relabelled).
    """
    name = request.backend
    if not isinstance(output, RunOutput) or not isinstance(output.counts, Mapping):
        raise QhpcError(f"{name} returned {type(output).__name__}, not a RunOutput with a counts mapping")
    for key, value in output.counts.items():
        if not isinstance(key, str) or len(key) != num_clbits or key.strip("01"):
            raise QhpcError(f"{name} returned a malformed bitstring {key!r} (expected {num_clbits} bits of 0/1)")
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise QhpcError(f"{name} returned a count of {value!r} ({type(value).__name__}) for {key!r}; "
                            "counts must be whole numbers")
        if value < 0:
            raise QhpcError(f"{name} returned a negative count for {key!r}")
    output.counts = {key: int(value) for key, value in output.counts.items()}
    circuit = request.circuit
    if isinstance(circuit, Circuit) and circuit.num_clbits == num_clbits:
        written = {c for inst in circuit.instructions for c in inst.clbits}
        unwritten = sum(1 << c for c in range(num_clbits) if c not in written)
        if unwritten:
            for key, value in output.counts.items():
                stray = int(key, 2) & unwritten
                if stray and value:
                    bit = stray.bit_length() - 1
                    raise QhpcError(f"{name} returned {key!r}, which reads 1 in clbit {bit}, a bit nothing in the "
                                    "circuit writes (a readout reversed or relabelled?)")
    total = sum(output.counts.values())
    if total != request.shots:
        raise QhpcError(f"{name} returned {total} shots of counts for a job of {request.shots}")
    if request.memory:
        if output.memory is None or len(output.memory) != request.shots:
            raise QhpcError(f"{name} did not return one memory entry per shot")
        if Counter(output.memory) != Counter(output.counts):
            raise QhpcError(f"{name} returned per-shot memory that does not match its counts")
