"""Translation between Cirq's ``cirq.Circuit`` and the qhpc program model, both ways.

Conventions (stable; the tests hold the code to them):

* **Qubits.** Model qubit ``i`` is the ``i``-th qubit of ``sorted(circuit.all_qubits())``, Cirq's
  own default order (``cirq.QubitOrder.DEFAULT``). ``LineQubit``, ``GridQubit`` and ``NamedQubit``
  are read; each one's identity is kept in ``metadata["qubits"]``, one plain-JSON entry per model
  qubit (``{"type": "LineQubit", "x": 3}``, ``{"type": "GridQubit", "row": 1, "col": 2}``,
  ``{"type": "NamedQubit", "name": "a"}``), and the export rebuilds exactly those qubits. A model
  circuit without that entry exports to ``cirq.LineQubit(i)``; qubits it never touches get one
  ``cirq.IdentityGate`` so that the width survives.
* **Matrices.** Cirq's matrices are big-endian in the order an operation lists its qubits, the
  model's little-endian (the first listed qubit is the least significant bit); ``MatrixGate`` and
  ``UnitaryGate`` are converted between the two.
* **Measurement keys.** Each key becomes a classical register named by the key, registers in order
  of first appearance in the circuit (``circuit.all_operations()`` order), one clbit per measured
  qubit in the order the measurement lists them (the key's first qubit is the register's bit 0; a
  counts bitstring therefore shows it rightmost, whereas Cirq's integer value of the key has it as
  the most significant bit). Keys of the form ``name[i]`` that each measure one qubit (what the
  export writes for bits measured one at a time; ``i`` as Python writes it, below 100,000) are
  read back as bit ``i`` of one register ``name`` (bits no key measures read 0), unless a key
  ``name`` exists as well; such registers are named in ``metadata["cirq_bit_keys"]`` and written
  back as the same keys.
  The export writes one ``cirq.measure(*qubits, key=register)`` where every measurement into a
  register measures the whole register at once, in register order; every other measurement gets
  the key ``register[index]`` (clbits in no register belong to a register ``c``; a register named
  like such a key makes the key take a ``_`` suffix). A clbit written twice reuses its key
  (Cirq's repeated keys; conditions read the latest value). Reading, a key measured again on as
  many qubits writes the same clbits again: the model, like Qiskit, keeps the latest value of
  each clbit, which is what Cirq's conditions read, and the reading says so with a
  ``ConversionLossWarning`` (Cirq's ``records`` keep every instance; a program that reads earlier
  instances there should give each measurement its own key). A condition on an earlier record
  (``index=0`` of a key measured twice) and a key measured again on another number of qubits are
  refused.
* **invert_mask** is read exactly as ``X`` on the inverted qubits, the measurement, and ``X`` on
  them again: the same record, the same state after it (a final state vector or density matrix
  sees it), and the key measured at once, so it is written back as one key.
  Confusion maps (noisy readout) are refused.
* **Conditions.** ``KeyCondition`` on a one-qubit key, ``BitMaskKeyCondition`` with ``==`` (or
  ``!=`` on one bit) and ``SympyCondition`` of the forms ``Eq(key, value)`` / ``Ne(key, 0)`` on a
  one-bit key are read into the model's :class:`~qhpc_interop.Condition`; several conditions on an
  operation are joined (all must hold). "key != 0" over several bits cannot be held (refused). The
  export writes ``KeyCondition`` for "this one-bit key is 1" and ``BitMaskKeyCondition(key,
  target_value=..., equal_target=True, bitmask=...)`` otherwise, one per key involved; bits no
  measurement has written yet read 0 and are folded into the condition (Cirq cannot read a bit no
  measurement wrote). A global phase under a classical condition is dropped: in each shot the
  condition's bits are known, so it multiplies the whole state and cannot be observed.
* **Gates.** Each Cirq gate maps to the exactly equal library gate (global phase included, kept in
  the circuit's global phase: ``cirq.X**t`` is ``rx(pi t)`` and a phase ``pi t/2``) or an exact
  sequence of library gates; symbolic exponents (sympy) become model parameters and the export
  writes them back as sympy. A gate with neither a library form nor symbols becomes a
  :class:`~qhpc_interop.UnitaryGate` (up to :data:`MAX_UNITARY_QUBITS` qubits).
  ``ControlledGate``/``ControlledOperation`` (any control values, 0-controls and sums of products
  included) are read exactly: one control on library gates, two on X and Z, otherwise a
  ``UnitaryGate`` (without symbols). ``CircuitOperation`` is flattened by Cirq's own
  ``mapped_circuit`` (qubit map, key map, parameter resolver, repetitions and repetition ids).
* **Export.** Every library gate becomes the Cirq gate equal to it (see :data:`SINGLE_OP_GATES`)
  or an exact short sequence (``dcx``, ``rzx``, ``cu``, ``cu3``, ``xx_minus_yy``); ``ecr`` and
  ``rccx``, which no Cirq gate equals, become ``MatrixGate``. The global phase becomes one
  ``cirq.GlobalPhaseGate``. Barriers are dropped (Cirq has none), conditioned measurements refused
  (a skipped measurement leaves no record in Cirq). Operations go to the earliest moment their
  qubits and keys allow (Cirq's EARLIEST), except that measurements stay in program order.
"""

from __future__ import annotations

import cmath
import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import cirq
import numpy as np
import sympy
from qhpc.errors import TranslationError
from qhpc_interop import (
    MEASURE,
    RESET,
    STANDARD_GATES,
    Circuit,
    Condition,
    Gate,
    Instruction,
    Parameter,
    Register,
    UnitaryGate,
)
from qhpc_interop.controls import ControlError
from qhpc_interop.controls import control as control_definition
from qhpc_interop.errors import warn_loss
from qhpc_interop.gates import controlled
from qhpc_interop.ir import BARRIER, MAX_READ_BITS, Barrier, Measure, Reset, expand_gate, new_gate, new_instruction
from qhpc_interop.params import Apply, Expr, ParamValue, apply

PI = math.pi
#: circuit metadata: the registers read from Cirq keys ``name[i]``, one per bit, written back so
BIT_KEYS = "cirq_bit_keys"
#: Gates without a library form become a UnitaryGate up to this many qubits (a 2^n x 2^n matrix).
MAX_UNITARY_QUBITS = 6

__all__ = ["MAX_UNITARY_QUBITS", "circuit_from_cirq", "circuit_to_cirq", "little_endian", "qubit_from_json",
           "qubit_to_json"]


class _Refused(Exception):
    """An operation the model cannot hold; the walk adds where it is and raises TranslationError."""


_NEVER = object()  # a condition that can never hold


def little_endian(matrix: np.ndarray) -> np.ndarray:
    """A big-endian (Cirq) matrix over ``k`` qubits as the model's little-endian one (and back)."""
    m = np.asarray(matrix)
    k = m.shape[0].bit_length() - 1
    if k <= 1:
        return m
    axes = list(range(k - 1, -1, -1)) + list(range(2 * k - 1, k - 1, -1))
    return m.reshape([2] * (2 * k)).transpose(axes).reshape(m.shape)


# -- qubits ----------------------------------------------------------------------------------


def qubit_to_json(q: Any) -> dict[str, Any]:
    """The plain-JSON identity of a Cirq qubit (``LineQubit``, ``GridQubit`` or ``NamedQubit``)."""
    t = type(q)
    if t is cirq.LineQubit:
        return {"type": "LineQubit", "x": int(q.x)}
    if t is cirq.GridQubit:
        return {"type": "GridQubit", "row": int(q.row), "col": int(q.col)}
    if t is cirq.NamedQubit:
        return {"type": "NamedQubit", "name": str(q.name)}
    raise TranslationError(f"qubit {q!r} is a {t.__name__}; the qhpc model reads LineQubit, GridQubit and "
                           f"NamedQubit (two-level qubits whose identity it can record)")


