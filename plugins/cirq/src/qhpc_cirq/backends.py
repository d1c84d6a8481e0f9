"""Emulator backends on Cirq's simulators (and qsim, where ``qsimcirq`` is installed).

===================  =================================================  ===================================
backend              simulator                                          qubit limit (what bounds it)
===================  =================================================  ===================================
cirq.simulator       ``cirq.Simulator`` (complex64 state vector)         memory: 48 B x 2^n (28 on 24 GiB)
cirq.density_matrix  ``cirq.DensityMatrixSimulator`` (complex64)         memory: 48 B x 4^n (14 on 24 GiB)
cirq.qsim            ``qsimcirq.QSimSimulator`` (float32 state vector)   memory: 8 B x 2^n (31 on 24 GiB)
===================  =================================================  ===================================

The bytes per state entry are measured peaks, not the 8 B of one complex64 amplitude: Cirq keeps a
work buffer as large as the state (three for the density matrix), samples from a float copy of the
probabilities, and copies the state for each repetition it simulates on its own (peak 36 B per
amplitude with terminal measurements, 45 B with a mid-circuit one; the density matrix 34 and 41 B
per entry); qsim holds its state alone (8 B).

Circuits are translated with :func:`qhpc_cirq.translate.circuit_to_cirq` (each model gate becomes
the Cirq gate equal to it) and run with ``seed=`` given to the simulator's constructor. Results are
read per classical bit from Cirq's measurement records (the last write of each bit), so counts and
memory follow the model's convention: bitstrings over all clbits, highest clbit first.

``cirq.density_matrix`` applies a qhpc noise model (``noise=``; :mod:`qhpc_cirq.noise`); the
state-vector simulators refuse one.

Reading the capabilities imports nothing; Cirq (about 2 s) is imported by the first run.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any, ClassVar

import numpy as np
from qhpc.errors import BackendUnavailableError, JobCancelledError, QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput, statevector_qubit_limit
from qhpc.lru import LRU
from qhpc.noise import NoiseModel
from qhpc_interop import Circuit, Instruction
from qhpc_interop.readout import exact_probabilities, final_state, gates_circuit

#: Model gates the translator writes as one Cirq gate: what the simulators run natively. (The
#: same set as :data:`qhpc_cirq.translate.SINGLE_OP_GATES`; kept here so reading the capabilities
#: does not import Cirq. The tests hold the two equal.)
NATIVE_GATES = frozenset({
    "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u1", "r", "u", "u2",
    "u3", "cx", "cy", "cz", "ch", "cs", "csdg", "csx", "crx", "cry", "crz", "cp", "cu1", "swap", "iswap", "rxx",
    "ryy", "rzz", "xx_plus_yy", "ccx", "ccz", "cswap", "ecr", "rccx",
})
_KINDS = {
    "simulator": "Cirq's state-vector simulator (complex64 amplitudes); any gate, mid-circuit measurement, "
                 "reset, classical control",
    "density_matrix": "Cirq's density-matrix simulator (complex64); mixed states, reset, classical control",
    "qsim": "Google's qsim state-vector simulator through qsimcirq (float32, multi-threaded C++); "
            "no classical control",
}
#: Peak bytes per state entry (measured: see the module docstring).
BYTES_PER_ENTRY = {"simulator": 48, "density_matrix": 48, "qsim": 8}
#: Repetitions run per call when Cirq must simulate each one (mid-circuit measurement, reset,
#: conditions): the cancel token is checked between calls.
BATCH = 200
MAX_SHOTS = 10_000_000
#: qsim fuses and applies matrix gates on up to this many qubits (it refuses wider ones).
QSIM_MAX_UNITARY_QUBITS = 6


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


def qsim_available() -> bool:
    """Whether ``qsimcirq`` is installed (found without importing it, which would import Cirq)."""
    try:
        return find_spec("qsimcirq") is not None
    except (ImportError, ValueError):  # pragma: no cover - a broken installation
        return False


class CirqBackend(Backend):
    """One Cirq simulator. Thread-safe: each run makes its own seeded simulator; translations are cached."""

    preferred_compilers = ("decompose",)

    def __init__(self, kind: str) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown Cirq simulator {kind!r}; one of {', '.join(_KINDS)}")
        self.simulator_kind = kind
        self.name = f"cirq.{kind}"
        self.description = _KINDS[kind]
        self._capabilities: BackendCapabilities | None = None
        self._lock = threading.Lock()
        self._cache: LRU[str, Any] = LRU(64)

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            kind = self.simulator_kind
            memory = _memory_bytes()
            per_entry = BYTES_PER_ENTRY[kind]
            density = kind == "density_matrix"
            qubits = statevector_qubit_limit(memory, per_entry, density=density)
            note = (f"{per_entry} B per {'density-matrix entry x 4^n' if density else 'amplitude x 2^n'} "
                    f"(measured peak: {'state alone' if kind == 'qsim' else 'state, buffers and sampling copies'}) "
                    f"must fit in {memory / 2**30:.0f} GiB of memory")
            self._capabilities = BackendCapabilities(
                num_qubits=qubits,
                native_gates=NATIVE_GATES,
                supports_unitary=True,
                supports_noise=density,
                max_shots=MAX_SHOTS,
                supports_memory=True,
                supports_mid_circuit_measurement=True,
                supports_conditionals=kind != "qsim",
                supports_reset=True,
                description=self.description,
                limit_note=note,
            )
        return self._capabilities

    def cannot_run(self, circuit: Circuit) -> list[str]:
        reasons = []
        if any(i.condition is not None and i.name == "measure" for i in circuit.instructions):
            reasons.append("cannot run a classically conditioned measurement (a skipped measurement leaves no "
                           "record in Cirq); aer and myqlm backends run it")
        if self.simulator_kind == "qsim":
            widest = max((len(i.qubits) for i in circuit.instructions if i.name == "unitary"), default=0)
            if widest > QSIM_MAX_UNITARY_QUBITS:
                reasons.append(f"runs unitary gates on up to {QSIM_MAX_UNITARY_QUBITS} qubits (qsim's limit) and this "
                               f"circuit has one on {widest}: run it on cirq.simulator")
        return reasons

    # -- cost --------------------------------------------------------------------------------
    #: Run-time model, fitted to runs of 300-gate random circuits (4-24 qubits, 1000 shots) and of a
    #: circuit with mid-circuit measurements on the 2-core development VM: a fixed start-up, seconds
    #: per operation on the first pass, per operation and shot where each shot is simulated on its
    #: own (only the part after the first measurement is repeated), and per state entry per operation.
    _BASE: ClassVar[dict[str, float]] = {"simulator": 5e-3, "density_matrix": 5e-3, "qsim": 25e-3}
    _PER_OP: ClassVar[dict[str, float]] = {"simulator": 130e-6, "density_matrix": 170e-6, "qsim": 5e-6}
    _PER_OP_SHOT: ClassVar[dict[str, float]] = {"simulator": 45e-6, "density_matrix": 55e-6, "qsim": 0.2e-6}
    _PER_ENTRY: ClassVar[dict[str, float]] = {"simulator": 1.5e-9, "density_matrix": 7e-9, "qsim": 0.5e-9}

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        kind = self.simulator_kind
        n = circuit.num_qubits
        ops = max(1, len(circuit.instructions))
        entries = 4.0**n if kind == "density_matrix" else 2.0**n
        per_entry = self._PER_ENTRY[kind] * entries
        once = self._BASE[kind] + ops * (self._PER_OP[kind] + per_entry)
        if _per_shot(circuit):
            return once + shots * ops * (self._PER_OP_SHOT[kind] + per_entry)
        return once + 1e-9 * entries + 1e-7 * shots * max(1, n)  # one simulation, then sampling


    # -- running -----------------------------------------------------------------------------
    def _translated(self, circuit: Circuit) -> tuple[Any, Any]:
        from .translate import _export

        key = circuit.fingerprint()
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None:
                return entry  # type: ignore[no-any-return]
        entry = _export(circuit, global_phase=False)
        with self._lock:
            self._cache.put(key, entry, len(circuit.instructions))
        return entry

    def _simulator(self, seed: int) -> Any:
        # Cirq's simulators take numpy's legacy seeds, below 2**32, and qhpc's go to 2**63 - 1: a
        # larger seed seeds numpy's generator through SeedSequence, which uses all of it (qsim takes
        # 32 bits only: there it is mixed down to 32 by SeedSequence, and may meet a smaller seed's run)
        kind = self.simulator_kind
        if kind == "qsim":
            try:
                import qsimcirq
            except Exception as exc:
                raise BackendUnavailableError(f"{self.name}: qsimcirq does not import: {exc}") from None
            if seed >= 2**32:
                seed = int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0])
            return qsimcirq.QSimSimulator(seed=seed)
        import cirq

        state: Any = seed if seed < 2**32 else np.random.RandomState(np.random.MT19937(np.random.SeedSequence(seed)))
        if kind == "simulator":
            return cirq.Simulator(seed=state)
        return cirq.DensityMatrixSimulator(seed=state)

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken, noise: NoiseModel | None = None) -> RunOutput:
        if noise is not None and self.simulator_kind != "density_matrix":
            raise QhpcError(f"{self.name} cannot apply a noise model (a pure-state simulator); run on "
                            "cirq.density_matrix")
        if options:
            raise QhpcError(f"{self.name} takes no options (got {', '.join(sorted(options))})")
        if circuit.parameters:
            raise QhpcError(f"{self.name} runs bound circuits; bind {', '.join(p.name for p in circuit.parameters)}")
        if self.simulator_kind == "qsim":
            widest = max((len(i.qubits) for i in circuit.instructions if i.name == "unitary"), default=0)
            if widest > QSIM_MAX_UNITARY_QUBITS:
                raise QhpcError(f"{self.name} runs unitary gates on up to {QSIM_MAX_UNITARY_QUBITS} qubits (qsim's "
                                f"limit); this circuit has one on {widest}: run it on cirq.simulator")
        if seed is None:
            seed = secrets.randbits(32)
        noisy = None
        deferred: dict[int, np.ndarray] = {}
        if noise is not None:
            from qhpc.noise import expand

            from .noise import noisy_circuit_to_cirq

            noisy = expand(circuit, noise)
            program, readout, deferred = noisy_circuit_to_cirq(noisy)
        else:
            program, readout = self._translated(circuit)
        simulator = self._simulator(seed)
        batch = BATCH if _per_shot(circuit) else shots
        records: list[dict[str, np.ndarray]] = []
        # a circuit that measures nothing: Cirq refuses to sample it, and every shot reads its
        # clbits as never written (0), as a device reports them
        done = 0 if program.has_measurements() else shots
        while done < shots:
            if cancel.cancelled:
                raise JobCancelledError(f"{self.name}: cancelled after {done} of {shots} shots")
            reps = min(batch, shots - done)
            records.append(simulator.run(program, repetitions=reps).records)
            done += reps
        bits = _clbit_values(records, readout, shots, circuit.num_clbits)
        if deferred:
            from .noise import confuse

            bits = confuse(bits, deferred, seed)
        metadata: dict[str, Any] = {"seed": seed, "simulator": type(simulator).__name__, "shots": shots}
        if noisy is not None:
            metadata["noise_channels"] = sum(1 for _ in noisy.channels())
            if noisy.correlated_readout:
                from collections import Counter

                from qhpc.noise.schedule import apply_correlated_readout

                _, raw = _bitstrings(bits, True)
                assert raw is not None
                shots_bits = apply_correlated_readout(raw, noisy, seed)
                counts = dict(Counter(shots_bits))
                return RunOutput(counts=counts, memory=shots_bits if memory else None, metadata=metadata)
        counts, mem = _bitstrings(bits, memory)
        return RunOutput(counts=counts, memory=mem, metadata=metadata)


def _per_shot(circuit: Circuit) -> bool:
    """Whether Cirq simulates each repetition on its own (otherwise it samples one final state)."""
    return circuit.has_mid_circuit_measurement() or any(i.name == "reset" for i in circuit.instructions)


def _clbit_values(records: list[dict[str, np.ndarray]], readout: Any, shots: int, num_clbits: int) -> np.ndarray:
    """shots x clbits array of each clbit's last written value (0 where nothing wrote it)."""
    bits = np.zeros((shots, num_clbits), dtype=np.uint8)
    for clbit, where in enumerate(readout.latest):
        if where is None:
            continue
        key, instance, position = where
        column = [r[key][:, instance, position] for r in records]
        bits[:, clbit] = np.concatenate(column) if len(column) > 1 else column[0]
    return bits


