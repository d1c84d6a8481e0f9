"""Emulator backends on myQLM's simulators: ``myqlm.pylinalg`` and ``myqlm.clinalg``.

==================  =================================================  ==================================
backend             simulator                                          qubit limit (this machine's memory)
==================  =================================================  ==================================
myqlm.pylinalg      ``qat.qpus.PyLinalg``: numpy state vector,          16 B x 2^n, about 4 copies at once
                    pure Python (myQLM's reference simulator)
myqlm.clinalg       ``qat.qpus.CLinalg``: C++ state vector, threaded    16 B x 2^n, about 3 copies at once
==================  =================================================  ==================================

**Seeds.** PyLinalg draws its measurements from numpy's global generator and takes no seed, and
sampling through ``PyLinalg().submit(job)`` costs a Python object per basis state (45 s for an
exact 20-qubit job here). So both backends use their simulator for what it is exact at - the state
vector - and sample the shots themselves with ``numpy.random.default_rng(seed)``: the same seed
gives the same counts and memory, and a run without a seed reports the seed it drew.

* PyLinalg: ``qat.pylinalg.simulator.simulate`` (the function ``PyLinalg.submit_job`` runs) on the
  translated circuit gives the state vector as a numpy array;
* CLinalg: ``CLinalg(readonly_statevector=True)`` gives it as a numpy array (CLinalg's own sampler
  costs ~0.7 ms per shot at 20 qubits, against a few ms for all shots from the state vector).

**Mid-circuit measurement, reset, conditionals** (both simulators run them; PyLinalg, unseeded, by
re-simulating every shot): the circuit runs up to each measurement or reset on the simulator, the
outcome is drawn with the seeded generator and the shots are split between the outcomes
(binomially), each branch going on from its projected state (``STATE_PREPARATION`` for PyLinalg,
``job.psi_0`` for CLinalg); conditioned gates run in the branches whose bits satisfy them. The
number of branches is at most the number of shots. Measurements that nothing later depends on
are sampled together at the end, so a circuit whose measurements all come last needs a single
simulation.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc.errors import JobCancelledError, QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput, statevector_qubit_limit
from qhpc.lru import LRU
from qhpc_interop import Circuit, Gate, Instruction, UnitaryGate
from qhpc_interop.ir import Barrier, Reset
from qhpc_interop.readout import (
    Evolve,
    deferred_measurements,
    exact_probabilities,
    final_codes,
    final_state,
    gates_circuit,
    needs_branching,
)

from .translate import load_qat

#: Library gates each myQLM simulator runs as one myQLM gate (its own, or a ``dag()``/``ctrl()`` of one).
NATIVE_GATES = frozenset({
    "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "p", "u1",
    "cx", "cy", "cz", "ch", "cs", "csdg", "crx", "cry", "crz", "cp", "cu1", "swap", "iswap",
    "ccx", "ccz", "cswap",
})

#: Above this many qubits PyLinalg's STATE_PREPARATION (one Python object per amplitude) is refused.
PYLINALG_MAX_BRANCHING_QUBITS = 22



def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


# -- state vectors: little-endian flat arrays, as the model's matrices ---------------------------


def _tensor(state: np.ndarray, n: int) -> np.ndarray:
    """``state`` as an n-axis tensor whose axis ``n-1-q`` is qubit ``q``."""
    return state.reshape((2,) * n) if n else state


def _big_endian(state: np.ndarray, n: int) -> np.ndarray:
    """A little-endian flat state as myQLM's big-endian flat one (and back: the map is an involution)."""
    if n <= 1:
        return state
    return np.ascontiguousarray(_tensor(state, n).transpose(tuple(reversed(range(n))))).reshape(-1)


def _probability_of_one(state: np.ndarray, n: int, q: int) -> float:
    sliced = np.take(_tensor(state, n), 1, axis=n - 1 - q)
    return float(np.vdot(sliced, sliced).real)


def _project(state: np.ndarray, n: int, q: int, outcome: int, probability: float, reset: bool) -> np.ndarray:
    """The state after reading ``outcome`` on qubit ``q`` (then set to |0> for a reset), normalised."""
    axis = n - 1 - q
    kept = np.take(_tensor(state, n), outcome, axis=axis) / math.sqrt(probability)
    out = np.zeros((2,) * n, dtype=complex)
    index: list[Any] = [slice(None)] * n
    index[axis] = 0 if reset else outcome
    out[tuple(index)] = kept
    return out.reshape(-1)


