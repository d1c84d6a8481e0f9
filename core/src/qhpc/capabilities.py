"""Reading backend capabilities with a time limit.

A QPU front-end may need the network to describe itself, and a faulty plugin may never answer:
:class:`CapabilityReader` asks on helper threads and waits at most ``timeout`` seconds, answering
with the capabilities or the reason a backend is unavailable. Answers are remembered (capabilities
are fixed for a backend object's life); a read that is still running is not started twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .errors import BackendUnavailableError, QhpcError
from .interfaces import Backend, BackendCapabilities


class _ReaderThreads:
    """Long-lived daemon threads that read capabilities, so a read can be abandoned after its time limit.

    The threads never exit: a backend's SDK is often imported during its first capability read,
    and some SDKs (Qiskit 2.6 / Aer 0.18) crash the process later if the thread that first
    imported them has ended. A read that hangs keeps its thread; the next read gets a new one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: list[Any] = []
        self._idle = 0
        self._cond = threading.Condition(self._lock)
        self._count = 0

    def start(self, fn: Any) -> None:
        with self._cond:
            self._tasks.append(fn)
            if self._idle == 0:
                self._count += 1
                threading.Thread(target=self._loop, name=f"qhpc-capabilities-{self._count}", daemon=True).start()
            else:
                self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._idle += 1
                while not self._tasks:
                    self._cond.wait()
                self._idle -= 1
                fn = self._tasks.pop(0)
            fn()


_READERS = _ReaderThreads()


class CapabilityReader:
    """Reads ``Backend.capabilities`` in a helper thread with a time limit, one read at a time per
    backend, remembering answers (capabilities are fixed for a backend object's life)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._answers: dict[int, BackendCapabilities] = {}
        self._pending: dict[int, tuple[threading.Event, dict[str, Any]]] = {}

    def _start(self, backend: Backend) -> tuple[threading.Event, dict[str, Any]] | BackendCapabilities:
        key = id(backend)
        with self._lock:
            if key in self._answers:
                return self._answers[key]
            if key in self._pending:
                return self._pending[key]
            box: dict[str, Any] = {}

            def read() -> None:
                try:
                    caps = backend.capabilities
                    if not isinstance(caps, BackendCapabilities):
                        raise BackendUnavailableError(
                            f"its capabilities are a {type(caps).__name__}, not BackendCapabilities")
                    if caps.kind != backend.kind:
                        raise BackendUnavailableError(
                            f"its class declares kind {str(backend.kind)!r} but its "
                            f"capabilities say {str(caps.kind)!r}")
                    box["caps"] = caps
                    with self._lock:
                        self._answers[key] = caps
                except BaseException as exc:
                    box["error"] = exc
                finally:
                    with self._lock:
                        self._pending.pop(key, None)

            done = threading.Event()

            def task() -> None:
                try:
                    read()
                finally:
                    done.set()

            self._pending[key] = (done, box)
            _READERS.start(task)
            return done, box

    def read(self, backend: Backend) -> BackendCapabilities:
        answer = self.read_many([backend])[backend.name]
        if isinstance(answer, str):
            raise BackendUnavailableError(f"{backend.name} is unavailable: {answer}")
        return answer

    def read_many(self, backends: list[Backend]) -> dict[str, BackendCapabilities | str]:
        started = {b.name: self._start(b) for b in backends}
        deadline = time.monotonic() + self.timeout
        out: dict[str, BackendCapabilities | str] = {}
        for name, state in started.items():
            if isinstance(state, BackendCapabilities):
                out[name] = state
                continue
            done, box = state
            done.wait(max(0.0, deadline - time.monotonic()))
            if "caps" in box:
                out[name] = box["caps"]
            elif "error" in box:
                exc = box["error"]
                out[name] = str(exc) if isinstance(exc, QhpcError) else f"{type(exc).__name__}: {exc}"
            else:
                out[name] = f"it did not describe its capabilities within {self.timeout:g} s (is it reachable?)"
        return out
