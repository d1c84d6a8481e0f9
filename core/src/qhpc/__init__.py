"""qhpc: run quantum programs from any framework on emulators and QPUs in an HPC centre.

Quick start::

    import qhpc
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2)
    qc.h(0); qc.cx(0, 1); qc.measure([0, 1], [0, 1])
    result = qhpc.run(qc, shots=1000, seed=7)     # backend="auto": the cheapest emulator that fits
    print(result.counts, result.backend, result.timings)

:func:`run` and :func:`submit` use one process-wide :class:`Integrator`, created on first use with
every installed plugin. Create your own :class:`Integrator` to choose the scheduler or plugins.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable
from typing import Any

from .config import Settings, load_settings
from .errors import (
    BackendUnavailableError,
    CompileError,
    ConfigError,
    JobCancelledError,
    JobFailedError,
    JobRejectedError,
    JobTimeLimitError,
    PluginError,
    ProgramError,
    QhpcError,
    TranslationError,
    UnknownNameError,
)
from .hookspecs import hookimpl
from .integrator import Integrator, LongRunWarning
from .interfaces import (
    MODEL_FORMAT,
    Backend,
    BackendCapabilities,
    BackendKind,
    CancelToken,
    CapabilityError,
    Compiler,
    Device,
    ExecutionRequest,
    Location,
    NoiseCalibrator,
    Paradigm,
    ProgramFormat,
    RunOutput,
    Scheduler,
    Translator,
)
from .jobs import Job, JobEvent, JobEventKind, JobStatus, Result

__version__ = "0.2.0"

_default: Integrator | None = None
_default_lock = threading.Lock()


def get_integrator() -> Integrator:
    """The process-wide integrator (created on first use; closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Integrator()
            # at exit, stop at once: never wait for a backend that ignores its cancel token
            atexit.register(_default.close, wait=False)
        return _default


def submit(program: object, **kwargs: Any) -> Job:
    """Submit ``program`` (any installed format) and return its :class:`Job` at once.

    Keyword arguments as :meth:`Integrator.submit`: ``backend`` (default ``"auto"``), ``shots``,
    ``seed``, ``memory``, ``parameters``, ``compiler``, ``options``.
    """
    return get_integrator().submit(program, **kwargs)


def run(program: object, *, timeout: float | None = None, **kwargs: Any) -> Result:
    """Run ``program`` and wait for its :class:`Result` (arguments as :func:`submit`)."""
    return get_integrator().run(program, timeout=timeout, **kwargs)


def backends() -> dict[str, Backend]:
    """The installed backends by name."""
    return dict(get_integrator().backends)


def convert(program: object, to: str, *, source: str | None = None, allow_loss: Iterable[str] = ()) -> Any:
    """``program`` (any installed format) translated to format ``to`` (``qhpc formats`` lists them).

    ``source`` names the program's format where detecting it is not wanted (``"qasm3"`` for
    OpenQASM 3 text...). Nothing the program uses is dropped: a feature the target cannot hold
    takes another route or raises :class:`~qhpc.errors.TranslationError` naming it and where the
    program uses it. ``allow_loss`` (a collection of names, or one string) lets the global phase go
    (``{"global_phase"}``); annotations a format cannot hold (barriers, register names, qubit
    identities) are dropped with a :class:`~qhpc.conversion.ConversionLossWarning`. Every error is a
    :class:`~qhpc.errors.QhpcError`.
    """
    return get_integrator().convert(program, to, source=source, allow_loss=allow_loss)[0]


def connect(url: str | None = None, token: str | None = None, **kwargs: Any) -> Any:
    """A client of a qhpc access server (:class:`qhpc.client.Client`) with the same calls as local
    use: ``backends()``, ``submit(program, backend=..., shots=...)``, ``run``, ``job``, ``jobs()``,
    ``session(backend)``. ``url`` defaults to ``$QHPC_SERVER`` or ``[client] url``; the token to
    ``$QHPC_TOKEN`` or the file ``[client] token_file`` names. Imports the client (and httpx) only
    when called, so ``import qhpc`` stays fast."""
    from .client import connect as _connect

    return _connect(url, token, **kwargs)


__all__ = [
    "MODEL_FORMAT",
    "Backend",
    "BackendCapabilities",
    "BackendKind",
    "BackendUnavailableError",
    "CancelToken",
    "CapabilityError",
    "CompileError",
    "Compiler",
    "ConfigError",
    "Device",
    "ExecutionRequest",
    "Integrator",
    "Job",
    "JobCancelledError",
    "JobEvent",
    "JobEventKind",
    "JobFailedError",
    "JobRejectedError",
    "JobStatus",
    "JobTimeLimitError",
    "Location",
    "LongRunWarning",
    "NoiseCalibrator",
    "Paradigm",
    "PluginError",
    "ProgramError",
    "ProgramFormat",
    "QhpcError",
    "Result",
    "RunOutput",
    "Scheduler",
    "Settings",
    "TranslationError",
    "Translator",
    "UnknownNameError",
    "backends",
    "connect",
    "convert",
    "get_integrator",
    "hookimpl",
    "load_settings",
    "run",
    "submit",
]
