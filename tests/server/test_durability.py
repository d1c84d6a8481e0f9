"""No accepted job is lost and none completes twice: the server is killed with SIGKILL (API and
executor at once) while clients submit and jobs run, restarted on the same store, and every job
a client was told about is accounted for: DONE exactly once with the right counts, or FAILED
with a reason. Clients retry what they never heard back about with the same idempotency keys,
so a retried submission never becomes a second job."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from qhpc.store import Store
from sqlalchemy import text

from .conftest import Site

pytestmark = pytest.mark.timeout(300)

CLIENTS = 3
PER_CLIENT = 12
SHOTS = 16


def program(k: int) -> tuple[str, str]:
    """Job k's program and the one bitstring it always reads (X on the bits of k)."""
    bits = [(k >> b) & 1 for b in range(3)]
    gates = "".join(f"x q[{b}];\n" for b in range(3) if bits[b])
    qasm = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n{gates}barrier q;\nmeasure q -> c;\n'
    return qasm, "".join(str(bits[b]) for b in reversed(range(3)))


def body(k: int) -> dict[str, Any]:
    slow = k % 4 == 0  # some jobs take a while, so the crash finds jobs running
    return {"program": program(k)[0], "backend": "slowlab.emulator" if slow else "aer.statevector", "shots": SHOTS,
            "seed": k, "idempotency_key": f"job-{k}", **({"options": {"seconds": 0.4}} if slow else {})}


def submit_all(site: Site, keys: list[int], accepted: dict[int, str], stop: threading.Event) -> None:
    with site.http("bob") as http:
        for k in keys:
            if stop.is_set():
                return
            try:
                answer = http.post("/v1/jobs", json=body(k))
            except httpx.HTTPError:
                return  # the server is gone: we do not know whether it took job k
            if answer.status_code in (200, 201):
                accepted[k] = answer.json()["id"]


