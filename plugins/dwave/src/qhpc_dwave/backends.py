"""Annealing backends on D-Wave's classical samplers (``dwave-samplers``) and dimod's exact solver.

================  ==============================================  ===========================================
backend           sampler                                         what a read is
================  ==============================================  ===========================================
``dwave.sa``      ``SimulatedAnnealingSampler``                   one Metropolis anneal (1000 sweeps)
``dwave.sqa``     ``PathIntegralAnnealingSampler``                one path-integral (simulated quantum) anneal
``dwave.tabu``    ``TabuSampler``                                 one tabu search from a random state
``dwave.steepest`` ``SteepestDescentSolver``                      one greedy descent from a random state
``dwave.exact``   ``dimod.ExactSolver``                           a ground state (all 2^n states enumerated)
================  ==============================================  ===========================================

``shots`` is the number of reads. Results are counts keyed by bitstrings over the problem's
variables (variable 0 rightmost), per-read memory in the sampler's order, and the sampler's own
energies (``metadata["energies"]``), which qhpc checks against the problem's. ``options`` are the
sampler's own parameters (``num_sweeps``, ``beta_range``, ``tenure``...); ``num_reads`` and
``seed`` come from ``shots`` and ``seed``.

**Seeds.** The samplers take seeds below 2**31 (the annealers refuse larger ones): such a seed is
passed as it is, a larger one is hashed into that range (``numpy.random.SeedSequence``); without
a seed one is drawn and reported as ``metadata["seed"]``. Tabu search stops on a clock by default (20 ms a read), so the same seed
need not give the same samples; ``dwave.tabu`` stops it on its update count instead
(``timeout=None``, ``num_restarts=0``), so seeds reproduce runs (``timeout=`` brings the clock back).

**The exact solver** is an ideal zero-temperature sampler: every read is a ground state, the reads
spread uniformly (seeded) over degenerate ground states. ``dimod.ExactSolver`` builds all 2^n
states in memory (about ``4n + 48`` bytes each) in a Python loop (about 5 us each here), so its
variable limit is what half of this machine's memory holds, and its estimate grows as ``2^n``.

**Estimates** (``estimate_seconds``) are fitted to runs measured on this machine
(``benchmarks/annealing.py --estimates`` prints estimate against measurement).
"""

from __future__ import annotations

import math
import os
import secrets
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from qhpc.errors import JobCancelledError, QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput
from qhpc_interop.bqm import BinaryQuadraticModel

#: Reads of any sampler are bounded like Aer's shots.
MAX_READS = 1_000_000
#: Problems the heuristic samplers take (their own arrays scale with n + m; this is a sanity bound).
MAX_VARIABLES = 1_000_000
#: Energies within this (relative to the problem's scale) of the lowest are ground states.
DEGENERACY_TOLERANCE = 1e-9
#: Bytes dimod.ExactSolver needs per state of n variables (samples, energies, the sample set's copies).
EXACT_BYTES_PER_STATE = (4, 48)


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 16 * 2**30


def exact_variable_limit(memory_bytes: int | None = None) -> int:
    """The largest n whose 2^n states ``dimod.ExactSolver`` can hold in half of ``memory_bytes``."""
    budget = (memory_bytes if memory_bytes is not None else _memory_bytes()) / 2
    per, base = EXACT_BYTES_PER_STATE
    n = 1
    while 2 ** (n + 1) * (per * (n + 1) + base) <= budget:
        n += 1
    return n


#: Seeds every sampler takes: dwave-samplers' simulated and path-integral annealers refuse 2**31 and
#: above (although their message says 2**32 - 1).
SAMPLER_SEEDS = 2**31


def sampler_seed(seed: int | None) -> tuple[int, bool]:
    """The sampler seed for a qhpc seed (and whether it was drawn here): below 2**31 as it is,
    larger ones hashed into that range."""
    if seed is None:
        return secrets.randbelow(SAMPLER_SEEDS), True
    if seed < SAMPLER_SEEDS:
        return int(seed), False
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint32)[0]) % SAMPLER_SEEDS, False


def bitstrings(samples: np.ndarray, high: int) -> list[str]:
    """Rows of values (columns in variable order) as bitstrings, variable 0 rightmost."""
    bits = (samples[:, ::-1] == high).astype(np.uint8) + ord("0")
    return [row.tobytes().decode("ascii") for row in bits]


def output_from_sampleset(sampleset: Any, model: BinaryQuadraticModel, metadata: dict[str, Any]) -> RunOutput:
    """Counts, memory (read order) and the sampler's energies of a dimod ``SampleSet``."""
    labels = list(model.variables)
    columns = [sampleset.variables.index(v) for v in labels]
    record = sampleset.record
    keys = bitstrings(np.asarray(record.sample)[:, columns], model.vartype.values[1])
    occurrences = np.asarray(record.num_occurrences).tolist()
    energies = np.asarray(record.energy, dtype=float).tolist()
    counts: dict[str, int] = {}
    memory: list[str] = []
    reported: dict[str, float] = {}
    for key, count, energy in zip(keys, occurrences, energies):
        counts[key] = counts.get(key, 0) + int(count)
        memory.extend([key] * int(count))
        reported[key] = energy
    return RunOutput(counts=counts, memory=memory, metadata={**metadata, "energies": reported})


