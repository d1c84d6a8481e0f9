"""QhpcQPU: myQLM jobs on qhpc backends, compared with myQLM's own PyLinalg on the same jobs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qat.comm.exceptions.ttypes import QPUException
from qat.core import Observable, Term
from qat.lang.AQASM import CNOT, RX, RY, RZ, H, Program, X
from qat.qpus import PyLinalg
from qhpc import Integrator
from qhpc.testing import proportion_ok
from qhpc_myqlm.qpu import QhpcQPU, qubitwise_groups


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as shared:
        yield shared


def _circuit():  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(3)
    prog.apply(H, reg[0])
    prog.apply(CNOT, reg[0], reg[1])
    prog.apply(RY(0.7), reg[2])
    prog.apply(RX(0.9).ctrl(), reg[2], reg[0])
    prog.apply(RZ(0.4).dag(), reg[1])
    return prog.to_circ()


def _h2_like():  # type: ignore[no-untyped-def]
    """A two-qubit H2 Hamiltonian (STO-3G at 0.735 A, parity mapping) and an ansatz state."""
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(X, reg[0])
    prog.apply(RY(0.35), reg[1])
    prog.apply(CNOT, reg[1], reg[0])
    terms = [Term(0.3979, "Z", [0]), Term(-0.3979, "Z", [1]), Term(-0.0113, "ZZ", [0, 1]), Term(0.1809, "XX", [0, 1]),
             Term(0.0, "YY", [0, 1]), Term(0.05, "XZ", [0, 1]), Term(-0.02, "YI", [1, 0])]
    return prog.to_circ(), Observable(2, pauli_terms=terms, constant_coeff=-1.0524)


@pytest.mark.parametrize("backend", ["myqlm.pylinalg", "aer.statevector", "auto"])
def test_sampling_matches_pylinalg_in_distribution_and_shape(backend: str, integrator) -> None:  # type: ignore[no-untyped-def]
    circ = _circuit()
    shots = 4000
    exact = {s.state.int: s.probability for s in PyLinalg().submit(circ.to_job(nbshots=0, qubits=[2, 0]))}
    reference = PyLinalg().submit(circ.to_job(nbshots=200, qubits=[2, 0]))
    qpu = QhpcQPU(backend, integrator=integrator, seed=11)
    result = qpu.submit(circ.to_job(nbshots=shots, qubits=[2, 0]))
    assert result.meta_data["nbshots"] == str(shots) == reference.meta_data["nbshots"].replace("200", str(shots))
    assert sum(s.probability for s in result) == pytest.approx(1.0)
    for sample in result:
        assert sample.amplitude is None and sample.intermediate_measurements is None
        p = sample.probability
        assert sample.err == pytest.approx(math.sqrt(p * (1 - p) / (shots - 1)))
        assert str(sample.state).startswith("|") and len(str(sample.state)) == 4  # two qubits, as PyLinalg's
    got = {s.state.int: round(s.probability * shots) for s in result}
    for state in set(exact) | set(got):
        assert proportion_ok(got.get(state, 0), shots, exact.get(state, 0.0)), (state, got, exact)
    # reproducible with a fixed seed
    again = qpu.submit(circ.to_job(nbshots=shots, qubits=[2, 0]))
    assert {s.state.int: s.probability for s in again} == {s.state.int: s.probability for s in result}


def test_per_shot_samples_when_not_aggregated(integrator) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(X, reg[1])
    circ = prog.to_circ()
    result = QhpcQPU("myqlm.pylinalg", integrator=integrator, seed=1).submit(circ.to_job(nbshots=25, aggregate_data=False))
    assert len(result.raw_data) == 25
    assert {s.state.int for s in result} == {0b01}  # qubit 1 set: big-endian over (q0, q1)


def test_exact_probabilities_on_a_statevector_backend(integrator) -> None:  # type: ignore[no-untyped-def]
    circ = _circuit()
    for qubits in ([2, 0], None, [1]):
        exact = {s.state.int: s.probability for s in PyLinalg().submit(circ.to_job(nbshots=0, qubits=qubits))}
        for backend in ("myqlm.pylinalg", "myqlm.clinalg", "auto"):
            result = QhpcQPU(backend, integrator=integrator).submit(circ.to_job(nbshots=0, qubits=qubits))
            got = {s.state.int: s.probability for s in result}
            assert got.keys() == {k for k, p in exact.items() if p > 1e-15}, backend
            assert all(abs(got[k] - exact[k]) < 1e-12 for k in got), backend


def test_exact_jobs_on_a_shot_based_backend_are_refused(integrator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QPUException, match=r"aer\.statevector is shot-based"):
        QhpcQPU("aer.statevector", integrator=integrator).submit(_circuit().to_job(nbshots=0))


@pytest.mark.parametrize("backend", ["myqlm.pylinalg", "aer.statevector"])
def test_observable_estimates_agree_with_pylinalgs_exact_value(backend: str, integrator) -> None:  # type: ignore[no-untyped-def]
    circ, observable = _h2_like()
    exact = PyLinalg().submit(circ.to_job(observable=observable)).value
    shots = 20000
    result = QhpcQPU(backend, integrator=integrator, seed=3).submit(circ.to_job(observable=observable, nbshots=shots))
    assert result.error is not None and 0 < result.error < 0.01
    assert abs(result.value - exact) < 5 * result.error
    assert result.meta_data["groups"] == "4"  # {Z0, Z1, ZZ}, {XX}, {X0 Z1}, {Y1, YY}: qubit-wise commuting
    assert result.meta_data["backend"] == backend


def test_exact_observables_and_their_error_bar_scaling(integrator) -> None:  # type: ignore[no-untyped-def]
    circ, observable = _h2_like()
    exact = PyLinalg().submit(circ.to_job(observable=observable)).value
    qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator, seed=8)
    result = qpu.submit(circ.to_job(observable=observable, nbshots=0))
    assert result.value == pytest.approx(exact, abs=1e-12) and result.error is None
    small = qpu.submit(circ.to_job(observable=observable, nbshots=1000)).error
    large = qpu.submit(circ.to_job(observable=observable, nbshots=16000)).error
    assert large == pytest.approx(small / 4, rel=0.25)  # the standard error falls as 1/sqrt(shots)


def test_observable_on_a_three_qubit_state(integrator) -> None:  # type: ignore[no-untyped-def]
    circ = _circuit()
    observable = Observable(3, pauli_terms=[Term(0.5, "ZZ", [0, 1]), Term(-0.3, "X", [2]), Term(0.2, "YY", [0, 2]),
                                            Term(0.7, "XX", [0, 1]), Term(0.1, "ZXY", [0, 1, 2])], constant_coeff=1.1)
    exact = PyLinalg().submit(circ.to_job(observable=observable)).value
    result = QhpcQPU("myqlm.clinalg", integrator=integrator).submit(circ.to_job(observable=observable, nbshots=0))
    assert result.value == pytest.approx(exact, abs=1e-12)


def test_qubitwise_groups() -> None:
    terms = [("ZZ", [0, 1], 0.5), ("XI", [0, 1], 0.1), ("ZI", [0, 1], 0.9), ("IX", [0, 1], -0.2), ("XX", [0, 1], 0.3),
             ("Y", [2], 0.05)]
    groups = qubitwise_groups(terms)
    assert sorted(map(sorted, groups)) == [[0, 2, 5], [1, 3, 4]]
    for members in groups:  # every pair in a group agrees on every shared qubit
        for a in members:
            for b in members:
                pa = {q: p for p, q in zip(terms[a][0], terms[a][1]) if p != "I"}
                pb = {q: p for p, q in zip(terms[b][0], terms[b][1]) if p != "I"}
                assert all(pa[q] == pb[q] for q in set(pa) & set(pb))


def test_specs_report_the_backends_qubits(integrator) -> None:  # type: ignore[no-untyped-def]
    assert QhpcQPU("myqlm.pylinalg", integrator=integrator).get_specs().nbqbits == \
        integrator.backend("myqlm.pylinalg").capabilities.num_qubits
    auto = QhpcQPU(integrator=integrator).get_specs()
    assert auto.nbqbits == max(b.capabilities.num_qubits for b in integrator.backends.values()
                               if b.capabilities.kind == "emulator" and b.capabilities.paradigm == "gate")


def test_jobs_qhpc_cannot_run_are_refused_with_the_reason(integrator) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(1)
    theta = prog.new_var(float, "theta")
    prog.apply(RX(theta), reg[0])
    qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator)
    with pytest.raises(QPUException, match=r"unbound variable.*theta"):
        qpu.submit(prog.to_circ().to_job(nbshots=10))
    bound = prog.to_circ()(theta=0.3)
    assert sum(s.probability for s in qpu.submit(bound.to_job(nbshots=10))) == pytest.approx(1.0)
    big = Program()
    big.qalloc(40)
    with pytest.raises(QPUException, match="40 qubits"):
        qpu.submit(big.to_circ().to_job(nbshots=10))
    with pytest.raises(TypeError, match="shotz"):
        QhpcQPU(shotz=3)


def test_a_qpu_it_creates_is_closed_with_it() -> None:
    qpu = QhpcQPU("myqlm.pylinalg", seed=1)
    prog = Program()
    reg = prog.qalloc(1)
    prog.apply(X, reg[0])
    result = qpu.submit(prog.to_circ().to_job(nbshots=5))
    assert [s.state.int for s in result] == [1]
    qpu.close()
    assert np.isclose(sum(s.probability for s in qpu.submit(prog.to_circ().to_job(nbshots=5))), 1.0)  # a new one
    qpu.close()


@pytest.mark.parametrize("nbshots", [0, 20000])
def test_observables_on_a_product_state_match_the_bloch_vectors(nbshots: int, integrator) -> None:  # type: ignore[no-untyped-def]
    a, b, c = 1.1, 0.6, -0.8
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(RY(a), reg[0])
    prog.apply(RZ(b), reg[0])
    prog.apply(RX(c), reg[1])
    x0, y0, z0 = math.sin(a) * math.cos(b), math.sin(a) * math.sin(b), math.cos(a)
    x1, y1, z1 = 0.0, -math.sin(c), math.cos(c)
    terms = [(0.7, "X", [0]), (0.5, "Y", [0]), (-0.3, "Z", [0]), (0.4, "Y", [1]), (0.2, "YY", [0, 1]),
             (0.1, "XZ", [0, 1]), (-0.6, "ZY", [0, 1]), (0.3, "XX", [0, 1])]
    observable = Observable(2, pauli_terms=[Term(k, op, qs) for k, op, qs in terms], constant_coeff=0.25)
    analytic = (0.25 + 0.7 * x0 + 0.5 * y0 - 0.3 * z0 + 0.4 * y1 + 0.2 * y0 * y1 + 0.1 * x0 * z1 - 0.6 * z0 * y1
                + 0.3 * x0 * x1)
    result = QhpcQPU("myqlm.pylinalg", integrator=integrator, seed=6).submit(
        prog.to_circ().to_job(observable=observable, nbshots=nbshots))
    if nbshots == 0:
        assert result.value == pytest.approx(analytic, abs=1e-12)
    else:
        assert abs(result.value - analytic) < 5 * result.error
