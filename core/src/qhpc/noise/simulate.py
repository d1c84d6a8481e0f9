"""An exact density-matrix simulation of a :class:`~qhpc.noise.schedule.NoisyCircuit` (numpy only).

It gives the exact readout distribution a noise model predicts for a circuit of up to about ten
qubits, mid-circuit measurements, resets and classical conditions included: each measurement
splits the state into branches by the recorded bits (the quantum state collapses with the true
outcome; the recorded bit follows the readout confusion). It is the oracle of the conformance kit
for noisy backends and the engine of :mod:`qhpc.noise.fit`, which needs many small emulations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qhpc_interop import Barrier, Gate, Instruction, Measure, Reset, UnitaryGate

from .channels import NoiseModelError
from .schedule import ChannelOp, NoisyCircuit

#: The most qubits :func:`distribution` simulates (4^n complex entries per branch).
MAX_QUBITS = 12


def _apply_kraus(rho: np.ndarray, kraus: Sequence[np.ndarray], qubits: Sequence[int], n: int) -> np.ndarray:
    """``sum_k K rho K^+`` for operators little-endian over ``qubits`` of ``n``; ``rho`` has shape (2,)*2n.

    Axis ``n-1-q`` (rows) and ``2n-1-q`` (columns) hold qubit ``q``.
    """
    k = len(qubits)
    row_axes = [n - 1 - q for q in reversed(qubits)]
    col_axes = [2 * n - 1 - q for q in reversed(qubits)]
    out = np.zeros_like(rho)
    for op in kraus:
        tensor = op.reshape([2] * (2 * k))
        left = np.tensordot(tensor, rho, axes=(list(range(k, 2 * k)), row_axes))
        left = np.moveaxis(left, list(range(k)), row_axes)
        right = np.tensordot(tensor.conj(), left, axes=(list(range(k, 2 * k)), col_axes))
        out += np.moveaxis(right, list(range(k)), col_axes)
    return out


def _project(rho: np.ndarray, qubit: int, value: int, n: int) -> np.ndarray:
    """``P rho P`` for the projector on ``qubit`` reading ``value``."""
    index_row: list[slice | int] = [slice(None)] * (2 * n)
    out = np.zeros_like(rho)
    index_row[n - 1 - qubit] = value
    index_row[2 * n - 1 - qubit] = value
    out[tuple(index_row)] = rho[tuple(index_row)]
    return out


def _probability(rho: np.ndarray, n: int) -> float:
    dim = 2**n
    return float(np.real(np.trace(rho.reshape(dim, dim))))


def distribution(noisy: NoisyCircuit, *, cutoff: float = 1e-15) -> dict[str, float]:
    """The exact probability of each recorded bitstring (highest clbit first)."""
    n = noisy.num_qubits
    if n > MAX_QUBITS:
        raise NoiseModelError(f"the density-matrix oracle simulates at most {MAX_QUBITS} qubits, not {n}")
    dim = 2**n
    rho0 = np.zeros((dim, dim), dtype=complex)
    rho0[0, 0] = 1.0
    branches: dict[tuple[int, ...], np.ndarray] = {(0,) * noisy.num_clbits: rho0.reshape([2] * (2 * n))}
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    for op in noisy.ops:
        next_branches: dict[tuple[int, ...], np.ndarray] = {}
        for bits, rho in branches.items():
            condition = op.condition
            if condition is not None and not condition.holds(bits):
                _merge(next_branches, bits, rho)
                continue
            if isinstance(op, ChannelOp):
                _merge(next_branches, bits, _apply_kraus(rho, op.channel.kraus(), op.qubits, n))
                continue
            assert isinstance(op, Instruction)
            operation = op.operation
            if isinstance(operation, Barrier):
                _merge(next_branches, bits, rho)
            elif isinstance(operation, Gate | UnitaryGate):
                _merge(next_branches, bits, _apply_kraus(rho, [operation.matrix()], op.qubits, n))
            elif isinstance(operation, Reset):
                out = rho
                for q in op.qubits:
                    flipped = _apply_kraus(_project(out, q, 1, n), [x], (q,), n)
                    out = _project(out, q, 0, n) + flipped
                _merge(next_branches, bits, out)
            elif isinstance(operation, Measure):
                for sub_bits, sub_rho in _measure(bits, rho, op.qubits, op.clbits, noisy, n):
                    if _probability(sub_rho, n) > cutoff:
                        _merge(next_branches, sub_bits, sub_rho)
            else:  # pragma: no cover - the model has no other operations
                raise NoiseModelError(f"cannot simulate {op}")
        branches = next_branches
    probabilities: dict[str, float] = {}
    for bits, rho in branches.items():
        key = "".join(str(b) for b in reversed(bits))
        probabilities[key] = probabilities.get(key, 0.0) + _probability(rho, n)
    if noisy.correlated_readout:
        probabilities = _correlated(probabilities, noisy, n)
    return {k: v for k, v in probabilities.items() if v > cutoff}


def _merge(into: dict[tuple[int, ...], np.ndarray], bits: tuple[int, ...], rho: np.ndarray) -> None:
    if bits in into:
        into[bits] = into[bits] + rho
    else:
        into[bits] = rho


def _measure(bits: tuple[int, ...], rho: np.ndarray, qubits: Sequence[int], clbits: Sequence[int],
             noisy: NoisyCircuit, n: int) -> list[tuple[tuple[int, ...], np.ndarray]]:
    correlated = {q for c in noisy.correlated_readout for q in c.qubits}
    states = [(bits, rho)]
    for q, c in zip(qubits, clbits):
        error = None if q in correlated else noisy.readout.get(q)  # correlated: applied at the end
        nxt = []
        for b, r in states:
            for true in (0, 1):
                projected = _project(r, q, true, n)
                if error is None:
                    nxt.append((_set(b, c, true), projected))
                    continue
                flip = error.p01 if true == 0 else error.p10
                if flip < 1:
                    nxt.append((_set(b, c, true), projected * (1 - flip)))
                if flip > 0:
                    nxt.append((_set(b, c, 1 - true), projected * flip))
        states = nxt
    return states


def _set(bits: tuple[int, ...], index: int, value: int) -> tuple[int, ...]:
    return (*bits[:index], value, *bits[index + 1:])


def _correlated(probabilities: dict[str, float], noisy: NoisyCircuit, n: int) -> dict[str, float]:
    """Apply correlated readout matrices to the recorded bits of the measured pairs (terminal
    measurements: each qubit's last measurement decides its clbit)."""
    last_clbit: dict[int, int] = {}
    for op in noisy.ops:
        if isinstance(op, Instruction) and isinstance(op.operation, Measure):
            for q, c in zip(op.qubits, op.clbits):
                last_clbit[q] = c
    width = noisy.num_clbits
    for pair in noisy.correlated_readout:
        a, b = pair.qubits
        if a not in last_clbit or b not in last_clbit:
            continue
        ca, cb = last_clbit[a], last_clbit[b]
        m = np.array(pair.matrix)
        out: dict[str, float] = {}
        for key, p in probabilities.items():
            bits = [int(ch) for ch in reversed(key)]
            prepared = bits[ca] + 2 * bits[cb]
            for measured in range(4):
                weight = m[measured, prepared]
                if weight <= 0:
                    continue
                new = list(bits)
                new[ca], new[cb] = measured & 1, measured >> 1
                k2 = "".join(str(v) for v in reversed(new))
                out[k2] = out.get(k2, 0.0) + p * weight
        probabilities = out
        assert len(next(iter(out), "x" * width)) == width
    return probabilities