def qubit_from_json(entry: Any) -> Any:
    """The Cirq qubit recorded by :func:`qubit_to_json` (``ValueError`` if ``entry`` is not one)."""
    if not isinstance(entry, dict):
        raise ValueError(f"not a qubit entry: {entry!r}")
    kind = entry.get("type")
    if kind == "LineQubit" and _is_int(entry.get("x")):
        return cirq.LineQubit(entry["x"])
    if kind == "GridQubit" and _is_int(entry.get("row")) and _is_int(entry.get("col")):
        return cirq.GridQubit(entry["row"], entry["col"])
    if kind == "NamedQubit" and isinstance(entry.get("name"), str):
        return cirq.NamedQubit(entry["name"])
    raise ValueError(f"not a qubit entry: {entry!r}")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _qubits_for(circuit: Circuit) -> list[Any]:
    """The Cirq qubits of a model circuit: those its metadata records, else ``LineQubit(i)``."""
    meta = circuit.metadata.get("qubits") if circuit.metadata else None
    if isinstance(meta, list) and len(meta) == circuit.num_qubits:
        try:
            qubits = [qubit_from_json(e) for e in meta]
        except ValueError:
            qubits = []
        if len(qubits) == circuit.num_qubits and len(set(qubits)) == len(qubits):
            return qubits
    return cirq.LineQubit.range(circuit.num_qubits)


# -- parameters ------------------------------------------------------------------------------

_SYMPY_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "exp": "exp", "log": "log", "Abs": "abs",
}


def param_from_sympy(e: Any) -> ParamValue:
    """A sympy expression (or number) as a model parameter value (symbols become parameters by name)."""
    if isinstance(e, sympy.Symbol):
        return Parameter(e.name)
    if not isinstance(e, sympy.Basic):
        return _real(e)
    if e.is_number:
        return _real(complex(e), e)
    if isinstance(e, sympy.Add):
        return _fold("+", [param_from_sympy(a) for a in e.args])
    if isinstance(e, sympy.Mul):
        return _fold("*", [param_from_sympy(a) for a in e.args])
    if isinstance(e, sympy.Pow):
        base, exponent = e.args
        return apply("**", param_from_sympy(base), param_from_sympy(exponent))
    name = type(e).__name__
    if name in _SYMPY_FUNCTIONS and len(e.args) == 1:
        return apply(_SYMPY_FUNCTIONS[name], param_from_sympy(e.args[0]))
    raise _Refused(f"parameter expression {e} uses {name}, which the model does not hold")


#: The largest gate argument (exponent or angle) read. Beyond it an angle (pi times an exponent)
#: may not be a finite float, and none has a meaning: a float's spacing there is far above a period.
LARGEST_ARGUMENT = 1e300


def _real(z: Any, shown: Any = None) -> float:
    if isinstance(z, complex):
        if abs(z.imag) > 1e-12:
            raise _Refused(f"gate argument {shown if shown is not None else z} is complex; the model holds real ones")
        z = z.real
    if isinstance(z, bool) or not isinstance(z, numbers.Real):
        raise _Refused(f"gate argument {z!r} is not a real number or a sympy expression")
    try:
        out = float(z)
    except OverflowError:  # an integer or fraction beyond any float
        out = math.inf
    if out - out != 0.0:
        if isinstance(z, numbers.Rational) or isinstance(z, np.integer):
            raise _Refused(f"gate argument {shown if shown is not None else z} is too large to be an angle")
        raise _Refused(f"gate argument {shown if shown is not None else z} is not a finite number")
    if not -LARGEST_ARGUMENT <= out <= LARGEST_ARGUMENT:
        raise _Refused(f"gate argument {shown if shown is not None else z} is too large to be an angle "
                       f"(over {LARGEST_ARGUMENT:g})")
    return out


def _fold(op: str, args: list[ParamValue]) -> ParamValue:
    out = args[0]
    for a in args[1:]:
        out = apply(op, out, a)
    return out


_TO_SYMPY_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin,
    "acos": sympy.acos, "atan": sympy.atan, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
}
_TO_SYMPY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def param_to_sympy(value: ParamValue) -> Any:
    """A model parameter value as a float or a sympy expression (parameters become symbols by name)."""
    if not isinstance(value, Expr):
        return value
    if isinstance(value, Parameter):
        return sympy.Symbol(value.name)
    assert isinstance(value, Apply)
    args = [param_to_sympy(a) for a in value.args]
    if value.op in _TO_SYMPY_OPERATORS:
        return _TO_SYMPY_OPERATORS[value.op](*args)
    return _TO_SYMPY_FUNCTIONS[value.op](args[0])


# -- cirq -> model: gate handlers ------------------------------------------------------------
#
# Each handler appends the gate's exact model form on model qubits ``qs`` to ``r.out`` and adds any
# global phase to ``r.phase``. The relations are checked against cirq.unitary in the tests.

#: ``Gate(name, params)`` unchecked: the handlers have already made the arguments floats or expressions
#: of a library gate's arity (a third of the import time on 100,000 gates)
_G = new_gate
_FIXED = {name: Gate(name) for name, spec in STANDARD_GATES.items() if not spec.param_names}
_I = new_instruction


def _exponent_phase(r: _Reader, t: ParamValue, factor: float) -> None:
    """Add ``pi * t * factor`` to the global phase (nothing when ``factor`` is 0)."""
    if factor:
        r.phase = r.phase + PI * factor * t


def _xpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int):
        name = _X_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            return
    t = r.value(e)
    r.out.append(_I(_G("rx", (PI * t,)), qs))
    _exponent_phase(r, t, 0.5 + s)


_X_NAMES = {1: "x", -1: "x", 0.5: "sx", -0.5: "sxdg"}


def _ypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and (e == 1 or e == -1) and type(e) in (float, int):
        r.out.append(_I(_FIXED["y"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("ry", (PI * t,)), qs))
    _exponent_phase(r, t, 0.5 + s)


_Z_NAMES = {1: "z", -1: "z", 0.5: "s", -0.5: "sdg", 0.25: "t", -0.25: "tdg"}


def _zpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if type(e) in (float, int):
        name = _Z_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            if s:
                r.phase = r.phase + PI * e * s
            return
    t = r.value(e)
    r.out.append(_I(_G("p", (PI * t,)), qs))
    _exponent_phase(r, t, s)


def _rot(name: str) -> Callable[[_Reader, Any, tuple[int, ...]], None]:
    def handler(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
        rads = getattr(g, "_rads", None)
        if rads is None:  # pragma: no cover - a Cirq without Rx._rads
            rads = g.exponent * (sympy.pi if isinstance(g.exponent, sympy.Basic) else PI)
        r.out.append(_I(_G(name, (r.value(rads),)), qs))

    return handler


def _hpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and (e == 1 or e == -1) and type(e) in (float, int):
        r.out.append(_I(_FIXED["h"], qs))
        return
    # H = Ry(pi/4) Z Ry(-pi/4), so H^t = Ry(pi/4) Z^t Ry(-pi/4) exactly
    t = r.value(e)
    r.out.append(_I(_G("ry", (-PI / 4,)), qs))
    r.out.append(_I(_G("p", (PI * t,)), qs))
    r.out.append(_I(_G("ry", (PI / 4,)), qs))
    _exponent_phase(r, t, s)


def _cxpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1, 0.5):
        r.out.append(_I(_FIXED["cx" if e != 0.5 else "csx"], qs))
        return
    t = r.value(e)
    # controlled(X^t) = controlled(e^{i pi t/2} rx(pi t)) = cu(pi t, -pi/2, pi/2, pi t/2)
    r.out.append(_I(_G("cu", (PI * t, -PI / 2, PI / 2, PI * t / 2)), qs))
    _exponent_phase(r, t, s)


def _cypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["cy"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("cu", (PI * t, 0.0, 0.0, PI * t / 2)), qs))  # ry(theta) = u(theta, 0, 0)
    _exponent_phase(r, t, s)


_CZ_NAMES = {1: "cz", -1: "cz", 0.5: "cs", -0.5: "csdg"}


def _czpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int):
        name = _CZ_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            return
    t = r.value(e)
    r.out.append(_I(_G("cp", (PI * t,)), qs))
    _exponent_phase(r, t, s)


def _swappow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["swap"], qs))
        return
    # SWAP^t = e^{i pi t/4} exp(-i pi t/4 (XX + YY + ZZ))
    t = r.value(e)
    r.out.append(_I(_G("xx_plus_yy", (PI * t, 0.0)), qs))
    r.out.append(_I(_G("rzz", (PI * t / 2,)), qs))
    _exponent_phase(r, t, s + 0.25)


