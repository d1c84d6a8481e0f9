"""The fit's engine: each run compiled into fused superoperator blocks, the exact distribution
before readout, the readout applied classically, and the multinomial likelihood with its exact
gradient (adjoint through the blocks, direct through the readout)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from qhpc_interop import Barrier, Gate, Instruction, Measure, UnitaryGate

from ..channels import CoherentRotation, NoiseModelError, ThermalRelaxation
from ..model import NoiseModel
from ..schedule import ChannelOp, compact, expand
from .runs import MeasuredRun
from .space import _FLOOR, _crosstalk_matrix, _Depol, _Describe, _probability, _Relax, _Rotation, _Space
from .superops import (
    _Block,
    _Component,
    _depol_superop,
    _kraus_superop,
    _lift,
    _relax_superop,
    _rotation_superop,
    _side_by_side,
    _unitary_superop,
)


@dataclass
class _Compiled:
    """One run ready for the engine."""

    run: MeasuredRun
    n: int
    blocks: list[_Block]
    physical: list[int]  # compact qubit -> physical qubit
    #: measured clbits (ascending) and the compact qubit each one reads
    clbits: list[int]
    readers: list[int]
    counts: np.ndarray  # over outcome index sum_i bit(clbits[i]) 2^i
    params: set[int]
    #: (readout param indices per measured position: p01, p10) and crosstalk pairs within the run
    readout_params: list[tuple[int, int]]
    crosstalk: list[tuple[int, int, tuple[int, int, int, int]]]  # (pos a, pos b, (d01 a<-b, d10 a<-b, d01 b<-a, d10 b<-a))


def _compile(run: MeasuredRun, template: NoiseModel, describe: _Describe, space: _Space) -> _Compiled:
    """The run's noisy program under the template model, as fused superoperator blocks.

    A qubit the program leaves alone that only ZZ crosstalk reaches (a spectator, in |0> all
    along) is not simulated: ``exp(-i a/2 ZZ)`` on its partner and |0> is ``exp(-i a/2 Z)`` on the
    partner alone.
    """
    noisy, physical_all = compact(expand(run.program, template))
    active: set[int] = set()
    for op in noisy.ops:
        if isinstance(op, Instruction):
            if not isinstance(op.operation, Barrier):
                active.update(op.qubits)
        elif op.label != "zz crosstalk":
            active.update(op.qubits)
    keep = sorted(active)
    index = {q: i for i, q in enumerate(keep)}
    physical = [physical_all[q] for q in keep]
    n = len(keep)
    blocks: list[_Block] = []
    last: dict[int, int] = {}  # qubit -> index of the last block on it
    measured: dict[int, int] = {}  # clbit -> qubit (last write)
    params: set[int] = set()
    measured_qubits: set[int] = set()
    for op in noisy.ops:
        if isinstance(op, Instruction):
            operation = op.operation
            if isinstance(operation, Barrier):
                continue
            qubits = tuple(index[q] for q in op.qubits)
            if isinstance(operation, Measure):
                for q, c in zip(qubits, op.clbits):
                    measured[c] = q
                    measured_qubits.add(q)
                continue
            assert isinstance(operation, Gate | UnitaryGate)  # _check_terminal refused the rest
            comp = _Component((), const=_unitary_superop(operation.matrix()))
        else:
            if op.label == "zz crosstalk" and not set(op.qubits) <= active:
                partners = [q for q in op.qubits if q in active]
                if not partners:
                    continue  # between two spectators: a global phase
                qubits = (index[partners[0]],)
                comp = _zz_component(op, physical_all, describe, single=True)
            else:
                qubits = tuple(index[q] for q in op.qubits)
                if measured_qubits.intersection(qubits) and op.label != "zz crosstalk":
                    # the engine reads every qubit at the end: exact when all that follows a qubit's
                    # measurement on it is diagonal (ZZ crosstalk), which commutes with it
                    raise NoiseModelError(f"{run.name}: noise after a measurement ({op.label}); the fit takes "
                                          "programs whose measurements are terminal")
                comp = _channel_component(op, physical_all, describe, space)
            params.update(comp.params)
        # fuse into the latest block on these qubits when the union stays within two qubits (no
        # later block touches them, so the operation commutes with everything in between)
        candidates = [last[q] for q in qubits if q in last]
        target = max(candidates) if candidates else None
        if target is not None and len(set(blocks[target].qubits) | set(qubits)) <= max(2, len(qubits)):
            block = blocks[target]
            merged = tuple(block.qubits) + tuple(q for q in qubits if q not in block.qubits)
            block.qubits = merged
        else:
            block = _Block(tuple(qubits))
            blocks.append(block)
            target = len(blocks) - 1
        comp.positions = tuple(block.qubits.index(q) for q in qubits)
        block.components.append(comp)
        for q in qubits:
            last[q] = target
    for block in blocks:
        block.finish(n)
    clbits = sorted(measured)
    readers = [measured[c] for c in clbits]
    m = len(clbits)
    counts = np.zeros(2**m)
    width = run.program.num_clbits
    for key, value in run.counts.items():
        bits = [int(ch) for ch in reversed(key)]
        if any(bits[c] for c in range(width) if c not in measured):
            raise NoiseModelError(f"{run.name}.counts: bitstring {key!r} sets a clbit no measurement writes")
        counts[sum(bits[c] << i for i, c in enumerate(clbits))] += value
    readout_params = []
    for q in readers:
        pq = physical[q]
        readout_params.append(describe.readout[pq] if pq in describe.readout else (-1, -1))
        if pq in describe.readout:
            params.update(describe.readout[pq])
    crosstalk = []
    position = {physical[q]: i for i, q in enumerate(readers)}
    for (a, b), idx in describe.crosstalk.items():
        if a in position and b in position:
            crosstalk.append((position[a], position[b], idx))
            params.update(idx)
    return _Compiled(run, n, blocks, list(physical), clbits, readers, counts, params, readout_params, crosstalk)


def _channel_component(op: ChannelOp, physical: Sequence[int], describe: _Describe, space: _Space) -> _Component:
    channel = op.channel
    desc = describe.by_channel.get(id(channel))
    if op.label == "idle" and isinstance(channel, ThermalRelaxation):
        q = physical[op.qubits[0]]
        if q in describe.idle:
            t1p, t2p = describe.idle[q]
            relax = _Relax(channel.t1, channel.t2, channel.time, channel.excited_population, t1p, t2p)
            return _Component((), build=partial(_relax_at, relax), params=(*t1p, *t2p), key=("idle", q, channel.time))
    if op.label == "zz crosstalk" and isinstance(channel, CoherentRotation):
        return _zz_component(op, physical, describe, single=False)
    if isinstance(desc, _Depol):
        return _Component((), build=partial(_depol_at, desc), params=desc.params, key=("depol", desc))
    if isinstance(desc, _Relax):
        return _Component((), build=partial(_relax_at, desc), params=(*desc.t1_params, *desc.t2_params),
                          key=("relax", desc))
    if isinstance(desc, tuple):
        parts: tuple[_Relax, ...] = desc
        return _Component((), build=partial(_product_at, parts),
                          params=tuple(dict.fromkeys(i for r in parts for i in (*r.t1_params, *r.t2_params))),
                          key=("product", parts))
    if isinstance(desc, _Rotation):
        return _Component((), build=partial(_rotation_at, desc), params=desc.params, key=("rotation", desc))
    return _Component((), const=_kraus_superop(channel.kraus()))


def _zz_component(op: ChannelOp, physical: Sequence[int], describe: _Describe, single: bool) -> _Component:
    """A ZZ crosstalk rotation (``single``: with a spectator in |0>, a Z rotation of its partner)."""
    channel = op.channel
    assert isinstance(channel, CoherentRotation)
    axis = "Z" if single else "ZZ"
    r = describe.zz.get(frozenset(physical[q] for q in op.qubits))
    if r is None:
        return _Component((), const=_rotation_superop(axis, channel.angle))
    seconds = channel.angle  # the template's rate is 1 rad/s
    return _Component((), build=partial(_zz_at, axis, r, seconds), params=(r,), key=("zz", axis, r, seconds))


def _relax_at(relax: _Relax, theta: np.ndarray) -> np.ndarray:
    t1, t2 = relax.times(theta)
    return _relax_superop(t1, t2, relax.time, relax.excited)


def _depol_at(depol: _Depol, theta: np.ndarray) -> np.ndarray:
    return _depol_superop(depol.p(theta), depol.k)


def _product_at(parts: tuple[_Relax, ...], theta: np.ndarray) -> np.ndarray:
    return _side_by_side([_relax_at(r, theta) for r in parts])


def _rotation_at(rotation: _Rotation, theta: np.ndarray) -> np.ndarray:
    return _rotation_superop(rotation.pauli, rotation.angle(theta))


def _zz_at(axis: str, index: int, seconds: float, theta: np.ndarray) -> np.ndarray:
    return _rotation_superop(axis, float(theta[index]) * seconds)


class _Engine:
    """Likelihood and gradient of the training runs (see the module docstring)."""

    def __init__(self, space: _Space, compiled: list[_Compiled]) -> None:
        self.space = space
        self.compiled = compiled
        self.total_shots = sum(int(c.counts.sum()) for c in compiled)
        self.quantum = np.array([p.quantum for p in space.params], dtype=bool)
        self._cache_key: bytes | None = None
        self._cache: list[np.ndarray] = []

    # -- quantum part --------------------------------------------------------------------------
    def _forward(self, c: _Compiled, theta: np.ndarray, cache: dict[Any, np.ndarray],
                 keep: bool) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        n = c.n
        dim = 2**n
        rho = np.zeros((dim, dim), dtype=complex)
        rho[0, 0] = 1.0
        rho = rho.reshape((2,) * (2 * n))
        states, mats = [], []
        for block in c.blocks:
            s = block.superop(theta, cache)
            if keep:
                states.append(rho)
                mats.append(s)
            rho = block.apply(s, rho)
        diag = np.real(np.diagonal(rho.reshape(dim, dim))).reshape((2,) * n)
        return self._marginal(c, diag), states, mats

    @staticmethod
    def _marginal(c: _Compiled, diag: np.ndarray) -> np.ndarray:
        n = c.n
        keep_axes = [n - 1 - q for q in c.readers]  # position i (clbit order) -> axis
        drop = tuple(a for a in range(n) if a not in keep_axes)
        marg = diag.sum(axis=drop) if drop else diag
        # remaining axes are in increasing axis order; we want axes ordered (pos m-1, ..., pos 0)
        remaining = sorted(keep_axes)
        order = [remaining.index(keep_axes[i]) for i in reversed(range(len(keep_axes)))]
        out = np.transpose(marg, order).reshape(-1)
        return np.clip(out, 0.0, None)

    def quantum_distributions(self, theta: np.ndarray) -> list[np.ndarray]:
        key = theta[self.quantum].tobytes()
        if key != self._cache_key:
            cache: dict[Any, np.ndarray] = {}
            self._cache = [self._forward(c, theta, cache, False)[0] for c in self.compiled]
            self._cache_key = key
        return self._cache

    # -- readout part --------------------------------------------------------------------------
    @staticmethod
    def _readout_ops(c: _Compiled, theta: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray, tuple[int, ...]]]:
        """The readout as a sequence of (positions, matrix, its parameters), applied in order."""
        ops: list[tuple[tuple[int, ...], np.ndarray, tuple[int, ...]]] = []
        for i, (i01, i10) in enumerate(c.readout_params):
            if i01 < 0:
                continue
            p01, p10 = _probability(theta[i01], 0.5), _probability(theta[i10], 0.5)
            ops.append(((i,), np.array([[1 - p01, p10], [p01, 1 - p10]]), (i01, i10)))
        for a, b, idx in c.crosstalk:
            ops.append(((a, b), _crosstalk_matrix([_probability(theta[i], 0.25) for i in idx]), idx))
        return ops

    @staticmethod
    def readout(c: _Compiled, theta: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The recorded distribution from the one before readout."""
        m = len(c.readers)
        t = p.reshape((2,) * m) if m else p
        for pos, mat, _ in _Engine._readout_ops(c, theta):
            t = _apply_classical(t, mat, pos, m)
        return t.reshape(-1)

    @staticmethod
    def readout_gradient(c: _Compiled, theta: np.ndarray, p: np.ndarray, g_rec: np.ndarray,
                         grad: np.ndarray) -> np.ndarray:
        """Adds d(g_rec . rec)/d(readout parameters) to ``grad``; returns ``g_rec`` pulled back
        through the readout (the gradient with respect to the distribution before readout)."""
        m = len(c.readers)
        ops = _Engine._readout_ops(c, theta)
        forward = [p.reshape((2,) * m) if m else p]
        for pos, mat, _ in ops:
            forward.append(_apply_classical(forward[-1], mat, pos, m))
        w = g_rec.reshape((2,) * m) if m else g_rec
        for k in range(len(ops) - 1, -1, -1):
            pos, mat, params = ops[k]
            # d(w . M v)/dM = the local cross matrix K[out, in] = sum_rest w[out, rest] v[in, rest]
            cross = _cross(w, forward[k], pos, m)
            if len(pos) == 1:
                grad[params[0]] += cross[1, 0] - cross[0, 0]  # d/dp01 of [[1-p01, p10], [p01, 1-p10]]
                grad[params[1]] += cross[0, 1] - cross[1, 1]
            else:
                shifts = [_probability(theta[i], 0.25) for i in params]
                for j, i in enumerate(params):
                    h = 1e-6
                    up, down = list(shifts), list(shifts)
                    up[j] += h
                    down[j] -= h
                    deriv = (_crosstalk_matrix(up) - _crosstalk_matrix(down)) / (2 * h)
                    grad[i] += float((deriv * cross).sum())
            w = _apply_classical(w, mat.T, pos, m)
        return w.reshape(-1)

    # -- likelihood ------------------------------------------------------------------------------
    def nll(self, z: np.ndarray) -> float:
        theta = self.space.natural(z)
        total = 0.0
        for c, p in zip(self.compiled, self.quantum_distributions(theta)):
            total += self._run_nll(c, theta, p)
        return total

    @staticmethod
    def _run_nll(c: _Compiled, theta: np.ndarray, p: np.ndarray) -> float:
        rec = _Engine.readout(c, theta, p)
        mask = c.counts > 0
        return float(-(c.counts[mask] * np.log(np.maximum(rec[mask], _FLOOR))).sum())

    def value_and_gradient(self, z: np.ndarray, strength: float) -> tuple[float, np.ndarray]:
        space = self.space
        theta = space.natural(z)
        sigma = np.array([p.sigma for p in space.params])
        grad_theta = np.zeros(len(theta))
        total = 0.0
        cache: dict[Any, np.ndarray] = {}
        derivatives: dict[Any, np.ndarray] = {}
        dists = []
        for c in self.compiled:
            p, states, mats = self._forward(c, theta, cache, True)
            dists.append(p)
            rec = self.readout(c, theta, p)
            safe = np.maximum(rec, _FLOOR)
            mask = c.counts > 0
            total += float(-(c.counts[mask] * np.log(safe[mask])).sum())
            g_rec = np.where(mask, -c.counts / safe, 0.0)
            # readout parameters on the distribution before readout; then the quantum ones, adjoint
            g_true = self.readout_gradient(c, theta, p, g_rec, grad_theta)
            if c.blocks and any(not b.constant for b in c.blocks):
                self._adjoint(c, theta, g_true, states, mats, grad_theta, cache, derivatives)
        self._cache_key = theta[self.quantum].tobytes()
        self._cache = dists
        value = total + strength * float(z @ z)
        grad_z = grad_theta * sigma + 2.0 * strength * z
        return value, grad_z

    def _adjoint(self, c: _Compiled, theta: np.ndarray, g_true: np.ndarray, states: list[np.ndarray],
                 mats: list[np.ndarray], grad: np.ndarray, cache: dict[Any, np.ndarray],
                 derivatives: dict[Any, np.ndarray]) -> None:
        n = c.n
        # the gradient operator: diagonal, g_true of the outcome each basis state reads as
        # axis of qubit q is n-1-q; position i is read by readers[i]
        index = np.indices((2,) * n).reshape(n, -1)
        outcome = np.zeros(index.shape[1], dtype=np.int64)
        for i, q in enumerate(c.readers):
            outcome |= index[n - 1 - q] << i
        diag = g_true[outcome].reshape((2,) * n)
        g = np.diag(diag.reshape(-1).astype(complex)).reshape((2,) * (2 * n))
        sigma_h = 1e-6
        for k in range(len(c.blocks) - 1, -1, -1):
            block = c.blocks[k]
            s = mats[k]
            if not block.constant:
                rho = states[k]
                d2 = s.shape[0]
                gm = g.transpose(block.perm).reshape(d2, -1)
                rm = rho.transpose(block.perm).reshape(d2, -1)
                cross = gm.conj() @ rm.T  # C[alpha, beta] = sum_r conj(G)[alpha, r] rho[beta, r]
                # product rule over the block's groups: D_c = L_c^T C R_c^T
                mats_c = [block.component_matrix(comp, theta, cache) for comp in block.groups]
                right = [np.eye(d2, dtype=complex)]
                for mtx in mats_c[:-1]:
                    right.append(mtx @ right[-1])
                left_acc = np.eye(d2, dtype=complex)
                for j in range(len(mats_c) - 1, -1, -1):
                    comp = block.groups[j]
                    if comp.const is None and comp.params:
                        dmat = left_acc.T @ cross @ right[j].T
                        for i in comp.params:
                            key = (comp.key, comp.positions, block.width, i)
                            deriv = derivatives.get(key)
                            if deriv is None:
                                h = sigma_h * max(self.space.params[i].sigma, 1e-12)
                                up, down = theta.copy(), theta.copy()
                                up[i] += h
                                down[i] -= h
                                assert comp.build is not None
                                deriv = derivatives[key] = (_lift(comp.build(up), comp.positions, block.width)
                                                            - _lift(comp.build(down), comp.positions,
                                                                    block.width)) / (2 * h)
                            grad[i] += float(np.real(np.sum(deriv * dmat)))
                    left_acc = left_acc @ mats_c[j]
            g = block.apply(s.conj().T, g)

    def minimise(self, z0: np.ndarray, strength: float, max_iterations: int) -> tuple[np.ndarray, int]:
        from scipy.optimize import minimize

        scale = 1.0 / max(self.total_shots, 1)
        offset = self.saturated

        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = self.value_and_gradient(z, strength)
            return (value - offset) * scale, grad * scale

        result = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=self.space.bounds(),
                          options={"maxiter": max_iterations, "ftol": 1e-10, "gtol": 1e-7})
        return np.asarray(result.x), int(result.nit)

    @property
    def saturated(self) -> float:
        """The negative log-likelihood of the counts' own frequencies (the least any model reaches)."""
        total = 0.0
        for c in self.compiled:
            counts = c.counts[c.counts > 0]
            total += float(-(counts * np.log(counts / counts.sum())).sum())
        return total


def _cross(w: np.ndarray, v: np.ndarray, positions: tuple[int, ...], m: int) -> np.ndarray:
    """``K[out, in] = sum_rest w[out, rest] v[in, rest]`` over ``positions`` (little-endian index)."""
    k = len(positions)
    axes = [m - 1 - i for i in reversed(positions)]
    rest = [a for a in range(m) if a not in axes]
    wm = np.transpose(w, axes + rest).reshape(2**k, -1)
    vm = np.transpose(v, axes + rest).reshape(2**k, -1)
    return np.asarray(wm @ vm.T)


def _apply_classical(t: np.ndarray, mat: np.ndarray, positions: tuple[int, ...], m: int) -> np.ndarray:
    """Apply ``mat`` (``M[out, in]``, index little-endian over ``positions``) to a tensor over
    ``m`` bits whose axis ``m-1-i`` is position ``i``."""
    k = len(positions)
    axes = [m - 1 - i for i in reversed(positions)]
    tensor = mat.reshape((2,) * (2 * k))
    out = np.tensordot(tensor, t, axes=(list(range(k, 2 * k)), axes))
    return np.moveaxis(out, list(range(k)), axes)
