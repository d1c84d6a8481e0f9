"""QhpcQPU: myQLM jobs on qhpc backends, compared with myQLM's own PyLinalg on the same jobs."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from qat.comm.exceptions.ttypes import QPUException
from qat.core import Observable, Term
from qat.core.variables import Variable
from qat.lang.AQASM import (
    CCNOT,
    CNOT,
    CSIGN,
    ISWAP,
    PH,
    RX,
    RY,
    RZ,
    SQRTSWAP,
    SWAP,
    AbstractGate,
    H,
    Program,
    S,
    T,
    X,
    Y,
    Z,
)
from qat.qpus import PyLinalg
from qhpc import Backend, BackendCapabilities, Integrator
from qhpc.testing import proportion_ok
from qhpc_myqlm.qpu import QhpcQPU, qubitwise_groups


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as shared:
        yield shared


class _DeviceQPU(Backend):
    """A three-qubit device with a directed line coupling, run exactly by Qiskit's Statevector."""

    name = "test.device"
    kind = "qpu"
    description = "a 3-qubit line"

    @property
    def capabilities(self) -> BackendCapabilities:
        return BackendCapabilities(num_qubits=3, kind="qpu", location="on-prem", device="QPU", paradigm="gate",
                                   coupling_map=((0, 1), (1, 2)))

    def run(self, circuit, *, shots, seed, memory, options, cancel):  # type: ignore[no-untyped-def]
        raise AssertionError("not run here")


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
    # qubits=[]: one outcome, the empty one, probability 1 (a refusal "measures nothing" for a round)
    for qubits in ([2, 0], None, [1], []):
        exact = {s.state.int: s.probability for s in PyLinalg().submit(circ.to_job(nbshots=0, qubits=qubits))}
        for backend in ("myqlm.pylinalg", "myqlm.clinalg", "aer.statevector", "cirq.simulator", "auto"):
            result = QhpcQPU(backend, integrator=integrator).submit(circ.to_job(nbshots=0, qubits=qubits))
            got = {s.state.int: s.probability for s in result}
            assert got.keys() == {k for k, p in exact.items() if p > 1e-15}, backend
            assert all(abs(got[k] - exact[k]) < 1e-12 for k in got), backend


def _random_program(seed: int, n: int = 4, depth: int = 24):  # type: ignore[no-untyped-def]
    """A random myQLM circuit over its gate set, with daggers, controls and a matrix gate."""
    rng = random.Random(seed)
    bases = [lambda: H, lambda: X, lambda: Y, lambda: Z, lambda: S, lambda: T, lambda: PH(rng.uniform(-6, 6)),
             lambda: RX(rng.uniform(-6, 6)), lambda: RY(rng.uniform(-6, 6)), lambda: RZ(rng.uniform(-6, 6)),
             lambda: CNOT, lambda: CSIGN, lambda: SWAP, lambda: ISWAP, lambda: SQRTSWAP, lambda: CCNOT]
    prog = Program()
    reg = prog.qalloc(n)
    for _ in range(depth):
        gate = rng.choice(bases)()
        kind = rng.random()
        if kind < 0.2:
            gate = gate.dag()
        elif kind < 0.35 and gate.arity < n - 1:
            gate = gate.ctrl()
        prog.apply(gate, [reg[q] for q in rng.sample(range(n), gate.arity)])
    z = np.linalg.qr(np.random.default_rng(seed).normal(size=(4, 4)) + 1j * np.random.default_rng(seed + 1).normal(size=(4, 4)))[0]
    prog.apply(AbstractGate("M", [], arity=2, matrix_generator=lambda: z)(), reg[1], reg[3])
    return prog.to_circ()


@pytest.mark.parametrize("seed", range(6))
def test_exact_jobs_give_pylinalgs_amplitudes_phase_included(seed: int, integrator) -> None:  # type: ignore[no-untyped-def]
    """``nbshots=0`` over all qubits: each sample's amplitude, as myQLM's own PyLinalg gives it on the
    same job (the global phase included: PyLinalg runs the myQLM circuit, qhpc its own reading)."""
    circ = _random_program(seed)
    for qubits in (None, [2, 0, 3, 1]):
        job = circ.to_job(nbshots=0, qubits=qubits)
        exact = {s.state.int: complex(s.amplitude) for s in PyLinalg().submit(job)}
        for backend in ("myqlm.pylinalg", "myqlm.clinalg", "aer.statevector", "cirq.simulator", "auto"):
            got = {s.state.int: (s.amplitude, s.probability) for s in QhpcQPU(backend, integrator=integrator).submit(job)}
            assert got.keys() == exact.keys(), (backend, qubits)
            for state, (amplitude, probability) in got.items():
                assert abs(amplitude - exact[state]) < 1e-9, (backend, qubits, state)
                assert probability == pytest.approx(abs(amplitude) ** 2, abs=1e-12)


