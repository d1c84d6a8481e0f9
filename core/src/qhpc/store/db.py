"""Connections to the job store: SQLite (embedded, WAL, every commit synced) or PostgreSQL.

SQLite has one writer at a time. Write transactions start with ``BEGIN IMMEDIATE`` (they take the
write lock at once and wait for it, instead of failing when a read transaction tries to become a
write transaction); reads use their own engine and see committed data only (WAL). Every commit is
synced to disk (``synchronous = FULL``): an accepted job survives a crash of the machine, not only
of the process. The server groups concurrent submissions into one transaction, so the cost of a
sync is shared (see :mod:`qhpc.server.writer`). PostgreSQL (``postgresql://``) is used through
psycopg 3 with its own durability (``synchronous_commit``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..errors import ConfigError

#: Seconds a writer waits for SQLite's write lock before giving up.
SQLITE_BUSY_SECONDS = 30


def default_url() -> str:
    """The store used when ``[server] database`` is not set: a SQLite file in the state directory."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return f"sqlite:///{state / 'qhpc' / 'jobs.db'}"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 (the driver the ``server`` extra installs)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


class Database:
    """The engines of one store: ``writer`` for write transactions, ``reader`` for reads."""

    def __init__(self, url: str | None = None, *, pool_size: int = 8) -> None:
        raw = normalise_url(url or default_url())
        try:
            self.url = make_url(raw)
        except ArgumentError:
            raise ConfigError(f"server.database: {redacted(raw)} is not a database URL "
                              "(sqlite:///PATH or postgresql://USER@HOST/NAME)") from None
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = self.url.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise ConfigError("server.database: the job store must be a file (sqlite:///PATH), so jobs survive "
                                  "a restart")
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            args: dict[str, Any] = {"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}
            self.writer = create_engine(self.url, connect_args=args, pool_size=1, max_overflow=4)
            self.reader = create_engine(self.url, connect_args=args, pool_size=pool_size, max_overflow=32)
            _sqlite_setup(self.writer, "BEGIN IMMEDIATE")
            _sqlite_setup(self.reader, "BEGIN")
        elif self.url.get_backend_name() == "postgresql":
            engine = create_engine(self.url, pool_size=pool_size, max_overflow=32, pool_pre_ping=True)
            self.writer = self.reader = engine
        else:
            raise ConfigError(f"server.database: {redacted(raw)}: only sqlite and postgresql stores are supported")
        self._held: Any = None  # the writer's connection that write_cursor() keeps
        self._held_lock = threading.Lock()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends without an exception."""
        with self.writer.begin() as conn:
            yield conn

    @contextmanager
    def write_cursor(self) -> Iterator[Any]:
        """A write transaction on a driver cursor (sqlite3's or psycopg's), committed when the block
        ends without an exception: the server's group commit, whose statements are plain SQL. It
        runs on a connection of the writer's pool kept for it (no check-out, reset and events per
        transaction); a transaction that fails gives that connection back, broken or not, and the
        next takes a fresh one. One transaction at a time."""
        with self._held_lock:
            if self._held is None:
                self._held = self.writer.raw_connection()  # connected as the pool connects (pragmas)
            connection = self._held.dbapi_connection
            cursor = connection.cursor()
            try:
                if self.is_sqlite:
                    _begin_immediate(cursor)  # psycopg begins by itself
                yield cursor
                cursor.close()
                connection.commit()
            except BaseException:
                held, self._held = self._held, None
                try:
                    connection.rollback()
                    held.close()
                except Exception:
                    held.invalidate()
                raise

    def write_alone(self, statement: str, params: Any) -> list[tuple[Any, ...]]:
        """PostgreSQL: one statement as a transaction of its own (the driver's autocommit), on
        the connection :meth:`write_cursor` keeps: one round trip to the server where a
        transaction takes three (BEGIN, the statement, COMMIT), committed (and synced, as
        ``synchronous_commit`` says) when it returns. Its rows."""
        assert not self.is_sqlite, "write_alone is for PostgreSQL"
        with self._held_lock:
            if self._held is None:
                self._held = self.writer.raw_connection()
            connection = self._held.dbapi_connection
            try:
                connection.autocommit = True
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(statement, params)
                        return cursor.fetchall()  # type: ignore[no-any-return]
                finally:
                    connection.autocommit = False
            except BaseException:
                held, self._held = self._held, None
                held.invalidate()
                raise

    def _give_back_held(self) -> None:
        with self._held_lock:
            if self._held is not None:
                held, self._held = self._held, None
                held.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (rolled back at the end)."""
        with self.reader.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self._give_back_held()
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    def __repr__(self) -> str:
        return f"<Database {redacted(str(self.url))}>"


def _begin_immediate(cursor: Any) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, ... ms between tries, so a transaction that
    finds the lock held for 50 us (by the executor's commit) waits at least 1 ms and often 8 or
    18: measured under load, the group commit's BEGIN waited over 18 ms in one transaction in a
    hundred. Here the lock is tried again after 0.1 ms, doubling to at most 2 ms, up to
    :data:`SQLITE_BUSY_SECONDS`; the transaction's own statements keep the usual busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    pause = 0.0001
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, 0.002)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")


def _sqlite_setup(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)
