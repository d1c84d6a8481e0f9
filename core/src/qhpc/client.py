"""The client of a qhpc access server: the same calls as local use, run by the site's server.

    import qhpc
    client = qhpc.connect("https://qhpc.example:8750")     # token: $QHPC_TOKEN or [client] token_file
    job = client.submit(qc, backend="aer.statevector", shots=1000, seed=7)
    result = job.result()                                  # a qhpc.Result, as a local run gives
    with client.session("ibm_perth") as session:           # a hybrid loop: jobs run in order
        for theta in angles:
            session.run(ansatz, parameters={"theta": theta})

Programs in any installed framework are converted here, with the local integrator, to qhpc's JSON
wire format (OpenQASM text is sent as it is). Every submission carries an idempotency key, so
retrying after a network error never creates a second job. Every result's digest is checked; a
corrupted result raises :class:`~qhpc.server.protocol.DigestMismatchError`.

The token is never a command-line argument: pass ``token=`` in Python, or set ``QHPC_TOKEN``, or
name a file in the user's configuration (``[client] token_file``, readable by its owner only).
"""

from __future__ import annotations

import os
import ssl
import stat
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from . import __version__
from .config import Settings, load_settings
from .errors import JobCancelledError, JobFailedError, JobRejectedError, QhpcError
from .interfaces import BackendCapabilities
from .jobs import JobEvent, JobStatus, Result, request_types
from .server.protocol import DigestMismatchError, event_from_doc, result_from_doc, verify_digest

__all__ = ["AuthenticationError", "Client", "DigestMismatchError", "NotFoundError", "QuotaExceededError",
           "RemoteBackend", "RemoteError", "RemoteJob", "RemoteSession", "ServerUnavailableError", "connect"]

#: Longest single wait for a result (the server caps it too); the client waits again as needed.
RESULT_POLL_SECONDS = 25.0


class RemoteError(QhpcError):
    """The server refused a request; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class AuthenticationError(RemoteError):
    """No token, or one the server does not accept (unknown, expired, revoked)."""


class QuotaExceededError(RemoteError):
    """A quota or rate limit refused the request (the message names it)."""


class NotFoundError(RemoteError, LookupError):
    """No such job, session or backend (or not yours)."""


class ServerUnavailableError(RemoteError):
    """The server could not be reached, or kept failing, after the retries."""


def _error(response: httpx.Response) -> RemoteError:
    try:
        message = str(response.json().get("error") or response.text)
    except (ValueError, AttributeError):
        message = response.text[:500] or response.reason_phrase
    status = response.status_code
    retry = response.headers.get("retry-after")
    retry_after = float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
    text = f"server answered {status}: {message}"
    if status == 401:
        return AuthenticationError(text, status)
    if status == 404:
        return NotFoundError(text, status)
    if status == 429 or (status == 403 and "quota" in message):
        return QuotaExceededError(text, status, retry_after)
    if status == 422:
        return _Rejected(text, status)
    if status >= 500:
        return ServerUnavailableError(text, status)
    return RemoteError(text, status, retry_after)


class _Rejected(RemoteError, JobRejectedError):
    """The server refused the job before storing it (as a local submission would be refused)."""


def read_token(path: str | os.PathLike[str]) -> str:
    """A token from a file that only its owner can read (else a :class:`QhpcError` saying why)."""
    file = Path(path).expanduser()
    try:
        info = file.stat()
    except FileNotFoundError:
        raise QhpcError(f"{file}: token file not found") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise QhpcError(f"{file}: the token file is readable by others (mode {stat.filemode(info.st_mode)}); "
                        f"chmod 600 {file}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise QhpcError(f"{file}: the token file belongs to another user")
    token = file.read_text(encoding="utf-8").strip()
    if not token:
        raise QhpcError(f"{file}: the token file is empty")
    return token


def resolve_token(token: str | None, settings: Settings) -> str:
    if token:
        return token
    if os.environ.get("QHPC_TOKEN"):
        return os.environ["QHPC_TOKEN"].strip()
    if settings.service.client.token_file:
        return read_token(settings.service.client.token_file)
    raise AuthenticationError("no token: set QHPC_TOKEN, or name a file in [client] token_file of "
                              "~/.config/qhpc/config.toml (an administrator creates one: qhpc admin token create NAME)")


def tls_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """What httpx takes for ``verify``: a CA bundle's path becomes an SSL context trusting it."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


