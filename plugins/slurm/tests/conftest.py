"""A real single-node Slurm cluster for the tests (Debian's ``slurm-wlm`` 22.05 and ``munge``).

The session fixture writes a munge key and a slurm.conf into a temporary directory, starts
``munged``, ``slurmctld`` and ``slurmd`` in the foreground as this process's children (as root,
without systemd or cgroups), waits until the node is idle, points ``SLURM_CONF`` at it, and at the
end cancels what is left and stops the daemons by the PIDs it started. It is skipped only where
the binaries are absent. The node has 2 CPUs and 4 GiB; the cluster declares the license
``qpu_test:1``, a preempting partition ``urgent``, and kills jobs over their memory (jobacct_gather).

The tests' backends come from a plugin distribution written for the session (``slurmtest.*``) and
put on ``PYTHONPATH``, which sbatch passes on to the jobs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "scontrol", "sinfo")


@dataclass
class Cluster:
    root: Path
    conf: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), capture_output=True, text=True, env=self.env(), timeout=60, check=check)

    def jobs(self) -> dict[str, dict]:
        """Slurm's own view (``squeue --json``), by Slurm name (``12`` or ``11_3``)."""
        doc = json.loads(self.run("squeue", "--json").stdout)
        out = {}
        for job in doc["jobs"]:
            if job["array_task_id"] is not None:
                out[f"{job['array_job_id']}_{job['array_task_id']}"] = job
            elif not job["array_task_string"]:
                out[str(job["job_id"])] = job
        return out

    def wait_idle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the Slurm node is not idle after {timeout:g} s: {state!r}\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SLURM_CONF = """\
ClusterName=qhpctest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
KillWait=5
Licenses=qpu_test:1
PreemptType=preempt/partition_prio
PreemptMode=CANCEL
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=localhost MaxTime=INFINITE State=UP PriorityTier=2
"""


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = [b for b in DAEMONS + CLIENTS if shutil.which(b) is None]
    if missing:
        pytest.skip(f"Slurm is not installed here ({', '.join(missing)} missing; Debian: apt-get install slurm-wlm munge)")
    root = tmp_path_factory.mktemp("slurm")
    for sub in ("spool", "state", "log"):
        (root / sub).mkdir()
    key = root / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o400)
    conf = root / "slurm.conf"
    conf.write_text(SLURM_CONF.format(root=root, ctld_port=_free_port(), slurmd_port=_free_port()))
    cluster = Cluster(root, conf, {})
    logs = root / "log"

    def start(name: str, args: list[str]) -> None:
        with open(logs / f"{name}.out", "wb") as out:
            cluster.processes[name] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=cluster.env())

    previous = os.environ.get("SLURM_CONF")
    try:
        start("munged", ["munged", "-F", "-f", f"--key-file={key}", f"--socket={root}/munge.sock",
                         f"--pid-file={root}/munged.pid", f"--seed-file={root}/munge.seed",
                         f"--log-file={logs}/munged.log"])
        deadline = time.monotonic() + 20
        while not (root / "munge.sock").exists():
            if time.monotonic() > deadline or cluster.processes["munged"].poll() is not None:
                raise RuntimeError(f"munged did not start:\n{(logs / 'munged.out').read_text(errors='replace')}")
            time.sleep(0.05)
        start("slurmctld", ["slurmctld", "-D", "-f", str(conf)])
        start("slurmd", ["slurmd", "-D", "-N", "localhost", "-f", str(conf)])
        cluster.wait_idle()
        os.environ["SLURM_CONF"] = str(conf)
        yield cluster
    finally:
        if "slurmctld" in cluster.processes and cluster.processes["slurmctld"].poll() is None:
            cluster.run("scancel", "--user", str(os.getuid()), check=False)  # this cluster's jobs only
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(
                    j["job_state"] in ("RUNNING", "COMPLETING") for j in _jobs_or_empty(cluster)):
                time.sleep(0.2)
        for name in reversed(list(cluster.processes)):
            process = cluster.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous


def _jobs_or_empty(cluster: Cluster) -> list[dict]:
    try:
        return list(cluster.jobs().values())
    except Exception:
        return []


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
        return BackendCapabilities(num_qubits=8)

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
        return BackendCapabilities(num_qubits=8)

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