# -- the sampler ---------------------------------------------------------------------------------


@dataclass
class _Branch:
    state: np.ndarray | None  # None: |0...0>
    bits: list[int]
    shots: int
    pending: list[Instruction] = field(default_factory=list)


def sample(circuit: Circuit, evolve: Evolve, rng: np.random.Generator, shots: int, memory: bool,
           cancel: CancelToken | None = None) -> tuple[dict[str, int], list[str] | None]:
    """Counts (and memory) of ``shots`` runs of ``circuit``, the state vectors coming from ``evolve``."""
    n, width = circuit.num_qubits, circuit.num_clbits
    deferred = deferred_measurements(circuit)
    final: list[tuple[int, int]] = []
    branches = [_Branch(None, [0] * width, shots)]

    def flush(b: _Branch) -> np.ndarray:
        if b.state is None and not b.pending:
            b.state = np.zeros(2**n, dtype=complex)
            b.state[0] = 1.0
        elif b.pending:
            b.state = evolve(n, b.state, b.pending)
            b.pending = []
        assert b.state is not None
        return b.state

    for i, inst in enumerate(circuit.instructions):
        op = inst.operation
        if isinstance(op, Barrier):
            continue
        if deferred[i]:
            final.extend(zip(inst.qubits, inst.clbits))
            continue
        if cancel is not None and cancel.cancelled:
            raise JobCancelledError("the run was cancelled")
        cond = inst.condition
        if isinstance(op, (Gate, UnitaryGate)):
            plain = Instruction(op, inst.qubits)
            for b in branches:
                if cond is None or cond.holds(b.bits):
                    b.pending.append(plain)
            continue
        reset = isinstance(op, Reset)
        for k, q in enumerate(inst.qubits):
            grown: list[_Branch] = []
            for b in branches:
                if cond is not None and not cond.holds(b.bits):
                    grown.append(b)
                    continue
                state = flush(b)
                p1 = min(1.0, max(0.0, _probability_of_one(state, n, q)))
                ones = int(rng.binomial(b.shots, p1))
                for outcome, count, p in ((0, b.shots - ones, 1.0 - p1), (1, ones, p1)):
                    if count == 0:
                        continue
                    bits = list(b.bits)
                    if not reset:
                        bits[inst.clbits[k]] = outcome
                    grown.append(_Branch(_project(state, n, q, outcome, p, reset), bits, count))
            branches = grown
    codes_all: list[np.ndarray] = []
    for b in branches:
        if cancel is not None and cancel.cancelled:
            raise JobCancelledError("the run was cancelled")
        base = sum(bit << c for c, bit in enumerate(b.bits))
        if final:
            state = flush(b)
            probs = np.abs(state) ** 2
            probs /= probs.sum()
            indices = rng.choice(probs.size, size=b.shots, p=probs)
            codes_all.append(final_codes(circuit, indices, base, final))
        else:
            codes_all.append(np.full(b.shots, base, dtype=object if width > 62 else np.int64))
    codes = np.concatenate(codes_all) if codes_all else np.zeros(0, dtype=np.int64)
    values, counts = np.unique(codes, return_counts=True)
    fmt = f"0{width}b"
    result = {format(int(v), fmt): int(k) for v, k in zip(values, counts)}
    mem = None
    if memory:
        order = rng.permutation(codes.size)
        mem = [format(int(v), fmt) for v in codes[order]]
    return result, mem


# -- the simulators --------------------------------------------------------------------------------


def _evolve_pylinalg(num_qubits: int, state: np.ndarray | None, instructions: list[Instruction],
                     translate: Callable[[Circuit], Any]) -> np.ndarray:
    load_qat()
    from qat.pylinalg.simulator import simulate

    if num_qubits == 0:
        return np.ones(1, dtype=complex)
    circ = translate(gates_circuit(num_qubits, instructions))
    if state is not None:
        if num_qubits > PYLINALG_MAX_BRANCHING_QUBITS:
            raise QhpcError(f"myqlm.pylinalg continues a run after a mid-circuit measurement by preparing the "
                            f"state, one Python object per amplitude; {num_qubits} qubits is beyond its "
                            f"{PYLINALG_MAX_BRANCHING_QUBITS}-qubit limit for that (use myqlm.clinalg)")
        circ = _with_state_preparation(circ, _big_endian(state, num_qubits))
    vector, _ = simulate(circ)
    return _big_endian(np.asarray(vector, dtype=complex).reshape(-1), num_qubits)


