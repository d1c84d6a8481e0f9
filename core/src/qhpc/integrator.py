"""The integrator: takes a program in any installed format and runs it on a backend.

The pipeline, each stage timed into ``job.timings``:

``convert``
    detect the program's format and translate it to the model (``qhpc.circuit``) along the cheapest
    route of the conversion graph.
``startup``
    only for the first job that uses a backend: load its SDK and read its capabilities.
``validate``
    check parameters and shots; pick the backend (``auto``: the lowest-cost emulator the circuit
    fits, through the ``qhpc_select_backend`` hook) and refuse the job, before running anything, if
    it fits no backend, with the reasons.
``compile``
    fit the circuit to the backend (native gates, coupling map) with the first suitable compiler;
    results are cached by circuit fingerprint, so a resubmission skips this. Then bind parameters.
``schedule``
    hand the job to the scheduler (in-process threads by default); time spent queued.
``run``
    the backend executes the compiled circuit.
``verify``
    check the readout is consistent (shot total, bitstring width, memory matches counts).
``postprocess``
    build the :class:`~qhpc.jobs.Result` in the user's terms (counts keyed by bitstrings, highest
    clbit first; per-register layout; metadata).

Up to and including ``compile`` the work happens in :meth:`Integrator.submit`, so a job that
cannot run is refused with an exception; after it the job is accepted and any failure is recorded
on the job (status ``FAILED`` with the reason) rather than lost.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from qhpc_interop import Circuit, InteropError
from qhpc_interop.errors import warn_from_caller
from qhpc_interop.graph import ConversionGraph, Route

from .capabilities import CapabilityReader
from .compile import needs_compilation
from .config import Settings, load_settings
from .conversion import Converter
from .errors import (
    BackendUnavailableError,
    CompileError,
    JobCancelledError,
    JobFailedError,
    JobRejectedError,
    PluginError,
    QhpcError,
    UnknownNameError,
)
from .interfaces import (
    Backend,
    BackendCapabilities,
    BackendKind,
    CancelToken,
    Compiler,
    ExecutionRequest,
    NoiseCalibrator,
    ProgramFormat,
    RunOutput,
    Scheduler,
    Translator,
)
from .jobs import Job, JobEvent, JobEventKind, JobStatus, Result, request_types
from .kinds import ProgramKind
from .lru import LRU
from .noise import NoiseModel, as_noise_model
from .optimize import optimize_for_emulator
from .plugins import PluginRegistry
from .verify import verify_output

log = logging.getLogger(__name__)

DEFAULT_SHOTS = 1024
COMPILE_CACHE_SIZE = 256
#: Seconds between two askings of the plugins for backends that became available late
#: (:func:`qhpc.hookspecs.qhpc_late_backends`) when backends are listed; a name not found asks at once.
LATE_BACKENDS_SECONDS = 10.0
#: Seconds a listing waits for those answers (a name not found waits ``capabilities_timeout``).
LATE_BACKENDS_LISTING_TIMEOUT = 2.0
#: Seconds between two askings when names are not found (so a stream of mistyped names does not
#: probe a dead peer each time).
LATE_BACKENDS_MISS_SECONDS = 1.0
#: Seed of every compilation: compiled circuits depend only on the circuit and the target.
COMPILE_SEED = 0
#: Seeds every backend accepts: 0 <= seed < 2**63 (Aer's and numpy's 64-bit signed seeds).
MAX_SEED = 2**63 - 1


class LongRunWarning(UserWarning):
    """A job's estimated run time exceeds the configured threshold (``[jobs] warn_seconds``)."""


