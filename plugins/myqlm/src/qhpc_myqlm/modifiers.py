"""Exact model recipes for myQLM's gate modifiers: ``ctrl()`` with any number of controls,
``conj()`` (and through it ``trans()``), and ``SQRTSWAP``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop import STANDARD_GATES, Circuit, Gate, Instruction, UnitaryGate
from qhpc_interop.controls import ControlError
from qhpc_interop.controls import control as control_definition
from qhpc_interop.gates import Definition, controlled, zyz_angles
from qhpc_interop.params import ParamValue

from ._qat import MAX_CONTROLLED_UNITARY_QUBITS, PI

# model rotation -> its singly controlled library gate (the reader's fast path for ctrl(RX(t)))
_ROTATION_CTRL = {"rx": "crx", "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp"}


def _local(num_qubits: int, steps: Sequence[tuple[Any, Sequence[int]]], phase: ParamValue = 0.0) -> Circuit:
    out = Circuit(num_qubits=num_qubits, global_phase=phase)
    out.instructions = [Instruction(op, tuple(q)) for op, q in steps]
    return out


def _controlled_definition(definition: Definition, k: int) -> Definition:
    try:
        return control_definition(definition, k)
    except ControlError as exc:
        raise TranslationError(f"a gate under {k} controls: {exc}") from None


def _emit(definition: Definition, wires: Sequence[int], out: list[Instruction]) -> None:
    out.extend(Instruction(Gate(name, params), tuple(wires[q] for q in qubits)) for name, params, qubits in definition[0])


def _controlled_op(op: Gate | UnitaryGate, ctrls: Sequence[int], targets: Sequence[int], out: list[Instruction]) -> None:
    """``op`` on ``targets`` controlled by every qubit of ``ctrls`` (at least one), exactly: library
    gates by :func:`qhpc_interop.controls.control`, a one-qubit matrix as its ``u`` and phase, a
    larger matrix as the controlled matrix."""
    k = len(ctrls)
    wires = (*ctrls, *targets)
    if isinstance(op, UnitaryGate):
        m = op.num_qubits
        if m == 1:
            theta, phi, lam, gamma = zyz_angles(op.matrix_data)
            _emit(_controlled_definition(([("u", (theta, phi, lam), (0,))], gamma), k), wires, out)
            return
        if k + m > MAX_CONTROLLED_UNITARY_QUBITS:
            raise TranslationError(f"a {m}-qubit custom gate under {k} control(s) needs a {k + m}-qubit matrix; "
                                   f"the model writes at most {MAX_CONTROLLED_UNITARY_QUBITS}")
        out.append(Instruction(UnitaryGate(controlled(op.matrix_data, k), op.label), tuple(wires)))
        return
    _emit(_controlled_definition(([(op.name, op.params, tuple(range(op.num_qubits)))], 0.0), k), wires, out)


def _control(recipe: Circuit, k: int) -> Circuit:
    """``recipe`` controlled by ``k`` new qubits listed first (myQLM's ``ctrl()`` layout)."""
    out: list[Instruction] = []
    ctrls = list(range(k))
    for inst in recipe.instructions:
        op = inst.operation
        assert isinstance(op, (Gate, UnitaryGate))
        _controlled_op(op, ctrls, [k + q for q in inst.qubits], out)
    _emit(_controlled_definition(([], recipe.global_phase), k), ctrls, out)
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