def _with_state_preparation(circ: Any, big_endian_state: np.ndarray) -> Any:
    """``circ`` started from ``big_endian_state`` (PyLinalg's ``STATE_PREPARATION`` gate)."""
    from qat.comm.datamodel.ttypes import ComplexNumber, GateDefinition, GSyntax, Matrix, Op, Param
    from qat.core import Circuit as QCircuit

    n = circ.nbqbits
    column = Matrix(nRows=2**n, nCols=1,
                    data=[ComplexNumber(re=float(z.real), im=float(z.imag)) for z in big_endian_state])
    gate_dic = dict(circ.gateDic)
    name = "_state_preparation"
    gate_dic[name] = GateDefinition(name=name, arity=n,
                                    syntax=GSyntax(name="STATE_PREPARATION", parameters=[Param(type=3, matrix_p=column)]))
    return QCircuit(ops=[Op(gate=name, qbits=list(range(n)), type=0), *circ.ops], gateDic=gate_dic, nbqbits=n,
                    nbcbits=circ.nbcbits, _gate_set=circ._gate_set, _serialized_gate_set=circ._serialized_gate_set,
                    has_matrices=False, var_dic=circ.var_dic, qregs=circ.qregs)


def _evolve_clinalg(num_qubits: int, state: np.ndarray | None, instructions: list[Instruction],
                    translate: Callable[[Circuit], Any]) -> np.ndarray:
    load_qat()
    from qat.qpus import CLinalg

    if num_qubits == 0:
        return np.ones(1, dtype=complex)
    circ = translate(gates_circuit(num_qubits, instructions))
    job = circ.to_job(nbshots=0)
    if state is not None:
        job.psi_0 = _big_endian(state, num_qubits)
    # CLinalg's thread heuristic costs ~17 ms a run; OMP_NUM_THREADS (or all cores) is used instead
    result = CLinalg(readonly_statevector=True, use_nbthreads_heuristic=False).submit(job)
    vector = np.array(result.statevector, dtype=complex, copy=True)  # CLinalg's own memory, lsb first
    return vector.reshape(-1)


