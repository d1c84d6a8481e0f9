"""One backend of a peer site as a :class:`qhpc.resources.QuantumResource`.

Tasks are jobs on the peer's server, submitted with an idempotency key (a retry after a dropped
connection, or the re-run of a job after this site restarted, finds the job it created instead of
running it twice). Results are fetched with the peer's long-poll and accepted only if their
digest matches (a corrupted result is fetched again, then refused). Acquisition reserves nothing
at the peer (its own queue and quotas decide, as for its local users): it is this site's
admission, refused at once while the peer's circuit breaker is open.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import Any

from qhpc.client import capabilities_from_doc
from qhpc.interfaces import BackendCapabilities, Location, RunOutput
from qhpc.resources import QuantumResource, ResourceError, ResourceStatus, TaskPayload, TaskStatus
from qhpc.server.protocol import DigestMismatchError, verify_digest
from qhpc_interop import wire

from .http import PeerClient, PeerUnavailableError

STATUSES = {"QUEUED": TaskStatus.QUEUED, "RUNNING": TaskStatus.RUNNING, "DONE": TaskStatus.COMPLETED,
            "FAILED": TaskStatus.FAILED, "CANCELLED": TaskStatus.CANCELLED}


class PeerResource(QuantumResource):
    """Backend ``backend`` of the peer ``client`` talks to."""

    def __init__(self, client: PeerClient, backend: str, kind: str, description: Mapping[str, Any] | None = None,
                 site: str = "") -> None:
        self.client = client
        self.backend = backend
        self.kind = kind  # type: ignore[misc]  # per resource: a peer offers QPUs and emulators
        self.resource_id = f"{client.name}.{backend}"
        self.site = site
        self._description = dict(description) if description else None
        self._lock = threading.Lock()
        self._results: dict[str, RunOutput] = {}
        self._errors: dict[str, str] = {}
        self._leases: set[str] = set()

    # -- acquisition --------------------------------------------------------------------------
    def acquire(self) -> str:
        if self.client.breaker.state == "open":
            raise PeerUnavailableError(f"peer {self.client.name} is unavailable (circuit breaker open after "
                                       f"{self.client.breaker.failures} failures in a row)")
        token = uuid.uuid4().hex
        with self._lock:
            self._leases.add(token)
        return token

    def release(self, token: str) -> None:
        with self._lock:
            self._leases.discard(token)

    # -- tasks ----------------------------------------------------------------------------------
    def task_start(self, payload: TaskPayload) -> str:
        key = payload.idempotency_key or uuid.uuid4().hex
        body: dict[str, Any] = {
            "program": wire.dumps(payload.circuit), "format": "qhpc.json", "backend": self.backend,
            "shots": payload.shots, "memory": payload.memory, "idempotency_key": f"{self.site or 'peer'}:{key}"}
        if payload.seed is not None:
            body["seed"] = payload.seed
        if payload.options:
            body["options"] = dict(payload.options)
        return str(self.client.request("POST", "/v1/jobs", json=body).json()["id"])

    def task_stop(self, task_id: str) -> None:
        self.client.request("POST", f"/v1/jobs/{task_id}/cancel", ok=(200, 409))

    def task_status(self, task_id: str) -> TaskStatus:
        if task_id in self._results:
            return TaskStatus.COMPLETED
        return STATUSES[self.client.request("GET", f"/v1/jobs/{task_id}").json()["status"]]

    def wait(self, task_id: str, timeout: float) -> TaskStatus:
        """The peer's long-poll: one request that returns when the job ends or after ``timeout``."""
        if task_id in self._results:
            return TaskStatus.COMPLETED
        response = self.client.request("GET", f"/v1/jobs/{task_id}/result", params={"wait": timeout},
                                       timeout=timeout + self.client.peer.timeout, ok=(200, 202, 409))
        doc = response.json()
        if response.status_code == 200:
            try:
                self._accept(task_id, doc)
            except DigestMismatchError:
                pass  # task_result fetches it again, and refuses it if it stays corrupted
            return TaskStatus.COMPLETED
        if response.status_code == 409:
            with self._lock:
                self._errors[task_id] = str(doc.get("error", ""))
            return STATUSES.get(str(doc.get("status")), TaskStatus.FAILED)
        return STATUSES.get(str(doc.get("status")), TaskStatus.QUEUED)

    def task_result(self, task_id: str) -> RunOutput:
        with self._lock:
            cached = self._results.pop(task_id, None)
        if cached is not None:
            return cached
        last: Exception | None = None
        for _ in range(self.client.peer.retries + 1):
            doc = self.client.request("GET", f"/v1/jobs/{task_id}/result").json()
            try:
                self._accept(task_id, doc)
            except DigestMismatchError as exc:
                last = exc
                continue
            with self._lock:
                return self._results.pop(task_id)
        raise ResourceError(f"the result of job {task_id} from peer {self.client.name} failed its digest check "
                            f"{self.client.peer.retries + 1} time(s); refused: {last}")

    def _accept(self, task_id: str, doc: Mapping[str, Any]) -> None:
        """Keep a result whose digest matches (raise :class:`DigestMismatchError` otherwise)."""
        result, digest = doc.get("result"), doc.get("digest")
        verify_digest(result, digest, f"result of job {task_id} from peer {self.client.name}")
        assert isinstance(result, Mapping)
        counts = result.get("counts")
        if not isinstance(counts, Mapping):
            raise ResourceError(f"peer {self.client.name} sent a result without counts for job {task_id}")
        memory = result.get("memory")
        output = RunOutput(counts={str(k): v for k, v in counts.items()},
                           memory=None if memory is None else list(memory),
                           metadata={"peer": self.client.name, "peer_url": self.client.peer.url,
                                     "peer_job_id": task_id, "peer_backend": result.get("backend"),
                                     "digest": digest, "peer_metadata": result.get("metadata", {}),
                                     "seed": result.get("seed")})
        with self._lock:
            self._results[task_id] = output

    def task_logs(self, task_id: str) -> str:
        with self._lock:
            return self._errors.pop(task_id, "")

    # -- description ------------------------------------------------------------------------------
    def _doc(self) -> dict[str, Any]:
        if self._description is None:
            self._description = self.client.request("GET", f"/v1/backends/{self.backend}").json()
        return self._description

    def target(self) -> BackendCapabilities:
        caps = self._doc().get("capabilities")
        if not caps:
            detail = self._doc().get("health", {}).get("detail") or "it describes no capabilities"
            raise ResourceError(f"{self.backend} at peer {self.client.name} is unavailable: {detail}")
        remote = capabilities_from_doc({**caps, "location": Location.REMOTE, "supports_noise": False,
                                        "description": f"{caps.get('description') or self.backend} "
                                                       f"(at peer {self.client.name}, {self.client.peer.url})"})
        return remote

    def metadata(self) -> dict[str, Any]:
        doc = self._doc()
        return {"peer": self.client.name, "url": self.client.peer.url, "backend": self.backend,
                "calibration": doc.get("calibration"), "breaker": self.client.breaker.state}

    def status(self) -> ResourceStatus:
        try:
            doc = self.client.request("GET", f"/v1/backends/{self.backend}", retries=0).json()
        except ResourceError as exc:
            return ResourceStatus(False, None, str(exc))
        health = doc.get("health", {})
        return ResourceStatus(bool(health.get("available")), int(doc.get("queue_length", 0)),
                              str(health.get("detail") or ""))
