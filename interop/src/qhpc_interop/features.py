"""What a program uses, so that a conversion can refuse to drop it.

:func:`features_used` names each property of :data:`qhpc_interop.graph.PROPERTIES` a circuit uses
and where it first uses it (for error messages that say *where*):

=========================  =======================================================================
feature                    used when
=========================  =======================================================================
``unitary``                the circuit has any gate
``global_phase``           its global phase is not zero (symbolic phases count), or its one-qubit
                           matrix gates carry a phase their ``u`` form leaves out
``parameters``             it has free symbolic parameters
``measurements``           it measures anything
``mid_circuit_measurement`` a gate or reset acts on a qubit after it was measured
``conditionals``           an instruction is classically conditioned
``resets``                 it resets a qubit
``barriers``               it has a barrier (an annotation: where a compiler may not move gates)
``registers``              it names classical registers, which results are keyed by (an
                           annotation; names of quantum registers are not tracked)
``qubit_identity``         its qubits carry framework identities (``metadata["qubits"]``, e.g.
                           Cirq's GridQubit(1, 2)): an annotation
``layout``                 it was transpiled and records where its original qubits were placed
                           and how routing permuted them (``metadata["transpile_layout"]``, read
                           from a Qiskit ``TranspileLayout``; see :func:`layout_record`): an annotation
=========================  =======================================================================
"""

from __future__ import annotations

import cmath
from collections.abc import Collection, Sequence
from itertools import chain
from operator import attrgetter
from typing import Any

from .gates import zyz_angles
from .graph import PROPERTIES
from .ir import Barrier, Circuit, Gate, Instruction, Measure, Reset, UnitaryGate
from .params import Expr


def named_qregs(circuit: Circuit) -> bool:
    """Whether the circuit's quantum registers say more than the default: anything but none, or one
    register ``q`` over every qubit in order (what Qiskit and the OpenQASM readers make by default)."""
    qregs = circuit.qregs
    if not qregs:
        return False
    return not (len(qregs) == 1 and qregs[0].name == "q" and qregs[0].bits == tuple(range(circuit.num_qubits)))


def _names(registers: Sequence[Any]) -> str:
    named = [r.name for r in registers]
    return f"{', '.join(named[:5])}{', ...' if len(named) > 5 else ''}"


def features_used(circuit: Circuit, only: Collection[str] | None = None, *,
                  wide_matrices: bool = True) -> dict[str, str]:
    """Each feature the circuit uses -> where it is first used (one line, for messages); with
    ``only``, just those of the features named there (a conversion whose route keeps the rest
    asks only about what it could lose).

    A matrix gate's form in library gates (how formats without matrix gates write it) leaves out
    a phase, which counts as the circuit's global phase. For a gate on two or more qubits that
    phase takes its decomposition (:mod:`qhpc_interop.synthesis`, 0.1 ms to 0.3 s a gate):
    ``wide_matrices=False`` leaves those out, for a route known to keep matrix gates and phases.

    Every conversion pays for this scan, so it runs over the instruction list with C-level
    passes (``map``, ``list.index``) and walks instructions in Python only from the first
    measurement on (to find a gate or reset on a measured qubit).
    """
    wanted = _ALL if only is None else frozenset(only)
    used: dict[str, str] = {}
    phase = circuit.global_phase
    instructions = circuit.instructions
    types: list[type] = []  # each instruction's operation type, made on first need (one C-level pass)

    def operation_types() -> list[type]:
        if not types and instructions:
            types.extend(map(type, map(_operation_of, instructions)))
        return types

    if "global_phase" in wanted:
        if isinstance(phase, Expr):
            used["global_phase"] = f"the circuit's global phase is {phase}"
        else:
            # a phase within rounding of a whole turn is none (sums of read angles leave 2e-16 or 2 pi)
            matrices = _matrix_phase(instructions, wide_matrices) if UnitaryGate in set(operation_types()) else None
            total = float(phase) + (matrices[0] if matrices else 0.0)
            if abs(cmath.exp(1j * total) - 1) > PHASE_TOLERANCE:
                used["global_phase"] = (f"the circuit's global phase is {phase}" if not matrices else
                                        matrices[1] + ("" if float(phase) == 0.0 else f", with the circuit's {phase}"))
    if "parameters" in wanted:
        kinds = set(map(type, chain.from_iterable(map(_params_of, instructions))))
        if not kinds <= _NUMBER_TYPES or isinstance(phase, Expr):
            free = circuit.parameters
            if free:
                used["parameters"] = f"free parameter(s) {', '.join(p.name for p in free)}"
    if "registers" in wanted:
        parts = []
        if circuit.cregs:
            parts.append(f"classical register(s) {_names(circuit.cregs)}")
        elif circuit.num_clbits and Measure in set(operation_types()):
            # bits in no register (a myQLM circuit's) that a measurement writes: their number is the
            # layout of the results (a circuit that measures nothing, as most myQLM ones, has none)
            parts.append(f"{circuit.num_clbits} classical bit(s) in no register")
        if named_qregs(circuit):
            parts.append(f"quantum register(s) {_names(circuit.qregs)}")
        if parts:
            used["registers"] = "; ".join(parts)
    identities = circuit.metadata.get("qubits") if "qubit_identity" in wanted else None
    if isinstance(identities, list) and identities:  # (metadata is the user's too: only a list is a record)
        used["qubit_identity"] = f"qubit identities such as {identities[0]}"
    if "layout" in wanted and layout_record(circuit.metadata) is not None:
        used["layout"] = "the layout transpiling recorded (initial placement, routing permutation)"
    found: list[tuple[int, str]] = []  # (first index, feature), put in order of first use below
    if "conditionals" in wanted:
        conditions = list(map(_condition_of, instructions))
        if conditions.count(None) != len(conditions):
            found.append((next(k for k, c in enumerate(conditions) if c is not None), "conditionals"))
    if wanted & _BY_OPERATION:
        operation_types()
        present = set(types)
        firsts = {t: types.index(t) for t in present}
        gates = [firsts[t] for t in present if t is Gate or t is UnitaryGate]
        if gates and "unitary" in wanted:
            found.append((min(gates), "unitary"))
        for kind, feature in ((Measure, "measurements"), (Reset, "resets"), (Barrier, "barriers")):
            if kind in firsts and feature in wanted:
                found.append((firsts[kind], feature))
        if Measure in firsts and "mid_circuit_measurement" in wanted:
            measured: set[int] = set()
            for k in range(firsts[Measure], len(instructions)):
                inst = instructions[k]
                t = types[k]
                if t is Measure:
                    measured.update(inst.qubits)
                elif t is not Barrier and not measured.isdisjoint(inst.qubits):
                    found.append((k, "mid_circuit_measurement"))
                    break
    for k, feature in sorted(found):
        used[feature] = _where(k, instructions[k], circuit)
    return used


