"""Exact model recipes for myQLM's gate modifiers: ``ctrl()`` with any number of controls,
``conj()`` (and through it ``trans()``), and ``SQRTSWAP``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop import STANDARD_GATES, Circuit, Gate, Instruction, UnitaryGate
from qhpc_interop.gates import zyz_angles
from qhpc_interop.params import Expr, ParamValue

from ._qat import MAX_CONTROLLED_UNITARY_QUBITS, PI

# model gate -> its singly controlled library gate
_CTRL1 = {
    "x": "cx", "y": "cy", "z": "cz", "h": "ch", "s": "cs", "sdg": "csdg", "sx": "csx", "p": "cp", "u1": "cu1",
    "rx": "crx", "ry": "cry", "rz": "crz", "u3": "cu3", "swap": "cswap", "cx": "ccx", "cz": "ccz",
}
_ROTATION_CTRL = {"rx": "crx", "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp"}


def _local(num_qubits: int, steps: Sequence[tuple[Any, Sequence[int]]], phase: ParamValue = 0.0) -> Circuit:
    out = Circuit(num_qubits=num_qubits, global_phase=phase)
    out.instructions = [Instruction(op, tuple(q)) for op, q in steps]
    return out


def _mc_rotation(kind: str, theta: ParamValue, ctrls: Sequence[int], target: int, out: list[Instruction]) -> None:
    """``kind`` (rx ry rz p) by ``theta`` on ``target``, controlled by all of ``ctrls`` (exact, no ancilla).

    Barenco et al. (1995), lemma 7.9 with V = kind(theta/2): C^k U = C V(c_k, t) C^{k-1}X(c_k) C V^dag(c_k, t)
    C^{k-1}X(c_k) C^{k-1}V(t).
    """
    k = len(ctrls)
    if k == 0:
        out.append(Instruction(Gate("p" if kind == "u1" else kind, (theta,)), (target,)))
        return
    if k == 1:
        out.append(Instruction(Gate(_ROTATION_CTRL[kind], (theta,)), (ctrls[0], target)))
        return
    half = theta / 2
    last, rest = ctrls[-1], ctrls[:-1]
    out.append(Instruction(Gate(_ROTATION_CTRL[kind], (half,)), (last, target)))
    _mcx(rest, last, out)
    out.append(Instruction(Gate(_ROTATION_CTRL[kind], (-half,)), (last, target)))
    _mcx(rest, last, out)
    _mc_rotation(kind, half, rest, target, out)


def _mcx(ctrls: Sequence[int], target: int, out: list[Instruction]) -> None:
    k = len(ctrls)
    if k == 0:
        out.append(Instruction(Gate("x"), (target,)))
    elif k == 1:
        out.append(Instruction(Gate("cx"), (ctrls[0], target)))
    elif k == 2:
        out.append(Instruction(Gate("ccx"), (ctrls[0], ctrls[1], target)))
    else:  # X = H Z H and C^k Z = C^k p(pi)
        out.append(Instruction(Gate("h"), (target,)))
        _mc_rotation("p", PI, ctrls, target, out)
        out.append(Instruction(Gate("h"), (target,)))


def _mc_phase(alpha: ParamValue, ctrls: Sequence[int], out: list[Instruction]) -> None:
    """The phase ``e^{i alpha}`` applied when every control reads 1 (``ctrls`` is not empty)."""
    if not isinstance(alpha, Expr) and alpha == 0.0:
        return
    _mc_rotation("p", alpha, ctrls[:-1], ctrls[-1], out)


def _controlled_u(theta: ParamValue, phi: ParamValue, lam: ParamValue, ctrls: Sequence[int], target: int,
                  out: list[Instruction]) -> None:
    """u(theta, phi, lam) = p(phi) ry(theta) p(lam), exactly; each factor controlled."""
    _mc_rotation("p", lam, ctrls, target, out)
    _mc_rotation("ry", theta, ctrls, target, out)
    _mc_rotation("p", phi, ctrls, target, out)


def _controlled_op(op: Gate | UnitaryGate, ctrls: Sequence[int], targets: Sequence[int], out: list[Instruction]) -> None:
    """``op`` on ``targets`` controlled by every qubit of ``ctrls`` (at least one), exactly."""
    k = len(ctrls)
    if isinstance(op, UnitaryGate):
        m = op.num_qubits
        if m == 1:
            theta, phi, lam, gamma = zyz_angles(op.matrix_data)
            _controlled_u(theta, phi, lam, ctrls, targets[0], out)
            _mc_phase(gamma, ctrls, out)
            return
        if k + m > MAX_CONTROLLED_UNITARY_QUBITS:
            raise TranslationError(f"a {m}-qubit custom gate under {k} control(s) needs a {k + m}-qubit matrix; "
                                   f"the model writes at most {MAX_CONTROLLED_UNITARY_QUBITS}")
        from qhpc_interop.gates import controlled

        out.append(Instruction(UnitaryGate(controlled(op.matrix_data, k), op.label), (*ctrls, *targets)))
        return
    name, params = op.name, op.params
    if name == "id":
        return
    if k == 1 and name in _CTRL1:
        out.append(Instruction(Gate(_CTRL1[name], params), (ctrls[0], *targets)))
        return
    if k == 1 and name == "u":
        out.append(Instruction(Gate("cu", (*params, 0.0)), (ctrls[0], *targets)))
        return
    if k == 1 and name in ("t", "tdg"):
        out.append(Instruction(Gate("cp", (PI / 4 if name == "t" else -PI / 4,)), (ctrls[0], *targets)))
        return
    if k == 2 and name == "z":
        out.append(Instruction(Gate("ccz"), (ctrls[0], ctrls[1], *targets)))
        return
    if name in ("x", "cx", "ccx"):
        _mcx([*ctrls, *targets[:-1]], targets[-1], out)
        return
    if name in _ROTATION_CTRL:
        _mc_rotation(name, params[0], ctrls, targets[0], out)
        return
    if name == "u":
        _controlled_u(params[0], params[1], params[2], ctrls, targets[0], out)
        return
    spec = STANDARD_GATES[name]
    if spec.num_qubits == 1 and not op.is_parameterized:
        theta, phi, lam, gamma = zyz_angles(op.matrix())
        _controlled_u(theta, phi, lam, ctrls, targets[0], out)
        _mc_phase(gamma, ctrls, out)
        return
    definition = spec.definition(params)
    assert definition is not None, name  # every library gate but u and cx has one
    steps, phase = definition
    for step_name, step_params, local in steps:
        _controlled_op(Gate(step_name, step_params), ctrls, [targets[q] for q in local], out)
    _mc_phase(phase, ctrls, out)


def _control(recipe: Circuit, k: int) -> Circuit:
    """``recipe`` controlled by ``k`` new qubits listed first (myQLM's ``ctrl()`` layout)."""
    out: list[Instruction] = []
    ctrls = list(range(k))
    for inst in recipe.instructions:
        op = inst.operation
        assert isinstance(op, (Gate, UnitaryGate))
        _controlled_op(op, ctrls, [k + q for q in inst.qubits], out)
    _mc_phase(recipe.global_phase, ctrls, out)
    result = Circuit(num_qubits=recipe.num_qubits + k)
    result.instructions = out
    return result


# gates whose matrix is real for every (real) parameter: their conjugate is themselves
_REAL_GATES = frozenset({"id", "x", "z", "h", "cx", "cz", "swap", "ccx", "ccz", "cswap", "ry", "cry", "dcx"})
_CONJ_NEGATE = frozenset({"rx", "rz", "p", "u1", "crx", "crz", "cp", "cu1", "rxx", "ryy", "rzz", "rzx"})
_CONJ_SWAP = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "cs": "csdg", "csdg": "cs"}


