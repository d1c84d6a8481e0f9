"""A real single-node Slurm cluster for the tests (Debian's ``slurm-wlm`` 22.05 and ``munge``).

The session fixture starts :class:`qhpc_slurm.localcluster.LocalCluster` in a temporary directory:
a munge key and a slurm.conf written there, ``munged``, ``slurmctld`` and ``slurmd`` started in the
foreground as this process's children (as root, without systemd or cgroups), the node idle, then
``SLURM_CONF`` pointed at it; at the end it cancels what is left and stops the daemons by the PIDs
it started. It is skipped only where the binaries are absent. The node has 2 CPUs and 4 GiB; the
cluster declares the license ``qpu_test:1``, a preempting partition ``urgent``, and kills jobs over
their memory (jobacct_gather).

The tests' backends come from a plugin distribution written for the session (``slurmtest.*``) and
put on ``PYTHONPATH``, which sbatch passes on to the jobs.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qhpc_slurm.localcluster import LocalCluster, missing_binaries

Cluster = LocalCluster


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"Slurm is not installed here ({', '.join(missing)} missing; Debian: apt-get install slurm-wlm munge)")
    cluster = LocalCluster(tmp_path_factory.mktemp("slurm"), cpus=2, memory_mb=4096)
    previous = os.environ.get("SLURM_CONF")
    cluster.start()
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        yield cluster
    finally:
        cluster.stop()
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous


# -- the tests' backends, installed as a real plugin distribution --------------------------------------

TEST_BACKENDS = '''
import os
import time

import numpy as np

from qhpc import Backend, BackendCapabilities, RunOutput, hookimpl


def _stamp(options, name):
    """Append 'name start end' to the file options['stamps'] names (written by the job itself)."""
    path = options.get("stamps")
    start = time.time()
    time.sleep(float(options.get("hold", 0.0)))
    end = time.time()
    if path:
        with open(path, "a") as handle:
            handle.write(f"{os.environ.get('SLURM_JOB_ID', '-')} {name} {start:.6f} {end:.6f}\\n")


def _sample(circuit, shots, seed):
    """A seeded readout: uniform over two bitstrings (all zeros, all ones)."""
    rng = np.random.default_rng(seed)
    ones = int(rng.binomial(shots, 0.5))
    n = circuit.num_clbits
    counts = {"0" * n: shots - ones, "1" * n: ones}
    return {k: v for k, v in counts.items() if v}


class TestQPU(Backend):
    """A QPU front-end (kind qpu) whose jobs take Slurm's qpu_test license."""

    name = "slurmtest.qpu"
    kind = "qpu"
    qpu_resource = "test_qpu"
    description = "a QPU stand-in for the Slurm tests"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=8, kind="qpu", location="on-prem", device="QPU", noisy=True)

    def estimate_seconds(self, circuit, shots):
        return 1.0

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        _stamp(options, self.name)
        return RunOutput(counts=_sample(circuit, shots, seed))


class OtherQPU(TestQPU):
    name = "slurmtest.otherqpu"
    qpu_resource = "other_qpu"


class Sleeper(Backend):
    """An emulator that runs until its cancel token is set (SIGTERM) or options['seconds'] pass."""

    name = "slurmtest.sleeper"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=8, auto_choice=False)  # never auto: other tests share the session

    def estimate_seconds(self, circuit, shots):
        return 0.001

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        path = options.get("started")
        if path:
            with open(path, "w") as handle:
                handle.write(str(os.getpid()))
        end = time.monotonic() + float(options.get("seconds", 3600))
        while not cancel.cancelled and time.monotonic() < end:
            time.sleep(0.05)
        return RunOutput(counts=_sample(circuit, shots, seed))


class Hog(Backend):
    """An emulator that takes options['mib'] MiB of memory, touching every page."""

    name = "slurmtest.hog"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=8, auto_choice=False)

    def estimate_seconds(self, circuit, shots):
        return 0.001

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        block = bytearray(int(options.get("mib", 1)) * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(float(options.get("hold", 5.0)))
        return RunOutput(counts=_sample(circuit, shots, seed))


@hookimpl
def qhpc_backends():
    return [TestQPU(), OtherQPU(), Sleeper(), Hog()]
'''


@pytest.fixture(scope="session")
def test_backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``slurmtest.*`` backends, on ``sys.path`` and ``PYTHONPATH`` (so jobs see them too)."""
    from qhpc.testing import write_plugin_distribution

    site = write_plugin_distribution(tmp_path_factory.mktemp("site"), "qhpc-slurmtest", "1.0.0",
                                     {"qhpc_slurmtest": TEST_BACKENDS}, {"slurmtest": "qhpc_slurmtest"})
    previous = os.environ.get("PYTHONPATH")
    sys.path.insert(0, str(site))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), previous) if p)
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


@pytest.fixture
def slurm_integrator(slurm_cluster: Cluster, test_backends: Path, tmp_path: Path) -> Iterator[Any]:
    """A factory of integrators whose scheduler is ``slurm`` on the test cluster (settings as keywords
    over the tests' defaults); each is closed at the end, cancelling what it left running."""
    from qhpc import Integrator
    from qhpc.config import Settings

    made: list[Integrator] = []

    def make(**settings: Any) -> Integrator:
        options = {"work_dir": str(tmp_path / "work"), "poll_interval": 0.2, "result_wait": 3.0, **settings}
        integrator = Integrator(settings=Settings.from_mapping({"scheduler": {"name": "slurm", "slurm": options}}))
        made.append(integrator)
        return integrator

    yield make
    for integrator in made:
        integrator.close(wait=False)


# -- helpers of the cluster tests --------------------------------------------------------------------


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.1)


def failure(job: Any, timeout: float = 120) -> str:
    """The message a job that must fail fails with."""
    from qhpc import JobStatus
    from qhpc.errors import JobFailedError

    with pytest.raises(JobFailedError) as error:
        job.result(timeout=timeout)
    assert job.status is JobStatus.FAILED
    return str(error.value)


def running_sleeper(integrator: Any, tmp_path: Path, **options: Any) -> tuple[Any, str, int]:
    """A ``slurmtest.sleeper`` job once its backend runs: (job, Slurm name, worker pid)."""
    from qhpc_interop import Circuit

    started = tmp_path / f"started-{time.monotonic_ns()}"
    job = integrator.submit(Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1]), backend="slurmtest.sleeper",
                            shots=10, options={"started": str(started), **options})
    name = integrator.scheduler.slurm_job(job.id)
    wait_for(started.exists, 120, "the sleeper's start")
    return job, name, int(started.read_text())