_params_of = attrgetter("operation.params")
_condition_of = attrgetter("condition")
_operation_of = attrgetter("operation")
_NUMBER_TYPES = frozenset({float, int})
_ALL = PROPERTIES
#: the features found from the instructions' operation types
_BY_OPERATION = frozenset({"unitary", "measurements", "mid_circuit_measurement", "resets", "barriers"})


#: The metadata key of a transpiled circuit's layout record.
LAYOUT_KEY = "transpile_layout"


def layout_record(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """A circuit's transpile layout record, if its metadata holds one of the record's shape:
    ``initial`` (the physical qubit of each virtual qubit, ancillas after the ``inputs`` original
    ones) and ``routing`` (Qiskit's ``routing_permutation()``), permutations of the same qubits."""
    record = metadata.get(LAYOUT_KEY) if metadata else None
    if not isinstance(record, dict) or set(record) != {"initial", "inputs", "routing"}:
        return None
    initial, inputs, routing = record["initial"], record["inputs"], record["routing"]
    if not (isinstance(initial, list) and isinstance(routing, list) and isinstance(inputs, int)
            and sorted(initial) == list(range(len(initial))) == sorted(routing) and 0 <= inputs <= len(initial)):
        return None
    return record


def _matrix_phase(instructions: list[Instruction], wide: bool = True) -> tuple[float, str] | None:
    """The phase matrix gates carry that their forms in library gates leave out (a one-qubit one's
    ``u``, a wider one's decomposition: how formats without matrix gates write them, the phase is
    then the circuit's), and where the first is; a conditioned one's phase is its branch's, which
    nothing can observe."""
    from .synthesis import unitary_steps

    total, first = 0.0, None
    for k, inst in enumerate(instructions):
        op = inst.operation
        if type(op) is UnitaryGate and inst.condition is None and (wide or op.num_qubits == 1):
            phase = zyz_angles(op.matrix_data)[3] if op.num_qubits == 1 else unitary_steps(op.matrix_data)[1]
            if abs(cmath.exp(1j * phase) - 1) > PHASE_TOLERANCE:
                total += phase
                first = first if first is not None else k
    if first is None:
        return None
    return total, (f"the matrix gate at {_where(first, instructions[first])} carries a phase its form in "
                   f"gates leaves out (in all {total:.6g})")


#: A phase closer than this to 0 (mod 2 pi, as |exp(i phase) - 1|) is none: matrices are read from floats.
PHASE_TOLERANCE = 1e-10


def _where(k: int, inst: Instruction, circuit: Circuit | None = None) -> str:
    return f"instruction {k} ({inst if circuit is None else circuit.describe(inst)})"
