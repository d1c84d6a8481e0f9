"""Execution that can travel: the versioned JSON forms of :class:`~qhpc.interfaces.ExecutionRequest`
and :class:`~qhpc.interfaces.RunOutput`, so any scheduler can run a qhpc job in another process
or on another node (``qhpc worker``).

A request file::

    {"format": "qhpc.request", "version": 1, "job_id": "...", "backend": "aer.statevector",
     "program": {"kind": "gate", "data": <the kind's JSON form: the wire format for circuits>},
     "shots": 1024, "seed": 7, "memory": false, "options": {}, "time_limit": null, "noise": null}

An output (result) file::

    {"format": "qhpc.output", "version": 1, "job_id": "...", "status": "DONE",
     "output": {"counts": {...}, "memory": null, "metadata": {...}}, "seconds": 0.12}

or ``"status": "FAILED"`` with ``"error"`` (one line). Unknown fields and other versions are
refused, naming the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .errors import QhpcError
from .interfaces import ExecutionRequest, RunOutput

REQUEST_FORMAT = "qhpc.request"
OUTPUT_FORMAT = "qhpc.output"
VERSION = 1


class TransportError(QhpcError):
    """A request or output document is malformed, of another version, or holds an unknown kind."""


def _kind_for(program: Any, kinds: Mapping[str, Any]) -> Any:
    for kind in kinds.values():
        if kind.is_program(program):
            return kind
    raise TransportError(f"no installed program kind holds a {type(program).__name__}")


def request_to_dict(request: ExecutionRequest, kinds: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of ``request`` (``kinds``: the integrator's program kinds, by name)."""
    kind = _kind_for(request.circuit, kinds)
    return {
        "format": REQUEST_FORMAT, "version": VERSION, "job_id": request.job_id, "backend": request.backend,
        "program": {"kind": kind.name, "data": kind.to_json(request.circuit)},
        "shots": request.shots, "seed": request.seed, "memory": request.memory,
        "options": _plain(request.options, "options"), "time_limit": request.time_limit,
        "noise": None if request.noise is None else request.noise.to_dict(),
    }


def request_from_dict(data: Any, kinds: Mapping[str, Any], source: str = "request") -> ExecutionRequest:
    """An :class:`ExecutionRequest` from its JSON form; every field checked."""
    _expect(data, REQUEST_FORMAT, source, {"format", "version", "job_id", "backend", "program", "shots", "seed",
                                           "memory", "options", "time_limit", "noise"})
    program = data.get("program")
    if not isinstance(program, Mapping) or set(program) != {"kind", "data"}:
        raise TransportError(f"{source}: 'program' must be {{'kind': ..., 'data': ...}}")
    kind = kinds.get(program["kind"])
    if kind is None:
        raise TransportError(f"{source}: program kind {program['kind']!r} is not installed here "
                             f"(installed: {', '.join(sorted(kinds))})")
    shots, seed = data.get("shots"), data.get("seed")
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise TransportError(f"{source}: 'shots' must be a positive whole number, not {shots!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        raise TransportError(f"{source}: 'seed' must be null or a whole number from 0 to 2**63 - 1")
    limit = data.get("time_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0):
        raise TransportError(f"{source}: 'time_limit' must be null or a positive number of seconds")
    options = data.get("options") or {}
    if not isinstance(options, Mapping):
        raise TransportError(f"{source}: 'options' must be an object")
    noise = None
    if data.get("noise") is not None:
        from .noise import NoiseModel

        noise = NoiseModel.from_dict(data["noise"], f"{source}: noise")
    for key in ("job_id", "backend"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise TransportError(f"{source}: {key!r} must be a non-empty string")
    return ExecutionRequest(
        job_id=data["job_id"], backend=data["backend"], circuit=kind.from_json(program["data"]),
        shots=shots, seed=seed, memory=bool(data.get("memory", False)), options=dict(options),
        time_limit=None if limit is None else float(limit), noise=noise,
    )


def output_to_dict(job_id: str, output: RunOutput | None, *, error: str | None = None,
                   seconds: float | None = None) -> dict[str, Any]:
    """The JSON form of a run's output (or of its failure, with ``error``)."""
    doc: dict[str, Any] = {"format": OUTPUT_FORMAT, "version": VERSION, "job_id": job_id}
    if error is not None:
        doc.update(status="FAILED", error=" ".join(error.split()))
    else:
        assert output is not None
        doc.update(status="DONE", output={"counts": {k: int(v) for k, v in output.counts.items()},
                                          "memory": output.memory, "metadata": _plain(output.metadata, "metadata")})
    if seconds is not None:
        doc["seconds"] = seconds
    return doc


def output_from_dict(data: Any, source: str = "output") -> tuple[str, RunOutput | None, str | None]:
    """``(status, output, error)`` from an output document."""
    _expect(data, OUTPUT_FORMAT, source, {"format", "version", "job_id", "status", "output", "error", "seconds"})
    status = data.get("status")
    if status == "FAILED":
        return "FAILED", None, str(data.get("error", "the run failed"))
    if status != "DONE" or not isinstance(data.get("output"), Mapping):
        raise TransportError(f"{source}: 'status' must be DONE (with 'output') or FAILED (with 'error')")
    out = data["output"]
    counts = out.get("counts")
    if not isinstance(counts, Mapping):
        raise TransportError(f"{source}: output.counts must be an object")
    memory = out.get("memory")
    return "DONE", RunOutput(counts=dict(counts), memory=list(memory) if memory is not None else None,
                             metadata=dict(out.get("metadata") or {})), None


def dumps(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, allow_nan=False, separators=(",", ":"))


def _expect(data: Any, fmt: str, source: str, known: set[str]) -> None:
    if not isinstance(data, Mapping) or data.get("format") != fmt:
        raise TransportError(f"{source}: not a {fmt} document")
    if data.get("version") != VERSION:
        raise TransportError(f"{source}: {fmt} version {data.get('version')!r} is not {VERSION}")
    unknown = sorted(set(data) - known)
    if unknown:
        raise TransportError(f"{source}: unknown field {unknown[0]!r}")


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain JSON (numpy numbers become Python numbers; NaN becomes null)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if hasattr(value, "dtype") and "int" in str(value.dtype) else number
