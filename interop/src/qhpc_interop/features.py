"""What a program uses, so that a conversion can refuse to drop it.

:func:`features_used` names each property of :data:`qhpc_interop.graph.PROPERTIES` a circuit uses
and where it first uses it (for error messages that say *where*):

=========================  =======================================================================
feature                    used when
=========================  =======================================================================
``unitary``                the circuit has any gate
``global_phase``           its global phase is not zero (symbolic phases count)
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
=========================  =======================================================================
"""

from __future__ import annotations

from .ir import Barrier, Circuit, Gate, Measure, Reset, UnitaryGate
from .params import Expr


def features_used(circuit: Circuit) -> dict[str, str]:
    """Each feature the circuit uses -> where it is first used (one line, for messages)."""
    used: dict[str, str] = {}
    phase = circuit.global_phase
    if isinstance(phase, Expr) or float(phase) != 0.0:
        used["global_phase"] = f"the circuit's global phase is {phase}"
    free = circuit.parameters
    if free:
        used["parameters"] = f"free parameter(s) {', '.join(p.name for p in free)}"
    if circuit.cregs:
        named = [r.name for r in circuit.cregs]
        used["registers"] = f"classical register(s) {', '.join(named[:5])}{', ...' if len(named) > 5 else ''}"
    identities = circuit.metadata.get("qubits")
    if identities:
        used["qubit_identity"] = f"qubit identities such as {identities[0]}"
    measured: set[int] = set()
    for k, inst in enumerate(circuit.instructions):
        op = inst.operation
        # the place is written out only for a feature's first use (formatting every instruction
        # was a tenth of a large conversion's time)
        if inst.condition is not None and "conditionals" not in used:
            used["conditionals"] = _where(k, inst)
        if isinstance(op, (Gate, UnitaryGate)):
            if "unitary" not in used:
                used["unitary"] = _where(k, inst)
        elif isinstance(op, Measure):
            if "measurements" not in used:
                used["measurements"] = _where(k, inst)
            measured.update(inst.qubits)
            continue
        elif isinstance(op, Reset):
            if "resets" not in used:
                used["resets"] = _where(k, inst)
        elif isinstance(op, Barrier):
            if "barriers" not in used:
                used["barriers"] = _where(k, inst)
            continue
        if measured and "mid_circuit_measurement" not in used and not measured.isdisjoint(inst.qubits):
            used["mid_circuit_measurement"] = _where(k, inst)
    return used


def _where(k: int, inst: object) -> str:
    return f"instruction {k} ({inst})"
