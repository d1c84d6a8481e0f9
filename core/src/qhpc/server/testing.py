"""Real servers for tests and benchmarks: ``qhpc serve`` as a subprocess on a free loopback port,
users and tokens in its store, and a throw-away PostgreSQL cluster.

Nothing here mocks a component: a :class:`ServerProcess` is the command a centre runs, a
:class:`PostgresCluster` is PostgreSQL started with ``initdb``/``pg_ctl`` (as the ``postgres``
user when run as root, since PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _pg_bin() -> Path:
    """Where initdb and pg_ctl are: $QHPC_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("QHPC_PG_BIN"):
        return Path(os.environ["QHPC_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def toml(data: Mapping[str, Any]) -> str:
    """TOML for the nested tables and plain values a site configuration holds."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise TypeError(f"no TOML form for {v!r}")

    def table(prefix: str, body: Mapping[str, Any]) -> None:
        plain = {k: v for k, v in body.items() if not isinstance(v, Mapping)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in plain.items())
        lines.append("")
        for k, v in body.items():
            if isinstance(v, Mapping):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines)


def write_config(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(toml(data), encoding="utf-8")
    return path


def add_user(database: str, name: str, *, admin: bool = False, expires_days: float | None = None) -> str:
    """Add a user to the store at ``database`` and return a new token of theirs."""
    from ..store import Store

    with Store(database) as store:
        try:
            store.users.add(name, admin=admin)
        except Exception:
            store.users.get(name)  # exists already
        return store.users.create_token(name, expires_days=expires_days)[1]


class ServerProcess:
    """``qhpc serve --config CONFIG`` in its own process group, on ``port``."""

    def __init__(self, config: Path, port: int, *, log: Path | None = None, env: Mapping[str, str] | None = None,
                 scheme: str = "http") -> None:
        self.config = config
        self.port = port
        self.url = f"{scheme}://127.0.0.1:{port}"
        self.log = log or config.with_suffix(f".{port}.log")
        self.env = {**os.environ, "QHPC_CONFIG": str(config), **(env or {})}
        self.env.pop("QHPC_DEBUG", None)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0, verify: bool | str = True) -> ServerProcess:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "qhpc", "serve", "--config", str(self.config), "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        self.wait_ready(timeout, verify)
        return self

    def wait_ready(self, timeout: float = 60.0, verify: bool | str = True) -> None:
        import httpx

        from ..client import tls_verify

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                health = httpx.get(f"{self.url}/v1/health", timeout=2, verify=tls_verify(verify)).json()
                if health.get("executor") == "running":
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not start in {timeout} s:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def kill9(self) -> None:
        """SIGKILL the whole server (API and executor) at once, as a crash of its node would."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None

    def stop(self, timeout: float = 30.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill9()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory, listening on a loopback port (trust auth)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="qhpc-pg-"))
        self.data = self.directory / "data"
        self._as: list[str] = []
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.directory, "postgres", "postgres")
        self._databases = 0

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresCluster:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=on "
                   "-c max_connections=200")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"),
                  "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        self._databases += 1
        name = name or f"qhpc_{self._databases}_{os.getpid()}"
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)
