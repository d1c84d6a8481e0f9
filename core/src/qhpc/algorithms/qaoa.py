"""QAOA: annealing problems (binary quadratic models) on gate backends.

**The compiler** (``qaoa``, ``source_kind="annealing"``, ``target_kind="gate"``) turns a model
into the QAOA circuit of depth ``p``::

    |psi(gamma, beta)> = prod_{k=1..p} [ exp(-i beta_k B) exp(-i gamma_k H / s) ] H^n |0>

with one qubit per variable (qubit ``i`` is variable ``i``, measured into clbit ``i``), the mixer
``B = sum_i X_i`` (``rx(2 beta_k)`` on every qubit), and the cost ``H`` the problem's energy as a
diagonal operator: with the Ising form ``E = c + sum_i h_i s_i + sum_{i<j} J_ij s_i s_j`` and the
readout convention of :mod:`qhpc.kinds.annealing` (bit 1 is ``s = +1``, so ``s_i = -Z_i``), each
cost layer is exactly ``rz(-2 gamma h_i / s)`` on every variable, ``rzz(2 gamma J_ij / s)`` on every
interaction, and the global phase ``-gamma c / s``. ``s`` is the largest ``|h_i|``, ``|J_ij|``, so
angles mean the same on problems of any scale. Angles are model :class:`~qhpc_interop.Parameter`
objects ``gamma_0 .. gamma_{p-1}``, ``beta_0 ..`` (option ``symbolic=True``) or numbers
(``gammas=``, ``betas=``); with neither, the compiler uses a linear ramp (a Trotterised
annealing schedule, ``gamma_k = t_k * 0.75``, ``beta_k = -(1 - t_k) * 0.75``, ``t_k = (k + 1/2) / p``)
at depth 3, so a problem sent straight to a gate backend (``qhpc.run(bqm, backend="aer.statevector")``)
samples a state biased toward low energies. Its :meth:`QAOACompiler.decode` turns the measured
bitstrings back into samples of the problem's variables (variable 0 rightmost, as the clbits) and
their energies, lowest first.

**The loop** (:func:`run`) optimises the angles with scipy (L-BFGS-B on exact objectives,
COBYLA on shot estimates; seeded restarts from the ramp and from random points) and samples the
best ones on the backend. It builds the symbolic
circuit once and submits it with ``parameters=``: the integrator compiles it for the backend once
and every later evaluation reuses the compiled circuit from its cache. The objective is the mean
energy; it is **exact** (the ideal QAOA state computed by qhpc, ``O(p n 2^n)``) when the backend is
a noiseless emulator, whose samples follow exactly that state, and problems have at most
:data:`EXACT_MAX_VARIABLES` variables; otherwise it is **estimated from shots** on the backend.
The best sample is the lowest-energy one seen (in the final sampling, or, with shots, in any
evaluation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc_interop import Circuit, Parameter
from qhpc_interop.bqm import BinaryQuadraticModel

from ..compile import DecomposeCompiler, needs_compilation
from ..errors import CompileError, QhpcError
from ..interfaces import BackendCapabilities, BackendKind, Compiler, RunOutput

#: Depth and ramp step of the circuit the compiler builds when no angles are given.
DEFAULT_DEPTH = 3
RAMP_STEP = 0.75
#: Largest problem whose expectation values the loop computes exactly (2^n amplitudes).
EXACT_MAX_VARIABLES = 20


def ramp(depth: int, step: float = RAMP_STEP) -> tuple[list[float], list[float]]:
    """The linear-ramp angles of depth ``depth``: ``(gammas, betas)``. They Trotterise the anneal
    from ``-B`` (whose ground state is the start ``|+...+>``) to ``H``: ``exp(-i beta_k B)`` with
    ``beta_k = -(1 - t_k) * step`` is a step under ``-B``, so ``beta`` is negative for a minimum."""
    ts = [(k + 0.5) / depth for k in range(depth)]
    return [t * step for t in ts], [-(1.0 - t) * step for t in ts]


def _ising(model: BinaryQuadraticModel) -> tuple[np.ndarray, list[tuple[int, int, float]], float, float]:
    """``h`` (per variable), ``J`` terms (i, j, bias), the constant ``c``, and the scale ``s``."""
    spin = model.spin()
    linear, qi, qj, qb = spin.terms()
    scale = spin.scale() or 1.0
    return np.array(linear), [(int(i), int(j), float(b)) for i, j, b in zip(qi, qj, qb)], spin.offset, scale


def qaoa_circuit(model: BinaryQuadraticModel, depth: int, gammas: Sequence[Any] | None = None,
                 betas: Sequence[Any] | None = None) -> Circuit:
    """The QAOA circuit (see the module docstring); symbolic angles when ``gammas``/``betas`` are ``None``."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise QhpcError(f"the QAOA depth must be a whole number of at least 1, not {depth!r}")
    g: list[Any] = list(gammas) if gammas is not None else [Parameter(f"gamma_{k}") for k in range(depth)]
    b: list[Any] = list(betas) if betas is not None else [Parameter(f"beta_{k}") for k in range(depth)]
    if len(g) != depth or len(b) != depth:
        raise QhpcError(f"give {depth} gammas and {depth} betas for depth {depth} (got {len(g)} and {len(b)})")
    n = model.num_variables
    h, J, c, s = _ising(model)
    circuit = Circuit(n, n, name=f"qaoa_p{depth}" + (f"_{model.name}" if model.name else ""))
    for q in range(n):
        circuit.h(q)
    phase: Any = 0.0
    for k in range(depth):
        for q in range(n):
            if h[q] != 0.0:
                circuit.rz((-2.0 * float(h[q]) / s) * g[k], q)
        for i, j, bias in J:
            if bias != 0.0:
                circuit.gate("rzz", [i, j], [(2.0 * bias / s) * g[k]])
        if c != 0.0:
            phase = phase + (-c / s) * g[k]
        for q in range(n):
            circuit.rx(2.0 * b[k], q)
    circuit.global_phase = phase
    circuit.measure(list(range(n)), list(range(n)))
    circuit.metadata = {"qaoa": {"depth": depth, "scale": s, "variables": n}}
    return circuit


