"""The short way through for ``POST /v1/jobs`` (:mod:`qhpc.server.fastpath`) answers exactly as
the FastAPI route does: the same statuses, bodies, headers, replays, refusals and event log. A
request sent with ``Content-Type: application/json; charset=utf-8`` takes the route (the short way
takes only ``application/json``), so each case is sent both ways and the answers compared."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from qhpc.server.fastpath import SubmitFastPath

from .conftest import BELL_QASM, Site, make_site

pytestmark = pytest.mark.timeout(300)

SHORT = {"content-type": "application/json"}
ROUTE = {"content-type": "application/json; charset=utf-8"}
VOLATILE = ("id", "created_at")
#: what a replay shows of a job that may have started or finished since (each at its own pace)
PROGRESS = ("status", "substate", "attempt", "started_at", "finished_at", "has_result", "error")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("fastpath"), extra={"quotas": {"max_queued": 1000}, "server": {"auth_failures": 3}})
    yield made
    made.server.stop()


def post(http: httpx.Client, body: Any, way: dict[str, str], **headers: str) -> httpx.Response:
    return http.post("/v1/jobs", content=json.dumps(body).encode(), headers={**way, **headers})


def same(a: httpx.Response, b: httpx.Response, volatile: tuple[str, ...] = VOLATILE) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"]
    left, right = a.json(), b.json()
    for key in volatile:
        left.pop(key, None), right.pop(key, None)
    assert left == right
    assert list(a.json()) == list(b.json())  # same fields, same order


def test_a_submission_and_its_replays_answer_alike(both: Site) -> None:
    job = {"program": BELL_QASM, "backend": "aer.statevector", "shots": 10, "seed": 7}
    with both.http() as http:
        first = [post(http, {**job, "idempotency_key": f"k-{n}"}, w) for n, w in enumerate((SHORT, ROUTE))]
        assert [r.status_code for r in first] == [201, 201]
        same(*first)
        short, route = (post(http, {**job, "idempotency_key": f"k-{n}"}, w) for n, w in enumerate((SHORT, ROUTE)))
        assert short.status_code == route.status_code == 200 and short.json()["replayed"] is True
        same(short, route, VOLATILE + PROGRESS)  # two jobs: either may have run by now
        assert [r.json()["id"] for r in (short, route)] == [r.json()["id"] for r in first]
        # the key in the header, each way replaying a job the other way made
        key = uuid.uuid4().hex
        made = post(http, job, SHORT, **{"Idempotency-Key": key})
        again = post(http, job, ROUTE, **{"Idempotency-Key": key})
        assert made.status_code == 201 and again.status_code == 200 and again.json()["id"] == made.json()["id"]
        assert post(http, job, SHORT, **{"Idempotency-Key": key}).json()["id"] == made.json()["id"]
        # the same key for a different request: the same refusal
        short, route = (post(http, {**job, "shots": 11}, w, **{"Idempotency-Key": key}) for w in (SHORT, ROUTE))
        assert short.status_code == 409
        same(short, route)
        # the event log of a job the short way stored
        events = http.get(f"/v1/jobs/{made.json()['id']}/events").json()["events"]
        assert events[0]["kind"] == "accepted" and events[0]["status"] == "QUEUED"
        metrics = http.get("/metrics").text
    assert 'qhpc_jobs_submitted_total{backend="aer.statevector"} 3.0' in metrics


@pytest.mark.parametrize("job, message", [
    ({"program": BELL_QASM, "backend": "acme.qpu"}, "unknown backend 'acme.qpu'"),
    ({"program": "OPENQASM 2.0; qreg", "backend": "aer.statevector"}, "the program cannot be read"),
    ({"program": BELL_QASM, "shots": "10"}, "body.shots: Input should be a valid integer"),
    ({"program": BELL_QASM, "session": "nope"}, "no session nope"),
])
def test_refusals_answer_alike(both: Site, job: dict[str, Any], message: str) -> None:
    with both.http() as http:
        short, route = post(http, job, SHORT), post(http, job, ROUTE)
    same(short, route)
    assert 400 <= short.status_code < 500 and message in short.json()["error"]


def test_a_wrong_token_answers_alike(both: Site) -> None:
    job = {"program": BELL_QASM, "backend": "aer.statevector", "shots": 10}
    wrong = {"Authorization": "Bearer qhpc_0123456789ab_" + "y" * 43}
    with httpx.Client(base_url=both.url, timeout=30,
                      transport=httpx.HTTPTransport(local_address="127.0.0.9")) as http:
        short, route = post(http, job, SHORT, **wrong), post(http, job, ROUTE, **wrong)
        assert short.status_code == 401 and short.headers["www-authenticate"] == route.headers["www-authenticate"]
        same(short, route)
        assert post(http, job, SHORT).status_code == 401  # no token at all (the route answers)
        locked = post(http, job, SHORT, **wrong)  # 3 failures from this address: locked
        assert locked.status_code == 429 and "too many failed authentications" in locked.json()["error"]
    with both.http() as http:
        assert "qhpc_auth_failures_total 4.0" in http.get("/metrics").text


@pytest.mark.parametrize("headers, body, taken", [
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b'{"program": "x"}', True),
    ({b"authorization": b"bearer t", b"content-type": b"Application/JSON", b"idempotency-key": b"k"},
     b'{"program": "x"}', True),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json; charset=utf-8"}, b'{"program": "x"}', False),
    ({b"authorization": b"Bearer t", b"content-type": b"text/plain"}, b'{"program": "x"}', False),
    ({b"content-type": b"application/json"}, b'{"program": "x"}', False),
    ({b"authorization": b"Basic YWxpY2U6cHc=", b"content-type": b"application/json"}, b'{"program": "x"}', False),
    ({b"authorization": b"Bearer ", b"content-type": b"application/json"}, b'{"program": "x"}', False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json", b"idempotency-key": b"k" * 201},
     b'{"program": "x"}', False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b'{"program": ""}', False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b'{"program": "x", "shots": 1.5}', False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b"[" * 100_000, False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b"", False),
    ({b"authorization": b"Bearer t", b"content-type": b"application/json"}, b'{"program": NaN}', False),
])
def test_the_short_way_takes_only_well_formed_submissions(headers: dict[bytes, bytes], body: bytes,
                                                          taken: bool) -> None:
    seen = sum({b"authorization": 1, b"idempotency-key": 100, b"content-type": 10_000}[name] for name in headers)
    found = SubmitFastPath._request(headers.get(b"authorization"), headers.get(b"idempotency-key"),
                                    headers.get(b"content-type"), seen, body)
    assert (found is not None) == taken
    if found is not None:
        key = headers.get(b"idempotency-key")
        assert found[0] == "t" and found[1].program == "x" and found[2] == (key.decode() if key else None)


def test_a_header_given_twice_takes_the_route() -> None:
    assert SubmitFastPath._request(b"Bearer t", None, b"application/json", 10_002, b'{"program": "x"}') is None
