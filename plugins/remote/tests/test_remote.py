"""The remote front-end against a peer that misbehaves on request (a real HTTP server on loopback):
timeouts, retries with backoff, dropped connections, 500s, corrupted results, a peer that is
down (clear failure, circuit breaker), the fallback a user asks for, cancellation."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from qhpc import Integrator, JobCancelledError, JobFailedError, QhpcError, Settings
from qhpc.errors import UnknownNameError
from qhpc.integrator import LATE_BACKENDS_MISS_SECONDS
from qhpc.interfaces import BackendKind, Location
from qhpc.resources import QuantumResource, ResourceBackend, TaskPayload, TaskStatus
from qhpc_interop import Circuit

from .fakepeer import FakePeer

pytestmark = pytest.mark.timeout(120)


def ghz() -> Circuit:
    return Circuit(3, 3).h(0).cx(0, 1).cx(1, 2).measure([0, 1, 2], [0, 1, 2])


def local_counts(shots: int, seed: int) -> dict[str, int]:
    with Integrator(settings=Settings.from_mapping({"plugins": {"enabled": ["builtin", "qiskit"]}})) as it:
        return it.run(ghz(), backend="aer.statevector", shots=shots, seed=seed).counts


def test_the_peers_backends_are_offered_as_remote_backends(peer: FakePeer,
                                                            remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    names = {n for n in it.backends if n.startswith("fake.")}
    assert names == {"fake.ibm_fake", "fake.sim"}  # what the peer itself reaches remotely is not offered again
    qpu, sim = it.backend("fake.ibm_fake"), it.backend("fake.sim")
    assert (qpu.kind, sim.kind) == (BackendKind.QPU, BackendKind.EMULATOR)
    caps = it.capabilities(qpu)
    assert caps.location == Location.REMOTE and caps.num_qubits == 5 and "at peer fake" in caps.description
    assert isinstance(qpu, ResourceBackend) and isinstance(qpu.resource, QuantumResource)
    status = qpu.resource.status()
    assert status.available and status.queue_length == 3  # the peer's own queue


def test_a_job_runs_on_the_peer_and_its_result_is_verified(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    result = it.run(ghz(), backend="fake.ibm_fake", shots=200, seed=5)
    assert result.counts == local_counts(200, 5)
    meta = result.metadata["backend_metadata"]
    assert meta["peer"] == "fake" and meta["peer_backend"] == "ibm_fake" and meta["digest"].startswith("sha256:")
    assert peer.jobs[meta["peer_job_id"]]["counts"] == result.counts


def test_the_resource_interface_mirrors_qrmi(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    resource = remote(peer.url).backend("fake.sim").resource  # type: ignore[attr-defined]
    token = resource.acquire()
    task = resource.task_start(TaskPayload(ghz(), shots=64, seed=9, acquisition=token, idempotency_key="k-1"))
    assert resource.task_start(TaskPayload(ghz(), shots=64, seed=9, idempotency_key="k-1")) == task  # same task
    assert resource.task_status(task) is TaskStatus.COMPLETED
    assert resource.task_result(task).counts == local_counts(64, 9)
    assert resource.target().num_qubits == 5 and resource.metadata()["peer"] == "fake"
    resource.release(token)


@pytest.mark.parametrize("route, mode", [("POST /v1/jobs", "500"), ("POST /v1/jobs", "drop"),
                                         ("GET /v1/jobs/", "500"), ("GET /v1/jobs/", "drop"),
                                         ("POST /v1/jobs", "slow")])
def test_transient_faults_are_retried(peer: FakePeer, remote: Callable[..., Integrator], route: str,
                                      mode: str) -> None:
    it = remote(peer.url)
    it.backends  # noqa: B018 - list the peer's backends before the faults start
    peer.fault(route, mode, count=1)
    before = len(peer.jobs)
    result = it.run(ghz(), backend="fake.ibm_fake", shots=100, seed=2)
    assert result.counts == local_counts(100, 2)
    assert len(peer.jobs) == before + 1  # a retried submission did not create a second job
    assert sum(1 for m, p in peer.requests if f"{m} {p}".startswith(route)) >= 2  # it was retried


def test_a_corrupted_result_is_fetched_again_then_refused(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    it.backends  # noqa: B018
    peer.fault("GET /v1/jobs/", "corrupt", count=1)
    assert it.run(ghz(), backend="fake.ibm_fake", shots=100, seed=4).counts == local_counts(100, 4)
    peer.fault("GET /v1/jobs/", "corrupt", count=100)
    with pytest.raises(JobFailedError, match="failed its digest check 3 time"):
        it.run(ghz(), backend="fake.ibm_fake", shots=100, seed=4)


def test_a_down_peer_fails_clearly_and_opens_the_breaker(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    it.backends  # noqa: B018
    peer.stop()
    with pytest.raises(JobFailedError, match=r"peer fake \(http://127\.0\.0\.1:\d+\) did not answer after 3 attempt"):
        it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=1)
    start = time.monotonic()
    with pytest.raises(JobFailedError, match=r"circuit breaker open.*fallback"):
        it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=1)
    assert time.monotonic() - start < 0.5  # fails at once, without waiting on the network
    peer.start()
    time.sleep(1.1)  # reset_seconds: the next request is a trial
    assert it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=1).counts == local_counts(10, 1)


def test_a_peer_down_at_start_is_offered_once_it_answers(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    peer.stop()
    it = remote(peer.url)
    assert not any(n.startswith("fake.") for n in it.refresh_backends())
    with pytest.raises(UnknownNameError, match=r"fake\.ibm_fake"):
        it.backend("fake.ibm_fake")  # asked again at once: still down
    peer.start()
    time.sleep(LATE_BACKENDS_MISS_SECONDS + 0.1)
    # a name not found asks the peer again: a job for it runs as soon as the peer answers
    assert it.run(ghz(), backend="fake.ibm_fake", shots=40, seed=3).counts == local_counts(40, 3)
    assert {n for n in it.backends if n.startswith("fake.")} == {"fake.ibm_fake", "fake.sim"}
    # a listing asks too (another process of this site, started while the peer was down)
    peer.stop()
    other = remote(peer.url)
    assert not any(n.startswith("fake.") for n in other.backends)
    peer.start()
    assert {n for n in other.refresh_backends() if n.startswith("fake.")} == {"fake.ibm_fake", "fake.sim"}
    assert other.backend("fake.sim") is other.backends["fake.sim"]  # one object per name from then on


def test_configured_backends_of_a_down_peer_are_offered_and_read_once_it_answers(
        peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    peer.stop()
    it = remote(peer.url, backends=["ibm_fake"])
    assert {n for n in it.backends if n.startswith("fake.")} == {"fake.ibm_fake"}
    with pytest.raises(QhpcError, match=r"fake\.ibm_fake.*(unavailable|did not answer)"):
        it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=1)
    peer.start()
    time.sleep(1.1)  # reset_seconds: the peer's circuit breaker lets a trial through
    assert it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=1).counts == local_counts(10, 1)
    assert {n for n in it.refresh_backends() if n.startswith("fake.")} == {"fake.ibm_fake"}  # only those named


def test_the_fallback_runs_only_when_asked_and_is_recorded(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    it.backends  # noqa: B018
    peer.stop()
    result = it.run(ghz(), backend="fake.ibm_fake", shots=300, seed=8, options={"fallback": "aer.statevector"})
    assert result.counts == local_counts(300, 8)
    fallback = result.metadata["backend_metadata"]["fallback"]
    assert fallback["backend"] == "aer.statevector" and fallback["instead_of"] == "fake.ibm_fake"
    assert "peer fake" in fallback["reason"]
    with pytest.raises(JobFailedError, match=r"'fake\.sim' is not an emulator of this site"):
        it.run(ghz(), backend="fake.ibm_fake", shots=10, options={"fallback": "fake.sim"})
    peer.start()
    time.sleep(1.1)
    up = it.run(ghz(), backend="fake.ibm_fake", shots=10, seed=3, options={"fallback": "aer.statevector"})
    assert "fallback" not in up.metadata["backend_metadata"]  # the peer is back: no fallback taken


def test_cancelling_the_job_stops_the_peers_job(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    peer.hold = True
    before = set(peer.jobs)
    job = it.submit(ghz(), backend="fake.ibm_fake", shots=10)
    deadline = time.monotonic() + 10
    while not set(peer.jobs) - before and time.monotonic() < deadline:
        time.sleep(0.02)
    started, = set(peer.jobs) - before
    job.cancel()
    with pytest.raises(JobCancelledError):
        job.result(timeout=10)
    deadline = time.monotonic() + 10
    while started not in peer.cancelled and time.monotonic() < deadline:
        time.sleep(0.05)
    assert peer.jobs[started]["status"] == "CANCELLED"  # the peer's job was stopped too


def test_a_peer_refusal_is_a_failure_not_a_retry(peer: FakePeer, remote: Callable[..., Integrator]) -> None:
    it = remote(peer.url)
    backend = it.backend("fake.ibm_fake")
    peer.fault("POST /v1/jobs", "422", count=1)
    posts = sum(1 for m, p in peer.requests if (m, p) == ("POST", "/v1/jobs"))
    with pytest.raises(JobFailedError, match="peer fake refused POST /v1/jobs: HTTP 422: injected 422"):
        it.run(ghz(), backend="fake.ibm_fake", shots=10, options={"fallback": "aer.statevector"})
    assert sum(1 for m, p in peer.requests if (m, p) == ("POST", "/v1/jobs")) == posts + 1  # not retried
    resource = backend.resource  # type: ignore[attr-defined]
    assert resource.client.breaker.state == "closed"  # an answer is not a failure of the peer
    with pytest.raises(Exception, match="HTTP 404: no job nope"):
        resource.task_status("nope")


def test_ctrl_c_on_the_command_line_stops_the_peers_job(peer: FakePeer, tmp_path: Path) -> None:
    # Ctrl-C ended the process at once (right for an emulator holding the GIL): the peer's job ran on,
    # its device time charged and its result never collected
    import os
    import signal
    import subprocess
    import sys

    from qhpc.server.testing import write_config

    from .conftest import PLUGINS, token_file

    peer.hold = True
    config = write_config(tmp_path / "site.toml", {"plugins": {"enabled": PLUGINS}, "peers": {"fake": {
        "url": peer.url, "token_file": str(token_file(tmp_path)), "timeout": 2.0, "retries": 1}}})
    program = tmp_path / "bell.qasm"
    program.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\n'
                       "measure q -> c;\n")
    before = set(peer.jobs)
    process = subprocess.Popen([str(Path(sys.executable).with_name("qhpc")), "run", str(program), "-b", "fake.ibm_fake"],
                               env={**os.environ, "QHPC_CONFIG": str(config)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not set(peer.jobs) - before and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    started, = set(peer.jobs) - before
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert started in peer.cancelled and peer.jobs[started]["status"] == "CANCELLED"
