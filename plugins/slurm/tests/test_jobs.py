"""Jobs through a real Slurm cluster: the same counts as in-process, job arrays, cancellation,
licenses, the QRMI environment, accounting, and the failures of single jobs (a killed worker, the
memory limit, no result, the time limit). Expectations come from outside the plugin: in-process
runs with the same seed, Slurm's own ``squeue --json``, timestamps the jobs wrote.

The time-limit job needs a minute or more (Slurm counts whole minutes and checks them about every
30 s): a module fixture submits it before the first test and the last test waits for its end, so
that minute runs beside the other tests.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qhpc import Integrator, Job, JobStatus
from qhpc.config import Settings
from qhpc.errors import JobCancelledError, JobRejectedError, JobTimeLimitError
from qhpc_interop import Circuit
from qhpc_slurm import slurm

from .conftest import Cluster, failure, running_sleeper, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def time_limit_job(slurm_cluster: Cluster, test_backends: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Job, str, Path]]:
    """A job with a time limit of 1 s and no startup allowance: Slurm's limit is 1 minute."""
    work = tmp_path_factory.mktemp("time-limit")
    settings = {"work_dir": str(work), "poll_interval": 0.5, "startup_seconds": 0}
    integrator = Integrator(settings=Settings.from_mapping({"scheduler": {"name": "slurm", "slurm": settings}}))
    job = integrator.submit(bell(), backend="slurmtest.sleeper", shots=10, time_limit=1)
    name = integrator.scheduler.slurm_job(job.id)  # type: ignore[attr-defined]
    assert name is not None
    yield job, name, work
    integrator.close(wait=False)


def bell() -> Circuit:
    return Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])


def ghz(n: int) -> Circuit:
    circuit = Circuit(n, n).h(0)
    for q in range(n - 1):
        circuit.cx(q, q + 1)
    return circuit.measure(list(range(n)), list(range(n)))


def rotations(theta: float) -> Circuit:
    return Circuit(3, 3).ry(theta, 0).rx(2 * theta, 1).cx(0, 2).h(1).measure([0, 1, 2], [0, 1, 2])


def accounting(work: Path) -> list[dict[str, Any]]:
    path = work / "accounting.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_job_runs_through_slurm_with_the_counts_it_has_in_process(slurm_cluster: Cluster, slurm_integrator: Any,
                                                                      tmp_path: Path) -> None:
    with Integrator() as local:
        expected = local.run(ghz(3), backend="aer.statevector", shots=500, seed=11)
    integrator = slurm_integrator()
    job = integrator.submit(ghz(3), backend="aer.statevector", shots=500, seed=11)
    name = integrator.scheduler.slurm_job(job.id)
    assert name is not None and name in slurm_cluster.jobs()  # Slurm holds it as a batch job
    result = job.result(timeout=120)
    assert result.counts == expected.counts and sum(result.counts.values()) == 500
    assert job.timings["schedule"] > 0 and job.timings["run"] > 0
    info = result.metadata["backend_metadata"]["slurm"]
    assert info["slurm_job"] == name and info["licenses"] == [] and info["qpu_seconds"] == 0.0
    assert 0 < result.metadata["backend_metadata"]["backend_seconds"] < job.timings["run"]
    wait_for(lambda: slurm_cluster.jobs()[name]["job_state"] == "COMPLETED", 30, "Slurm's COMPLETED")
    raw = slurm_cluster.jobs()[name]
    assert raw["exit_code"] == 0
    record = slurm.squeue()[(int(name), None)]  # the plugin reads squeue --json as Slurm wrote it
    assert (record.state, record.exit_status, record.signal, record.start_time, record.end_time, record.nodes) == (
        "COMPLETED", 0, None, raw["start_time"], raw["end_time"], raw["nodes"])
    line, = accounting(tmp_path / "work")
    assert (line["qhpc_job"], line["slurm_job"], line["status"], line["backend"]) == (
        job.id, name, "DONE", "aer.statevector")
    # a job that succeeded leaves nothing behind but the accounting
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["accounting.jsonl"]


