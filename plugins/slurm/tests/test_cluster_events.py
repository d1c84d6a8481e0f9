"""Events that take a whole node's jobs, reproduced on the real cluster, end qhpc jobs FAILED with
Slurm's reason: the node going down (``NODE_FAIL``) and preemption by a job of a higher-priority
partition (``PREEMPTED``). They run before test_jobs.py (whose minute-long time-limit job they
would take down too); the failures of single jobs are tested there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Cluster, failure, running_sleeper, wait_for

pytestmark = pytest.mark.slow


def test_a_node_failure_fails_the_job_with_node_fail(slurm_cluster: Cluster, slurm_integrator: Any,
                                                      tmp_path: Path) -> None:
    job, name, _ = running_sleeper(slurm_integrator(), tmp_path)
    slurm_cluster.run("scontrol", "update", "NodeName=localhost", "State=DOWN", "Reason=qhpc-test")
    try:
        message = failure(job)
    finally:
        slurm_cluster.run("scontrol", "update", "NodeName=localhost", "State=RESUME", check=False)
        slurm_cluster.wait_idle()
    assert f"Slurm job {name} ended NODE_FAIL: its node localhost failed" in message
    assert slurm_cluster.jobs()[name]["job_state"] == "NODE_FAIL"


def test_preemption_fails_the_job_with_preempted(slurm_cluster: Cluster, slurm_integrator: Any,
                                                  tmp_path: Path) -> None:
    # both CPUs, in the low-priority partition: a job of the urgent partition needs them
    job, name, _ = running_sleeper(slurm_integrator(sbatch_options=["--cpus-per-task=2"]), tmp_path)
    assert slurm_cluster.jobs()[name]["cpus"] == 2
    urgent = slurm_cluster.run("sbatch", "--parsable", "-p", "urgent", "-c", "2", "--mem=64",
                               f"--output={tmp_path}/urgent.out", "--wrap", "sleep 1").stdout.strip()
    message = failure(job)
    assert f"Slurm job {name} ended PREEMPTED: a job of higher priority took its resources" in message
    assert slurm_cluster.jobs()[name]["job_state"] == "PREEMPTED"
    wait_for(lambda: slurm_cluster.jobs()[urgent]["job_state"] == "COMPLETED", 60, "the urgent job")
