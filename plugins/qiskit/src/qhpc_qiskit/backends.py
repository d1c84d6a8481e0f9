"""Emulator backends on Qiskit Aer, one per simulation method, with Aer's real limits declared.

=======================  =============================================  =====================
backend                  what it is good for                            qubit limit (source)
=======================  =============================================  =====================
aer.statevector          exact amplitudes, any gate                     memory: 16 B x 2^n
aer.density_matrix       mixed states and noise                         memory: 16 B x 4^n
aer.matrix_product_state low-entanglement circuits beyond statevector   Aer's configuration
aer.stabilizer           Clifford circuits at scale (h s cx ...)        Aer's configuration
=======================  =============================================  =====================

The limits are the ones Aer itself enforces (it derives the statevector and density-matrix limits
from this machine's memory: 30 and 15 qubits on 24 GiB). When Aer reports a GPU, a ``.gpu``
variant of the statevector and density-matrix backends is offered as well.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from qhpc.errors import QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput
from qhpc.lru import LRU
from qhpc.noise import NoiseModel, NoisyCircuit
from qhpc_interop import STANDARD_GATES, Circuit, Instruction
from qhpc_interop.gates import CLIFFORD_GATES
from qhpc_interop.readout import exact_probabilities, final_state, gates_circuit

from .translate import circuit_to_qiskit

_METHODS = {
    "statevector": "exact statevector simulation (complex128 amplitudes)",
    "density_matrix": "exact density-matrix simulation (mixed states, noise)",
    "matrix_product_state": "tensor-network (MPS) simulation; cost grows with entanglement, not qubit count",
    "stabilizer": "Clifford-only stabilizer simulation (Gottesman-Knill), thousands of qubits",
}

#: Options a caller may pass through to Aer's ``run`` (others are refused, so typos are caught).
#: Noise is given as a qhpc noise model (``noise=``), not as an Aer ``noise_model`` option.
AER_RUN_OPTIONS = frozenset({
    "max_parallel_threads", "max_parallel_shots", "precision", "fusion_enable",
    "matrix_product_state_max_bond_dimension", "matrix_product_state_truncation_threshold",
    "shot_branching_enable",
})


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


def _gib(n: float) -> str:
    return f"{n / 2**30:.0f} GiB"


def aer_cannot_load(circuit: Circuit) -> str | None:
    """Why Aer 0.18 cannot load ``circuit``, or ``None``.

    Aer 0.18.2 fails to load a circuit whose first measurement is under a classical condition
    ("Failed to load circuits: Invalid jump destination"), whatever the condition, bit or method;
    a conditioned measurement after an unconditioned one loads and runs as Qiskit defines it.
    """
    for k, inst in enumerate(circuit.instructions):
        if inst.name == "measure":
            if inst.condition is None:
                return None
            return (f"cannot run a circuit whose first measurement is under a classical condition (instruction "
                    f"{k}: {inst}); Aer 0.18 fails to load it")
    return None


class AerBackend(Backend):
    """One Aer simulation method on one device. Thread-safe; caches translated circuits."""

    preferred_compilers = ("decompose", "qiskit")

    def __init__(self, method: str, device: str = "CPU") -> None:
        self.method = method
        self.device = device
        self.name = f"aer.{method}" + (".gpu" if device == "GPU" else "")
        self.description = _METHODS[method] + (" on the GPU" if device == "GPU" else "")
        self._simulator: Any = None
        self._capabilities: BackendCapabilities | None = None
        self._lock = threading.Lock()
        self._cache: LRU[str, Any] = LRU(128)
        self._prepared: dict[tuple[int, tuple[int, ...]], tuple[Any, ...]] = {}

    @property
    def simulator(self) -> Any:
        with self._lock:
            if self._simulator is None:
                from qiskit_aer import AerSimulator

                self._simulator = AerSimulator(method=self.method, device=self.device)
            return self._simulator

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            sim = self.simulator
            names = set(sim.target.operation_names)
            native = frozenset(n for n in names if n in STANDARD_GATES)
            if self.method == "stabilizer":
                native = native & CLIFFORD_GATES  # Aer lists rz, but runs it only at Clifford angles
            memory = _memory_bytes()
            if self.method == "statevector":
                note = f"16 B per amplitude x 2^n must fit in {_gib(memory)} of memory"
            elif self.method == "density_matrix":
                note = f"16 B per entry x 4^n must fit in {_gib(memory)} of memory"
            elif self.method == "matrix_product_state":
                note = "Aer's configured maximum; run time and memory depend on entanglement"
            else:
                note = "Aer's configured maximum for stabilizer tableaux"
            self._capabilities = BackendCapabilities(
                num_qubits=int(sim.num_qubits),
                native_gates=native,
                supports_unitary="unitary" in names and self.method != "stabilizer",
                # Kraus channels need a state that can hold them: statevector (trajectories) or density matrix
                supports_noise=self.method in ("statevector", "density_matrix"),
                max_shots=_configured_max_shots(sim),
                device=self.device,
                description=self.description,
                limit_note=note,
            )
        return self._capabilities

    def cannot_run(self, circuit: Circuit) -> list[str]:
        why = aer_cannot_load(circuit)
        return [why] if why else []

    #: From this many qubits a run takes long enough (statevector: ~100 ms and up) that Qiskit's
    #: level-2 transpilation (tens of ms, cached) pays off: on a 24-qubit random circuit Aer ran the
    #: decompose compiler's output ~15% slower than the transpiler's.
    THOROUGH_COMPILE_QUBITS: ClassVar[dict[str, int]] = {
        "statevector": 18, "density_matrix": 9, "matrix_product_state": 18,
    }

    def compile_preferences(self, circuit: Circuit) -> list[tuple[str, dict[str, Any]]]:
        threshold = self.THOROUGH_COMPILE_QUBITS.get(self.method)
        if threshold is not None and circuit.num_qubits >= threshold:
            return [("qiskit", {"optimization_level": 2}), ("decompose", {})]
        return [("decompose", {}), ("qiskit", {})]

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        """Estimated run time on this machine class, from measured Aer 0.18 costs (2 cores).

        Coefficients were fitted to Aer runs (``benchmarks/estimates.py`` prints estimate against
        measured time for a spread of circuits): statevector ~5 ns per amplitude per gate; density
        matrix ~15 ns per matrix entry per gate; stabilizer ~45 ns per qubit per gate plus
        ~0.16 ns x n^2 per measured qubit per shot (Aer measures the tableau shot by shot); MPS
        from the bond dimension each two-qubit gate can build up (bounded by the gates crossing
        each cut), ~18 ns x chi^3 per gate and ~1 us x chi^2 per qubit per shot. Circuits with
        mid-circuit measurement, reset or conditionals are simulated once per shot.
        """
        n, g = circuit.num_qubits, max(1, len(circuit.instructions))
        per_shot = circuit.has_mid_circuit_measurement() or "reset" in circuit.gate_names()
        measured = sum(len(i.qubits) for i in circuit.instructions if i.name == "measure")
        if self.method == "stabilizer":
            gates = g * (2.5e-5 + 4.5e-8 * n)
            return 2e-3 + gates * (shots if per_shot else 1) + shots * 1.6e-10 * n * n * measured
        if self.method == "matrix_product_state":
            gates, sampling = _mps_costs(circuit)
            return 2e-3 + (gates * 1.8e-8) * (shots if per_shot else 1) + shots * sampling * 1e-6
        if self.method == "statevector":
            gates = g * 2.0 ** min(n, 1000) * 5e-9
        else:  # density matrix
            gates = g * 4.0 ** min(n, 500) * 1.5e-8
        return 1e-3 + gates * (shots if per_shot else 1) + shots * max(1, n) * 5e-8

    def _qiskit_circuit(self, circuit: Circuit) -> Any:
        key = circuit.fingerprint()
        with self._lock:
            qc = self._cache.get(key)
            if qc is not None:
                return qc
        qc = circuit_to_qiskit(circuit)
        with self._lock:
            self._cache.put(key, qc, len(circuit.instructions))
        return qc

    def run_batch(self, circuit: Circuit, parameter_sets: Sequence[Mapping[str, float]], *, shots: int,
                  seed: int | None, memory: bool, options: Mapping[str, Any], cancel: CancelToken) -> list[RunOutput]:
        """All bindings in one Aer call (``parameter_binds``): the circuit is translated once."""
        if not parameter_sets:
            return []
        if not circuit.is_parameterized:
            return [self.run(circuit, shots=shots, seed=seed, memory=memory, options=options, cancel=cancel)
                    for _ in parameter_sets]
        qc = self._qiskit_circuit(circuit)
        binds = self._binds(qc, parameter_sets)
        run_options: dict[str, Any] = {"shots": shots, "memory": memory, **options}
        if seed is not None:
            run_options["seed_simulator"] = seed
        result = self.simulator.run(qc, parameter_binds=binds, **run_options).result()
        if not result.success:
            raise QhpcError(f"{self.name} failed: {result.status}")
        width = circuit.num_clbits
        outputs = []
        for experiment in result.results:
            counts, mem = _readout(experiment.data, width, shots, memory)
            outputs.append(RunOutput(counts=counts, memory=mem,
                                     metadata={"seed": getattr(experiment, "seed_simulator", seed)}))
        return outputs

    def expectation_values(self, circuit: Circuit, parameter_sets: Sequence[Mapping[str, float]],
                           observables: Sequence[Any]) -> Any:
        """Exact values from Aer's ``save_expectation_value`` (statevector and density matrix), all
        bindings in one call; ``None`` for circuits that measure or reset mid-way."""
        import numpy as np

        # a session passes the same circuit and observables on every call: find them by identity
        # first, so an evaluation costs no hashing and no translation
        fast = (id(circuit), tuple(id(o) for o in observables))
        with self._lock:
            hit = self._prepared.get(fast)
        if hit is None or hit[0] is not circuit or any(a is not b for a, b in zip(hit[1], observables)):
            hit = self._prepare_expectation(circuit, observables)
            if hit is None:
                return None
            with self._lock:
                self._prepared[fast] = hit
                if len(self._prepared) > 16:
                    self._prepared.pop(next(iter(self._prepared)))
        qc, parameters = hit[2], hit[3]
        sets = list(parameter_sets) or [{}]
        kwargs: dict[str, Any] = {"shots": 1}
        if parameters:
            missing = {p.name for p in parameters} - set(sets[0])
            if missing:
                raise QhpcError(f"no value for parameter(s) {', '.join(sorted(missing))}")
            kwargs["parameter_binds"] = [{p: [values[p.name] for values in sets] for p in parameters}]
        result = self.simulator.run(qc, **kwargs).result()
        if not result.success:
            raise QhpcError(f"{self.name} failed: {result.status}")
        values = np.array([[float(np.real(getattr(experiment.data, f"e{k}"))) for k in range(len(observables))]
                           for experiment in result.results])
        return values if parameters else np.repeat(values, len(sets), axis=0)[:len(sets)]

    def _prepare_expectation(self, circuit: Circuit, observables: Sequence[Any]) -> tuple[Any, ...] | None:
        if self.method not in ("statevector", "density_matrix") or circuit.has_mid_circuit_measurement() \
                or "reset" in circuit.gate_names():
            return None
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_aer.library import SaveExpectationValue

        qc = self._qiskit_circuit(circuit).remove_final_measurements(inplace=False)
        for k, observable in enumerate(observables):
            op = SparsePauliOp.from_list(list(observable.padded(qc.num_qubits).terms))
            qc.append(SaveExpectationValue(op, label=f"e{k}"), list(range(qc.num_qubits)))
        return circuit, list(observables), qc, list(qc.parameters)

    @staticmethod
    def _binds(qc: Any, parameter_sets: Sequence[Mapping[str, float]]) -> list[dict[Any, list[float]]]:
        by_name = {p.name: p for p in qc.parameters}
        missing = set(by_name) - set(parameter_sets[0])
        if missing:
            raise QhpcError(f"no value for parameter(s) {', '.join(sorted(missing))}")
        return [{by_name[name]: [float(values[name]) for values in parameter_sets] for name in by_name}]

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken, noise: NoiseModel | None = None) -> RunOutput:
        unknown = set(options) - AER_RUN_OPTIONS
        if unknown:
            raise QhpcError(f"{self.name} does not take option(s) {', '.join(sorted(unknown))}; "
                            f"it takes {', '.join(sorted(AER_RUN_OPTIONS))}")
        if noise is not None:
            from qhpc.noise import expand

            return self.run_noisy(expand(circuit, noise), shots=shots, seed=seed, memory=memory, options=options)
        return self._execute(self._qiskit_circuit(circuit), circuit.num_clbits, shots=shots, seed=seed,
                             memory=memory, options=options)

    def run_noisy(self, noisy: NoisyCircuit, *, shots: int, seed: int | None, memory: bool,
                  options: Mapping[str, Any] | None = None) -> RunOutput:
        """Run a circuit whose noise is explicit (:func:`qhpc.noise.expand`): its channels as Aer
        Kraus errors in place, its readout errors as Aer readout errors (correlated ones applied to
        each shot's bits afterwards)."""
        from .noise import noisy_circuit_to_qiskit, readout_noise_model

        qc = noisy_circuit_to_qiskit(noisy)
        extra: dict[str, Any] = {"noise_channels": sum(1 for _ in noisy.channels())}
        readout = readout_noise_model(noisy)
        return self._execute(qc, noisy.num_clbits, shots=shots, seed=seed, memory=memory, options=options or {},
                             noise_model=readout, noisy=noisy, extra=extra)

    def _execute(self, qc: Any, width: int, *, shots: int, seed: int | None, memory: bool,
                 options: Mapping[str, Any], noise_model: Any = None, noisy: NoisyCircuit | None = None,
                 extra: dict[str, Any] | None = None) -> RunOutput:
        correlated = noisy is not None and bool(noisy.correlated_readout)
        run_options: dict[str, Any] = {"shots": shots, "memory": memory or correlated, **options}
        if noise_model is not None:
            run_options["noise_model"] = noise_model
        if seed is not None:
            run_options["seed_simulator"] = seed
        result = self.simulator.run(qc, **run_options).result()
        if not result.success:
            raise QhpcError(f"{self.name} failed: {result.status}")
        experiment = result.results[0]
        data = experiment.data
        drawn = getattr(experiment, "seed_simulator", seed)
        if correlated:
            from collections import Counter

            from qhpc.noise.schedule import apply_correlated_readout

            assert noisy is not None
            _, raw = _readout(data, width, shots, True)
            assert raw is not None
            bits = apply_correlated_readout(raw, noisy, drawn)
            counts = dict(Counter(bits))
            mem = bits if memory else None
        else:
            counts, mem = _readout(data, width, shots, memory)
        meta = {
            "simulator": f"qiskit-aer {_aer_version()}",
            "method": getattr(experiment.metadata, "get", lambda *_: self.method)("method", self.method)
            if isinstance(experiment.metadata, dict) else self.method,
            "seed": drawn,
            "time_taken_s": getattr(experiment, "time_taken", math.nan),
            **(extra or {}),
        }
        return RunOutput(counts=counts, memory=mem, metadata=meta)


class AerStatevectorBackend(AerBackend):
    """Aer's statevector method, which can also give a circuit's state vector and its exact readout
    distribution (of a circuit compiled for it, as ``run`` takes): the optional
    :class:`~qhpc.interfaces.Backend` extensions ``statevector`` and ``probabilities`` (what a myQLM
    ``nbshots=0`` job asks of :class:`qhpc_myqlm.qpu.QhpcQPU`)."""

    def __init__(self, device: str = "CPU") -> None:
        super().__init__("statevector", device)

    def _evolve(self, num_qubits: int, state: Any, gates: list[Instruction]) -> Any:
        """The state after ``gates`` from |0...0> (the only start the exact readouts ask for)."""
        import numpy as np
        from qiskit_aer.library import SaveStatevector

        qc = self._qiskit_circuit(gates_circuit(num_qubits, gates)).copy()
        qc.append(SaveStatevector(num_qubits), qc.qubits)
        result = self.simulator.run(qc, shots=1).result()
        if not result.success:
            raise QhpcError(f"{self.name} failed: {result.status}")
        return np.asarray(result.data(0)["statevector"], dtype=complex).reshape(-1)

    def statevector(self, circuit: Circuit) -> Any:
        """The final state of a circuit of gates only, little-endian, with its global phase."""
        return final_state(circuit, self._evolve)

    def probabilities(self, circuit: Circuit) -> dict[str, float]:
        """The exact readout distribution (keys as counts' keys) of a circuit measured only at the end."""
        return exact_probabilities(circuit, self._evolve)


def _mps_costs(circuit: Circuit) -> tuple[float, float]:
    """(sum of chi^3 over gates, sum of chi^2 over bonds at the end) for an MPS in the circuit's
    qubit order, where each cut's bond dimension chi can at most double with every two-qubit gate
    crossing it, and never exceeds 2^min(qubits left, qubits right)."""
    n = circuit.num_qubits
    cap = 100  # 2^300 already means "never": keeps the arithmetic in floats
    exponent = [0] * max(0, n - 1)
    total = 0.0
    for inst in circuit.instructions:
        qubits = inst.qubits
        if len(qubits) < 2 or inst.name in ("barrier", "measure"):
            cut = min(qubits[0], n - 2) if qubits and n > 1 else 0
            total += 2.0 ** (2 * min(cap, exponent[cut])) if exponent else 1.0
            continue
        lo, hi = min(qubits), max(qubits)
        worst = 0
        for c in range(lo, hi):
            exponent[c] = min(exponent[c] + 1, c + 1, n - c - 1, cap)
            worst = max(worst, exponent[c])
        total += 2.0 ** (3 * worst) * (hi - lo)
    sampling = sum(2.0 ** (2 * e) for e in exponent) + n
    return total, sampling


def _configured_max_shots(sim: Any) -> int:
    """The shot limit Aer declares in its configuration (1,000,000 in Aer 0.18)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BackendConfiguration is deprecated but still the only place it is kept
        try:
            return int(sim.configuration().max_shots)
        except Exception:  # pragma: no cover - a future Aer without it
            return 1_000_000


_AER_VERSION: str | None = None


def _aer_version() -> str:
    global _AER_VERSION
    if _AER_VERSION is None:
        from importlib.metadata import version

        _AER_VERSION = version("qiskit-aer")
    return _AER_VERSION


_SHARED: dict[str, AerBackend] = {}


def shared_aer(method: str) -> AerBackend:
    """One Aer backend per method for internal use (device targets), created on first use."""
    backend = _SHARED.get(method)
    if backend is None:
        backend = _SHARED[method] = AerStatevectorBackend() if method == "statevector" else AerBackend(method)
    return backend


def aer_backends() -> list[Backend]:
    """The Aer backends this machine can run (GPU variants only where Aer sees a GPU)."""
    backends: list[Backend] = [AerStatevectorBackend() if m == "statevector" else AerBackend(m) for m in _METHODS]
    if _aer_has_gpu():
        backends += [AerStatevectorBackend("GPU"), AerBackend("density_matrix", "GPU")]
    return backends


def _aer_has_gpu() -> bool:
    if os.environ.get("QHPC_AER_GPU", "auto") == "off":
        return False
    try:
        from importlib.util import find_spec

        if find_spec("qiskit_aer") is None:
            return False
        # available_devices imports Aer; only ask when a GPU build could be present
        if not any(os.path.exists(p) for p in ("/dev/nvidia0", "/dev/nvidiactl")):
            return False
        from qiskit_aer import AerSimulator

        return "GPU" in AerSimulator().available_devices()
    except Exception:  # pragma: no cover - a broken Aer build
        return False


def _readout(data: Any, width: int, shots: int, memory: bool) -> tuple[dict[str, int], list[str] | None]:
    """Counts (and per-shot memory) from Aer's experiment data, keyed by bitstrings of ``width``
    clbits. A circuit that measures nothing has no counts in Aer: every shot reads its clbits as
    never written (0), as a device reports them."""
    counts = getattr(data, "counts", None)
    if counts is None:
        zero = "0" * width
        return {zero: shots}, ([zero] * shots if memory else None)
    return ({format(int(k, 16), f"0{width}b"): int(v) for k, v in counts.items()},
            [format(int(k, 16), f"0{width}b") for k in data.memory] if memory else None)