class QAOACompiler(Compiler):
    """A binary quadratic model as a QAOA circuit for a gate backend (see the module docstring).

    Options: ``depth`` (default 3 without angles, else their number), ``gammas`` and ``betas``
    (numbers), or ``symbolic=True`` for :class:`~qhpc_interop.Parameter` angles. Gates the target
    lacks are rewritten by the built-in ``decompose`` compiler; a target with a coupling map must
    connect every interacting pair of variables directly (else run :func:`run`, which routes
    through the integrator's compilers).
    """

    name = "qaoa"
    description = "a binary quadratic model as a QAOA circuit (exact rzz/rz cost layers, rx mixers)"
    source_kind = "annealing"
    target_kind = "gate"

    def can_compile(self, circuit: Any, target: BackendCapabilities) -> str | None:
        model = circuit
        if not isinstance(model, BinaryQuadraticModel):
            return f"takes annealing problems (binary quadratic models), not {type(model).__name__}"
        n = model.num_variables
        if n == 0:
            return "the problem has no variables"
        if n > target.num_qubits:
            return f"the problem needs {n} qubits (one per variable) but the target holds {target.num_qubits}"
        if target.coupling_map is not None:
            pairs = {frozenset(p) for p in target.coupling_map}
            _, qi, qj, _ = model.terms()
            for i, j in zip(qi.tolist(), qj.tolist()):
                if frozenset((i, j)) not in pairs:
                    return (f"the target's coupling map does not connect qubits {i} and {j} (variables "
                            f"{model.variables[i]!r} and {model.variables[j]!r} interact); qhpc.algorithms.qaoa.run "
                            "routes the circuit through the target's compilers")
        probe = qaoa_circuit(model, 1, [0.5], [0.5])
        if needs_compilation(probe, target):
            why = DecomposeCompiler().can_compile(probe, target)
            if why:
                return f"the target cannot run the QAOA gates: {why}"
        return None

    def compile(self, circuit: Any, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Circuit:
        model = circuit
        why = self.can_compile(model, target)
        if why:
            raise CompileError(f"qaoa: {why}")
        opts = dict(options or {})
        unknown = set(opts) - {"depth", "gammas", "betas", "symbolic"}
        if unknown:
            raise CompileError(f"qaoa: unknown option(s) {', '.join(sorted(unknown))} (depth, gammas, betas, symbolic)")
        if opts.get("symbolic"):
            out = qaoa_circuit(model, int(opts.get("depth", 1)))
        elif "gammas" in opts or "betas" in opts:
            gammas, betas = list(opts.get("gammas", [])), list(opts.get("betas", []))
            out = qaoa_circuit(model, int(opts.get("depth", len(gammas))), [float(x) for x in gammas],
                               [float(x) for x in betas])
        else:
            depth = int(opts.get("depth", DEFAULT_DEPTH))
            out = qaoa_circuit(model, depth, *ramp(depth))
            out.metadata["qaoa"]["angles"] = "ramp"
        if needs_compilation(out, target):
            metadata = out.metadata
            out = DecomposeCompiler().compile(out, target, seed=seed)
            out.metadata = metadata
        return out

    def decode(self, output: RunOutput, source: Any, compiled: Any) -> RunOutput:
        """The measured bitstrings as samples of ``source``'s variables: clbit ``i`` is variable
        ``i``, so the keys stay (variable 0 rightmost; bit 1 is the value 1, or +1 for SPIN); the
        metadata gains ``energies`` (bitstring -> energy, lowest first) and the QAOA settings."""
        model: BinaryQuadraticModel = source
        n = model.num_variables
        if getattr(compiled, "num_clbits", n) != n:
            raise QhpcError(f"qaoa: the circuit measures {compiled.num_clbits} bits for {n} variables")
        counts = {key: int(value) for key, value in output.counts.items()}
        keys = list(counts)
        energies = model.energies(model.samples_of(keys)) if keys else np.zeros(0)
        order = sorted(range(len(keys)), key=lambda k: (energies[k], keys[k]))
        metadata = {**output.metadata, "energies": {keys[k]: float(energies[k]) for k in order}}
        if isinstance(getattr(compiled, "metadata", None), dict) and "qaoa" in compiled.metadata:
            metadata["qaoa"] = compiled.metadata["qaoa"]
        return RunOutput(counts=counts, memory=output.memory, metadata=metadata)


# -- the exact QAOA state ---------------------------------------------------------------------------


def energy_vector(model: BinaryQuadraticModel) -> np.ndarray:
    """The energy of every basis state, indexed by the bitstring read as a binary number
    (variable 0 the least significant bit)."""
    n = model.num_variables
    index = np.arange(2**n, dtype=np.int64)
    bits = ((index[:, None] >> np.arange(n)) & 1).astype(np.int8)
    low, high = model.vartype.values
    return model.energies(np.where(bits == 1, high, low))


def qaoa_probabilities(model: BinaryQuadraticModel, gammas: Sequence[float] | np.ndarray,
                       betas: Sequence[float] | np.ndarray, energies: np.ndarray | None = None,
                       scale: float | None = None) -> np.ndarray:
    """The exact readout distribution of the QAOA circuit (indexed as :func:`energy_vector`;
    ``energies`` and ``scale`` may be given to save recomputing them)."""
    n = model.num_variables
    if energies is None:
        energies = energy_vector(model)
    if scale is None:
        scale = model.spin().scale() or 1.0
    state = np.full(2**n, 2.0 ** (-n / 2), dtype=complex)
    for gamma, beta in zip(gammas, betas):
        state = state * np.exp((-1j * gamma / scale) * energies)
        c, s = math.cos(beta), -1j * math.sin(beta)
        rx = np.array([[c, s], [s, c]])
        for q in range(n):  # rx(2 beta) on qubit q, the index bit q
            state = np.matmul(rx, state.reshape(-1, 2, 2**q)).reshape(-1)
    return np.asarray(np.abs(state) ** 2)


# -- the loop ---------------------------------------------------------------------------------------


@dataclass
class QAOAResult:
    """What :func:`run` found. ``samples`` is the final sample set on the backend (lowest energy
    first: bitstring, sample, energy, occurrences); ``result`` the final job's qhpc Result."""

    best_sample: dict[Any, int]
    best_energy: float
    best_bitstring: str
    gammas: list[float]
    betas: list[float]
    expectation: float
    depth: int
    backend: str
    mode: str
    evaluations: int
    samples: list[dict[str, Any]]
    counts: dict[str, int]
    result: Any
    history: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def probability(self, bitstring: str) -> float:
        """The fraction of the final shots that read ``bitstring``."""
        return self.counts.get(bitstring, 0) / max(1, sum(self.counts.values()))


def _exact_possible(integrator: Any, backend: str, n: int) -> bool:
    """Whether the backend samples the ideal QAOA state: a noiseless gate emulator (``auto`` only
    ever chooses one of those)."""
    if n > EXACT_MAX_VARIABLES:
        return False
    if backend == "auto":
        return True
    caps = integrator.capabilities(integrator.backend(backend))
    return bool(caps.kind == BackendKind.EMULATOR and not caps.noisy and str(caps.paradigm) == "gate")


def run(problem: object, *, backend: str = "auto", depth: int = 1, shots: int = 1024, seed: int | None = None,
        expectation: str = "auto", restarts: int = 3, maxiter: int | None = None, integrator: Any = None,
        options: Mapping[str, Any] | None = None) -> QAOAResult:
    """Optimise QAOA of ``depth`` for ``problem`` (a binary quadratic model in any installed
    annealing format) on the gate ``backend`` and return the best sample found.

    ``expectation``: ``"exact"``, ``"shots"`` or ``"auto"`` (exact on noiseless emulators, see the
    module docstring). ``restarts`` optimisations start from the ramp and from seeded random
    angles; ``maxiter`` bounds each (default ``100 * depth``). ``seed`` makes the whole run
    reproducible (the optimiser's starts and every job's sampling).
    """
    from .. import get_integrator
    from ..kinds.annealing import AnnealingKind, sample_table

    try:
        from scipy.optimize import minimize
    except ImportError:  # pragma: no cover - scipy comes with the installed SDKs
        raise QhpcError("qhpc.algorithms.qaoa needs scipy (pip install scipy)") from None
    start = time.perf_counter()
    integ = integrator if integrator is not None else get_integrator()
    if isinstance(problem, BinaryQuadraticModel):
        model = problem
    else:
        fmt = integ.detect_format(problem)
        kind = integ.kind_of(fmt)
        if kind.name != "annealing":
            raise QhpcError(f"QAOA solves annealing problems (binary quadratic models), not {kind.name} programs "
                            f"({fmt})")
        model, _ = integ.converter.to_model(problem, source=fmt)
    if expectation not in ("auto", "exact", "shots"):
        raise QhpcError(f"expectation must be 'auto', 'exact' or 'shots', not {expectation!r}")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise QhpcError(f"restarts must be a whole number of at least 1, not {restarts!r}")
    n = model.num_variables
    if n == 0:
        raise QhpcError("the problem has no variables")
    compiler: Any = integ.compilers.get("qaoa") or QAOACompiler()
    circuit = compiler.compile(model, BackendCapabilities(num_qubits=n), options={"depth": depth, "symbolic": True})
    if expectation == "auto":
        mode = "exact" if _exact_possible(integ, backend, n) else "shots"
    elif expectation == "exact":
        if n > EXACT_MAX_VARIABLES:
            raise QhpcError(f"exact expectation values are computed for at most {EXACT_MAX_VARIABLES} variables; "
                            f"this problem has {n} (use expectation='shots')")
        mode = "exact"
    else:
        mode = "shots"
    rng = np.random.default_rng(seed)
    names = [f"gamma_{k}" for k in range(depth)] + [f"beta_{k}" for k in range(depth)]
    energies = energy_vector(model) if mode == "exact" else None
    scale = model.spin().scale() or 1.0
    history: list[float] = []
    seen: dict[str, int] = {}
    kind = AnnealingKind()
    state = {"job_seed": int(rng.integers(0, 2**62))}

    def sample(values: Sequence[float] | np.ndarray, count: int) -> tuple[Any, RunOutput]:
        job_seed = None if seed is None else state["job_seed"]
        state["job_seed"] = (state["job_seed"] * 6364136223846793005 + 1442695040888963407) % (2**62)
        result = integ.run(circuit, backend=backend, shots=count, seed=job_seed,
                           parameters=dict(zip(names, map(float, values))), options=options)
        decoded = compiler.decode(RunOutput(counts=dict(result.counts), memory=result.memory), model, circuit)
        kind.verify(decoded, model, count, result.backend)
        return result, decoded

    def objective(x: np.ndarray) -> float:
        if mode == "exact":
            assert energies is not None
            value = float(qaoa_probabilities(model, x[:depth], x[depth:], energies, scale) @ energies)
        else:
            _, decoded = sample(x, shots)
            for key, count in decoded.counts.items():
                seen[key] = seen.get(key, 0) + count
            value = float(sum(decoded.metadata["energies"][k] * c for k, c in decoded.counts.items()) / shots)
        history.append(value)
        return value

    starts = [np.array(ramp(depth)[0] + ramp(depth)[1])]
    for _ in range(restarts - 1):
        # (gamma, beta) and (-gamma, -beta) give the same distribution: half of the plane covers it
        starts.append(np.concatenate([rng.uniform(0.0, math.pi, depth), rng.uniform(-math.pi / 2, math.pi / 2, depth)]))
    best_x, best_value = starts[0], math.inf
    for x0 in starts[:restarts]:
        if mode == "exact":  # a smooth objective: quasi-Newton on finite differences
            found = minimize(objective, x0, method="L-BFGS-B", options={"maxiter": maxiter or 100 * depth})
        else:  # shot noise: a derivative-free trust region
            found = minimize(objective, x0, method="COBYLA", options={"maxiter": maxiter or 100 * depth, "rhobeg": 0.25})
        if float(found.fun) < best_value:
            best_x, best_value = np.asarray(found.x, dtype=float), float(found.fun)
    final, decoded = sample(best_x, shots)
    samples = sample_table(model, decoded.counts)
    best = samples[0]
    if seen:
        candidate = sample_table(model, seen)[0]
        if candidate["energy"] < best["energy"]:
            best = candidate
    if mode == "shots":
        best_value = float(sum(s["energy"] * s["occurrences"] for s in samples) / shots)
    return QAOAResult(
        best_sample=dict(best["sample"]), best_energy=float(best["energy"]), best_bitstring=best["bitstring"],
        gammas=[float(v) for v in best_x[:depth]], betas=[float(v) for v in best_x[depth:]],
        expectation=best_value, depth=depth, backend=final.backend, mode=mode, evaluations=len(history),
        samples=samples, counts=dict(decoded.counts), result=final, history=history,
        seconds=time.perf_counter() - start)
