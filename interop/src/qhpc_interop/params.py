"""Symbolic parameters: named real parameters and expressions over them.

A variational circuit is built once with :class:`Parameter` objects in its gate arguments and
bound many times (:meth:`Expr.bind`, :meth:`qhpc_interop.Circuit.bind`). An argument of a gate is a
:data:`ParamValue`: a plain ``float`` or an :class:`Expr`.

Parameters are identified by name (as OpenQASM 3 ``input`` variables are): two ``Parameter("a")``
are the same parameter. Expressions are immutable, hashable, compared structurally, and fold
constants as they are built, so binding every parameter of an expression yields a plain ``float``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union

from .errors import ParameterError

ParamValue = Union[float, "Expr"]
"""A gate argument: a number or a symbolic expression."""

Bindings = Mapping[Union[str, "Parameter"], Union[float, int, "Expr"]]

#: A parameter name ``base[i]``: element ``i`` of a vector ``base`` (how Qiskit names a
#: ``ParameterVector``'s elements, and how they reach other formats); indices as Python writes them,
#: below 100,000.
VECTOR_ELEMENT = re.compile(r"(.+)\[(0|[1-9][0-9]{0,4})\]\Z", re.DOTALL)

#: Functions an expression may apply, with their numeric implementation.
FUNCTIONS: dict[str, Callable[[float], float]] = {
    "neg": lambda x: -x,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
}

#: Binary operators an expression may apply.
OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def as_param(value: object) -> ParamValue:
    """Normalise a gate argument: ints become floats, expressions stay, anything else is refused."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        raise ParameterError(f"a gate parameter must be a real number or an expression, not {value!r}")
    if isinstance(value, (int, float)):
        f = float(value)
        if not math.isfinite(f):
            raise ParameterError(f"a gate parameter must be finite, not {value!r}")
        return f
    # numpy scalars and other real-number types
    try:
        import numbers

        if isinstance(value, numbers.Real):
            return as_param(float(value))
    except (TypeError, ValueError):  # pragma: no cover - defensive
        pass
    raise ParameterError(
        f"a gate parameter must be a real number or an expression, not {type(value).__name__} {value!r}"
    )


class Expr:
    """A symbolic real-valued expression. Build with operators and the functions below."""

    __slots__ = ()

    # -- structure -------------------------------------------------------------------------
    @property
    def parameters(self) -> frozenset[Parameter]:
        """The free parameters of the expression."""
        raise NotImplementedError

    def bind(self, values: Bindings, *, strict: bool = False) -> ParamValue:
        """Substitute values (numbers or expressions) for parameters.

        Parameters not named in ``values`` stay free. Returns a ``float`` when nothing is left free.
        With ``strict=True`` a free parameter left over raises :class:`ParameterError`.
        """
        result = self._bind(_normalise_bindings(values))
        if strict and isinstance(result, Expr):
            names = ", ".join(sorted(p.name for p in result.parameters))
            raise ParameterError(f"parameter(s) {names} left unbound")
        return result

    def _bind(self, values: Mapping[str, ParamValue]) -> ParamValue:
        raise NotImplementedError

    def evaluate(self, values: Bindings | None = None) -> float:
        """The numeric value, every parameter bound from ``values``."""
        result = self.bind(values or {}, strict=True)
        assert isinstance(result, float)
        return result

    def __float__(self) -> float:
        names = ", ".join(sorted(p.name for p in self.parameters))
        raise ParameterError(f"expression {self} has unbound parameter(s) {names}")

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, other: object) -> ParamValue:
        return apply("+", self, as_param(other))

    def __radd__(self, other: object) -> ParamValue:
        return apply("+", as_param(other), self)

    def __sub__(self, other: object) -> ParamValue:
        return apply("-", self, as_param(other))

    def __rsub__(self, other: object) -> ParamValue:
        return apply("-", as_param(other), self)

    def __mul__(self, other: object) -> ParamValue:
        return apply("*", self, as_param(other))

    def __rmul__(self, other: object) -> ParamValue:
        return apply("*", as_param(other), self)

    def __truediv__(self, other: object) -> ParamValue:
        return apply("/", self, as_param(other))

    def __rtruediv__(self, other: object) -> ParamValue:
        return apply("/", as_param(other), self)

    def __pow__(self, other: object) -> ParamValue:
        return apply("**", self, as_param(other))

    def __rpow__(self, other: object) -> ParamValue:
        return apply("**", as_param(other), self)

    def __neg__(self) -> ParamValue:
        return apply("neg", self)

    def __pos__(self) -> Expr:
        return self

    def __str__(self) -> str:
        return format_expr(self)

    def to_tree(self) -> Any:
        """The JSON form of the expression (see :func:`expr_from_tree`)."""
        raise NotImplementedError


