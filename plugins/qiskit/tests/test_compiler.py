"""The Qiskit transpiler compiler keeps the operation and fits native gates and coupling maps."""

from __future__ import annotations

import numpy as np
from qhpc.interfaces import BackendCapabilities
from qhpc.testing import check_compiler, gate_suite
from qhpc_interop import Circuit
from qhpc_interop.testing import circuit_unitary, measurement_probabilities, process_fidelity, random_circuit
from qhpc_qiskit.compiler import QiskitTranspilerCompiler

IBM = frozenset({"rz", "sx", "x", "cx", "id"})
LINE5 = tuple((a, b) for a in range(5) for b in range(5) if abs(a - b) == 1)


def test_native_gates_without_coupling_keep_the_unitary() -> None:
    target = BackendCapabilities(num_qubits=6, native_gates=IBM)
    suite = [c for c in gate_suite(seed=3, num_random=15, parameterized=False) if c.num_qubits <= 6]
    # transpilers may drop a global phase-free identity; the unitary must still match up to phase
    check_compiler(QiskitTranspilerCompiler(), target, suite, exact_phase=False)


def test_a_line_coupling_map_is_respected_and_the_readout_kept() -> None:
    target = BackendCapabilities(num_qubits=5, native_gates=IBM, coupling_map=LINE5)
    circuits = []
    for seed in range(8):
        c = random_circuit(5, 20, seed=seed, gates=["h", "cx", "rz", "cp", "swap", "ccx", "ry"], global_phase=False)
        c.add_creg("m", 5)
        c.measure([0, 1, 2, 3, 4], [4, 2, 0, 1, 3])
        circuits.append(c)
    check_compiler(QiskitTranspilerCompiler(), target, circuits, seed=11)


def test_parameters_pass_through_the_transpiler() -> None:
    from qhpc_interop import Parameter

    t = Parameter("t")
    c = Circuit(2).ry(t, 0).cx(0, 1).rz(2 * t, 1)
    compiled = QiskitTranspilerCompiler().compile(c, BackendCapabilities(num_qubits=2, native_gates=IBM), seed=1)
    assert [p.name for p in compiled.parameters] == ["t"]
    for value in (0.4, 2.2):
        f = process_fidelity(circuit_unitary(compiled.bind({"t": value})), circuit_unitary(c.bind({"t": value})))
        assert f >= 1 - 1e-9


def test_ghz_on_a_line_reads_the_same() -> None:
    target = BackendCapabilities(num_qubits=5, native_gates=IBM, coupling_map=LINE5)
    c = Circuit(5, 5).h(2)
    for a, b in [(2, 0), (2, 4), (0, 1), (4, 3)]:
        c.cx(a, b)
    c.measure(list(range(5)), list(range(5)))
    compiled = QiskitTranspilerCompiler().compile(c, target, seed=3)
    assert all(tuple(i.qubits) in set(LINE5) for i in compiled if len(i.qubits) == 2)
    probs = measurement_probabilities(compiled)
    assert set(probs) == {"00000", "11111"} and np.isclose(probs["00000"], 0.5)
