"""Jobs and results.

A :class:`Job` is what :meth:`qhpc.Integrator.submit` hands back: it moves through
``QUEUED -> RUNNING -> DONE | FAILED | CANCELLED`` and records how long each pipeline stage took.
Its :class:`Result` carries the counts (bitstrings with the highest classical bit first, as
Qiskit writes them), optional per-shot memory, and metadata (backend, seed, stage timings).
"""

from __future__ import annotations

import enum
import numbers
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import JobCancelledError, JobFailedError, JobRejectedError, UnknownNameError

#: Pipeline stages, in the order a job passes them (see :mod:`qhpc.integrator`). ``startup`` is
#: recorded only by the first job that uses a backend (loading its SDK).
STAGES = ("convert", "startup", "validate", "compile", "schedule", "run", "verify", "postprocess")


def request_types(backend: object, shots: object, seed: object, parameters: object, options: object,
                  time_limit: object = None) -> tuple[str, Any, Any, dict[Any, Any] | None, Any]:
    """A request's arguments of the wrong kind refused by name (they failed deep inside with an
    AttributeError or TypeError, or a list of values was taken for names); integers of any kind
    (numpy's from an array) as Python ints, and parameters keyed by name (an SDK's parameter
    object gives its ``name``). Ranges are checked where the job is validated. Returns backend,
    shots, seed, parameters and time limit."""
    if not isinstance(backend, str):
        raise JobRejectedError(f"backend must be a backend's name or 'auto', not {backend!r}")
    if isinstance(shots, numbers.Integral) and not isinstance(shots, bool):
        shots = int(shots)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        seed = int(seed)
    if isinstance(time_limit, numbers.Real) and not isinstance(time_limit, bool):
        time_limit = float(time_limit)
    named: dict[Any, Any] | None = None
    if parameters is not None:
        parameters = getattr(parameters, "param_dict", parameters)  # a cirq.ParamResolver's mapping
        items = getattr(parameters, "items", None)
        if isinstance(parameters, (str, bytes)) or not callable(items):
            raise JobRejectedError(f"parameters must map parameter names to values ({{'theta': 0.3}}), not a "
                                   f"{type(parameters).__name__}")
        named = {}
        for key, value in items():
            elements = getattr(key, "params", None)  # a Qiskit ParameterVector given a list of values
            pairs = (zip(elements, value, strict=True) if isinstance(elements, list) and _is_sequence(value)
                     and len(elements) == len(value) else [(key, value)])
            for k, v in pairs:
                name = _parameter_name(k)
                v = v.item() if getattr(v, "ndim", None) == 0 else v  # a numpy scalar or 0-d array
                if name in named and named[name] is not v and _differ(named[name], v):
                    raise JobRejectedError(f"parameter {name!r} is given twice, as {named[name]!r} and {v!r}")
                named[name] = v
    if options is not None and not isinstance(options, Mapping):
        raise JobRejectedError(f"options must map option names to values, not a {type(options).__name__}")
    return backend, shots, seed, named, time_limit


def _parameter_name(key: Any) -> Any:
    """The name a parameter is bound by: a name itself, or an SDK's parameter object's (Qiskit's and
    sympy's ``name``, a Pulser variable item's ``var.name``)."""
    name = getattr(key, "name", None)
    if isinstance(name, str):
        return name
    var = getattr(key, "var", None)
    var_name = getattr(var, "name", None)
    if not isinstance(var_name, str):
        return key
    size = getattr(var, "size", 1)
    return var_name if size == 1 else f"{var_name}[{getattr(key, 'key', '?')}]"  # one item of an array


