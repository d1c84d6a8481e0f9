"""The job store's tables (SQLAlchemy 2 declarative models). The migrations in ``migrations/``
create exactly these; ``tests/server/test_store.py`` checks that they agree.

Times are seconds since the epoch (floats). JSON columns hold text the store writes itself
(canonical JSON), so the result digest is computed over exactly the stored bytes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Double, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: An auto-incrementing 64-bit key (INTEGER PRIMARY KEY on SQLite, where only that auto-increments).
SERIAL = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Double)


class Token(Base):
    """An API token: only the SHA-256 of the secret is kept; ``id`` is public (revocation names it)."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    revoked_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class Job(Base):
    """A job: the request as accepted, its state, and its outcome.

    ``attempt`` counts the runs an executor started; ``owner`` is the executor running it now.
    Completion is written only ``WHERE status = 'RUNNING' AND owner = :me AND attempt = :n``, so a
    job completes at most once, whatever crashes and re-runs happen.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
        Index("ix_jobs_claim", "status", "priority", "seq"),
        Index("ix_jobs_user", "user_id", "seq"),
        Index("ix_jobs_user_status", "user_id", "status"),
        Index("ix_jobs_backend_status", "backend", "status"),
        Index("ix_jobs_session", "session_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    substate: Mapped[str | None] = mapped_column(String(16), nullable=True)
    backend: Mapped[str] = mapped_column(String(200))  # the backend that runs it (or "auto")
    requested_backend: Mapped[str] = mapped_column(String(200))
    device: Mapped[str] = mapped_column(String(16))  # "qpu" or "emulator": decides re-runs and accounting
    location: Mapped[str] = mapped_column(String(16))  # "local", "on-prem" or "remote"
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    program: Mapped[str] = mapped_column(Text)
    program_format: Mapped[str | None] = mapped_column(String(64), nullable=True)
    num_qubits: Mapped[int] = mapped_column(Integer)
    shots: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    memory: Mapped[bool] = mapped_column(Boolean, default=False)
    parameters: Mapped[str] = mapped_column(Text)  # JSON object
    options: Mapped[str] = mapped_column(Text)  # JSON object
    time_limit: Mapped[float | None] = mapped_column(Double, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # canonical JSON
    digest: Mapped[str | None] = mapped_column(String(80), nullable=True)


class JobEvent(Base):
    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    job_seq: Mapped[int] = mapped_column(ForeignKey("jobs.seq"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    time: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seconds: Mapped[float | None] = mapped_column(Double, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class Session(Base):
    """A session on one backend: its jobs run in order; it ends when idle or at its lifetime."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    backend: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open | closed | expired
    created_at: Mapped[float] = mapped_column(Double)
    last_used_at: Mapped[float] = mapped_column(Double)
    idle_timeout: Mapped[float] = mapped_column(Double)
    max_lifetime: Mapped[float] = mapped_column(Double)
    closed_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Usage(Base):
    """Seconds a job's run took on a backend (one row per run attempt that reached the backend)."""

    __tablename__ = "usage"
    __table_args__ = (Index("ix_usage_user_time", "user_id", "at"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    job_seq: Mapped[int] = mapped_column(ForeignKey("jobs.seq"))
    backend: Mapped[str] = mapped_column(String(200))
    device: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Double)
    at: Mapped[float] = mapped_column(Double)


# The tables themselves: queries use these (SQLAlchemy Core), not the ORM attributes, so a query
# costs a statement-cache lookup instead of an ORM compilation (ten times less on a busy server).
USERS: Table = User.__table__  # type: ignore[assignment]
TOKENS: Table = Token.__table__  # type: ignore[assignment]
JOBS: Table = Job.__table__  # type: ignore[assignment]
JOB_EVENTS: Table = JobEvent.__table__  # type: ignore[assignment]
SESSIONS: Table = Session.__table__  # type: ignore[assignment]
USAGE: Table = Usage.__table__  # type: ignore[assignment]
