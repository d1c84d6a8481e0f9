"""What the Cirq translators share: qubit identities, sympy parameters, refusals (the mapping is in
:mod:`qhpc_cirq.translate`)."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable
from typing import Any

import cirq
import numpy as np
import sympy
from qhpc.errors import TranslationError
from qhpc_interop import (
    Circuit,
    Parameter,
)
from qhpc_interop.ir import LARGEST_ANGLE, MAX_READ_BITS, reduce_phase
from qhpc_interop.params import Apply, Expr, ParamValue, apply

PI = math.pi
#: circuit metadata: the registers read from Cirq keys ``name[i]``, one per bit, written back so
BIT_KEYS = "cirq_bit_keys"
_INDEXED_KEY = re.compile(r"^(.+)\[(\d+)\]$")


def add_phase(phase: ParamValue, value: ParamValue) -> ParamValue:
    """``phase + value``, a number kept within [-pi, pi]: a large circuit's per-gate phases summed
    as they came drifted by rounding as the sum grew (1.4e-9 rad over QV-100's 40,000 PhasedXZ
    gates, read from Cirq); kept small, each sum is exact to 2e-16."""
    out = phase + value
    if type(out) is float and not -PI <= out <= PI:
        # a turn or a few (the sum is kept small): remainder is off by 2.4e-16 a turn; from a large
        # start (a circuit's global phase of 1e9), the exact reduction
        out = math.remainder(out, 2 * PI) if -64.0 <= out <= 64.0 else reduce_phase(out)
    return out


def bit_key(key: str) -> tuple[str, int] | None:
    """``(name, i)`` for a key that names bit ``i`` of a register ``name`` (``name[i]``, ``i`` as
    Python writes it, below the readers' size limit), else ``None``."""
    match = _INDEXED_KEY.match(key)
    if match is None or str(int(match.group(2))) != match.group(2) or int(match.group(2)) >= MAX_READ_BITS:
        return None
    return match.group(1), int(match.group(2))
#: Gates without a library form become a UnitaryGate up to this many qubits (a 2^n x 2^n matrix).
MAX_UNITARY_QUBITS = 6



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


#: The largest gate argument (exponent, global shift or angle) read: the model's largest angle held
#: as given (:data:`qhpc_interop.ir.LARGEST_ANGLE`, 2^20). The reading multiplies an exponent by pi
#: (and by a shift) before the model can reduce the angle, and floats beyond are too far apart for
#: that to be exact: at 1e15 an exponent's angle moved by 0.03. Beyond it an argument is refused.
LARGEST_ARGUMENT = LARGEST_ANGLE


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
        raise _Refused(f"gate argument {shown if shown is not None else z} is too large to convert exactly "
                       f"(over 2^20, {LARGEST_ARGUMENT:.0f}); reduce it by a period of the gate first")
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


#: A symbol no circuit uses: resolving by it makes Cirq resolve an operation at all (it leaves one as
#: it is for an empty resolver), so that the sympy numbers in it become floats.
NO_SYMBOL = "_qhpc_no_symbol"


def as_numbers(op: Any) -> Any:
    """``op`` with the sympy numbers among its arguments (``sympy.Integer(0)``, which Cirq counts as
    a parameter and gives no matrix) made floats, where it has no symbol; else ``op``."""
    if cirq.parameter_names(op):
        return op
    return cirq.resolve_parameters(op, {NO_SYMBOL: 0.0})
