"""Emulator backends on Perceval's strong simulators: ``perceval.slos`` and ``perceval.naive``.

==================  ===============================================================================
backend             simulator
==================  ===============================================================================
perceval.slos       ``SLOS`` (exqalibur, C++): every output probability of the input at once
perceval.naive      ``Naive`` (Perceval's reference): one permanent per output state; only the
                    states the heralds and post-selection accept are computed
==================  ===============================================================================

**Limits.** 256 modes (exqalibur's Fock states hold at most 256 modes). Photons: the ``C(m+n-1, n)``
output states of ``n`` photons in ``m`` modes must fit in memory at :data:`BYTES_PER_STATE` bytes
each plus one byte per mode (Perceval's probabilities as a Python list, SLOS's amplitudes, the
occupation table qhpc filters with); :meth:`PercevalBackend.cannot_run` refuses larger programs
before they run.

**Sampling and seeds.** The exact output distribution is computed, restricted to the outcomes the
program accepts (heralds and post-selection) and normalised; the shots are drawn from it with
numpy's ``default_rng(seed)`` (PCG64), so a seed reproduces a run exactly and Perceval's global
random state is never touched. Perceval's own samplers draw from Python's global ``random`` (and
exqalibur's ``set_seed``), which a seed per run cannot isolate between threads. The metadata holds
the ``success_probability`` (the probability that an event is accepted; Perceval's
``global_perf``) and ``discarded_events``: how many rejected events a device would have seen for
these shots (drawn from the negative binomial distribution with the same generator).

**Noise.** ``run(..., noise=model)`` applies the ``photonic`` section of a :class:`qhpc.noise.NoiseModel`
with Perceval's ``NoiseModel`` (brightness, indistinguishability, g2 with distinguishable extra
photons - Perceval's default -, transmittance, phase imprecision, phase error; the random phase
errors are drawn with the run's seed). Every other section (gate noise, readout, relaxation...)
concerns qubits, not modes: a model that has any is refused, never partly applied. Noisy runs use
Perceval's ``SimulatedComputer.probs`` (the source's mixture of input states), noiseless runs the
backend directly. The mixture's terms are kept down to a relative probability of ``min(1e-6,
1/shots)`` of the largest, the precision Perceval itself uses for that many shots (a term rarer
than one shot in the run cannot change its counts; at 1e-12 an 8-mode, 4-photon run with
``g2 = 0.02`` takes 60 times longer); ``options={"precision": p}`` sets it for one run.

Perceval is imported by the first run (about 1 s), not by reading the capabilities. Runs hold a
lock: Perceval is not documented as thread-safe.
"""

from __future__ import annotations

import math
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, ClassVar

import numpy as np
from qhpc.errors import JobCancelledError, JobFailedError, QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput
from qhpc_interop.photonic import PhotonicProgram

#: exqalibur's Fock states hold at most this many modes.
MAX_MODES = 256
#: Peak bytes per output state besides one byte per mode (measured: see the module docstring).
BYTES_PER_STATE = 72
MAX_SHOTS = 10_000_000
#: Largest table of every output state (one byte per mode each) kept to write the sampled states'
#: keys by indexing; beyond it each sampled state is computed from its index (:func:`fock_states_at`).
TABLE_BYTES = 256 * 2**20
#: Relative probability below which a noisy source's input terms are left out when no shot count
#: says otherwise (Perceval's default precision; a run uses ``min(NOISE_PRECISION, 1 / shots)``).
NOISE_PRECISION = 1e-6
_METHODS = {
    "slos": ("SLOS", "Perceval's SLOS strong simulation (exqalibur, C++): every output probability at once; "
                     "shots drawn from the exact distribution with numpy's seeded generator"),
    "naive": ("Naive", "Perceval's Naive backend: one permanent per output state, computed only for the "
                       "outcomes the heralds and post-selection accept"),
}
_LOCK = threading.Lock()
_STATES: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
_STATES_LOCK = threading.Lock()


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


