"""myqlm.pylinalg and myqlm.clinalg honour what they declare, against analytic readouts and PyLinalg."""

from __future__ import annotations

import random
from typing import cast

import pytest
from qhpc.errors import QhpcError
from qhpc.interfaces import CancelToken, statevector_qubit_limit
from qhpc.testing import check_backend, proportion_ok
from qhpc_interop import Circuit, Condition
from qhpc_interop.testing import measurement_probabilities, random_circuit
from qhpc_myqlm.backends import (
    NATIVE_GATES,
    CLinalgBackend,
    MyQLMBackend,
    PyLinalgBackend,
    _memory_bytes,
    myqlm_backends,
)
from qhpc_myqlm.translate import circuit_to_myqlm

BACKENDS = {b.name: cast(MyQLMBackend, b) for b in myqlm_backends()}


def run(backend, circuit, shots=2000, seed=1, memory=False):  # type: ignore[no-untyped-def]
    return backend.run(circuit, shots=shots, seed=seed, memory=memory, options={}, cancel=CancelToken())


def test_both_simulators_are_offered() -> None:
    assert set(BACKENDS) == {"myqlm.pylinalg", "myqlm.clinalg"}


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_conformance(name: str) -> None:
    check_backend(BACKENDS[name])


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_declared_limits_follow_this_machines_memory(name: str) -> None:
    backend = BACKENDS[name]
    caps = backend.capabilities
    assert caps.num_qubits == statevector_qubit_limit(_memory_bytes() // backend.copies)
    assert "GiB" in caps.limit_note
    assert caps.native_gates == NATIVE_GATES
    # every declared native gate is one myQLM gate: the claim the capabilities make
    for gate in NATIVE_GATES:
        n = {"ccx": 3, "ccz": 3, "cswap": 3}.get(gate, 2 if gate.startswith("c") or gate in ("swap", "iswap") else 1)
        c = Circuit(n).gate(gate, list(range(n)), [0.3] * (1 if gate in ("rx", "ry", "rz", "p", "u1", "crx", "cry",
                                                                          "crz", "cp", "cu1") else 0))
        assert len(circuit_to_myqlm(c).ops) == 1, gate


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_seeds_reproduce_runs_and_unseeded_runs_report_theirs(name: str) -> None:
    backend = BACKENDS[name]
    c = Circuit(3, 3).h(0).h(1).ry(0.8, 2)
    c.measure([0, 1, 2], [0, 1, 2])
    first = run(backend, c, shots=500, seed=42, memory=True)
    again = run(backend, c, shots=500, seed=42, memory=True)
    assert first.counts == again.counts and first.memory == again.memory
    assert first.metadata["seed"] == 42
    drawn = run(backend, c, shots=500, seed=None, memory=True)
    replay = run(backend, c, shots=500, seed=drawn.metadata["seed"], memory=True)
    assert replay.memory == drawn.memory


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_random_circuits_sample_their_exact_distribution(name: str) -> None:
    backend = BACKENDS[name]
    shots = 3000
    for seed in range(4):
        c = random_circuit(4, 25, seed=seed, unitaries=seed % 2 == 0, measure=True)
        expected = measurement_probabilities(c)
        counts = run(backend, c, shots=shots, seed=seed).counts
        bad = [k for k in set(expected) | set(counts) if not proportion_ok(counts.get(k, 0), shots, expected.get(k, 0.0))]
        assert not bad, (seed, bad)
        # the exact distribution the backend offers (for nbshots=0 jobs) is the model's
        exact = backend.probabilities(c)
        assert set(exact) == {k for k, p in expected.items() if p > 1e-12}
        assert all(abs(exact[k] - p) < 1e-9 for k, p in expected.items() if p > 1e-12)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_mid_circuit_measurement_reset_and_conditions_branch_correctly(name: str) -> None:
    backend = BACKENDS[name]
    shots = 4000
    # teleport ry(1.1)|0> from qubit 0 to qubit 2; the corrections are classically conditioned
    c = Circuit(3, 3)
    c.ry(1.1, 0).h(1).cx(1, 2).cx(0, 1).h(0)
    c.measure(0, 0).measure(1, 1)
    c.append("x", [2], condition=Condition((1,), 1))
    c.append("z", [2], condition=Condition((0,), 1))
    c.ry(-1.1, 2).measure(2, 2)  # undoes the preparation: qubit 2 reads 0 always
    c.reset(0).x(0).reset(0)  # and a reset that must win over the X
    counts = run(backend, c, shots=shots, seed=9).counts
    assert all(key[0] == "0" for key in counts), counts
    for key in ("000", "001", "010", "011"):  # the two measured bits are uniform
        assert proportion_ok(counts.get(key, 0), shots, 0.25), counts
    # the same branch structure, with memory: each shot is one of the counted outcomes
    out = run(backend, c, shots=300, seed=2, memory=True)
    assert sorted(out.memory) == sorted(k for k, v in out.counts.items() for _ in range(v))
    with pytest.raises(QhpcError, match="final state"):
        backend.probabilities(c)


def test_a_register_condition_and_a_zero_condition() -> None:
    backend = BACKENDS["myqlm.pylinalg"]
    c = Circuit.with_registers({"q": 3}, {"m": 2, "out": 1})
    c.h(0).h(1).measure(0, 0).measure(1, 1)
    c.append("x", [2], condition=Condition((0, 1), 2, "m"))  # m == 2: bit 0 reads 0, bit 1 reads 1
    c.append("x", [2], condition=Condition((0,), 0))  # bit 0 reads 0
    c.measure(2, 2)
    counts = run(backend, c, shots=4000, seed=4).counts
    # out = [m==2] xor [bit0 == 0]: m=0 -> 1, m=1 -> 0, m=2 -> 0, m=3 -> 0
    assert set(counts) == {"100", "001", "010", "011"}
    assert all(proportion_ok(v, 4000, 0.25) for v in counts.values())


def test_unknown_options_are_refused() -> None:
    c = Circuit(1, 1).h(0).measure(0, 0)
    with pytest.raises(QhpcError, match="takes no options"):
        BACKENDS["myqlm.pylinalg"].run(c, shots=1, seed=1, memory=False, options={"threads": 2}, cancel=CancelToken())


def test_cancellation_stops_a_branching_run() -> None:
    token = CancelToken()
    token.cancel()
    c = Circuit(1, 2).h(0).measure(0, 0).x(0).measure(0, 1)
    from qhpc.errors import JobCancelledError

    with pytest.raises(JobCancelledError):
        PyLinalgBackend().run(c, shots=10, seed=1, memory=False, options={}, cancel=token)


def test_estimates_rank_clinalg_before_pylinalg_on_big_circuits() -> None:
    c = random_circuit(20, 200, seed=1, measure=True)
    assert CLinalgBackend().estimate_seconds(c, 1000) < PyLinalgBackend().estimate_seconds(c, 1000)
    small = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])
    assert PyLinalgBackend().estimate_seconds(small, 100) < 0.1


def test_wide_classical_registers_keep_every_bit() -> None:
    rng = random.Random(3)
    c = Circuit(2, 70)
    c.x(1)
    slots = rng.sample(range(70), 2)
    c.measure(0, slots[0]).measure(1, slots[1])
    counts = run(BACKENDS["myqlm.pylinalg"], c, shots=10).counts
    (key,) = counts
    assert len(key) == 70 and key[69 - slots[1]] == "1" and key.count("1") == 1
