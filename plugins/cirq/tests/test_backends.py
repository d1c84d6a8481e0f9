"""The Cirq backends honour what they declare (the conformance kit) and declare real limits."""

from __future__ import annotations

import subprocess
import sys

import cirq
import numpy as np
import pytest
import sympy
from qhpc.errors import JobCancelledError, QhpcError
from qhpc.interfaces import CancelToken, statevector_qubit_limit
from qhpc.testing import check_backend, proportion_ok
from qhpc_cirq.backends import NATIVE_GATES, CirqBackend, _memory_bytes, cirq_backends, qsim_available
from qhpc_cirq.translate import SINGLE_OP_GATES, circuit_from_cirq
from qhpc_interop import Circuit, Condition

BACKENDS = {b.name: b for b in cirq_backends()}


def run(backend: CirqBackend, circuit: Circuit, shots: int = 2000, seed: int | None = 5, memory: bool = False):  # type: ignore[no-untyped-def]
    return backend.run(circuit, shots=shots, seed=seed, memory=memory, options={}, cancel=CancelToken())


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_conformance(name: str) -> None:
    check_backend(BACKENDS[name])


def test_qsim_is_offered_exactly_when_installed() -> None:
    assert ("cirq.qsim" in BACKENDS) == qsim_available()
    assert {"cirq.simulator", "cirq.density_matrix"} <= set(BACKENDS)


def test_declared_limits_follow_this_machines_memory() -> None:
    memory = _memory_bytes()
    sv = CirqBackend("simulator").capabilities
    dm = CirqBackend("density_matrix").capabilities
    qsim = CirqBackend("qsim").capabilities
    assert sv.num_qubits == statevector_qubit_limit(memory, 48)
    assert dm.num_qubits == statevector_qubit_limit(memory, 48, density=True)
    assert qsim.num_qubits == statevector_qubit_limit(memory, 8)
    assert "GiB" in sv.limit_note and "GiB" in dm.limit_note
    if 23 * 2**30 <= memory <= 25 * 2**30:  # the 24 GiB development machine
        assert (sv.num_qubits, dm.num_qubits, qsim.num_qubits) == (28, 14, 31)
    assert not CirqBackend("qsim").capabilities.supports_conditionals  # qsim refuses classical control
    assert sv.supports_conditionals and dm.supports_conditionals and sv.supports_reset


def test_native_gates_are_those_written_as_one_cirq_gate() -> None:
    assert NATIVE_GATES == SINGLE_OP_GATES


def test_reading_capabilities_and_loading_the_plugin_import_no_cirq() -> None:
    code = ("import sys, qhpc_cirq.plugin as p; b = p.qhpc_backends(); [x.capabilities for x in b]; "
            "p.qhpc_program_formats()[0].detect(object()); print('cirq' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_seed_is_honoured_and_a_drawn_seed_reported() -> None:
    c = Circuit(3, 3).h(0).h(1).h(2).measure([0, 1, 2], [0, 1, 2])
    for backend in BACKENDS.values():
        first = run(backend, c, 300, 42, memory=True)
        assert first.memory == run(backend, c, 300, 42, memory=True).memory
        assert first.metadata["seed"] == 42
        drawn = run(backend, c, 300, None, memory=True)
        assert run(backend, c, 300, drawn.metadata["seed"], memory=True).memory == drawn.memory


def test_seeds_up_to_qhpcs_largest_are_taken() -> None:
    # Cirq's simulators take seeds below 2**32; a larger one (qhpc takes up to 2**63 - 1) failed
    # every job with numpy's "Seed must be between 0 and 2**32 - 1"
    c = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])
    for backend in BACKENDS.values():
        for seed in (2**32, 2**63 - 1):
            first = run(backend, c, 400, seed, memory=True)
            assert first.memory == run(backend, c, 400, seed, memory=True).memory and first.metadata["seed"] == seed
            assert set(first.counts) == {"00", "11"} and proportion_ok(first.counts["11"], 400, 0.5)
        assert run(backend, c, 400, 2**32, memory=True).memory != run(backend, c, 400, 2**32 + 1, memory=True).memory
        if backend.name != "cirq.qsim":  # (qsim takes 32-bit seeds: there a larger one is mixed down to 32 bits)
            # the whole seed is used: mixed down to 32 bits, 2**32 gave the run of seed 3964924996
            assert run(backend, c, 400, 2**32, memory=True).memory != run(backend, c, 400, 3964924996,
                                                                            memory=True).memory


