"""Fixtures of the access server's tests: real ``qhpc serve`` processes on loopback ports, real
SQLite files, and a real PostgreSQL cluster (session-scoped; skipped only if its binaries are
missing)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from qhpc.server.testing import PostgresCluster, ServerProcess, add_user, free_port, write_config

BELL_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
X_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
PLUGINS = ["builtin", "qiskit"]

#: A real plugin distribution installed for the servers under test: an emulator and a "QPU" that
#: take as long as options["seconds"] says (checking their cancel token), and answer exactly.
SLOWLAB = '''
import time

from qhpc import Backend, BackendCapabilities, RunOutput, hookimpl


class _Slow(Backend):
    def estimate_seconds(self, circuit, shots):
        return 60.0  # never chosen by auto

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        if options.get("crash"):  # a vendor library that takes the process down (a segfault)
            import os
            import signal

            os.kill(os.getpid(), signal.SIGSEGV)
        end = time.monotonic() + float(options.get("seconds", 0.0))
        while time.monotonic() < end and not cancel.cancelled:
            time.sleep(0.01)
        return RunOutput(counts={"1" * circuit.num_clbits: shots}, memory=["1" * circuit.num_clbits] * shots if memory else None)


class SlowEmulator(_Slow):
    name = "slowlab.emulator"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=16)


class SlowQPU(_Slow):
    name = "slowlab.qpu"
    kind = "qpu"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=16, kind="qpu", location="on-prem", device="QPU", noisy=True)


@hookimpl
def qhpc_backends():
    return [SlowEmulator(), SlowQPU()]
'''


@dataclass
class Site:
    """A running server with its configuration, database and users' tokens."""

    server: ServerProcess
    config: Path
    database: str
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, user: str = "alice", **kwargs: Any) -> Any:
        from qhpc.client import Client
        from qhpc.config import Settings

        return Client(self.url, self.tokens[user], settings=Settings(), **kwargs)

    def http(self, user: str | None = "alice", **kwargs: Any) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)


def slowlab_path(directory: Path) -> str:
    """Install the slowlab plugin distribution in ``directory``; the PYTHONPATH that finds it."""
    from qhpc.testing import write_plugin_distribution

    site_dir = write_plugin_distribution(directory / "slowlab", "qhpc-slowlab", "1.0.0", {"slowlab_plugin": SLOWLAB},
                                         {"slowlab": "slowlab_plugin"})
    return os.pathsep.join([str(site_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)


def make_site(directory: Path, *, database: str | None = None, users: dict[str, bool] | None = None,
              extra: dict[str, Any] | None = None, start: bool = True, plugins: list[str] | None = None) -> Site:
    """Configure (and start) a server in ``directory``; ``users``: name -> administrator?"""
    directory.mkdir(parents=True, exist_ok=True)
    database = database or f"sqlite:///{directory / 'jobs.db'}"
    port = free_port()
    data: dict[str, Any] = {"plugins": {"enabled": plugins or [*PLUGINS, "slowlab"]},
                            "server": {"database": database, "host": "127.0.0.1", "port": port, "warm_up": False}}
    for section, values in (extra or {}).items():
        data.setdefault(section, {}).update(values)
    config = write_config(directory / "site.toml", data)
    tokens = {name: add_user(database, name, admin=is_admin)
              for name, is_admin in (users or {"alice": True, "bob": False}).items()}
    server = ServerProcess(config, port, log=directory / "server.log",
                           env={"PYTHONPATH": slowlab_path(directory)})
    if start:
        server.start()
    return Site(server, config, database, tokens)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for a module's tests (SQLite), with users alice (administrator) and bob."""
    made = make_site(tmp_path_factory.mktemp("site"))
    yield made
    made.server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    if not PostgresCluster.available():
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)")
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def site_factory(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """Servers made for one test (stopped at its end)."""
    made: list[Site] = []
    counter = iter(range(1000))

    def factory(**kwargs: Any) -> Site:
        result = make_site(tmp_path / f"site{next(counter)}", **kwargs)
        made.append(result)
        return result

    yield factory
    for s in made:
        s.server.stop()


def qhpc_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a fresh process, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("QHPC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, env=full_env,
                          timeout=300)


def aer_counts(qasm: str, shots: int, seed: int) -> dict[str, int]:
    """The independent expectation: the same program run in this process on Aer through qhpc."""
    from qhpc import Integrator, Settings

    with Integrator(settings=Settings.from_mapping({"plugins": {"enabled": PLUGINS}})) as it:
        return it.run(qasm, backend="aer.statevector", shots=shots, seed=seed).counts
