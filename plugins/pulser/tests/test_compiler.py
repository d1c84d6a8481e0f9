"""Gate circuits compiled to DigitalAnalogDevice pulses and emulated, against the ideal unitary's
output distribution (Qiskit's ``Statevector``: an oracle independent of the compiler and of Pulser).

**Threshold.** The classical fidelity ``(sum_x sqrt(p(x) q(x)))^2`` of the measured distribution to
the ideal one must exceed 0.99. The emulated physics departs from the ideal gates by (i) the
finite blockade: with V = C6 / (4.1 µm)^6 = 1140 rad/µs and a Rydberg Rabi frequency of 2π x 5 MHz,
the CZ picks up a phase error pi Omega / (2 V) = 0.043 rad on |00> (infidelity ~ 5e-4 per CZ) and
leaks (Omega / V)^2 / 2 < 4e-4 into r; (ii) the emulator's 0.34 ns short integration of each
constant pulse, an angle error below 0.7 % (infidelity ~ 1e-4 per pulse). The circuits here have
at most 6 CZ and 12 pulses: below 0.01 in all, and the quantum fidelity bounds the classical one
from below. Sampling 20000 shots biases the estimate by (outcomes - 1) / (4 N) < 1e-4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qhpc.errors import CompileError, JobRejectedError
from qhpc_interop import Circuit
from qhpc_pulser.compiler import SPACING, ConnectivityError, GateToPulseCompiler, layout, plan

qiskit = pytest.importorskip("qiskit")
from qiskit import QuantumCircuit  # noqa: E402
from qiskit.quantum_info import Statevector  # noqa: E402

SHOTS = 20000
BACKEND = "pulser.digital_analog"


def ideal(qc: QuantumCircuit) -> dict[str, float]:
    probs = Statevector.from_instruction(qc.remove_final_measurements(inplace=False)).probabilities_dict()
    # clbit order: the circuits here measure qubit q into clbit q, so the keys are the same
    return {k: float(v) for k, v in probs.items() if v > 1e-12}


def fidelity(p: dict[str, float], counts: dict[str, int]) -> float:
    total = sum(counts.values())
    return sum(math.sqrt(p.get(k, 0.0) * v / total) for k, v in counts.items()) ** 2


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def ghz3() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    return qc


def test_a_bell_circuit_gives_the_bell_distribution(integrator) -> None:  # type: ignore[no-untyped-def]
    result = integrator.run(bell(), backend=BACKEND, shots=SHOTS, seed=1)
    assert result.backend == BACKEND and result.metadata["compile"]["compiler"] == "pulser.gates-to-pulses"
    assert fidelity({"00": 0.5, "11": 0.5}, result.counts) > 0.99, result.counts
    assert result.counts.get("01", 0) + result.counts.get("10", 0) < 0.01 * SHOTS


def test_ghz3_on_a_line_of_atoms(integrator) -> None:  # type: ignore[no-untyped-def]
    result = integrator.run(ghz3(), backend=BACKEND, shots=SHOTS, seed=2)
    assert fidelity({"000": 0.5, "111": 0.5}, result.counts) > 0.99, result.counts


def test_a_triangle_of_cz_places_three_atoms_pairwise_close(integrator) -> None:  # type: ignore[no-untyped-def]
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1, 2])
    qc.cz(0, 1)
    qc.cz(1, 2)
    qc.cz(0, 2)
    qc.h([0, 1, 2])
    qc.measure([0, 1, 2], [0, 1, 2])
    positions = np.array(plan(_model(qc)).positions)
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.linalg.norm(positions[i] - positions[j]) == pytest.approx(SPACING)
    result = integrator.run(qc, backend=BACKEND, shots=SHOTS, seed=3)
    assert fidelity(ideal(qc), result.counts) > 0.99, (result.counts, ideal(qc))


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15, 16])
def test_random_one_and_two_qubit_circuits_match_their_unitary(integrator, seed: int) -> None:  # type: ignore[no-untyped-def]
    from qiskit.circuit.random import random_circuit

    qc = random_circuit(1 + seed % 2, 4, max_operands=2, seed=seed)
    qc.measure_all()
    result = integrator.run(qc, backend=BACKEND, shots=SHOTS, seed=seed)
    assert fidelity(ideal(qc), result.counts) > 0.99, (qc.count_ops(), result.counts, ideal(qc))


def test_phases_between_gates_are_kept_by_the_virtual_z(integrator) -> None:  # type: ignore[no-untyped-def]
    """H, a Z rotation, H: P(1) = sin^2(phi / 2) only if the frame carries the phase to the second
    Raman pulse; one qubit is also rotated about Y between two CZ to test frames across gates."""
    for phi in (0.7, 2.2):
        qc = QuantumCircuit(2, 2)
        qc.h(0)
        qc.rz(phi, 0)
        qc.h(0)
        qc.h(1)
        qc.cz(0, 1)
        qc.ry(0.4, 1)
        qc.cz(0, 1)
        qc.sx(1)
        qc.measure([0, 1], [0, 1])
        result = integrator.run(qc, backend=BACKEND, shots=SHOTS, seed=4)
        assert fidelity(ideal(qc), result.counts) > 0.99, (phi, result.counts, ideal(qc))


def test_clbits_read_their_measured_qubits(integrator) -> None:  # type: ignore[no-untyped-def]
    qc = QuantumCircuit(3, 4)
    qc.x(2)
    qc.measure(2, 0)  # qubit 2 (excited) into clbit 0, qubit 0 into clbit 3; clbits 1, 2 unwritten
    qc.measure(0, 3)
    result = integrator.run(qc, backend=BACKEND, shots=2000, seed=5)
    assert result.counts.get("0001", 0) > 0.99 * 2000, result.counts
    assert "atom_counts" in result.metadata["backend_metadata"]


def test_a_circuit_without_one_qubit_gates_still_runs(integrator) -> None:  # type: ignore[no-untyped-def]
    qc = QuantumCircuit(2, 2)
    qc.cz(0, 1)
    qc.measure([0, 1], [0, 1])
    result = integrator.run(qc, backend=BACKEND, shots=1000, seed=6)
    assert result.counts.get("00", 0) > 990, result.counts


def _model(qc: QuantumCircuit) -> Circuit:
    from qhpc_qiskit.translate import circuit_from_qiskit

    return circuit_from_qiskit(qc)  # type: ignore[no-any-return]


def test_layout_puts_each_pair_at_the_blockade_spacing_and_others_apart() -> None:
    for n, pairs in [(4, {(0, 1), (1, 2), (2, 3)}), (5, {(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)}),
                     (5, {(0, 2), (3, 4)}), (1, set())]:
        xy = np.array(layout(n, pairs))
        for i in range(n):
            for j in range(i + 1, n):
                d = float(np.linalg.norm(xy[i] - xy[j]))
                if (i, j) in pairs:
                    assert d == pytest.approx(SPACING)
                else:
                    assert d >= SPACING - 1e-9


@pytest.mark.parametrize(("build", "error", "message"), [
    (lambda qc: [qc.cx(0, k) for k in (1, 2, 3)], ConnectivityError, r"qubit 0 has two-qubit gates with 3 qubits"),
    (lambda qc: (qc.measure(0, 0), qc.x(0)), CompileError, r"x on qubit 0 comes after its measurement"),
    (lambda qc: qc.reset(1), CompileError, r"reset on qubit 1 cannot be compiled to pulses"),
    (lambda qc: qc.unitary(np.eye(4), [0, 1]), CompileError, r"a 2-qubit unitary cannot be compiled"),
])
def test_what_cannot_be_compiled_is_a_named_error(build, error, message) -> None:  # type: ignore[no-untyped-def]
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    build(qc)
    qc.measure(1, 1)
    with pytest.raises(error, match=message):
        plan(_model(qc))


def test_the_integrator_refuses_what_cannot_be_compiled_before_running(integrator) -> None:  # type: ignore[no-untyped-def]
    qc = QuantumCircuit(4, 4)
    for k in (1, 2, 3):
        qc.cx(0, k)
    qc.measure(range(4), range(4))
    with pytest.raises(JobRejectedError, match=r"pulser.digital_analog cannot run this circuit: .*pulser.gates-to-pulses: "
                                               r"qubit 0 has two-qubit gates with 3 qubits"):
        integrator.run(qc, backend=BACKEND, shots=10)
    with pytest.raises(JobRejectedError, match=r"compiles for DigitalAnalogDevice"):
        integrator.run(bell(), backend="pulser.analog", shots=10)


def test_the_compiler_only_targets_digital_analog_device(integrator) -> None:  # type: ignore[no-untyped-def]
    compiler = GateToPulseCompiler()
    caps = {name: integrator.capabilities(name) for name in ("pulser.analog", "pulser.digital_analog", "pulser.mock")}
    model = _model(bell())
    assert compiler.can_compile(model, caps["pulser.digital_analog"]) is None
    assert "DigitalAnalogDevice" in (compiler.can_compile(model, caps["pulser.mock"]) or "")
    program = compiler.compile(model, caps["pulser.digital_analog"])
    assert program.device == "DigitalAnalogDevice" and program.num_atoms == 2
    assert {c.channel_id for c in program.channels} == {"raman_local", "rydberg_local"}
    assert program.measurement == "digital"
