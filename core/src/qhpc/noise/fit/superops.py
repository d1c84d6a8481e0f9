"""Superoperators on density matrices (row-major vectorised), lifted onto blocks of one to three
qubits and fused: the pieces of the fit's engine."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..channels import ThermalRelaxation, pauli_matrix

_EYE = {k: np.eye(4**k, dtype=complex) for k in (1, 2, 3)}
_VV = {k: np.outer(np.eye(2**k).reshape(-1), np.eye(2**k).reshape(-1)).astype(complex) / 2**k for k in (1, 2, 3)}
_PAULI_PARTS: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _unitary_superop(u: np.ndarray) -> np.ndarray:
    """``rho -> U rho U^+`` on row-major vectorised operators: ``U (x) conj(U)``."""
    return np.kron(u, u.conj())


def _depol_superop(p: float, k: int) -> np.ndarray:
    """``rho -> (1-p) rho + p tr(rho) I/d``."""
    return (1.0 - p) * _EYE[k] + p * _VV[k]


def _relax_superop(t1: float, t2: float, time: float, excited: float) -> np.ndarray:
    """Thermal relaxation (the same map as :class:`~qhpc.noise.channels.ThermalRelaxation`)."""
    if excited != 0.0:
        return _kraus_superop(ThermalRelaxation(t1, t2, time, excited).kraus())
    g = -math.expm1(-time / t1)
    c = math.exp(-time / t2)
    s = np.zeros((4, 4), dtype=complex)
    s[0, 0] = 1.0
    s[0, 3] = g
    s[3, 3] = 1.0 - g
    s[1, 1] = s[2, 2] = c
    return s


def _kraus_superop(kraus: Sequence[np.ndarray]) -> np.ndarray:
    return sum(np.kron(k, k.conj()) for k in kraus)  # type: ignore[return-value]


def _rotation_superop(pauli: str, angle: float) -> np.ndarray:
    """``exp(-i angle/2 P)``: with ``U = c I - i s P``, ``U (x) conj(U) = c^2 II + s^2 P conj(P)
    + i c s (I conj(P) - P I)``."""
    parts = _PAULI_PARTS.get(pauli)
    if parts is None:
        p = pauli_matrix(pauli)
        eye = np.eye(p.shape[0], dtype=complex)
        parts = _PAULI_PARTS[pauli] = (np.kron(eye, eye), np.kron(p, p.conj()),
                                       np.kron(eye, p.conj()) - np.kron(p, eye))
    c, s = math.cos(angle / 2), math.sin(angle / 2)
    return (c * c) * parts[0] + (s * s) * parts[1] + (1j * c * s) * parts[2]


def _side_by_side(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One-qubit superoperators on consecutive qubits (``parts[0]`` on the least significant) as one."""
    width = len(parts)
    out = _lift(parts[0], (0,), width)
    for k, part in enumerate(parts[1:], start=1):
        out = _lift(part, (k,), width) @ out
    return out


_LIFTS: dict[tuple[tuple[int, ...], int], np.ndarray] = {}


def _lift_index(positions: tuple[int, ...], width: int) -> np.ndarray:
    """For lifting: the index into ``append(s.ravel(), 0)`` of each entry of the big superoperator."""
    key = (positions, width)
    hit = _LIFTS.get(key)
    if hit is not None:
        return hit
    k = len(positions)
    d, dk = 2**width, 2**k
    others = [q for q in range(width) if q not in positions]
    big = np.arange(d)
    local = np.zeros(d, dtype=np.int64)
    for m, q in enumerate(positions):
        local |= ((big >> q) & 1) << m
    rest = np.zeros(d, dtype=np.int64)
    for m, q in enumerate(others):
        rest |= ((big >> q) & 1) << m
    # entry ((i, j), (i', j')) of the big map: s[(li, lj), (li', lj')] if the rest bits agree
    i, j, i2, j2 = np.meshgrid(big, big, big, big, indexing="ij")
    ok = (rest[i] == rest[i2]) & (rest[j] == rest[j2])
    src = (local[i] * dk + local[j]) * dk * dk + local[i2] * dk + local[j2]
    index = np.where(ok, src, dk**4).reshape(d * d, d * d)
    _LIFTS[key] = index
    return index


def _lift(s: np.ndarray, positions: tuple[int, ...], width: int) -> np.ndarray:
    """A superoperator on block ``positions`` (its qubit 0 at ``positions[0]``) as one on the
    block's ``width`` qubits."""
    if len(positions) == width and positions == tuple(range(width)):
        return s
    return np.append(s.ravel(), 0.0)[_lift_index(positions, width)]


class _Component:
    """One operation of a block: a constant superoperator, or one built from the parameters."""

    __slots__ = ("build", "const", "key", "params", "positions")

    def __init__(self, positions: tuple[int, ...], const: np.ndarray | None = None,
                 build: Callable[[np.ndarray], np.ndarray] | None = None, params: tuple[int, ...] = (),
                 key: Any = None) -> None:
        self.positions = positions
        self.const = const
        self.build = build
        self.params = params
        self.key = key


class _Block:
    """Consecutive operations on at most two qubits (three for a three-qubit gate), fused."""

    def __init__(self, qubits: tuple[int, ...]) -> None:
        self.qubits = qubits
        self.components: list[_Component] = []

    def finish(self, n: int) -> None:
        k = len(self.qubits)
        self.width = k
        # canonical order of the block's axes in the state tensor: rows of q_{k-1}..q_0, then cols
        self.axes = [n - 1 - q for q in reversed(self.qubits)] + [2 * n - 1 - q for q in reversed(self.qubits)]
        self.rest = [a for a in range(2 * n) if a not in self.axes]
        self.perm = self.axes + self.rest
        self.inverse = list(np.argsort(self.perm))
        # lift every component to the block, fold runs of constant ones into one matrix
        groups: list[_Component] = []
        for comp in self.components:
            if comp.const is not None:
                lifted = _lift(comp.const, comp.positions, k)
                if groups and groups[-1].const is not None:
                    groups[-1].const = lifted @ groups[-1].const  # type: ignore[operator]
                else:
                    groups.append(_Component(tuple(range(k)), const=lifted))
            else:
                groups.append(comp)
        self.groups = groups
        self.params = sorted({i for c in groups for i in c.params})
        self.constant = not self.params
        self.matrix = groups[0].const if self.constant and len(groups) == 1 else None
        if self.constant and self.matrix is None:
            self.matrix = np.eye(4**k, dtype=complex)

    def component_matrix(self, comp: _Component, theta: np.ndarray, cache: dict[Any, np.ndarray]) -> np.ndarray:
        if comp.const is not None:
            return comp.const
        key = (comp.key, comp.positions, self.width)
        hit = cache.get(key)
        if hit is None:
            assert comp.build is not None
            hit = cache[key] = _lift(comp.build(theta), comp.positions, self.width)
        return hit

    def superop(self, theta: np.ndarray, cache: dict[Any, np.ndarray]) -> np.ndarray:
        if self.constant:
            assert self.matrix is not None
            return self.matrix
        out = None
        for comp in self.groups:
            m = self.component_matrix(comp, theta, cache)
            out = m if out is None else m @ out
        assert out is not None
        return out

    def apply(self, s: np.ndarray, rho: np.ndarray) -> np.ndarray:
        d2 = s.shape[0]
        shape = rho.shape
        flat = rho.transpose(self.perm).reshape(d2, -1)
        out = (s @ flat).reshape([shape[a] for a in self.perm])
        return out.transpose(self.inverse)