def _conjugate(recipe: Circuit) -> Circuit:
    """The complex conjugate of ``recipe``'s unitary, exactly (``conj()`` in myQLM)."""
    out: list[Instruction] = []
    phase: ParamValue = -recipe.global_phase

    def conj(op: Gate | UnitaryGate, qubits: tuple[int, ...]) -> None:
        nonlocal phase
        if isinstance(op, UnitaryGate):
            out.append(Instruction(UnitaryGate(op.matrix_data.conj(), op.label), qubits))
            return
        name, params = op.name, op.params
        if name in _REAL_GATES:
            out.append(Instruction(op, qubits))
        elif name == "y":  # Y* = -Y
            out.append(Instruction(op, qubits))
            phase = phase + PI
        elif name in _CONJ_NEGATE:
            out.append(Instruction(Gate(name, (-params[0],)), qubits))
        elif name in _CONJ_SWAP:
            out.append(Instruction(Gate(_CONJ_SWAP[name]), qubits))
        elif name in ("u", "u3"):
            out.append(Instruction(Gate(name, (params[0], -params[1], -params[2])), qubits))
        elif name == "u2":
            out.append(Instruction(Gate(name, (-params[0], -params[1])), qubits))
        else:
            definition = STANDARD_GATES[name].definition(params)
            assert definition is not None, name
            steps, step_phase = definition
            phase = phase - step_phase
            for step_name, step_params, local in steps:
                conj(Gate(step_name, step_params), tuple(qubits[q] for q in local))

    for inst in recipe.instructions:
        op = inst.operation
        assert isinstance(op, (Gate, UnitaryGate))
        conj(op, inst.qubits)
    result = Circuit(num_qubits=recipe.num_qubits, global_phase=phase)
    result.instructions = out
    return result


def _sqrtswap() -> Circuit:
    # eigenvalues of SWAP: 1 (triplet), -1 (singlet); exp(-i pi/8 (XX+YY+ZZ)) gives e^{-i pi/8} and
    # e^{3i pi/8}, so e^{i pi/8} times it is 1 on the triplet and i on the singlet: sqrt(SWAP) exactly
    q = PI / 4
    return _local(2, [(Gate("rxx", (q,)), (0, 1)), (Gate("ryy", (q,)), (0, 1)), (Gate("rzz", (q,)), (0, 1))], PI / 8)
