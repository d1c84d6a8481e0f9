"""Light, exact optimisation passes for emulator targets (microseconds per gate, pure Python).

A full transpiler costs ~100 ms and more per new circuit; these two passes recover what matters
most to a statevector emulator at a fraction of that:

* :func:`elide_final_permutations` - swaps after which the qubits are only measured are removed
  and the measurements relabelled (the readout distribution is unchanged; the state before
  measurement is permuted). A QFT's closing swaps go this way.
* :func:`merge_single_qubit_runs` - consecutive bound one-qubit gates on a qubit become one ``u``
  (exactly: the product's phase goes into the global phase). Only where ``u`` is native.

Both leave conditioned instructions, barriers, parameterized gates and unitaries in place.
"""

from __future__ import annotations

import numpy as np
from qhpc_interop import Barrier, Circuit, Gate, Instruction, Measure
from qhpc_interop.gates import STANDARD_GATES, zyz_angles

from .interfaces import BackendCapabilities


def elide_final_permutations(circuit: Circuit) -> Circuit:
    """Drop the swaps after which both their qubits are measured and nothing else, and measure the
    swapped-in qubit instead. Exact for the readout distribution, not for the final state vector
    of a measured circuit (whose qubits it relabels): a caller that reads amplitudes compiles
    without it. A swap on a qubit that is never measured after it stays (a circuit without
    measurements is left as it is: its state is what it is read for). Circuits with classical
    conditions are left alone.
    """
    insts = circuit.instructions
    if any(inst.condition is not None for inst in insts):
        return circuit
    # backwards: a qubit is "clean" while everything after the current point on it is a measurement,
    # a barrier or an elided swap; a swap between two clean qubits is elided
    clean = [True] * circuit.num_qubits
    measured = [False] * circuit.num_qubits  # something after the current point measures the qubit
    elided = [False] * len(insts)
    for k in range(len(insts) - 1, -1, -1):
        inst = insts[k]
        op = inst.operation
        if isinstance(op, Measure):
            for q in inst.qubits:
                measured[q] = True
            continue
        if isinstance(op, Barrier):
            continue
        if isinstance(op, Gate) and op.name == "swap" and all(clean[q] and measured[q] for q in inst.qubits):
            elided[k] = True
            continue
        for q in inst.qubits:
            clean[q] = False
    if not any(elided):
        return circuit
    # forwards: perm[q] is the qubit now holding what the program calls q
    perm = list(range(circuit.num_qubits))
    out: list[Instruction] = []
    for k, inst in enumerate(insts):
        if elided[k]:
            a, b = inst.qubits
            perm[a], perm[b] = perm[b], perm[a]
            continue
        qubits = tuple(perm[q] for q in inst.qubits)
        out.append(inst if qubits == inst.qubits else Instruction(inst.operation, qubits, inst.clbits))
    return circuit.copy(instructions=out)


_REMOVED = Instruction(Barrier(), ())  # placeholder for a gate fused into an earlier one


#: Row-major matrices of the library's fixed one-qubit gates, made on first use.
_FIXED: dict[str, tuple[complex, complex, complex, complex]] = {}


def _entries(op: Gate) -> tuple[complex, complex, complex, complex]:
    """The row-major 2x2 matrix of a bound one-qubit library gate."""
    if not op.params:
        found = _FIXED.get(op.name)
        if found is None:
            m0, m1, m2, m3 = (complex(z) for z in op.matrix().flat)
            found = _FIXED[op.name] = (m0, m1, m2, m3)
        return found
    m0, m1, m2, m3 = (complex(z) for z in op.matrix().flat)
    return m0, m1, m2, m3


def merge_single_qubit_runs(circuit: Circuit) -> Circuit:
    """Fuse runs of two or more bound one-qubit library gates on a qubit into one exact ``u``."""
    out: list[Instruction] = []
    pending: dict[int, list[int]] = {}  # qubit -> indices in ``out`` of its open run
    phase = circuit.global_phase

    def flush(q: int) -> None:
        nonlocal phase
        run = pending.pop(q, [])
        if len(run) < 2:
            return
        # the 2x2 product in plain complex arithmetic: numpy's per-call cost dominated this pass
        a, b, c, d = 1.0 + 0j, 0j, 0j, 1.0 + 0j
        for idx in run:
            m0, m1, m2, m3 = _entries(out[idx].operation)  # type: ignore[arg-type]
            a, b, c, d = m0 * a + m1 * c, m0 * b + m1 * d, m2 * a + m3 * c, m2 * b + m3 * d
        theta, phi, lam, ph = zyz_angles(np.array(((a, b), (c, d))))
        out[run[0]] = Instruction(Gate("u", (theta, phi, lam)), (q,))
        for idx in run[1:]:
            out[idx] = _REMOVED
        phase = phase + ph

    for inst in circuit.instructions:
        op = inst.operation
        mergeable = (isinstance(op, Gate) and len(inst.qubits) == 1 and inst.condition is None
                     and not op.is_parameterized and STANDARD_GATES[op.name].num_qubits == 1)
        if mergeable:
            pending.setdefault(inst.qubits[0], []).append(len(out))
            out.append(inst)
            continue
        for q in inst.qubits:  # measurements, barriers, multi-qubit and conditioned gates end runs
            if q in pending:
                flush(q)
        out.append(inst)
    for q in list(pending):
        flush(q)
    merged = circuit.copy(instructions=[i for i in out if i is not _REMOVED])
    merged.global_phase = phase
    return merged



def optimize_for_emulator(circuit: Circuit, target: BackendCapabilities) -> Circuit:
    """The passes above that suit ``target`` (an emulator whose native gates include what they emit)."""
    out = elide_final_permutations(circuit)
    if target.native_gates is None or "u" in target.native_gates:
        out = merge_single_qubit_runs(out)
    return out
