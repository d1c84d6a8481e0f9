"""Alembic environment of the job store: runs on the connection :mod:`qhpc.store.migrate` passes
(``config.attributes["connection"]``), or on ``sqlalchemy.url`` for Alembic's own command line."""

from __future__ import annotations

from alembic import context
from qhpc.store.models import Base
from sqlalchemy import create_engine

config = context.config
connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
