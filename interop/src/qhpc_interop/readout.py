"""Readouts of a state vector: which measurements read the final state, and the exact readout
distribution of a circuit whose measurements all do.

Shared by the backends that hold a state vector (myQLM's simulators, Aer's statevector method,
``cirq.Simulator``): they give :func:`exact_probabilities` and :func:`final_state` a function that
evolves a state through gates (the gates of a circuit compiled for that backend).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import InteropError
from .ir import Barrier, Circuit, Gate, Instruction, Measure, Reset, UnitaryGate

#: ``evolve(num_qubits, state or None for |0...0>, gate instructions)`` -> the little-endian state after them
Evolve = Callable[[int, "np.ndarray | None", list[Instruction]], np.ndarray]


def gates_circuit(num_qubits: int, gates: list[Instruction]) -> Circuit:
    """A circuit of ``gates`` alone on ``num_qubits`` qubits (what an ``Evolve`` hands its simulator)."""
    body = Circuit(num_qubits=num_qubits)
    body.instructions = gates
    return body


def deferred_measurements(circuit: Circuit) -> list[bool]:
    """For each instruction, whether it is a measurement nothing after it depends on.

    Such measurements read the final state: they are sampled together at the end. A measurement
    is deferred unless a later gate or reset touches its qubit, a later condition reads its clbit,
    or a later measurement that is not deferred writes the same clbit.
    """
    insts = circuit.instructions
    deferred = [False] * len(insts)
    touched: set[int] = set()
    read: set[int] = set()
    written: set[int] = set()
    for i in range(len(insts) - 1, -1, -1):
        inst = insts[i]
        op = inst.operation
        if isinstance(op, Barrier):
            continue
        if isinstance(op, Measure) and inst.condition is None:
            if not touched.intersection(inst.qubits) and not read.intersection(inst.clbits) \
                    and not written.intersection(inst.clbits) and len(set(inst.clbits)) == len(inst.clbits):
                deferred[i] = True
                continue
        if isinstance(op, Measure):
            written.update(inst.clbits)
        touched.update(inst.qubits)
        if inst.condition is not None:
            read.update(inst.condition.clbits)
    return deferred


def needs_branching(circuit: Circuit) -> bool:
    """Whether the circuit has measurements, resets or conditions the final state cannot stand for."""
    deferred = deferred_measurements(circuit)
    return any(
        (isinstance(i.operation, (Measure, Reset)) and not d) or i.condition is not None
        for i, d in zip(circuit.instructions, deferred)
    )


def final_codes(circuit: Circuit, indices: np.ndarray, base: int, final: list[tuple[int, int]]) -> np.ndarray:
    """Clbit codes (bit c of the code = clbit c) of basis states ``indices`` given ``base`` bits."""
    wide = circuit.num_clbits > 62
    codes: Any = np.full(indices.shape, base, dtype=object if wide else np.int64)
    for q, c in final:
        bit = (indices >> q) & 1
        if wide:
            bit = bit.astype(object)
        mask = 1 << c
        codes = (codes & ~mask) | (bit << c)
    return np.asarray(codes)


def exact_probabilities(circuit: Circuit, evolve: Evolve) -> dict[str, float]:
    """The exact readout distribution of a circuit whose measurements can all be read at the end."""
    if needs_branching(circuit):
        raise InteropError("exact probabilities need a circuit whose measurements all read the final state "
                        "(no reset, conditions or measured qubits used again)")
    if not circuit.num_clbits:  # as a run refuses it: no readout (its one key was "0", read as clbit 0 = 0)
        raise InteropError("the circuit measures nothing (no classical bits): add measurements to get a readout "
                           "distribution (statevector() gives the final state)")
    n = circuit.num_qubits
    deferred = deferred_measurements(circuit)
    final = [pair for i, d in zip(circuit.instructions, deferred) if d for pair in zip(i.qubits, i.clbits)]
    gates = [Instruction(i.operation, i.qubits) for i in circuit.instructions if isinstance(i.operation, (Gate, UnitaryGate))]
    state = evolve(n, None, gates) if n else np.ones(1, dtype=complex)
    probs = np.abs(state) ** 2
    indices = np.nonzero(probs > 1e-15)[0]
    codes = final_codes(circuit, indices, 0, final)
    out: dict[str, float] = {}
    fmt = f"0{circuit.num_clbits}b"
    for code, p in zip(codes, probs[indices]):
        key = format(int(code), fmt)
        out[key] = out.get(key, 0.0) + float(p)
    return out


def final_state(circuit: Circuit, evolve: Evolve) -> np.ndarray:
    """The final state of a circuit of gates only (barriers aside), little-endian (amplitude ``k`` is
    the basis state whose bit ``q`` is qubit ``q``), with the circuit's global phase."""
    for index, inst in enumerate(circuit.instructions):
        if not isinstance(inst.operation, (Gate, UnitaryGate, Barrier)) or inst.condition is not None:
            raise InteropError(f"a state vector needs a circuit of gates only; instruction {index} "
                               f"({inst.operation.name}) is not an unconditioned gate")
    phase = circuit.global_phase
    if not isinstance(phase, (int, float)):
        raise InteropError(f"the circuit's global phase {phase} is symbolic; bind its parameters first")
    gates = [Instruction(i.operation, i.qubits) for i in circuit.instructions if not isinstance(i.operation, Barrier)]
    state = evolve(circuit.num_qubits, None, gates) if circuit.num_qubits else np.ones(1, dtype=complex)
    return state * complex(math.cos(phase), math.sin(phase)) if phase else state
