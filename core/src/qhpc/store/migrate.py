"""Schema versions of the job store, applied with Alembic (the migrations ship in this package).

``qhpc serve`` and every ``qhpc admin`` command bring the database to the newest version first;
``qhpc admin migrate`` does only that and reports the version. A database of a newer version than
this qhpc knows is refused (an older server must not write to a newer schema).
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from ..errors import QhpcError
from .db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    """The newest schema version this qhpc knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(db: Database) -> str | None:
    """The schema version of the database (``None``: empty)."""
    with db.writer.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the database to the newest version; returns (version before, version after)."""
    before = current(db)
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if before is not None and before not in known:
        raise QhpcError(f"the job store is at schema version {before}, which this qhpc does not know "
                        f"(newest known: {head()}); upgrade qhpc before using this database")
    if before == head():
        return before, before
    config = _config()
    try:
        with db.write() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except CommandError as exc:
        raise QhpcError(f"cannot migrate the job store: {exc}") from None
    return before, head()