class Parameter(Expr):
    """A named real parameter, free until bound."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ParameterError(f"a parameter needs a non-empty name, not {name!r}")
        self.name = name

    @property
    def parameters(self) -> frozenset[Parameter]:
        return frozenset((self,))

    def _bind(self, values: Mapping[str, ParamValue]) -> ParamValue:
        return values.get(self.name, self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameter) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("Parameter", self.name))

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"

    def to_tree(self) -> Any:
        return ["param", self.name]


class Apply(Expr):
    """An operator or function applied to arguments. Built by :func:`apply`, which folds constants."""

    __slots__ = ("_hash", "_parameters", "args", "op")

    def __init__(self, op: str, args: tuple[ParamValue, ...]) -> None:
        self.op = op
        self.args = args
        self._hash: int | None = None
        self._parameters: frozenset[Parameter] | None = None

    @property
    def parameters(self) -> frozenset[Parameter]:
        if self._parameters is None:
            found: set[Parameter] = set()
            for arg in self.args:
                if isinstance(arg, Expr):
                    found |= arg.parameters
            self._parameters = frozenset(found)
        return self._parameters

    def _bind(self, values: Mapping[str, ParamValue]) -> ParamValue:
        args = tuple(a._bind(values) if isinstance(a, Expr) else a for a in self.args)
        return apply(self.op, *args)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Apply) and other.op == self.op and other.args == self.args

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(("Apply", self.op, self.args))
        return self._hash

    def __repr__(self) -> str:
        return f"Apply({self.op!r}, {self.args!r})"

    def to_tree(self) -> Any:
        return [self.op, *(a.to_tree() if isinstance(a, Expr) else a for a in self.args)]


def apply(op: str, *args: ParamValue) -> ParamValue:
    """Apply an operator (``+ - * / **``) or a function (``neg sin cos ...``), folding constants."""
    if op in OPERATORS:
        if len(args) != 2:
            raise ParameterError(f"operator {op!r} takes two arguments, got {len(args)}")
        a, b = args
        if not isinstance(a, Expr) and not isinstance(b, Expr):
            return _checked(OPERATORS[op], op, a, b)
        return Apply(op, (a, b))
    if op in FUNCTIONS:
        if len(args) != 1:
            raise ParameterError(f"function {op!r} takes one argument, got {len(args)}")
        (a,) = args
        if not isinstance(a, Expr):
            return _checked(FUNCTIONS[op], op, a)
        return Apply(op, (a,))
    raise ParameterError(f"unknown operation {op!r} in a parameter expression")


def _checked(fn: Callable[..., float], op: str, *args: float) -> float:
    try:
        value = fn(*args)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        shown = ", ".join(repr(a) for a in args)
        raise ParameterError(f"cannot evaluate {op}({shown}): {exc}") from None
    if isinstance(value, complex) or not math.isfinite(value):
        shown = ", ".join(repr(a) for a in args)
        raise ParameterError(f"{op}({shown}) is not a finite real number")
    return float(value)


def _normalise_bindings(values: Bindings) -> dict[str, ParamValue]:
    out: dict[str, ParamValue] = {}
    for key, value in values.items():
        name = key.name if isinstance(key, Parameter) else key
        if not isinstance(name, str):
            raise ParameterError(f"bind parameters by name or Parameter, not {key!r}")
        out[name] = as_param(value)
    return out


def free_parameters(values: Iterable[ParamValue]) -> frozenset[Parameter]:
    """The parameters free in any of ``values``."""
    found: set[Parameter] = set()
    for v in values:
        if isinstance(v, Expr):
            found |= v.parameters
    return frozenset(found)


def bind_value(value: ParamValue, values: Mapping[str, ParamValue]) -> ParamValue:
    """Bind one gate argument given already-normalised bindings (the hot path of circuit binding)."""
    return value._bind(values) if isinstance(value, Expr) else value


def expr_from_tree(tree: Any) -> ParamValue:
    """Rebuild a :data:`ParamValue` from its JSON form (a number, or ``[op, *args]``)."""
    if isinstance(tree, bool):
        raise ParameterError(f"not a parameter value: {tree!r}")
    if isinstance(tree, (int, float)):
        return as_param(tree)
    if isinstance(tree, list) and tree and isinstance(tree[0], str):
        op, *rest = tree
        if op == "param":
            if len(rest) != 1 or not isinstance(rest[0], str):
                raise ParameterError(f"malformed parameter node {tree!r}")
            return Parameter(rest[0])
        if op in OPERATORS or op in FUNCTIONS:
            return apply(op, *(expr_from_tree(a) for a in rest))
    raise ParameterError(f"malformed parameter expression node {tree!r}")


# -- printing ------------------------------------------------------------------------------

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


#: The denominators of the multiples of pi written as such (numerators 1..16, in lowest terms).
_PI_DENOMINATORS = (1, 2, 3, 4, 6, 8, 16, 32, 64)
_INV_PI = 1.0 / math.pi


def format_number(value: float) -> str:
    """Shortest exact text for ``value``, written as a multiple of pi where that is exact.

    ``k*pi/d`` (``k`` in 1..16, ``d`` in :data:`_PI_DENOMINATORS`, in lowest terms) is written when
    evaluating that text left to right gives exactly ``value``; otherwise an integer, or the
    shortest ``repr`` that reads back to the same float.
    """
    if value == 0.0:
        return "0" if math.copysign(1.0, value) > 0 else "-0.0"
    if value < 0:
        return "-" + _format_magnitude(-value)
    return _format_magnitude(value)


@functools.lru_cache(maxsize=1 << 14)
def _format_magnitude(magnitude: float) -> str:
    # The only numerator that can match for a denominator is the nearest integer to
    # magnitude/pi * den: try that one (and only when it is within rounding of an integer),
    # instead of every fraction.
    ratio = magnitude * _INV_PI
    # every k/d of the table is a multiple of 1/192: most numbers fail this one test
    scaled192 = ratio * 192.0
    if ratio < 16.5 and abs(scaled192 - round(scaled192)) <= 1e-6 * scaled192:
        for den in _PI_DENOMINATORS:
            scaled = ratio * den
            num = round(scaled)
            if not 1 <= num <= 16 or abs(scaled - num) > 1e-9 * scaled or math.gcd(num, den) != 1:
                continue
            # the value the text below parses back to, evaluated left to right as a parser does
            candidate = (math.pi if num == 1 else num * math.pi) / den if den != 1 else num * math.pi
            if candidate == magnitude:
                text = "pi" if num == 1 else f"{num}*pi"
                return text if den == 1 else f"{text}/{den}"
    if magnitude == int(magnitude) and magnitude < 1e15:
        return str(int(magnitude))
    return repr(magnitude)


def format_expr(
    value: ParamValue,
    *,
    function_names: Mapping[str, str] | None = None,
    power: str = "**",
    name_of: Callable[[Parameter], str] | None = None,
) -> str:
    """Infix text for a parameter value, with as few parentheses as exact parsing allows.

    ``function_names`` renames functions (OpenQASM 2 writes ``ln``), ``power`` is the power
    operator, ``name_of`` renames parameters (to escape names a format cannot hold).
    """
    names = function_names or {}

    def text(v: ParamValue, parent: int, right: bool) -> str:
        if not isinstance(v, Expr):
            out = format_number(v)
            if out.startswith("-") and (parent > 1 or right):
                return f"({out})"
            if ("*" in out or "/" in out) and (parent > 2 or (parent == 2 and right)):
                return f"({out})"
            return out
        if isinstance(v, Parameter):
            return name_of(v) if name_of else v.name
        assert isinstance(v, Apply)
        if v.op in OPERATORS:
            prec = _PRECEDENCE[v.op]
            a, b = v.args
            if v.op == "**":
                # nested powers are always parenthesised: associativity differs between dialects
                left = text(a, prec + 1, False)
                rhs = text(b, prec + 1, True)
            else:
                # a right operand of equal precedence keeps its parentheses: a+(b+c) is not (a+b)+c
                left = text(a, prec, False)
                rhs = text(b, prec + 1, True)
            out = f"{left} {v.op} {rhs}" if prec == 1 else f"{left}{power if v.op == '**' else v.op}{rhs}"
            return f"({out})" if prec < parent else out
        if v.op == "neg":
            inner = text(v.args[0], 3, False)
            out = f"-{inner}"
            return f"({out})" if parent >= 2 or right else out
        fname = names.get(v.op, v.op)
        return f"{fname}({text(v.args[0], 0, False)})"

    return text(value, 0, False)
