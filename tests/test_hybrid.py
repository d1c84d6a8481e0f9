"""The hybrid runtime: observables from every framework, sessions, batches, gradients, mitigation.

Oracles: the frameworks' own matrices (Qiskit SparsePauliOp, Cirq PauliSum, OpenFermion), numpy
statevectors of the model, finite differences of exact energies, and analytic readout algebra.
"""

from __future__ import annotations

import math

import cirq
import numpy as np
import openfermion as of
import pytest
from qhpc import Integrator, QhpcError
from qhpc.hybrid import PauliSum, Session
from qhpc.hybrid.observables import ObservableError, group_basis
from qhpc.noise import NoiseModel, ReadoutError
from qhpc_interop import Circuit, Parameter
from qhpc_interop.testing import statevector
from qiskit.quantum_info import SparsePauliOp


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as it:
        yield it


def test_observables_from_every_framework_have_the_frameworks_matrices() -> None:
    sparse = SparsePauliOp.from_list([("XZI", 0.5), ("IYY", -0.25), ("ZII", 1.5), ("III", 0.1)])
    assert np.allclose(PauliSum.from_any(sparse).to_matrix(), sparse.to_matrix())
    a, b, c = cirq.LineQubit.range(3)
    psum = 0.5 * cirq.X(a) * cirq.Z(b) - 0.3 * cirq.Y(c) + 0.2 * cirq.Z(a) * cirq.Z(c)
    # cirq's matrix is big-endian in the qubit order; the model's little-endian: reverse the qubits
    assert np.allclose(PauliSum.from_any(psum).to_matrix(), psum.matrix([c, b, a]))
    qop = of.QubitOperator("X0 Y2", 0.7) + of.QubitOperator("Z1", -1.1) + of.QubitOperator("", 0.3)
    # OpenFermion's matrices are big-endian (qubit 0 the most significant bit): reverse the qubits
    big = of.get_sparse_operator(qop, 3).toarray().reshape([2] * 6)
    little = big.transpose(2, 1, 0, 5, 4, 3).reshape(8, 8)
    assert np.allclose(PauliSum.from_any(qop, 3).to_matrix(), little)
    assert PauliSum.from_string("0.5 * XZ - 0.25 ZI + 0.1").terms == (("XZ", 0.5), ("ZI", -0.25), ("II", 0.1))
    with pytest.raises(ObservableError, match="complex"):
        PauliSum.from_list([("XY", 1j)])
    with pytest.raises(ObservableError, match="cannot read"):
        PauliSum.from_string("0.5 * XQ")


def test_groups_are_qubit_wise_commuting_and_cover_every_term() -> None:
    rng = np.random.default_rng(3)
    labels = {"".join(rng.choice(list("IXYZ"), 5)) for _ in range(40)}
    obs = PauliSum.from_list((label, float(rng.normal())) for label in labels)
    groups = obs.groups()
    covered = [label for group in groups for label, _ in group]
    assert sorted(covered) == sorted(label for label in labels if set(label) != {"I"})
    for group in groups:
        basis = group_basis(group)
        for label, _ in group:
            n = len(label)
            for k, p in enumerate(label):
                assert p == "I" or basis[n - 1 - k] == p


def ansatz() -> Circuit:
    t = [Parameter(f"t{i}") for i in range(5)]
    return (Circuit(3, 0).ry(t[0], 0).ry(t[1], 1).rx(t[2], 2).cx(0, 1).cx(1, 2)
            .rz(2 * t[3] + 0.1, 2).gate("rzz", [0, 2], [t[4]]).ry(t[0] - t[1], 1))


H = PauliSum.from_string("0.5 ZZI - 0.4 XIX + 0.3 IYZ + 0.2 ZII - 0.1")


def exact(values: list[float]) -> float:
    psi = statevector(ansatz().bind({f"t{i}": v for i, v in enumerate(values)}))
    return float(np.real(psi.conj() @ H.to_matrix() @ psi))


