"""Quantum resources: the interface HPC centres use for QPUs under Slurm, and the bridge to backends.

:class:`QuantumResource` mirrors the shape of QRMI, the resource management interface behind
Slurm's QPU plugins (its calls, not its code): a job *acquires* the resource and *releases* it;
in between it starts *tasks* (one program each), follows their status and fetches their results;
the resource describes its *target* (what it runs), its *metadata*, and its *status* (with the
length of its queue). A QPU service (a vendor cloud, a peer site, an on-premises controller)
implements these few calls once; :class:`ResourceBackend` turns any implementation into a qhpc
backend, so the integrator compiles for it, runs on it and verifies its readout like any other.

The first implementation is the remote peer of ``qhpc-remote`` (another site's qhpc server);
others are plugins of the same shape: implement :class:`QuantumResource`, return
``ResourceBackend(name, resource)`` from ``qhpc_backends``.
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from qhpc_interop import Circuit

from .errors import JobCancelledError, JobFailedError, QhpcError
from .interfaces import Backend, BackendCapabilities, BackendKind, CancelToken, RunOutput


class TaskStatus(enum.StrEnum):
    """Where a task stands on its resource (QRMI's task states)."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def final(self) -> bool:
        return self in (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


@dataclass(frozen=True)
class ResourceStatus:
    """Whether the resource takes tasks now, and how many wait for it (``None``: not known)."""

    available: bool
    queue_length: int | None = None
    detail: str = ""


@dataclass
class TaskPayload:
    """One program for a resource: a circuit that fits its target, and how to run it."""

    circuit: Circuit
    shots: int
    seed: int | None = None
    memory: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    #: the acquisition the task runs under (:meth:`QuantumResource.acquire`)
    acquisition: str | None = None
    #: identifies the task across retries and restarts: a resource that has seen the key already
    #: returns that task instead of starting another
    idempotency_key: str | None = None


class ResourceError(QhpcError):
    """A resource could not do what was asked; ``transient`` when trying again later may work."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class QuantumResource(ABC):
    """A QPU (or emulator) service, in QRMI's terms. Implementations are safe to call from
    several threads; every call may raise :class:`ResourceError`."""

    #: ``qpu`` or ``emulator``, known without the network (it decides whether ``auto`` may use it)
    kind: ClassVar[str] = BackendKind.QPU
    resource_id: str

    @abstractmethod
    def acquire(self) -> str:
        """Reserve the resource for a sequence of tasks; returns the acquisition token."""

    @abstractmethod
    def release(self, token: str) -> None:
        """End an acquisition (idempotent)."""

    @abstractmethod
    def task_start(self, payload: TaskPayload) -> str:
        """Start a task; returns its id."""

    @abstractmethod
    def task_stop(self, task_id: str) -> None:
        """Stop (cancel) a task; a finished task is left as it is."""

    @abstractmethod
    def task_status(self, task_id: str) -> TaskStatus:
        """Where the task stands."""

    @abstractmethod
    def task_result(self, task_id: str) -> RunOutput:
        """The readout of a completed task (counts keyed by bitstrings, highest clbit first), checked
        by the resource for integrity before it is returned."""

    def task_logs(self, task_id: str) -> str:
        """What the resource says about a task (why it failed); empty if it says nothing."""
        return ""

    @abstractmethod
    def target(self) -> BackendCapabilities:
        """What the resource runs: qubits, native gates, coupling map, limits."""

    def metadata(self) -> dict[str, Any]:
        """Facts about the resource for users and operators (vendor, site, calibration time...)."""
        return {}

    @abstractmethod
    def status(self) -> ResourceStatus:
        """Whether it takes tasks now, and its queue length."""

    def wait(self, task_id: str, timeout: float) -> TaskStatus:
        """The task's status once it is final, or after ``timeout`` seconds (the default polls;
        a resource with a long-poll overrides it)."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            status = self.task_status(task_id)
            if status.final or time.monotonic() >= deadline:
                return status
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 2.0)


_VARIANTS: dict[tuple[type, str], type] = {}


class ResourceBackend(Backend):
    """A qhpc backend that runs each job as one task of a :class:`QuantumResource`.

    ``run`` acquires the resource, starts the task, follows it (stopping it when the job is
    cancelled), fetches and returns the readout, and releases the resource whatever happens.
    """

    kind: ClassVar[str] = BackendKind.QPU
    #: seconds between checks of the cancel token while a task runs
    poll_seconds: float = 1.0

    def __init__(self, name: str, resource: QuantumResource, *, description: str = "") -> None:
        if resource.kind != self.kind:
            raise QhpcError(f"{type(self).__name__} is a {self.kind} backend; resource {resource.resource_id} is a "
                            f"{resource.kind} (use ResourceBackend.of(name, resource))")
        self.name = name
        self.resource = resource
        self.description = description or f"{resource.kind} resource {resource.resource_id}"

    @classmethod
    def of(cls, name: str, resource: QuantumResource, **kwargs: Any) -> ResourceBackend:
        """A backend of ``cls``'s behaviour whose ``kind`` is the resource's (``qpu`` or ``emulator``)."""
        if resource.kind == cls.kind:
            return cls(name, resource, **kwargs)
        key = (cls, str(resource.kind))
        variant = _VARIANTS.get(key)
        if variant is None:
            variant = _VARIANTS[key] = type(f"{cls.__name__}[{resource.kind}]", (cls,), {"kind": str(resource.kind)})
        return variant(name, resource, **kwargs)  # type: ignore[no-any-return]

    @property
    def capabilities(self) -> BackendCapabilities:
        return self.resource.target()

    def resource_status(self) -> dict[str, Any]:
        status = self.resource.status()
        return {"available": status.available, "queue_length": status.queue_length, "detail": status.detail,
                "metadata": self.resource.metadata()}

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken) -> RunOutput:
        options = dict(options)
        key = options.pop("idempotency_key", None)
        token = self.resource.acquire()
        try:
            task = self.resource.task_start(TaskPayload(circuit, shots, seed, memory, options, acquisition=token,
                                                        idempotency_key=key))
            while True:
                if cancel.cancelled:
                    self.resource.task_stop(task)
                    raise JobCancelledError(f"task {task} on {self.name} was stopped")
                status = self.resource.wait(task, self.poll_seconds)
                if status is TaskStatus.COMPLETED:
                    output = self.resource.task_result(task)
                    output.metadata.setdefault("task_id", task)
                    return output
                if status is TaskStatus.FAILED:
                    logs = self.resource.task_logs(task)
                    raise JobFailedError(f"task {task} failed on {self.name}" + (f": {logs}" if logs else ""))
                if status is TaskStatus.CANCELLED:
                    raise JobCancelledError(f"task {task} was cancelled on {self.name}")
        finally:
            try:
                self.resource.release(token)
            except ResourceError:
                pass
