"""Matrix gates written as library gates (the quantum Shannon decomposition), judged by Qiskit:
what qhpc writes in OpenQASM is read by Qiskit's own readers and its ``Operator`` compared with the
matrix, global phase included for OpenQASM 3 (which has ``gphase``)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from qhpc_interop import Circuit, Condition, UnitaryGate, qasm2, qasm3
from qhpc_interop.gates import controlled
from qhpc_interop.synthesis import SYNTHESIS_GATES, unitary_steps
from qhpc_interop.testing import random_unitary
from qiskit import qasm2 as qiskit_qasm2
from qiskit import qasm3 as qiskit_qasm3
from qiskit.quantum_info import Operator

SWAP = np.eye(4)[[0, 2, 1, 3]].astype(complex)


def _qiskit_operator(circuit: Circuit, fmt: str) -> np.ndarray:
    if fmt == "qasm3":
        return Operator(qiskit_qasm3.loads(qasm3.dumps(circuit))).data
    text = qasm2.dumps(circuit)
    return Operator(qiskit_qasm2.loads(text, custom_instructions=qiskit_qasm2.LEGACY_CUSTOM_INSTRUCTIONS)).data


def _up_to_phase(a: np.ndarray, b: np.ndarray) -> float:
    k = int(np.argmax(np.abs(b)))
    return float(np.max(np.abs(a - (a.flat[k] / b.flat[k]) * b)))


def _matrices() -> list[tuple[str, np.ndarray]]:
    rng = random.Random(2026)
    u1 = random_unitary(2, rng)
    out = [(f"haar-{k}", random_unitary(2**k, rng)) for k in range(2, 7)]
    out += [
        ("controlled", controlled(u1, 1)),                # a gate under a control (cirq.MatrixGate(u).controlled())
        ("controlled-high", SWAP @ controlled(u1, 1) @ SWAP),  # the control the more significant qubit
        ("control-0", np.kron(np.eye(2), np.eye(2)) - controlled(np.eye(2), 1) + controlled(u1, 1)),
        ("product", np.kron(random_unitary(2, rng), u1)),
        ("swap", SWAP),
        ("identity-3", np.eye(8, dtype=complex)),
        ("diagonal-3", np.diag(np.exp(1j * np.linspace(0.1, 5.0, 8)))),
        ("permutation-3", np.eye(8)[[3, 6, 0, 5, 7, 1, 2, 4]].astype(complex)),
        ("degenerate-3", np.kron(np.eye(2), random_unitary(4, rng))),  # blocks equal: A B^dagger = I
        ("phase-only", np.exp(0.7j) * np.eye(4)),
    ]
    return out


@pytest.mark.parametrize(("label", "matrix"), _matrices(), ids=[label for label, _ in _matrices()])
def test_a_matrix_gate_is_written_in_openqasm_as_gates_whose_product_is_the_matrix(label: str,
                                                                                    matrix: np.ndarray) -> None:
    k = round(np.log2(matrix.shape[0]))
    # on scrambled qubits of a wider circuit, beside other gates
    width = k + 1
    qubits = random.Random(k).sample(range(width), k)
    circuit = Circuit(width).h(0).unitary(matrix, qubits)
    expected = Operator(_reference(width, matrix, qubits)).data
    assert np.max(np.abs(_qiskit_operator(circuit, "qasm3") - expected)) < 1e-12  # phase included
    assert _up_to_phase(_qiskit_operator(circuit, "qasm2"), expected) < 1e-12
    steps, _ = unitary_steps(matrix)
    assert {name for name, _, _ in steps} <= SYNTHESIS_GATES


def _reference(width: int, matrix: np.ndarray, qubits: list[int]) -> object:
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import UnitaryGate

    qc = QuantumCircuit(width)
    qc.h(0)
    qc.append(UnitaryGate(matrix), qubits)  # Qiskit's UnitaryGate: little-endian on its qubits, as the model's
    return qc


def test_shortcuts_write_a_controlled_gate_as_cu_and_a_product_as_two_u() -> None:
    rng = random.Random(5)
    u1 = random_unitary(2, rng)
    text = qasm3.dumps(Circuit(2).unitary(SWAP @ controlled(u1, 1) @ SWAP, [0, 1]))
    body = [line for line in text.splitlines() if line.endswith(";") and not line.startswith(("OPENQASM", "include",
                                                                                                "qubit", "gphase"))]
    assert len(body) == 1 and body[0].startswith("cu(") and body[0].endswith("q[1], q[0];")
    text = qasm2.dumps(Circuit(2).unitary(np.kron(u1, random_unitary(2, rng)), [0, 1]))
    assert [line.split("(")[0] for line in text.splitlines() if line.endswith("];") and "qreg" not in line] == ["u", "u"]
    # a Haar-random two-qubit matrix takes the general form: at most 6 cx
    steps, _ = unitary_steps(random_unitary(4, rng))
    assert sum(name == "cx" for name, _, _ in steps) <= 6


@pytest.mark.parametrize("fmt", ["qasm2", "qasm3"])
def test_a_conditioned_matrix_gate_keeps_its_condition_on_every_gate(fmt: str) -> None:
    # a permutation (no shortcut form) that sends |00> to |11> and |01> to |10>, applied only
    # when c == 1: Aer's counts of what Qiskit reads back show which branch ran
    from qiskit_aer import AerSimulator

    perm = np.eye(4)[[3, 2, 0, 1]].T.astype(complex)
    assert np.allclose(perm @ np.eye(4)[0], np.eye(4)[3]) and np.allclose(perm @ np.eye(4)[1], np.eye(4)[2])
    for flag, expected in ((0, "00"), (1, "11")):
        circuit = Circuit.with_registers({"q": 2}, {"c": 1, "m": 2})
        if flag:
            circuit.x(0)
        circuit.measure(0, 0)
        if flag:
            circuit.x(0)  # back to |00>
        circuit.append(UnitaryGate(perm), [0, 1], condition=Condition((0,), 1))
        circuit.measure(0, 1).measure(1, 2)
        text = qasm3.dumps(circuit) if fmt == "qasm3" else qasm2.dumps(circuit)
        qc = (qiskit_qasm3.loads(text) if fmt == "qasm3"
              else qiskit_qasm2.loads(text, custom_instructions=qiskit_qasm2.LEGACY_CUSTOM_INSTRUCTIONS))
        counts = AerSimulator(seed_simulator=3).run(qc, shots=50).result().get_counts()
        assert counts == {f"{expected} {flag}": 50}, (flag, counts)


def test_the_cache_of_decompositions_is_bounded_by_its_steps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a review: bounded by entries, 4,096 six-qubit decompositions would have kept about 5 GB
    import qhpc_interop.synthesis as synthesis

    monkeypatch.setattr(synthesis, "_MADE", {})
    monkeypatch.setattr(synthesis, "_made_steps", 0)
    monkeypatch.setattr(synthesis, "_MADE_KEPT", 100)
    rng = random.Random(8)
    for _ in range(12):
        unitary_steps(random_unitary(8, rng))  # 88 steps each
        assert sum(len(steps) for steps, _ in synthesis._MADE.values()) <= 100
