"""Any unitary as library gates: the quantum Shannon decomposition.

Formats and targets without an arbitrary-unitary gate (OpenQASM 2 and 3, a QPU's native gates) take
a matrix gate as a sequence of ``u``, ``cx``, ``ry`` and ``rz`` whose product is the matrix, global
phase included, to the precision of the floats (about 1e-14 on six qubits). This is the
decomposition of Shende, Bullock and Markov (*Synthesis of quantum logic circuits*, IEEE TCAD 25,
2006), without their CNOT-count optimisations:

* ``U = (L0 + L1) · CS · (R0 + R1)``: the cosine-sine decomposition on the most significant qubit
  (:func:`scipy.linalg.cossin`); ``CS`` is a ``ry`` on that qubit whose angle depends on the
  others (a *multiplexed* rotation);
* a block-diagonal ``A + B`` (``A`` where the top qubit is 0) is ``(I x V) (D + D*) (I x W)`` with
  ``V D^2 V^dagger = A B^dagger`` (its Schur form: ``A B^dagger`` is normal), ``W = D V^dagger B``;
  ``D + D*`` is a multiplexed ``rz``;
* a rotation multiplexed by ``k`` qubits is ``2**k`` rotations and ``2**k`` ``cx`` in Gray-code
  order, the angles the Walsh transform of the wanted ones;
* one-qubit unitaries are ``u`` with the phase that makes them exact (:func:`~qhpc_interop.gates.zyz_angles`).

A ``k``-qubit matrix takes at most ``(3/4) 4**k`` ``cx`` (4**k/2 for k=2: 6; 3,000 for six qubits).
Two-qubit matrices that are a gate under a control (``cirq.MatrixGate(u).controlled()``) or a
product of one-qubit gates are recognised first and written as ``cu`` or two ``u``.
"""

from __future__ import annotations

import math

import numpy as np

from .gates import controlled, zyz_angles
from .ir import Circuit, Gate, Instruction, UnitaryGate
from .params import ParamValue

#: ``(name, params, qubits)``: a library gate on qubits numbered locally (0 the least significant)
Step = tuple[str, tuple[float, ...], tuple[int, ...]]

#: The gates :func:`unitary_steps` writes a matrix in.
SYNTHESIS_GATES = frozenset({"u", "cx", "ry", "rz", "cu"})

#: How close two matrices must be (largest entry difference) for a shortcut form to be taken.
_SAME = 1e-14

#: A multiplexed rotation's angle below this is left out (its effect, at most this much on an
#: entry, is below the rounding of the rest).
_ZERO = 1e-14


#: Decompositions made, by matrix: the feature scan asks a matrix gate's phase (OpenQASM 2 has
#: none to put it in) and the writer its gates; one decomposition serves both. Kept up to
#: :data:`_MADE_KEPT` steps in all (about 40 MB; a six-qubit matrix's decomposition is 6,976 steps).
_MADE: dict[bytes, tuple[tuple[Step, ...], float]] = {}
_MADE_KEPT = 200_000
_made_steps = 0


def unitary_steps(matrix: np.ndarray) -> tuple[list[Step], float]:
    """Library gates whose product, times ``exp(i phase)``, is ``matrix`` (little-endian, ``2**k``
    square, unitary): ``(steps, phase)``."""
    global _made_steps
    m = np.ascontiguousarray(matrix, dtype=complex)
    key = m.tobytes()
    made = _MADE.get(key)
    if made is None:
        k = round(math.log2(m.shape[0]))
        steps: list[Step] = []
        phase = _shortcut(m, k, steps)
        if phase is None:
            phase = _shannon(m, tuple(range(k)), steps)
        if _made_steps + len(steps) > _MADE_KEPT:
            _MADE.clear()
            _made_steps = 0
        made = _MADE[key] = (tuple(steps), phase)
        _made_steps += len(steps)
    return list(made[0]), made[1]


def _shortcut(m: np.ndarray, k: int, steps: list[Step]) -> float | None:
    """A two-qubit ``m`` that is a one-qubit gate under a control (on either qubit, control value 1)
    or a product of one-qubit gates, as ``cu`` or ``u`` and ``u``; the phase, or ``None``."""
    if k != 2:
        return None
    for control, target in ((0, 1), (1, 0)):
        # the target's matrix where the control is 1; the rest must be the identity
        picked = m if control == 0 else m[np.ix_([0, 2, 1, 3], [0, 2, 1, 3])]
        base = picked[np.ix_([1, 3], [1, 3])]
        if np.max(np.abs(controlled(base, 1) - picked)) <= _SAME:
            theta, phi, lam, gamma = zyz_angles(base)
            steps.append(("cu", (theta, phi, lam, gamma), (control, target)))
            return 0.0
    # a product: m = B (x) A with A on qubit 0 (the least significant), read off its largest block
    blocks = m.reshape(2, 2, 2, 2)  # [b_row, a_row, b_col, a_col]
    i, j = divmod(int(np.argmax(np.abs(m))), 4)
    a = blocks[i >> 1, :, j >> 1, :]
    # for a product, |det a| = |b's entry|^2 >= 1/2 (the largest entry of m is b's largest times a's)
    size = abs(np.linalg.det(a))
    if not size >= 0.25:
        return None
    a = a / math.sqrt(size)
    b = blocks[:, i & 1, :, j & 1] / a[i & 1, j & 1]
    if np.max(np.abs(np.kron(b, a) - m)) > _SAME:
        return None
    phase = 0.0
    for qubit, factor in ((0, a), (1, b)):
        theta, phi, lam, gamma = zyz_angles(factor)
        steps.append(("u", (theta, phi, lam), (qubit,)))
        phase += gamma
    return phase


