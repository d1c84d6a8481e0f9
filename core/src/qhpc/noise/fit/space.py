"""The fit's parameters: which parts of the model the training runs support, how each channel of
the template model depends on them, and the model at a parameter vector."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc_interop import Barrier, Gate, Measure

from ..calibration import CalibrationSnapshot
from ..calibrators import from_calibration
from ..channels import Channel, CoherentRotation, Depolarizing, NoiseModelError, ProductChannel, ThermalRelaxation
from ..model import CorrelatedReadout, GateNoise, NoiseModel, QubitRelaxation, ReadoutError, ZZCoupling
from .runs import MeasuredRun

SIGMA: dict[str, float] = {
    "scale": 1.0, "offset": 0.5, "rotation": 0.05, "rotation offset": 0.02, "zz": 2.0e5, "readout": 0.02,
    "crosstalk": 0.02,
}
#: Regularisation strengths tried, strongest first (the prior weighs ``strength * sum(z^2)``:
#: ``z`` has prior standard deviation ``1/sqrt(2 strength)`` in units of :data:`SIGMA`).
STRENGTHS: tuple[float, ...] = (30.0, 3.0, 0.3, 0.03)
#: Pauli axis of a native gate type's coherent over-rotation (applied after the gate).
ROTATION_AXES: dict[str, str] = {"sx": "X", "x": "X", "sxdg": "X", "rx": "X", "y": "Y", "ry": "Y",
                                 "cx": "ZX", "ecr": "ZX", "cz": "ZZ"}
#: Probabilities are kept above this in the likelihood (an outcome the model calls impossible).
_FLOOR = 1e-12


@dataclass
class _Param:
    name: str
    kind: str  # scale, offset, rotation, zz, readout, crosstalk
    unit: str
    prior: float
    lower: float
    upper: float
    quantum: bool

    @property
    def sigma(self) -> float:
        return SIGMA["scale" if self.kind == "scale" else self.kind]


class _Space:
    """The parameters and how the model depends on them."""

    def __init__(self) -> None:
        self.params: list[_Param] = []
        self.index: dict[str, int] = {}

    def add(self, name: str, kind: str, unit: str, prior: float, lower: float, upper: float, quantum: bool) -> int:
        if name in self.index:
            return self.index[name]
        self.index[name] = len(self.params)
        self.params.append(_Param(name, kind, unit, prior, lower, upper, quantum))
        return self.index[name]

    def get(self, name: str) -> int | None:
        return self.index.get(name)

    def natural(self, z: np.ndarray) -> np.ndarray:
        sig = np.array([p.sigma for p in self.params])
        prior = np.array([p.prior for p in self.params])
        return prior + sig * z

    def bounds(self) -> list[tuple[float, float]]:
        return [((p.lower - p.prior) / p.sigma, (p.upper - p.prior) / p.sigma) for p in self.params]


# -- channel descriptions: how a channel of the model depends on the parameters --------------------

@dataclass(frozen=True)
class _Depol:
    k: int
    p0: float
    p_rep: float
    params: tuple[int, ...]  # summed into the log-scale

    def channel(self, theta: np.ndarray) -> Depolarizing:
        return Depolarizing(self.p(theta), self.k)

    def p(self, theta: np.ndarray) -> float:
        scale = math.exp(sum(theta[i] for i in self.params))
        pmax = 4**self.k / (4**self.k - 1)
        return min(max(self.p0 + (scale - 1.0) * self.p_rep, 0.0), pmax)


@dataclass(frozen=True)
class _Relax:
    t1: float
    t2: float
    time: float
    excited: float
    t1_params: tuple[int, ...]
    t2_params: tuple[int, ...]

    def times(self, theta: np.ndarray) -> tuple[float, float]:
        t1 = self.t1 * math.exp(-sum(theta[i] for i in self.t1_params))
        t2 = self.t2 * math.exp(-sum(theta[i] for i in self.t2_params))
        return t1, min(t2, 2.0 * t1)

    def channel(self, theta: np.ndarray, time: float | None = None) -> ThermalRelaxation:
        t1, t2 = self.times(theta)
        return ThermalRelaxation(t1, t2, self.time if time is None else time, self.excited)


@dataclass(frozen=True)
class _Rotation:
    pauli: str
    params: tuple[int, ...]  # summed: the gate type's angle and this gate's offset

    def angle(self, theta: np.ndarray) -> float:
        return float(sum(theta[i] for i in self.params))


def _prior_model(snapshot: CalibrationSnapshot, used: list[int], base: NoiseModel | None) -> NoiseModel:
    if base is not None:
        if not isinstance(base, NoiseModel):
            raise NoiseModelError(f"base must be a NoiseModel, not {type(base).__name__}")
        if any(c.replaces for c in base.correlated_readout):
            raise NoiseModelError("the base model has a joint readout matrix (a correlated readout that replaces "
                                  "its qubits' errors); the fit writes readout as per-qubit errors plus crosstalk: "
                                  "give a base without it")
        return base.restricted_to(used)
    local = snapshot.restricted(used)
    idle = all(q.readout_length is not None for q in local.qubits)
    model = from_calibration(local, idle=idle)
    if not idle:
        model.metadata["adjustments"].append("no idle noise: the snapshot reports no readout_length to schedule "
                                             "measurements with")
    out = _renumber(model, used)
    out.metadata = dict(model.metadata)
    out.metadata["snapshot_digest"] = snapshot.digest()
    return out


def _renumber(model: NoiseModel, physical: Sequence[int]) -> NoiseModel:
    """``model`` on qubits ``0..k-1`` rewritten on ``physical[0..k-1]``."""
    def m(qs: tuple[int, ...] | None) -> tuple[int, ...] | None:
        return None if qs is None else tuple(physical[q] for q in qs)

    return NoiseModel(
        gate_noise=[GateNoise(g.gate, m(g.qubits), g.channels) for g in model.gate_noise],
        durations={(g, m(q)): s for (g, q), s in model.durations.items()},
        relaxation={physical[q]: r for q, r in model.relaxation.items()},
        zz=[ZZCoupling(m(z.qubits), z.rate) for z in model.zz],  # type: ignore[arg-type]
        readout={physical[q]: r for q, r in model.readout.items()},
        correlated_readout=[CorrelatedReadout(m(c.qubits), c.matrix, c.replaces)  # type: ignore[arg-type]
                            for c in model.correlated_readout],
        preparation={physical[q]: p for q, p in model.preparation.items()},
        analog=dict(model.analog), photonic=dict(model.photonic), metadata=dict(model.metadata),
    )


@dataclass
class _Describe:
    """How each part of the template model depends on the parameters."""

    by_channel: dict[int, Any] = field(default_factory=dict)  # id(channel) -> description
    channels: list[Channel] = field(default_factory=list)  # keeps the template's channels alive
    idle: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)  # qubit -> (t1, t2) params
    zz: dict[frozenset[int], int] = field(default_factory=dict)  # pair -> rate param
    #: per gate-noise entry index: list of (channel index in entry, description)
    entries: dict[int, list[tuple[int, Any]]] = field(default_factory=dict)
    rotations: dict[str, int] = field(default_factory=dict)  # gate type -> param
    readout: dict[int, tuple[int, int]] = field(default_factory=dict)  # qubit -> (p01, p10) params
    crosstalk: dict[tuple[int, int], tuple[int, int, int, int]] = field(default_factory=dict)
    template: NoiseModel | None = None


def _parameters(snapshot: CalibrationSnapshot, prior: NoiseModel, train: list[MeasuredRun], over_rotation: bool,
                zz: bool, crosstalk: bool) -> tuple[_Space, NoiseModel, _Describe]:
    """The parameter space the training runs support, the template model (every fitted part present,
    so that :func:`expand` places it) and how each template channel depends on the parameters."""
    space = _Space()
    describe = _Describe()
    # what the training runs exercise
    gates_used: set[tuple[str, tuple[int, ...]]] = set()
    together: set[frozenset[int]] = set()  # coupled pairs a run uses (ZZ)
    measured_together: set[frozenset[int]] = set()
    qubits_used: set[int] = set()
    measured_qubits: set[int] = set()
    coupled = {frozenset(p) for p in snapshot.coupling_map}
    for run in train:
        inst_qubits = {q for i in run.program.instructions if not isinstance(i.operation, Barrier) for q in i.qubits}
        meas = {i.qubits[0] for i in run.program.instructions if isinstance(i.operation, Measure)}
        qubits_used |= inst_qubits
        measured_qubits |= meas
        for i in run.program.instructions:
            if isinstance(i.operation, Gate):
                gates_used.add((i.operation.name, tuple(i.qubits)))
        together |= {p for p in coupled if p <= inst_qubits}
        measured_together |= {p for p in coupled if p <= meas}
    # gate error scales and relaxation rates
    entries: list[GateNoise] = []
    t_params: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def relax_params(q: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if q not in t_params:
            g1 = space.add("T1 rate (global)", "scale", "log-scale", 0.0, -3.0, 3.0, True)
            g2 = space.add("T2 rate (global)", "scale", "log-scale", 0.0, -3.0, 3.0, True)
            o1 = space.add(f"T1 rate q{q}", "offset", "log-scale", 0.0, -3.0, 3.0, True)
            o2 = space.add(f"T2 rate q{q}", "offset", "log-scale", 0.0, -3.0, 3.0, True)
            t_params[q] = ((g1, o1), (g2, o2))
        return t_params[q]

    def depolarizing(entry: GateNoise, width: int, p0: float) -> _Depol:
        """The description of a gate's depolarizing part (prior strength ``p0``)."""
        g = space.add(f"{width}q gate error (global)", "scale", "log-scale", 0.0, -5.0, 3.0, True)
        offs: tuple[int, ...] = ()
        p_rep = p0
        if entry.qubits is not None:
            qs = entry.qubits
            label = f"q{qs[0]}" if width == 1 else f"q{min(qs)}-q{max(qs)}"
            offs = (space.add(f"{width}q gate error {label}", "offset", "log-scale", 0.0, -3.0, 3.0, True),)
            reported = snapshot.gate(entry.gate, qs)
            if reported is not None and reported.error is not None and reported.error > 0:
                d = 2**width
                p_rep = reported.error * d / (d - 1)
        return _Depol(width, p0, p_rep, (g, *offs))

    exercised = {(g, qs) for g, qs in gates_used}
    exercised_types = {g for g, _ in exercised}
    for entry in prior.gate_noise:
        specific = entry.qubits is not None
        if specific and entry.gate not in exercised_types:
            entries.append(entry)  # a gate type no run uses: kept as the prior has it
            continue
        # a gate the runs do not use on these qubits (the other direction of a coupling, say) is
        # still described: it shares the global factors, its qubits' relaxation and its pair's
        # offset with the gates the runs do use, and keeps its own offsets at their priors
        new_channels: list[Channel] = []
        plan: list[tuple[int, Any]] = []
        n = len(entry.qubits) if entry.qubits is not None else None
        for channel in entry.channels:
            desc: Any = None
            new: Channel
            if isinstance(channel, Depolarizing) and channel.qubits in (1, 2):
                desc = depolarizing(entry, channel.qubits, channel.p)
                new = Depolarizing(max(channel.p, 1e-6), channel.qubits)  # present in the template even at p0 = 0
            elif isinstance(channel, ThermalRelaxation) and specific and n == 1:
                assert entry.qubits is not None
                t1p, t2p = relax_params(entry.qubits[0])
                desc = _Relax(channel.t1, channel.t2, channel.time, channel.excited_population, t1p, t2p)
                new = channel
            elif isinstance(channel, ProductChannel) and specific and all(
                    isinstance(p, ThermalRelaxation) for p in channel.parts) and len(channel.parts) == n:
                assert entry.qubits is not None
                parts = []
                for q, part in zip(entry.qubits, channel.parts):
                    assert isinstance(part, ThermalRelaxation)
                    t1p, t2p = relax_params(q)
                    parts.append(_Relax(part.t1, part.t2, part.time, part.excited_population, t1p, t2p))
                desc = tuple(parts)
                new = channel
            else:
                new = channel  # kept as it is
            new_channels.append(new)
            if desc is not None:
                plan.append((len(new_channels) - 1, desc))
                describe.by_channel[id(new)] = desc
                describe.channels.append(new)
        if specific and n in (1, 2) and not any(isinstance(c, Depolarizing) for c in entry.channels):
            # relaxation alone explained the reported error: the gate may still be worse than that
            desc_d = depolarizing(entry, n, 0.0)  # type: ignore[arg-type]
            dep = Depolarizing(1e-6, n)  # type: ignore[arg-type]
            new_channels.insert(0, dep)
            plan = [(i + 1, d) for i, d in plan] + [(0, desc_d)]
            describe.by_channel[id(dep)] = desc_d
            describe.channels.append(dep)
        if over_rotation and entry.gate in ROTATION_AXES and entry.gate in exercised_types:
            width = len(ROTATION_AXES[entry.gate])
            duration = prior.duration(entry.gate, entry.qubits) if entry.qubits is not None else None
            if (entry.qubits is None or len(entry.qubits) == width) and (duration is None or duration > 0):
                r = space.add(f"over-rotation {entry.gate} ({ROTATION_AXES[entry.gate]})", "rotation", "rad", 0.0,
                              -0.5, 0.5, True)
                describe.rotations[entry.gate] = r
                rot_params: tuple[int, ...] = (r,)
                if entry.qubits is not None:  # each qubit's (each direction's) pulse is calibrated apart
                    label = "->".join(f"q{q}" for q in entry.qubits)
                    rot_params = (r, space.add(f"over-rotation {entry.gate} {label}", "rotation offset", "rad", 0.0,
                                               -0.25, 0.25, True))
                rot = CoherentRotation(ROTATION_AXES[entry.gate], 0.1)  # the template's channel; each evaluation sets its angle
                desc_r = _Rotation(ROTATION_AXES[entry.gate], rot_params)
                new_channels.insert(0, rot)
                plan = [(i + 1, d) for i, d in plan] + [(0, desc_r)]
                describe.by_channel[id(rot)] = desc_r
                describe.channels.append(rot)
        describe.entries[len(entries)] = plan
        entries.append(GateNoise(entry.gate, entry.qubits, tuple(new_channels)))
    # idle relaxation of the qubits the runs use
    relaxation = dict(prior.relaxation)
    for q in sorted(qubits_used):
        if q in relaxation:
            describe.idle[q] = relax_params(q)
    # ZZ couplings
    zz_list = [z for z in prior.zz]
    if zz and prior.has_timing_noise:
        existing = {frozenset(z.qubits): z for z in prior.zz}
        zz_list = [z for z in prior.zz if frozenset(z.qubits) not in together]
        for pair in sorted(together, key=sorted):
            a, b = sorted(pair)
            old = existing.get(pair)
            r = space.add(f"ZZ q{a}-q{b}", "zz", "rad/s", old.rate if old is not None else 0.0, -3e6, 3e6, True)
            describe.zz[pair] = r
            zz_list.append(ZZCoupling((a, b), 1.0))  # template rate: angles read as seconds
    # readout
    for q in sorted(measured_qubits):
        error = prior.readout.get(q)
        p01 = error.p01 if error is not None else 0.0
        p10 = error.p10 if error is not None else 0.0
        describe.readout[q] = (space.add(f"readout p01 q{q}", "readout", "probability", p01, 0.0, 0.5, False),
                               space.add(f"readout p10 q{q}", "readout", "probability", p10, 0.0, 0.5, False))
    if crosstalk:
        old_pairs = {c.qubits: c for c in prior.correlated_readout}
        for pair in sorted(measured_together, key=sorted):
            a, b = sorted(pair)
            shifts = _crosstalk_prior(old_pairs.get((a, b)))
            names = (f"readout crosstalk d01 q{a}<-q{b}", f"readout crosstalk d10 q{a}<-q{b}",
                     f"readout crosstalk d01 q{b}<-q{a}", f"readout crosstalk d10 q{b}<-q{a}")
            describe.crosstalk[(a, b)] = tuple(  # type: ignore[assignment]
                space.add(name, "crosstalk", "probability", value, 0.0, 0.25, False) for name, value in zip(names, shifts))
    template = NoiseModel(gate_noise=entries, durations=dict(prior.durations), relaxation=relaxation, zz=zz_list,
                          readout={}, correlated_readout=[], preparation=dict(prior.preparation))
    describe.template = template
    return space, template, describe