def test_amplitudes_keep_pylinalgs_threshold_and_are_left_out_where_pylinalg_leaves_them(integrator) -> None:  # type: ignore[no-untyped-def]
    circ = _circuit()
    qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator)
    for threshold in (0.2, 0.5):
        job = circ.to_job(nbshots=0, amp_threshold=threshold)
        want = {s.state.int for s in PyLinalg().submit(job)}
        assert {s.state.int for s in qpu.submit(job)} == want and want
    # a part of the qubits: probabilities only, as PyLinalg
    for sample in qpu.submit(circ.to_job(nbshots=0, qubits=[2, 0])):
        assert sample.amplitude is None and sample.probability > 0
    with pytest.raises(QPUException, match=r"exact amplitudes.*aer\.matrix_product_state is shot-based"):
        QhpcQPU("aer.matrix_product_state", integrator=integrator).submit(circ.to_job(nbshots=0))


@pytest.mark.parametrize("backend", ["aer.statevector", "cirq.simulator", "myqlm.pylinalg", "auto"])
def test_amplitudes_of_circuits_ending_in_swaps(backend: str, integrator) -> None:  # type: ignore[no-untyped-def]
    # the light passes elide final swaps (exact for what is measured): amplitudes came back relabelled,
    # |10> for X(0) SWAP(0, 1) where PyLinalg gives |01>
    prog = Program()
    reg = prog.qalloc(3)
    prog.apply(X, reg[0])
    prog.apply(RY(0.8), reg[2])
    prog.apply(SWAP, reg[0], reg[1])
    prog.apply(SWAP, reg[1], reg[2])
    circ = prog.to_circ()
    expected = {s.state.int: s.amplitude for s in PyLinalg().submit(circ.to_job(nbshots=0))}
    got = {s.state.int: s.amplitude for s in QhpcQPU(backend, integrator=integrator).submit(circ.to_job(nbshots=0))}
    assert set(got) == set(expected)
    assert all(abs(got[k] - expected[k]) < 1e-12 for k in expected)


def _teleport_like():  # type: ignore[no-untyped-def]
    """Measurements, a two-qubit measurement, a condition and a reset, with outcomes known exactly:
    o0 = q0 (1/2 each); q1 copies it (CNOT), is measured with q2 after an H on q2 (o1 = (o0, coin));
    q3 flips where o0 read 1; q1 is reset, which reads o0 again."""
    prog = Program()
    reg = prog.qalloc(4)
    bits = prog.calloc(4)
    prog.apply(H, reg[0])
    prog.measure(reg[0], bits[0])
    prog.apply(CNOT, reg[0], reg[1])
    prog.apply(H, reg[2])
    prog.measure([reg[1], reg[2]], [bits[3], bits[1]])
    prog.cc_apply(bits[0], X, reg[3])
    prog.reset(reg[1])
    return prog.to_circ()


