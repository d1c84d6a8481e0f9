"""Admission: read a submitted program with the integrator (every installed text format works) and
refuse, before anything is stored, a job that cannot run: an unreadable program, one that fits no
backend, unbound parameters, a quota on qubits or shots. What passes becomes a :class:`NewJob`.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from collections import OrderedDict
from typing import Any

from qhpc_interop import Circuit, InteropError

from ..builtin import SourceText
from ..errors import BackendUnavailableError, QhpcError, UnknownNameError
from ..integrator import Integrator
from ..interfaces import BackendKind
from ..store import NewJob, Principal
from .errors import ApiError
from .protocol import canonical
from .schemas import JobRequest
from .settings import Quota

#: Programs whose reading and fit are remembered (a hybrid loop resubmits one program with new
#: parameters; a sweep submits one circuit many times), and the largest program remembered.
CACHE_SIZE = 256
CACHE_MAX_CHARS = 65536


class Admission:
    def __init__(self, integrator: Integrator) -> None:
        self.integrator = integrator
        self._read: OrderedDict[tuple[str, str | None], tuple[Any, str, str]] = OrderedDict()
        #: (backend, program, format, shots, memory, parameters) -> the fit report
        self._fits: OrderedDict[tuple[Any, ...], list[str]] = OrderedDict()
        self._paradigms: dict[str, str] = {}  # backend -> its paradigm, once read
        self._lock = threading.Lock()

    def cached(self, request: JobRequest) -> bool:
        """Whether admitting ``request`` needs no reading, no database and no backend call (so it
        can be done on the event loop instead of a thread: one hand-over less per submission): the
        same program was admitted to the same named backend, with the same shots, before."""
        if request.session is not None or request.backend == "auto":
            return False
        fit = (request.backend, request.program, request.format, request.shots, request.memory,
               self._parameters_key(request.backend, request))
        with self._lock:
            return (request.program, request.format) in self._read and fit in self._fits

    def read(self, request: JobRequest) -> tuple[Any, str, str]:
        """(the program in its kind's model, its format, its kind name); 422 if unreadable. The
        model is shared with later requests of the same text: it is only read, never changed."""
        key = (request.program, request.format)
        with self._lock:
            hit = self._read.get(key)
            if hit is not None:
                self._read.move_to_end(key)
                return hit
        answer = self._read_program(request)
        if len(request.program) <= CACHE_MAX_CHARS:
            with self._lock:
                self._read[key] = answer
                if len(self._read) > CACHE_SIZE:
                    self._read.popitem(last=False)
        return answer

    def _parameters_key(self, backend: str, request: JobRequest) -> tuple[Any, ...]:
        """The parameters, where the fit depends on them: a backend of another paradigm is fitted with
        the circuit compiled at those values; a gate backend's fit is the same for every value (a
        sweep that resubmits one circuit keeps hitting the cache)."""
        if not request.parameters:
            return ()
        paradigm = self._paradigms.get(backend)
        if paradigm is None:
            try:
                paradigm = str(self.integrator.capabilities(self.integrator.backend(backend)).paradigm)
            except Exception:
                return tuple(sorted(request.parameters.items()))
            self._paradigms[backend] = paradigm
        return () if paradigm == "gate" else tuple(sorted(request.parameters.items()))

    def _fit(self, target: Any, model: Circuit, request: JobRequest) -> list[str]:
        key = (target.name, request.program, request.format, request.shots, request.memory,
               self._parameters_key(target.name, request))
        with self._lock:
            hit = self._fits.get(key)
        if hit is None:
            hit = self.integrator.fit_report(target, model, shots=request.shots, memory=request.memory,
                                             parameters=dict(request.parameters))
            if len(request.program) <= CACHE_MAX_CHARS:
                with self._lock:
                    self._fits[key] = hit
                    if len(self._fits) > CACHE_SIZE:
                        self._fits.popitem(last=False)
        return hit

    def _read_program(self, request: JobRequest) -> tuple[Any, str, str]:
        integrator = self.integrator
        fmt = request.format
        text = SourceText(request.program, "program")
        try:
            if fmt is None:
                fmt = integrator.detect_format(request.program)
            elif fmt not in integrator.formats:
                raise UnknownNameError("format", fmt, [n for n, f in integrator.formats.items() if not f.binary
                                                       and f.has_file_form])
            if integrator.formats[fmt].binary:
                raise QhpcError(f"format {fmt} is binary; send the program as qhpc.json or OpenQASM text "
                                "(qhpc.connect converts it for you)")
            kind = integrator.kind_of(fmt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if kind.name == "gate":  # Cirq's JSON -> a cirq.Circuit; the text formats: as they are
                    model, _ = integrator.to_circuit(integrator.formats[fmt].loads(text), source=fmt)
                else:
                    model, _ = integrator.converter.to_model(text, source=fmt)
        except (QhpcError, InteropError) as exc:
            raise ApiError(422, f"the program cannot be read: {exc}") from None
        except (RecursionError, MemoryError):
            raise ApiError(422, "the program cannot be read: it is too deeply nested or too large") from None
        return model, fmt, kind.name

    def check(self, request: JobRequest, principal: Principal, quota: Quota,
              session_backend: str | None = None) -> NewJob:
        integrator = self.integrator
        if quota.max_shots is not None and request.shots > quota.max_shots:
            raise ApiError(403, f"quota max_shots: {request.shots} shots exceed {principal.name}'s limit of "
                                f"{quota.max_shots} per job")
        backend = request.backend
        if session_backend is not None:
            if backend not in ("auto", session_backend):
                raise ApiError(422, f"the session runs on {session_backend}, not {backend}")
            backend = session_backend
        model, fmt, kind_name = self.read(request)
        kind = integrator.kinds[kind_name]
        size = kind.size(model)
        if quota.max_qubits is not None and size > quota.max_qubits:
            raise ApiError(403, f"quota max_qubits: the program needs {size} {kind.unit}s; {principal.name} may use "
                                f"at most {quota.max_qubits}")
        device, location = "emulator", "local"
        if isinstance(model, Circuit):
            self._check_circuit(model, request)
        if backend == "auto":
            if isinstance(model, Circuit):
                fits, rejected = integrator.feasible_backends(model, shots=request.shots, memory=request.memory)
                if not fits:
                    detail = " | ".join(f"{n}: {'; '.join(r)}" for n, r in rejected.items()) or "no emulator installed"
                    raise ApiError(422, f"no emulator can run this {model.num_qubits}-qubit circuit: {detail}")
        else:
            try:
                target = integrator.backend(backend)
                caps = integrator.capabilities(target)
            except UnknownNameError as exc:
                raise ApiError(422, str(exc)) from None
            except BackendUnavailableError as exc:
                raise ApiError(503, str(exc)) from None
            except QhpcError as exc:
                raise ApiError(422, str(exc)) from None
            if isinstance(model, Circuit):
                reasons = self._fit(target, model, request)
                if reasons:
                    raise ApiError(422, f"{backend} cannot run this circuit: {'; '.join(reasons)}")
            elif str(caps.paradigm) == kind_name and size > caps.num_qubits:
                raise ApiError(422, f"{backend} cannot run this program: it needs {size} {kind.unit}s but "
                                    f"{backend} holds at most {caps.num_qubits}")
            device = "qpu" if target.kind == BackendKind.QPU else "emulator"
            location = str(caps.location)
        return NewJob(
            user_id=principal.user_id, user_name=principal.name, backend=backend, requested_backend=request.backend,
            device=device, location=location, program=request.program, program_format=fmt, num_qubits=size,
            shots=request.shots, seed=request.seed, memory=request.memory, parameters=dict(request.parameters),
            options=dict(request.options), time_limit=request.time_limit,
            request_hash=request_hash(request) if request.idempotency_key is not None else "",
            idempotency_key=request.idempotency_key, session_id=request.session,
        )

    @staticmethod
    def _check_circuit(circuit: Circuit, request: JobRequest) -> None:
        if circuit.num_clbits == 0:
            raise ApiError(422, "the circuit measures nothing (no classical bits): add measurements to get counts")
        free = {p.name for p in circuit.parameters}
        given = set(request.parameters)
        if given - free:
            raise ApiError(422, f"parameter(s) {', '.join(sorted(given - free))} are not in the circuit "
                                f"(its parameters: {', '.join(sorted(free)) or 'none'})")
        if free - given:
            raise ApiError(422, f"the circuit has unbound parameter(s) {', '.join(sorted(free - given))}; give them "
                                "values in 'parameters'")


def request_hash(request: JobRequest) -> str:
    """What identifies a request for its idempotency key: everything but the key. Computed only
    for requests that give a key: nothing else reads it."""
    doc = request.model_dump(exclude={"idempotency_key"})
    return hashlib.sha256(canonical(doc).encode("utf-8")).hexdigest()
