"""Aer backends honour what they declare (the conformance kit) and declare Aer's real limits."""

from __future__ import annotations

import pytest
from qhpc.errors import QhpcError
from qhpc.interfaces import CancelToken, statevector_qubit_limit
from qhpc.testing import check_backend
from qhpc_interop import Circuit
from qhpc_interop.gates import CLIFFORD_GATES
from qhpc_qiskit.backends import AerBackend, _memory_bytes, aer_backends

BACKENDS = {b.name: b for b in aer_backends()}


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_conformance(name: str) -> None:
    backend = BACKENDS[name]
    check_backend(backend, full_width=backend.method == "matrix_product_state")


def test_declared_limits_follow_this_machines_memory() -> None:
    memory = _memory_bytes()
    assert BACKENDS["aer.statevector"].capabilities.num_qubits == statevector_qubit_limit(memory)
    assert BACKENDS["aer.density_matrix"].capabilities.num_qubits == statevector_qubit_limit(memory, density=True)
    assert "GiB" in BACKENDS["aer.statevector"].capabilities.limit_note
    if 23 * 2**30 <= memory <= 25 * 2**30:  # the 24 GiB development and CI machines
        assert BACKENDS["aer.statevector"].capabilities.num_qubits == 30


def test_stabilizer_declares_only_clifford_gates() -> None:
    caps = BACKENDS["aer.stabilizer"].capabilities
    assert caps.native_gates is not None and caps.native_gates <= CLIFFORD_GATES
    assert {"h", "s", "cx"} <= caps.native_gates
    assert caps.num_qubits >= 1000


def test_unknown_run_options_are_refused_by_name() -> None:
    backend = AerBackend("statevector")
    c = Circuit(1, 1).h(0).measure(0, 0)
    with pytest.raises(QhpcError, match=r"does not take option.*shot_limit"):
        backend.run(c, shots=10, seed=1, memory=False, options={"shot_limit": 3}, cancel=CancelToken())
    out = backend.run(c, shots=10, seed=1, memory=False, options={"max_parallel_threads": 1}, cancel=CancelToken())
    assert sum(out.counts.values()) == 10


def test_seed_is_reported_and_reproducible() -> None:
    backend = AerBackend("statevector")
    c = Circuit(3, 3).h(0).h(1).h(2).measure([0, 1, 2], [0, 1, 2])
    first = backend.run(c, shots=500, seed=42, memory=True, options={}, cancel=CancelToken())
    second = backend.run(c, shots=500, seed=42, memory=True, options={}, cancel=CancelToken())
    assert first.counts == second.counts and first.memory == second.memory
    assert first.metadata["seed"] == 42
    drawn = backend.run(c, shots=500, seed=None, memory=True, options={}, cancel=CancelToken())
    replay = backend.run(c, shots=500, seed=drawn.metadata["seed"], memory=True, options={}, cancel=CancelToken())
    assert replay.memory == drawn.memory  # the reported seed reproduces an unseeded run


class SwapsSForSdg(AerBackend):
    """A real Aer backend with a defect: it runs sdg wherever it is asked for s."""

    def run(self, circuit, **kwargs):  # type: ignore[no-untyped-def, override]
        from qhpc_interop import Gate, Instruction

        wrong = circuit.copy(instructions=[
            Instruction(Gate("sdg"), i.qubits, i.clbits, i.condition) if i.name == "s" else i for i in circuit
        ])
        return super().run(wrong, **kwargs)


def test_the_kit_catches_a_backend_that_runs_the_wrong_gate() -> None:
    with pytest.raises(AssertionError, match="native gate s:"):
        check_backend(SwapsSForSdg("statevector"), shots=2000)


def test_statevector_and_exact_probabilities_agree_with_qiskits_statevector() -> None:
    """The statevector method's exact extensions, judged by ``qiskit.quantum_info.Statevector`` on the
    same circuit written in Qiskit by hand (global phase included; clbits in another order than
    the qubits, one qubit unmeasured)."""
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    backend = BACKENDS["aer.statevector"]
    c = Circuit(3, 2)
    c.global_phase = 0.7
    c.h(0).cx(0, 1).ry(0.4, 2).rz(1.1, 1).cp(0.3, 2, 0)
    qc = QuantumCircuit(3, global_phase=0.7)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.4, 2)
    qc.rz(1.1, 1)
    qc.cp(0.3, 2, 0)
    want = Statevector(qc).data
    assert np.allclose(backend.statevector(c), want, atol=1e-12)
    c.measure([2, 0], [0, 1])
    got = backend.probabilities(c)
    exact: dict[str, float] = {}
    for k, amplitude in enumerate(want):
        key = f"{(k >> 0) & 1}{(k >> 2) & 1}"  # clbit 1 (qubit 0) first, then clbit 0 (qubit 2)
        exact[key] = exact.get(key, 0.0) + abs(amplitude) ** 2
    assert got.keys() == {k for k, p in exact.items() if p > 1e-15}
    assert all(abs(got[k] - exact[k]) < 1e-12 for k in got)
    with pytest.raises(QhpcError, match="gates only"):
        backend.statevector(c)
    with pytest.raises(QhpcError, match="final state"):
        backend.probabilities(Circuit(1, 1).h(0).measure(0, 0).x(0))
    assert not hasattr(BACKENDS["aer.matrix_product_state"], "probabilities")
