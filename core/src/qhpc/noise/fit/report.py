"""What the fit reports: per-run fidelity deviations and distances before and after, the fitted
parameters, and the distances used (Hellinger fidelity, total variation, its shot-noise floor)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc_interop import Barrier

from ..model import NoiseModel
from ..schedule import compact, expand
from .runs import MeasuredRun


@dataclass
class RunReport:
    """One run before (prior model) and after (fitted model): output fidelities (Hellinger
    fidelity of the ideal distribution with the measured / emulated one), their deviations, the
    total variation distance measured vs emulated, and its shot-noise floor (the expected distance
    of a sample of ``shots`` from the model itself)."""

    name: str
    split: str  # "train" or "holdout"
    shots: int
    qubits: tuple[int, ...]
    fidelity_measured: float
    fidelity_before: float
    fidelity_after: float
    tvd_before: float
    tvd_after: float
    floor_before: float
    floor_after: float

    @property
    def deviation_before(self) -> float:
        return abs(self.fidelity_before - self.fidelity_measured)

    @property
    def deviation_after(self) -> float:
        return abs(self.fidelity_after - self.fidelity_measured)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["qubits"] = list(self.qubits)
        out["deviation_before"] = self.deviation_before
        out["deviation_after"] = self.deviation_after
        return out


@dataclass
class FittedParameter:
    """One adjusted parameter: its prior and fitted value (in ``unit``), and its prior width."""

    name: str
    kind: str
    unit: str
    prior: float
    value: float
    sigma: float

    @property
    def change(self) -> str:
        if self.unit == "log-scale":
            return f"x{math.exp(self.value - self.prior):.3g}"
        return f"{self.value - self.prior:+.3g} {self.unit}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "unit": self.unit, "prior": self.prior, "value": self.value,
                "sigma": self.sigma, "change": self.change}


@dataclass
class FitReport:
    """What :func:`fit` did: per-run comparisons, parameters, the regularisation path, the time."""

    runs: list[RunReport]
    parameters: list[FittedParameter]
    strength: float
    #: (strength, training NLL per shot, held-out NLL per shot) along the path
    path: list[tuple[float, float, float]]
    seconds: float
    iterations: int = 0
    notes: list[str] = field(default_factory=list)

    def split(self, which: str) -> list[RunReport]:
        return [r for r in self.runs if r.split == which]

    def summary(self) -> dict[str, Any]:
        """Medians and worst values per split (fidelity deviations and distances), the strength and the time."""
        out: dict[str, Any] = {"strength": self.strength, "seconds": round(self.seconds, 3),
                               "parameters": len(self.parameters), "iterations": self.iterations}
        for which in ("train", "holdout"):
            runs = self.split(which)
            if not runs:
                continue
            for stage in ("before", "after"):
                dev = [getattr(r, f"deviation_{stage}") for r in runs]
                tvd = [getattr(r, f"tvd_{stage}") for r in runs]
                ratio = [getattr(r, f"tvd_{stage}") / max(getattr(r, f"floor_{stage}"), 1e-12) for r in runs]
                out[f"{which}_{stage}"] = {"median_deviation": float(np.median(dev)), "worst_deviation": max(dev),
                                           "median_tvd": float(np.median(tvd)),
                                           "median_tvd_over_floor": float(np.median(ratio))}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "runs": [r.to_dict() for r in self.runs],
                "parameters": [p.to_dict() for p in self.parameters],
                "path": [{"strength": s, "train_nll": a, "holdout_nll": b} for s, a, b in self.path],
                "notes": list(self.notes)}

    def format(self) -> str:
        """A plain-text table (what a command line prints)."""
        return format_report(self.to_dict())


def format_report(report: Mapping[str, Any]) -> str:
    """The plain-text table of a report in its JSON form (:meth:`FitReport.to_dict`, as a fitted
    model's ``metadata["report"]`` holds it): per run, the measured output fidelity, the fidelity
    deviation before and after, the distances and the shot-noise floor; then the parameters."""
    summary = report.get("summary", {})
    lines = [f"fit: {summary.get('parameters', '?')} parameters, strength {summary.get('strength', float('nan')):g}, "
             f"{summary.get('seconds', float('nan')):.1f} s, {summary.get('iterations', '?')} iterations"]
    lines.append(f"{'run':<24}{'split':<9}{'F meas':>8}{'dev before':>12}{'dev after':>11}"
                 f"{'TVD before':>12}{'TVD after':>11}{'floor':>8}")
    for r in report.get("runs", []):
        lines.append(f"{str(r['name'])[:23]:<24}{r['split']:<9}{r['fidelity_measured']:>8.4f}"
                     f"{100 * r['deviation_before']:>11.2f}%{100 * r['deviation_after']:>10.2f}%"
                     f"{r['tvd_before']:>12.4f}{r['tvd_after']:>11.4f}{r['floor_after']:>8.4f}")
    lines.append("parameters (prior -> fitted):")
    for p in report.get("parameters", []):
        lines.append(f"  {p['name']:<40} {p['prior']:>12.5g} -> {p['value']:>12.5g}  ({p['change']})")
    lines.extend(f"note: {n}" for n in report.get("notes", []))
    return "\n".join(lines)


def hellinger_fidelity(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """``(sum_x sqrt(p_x q_x))^2`` of two distributions (normalised first), as Qiskit defines it."""
    sp, sq = sum(p.values()), sum(q.values())
    if sp <= 0 or sq <= 0:
        return 0.0
    overlap = sum(math.sqrt(max(p[k], 0.0) / sp * max(q.get(k, 0.0), 0.0) / sq) for k in p)
    return float(overlap**2)


def total_variation(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    sp, sq = sum(p.values()), sum(q.values())
    keys = set(p) | set(q)
    return 0.5 * float(sum(abs(p.get(k, 0.0) / sp - q.get(k, 0.0) / sq) for k in keys))


def shot_noise_floor(distribution: Mapping[str, float], shots: int) -> float:
    """The expected total variation distance between ``distribution`` and the frequencies of
    ``shots`` draws from it: ``(1/2N) sum_x E|X_x - N p_x|`` with ``X_x ~ Binomial(N, p_x)``, each
    mean absolute deviation in de Moivre's closed form
    ``2 (1-p)^(N-k+1) p^k k C(N, k)``, ``k = floor(N p) + 1`` (exact, not an estimate)."""
    from scipy.special import gammaln

    n = int(shots)
    total = 0.0
    for p in distribution.values():
        if p <= 0.0 or p >= 1.0:
            continue
        k = math.floor(n * p) + 1
        if k > n:
            continue
        log_term = (math.log(2.0) + (n - k + 1) * math.log1p(-p) + k * math.log(p) + math.log(k)
                    + gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))
        total += math.exp(log_term)
    return total / (2.0 * n)


def _run_report(run: MeasuredRun, split: str, prior: NoiseModel, fitted: NoiseModel) -> RunReport:
    from ..simulate import distribution

    ideal = distribution(compact(expand(run.program, NoiseModel()))[0])
    before = distribution(compact(expand(run.program, prior))[0])
    after = distribution(compact(expand(run.program, fitted))[0])
    measured = {k: float(v) for k, v in run.counts.items()}
    used = tuple(sorted({q for i in run.program.instructions if not isinstance(i.operation, Barrier)
                         for q in i.qubits}))
    return RunReport(
        name=run.name, split=split, shots=run.shots, qubits=used,
        fidelity_measured=hellinger_fidelity(ideal, measured),
        fidelity_before=hellinger_fidelity(ideal, before), fidelity_after=hellinger_fidelity(ideal, after),
        tvd_before=total_variation(measured, before), tvd_after=total_variation(measured, after),
        floor_before=shot_noise_floor(before, run.shots), floor_after=shot_noise_floor(after, run.shots),
    )
