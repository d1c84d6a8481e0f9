"""Throughput and submit-to-start latency of the Slurm scheduler against the in-process one.

N small jobs (a 3-qubit GHZ circuit, 100 shots, ``aer.statevector``, seed k for job k) go through:

* ``inprocess``: the default scheduler, worker threads in this process;
* ``slurm, one job each``: one ``sbatch`` per job (``Integrator.submit``);
* ``slurm, one array``: all N as one job array (``Integrator.submit_batch``).

For each it prints the time to submit all jobs, the wall time until the last result (and the
throughput, jobs per second), the submit-to-start latency as qhpc sees it (``job.timings
["schedule"]``: from queueing to the scheduler's start callback, so for Slurm it includes the
``poll_interval``), Slurm's own (``start_time - submit_time`` of ``squeue --json``, whole seconds),
and the seconds each Slurm job ran (``end_time - start_time``) against the seconds its backend ran
(``backend_seconds``): the rest is the worker starting Python, qhpc and the SDK on the node.
The counts of every job are checked against the in-process run with the same seed.

Slurm: the cluster ``SLURM_CONF`` names (``--use-existing``), or by default a temporary single-node
cluster started for the run (:class:`qhpc_slurm.localcluster.LocalCluster`, as root, with the
node's CPUs set by ``--cpus``, 2 by default).

Run: ``python benchmarks/slurm.py`` (``--jobs 20`` for a quick look).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from qhpc import Integrator
from qhpc.config import Settings
from qhpc_interop import Circuit
from qhpc_slurm import slurm
from qhpc_slurm.localcluster import LocalCluster

SHOTS = 100


def ghz3() -> Circuit:
    return Circuit(3, 3).h(0).cx(0, 1).cx(1, 2).measure([0, 1, 2], [0, 1, 2])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_variant(integrator: Integrator, n: int, batch: bool) -> dict[str, Any]:
    programs = [ghz3() for _ in range(n)]
    follow = getattr(integrator.scheduler, "slurm_job", None)  # the Slurm scheduler names each job's Slurm job
    names: list[str | None] = []
    start = time.perf_counter()
    if batch:
        jobs = integrator.submit_batch(programs, backend="aer.statevector", shots=SHOTS, seed=7)
        names = [follow(job.id) for job in jobs] if follow is not None else []
    else:
        jobs = []
        for k, p in enumerate(programs):  # the name at once: a job that ended is no longer followed
            jobs.append(integrator.submit(p, backend="aer.statevector", shots=SHOTS, seed=7 + k))
            if follow is not None:
                names.append(follow(jobs[-1].id))
    submitted = time.perf_counter() - start
    if any(name is None for name in names):
        raise SystemExit("a Slurm job ended before its name was read: rerun")
    results = [job.result(timeout=3600) for job in jobs]
    wall = time.perf_counter() - start
    out: dict[str, Any] = {
        "submit": submitted, "wall": wall, "throughput": n / wall,
        "latency": [job.timings["schedule"] for job in jobs], "counts": [r.counts for r in results],
        "backend": [r.metadata["backend_metadata"].get("backend_seconds") for r in results],
    }
    if names:
        records = slurm.squeue()  # finished jobs stay listed for MinJobAge (an hour on the local cluster)
        keys = [(int(name.split("_")[0]), int(name.split("_")[1]) if "_" in name else None)
                for name in names if name is not None]
        submit_times = _submit_times()
        out["slurm_latency"] = [(records[k].start_time or 0) - submit_times[k] for k in keys]
        out["slurm_run"] = [(records[k].end_time or 0) - (records[k].start_time or 0) for k in keys]
    return out


def _submit_times() -> dict[tuple[int, int | None], int]:
    """submit_time of every job slurmctld holds (squeue --json), by key (not in SlurmRecord)."""
    doc = json.loads(subprocess.run(["squeue", "--json"], capture_output=True, text=True, check=True).stdout)
    out: dict[tuple[int, int | None], int] = {}
    for job in doc["jobs"]:
        key = (job["array_job_id"], job["array_task_id"]) if job["array_task_id"] is not None else (job["job_id"], None)
        out[key] = job["submit_time"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="jobs per variant (200)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the temporary Slurm node (2)")
    parser.add_argument("--poll", type=float, default=0.25, help="the Slurm scheduler's poll_interval (0.25 s)")
    parser.add_argument("--use-existing", action="store_true", help="use the cluster SLURM_CONF names")
    parser.add_argument("--plugins", default=None, metavar="A,B",
                        help="QHPC_PLUGINS for every variant and every Slurm job (the allow-list of a batch site, "
                             "e.g. builtin,qiskit,slurm: each job then imports only those); default: as set")
    args = parser.parse_args()
    n = args.jobs
    if args.plugins is not None:
        os.environ["QHPC_PLUGINS"] = args.plugins  # sbatch exports it to the jobs

    with Integrator() as local:
        local.run(ghz3(), backend="aer.statevector", shots=SHOTS, seed=0)  # warm up Aer in this process
        inprocess = run_variant(local, n, batch=False)

    with tempfile.TemporaryDirectory(prefix="qhpc-slurm-bench-") as tmp:
        cluster: LocalCluster | None = None
        if not args.use_existing:
            cluster = LocalCluster(Path(tmp) / "cluster", cpus=args.cpus, memory_mb=4096)
            cluster.start()
            os.environ["SLURM_CONF"] = str(cluster.conf)
        try:
            version = subprocess.run(["sbatch", "--version"], capture_output=True, text=True).stdout.strip()
            variants = {"inprocess": inprocess}
            for label, batch in (("slurm, one job each", False), ("slurm, one array", True)):
                settings = {"work_dir": f"{tmp}/work-{int(batch)}", "poll_interval": args.poll}
                with Integrator(settings=Settings.from_mapping({"scheduler": {"name": "slurm",
                                                                              "slurm": settings}})) as integrator:
                    variants[label] = run_variant(integrator, n, batch)
        finally:
            if cluster is not None:
                cluster.stop()

    expected = inprocess["counts"]
    for label, data in variants.items():
        if batch_label(label):
            assert all(c == expected[0] for c in data["counts"]), f"{label}: counts differ from in-process (seed 7)"
        else:
            assert data["counts"] == expected, f"{label}: counts differ from in-process with the same seeds"

    print(f"{n} jobs: 3-qubit GHZ, {SHOTS} shots, aer.statevector; {version}, single node, {args.cpus} CPUs; "
          f"poll_interval {args.poll:g} s; QHPC_PLUGINS={os.environ.get('QHPC_PLUGINS', '(all)')}; "
          f"{platform.node()} ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end), "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("counts: every job identical to the in-process run with the same seed")
    labels = list(variants)
    print(f"{'':38}" + "".join(f"{label:>22}" for label in labels))
    rows: list[tuple[str, Any]] = [
        ("submit all jobs (s)", lambda d: f"{d['submit']:.2f}"),
        ("wall time to the last result (s)", lambda d: f"{d['wall']:.1f}"),
        ("throughput (jobs/s)", lambda d: f"{d['throughput']:.2f}"),
        ("submit-to-start, qhpc, median (s)", lambda d: f"{statistics.median(d['latency']):.2f}"),
        ("submit-to-start, qhpc, p95 (s)", lambda d: f"{percentile(d['latency'], 0.95):.2f}"),
        ("submit-to-start, first job (s)", lambda d: f"{min(d['latency']):.2f}"),
        ("submit-to-start, Slurm, median (s)", lambda d: _opt(d, "slurm_latency", statistics.median)),
        ("Slurm job run time, median (s)", lambda d: _opt(d, "slurm_run", statistics.median)),
        ("backend run time, median (ms)",
         lambda d: f"{1000 * statistics.median(x for x in d['backend'] if x is not None):.1f}"
         if any(x is not None for x in d["backend"]) else "-"),
    ]
    for title, cell in rows:
        print(f"{title:38}" + "".join(f"{cell(variants[label]):>22}" for label in labels))


def batch_label(label: str) -> bool:
    return "array" in label


def _opt(data: dict[str, Any], key: str, fn: Any) -> str:
    return f"{fn(data[key]):.1f}" if key in data else "-"


if __name__ == "__main__":
    main()
