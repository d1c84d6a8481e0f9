"""The integrator pipeline end to end on real Aer emulators."""

from __future__ import annotations

import threading

import pytest
from qhpc import (
    Integrator,
    JobCancelledError,
    JobFailedError,
    JobRejectedError,
    JobStatus,
    UnknownNameError,
    hookimpl,
)
from qhpc.plugins import PluginRegistry
from qhpc.testing import proportion_ok
from qhpc_interop import Circuit
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import QFTGate

PIPELINE = ["convert", "validate", "compile", "schedule", "run", "verify", "postprocess"]


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for k in range(n - 1):
        qc.cx(k, k + 1)
    qc.measure(range(n), range(n))
    return qc


def test_every_stage_is_timed_and_recorded(integrator: Integrator) -> None:
    job = integrator.submit(ghz(3), shots=100, seed=1)
    result = job.result(60)
    assert job.status is JobStatus.DONE
    assert [s for s in result.timings if s != "startup"] == PIPELINE
    assert all(t >= 0 for t in result.timings.values())
    assert result.backend == job.backend and result.shots == 100 and result.seed == 1
    assert result.metadata["route"] == "qiskit -> qhpc.circuit"
    assert set(result.counts) <= {"000", "111"}


def test_job_events_reach_plugins() -> None:
    events: list[tuple[str, str]] = []

    class Observer:
        @hookimpl
        def qhpc_job_event(self, job, event):  # type: ignore[no-untyped-def]
            events.append((event, str(job.status)))

    registry = PluginRegistry.discover()
    registry.add("observer", Observer())
    with Integrator(registry) as it:
        it.run(ghz(2), shots=10, seed=1)
    assert [e for e, _ in events] == ["submitted", "running", "done"]
    assert events[-1][1] == "DONE"


def test_oversized_circuit_is_refused_before_running_with_the_reason(integrator: Integrator) -> None:
    qc = QuantumCircuit(35, 35)
    qc.h(range(35))
    qc.t(0)
    qc.measure(range(35), range(35))
    with pytest.raises(JobRejectedError, match=r"needs 35 qubits but aer\.statevector holds at most 30 \(16 B per"):
        integrator.submit(qc, backend="aer.statevector")


def test_auto_picks_a_feasible_emulator(integrator: Integrator) -> None:
    big_clifford = ghz(100)
    assert integrator.run(big_clifford, shots=20, seed=1).backend == "aer.stabilizer"
    wide = QuantumCircuit(35, 35)
    wide.h(0)
    wide.t(0)
    for k in range(34):
        wide.cx(k, k + 1)
    wide.measure(range(35), range(35))
    result = integrator.run(wide, shots=50, seed=2)
    assert result.backend == "aer.matrix_product_state"
    assert set(result.counts) <= {"0" * 35, "1" * 35}
    small = QuantumCircuit(3, 3)
    small.t(0)
    small.measure(range(3), range(3))
    assert integrator.run(small, shots=5, seed=1).backend == "aer.statevector"


def test_non_clifford_on_the_stabilizer_is_refused_with_what_is_missing(integrator: Integrator) -> None:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.t(0)
    qc.measure([0, 1], [0, 1])
    with pytest.raises(JobRejectedError, match=r"aer\.stabilizer cannot run this circuit.*t not native.*not Clifford"):
        integrator.submit(qc, backend="aer.stabilizer")