@pytest.mark.parametrize("backend", ["myqlm.pylinalg", "aer.statevector"])
def test_intermediate_measurements_are_reported_as_pylinalg_reports_them(backend: str, integrator) -> None:  # type: ignore[no-untyped-def]
    circ = _teleport_like()
    shots = 600
    reference = PyLinalg().submit(circ.to_job(nbshots=20, aggregate_data=False))
    shape = [(m.gate_pos, len(m.cbits)) for m in reference.raw_data[0].intermediate_measurements]
    assert shape == [(1, 1), (4, 2), (6, 1)]  # positions in circ.ops, one value per measured qubit
    qpu = QhpcQPU(backend, integrator=integrator, seed=5)
    per_shot = qpu.submit(circ.to_job(nbshots=shots, aggregate_data=False))
    assert len(per_shot.raw_data) == shots
    zeros = coins = 0
    for sample in per_shot:
        first, pair, reset = sample.intermediate_measurements
        assert [(m.gate_pos, len(m.cbits)) for m in (first, pair, reset)] == shape
        o0, (copy, coin), again = first.cbits[0], pair.cbits, reset.cbits[0]
        assert copy == o0 and again == o0
        # final state, big-endian over (q0, q1, q2, q3): q0 = o0, q1 reset, q2 = coin, q3 = o0
        assert sample.state.int == (o0 << 3) | (coin << 1) | o0
        zeros += o0 == 0
        coins += coin
        assert reset.probability == 1.0
    assert proportion_ok(zeros, shots, 0.5) and proportion_ok(coins, shots, 0.5)
    # aggregated: one sample per final state and outcomes, PyLinalg's grouping
    aggregated = qpu.submit(circ.to_job(nbshots=shots))
    assert sum(s.probability for s in aggregated) == pytest.approx(1.0)
    seen = set()
    for sample in aggregated:
        outcomes = tuple(tuple(m.cbits) for m in sample.intermediate_measurements)
        assert (sample.state.int, outcomes) not in seen
        seen.add((sample.state.int, outcomes))
        first, pair, _ = sample.intermediate_measurements
        assert first.probability == pytest.approx(0.5, abs=0.1) and pair.probability == pytest.approx(0.5, abs=0.15)
    assert len(seen) == 4
    # a circuit without measurements: PyLinalg's empty list per shot, nothing when aggregated
    plain = _circuit()
    assert all(s.intermediate_measurements == [] for s in qpu.submit(plain.to_job(nbshots=3, aggregate_data=False)))
    assert all(s.intermediate_measurements is None for s in qpu.submit(plain.to_job(nbshots=3)))


@pytest.mark.parametrize("backend", ["cirq.qsim", "myqlm.pylinalg"])
def test_a_reset_is_read_without_needing_conditions(backend: str, integrator) -> None:  # type: ignore[no-untyped-def]
    """qsim resets but has no classical control: reading a reset must not need any (it was refused
    there once resets were recorded as a measurement and a conditioned X)."""
    pytest.importorskip("qsimcirq")
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(H, reg[0])
    prog.apply(CNOT, reg[0], reg[1])
    prog.reset(reg[1])
    shots = 400
    result = QhpcQPU(backend, integrator=integrator, seed=2).submit(prog.to_circ().to_job(nbshots=shots, aggregate_data=False))
    ones = 0
    for sample in result:
        (reset,) = sample.intermediate_measurements
        assert reset.gate_pos == 2 and reset.probability == pytest.approx(0.5, abs=0.1)
        # q1 copied q0 before its reset: the reset read q0's value; q1 ends in 0
        assert sample.state.int & 1 == 0 and reset.cbits[0] == sample.state.int >> 1
        ones += reset.cbits[0]
    assert proportion_ok(ones, shots, 0.5)


def test_exact_jobs_on_a_shot_based_backend_are_refused(integrator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QPUException, match=r"exact probabilities.*aer\.matrix_product_state is shot-based"):
        QhpcQPU("aer.matrix_product_state", integrator=integrator).submit(_circuit().to_job(nbshots=0, qubits=[0]))


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


@pytest.mark.parametrize("nbshots", [0, 10])
def test_a_job_qhpc_cannot_compile_is_a_qpu_exception_either_way(nbshots: int, integrator) -> None:  # type: ignore[no-untyped-def]
    # with nbshots=0 the compiler's own error escaped (UnknownNameError, CompileError, an AttributeError)
    for compiler in ("bogus", "perceval.dual-rail", "qaoa"):
        qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator, compiler=compiler)
        with pytest.raises(QPUException, match=compiler.replace(".", r"\.")):
            qpu.submit(_circuit().to_job(nbshots=nbshots))


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


def test_specs_give_emulators_no_fixed_width_and_a_qpu_its_register_and_coupling(integrator) -> None:  # type: ignore[no-untyped-def]
    # an emulator's qubit count is a memory limit: reported as a width, myQLM's Nnizer padded every
    # job to it (30 qubits of Aer statevector for a 5-qubit job, 10,000 for auto)
    for name in ("myqlm.pylinalg", "aer.statevector", "auto"):
        specs = QhpcQPU(name, integrator=integrator).get_specs()
        assert specs.nbqbits is None, name
    auto = QhpcQPU(integrator=integrator).get_specs().description
    noisy = [b.name for b in integrator.backends.values() if b.kind == "emulator" and b.capabilities.noisy]
    assert noisy and not any(n in auto for n in noisy)  # auto never chooses a noisy target
    with Integrator() as own:
        qpu_backend = _DeviceQPU()
        own.backends[qpu_backend.name] = qpu_backend
        specs = QhpcQPU(qpu_backend.name, integrator=own).get_specs()
        assert specs.nbqbits == 3
        assert specs.topology.is_directed
        assert {q: sorted(v) for q, v in specs.topology.graph.items() if v} == {0: [1], 1: [2]}


