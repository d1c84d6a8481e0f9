"""The job store on a real SQLite file and a real PostgreSQL database: migrations, transactional
quotas, idempotency keys, conditional completion, recovery, session ordering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from qhpc import QhpcError
from qhpc.store import Completion, NewJob, Progress, Quotas, Store, SubmissionRefused
from qhpc.store.jobs import ActiveBounds
from qhpc.store.migrate import head, upgrade
from sqlalchemy import text


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return request.getfixturevalue("postgres").create_database()  # type: ignore[no-any-return]


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    with Store(url, owner="executor-1") as opened:
        opened.users.add("alice")
        yield opened


def new_job(store: Store, key: str | None = None, *, device: str = "emulator", location: str = "local",
            session: str | None = None, request_hash: str = "h") -> NewJob:
    user = store.users.get("alice")
    return NewJob(user_id=user["id"], user_name="alice", backend="aer.statevector", requested_backend="aer.statevector",
                  device=device, location=location, program="OPENQASM 2.0;", program_format="qasm2", num_qubits=2,
                  shots=10, seed=None, memory=False, parameters={}, options={}, time_limit=None,
                  request_hash=request_hash, idempotency_key=key, session_id=session)


UNLIMITED = Quotas(max_queued=None, qpu_seconds_per_day=None)


def done(claimed: object, status: str = "DONE", seconds: float | None = 0.5) -> Completion:
    return Completion(seq=claimed.seq, attempt=claimed.attempt, user_id=claimed.user_id, status=status,  # type: ignore[attr-defined]
                      backend="aer.statevector", device="emulator", result="{}" if status == "DONE" else None,
                      digest="sha256:0" if status == "DONE" else None, run_seconds=seconds,
                      events=[{"time": time.time(), "kind": status.lower(), "status": status}])


def test_migrations_create_exactly_the_models(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from qhpc.store.models import Base

    with Store(url) as store:
        with store.db.writer.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert upgrade(store.db) == (head(), head())  # applied once, then nothing to do
        with store.db.write() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(QhpcError, match="schema version 9999, which this qhpc does not know"):
            Store(url)


@pytest.mark.parametrize("keyed", [True, False], ids=["in-a-transaction", "alone"])
def test_a_stored_job_holds_exactly_what_was_submitted(store: Store, keyed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL receives new jobs as one JSON document parsed by the server: every column type
    # (64-bit seeds, floats to the last bit, booleans, NULLs, text beyond ASCII) must survive it,
    # in a transaction (an idempotency key is looked up first) and as one statement (the writer's
    # bounds decide the group without reading)
    from qhpc.store.models import JOBS
    from sqlalchemy import select

    bounds = ActiveBounds()
    store.jobs.submit([[new_job(store)]], lambda user: UNLIMITED, bounds=bounds)
    if not keyed and not store.db.is_sqlite:  # the group must not need a transaction
        monkeypatch.setattr(store.db, "write_cursor", None)
    program = 'OPENQASM 3.0;\n// "quoted" \\ back-slashed, tab\t, π, 量子, \U0001F600\nqubit q;\n'
    jobs = [new_job(store, key="k-é" if keyed else None), new_job(store)]
    jobs[0].program, jobs[0].seed, jobs[0].memory, jobs[0].time_limit = program, 2**63 - 1, True, 0.1 + 0.2
    jobs[0].parameters, jobs[0].options = {"θ": 1e-300, "b": -2.5}, {"noise": {"p": 1 / 3}}
    jobs[1].seed, jobs[1].program_format = 0, None
    now = 1_800_000_000.123456789
    (first, _), (second, _) = store.jobs.submit([jobs], lambda user: UNLIMITED, now=now, bounds=bounds)[0]  # type: ignore[misc]
    assert bounds.counts == {jobs[0].user_id: 3} and bounds.last_seq == 3
    with store.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(JOBS).where(JOBS.c.id.in_([first["id"], second["id"]])))}
    for job in jobs:
        row = rows[job.id]
        assert (row.program, row.seed, row.memory, row.time_limit, row.program_format) == (
            job.program, job.seed, job.memory, job.time_limit, job.program_format)
        assert (json.loads(row.parameters), json.loads(row.options)) == (job.parameters, job.options)
        assert (row.idempotency_key, row.request_hash, row.session_id) == (job.idempotency_key, job.request_hash, None)
        assert (row.status, row.attempt, row.owner, row.result, row.digest) == ("QUEUED", 0, None, None, None)
        assert row.created_at == now and row.started_at is None
        assert store.jobs.events(job.id) == [{"time": now, "kind": "accepted", "status": "QUEUED", "attempt": 0}]


def test_idempotency_keys_and_queue_quota_hold_inside_one_transaction(store: Store) -> None:
    quota = Quotas(max_queued=3, qpu_seconds_per_day=None)
    first, again, other, too_many = store.jobs.submit(
        [[new_job(store, "k1")], [new_job(store, "k1")], [new_job(store, "k2"), new_job(store)],
         [new_job(store)]], lambda _: quota)
    assert isinstance(first, list) and isinstance(again, list) and isinstance(other, list)
    assert first[0][0]["id"] == again[0][0]["id"] and (first[0][1], again[0][1]) == (False, True)
    assert isinstance(too_many, SubmissionRefused) and too_many.status == 429 and too_many.quota == "max_queued"
    changed, = store.jobs.submit([[new_job(store, "k1", request_hash="other")]], lambda _: UNLIMITED)
    assert isinstance(changed, SubmissionRefused) and changed.status == 409
    assert sum(store.accounting.jobs_by_state().values()) == 3


def test_the_writers_queue_bounds_refuse_exactly_what_a_count_refuses(store: Store, url: str) -> None:
    """The server's writer keeps upper bounds of queued jobs instead of counting each time: a bound
    that would refuse is checked by counting (jobs finished meanwhile), and jobs another process
    inserted are counted too."""
    quota = Quotas(max_queued=3, qpu_seconds_per_day=None)
    bounds = ActiveBounds()
    made = store.jobs.submit([[new_job(store)], [new_job(store)]], lambda _: quota, bounds=bounds)
    assert all(isinstance(m, list) for m in made)
    user = store.users.get("alice")["id"]
    assert bounds.counts == {user: 2}
    # two jobs finish: the bound (2) would refuse two more, the count (0) accepts them
    for claimed in store.runs.claim(5):
        assert store.runs.record([], [done(claimed)]) == [True]
    accepted = store.jobs.submit([[new_job(store), new_job(store)]], lambda _: quota, bounds=bounds)
    assert isinstance(accepted[0], list) and bounds.counts == {user: 2}
    # another process inserts a job: the next group counts it (3 queued: one more is refused)
    with Store(url) as other:
        assert isinstance(other.jobs.submit([[new_job(other)]], lambda _: quota)[0], list)
    refused, = store.jobs.submit([[new_job(store)]], lambda _: quota, bounds=bounds)
    assert isinstance(refused, SubmissionRefused) and refused.quota == "max_queued"
    assert store.accounting.jobs_by_state() == {"DONE": 2, "QUEUED": 3}


def test_qpu_seconds_are_a_daily_quota(store: Store) -> None:
    quota = Quotas(max_queued=None, qpu_seconds_per_day=1.0)
    store.jobs.submit([[new_job(store, device="qpu")]], lambda _: quota)
    claimed, = store.runs.claim(5)
    used = done(claimed, seconds=1.5)
    used.device = "qpu"
    assert store.runs.record([], [used]) == [True]
    refused, = store.jobs.submit([[new_job(store, device="qpu")]], lambda _: quota)
    assert isinstance(refused, SubmissionRefused) and refused.quota == "qpu_seconds_per_day"
    emulator, = store.jobs.submit([[new_job(store)]], lambda _: quota)  # emulators are not QPU time
    assert isinstance(emulator, list)
    usage, = store.accounting.usage()
    assert usage["user"] == "alice" and usage["device"] == "qpu" and usage["seconds"] == pytest.approx(1.5)


def test_completion_is_conditional_on_the_run_being_current(store: Store, url: str) -> None:
    store.jobs.submit([[new_job(store)], [new_job(store)]], lambda _: UNLIMITED)
    a, b = store.runs.claim(5)
    assert (a.attempt, b.attempt) == (1, 1)
    assert store.runs.record([Progress(a.seq, 1, substate="executing")], [done(a)]) == [True]
    assert store.runs.record([], [done(a)]) == [False]  # completes once only
    info, changed = store.jobs.cancel(b.id, b.user_id)  # type: ignore[misc]
    assert changed and info["status"] == "CANCELLED"
    assert store.runs.record([], [done(b)]) == [False]  # a cancelled job stays cancelled
    assert store.jobs.get(b.id)["status"] == "CANCELLED"  # type: ignore[index]
    # a crash: the next executor recovers what the first left running; the first cannot complete it
    store.jobs.submit([[new_job(store)]], lambda _: UNLIMITED)
    c, = store.runs.claim(5)
    with Store(url, owner="executor-2") as restarted:
        assert restarted.runs.recover(max_attempts=3) == {"requeued": 1, "failed": 0}
        assert store.runs.record([], [done(c)]) == [False]
        again, = restarted.runs.claim(5)
        assert (again.id, again.attempt) == (c.id, 2)
        assert restarted.runs.record([], [done(again)]) == [True]
    events = [e["kind"] for e in store.jobs.events(c.id) or []]
    assert events == ["accepted", "dispatched", "requeued", "discarded", "dispatched", "done"]
    assert store.accounting.jobs_by_state() == {"DONE": 2, "CANCELLED": 1}
    # several completions in one transaction: each counts or not on its own, in order
    store.jobs.submit([[new_job(store)] for _ in range(3)], lambda _: UNLIMITED)
    d, e, f = store.runs.claim(5)
    store.jobs.cancel(e.id, e.user_id)
    assert store.runs.cycle([Progress(f.seq, 1, substate="executing")], [done(d), done(e), done(f)], 0) == \
        ([True, False, True], [])
    assert [store.jobs.get(x.id)["status"] for x in (d, e, f)] == ["DONE", "CANCELLED", "DONE"]  # type: ignore[index]


def test_recovery_fails_what_may_have_used_a_qpu_and_counts_attempts(store: Store, url: str) -> None:
    store.jobs.submit([[new_job(store, device="qpu", location="on-prem")], [new_job(store)],
                       [new_job(store, device="qpu", location="remote")],
                       [new_job(store, device="qpu", location="on-prem")]], lambda _: UNLIMITED)
    qpu, emulator, remote, waiting = store.runs.claim(5)
    # the executor commits "executing" before the device is used; a job still waiting for a worker
    # never reached it (it was failed too, as if it might have)
    store.runs.record([Progress(qpu.seq, 1, substate="executing"), Progress(waiting.seq, 1, substate="waiting")], [])
    store.runs.record([Progress(qpu.seq, 1, substate="waiting")], [])  # late: "executing" is not taken back
    for attempt in range(2, 4):
        with Store(url, owner=f"executor-{attempt}") as restarted:
            restarted.runs.recover(max_attempts=3)
            claimed = restarted.runs.claim(5)
            # requeued; the local QPU's that was executing is not
            assert {c.id for c in claimed} == {emulator.id, remote.id, waiting.id}
    with Store(url, owner="executor-4") as restarted:
        assert restarted.runs.recover(max_attempts=3) == {"requeued": 0, "failed": 3}
    assert "may have used the device" in (store.jobs.get(qpu.id) or {})["error"]
    assert "interrupted 3 times" in (store.jobs.get(emulator.id) or {})["error"]
    assert "interrupted 3 times" in (store.jobs.get(waiting.id) or {})["error"]


def test_a_session_runs_one_job_at_a_time_before_others(store: Store) -> None:
    user = store.users.get("alice")
    session = store.sessions.open(user["id"], "aer.statevector", idle_timeout=60, max_lifetime=600)
    store.jobs.submit([[new_job(store)]], lambda _: UNLIMITED)
    store.jobs.submit([[new_job(store, session=session["id"])] for _ in range(3)], lambda _: UNLIMITED)
    first = store.runs.claim(10)
    assert [c.session_id for c in first] == [session["id"], None]  # session first, then the plain job
    assert store.runs.claim(10, busy_sessions={session["id"]}) == []
    store.runs.record([], [done(first[0])])
    second = store.runs.claim(10)
    assert len(second) == 1 and second[0].session_id == session["id"] and second[0].seq > first[0].seq


def test_an_expired_session_cancels_its_queued_jobs(store: Store) -> None:
    user = store.users.get("alice")
    session = store.sessions.open(user["id"], "aer.statevector", idle_timeout=60, max_lifetime=0.5)
    store.jobs.submit([[new_job(store, session=session["id"])] for _ in range(2)], lambda _: UNLIMITED)
    assert store.sessions.expire(time.time() + 1) == 1
    state = store.sessions.get(session["id"], user["id"])
    assert state is not None and state["status"] == "expired" and "maximum lifetime" in state["reason"]
    assert store.accounting.jobs_by_state() == {"CANCELLED": 2}
    late, = store.jobs.submit([[new_job(store, session=session["id"])]], lambda _: UNLIMITED)
    assert isinstance(late, SubmissionRefused) and late.status == 409


def test_tokens_are_kept_as_hashes_and_can_expire_or_be_revoked(store: Store) -> None:
    token_id, token = store.users.create_token("alice", expires_days=1)
    with store.db.read() as conn:
        stored = conn.execute(text("SELECT hash FROM tokens WHERE id = :i"), {"i": token_id}).scalar_one()
    assert token not in stored and len(stored) == 64
    assert store.users.authenticate(token) is not None
    assert store.users.authenticate(token, now=time.time() + 2 * 86400) is None  # expired
    assert store.users.authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    store.users.revoke_token(token_id)
    assert store.users.authenticate(token) is None
    with pytest.raises(QhpcError, match="revoked already"):
        store.users.revoke_token(token_id)


def test_the_group_commit_waits_for_the_sqlite_write_lock_in_short_steps(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3
    import threading

    from qhpc.store import db

    path = tmp_path / "lock.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    waiter = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.05, lambda: holder.execute("COMMIT")).start()
    cursor = waiter.cursor()
    db._begin_immediate(cursor)  # returns once the other transaction has committed
    cursor.execute("INSERT INTO t VALUES (1)")
    waiter.commit()
    assert waiter.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (db.SQLITE_BUSY_SECONDS * 1000,)
    # a lock never given back: the usual "database is locked" after SQLITE_BUSY_SECONDS
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.2)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db._begin_immediate(waiter.cursor())
    holder.execute("ROLLBACK")