@pytest.mark.parametrize("kwargs, message", [
    ({"shots": 0}, "shots must be a positive integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"backend": "ibm.fez"}, "unknown backend 'ibm.fez'; available: aer."),
    ({"shots": 10**9}, "exceed aer.statevector's limit"),
])
def test_bad_requests_are_refused(integrator: Integrator, kwargs: dict, message: str) -> None:
    kwargs = {"backend": "aer.statevector", **kwargs}
    with pytest.raises((JobRejectedError, UnknownNameError), match=message):
        integrator.submit(ghz(2), **kwargs)


def test_unbound_and_unknown_parameters_are_refused(integrator: Integrator) -> None:
    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.ry(theta, 0)
    qc.measure(0, 0)
    with pytest.raises(JobRejectedError, match=r"unbound parameter.*theta"):
        integrator.submit(qc)
    with pytest.raises(JobRejectedError, match=r"thetta.*not in the circuit"):
        integrator.submit(qc, parameters={"theta": 1.0, "thetta": 2.0})


def test_parameters_are_bound_after_compilation_and_the_compilation_is_reused(integrator: Integrator) -> None:
    theta = Parameter("theta")
    qc = QuantumCircuit(2, 2)
    qc.ry(theta, 0)
    qc.ch(0, 1)  # not native on Aer: the decompose compiler runs
    qc.measure([0, 1], [0, 1])
    shots = 4000
    first = integrator.run(qc, parameters={"theta": 2.0}, shots=shots, seed=5, backend="aer.statevector")
    assert first.metadata["compile"]["compiler"] == "decompose" and not first.metadata["compile"]["cached"]
    import math

    p1 = math.sin(1.0) ** 2  # P(qubit 0 reads 1) = sin^2(theta/2)
    ones = sum(v for k, v in first.counts.items() if k[-1] == "1")
    assert proportion_ok(ones, shots, p1)
    # new values and a new sampling seed, as a variational loop submits: no recompilation
    second = integrator.run(qc, parameters={"theta": 0.0}, shots=100, seed=6, backend="aer.statevector")
    assert second.metadata["compile"]["cached"] is True
    assert second.counts == {"00": 100}


def test_a_job_that_fails_after_acceptance_is_kept_with_its_reason(integrator: Integrator) -> None:
    job = integrator.submit(ghz(2), backend="aer.statevector", options={"not_an_option": 1})
    with pytest.raises(JobFailedError, match=r"does not take option.*not_an_option"):
        job.result(60)
    assert job.status is JobStatus.FAILED
    assert integrator.job(job.id) is job and "not_an_option" in (job.error or "")


def test_cancelling_a_queued_job() -> None:
    with Integrator(max_workers=1) as it:
        slow = QuantumCircuit(24, 24)
        slow.h(range(24))
        for k in range(23):
            slow.cx(k, k + 1)
        slow.rz(0.1, range(24))
        for k in range(23):
            slow.cx(k, k + 1)
        slow.measure(range(24), range(24))
        started = threading.Event()
        running = it.submit(slow, backend="aer.statevector", shots=200000, seed=1)
        queued = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1)
        assert queued.status is JobStatus.QUEUED
        assert queued.cancel() is True
        assert queued.status is JobStatus.CANCELLED
        with pytest.raises(JobCancelledError):
            queued.result(1)
        started.set()
        assert running.cancel() in (True, False)  # running: asked to stop; its result is discarded
        running.wait(120)
        assert running.status in (JobStatus.CANCELLED, JobStatus.DONE)
        assert queued.cancel() is False  # already final


def test_memory_registers_and_per_register_counts(integrator: Integrator) -> None:
    from qiskit import ClassicalRegister, QuantumRegister

    q, a, b = QuantumRegister(3, "q"), ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(q, a, b)
    qc.x(0)
    qc.x(2)
    qc.measure(q[0], a[0])
    qc.measure(q[1], b[0])
    qc.measure(q[2], b[1])
    result = integrator.run(qc, shots=20, seed=1, memory=True)
    assert result.counts == {"101": 20} and result.memory == ["101"] * 20
    assert result.registers == {"a": [0], "b": [1, 2]}
    assert result.register_counts("b") == {"10": 20} and result.register_counts("a") == {"1": 20}


def test_programs_in_text_and_model_form(integrator: Integrator) -> None:
    text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;\n'
    assert integrator.run(text, shots=10, seed=1).counts == {"10": 10}
    model = Circuit(2, 2).x(0).measure([0, 1], [0, 1])
    result = integrator.run(model, shots=10, seed=1)
    assert result.counts == {"01": 10} and result.metadata["route"] == "qhpc.circuit"


def test_a_20_qubit_qft_of_a_basis_state_is_uniform(integrator: Integrator) -> None:
    """QFT|x> has |amplitude|^2 = 2^-n on every outcome: check the count spread (chi-square)."""
    n, shots = 12, 40960
    qc = QuantumCircuit(n, n)
    qc.x([0, 3, 7])
    qc.append(QFTGate(n), range(n))
    qc.measure(range(n), range(n))
    result = integrator.run(qc, shots=shots, seed=9)
    expected = shots / 2**n
    chi2 = sum((result.counts.get(format(k, f"0{n}b"), 0) - expected) ** 2 / expected for k in range(2**n))
    dof = 2**n - 1
    assert abs(chi2 - dof) < 6 * (2 * dof) ** 0.5  # chi-square mean dof, sd sqrt(2 dof)


def test_an_unseeded_run_reports_the_seed_that_reproduces_it(integrator: Integrator) -> None:
    qc = QuantumCircuit(4, 4)
    qc.h(range(4))
    qc.measure(range(4), range(4))
    first = integrator.run(qc, shots=300, memory=True, backend="aer.statevector")
    assert isinstance(first.seed, int)
    again = integrator.run(qc, shots=300, memory=True, backend="aer.statevector", seed=first.seed)
    assert again.memory == first.memory


def test_compile_effort_follows_the_expected_run_time(integrator: Integrator) -> None:
    """Small circuits take the microsecond decompose compiler; a large statevector run is worth
    Qiskit's level-2 transpilation (cached), which Aer then runs as fast as a transpiled circuit."""
    small = QuantumCircuit(3, 3)
    small.iswap(0, 1)
    small.measure(range(3), range(3))
    info = integrator.run(small, backend="aer.statevector", shots=10, seed=1).metadata["compile"]
    assert info["compiler"] == "decompose"
    large = QuantumCircuit(18, 18)
    large.h(range(18))
    for k in range(17):
        large.iswap(k, k + 1)
    large.measure(range(18), range(18))
    info = integrator.run(large, backend="aer.statevector", shots=10, seed=1).metadata["compile"]
    assert info["compiler"] == "qiskit" and info["compiler_options"] == {"optimization_level": 2}
