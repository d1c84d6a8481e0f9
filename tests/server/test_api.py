"""The v1 API and its client against a real server process (SQLite store), checked against
independent expectations: Aer run in this process, analytic outcomes, counts of jobs."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pytest
from qhpc import JobCancelledError, JobEvent, JobStatus, Result

from .conftest import BELL_QASM, X_QASM, Site, aer_counts, qhpc_cli

pytestmark = pytest.mark.timeout(120)


def test_a_job_gives_what_a_local_run_gives(site: Site) -> None:
    with site.client() as client:
        job = client.submit(BELL_QASM, backend="aer.statevector", shots=1000, seed=11)
        result = job.result(timeout=60)
        assert isinstance(result, Result)
        assert result.counts == aer_counts(BELL_QASM, 1000, 11)
        assert result.backend == "aer.statevector" and result.shots == 1000 and result.seed == 11
        assert result.job_id == job.id and result.registers == {"c": [0, 1]}
        assert job.status is JobStatus.DONE and job.info["has_result"]
        assert set(result.timings) >= {"convert", "validate", "compile", "schedule", "run", "verify"}


def test_numpy_integers_travel_and_wrong_kinds_are_refused_before_sending(site: Site) -> None:
    import numpy as np
    from qhpc import JobRejectedError

    with site.client() as client:
        # numpy's integers are not JSON: the client failed with json's TypeError
        result = client.submit(BELL_QASM, backend="aer.statevector", shots=np.int64(300),
                               seed=np.uint32(11)).result(timeout=60)
        assert result.counts == aer_counts(BELL_QASM, 300, 11) and result.seed == 11
        with pytest.raises(JobRejectedError, match="parameters must map parameter names to values"):
            client.submit(BELL_QASM, backend="aer.statevector", parameters=[0.3])
        with pytest.raises(JobRejectedError, match="backend must be a backend's name"):
            client.submit(BELL_QASM, backend=None)


def test_the_event_log_has_every_step_in_order(site: Site) -> None:
    with site.client() as client:
        job = client.submit(X_QASM, backend="aer.statevector", shots=10, seed=1)
        job.result(timeout=60)
        events = job.events
    kinds = [e.kind if isinstance(e, JobEvent) else e["kind"] for e in events]
    assert kinds[:2] == ["accepted", "dispatched"]
    assert kinds[-1] == "done"
    for expected in ("submitted", "queued", "running"):
        assert expected in kinds
    stages = [e.stage for e in events if isinstance(e, JobEvent) and e.kind == "stage"]
    assert stages.index("compile") < stages.index("schedule") < stages.index("run") < stages.index("verify")
    times = [e.time if isinstance(e, JobEvent) else e["time"] for e in events]
    assert times == sorted(times)


def test_programs_in_any_framework_travel_and_parameters_bind(site: Site) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qc = QuantumCircuit(2, 2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    qasm3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\nx q[2];\nc = measure q;\n'
    with site.client() as client:
        # a Qiskit circuit with a free parameter (sent in the JSON wire format), bound to pi: |11>
        assert client.run(qc, backend="aer.statevector", shots=50, parameters={theta: math.pi}).counts == {"11": 50}
        assert client.run(qasm3, shots=20, seed=2).counts == {"100": 20}  # OpenQASM 3, detected by the server
        from qhpc_interop import Circuit, wire

        text = wire.dumps(Circuit(1, 1).x(0).measure(0, 0))
        assert client.run(text, backend="aer.stabilizer", shots=7).counts == {"1": 7}


def test_a_batch_is_all_or_nothing(site: Site) -> None:
    with site.client("bob") as client, site.http("bob") as http:
        before = len(client.jobs(limit=None))
        jobs = client.submit_many([X_QASM, BELL_QASM, X_QASM], backend="aer.statevector", shots=20, seed=5)
        assert len(jobs) == 3 and len({j.id for j in jobs}) == 3
        assert [j.result(timeout=60).counts for j in jobs] == [{"11": 20}, aer_counts(BELL_QASM, 20, 5), {"11": 20}]
        bad = http.post("/v1/jobs/batch", json={"jobs": [{"program": X_QASM}, {"program": "OPENQASM 2.0; qreg"}]})
        assert bad.status_code == 422 and "cannot be read" in bad.json()["error"]
        assert len(client.jobs(limit=None)) == before + 3


def test_listing_filters_and_pages(site: Site) -> None:
    start = time.time()
    with site.client("bob") as client:
        made = [client.submit(X_QASM, backend=b, shots=5) for b in ["aer.stabilizer"] * 2 + ["aer.statevector"] * 3]
        for job in made:
            job.wait(60)
        mine = {j.id for j in made}
        stabilizer = {j.id for j in client.jobs(backend="aer.stabilizer", since=start, limit=None)}
        assert stabilizer == {j.id for j in made[:2]}
        done = {j.id for j in client.jobs(status="DONE", since=start, limit=None)}
        assert done == mine
        assert client.jobs(status="FAILED", since=start) == []
        pages = []
        cursor = None
        with site.http("bob") as http:
            while True:
                answer = http.get("/v1/jobs", params={"limit": 2, "since": start, **({"cursor": cursor} if cursor else {})})
                assert answer.status_code == 200
                pages.append([j["id"] for j in answer.json()["jobs"]])
                cursor = answer.json()["next_cursor"]
                if cursor is None:
                    break
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [i for p in pages for i in p] == [j.id for j in reversed(made)]  # newest first, no repeats


def test_cancel_a_running_and_a_queued_job(site: Site) -> None:
    with site.client() as client:
        with client.session("slowlab.emulator") as session:
            running = session.submit(X_QASM, shots=3, options={"seconds": 60})
            waiting = session.submit(X_QASM, shots=3)  # a session runs one job at a time
            deadline = time.monotonic() + 30
            while running.refresh()["substate"] != "executing" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert running.info["status"] == "RUNNING" and running.info["substate"] == "executing"
            assert waiting.refresh()["status"] == "QUEUED"
            assert waiting.cancel() and waiting.refresh()["status"] == "CANCELLED"
            start = time.monotonic()
            assert running.cancel()
            with pytest.raises(JobCancelledError):
                running.result(timeout=10)
            assert time.monotonic() - start < 5
            assert not running.cancel()  # finished already
        assert running.refresh()["status"] == "CANCELLED" and waiting.info["status"] == "CANCELLED"


def test_a_session_runs_its_jobs_in_order_and_reuses_compilations(site: Site) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qc = QuantumCircuit(1, 1)
    qc.rx(theta, 0)
    qc.measure(0, 0)
    with site.client() as client, client.session("aer.statevector") as session:
        jobs = [session.submit(qc, shots=64, seed=3, parameters={theta: angle}) for angle in (0.0, math.pi, 0.0, math.pi)]
        results = [j.result(timeout=60) for j in jobs]
        assert [r.counts for r in results] == [{"0": 64}, {"1": 64}, {"0": 64}, {"1": 64}]
        starts = [next(e["time"] for e in j.events if isinstance(e, dict) and e["kind"] == "dispatched") for j in jobs]
        finishes = [next(e.time for e in j.events if isinstance(e, JobEvent) and e.kind == "done") for j in jobs]
        assert all(finishes[k] <= starts[k + 1] for k in range(3))  # one at a time, in order
        assert [r.metadata["compile"]["cached"] for r in results[1:]] == [True, True, True]
        assert session.refresh()["jobs"] == 4 and session.info["status"] == "open"
    assert session.info["status"] == "closed"
    with site.http() as http:
        refused = http.post("/v1/jobs", json={"program": X_QASM, "session": session.id})
    assert refused.status_code == 409 and "closed" in refused.json()["error"]


def test_an_idle_session_expires_and_its_queued_jobs_are_cancelled(site: Site) -> None:
    with site.client() as client:
        session = client.session("aer.statevector", idle_timeout=1.0)
        job = session.submit(X_QASM, shots=5)
        job.result(timeout=60)
        deadline = time.monotonic() + 15
        while session.refresh()["status"] == "open" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session.info["status"] == "expired" and session.info["reason"] == "idle time-out"


def test_backends_report_capabilities_health_queues_and_calibration(site: Site) -> None:
    pytest.importorskip("qiskit_ibm_runtime")
    from qhpc_qiskit.devices import device_targets

    local: dict[str, Any] = {t.name: t for t in device_targets()}
    with site.client() as client:
        backends = client.backends()
        sv = backends["aer.statevector"]
        assert sv.available and sv.kind == "emulator" and sv.capabilities is not None
        assert sv.capabilities.num_qubits >= 20 and sv.queue_length >= 0
        assert backends["slowlab.qpu"].kind == "qpu"
        perth = client.backend("ibm_perth")
        assert perth.calibration is not None
        assert perth.calibration["digest"] == "sha256:" + local["ibm_perth"].snapshot.digest()
        assert perth.capabilities is not None
        assert perth.capabilities.coupling_map == local["ibm_perth"].capabilities.coupling_map
    with site.http() as http:
        snapshot = http.get("/v1/backends/ibm_perth/calibration").json()
        assert snapshot == json.loads(json.dumps(local["ibm_perth"].snapshot.to_dict()))
        assert http.get("/v1/backends/aer.statevector/calibration").status_code == 404
        assert http.get("/v1/backends/no.such").status_code == 404


def test_health_plugins_and_openapi(site: Site) -> None:
    with site.http(None) as anonymous:
        health = anonymous.get("/v1/health").json()
        assert health["status"] == "ok" and health["database"] == "ok" and health["executor"] == "running"
        spec = anonymous.get("/openapi.json").json()
        assert {"/v1/jobs", "/v1/jobs/batch", "/v1/jobs/{job_id}/result", "/v1/sessions", "/v1/backends",
                "/v1/admin/accounting"} <= set(spec["paths"])
        assert anonymous.get("/v1/plugins").status_code == 401
    with site.http() as http:
        plugins = {p["name"]: p for p in http.get("/v1/plugins").json()}
        assert plugins["qiskit"]["status"] == "loaded" and "aer.statevector" in plugins["qiskit"]["provides"]["backends"]


def test_metrics_for_operators(site: Site) -> None:
    with site.client() as client:
        client.run(X_QASM, backend="aer.statevector", shots=5)
    with site.http() as http:
        text = http.get("/metrics").text
    assert 'qhpc_jobs{state="DONE"}' in text and "qhpc_queue_length" in text
    assert 'qhpc_job_stage_seconds_bucket{le="+Inf",stage="run"}' in text
    assert 'qhpc_jobs_submitted_total{backend="aer.statevector"}' in text
    done = float(next(line.split()[-1] for line in text.splitlines() if line.startswith('qhpc_jobs{state="DONE"}')))
    assert done >= 1
    with site.http("bob") as http:
        assert http.get("/metrics").status_code == 403
    with site.http(None) as anonymous:
        assert anonymous.get("/metrics").status_code == 401


# -- the command line against the server ----------------------------------------------------------


def test_qhpc_run_jobs_and_job_against_the_server(site: Site, tmp_path: Path) -> None:
    program = tmp_path / "bell.qasm"
    program.write_text(BELL_QASM)
    env = {"QHPC_TOKEN": site.tokens["bob"]}
    ran = qhpc_cli("run", str(program), "--server", site.url, "-b", "aer.statevector", "--shots", "200",
                   "--seed", "5", "--json", env=env)
    assert ran.returncode == 0, ran.stderr
    doc = json.loads(ran.stdout)
    assert doc["counts"] == aer_counts(BELL_QASM, 200, 5) and doc["server"] == site.url
    listed = qhpc_cli("jobs", "--server", site.url, "--json", "--limit", "3", env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["id"] == doc["job_id"]
    shown = qhpc_cli("job", doc["job_id"], "--server", site.url, "--events", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["job"]["status"] == "DONE" and detail["result"]["counts"] == doc["counts"]
    assert [e["kind"] for e in detail["events"]][-1] == "done"
    again = qhpc_cli("job", doc["job_id"], "--server", site.url, "--cancel", env=env)
    assert again.returncode == 0 and "is DONE already" in again.stdout
    table = qhpc_cli("jobs", "--server", site.url, "--status", "DONE", env=env)
    assert table.returncode == 0 and doc["job_id"] in table.stdout


def test_the_token_never_comes_from_the_command_line(site: Site, tmp_path: Path) -> None:
    program = tmp_path / "x.qasm"
    program.write_text(X_QASM)
    refused = qhpc_cli("run", str(program), "--server", site.url, "--token", site.tokens["bob"])
    assert refused.returncode == 2 and "No such option '--token'" in refused.stderr
    assert site.tokens["bob"] not in refused.stderr + refused.stdout
    missing = qhpc_cli("jobs", "--server", site.url, env={"QHPC_TOKEN": ""})
    assert missing.returncode == 1 and "error: no token: set QHPC_TOKEN" in missing.stderr
    local_only = qhpc_cli("run", str(program), "--server", site.url, "--compiler", "decompose",
                          env={"QHPC_TOKEN": site.tokens["bob"]})
    assert local_only.returncode == 2 and "--compiler cannot be used with --server" in local_only.stderr


def test_the_token_file_must_be_readable_by_its_owner_only(site: Site, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(site.tokens["bob"] + "\n")
    config = tmp_path / "config.toml"
    config.write_text(f'[client]\nurl = "{site.url}"\ntoken_file = "{token_file}"\n')
    env = {"QHPC_CONFIG": str(config), "QHPC_TOKEN": ""}
    os.chmod(token_file, 0o644)
    exposed = qhpc_cli("jobs", "--limit", "1", env=env)
    assert exposed.returncode == 1 and "readable by others (mode -rw-r--r--); chmod 600" in exposed.stderr
    os.chmod(token_file, 0o600)
    private = qhpc_cli("jobs", "--limit", "1", "--json", env=env)
    assert private.returncode == 0, private.stderr
    assert isinstance(json.loads(private.stdout), list)


def test_cirq_json_sent_as_text_under_its_format_name(site_factory) -> None:  # type: ignore[no-untyped-def]
    # a review: the server handed Cirq's JSON text to the Cirq translator as text (an AttributeError
    # inside it); a format now reads the text of its file form (ProgramFormat.loads)
    import cirq
    from qhpc.client import _Rejected

    site = site_factory(plugins=["builtin", "qiskit", "cirq"])
    a, b = cirq.GridQubit(0, 0), cirq.NamedQubit("b")
    text = cirq.to_json(cirq.Circuit(cirq.Moment(cirq.X(a)), cirq.Moment(cirq.measure(a, key="m")),
                                     cirq.Moment(cirq.measure(b, key="n"))))
    with site.client() as client:
        # clbit 0 is key m (measured first) and reads 1; n reads 0
        assert client.run(text, source_format="cirq", backend="aer.statevector", shots=9).counts == {"01": 9}
        with pytest.raises(_Rejected, match="holds a Moment, not a circuit"):
            client.submit('{"cirq_type": "Moment", "operations": []}', source_format="cirq")


def test_admission_checks_a_circuit_as_a_photonic_backend_would_run_it(site_factory) -> None:  # type: ignore[no-untyped-def]
    # admission asked a backend of another paradigm for a compiler only: a 4-qubit QFT was admitted
    # for perceval.slos and failed when run (22 photons in 32 modes); a parameterised circuit was
    # refused as unbound though its parameters came with it
    from qhpc.client import _Rejected

    site = site_factory(plugins=["builtin", "qiskit", "perceval"])
    qft = ('OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; creg c[4]; h q[0]; cp(pi/2) q[1],q[0]; h q[1]; '
           "cp(pi/4) q[2],q[0]; cp(pi/2) q[2],q[1]; h q[2]; cp(pi/8) q[3],q[0]; cp(pi/4) q[3],q[1]; "
           "cp(pi/2) q[3],q[2]; h q[3]; measure q -> c;")
    rx = 'OPENQASM 3.0; include "stdgates.inc"; input float theta; qubit[1] q; bit[1] c; rx(theta) q[0]; c[0] = measure q[0];'
    with site.client() as client:
        with pytest.raises(_Rejected, match=r"perceval.slos cannot run this circuit: as perceval.dual-rail compiles "
                                            r"it: \d+ photons in \d+ modes have .* output states"):
            client.submit(qft, backend="perceval.slos", shots=10)
        # rx(pi)|0> reads 1 in every shot (analytic)
        assert client.run(rx, backend="perceval.slos", shots=40, seed=3, parameters={"theta": math.pi},
                          timeout=120).counts == {"1": 40}


def test_a_parameter_sweep_keeps_the_admission_cache_on_gate_backends() -> None:
    # the fit report was keyed by the parameters on every backend, so a sweep that resubmits one
    # circuit with new values never took the inline admission path; only a backend of another
    # paradigm, fitted with the circuit compiled at those values, needs them in the key
    from qhpc import Integrator
    from qhpc.config import Settings
    from qhpc.server.admission import Admission
    from qhpc.server.schemas import JobRequest

    rx = 'OPENQASM 3.0; include "stdgates.inc"; input float theta; qubit[1] q; bit[1] c; rx(theta) q[0]; c[0] = measure q[0];'
    settings = Settings.from_mapping({"plugins": {"enabled": ["builtin", "qiskit", "perceval"]}})
    with Integrator(settings=settings) as integrator:
        admission = Admission(integrator)
        for backend, kept in (("aer.statevector", True), ("perceval.slos", False)):
            first = JobRequest(program=rx, format="qasm3", backend=backend, shots=10, parameters={"theta": 0.1})
            model, _, _ = admission.read(first)
            assert admission._fit(integrator.backend(backend), model, first) == []
            assert admission.cached(first)
            assert admission.cached(first.model_copy(update={"parameters": {"theta": 0.2}})) is kept
