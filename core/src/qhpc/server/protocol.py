"""What the server and its clients agree on, without FastAPI: canonical JSON, result digests, and
the JSON forms of results and job events.

A result travels as a document (:func:`result_to_doc`) with a digest: ``sha256:`` and the SHA-256
of the document's canonical JSON (keys sorted, no spaces, UTF-8, no NaN). The server stores the
canonical text and its digest when the job completes and sends that text unchanged; the client
recomputes the digest over what it received and refuses a result whose digest differs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from ..errors import QhpcError
from ..jobs import JobEvent, JobEventKind, JobStatus, Result

API_VERSION = "v1"
DIGEST_PREFIX = "sha256:"


class DigestMismatchError(QhpcError):
    """A result's content does not match its digest: it was corrupted on the way or in storage."""


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: numpy numbers become Python numbers, tuples lists, NaN and
    infinities ``null``; anything else unknown becomes its string."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [plain(v) for v in items]
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    dtype = getattr(value, "dtype", None)
    if dtype is not None and hasattr(value, "item"):
        return plain(value.item())
    return str(value)


def canonical(doc: Any) -> str:
    """The canonical JSON text of ``doc`` (already plain data)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest_of(text: str) -> str:
    return DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_digest(doc: Any, digest: Any, what: str = "result") -> None:
    """Raise :class:`DigestMismatchError` unless ``doc``'s canonical JSON has ``digest``."""
    if not isinstance(digest, str) or not digest.startswith(DIGEST_PREFIX):
        raise DigestMismatchError(f"the {what} carries no valid digest ({digest!r})")
    try:
        actual = digest_of(canonical(doc))
    except (TypeError, ValueError) as exc:
        raise DigestMismatchError(f"the {what} is not canonical JSON: {exc}") from None
    if actual != digest:
        raise DigestMismatchError(f"the {what} does not match its digest (got {actual[:19]}..., "
                                  f"expected {digest[:19]}...): it was corrupted; refusing it")


def result_to_doc(result: Result, job_id: str | None = None) -> dict[str, Any]:
    """The JSON form of a result (times in seconds, counts sorted)."""
    return plain({
        "job_id": job_id or result.job_id,
        "backend": result.backend,
        "shots": result.shots,
        "seed": result.seed,
        "counts": dict(sorted(result.counts.items())),
        "memory": result.memory,
        "registers": result.registers,
        "timings": result.timings,
        "metadata": result.metadata,
    })  # type: ignore[no-any-return]


def result_from_doc(doc: Mapping[str, Any]) -> Result:
    """A :class:`qhpc.Result` from its JSON form (as :func:`result_to_doc` writes it)."""
    try:
        counts = doc["counts"]
        if not isinstance(counts, Mapping) or not all(isinstance(v, int) and not isinstance(v, bool)
                                                      for v in counts.values()):
            raise TypeError("counts must map bitstrings to whole numbers")
        memory = doc.get("memory")
        return Result(
            counts={str(k): int(v) for k, v in counts.items()}, shots=int(doc["shots"]), backend=str(doc["backend"]),
            seed=None if doc.get("seed") is None else int(doc["seed"]), job_id=str(doc["job_id"]),
            memory=None if memory is None else [str(m) for m in memory],
            timings={str(k): float(v) for k, v in (doc.get("timings") or {}).items()},
            registers={str(k): [int(b) for b in v] for k, v in (doc.get("registers") or {}).items()},
            metadata=dict(doc.get("metadata") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise QhpcError(f"malformed result document: {type(exc).__name__}: {exc}") from None


def event_from_doc(job_id: str, doc: Mapping[str, Any]) -> JobEvent | dict[str, Any]:
    """A :class:`qhpc.JobEvent` for the integrator's kinds; the server's own kinds (``accepted``,
    ``dispatched``, ``requeued``...) stay dictionaries."""
    try:
        kind = JobEventKind(doc["kind"])
    except ValueError:
        return dict(doc)
    return JobEvent(kind, job_id, float(doc["time"]), JobStatus(doc["status"]), stage=doc.get("stage"),
                    seconds=doc.get("seconds"), detail=doc.get("detail"))
