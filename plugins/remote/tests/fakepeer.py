"""A small peer server for fault injection: the parts of the qhpc v1 API the remote front-end uses,
served by uvicorn on a loopback port in a background thread.

It runs jobs for real (Aer, through a qhpc Integrator) and serves results with their digests,
and it misbehaves on request: ``faults`` is a list of (route prefix, mode, count) consumed in
order, where mode is ``500`` or ``422`` (an error answer), ``slow`` (answers after ``slow_seconds``),
``drop`` (starts the answer, then closes the connection), ``corrupt`` (a result whose counts no
longer match its digest) or ``hold`` (jobs stay RUNNING until cancelled).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from qhpc import Integrator, Settings
from qhpc.server.protocol import canonical, digest_of, result_to_doc
from qhpc.server.testing import free_port
from qhpc_interop import wire

CAPS = {"num_qubits": 5, "paradigm": "gate", "native_gates": None, "supports_unitary": True, "coupling_map": None,
        "supports_noise": False, "noisy": True, "max_shots": 100_000, "supports_memory": True,
        "supports_mid_circuit_measurement": True, "supports_conditionals": True, "supports_reset": True,
        "kind": "qpu", "location": "on-prem", "device": "QPU", "description": "a fake QPU", "limit_note": ""}
BACKENDS = [
    {"name": "ibm_fake", "kind": "qpu", "description": "a QPU of the peer", "health": {"available": True},
     "queue_length": 3, "capabilities": CAPS, "calibration": None},
    {"name": "sim", "kind": "emulator", "description": "an emulator of the peer", "health": {"available": True},
     "queue_length": 0, "capabilities": {**CAPS, "kind": "emulator", "device": "CPU", "location": "local",
                                         "noisy": False}, "calibration": None},
    {"name": "other.qpu", "kind": "qpu", "description": "what the peer reaches remotely (not offered again)",
     "health": {"available": True}, "queue_length": 0, "capabilities": {**CAPS, "location": "remote"}},
]


class FakePeer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[list[Any]] = []
        self.slow_seconds = 2.0
        self.hold = False
        self.jobs: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.cancelled: list[str] = []
        self._lock = threading.Lock()
        self._integrator = Integrator(settings=Settings.from_mapping({"plugins": {"enabled": ["builtin", "qiskit"]}}))
        self.app = self._make_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------
    def fault(self, prefix: str, mode: str, count: int = 1) -> None:
        with self._lock:
            self.faults.append([prefix, mode, count])

    def _take_fault(self, method: str, path: str) -> str | None:
        with self._lock:
            self.requests.append((method, path))
            for entry in self.faults:
                prefix, mode, count = entry
                if f"{method} {path}".startswith(prefix) and count > 0:
                    entry[2] -= 1
                    return str(mode)
        return None

    def start(self) -> FakePeer:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake peer did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            assert self._thread is not None
            self._thread.join(10)
            self._server = None

    def close(self) -> None:
        self.stop()
        self._integrator.close(wait=False)

    # -- the API --------------------------------------------------------------------------------
    def _make_app(self) -> FastAPI:
        app = FastAPI()
        peer = self

        @app.middleware("http")
        async def faults(request: Request, call_next: Any) -> Response:
            mode = peer._take_fault(request.method, request.url.path)
            if mode in ("500", "422"):
                return JSONResponse({"error": f"injected {mode}"}, status_code=int(mode))
            parts = request.url.path.split("/")  # ["", "v1", "jobs", ID, ...]
            names_a_job = len(parts) > 3 and parts[2] == "jobs"
            if names_a_job and parts[3] not in peer.jobs:
                return JSONResponse({"error": f"no job {parts[3]}"}, status_code=404)
            if mode == "slow":
                await asyncio.sleep(peer.slow_seconds)
            if mode == "drop":
                async def broken() -> AsyncIterator[bytes]:
                    yield b'{"partial": '
                    raise ConnectionResetError("injected drop")

                return StreamingResponse(broken(), media_type="application/json")
            response: Response = await call_next(request)
            if mode == "corrupt":  # one count off, the digest unchanged
                doc = json.loads(b"".join([chunk async for chunk in response.body_iterator]))  # type: ignore[attr-defined]
                counts = doc["result"]["counts"]
                counts[next(iter(counts))] -= 1
                return Response(json.dumps(doc), status_code=response.status_code, media_type="application/json")
            return response

        @app.get("/v1/backends")
        def backends() -> dict[str, Any]:
            return {"backends": BACKENDS}

        @app.get("/v1/backends/{name}")
        def backend(name: str) -> Any:
            for doc in BACKENDS:
                if doc["name"] == name:
                    return doc
            return JSONResponse({"error": f"no backend {name}"}, status_code=404)

        @app.post("/v1/jobs", status_code=201)
        def submit(body: dict[str, Any]) -> Any:
            key = body.get("idempotency_key")
            with peer._lock:
                if key in peer.keys:
                    return JSONResponse(peer._info(peer.keys[key]), status_code=200)
            job_id = uuid.uuid4().hex
            circuit = wire.loads(body["program"])
            job: dict[str, Any] = {"id": job_id, "backend": body["backend"], "shots": body["shots"],
                                   "status": "RUNNING" if peer.hold else "DONE", "key": key}
            if not peer.hold:
                result = peer._integrator.run(circuit, backend="aer.statevector", shots=body["shots"],
                                              seed=body.get("seed"), memory=body.get("memory", False))
                result.backend = body["backend"]
                text = canonical(result_to_doc(result, job_id=job_id))
                job.update(result=text, digest=digest_of(text), counts=result.counts)
            with peer._lock:
                peer.jobs[job_id] = job
                if key is not None:
                    peer.keys[key] = job_id
            return peer._info(job_id)

        @app.get("/v1/jobs/{job_id}")
        def status(job_id: str) -> Any:
            return peer._info(job_id)

        @app.get("/v1/jobs/{job_id}/result")
        async def result(job_id: str, wait: float = 0) -> Response:
            deadline = time.monotonic() + wait
            while peer.jobs[job_id]["status"] == "RUNNING" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            job = peer.jobs[job_id]
            if job["status"] == "DONE":
                body = '{"job_id":"' + job_id + '","digest":"' + job["digest"] + '","result":' + job["result"] + "}"
                return Response(body, media_type="application/json")
            if job["status"] == "CANCELLED":
                return JSONResponse({"error": f"job {job_id} was cancelled", "status": "CANCELLED"}, status_code=409)
            return JSONResponse(peer._info(job_id), status_code=202)

        @app.post("/v1/jobs/{job_id}/cancel")
        def cancel(job_id: str) -> Any:
            with peer._lock:
                peer.cancelled.append(job_id)
                if peer.jobs[job_id]["status"] == "RUNNING":
                    peer.jobs[job_id]["status"] = "CANCELLED"
                    return peer._info(job_id)
            return JSONResponse({"error": "finished already"}, status_code=409)

        return app

    def _info(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        return {"id": job_id, "status": job["status"], "backend": job["backend"], "shots": job["shots"]}
