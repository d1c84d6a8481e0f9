"""Security of the access server, each measure against a real server process: isolation between
users, authentication and its throttling, revocation and expiry, roles, quotas, request size,
result digests, TLS, and logs that hold no token or program."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from qhpc.client import DigestMismatchError, QuotaExceededError
from qhpc.store import Store

from .conftest import X_QASM, Site, make_site, qhpc_cli

pytestmark = pytest.mark.timeout(180)

MARKER = "qhpc-secret-program-marker"
PROGRAM = f"// {MARKER}\n" + X_QASM


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("secure"), users={"alice": True, "bob": False, "carol": False},
                     extra={"server": {"max_body_bytes": 65536, "auth_failures": 3, "auth_cache_seconds": 0.5},
                            "quotas": {"users": {"carol": {"max_queued": 2, "max_qubits": 3, "max_shots": 500,
                                                           "qpu_seconds_per_day": 0.5}}}})
    yield made
    made.server.stop()


def from_address(site: Site, address: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=site.url, headers=headers, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def test_another_users_job_is_not_found(secure: Site) -> None:
    with secure.client("alice") as alice:
        job = alice.submit(PROGRAM, backend="aer.statevector", shots=10)
        job.result(timeout=60)
    with secure.http("bob") as bob:
        for method, path in (("GET", ""), ("GET", "/events"), ("GET", "/result"), ("POST", "/cancel")):
            theirs = bob.request(method, f"/v1/jobs/{job.id}{path}")
            nobody = bob.request(method, f"/v1/jobs/{'0' * 32}{path}")
            assert theirs.status_code == nobody.status_code == 404
            assert theirs.json()["error"] == f"no job {job.id}"  # exactly what a missing job says
        assert job.id not in {j["id"] for j in bob.get("/v1/jobs", params={"limit": 500}).json()["jobs"]}
    with secure.http("alice") as alice_http:
        assert alice_http.get(f"/v1/jobs/{job.id}").json()["status"] == "DONE"  # untouched by bob's cancel


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer qhpc_000000000000_" + "A" * 43, "Basic YWxpY2U6cHc=",
                                    "Bearer not-a-token"])
def test_missing_and_wrong_tokens_are_refused(secure: Site, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    with httpx.Client(base_url=secure.url, timeout=30,
                      transport=httpx.HTTPTransport(local_address=f"127.0.{10 + len(header or '')}.1")) as http:
        answer = http.get("/v1/jobs", headers=headers)
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"] in ("invalid, expired or revoked token",
                                      "authentication required: send 'Authorization: Bearer TOKEN' (qhpc admin token "
                                      "create NAME makes one)")


def test_repeated_failures_slow_an_address_down(secure: Site) -> None:
    with from_address(secure, "127.0.0.2", "qhpc_0123456789ab_" + "x" * 43) as wrong, \
            from_address(secure, "127.0.0.2", secure.tokens["bob"]) as right_there, \
            from_address(secure, "127.0.0.3", secure.tokens["bob"]) as right_elsewhere:
        assert [wrong.get("/v1/jobs").status_code for _ in range(3)] == [401, 401, 401]
        locked = wrong.get("/v1/jobs")
        assert locked.status_code == 429 and locked.headers["retry-after"] == "1"
        assert "too many failed authentications from 127.0.0.2" in locked.json()["error"]
        assert right_there.get("/v1/jobs").status_code == 429  # even a good token waits: no guessing at speed
        assert right_elsewhere.get("/v1/jobs").status_code == 200  # other addresses are not affected
        time.sleep(1.1)
        assert wrong.get("/v1/jobs").status_code == 401  # the 4th failure: locked for 2 s now
        assert wrong.get("/v1/jobs").headers["retry-after"] == "2"
        time.sleep(2.1)
        assert right_there.get("/v1/jobs").status_code == 200  # success resets the count
        assert wrong.get("/v1/jobs").status_code == 401


def test_revoked_and_expired_tokens_stop_working(secure: Site) -> None:
    made = qhpc_cli("admin", "--config", str(secure.config), "token", "create", "bob")
    assert made.returncode == 0, made.stderr
    token_id, token = made.stderr.split()[1], made.stdout.strip()
    assert token.startswith("qhpc_") and token not in made.stderr and "shown once" in made.stderr
    with Store(secure.database) as store:
        short_id, short_lived = store.users.create_token("bob", expires_days=3 / 86400)  # 3 s
        expires = next(t["expires_at"] for t in store.users.tokens("bob") if t["id"] == short_id)
    with from_address(secure, "127.0.0.4", token) as http, from_address(secure, "127.0.0.4", short_lived) as short:
        assert http.get("/v1/jobs").status_code == 200 and short.get("/v1/jobs").status_code == 200
        revoked = qhpc_cli("admin", "--config", str(secure.config), "token", "revoke", token_id)
        assert revoked.returncode == 0 and revoked.stdout.strip() == f"token {token_id} revoked"
        time.sleep(0.6)  # auth_cache_seconds
        assert http.get("/v1/jobs").status_code == 401
        time.sleep(max(0.0, expires + 0.1 - time.time()))
        assert short.get("/v1/jobs").status_code == 401
    listed = qhpc_cli("admin", "--config", str(secure.config), "token", "list", "--user", "bob")
    assert f"{token_id}  bob" in listed.stdout and "revoked" in listed.stdout and "expired" in listed.stdout
    assert token not in listed.stdout and short_lived not in listed.stdout


def test_accounting_is_for_administrators(secure: Site) -> None:
    with secure.client("bob") as bob:
        bob.run(X_QASM, backend="aer.stabilizer", shots=50)
        with pytest.raises(Exception, match="bob is not an administrator"):
            bob.accounting()
    with secure.client("alice") as alice:
        usage = alice.accounting()
    rows = {(r["user"], r["backend"]): r for r in usage}
    assert rows[("bob", "aer.stabilizer")]["seconds"] > 0 and rows[("bob", "aer.stabilizer")]["device"] == "emulator"
    cli = qhpc_cli("admin", "--config", str(secure.config), "accounting", "--json")
    assert cli.returncode == 0, cli.stderr
    by_cli = {(r["user"], r["backend"]): r["runs"] for r in json.loads(cli.stdout)}
    assert by_cli[("bob", "aer.stabilizer")] >= rows[("bob", "aer.stabilizer")]["runs"]


def test_quotas_refuse_with_a_message_naming_the_quota(secure: Site) -> None:
    with secure.http("carol") as http:
        wide = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\nmeasure q -> c;\n'
        answer = http.post("/v1/jobs", json={"program": wide, "shots": 10})
        assert answer.status_code == 403
        assert answer.json()["error"] == "quota max_qubits: the program needs 4 qubits; carol may use at most 3"
        answer = http.post("/v1/jobs", json={"program": X_QASM, "shots": 501})
        assert answer.status_code == 403 and answer.json()["error"].startswith("quota max_shots: 501 shots exceed")
        slow = [http.post("/v1/jobs", json={"program": X_QASM, "backend": "slowlab.emulator", "shots": 10,
                                            "options": {"seconds": 30}}) for _ in range(2)]
        assert [s.status_code for s in slow] == [201, 201]
        third = http.post("/v1/jobs", json={"program": X_QASM, "backend": "slowlab.emulator", "shots": 10})
        assert third.status_code == 429 and third.json()["error"].startswith(
            "quota max_queued: carol has 2 jobs queued or running and may have at most 2")
        for job in slow:
            assert http.post(f"/v1/jobs/{job.json()['id']}/cancel").status_code == 200
    with secure.client("carol") as carol:
        first = carol.run(X_QASM, backend="slowlab.qpu", shots=10, options={"seconds": 0.6})
        assert first.counts == {"11": 10}
        with pytest.raises(QuotaExceededError, match=r"quota qpu_seconds_per_day: carol used 0\.[6-9] of 0\.5 QPU seconds"):
            carol.submit(X_QASM, backend="slowlab.qpu", shots=10)
        assert carol.run(X_QASM, backend="aer.statevector", shots=10).counts == {"11": 10}  # emulators are not QPU time


def test_oversized_bodies_are_refused(secure: Site) -> None:
    big = {"program": X_QASM + "// " + "x" * 70_000 + "\n"}
    with secure.http("bob") as http:
        answer = http.post("/v1/jobs", json=big)
        assert answer.status_code == 413
        assert answer.json()["error"] == "the request body exceeds the server's limit of 65536 bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            body = json.dumps(big).encode()
            for k in range(0, len(body), 8192):
                yield body[k:k + 8192]

        chunked = http.post("/v1/jobs", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert http.get("/v1/health").status_code == 200


def test_a_corrupted_result_is_detected(secure: Site) -> None:
    with secure.client("bob") as bob:
        job = bob.submit(X_QASM, backend="aer.statevector", shots=64, seed=1)
        assert job.result(timeout=60).counts == {"11": 64}
        database = secure.database.removeprefix("sqlite:///")
        with sqlite3.connect(database) as conn:  # a bit flips in storage (or on the way)
            stored = conn.execute("SELECT result FROM jobs WHERE id = ?", (job.id,)).fetchone()[0]
            conn.execute("UPDATE jobs SET result = ? WHERE id = ?", (stored.replace('"11":64', '"11":63'), job.id))
        with pytest.raises(DigestMismatchError, match="does not match its digest"):
            bob.job(job.id).result(timeout=10)


def test_logs_hold_no_token_and_no_program(secure: Site) -> None:
    with secure.client("alice") as alice:
        alice.run(PROGRAM, backend="aer.statevector", shots=5)
    log = secure.server.log_text()
    assert "submitted 1 job(s)" in log  # the log is written...
    for token in secure.tokens.values():
        assert token not in log and token.split("_", 2)[2] not in log  # ...without tokens
    assert MARKER not in log and "Bearer" not in log and "OPENQASM" not in log  # ...or programs


def test_the_access_log_when_asked_names_requests_without_their_query(site_factory: Callable[..., Site]) -> None:
    # [server] access_log = true logged nothing (uvicorn's access logger stayed at WARNING)
    site = site_factory(users={"bob": False}, extra={"server": {"access_log": True}})
    with site.http("bob") as http:
        assert http.get("/v1/jobs", params={"status": "DONE", "token": "NOT-A-LOG-LINE"}).status_code == 200
    deadline = time.monotonic() + 10
    while '"GET /v1/jobs HTTP/1.1" 200' not in site.server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = site.server.log_text()
    assert '"GET /v1/jobs HTTP/1.1" 200' in log
    assert "NOT-A-LOG-LINE" not in log and site.tokens["bob"] not in log


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_tls_when_given_a_certificate(site_factory: Callable[..., Site], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    tls = site_factory(extra={"server": {"tls_cert": str(cert), "tls_key": str(key)}}, start=False)
    tls.server.url = tls.server.url.replace("http://", "https://")
    tls.server.start(verify=str(cert))
    with tls.client("bob", verify=str(cert)) as client:
        assert client.run(X_QASM, backend="aer.statevector", shots=8).counts == {"11": 8}
    with pytest.raises(httpx.ConnectError):  # a client that does not trust the certificate refuses it
        httpx.get(f"{tls.url}/v1/health")
    with pytest.raises(httpx.HTTPError):  # plain HTTP is not served
        httpx.get(tls.url.replace("https://", "http://") + "/v1/health", timeout=5)