def _crosstalk_prior(pair: CorrelatedReadout | None) -> tuple[float, float, float, float]:
    """The shifts of a crosstalk pair of the base model (a's flips from 0 and 1 when b reads 1, then b's)."""
    if pair is None:
        return (0.0, 0.0, 0.0, 0.0)
    m = np.array(pair.matrix)
    # index = bit(a) + 2 bit(b); column = input
    a01 = m[1, 2] + m[3, 2]  # a: 0 -> 1 with b = 1
    a10 = m[0, 3] + m[2, 3]  # a: 1 -> 0 with b = 1
    b01 = m[2, 1] + m[3, 1]
    b10 = m[0, 3] + m[1, 3]
    return tuple(float(min(max(v, 0.0), 0.25)) for v in (a01, a10, b01, b10))  # type: ignore[return-value]


def _crosstalk_matrix(d: Sequence[float]) -> np.ndarray:
    """The 4x4 ``M[read, as read before]`` of a crosstalk pair (a, b) from its four shifts."""
    a01, a10, b01, b10 = d
    m = np.zeros((4, 4))
    for col in range(4):
        xa, xb = col & 1, col >> 1
        fa = (a01 if xa == 0 else a10) if xb == 1 else 0.0
        fb = (b01 if xb == 0 else b10) if xa == 1 else 0.0
        for row in range(4):
            ya, yb = row & 1, row >> 1
            pa = fa if ya != xa else 1.0 - fa
            pb = fb if yb != xb else 1.0 - fb
            m[row, col] = pa * pb
    return m


