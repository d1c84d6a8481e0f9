"""The integrator pipeline end to end on real Aer emulators."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from qhpc import (
    CompileError,
    Compiler,
    Integrator,
    JobCancelledError,
    JobEvent,
    JobEventKind,
    JobFailedError,
    JobRejectedError,
    JobStatus,
    QhpcError,
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


def test_events_keep_their_order_when_a_job_ends_before_submit_returns() -> None:
    # queued was emitted after the scheduler's submit returned: a fast worker's running and done (or
    # failed) came first, and the server showed a finished job as waiting
    import threading

    from qhpc.scheduler import InProcessScheduler

    class Eager(InProcessScheduler):
        """Returns from submit only once the job has ended, as a fast worker can."""

        def submit(self, request, execute, *, on_start, on_done, on_error, on_cancelled):  # type: ignore[no-untyped-def]
            ended = threading.Event()

            def then_end(callback):  # type: ignore[no-untyped-def]
                def call(*args):  # type: ignore[no-untyped-def]
                    try:
                        return callback(*args)
                    finally:
                        ended.set()
                return call

            on_done, on_error, on_cancelled = then_end(on_done), then_end(on_error), then_end(on_cancelled)
            super().submit(request, execute, on_start=on_start, on_done=on_done, on_error=on_error,
                           on_cancelled=on_cancelled)
            assert ended.wait(60)

    with Integrator(scheduler=Eager(1)) as it:
        job = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1)
        job.result(60)
        bad = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1, options={"no_such_option": 1})
        with pytest.raises(JobFailedError):
            bad.result(60)
    for finished, last in ((job, "done"), (bad, "failed")):
        kinds = [str(e.kind) for e in finished.events if e.kind != JobEventKind.STAGE]
        assert kinds[-3:] == ["queued", "running", last], kinds


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
    events: list[JobEvent] = []

    class Observer:
        @hookimpl
        def qhpc_job_event(self, job, event):  # type: ignore[no-untyped-def]
            assert isinstance(event, JobEvent) and event.job_id == job.id and event.status is job.status
            events.append(event)

    registry = PluginRegistry.discover()
    registry.add("observer", Observer())
    with Integrator(registry) as it:
        job = it.submit(ghz(2), shots=10, seed=1)
        job.result(60)
    # the observer hears the job from its submission on; the job's own log has the earlier stages too
    assert [e.kind for e in events if e.kind != JobEventKind.STAGE] == ["submitted", "queued", "running", "done"]
    assert [e.stage for e in events if e.kind == JobEventKind.STAGE] == ["schedule", "run", "verify", "postprocess"]
    assert all(e.seconds is not None and e.seconds >= 0 for e in events if e.kind == JobEventKind.STAGE)
    assert events[-1].status is JobStatus.DONE
    log = job.events
    assert [e.stage for e in log if e.kind == JobEventKind.STAGE][:3] == ["convert", "startup", "validate"] or \
        [e.stage for e in log if e.kind == JobEventKind.STAGE][:3] == ["convert", "validate", "compile"]
    times = [e.time for e in log]
    assert times == sorted(times) and log[-1].kind == JobEventKind.DONE
    assert log[-1].to_dict()["kind"] == "done"


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


def test_a_compiler_into_another_kind_named_for_a_gate_backend_is_refused_by_name(integrator: Integrator) -> None:
    # perceval.dual-rail (gates -> linear optics) named for Aer met an AttributeError deep in the
    # compile step ('PhotonicProgram' object has no attribute 'gate_names')
    crossing = [name for name, c in integrator.compilers.items()
                if (getattr(c, "source_kind", "gate"), getattr(c, "target_kind", "gate")) != ("gate", "gate")]
    assert crossing, "no compiler between kinds is installed"
    for name in crossing:
        with pytest.raises(JobRejectedError, match=rf"compiler {name}: it compiles \w+ programs for \w+ hardware"):
            integrator.submit(ghz(2), backend="aer.statevector", compiler=name)


@pytest.mark.parametrize("kwargs, message", [
    ({"shots": 0}, "shots must be a positive integer"),
    ({"seed": -1}, "seed must be a whole number from 0 to 2"),
    ({"seed": 2**63}, r"seed must be a whole number from 0 to 2\*\*63 - 1"),
    ({"seed": 1.5}, "seed must be a whole number"),
    ({"backend": "ibm.fez"}, "unknown backend 'ibm.fez'; available: aer."),
    ({"shots": 10**9}, "exceed aer.statevector's limit"),
    # arguments of the wrong kind: they failed inside with AttributeError or TypeError, or a list of
    # values was reported as names ("parameter(s) 0.3 are not in the circuit")
    ({"backend": None}, "backend must be a backend's name or 'auto', not None"),
    ({"backend": 123}, "backend must be a backend's name"),
    ({"options": [1, 2]}, "options must map option names to values, not a list"),
    ({"parameters": [0.3]}, r"parameters must map parameter names to values \(\{'theta': 0.3\}\), not a list"),
])
def test_bad_requests_are_refused(integrator: Integrator, kwargs: dict, message: str) -> None:
    kwargs = {"backend": "aer.statevector", **kwargs}
    with pytest.raises((JobRejectedError, UnknownNameError), match=message):
        integrator.submit(ghz(2), **kwargs)


def test_numpy_integers_are_taken_as_shots_and_seeds(integrator: Integrator) -> None:
    # from an array or a config: they were refused as "not a positive integer" / "not a whole number"
    import numpy as np

    for shots, seed in ((np.int64(64), np.int64(3)), (np.uint16(64), np.uint32(3))):
        result = integrator.run(ghz(2), backend="aer.statevector", shots=shots, seed=seed)
        assert type(result.shots) is int and result.shots == 64 and type(result.seed) is int and result.seed == 3
        assert set(result.counts) <= {"00", "11"} and sum(result.counts.values()) == 64
        assert result.counts == integrator.run(ghz(2), backend="aer.statevector", shots=64, seed=3).counts


def test_parameters_by_sdk_object_or_any_mapping_and_numpy_time_limits(integrator: Integrator) -> None:
    import numpy as np

    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)

    class Values:  # dict-like without being a collections.abc.Mapping
        def items(self):  # type: ignore[no-untyped-def]
            return [("theta", np.pi)]

    # rx(pi)|0> = -i|1>: every shot reads 1 (analytic)
    for given in ({theta: np.pi}, Values()):  # a Qiskit Parameter key failed with "not Parameter(theta)"
        result = integrator.run(qc, backend="aer.statevector", shots=20, seed=1, parameters=given,
                                time_limit=np.int64(60))
        assert result.counts == {"1": 20}


def test_parameters_as_each_sdk_gives_them(integrator: Integrator) -> None:
    import cirq
    import numpy as np
    import sympy
    from qiskit.circuit import ParameterVector

    vector = ParameterVector("v", 2)
    qc = QuantumCircuit(2, 2)
    qc.rx(vector[0], 0)
    qc.rx(vector[1], 1)
    qc.measure([0, 1], [0, 1])
    # rx(pi) flips, rx(0) does not (analytic): a vector given a list of values, as Qiskit binds it
    assert integrator.run(qc, backend="aer.statevector", shots=10, seed=1,
                          parameters={vector: [np.pi, 0.0]}).counts == {"01": 10}
    t = sympy.Symbol("t")
    circuit = cirq.Circuit(cirq.rx(t).on(cirq.LineQubit(0)), cirq.measure(cirq.LineQubit(0), key="m"))
    for given in (cirq.ParamResolver({"t": np.pi}), {t: np.array(np.pi)}):  # a resolver; a 0-d array value
        assert integrator.run(circuit, backend="aer.statevector", shots=10, seed=1, parameters=given).counts == {"1": 10}
    with pytest.raises(JobRejectedError, match=r"parameter 't' is given twice, as 0.0 and 3.14"):
        integrator.submit(circuit, backend="aer.statevector", parameters={t: 0.0, "t": np.pi})


def test_an_unknown_register_is_named(integrator: Integrator) -> None:
    result = integrator.run(ghz(2), backend="aer.statevector", shots=8, seed=1)
    with pytest.raises(UnknownNameError, match=r"unknown register 'zz'; available: "):
        result.register_counts("zz")  # a bare KeyError('zz') before


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


def slow_circuit() -> QuantumCircuit:
    slow = QuantumCircuit(24, 24)
    slow.h(range(24))
    for k in range(23):
        slow.cx(k, k + 1)
    slow.rz(0.1, range(24))
    for k in range(23):
        slow.cx(k, k + 1)
    slow.measure(range(24), range(24))
    return slow


def test_cancelling_queued_and_running_jobs() -> None:
    with Integrator(max_workers=1) as it:
        running = it.submit(slow_circuit(), backend="aer.statevector", shots=200000, seed=1)
        queued = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1)
        assert queued.status is JobStatus.QUEUED
        assert queued.cancel() is True
        assert queued.status is JobStatus.CANCELLED
        with pytest.raises(JobCancelledError):
            queued.result(1)
        deadline = time.time() + 60
        while running.status is JobStatus.QUEUED and time.time() < deadline:
            time.sleep(0.01)
        assert running.status is JobStatus.RUNNING
        assert running.cancel() is True  # asked to stop; Aer's call runs out and its result is discarded
        assert running.wait(120)
        assert running.status is JobStatus.CANCELLED
        with pytest.raises(JobCancelledError):
            running.result(1)
        assert "run" not in queued.timings  # the queued job never ran
        assert queued.cancel() is False and running.cancel() is False  # already final


def test_cancel_returning_true_always_means_cancelled() -> None:
    """Race cancels against starts and finishes: whenever cancel() says True, the job ends CANCELLED."""
    import random

    rng = random.Random(5)
    with Integrator(max_workers=2) as it:
        jobs = []
        for k in range(300):
            job = it.submit(ghz(2), backend="aer.statevector", shots=1, seed=k, optimize=False)
            jobs.append(job)
            if rng.random() < 0.7:
                victim = rng.choice(jobs[-5:])
                if rng.random() < 0.5:
                    time.sleep(rng.random() * 0.002)
                victim.cancel_result = victim.cancel()  # type: ignore[attr-defined]
        for job in jobs:
            assert job.wait(60)
    said_yes = [j for j in jobs if getattr(j, "cancel_result", False)]
    assert said_yes  # the test exercised something
    assert all(j.status is JobStatus.CANCELLED for j in said_yes)
    assert all(j.status in (JobStatus.DONE, JobStatus.CANCELLED) for j in jobs)


def test_a_model_circuit_edited_after_submission_does_not_change_jobs_or_the_cache() -> None:
    with Integrator(max_workers=1) as it:
        blocker = it.submit(slow_circuit(), backend="aer.statevector", shots=1000, seed=1)
        c = Circuit(2, 2).h(0).measure(0, 0)
        queued = it.submit(c, backend="aer.stabilizer", shots=100, seed=1)
        c.x(1).measure(1, 1)  # the caller keeps building on the same object
        assert set(queued.result(120).counts) <= {"00", "01"}
        fresh = it.run(Circuit(2, 2).h(0).measure(0, 0), backend="aer.stabilizer", shots=100, seed=1)
        assert set(fresh.counts) <= {"00", "01"}
        blocker.result(120)


def test_an_observer_that_cancels_on_submission_stops_the_job_from_running() -> None:
    class Canceller:
        @hookimpl
        def qhpc_job_event(self, job, event):  # type: ignore[no-untyped-def]
            if event.kind == "submitted":
                job.cancel()

    registry = PluginRegistry.discover()
    registry.add("canceller", Canceller())
    with Integrator(registry) as it:
        job = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1)
        assert job.wait(10) and job.status is JobStatus.CANCELLED
        time.sleep(0.2)
        assert "run" not in job.timings and "schedule" not in job.timings


def test_a_scheduler_that_cannot_start_leaves_no_orphan_job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with Integrator(scheduler="pbs") as it, pytest.raises(UnknownNameError, match="unknown scheduler 'pbs'"):
        it.submit(ghz(2), backend="aer.statevector")
    assert not list(it._jobs.values())
    # a real scheduler whose commands are not there (no Slurm on this PATH): refused, nothing kept
    monkeypatch.setenv("PATH", str(tmp_path))
    with Integrator(scheduler="slurm") as it, pytest.raises(QhpcError, match="slurm"):
        it.submit(ghz(2), backend="aer.statevector")
    assert not list(it._jobs.values())
    monkeypatch.undo()
    monkeypatch.setenv("QHPC_MAX_WORKERS", "abc")
    with Integrator() as it, pytest.raises(QhpcError, match="QHPC_MAX_WORKERS must be a whole number"):
        it.submit(ghz(2), backend="aer.statevector")


def test_finished_jobs_the_caller_dropped_are_not_kept() -> None:
    import gc

    with Integrator() as it:
        job = it.submit(ghz(2), backend="aer.statevector", shots=10, seed=1)
        job_id = job.id
        job.result(60)
        assert it.job(job_id) is job
        del job
        gc.collect()
        with pytest.raises(UnknownNameError):
            it.job(job_id)


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


def test_a_20_qubit_inverse_qft_reads_back_the_encoded_integer(integrator: Integrator) -> None:
    """Phase estimation by hand: phases 2*pi*x*2^k/2^n on a uniform superposition, then the
    inverse QFT, read x on every shot. A wrong phase, sign or bit order gives another number."""
    import math

    n, x = 20, 0b10110011100011110001
    qc = QuantumCircuit(n, n)
    qc.h(range(n))
    for k in range(n):
        qc.p(2 * math.pi * x * 2**k / 2**n, k)
    qc.append(QFTGate(n).inverse(), range(n))
    qc.measure(range(n), range(n))
    result = integrator.run(qc, shots=200, seed=9, backend="aer.statevector")
    assert result.counts == {format(x, f"0{n}b"): 200}


class _BoundOnly(Compiler):
    """A vendor compiler that cannot take symbols (it raises on them, as a real router might)."""

    name = "test.bound-only"
    symbolic_parameters = False

    def compile(self, circuit, target, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        if circuit.is_parameterized:
            raise ValueError(f"unbound {circuit.parameters}")
        return circuit


class _Broken(Compiler):
    name = "test.broken"

    def compile(self, circuit, target, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        raise KeyError("a routing table")


def test_a_compiler_that_takes_bound_circuits_gets_them_and_a_failing_one_is_named() -> None:
    # a vendor's compiler was handed the unbound circuit (and failed on theta, which the user gave),
    # and its own exception reached the user without the compiler's name
    class Compilers:
        @hookimpl
        def qhpc_compilers(self):  # type: ignore[no-untyped-def]
            return [_BoundOnly(), _Broken()]

    registry = PluginRegistry.discover()
    registry.add("vendor-compilers", Compilers())
    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    with Integrator(registry) as it:
        for angle in (0.7, 2.2):
            result = it.run(qc, backend="aer.statevector", compiler="test.bound-only", shots=4000, seed=5,
                            parameters={"theta": angle})
            assert proportion_ok(result.counts.get("1", 0), 4000, math.sin(angle / 2) ** 2)
        with pytest.raises(JobRejectedError, match=r"compiler test\.broken failed: KeyError: 'a routing table'"):
            it.run(qc, backend="aer.statevector", compiler="test.broken", shots=10, parameters={"theta": 0.1})
        from qhpc_interop import Circuit as Model

        symbolic = it.convert(qc, "qhpc.circuit")[0]
        assert isinstance(symbolic, Model)
        with pytest.raises(CompileError, match=r"compiles bound circuits only.*theta"):
            it.compile(symbolic, it.backend("aer.statevector"), compiler="test.bound-only")


@pytest.mark.parametrize("backend", ["aer.statevector", "aer.stabilizer", "aer.density_matrix",
                                     "aer.matrix_product_state", "cirq.simulator", "cirq.density_matrix",
                                     "myqlm.pylinalg"])
def test_a_circuit_that_measures_nothing_reads_its_clbits_as_zero_on_every_backend(backend: str) -> None:
    # Aer has no counts for it (the job failed with its AttributeError) and Cirq refuses to sample
    # it; myQLM's PyLinalg reads unwritten cbits as 0, as a device reports them
    with Integrator() as it:
        result = it.run(Circuit(2, 2).x(0), backend=backend, shots=7, seed=3, memory=True)
    assert result.counts == {"00": 7}
    assert result.memory == ["00"] * 7


def test_exact_probabilities_of_a_circuit_without_clbits_are_refused_on_every_backend() -> None:
    # the one key was "0" with probability 1, which reads as "clbit 0 is 0" where there is no clbit;
    # a run of such a circuit is refused ("measures nothing"), and so is its distribution
    from qhpc_interop.errors import InteropError

    with Integrator() as it:
        exact = [b for b in it.backends.values() if hasattr(b, "probabilities") and b.name.split(".")[0] in
                 ("aer", "cirq", "myqlm")]
        assert {"aer.statevector", "cirq.simulator", "myqlm.pylinalg"} <= {b.name for b in exact}
        for backend in exact:
            with pytest.raises(InteropError, match=r"measures nothing \(no classical bits\)"):
                backend.probabilities(Circuit(2).h(0))
            assert backend.probabilities(Circuit(2, 1).x(0).measure(0, 0)) == pytest.approx({"1": 1.0})