def num_states(modes: int, photons: int) -> int:
    """How many Fock states ``photons`` photons have in ``modes`` modes: ``C(m+n-1, n)``."""
    return math.comb(modes + photons - 1, photons)


def fock_states(modes: int, photons: int) -> np.ndarray:
    """Every Fock state of ``photons`` photons in ``modes`` modes, one row each, in descending
    lexicographic order (``|n,0..0>`` first): the order of Perceval's ``allstate_iterator``, in
    which its strong simulators list probabilities. Cached for the last few sizes (read-only)."""
    key = (modes, photons)
    with _STATES_LOCK:
        hit = _STATES.get(key)
        if hit is not None:
            _STATES.move_to_end(key)
            return hit
    dtype = np.uint8 if photons < 256 else np.uint16
    # table[k]: the states of k photons in the last j modes, built up one mode at a time
    table = [np.full((1, 1), k, dtype=dtype) for k in range(photons + 1)]
    for j in range(2, modes + 1):
        grown = []
        for k in range(photons + 1):
            out = np.empty((num_states(j, k), j), dtype=dtype)
            row = 0
            for first in range(k, -1, -1):
                rest = table[k - first]
                out[row:row + len(rest), 0] = first
                out[row:row + len(rest), 1:] = rest
                row += len(rest)
            grown.append(out)
        table = grown
    states = table[photons]
    states.flags.writeable = False
    with _STATES_LOCK:
        _STATES[key] = states
        while len(_STATES) > 4:
            _STATES.popitem(last=False)
    return states


def fock_states_at(indices: np.ndarray, modes: int, photons: int) -> np.ndarray:
    """Rows ``indices`` of :func:`fock_states` without building the whole table (the combinatorial
    number system of that order: ``O(len(indices) x modes x photons)``)."""
    index = np.array(indices, dtype=np.int64)
    out = np.zeros((len(index), modes), dtype=np.int64)
    left = np.full(len(index), photons, dtype=np.int64)
    for position in range(modes - 1):
        rest = modes - position - 1  # modes after this one
        chosen = np.full(len(index), -1, dtype=np.int64)
        for value in range(photons, -1, -1):
            # states whose remaining modes hold left - value photons
            block = np.array([num_states(rest, n - value) if n >= value else 0 for n in range(photons + 1)],
                             dtype=np.int64)[left]
            active = (chosen < 0) & (left >= value)
            take = active & (index < block)
            chosen[take] = value
            skip = active & ~take
            index[skip] -= block[skip]
        out[:, position] = chosen
        left -= chosen
    out[:, modes - 1] = left
    return out


def fock_keys(table: np.ndarray) -> list[str]:
    """``"|1,0,1>"`` for each row of an ``(outcomes, modes)`` table of photon counts
    (:func:`qhpc_interop.photonic.fock_key` for a whole table: with fewer than 10 photons per mode,
    every key is written at once from the table's bytes, a hundred times faster than row by row)."""
    rows = np.asarray(table)
    if rows.ndim != 2 or rows.shape[0] == 0:
        return []
    modes = rows.shape[1]
    if modes == 0 or int(rows.max()) > 9 or int(rows.min()) < 0:
        return ["|" + ",".join(map(str, row)) + ">" for row in rows.tolist()]
    width = 2 * modes + 1
    text = np.full((rows.shape[0], width), ord(","), dtype=np.uint8)
    text[:, 0], text[:, -1] = ord("|"), ord(">")
    text[:, 1:-1:2] = rows + ord("0")
    joined = text.tobytes().decode("ascii")
    return [joined[i:i + width] for i in range(0, len(joined), width)]