class MyQLMBackend(Backend):
    """A myQLM simulator as a qhpc backend (see the module docstring). Thread-safe."""

    preferred_compilers = ("decompose",)
    #: Copies of the state vector the simulator holds at once (for the memory limit).
    copies = 4
    #: Measured seconds: per run, per gate, per gate and amplitude (see estimate_seconds).
    seconds_per_run = 5e-3
    seconds_per_gate = 4e-5
    seconds_per_gate_amplitude = 6e-8
    simulator = ""

    def __init__(self) -> None:
        self._capabilities: BackendCapabilities | None = None
        self._lock = threading.Lock()
        self._cache: LRU[str, Any] = LRU(64)

    def _import(self) -> None:
        raise NotImplementedError

    def _evolve_with(self, num_qubits: int, state: np.ndarray | None, instructions: list[Instruction]) -> np.ndarray:
        raise NotImplementedError

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            self._import()  # fails here, with the reason, if this simulator is not installed
            memory = _memory_bytes()
            self._capabilities = BackendCapabilities(
                num_qubits=statevector_qubit_limit(memory // self.copies),
                native_gates=NATIVE_GATES,
                supports_unitary=True,
                description=self.description,
                limit_note=f"16 B per amplitude x 2^n, about {self.copies} copies at once, must fit in "
                           f"{memory / 2**30:.0f} GiB of memory",
            )
        return self._capabilities

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        """Seconds to run ``circuit``, from timings on the 2-core development machine.

        One simulation, plus sampling (numpy: ~20 ns per amplitude, ~0.2 us per shot); a circuit
        that branches on mid-circuit measurements is simulated once per branch, at most ``shots``.
        """
        gates = max(1, len(circuit.instructions))
        amplitudes = 2.0**circuit.num_qubits
        one = self.seconds_per_run + gates * (self.seconds_per_gate + self.seconds_per_gate_amplitude * amplitudes)
        sampling = 2e-8 * amplitudes + 2e-7 * shots
        if needs_branching(circuit):
            branches = min(shots, 2 ** min(60, sum(1 for i in circuit.instructions if i.name in ("measure", "reset"))))
            return branches * (one + sampling)
        return one + sampling

    def _translate(self, circuit: Circuit) -> Any:
        """The myQLM circuit of a gates-only model circuit, cached by content (resubmissions reuse it)."""
        from .translate import circuit_to_myqlm

        key = circuit.fingerprint()
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                return found
        circ = circuit_to_myqlm(circuit, absorb_global_phase=False)  # a phase changes no readout
        with self._lock:
            self._cache.put(key, circ, len(circuit.instructions))
        return circ

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken) -> RunOutput:
        if options:
            raise QhpcError(f"{self.name} takes no options (got {', '.join(sorted(options))})")
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0] & 0x7FFFFFFF)
        rng = np.random.default_rng(seed)
        counts, mem = sample(circuit, self._evolve_with, rng, shots, memory, cancel)
        meta = {"simulator": f"myQLM {self.simulator}", "seed": seed, "sampling": "numpy default_rng(seed)",
                "branched": needs_branching(circuit)}
        return RunOutput(counts=counts, memory=mem, metadata=meta)

    def probabilities(self, circuit: Circuit) -> dict[str, float]:
        """The exact readout distribution (keys as counts' keys) of a circuit measured only at the end.

        An optional extension of :class:`~qhpc.interfaces.Backend` that :class:`~qhpc_myqlm.qpu.QhpcQPU`
        uses for ``nbshots=0`` jobs.
        """
        return exact_probabilities(circuit, self._evolve_with)

    def statevector(self, circuit: Circuit) -> np.ndarray:
        """The final state of a circuit of gates only, little-endian (amplitude ``k`` is the basis state
        whose bit ``q`` is qubit ``q``), with the circuit's global phase: its amplitudes, not only
        their moduli.

        An optional extension of :class:`~qhpc.interfaces.Backend` that :class:`~qhpc_myqlm.qpu.QhpcQPU`
        uses for the amplitudes of ``nbshots=0`` jobs.
        """
        return final_state(circuit, self._evolve_with)


class PyLinalgBackend(MyQLMBackend):
    name = "myqlm.pylinalg"
    description = "myQLM PyLinalg: exact state-vector simulation in numpy (myQLM's reference simulator)"
    simulator = "PyLinalg"
    copies = 4
    # measured: ~40 us a gate on few qubits, ~60 ns per amplitude and gate at 16-20 qubits
    seconds_per_run, seconds_per_gate, seconds_per_gate_amplitude = 2e-3, 4e-5, 6e-8

    def _import(self) -> None:
        load_qat()

    def _evolve_with(self, num_qubits: int, state: np.ndarray | None, instructions: list[Instruction]) -> np.ndarray:
        return _evolve_pylinalg(num_qubits, state, instructions, self._translate)


class CLinalgBackend(MyQLMBackend):
    name = "myqlm.clinalg"
    description = "myQLM CLinalg: exact state-vector simulation in C++ (multi-threaded)"
    simulator = "CLinalg"
    copies = 3
    # measured: ~4 ms a run (job set-up), ~10 ns per amplitude and gate at 20 qubits
    seconds_per_run, seconds_per_gate, seconds_per_gate_amplitude = 4e-3, 1e-5, 1e-8

    def _import(self) -> None:
        load_qat()
        from qat.qpus import CLinalg  # noqa: F401

    def _evolve_with(self, num_qubits: int, state: np.ndarray | None, instructions: list[Instruction]) -> np.ndarray:
        return _evolve_clinalg(num_qubits, state, instructions, self._translate)


def myqlm_backends() -> list[Backend]:
    """The myQLM simulators this installation has (CLinalg only where its distribution is installed).

    Decided from distribution metadata, so listing backends does not import myQLM.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    backends: list[Backend] = [PyLinalgBackend()]
    try:
        distribution("myqlm-clinalg")
    except PackageNotFoundError:
        return backends
    backends.append(CLinalgBackend())
    return backends