def _shannon(m: np.ndarray, qubits: tuple[int, ...], steps: list[Step]) -> float:
    """Append the gates of ``m`` on ``qubits`` (``qubits[-1]`` the most significant); the phase."""
    if len(qubits) == 1:
        theta, phi, lam, gamma = zyz_angles(m)
        steps.append(("u", (theta, phi, lam), qubits))
        return gamma
    from scipy.linalg import cossin

    half = m.shape[0] // 2
    (l0, l1), angles, (r0, r1) = cossin(m, p=half, q=half, separate=True)
    lower, top = qubits[:-1], qubits[-1]
    phase = _demultiplex(r0, r1, lower, top, steps)
    _multiplexed("ry", 2 * angles, lower, top, steps)
    return phase + _demultiplex(l0, l1, lower, top, steps)


def _demultiplex(a: np.ndarray, b: np.ndarray, lower: tuple[int, ...], top: int, steps: list[Step]) -> float:
    """``a`` on ``lower`` where ``top`` is 0, ``b`` where it is 1: ``(I x V) (D + D*) (I x W)``."""
    from scipy.linalg import schur

    t, v = schur(a @ b.conj().T, output="complex")
    d = np.sqrt(np.diag(t).astype(complex))
    w = d[:, None] * (v.conj().T @ b)
    phase = _shannon(w, lower, steps)
    _multiplexed("rz", -2 * np.angle(d), lower, top, steps)
    return phase + _shannon(v, lower, steps)


def _multiplexed(kind: str, angles: np.ndarray, controls: tuple[int, ...], target: int, steps: list[Step]) -> None:
    """``kind`` (``ry`` or ``rz``) on ``target`` by ``angles[j]`` where ``controls`` read ``j``.

    Rotation ``i`` is conjugated by ``X`` on the branches where ``j & gray(i)`` has odd parity (the
    ``cx`` before it toggle Gray-code bits), so branch ``j`` turns by ``sum_i (-1)^|j & gray(i)|
    phi_i``; that Walsh matrix ``M`` has ``M^T M = 2**k``, so ``phi = M^T angles / 2**k``.
    """
    n = len(angles)
    gray = [i ^ (i >> 1) for i in range(n)]
    signs = np.array([[-1.0 if bin(j & g).count("1") & 1 else 1.0 for g in gray] for j in range(n)])
    phis = signs.T @ np.asarray(angles, dtype=float) / n
    phis[np.abs(phis) < _ZERO] = 0.0
    if not phis[1:].any():  # the same angle on every branch: the cx cancel (each control toggles twice)
        if phis[0]:
            steps.append((kind, (float(phis[0]),), (target,)))
        return
    for i in range(n):
        if phis[i]:
            steps.append((kind, (float(phis[i]),), (target,)))
        if n > 1:
            changed = (gray[i] ^ gray[(i + 1) % n]).bit_length() - 1
            steps.append(("cx", (), (controls[changed], target)))


def unitaries_as_gates(circuit: Circuit, min_qubits: int = 2) -> Circuit:
    """``circuit`` with each matrix gate on ``min_qubits`` or more qubits written as library gates
    (:func:`unitary_steps`), under the same condition; the phase of an unconditioned one joins the
    global phase (a conditioned one's is a phase of that branch alone, which no readout sees).
    ``circuit`` itself where it has none."""
    if not any(type(i.operation) is UnitaryGate and i.operation.num_qubits >= min_qubits
               for i in circuit.instructions):
        return circuit
    out: list[Instruction] = []
    phase: ParamValue = circuit.global_phase
    for inst in circuit.instructions:
        op = inst.operation
        if type(op) is not UnitaryGate or op.num_qubits < min_qubits:
            out.append(inst)
            continue
        steps, gamma = unitary_steps(op.matrix_data)
        out.extend(Instruction(Gate(name, params), tuple(inst.qubits[q] for q in local), (), inst.condition)
                   for name, params, local in steps)
        if inst.condition is None:
            phase = phase + gamma
    result = circuit.copy(instructions=out)
    result.global_phase = phase
    return result
