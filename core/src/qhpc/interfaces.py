"""The small interfaces a plugin implements: formats, translators, backends, compilers, schedulers.

A plugin returns instances of these from the hooks in :mod:`qhpc.hookspecs`. Each interface says
what it promises in its docstring; the conformance kit :mod:`qhpc.testing` checks the promises.

Backends are the execution layer: an emulator or the front-end of a QPU (on-premise or remote).
A backend *declares* what it can run in :class:`BackendCapabilities`; the integrator refuses a job
that does not fit before running it, so ``Backend.run`` only ever sees circuits that fit.
"""

from __future__ import annotations

import enum
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from qhpc_interop import STANDARD_GATES, Circuit

from .errors import PluginError

#: The format name of the in-memory program model, the hub of the conversion graph.
MODEL_FORMAT = "qhpc.circuit"


# -- program formats and translators ---------------------------------------------------------


class ProgramFormat(ABC):
    """A way to write a quantum program: an SDK's object (``qiskit``), or a text/binary file format.

    ``name`` is the node name in the conversion graph. A format that has a file form sets
    ``extensions`` and implements :meth:`load_file`/:meth:`dumps`.
    """

    name: str
    description: str = ""
    #: The kind (paradigm) of its programs (see :mod:`qhpc.kinds`): a program is read into the
    #: hub of its kind (``qhpc.circuit`` for ``gate``), never into another kind's model.
    kind: str = "gate"
    #: File name suffixes (with the dot) this format reads, e.g. ``(".qasm",)``.
    extensions: tuple[str, ...] = ()
    #: True when :meth:`dumps` returns ``bytes`` rather than ``str``.
    binary: bool = False
    #: What programs in this format can hold (names from :data:`qhpc_interop.graph.PROPERTIES`:
    #: ``global_phase``, ``parameters``, ``mid_circuit_measurement``, ``conditionals``, ``resets``,
    #: ``barriers``, ``registers``, ``qubit_identity``...). Shown by ``qhpc formats``; the
    #: translators into the format must not claim to preserve more.
    holds: frozenset[str] = frozenset()
    #: True where the format's own SDK samples every qubit when it runs a circuit that measures
    #: nothing (a myQLM job reads all its qubits). Running such a circuit through qhpc then reads
    #: qubit ``k`` into clbit ``k`` at the end, so it gives what the SDK's own simulator gives;
    #: converting it never adds measurements (its unitary is what other formats hold).
    samples_all_qubits: bool = False
    #: True for a format that reads the files of its extensions no other format claims (the wire
    #: format takes a ``.json`` that names no format, to refuse it with the reason): its
    #: :meth:`sniff` is asked after every other format's, so a plugin's content check comes first.
    fallback_reader: bool = False

    def detect(self, program: object) -> bool:
        """Whether an in-memory ``program`` object is in this format (cheap; must not import an SDK
        unless the object's own module shows it comes from that SDK)."""
        return False

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the file at ``path`` (whose first bytes are ``head``) is in this format.

        The default accepts any file with one of :attr:`extensions`; formats sharing an extension
        (OpenQASM 2 and 3) look at ``head``.
        """
        return path.suffix.lower() in self.extensions

    def load_file(self, path: Path) -> Any:
        """Read a program of this format from a file."""
        raise NotImplementedError(f"format {self.name!r} has no file form")

    def loads(self, text: str) -> Any:
        """A program of this format from the text of its file form (what the access server receives
        under this format's name). Default: the text itself, for formats whose programs are text;
        a format whose programs are objects read from JSON (Cirq's, the other kinds') overrides it."""
        return text

    def dumps(self, program: Any) -> str | bytes:
        """Serialise a program of this format (text, or bytes if :attr:`binary`)."""
        raise NotImplementedError(f"format {self.name!r} has no file form")

    @property
    def has_file_form(self) -> bool:
        return type(self).dumps is not ProgramFormat.dumps


def defined_in(program: object, package: str, names: tuple[str, ...] = ()) -> bool:
    """Whether ``program``'s class, or a class it derives from, comes from a module whose name starts
    with ``package`` (and, given ``names``, is named one of them). Imports nothing, so a format's
    :meth:`ProgramFormat.detect` can rule a program out before importing its SDK, and still
    recognise a user's subclass of the SDK's circuit (defined in the user's own module)."""
    for cls in type(program).__mro__:
        if cls.__module__.startswith(package) and (not names or cls.__name__ in names):
            return True
    return False


class Translator(ABC):
    """Converts a program from format ``source`` to format ``target``.

    ``preserves`` declares what survives (see :data:`qhpc_interop.graph.PROPERTIES`): the
    conformance kit holds a translator to it (e.g. ``global_phase`` declared means the unitary is
    kept exactly, not only up to a global phase). Raise :class:`qhpc.errors.TranslationError`
    naming the operation and its position for anything the target cannot hold.
    """

    name: str
    source: str
    target: str
    preserves: frozenset[str]
    cost: float = 1.0

    @abstractmethod
    def convert(self, program: Any) -> Any:
        """The program in the target format."""

    def drops(self, program: Any) -> frozenset[str]:
        """What converting this ``program`` loses (default: everything :attr:`preserves` does not
        promise). A translator that loses a property only for some programs (Cirq loses a
        classical register only if no measurement writes it) narrows this, so the user is told
        only of real losses."""
        from qhpc_interop.graph import PROPERTIES

        return PROPERTIES - frozenset(self.preserves)

    def loss_details(self, program: Any, lost: frozenset[str]) -> dict[str, str]:
        """For a feature in ``lost`` (what :meth:`drops` said) of which this program loses only a
        part, that part in one line (a warning names it instead of the program's whole use of the
        feature: Cirq keeps measured classical registers, not quantum register names). Default: none."""
        return {}


# -- backends -----------------------------------------------------------------------------------


class BackendKind(enum.StrEnum):
    """Whether a backend emulates (``auto`` chooses among these) or drives a quantum device."""

    EMULATOR = "emulator"
    QPU = "qpu"


class Location(enum.StrEnum):
    """Where a backend runs: in this process/machine, on the site's premises, at another site."""

    LOCAL = "local"
    ON_PREM = "on-prem"
    REMOTE = "remote"


class Device(enum.StrEnum):
    """What executes the program."""

    CPU = "CPU"
    GPU = "GPU"
    QPU = "QPU"


class Paradigm(enum.StrEnum):
    """The kind of program a backend runs."""

    GATE = "gate"
    ANALOG = "analog"
    PHOTONIC = "photonic"
    ANNEALING = "annealing"


class CapabilityError(PluginError):
    """A backend declared capabilities that are not valid (an unknown kind, a bad qubit count...)."""


def _enum_field(enum_type: type[enum.StrEnum], field_name: str, value: object) -> enum.StrEnum:
    try:
        return enum_type(value)  # type: ignore[arg-type]  # any value: refused below if not a member
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum_type)
        raise CapabilityError(f"backend capability {field_name}={value!r} is not one of {allowed}") from None


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend can run. The integrator checks every job against this before running it.

    ``native_gates`` are the library gate names the backend runs directly (``None``: every standard
    gate); anything else must be compiled away first. ``coupling_map`` lists the directed qubit
    pairs a two-qubit gate may act on (``None``: all to all). ``kind``, ``location``, ``device``
    and ``paradigm`` take the values of :class:`BackendKind`, :class:`Location`, :class:`Device`
    and :class:`Paradigm` (or their strings); every field is checked when the capabilities are
    built, and a wrong value raises :class:`CapabilityError` (a typo such as ``kind="Emulator"``
    must not silently take a backend out of automatic selection).
    """

    num_qubits: int
    paradigm: Paradigm | str = Paradigm.GATE
    native_gates: frozenset[str] | None = None
    supports_unitary: bool = True
    coupling_map: tuple[tuple[int, int], ...] | None = None
    supports_noise: bool = False
    noisy: bool = False  # the backend itself is noisy (a QPU, or an emulator with a noise model)
    max_shots: int = 10_000_000
    supports_memory: bool = True
    supports_mid_circuit_measurement: bool = True
    supports_conditionals: bool = True
    supports_reset: bool = True
    kind: BackendKind | str = BackendKind.EMULATOR
    location: Location | str = Location.LOCAL
    device: Device | str = Device.CPU
    description: str = ""
    #: Plain words on what bounds ``num_qubits`` (shown by ``qhpc backends``).
    limit_note: str = ""
    #: ``False``: ``backend="auto"`` never picks this backend, which runs only when named (for a
    #: backend whose results are right but a poor default, such as a local search that stops in
    #: the first local minimum).
    auto_choice: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "kind", _enum_field(BackendKind, "kind", self.kind))
        set_(self, "location", _enum_field(Location, "location", self.location))
        set_(self, "device", _enum_field(Device, "device", self.device))
        set_(self, "paradigm", _enum_field(Paradigm, "paradigm", self.paradigm))
        for name in ("num_qubits", "max_shots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "num_qubits" else 1):
                raise CapabilityError(f"backend capability {name}={value!r} must be a whole number "
                                      f"of at least {0 if name == 'num_qubits' else 1}")
        for name in ("supports_unitary", "supports_noise", "noisy", "supports_memory",
                     "supports_mid_circuit_measurement", "supports_conditionals", "supports_reset", "auto_choice"):
            if not isinstance(getattr(self, name), bool):
                raise CapabilityError(f"backend capability {name}={getattr(self, name)!r} must be True or False")
        if self.native_gates is not None:
            if isinstance(self.native_gates, str) or not all(isinstance(g, str) for g in self.native_gates):
                raise CapabilityError("backend capability native_gates must be a set of gate names")
            gates = frozenset(self.native_gates)
            unknown = sorted(gates - set(STANDARD_GATES) - {"measure", "reset", "barrier", "unitary"})
            if self.paradigm is Paradigm.GATE and unknown:
                raise CapabilityError(f"backend capability native_gates names unknown gate(s) {', '.join(unknown)} "
                                      "(native gates are names from qhpc_interop.STANDARD_GATES)")
            set_(self, "native_gates", gates)
        if self.coupling_map is not None:
            pairs = []
            for pair in self.coupling_map:
                if (len(pair) != 2 or not all(isinstance(q, int) and not isinstance(q, bool) for q in pair)
                        or not all(0 <= q < self.num_qubits for q in pair) or pair[0] == pair[1]):
                    raise CapabilityError(f"backend capability coupling_map has an invalid pair {pair!r} "
                                          f"(pairs of two distinct qubits below {self.num_qubits})")
                pairs.append((int(pair[0]), int(pair[1])))
            set_(self, "coupling_map", tuple(pairs))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[key] = value
        return out


@dataclass
class RunOutput:
    """What a backend returns for one circuit.

    ``counts`` maps bitstrings over all of the circuit's clbits, **highest clbit first** (clbit 0 is
    the rightmost character, as Qiskit writes them), to the number of shots that read them.
    ``memory`` (when asked for) lists each shot's bitstring in order. A backend that draws its own
    seed when none was given reports it as ``metadata["seed"]``, so the run can be reproduced.
    """

    counts: dict[str, int]
    memory: list[str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


class CancelToken:
    """Set when a job's cancellation is requested; a long-running backend checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Backend(ABC):
    """An emulator, or the front-end of a QPU. Stateless between jobs apart from caches.

    Implementations must be safe to call from several worker threads at once. Set the class
    attribute ``kind`` to ``"qpu"`` for a QPU front-end: it must agree with
    ``capabilities.kind``, and lets the integrator leave the backend alone (no capability read,
    which may need the network) when it chooses among emulators for ``backend="auto"``.
    """

    name: str
    description: str = ""
    #: ``"emulator"`` or ``"qpu"``, known without reading :attr:`capabilities`.
    kind: ClassVar[str] = BackendKind.EMULATOR
    #: Compilers to try first, in order, when a circuit does not fit as it is (names of registered
    #: compilers); the integrator then tries every other installed compiler.
    preferred_compilers: tuple[str, ...] = ("decompose",)

    @property
    @abstractmethod
    def capabilities(self) -> BackendCapabilities:
        """What this backend can run (may be computed lazily on first access)."""

    @abstractmethod
    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken) -> RunOutput:
        """Run a bound circuit that fits :attr:`capabilities` and return its readout.

        A backend whose capabilities declare ``supports_noise`` also takes ``noise=`` (a
        :class:`qhpc.noise.NoiseModel`) and must apply all of it or raise: noise is never silently
        ignored. Gate-circuit emulators apply it through :func:`qhpc.noise.expand` (the circuit
        with Kraus channels in place, plus readout confusion); analog and photonic emulators read
        the parts that concern them (relaxation, readout, preparation, and the model's
        ``analog``/``photonic`` parameters).
        """

    def run_batch(self, circuit: Circuit, parameter_sets: Sequence[Mapping[str, float]], *, shots: int,
                  seed: int | None, memory: bool, options: Mapping[str, Any], cancel: CancelToken) -> list[RunOutput]:
        """Run one parameterised circuit for each of ``parameter_sets`` (the hybrid runtime's hot
        path). The default binds and runs each in turn; an emulator that can take many bindings
        in one call (Aer's ``parameter_binds``) overrides it. Run ``k`` is seeded
        :func:`batch_seed` ``(seed, k)``."""
        outputs = []
        for k, values in enumerate(parameter_sets):
            if cancel.cancelled:
                break
            outputs.append(self.run(circuit.bind(cast(Any, dict(values))), shots=shots, seed=batch_seed(seed, k),
                                    memory=memory, options=options, cancel=cancel))
        return outputs

    def expectation_values(self, circuit: Circuit, parameter_sets: Sequence[Mapping[str, float]],
                           observables: Sequence[Any]) -> Any:
        """Exact expectation values ``<psi(p)|O|psi(p)>`` (an array: parameter sets x observables)
        of :class:`qhpc.hybrid.PauliSum` observables on the state the circuit prepares (its
        measurements ignored), or ``None`` if this backend cannot compute them exactly (then the
        hybrid runtime estimates from shots)."""
        return None

    def noise_model(self) -> Any:
        """The noise model that describes this backend's own behaviour (a noisy emulator's, or
        what a QPU front-end's vendor declares), or ``None``. The conformance kit checks a noisy
        backend's readout against the distribution this model predicts."""
        return None

    def cannot_run(self, circuit: Circuit) -> list[str]:
        """Why this backend cannot run ``circuit`` beyond what :attr:`capabilities` can say (one line
        each; empty: it can). The integrator refuses the job with these reasons before running it.
        """
        return []

    def noise_reasons(self, program: Any, noise: Any) -> list[str]:
        """Why this backend cannot apply the noise model ``noise`` (a :class:`qhpc.noise.NoiseModel`)
        to ``program`` as compiled for it (one line each; empty: it can). The integrator refuses the
        job with these before running it. Gate-circuit emulators need not say: the integrator
        attaches the model to the compiled circuit (:func:`qhpc.noise.expand`) before queueing."""
        return []

    def compile_preferences(self, circuit: Circuit) -> list[tuple[str, dict[str, Any]]]:
        """Compilers to try, in order, with their options, for a circuit that does not fit as it is.

        The default tries :attr:`preferred_compilers` without options. A backend can weigh compile
        effort against the expected run time (a thorough transpilation pays off on a long run).
        """
        return [(name, {}) for name in self.preferred_compilers]

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        """Estimated wall-clock seconds to run ``circuit`` for ``shots`` here (queueing excluded).

        Used to choose among emulators for ``backend="auto"`` and to warn before a long run, so it
        should follow the real run time within a small factor. The default assumes a statevector
        emulator: about 2 ns per amplitude per gate, plus sampling.
        """
        n = circuit.num_qubits
        return 2e-9 * max(1, len(circuit.instructions)) * 2.0 ** n + 1e-7 * shots * max(1, n)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, GPU memory). Called when the integrator closes."""


def statevector_qubit_limit(memory_bytes: int, bytes_per_amplitude: int = 16, density: bool = False) -> int:
    """How many qubits of statevector (or density matrix) fit in ``memory_bytes``."""
    amplitudes = memory_bytes / bytes_per_amplitude
    bits = math.floor(math.log2(amplitudes)) if amplitudes >= 1 else 0
    return bits // 2 if density else bits


# -- compilers, calibration, scheduling -----------------------------------------------------------


class Compiler(ABC):
    """Rewrites a program so it fits a target: native gates, coupling map, optimisation; or, for a
    compiler between kinds (``source_kind`` != ``target_kind``), into another paradigm's program
    (gates to pulses, gates to linear optics, a QUBO to a QAOA circuit).

    The result must implement the same operation (the conformance kit checks the unitary, and that
    every clbit still reads the same qubit's value). A compiler between kinds also turns the target
    backend's readout back into the source program's terms (:meth:`decode`).
    """

    name: str
    description: str = ""
    #: the kind of program it takes and the kind it produces (both ``gate`` for circuit compilers)
    source_kind: str = "gate"
    target_kind: str = "gate"
    #: whether :meth:`compile` takes circuits with symbolic (unbound) parameters, so that a
    #: parameterised circuit is compiled once for every parameter set; a compiler that sets this
    #: false is given each bound circuit instead (compiled once per parameter set)
    symbolic_parameters: bool = True

    def decode(self, output: RunOutput, source: Any, compiled: Any) -> RunOutput:
        """The readout of ``compiled`` (run on a ``target_kind`` backend) in the terms of the
        ``source`` program: e.g. logical bitstrings from photon counts, with the post-selection
        rate in the metadata. The default: unchanged (same kind)."""
        return output

    def can_compile(self, circuit: Circuit, target: BackendCapabilities) -> str | None:
        """``None`` if this compiler can fit ``circuit`` to ``target``, else why not (one line)."""
        return None

    @abstractmethod
    def compile(self, circuit: Circuit, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Circuit:
        """The circuit rewritten to fit ``target``."""


class NoiseCalibrator(ABC):
    """Turns device calibration data, and optionally runs measured on the device, into a noise model
    an emulator applies (the NISQ calibration layer; see :mod:`qhpc.noise`).

    ``snapshot`` is a :class:`qhpc.noise.CalibrationSnapshot`; ``runs`` are measured runs
    (:class:`qhpc.noise.fit.MeasuredRun`: a program as it ran on the device, on physical qubits
    in native gates, its shots and counts); ``base`` a model to start from. A calibrator refuses,
    naming the field, data that lacks what its model needs.
    """

    name: str
    description: str = ""
    #: whether :meth:`calibrate` needs measured ``runs`` (a fitting calibrator) or only the snapshot
    needs_runs: bool = False

    @abstractmethod
    def calibrate(self, snapshot: Any, *, runs: Sequence[Any] = (), base: Any = None,
                  options: Mapping[str, Any] | None = None) -> Any:
        """A :class:`qhpc.noise.NoiseModel` for the device ``snapshot`` describes."""


def batch_seed(seed: int | None, k: int) -> int | None:
    """The seed of run ``k`` of a batch seeded ``seed``: ``seed`` itself for the first, then seeds
    drawn from it by numpy's ``SeedSequence`` (``seed + k`` made neighbouring runs share their draws
    where a simulator seeds shot ``i`` with ``seed + i``, as Aer does shot by shot)."""
    if seed is None or k == 0:
        return seed
    import numpy as np

    return int(np.random.SeedSequence([seed, k]).generate_state(1, dtype=np.uint64)[0]) >> 1


@dataclass
class ExecutionRequest:
    """Everything needed to execute one compiled job, in serialisable form (for remote schedulers).

    ``circuit`` is the compiled, bound circuit; a scheduler that runs jobs in another process ships
    ``qhpc_interop.wire.dumps(circuit)`` and the rest as JSON.
    """

    job_id: str
    backend: str
    circuit: Circuit
    shots: int
    seed: int | None
    memory: bool
    options: dict[str, Any] = field(default_factory=dict)
    #: seconds the run may take before the scheduler ends it as FAILED (``None``: no limit)
    time_limit: float | None = None
    #: the noise model to run under (``None``: the backend's own behaviour), a
    #: :class:`qhpc.noise.NoiseModel`; only for backends whose capabilities declare ``supports_noise``
    noise: Any = None


class Scheduler(ABC):
    """Places accepted jobs on resources and runs them: in-process threads, Slurm, ...

    ``submit`` must not block on the execution; it hands the job on and returns. The scheduler
    calls ``execute(request, cancel)`` where the job should run (or ships the request to a process
    that does the same) and reports through ``on_start``/``on_done``/``on_error``/``on_cancelled``,
    exactly one of the last three once per job. It enforces ``request.time_limit`` (ending the job
    through ``on_error`` with a :class:`~qhpc.errors.JobTimeLimitError`), and a cancelled or
    timed-out job ends from the user's point of view at once, even if its backend never returns.
    """

    name: str
    description: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, max_workers: int | None = None) -> Scheduler:
        """A scheduler built from its settings (the ``[scheduler.NAME]`` table of the configuration,
        or a mapping in Python). Unknown or invalid settings raise :class:`~qhpc.errors.ConfigError`
        naming them. The default takes no settings beyond ``max_workers``."""
        if settings:
            from .errors import ConfigError

            raise ConfigError(f"scheduler.{cls.name}: this scheduler takes no settings (got {', '.join(sorted(settings))})")
        return cls(max_workers=max_workers) if max_workers else cls()  # type: ignore[call-arg]

    @abstractmethod
    def submit(
        self,
        request: ExecutionRequest,
        execute: Callable[[ExecutionRequest, CancelToken], RunOutput],
        *,
        on_start: Callable[[], None],
        on_done: Callable[[RunOutput], None],
        on_error: Callable[[BaseException], None],
        on_cancelled: Callable[[], None],
    ) -> None:
        """Queue a request for execution."""

    @abstractmethod
    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job (True), or ask a running one to stop (True if it will); False if too late."""

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Stop accepting work; with ``wait``, finish what is queued."""