def test_exact_session_energies_batches_and_gradients(integrator: Integrator) -> None:
    point = [0.3, -0.7, 1.1, 0.2, -0.4]
    with Session(ansatz(), [H], backend="aer.statevector", integrator=integrator) as s:
        assert s.expectation(point)[0].value == pytest.approx(exact(point), abs=1e-10)
        rng = np.random.default_rng(0)
        sets = [list(rng.uniform(-3, 3, 5)) for _ in range(20)]
        calls = s.stats.backend_calls
        values, errors = s.batch(sets)
        assert s.stats.backend_calls == calls + 1  # twenty parameter sets, one backend call
        assert np.allclose(values[:, 0], [exact(v) for v in sets], atol=1e-10) and not errors.any()
        grad = s.gradient(point)
        step = 1e-5
        numeric = [(exact(list(np.add(point, step * e))) - exact(list(np.subtract(point, step * e)))) / (2 * step)
                   for e in np.eye(5)]
        assert np.allclose(grad, numeric, atol=1e-7)


def test_shot_estimates_agree_with_exact_values_within_their_errors(integrator: Integrator) -> None:
    point = [0.3, -0.7, 1.1, 0.2, -0.4]
    with Session(ansatz(), [H], backend="aer.statevector", integrator=integrator, shots=40_000, seed=5) as s:
        estimate = s.expectation(point)[0]
        assert 0 < estimate.stderr < 0.02
        assert abs(estimate.value - exact(point)) < 5 * estimate.stderr
        grad = s.gradient(point)
    with Session(ansatz(), [H], backend="aer.statevector", integrator=integrator) as s:
        assert np.allclose(grad, s.gradient(point), atol=0.05)


def test_readout_mitigation_removes_the_models_readout_bias(integrator: Integrator) -> None:
    """Under readout errors alone, <Z> of |0> reads 1 - 2 p01; mitigation gives back 1."""
    model = NoiseModel(readout={0: ReadoutError(0.1, 0.2), 1: ReadoutError(0.05, 0.15)})
    circuit = Circuit(2, 0).x(1)  # <ZI> = -1 (qubit 1 in |1>), <IZ> = +1
    observable = PauliSum.from_string("ZI + IZ")
    raw = Session(circuit, [observable], backend="aer.density_matrix", integrator=integrator, shots=50_000, seed=1,
                  noise=model).expectation([])[0]
    assert raw.value == pytest.approx((-1 + 2 * 0.15) + (1 - 2 * 0.1), abs=5 * raw.stderr + 1e-3)
    fixed = Session(circuit, [observable], backend="aer.density_matrix", integrator=integrator, shots=50_000,
                    seed=1, noise=model, mitigate_readout=True).expectation([])[0]
    assert fixed.value == pytest.approx(0.0, abs=0.03)
    assert abs(fixed.value) < abs(raw.value) / 5


def test_session_errors_are_clear(integrator: Integrator) -> None:
    with pytest.raises(QhpcError, match="cannot compute exact expectation values; give shots="):
        Session(ansatz(), [H], backend="aer.matrix_product_state", integrator=integrator)
    with Session(ansatz(), [H], integrator=integrator) as s:
        with pytest.raises(QhpcError, match=r"parameters must be exactly .* \(missing t1, t2, t3, t4\)"):
            s.expectation({"t0": 1.0})
        with pytest.raises(QhpcError, match="2 values for 5 parameters"):
            s.expectation([1.0, 2.0])
    not_shiftable = Circuit(2, 0).cp(Parameter("a"), 0, 1)
    with Session(not_shiftable, ["ZZ"], integrator=integrator) as s, pytest.raises(QhpcError, match="parameterised cp"):
        s.gradient([0.1])
    assert math.isfinite(Session(not_shiftable, ["ZZ"], integrator=integrator).expectation([0.3])[0].value)
