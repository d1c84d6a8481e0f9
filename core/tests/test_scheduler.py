"""The in-process scheduler: concurrency limit, FIFO order, cancellation, failures."""

from __future__ import annotations

import threading
import time

import pytest
from qhpc.interfaces import CancelToken, ExecutionRequest, RunOutput
from qhpc.scheduler import InProcessScheduler
from qhpc_interop import Circuit


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.done = threading.Semaphore(0)

    def callbacks(self, job_id: str) -> dict:
        def log(kind: str):  # type: ignore[no-untyped-def]
            def f(*_: object) -> None:
                with self.lock:
                    self.events.append((job_id, kind))
                if kind != "start":
                    self.done.release()
            return f
        return {"on_start": log("start"), "on_done": log("done"), "on_error": log("error"),
                "on_cancelled": log("cancelled")}


def request(job_id: str) -> ExecutionRequest:
    return ExecutionRequest(job_id, "none", Circuit(1, 1), 1, None, False)


def test_concurrency_limit_and_fifo_order() -> None:
    scheduler = InProcessScheduler(max_workers=2)
    rec = Recorder()
    running = 0
    peak = 0
    lock = threading.Lock()
    started: list[str] = []

    def work(req: ExecutionRequest, token: CancelToken) -> RunOutput:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            started.append(req.job_id)
        time.sleep(0.05)
        with lock:
            running -= 1
        return RunOutput({"0": 1})

    for k in range(6):
        scheduler.submit(request(f"j{k}"), work, **rec.callbacks(f"j{k}"))
    for _ in range(6):
        assert rec.done.acquire(timeout=10)
    scheduler.shutdown()
    assert peak == 2
    assert sorted(started[:2]) == ["j0", "j1"]  # the first two start together
    assert started[2:] == ["j2", "j3", "j4", "j5"]  # the rest in submission order
    assert sorted(e for e in rec.events if e[1] == "done") == [(f"j{k}", "done") for k in range(6)]


def test_cancel_queued_job_never_runs_and_cancel_running_job_discards_its_result() -> None:
    scheduler = InProcessScheduler(max_workers=1)
    rec = Recorder()
    gate = threading.Event()
    entered = threading.Event()
    ran: list[str] = []

    def slow(req: ExecutionRequest, token: CancelToken) -> RunOutput:
        ran.append(req.job_id)
        entered.set()
        gate.wait(10)
        assert token.cancelled  # the running job sees its cancellation
        return RunOutput({"0": 1})

    scheduler.submit(request("running"), slow, **rec.callbacks("running"))
    assert entered.wait(10)
    scheduler.submit(request("queued"), slow, **rec.callbacks("queued"))
    assert scheduler.cancel("queued") is True
    assert scheduler.cancel("running") is True
    gate.set()
    assert rec.done.acquire(timeout=10) and rec.done.acquire(timeout=10)
    scheduler.shutdown()
    assert ran == ["running"]
    assert ("queued", "cancelled") in rec.events and ("running", "cancelled") in rec.events
    assert not any(kind == "done" for _, kind in rec.events)
    assert scheduler.cancel("running") is False  # finished: too late


def test_a_failing_job_reports_and_the_worker_lives_on() -> None:
    scheduler = InProcessScheduler(max_workers=1)
    rec = Recorder()

    def bad(req: ExecutionRequest, token: CancelToken) -> RunOutput:
        raise RuntimeError("device fault")

    def good(req: ExecutionRequest, token: CancelToken) -> RunOutput:
        return RunOutput({"1": 1})

    scheduler.submit(request("bad"), bad, **rec.callbacks("bad"))
    scheduler.submit(request("good"), good, **rec.callbacks("good"))
    assert rec.done.acquire(timeout=10) and rec.done.acquire(timeout=10)
    scheduler.shutdown()
    assert ("bad", "error") in rec.events and ("good", "done") in rec.events


def test_shutdown_without_wait_cancels_the_queue() -> None:
    scheduler = InProcessScheduler(max_workers=1)
    rec = Recorder()
    gate = threading.Event()

    def slow(req: ExecutionRequest, token: CancelToken) -> RunOutput:
        gate.wait(10)
        return RunOutput({"0": 1})

    for k in range(3):
        scheduler.submit(request(f"j{k}"), slow, **rec.callbacks(f"j{k}"))
    time.sleep(0.05)
    scheduler.shutdown(wait=False)
    gate.set()
    for _ in range(3):
        assert rec.done.acquire(timeout=10)
    assert {("j1", "cancelled"), ("j2", "cancelled")} <= set(rec.events)
    with pytest.raises(RuntimeError, match="shut down"):
        scheduler.submit(request("late"), slow, **rec.callbacks("late"))


def test_max_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InProcessScheduler(max_workers=0)