def _differ(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except ValueError:  # arrays: compared element by element
        return not (getattr(a, "shape", None) == getattr(b, "shape", None) and bool((a == b).all()))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or getattr(value, "ndim", None) == 1


class JobStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def final(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)

    def __str__(self) -> str:
        return self.value


class JobEventKind(enum.StrEnum):
    """What a :class:`JobEvent` reports."""

    SUBMITTED = "submitted"  # accepted: converted, validated and compiled
    QUEUED = "queued"  # being handed to the scheduler (before any worker can start it)
    RUNNING = "running"  # the backend started on it
    STAGE = "stage"  # a pipeline stage finished (``stage`` and ``seconds`` say which and how long)
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One entry of a job's event log (:attr:`Job.events`), also sent to ``qhpc_job_event`` observers.

    ``time`` is the wall-clock time (seconds since the epoch); ``status`` the job's status right
    after the event; ``stage``/``seconds`` are set for :attr:`JobEventKind.STAGE` events, ``detail``
    carries the failure reason of a ``FAILED`` event.
    """

    kind: JobEventKind
    job_id: str
    time: float
    status: JobStatus
    stage: str | None = None
    seconds: float | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": str(self.kind), "time": self.time, "status": str(self.status)}
        for key in ("stage", "seconds", "detail"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Result:
    """The outcome of a job, in the user's terms.

    ``counts`` keys are bitstrings over all classical bits, highest bit first: for a circuit whose
    clbit 0 reads 1 and clbit 1 reads 0 the key is ``"01"``. ``registers`` maps each classical
    register name to its clbit indices so a key can be split per register (:meth:`register_counts`).
    """

    counts: dict[str, int]
    shots: int
    backend: str
    seed: int | None
    job_id: str
    memory: list[str] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    registers: dict[str, list[int]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def num_clbits(self) -> int:
        return len(next(iter(self.counts))) if self.counts else 0

    def probabilities(self) -> dict[str, float]:
        return {k: v / self.shots for k, v in self.counts.items()}

    def most_frequent(self) -> str:
        return max(self.counts.items(), key=lambda kv: (kv[1], kv[0]))[0]

    def register_counts(self, register: str) -> dict[str, int]:
        """Counts marginalised onto one classical register (its highest bit first)."""
        bits = self.registers.get(register) if isinstance(register, str) else None
        if bits is None:
            raise UnknownNameError("register", str(register), list(self.registers))
        n = self.num_clbits
        out: dict[str, int] = {}
        for key, value in self.counts.items():
            sub = "".join(key[n - 1 - b] for b in reversed(bits))
            out[sub] = out.get(sub, 0) + value
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``qhpc run --json`` prints). Timings are in milliseconds."""
        return {
            "job_id": self.job_id,
            "backend": self.backend,
            "shots": self.shots,
            "seed": self.seed,
            "counts": dict(sorted(self.counts.items())),
            "memory": self.memory,
            "registers": self.registers,
            "bit_order": "highest classical bit first (clbit 0 is the rightmost character)",
            "timings_ms": {k: round(v * 1000, 3) for k, v in self.timings.items()},
            "metadata": self.metadata,
        }


class Job:
    """A submitted program. Thread-safe; wait with :meth:`result` or poll :attr:`status`."""

    def __init__(self, *, backend: str, shots: int, seed: int | None, job_id: str | None = None) -> None:
        self.id = job_id or uuid.uuid4().hex[:16]
        self.backend = backend
        self.shots = shots
        self.seed = seed
        self.timings: dict[str, float] = {}
        self.stage: str | None = None
        self.error: str | None = None
        self.metadata: dict[str, Any] = {}
        self.created_at = time.time()
        self.finished_at: float | None = None
        self._status = JobStatus.QUEUED
        self._result: Result | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._cancel_hook: Callable[[], bool] | None = None
        self._error_type: type[JobFailedError] = JobFailedError
        self._listeners: list[Callable[[Job, JobEvent], None]] = []
        #: the job's event log, oldest first (the stages before submission included)
        self.events: list[JobEvent] = []

    # -- state ------------------------------------------------------------------------------
    @property
    def status(self) -> JobStatus:
        return self._status

    def done(self) -> bool:
        return self._done.is_set()

    def _emit(self, kind: JobEventKind, **fields: Any) -> None:
        event = JobEvent(kind, self.id, time.time(), self._status, **fields)
        self.events.append(event)
        for listener in list(self._listeners):
            listener(self, event)

    def _set_status(self, status: JobStatus, detail: str | None = None) -> bool:
        with self._lock:
            if self._status.final:
                return False
            self._status = status
            if status.final:
                self.finished_at = time.time()
        if status.final:
            self._done.set()
        self._emit(JobEventKind(status.value.lower()), detail=detail)
        return True

    def _finish(self, result: Result) -> None:
        self._result = result
        self._set_status(JobStatus.DONE)

    def _fail(self, message: str, error_type: type[JobFailedError] = JobFailedError) -> None:
        with self._lock:
            if self._status.final:
                return
            self.error = message
            self._error_type = error_type
        self._set_status(JobStatus.FAILED, message)

    def _add_listener(self, listener: Callable[[Job, JobEvent], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def _stage(self, name: str) -> Any:
        """Time a pipeline stage into :attr:`timings` (seconds)."""
        self.stage = name
        start = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - start
            self.timings[name] = self.timings.get(name, 0.0) + seconds
            self._emit(JobEventKind.STAGE, stage=name, seconds=seconds)

    # -- user API ---------------------------------------------------------------------------
    def result(self, timeout: float | None = None) -> Result:
        """Wait for the job and return its result; raises if it failed or was cancelled."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"job {self.id} not finished after {timeout} s (status {self._status})")
        if self._status is JobStatus.DONE:
            assert self._result is not None
            return self._result
        if self._status is JobStatus.CANCELLED:
            raise JobCancelledError(f"job {self.id} was cancelled")
        raise self._error_type(f"job {self.id} on {self.backend} failed: {self.error}")

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> bool:
        """Cancel the job: a queued job is cancelled at once; a running one is asked to stop
        (the backend stops at its next check, and the job ends CANCELLED without a result).
        Returns False if the job had already finished."""
        if self._status.final:
            return False
        hook = self._cancel_hook
        return hook() if hook is not None else self._set_status(JobStatus.CANCELLED)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self._status} on {self.backend}>"