def crash_and_recover(site: Site, restart: Callable[[], None]) -> None:
    accepted: dict[int, str] = {}
    stop = threading.Event()
    keys = list(range(CLIENTS * PER_CLIENT))
    threads = [threading.Thread(target=submit_all, args=(site, keys[c::CLIENTS], accepted, stop)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    with site.http("bob") as http:  # wait until jobs are both queued and running, then crash
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            running = http.get("/v1/jobs", params={"status": "RUNNING", "limit": 500}).json()["jobs"]
            if len(accepted) >= len(keys) // 2 and running:
                break
            time.sleep(0.05)
    told = dict(accepted)  # what clients were told before the crash
    site.server.kill9()
    stop.set()
    for thread in threads:
        thread.join()
    restart()
    submit_all(site, keys, accepted, threading.Event())  # every key again: old ones replay, lost ones are new
    assert len(accepted) == len(keys)
    assert all(accepted[k] == told[k] for k in told)  # a retried submission is the same job
    with site.http("bob") as http:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            jobs = {j["id"]: j for j in http.get("/v1/jobs", params={"limit": 500}).json()["jobs"]}
            if all(jobs[i]["status"] in ("DONE", "FAILED", "CANCELLED") for i in accepted.values()):
                break
            time.sleep(0.2)
        assert set(jobs) == set(accepted.values())  # no job beyond the keys: none was created twice
        requeued = 0
        for k, job_id in accepted.items():
            info = jobs[job_id]
            events = [e["kind"] for e in http.get(f"/v1/jobs/{job_id}/events").json()["events"]]
            assert info["status"] in ("DONE", "FAILED"), info
            if info["status"] == "FAILED":
                assert info["error"], info
                continue
            counts = http.get(f"/v1/jobs/{job_id}/result").json()["result"]["counts"]
            expected = "111" if body(k)["backend"] == "slowlab.emulator" else program(k)[1]  # slowlab reads all ones
            assert counts == {expected: SHOTS}
            assert events.count("done") == 1 and events[0] == "accepted"
            requeued += events.count("requeued")
    assert requeued >= 1  # the crash did interrupt running jobs, and they ran again
    with Store(site.database) as store, store.db.read() as conn:
        duplicated = conn.execute(text("SELECT count(*) FROM (SELECT idempotency_key FROM jobs GROUP BY user_id, "
                                       "idempotency_key HAVING count(*) > 1) AS d")).scalar_one()
        assert duplicated == 0


@pytest.mark.slow
def test_kill_9_under_load_loses_nothing_sqlite(site_factory: Callable[..., Site]) -> None:
    site = site_factory(users={"bob": False})
    crash_and_recover(site, lambda: site.server.start())


@pytest.mark.slow
def test_kill_9_under_load_loses_nothing_postgresql(site_factory: Callable[..., Site], postgres: Any) -> None:
    site = site_factory(users={"bob": False}, database=postgres.create_database())
    crash_and_recover(site, lambda: site.server.start())


def _executor_pid(config: Path) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"qhpc.server.executor" in command and str(config).encode() in command:
            return int(entry.name)
    raise AssertionError("no executor process found")


def _executing(client: Any, k: int) -> Any:
    """A 2-second job on ``k`` qubits, once the executor has started running it."""
    job = client.submit(program(k)[0], backend="slowlab.emulator", shots=SHOTS, options={"seconds": 2})
    deadline = time.monotonic() + 60
    while job.refresh()["substate"] != "executing" and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


@pytest.mark.slow
def test_a_crashed_executor_is_replaced_and_its_jobs_run_again(site_factory: Callable[..., Site]) -> None:
    site = site_factory(users={"bob": False})
    with site.client("bob") as client:
        job = _executing(client, 5)
        first = _executor_pid(site.config)
        os.kill(first, signal.SIGKILL)
        result = job.result(timeout=120)
        assert result.counts == {"111": SHOTS}
        assert job.refresh()["attempt"] == 2
        kinds = [e if isinstance(e, dict) else e.kind for e in job.events]
        assert [k["kind"] for k in kinds if isinstance(k, dict)].count("requeued") == 1
        assert _executor_pid(site.config) != first
        assert client.health()["executor"] == "running"


def test_a_job_left_running_by_an_executor_that_outlived_its_server_is_recovered(site_factory: Callable[..., Site]) -> None:
    """An executor whose server was killed can take jobs for a moment after the new server's
    executor has started and recovered; those stayed RUNNING for ever (recovery ran only at an
    executor's start). The live executor now looks for them every RECOVER_SECONDS; here a job's
    attempt is handed to an owner that no longer exists, as the orphan's claim leaves it."""
    from sqlalchemy import create_engine

    site = site_factory(users={"bob": False})
    with site.client("bob") as client:
        job = _executing(client, 3)
        engine = create_engine(site.database)
        with engine.begin() as conn:
            taken = conn.execute(text("UPDATE jobs SET owner = 'gone-executor' WHERE status = 'RUNNING'")).rowcount
        engine.dispose()
        assert taken == 1
        result = job.result(timeout=120)  # recovered within RECOVER_SECONDS (10 s), run again
        assert result.counts == {"111": SHOTS} and job.refresh()["attempt"] == 2


def test_a_job_that_crashes_the_executor_fails_alone(site_factory: Callable[..., Site]) -> None:
    """A job whose backend takes the executor process down (a segfault) was retried until
    max_attempts, and each crash used one attempt of every job the executor held, from any user:
    7 of 8 valid jobs failed with 'interrupted 3 times by server restarts'. Jobs the executor had
    recorded as only waiting for a worker are now queued again without counting. One worker here,
    so no valid job runs beside the crashing one (one that does shares the interruption)."""
    site = site_factory(users={"alice": False, "bob": False}, extra={"scheduler": {"max_workers": 1}})
    with site.client("alice") as alice, site.client("bob") as bob:
        crash = alice.submit(program(1)[0], backend="slowlab.emulator", shots=SHOTS, options={"crash": True})
        valid = [bob.submit(program(3)[0], backend="slowlab.emulator", shots=SHOTS, options={"seconds": 0.2})
                 for _ in range(6)]
        for job in valid:
            assert job.result(timeout=180).counts == {"111": SHOTS}
        with pytest.raises(Exception, match=r"interrupted 3 times"):
            crash.result(timeout=180)
        assert all(job.refresh()["status"] == "DONE" for job in valid)


def _niceness(pid: int, tid: int | None = None) -> int:
    path = Path(f"/proc/{pid}/task/{tid}/stat") if tid is not None else Path(f"/proc/{pid}/stat")
    return int(path.read_text().rsplit(")", 1)[1].split()[16])


def _policy(pid: int, tid: int) -> int:
    """A thread's scheduling policy (0: SCHED_OTHER, 5: SCHED_IDLE), from /proc."""
    return int(Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[38])


@pytest.mark.parametrize("idle", [True, False], ids=["sched-idle", "niceness-only"])
def test_the_executor_runs_at_the_configured_niceness_below_the_api(site_factory: Callable[..., Site],
                                                                     idle: bool) -> None:
    # submissions are answered first: the executor yields the processor to the API process
    site = site_factory(users={"bob": False}, extra={"server": {"executor_nice": 7, "executor_idle": idle}})
    with site.client("bob") as client:
        client.submit(program(3)[0], backend="aer.statevector", shots=SHOTS).result(timeout=120)
    assert site.server.process is not None
    api = _niceness(site.server.process.pid)
    assert _policy(site.server.process.pid, site.server.process.pid) == 0
    executor = _executor_pid(site.config)
    assert _niceness(executor) == min(19, api + 7)  # its main thread, and the worker threads it started
    tids = [int(t.name) for t in Path(f"/proc/{executor}/task").iterdir()]
    threads = {tid: (_niceness(executor, tid), _policy(executor, tid)) for tid in tids}
    # ...except the one thread that runs its store transactions (they hold SQLite's write lock)
    normal = [tid for tid, (nice, _) in threads.items() if nice == api]
    assert len(normal) == 1 and len(threads) > 2
    assert threads[normal[0]][1] == 0
    assert {policy for tid, (_, policy) in threads.items() if tid != normal[0]} == {os.SCHED_IDLE if idle else 0}


def test_executor_niceness_outside_0_to_19_is_a_configuration_error(tmp_path: Path) -> None:
    from qhpc.config import load_settings
    from qhpc.errors import ConfigError
    from qhpc.server.testing import write_config

    for bad in (-1, 20, "high"):
        config = write_config(tmp_path / "bad.toml", {"server": {"executor_nice": bad}})
        with pytest.raises(ConfigError, match="executor_nice"):
            load_settings(str(config))
    for bad in ("yes", 1):
        config = write_config(tmp_path / "bad.toml", {"server": {"executor_idle": bad}})
        with pytest.raises(ConfigError, match="executor_idle"):
            load_settings(str(config))


@pytest.mark.slow
def test_sigterm_lets_a_qpu_job_finish_within_the_configured_drain(site_factory: Callable[..., Site]) -> None:
    # the drain was a fixed 10 s: a longer QPU job was cut off and failed on restart ("it may have
    # used the device"), its device time lost; [server] drain_seconds sets it
    site = site_factory(users={"bob": False}, extra={"server": {"drain_seconds": 30}})
    with site.client("bob") as client:
        job = client.submit(program(6)[0], backend="slowlab.qpu", shots=SHOTS, options={"seconds": 12})
        deadline = time.monotonic() + 60
        while job.refresh()["substate"] != "executing" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.refresh()["substate"] == "executing"
    assert site.server.process is not None
    started = time.monotonic()
    site.server.process.send_signal(signal.SIGTERM)
    site.server.process.wait(60)
    assert time.monotonic() - started > 8  # it waited for the job, past the old 10 s limit's reach
    site.server.start()
    with site.client("bob") as client:
        done = client.job(job.id)
        assert done.refresh()["status"] == "DONE" and done.result(timeout=30).counts == {"111": SHOTS}  # slowlab reads all ones