class Connection:
    """HTTP to one server: the token, time limits, and retries with backoff on network errors and
    502/503/504 (every request is safe to repeat: submissions carry idempotency keys)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0, retries: int = 3, backoff: float = 0.2,
                 verify: bool | str = True, local_address: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        transport = httpx.HTTPTransport(verify=tls_verify(verify), local_address=local_address)
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport, headers={
            "Authorization": f"Bearer {token}", "User-Agent": f"qhpc/{__version__}"})

    def request(self, method: str, path: str, *, json: Any = None, params: Any = None,
                timeout: float | None = None, ok: Sequence[int] = (200, 201)) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._http.request(method, path, json=json, params=params,
                                              timeout=self.timeout if timeout is None else timeout)
            except httpx.TransportError as exc:
                last = exc
                continue
            if response.status_code in (502, 503, 504) and attempt < self.retries:
                last = _error(response)
                continue
            if response.status_code in ok:
                return response
            raise _error(response)
        raise ServerUnavailableError(f"cannot reach {self.url} after {self.retries + 1} attempts: "
                                     f"{type(last).__name__}: {last}")

    def close(self) -> None:
        self._http.close()


def encode_program(program: Any, source_format: str | None = None) -> tuple[str, str | None]:
    """(program text, format name) to send: text as it is, anything else as the JSON wire format."""
    if isinstance(program, Path):
        from . import get_integrator
        from .programs import load_program

        program, source_format = load_program(get_integrator(), str(program))
    if isinstance(program, str):
        if source_format is None:
            head = program.lstrip()[:200]
            if head.startswith("{"):
                source_format = "qhpc.json"
        return program, source_format
    from qhpc_interop import Circuit, wire

    if isinstance(program, Circuit):
        return wire.dumps(program), "qhpc.json"
    from . import get_integrator

    integrator = get_integrator()
    source = source_format or integrator.detect_format(program)
    fmt = integrator.converter.formats.get(source)
    if getattr(fmt, "samples_all_qubits", False):  # run as its SDK runs it (see ProgramFormat)
        circuit, _ = integrator.to_circuit(program, source=source)
        return wire.dumps(integrator.converter.for_running(circuit, source)), "qhpc.json"
    converted, _ = integrator.convert(program, "qhpc.json", source=source)
    return str(converted), "qhpc.json"


@dataclass
class RemoteBackend:
    """A backend of the server: what ``GET /v1/backends`` says of it."""

    name: str
    kind: str
    description: str
    available: bool
    detail: str | None
    queue_length: int
    capabilities: BackendCapabilities | None
    calibration: dict[str, Any] | None = None

    @staticmethod
    def from_doc(doc: Mapping[str, Any]) -> RemoteBackend:
        caps = doc.get("capabilities")
        return RemoteBackend(name=doc["name"], kind=doc["kind"], description=doc.get("description", ""),
                             available=bool(doc["health"]["available"]), detail=doc["health"].get("detail"),
                             queue_length=int(doc.get("queue_length", 0)),
                             capabilities=capabilities_from_doc(caps) if caps else None,
                             calibration=doc.get("calibration"))


def capabilities_from_doc(doc: Mapping[str, Any]) -> BackendCapabilities:
    data = dict(doc)
    if data.get("native_gates") is not None:
        data["native_gates"] = frozenset(data["native_gates"])
    if data.get("coupling_map") is not None:
        data["coupling_map"] = tuple(tuple(pair) for pair in data["coupling_map"])
    known = BackendCapabilities.__dataclass_fields__
    return BackendCapabilities(**{k: v for k, v in data.items() if k in known})


class RemoteJob:
    """A job on the server, with the methods of a local :class:`qhpc.Job`."""

    def __init__(self, client: Client, info: Mapping[str, Any]) -> None:
        self._client = client
        self.info = dict(info)
        self.id: str = self.info["id"]

    @property
    def backend(self) -> str:
        return str(self.info["backend"])

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.refresh()["status"])

    @property
    def substate(self) -> str | None:
        return self.refresh().get("substate")

    def refresh(self) -> dict[str, Any]:
        self.info = self._client.conn.request("GET", f"/v1/jobs/{self.id}").json()
        return self.info

    def done(self) -> bool:
        return JobStatus(self.info["status"]).final or self.status.final

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` seconds); whether it has."""
        try:
            self._fetch(timeout)
        except TimeoutError:
            return False
        except QhpcError:
            return True
        return True

    def result(self, timeout: float | None = None) -> Result:
        """Wait for the job and return its result (digest checked); raises like a local job."""
        return self._fetch(timeout)

    def _fetch(self, timeout: float | None) -> Result:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = RESULT_POLL_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
            wait = min(left, RESULT_POLL_SECONDS)
            response = self._client.conn.request("GET", f"/v1/jobs/{self.id}/result", params={"wait": wait},
                                                 timeout=wait + self._client.conn.timeout, ok=(200, 202, 409))
            doc = response.json()
            if response.status_code == 200:
                verify_digest(doc.get("result"), doc.get("digest"), f"result of job {self.id}")
                self.info["status"] = "DONE"
                return result_from_doc(doc["result"])
            if response.status_code == 409:
                self.info["status"] = doc.get("status", "FAILED")
                if doc.get("status") == "CANCELLED":
                    raise JobCancelledError(doc["error"])
                raise JobFailedError(doc["error"])
            self.info = doc
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} not finished after {timeout} s (status {doc.get('status')})")

    def cancel(self) -> bool:
        """Cancel the job; False if it had finished already."""
        try:
            self.info = self._client.conn.request("POST", f"/v1/jobs/{self.id}/cancel").json()
        except RemoteError as exc:
            if exc.status == 409:
                return False
            raise
        return self.info["status"] == "CANCELLED"

    @property
    def events(self) -> list[JobEvent | dict[str, Any]]:
        """The job's event log: :class:`qhpc.JobEvent` for the integrator's events, dictionaries
        for the server's own (``accepted``, ``dispatched``, ``requeued``...)."""
        docs = self._client.conn.request("GET", f"/v1/jobs/{self.id}/events").json()["events"]
        return [event_from_doc(self.id, d) for d in docs]

    def __repr__(self) -> str:
        return f"<RemoteJob {self.id} {self.info.get('status')} on {self.info.get('backend')}>"