def test_counts_cover_every_clbit_highest_first_and_memory_is_in_shot_order() -> None:
    c = Circuit.with_registers({"q": 3}, {"a": 2, "b": 3})
    c.x(0).x(2)
    c.measure([2, 0], [4, 0])  # clbits 1, 2 and 3 are never written: they read 0
    for backend in BACKENDS.values():
        out = run(backend, c, 10, memory=True)
        assert out.counts == {"10001": 10} and out.memory == ["10001"] * 10
    # a clbit written twice reads its last value
    d = Circuit(1, 1).x(0).measure(0, 0).x(0).measure(0, 0)
    for backend in BACKENDS.values():
        assert run(backend, d, 10).counts == {"0": 10}


def test_memory_order_is_the_shot_order() -> None:
    q = cirq.LineQubit.range(2)
    c = circuit_from_cirq(cirq.Circuit(cirq.H(q[0]), cirq.measure(q[0], key="a"), cirq.CNOT(*q), cirq.measure(q[1], key="b")))
    out = run(CirqBackend("simulator"), c, 400, 3, memory=True)
    assert out.memory is not None and set(out.memory) == {"00", "11"}
    # each shot's string is its own: the sequence is not sorted or grouped
    assert out.memory != sorted(out.memory)


def test_conditionals_follow_the_analytic_distribution() -> None:
    """H, measure into a key, a chain of conditioned gates: P(final) from the exact branch sum."""
    a, b, c = cirq.LineQubit.range(3)
    theta = 1.1
    circuit = cirq.Circuit(
        cirq.ry(theta).on(a), cirq.measure(a, key="m"),
        cirq.X(b).with_classical_controls("m"),
        cirq.H(c).with_classical_controls(cirq.BitMaskKeyCondition("m", target_value=0, equal_target=True)),
        cirq.measure(b, c, key="out"),
    )
    model = circuit_from_cirq(circuit)
    p1 = __import__("math").sin(theta / 2) ** 2
    # clbits: m -> 0, out (b, c) -> 1, 2; m=1: b=1, c=0 -> '011'; m=0: b=0, c uniform -> '000' or '100'
    expected = {"011": p1, "000": (1 - p1) / 2, "100": (1 - p1) / 2}
    for name in ("cirq.simulator", "cirq.density_matrix"):
        counts = run(BACKENDS[name], model, 1000, 9).counts
        assert set(counts) <= set(expected), counts
        assert all(proportion_ok(counts.get(k, 0), 1000, p) for k, p in expected.items()), (name, counts)
    # Cirq's own simulator agrees on the original circuit
    result = cirq.Simulator(seed=4).run(circuit, repetitions=1000)
    ones = int(result.measurements["m"].sum())
    assert proportion_ok(ones, 1000, p1)


def test_a_register_condition_on_the_backend() -> None:
    c = Circuit.with_registers({"q": 3}, {"m": 2, "r": 1})
    c.x(1).h(0).measure([0, 1], [0, 1])
    c.append("x", [2], condition=Condition((0, 1), 3, "m"))  # m == 3: q0 read 1 (half the shots)
    c.measure(2, 2)
    counts = run(BACKENDS["cirq.simulator"], c, 2000, 2).counts
    assert set(counts) == {"010", "111"} and proportion_ok(counts["111"], 2000, 0.5)


def test_the_kits_conditional_circuit_keeps_its_meaning() -> None:
    """The conformance kit's conditional shape (a condition reading a bit no measurement writes),
    which Cirq cannot hold structurally, runs with its meaning: the unwritten bit reads 0."""
    c = Circuit.with_registers({"q": 2}, {"m": 2, "f": 1, "r": 2})
    c.h(0).measure(0, 0).measure(1, 2)
    c.append("x", [1], condition=Condition((0, 1), 1, "m"))  # m == 1: m0 read 1 (m1 is never written)
    c.append("x", [0], condition=Condition((2,), 0))  # f read 0: always
    c.measure([0, 1], [3, 4])
    counts = run(BACKENDS["cirq.simulator"], c, 1000, 3).counts
    # m0 = 0: q0 flipped to 1, q1 stays 0 -> r = (1, 0); m0 = 1: q0 flipped to 0, q1 flipped -> r = (0, 1)
    assert set(counts) == {"01000", "10001"} and proportion_ok(counts["10001"], 1000, 0.5)


def test_cancellation_is_checked_between_batches() -> None:
    c = Circuit(1, 2).h(0).measure(0, 0).x(0).measure(0, 1)  # mid-circuit: Cirq simulates each shot
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelledError, match="cancelled after 0 of"):
        CirqBackend("simulator").run(c, shots=1000, seed=1, memory=False, options={}, cancel=token)


