"""The access server under sustained load, beside the same circuits run in-process.

A real ``qhpc serve`` (API process and executor process) on a loopback port, with a real store:
a SQLite file (WAL, every commit synced) and a throw-away PostgreSQL cluster (``fsync=on``,
``synchronous_commit=on``). Several clients, each a user with their own token, submit small
circuits as fast as the server answers, for a fixed time, each request authenticated and each job
with an idempotency key: first one job per request (``POST /v1/jobs``), then ``--batch`` jobs per
request (``POST /v1/jobs/batch``), each mode on a fresh server and store. A job counts as accepted
when the server answered 201: it is then committed (and synced) in the store. It prints

* jobs/s accepted, and p50/p99 latency per request (sent to answer read, at the client);
* jobs/s completed: accepted jobs run to DONE by the executor, from the first submission to the
  last finish within ``--drain`` seconds after the submissions stop;
* the same circuits in-process (``Integrator.run``, one after the other, and ``Integrator.submit``
  with every job in flight at once) for comparison, and the ratios;
* checks: every accepted job is stored, no idempotency key made two jobs, and results fetched
  from the server (digests verified by the client) equal in-process runs with the same seeds.

The Python clients (httpx) spend about 3 ms of CPU per request themselves, on the same two
cores as the server, so they measure the clients as much as the server. Where C load generators
are installed, one-job submissions are also sent by them, with ``--clients`` connections, one user
and no idempotency keys (they send the same body every time, and a key would make each request a
replay); the same checks apply: each 201 a job stored, none lost:

* ``wrk`` (Debian's ``wrk``): HTTP/1.1, connections kept alive, as ``qhpc.connect`` and other
  HTTP/1.1 clients keep them;
* ApacheBench (``ab``, Debian's ``apache2-utils``): HTTP/1.0, whose connections uvicorn closes
  after each answer (it keeps only HTTP/1.1 ones alive, whatever ``ab -k`` asks), so each request
  also pays a new TCP connection (measured: 1.9-2.1 ms of API CPU per request against 1.3-1.4
  with wrk).

The load average is printed: the numbers are only as good as the machine is quiet.

    python benchmarks/server.py [--clients 4] [--seconds 10] [--batch 20] [--drain 30]
                                [--store sqlite|postgresql|both] [--no-ab] [--no-wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from qhpc import Integrator, Settings
from qhpc.client import Client
from qhpc.server.testing import PostgresCluster, ServerProcess, add_user, free_port, write_config
from qhpc.store import Store
from qhpc.store.models import JOBS
from sqlalchemy import func, select

PLUGINS = ["builtin", "qiskit"]
BACKEND = "aer.statevector"
SHOTS = 100
#: Small circuits, sent as OpenQASM text: a Bell pair, a 3-qubit GHZ state, a rotation.
CIRCUITS = [
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n',
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n'
    "measure q -> c;\n",
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx(0.7) q[0];\nmeasure q -> c;\n',
]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def one_client(url: str, token: str, deadline: float, seed0: int, batch: int,
                     out: list[tuple[float, str, int]], latencies: list[float], refused: list[int]) -> None:
    """Submit until ``deadline``, one request at a time (one job, or ``batch`` jobs through
    ``/v1/jobs/batch``); record (answer time, job id, seed) of each job accepted."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        k = 0
        while time.perf_counter() < deadline:
            bodies: list[dict[str, Any]] = []
            for _ in range(batch):
                bodies.append({"program": CIRCUITS[k % len(CIRCUITS)], "backend": BACKEND, "shots": SHOTS,
                               "seed": seed0 + k, "idempotency_key": uuid.uuid4().hex})
                k += 1
            start = time.perf_counter()
            if batch == 1:
                answer = await http.post("/v1/jobs", json=bodies[0])
            else:
                answer = await http.post("/v1/jobs/batch", json={"jobs": bodies})
            end = time.perf_counter()
            if answer.status_code == 201:
                latencies.append(end - start)
                infos = [answer.json()] if batch == 1 else answer.json()["jobs"]
                out.extend((time.time(), info["id"], int(body["seed"])) for info, body in zip(infos, bodies))
            else:
                refused.append(answer.status_code)


