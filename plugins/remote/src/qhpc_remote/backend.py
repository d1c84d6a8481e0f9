"""A peer's backend as one of this site's: ``siteB.ibm_perth``, with a fallback the user asks for.

When the peer stays unreachable (retries spent, or its circuit breaker open), the job fails with
that reason, unless the user asked for a fallback with ``options={"fallback": "aer.statevector"}``:
then it runs on that emulator of this site instead, and the result says so
(``metadata["backend_metadata"]["fallback"]``: the emulator and why). A fallback is never taken
silently, and only for an unreachable peer: a peer that refuses the job, fails it, or sends a
corrupted result fails the job.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from qhpc.errors import JobFailedError, QhpcError
from qhpc.interfaces import Backend, BackendKind, CancelToken, Location, RunOutput
from qhpc.resources import ResourceBackend, ResourceError
from qhpc_interop import Circuit

from .peer import PeerResource

#: Seconds added to a peer backend's estimate for the network and the peer's queue.
NETWORK_SECONDS = 0.25


class PeerBackend(ResourceBackend):
    """Runs each job as a job on the peer; see the module docstring for the fallback."""

    poll_seconds = 2.0

    def __init__(self, name: str, resource: PeerResource, **kwargs: Any) -> None:
        super().__init__(name, resource, **kwargs)
        self.peer_resource = resource

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        return NETWORK_SECONDS + super().estimate_seconds(circuit, shots)

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken) -> RunOutput:
        options = dict(options)
        fallback = options.pop("fallback", None)
        if fallback is not None and not isinstance(fallback, str):
            raise QhpcError(f"option fallback must name an emulator of this site, not {fallback!r}")
        try:
            return super().run(circuit, shots=shots, seed=seed, memory=memory, options=options, cancel=cancel)
        except ResourceError as exc:
            if not exc.transient:
                raise JobFailedError(str(exc)) from None
            if fallback is None:
                raise JobFailedError(f"{exc}; to run on an emulator of this site when the peer is down, submit with "
                                     "options={'fallback': 'aer.statevector'}") from None
            backend = local_emulator(fallback)
            options.pop("idempotency_key", None)
            output = backend.run(circuit, shots=shots, seed=seed, memory=memory, options=options, cancel=cancel)
            output.metadata["fallback"] = {"backend": fallback, "instead_of": self.name, "reason": str(exc)}
            return output


_LOCAL: dict[str, Backend] | None = None
_LOCAL_LOCK = threading.Lock()


def local_emulator(name: str) -> Backend:
    """The emulator ``name`` of this site's other plugins (never a peer's backend)."""
    global _LOCAL
    with _LOCAL_LOCK:
        if _LOCAL is None:
            from importlib.metadata import entry_points

            from qhpc.config import load_settings
            from qhpc.plugins import ENTRY_POINT_GROUP, PluginRegistry

            settings = load_settings()
            names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - {"remote"}
            if settings.plugins_enabled is not None:
                names &= set(settings.plugins_enabled)
            registry = PluginRegistry.discover(allow=names, settings=settings)
            _LOCAL = dict(registry.provided(("qhpc_backends",))["qhpc_backends"])
    backend = _LOCAL.get(name)
    if backend is None or backend.kind != BackendKind.EMULATOR:
        emulators = sorted(n for n, b in _LOCAL.items() if b.kind == BackendKind.EMULATOR)
        raise JobFailedError(f"the fallback {name!r} is not an emulator of this site (emulators: "
                             f"{', '.join(emulators[:12])}{' ...' if len(emulators) > 12 else ''})")
    if backend.capabilities.location == Location.REMOTE:
        raise JobFailedError(f"the fallback {name!r} is remote; a fallback runs at this site")
    return backend
