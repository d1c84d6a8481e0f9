"""Two real qhpc servers on loopback: site A's users run on site B's backends through A, each site
with its own users and tokens; when B goes down, A's jobs fail clearly or fall back as asked."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from qhpc import Integrator, JobFailedError, Settings
from qhpc.client import Client
from qhpc.server.testing import ServerProcess, add_user, free_port, write_config

pytestmark = pytest.mark.timeout(240)

GHZ = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n'
       "measure q -> c;\n")


def site(directory: Path, plugins: list[str], **sections: dict[str, object]) -> tuple[Path, str, int]:
    directory.mkdir()
    database, port = f"sqlite:///{directory / 'jobs.db'}", free_port()
    config = write_config(directory / "site.toml", {
        "plugins": {"enabled": plugins},
        "server": {"database": database, "host": "127.0.0.1", "port": port, "warm_up": False}, **sections})
    return config, database, port


def local_counts(shots: int, seed: int) -> dict[str, int]:
    with Integrator(settings=Settings.from_mapping({"plugins": {"enabled": ["builtin", "qiskit"]}})) as it:
        return it.run(GHZ, backend="aer.statevector", shots=shots, seed=seed).counts


@pytest.mark.slow
def test_site_a_runs_on_site_b_through_its_own_server(tmp_path: Path) -> None:
    b_config, b_database, b_port = site(tmp_path / "b", ["builtin", "qiskit"])
    for_site_a = add_user(b_database, "siteA")  # site A is one user of site B
    carol = add_user(b_database, "carol")  # a user of site B
    token_file = tmp_path / "siteB.token"
    token_file.write_text(for_site_a + "\n")
    os.chmod(token_file, 0o600)
    a_config, a_database, a_port = site(tmp_path / "a", ["builtin", "qiskit", "remote"], peers={"siteB": {
        "url": f"http://127.0.0.1:{b_port}", "token_file": str(token_file), "timeout": 5.0, "retries": 1,
        "backoff": 0.1, "failure_threshold": 2, "reset_seconds": 60.0}})
    alice = add_user(a_database, "alice")  # a user of site A only
    with ServerProcess(b_config, b_port).start() as b:
        # B answers its first listing once its plugins are loaded; A lists B's backends when it
        # starts, within the peer's time limit, so B is asked once first (as an operator would)
        assert httpx.get(f"{b.url}/v1/backends", headers={"Authorization": f"Bearer {for_site_a}"},
                         timeout=60).status_code == 200
        with ServerProcess(a_config, a_port, env={"QHPC_SITE": "siteA"}).start() as a:
            with Client(a.url, alice, settings=Settings()) as client:
                offered = client.backends()
                assert offered["siteB.aer.statevector"].kind == "emulator"
                caps = offered["siteB.aer.statevector"].capabilities
                assert caps is not None and caps.location == "remote"
                result = client.run(GHZ, backend="siteB.aer.statevector", shots=500, seed=4)
                assert result.counts == local_counts(500, 4)
                assert result.backend == "siteB.aer.statevector"
                meta = result.metadata["backend_metadata"]
                assert meta["peer"] == "siteB" and meta["peer_backend"] == "aer.statevector"
                peer_job = meta["peer_job_id"]
            with httpx.Client(base_url=b.url, timeout=30) as http:
                as_a = http.get(f"/v1/jobs/{peer_job}", headers={"Authorization": f"Bearer {for_site_a}"})
                assert as_a.status_code == 200 and as_a.json()["status"] == "DONE"
                assert http.get(f"/v1/jobs/{peer_job}", headers={"Authorization": f"Bearer {carol}"}).status_code == 404
                assert http.get("/v1/jobs", headers={"Authorization": f"Bearer {alice}"}).status_code == 401  # A's user
            b.kill9()  # site B goes down
            with Client(a.url, alice, settings=Settings()) as client:
                with pytest.raises(JobFailedError, match=r"peer siteB .* did not answer"):
                    client.run(GHZ, backend="siteB.aer.statevector", shots=100, seed=1)
                kept = client.run(GHZ, backend="siteB.aer.statevector", shots=300, seed=6,
                                  options={"fallback": "aer.statevector"})
                assert kept.counts == local_counts(300, 6)
                fallback = kept.metadata["backend_metadata"]["fallback"]
                assert fallback["backend"] == "aer.statevector" and "siteB" in fallback["reason"]