async def load(url: str, tokens: list[str], seconds: float, batch: int = 1) -> tuple[
        list[tuple[float, str, int]], list[float], list[int], float, float]:
    accepted: list[tuple[float, str, int]] = []
    latencies: list[float] = []
    refused: list[int] = []
    t0_wall, t0 = time.time(), time.perf_counter()
    await asyncio.gather(*(one_client(url, tok, t0 + seconds, 1_000_000 * (k + 1), batch, accepted, latencies,
                                      refused) for k, tok in enumerate(tokens)))
    return accepted, latencies, refused, time.perf_counter() - t0, t0_wall


def ab_load(url: str, token: str, seconds: float, clients: int, work: Path) -> dict[str, Any]:
    """One-job submissions by ApacheBench for ``seconds``: its counts and latency percentiles."""
    body = work / "ab-body.json"
    body.write_text(json.dumps({"program": CIRCUITS[0], "backend": BACKEND, "shots": SHOTS, "seed": 7}))
    answer = subprocess.run(
        ["ab", "-q", "-k", "-c", str(clients), "-t", f"{seconds:g}", "-n", "100000000", "-p", str(body),
         "-T", "application/json", "-H", f"Authorization: Bearer {token}", f"{url}/v1/jobs"],
        capture_output=True, text=True, check=True).stdout

    def number(label: str) -> float:
        match = re.search(rf"^{re.escape(label)}:\s+([0-9.]+)", answer, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    percent = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", answer, re.MULTILINE))
    complete, non_2xx = int(number("Complete requests")), int(number("Non-2xx responses"))
    # ab's "failed" also counts answers whose length differs from the first one's (job ids and
    # times differ): only connection, receive and exception failures are requests not answered
    broken = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", answer)
    lost = sum(int(x) for x in broken.groups()) if broken else 0
    return {"elapsed": number("Time taken for tests"), "accepted": complete - non_2xx - lost, "refused": non_2xx + lost,
            "p50_ms": float(percent.get("50", "nan")), "p99_ms": float(percent.get("99", "nan"))}


def _milliseconds(text: str) -> float:
    """wrk's ``6.61ms``, ``812.00us`` or ``1.02s`` in ms."""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s)", text)
    if match is None:
        return float("nan")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def wrk_load(url: str, token: str, seconds: float, clients: int, work: Path) -> dict[str, Any]:
    """One-job submissions by wrk for ``seconds`` (HTTP/1.1, kept alive): its counts and latency percentiles."""
    body = json.dumps({"program": CIRCUITS[0], "backend": BACKEND, "shots": SHOTS, "seed": 7})
    script = work / "wrk-post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n'
                      f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    answer = subprocess.run(
        ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds:g}s", "--latency", "-s", str(script),
         f"{url}/v1/jobs"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+) requests in ([0-9.]+)(ms|s)", answer)
    if found is None:
        raise RuntimeError(f"cannot read wrk's answer:\n{answer}")
    complete, elapsed = int(found.group(1)), float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", answer)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", answer)
    refused = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(int(x) for x in errors.groups()) if errors else 0)
    percent = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", answer, re.MULTILINE))
    return {"elapsed": elapsed, "accepted": complete - (int(non_2xx.group(1)) if non_2xx else 0), "refused": refused,
            "p50_ms": _milliseconds(percent.get("50", "")), "p99_ms": _milliseconds(percent.get("99", ""))}