def _iswappow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and e == 1 and type(e) in (float, int):
        r.out.append(_I(_FIXED["iswap"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("xx_plus_yy", (-PI * t, 0.0)), qs))  # ISWAP^t = exp(+i pi t/4 (XX + YY))
    _exponent_phase(r, t, s)


def _pauli2(name: str) -> Callable[[_Reader, Any, tuple[int, ...]], None]:
    def handler(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
        t = r.value(g.exponent)
        r.out.append(_I(_G(name, (PI * t,)), qs))  # PP^t = e^{i pi t/2} exp(-i pi t/2 PP)
        _exponent_phase(r, t, 0.5 + g.global_shift)

    return handler


def _ccz_steps(r: _Reader, t: ParamValue, qs: tuple[int, ...]) -> None:
    """CCZ^t (a doubly controlled phase pi t) from controlled phases and CNOTs, exactly."""
    a, b, c = qs
    half = PI * t / 2
    r.out.append(_I(_G("cp", (half,)), (b, c)))
    r.out.append(_I(_FIXED["cx"], (a, b)))
    r.out.append(_I(_G("cp", (-half,)), (b, c)))
    r.out.append(_I(_FIXED["cx"], (a, b)))
    r.out.append(_I(_G("cp", (half,)), (a, c)))


def _cczpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["ccz"], qs))
        return
    t = r.value(e)
    _ccz_steps(r, t, qs)
    _exponent_phase(r, t, s)


def _ccxpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["ccx"], qs))
        return
    t = r.value(e)
    target = (qs[2],)
    r.out.append(_I(_FIXED["h"], target))  # X^t = H Z^t H
    _ccz_steps(r, t, qs)
    r.out.append(_I(_FIXED["h"], target))
    _exponent_phase(r, t, s)


def _ccypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    t = r.value(g.exponent)
    target = (qs[2],)
    # Y^t = S H Z^t H S^dagger
    r.out.append(_I(_FIXED["sdg"], target))
    r.out.append(_I(_FIXED["h"], target))
    _ccz_steps(r, t, qs)
    r.out.append(_I(_FIXED["h"], target))
    r.out.append(_I(_FIXED["s"], target))
    _exponent_phase(r, t, g.global_shift)


