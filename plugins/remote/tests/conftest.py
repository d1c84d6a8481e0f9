from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from qhpc import Integrator, load_settings
from qhpc.server.testing import write_config

from .fakepeer import FakePeer

PLUGINS = ["builtin", "qiskit", "remote"]


@pytest.fixture(scope="module")
def fake_peer() -> Iterator[FakePeer]:
    peer = FakePeer().start()
    yield peer
    peer.close()


@pytest.fixture
def peer(fake_peer: FakePeer) -> FakePeer:
    """The module's fake peer, with no faults left from an earlier test."""
    fake_peer.faults.clear()
    fake_peer.hold = False
    fake_peer.slow_seconds = 2.0
    if fake_peer._server is None:
        fake_peer.start()
    return fake_peer


def token_file(directory: Path, token: str = "qhpc_000000000000_" + "A" * 43) -> Path:
    path = directory / "peer.token"
    path.write_text(token + "\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Integrator]]:
    """An integrator of this site whose configuration names a peer (``url``) with test settings."""
    made: list[Integrator] = []

    def factory(url: str, **settings: Any) -> Integrator:
        peer = {"url": url, "token_file": str(token_file(tmp_path)), "timeout": 1.0, "retries": 2, "backoff": 0.05,
                "failure_threshold": 3, "reset_seconds": 1.0, **settings}
        config = write_config(tmp_path / "site.toml", {"plugins": {"enabled": PLUGINS}, "peers": {"fake": peer}})
        monkeypatch.setenv("QHPC_CONFIG", str(config))
        integrator = Integrator(settings=load_settings())
        made.append(integrator)
        return integrator

    yield factory
    for integrator in made:
        integrator.close(wait=False)
