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


def to_qiskit(circuit: Circuit) -> QuantumCircuit:
    """A Qiskit circuit doing what ``circuit`` does, instruction for instruction (flat registers), so
    Aer can run a circuit qhpc read; conditions become ``if_test`` on the bits they read."""
    from qiskit.circuit.classical import expr
    from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping

    gates = get_standard_gate_name_mapping()
    qc = QuantumCircuit(circuit.num_qubits, circuit.num_clbits, global_phase=float(circuit.global_phase))
    for inst in circuit.instructions:
        name = inst.operation.name
        qubits = [qc.qubits[q] for q in inst.qubits]
        clbits = [qc.clbits[c] for c in inst.clbits]
        if name in ("measure", "reset", "barrier"):
            operation = gates[name] if name != "barrier" else None
        elif name == "unitary":
            operation = UnitaryGate(inst.operation.matrix())
        else:
            operation = type(gates[name])(*[float(p) for p in inst.params])
        if inst.condition is None:
            if operation is None:
                qc.barrier(qubits)
            else:
                qc.append(operation, qubits, clbits)
            continue
        cond = inst.condition
        parts = [expr.equal(qc.clbits[b], bool(cond.value >> k & 1)) for k, b in enumerate(cond.clbits)]
        test = parts[0]
        for part in parts[1:]:
            test = expr.logic_and(test, part)
        with qc.if_test(test):
            qc.append(operation, qubits, clbits)
    return qc


def aer_counts(qc: QuantumCircuit, shots: int = 8000, seed: int = 11) -> dict[str, float]:
    """Aer's outcome frequencies for ``qc`` (keys over all clbits, highest first).

    Aer's qubit truncation is off: with it, Aer 0.18 fails to load some circuits whose conditional
    blocks measure ("Invalid jump destination")."""
    from qiskit_aer import AerSimulator

    simulator = AerSimulator(seed_simulator=seed, enable_truncation=False)
    counts = simulator.run(qc, shots=shots).result().get_counts()
    out: dict[str, float] = {}
    for key, count in counts.items():
        flat = key.replace(" ", "")
        out[flat] = out.get(flat, 0.0) + count / shots
    return out


def assert_same_distribution(ours: dict[str, float], theirs: dict[str, float], tolerance: float = 0.04) -> None:
    """Total variation distance at most ``tolerance`` (sampling noise of a few thousand shots)."""
    keys = set(ours) | set(theirs)
    distance = sum(abs(ours.get(k, 0.0) - theirs.get(k, 0.0)) for k in keys) / 2
    assert distance <= tolerance, (distance, sorted(ours.items()), sorted(theirs.items()))
