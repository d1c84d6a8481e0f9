"""A real single-node Slurm cluster in a temporary directory, for tests and benchmarks.

Debian's ``slurm-wlm`` (22.05) and ``munge``, run as root without systemd or cgroups: a munge key
and a slurm.conf are written into ``root``, then ``munged``, ``slurmctld`` and ``slurmd`` start in the
foreground as children of this process (on free loopback ports, so several such clusters can share
a machine) and :meth:`LocalCluster.stop` stops them by the PIDs it started. The node declares
``cpus`` CPUs and ``memory_mb`` of memory; the cluster has the license ``qpu_test:1``, a preempting
partition ``urgent`` above the default ``debug``, and kills jobs over their memory (jobacct_gather).
Finished jobs stay visible to ``squeue`` for an hour (``MinJobAge``). It keeps no accounting
(``sacct`` does not work), as the recipe in the project's notes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scancel", "scontrol", "sinfo")

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
MinJobAge=3600
MaxArraySize=10001
Licenses=qpu_test:1
PreemptType=preempt/partition_prio
PreemptMode=CANCEL
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=localhost MaxTime=INFINITE State=UP PriorityTier=2
"""


def missing_binaries() -> list[str]:
    """The Slurm and munge programs this machine lacks (empty: a local cluster can start)."""
    return [name for name in DAEMONS + CLIENTS if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalCluster:
    """A single-node Slurm cluster under ``root`` (a directory of its own)."""

    def __init__(self, root: Path, *, cpus: int = 2, memory_mb: int = 4096) -> None:
        self.root = Path(root)
        self.conf = self.root / "slurm.conf"
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a Slurm command against this cluster."""
        return subprocess.run(list(args), capture_output=True, text=True, env=self.env(), timeout=60, check=check)

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Slurm's own view (``squeue --json``, unparsed), by Slurm name (``12`` or ``11_3``)."""
        doc = json.loads(self.run("squeue", "--json").stdout)
        out = {}
        for job in doc["jobs"]:
            if job["array_task_id"] is not None:
                out[f"{job['array_job_id']}_{job['array_task_id']}"] = job
            elif not job["array_task_string"]:
                out[str(job["job_id"])] = job
        return out

    def start(self, timeout: float = 60.0) -> None:
        """Write the configuration, start the daemons, wait until the node is idle."""
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"Slurm is not installed here ({', '.join(missing)} missing)")
        for sub in ("spool", "state", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        key = self.root / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        self.conf.write_text(SLURM_CONF.format(root=self.root, ctld_port=_free_port(), slurmd_port=_free_port(),
                                               cpus=self.cpus, memory_mb=self.memory_mb))
        try:
            self._start("munged", ["munged", "-F", "-f", f"--key-file={key}", f"--socket={self.root}/munge.sock",
                                   f"--pid-file={self.root}/munged.pid", f"--seed-file={self.root}/munge.seed",
                                   f"--log-file={self.root}/log/munged.log"])
            deadline = time.monotonic() + timeout
            while not (self.root / "munge.sock").exists():
                if time.monotonic() > deadline or self.processes["munged"].poll() is not None:
                    raise RuntimeError(f"munged did not start:\n{self.logs()}")
                time.sleep(0.05)
            self._start("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)])
            self._start("slurmd", ["slurmd", "-D", "-N", "localhost", "-f", str(self.conf)])
            self.wait_idle(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, name: str, args: list[str]) -> None:
        with open(self.root / "log" / f"{name}.out", "wb") as out:
            self.processes[name] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=self.env())

    def wait_idle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the Slurm node is not idle after {timeout:g} s ({state!r}):\n{self.logs()}")

    def stop(self) -> None:
        """Cancel this cluster's jobs, then stop the daemons this object started, by their PIDs."""
        ctld = self.processes.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            self.run("scancel", "--user", str(os.getuid()), check=False)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(
                    j["job_state"] in ("RUNNING", "COMPLETING") for j in self._jobs_or_none()):
                time.sleep(0.2)
        for name in reversed(list(self.processes)):
            process = self.processes.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)

    def _jobs_or_none(self) -> list[dict[str, Any]]:
        try:
            return list(self.jobs().values())
        except Exception:
            return []

    def logs(self) -> str:
        parts = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log", "munged.out", "slurmctld.out", "slurmd.out"):
            path = self.root / "log" / name
            if path.exists() and path.stat().st_size:
                parts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