def test_a_batch_becomes_one_job_array_with_the_in_process_counts(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    programs = [rotations(0.3 * k) for k in range(3)]
    with Integrator() as local:
        expected = [local.run(p, backend="aer.statevector", shots=300, seed=5).counts for p in programs]
    integrator = slurm_integrator()
    jobs = integrator.submit_batch(programs, backend="aer.statevector", shots=300, seed=5)
    names = [integrator.scheduler.slurm_job(job.id) for job in jobs]
    array_id = names[0].split("_")[0]
    assert names == [f"{array_id}_{k}" for k in range(3)]
    results = [job.result(timeout=180) for job in jobs]
    assert [r.counts for r in results] == expected
    seen = slurm_cluster.jobs()
    assert {seen[n]["array_job_id"] for n in names} == {int(array_id)}
    assert sorted(seen[n]["array_task_id"] for n in names) == [0, 1, 2]


def test_a_batch_with_a_refused_program_queues_nothing(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    integrator = slurm_integrator()
    before = set(slurm_cluster.jobs())
    with pytest.raises(JobRejectedError) as refused:
        integrator.submit_batch([ghz(2), Circuit(2, 0).h(0)], backend="aer.statevector", shots=10)
    assert "measures nothing" in str(refused.value) and "program 1 of the batch" in "".join(refused.value.__notes__)
    assert set(slurm_cluster.jobs()) == before


def test_cancel_ends_a_running_job_at_once_and_scancels_it(slurm_cluster: Cluster, slurm_integrator: Any,
                                                           tmp_path: Path) -> None:
    integrator = slurm_integrator()
    started = tmp_path / "started"
    job = integrator.submit(ghz(2), backend="slurmtest.sleeper", shots=10, options={"started": str(started)})
    name = integrator.scheduler.slurm_job(job.id)
    wait_for(started.exists, 90, "the backend's start")
    wait_for(lambda: job.status is JobStatus.RUNNING, 10, "RUNNING")
    begin = time.monotonic()
    assert job.cancel()
    assert job.status is JobStatus.CANCELLED and time.monotonic() - begin < 1.0
    with pytest.raises(JobCancelledError):
        job.result(timeout=1)
    wait_for(lambda: slurm_cluster.jobs()[name]["job_state"] == "CANCELLED", 30, "Slurm's CANCELLED")
    assert not job.cancel()  # already over


def test_a_job_cancelled_outside_qhpc_fails_saying_so(slurm_cluster: Cluster, slurm_integrator: Any,
                                                      tmp_path: Path) -> None:
    job, name, _ = running_sleeper(slurm_integrator(), tmp_path)
    slurm_cluster.run("scancel", name)  # an administrator, or the user with Slurm's own tools
    assert f"Slurm job {name} was CANCELLED outside qhpc" in failure(job)
    assert slurm_cluster.jobs()[name]["job_state"] == "CANCELLED"


def test_a_queued_job_has_the_site_options_and_cancel_ends_it(slurm_cluster: Cluster, slurm_integrator: Any,
                                                              tmp_path: Path) -> None:
    integrator = slurm_integrator(partition="urgent", account="proj42", qos="high",
                                  sbatch_options=["--hold", "--comment=from-site"],  # held: it stays PENDING
                                  backend_options={"aer.statevector": ["--nice=7"]})
    job = integrator.submit(ghz(2), backend="aer.statevector", shots=10)
    name = integrator.scheduler.slurm_job(job.id)
    seen = slurm_cluster.jobs()[name]
    assert (seen["job_state"], seen["partition"], seen["account"], seen["comment"], seen["nice"]) == (
        "PENDING", "urgent", "proj42", "from-site", 7)
    # Slurm keeps no QoS without accounting storage (it records an empty one): the command line shows it
    submitted = (tmp_path / "work" / f"{job.id}.sh").read_text().splitlines()[2]
    assert "--partition=urgent --account=proj42 --qos=high" in submitted and "--hold --comment=from-site" in submitted
    assert job.cancel() and job.status is JobStatus.CANCELLED
    wait_for(lambda: slurm_cluster.jobs()[name]["job_state"] == "CANCELLED", 30, "Slurm's CANCELLED")


def test_qpu_jobs_are_serialised_by_their_slurm_license(slurm_cluster: Cluster, slurm_integrator: Any,
                                                        tmp_path: Path) -> None:
    stamps = tmp_path / "stamps"
    integrator = slurm_integrator(licenses={"slurmtest.qpu": "qpu_test"})
    options = {"stamps": str(stamps), "hold": 2.0}
    jobs = [integrator.submit(ghz(2), backend="slurmtest.qpu", shots=100, seed=k, options=options) for k in range(2)]
    names = [integrator.scheduler.slurm_job(job.id) for job in jobs]
    reasons: set[str] = set()

    def over() -> bool:
        seen = slurm_cluster.jobs()
        reasons.update(seen[n]["state_reason"] for n in names if seen[n]["job_state"] == "PENDING")
        return all(job.done() for job in jobs)

    wait_for(over, 180, "both QPU jobs")
    assert [job.status for job in jobs] == [JobStatus.DONE, JobStatus.DONE]
    assert "Licenses" in reasons  # Slurm held one back for the license (the node has 2 CPUs for both)
    assert all(slurm_cluster.jobs()[n]["licenses"] == "qpu_test:1" for n in names)
    intervals = sorted((float(start), float(end)) for _, _, start, end in
                       (line.split() for line in stamps.read_text().splitlines()))
    assert len(intervals) == 2 and intervals[0][1] <= intervals[1][0]  # the QPU runs did not overlap
    for job in jobs:
        info = job.result().metadata["backend_metadata"]["slurm"]
        assert info["licenses"] == ["qpu_test"] and info["qpu_seconds"] >= 2.0
    lines = accounting(tmp_path / "work")
    assert sorted(line["slurm_job"] for line in lines) == sorted(names)
    assert all(line["licenses"] == ["qpu_test"] and line["qpu_seconds"] >= 2.0 for line in lines)


def test_the_qrmi_allocation_decides_which_qpus_a_job_may_use(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    """What QRMI's SPANK plugin sets for ``--qpu=test_qpu`` (passed here with --export): the worker
    runs that QPU and refuses another (emulators run as usual: test_worker_qrmi.py)."""
    integrator = slurm_integrator(sbatch_options=[
        "--export=ALL,QRMI_JOB_QPU_RESOURCES=test_qpu,QRMI_JOB_QPU_TYPES=direct-access"])
    allowed, refused = (integrator.submit(ghz(2), backend=backend, shots=20, seed=1)
                        for backend in ("slurmtest.qpu", "slurmtest.otherqpu"))
    assert sum(allowed.result(timeout=120).counts.values()) == 20
    message = failure(refused)
    assert "QRMI_JOB_QPU_RESOURCES: test_qpu (direct-access)" in message and "slurmtest.otherqpu" in message
    assert "--qpu=other_qpu" in message


def test_slurm_refusing_a_job_rejects_it_at_submission(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    integrator = slurm_integrator(licenses={"slurmtest.qpu": "qpu_missing"})
    with pytest.raises(JobRejectedError, match="Invalid license specification"):
        integrator.submit(ghz(2), backend="slurmtest.qpu", shots=10)


def test_a_killed_worker_fails_the_job_with_the_signal(slurm_cluster: Cluster, slurm_integrator: Any,
                                                       tmp_path: Path) -> None:
    job, name, pid = running_sleeper(slurm_integrator(), tmp_path)
    os.kill(pid, signal.SIGKILL)  # what the kernel's OOM killer, or a crash, does to a process
    message = failure(job)
    assert f"Slurm job {name} ended FAILED: killed by signal 9 (SIGKILL)" in message
    assert slurm_cluster.jobs()[name]["job_state"] == "FAILED"
    assert slurm_cluster.jobs()[name]["exit_code"] & 0x7F == signal.SIGKILL


def test_a_job_over_its_memory_fails_with_out_of_memory(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    integrator = slurm_integrator(memory_overhead=300)  # --mem=301M for a 2-qubit job; the hog takes 700 MiB
    job = integrator.submit(bell(), backend="slurmtest.hog", shots=10, options={"mib": 700, "hold": 10})
    name = integrator.scheduler.slurm_job(job.id)
    message = failure(job)
    assert f"Slurm job {name} ended OUT_OF_MEMORY: it used more than its 301 MiB" in message
    assert "exceeded memory limit" in message  # slurmstepd's own words
    assert slurm_cluster.jobs()[name]["exit_code"] & 0x7F == signal.SIGKILL


def test_a_job_that_ends_without_a_result_fails_saying_so(slurm_cluster: Cluster, slurm_integrator: Any) -> None:
    integrator = slurm_integrator(command=["/bin/true"], result_wait=1.0)  # "runs" without writing a result
    job = integrator.submit(bell(), backend="aer.statevector", shots=10)
    name = integrator.scheduler.slurm_job(job.id)
    message = failure(job)
    assert f"Slurm job {name} ended COMPLETED with exit status 0 without writing its result" in message
    assert slurm_cluster.jobs()[name]["job_state"] == "COMPLETED"


# -- last: the time-limit job the module fixture started ------------------------------------------


def test_the_time_limit_ends_the_job_with_slurm_timeout(slurm_cluster: Cluster,
                                                        time_limit_job: tuple[Job, str, Path]) -> None:
    job, name, work = time_limit_job
    with pytest.raises(JobTimeLimitError) as error:
        job.result(timeout=180)
    message = str(error.value)
    assert f"Slurm job {name} ended TIMEOUT: it ran past its Slurm time limit of 1 min" in message
    seen = slurm_cluster.jobs()[name]
    assert (seen["job_state"], seen["state_reason"], seen["time_limit"]) == ("TIMEOUT", "TimeLimit", 1)
    assert seen["end_time"] - seen["start_time"] >= 60
    line, = (json.loads(text) for text in (work / "accounting.jsonl").read_text().splitlines())
    assert (line["slurm_job"], line["status"], line["slurm_state"]) == (name, "FAILED", "TIMEOUT")
    # a failed job keeps its request, script and Slurm output for diagnosis
    assert all((work / f"{job.id}{suffix}").exists() for suffix in (".json", ".sh", ".out"))