def _bitstrings(bits: np.ndarray, memory: bool) -> tuple[dict[str, int], list[str] | None]:
    """Counts (and per-shot memory) keyed by bitstrings, highest clbit first."""
    shots, width = bits.shape
    if width == 0:
        return {"": shots}, ([""] * shots if memory else None)
    rows = np.ascontiguousarray((bits[:, ::-1] + ord("0")).astype(np.uint8)).view(f"S{width}").ravel()
    values, index, counts = np.unique(rows, return_inverse=True, return_counts=True)
    keys = [v.decode() for v in values]
    out = {k: int(c) for k, c in zip(keys, counts)}
    mem = [keys[i] for i in index.ravel().tolist()] if memory else None
    return out, mem


class CirqStatevectorBackend(CirqBackend):
    """``cirq.Simulator``, which can also give a circuit's state vector (in double precision) and its
    exact readout distribution (of a circuit compiled for it, as ``run`` takes): the optional
    :class:`~qhpc.interfaces.Backend` extensions ``statevector`` and ``probabilities`` (what a myQLM
    ``nbshots=0`` job asks of :class:`qhpc_myqlm.qpu.QhpcQPU`)."""

    def __init__(self) -> None:
        super().__init__("simulator")

    def _evolve(self, num_qubits: int, state: Any, gates: list[Instruction]) -> np.ndarray:
        """The state after ``gates`` from |0...0> (the only start the exact readouts ask for)."""
        import cirq

        from .translate import _export

        # with the phase the translation of its gates leaves (runs drop it)
        program, _ = _export(gates_circuit(num_qubits, gates))
        qubits = [cirq.LineQubit(q) for q in range(num_qubits)]
        vector = cirq.Simulator(dtype=np.complex128).simulate(program, qubit_order=qubits).final_state_vector
        # Cirq's first qubit is the most significant bit; the model's qubit 0 the least
        return np.ascontiguousarray(np.asarray(vector, dtype=complex).reshape((2,) * num_qubits).T).reshape(-1)

    def statevector(self, circuit: Circuit) -> np.ndarray:
        """The final state of a circuit of gates only, little-endian, with its global phase."""
        return final_state(circuit, self._evolve)

    def probabilities(self, circuit: Circuit) -> dict[str, float]:
        """The exact readout distribution (keys as counts' keys) of a circuit measured only at the end."""
        return exact_probabilities(circuit, self._evolve)


def cirq_backends() -> list[Backend]:
    """The Cirq simulators (qsim only where ``qsimcirq`` is installed)."""
    backends: list[Backend] = [CirqStatevectorBackend(), CirqBackend("density_matrix")]
    if qsim_available():
        backends.append(CirqBackend("qsim"))
    return backends


__all__ = ["BATCH", "BYTES_PER_ENTRY", "MAX_SHOTS", "NATIVE_GATES", "QSIM_MAX_UNITARY_QUBITS", "CirqBackend",
           "CirqStatevectorBackend", "cirq_backends", "qsim_available"]