def perceval_noise(model: Any, backend: str) -> tuple[Any, dict[str, float]]:
    """Perceval's ``NoiseModel`` for the photonic section of a qhpc noise model, and that section;
    raises naming every part that concerns qubits instead of modes."""
    from qhpc.noise import NoiseModel, NoiseModelError

    if not isinstance(model, NoiseModel):
        raise NoiseModelError(f"{backend} takes a qhpc NoiseModel, not {type(model).__name__}")
    foreign = [name for name in ("gate_noise", "durations", "relaxation", "zz", "readout", "correlated_readout",
                                 "preparation", "analog") if getattr(model, name)]
    if foreign:
        raise NoiseModelError(f"{backend} applies only the photonic section of a noise model (brightness, "
                              f"indistinguishability, g2, transmittance, phase_imprecision, phase_error); this one "
                              f"also has {', '.join(foreign)}, which concern qubits, not modes")
    photonic = {key: float(value) for key, value in sorted(model.photonic.items())}
    if photonic.get("phase_error", 0.0) > math.pi:
        raise NoiseModelError(f"{backend}: photonic phase_error={photonic['phase_error']!r} exceeds pi, the largest "
                              "random phase error Perceval draws")
    if not photonic:
        return None, {}
    import perceval as pcvl

    return pcvl.NoiseModel(**photonic), photonic


@dataclass
class Distribution:
    """The accepted outcomes of a program: their probabilities (normalised over the accepted
    outcomes), the probability that an event is accepted, and their Fock states on demand
    (:meth:`keys`: building every key of a large distribution would cost more than simulating it)."""

    probabilities: np.ndarray
    success_probability: float
    key_of: Callable[[np.ndarray], list[str]]
    metadata: dict[str, Any] = field(default_factory=dict)

    def keys(self, indices: Any = None) -> list[str]:
        """The Fock states (``"|1,0,1>"``) of the outcomes ``indices`` (default: all)."""
        chosen = np.arange(len(self.probabilities)) if indices is None else np.asarray(indices, dtype=np.int64)
        return self.key_of(chosen)

    def as_dict(self) -> dict[str, float]:
        return {k: float(p) for k, p in zip(self.keys(), self.probabilities)}