def test_nnizer_in_front_of_an_emulator_keeps_the_jobs_width(integrator) -> None:  # type: ignore[no-untyped-def]
    from qat.plugins import Nnizer

    circ = _circuit()
    expected = {s.state.int: s.probability for s in PyLinalg().submit(circ.to_job(nbshots=0))}
    stack = Nnizer() | QhpcQPU("aer.statevector", integrator=integrator)
    got = {s.state.int: s.probability for s in stack.submit(circ.to_job(nbshots=0))}
    assert set(got) == set(expected)
    assert all(math.isclose(got[k], expected[k], abs_tol=1e-12) for k in expected)


def test_seeds_are_checked_and_observable_results_look_like_pylinalgs(integrator) -> None:  # type: ignore[no-untyped-def]
    for bad in ("x", [1], 1.9, True, -1):
        with pytest.raises(TypeError, match="seed must be a non-negative integer"):
            QhpcQPU("aer.statevector", integrator=integrator, seed=bad)
    for bad_backend in (None, 3):  # an AttributeError at submit before
        with pytest.raises(TypeError, match="backend must be a qhpc backend's name or 'auto'"):
            QhpcQPU(bad_backend, integrator=integrator)
    circ, observable = _h2_like()
    for nbshots in (0, 100):
        reference = PyLinalg().submit(circ.to_job(observable=observable, nbshots=0))
        result = QhpcQPU("aer.statevector", integrator=integrator, seed=3).submit(
            circ.to_job(observable=observable, nbshots=nbshots))
        assert list(result) == list(reference) == []  # raw_data was None: iterating it raised
        assert (result.meta_data.get("seed") == "3") == bool(nbshots)


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


def test_observables_with_a_complex_constant_or_unbound_coefficients_are_refused(integrator) -> None:  # type: ignore[no-untyped-def]
    # a complex constant was cut to its real part; a Variable coefficient raised a bare TypeError
    prog = Program()
    reg = prog.qalloc(1)
    prog.apply(H, reg[0])
    circ = prog.to_circ()
    qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator)
    complex_constant = Observable(1, pauli_terms=[Term(1.0, "X", [0])], constant_coeff=0.5j)
    with pytest.raises(QPUException, match="constant term is complex"):
        qpu.submit(circ.to_job("OBS", observable=complex_constant))
    symbolic = Observable(1, pauli_terms=[Term(Variable("a"), "X", [0])])
    with pytest.raises(QPUException, match=r"term X\[0\] .*unbound variable\(s\) a"):
        qpu.submit(circ.to_job("OBS", observable=symbolic))
    bound = circ.to_job("OBS", observable=symbolic)(a=0.5)
    assert qpu.submit(bound).value == pytest.approx(PyLinalg().submit(bound).value, abs=1e-12)  # 0.5 <X> = 0.5


def test_one_shot_gives_no_error_bar_and_reading_no_qubits_gives_the_empty_outcome(integrator) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(1)
    prog.apply(H, reg[0])
    circ = prog.to_circ()
    qpu = QhpcQPU("myqlm.pylinalg", integrator=integrator, seed=5)
    z = Observable(1, pauli_terms=[Term(1.0, "Z", [0])])
    one = qpu.submit(circ.to_job("OBS", observable=z, nbshots=1))
    assert one.value in (1.0, -1.0) and one.error is None  # it was 0.0: a certainty one shot cannot give
    assert qpu.submit(circ.to_job("OBS", observable=z, nbshots=400)).error > 0
    # nothing read (qubits=[] and no measurement): PyLinalg's nbshots=0 answer is the one empty state
    exact = [(s.state.int, s.probability) for s in PyLinalg().submit(circ.to_job(nbshots=0, qubits=[]))]
    assert [state for state, _ in exact] == [0] and exact[0][1] == pytest.approx(1.0, abs=1e-12)
    sampled = qpu.submit(circ.to_job(nbshots=10, qubits=[]))
    assert [(s.state.int, s.probability, s.err) for s in sampled] == [(0, 1.0, 0.0)]
    shots = qpu.submit(circ.to_job(nbshots=3, qubits=[], aggregate_data=False))
    assert [s.state.int for s in shots] == [0, 0, 0]
