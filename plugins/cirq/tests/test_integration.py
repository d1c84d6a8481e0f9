"""The plugin as qhpc loads it: format detection, conversion routes and jobs through the integrator."""

from __future__ import annotations

import warnings

import cirq
import numpy as np
import pytest
import qhpc
from qhpc.testing import proportion_ok

qiskit = pytest.importorskip("qiskit")


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with qhpc.Integrator() as integ:
        yield integ


def test_the_plugin_registers_its_format_translators_and_backends(integrator) -> None:  # type: ignore[no-untyped-def]
    assert "cirq" in integrator.formats
    names = {t.name for t in integrator.translators}
    assert {"cirq-import", "cirq-export"} <= names
    assert {"cirq.simulator", "cirq.density_matrix"} <= set(integrator.backends)
    q = cirq.LineQubit.range(2)
    assert integrator.detect_format(cirq.Circuit(cirq.H(q[0]))) == "cirq"
    assert integrator.detect_format(cirq.FrozenCircuit(cirq.H(q[0]))) == "cirq"
    assert not integrator.formats["cirq"].detect(cirq.H(q[0]))  # an operation is not a program


@pytest.mark.parametrize("backend", ["cirq.simulator", "cirq.density_matrix", "auto"])
def test_a_cirq_circuit_runs_and_reads_back_by_key(integrator, backend: str) -> None:  # type: ignore[no-untyped-def]
    a, b, c = cirq.GridQubit.rect(1, 3)
    circuit = cirq.Circuit(cirq.H(a), cirq.CNOT(a, b), cirq.CNOT(b, c), cirq.X(c),
                           cirq.measure(a, b, key="ab"), cirq.measure(c, key="c"))
    result = integrator.run(circuit, backend=backend, shots=1000, seed=7)
    assert sum(result.counts.values()) == 1000
    # registers "ab" (clbits 0, 1) and "c" (clbit 2); GHZ with c flipped: ab=11,c=0 or ab=00,c=1
    assert set(result.counts) == {"011", "100"}
    assert proportion_ok(result.counts["011"], 1000, 0.5)
    assert result.register_counts("c") == {"0": result.counts["011"], "1": result.counts["100"]}


def test_a_qiskit_circuit_converts_to_cirq_exactly(integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    qc = QuantumCircuit(3, global_phase=0.3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cp(0.4, 1, 2)
    qc.u(0.1, 0.2, 0.3, 2)
    qc.rzx(0.7, 2, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted, route = integrator.convert(qc, "cirq")
    # Cirq has no quantum registers: a core that reports dropped annotations names only that
    assert all("register" in str(w.message) for w in caught), [str(w.message) for w in caught]
    assert isinstance(converted, cirq.Circuit)
    assert [e.target for e in route.edges] == ["qhpc.circuit", "cirq"]
    order = sorted(converted.all_qubits(), reverse=True)  # little-endian, as Qiskit's Operator
    assert np.allclose(converted.unitary(qubit_order=order, dtype=np.complex128), Operator(qc).data, atol=1e-9)


def test_cirq_converts_to_qiskit_and_runs_on_aer(integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit.quantum_info import Operator

    q = cirq.LineQubit.range(2)
    circuit = cirq.Circuit(cirq.H(q[0]), cirq.CNOT(*q) ** 0.5, cirq.FSimGate(0.3, 0.2).on(*q))
    qc, _ = integrator.convert(circuit, "qiskit")
    order = sorted(circuit.all_qubits(), reverse=True)
    assert np.allclose(Operator(qc).data, circuit.unitary(qubit_order=order, dtype=np.complex128), atol=1e-9)
    measured = circuit + cirq.measure(*q, key="m")
    result = integrator.run(measured, backend="aer.statevector", shots=500, seed=1)
    assert sum(result.counts.values()) == 500


def test_a_register_order_cirq_cannot_give_back_is_announced() -> None:
    """Cirq's keys have no order: read back, registers come in order of first measurement. Where
    that is not the circuit's clbit order the bitstrings' layout changes, so the loss is announced
    (found by tests/conformance/test_readout.py: registers a, b came back b, a, silently)."""
    from qhpc.conversion import ConversionLossWarning
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    qc = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(1, "a"), ClassicalRegister(1, "b"))
    qc.x(0)
    qc.measure(0, 1)  # b first
    qc.measure(1, 0)
    with pytest.warns(ConversionLossWarning, match=r"drops registers \(the order of classical register\(s\) a, b \(Cirq gives"):
        circuit = qhpc.convert(qc, "cirq")
    back = qhpc.convert(circuit, "qiskit")
    assert [r.name for r in back.cregs] == ["b", "a"]
    result = cirq.Simulator().run(circuit)
    assert result.measurements["b"][0].tolist() == [1] and result.measurements["a"][0].tolist() == [0]
    qc.data = [i for i in qc.data if i.operation.name != "measure"]
    qc.measure([1, 0], [0, 1])  # a first: the layout comes back as it is, nothing to announce
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        qhpc.convert(qc, "cirq")


def test_barriers_are_announced_as_dropped_only_when_the_circuit_has_them() -> None:
    from qhpc.conversion import ConversionLossWarning
    from qhpc_interop import Circuit

    plain = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        qhpc.convert(plain, "cirq")
    fenced = Circuit(2, 2).h(0).barrier(0, 1).cx(0, 1).measure([0, 1], [0, 1])
    with pytest.warns(ConversionLossWarning, match=r"drops barriers \(instruction 1 "):
        qhpc.convert(fenced, "cirq")


def test_a_register_that_aliases_another_ones_bits_is_announced_as_dropped() -> None:
    # an outside audit: d = (c[1],) went to Cirq under c's key alone, and the conversion said nothing
    from qhpc.conversion import ConversionLossWarning
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit_aer import AerSimulator

    c = ClassicalRegister(2, "c")
    d = ClassicalRegister(name="d", bits=[c[1]])
    qc = QuantumCircuit(QuantumRegister(3, "q"), c, d)
    qc.x(1)
    qc.measure([0, 1], [0, 1])
    with qc.if_test((d, 1)):
        qc.x(2)
    with pytest.warns(ConversionLossWarning, match=r"drops registers \(classical register\(s\) c, d, which share bits\)"):
        circuit = qhpc.convert(qc, "cirq")
    # the readout itself is kept: the condition on d reads c[1] (qubit 1, which is 1), so qubit 2 flips
    final = cirq.Simulator().simulate(circuit, qubit_order=cirq.LineQubit.range(3)).final_state_vector
    assert abs(final[0b011]) == pytest.approx(1.0)
    aer = AerSimulator().run(qc.measure_all(inplace=False), shots=8, seed_simulator=1).result().get_counts()
    assert [key.split()[0] for key in aer] == ["110"]  # Aer agrees: qubit 2 flipped