class Integrator:
    """Discovers plugins, routes programs, places and runs jobs. Thread-safe; close when done."""

    def __init__(self, registry: PluginRegistry | None = None, *, scheduler: str | Scheduler | None = None,
                 max_workers: int | None = None, settings: Settings | None = None) -> None:
        if settings is None:
            settings = registry.settings if registry is not None else load_settings()
        self.settings = settings
        self.registry = registry if registry is not None else PluginRegistry.discover(settings=settings)
        scheduler = scheduler if scheduler is not None else settings.scheduler
        max_workers = max_workers if max_workers is not None else settings.max_workers
        self._lock = threading.RLock()
        self._capabilities = CapabilityReader(settings.capabilities_timeout)
        self._converter: Converter | None = None
        self._kinds: dict[str, ProgramKind] = {}
        self._backends: dict[str, Backend] | None = None
        self._late_asked = -float("inf")  # time.monotonic() of the last qhpc_late_backends call
        self._late_lock = threading.Lock()
        self._compilers: dict[str, Compiler] | None = None
        self._compile_cache: LRU[tuple[Any, ...], tuple[Circuit, dict[str, Any]]] = LRU(COMPILE_CACHE_SIZE)
        # jobs the caller still holds, or that are queued or running (the scheduler holds those)
        self._jobs: weakref.WeakValueDictionary[str, Job] = weakref.WeakValueDictionary()
        self._scheduler_spec = scheduler
        self._max_workers = max_workers
        self._scheduler: Scheduler | None = scheduler if isinstance(scheduler, Scheduler) else None
        self._closed = False
        self._warm: set[str] = set()
        # set by submit_batch: this thread's accepted jobs wait there to be placed together
        self._batching = threading.local()

    # -- what the plugins provide -----------------------------------------------------------
    def _load(self) -> None:
        """Collect formats, translators, backends and compilers from every plugin at once.

        A plugin that fails in any of these hooks is taken out as a whole: nothing it provided in
        the others is used either (a half-working plugin is worse than none).
        """
        with self._lock:
            if self._backends is not None:
                return
            provided = self.registry.provided(
                ("qhpc_program_kinds", "qhpc_program_formats", "qhpc_translators", "qhpc_backends", "qhpc_compilers"))
            self._kinds = provided["qhpc_program_kinds"]
            self._converter = Converter(provided["qhpc_program_formats"], provided["qhpc_translators"].values(),
                                        hubs={name: kind.hub for name, kind in self._kinds.items()})
            self._compilers = provided["qhpc_compilers"]
            self._backends = provided["qhpc_backends"]

    def contested(self, kind: str) -> dict[str, list[str]]:
        """Names of ``kind`` (``backend``, ``compiler``...) that several plugins claim and no
        configuration settles: name -> the plugins claiming it. Nothing is used under these names."""
        self._load()
        return {c.name: c.plugins for (k, _), c in self.registry.clashes.items() if k == kind and c.chosen is None}

    @property
    def converter(self) -> Converter:
        """The conversion graph over the installed formats and translators (:mod:`qhpc.conversion`)."""
        self._load()
        assert self._converter is not None
        return self._converter

    @property
    def kinds(self) -> dict[str, ProgramKind]:
        """The program kinds (paradigms) the plugins provide, by name (:mod:`qhpc.kinds`)."""
        self._load()
        return self._kinds

    def kind_of(self, fmt: str) -> ProgramKind:
        """The kind of the programs of format ``fmt``."""
        name = getattr(self.formats.get(fmt), "kind", "gate")
        kind = self.kinds.get(name)
        if kind is None:
            hint = " (is the builtin plugin left out of QHPC_PLUGINS?)" if "builtin" not in self.registry.infos or \
                not self.registry.is_loaded("builtin") else ""
            raise PluginError(f"format {fmt} holds {name} programs, but no installed plugin provides the {name} "
                              f"kind{hint}")
        return kind

    @property
    def formats(self) -> dict[str, ProgramFormat]:
        return self.converter.formats

    @property
    def translators(self) -> list[Translator]:
        return self.converter.translators

    @property
    def graph(self) -> ConversionGraph:
        return self.converter.graph

    @property
    def backends(self) -> dict[str, Backend]:
        self._load()
        assert self._backends is not None
        return self._backends

    @property
    def compilers(self) -> dict[str, Compiler]:
        self._load()
        assert self._compilers is not None
        return self._compilers

    @property
    def noise_calibrators(self) -> dict[str, NoiseCalibrator]:
        return self.registry.provided(("qhpc_noise_calibrators",))["qhpc_noise_calibrators"]

    def _lookup(self, kind: str, name: str, table: Mapping[str, Any]) -> Any:
        try:
            return table[name]
        except KeyError:
            clash = self.registry.clashes.get((kind, name))
            if clash is not None and clash.chosen is None:
                raise PluginError(clash.describe(self.registry.infos)) from None
            raise UnknownNameError(kind, name, list(table)) from None

    def refresh_backends(self, *, timeout: float | None = None, missing: bool = False) -> dict[str, Backend]:
        """The backends, after asking the plugins for any that became available since they were
        first listed (a peer site that was down when this process started): at most every
        :data:`LATE_BACKENDS_SECONDS` (every :data:`LATE_BACKENDS_MISS_SECONDS` when a name was
        ``missing``), waiting at most ``timeout`` seconds (default
        :data:`LATE_BACKENDS_LISTING_TIMEOUT`). Listings (``qhpc backends``, ``GET /v1/backends``)
        call this, and so does :meth:`backend` for a name it does not know."""
        known = self.backends
        now = time.monotonic()
        if now - self._late_asked < (LATE_BACKENDS_MISS_SECONDS if missing else LATE_BACKENDS_SECONDS):
            return known
        if not self._late_lock.acquire(blocking=False):  # another thread is asking: use what is there
            return known
        try:
            self._late_asked = now
            wait = LATE_BACKENDS_LISTING_TIMEOUT if timeout is None else timeout
            found = self.registry.collect("qhpc_late_backends", known=frozenset(known), timeout=wait)
            with self._lock:
                current = self._backends or {}
                added = {b.name: b for plugin, b in found
                         if self.registry.is_loaded(plugin) and isinstance(b.name, str) and b.name
                         and b.name not in current}
                if added:
                    log.info("backends available since start: %s", ", ".join(sorted(added)))
                    # a new table, not the old one changed: threads iterating the old one are unaffected
                    self._backends = {**current, **added}
                return self._backends or {}
        finally:
            self._late_lock.release()

    def backend(self, name: str) -> Backend:
        try:
            return self._lookup("backend", name, self.backends)  # type: ignore[no-any-return]
        except UnknownNameError:
            late = self.refresh_backends(timeout=self.settings.capabilities_timeout, missing=True).get(name)
            if late is not None:
                return late
            # "perceval.slos" without qhpc-perceval: say which plugin the kinds name for that prefix
            prefix = name.split(".", 1)[0]
            wanted = sorted({p for kind in self.kinds.values() for p in kind.plugins if p == f"qhpc-{prefix}"})
            if "." in name and wanted:
                raise UnknownNameError("backend", name, list(self.backends), hint=f"{prefix}.* backends come from "
                                       f"{wanted[0]}; install it (pip install {wanted[0]})") from None
            raise

    def compiler(self, name: str) -> Compiler:
        return self._lookup("compiler", name, self.compilers)  # type: ignore[no-any-return]

    def capabilities(self, backend: Backend | str) -> BackendCapabilities:
        """The backend's capabilities, read within ``[backends] capabilities_timeout`` seconds.

        Raises :class:`BackendUnavailableError` with the reason when the backend raises, answers
        something that is not :class:`BackendCapabilities`, contradicts its declared ``kind``, or
        does not answer in time (a QPU behind an unreachable network); a later call tries again
        once a late answer has arrived.
        """
        if isinstance(backend, str):
            backend = self.backend(backend)
        return self._capabilities.read(backend)

    def availability(self, backends: Iterable[Backend]) -> dict[str, BackendCapabilities | str]:
        """Each backend's capabilities, or why it is unavailable; all are asked at once, so the
        whole report takes at most one time limit however many backends hang."""
        return self._capabilities.read_many(list(backends))

    @property
    def scheduler(self) -> Scheduler:
        with self._lock:
            if self._scheduler is None:
                types = {cls.name: cls for _, cls in self.registry.collect("qhpc_schedulers")}
                name = str(self._scheduler_spec)
                if name not in types:
                    if not types:
                        raise PluginError("no scheduler is installed (is the builtin plugin left out of QHPC_PLUGINS?)")
                    raise UnknownNameError("scheduler", name, list(types))
                cls = types[name]
                try:
                    options = self.settings.scheduler_options.get(name, {})
                    self._scheduler = cls.from_settings(options, max_workers=self._max_workers)
                except QhpcError:
                    raise
                except Exception as exc:
                    raise PluginError(f"the {name} scheduler could not start: {exc}") from None
            return self._scheduler

    # -- formats and conversion (see qhpc.conversion) ---------------------------------------
    def detect_format(self, program: object) -> str:
        """The name of the format an in-memory program is in."""
        return self.converter.detect_format(program)

    def route(self, source: str, target: str, *, require: Iterable[str] = ()) -> Route:
        return self.converter.route(source, target, require=require)

    def convert(self, program: object, to: str, *, source: str | None = None,
                allow_loss: Iterable[str] = ()) -> tuple[Any, Route]:
        """``program`` translated to format ``to`` and the route it took; nothing the program uses is
        dropped unless ``allow_loss`` names it (see :mod:`qhpc.conversion`)."""
        return self.converter.convert(program, to, source=source, allow_loss=allow_loss)

    def to_circuit(self, program: object, *, source: str | None = None) -> tuple[Circuit, Route]:
        """The program in the model, and the route it took (``source`` names its format if known)."""
        return self.converter.to_circuit(program, source=source)

    # -- feasibility --------------------------------------------------------------------------
    def fit_report(self, backend: Backend, circuit: Circuit, *, shots: int = 1, memory: bool = False,
                   compiler: str | None = None, parameters: Mapping[Any, Any] | None = None) -> list[str]:
        """Reasons ``circuit`` cannot run on ``backend`` even after compilation (empty: it can).
        ``parameters`` (by name) bind it first where a compiler into another paradigm needs a
        bound circuit."""
        caps = self.capabilities(backend)
        reasons: list[str] = []
        if caps.paradigm != "gate":  # through a compiler, and then as the backend's own program
            paradigm = str(caps.paradigm)
            program = circuit
            if parameters and circuit.is_parameterized:
                try:
                    program = circuit.bind(dict(parameters))
                except Exception:  # names the circuit lacks: refused by the request's own checks
                    program = circuit
            cross, why = self._cross_compiler("gate", paradigm, program, caps)
            if cross is None:
                return [why]
            reasons.extend(_run_limits(backend.name, caps, shots, memory))
            if reasons or program.is_parameterized:
                return reasons
            try:
                compiled = cross.compile(program, caps, seed=COMPILE_SEED)
            except QhpcError as exc:
                return [f"{cross.name} cannot compile it: {exc}"]
            return [f"as {cross.name} compiles it: {why}"
                    for why in self._compiled_reasons(backend, self.kinds.get(paradigm), compiled, None)]
        if circuit.num_qubits > caps.num_qubits:
            note = f" ({caps.limit_note})" if caps.limit_note else ""
            reasons.append(
                f"the circuit needs {circuit.num_qubits} qubits but {backend.name} holds at most {caps.num_qubits}{note}"
            )
        reasons.extend(_run_limits(backend.name, caps, shots, memory))
        if circuit.has_conditionals() and not caps.supports_conditionals:
            reasons.append(f"{backend.name} cannot run classically conditioned operations")
        elif circuit.has_mid_circuit_measurement() and not caps.supports_mid_circuit_measurement:
            reasons.append(f"{backend.name} cannot measure in the middle of a circuit")
        if "reset" in circuit.gate_names() and not caps.supports_reset:
            reasons.append(f"{backend.name} cannot reset qubits")
        try:
            reasons.extend(f"{backend.name} {why}" for why in backend.cannot_run(circuit))
        except Exception as exc:
            reasons.append(f"{backend.name} failed to check the circuit: {type(exc).__name__}: {exc}")
        if reasons:
            return reasons
        if needs_compilation(circuit, caps):
            _, _, why = self._pick_compiler(backend, circuit, compiler)
            if why:
                reasons.append(why)
        return reasons

    def _pick_compiler(self, backend: Backend, circuit: Circuit,
                       requested: str | None) -> tuple[Compiler | None, dict[str, Any], str]:
        """The first compiler (and its options) that can fit ``circuit`` to ``backend``, or why none can."""
        caps = self.capabilities(backend)
        if requested:
            plan: list[tuple[str, dict[str, Any]]] = [(requested, {})]
        else:
            plan = list(backend.compile_preferences(circuit))
            # circuit compilers only: a compiler between kinds (qaoa, gates-to-pulses) is not one
            plan += [(name, {}) for name, c in self.compilers.items()
                     if name not in {n for n, _ in plan}
                     and getattr(c, "source_kind", "gate") == "gate" == getattr(c, "target_kind", "gate")]
        tried: list[str] = []
        for name, options in plan:
            compiler = self.compilers.get(name)
            if compiler is None:
                if requested:
                    raise UnknownNameError("compiler", name, list(self.compilers))
                continue
            kinds = (getattr(compiler, "source_kind", "gate"), getattr(compiler, "target_kind", "gate"))
            why: str | None
            if kinds != ("gate", "gate"):  # named by the caller: it turns programs into another kind
                why = (f"it compiles {kinds[0]} programs for {kinds[1]} hardware, and this is a gate circuit "
                       f"for a gate backend")
            else:
                why = compiler.can_compile(circuit, caps)
            if why is None:
                return compiler, dict(options), ""
            tried.append(f"{name}: {why}")
        needs = "; ".join(needs_compilation(circuit, caps))
        detail = "; ".join(tried) if tried else "no compiler for it is installed"
        if requested and not needs:
            return None, {}, f"compiler {detail}"
        return None, {}, f"{backend.name} cannot run it as it is ({needs}) and no compiler can fit it ({detail})"

    def _cross_compiler(self, source: str, target: str, program: Any,
                        caps: BackendCapabilities) -> tuple[Compiler | None, str]:
        """The first compiler from kind ``source`` to kind ``target`` that can compile ``program``
        for ``caps``, or why there is none."""
        tried = []
        for compiler in self.compilers.values():
            if getattr(compiler, "source_kind", "gate") != source or getattr(compiler, "target_kind", "gate") != target:
                continue
            why = compiler.can_compile(program, caps)
            if why is None:
                return compiler, ""
            tried.append(f"{compiler.name}: {why}")
        if tried:
            return None, f"no compiler can take this {source} program to {target} hardware ({'; '.join(tried)})"
        return None, (f"the backend runs {target} programs, not {source} programs, and no installed compiler "
                      f"translates {source} programs to {target} ones")

    def feasible_backends(self, circuit: Circuit, *, shots: int = 1, memory: bool = False,
                          emulators_only: bool = True, noise: bool = False) -> tuple[list[Backend], dict[str, list[str]]]:
        """The backends ``circuit`` fits, and why each other one does not.

        With ``emulators_only`` (how ``auto`` chooses), backends whose class declares another
        ``kind`` are not touched at all: reading a QPU's capabilities may need its network; and
        noisy emulators (device targets) are left out, since ``auto`` is for exact results, and so are
        backends that declare ``auto_choice=False`` and emulators of another paradigm (a gate
        circuit compiled to pulses or photons runs there only when the backend is named). With
        ``noise`` (a job under a noise model), only emulators that can apply one are kept.
        """
        fits: list[Backend] = []
        rejected: dict[str, list[str]] = {}
        candidates = [b for b in self.backends.values() if not emulators_only or b.kind == BackendKind.EMULATOR]
        for name, answer in self.availability(candidates).items():
            if isinstance(answer, str):
                rejected[name] = [f"unavailable: {answer}"]
                continue
            backend, caps = self.backends[name], answer
            if emulators_only and (caps.kind != BackendKind.EMULATOR or caps.noisy or not caps.auto_choice):
                continue
            if emulators_only and str(caps.paradigm) != "gate":
                continue  # a pulse- or photon-level emulation of a gate circuit is no exact run of it: named only
            if noise and not caps.supports_noise:
                rejected[name] = [f"{name} cannot apply a noise model"]
                continue
            reasons = self.fit_report(backend, circuit, shots=shots, memory=memory)
            if reasons:
                rejected[name] = reasons
            else:
                fits.append(backend)
        return fits, rejected

    # -- compilation --------------------------------------------------------------------------
    def compile(self, circuit: Circuit, backend: Backend, *, compiler: str | None = None,
                seed: int = COMPILE_SEED, optimize: bool = True,
                parameters: Mapping[Any, float] | None = None) -> tuple[Circuit, dict[str, Any]]:
        """``circuit`` fitted to ``backend`` (cached by fingerprint), with what was done.

        A circuit that already fits is not compiled; for an emulator the light, exact passes of
        :mod:`qhpc.optimize` run unless ``optimize`` is false. Compilation is deterministic (its
        seed is fixed, independent of the run's sampling seed) so a resubmission with another run
        seed, as a variational loop makes, reuses it. A parameterised circuit is compiled with its
        symbols, once for every parameter set, unless the compiler takes bound circuits only
        (``Compiler.symbolic_parameters`` false): it then gets ``circuit`` bound to ``parameters``.
        A compiler that fails is named in the :class:`CompileError`.
        """
        caps = self.capabilities(backend)
        # fusing gates changes the noise a noisy target attaches to each of them: only for exact emulators
        optimize = optimize and caps.kind == BackendKind.EMULATOR and not caps.noisy
        if compiler is None and not optimize and not needs_compilation(circuit, caps):
            return circuit, {"compiler": None, "ops": circuit.count_ops(), "depth": circuit.depth()}
        key = (circuit.fingerprint(), backend.name, compiler, seed, optimize)
        with self._lock:
            hit = self._compile_cache.get(key)
            if hit is not None:
                return hit[0], {**hit[1], "cached": True}
        info: dict[str, Any] = {"compiler": None}
        compiled = circuit
        if compiler is not None or needs_compilation(circuit, caps):
            chosen, options, why = self._pick_compiler(backend, circuit, compiler)
            if chosen is None:
                raise CompileError(why)
            if circuit.is_parameterized and not getattr(chosen, "symbolic_parameters", True):
                if parameters is None:
                    raise CompileError(f"compiler {chosen.name} compiles bound circuits only, and this one has "
                                       f"unbound parameters {', '.join(sorted(map(str, circuit.parameters)))}")
                return self.compile(circuit.bind(dict(parameters)), backend, compiler=compiler, seed=seed,
                                    optimize=optimize)
            try:
                compiled = chosen.compile(circuit, caps, seed=seed, options=options)
            except QhpcError as exc:
                raise CompileError(f"compiler {chosen.name}: {exc}") from None
            except Exception as exc:  # a plugin's own failure, named with the compiler
                raise CompileError(f"compiler {chosen.name} failed: {type(exc).__name__}: {exc}") from None
            leftover = needs_compilation(compiled, caps)
            if leftover:
                raise CompileError(
                    f"compiler {chosen.name} left the circuit unfit for {backend.name}: {'; '.join(leftover)}")
            # registers and names are the user's; a compiler may drop them
            if compiled.num_clbits == circuit.num_clbits:
                compiled.cregs = list(circuit.cregs)
            info["compiler"] = chosen.name
            if options:
                info["compiler_options"] = options
        if optimize:
            before = len(compiled.instructions)
            compiled = optimize_for_emulator(compiled, caps)
            info["optimized"] = {"instructions_before": before, "instructions_after": len(compiled.instructions)}
        info.update({"ops": compiled.count_ops(), "depth": compiled.depth()})
        with self._lock:
            self._compile_cache.put(key, (compiled, info), len(compiled.instructions))
        return compiled, {**info, "cached": False}

    # -- running ------------------------------------------------------------------------------
    def submit(self, program: object, *, backend: str = "auto", shots: int = DEFAULT_SHOTS,
               seed: int | None = None, memory: bool = False, parameters: Mapping[Any, float] | None = None,
               compiler: str | None = None, options: Mapping[str, Any] | None = None,
               source_format: str | None = None, optimize: bool = True,
               time_limit: float | None = None, noise: NoiseModel | Mapping[str, Any] | str | None = None) -> Job:
        """Validate, convert and compile ``program`` and queue it; returns the accepted :class:`Job`.

        Raises (and queues nothing) if the program cannot be read, has unbound parameters, or fits
        no backend. ``parameters`` binds symbolic parameters by name; ``source_format`` names the
        program's format when detection cannot tell (a string of OpenQASM, say); ``optimize=False``
        skips the light emulator passes of :mod:`qhpc.optimize`; ``time_limit`` (seconds; default
        ``[jobs] time_limit``) ends a run that takes longer as ``FAILED``. A job whose estimated
        run time exceeds ``[jobs] warn_seconds`` issues a :class:`LongRunWarning` before it is
        queued; the estimate is in ``job.metadata["estimated_seconds"]``. ``noise`` (a
        :class:`~qhpc.noise.NoiseModel`, its JSON form, or the path of a JSON file) runs the job
        under that noise model on a backend that can apply it (others refuse the job; ``auto``
        chooses among those); the model is kept in the result's metadata.
        """
        if self._closed:
            raise QhpcError("this integrator is closed")
        backend, shots, seed, parameters, time_limit = request_types(backend, shots, seed, parameters, options,
                                                                     time_limit)
        noise_model = as_noise_model(noise) if noise is not None else None
        if time_limit is None:
            time_limit = self.settings.time_limit
        elif isinstance(time_limit, bool) or not isinstance(time_limit, int | float) or not time_limit > 0:
            raise JobRejectedError(f"time_limit must be a positive number of seconds, not {time_limit!r}")
        job = Job(backend=backend, shots=shots, seed=seed)
        source = source_format or self.detect_format(program)
        kind = self.kind_of(source)
        if kind.name != "gate":
            return self._submit_kind(job, kind, program, source, backend=backend, shots=shots, seed=seed,
                                     memory=memory, parameters=parameters, options=options, time_limit=time_limit,
                                     noise=noise_model)
        with job._stage("convert"):
            circuit, route = self.to_circuit(program, source=source)
            circuit = self.converter.for_running(circuit, route.source)
        if backend not in self._warm:
            # first use of these backends: their SDKs load when capabilities are first read
            with job._stage("startup"):
                self._warm_up(backend)
        with job._stage("validate"):
            self._validate_request(circuit, shots, seed, parameters)
            target = self._choose_backend(circuit, backend, shots=shots, memory=memory, compiler=compiler,
                                          options=dict(options or {}), noise=noise_model is not None,
                                          parameters=parameters)
            job.backend = target.name
        target_kind = str(self.capabilities(target).paradigm)
        cross: Compiler | None = None
        with job._stage("compile"):
            if target_kind != "gate":  # to another paradigm's hardware, through a compiler that says so
                bound = circuit.bind(dict(parameters or {})) if circuit.is_parameterized else circuit
                cross, why = self._cross_compiler("gate", target_kind, bound, self.capabilities(target))
                if cross is None:
                    raise JobRejectedError(f"{target.name} cannot run this circuit: {why}")
                compiled = cross.compile(bound, self.capabilities(target), seed=COMPILE_SEED)
                compile_info = {"compiler": cross.name, "from": "gate", "to": target_kind}
                refused = self._compiled_reasons(target, self.kinds.get(target_kind), compiled, noise_model)
                if refused:
                    raise JobRejectedError(f"{target.name} cannot run this circuit as {cross.name} compiles it: "
                                           f"{'; '.join(refused)}")
            else:
                # on a noisy target, or under a noise model, gate fusion would change the noise: keep the gates
                optimize = optimize and noise_model is None
                try:
                    compiled, compile_info = self.compile(circuit, target, compiler=compiler, optimize=optimize,
                                                          parameters=parameters or {})
                except CompileError as exc:
                    raise JobRejectedError(f"cannot compile for {target.name}: {exc}") from None
                if compiled.is_parameterized:
                    compiled = compiled.bind(dict(parameters or {}))
                if noise_model is not None:
                    _check_noise_applies(compiled, noise_model, target.name)
            estimate = _estimate(target, compiled, shots)
        job.metadata.update({
            "route": str(route), "format": route.source, "compile": compile_info,
            "num_qubits": circuit.num_qubits, "num_clbits": circuit.num_clbits,
            "estimated_seconds": estimate, "time_limit": time_limit,
        })
        if noise_model is not None:
            job.metadata["noise"] = noise_model.to_dict()
        if estimate is not None and estimate > self.settings.warn_seconds:
            warn_from_caller(LongRunWarning(  # (its text is new each time: a bounded record of it)
                f"{target.name} is estimated to take {_duration(estimate)} for {shots} shots of this "
                f"{circuit.num_qubits}-qubit circuit (warning threshold {_duration(self.settings.warn_seconds)})"
                + (f"; it will be stopped after {_duration(time_limit)}" if time_limit else "")))
        request = ExecutionRequest(job.id, target.name, compiled, shots, seed, memory, dict(options or {}),
                                   time_limit=time_limit, noise=noise_model)
        if cross is not None:
            self._accept(job, request, circuit, kind=self.kinds[target_kind], source_program=circuit, decoder=cross)
        else:
            self._accept(job, request, circuit)
        return job

    def _submit_kind(self, job: Job, kind: ProgramKind, program: object, source: str, *, backend: str,
                     shots: int, seed: int | None, memory: bool, parameters: Mapping[Any, float] | None,
                     options: Mapping[str, Any] | None, time_limit: float | None,
                     noise: NoiseModel | None) -> Job:
        """The pipeline for programs of a kind other than gate circuits (analog, photonic, annealing)."""
        with job._stage("convert"):
            model, route = self.converter.to_model(program, source=source)
        if backend not in self._warm:
            with job._stage("startup"):
                self._warm_up(backend)
        with job._stage("validate"):
            if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
                raise JobRejectedError(f"shots must be a positive integer, not {shots!r}")
            if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED):
                raise JobRejectedError(f"seed must be a whole number from 0 to 2**63 - 1 ({MAX_SEED}), not {seed!r}")
            given = {getattr(k, "name", k): v for k, v in (parameters or {}).items()}
            free = kind.free_parameters(model)
            missing = sorted(free - set(given))
            if missing:
                raise JobRejectedError(f"the program has unbound variable(s) {', '.join(missing)}; give them values")
            unknown = sorted(map(str, set(given) - free))
            if unknown:
                raise JobRejectedError(f"variable(s) {', '.join(unknown)} are not in the program (its variables: "
                                       f"{', '.join(sorted(free)) or 'none'})")
            bound = kind.bind(model, given)
            target, cross = self._choose_for_kind(kind, bound, backend, shots=shots, memory=memory,
                                                  noise=noise is not None)
            job.backend = target.name
        with job._stage("compile"):
            caps = self.capabilities(target)
            if cross is not None:
                compiled = cross.compile(bound, caps, seed=COMPILE_SEED)
                compile_info: dict[str, Any] = {"compiler": cross.name, "from": kind.name, "to": str(caps.paradigm)}
                if str(caps.paradigm) == "gate":  # then fit the circuit to the gate backend as any circuit is
                    try:
                        compiled, gate_info = self.compile(compiled, target, optimize=noise is None)
                    except CompileError as exc:
                        raise JobRejectedError(f"cannot compile for {target.name}: {exc}") from None
                    compile_info["gate"] = gate_info
            else:
                compiled, compile_info = bound, {"compiler": None}
            if str(caps.paradigm) == "gate":  # compiled into a gate circuit: the model attaches to it or not
                if noise is not None:
                    _check_noise_applies(compiled, noise, target.name)
                refused = []
            elif cross is not None:
                refused = self._compiled_reasons(target, self.kinds.get(str(caps.paradigm)), compiled, noise)
            else:
                refused = [] if noise is None else target.noise_reasons(compiled, noise)
            if refused:
                raise JobRejectedError(f"{target.name} cannot run {kind.describe(bound)}: {'; '.join(refused)}")
            estimate = _estimate(target, compiled, shots)
        job.metadata.update({
            "route": str(route), "format": route.source, "kind": kind.name, "compile": compile_info,
            "size": kind.size(bound), "unit": kind.unit, "estimated_seconds": estimate, "time_limit": time_limit,
        })
        if noise is not None:
            job.metadata["noise"] = noise.to_dict()
        request = ExecutionRequest(job.id, target.name, compiled, shots, seed, memory, dict(options or {}),
                                   time_limit=time_limit, noise=noise)
        target_kind = self.kinds.get(str(caps.paradigm), kind)
        self._accept(job, request, bound, kind=target_kind, source_program=bound,
                     decoder=cross, source_kind=kind)
        return job

    def _choose_for_kind(self, kind: ProgramKind, program: Any, name: str, *, shots: int, memory: bool,
                         noise: bool) -> tuple[Backend, Compiler | None]:
        """The backend for a program of ``kind`` (and the compiler to another paradigm, if one is needed)."""

        def reasons(backend: Backend, caps: BackendCapabilities) -> tuple[list[str], Compiler | None]:
            if str(caps.paradigm) != kind.name:  # the compiled program is checked when submitted
                cross, why = self._cross_compiler(kind.name, str(caps.paradigm), program, caps)
                if why:
                    return [why], cross
                limits = _run_limits(backend.name, caps, shots, memory)
                if noise and not caps.supports_noise:
                    limits.append(f"{backend.name} cannot apply a noise model")
                return limits, cross
            out: list[str] = []
            size = kind.size(program)
            if size > caps.num_qubits:
                note = f" ({caps.limit_note})" if caps.limit_note else ""
                out.append(f"the program needs {size} {kind.unit}s but {backend.name} holds at most "
                           f"{caps.num_qubits}{note}")
            out.extend(_run_limits(backend.name, caps, shots, memory))
            if noise and not caps.supports_noise:
                out.append(f"{backend.name} cannot apply a noise model")
            out.extend(kind.fit_reasons(program, caps, shots=shots, memory=memory))
            try:
                out.extend(backend.cannot_run(program))
            except Exception as exc:
                out.append(f"{backend.name} failed to check the program: {type(exc).__name__}: {exc}")
            return out, None

        if name != "auto":
            backend = self.backend(name)
            try:
                caps = self.capabilities(backend)
            except BackendUnavailableError as exc:
                raise JobRejectedError(str(exc)) from None
            why, cross = reasons(backend, caps)
            if why:
                raise JobRejectedError(f"{backend.name} cannot run {kind.describe(program)}: {'; '.join(why)}")
            return backend, cross
        candidates = [b for b in self.backends.values() if b.kind == BackendKind.EMULATOR]
        fits: list[Backend] = []
        rejected: dict[str, list[str]] = {}
        for backend_name, answer in self.availability(candidates).items():
            if isinstance(answer, str) or str(answer.paradigm) != kind.name or answer.noisy or not answer.auto_choice:
                continue
            why, _ = reasons(self.backends[backend_name], answer)
            if why:
                rejected[backend_name] = why
            else:
                fits.append(self.backends[backend_name])
        if not fits:
            if not rejected:
                raise JobRejectedError(
                    f"no installed emulator runs {kind.name} programs; install {' or '.join(kind.plugins) or 'a plugin'} "
                    "that provides one")
            detail = " | ".join(f"{n}: {'; '.join(r)}" for n, r in rejected.items())
            raise JobRejectedError(f"no emulator can run {kind.describe(program)}: {detail}")
        return min(fits, key=lambda b: _estimate(b, program, shots) or float("inf")), None

    def run(self, program: object, *, timeout: float | None = None, **kwargs: Any) -> Result:
        """Submit and wait: the :class:`Result` of ``program`` (see :meth:`submit` for arguments)."""
        return self.submit(program, **kwargs).result(timeout)

    def submit_batch(self, programs: Iterable[object], **kwargs: Any) -> list[Job]:
        """Submit several programs as one batch (the keyword arguments of :meth:`submit` apply to
        each); returns their jobs in order. Each is validated, converted and compiled as by
        :meth:`submit`; then all are placed at once: a scheduler with a ``submit_batch`` method
        (Slurm: one job array) takes them together, others one ``submit`` each. If one program is
        refused, none is queued (the error notes which one)."""
        if getattr(self._batching, "calls", None) is not None:
            raise QhpcError("submit_batch cannot be called while this thread builds another batch")
        calls: list[tuple[Job, dict[str, Any]]] = []
        self._batching.calls = calls
        jobs: list[Job] = []
        try:
            for index, program in enumerate(programs):
                try:
                    jobs.append(self.submit(program, **kwargs))
                except Exception as exc:
                    exc.add_note(f"(program {index} of the batch; nothing of the batch was queued)")
                    for job, _ in calls:
                        job._fail(f"not queued: program {index} of its batch was refused")
                    raise
        finally:
            self._batching.calls = None
        self._place(calls)
        return jobs

    def run_batch(self, programs: Iterable[object], *, timeout: float | None = None, **kwargs: Any) -> list[Result]:
        """Submit a batch and wait: the results in order (``timeout`` bounds the whole wait)."""
        jobs = self.submit_batch(programs, **kwargs)
        deadline = None if timeout is None else time.monotonic() + timeout
        return [job.result(None if deadline is None else max(0.0, deadline - time.monotonic())) for job in jobs]

    def job(self, job_id: str) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise UnknownNameError("job", job_id, list(self._jobs)[-20:]) from None

    def _warm_up(self, name: str) -> None:
        """Read the capabilities of ``name`` (every emulator for ``auto``) so their SDKs are loaded."""
        if name == "auto":
            targets = [b for b in self.backends.values() if b.kind == BackendKind.EMULATOR]
        else:
            targets = [self.backends[name]] if name in self.backends else []
        for backend_name, answer in self.availability(targets).items():
            if isinstance(answer, str):  # reported by the fit check and by `qhpc backends`
                log.info("backend %s is unavailable: %s", backend_name, answer)
        self._warm.add(name)

    def _validate_request(self, circuit: Circuit, shots: int, seed: int | None,
                          parameters: Mapping[Any, float] | None) -> None:
        if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
            raise JobRejectedError(f"shots must be a positive integer, not {shots!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED):
            raise JobRejectedError(f"seed must be a whole number from 0 to 2**63 - 1 ({MAX_SEED}), not {seed!r}")
        if circuit.num_clbits == 0:
            raise JobRejectedError("the circuit measures nothing (no classical bits): add measurements to get counts")
        free = {p.name for p in circuit.parameters}
        given = {getattr(k, "name", k) for k in (parameters or {})}
        if given - free:
            raise JobRejectedError(
                f"parameter(s) {', '.join(sorted(map(str, given - free)))} are not in the circuit "
                f"(its parameters: {', '.join(sorted(free)) or 'none'})"
            )
        if free - given:
            raise JobRejectedError(
                f"the circuit has unbound parameter(s) {', '.join(sorted(free - given))}; give them values "
                "(qhpc run -p NAME=VALUE, or parameters={...} in Python)"
            )

    def _compiled_reasons(self, backend: Backend, kind: ProgramKind | None, program: Any,
                          noise: NoiseModel | None) -> list[str]:
        """Why ``backend`` cannot run ``program``, a program compiled into its paradigm (the checks
        a program written for it passes when chosen: its size, the backend's own, the noise model)."""
        caps = self.capabilities(backend)
        out: list[str] = []
        if kind is not None:
            size = kind.size(program)
            if size > caps.num_qubits:
                out.append(f"the compiled program needs {size} {kind.unit}s but {backend.name} holds at most "
                           f"{caps.num_qubits}")
        try:
            out.extend(backend.cannot_run(program))
            if noise is not None:
                out.extend(backend.noise_reasons(program, noise))
        except Exception as exc:
            out.append(f"{backend.name} failed to check the program: {type(exc).__name__}: {exc}")
        return out

    def _choose_backend(self, circuit: Circuit, name: str, *, shots: int, memory: bool, compiler: str | None,
                        options: dict[str, Any], noise: bool = False,
                        parameters: Mapping[Any, Any] | None = None) -> Backend:
        if name != "auto":
            backend = self.backend(name)
            try:
                self.capabilities(backend)  # may load an SDK or reach a device
            except BackendUnavailableError as exc:
                raise JobRejectedError(str(exc)) from None
            reasons = self.fit_report(backend, circuit, shots=shots, memory=memory, compiler=compiler,
                                      parameters=parameters)
            if noise and not self.capabilities(backend).supports_noise:
                able = sorted(n for n, c in self.availability(self.backends.values()).items()
                              if not isinstance(c, str) and c.supports_noise)
                reasons.append(f"{backend.name} cannot apply a noise model (backends that can: {', '.join(able) or 'none'})")
            if reasons:
                raise JobRejectedError(f"{backend.name} cannot run this circuit: {'; '.join(reasons)}")
            return backend
        fits, rejected = self.feasible_backends(circuit, shots=shots, memory=memory, noise=noise)
        if not fits:
            detail = " | ".join(f"{n}: {'; '.join(r)}" for n, r in rejected.items()) or "no emulator is installed"
            raise JobRejectedError(f"no gate emulator can run this circuit ({circuit.num_qubits} qubits): {detail} "
                                   "(auto leaves out emulators of other hardware, pulses or photons: name one "
                                   "to run the circuit compiled for it)")
        if not self.registry.pm.hook.qhpc_select_backend.get_hookimpls():
            raise PluginError("no plugin selects backends for 'auto' (is the builtin plugin left out of QHPC_PLUGINS?)")
        try:
            chosen = self.registry.pm.hook.qhpc_select_backend(
                circuit=circuit, candidates=fits, options={"shots": shots, "memory": memory, **options}
            )
        except Exception as exc:
            raise PluginError(f"backend selection failed in a plugin: {type(exc).__name__}: {exc}") from None
        if chosen is None or chosen not in fits:
            raise PluginError(f"backend selection returned {chosen!r}, which is not a feasible candidate")
        return chosen

    def _accept(self, job: Job, request: ExecutionRequest, circuit: Any, *, kind: ProgramKind | None = None,
                source_program: Any = None, decoder: Compiler | None = None,
                source_kind: ProgramKind | None = None) -> None:
        """Queue an accepted job. ``kind`` verifies the readout of the program that runs (a gate
        circuit's by default); ``decoder`` (a compiler between kinds) turns it back into the terms
        of ``source_program``."""
        self.scheduler  # noqa: B018 - first: a job is only recorded once it can be placed
        backend = self.backends[request.backend]
        clock: dict[str, float] = {}
        self._jobs[job.id] = job
        job._add_listener(self._notify)
        job._emit(JobEventKind.SUBMITTED)  # an observer may cancel it here: then it is never queued
        if job.status.final:
            return

        def on_start() -> None:
            job.timings["schedule"] = time.perf_counter() - clock["queued"]
            job._emit(JobEventKind.STAGE, stage="schedule", seconds=job.timings["schedule"])
            clock["started"] = time.perf_counter()
            if job._set_status(JobStatus.RUNNING):
                job.stage = "run"

        def on_done(output: RunOutput) -> None:
            job.timings["run"] = time.perf_counter() - clock["started"]
            job._emit(JobEventKind.STAGE, stage="run", seconds=job.timings["run"])
            with job._stage("verify"):
                if kind is None:
                    verify_output(output, request, circuit.num_clbits)
                else:
                    kind.verify(output, request.circuit, request.shots, request.backend)
                    if decoder is not None:
                        output = decoder.decode(output, source_program, request.circuit)
                        (source_kind or self.kinds["gate"]).verify(output, source_program, request.shots,
                                                                   request.backend)
            with job._stage("postprocess"):
                # a QPU's result names a seed only where its run reports one (a device draws its own
                # randomness: the request's seed would claim a replay nothing can give)
                seed = (output.metadata.get("seed") if backend.kind == BackendKind.QPU
                        else request.seed if request.seed is not None else output.metadata.get("seed"))
                shown_kind = source_kind if source_kind is not None else (None if decoder is not None else kind)
                extra = shown_kind.result_metadata(output, source_program) if shown_kind is not None else {}
                result = Result(
                    counts=output.counts, shots=request.shots, backend=backend.name, seed=seed,
                    job_id=job.id, memory=output.memory, timings=job.timings,
                    registers={r.name: list(r.bits) for r in getattr(circuit, "cregs", [])},
                    metadata={**job.metadata, **extra, "backend_metadata": output.metadata},
                )
            job.stage = None
            job._finish(result)

        def on_error(exc: BaseException) -> None:
            if "started" in clock and "run" not in job.timings:
                job.timings["run"] = time.perf_counter() - clock["started"]
            message = str(exc) if isinstance(exc, (QhpcError, InteropError)) else f"{type(exc).__name__}: {exc}"
            log.info("job %s failed: %s", job.id, message)
            job._fail(message, type(exc) if isinstance(exc, JobFailedError) else JobFailedError)

        def on_cancelled() -> None:
            job._set_status(JobStatus.CANCELLED)

        def execute(req: ExecutionRequest, token: CancelToken) -> RunOutput:
            if job.status is not JobStatus.RUNNING:  # cancelled between queueing and starting
                raise JobCancelledError(f"job {job.id} was cancelled before it started")
            if req.noise is not None:  # only backends that declare supports_noise take it
                run: Any = backend.run
                return run(req.circuit, shots=req.shots, seed=req.seed, memory=req.memory,  # type: ignore[no-any-return]
                           options=req.options, cancel=token, noise=req.noise)
            return backend.run(req.circuit, shots=req.shots, seed=req.seed, memory=req.memory,
                               options=req.options, cancel=token)

        clock["queued"] = time.perf_counter()
        call = {"request": request, "execute": execute, "on_start": on_start, "on_done": on_done,
                "on_error": on_error, "on_cancelled": on_cancelled}
        batch = getattr(self._batching, "calls", None)
        if batch is not None:  # inside submit_batch: placed with the others at its end
            batch.append((job, call))
            return
        self._place([(job, call)])

    def _place(self, entries: list[tuple[Job, dict[str, Any]]]) -> None:
        """Hand accepted jobs to the scheduler: all at once through its ``submit_batch`` if it has
        one (the keyword arguments of each ``submit``, in a list), else one ``submit`` each."""
        if not entries:
            return
        scheduler = self.scheduler
        together = getattr(scheduler, "submit_batch", None) if len(entries) > 1 else None
        placed = 0
        # queued before the scheduler has them: a worker may start (and end) a job before submit
        # returns, and an observer must see queued, running, done in that order
        for job, _ in entries:
            job._emit(JobEventKind.QUEUED)
        try:
            if together is not None:
                together([call for _, call in entries])
                placed = len(entries)
            else:
                for _, call in entries:
                    scheduler.submit(**call)
                    placed += 1
        except Exception as exc:  # the scheduler refused it (shut down, a cluster unreachable)
            for job, _ in entries[placed:]:
                job._fail(f"the {scheduler.name} scheduler refused the job: {exc}")
            raise JobRejectedError(f"the {scheduler.name} scheduler refused the job: {exc}") from None
        finally:
            for job, _ in entries[:placed]:
                job._cancel_hook = lambda job=job: scheduler.cancel(job.id)

    def _notify(self, job: Job, event: JobEvent) -> None:
        """Tell every observer plugin (each on its own: one that raises is logged, not fatal)."""
        caller = self.registry.pm.hook.qhpc_job_event
        impls = caller.get_hookimpls()
        for impl in impls:
            others = [other.plugin for other in impls if other.plugin is not impl.plugin]
            try:
                (self.registry.pm.subset_hook_caller("qhpc_job_event", others) if others else caller)(
                    job=job, event=event)
            except Exception as exc:
                log.warning("plugin %s failed on job event %s: %s", impl.plugin_name, event.kind, exc)

    def close(self, wait: bool = True) -> None:
        """Stop the scheduler (finishing queued jobs with ``wait``) and release backends."""
        if self._closed:
            return
        self._closed = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
        for backend in (self._backends or {}).values():
            try:
                backend.close()
            except Exception as exc:
                log.warning("backend %s failed to close: %s", backend.name, exc)

    def __enter__(self) -> Integrator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run_limits(name: str, caps: BackendCapabilities, shots: int, memory: bool) -> list[str]:
    out = []
    if shots > caps.max_shots:
        out.append(f"{shots} shots exceed {name}'s limit of {caps.max_shots}")
    if memory and not caps.supports_memory:
        out.append(f"{name} cannot return per-shot memory")
    return out


def _check_noise_applies(circuit: Circuit, model: NoiseModel, backend: str) -> None:
    """Refuse, before running, a noise model that cannot be attached to the compiled circuit."""
    from .noise import NoiseModelError, expand

    try:
        expand(circuit, model)
    except NoiseModelError as exc:
        device = model.metadata.get("snapshot")
        hint = f"; run it on the device target {device} so the circuit is compiled to the device" if device else ""
        raise JobRejectedError(f"the noise model cannot be applied on {backend}: {exc}{hint}") from None


def _estimate(backend: Backend, circuit: Circuit, shots: int) -> float | None:
    """The backend's run-time estimate in seconds, or ``None`` if it cannot give one."""
    try:
        value = float(backend.estimate_seconds(circuit, shots))
    except Exception as exc:
        log.warning("backend %s failed to estimate a run time: %s", backend.name, exc)
        return None
    return value if value >= 0 and value == value else None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