def measure_c(server: ServerProcess, database: str, token: str, seconds: float, clients: int, drain: float,
              work: Path, tool: str) -> dict[str, Any]:
    assert server.process is not None
    api = server.process.pid
    executor = children(api)
    api_cpu, executor_cpu = cpu_seconds(api), sum(cpu_seconds(p) for p in executor)
    t0 = time.time()
    found = (wrk_load if tool == "wrk" else ab_load)(server.url, token, seconds, clients, work)
    api_cpu = cpu_seconds(api) - api_cpu
    accepted = found["accepted"]
    states, last = finish_times(database, t0, accepted, timeout=drain)
    executor_cpu = sum(cpu_seconds(p) for p in executor) - executor_cpu
    done = states.get("DONE", 0)
    elapsed = found["elapsed"]
    return {"batch": 1, "loader": tool, "accepted": accepted, "seconds": elapsed,
            "accepted_per_s": accepted / elapsed, "p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"],
            "refused": found["refused"], "completed_per_s": done / max(1e-9, last - t0) if done else 0.0,
            "done": done, "done_in_window": done_by(database, t0, t0 + elapsed), "states": states,
            # a C loader gives no job ids: every answered 201 must be a stored job; it abandons the
            # requests in flight when its time is up, so up to one per connection may be stored unanswered
            "all_stored": accepted <= sum(states.values()) <= accepted + clients, "duplicates": 0,
            "results_match": None, "stored": sum(states.values()),
            "api_cpu_ms": 1000 * api_cpu / max(1, accepted), "executor_cpu_ms": 1000 * executor_cpu / max(1, done)}


def finish_times(database: str, since: float, expected: int, timeout: float) -> tuple[dict[str, int], float]:
    """Wait until every job submitted since ``since`` is final; (their states, their last finish time)."""
    deadline = time.monotonic() + timeout
    mine = JOBS.c.created_at >= since
    with Store(database, migrate=False) as store:
        while True:
            with store.db.read() as conn:
                states: dict[str, int] = dict(conn.execute(  # type: ignore[arg-type]
                    select(JOBS.c.status, func.count()).where(mine).group_by(JOBS.c.status)).all())
                last = conn.execute(select(func.max(JOBS.c.finished_at)).where(mine)).scalar() or 0.0
            active = states.get("QUEUED", 0) + states.get("RUNNING", 0)
            if (active == 0 and sum(states.values()) >= expected) or time.monotonic() > deadline:
                return {k: int(v) for k, v in states.items()}, float(last)
            time.sleep(0.2)


def done_by(database: str, since: float, when: float) -> int:
    """Jobs submitted since ``since`` and done by ``when``."""
    with Store(database, migrate=False) as store, store.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(JOBS).where(
            JOBS.c.status == "DONE", JOBS.c.created_at >= since, JOBS.c.finished_at <= when)).scalar_one())


def in_process(seconds: float) -> dict[str, float]:
    """The same circuits through an in-process integrator: one at a time, then all in flight."""
    with Integrator(settings=Settings.from_mapping({"plugins": {"enabled": PLUGINS}})) as it:
        for k in range(20):  # warm: plugins loaded, programs read once
            it.run(CIRCUITS[k % len(CIRCUITS)], backend=BACKEND, shots=SHOTS, seed=k)
        latencies: list[float] = []
        start = time.perf_counter()
        k = 0
        while time.perf_counter() - start < seconds:
            t = time.perf_counter()
            it.run(CIRCUITS[k % len(CIRCUITS)], backend=BACKEND, shots=SHOTS, seed=k)
            latencies.append(time.perf_counter() - t)
            k += 1
        sequential = k / (time.perf_counter() - start)
        n = max(100, k)
        start = time.perf_counter()
        jobs = [it.submit(CIRCUITS[j % len(CIRCUITS)], backend=BACKEND, shots=SHOTS, seed=j) for j in range(n)]
        submitted = time.perf_counter() - start
        for job in jobs:
            job.result()
        concurrent = n / (time.perf_counter() - start)
    return {"run_per_s": sequential, "run_p50": percentile(latencies, 0.5), "run_p99": percentile(latencies, 0.99),
            "submit_all_per_s": concurrent, "submit_only_per_s": n / submitted}


def local_counts(seeds: list[tuple[int, int]]) -> dict[int, dict[str, int]]:
    with Integrator(settings=Settings.from_mapping({"plugins": {"enabled": PLUGINS}})) as it:
        return {seed: it.run(CIRCUITS[k % len(CIRCUITS)], backend=BACKEND, shots=SHOTS, seed=seed).counts
                for seed, k in seeds}