class _SamplerBackend(Backend):
    """A backend on one dimod sampler (one instance per backend, created on first use)."""

    sampler_class: ClassVar[str]
    #: parameters qhpc sets itself
    reserved: ClassVar[frozenset[str]] = frozenset({"num_reads", "seed"})
    #: seconds = fixed + per_unit * units(problem, reads), fitted on this machine
    fixed_seconds: ClassVar[float]
    unit_seconds: ClassVar[float]
    #: whether the sampler takes ``interrupt_function`` (checked between reads)
    interruptible: ClassVar[bool] = False
    limit_note: ClassVar[str] = "no fixed limit; time grows with variables, interactions and reads"
    #: whether ``backend="auto"`` may pick it (not a local search that stops in the first minimum)
    auto_choice: ClassVar[bool] = True

    def __init__(self) -> None:
        self._sampler: Any = None
        self._lock = threading.Lock()

    @property
    def sampler(self) -> Any:
        with self._lock:
            if self._sampler is None:
                import dwave.samplers as samplers

                self._sampler = getattr(samplers, self.sampler_class)()
            return self._sampler

    @property
    def capabilities(self) -> BackendCapabilities:
        return BackendCapabilities(
            num_qubits=self.max_variables(), paradigm="annealing", native_gates=frozenset(), supports_unitary=False,
            max_shots=MAX_READS, supports_memory=True, supports_mid_circuit_measurement=False,
            supports_conditionals=False, supports_reset=False, kind="emulator", location="local", device="CPU",
            description=self.description, limit_note=self.limit_note, auto_choice=self.auto_choice)

    def max_variables(self) -> int:
        return MAX_VARIABLES

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        """The work of a run in the unit ``unit_seconds`` is fitted to."""
        return float(reads) * (model.num_variables + 2 * model.num_interactions)

    def estimate_seconds(self, circuit: Any, shots: int) -> float:
        return self.fixed_seconds + self.unit_seconds * self.units(circuit, shots, {})

    def sampler_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        allowed = set(self.sampler.parameters) - self.reserved
        unknown = sorted(set(options) - allowed)
        if unknown:
            reserved = sorted(set(unknown) & self.reserved)
            if reserved:
                raise QhpcError(f"{self.name}: {', '.join(reserved)} come from shots and seed, not options")
            raise QhpcError(f"{self.name} does not take option(s) {', '.join(unknown)} "
                            f"(its sampler's parameters: {', '.join(sorted(allowed))})")
        return dict(options)

    def run(self, circuit: Any, *, shots: int, seed: int | None, memory: bool, options: Mapping[str, Any],
            cancel: CancelToken) -> RunOutput:
        from .translate import to_dimod

        model: BinaryQuadraticModel = circuit
        kwargs = self.sampler_options(options)
        chosen, drawn = sampler_seed(seed)
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled before it started")
        if self.interruptible:
            kwargs.setdefault("interrupt_function", lambda: cancel.cancelled)
        sampleset = self.sampler.sample(to_dimod(model), num_reads=shots, seed=chosen,
                                        **self.defaults(kwargs))
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled")
        metadata: dict[str, Any] = {"sampler": self.sampler_class, "sampler_seed": chosen}
        if drawn:
            metadata["seed"] = chosen
        timing = sampleset.info.get("timing") if isinstance(sampleset.info, dict) else None
        if isinstance(timing, dict):
            metadata["sampler_timing"] = {k: float(v) for k, v in timing.items() if isinstance(v, (int, float))}
        out = output_from_sampleset(sampleset, model, metadata)
        if not memory:
            out.memory = None
        return out

    def defaults(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return kwargs


class SimulatedAnnealingBackend(_SamplerBackend):
    name = "dwave.sa"
    description = "simulated annealing (dwave-samplers SimulatedAnnealingSampler), one anneal per read"
    sampler_class = "SimulatedAnnealingSampler"
    interruptible = True
    fixed_seconds = 2.0e-3
    unit_seconds = 1.5e-8  # per read, sweep and (variable + 2 interactions): 2.3 s for 200 reads of n=200, m=300

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        sweeps = float(options.get("num_sweeps", 1000))
        return reads * sweeps * (model.num_variables + 2 * model.num_interactions)


class PathIntegralBackend(_SamplerBackend):
    name = "dwave.sqa"
    description = ("path-integral (simulated quantum) annealing (dwave-samplers PathIntegralAnnealingSampler), "
                   "one anneal per read")
    sampler_class = "PathIntegralAnnealingSampler"
    interruptible = True
    # it emulates an annealer's quantum dynamics on its default (short) schedule rather than
    # searching hard for the optimum: a 60-spin chain ends above its ground state where SA and
    # tabu reach it, so it runs when named
    auto_choice = False
    fixed_seconds = 2.0e-3
    unit_seconds = 1.3e-8

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        sweeps = float(options.get("num_sweeps", 1000))
        return reads * sweeps * (model.num_variables + 2 * model.num_interactions)


class TabuBackend(_SamplerBackend):
    name = "dwave.tabu"
    description = "multistart tabu search (dwave-samplers TabuSampler), stopped on its update count so seeds reproduce"
    sampler_class = "TabuSampler"
    fixed_seconds = 2.0e-3
    unit_seconds = 3.5e-8  # per variable update: 25-50 ms a read below 500 variables

    def defaults(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = {"timeout": None, "num_restarts": 0}
        out.update(kwargs)
        return out

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        n = model.num_variables
        return float(reads * max(500_000, (10_000 if n <= 500 else 25_000) * n))  # the sampler's update bound


class SteepestDescentBackend(_SamplerBackend):
    name = "dwave.steepest"
    description = "steepest greedy descent from random states (dwave-samplers SteepestDescentSolver)"
    sampler_class = "SteepestDescentSolver"
    auto_choice = False  # fast, but each read stops in the first local minimum: run when named
    fixed_seconds = 1.0e-3
    unit_seconds = 2.2e-8

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        n = model.num_variables  # a descent takes about log n rounds of single flips over the model
        return reads * (n + 2 * model.num_interactions) * math.log2(n + 1)


class ExactBackend(_SamplerBackend):
    name = "dwave.exact"
    description = "dimod's ExactSolver: every read is a ground state, found by enumerating all 2^n states"
    sampler_class = "ExactSolver"
    fixed_seconds = 1.0e-3
    unit_seconds = 5.0e-6  # per state: 6 s for n=20 here

    @property
    def sampler(self) -> Any:
        import dimod

        return dimod.ExactSolver()

    @property
    def limit_note(self) -> str:  # type: ignore[override]
        return (f"all 2^n states in memory (~(4n + 48) B each, half of this machine's "
                f"{_memory_bytes() / 2**30:.0f} GiB); ~5 us per state")

    def max_variables(self) -> int:
        return exact_variable_limit()

    def units(self, model: BinaryQuadraticModel, reads: int, options: Mapping[str, Any]) -> float:
        return 2.0**model.num_variables

    def sampler_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        if options:
            raise QhpcError(f"{self.name} takes no options (got {', '.join(sorted(options))})")
        return {}

    def run(self, circuit: Any, *, shots: int, seed: int | None, memory: bool, options: Mapping[str, Any],
            cancel: CancelToken) -> RunOutput:
        from .translate import to_dimod

        model: BinaryQuadraticModel = circuit
        self.sampler_options(options)
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled before it started")
        sampleset = self.sampler.sample(to_dimod(model))
        if cancel.cancelled:
            raise JobCancelledError(f"{self.name}: cancelled")
        energies = np.asarray(sampleset.record.energy, dtype=float)
        lowest = float(energies.min())
        tolerance = DEGENERACY_TOLERANCE * (1.0 + abs(lowest) + model.scale())
        ground = np.flatnonzero(energies <= lowest + tolerance)
        labels = list(model.variables)
        columns = [sampleset.variables.index(v) for v in labels]
        keys = bitstrings(np.asarray(sampleset.record.sample)[ground][:, columns], model.vartype.values[1])
        order = sorted(range(len(keys)), key=keys.__getitem__)  # a fixed order, whatever the solver's
        rng_seed = seed if seed is not None else secrets.randbits(63)
        rng = np.random.default_rng(rng_seed)
        spread = rng.multinomial(shots, [1.0 / len(order)] * len(order))
        counts = {keys[k]: int(c) for k, c in zip(order, spread) if c}
        metadata: dict[str, Any] = {
            "sampler": "ExactSolver", "ground_energy": lowest, "degeneracy": len(keys), "states": len(energies),
            "energies": {keys[k]: float(energies[ground[k]]) for k in order if keys[k] in counts},
        }
        if seed is None:
            metadata["seed"] = rng_seed
        reads: list[str] | None = None
        if memory:
            reads = [key for key, c in counts.items() for _ in range(c)]
            reads = [reads[i] for i in rng.permutation(len(reads))]
        return RunOutput(counts=counts, memory=reads, metadata=metadata)


def annealing_backends() -> list[Backend]:
    return [SimulatedAnnealingBackend(), PathIntegralBackend(), TabuBackend(), SteepestDescentBackend(),
            ExactBackend()]
