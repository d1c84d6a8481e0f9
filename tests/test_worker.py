"""Execution that travels: requests and outputs as versioned JSON, run by `qhpc worker` in another process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qhpc import Integrator
from qhpc.interfaces import ExecutionRequest, RunOutput
from qhpc.noise import Depolarizing, GateNoise, NoiseModel
from qhpc.transport import (
    TransportError,
    output_from_dict,
    output_to_dict,
    request_from_dict,
    request_to_dict,
)
from qhpc_interop import Circuit

from .conftest import qhpc_cli


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as it:
        yield it


def bell() -> Circuit:
    return Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])


def test_a_request_round_trips_through_json(integrator: Integrator) -> None:
    theta = Circuit(1, 1).rx(0.3, 0).measure(0, 0)
    noise = NoiseModel(gate_noise=[GateNoise("cx", None, (Depolarizing(0.05, 2),))])
    request = ExecutionRequest("j1", "aer.density_matrix", theta, 123, 9, True, {"precision": "double"},
                               time_limit=12.5, noise=noise)
    text = json.dumps(request_to_dict(request, integrator.kinds))
    back = request_from_dict(json.loads(text), integrator.kinds)
    assert back.circuit == theta and back.noise == noise
    assert (back.job_id, back.backend, back.shots, back.seed, back.memory, back.options, back.time_limit) == (
        "j1", "aer.density_matrix", 123, 9, True, {"precision": "double"}, 12.5)
    out = RunOutput({"0": 100, "1": 23}, None, {"seed": 9, "ratio": 0.5})
    status, again, error = output_from_dict(json.loads(json.dumps(output_to_dict("j1", out, seconds=0.1))))
    assert status == "DONE" and again is not None and again.counts == out.counts and error is None


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "version 2 is not 1"),
    ({"extra": 1}, "unknown field 'extra'"),
    ({"shots": 0}, "'shots' must be a positive whole number"),
    ({"seed": 2**63}, "'seed' must be null or a whole number"),
    ({"program": {"kind": "teleport", "data": {}}}, "program kind 'teleport' is not installed"),
    ({"time_limit": -1}, "'time_limit' must be null or a positive number"),
])
def test_malformed_requests_are_refused_naming_the_field(integrator: Integrator, change: dict, message: str) -> None:
    doc = request_to_dict(ExecutionRequest("j", "aer.statevector", bell(), 10, None, False), integrator.kinds)
    doc.update(change)
    with pytest.raises(TransportError, match=message):
        request_from_dict(doc, integrator.kinds, "req.json")


def write_request(tmp_path: Path, integrator: Integrator, circuit: Circuit, backend: str, **kwargs: object) -> Path:
    request = ExecutionRequest("job42", backend, circuit, int(kwargs.get("shots", 200)), 7, False)
    path = tmp_path / "job42.json"
    path.write_text(json.dumps(request_to_dict(request, integrator.kinds)))
    return path


def test_qhpc_worker_runs_a_request_in_another_process(tmp_path: Path, integrator: Integrator) -> None:
    path = write_request(tmp_path, integrator, Circuit(2, 2).x(0).cx(0, 1).measure([0, 1], [0, 1]), "aer.statevector")
    done = qhpc_cli("worker", str(path))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "job42.result.json").read_text())
    assert result["status"] == "DONE" and result["output"]["counts"] == {"11": 200}
    # python -m qhpc.worker is the same entry point
    (tmp_path / "job42.result.json").unlink()
    done = subprocess.run([sys.executable, "-m", "qhpc.worker", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads((tmp_path / "job42.result.json").read_text())["status"] == "DONE"


def test_a_failing_request_writes_its_reason(tmp_path: Path, integrator: Integrator) -> None:
    path = write_request(tmp_path, integrator, bell(), "aer.statevector")
    doc = json.loads(path.read_text())
    doc["backend"] = "no.such.backend"
    path.write_text(json.dumps(doc))
    done = qhpc_cli("worker", str(path))
    assert done.returncode == 1 and "unknown backend 'no.such.backend'" in done.stderr
    result = json.loads((tmp_path / "job42.result.json").read_text())
    assert result["status"] == "FAILED" and "unknown backend" in result["error"]
    path.write_text("{not json")
    done = qhpc_cli("worker", str(path))
    assert done.returncode == 1 and "not a JSON request" in done.stderr


def test_sigterm_stops_the_job_and_says_so(tmp_path: Path, slow_vendor: Path) -> None:
    """Slurm sends SIGTERM at a time limit, on scancel and on preemption: the worker sets the job's
    cancel token, the backend stops, and the output says why."""
    with Integrator() as fresh:  # sees the test backends installed by the fixture
        path = write_request(tmp_path, fresh, bell(), "polite.emulator")
    process = subprocess.Popen([sys.executable, "-m", "qhpc", "worker", str(path)], stderr=subprocess.PIPE,
                               text=True, env={**os.environ})
    result_file = tmp_path / "job42.result.json"
    time.sleep(3)  # imports and start; the polite backend runs until stopped
    assert process.poll() is None and not result_file.exists()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 1
    result = json.loads(result_file.read_text())
    assert result["status"] == "FAILED" and "stopped" in result["error"]