def measure(server: ServerProcess, database: str, tokens: list[str], seconds: float, batch: int,
            drain: float) -> dict[str, Any]:
    assert server.process is not None
    api = server.process.pid
    executor = children(api)
    api_cpu, executor_cpu = cpu_seconds(api), sum(cpu_seconds(p) for p in executor)
    accepted, latencies, refused, elapsed, t0 = asyncio.run(load(server.url, tokens, seconds, batch))
    api_cpu = cpu_seconds(api) - api_cpu
    ids = {job_id for _, job_id, _ in accepted}
    states, last = finish_times(database, t0, len(ids), timeout=drain)
    executor_cpu = sum(cpu_seconds(p) for p in executor) - executor_cpu
    done_in_window = done_by(database, t0, t0 + elapsed)
    # results through the client (digest verified) against in-process runs with the same seeds
    with Store(database, migrate=False) as store, store.db.read() as conn:
        finished = {r[0] for r in conn.execute(select(JOBS.c.id).where(JOBS.c.created_at >= t0,
                                                                       JOBS.c.status == "DONE"))}
        stored = {r[0] for r in conn.execute(select(JOBS.c.id).where(JOBS.c.created_at >= t0))}
        duplicates = conn.execute(select(func.count()).select_from(
            select(JOBS.c.idempotency_key).group_by(JOBS.c.user_id, JOBS.c.idempotency_key)
            .having(func.count() > 1).subquery())).scalar_one()
    mine = [(job_id, seed) for _, job_id, seed in accepted if seed < 2_000_000 and job_id in finished]
    sample = mine[:: max(1, len(mine) // 12)][:12]
    expected = local_counts([(seed, seed % 1_000_000) for _, seed in sample])
    with Client(server.url, tokens[0], settings=Settings()) as client:
        same = bool(sample) and all(client.job(job_id).result(timeout=60).counts == expected[seed]
                                    for job_id, seed in sample)
    done = states.get("DONE", 0)
    return {"batch": batch, "accepted": len(accepted), "seconds": elapsed, "accepted_per_s": len(accepted) / elapsed,
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "refused": len(refused), "completed_per_s": done / max(1e-9, last - t0) if done else 0.0,
            "done": done, "done_in_window": done_in_window, "states": states, "all_stored": ids <= stored,
            "duplicates": int(duplicates), "results_match": same,
            "api_cpu_ms": 1000 * api_cpu / max(1, len(accepted)), "executor_cpu_ms": 1000 * executor_cpu / max(1, done)}


def bench_store(kind: str, clients: int, seconds: float, batch: int, drain: float, work: Path,
                cluster: PostgresCluster | None, loader: str = "httpx") -> dict[str, Any]:
    """One mode on a fresh server and store (``loader``: the Python clients, ``wrk`` or ``ab``)."""
    name = f"{kind}-{batch}-{loader}"
    database = cluster.create_database(f"qhpc_bench_{batch}_{loader}") if cluster else f"sqlite:///{work / name}.db"
    port = free_port()
    config = write_config(work / f"{name}.toml", {
        "plugins": {"enabled": PLUGINS},
        "server": {"database": database, "host": "127.0.0.1", "port": port},
        "quotas": {"max_queued": 1_000_000}})
    tokens = [add_user(database, f"user{k}") for k in range(clients)]
    with ServerProcess(config, port, log=work / f"{name}.log").start() as server:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens[0]}"}) as http:
            http.get("/v1/backends", timeout=120)  # plugins loaded before the clock starts
        asyncio.run(load(server.url, tokens, 1.0, batch))  # warm-up: not counted
        finish_times(database, 0.0, 0, timeout=drain)
        if loader in ("wrk", "ab"):
            return {"store": kind, **measure_c(server, database, tokens[0], seconds, clients, drain, work, loader)}
        return {"store": kind, "loader": "httpx", **measure(server, database, tokens, seconds, batch, drain)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=20, help="jobs per request in the batch run (0: no batch run)")
    parser.add_argument("--drain", type=float, default=30.0,
                        help="seconds to wait, after the submissions, for the accepted jobs to finish")
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--no-ab", action="store_true", help="no ApacheBench run even where ab is installed")
    parser.add_argument("--no-wrk", action="store_true", help="no wrk run even where wrk is installed")
    args = parser.parse_args()
    use_ab = not args.no_ab and shutil.which("ab") is not None
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    c_loaders = (["wrk"] if use_wrk else []) + (["ab"] if use_ab else [])
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at "
          f"start; {args.clients} clients, {args.seconds:g} s per run, {BACKEND}, {SHOTS} shots, 1-3 qubits")
    local = in_process(min(args.seconds, 5.0))
    batches = [1] + ([args.batch] if args.batch > 1 else [])
    rows = []
    for kind in (["sqlite", "postgresql"] if args.store == "both" else [args.store]):
        if kind == "postgresql" and not PostgresCluster.available():
            print("postgresql: initdb/pg_ctl not found, skipped")
            continue
        cluster = PostgresCluster().start() if kind == "postgresql" else None
        try:
            with tempfile.TemporaryDirectory(prefix="qhpc-bench-") as work:
                for batch in batches:
                    rows.append(bench_store(kind, args.clients, args.seconds, batch, args.drain, Path(work), cluster))
                for tool in c_loaders:
                    rows.append(bench_store(kind, args.clients, args.seconds, 1, args.drain, Path(work), cluster,
                                            loader=tool))
        finally:
            if cluster is not None:
                cluster.stop()
    print(f"\n{'':36}{'jobs/s accepted':>16}{'p50 ms':>9}{'p99 ms':>9}{'jobs/s completed':>18}")
    for r in rows:
        label = f"server, {r['store']}, " + ("1 job/request" if r["batch"] == 1 else f"{r['batch']} jobs/request")
        label += f", {r['loader']}" if r["loader"] != "httpx" else ""
        print(f"{label:<36}{r['accepted_per_s']:>16.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['completed_per_s']:>18.0f}")
    print(f"{'in-process Integrator.run':<36}{'':>16}{1000 * local['run_p50']:>9.1f}{1000 * local['run_p99']:>9.1f}"
          f"{local['run_per_s']:>18.0f}")
    print(f"{'in-process Integrator.submit, all':<36}{local['submit_only_per_s']:>16.0f}{'':>18}"
          f"{local['submit_all_per_s']:>18.0f}")
    print("(p50/p99: per request, sent to answered, at the client; in-process: per Integrator.run call)")
    for r in rows:
        print(f"\n{r['store']}, {r['batch']} job(s)/request, {r['loader']}: {r['accepted']} jobs accepted in {r['seconds']:.1f} s, "
              f"{r['refused']} requests refused; {r['done_in_window']} done when the submissions stopped, "
              f"{r['done']} within --drain; states then {r['states']}")
        print(f"  CPU per job: API process {r['api_cpu_ms']:.2f} ms while accepting (one core to itself would "
              f"accept {1000 / max(1e-9, r['api_cpu_ms']):.0f} jobs/s), executor {r['executor_cpu_ms']:.1f} ms per "
              "job run (its simulations included)")
        if r["loader"] != "httpx":
            print(f"  {r['stored']} jobs stored ({r['loader']} abandons at most one request per connection at its "
                  "time limit)")
        print(f"  every accepted job stored: {r['all_stored']}; duplicated idempotency keys: {r['duplicates']}; "
              f"results equal in-process runs (digests verified): "
              f"{'not checked (' + r['loader'] + ')' if r['results_match'] is None else r['results_match']}")
        print(f"  ratios to in-process Integrator.run: accepted/s {r['accepted_per_s'] / local['run_per_s']:.2f}, "
              f"completed/s {r['completed_per_s'] / local['run_per_s']:.2f}, "
              f"p50 latency {r['p50_ms'] / (1000 * local['run_p50']):.2f}")
    if not use_wrk and not args.no_wrk:
        print("\nwrk not found: apt-get install wrk for the C load generator's rows (HTTP/1.1, kept alive)")
    if not use_ab and not args.no_ab:
        print("\nab (ApacheBench) not found: apt-get install apache2-utils for the C load generator's rows")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (other processes share these cores)")


if __name__ == "__main__":
    main()