class PercevalBackend(Backend):
    """One of Perceval's strong simulators (``slos`` or ``naive``). Thread-safe (runs hold a lock)."""

    preferred_compilers = ()

    def __init__(self, method: str) -> None:
        if method not in _METHODS:
            raise ValueError(f"unknown Perceval simulator {method!r}; one of {', '.join(_METHODS)}")
        self.method = method
        self.name = f"perceval.{method}"
        self.description = _METHODS[method][1]
        self._capabilities: BackendCapabilities | None = None

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            memory = _memory_bytes()
            self._capabilities = BackendCapabilities(
                num_qubits=MAX_MODES,
                paradigm="photonic",
                native_gates=None,
                supports_noise=True,
                max_shots=MAX_SHOTS,
                supports_memory=True,
                supports_mid_circuit_measurement=False,
                supports_conditionals=False,
                supports_reset=False,
                description=self.description,
                limit_note=(f"modes: exqalibur's Fock-state limit; photons: the C(m+n-1, n) output states must fit "
                            f"in {memory / 2**30:.0f} GiB at {BYTES_PER_STATE} B + 1 B per mode each"),
            )
        return self._capabilities

    def cannot_run(self, circuit: Any) -> list[str]:
        if not isinstance(circuit, PhotonicProgram):
            return [f"{self.name} runs photonic programs, not {type(circuit).__name__}"]
        states = num_states(circuit.modes, circuit.num_photons)
        need = states * (BYTES_PER_STATE + circuit.modes)
        memory = _memory_bytes()
        if memory and need > memory // 2:
            return [f"{circuit.num_photons} photons in {circuit.modes} modes have {states:,} output states, "
                    f"{need / 2**30:.1f} GiB to simulate, more than half of this machine's {memory / 2**30:.0f} GiB"]
        return []

    def noise_reasons(self, program: Any, noise: Any) -> list[str]:
        from qhpc.noise import NoiseModelError

        try:
            perceval_noise(noise, self.name)
        except NoiseModelError as exc:
            return [str(exc)]
        return []

    # -- cost --------------------------------------------------------------------------------
    #: Run-time model fitted to measured runs on the 2-core development VM (random interferometers,
    #: 4-24 modes, 2-8 photons, 1000 shots): a fixed start-up, seconds per output state (per state
    #: and photon for the Naive permanents), per component and mode (composing the unitary), per shot.
    _BASE: ClassVar[float] = 2e-3
    _PER_STATE: ClassVar[dict[str, float]] = {"slos": 1.6e-6, "naive": 60e-6}
    _PER_STATE_PHOTON: ClassVar[dict[str, float]] = {"slos": 0.0, "naive": 30e-6}
    _PER_COMPONENT_MODE: ClassVar[float] = 2e-6
    _PER_SHOT: ClassVar[float] = 0.15e-6

    def estimate_seconds(self, circuit: Any, shots: int) -> float:
        """Seconds to run a photonic program (see the fitted model above). A gate circuit is not run
        here unless named (it would go through the dual-rail compiler): ``auto`` never prefers a
        photonic emulator for a gate circuit, so its estimate is infinite."""
        if not isinstance(circuit, PhotonicProgram):
            return math.inf
        states = num_states(circuit.modes, circuit.num_photons)
        per_state = self._PER_STATE[self.method] + self._PER_STATE_PHOTON[self.method] * circuit.num_photons
        return (self._BASE + states * per_state + len(circuit.components) * circuit.modes * self._PER_COMPONENT_MODE
                + shots * self._PER_SHOT)

    # -- the exact distribution ---------------------------------------------------------------
    def distribution(self, program: PhotonicProgram, noise: Any = None, *, seed: int | None = None,
                     precision: float = NOISE_PRECISION) -> Distribution:
        """The accepted outcomes of ``program`` and their probabilities (see :class:`Distribution`),
        under ``noise`` (a qhpc :class:`~qhpc.noise.NoiseModel`) if given; ``seed`` draws its random
        phase errors, ``precision`` is the relative probability below which the noisy source's input
        terms are left out."""
        why = self.cannot_run(program)
        if why:
            raise QhpcError(f"{self.name} cannot run {program.modes}-mode program: {why[0]}")
        pcvl_noise, applied = perceval_noise(noise, self.name) if noise is not None else (None, {})
        with _LOCK:
            if pcvl_noise is None:
                out = self._noiseless(program)
            else:
                out = self._noisy(program, pcvl_noise, seed, precision)
        if noise is not None:
            out.metadata["photonic_noise"] = applied
        return out

    def _noiseless(self, program: PhotonicProgram) -> Distribution:
        import perceval as pcvl

        from .translate import to_perceval_circuit

        modes, photons = program.modes, program.num_photons
        state = pcvl.BasicState(list(program.input_state))
        simulator = pcvl.BACKEND_LIST[_METHODS[self.method][0]]()
        simulator.set_circuit(to_perceval_circuit(program))
        simulator.set_input_state(state)
        first = min(64, num_states(modes, photons))
        listed = [tuple(s) for s in islice(pcvl.allstate_iterator(state), first)]
        if listed != [tuple(int(v) for v in row) for row in fock_states_at(np.arange(first), modes, photons)]:
            raise JobFailedError(f"{self.name}: Perceval lists its output states in an order qhpc does not know; "
                                 "its results cannot be read safely")
        if program.is_selective:
            table = fock_states(modes, photons)
            accepted = np.flatnonzero(program.accept_mask(table))

            def keys(indices: np.ndarray) -> list[str]:
                return fock_keys(table[accepted[np.asarray(indices, dtype=np.int64)]])

            if self.method == "slos":
                kept = self._all_probabilities(simulator, len(table))[accepted]
            else:  # one permanent per accepted state
                kept = np.array([simulator.probability(pcvl.BasicState([int(v) for v in table[i]]))
                                 for i in accepted], dtype=float)
        elif num_states(modes, photons) * modes <= TABLE_BYTES:  # the whole table: cached, indexed at once
            whole = fock_states(modes, photons)

            def keys(indices: np.ndarray) -> list[str]:
                return fock_keys(whole[np.asarray(indices, dtype=np.int64)])

            kept = self._all_probabilities(simulator, len(whole))
        else:
            def keys(indices: np.ndarray) -> list[str]:
                return fock_keys(fock_states_at(indices, modes, photons))

            kept = self._all_probabilities(simulator, num_states(modes, photons))
        success = float(kept.sum())
        return Distribution(kept / success if success > 0 else kept, success, keys)

    def _all_probabilities(self, simulator: Any, expected: int) -> np.ndarray:
        probabilities = np.asarray(simulator.all_prob(), dtype=float)
        if probabilities.shape != (expected,):
            raise JobFailedError(f"{self.name}: Perceval returned {probabilities.size} probabilities for "
                                 f"{expected} output states")
        return probabilities

    def _noisy(self, program: PhotonicProgram, noise: Any, seed: int | None, precision: float) -> Distribution:
        import perceval as pcvl
        from perceval.runtime.simulated_computer import SimulatedComputer

        from .translate import postselect_to_perceval, to_perceval_circuit

        experiment = pcvl.Experiment(to_perceval_circuit(program))
        experiment.with_input(pcvl.BasicState(list(program.input_state)))
        selection = postselect_to_perceval(program, heralds=True)  # heralds as conditions: every mode is kept
        if selection is not None:
            experiment.set_postselection(selection)
        experiment.min_detected_photons_filter(0)
        computer = SimulatedComputer(pcvl.BACKEND_LIST[_METHODS[self.method][0]]())
        computer.noise = noise
        result = computer.probs(experiment, precision=precision,
                                compilation_seed=seed if seed is not None else secrets.randbits(63))
        items = list(result["results"].items())
        names = [str(state) for state, _ in items]
        probabilities = np.array([float(p) for _, p in items], dtype=float)
        success = float(result.get("global_perf", 1.0)) if items else 0.0
        total = probabilities.sum()
        return Distribution(probabilities / total if total > 0 else probabilities, success,
                            lambda indices: [names[i] for i in indices])

    # -- running -----------------------------------------------------------------------------
    def run(self, circuit: Any, *, shots: int, seed: int | None, memory: bool, options: Mapping[str, Any],
            cancel: CancelToken, noise: Any = None) -> RunOutput:
        unknown = sorted(set(options) - {"precision"})
        if unknown:
            raise QhpcError(f"{self.name} takes only the option precision (got {', '.join(unknown)})")
        precision = options.get("precision", min(NOISE_PRECISION, 1 / shots))
        if isinstance(precision, bool) or not isinstance(precision, (int, float)) or not 0 < precision < 1:
            raise QhpcError(f"{self.name}: precision must be a number in (0, 1), not {precision!r}")
        if not isinstance(circuit, PhotonicProgram):
            raise QhpcError(f"{self.name} runs photonic programs, not {type(circuit).__name__}")
        if seed is None:
            seed = secrets.randbits(63)
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled before it started")
        dist = self.distribution(circuit, noise, seed=seed, precision=float(precision))
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled")
        if dist.success_probability <= 0 or not len(dist.probabilities):
            raise JobFailedError(f"no outcome of this program passes its heralds and post-selection "
                                 f"({circuit.postselect_text()}): the success probability is 0")
        rng = np.random.default_rng(seed)
        drawn = rng.choice(len(dist.probabilities), size=shots, p=dist.probabilities)
        tally = np.bincount(drawn, minlength=len(dist.probabilities))
        seen = np.flatnonzero(tally)
        names = dist.keys(seen)
        counts = dict(zip(names, tally[seen].tolist()))
        events = None
        if memory:
            name_of = dict(zip(seen.tolist(), names))
            events = [name_of[i] for i in drawn.tolist()]
        success = min(1.0, dist.success_probability)
        discarded = int(rng.negative_binomial(shots, success)) if success < 1.0 else 0
        metadata = {"seed": seed, "simulator": _METHODS[self.method][0], "success_probability": success,
                    "discarded_events": discarded, "sampler": "numpy default_rng (PCG64) over the exact distribution",
                    **dist.metadata}
        return RunOutput(counts=counts, memory=events, metadata=metadata)
