"""The first job store: users, tokens, jobs, their events, sessions, usage.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("users.id"),
                  nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.Column("revoked_at", sa.Double(), nullable=True),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("users.id"),
                  nullable=False),
        sa.Column("backend", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_used_at", sa.Double(), nullable=False),
        sa.Column("idle_timeout", sa.Double(), nullable=False),
        sa.Column("max_lifetime", sa.Double(), nullable=False),
        sa.Column("closed_at", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "jobs",
        sa.Column("seq", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("users.id"),
                  nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("substate", sa.String(16), nullable=True),
        sa.Column("backend", sa.String(200), nullable=False),
        sa.Column("requested_backend", sa.String(200), nullable=False),
        sa.Column("device", sa.String(16), nullable=False),
        sa.Column("location", sa.String(16), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("program_format", sa.String(64), nullable=True),
        sa.Column("num_qubits", sa.Integer(), nullable=False),
        sa.Column("shots", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("memory", sa.Boolean(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("time_limit", sa.Double(), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(80), nullable=True),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_jobs_user_idempotency"),
    )
    op.create_index("ix_jobs_claim", "jobs", ["status", "priority", "seq"])
    op.create_index("ix_jobs_user", "jobs", ["user_id", "seq"])
    op.create_index("ix_jobs_user_status", "jobs", ["user_id", "status"])
    op.create_index("ix_jobs_backend_status", "jobs", ["backend", "status"])
    op.create_index("ix_jobs_session", "jobs", ["session_id", "seq"])
    op.create_table(
        "job_events",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("job_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("jobs.seq"),
                  nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_job_events_job_seq", "job_events", ["job_seq"])
    op.create_table(
        "usage",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("users.id"),
                  nullable=False),
        sa.Column("job_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("jobs.seq"),
                  nullable=False),
        sa.Column("backend", sa.String(200), nullable=False),
        sa.Column("device", sa.String(16), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
    )
    op.create_index("ix_usage_user_time", "usage", ["user_id", "at"])


def downgrade() -> None:
    for table in ("usage", "job_events", "jobs", "sessions", "tokens", "users"):
        op.drop_table(table)