def _cswap(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    r.out.append(_I(_FIXED["cswap"], qs))


def _phasedx(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # Z^p X^t Z^-p = e^{i pi t (1/2 + s)} r(pi t, pi p)
    t, p = r.value(g.exponent), r.value(g.phase_exponent)
    r.out.append(_I(_G("r", (PI * t, PI * p)), qs))
    _exponent_phase(r, t, 0.5 + g.global_shift)


def _phasedxz(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # Z^z Z^a X^x Z^-a = e^{i pi x/2} p(pi z) r(pi x, pi a), and p(l) u(t, f, m) = u(t, f + l, m),
    # r(t, f) = u(t, f - pi/2, pi/2 - f): one u (one gate in the target, not two)
    x, z, a = g.x_exponent, g.z_exponent, g.axis_phase_exponent
    # three floats in range (the random circuits' case) skip the checks (compared only once all
    # three are known to be floats; nan is out of range)
    if not (type(x) is float and type(z) is float and type(a) is float and -LARGEST_ARGUMENT <= x <= LARGEST_ARGUMENT
            and -LARGEST_ARGUMENT <= z <= LARGEST_ARGUMENT and -LARGEST_ARGUMENT <= a <= LARGEST_ARGUMENT):
        x, z, a = r.value(x), r.value(z), r.value(a)
    r.out.append(_I(_G("u", (PI * x, PI * a - PI / 2 + PI * z, PI / 2 - PI * a)), qs))
    r.phase = r.phase + PI * 0.5 * x


def _phasediswap(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    t, p = r.value(g.exponent), r.value(g.phase_exponent)
    r.out.append(_I(_G("xx_plus_yy", (-PI * t, 2 * PI * p)), qs))
    _exponent_phase(r, t, g.global_shift)


def _fsim(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    theta, phi = r.value(g.theta), r.value(g.phi)
    r.out.append(_I(_G("xx_plus_yy", (2 * theta, 0.0)), qs))
    r.out.append(_I(_G("cp", (-phi,)), qs))


def _phasedfsim(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    theta, zeta, chi, gamma, phi = (r.value(v) for v in (g.theta, g.zeta, g.chi, g.gamma, g.phi))
    a, b = qs
    r.out.append(_I(_G("xx_plus_yy", (2 * theta, zeta + chi)), qs))
    r.out.append(_I(_G("rz", (zeta - gamma,)), (a,)))
    r.out.append(_I(_G("rz", (-zeta - gamma,)), (b,)))
    r.out.append(_I(_G("cp", (-phi,)), qs))
    r.phase = r.phase - gamma


def _global_phase(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    coefficient = g.coefficient
    if isinstance(coefficient, sympy.Basic) and coefficient.free_symbols:
        # e^{i x}: sympy writes it exp(I*x)
        if isinstance(coefficient, sympy.exp):
            angle = sympy.expand(coefficient.args[0] / sympy.I)
            if angle.is_real is not False and not angle.has(sympy.I):
                r.phase = r.phase + r.value(angle)
                return
        raise _Refused(f"global phase {coefficient} is not of the form exp(I*x) with x real")
    z = complex(coefficient)
    if abs(abs(z) - 1) > 1e-9:
        raise _Refused(f"global phase coefficient {z} does not have modulus 1")
    r.phase = r.phase + cmath.phase(z)


#: Library gates no Cirq gate equals, which the export writes as their ``MatrixGate`` (read back as
#: themselves, so that they stay gates a text format can write; filled in on first use).
_MATRIX_GATES: dict[int, list[tuple[np.ndarray, str]]] = {}


def _matrix(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    m = little_endian(cirq.unitary(g))
    if not _MATRIX_GATES:
        for name in ("ecr", "rccx"):
            spec = STANDARD_GATES[name]
            _MATRIX_GATES.setdefault(2**spec.num_qubits, []).append((spec.matrix(), name))
    for library, name in _MATRIX_GATES.get(m.shape[0], ()):
        if np.allclose(m, library, rtol=0.0, atol=1e-12):
            r.out.append(_I(_FIXED[name], qs))
            return
    r.out.append(_I(UnitaryGate(m), qs))


def _identity(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    gate = _FIXED["id"]
    r.out.extend(_I(gate, (q,)) for q in qs)


def _wait(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # the model has no timing: a barrier on the qubits (nothing moves across it), announced
    r.out.append(_I(BARRIER, qs))
    r.waits.append(str(g.duration))


def _parallel(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    sub = g.sub_gate
    k = cirq.num_qubits(sub)
    for i in range(0, len(qs), k):
        r.gate(sub, qs[i:i + k])


def _reset(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    r.out.append(_I(RESET, qs))


def _measure(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    if g.confusion_map:
        raise _Refused("a measurement with a confusion map (noisy readout) cannot be held by the model")
    key = str(g.mkey)
    bits = r.key_bits.get(key)
    r.key_count[key] = r.key_count.get(key, 0) + 1
    if bits is None:
        start = r.num_clbits
        bits = r.key_bits[key] = tuple(range(start, start + len(qs)))
        r.num_clbits += len(qs)
    elif len(bits) != len(qs):
        # a key measured again writes its bits again (what the export writes for a clbit measured twice)
        raise _Refused(f"measurement key {key!r} is measured again on {len(qs)} qubit(s) where it was on "
                       f"{len(bits)}; the model keeps one register per key (give each measurement its own key)")
    # inverted qubits are flipped before the measurement and back after it, the measurement itself
    # kept whole (the export writes a key measured at once as one measurement, so it keeps its key)
    flipped = [q for i, q in enumerate(qs) if i < len(g.invert_mask) and g.invert_mask[i]]
    r.out.extend(_I(_FIXED["x"], (q,)) for q in flipped)
    r.out.extend(_I(MEASURE, (q,), (c,)) for q, c in zip(qs, bits))
    r.out.extend(_I(_FIXED["x"], (q,)) for q in flipped)


_GATE_HANDLERS: dict[type, Callable[[_Reader, Any, tuple[int, ...]], None]] = {}


def _register_handlers() -> None:
    from cirq.ops import pauli_gates

    table: dict[Any, Callable[[_Reader, Any, tuple[int, ...]], None]] = {
        cirq.XPowGate: _xpow, pauli_gates._PauliX: _xpow,
        cirq.YPowGate: _ypow, pauli_gates._PauliY: _ypow,
        cirq.ZPowGate: _zpow, pauli_gates._PauliZ: _zpow,
        cirq.Rx: _rot("rx"), cirq.Ry: _rot("ry"), cirq.Rz: _rot("rz"),
        cirq.HPowGate: _hpow,
        cirq.CXPowGate: _cxpow, cirq.CYPowGate: _cypow, cirq.CZPowGate: _czpow,
        cirq.SwapPowGate: _swappow, cirq.ISwapPowGate: _iswappow,
        cirq.XXPowGate: _pauli2("rxx"), cirq.YYPowGate: _pauli2("ryy"), cirq.ZZPowGate: _pauli2("rzz"),
        cirq.MSGate: _pauli2("rxx"),
        cirq.CCXPowGate: _ccxpow, cirq.CCYPowGate: _ccypow, cirq.CCZPowGate: _cczpow, cirq.CSwapGate: _cswap,
        cirq.PhasedXPowGate: _phasedx, cirq.PhasedXZGate: _phasedxz, cirq.PhasedISwapPowGate: _phasediswap,
        cirq.FSimGate: _fsim, cirq.PhasedFSimGate: _phasedfsim,
        cirq.GlobalPhaseGate: _global_phase, cirq.MatrixGate: _matrix,
        cirq.IdentityGate: _identity, cirq.WaitGate: _wait, cirq.ParallelGate: _parallel,
        cirq.ResetChannel: _reset, cirq.MeasurementGate: _measure,
    }
    _GATE_HANDLERS.update(table)


_register_handlers()

#: Model gate -> its singly controlled library gate (parameters: the same, or as the lambda says).
_CONTROLLED1: dict[str, tuple[str, Callable[[tuple[ParamValue, ...]], tuple[ParamValue, ...]]]] = {
    name: (cname, lambda p: p) for name, cname in {
        "x": "cx", "y": "cy", "z": "cz", "h": "ch", "s": "cs", "sdg": "csdg", "sx": "csx", "rx": "crx",
        "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp", "u3": "cu3", "swap": "cswap", "cx": "ccx", "cz": "ccz",
    }.items()
}
_CONTROLLED1["u"] = ("cu", lambda p: (*p, 0.0))


def _describe(op: Any) -> str:
    text = repr(op.gate) if type(op) is cirq.GateOperation else str(op).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."


# -- cirq -> model: the walk -----------------------------------------------------------------


class _Reader:
    """Walks a Cirq circuit (and, recursively, sub-circuits and sub-operations) into model instructions."""

    def __init__(self, qubit_index: dict[Any, int]) -> None:
        self.qi = qubit_index
        #: the durations of the cirq.WaitGates read past (the model has no timing)
        self.waits: list[str] = []
        self.out: list[Instruction] = []
        self.phase: ParamValue = 0.0
        self.key_bits: dict[str, tuple[int, ...]] = {}
        #: key -> how many measurements have written it so far (Cirq's repeated keys)
        self.key_count: dict[str, int] = {}
        self.num_clbits = 0
        self._sympy: dict[Any, ParamValue] = {}

    def value(self, v: Any) -> ParamValue:
        t = type(v)
        if t is float or t is int:
            if -LARGEST_ARGUMENT <= v <= LARGEST_ARGUMENT:  # (false for nan too)
                return float(v)
            return _real(v)  # refused by name: not finite, or too large
        if isinstance(v, sympy.Basic):
            out = self._sympy.get(v)
            if out is None:
                out = self._sympy[v] = param_from_sympy(v)
            return out
        return _real(v)

    # the walk -------------------------------------------------------------------------------
    def moments(self, moments: Iterable[Any]) -> None:
        handlers = _GATE_HANDLERS
        qi = self.qi
        gate_operation, controlled_operation = cirq.GateOperation, cirq.ControlledOperation
        for m, moment in enumerate(moments):
            for op in moment.operations:
                try:
                    kind = type(op)
                    if kind is gate_operation:
                        gate = op.gate
                        handler = handlers.get(type(gate))
                        if handler is not None:
                            qubits = op.qubits
                            n = len(qubits)
                            if n == 1:
                                handler(self, gate, (qi[qubits[0]],))
                            elif n == 2:
                                handler(self, gate, (qi[qubits[0]], qi[qubits[1]]))
                            else:
                                handler(self, gate, tuple([qi[q] for q in qubits]))
                            continue
                    elif kind is controlled_operation:
                        self._controlled(op)
                        continue
                    self.operation(op)
                except _Refused as exc:
                    raise _Refused(f"moment {m} ({_describe(op)}): {exc}") from None

    def gate(self, gate: Any, qs: tuple[int, ...]) -> None:
        handler = _GATE_HANDLERS.get(type(gate))
        if handler is not None:
            handler(self, gate, qs)
        else:
            self._other(gate.on(*[self._qubit(q) for q in qs]), qs)

    def _qubit(self, index: int) -> Any:
        if not hasattr(self, "_by_index"):
            self._by_index = {i: q for q, i in self.qi.items()}
        return self._by_index[index]

    def operation(self, op: Any) -> None:
        """Any operation (the fast path in :meth:`moments` takes plain gate operations first)."""
        if isinstance(op, cirq.TaggedOperation):
            self.operation(op.sub_operation)
            return
        if isinstance(op, cirq.GateOperation):
            qs = tuple(self.qi[q] for q in op.qubits)
            handler = _GATE_HANDLERS.get(type(op.gate))
            if handler is not None:
                handler(self, op.gate, qs)
            else:
                self._other(op, qs)
        elif isinstance(op, cirq.ClassicallyControlledOperation):
            self._classically_controlled(op)
        elif isinstance(op, cirq.CircuitOperation):
            self._circuit_operation(op)
        elif isinstance(op, cirq.ControlledOperation):
            self._controlled(op)
        else:
            self._other(op, tuple(self.qi[q] for q in op.qubits))

    def _other(self, op: Any, qs: tuple[int, ...]) -> None:
        """A gate or operation with no library form: its unitary, if it has one and no symbols."""
        if cirq.is_parameterized(op):
            raise _Refused("a symbolic gate with no exact form in the model (resolve its parameters first)")
        if cirq.is_measurement(op):
            raise _Refused("this kind of measurement cannot be held by the model (it measures in the "
                           "computational basis only; use cirq.measure)")
        if not cirq.has_unitary(op):
            raise _Refused("the operation is not unitary (a noise channel?) and the model cannot hold it")
        if len(qs) > MAX_UNITARY_QUBITS:
            raise _Refused(f"no library form and {len(qs)} qubits (a unitary is kept up to {MAX_UNITARY_QUBITS}); "
                           f"decompose it first, e.g. with cirq.decompose")
        if not qs:
            self.phase = self.phase + cmath.phase(complex(cirq.unitary(op)[0, 0]))
            return
        self.out.append(_I(UnitaryGate(little_endian(cirq.unitary(op))), qs))

    # structure -------------------------------------------------------------------------------
    def _circuit_operation(self, op: Any) -> None:
        if op.repeat_until is not None:
            raise _Refused("a CircuitOperation repeated until a condition holds (a loop) cannot be held by the model")
        if _has_bitmask_condition(op.circuit):
            raise _Refused("Cirq 1.7 flattens a BitMaskKeyCondition inside a CircuitOperation wrongly (its key "
                           "is rescoped and its mask and target dropped); use KeyCondition or SympyCondition there")
        self.moments(op.mapped_circuit(deep=False).moments)

    def _classically_controlled(self, op: Any) -> None:
        condition = self.condition(op.classical_controls)
        start, phase = len(self.out), self.phase
        self.operation(op.without_classical_controls())
        self.phase = phase  # a phase under a classical condition is unobservable (see the module docstring)
        if condition is None:
            return
        if condition is _NEVER:
            del self.out[start:]
            return
        assert isinstance(condition, Condition)
        body = self.out[start:]
        read = set(condition.clbits)
        for inst in body[:-1]:
            if read.intersection(inst.clbits):
                raise _Refused("the operation writes a bit its own condition reads before it ends")
        conditioned = []
        for inst in body:
            c = condition if inst.condition is None else _join(condition, inst.condition, self.key_bits)
            if c is _NEVER:
                continue
            assert isinstance(c, Condition)
            conditioned.append(_I(inst.operation, inst.qubits, inst.clbits, c))
        self.out[start:] = conditioned

    def _controlled(self, op: Any) -> None:
        controls = [self.qi[q] for q in op.controls]
        values = op.control_values
        # one control on 1 (how Cirq holds Qiskit's cp, crz, cry, ch): no assignments to expand
        single = len(controls) == 1 and type(values) is cirq.ProductOfSums and tuple(values) == ((1,),)
        assignments = [(1,)] if single else _control_assignments(values, len(controls))
        start, phase = len(self.out), self.phase
        self.phase = 0.0
        sub = op.sub_operation
        handler = _GATE_HANDLERS.get(type(sub.gate)) if type(sub) is cirq.GateOperation else None
        if handler is not None:
            handler(self, sub.gate, tuple([self.qi[q] for q in sub.qubits]))
        else:
            self.operation(sub)
        body, sub_phase = self.out[start:], self.phase
        self.phase = phase
        if single and len(body) == 1 and type(sub_phase) is float and sub_phase == 0.0:
            # one phase-free library gate with a singly controlled form: that form, directly
            inst = body[0]
            gate = inst.operation
            if type(gate) is Gate and inst.condition is None:
                entry = _CONTROLLED1.get(gate.name)
                if entry is not None:
                    self.out[start] = _I(_G(entry[0], entry[1](gate.params)), (controls[0], *inst.qubits))
                    return
        del self.out[start:]
        for inst in body:
            if not isinstance(inst.operation, (Gate, UnitaryGate)) or inst.condition is not None:
                raise _Refused(f"a controlled {inst.name} cannot be held by the model")
        for assignment in assignments:
            active = [c for c, v in zip(controls, assignment) if v is not None]
            flips = [c for c, v in zip(controls, assignment) if v == 0]
            for c in flips:
                self.out.append(_I(_FIXED["x"], (c,)))
            self._emit_controlled(body, sub_phase, active, op)
            for c in flips:
                self.out.append(_I(_FIXED["x"], (c,)))

    def _emit_controlled(self, body: list[Instruction], phase: ParamValue, controls: list[int], op: Any) -> None:
        """``body`` times ``e^{i phase}``, controlled on every qubit of ``controls`` being 1, exactly."""
        k = len(controls)
        if k == 0:
            self.out.extend(body)
            self.phase = self.phase + phase
            return
        if k == 1:
            c = controls[0]
            for inst in body:
                self._control1(inst, c)
            if phase != 0.0:
                self.out.append(_I(Gate("p", (phase,)), (c,)))
            return
        if k == 2 and all(isinstance(i.operation, Gate) and i.name in ("x", "z", "id") for i in body):
            for inst in body:
                if inst.name != "id":
                    self.out.append(_I(_FIXED["ccx" if inst.name == "x" else "ccz"], (*controls, *inst.qubits)))
            if phase != 0.0:
                self.out.append(_I(Gate("cp", (phase,)), tuple(controls)))
            return
        if isinstance(phase, Expr) or any(i.operation.is_parameterized for i in body):
            # symbolic: the exact multi-controlled forms of the library gates, parameters kept
            targets = sorted({q for inst in body for q in inst.qubits})
            local = {q: i for i, q in enumerate(targets)}
            steps = [(i.name, i.params, tuple(local[q] for q in i.qubits)) for i in body]
            if any(isinstance(i.operation, UnitaryGate) for i in body):
                raise _Refused(f"a matrix gate beside symbolic gates under {k} controls has no exact form in the model")
            wires = (*controls, *targets)
            try:
                controlled_steps = control_definition((steps, phase), k)[0]
            except ControlError as exc:
                raise _Refused(f"{k} controls on a symbolic gate: {exc}") from None
            for name, params, qubits in controlled_steps:
                self.out.append(_I(Gate(name, params), tuple(wires[q] for q in qubits)))
            return
        targets = sorted({q for inst in body for q in inst.qubits})
        if k + len(targets) > MAX_UNITARY_QUBITS:
            raise _Refused(f"{k} controls on a gate with no controlled library form span {k + len(targets)} qubits "
                           f"(a unitary is kept up to {MAX_UNITARY_QUBITS}); decompose it first")
        local = {q: i for i, q in enumerate(targets)}
        sub = Circuit(len(targets), global_phase=float(phase))
        sub.instructions = [_I(i.operation, tuple(local[q] for q in i.qubits)) for i in body]
        from qhpc_interop.testing import circuit_unitary

        matrix = controlled(circuit_unitary(sub), k)
        self.out.append(_I(UnitaryGate(matrix), (*controls, *targets)))

    def _control1(self, inst: Instruction, c: int) -> None:
        op = inst.operation
        if isinstance(op, UnitaryGate):
            self.out.append(_I(UnitaryGate(controlled(op.matrix_data, 1)), (c, *inst.qubits)))
            return
        assert isinstance(op, Gate)
        if op.name == "id":
            return
        entry = _CONTROLLED1.get(op.name)
        if entry is not None:
            # the parameters are the model gate's own, already checked: the unchecked constructor
            self.out.append(_I(_G(entry[0], entry[1](op.params)), (c, *inst.qubits)))
            return
        steps, phase = expand_gate(op, inst.qubits)  # definitions bottom out in u, cx and p
        for step in steps:
            self._control1(step, c)
        if phase != 0.0:
            self.out.append(_I(Gate("p", (phase,)), (c,)))

    # conditions ------------------------------------------------------------------------------
    def condition(self, conditions: Sequence[Any]) -> Any:
        """The model Condition for Cirq conditions that must all hold; ``None`` (always) or ``_NEVER``."""
        required: dict[int, int] = {}
        for cond in conditions:
            for bit, value in self._condition_bits(cond):
                if bit < 0:
                    return _NEVER
                if required.setdefault(bit, value) != value:
                    return _NEVER
        return _make_condition(required, self.key_bits)

    def _key(self, key: Any, index: int) -> tuple[int, ...]:
        bits = self.key_bits.get(str(key))
        if bits is None:
            raise _Refused(f"condition on measurement key {str(key)!r}, which no earlier measurement writes")
        if index != -1 and not (index == 0 and self.key_count.get(str(key)) == 1):
            raise _Refused(f"condition on record {index} of key {str(key)!r}, measured "
                           f"{self.key_count.get(str(key))} time(s) so far; the model keeps the latest value of "
                           "each bit")
        return bits

    def _condition_bits(self, cond: Any) -> list[tuple[int, int]]:
        """``(clbit, value)`` pairs that must all hold; ``[(-1, 0)]`` for never, ``[]`` for always."""
        if isinstance(cond, cirq.KeyCondition):
            bits = self._key(cond.key, cond.index)
            if len(bits) != 1:
                raise _Refused(f"condition {cond} (key != 0 over {len(bits)} bits) cannot be held by the model, "
                               f"whose conditions compare bits for equality")
            return [(bits[0], 1)]
        if isinstance(cond, cirq.BitMaskKeyCondition):
            bits = self._key(cond.key, cond.index)
            n = len(bits)
            full = (1 << n) - 1
            mask = full if cond.bitmask is None else cond.bitmask & full
            target = cond.target_value
            if target < 0:
                raise _Refused(f"condition {cond} compares with a negative value")
            outside = target & ~mask
            if cond.equal_target:
                if outside:
                    return [(-1, 0)]
            else:
                if outside:
                    return []
                if bin(mask).count("1") != 1:
                    raise _Refused(f"condition {cond} (!= over several bits) cannot be held by the model, whose "
                                   f"conditions compare bits for equality")
                target ^= mask  # one bit: != v is == not v
            # bit j of Cirq's value is the key's qubit n-1-j (the first measured qubit is the most significant)
            return [(bits[n - 1 - j], (target >> j) & 1) for j in range(n) if mask >> j & 1]
        if isinstance(cond, cirq.SympyCondition):
            return self._sympy_condition(cond)
        raise _Refused(f"condition {cond} ({type(cond).__name__}) cannot be held by the model")

    def _sympy_condition(self, cond: Any) -> list[tuple[int, int]]:
        expr = cond.expr
        if isinstance(expr, sympy.Symbol):
            expr = sympy.Ne(expr, 0)
        if isinstance(expr, (sympy.Eq, sympy.Ne)):
            left, right = expr.args
            if isinstance(left, sympy.Integer):
                left, right = right, left
            if isinstance(left, sympy.Symbol) and isinstance(right, sympy.Integer):
                bits = self._key(cirq.MeasurementKey.parse_serialized(left.name), -1)
                n, value = len(bits), int(right)
                if isinstance(expr, sympy.Eq):
                    if not 0 <= value < 1 << n:
                        return [(-1, 0)]
                    return [(bits[n - 1 - j], (value >> j) & 1) for j in range(n)]
                if n == 1 and value in (0, 1):
                    return [(bits[0], 1 - value)]
                if not 0 <= value < 1 << n:
                    return []
        raise _Refused(f"condition {cond.expr} cannot be held by the model (it reads Eq(key, value), "
                       f"or Ne(key, 0) on a one-bit key)")


def _make_condition(required: dict[int, int], key_bits: dict[str, tuple[int, ...]]) -> Condition | None:
    if not required:
        return None
    bits = tuple(sorted(required))
    value = sum(required[b] << i for i, b in enumerate(bits))
    register = next((k for k, v in key_bits.items() if v == bits), None)
    return Condition(bits, value, register)


def _join(a: Condition, b: Condition, key_bits: dict[str, tuple[int, ...]]) -> Any:
    required = {c: (a.value >> i) & 1 for i, c in enumerate(a.clbits)}
    for i, c in enumerate(b.clbits):
        v = (b.value >> i) & 1
        if required.setdefault(c, v) != v:
            return _NEVER
    return _make_condition(required, key_bits)


def _control_assignments(values: Any, n: int) -> list[tuple[int | None, ...]]:
    """Control assignments whose union is when the gate acts: per control 0, 1 or None (not a control)."""
    if isinstance(values, cirq.ProductOfSums):
        single: list[int | None] = []
        for allowed in values:
            options = set(allowed)
            if not options <= {0, 1} or not options:
                raise _Refused(f"control values {sorted(options)} are not qubit values")
            single.append(None if options == {0, 1} else options.pop())
        return [tuple(single)]
    products: dict[tuple[int | None, ...], None] = {}
    for product in values.expand():
        product = tuple(product)
        if len(product) != n or not set(product) <= {0, 1}:
            raise _Refused(f"control values {product} are not qubit values")
        products[product] = None
    return list(products)


def _has_bitmask_condition(circuit: Any) -> bool:
    for op in circuit.all_operations():
        while isinstance(op, cirq.TaggedOperation):
            op = op.sub_operation
        if isinstance(op, cirq.ClassicallyControlledOperation):
            if any(isinstance(c, cirq.BitMaskKeyCondition) for c in op.classical_controls):
                return True
            op = op.without_classical_controls()
        if isinstance(op, cirq.CircuitOperation) and _has_bitmask_condition(op.circuit):
            return True
    return False


_INDEXED_KEY = re.compile(r"^(.+)\[(\d+)\]$")


def _registers(reader: _Reader, instructions: list[Instruction]
               ) -> tuple[list[Register], int, list[Instruction], list[str]]:
    """The classical registers for the keys read, grouping one-qubit keys ``name[i]`` into ``name``
    (``i`` written as Python writes it, below the readers' size limit), and the names grouped."""
    keys = reader.key_bits
    groups: dict[str, dict[int, int]] = {}
    for key, bits in keys.items():
        match = _INDEXED_KEY.match(key)
        if match and len(bits) == 1 and str(int(match.group(2))) == match.group(2) \
                and int(match.group(2)) < MAX_READ_BITS:
            groups.setdefault(match.group(1), {})[int(match.group(2))] = bits[0]
    groups = {name: members for name, members in groups.items() if name not in keys}
    if not groups:
        return [Register(k, bits) for k, bits in keys.items()], reader.num_clbits, instructions, []
    # lay the registers out again, in order of first appearance, each group sized by its largest index
    grouped_key = {f"{name}[{i}]": name for name, members in groups.items() for i in members}
    renumber: dict[int, int] = {}
    registers: list[Register] = []
    done: set[str] = set()
    total = 0
    for key, bits in keys.items():
        name = grouped_key.get(key)
        if name is None:
            new = tuple(range(total, total + len(bits)))
            renumber.update(zip(bits, new))
            registers.append(Register(key, new))
            total += len(bits)
        elif name not in done:
            done.add(name)
            members = groups[name]
            size = max(members) + 1
            for i, old in members.items():
                renumber[old] = total + i
            registers.append(Register(name, tuple(range(total, total + size))))
            total += size
    by_bits = {r.bits: r.name for r in registers}
    out = []
    for inst in instructions:
        if inst.clbits or inst.condition is not None:
            cond = inst.condition
            if cond is not None:
                pairs = sorted((renumber[c], (cond.value >> i) & 1) for i, c in enumerate(cond.clbits))
                bits = tuple(c for c, _ in pairs)
                cond = Condition(bits, sum(v << i for i, (_, v) in enumerate(pairs)), by_bits.get(bits))
            inst = _I(inst.operation, inst.qubits, tuple(renumber[c] for c in inst.clbits), cond)
        out.append(inst)
    return registers, total, out, sorted(groups)


def circuit_from_cirq(program: Any) -> Circuit:
    """The model circuit for a ``cirq.Circuit`` (or ``FrozenCircuit``); see the module docstring."""
    try:
        qubits = sorted(program.all_qubits())
        meta = [qubit_to_json(q) for q in qubits]
        reader = _Reader({q: i for i, q in enumerate(qubits)})
        reader.moments(program.moments)
    except _Refused as exc:
        raise TranslationError(str(exc)) from None
    registers, num_clbits, out, per_bit = _registers(reader, reader.out)
    metadata: dict[str, Any] = {"qubits": meta}
    if per_bit:
        # registers read from keys name[i]: written back to Cirq as those keys (one per bit)
        metadata[BIT_KEYS] = per_bit
    circuit = Circuit(num_qubits=len(qubits), num_clbits=num_clbits, global_phase=reader.phase,
                      cregs=registers, metadata=metadata)
    circuit.instructions = out
    again = {key: n for key, n in reader.key_count.items() if n > 1}
    if again:
        shown = ", ".join(f"{key!r} ({n} times)" for key, n in list(again.items())[:3])
        warn_loss(f"the model keeps the latest value of each classical bit, so of the measurement keys measured "
                  f"more than once, {shown}{' and more' if len(again) > 3 else ''}, only the latest record is kept "
                  "(Cirq's records keep each)")
    if reader.waits:
        shown = ", ".join(reader.waits[:3]) + (f" and {len(reader.waits) - 3} more" if len(reader.waits) > 3 else "")
        warn_loss(f"the program model holds no timing, so reading drops {len(reader.waits)} cirq.WaitGate(s) "
                  f"({shown}), each read as a barrier on its qubits")
    return circuit


# -- model -> cirq ---------------------------------------------------------------------------


def _big_endian_gate(matrix: np.ndarray) -> Any:
    m = little_endian(matrix)
    return cirq.MatrixGate(m, qid_shape=(2,) * (m.shape[0].bit_length() - 1), unitary_check=False)


class _Writer:
    """Builds Cirq operations for model instructions; ``phase`` collects the global phase (model values)."""

    def __init__(self) -> None:
        self.ops: list[Any] = []
        self.phase: ParamValue = 0.0
        self._sympy: dict[Expr, Any] = {}

    def c(self, v: ParamValue) -> Any:
        """A model value as a Cirq argument (float or sympy)."""
        if not isinstance(v, Expr):
            return v
        out = self._sympy.get(v)
        if out is None:
            out = self._sympy[v] = param_to_sympy(v)
        return out

    def e(self, v: ParamValue) -> Any:
        """An angle (radians) as a Cirq exponent (half turns)."""
        if type(v) is float:
            return v / PI
        return self.c(v) / sympy.pi


_W = Callable[[_Writer, tuple[ParamValue, ...], list[Any]], None]


def _phased_xz(w: _Writer, theta: ParamValue, phi: ParamValue, lam: ParamValue) -> Any:
    """PhasedXZ equal to ``e^{i theta/2} u(theta, phi, lambda)``."""
    return cirq.PhasedXZGate(x_exponent=w.e(theta), z_exponent=w.e(phi + lam),
                             axis_phase_exponent=0.5 - w.e(lam))


def _w_u(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, phi, lam = p
    w.ops.append(_phased_xz(w, theta, phi, lam).on(*q))
    w.phase = w.phase - theta / 2


def _w_cu(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, phi, lam, gamma = p if len(p) == 4 else (*p, 0.0)
    w.ops.append(cirq.ControlledGate(_phased_xz(w, theta, phi, lam)).on(*q))
    # C(e^{i theta/2} u) = p(theta/2) on the control times C(u)
    correction = gamma - theta / 2
    if correction != 0.0:
        w.ops.append(cirq.ZPowGate(exponent=w.e(correction)).on(q[0]))


def _w_rzx(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.H(q[1]))
    w.ops.append(cirq.ZZPowGate(exponent=w.e(p[0]), global_shift=-0.5).on(*q))
    w.ops.append(cirq.H(q[1]))


def _w_xx_plus_yy(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, beta = p
    w.ops.append(cirq.PhasedISwapPowGate(phase_exponent=w.e(beta) / 2, exponent=-w.e(theta)).on(*q))


def _w_xx_minus_yy(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.X(q[0]))  # X on the first qubit maps the |01>,|10> block onto |00>,|11>
    _w_xx_plus_yy(w, p, q)
    w.ops.append(cirq.X(q[0]))


def _w_dcx(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.CNOT(q[0], q[1]))
    w.ops.append(cirq.CNOT(q[1], q[0]))


def _one(make: Callable[[_Writer, tuple[ParamValue, ...]], Any]) -> _W:
    def writer(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
        w.ops.append(make(w, p).on(*q))

    writer.single = True  # type: ignore[attr-defined]  # one operation, no phase: its result can be reused
    return writer


#: Parameterless model gates and the exactly equal Cirq gate.
_FIXED_EXPORT: dict[str, Any] = {}
#: Parameterised model gates (and parameterless ones with no single Cirq gate) and their exact writers.
_EXPORT: dict[str, _W] = {
    "rx": _one(lambda w, p: cirq.rx(w.c(p[0]))),
    "ry": _one(lambda w, p: cirq.ry(w.c(p[0]))),
    "rz": _one(lambda w, p: cirq.rz(w.c(p[0]))),
    "p": _one(lambda w, p: cirq.ZPowGate(exponent=w.e(p[0]))),
    "u1": _one(lambda w, p: cirq.ZPowGate(exponent=w.e(p[0]))),
    "r": _one(lambda w, p: cirq.PhasedXPowGate(phase_exponent=w.e(p[1]), exponent=w.e(p[0]), global_shift=-0.5)),
    "u": _w_u,
    "u3": _w_u,
    "u2": lambda w, p, q: _w_u(w, (PI / 2, *p), q),
    "crx": _one(lambda w, p: cirq.ControlledGate(cirq.rx(w.c(p[0])))),
    "cry": _one(lambda w, p: cirq.ControlledGate(cirq.ry(w.c(p[0])))),
    "crz": _one(lambda w, p: cirq.ControlledGate(cirq.rz(w.c(p[0])))),
    "cp": _one(lambda w, p: cirq.CZPowGate(exponent=w.e(p[0]))),
    "cu1": _one(lambda w, p: cirq.CZPowGate(exponent=w.e(p[0]))),
    "cu": _w_cu,
    "cu3": _w_cu,
    "rxx": _one(lambda w, p: cirq.XXPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "ryy": _one(lambda w, p: cirq.YYPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "rzz": _one(lambda w, p: cirq.ZZPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "rzx": _w_rzx,
    "xx_plus_yy": _w_xx_plus_yy,
    "xx_minus_yy": _w_xx_minus_yy,
    "dcx": _w_dcx,
}


def _fill_fixed() -> None:
    _FIXED_EXPORT.update({
        "id": cirq.I, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "h": cirq.H, "s": cirq.S,
        "sdg": cirq.ZPowGate(exponent=-0.5), "t": cirq.T, "tdg": cirq.ZPowGate(exponent=-0.25),
        "sx": cirq.XPowGate(exponent=0.5), "sxdg": cirq.XPowGate(exponent=-0.5),
        "cx": cirq.CNOT, "cy": cirq.CY, "cz": cirq.CZ, "ch": cirq.ControlledGate(cirq.H),
        "cs": cirq.CZPowGate(exponent=0.5), "csdg": cirq.CZPowGate(exponent=-0.5), "csx": cirq.CXPowGate(exponent=0.5),
        "swap": cirq.SWAP, "iswap": cirq.ISWAP, "ccx": cirq.TOFFOLI, "ccz": cirq.CCZ, "cswap": cirq.FREDKIN,
        # no Cirq gate is exactly these; their matrices are
        "ecr": _big_endian_gate(STANDARD_GATES["ecr"].matrix()),
        "rccx": _big_endian_gate(STANDARD_GATES["rccx"].matrix()),
    })
    missing = set(STANDARD_GATES) - set(_FIXED_EXPORT) - set(_EXPORT)
    assert not missing, f"no Cirq export for {sorted(missing)}"


_fill_fixed()
_ONE_OP = frozenset(name for name, writer in _EXPORT.items() if getattr(writer, "single", False))

#: Model gates the export writes as one Cirq gate (what a Cirq simulator runs natively).
SINGLE_OP_GATES = frozenset(set(_FIXED_EXPORT) | (set(_EXPORT) - {"rzx", "xx_minus_yy", "dcx", "cu", "cu3"}))


class _Readout:
    """Where each clbit's final value is in a Cirq result: ``(key, instance, position)`` or ``None``."""

    def __init__(self, num_clbits: int) -> None:
        self.latest: list[tuple[str, int, int] | None] = [None] * num_clbits
        self.widths: dict[str, int] = {}
        self.instances: dict[str, int] = {}


def _clbit_names(circuit: Circuit) -> tuple[dict[int, tuple[str, int]], dict[str, tuple[int, ...]]]:
    """clbit -> (register, index) (its first register; clbits in none belong to a register ``c``)."""
    names: dict[int, tuple[str, int]] = {}
    registers: dict[str, tuple[int, ...]] = {}
    for reg in circuit.cregs:
        registers.setdefault(reg.name, reg.bits)
        for i, b in enumerate(reg.bits):
            names.setdefault(b, (reg.name, i))
    loose = tuple(b for b in range(circuit.num_clbits) if b not in names)
    if loose:
        taken = {r.name for r in (*circuit.cregs, *circuit.qregs)}
        name = "c"
        while name in taken:
            name += "_"
        registers[name] = loose
        for i, b in enumerate(loose):
            names[b] = (name, i)
    return names, registers


def _export(circuit: Circuit, *, global_phase: bool = True) -> tuple[Any, _Readout]:
    """The Cirq circuit and where its clbits are read; ``global_phase=False`` leaves the phase out
    (simulators: it cannot change a readout, and cirq.DensityMatrixSimulator fails on a
    ``GlobalPhaseGate`` in Cirq 1.7)."""
    qubits = _qubits_for(circuit)
    w = _Writer()
    w.phase = circuit.global_phase
    ops = w.ops
    readout = _Readout(circuit.num_clbits)
    instructions = circuit.instructions
    names, registers = _clbit_names(circuit) if circuit.num_clbits else ({}, {})
    per_bit = circuit.metadata.get(BIT_KEYS) or ()
    whole = _whole_keys(instructions, names, registers, per_bit) if circuit.num_clbits else set()
    used: set[int] = set()
    made: dict[tuple[str, tuple[int, ...]], Any] = {}
    made_p: dict[tuple[str, tuple[ParamValue, ...], tuple[int, ...]], Any] = {}
    fixed, export = _FIXED_EXPORT, _EXPORT
    k, n = 0, len(instructions)
    while k < n:
        inst = instructions[k]
        op = inst.operation
        t = type(op)
        if t is Barrier:
            k += 1
            continue  # Cirq has no barrier
        cond = inst.condition
        start, phase = len(ops), w.phase
        controls: Any = None
        if cond is not None:
            if t is Measure:
                raise TranslationError(f"instruction {k} ({inst}): a conditioned measurement cannot be written "
                                       f"for Cirq (a skipped measurement leaves no record there)")
            controls = _cirq_conditions(cond, readout)  # read before this instruction writes anything
            if controls is _NEVER:
                k += 1
                continue
        used.update(inst.qubits)
        if t is Gate:
            gate = fixed.get(op.name)
            if gate is not None:
                # operations are immutable values: one per (gate, qubits) serves every occurrence
                key = (op.name, inst.qubits)
                cop = made.get(key)
                if cop is None:
                    cop = made[key] = gate.on(*[qubits[i] for i in inst.qubits])
                ops.append(cop)
            elif op.name in _ONE_OP:
                # the same for single-gate writers (no phase to add): repeated angles are common
                pkey = (op.name, op.params, inst.qubits)
                cop = made_p.get(pkey)
                if cop is None:
                    export[op.name](w, op.params, [qubits[i] for i in inst.qubits])
                    cop = made_p[pkey] = ops[-1]
                else:
                    ops.append(cop)
            else:
                export[op.name](w, op.params, [qubits[i] for i in inst.qubits])
            if cond is not None:
                w.phase = phase  # a phase under a classical condition is unobservable
                if controls:
                    ops[start:] = [o.with_classical_controls(*controls) for o in ops[start:]]
            k += 1
            continue
        qs = [qubits[i] for i in inst.qubits]
        if t is Measure:
            k = _write_measure(circuit, k, qubits, names, registers, whole, readout, ops, used)
        elif isinstance(op, UnitaryGate):
            ops.append(_big_endian_gate(op.matrix_data).on(*qs))
        elif t is Reset:
            ops.append(cirq.ResetChannel().on(*qs))
        else:  # pragma: no cover - the model has no other operations
            raise TranslationError(f"instruction {k}: unknown operation {op.name}")
        if cond is not None:
            w.phase = phase  # a phase under a classical condition is unobservable
            if controls:
                ops[start:] = [o.with_classical_controls(*controls) for o in ops[start:]]
        k += 1
    idle = [qubits[i] for i in range(circuit.num_qubits) if i not in used]
    if idle:
        ops.insert(0, cirq.IdentityGate(len(idle)).on(*idle))
    if global_phase and w.phase != 0.0:
        phase = w.phase
        coefficient = cmath.exp(1j * phase) if type(phase) is float else sympy.exp(sympy.I * w.c(phase))
        ops.append(cirq.GlobalPhaseGate(coefficient).on())
    return _build(ops), readout


def _is_group(instructions: list[Instruction], k: int, bits: tuple[int, ...]) -> bool:
    """Whether instructions ``k, k+1, ...`` measure distinct qubits into ``bits`` in order, unconditioned."""
    size = len(bits)
    if k + size > len(instructions):
        return False
    group = instructions[k:k + size]
    return all(type(g.operation) is Measure and g.condition is None and g.clbits[0] == b
               for g, b in zip(group, bits)) and len({g.qubits[0] for g in group}) == size


def _whole_keys(instructions: list[Instruction], names: dict[int, tuple[str, int]],
                registers: dict[str, tuple[int, ...]], per_bit: Iterable[str] = ()) -> set[str]:
    """The registers every measurement into which measures the whole register at once: each is
    written with the register's name as its key, once per time it is measured (Cirq's repeated
    keys); the others with a key per bit (``c[1]``)."""
    whole: set[str] = set()
    partial: set[str] = set(per_bit)
    k, n = 0, len(instructions)
    while k < n:
        inst = instructions[k]
        if type(inst.operation) is Measure:
            name, index = names[inst.clbits[0]]
            if name not in partial and index == 0 and _is_group(instructions, k, registers[name]):
                whole.add(name)
                k += len(registers[name])
                continue
            partial.add(name)
        k += 1
    return whole - partial


def _write_measure(circuit: Circuit, k: int, qubits: list[Any], names: dict[int, tuple[str, int]],
                   registers: dict[str, tuple[int, ...]], whole: set[str], readout: _Readout,
                   ops: list[Any], used: set[int]) -> int:
    """Write the measurement at instruction ``k`` (and the rest of its register if measured at once).

    Returns the index of the last instruction written.
    """
    instructions = circuit.instructions
    inst = instructions[k]
    clbit = inst.clbits[0]
    name, index = names[clbit]
    if name in whole:
        bits = registers[name]
        group = instructions[k:k + len(bits)]
        qs = [qubits[g.qubits[0]] for g in group]
        for g in group[1:]:
            used.update(g.qubits)
        ops.append(cirq.measure(*qs, key=_mkey(name)))
        _record(readout, name, bits)
        return k + len(bits) - 1
    key = f"{name}[{index}]"
    while key in registers:  # a register named like another's bit key: the bit key takes a variant
        key += "_"
    ops.append(cirq.measure(qubits[inst.qubits[0]], key=_mkey(key)))
    _record(readout, key, (clbit,))
    return k


def _mkey(name: str) -> Any:
    """The measurement key written ``name`` (a nested key ``path:name`` as Cirq serialises it)."""
    return cirq.MeasurementKey.parse_serialized(name)


def _record(readout: _Readout, key: str, bits: Sequence[int]) -> None:
    instance = readout.instances.get(key, -1) + 1
    readout.instances[key] = instance
    readout.widths[key] = len(bits)
    for pos, b in enumerate(bits):
        readout.latest[b] = (key, instance, pos)


def _cirq_conditions(cond: Condition, readout: _Readout) -> Any:
    """Cirq conditions (all must hold) for a model condition; ``_NEVER`` if it cannot hold here."""
    per_key: dict[str, list[int]] = {}  # key -> [mask, target]
    for i, c in enumerate(cond.clbits):
        want = (cond.value >> i) & 1
        where = readout.latest[c]
        if where is None:  # no measurement has written this bit yet: it reads 0
            if want:
                return _NEVER
            continue
        key, _instance, pos = where
        bit = 1 << (readout.widths[key] - 1 - pos)  # Cirq's first measured qubit is the most significant bit
        entry = per_key.setdefault(key, [0, 0])
        entry[0] |= bit
        if want:
            entry[1] |= bit
    out: list[Any] = []
    for key, (mask, target) in per_key.items():
        width = readout.widths[key]
        if width == 1 and target == 1:
            out.append(cirq.KeyCondition(_mkey(key)))
        else:
            out.append(cirq.BitMaskKeyCondition(_mkey(key), target_value=target, equal_target=True,
                                                bitmask=None if mask == (1 << width) - 1 else mask))
    return out


def _build(ops: list[Any]) -> Any:
    """A Cirq circuit of ``ops`` in order, each in the earliest moment its qubits and keys allow.

    Cirq's EARLIEST strategy (what ``cirq.Circuit(ops)`` does), built in one pass: an operation's
    moment is the first after the last one that holds an operation on one of its qubits, measuring
    one of its keys or reading one of its conditions' keys. One more rule keeps the measurements in
    program order (``all_operations()`` lists them as the model does, so clbits read back in the
    same order): a measurement never goes to an earlier moment than the measurement before it.
    """
    level: dict[Any, int] = {}
    layers: list[list[Any]] = []
    get = level.get
    controlled_type = cirq.ClassicallyControlledOperation
    measurement_type = cirq.MeasurementGate
    last_measurement = 0
    for op in ops:
        wires: list[Any] = list(op.qubits)
        if type(op) is controlled_type:
            wires.extend(("key", str(k)) for k in cirq.control_keys(op))
        gate: Any = getattr(op, "gate", None)
        measures = type(gate) is measurement_type
        d = last_measurement if measures else 0
        if measures:
            wires.append(("key", str(gate.mkey)))
        for wire in wires:
            v = get(wire, 0)
            if v > d:
                d = v
        if d == len(layers):
            layers.append([op])
        else:
            layers[d].append(op)
        if measures:
            last_measurement = d
        d += 1
        for wire in wires:
            level[wire] = d
    return cirq.Circuit.from_moments(*[_moment(layer) for layer in layers])


def _moment(ops: list[Any]) -> Any:
    """``cirq.Moment(ops)`` for a flat list of operations on disjoint qubits (Cirq still checks that)."""
    try:
        return cirq.Moment(*ops, _flatten_contents=False)
    except TypeError:  # pragma: no cover - a Cirq without the keyword
        return cirq.Moment(ops)


def circuit_to_cirq(circuit: Circuit) -> Any:
    """A ``cirq.Circuit`` for a model circuit (see the module docstring for the conventions)."""
    return _export(circuit)[0]
