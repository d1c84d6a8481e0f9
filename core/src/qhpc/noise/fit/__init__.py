"""The ``fit`` calibrator: adjust a noise model to runs measured on the device.

A :class:`MeasuredRun` is a program *as it ran* (physical qubits, native gates), its shots and its
counts; :func:`load_runs` reads them from JSON and refuses bad data by run and field. :func:`fit`
starts from ``base`` (or the ``from-calibration`` model of the snapshot, restricted to the qubits
the runs use) and adjusts, by maximum likelihood with a Gaussian prior:

quantum parameters (they change the state before readout)
  * each gate's error, as a scale ``k`` of its reported error: the depolarizing part becomes
    ``p0 + (k - 1) p_rep`` (``p0`` the prior's, ``p_rep`` the depolarizing strength that alone gives
    the reported error), so a gate whose reported error relaxation already explains can still get
    worse; ``k = exp(global + offset)``, one global factor for one-qubit gates, one for two-qubit
    gates, and an offset per qubit / per coupled pair the runs exercise;
  * relaxation rates ``1/T1`` and ``1/T2`` (on gates and while idle), each ``exp(global +
    offset per qubit)`` times the prior's (``T2`` then kept ``<= 2 T1``);
  * a coherent over-rotation per native gate type the runs use (``exp(-i eps/2 P)`` after the
    gate: ``X`` for one-qubit gates, ``ZX`` for ``cx``/``ecr``, ``ZZ`` for ``cz``);
  * a static ZZ coupling (radians per second) per coupled pair the runs use together;

readout parameters (linear in the distribution before readout)
  * per qubit ``p01 = P(1|0)`` and ``p10 = P(0|1)``;
  * readout crosstalk per coupled pair measured together: ``d01[a<-b]`` and ``d10[a<-b]``, the
    extra probability that ``a``'s bit flips (from 0, from 1) when ``b`` reads 1 (a
    :class:`~qhpc.noise.model.CorrelatedReadout` with ``replaces=False``).

Each parameter ``theta`` is optimised as ``z = (theta - prior) / sigma`` (``sigma`` per kind, in
:data:`SIGMA`); the objective is the multinomial negative log-likelihood of the training runs'
counts under the model's exact distribution plus ``strength * sum(z^2)``. The strength is chosen
among :data:`STRENGTHS` by the negative log-likelihood of the held-out runs (``holdout``), each
fit warm-started from the previous (stronger) one; then (``refit``, the default) the model is fitted
once more on all the runs at the chosen strength, so that an experiment that alone pins some
parameter (the only run that reads a qubit as 1 while its neighbours read 0, say) is not lost to
the random hold-out. The parameter space is that of all the runs. The over-rotation angles start
at a small positive angle, not at zero: a run's distribution is often even in such an angle (a
``ZX`` rotation after a ``cx`` on a Bell state), where zero is a stationary point the optimiser
would never leave. Quantum and readout parameters are separate:
the distribution before readout is computed once per quantum-parameter vector (a density-matrix
engine on superoperators fused per qubit pair, with exact adjoint gradients), and the readout
part, which acts linearly on it, is cheap to vary. The engine agrees with
:func:`qhpc.noise.simulate.distribution` (the tests hold it to 1e-10).

Only programs whose measurements are terminal are fitted (calibration experiments are): a reset,
a condition, or an operation after a qubit's measurement is refused, naming the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from qhpc_interop import Barrier

from ..calibration import CalibrationSnapshot
from ..channels import NoiseModelError
from ..model import NoiseModel
from .engine import _compile, _Engine
from .report import (
    FitReport,
    FittedParameter,
    RunReport,
    _run_report,
    format_report,
    hellinger_fidelity,
    shot_noise_floor,
    total_variation,
)
from .runs import MeasuredRun, _check_run, _check_terminal, dump_runs, load_runs
from .space import ROTATION_AXES, SIGMA, STRENGTHS, _build_model, _parameters, _prior_model

#: The keywords of :func:`fit` a calibrator's ``options`` may give.
FIT_OPTIONS = frozenset({"holdout", "seed", "strengths", "over_rotation", "zz", "crosstalk", "max_iterations",
                         "refit"})
#: The over-rotation angle (a gate type's) the optimisation starts from, in radians (see the module docstring).
ROTATION_START = 0.01

__all__ = [
    "FIT_OPTIONS",
    "ROTATION_AXES",
    "SIGMA",
    "STRENGTHS",
    "FitReport",
    "FittedParameter",
    "MeasuredRun",
    "RunReport",
    "dump_runs",
    "fit",
    "format_report",
    "hellinger_fidelity",
    "load_runs",
    "shot_noise_floor",
    "total_variation",
]




def fit(snapshot: CalibrationSnapshot, runs: Sequence[MeasuredRun], *, base: NoiseModel | None = None,
        holdout: float = 0.25, seed: int = 0, strengths: Sequence[float] | None = None,
        over_rotation: bool = True, zz: bool = True, crosstalk: bool = True,
        max_iterations: int = 300, refit: bool = True) -> tuple[NoiseModel, FitReport]:
    """Adjust a noise model to ``runs`` measured on ``snapshot``'s device (see the module docstring).

    ``holdout`` is the fraction of runs (chosen with ``seed``) kept out of the training to choose
    the regularisation strength among ``strengths`` (default :data:`STRENGTHS`); with no held-out
    run the strongest but one is used. ``refit`` then fits all the runs at that strength (the
    held-out runs' comparisons in the report stay those of the model fitted without them). ``over_rotation``, ``zz`` and ``crosstalk`` switch those
    parameters off. Returns the fitted model (physical qubit numbering, the qubits the runs use)
    and a :class:`FitReport`.
    """
    started = time.perf_counter()
    if not runs:
        raise NoiseModelError("fit needs at least one measured run")
    if not 0.0 <= holdout < 1.0:
        raise NoiseModelError(f"holdout must be a fraction in [0, 1), not {holdout!r}")
    runs = list(runs)
    for k, run in enumerate(runs):
        if not isinstance(run, MeasuredRun):
            raise NoiseModelError(f"runs[{k}] is a {type(run).__name__}, not a MeasuredRun")
        label = run.name or f"runs[{k}]"
        _check_run(run, snapshot, label)
        _check_terminal(run.program, label)
    runs = [r if r.name else MeasuredRun(r.program, r.shots, r.counts, f"runs[{k}]") for k, r in enumerate(runs)]
    used = sorted({q for r in runs for i in r.program.instructions if not isinstance(i.operation, Barrier)
                   for q in i.qubits})
    prior = _prior_model(snapshot, used, base)
    # training / held-out split
    order = np.random.default_rng(seed).permutation(len(runs))
    n_hold = round(holdout * len(runs)) if len(runs) >= 2 else 0
    n_hold = min(max(n_hold, 1 if holdout > 0 and len(runs) >= 2 else 0), len(runs) - 1)
    held = set(order[:n_hold].tolist())
    train_runs = [r for k, r in enumerate(runs) if k not in held]
    hold_runs = [r for k, r in enumerate(runs) if k in held]
    space, template, describe = _parameters(snapshot, prior, runs, over_rotation, zz, crosstalk)
    compiled_train = [_compile(r, template, describe, space) for r in train_runs]
    compiled_hold = [_compile(r, template, describe, space) for r in hold_runs]
    engine = _Engine(space, compiled_train)
    hold_engine = _Engine(space, compiled_hold)
    grid = list(strengths if strengths is not None else STRENGTHS)
    if not grid or any(not (s >= 0 and math.isfinite(s)) for s in grid):
        raise NoiseModelError(f"strengths must be non-negative numbers, not {grid!r}")
    grid.sort(reverse=True)
    z = np.zeros(len(space.params))
    for i, p in enumerate(space.params):
        if p.kind == "rotation":
            z[i] = ROTATION_START / p.sigma
    path: list[tuple[float, float, float]] = []
    best: tuple[float, float, np.ndarray] | None = None
    iterations = 0
    notes: list[str] = []
    for strength in (grid if hold_runs else grid[:2]):  # no held-out run: the strongest but one
        z, its = engine.minimise(z, strength, max_iterations)
        iterations += its
        train_nll = (engine.nll(z) - engine.saturated) / max(engine.total_shots, 1)
        hold_nll = (hold_engine.nll(z) - hold_engine.saturated) / hold_engine.total_shots if hold_runs else math.nan
        path.append((strength, train_nll, hold_nll))
        if not hold_runs or best is None or hold_nll < best[1]:
            best = (strength, hold_nll, z.copy())
    assert best is not None
    strength, _, z = best
    if not hold_runs:
        notes.append("no held-out run: the regularisation strength was not chosen by data")
    selected = _build_model(prior, space.natural(z), describe)
    if refit and hold_runs:
        z, its = _Engine(space, compiled_train + compiled_hold).minimise(z, strength, max_iterations)
        iterations += its
        notes.append("refitted on all runs at the chosen strength; the held-out runs' figures are those of the "
                     "model fitted without them")
    theta = space.natural(z)
    model = _build_model(prior, theta, describe)
    seconds = time.perf_counter() - started
    parameters = [FittedParameter(p.name, p.kind, p.unit, p.prior, float(v), p.sigma)
                  for p, v in zip(space.params, theta)]
    run_reports = [_run_report(r, "train", prior, model) for r in train_runs]
    run_reports += [_run_report(r, "holdout", prior, selected) for r in hold_runs]
    report = FitReport(run_reports, parameters, strength, path, seconds, iterations, notes)
    model.metadata = {
        "calibrator": "fit", "snapshot": snapshot.name, "snapshot_timestamp": snapshot.timestamp,
        "snapshot_digest": snapshot.digest(), "snapshot_source": snapshot.source,
        "base": {k: prior.metadata.get(k) for k in ("calibrator", "snapshot_digest") if k in prior.metadata},
        "adjustments": list(prior.metadata.get("adjustments", [])),
        "qubits": used, "runs": {"train": [r.name for r in train_runs], "holdout": [r.name for r in hold_runs]},
        "options": {"holdout": holdout, "seed": seed, "strengths": grid, "over_rotation": over_rotation, "zz": zz,
                    "crosstalk": crosstalk, "refit": refit},
        "report": report.to_dict(),
    }
    return model, report
