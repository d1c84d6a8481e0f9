"""Faulty and hostile plugins cannot take the service down or change results silently.

Each test installs a real plugin distribution (``conftest.IMPOSTOR``, ``conftest.SLOW_VENDOR``) and
checks the behaviour against Aer's real results or analytic outcomes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import qhpc
from qhpc import (
    Integrator,
    JobCancelledError,
    JobFailedError,
    JobRejectedError,
    JobStatus,
    JobTimeLimitError,
    PluginError,
    Settings,
)
from qhpc_interop import Circuit, Parameter
from qiskit import QuantumCircuit

from .conftest import qhpc_cli

BELL = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nx q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"


def x_circuit() -> Circuit:
    return Circuit(2, 2).x(0).cx(0, 1).measure([0, 1], [0, 1])


# -- 1. name clashes ------------------------------------------------------------------------------


def test_a_contested_backend_name_is_used_by_neither_plugin(impostor: Path) -> None:
    with Integrator() as it:
        assert "aer.statevector" not in it.backends
        assert it.contested("backend") == {"aer.statevector": ["impostor", "qiskit"]}
        with pytest.raises(PluginError, match=r"'aer.statevector' is claimed by impostor \(qhpc-impostor 6.6.6\) "
                                              r"and qiskit \(qhpc-qiskit"):
            it.submit(x_circuit(), backend="aer.statevector")
        # auto never picks the impostor (which would answer all zeros): the result is Aer's
        result = it.run(x_circuit(), shots=50, seed=1)
        assert result.backend != "aer.statevector" and result.counts == {"11": 50}


@pytest.mark.parametrize("chosen, expected", [("qiskit", {"11": 40}), ("impostor", {"00": 40})])
def test_the_site_chooses_who_provides_a_contested_name(impostor: Path, chosen: str,
                                                         expected: dict[str, int]) -> None:
    settings = Settings.from_mapping({"plugins": {"choose": {"backend": {"aer.statevector": chosen}}}})
    with Integrator(settings=settings) as it:
        assert it.contested("backend") == {}
        assert it.run(x_circuit(), backend="aer.statevector", shots=40, seed=1).counts == expected


def test_the_allow_list_settles_a_clash(impostor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHPC_PLUGINS", "builtin,qiskit")
    with Integrator() as it:
        assert it.contested("backend") == {}
        assert it.run(x_circuit(), backend="aer.statevector", shots=30, seed=1).counts == {"11": 30}


def test_cli_shows_a_clash_naming_both_distributions(impostor: Path) -> None:
    listed = qhpc_cli("plugins")
    assert listed.returncode == 0, listed.stderr
    assert "qhpc-impostor 6.6.6" in listed.stderr and "qhpc-qiskit" in listed.stderr
    assert "neither is used" in listed.stderr
    doc = json.loads(qhpc_cli("plugins", "--json").stdout)
    clashes = {p["name"]: p["clashes"] for p in doc}
    assert clashes["impostor"] and clashes["qiskit"]
    backends = json.loads(qhpc_cli("backends", "--json").stdout)
    contested = [b for b in backends if b["name"] == "aer.statevector"]
    assert len(contested) == 1 and contested[0]["contested_by"] == ["impostor", "qiskit"]
    assert "qhpc-impostor 6.6.6" in contested[0]["error"] and "qhpc-qiskit" in contested[0]["error"]
    table = qhpc_cli("backends")
    assert table.returncode == 0 and "contested" in table.stdout


def test_cli_with_a_configured_choice(impostor: Path, tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[plugins.choose]\nbackend = { "aer.statevector" = "qiskit" }\n')
    program = tmp_path / "x.qasm"
    program.write_text(BELL)
    done = qhpc_cli("run", str(program), "-b", "aer.statevector", "--shots", "20", "--json",
                    env={"QHPC_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"11": 20}


def test_a_bad_configuration_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[jobs]\ntimelimit = 3\n")
    done = qhpc_cli("backends", env={"QHPC_CONFIG": str(config)})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {config}: jobs.timelimit: unknown setting (known in [jobs]: time_limit, warn_seconds)"]


# -- 2. hung and slow backends ------------------------------------------------------------------


def test_auto_and_listing_survive_a_backend_that_never_describes_itself(slow_vendor: Path) -> None:
    settings = Settings.from_mapping({"backends": {"capabilities_timeout": 1.0}})
    with Integrator(settings=settings) as it:
        start = time.monotonic()
        result = it.run(x_circuit(), shots=20, seed=3)  # auto reads no QPU's capabilities
        assert time.monotonic() - start < 30 and result.counts == {"11": 20}
        start = time.monotonic()
        report = it.availability(it.backends.values())
        assert time.monotonic() - start < 5  # one time limit for all, however many hang
        assert "did not describe its capabilities within 1 s" in report["slow.qpu"]
        with pytest.raises(JobRejectedError, match=r"slow\.qpu is unavailable: it did not describe"):
            it.submit(x_circuit(), backend="slow.qpu")


def test_cli_backends_lists_an_unreachable_backend_as_unavailable(slow_vendor: Path, tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[backends]\ncapabilities_timeout = 8\n")
    start = time.monotonic()
    done = qhpc_cli("backends", "--json", env={"QHPC_CONFIG": str(config)})
    assert done.returncode == 0 and time.monotonic() - start < 60
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["slow.qpu"]["error"].startswith("unavailable: it did not describe its capabilities within 8 s")
    assert rows["aer.statevector"]["error"] is None


def test_cancelling_a_job_stuck_in_its_backend_ends_it_and_frees_the_worker(slow_vendor: Path) -> None:
    with Integrator(max_workers=2) as it:
        it.scheduler.grace = 0.2  # type: ignore[attr-defined]
        stuck = [it.submit(x_circuit(), backend="stuck.emulator", shots=10) for _ in range(2)]
        deadline = time.monotonic() + 10
        while any(j.status is not JobStatus.RUNNING for j in stuck) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(j.status is JobStatus.RUNNING for j in stuck)
        for job in stuck:
            assert job.cancel() is True
            assert job.status is JobStatus.CANCELLED  # at once, though the backend never returns
            with pytest.raises(JobCancelledError):
                job.result(1)
        # both workers are stuck for good; replacements serve the next jobs
        later = it.run(x_circuit(), backend="aer.statevector", shots=25, seed=2, timeout=60)
        assert later.counts == {"11": 25}
        assert stuck[0].cancel() is False


def test_a_time_limit_fails_a_job_that_runs_too_long(slow_vendor: Path) -> None:
    with Integrator() as it:
        it.scheduler.grace = 0.2  # type: ignore[attr-defined]
        job = it.submit(x_circuit(), backend="stuck.emulator", shots=10, time_limit=0.5)
        assert job.wait(20)
        assert job.status is JobStatus.FAILED
        with pytest.raises(JobTimeLimitError, match=r"exceeded its time limit of 0.5 s on stuck.emulator"):
            job.result()
        assert isinstance(JobTimeLimitError("x"), JobFailedError)
        assert it.run(x_circuit(), backend="aer.statevector", shots=5, seed=1, timeout=60).counts == {"11": 5}


def test_a_time_limit_holds_for_a_job_a_replacement_worker_starts(slow_vendor: Path) -> None:
    # the worker set the job's deadline without waking the scheduler's monitor: a job started after
    # the monitor had gone back to waiting (here by the worker that replaced a stuck one) ran on
    # past its limit, unchecked
    with Integrator(max_workers=1) as it:
        it.scheduler.grace = 0.2  # type: ignore[attr-defined]
        stuck = it.submit(x_circuit(), backend="stuck.emulator", shots=10)
        deadline = time.monotonic() + 10
        while stuck.status is not JobStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        limited = it.submit(x_circuit(), backend="stuck.emulator", shots=10, time_limit=0.3)  # queued behind it
        time.sleep(0.1)
        assert stuck.cancel() is True  # its worker stays stuck; the monitor replaces it
        assert limited.wait(10), "the time limit was not enforced"
        assert limited.status is JobStatus.FAILED and "time limit of 0.3 s" in (limited.error or "")


def test_a_configured_default_time_limit_applies(slow_vendor: Path) -> None:
    settings = Settings.from_mapping({"jobs": {"time_limit": 0.3}})
    with Integrator(settings=settings) as it:
        job = it.submit(x_circuit(), backend="stuck.emulator", shots=10)
        assert job.wait(20) and job.status is JobStatus.FAILED and "time limit of 0.3 s" in (job.error or "")


def test_cli_time_limit_flag(slow_vendor: Path, tmp_path: Path) -> None:
    program = tmp_path / "x.qasm"
    program.write_text(BELL)
    start = time.monotonic()
    done = qhpc_cli("run", str(program), "-b", "stuck.emulator", "--time-limit", "0.5")
    assert done.returncode == 1 and time.monotonic() - start < 60
    assert "exceeded its time limit of 0.5 s" in done.stderr and "Traceback" not in done.stderr


def test_process_exit_does_not_wait_for_a_stuck_backend(slow_vendor: Path) -> None:
    script = textwrap.dedent("""
        import time, qhpc
        from qhpc_interop import Circuit
        job = qhpc.submit(Circuit(1, 1).x(0).measure(0, 0), backend="stuck.emulator", shots=1)
        while str(job.status) != "RUNNING":
            time.sleep(0.01)
        other = qhpc.submit(Circuit(1, 1).x(0).measure(0, 0), backend="stuck.emulator", shots=1)
        print(job.cancel(), job.status, flush=True)
    """)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "CANCELLED"]
    assert time.monotonic() - start < 60


# -- 3. readout checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, message", [
    ("float", r"returned a count of 1023.5 \(float\)"),
    ("bool", r"returned a count of True \(bool\)"),
])
def test_counts_that_are_not_whole_numbers_fail_verification(slow_vendor: Path, kind: str, message: str) -> None:
    with Integrator() as it:
        job = it.submit(x_circuit(), backend="badcounts.emulator", shots=1024 if kind == "float" else 1,
                        options={"counts": kind})
        with pytest.raises(JobFailedError, match=message):
            job.result(30)
        assert job.status is JobStatus.FAILED


def test_a_readout_with_a_one_where_nothing_writes_fails_verification(slow_vendor: Path) -> None:
    # bits reversed or relabelled: the circuit writes clbit 0 only, so clbits 1 and 2 must read 0;
    # a vendor backend reading backwards was accepted (counts {'100': n} for '001')
    c = Circuit(3, 3).x(0).measure(0, 0)
    with Integrator() as it:
        job = it.submit(c, backend="badcounts.emulator", shots=10, options={"counts": "reversed"})
        with pytest.raises(JobFailedError, match=r"returned '100', which reads 1 in clbit 2, a bit nothing in the "
                                                 r"circuit writes"):
            job.result(30)
        assert job.status is JobStatus.FAILED
        assert it.run(c, backend="aer.statevector", shots=10).counts == {"001": 10}  # (the right readout)


def test_a_session_checks_its_backends_readouts_and_limits(slow_vendor: Path) -> None:
    # the hybrid Session called the backend directly: a readout one bit too wide gave an energy of
    # 110 where the exact one is -89, shots past the device's limit were sent, its errors came back bare
    from qhpc import JobRejectedError
    from qhpc.hybrid import Session

    ansatz = Circuit(2).ry(Parameter("a"), 0).cx(0, 1)
    with Integrator() as it:
        session = Session(ansatz, ["ZZ"], backend="wide.qpu", integrator=it, shots=100)
        with pytest.raises(JobFailedError, match=r"wide.qpu returned a malformed bitstring '000' \(expected 2 bits"):
            session.expectation([0.3])
        with pytest.raises(JobRejectedError, match=r"5000 shots exceed wide.qpu's limit of 1000"):
            Session(ansatz, ["ZZ"], backend="wide.qpu", integrator=it, shots=5000)
        # numpy's integers are shots, as for a job (refused once the check came in); the state
        # cos|00> + sin|11> has <ZZ> = 1 exactly
        exact = Session(ansatz, ["ZZ"], backend="aer.statevector", integrator=it, shots=np.int64(64), seed=1)
        assert exact.shots == 64 and exact.expectation([0.3])[0].value == 1.0
        # a device's result names no seed it did not report: the request's would claim a replay
        result = it.run(Circuit(1, 1).measure(0, 0), backend="quiet.qpu", shots=8, seed=5)
        assert result.counts == {"0": 8} and result.seed is None


# -- 4. cost estimates ------------------------------------------------------------------------------


def test_a_long_run_is_announced_before_it_starts_with_its_estimate(tmp_path: Path) -> None:
    from qhpc import LongRunWarning

    settings = Settings.from_mapping({"jobs": {"warn_seconds": 0}})
    with Integrator(settings=settings) as it, pytest.warns(LongRunWarning, match=r"\S+ is estimated to take"):
        job = it.submit(x_circuit(), shots=10, seed=1)
    assert job.result(60).counts == {"11": 10}
    assert job.metadata["estimated_seconds"] > 0
    config = tmp_path / "site.toml"
    config.write_text("[jobs]\nwarn_seconds = 0\n")
    program = tmp_path / "x.qasm"
    program.write_text(BELL)
    done = qhpc_cli("run", str(program), "--json", env={"QHPC_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["estimated_seconds"] > 0
    assert "warning:" in done.stderr and "is estimated to take" in done.stderr


def test_the_stabilizer_estimate_reflects_its_per_shot_measurement_cost() -> None:
    """A 5,000-qubit GHZ with 1,024 shots: Aer's stabilizer measures the tableau shot by shot
    (O(n^2) per measured qubit); the run takes hours, and the estimate must say so."""
    ghz = Circuit(5000, 5000).h(0)
    for k in range(4999):
        ghz.cx(k, k + 1)
    ghz.measure(list(range(5000)), list(range(5000)))
    with Integrator() as it:
        fits, _ = it.feasible_backends(ghz, shots=1024)
        assert [b.name for b in fits] == ["aer.stabilizer"]
        assert fits[0].estimate_seconds(ghz, 1024) > 3600
        small = Circuit(5000, 5).h(0)
        for k in range(4999):
            small.cx(k, k + 1)
        small.measure([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
        assert fits[0].estimate_seconds(small, 1024) < 60  # few measured qubits: cheap


# -- 5. honest conversions and clean output -------------------------------------------------------


@pytest.mark.parametrize("content, name, target", [
    ("OPENQASM 3.0;\nthis is not a program\n", "bad.qasm", "qasm3"),
    ('{"not": "a circuit"}', "bad.json", "qhpc.json"),
    ("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", "bad2.qasm", "qasm2"),
])
def test_converting_to_the_same_format_checks_the_input(tmp_path: Path, content: str, name: str,
                                                        target: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    done = qhpc_cli("convert", str(path), "--to", target)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_converting_to_the_same_format_rewrites_valid_input(tmp_path: Path) -> None:
    path = tmp_path / "ok.qasm"
    path.write_text("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nU(pi,0,pi) q[0];\nmeasure q[0] -> c[0];\n")
    done = qhpc_cli("convert", str(path), "--to", "qasm2")
    assert done.returncode == 0, done.stderr
    from qiskit import qasm2 as qiskit_qasm2
    from qiskit.quantum_info import Operator

    assert qiskit_qasm2.loads(done.stdout).count_ops() == {"u3": 1, "measure": 1} or \
        Operator(qiskit_qasm2.loads(done.stdout).remove_final_measurements(inplace=False)).equiv(
            Operator.from_label("X"))


PRINTING = '''
import sys
from qiskit import QuantumCircuit
print("building the circuit...")
sys.stdout.write("more chatter\\n")
qc = QuantumCircuit(1, 1)
qc.x(0)
qc.measure(0, 0)
'''


def test_a_program_file_that_prints_does_not_spoil_json_or_converted_output(tmp_path: Path) -> None:
    path = tmp_path / "chatty.py"
    path.write_text(PRINTING)
    done = qhpc_cli("run", str(path), "--json", "--shots", "7")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"1": 7}
    assert "building the circuit..." in done.stderr and "more chatter" in done.stderr
    converted = qhpc_cli("convert", str(path), "--to", "qasm3")
    assert converted.returncode == 0 and converted.stdout.startswith("OPENQASM 3")
    assert "building the circuit" not in converted.stdout


def test_a_base_exception_from_a_program_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "hostile.py"
    path.write_text("class Boom(BaseException):\n    pass\n\nraise Boom('no')\n")
    done = qhpc_cli("run", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"error: {path}:4: running the file raised Boom: no"
    path.write_text("raise KeyboardInterrupt\n")
    done = qhpc_cli("run", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "KeyboardInterrupt" in done.stderr


def test_writing_to_a_full_device_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "ok.qasm"
    path.write_text(BELL)
    done = qhpc_cli("convert", str(path), "--to", "qasm3", "-o", "/dev/full")
    assert done.returncode == 1 and done.stderr.strip() == "error: /dev/full: cannot write: No space left on device"
    with open("/dev/full", "w") as full:
        done2 = subprocess.run([sys.executable, "-m", "qhpc", "convert", str(path), "--to", "qasm3"],
                               stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done2.returncode == 1, done2.stderr
    assert done2.stderr.strip() == "error: writing the output: No space left on device"


def test_an_unreadable_file_is_a_user_error(tmp_path: Path) -> None:
    # /proc/self/mem exists but cannot be read from the start, even as root
    done = qhpc_cli("run", "/proc/self/mem")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: /proc/self/mem: ")
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0":
        path = tmp_path / "secret.qasm"
        path.write_text(BELL)
        path.chmod(0)
        done = qhpc_cli("run", str(path))
        assert done.returncode == 1 and "permission denied" in done.stderr


def test_run_reads_a_program_from_standard_input() -> None:
    import os

    env = {**os.environ}
    env.pop("QHPC_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "qhpc", "run", "-", "--shots", "9", "--json"], input=BELL,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"11": 9}
    bad = subprocess.run([sys.executable, "-m", "qhpc", "run", "-"], input="hello", capture_output=True,
                         text=True, timeout=120, env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("error: <stdin>: qhpc does not recognise")
    broken = subprocess.run([sys.executable, "-m", "qhpc", "run", "-"], input="OPENQASM 2.0;\nqreg q[1]\n",
                            capture_output=True, text=True, timeout=120, env=env)
    assert broken.returncode == 1 and broken.stderr.startswith("error: <stdin>:2:10: expected ';'")


def test_qhpc_without_arguments_prints_short_usage() -> None:
    done = qhpc_cli()
    assert done.returncode == 0
    assert done.stdout.startswith("usage: qhpc COMMAND") and "qhpc run FILE" in done.stdout
    assert done.stderr == ""


# -- hostile sizes and nesting (an outside audit, round 13) -----------------------------------------


def test_gate_definitions_that_expand_without_end_are_refused_by_name() -> None:
    from qiskit.circuit import Gate

    class Wide(Gate):  # a definition of 1,001 copies of a gate of 1,001 x gates: over a million
        def __init__(self, level: int) -> None:
            super().__init__(f"wide{level}", 1, [])
            self.level = level

        def _define(self) -> None:
            body = QuantumCircuit(1)
            for _ in range(1001):
                body.x(0) if self.level == 0 else body.append(inner, [0])
            self.definition = body

    inner = Wide(0)
    qc = QuantumCircuit(1)
    qc.append(Wide(1), [0])
    start = time.monotonic()
    with pytest.raises(qhpc.QhpcError, match="gate definitions expand past 1000000 gates"):
        qhpc.convert(qc, "qasm3")
    assert time.monotonic() - start < 60  # (a guard against a hang, not a speed test)


def test_the_expansion_limit_is_per_instruction_not_per_circuit(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # many small custom gates are a large circuit, not an expansion bomb (a Trotter circuit of
    # PauliEvolutionGates, say): the limit bounds what one instruction expands to, in a loop too
    from qhpc_qiskit import from_qiskit  # the reader, where the limit is read

    monkeypatch.setattr(from_qiskit, "MAX_GATE_EXPANSION", 100)  # the limit, made small enough to reach here
    pair = QuantumCircuit(2)
    pair.h(0)
    pair.cx(0, 1)
    gate = pair.to_gate()
    qc = QuantumCircuit(2)
    for _ in range(60):
        qc.append(gate, [0, 1])
    with qc.for_loop(range(60)):
        qc.append(gate, [0, 1])
    assert len(qhpc.convert(qc, "qhpc.circuit").instructions) == 240
    big = QuantumCircuit(1)
    for _ in range(101):
        big.x(0)
    qc.append(big.to_gate(), [0])
    with pytest.raises(qhpc.QhpcError, match=r"instruction 61 .*gate definitions expand past 100 gates"):
        qhpc.convert(qc, "qhpc.circuit")


def test_nested_circuit_operations_are_sized_before_they_are_expanded() -> None:
    import cirq

    q = cirq.LineQubit(0)
    big = cirq.FrozenCircuit(cirq.X(q))
    for _ in range(4):
        big = cirq.FrozenCircuit(cirq.CircuitOperation(big, repetitions=1000))
    doubling = cirq.FrozenCircuit(cirq.X(q))
    for _ in range(40):  # 2**40 operations; each level names the one below twice
        doubling = cirq.FrozenCircuit(cirq.CircuitOperation(doubling), cirq.CircuitOperation(doubling))
    for circuit in (big, doubling, cirq.FrozenCircuit(cirq.CircuitOperation(cirq.FrozenCircuit(cirq.X(q)),
                                                                            repetitions=10**9))):
        with pytest.raises(qhpc.QhpcError, match="expands to more than 1000000 operations"):
            qhpc.convert(cirq.Circuit(cirq.CircuitOperation(circuit)), "qasm3")
    deep = cirq.FrozenCircuit(cirq.X(q))
    for _ in range(400):
        deep = cirq.FrozenCircuit(cirq.CircuitOperation(deep))
    with pytest.raises(qhpc.QhpcError, match="nest deeper than 64 levels") as refused:
        qhpc.convert(cirq.Circuit(cirq.CircuitOperation(deep)), "qasm3")
    assert len(str(refused.value)) < 300
    # what stays under the limits is expanded exactly (judged by Cirq's own unitary)
    a, b = cirq.LineQubit.range(2)
    small = cirq.FrozenCircuit(cirq.H(a), cirq.CZ(a, b) ** 0.3)
    for _ in range(3):
        small = cirq.FrozenCircuit(cirq.CircuitOperation(small, repetitions=3), cirq.T(b))
    original = cirq.Circuit(cirq.CircuitOperation(small))
    back = qhpc.convert(qhpc.convert(original, "qiskit"), "cirq")
    assert np.allclose(cirq.unitary(back), cirq.unitary(original), atol=1e-9)


def test_myqlm_circuits_past_the_readers_limits_are_refused_by_name(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from qat.lang.AQASM import AbstractGate, Program, QRoutine, X
    from qhpc_myqlm import from_myqlm

    prog = Program()
    reg = prog.qalloc(1)
    prog.apply(X, reg[0])
    circ = prog.to_circ()
    circ.nbqbits = 10**8  # was a MemoryError after gigabytes
    with pytest.raises(qhpc.QhpcError, match="100000000 qubits, more than the readers' limit of 100000"):
        qhpc.convert(circ, "qasm3")

    def routine() -> QRoutine:
        r = QRoutine()
        for _ in range(60):
            r.apply(X, 0)
        return r

    def twice() -> QRoutine:
        r = QRoutine()
        r.apply(sixty(), 0)
        r.apply(sixty(), 0)
        return r

    sixty = AbstractGate("SIXTY", [], arity=1, circuit_generator=routine)
    boxed = Program()
    reg = boxed.qalloc(1)
    boxed.apply(sixty(), reg[0])
    boxed.apply(sixty(), reg[0])
    circ = boxed.to_circ(inline=False)
    monkeypatch.setattr(from_myqlm, "MAX_GATE_EXPANSION", 100)  # the limit, made small enough to reach here
    assert len(qhpc.convert(circ, "qiskit").data) == 120  # each box is under it: many boxes are not refused
    nested = Program()
    reg = nested.qalloc(1)
    nested.apply(AbstractGate("TWICE", [], arity=1, circuit_generator=twice)(), reg[0])
    with pytest.raises(qhpc.QhpcError, match=r"operation 0 \(TWICE\): its implementation expands past 100"):
        qhpc.convert(nested.to_circ(inline=False), "qiskit")


def test_expressions_nested_past_pythons_recursion_limit_get_a_named_error() -> None:
    from qiskit.circuit import Parameter

    p, q = Parameter("p"), Parameter("q")
    e = p
    for i in range(3000):
        e = (e + q) if i % 2 else (e * p)
    qc = QuantumCircuit(1)
    qc.rz(e, 0)
    for target in ("qasm2", "qasm3", "qhpc.json"):
        with pytest.raises(qhpc.QhpcError, match="nests too deeply to convert"):
            qhpc.convert(qc, target)


@pytest.mark.slow
def test_running_out_of_memory_while_converting_is_a_one_line_error(tmp_path: Path) -> None:
    # 9,500,000 instructions (under the readers' cap) in a process allowed 1.5 GB: reading fits, writing
    # OpenQASM 3 does not. It was reported as "not a qasm3 program", and printing that failed into a
    # traceback; the memory is let go before the message is made
    program = tmp_path / "big.qasm"
    program.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[100000] q;\n' + "h q;\n" * 95)
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000)); "
    run = subprocess.run([sys.executable, "-c", limit + "import runpy; runpy.run_module('qhpc', run_name='__main__')",
                          "convert", str(program), "-t", "qasm3", "-o", str(tmp_path / "out.qasm")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode not in (0, 70) and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.stderr.strip().splitlines() == [
        "error: translator qasm3-export (qhpc.circuit -> qasm3) ran out of memory: the program is too large to "
        "convert in this process"]
