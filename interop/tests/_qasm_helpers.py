"""Helpers shared by the OpenQASM 2 and 3 tests: compare instruction structure with Qiskit's."""

from __future__ import annotations

from qhpc_interop import Circuit
from qiskit import QuantumCircuit
from qiskit.circuit import Clbit


def structure(circuit: Circuit) -> list[tuple[object, ...]]:
    return [
        (i.name, i.qubits, i.clbits, None if i.condition is None else (i.condition.clbits, i.condition.value))
        for i in circuit.instructions
    ]


def qiskit_structure(qc: QuantumCircuit) -> list[tuple[object, ...]]:
    """Qiskit's instructions as (name, qubits, clbits, condition), if_else blocks flattened."""
    out: list[tuple[object, ...]] = []

    def index(bits: object) -> tuple[int, ...]:
        return tuple(qc.find_bit(b).index for b in bits)  # type: ignore[attr-defined]

    for inst in qc.data:
        op = inst.operation
        if op.name != "if_else":
            out.append((op.name, index(inst.qubits), index(inst.clbits), None))
            continue
        target, value = op.condition
        clbits = index([target]) if isinstance(target, Clbit) else index(target)
        for inner in op.params[0].data:
            out.append((inner.operation.name, index(inner.qubits), index(inner.clbits), (clbits, int(value))))
    return out
