"""Bad and hostile input: every malformed, oversized, mistyped or unknown request is a 4xx with a
message; none is a 500, none takes the server down. Then a seeded, bounded property-based fuzz
of the whole API generated from its own OpenAPI description (schemathesis), positive and
negative, with a valid token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import X_QASM, Site, make_site

pytestmark = pytest.mark.timeout(300)

DEEP = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\nrx(" + "(" * 50_000 + "1" + ")" * 50_000 \
       + ") q[0];\nmeasure q -> c;\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("hostile"), extra={"server": {"max_body_bytes": 1_000_000,
                                                                           "max_batch": 5}})
    yield made
    made.server.stop()


def job(**fields: Any) -> dict[str, Any]:
    return {"program": X_QASM, "backend": "aer.statevector", "shots": 10, **fields}


BAD_JSON_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("malformed program", job(program="OPENQASM 2.0; qreg"), "the program cannot be read"),
    ("unknown gate", job(program='OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nfoo q[0];\n'),
     "the program cannot be read"),
    ("not a program at all", job(program="\x00\x01 binary \x7f"), "the program cannot be read"),
    ("huge register", job(program='OPENQASM 2.0;\nqreg q[100000000];\ncreg c[1];\nmeasure q[0] -> c[0];\n'),
     "the program cannot be read"),
    ("more qubits than the backend", job(program='OPENQASM 2.0;\nqreg q[60];\ncreg c[1];\nmeasure q[0] -> c[0];\n'),
     "aer.statevector cannot run this circuit: the circuit needs 60 qubits"),
    ("deep nesting", job(program=DEEP), "the program cannot be read"),
    ("wire format of the future", job(program='{"format": "qhpc.circuit", "version": 99}', format="qhpc.json"),
     "the program cannot be read"),
    ("unknown format", job(format="acme"), "unknown format 'acme'"),
    ("nothing measured", job(program='OPENQASM 2.0;\nqreg q[1];\n'), "measures nothing"),
    ("unbound parameter", job(program='OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\nqubit q;\nbit c;\nrx(theta) q;\n'
                                  'c = measure q;\n'),
     "unbound parameter(s) theta"),
    ("unknown backend", job(backend="acme.qpu"), "unknown backend 'acme.qpu'"),
    ("shots as a string", job(shots="10"), "body.shots: Input should be a valid integer"),
    ("fractional shots", job(shots=1.5), "body.shots"),
    ("no shots", job(shots=0), "body.shots: Input should be greater than or equal to 1"),
    ("too many shots", job(shots=10**12), "body.shots"),
    ("shots over the backend's limit", job(shots=99_000_000), "exceed aer.statevector's limit"),
    ("negative seed", job(seed=-1), "body.seed"),
    ("seed past 64 bits", job(seed=2**64), "body.seed"),
    ("memory as a word", job(memory="yes"), "body.memory"),
    ("parameter as text", job(parameters={"t": "pi"}), "body.parameters.t"),
    ("options as a list", job(options=[1, 2]), "body.options"),
    ("unknown field", job(shotz=10), "body.shotz: Extra inputs are not permitted"),
    ("program as a number", job(program=42), "body.program: Input should be a valid string"),
    ("empty program", job(program=""), "body.program"),
    ("long backend name", job(backend="b" * 1000), "body.backend"),
    ("missing program", {"shots": 10}, "body.program: Field required"),
    ("an array", [job()], "body: Input should be a valid dictionary"),  # type: ignore[list-item]
    ("null", None, "body: Input should be a valid dictionary"),  # type: ignore[list-item]
    ("unknown session", job(session="nope"), "no session nope"),
]


@pytest.mark.parametrize("body, message", [(b, m) for _, b, m in BAD_JSON_BODIES],
                         ids=[name for name, _, _ in BAD_JSON_BODIES])
def test_bad_submissions_are_refused_with_a_message(hostile: Site, body: Any, message: str) -> None:
    with hostile.http() as http:
        answer = http.post("/v1/jobs", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    assert message in answer.json()["error"]


@pytest.mark.parametrize("content", [
    b'{"program": "\xff\xfe\xfd"}',  # invalid UTF-8
    b"not json at all",
    b"",
    b'{"program": NaN}',
    b'{"program": "x", "shots": 1e999}',
    b'{"program": "x", "time_limit": NaN}',
    b"[" * 100_000,
    b'{"program": "' + b"\\ud800" + b'"}',  # a lone surrogate
])
def test_bytes_that_are_not_a_request_are_refused(hostile: Site, content: bytes) -> None:
    with hostile.http() as http:
        answer = http.post("/v1/jobs", content=content, headers={"content-type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]


@pytest.mark.parametrize("method, path, params", [
    ("GET", "/v1/jobs", {"limit": 0}),
    ("GET", "/v1/jobs", {"limit": "many"}),
    ("GET", "/v1/jobs", {"status": "BOGUS"}),
    ("GET", "/v1/jobs", {"cursor": "xyz"}),
    ("GET", "/v1/jobs", {"since": "yesterday"}),
    ("GET", f"/v1/jobs/{'x' * 5000}", {}),
    ("GET", "/v1/jobs/%00", {}),
    ("GET", "/v1/jobs/../../../etc/passwd", {}),
    ("GET", "/v1/jobs/0/result", {"wait": -1}),
    ("POST", "/v1/jobs/0/cancel", {}),
    ("DELETE", "/v1/jobs", {}),
    ("GET", "/v1/nothing-here", {}),
    ("GET", "/v1/backends/%ff", {}),
    ("GET", "/v1/sessions/nope", {}),
])
def test_bad_paths_and_parameters_are_refused(hostile: Site, method: str, path: str, params: dict[str, Any]) -> None:
    with hostile.http() as http:
        answer = http.request(method, path, params=params)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"]


def test_bad_sessions_batches_and_keys_are_refused(hostile: Site) -> None:
    with hostile.http() as http:
        for body, message in (({"backend": "auto"}, "not auto"), ({"backend": "acme.qpu"}, "cannot open a session"),
                              ({"backend": "aer.statevector", "idle_timeout": -1}, "body.idle_timeout")):
            answer = http.post("/v1/sessions", json=body)
            assert answer.status_code == 422 and message in answer.json()["error"]
        answer = http.post("/v1/jobs/batch", json={"jobs": [job()] * 6})
        assert answer.status_code == 422 and "a batch holds at most 5 jobs, not 6" in answer.json()["error"]
        assert http.post("/v1/jobs/batch", json={"jobs": []}).status_code == 422
        answer = http.post("/v1/jobs/batch", json={"jobs": [job(idempotency_key="k"), job(idempotency_key="k")]})
        assert answer.status_code == 422 and "same idempotency key" in answer.json()["error"]
        answer = http.post("/v1/jobs", json=job(), headers={"Idempotency-Key": "k" * 300})
        assert answer.status_code == 422
        first = http.post("/v1/jobs", json=job(idempotency_key="once"))
        again = http.post("/v1/jobs", json=job(idempotency_key="once"))
        other = http.post("/v1/jobs", json=job(idempotency_key="once", shots=11))
        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
        assert first.json()["id"] == again.json()["id"] and again.json()["replayed"] is True


def test_the_server_survived(hostile: Site) -> None:
    with hostile.client() as client:
        assert client.health()["executor"] == "running"
        assert client.run(X_QASM, backend="aer.statevector", shots=4).counts == {"11": 4}
    assert "internal error" not in hostile.server.log_text()


@pytest.mark.slow
def test_fuzzing_the_api_from_its_openapi_description(hostile: Site) -> None:
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{hostile.url}/openapi.json")
    auth = {"Authorization": f"Bearer {hostile.tokens['bob']}"}
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE, headers=auth),
                      schema.as_strategy(GenerationMode.NEGATIVE, headers=auth))
    seen: dict[int, int] = {}
    failures: list[str] = []

    @settings(max_examples=150, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def call(case: Any) -> None:
        try:
            response = case.call(base_url=hostile.url, headers=auth, timeout=30)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError, UnicodeError):
            return  # the client library cannot even send it
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

    call()
    assert not failures, failures[:5]
    assert sum(seen.values()) >= 100 and any(400 <= code < 500 for code in seen) and 200 in seen
    with httpx.Client(base_url=hostile.url) as anonymous:
        assert anonymous.get("/v1/health").json()["status"] == "ok"
    assert "internal error" not in hostile.server.log_text()