def test_options_and_unbound_parameters_are_refused() -> None:
    backend = CirqBackend("simulator")
    c = Circuit(1, 1).h(0).measure(0, 0)
    with pytest.raises(QhpcError, match="takes no options"):
        backend.run(c, shots=1, seed=1, memory=False, options={"threads": 2}, cancel=CancelToken())
    t = circuit_from_cirq(cirq.Circuit(cirq.rx(sympy.Symbol("t")).on(cirq.LineQubit(0))))
    with pytest.raises(QhpcError, match="bind t"):
        run(backend, t, 1)


def test_qsim_refuses_unitaries_wider_than_it_applies() -> None:
    import numpy as np

    c = Circuit(7, 1).unitary(np.eye(128), list(range(7))).measure(0, 0)
    with pytest.raises(QhpcError, match="up to 6 qubits"):
        run(CirqBackend("qsim"), c, 1)
    assert run(CirqBackend("simulator"), c, 5).counts == {"0": 5}
    # said before the run, so that backend="auto" does not pick qsim for it (it did, and the job failed)
    assert [why for why in CirqBackend("qsim").cannot_run(c) if "up to 6 qubits" in why]
    assert CirqBackend("simulator").cannot_run(c) == []


def test_a_conditioned_measurement_is_refused_before_the_run() -> None:
    # the translation refuses it (Cirq keeps no record of a skipped measurement); the backends
    # accepted the job and it failed at run time, where auto could have picked them
    import qhpc

    c = Circuit(2, 2).x(0).measure(0, 0)
    c.append("measure", [1], [1], condition=Condition((0,), 1))
    for backend in BACKENDS.values():
        assert any("conditioned measurement" in why for why in backend.cannot_run(c))
    with pytest.raises(QhpcError, match=r"cirq\.simulator cannot run a classically conditioned measurement"):
        qhpc.run(c, backend="cirq.simulator", shots=10, seed=1)
    auto = qhpc.run(c, shots=50, seed=1)  # elsewhere: qubit 1 is |0>, so bit 1 reads 0 (analytic)
    assert not auto.backend.startswith("cirq.") and auto.counts == {"01": 50}


def test_estimates_grow_with_the_work() -> None:
    backend = CirqBackend("simulator")
    small = Circuit(4, 4).h(0).cx(0, 1).measure([0, 1], [0, 1])
    big = Circuit(24, 4).h(0).cx(0, 1).measure([0, 1], [0, 1])
    mid = Circuit(4, 4).h(0).measure(0, 0).cx(0, 1).measure(1, 1)
    assert backend.estimate_seconds(small, 1000) < backend.estimate_seconds(big, 1000)
    assert backend.estimate_seconds(small, 1000) < backend.estimate_seconds(mid, 1000)  # one simulation per shot
    assert CirqBackend("density_matrix").estimate_seconds(big, 10) > backend.estimate_seconds(big, 10)


def test_the_state_vector_and_exact_probabilities_agree_with_qiskits_statevector() -> None:
    """``cirq.simulator``'s exact extensions (double precision, global phase included, model bit
    order), judged by ``qiskit.quantum_info.Statevector`` on the same gates written in Qiskit."""
    qiskit = pytest.importorskip("qiskit")
    from qhpc_cirq.backends import CirqStatevectorBackend
    from qiskit.quantum_info import Statevector

    c = Circuit(3, 2)
    c.global_phase = -0.4
    c.h(0).u(0.3, 1.2, -0.7, 1)
    c.append("iswap", [1, 2])
    c.rx(0.9, 0).cp(0.5, 0, 2).sx(2)
    qc = qiskit.QuantumCircuit(3, global_phase=-0.4)
    qc.h(0)
    qc.u(0.3, 1.2, -0.7, 1)
    qc.iswap(1, 2)
    qc.rx(0.9, 0)
    qc.cp(0.5, 0, 2)
    qc.sx(2)
    want = Statevector(qc).data
    backend = CirqStatevectorBackend()
    assert np.allclose(backend.statevector(c), want, atol=1e-12)
    c.measure([1, 2], [1, 0])
    got = backend.probabilities(c)
    exact: dict[str, float] = {}
    for k, amplitude in enumerate(want):
        key = f"{(k >> 1) & 1}{(k >> 2) & 1}"  # clbit 1 (qubit 1), then clbit 0 (qubit 2)
        exact[key] = exact.get(key, 0.0) + abs(amplitude) ** 2
    assert got.keys() == {k for k, p in exact.items() if p > 1e-15}
    assert all(abs(got[k] - exact[k]) < 1e-12 for k in got)
    assert not hasattr(CirqBackend("density_matrix"), "statevector")