def _probability(value: float, upper: float) -> float:
    return float(min(max(value, 0.0), upper))


def _build_model(prior: NoiseModel, theta: np.ndarray, describe: _Describe) -> NoiseModel:
    """The noise model at ``theta`` (what the engine computes, as an ordinary model)."""
    entries: list[GateNoise] = []
    assert describe.template is not None
    for k, entry in enumerate(describe.template.gate_noise):
        plan = dict(describe.entries.get(k) or [])
        if not plan:
            entries.append(entry)
            continue
        channels: list[Channel] = []
        for j, channel in enumerate(entry.channels):
            desc = plan.get(j)
            if desc is None:
                channels.append(channel)
            elif isinstance(desc, _Depol):
                p = desc.p(theta)
                if p > 0:
                    channels.append(Depolarizing(p, desc.k))
            elif isinstance(desc, _Relax):
                channels.append(desc.channel(theta))
            elif isinstance(desc, tuple):
                channels.append(ProductChannel(tuple(r.channel(theta) for r in desc)))
            elif isinstance(desc, _Rotation):
                angle = desc.angle(theta)
                if angle != 0.0:
                    channels.append(CoherentRotation(desc.pauli, angle))
        entries.append(GateNoise(entry.gate, entry.qubits, tuple(channels)))
    relaxation = dict(prior.relaxation)
    for q, (t1p, t2p) in describe.idle.items():
        r = prior.relaxation[q]
        t1, t2 = _Relax(r.t1, r.t2, 0.0, r.excited_population, t1p, t2p).times(theta)
        relaxation[q] = QubitRelaxation(t1, t2, r.excited_population)
    fitted_pairs = set(describe.zz)
    zz = [z for z in prior.zz if frozenset(z.qubits) not in fitted_pairs]
    for pair, i in sorted(describe.zz.items(), key=lambda item: sorted(item[0])):
        if theta[i] != 0.0:
            zz.append(ZZCoupling(tuple(sorted(pair)), float(theta[i])))  # type: ignore[arg-type]
    readout = dict(prior.readout)
    for q, (i01, i10) in describe.readout.items():
        readout[q] = ReadoutError(_probability(theta[i01], 0.5), _probability(theta[i10], 0.5))
    correlated = [c for c in prior.correlated_readout if c.qubits not in describe.crosstalk]
    for (a, b), idx in sorted(describe.crosstalk.items()):
        shifts = [_probability(theta[i], 0.25) for i in idx]
        if any(s > 0 for s in shifts):
            m = _crosstalk_matrix(shifts)
            correlated.append(CorrelatedReadout((a, b), tuple(tuple(float(x) for x in row) for row in m), False))
    return NoiseModel(gate_noise=entries, durations=dict(prior.durations), relaxation=relaxation, zz=zz,
                      readout=readout, correlated_readout=correlated, preparation=dict(prior.preparation),
                      analog=dict(prior.analog), photonic=dict(prior.photonic))