class RemoteSession:
    """A session on one backend: its jobs run in order, with compiled programs kept hot."""

    def __init__(self, client: Client, info: Mapping[str, Any]) -> None:
        self._client = client
        self.info = dict(info)
        self.id: str = self.info["id"]
        self.backend: str = self.info["backend"]

    def submit(self, program: Any, **kwargs: Any) -> RemoteJob:
        return self._client.submit(program, backend=self.backend, session=self.id, **kwargs)

    def run(self, program: Any, *, timeout: float | None = None, **kwargs: Any) -> Result:
        return self.submit(program, **kwargs).result(timeout)

    def refresh(self) -> dict[str, Any]:
        self.info = self._client.conn.request("GET", f"/v1/sessions/{self.id}").json()
        return self.info

    def close(self) -> None:
        self.info = self._client.conn.request("DELETE", f"/v1/sessions/{self.id}").json()

    def __enter__(self) -> RemoteSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Client:
    """A connection to a qhpc server (see the module docstring)."""

    def __init__(self, url: str | None = None, token: str | None = None, *, verify: bool | str | None = None,
                 timeout: float = 30.0, retries: int = 3, settings: Settings | None = None,
                 local_address: str | None = None) -> None:
        settings = settings if settings is not None else load_settings()
        url = url or os.environ.get("QHPC_SERVER") or settings.service.client.url
        if not url:
            raise QhpcError("no server: give its URL (qhpc.connect(URL), --server URL, QHPC_SERVER or [client] url)")
        if verify is None:
            verify = settings.service.client.ca_file or True
        _check_url(url)
        self.url = url.rstrip("/")
        self.conn = Connection(self.url, resolve_token(token, settings), timeout=timeout, retries=retries,
                               verify=verify, local_address=local_address)

    # -- what the server offers ----------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.conn.request("GET", "/v1/health").json()  # type: ignore[no-any-return]

    def backends(self) -> dict[str, RemoteBackend]:
        docs = self.conn.request("GET", "/v1/backends").json()["backends"]
        return {d["name"]: RemoteBackend.from_doc(d) for d in docs}

    def backend(self, name: str) -> RemoteBackend:
        return RemoteBackend.from_doc(self.conn.request("GET", f"/v1/backends/{name}").json())

    def plugins(self) -> list[dict[str, Any]]:
        return self.conn.request("GET", "/v1/plugins").json()  # type: ignore[no-any-return]

    # -- jobs ---------------------------------------------------------------------------------------
    def _request(self, program: Any, *, backend: str = "auto", shots: int = 1024, seed: int | None = None,
                 memory: bool = False, parameters: Mapping[Any, float] | None = None,
                 options: Mapping[str, Any] | None = None, session: str | None = None,
                 time_limit: float | None = None, idempotency_key: str | None = None,
                 source_format: str | None = None) -> dict[str, Any]:
        backend, shots, seed, parameters, time_limit = request_types(backend, shots, seed, parameters, options,
                                                                     time_limit)
        text, fmt = encode_program(program, source_format)
        body: dict[str, Any] = {"program": text, "backend": backend, "shots": shots, "memory": memory,
                                "idempotency_key": idempotency_key or uuid.uuid4().hex}
        for key, value in (("format", fmt), ("seed", seed), ("session", session), ("time_limit", time_limit)):
            if value is not None:
                body[key] = value
        if parameters:
            body["parameters"] = {str(getattr(k, "name", k)): float(v) for k, v in parameters.items()}
        if options:
            body["options"] = dict(options)
        return body

    def submit(self, program: Any, **kwargs: Any) -> RemoteJob:
        """Submit ``program`` (any installed framework, or OpenQASM/qhpc JSON text); keyword
        arguments as :func:`qhpc.submit`, plus ``session``, ``time_limit`` and ``idempotency_key``."""
        body = self._request(program, **kwargs)
        return RemoteJob(self, self.conn.request("POST", "/v1/jobs", json=body).json())

    def submit_many(self, programs: Sequence[Any], **kwargs: Any) -> list[RemoteJob]:
        """Submit several programs in one request (all accepted, or none)."""
        bodies = [self._request(p, **kwargs) for p in programs]
        answer = self.conn.request("POST", "/v1/jobs/batch", json={"jobs": bodies}).json()
        return [RemoteJob(self, info) for info in answer["jobs"]]

    def run(self, program: Any, *, timeout: float | None = None, **kwargs: Any) -> Result:
        return self.submit(program, **kwargs).result(timeout)

    def job(self, job_id: str) -> RemoteJob:
        return RemoteJob(self, self.conn.request("GET", f"/v1/jobs/{job_id}").json())

    def jobs(self, *, status: str | Sequence[str] | None = None, backend: str | Sequence[str] | None = None,
             since: float | None = None, until: float | None = None, session: str | None = None,
             limit: int | None = 100) -> list[RemoteJob]:
        """Your jobs, newest first (``limit=None``: all of them, page by page)."""
        return list(self.iter_jobs(status=status, backend=backend, since=since, until=until, session=session,
                                   limit=limit))

    def iter_jobs(self, *, status: str | Sequence[str] | None = None, backend: str | Sequence[str] | None = None,
                  since: float | None = None, until: float | None = None, session: str | None = None,
                  limit: int | None = None) -> Iterator[RemoteJob]:
        params: dict[str, Any] = {"status": [status] if isinstance(status, str) else list(status or []),
                                  "backend": [backend] if isinstance(backend, str) else list(backend or [])}
        for key, value in (("since", since), ("until", until), ("session", session)):
            if value is not None:
                params[key] = value
        given = 0
        cursor: str | None = None
        while True:
            page = min(500, limit - given) if limit is not None else 500
            if page <= 0:
                return
            answer = self.conn.request("GET", "/v1/jobs", params={**params, "limit": page,
                                                                  **({"cursor": cursor} if cursor else {})}).json()
            for info in answer["jobs"]:
                given += 1
                yield RemoteJob(self, info)
            cursor = answer.get("next_cursor")
            if not cursor:
                return

    def session(self, backend: str, *, idle_timeout: float | None = None,
                max_lifetime: float | None = None) -> RemoteSession:
        body: dict[str, Any] = {"backend": backend}
        if idle_timeout is not None:
            body["idle_timeout"] = idle_timeout
        if max_lifetime is not None:
            body["max_lifetime"] = max_lifetime
        return RemoteSession(self, self.conn.request("POST", "/v1/sessions", json=body).json())

    def accounting(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """Seconds per user and backend (administrators only)."""
        params = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
        return self.conn.request("GET", "/v1/admin/accounting", params=params).json()["usage"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_url(url: str) -> None:
    """A server URL that cannot be one is refused by name (a bracket left open was an internal
    error, a URL without a scheme retried four times before 'UnsupportedProtocol')."""
    import httpx

    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("http", "https"):
        raise QhpcError(f"the server URL {url!r} must start with http:// or https://")
    try:
        parsed = httpx.URL(url)
    except Exception as exc:
        raise QhpcError(f"the server URL {url!r} is not a URL: {exc}") from None
    if not parsed.host:
        raise QhpcError(f"the server URL {url!r} names no host")


def connect(url: str | None = None, token: str | None = None, **kwargs: Any) -> Client:
    """A :class:`Client` of the server at ``url`` (default: ``$QHPC_SERVER`` or ``[client] url``)."""
    return Client(url, token, **kwargs)
