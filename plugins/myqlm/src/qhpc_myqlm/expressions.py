"""Model parameter expressions <-> myQLM variables and arithmetic expressions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop import Parameter
from qhpc_interop.params import Apply, Expr, ParamValue, apply

from ._qat import load_qat

#: myQLM symbols that are not variable names.
_RESERVED_TOKENS = frozenset({"+", "-", "*", "/", "**", "UMINUS", "cos", "sin", "exp", "sqrt", "heaviside", "max",
                              "ln", "real", "imag", "angle", "abs", "atan2", "get_item", "conjugate"})


def _is_number(text: str) -> bool:
    try:
        complex(text)
    except ValueError:
        return False
    return True


def valid_name(name: str) -> bool:
    """Whether myQLM takes ``name`` as a variable name (no spaces, not a number, not an operator or
    function name)."""
    return bool(name) and not any(ch.isspace() for ch in name) and name not in _RESERVED_TOKENS \
        and not _is_number(name)


def _check_name(name: str) -> None:
    if not valid_name(name):
        raise TranslationError(f"parameter name {name!r} cannot be a myQLM variable name "
                               "(no spaces, not a number, not an operator or function name)")


def written_names(names: Iterable[str]) -> dict[str, str]:
    """The names myQLM cannot take, each with the one it is written as: spaces made ``_``, a number
    prefixed with ``_``, then ``_1``, ``_2``... added until the name is valid and no other
    parameter's (a number's suffix would make another number: ``1e3_1`` is ``1e31``)."""
    names = list(names)
    taken = set(names)
    out: dict[str, str] = {}
    for name in names:
        if valid_name(name):
            continue
        base = "_".join(name.split()) or "p"
        if _is_number(base):
            base = f"_{base}"
        candidate, k = base, 0
        while not valid_name(candidate) or candidate in taken:
            k += 1
            if k > len(taken) + 1:  # pragma: no cover - base is valid, so one of these suffixes is free
                raise TranslationError(f"parameter name {name!r} cannot be a myQLM variable name")
            candidate = f"{base}_{k}"
        taken.add(candidate)
        out[name] = candidate
    return out


def expr_to_myqlm(value: ParamValue, variables: dict[str, Any] | None = None,
                  names: Mapping[str, str] | None = None) -> Any:
    """A model parameter value as a myQLM value: a float, a ``Variable`` or an ``ArithExpression``.

    ``variables`` collects (and reuses) the ``qat.core.variables.Variable`` of each parameter name;
    ``names`` gives the name a parameter is written as where myQLM cannot take its own (see
    :func:`written_names`).
    """
    load_qat()
    from qat.core import variables as qv

    found: dict[str, Any] = {} if variables is None else variables

    def conv(v: ParamValue) -> Any:
        if not isinstance(v, Expr):
            return float(v)
        if isinstance(v, Parameter):
            var = found.get(v.name)
            if var is None:
                written = names.get(v.name, v.name) if names else v.name
                _check_name(written)
                var = found[v.name] = qv.Variable(written)
            return var
        assert isinstance(v, Apply)
        args = [conv(a) for a in v.args]
        op = v.op
        if op == "+":
            return args[0] + args[1]
        if op == "-":
            return args[0] - args[1]
        if op == "*":
            return args[0] * args[1]
        if op == "/":
            return args[0] / args[1]
        if op == "**":
            return args[0] ** args[1]
        x = args[0]
        if op == "neg":
            return -x
        if op == "sin":
            return qv.sin(x)
        if op == "cos":
            return qv.cos(x)
        if op == "tan":
            return qv.sin(x) / qv.cos(x)
        if op == "exp":
            return qv.exp(x)
        if op == "log":
            return qv.ln(x)
        if op == "sqrt":
            return qv.sqrt(x)
        if op == "abs":
            return qv.abso(x)
        if op == "atan":
            return qv.atan2(x, 1.0)
        if op == "asin":
            return qv.atan2(x, qv.sqrt(1.0 - x**2))
        if op == "acos":
            return qv.atan2(qv.sqrt(1.0 - x**2), x)
        raise TranslationError(f"parameter function {op!r} has no myQLM equivalent")  # pragma: no cover

    return conv(value)


def _number(value: Any, shown: Any) -> float:
    z = complex(value)
    if abs(z.imag) > 1e-12:
        raise TranslationError(f"gate parameter {shown} is complex; the model holds real parameters")
    return float(z.real)


def _is_one_minus_square(node: Any, x: Any) -> bool:
    """Whether ``node`` is ``1 - x**2`` (as :func:`expr_to_myqlm` writes it)."""
    from qat.core.variables import ArithExpression

    if not isinstance(node, ArithExpression) or node.symbol.token != "-":
        return False
    one, square = node.children
    return (not isinstance(one, ArithExpression) and not hasattr(one, "name") and float(one) == 1.0
            and isinstance(square, ArithExpression) and square.symbol.token == "**"
            and _same(square.children[0], x) and not hasattr(square.children[1], "children")
            and not hasattr(square.children[1], "name") and float(square.children[1]) == 2.0)


def _same(a: Any, b: Any) -> bool:
    return bool(a.to_thrift() == b.to_thrift()) if hasattr(a, "to_thrift") and hasattr(b, "to_thrift") else a == b


def _is_sqrt_of_one_minus_square(node: Any, x: Any) -> bool:
    from qat.core.variables import ArithExpression

    return (isinstance(node, ArithExpression) and node.symbol.token == "sqrt"
            and _is_one_minus_square(node.children[0], x))


def expr_from_myqlm(node: Any) -> ParamValue:
    """A myQLM value (number, ``Variable``, ``ArithExpression``) as a model parameter value."""
    load_qat()
    from qat.core.variables import ArithExpression, Variable

    if isinstance(node, Variable):
        return Parameter(node.name)
    if not isinstance(node, ArithExpression):
        return _number(node, node)
    token = node.symbol.token
    kids = node.children
    if token == "atan2":
        y, x = kids
        if not hasattr(x, "to_thrift") and not hasattr(x, "name") and complex(x) == 1.0:
            return apply("atan", expr_from_myqlm(y))
        if _is_sqrt_of_one_minus_square(x, y):
            return apply("asin", expr_from_myqlm(y))
        if _is_sqrt_of_one_minus_square(y, x):
            return apply("acos", expr_from_myqlm(x))
        raise TranslationError(f"parameter expression {node.to_thrift()!r}: atan2 has no model equivalent "
                               "(only atan2(x, 1), atan2(x, sqrt(1-x**2)) and atan2(sqrt(1-x**2), x) do)")
    args = [expr_from_myqlm(k) for k in kids]
    if token in ("+", "-", "*", "/", "**"):
        return apply(token, args[0], args[1])
    if token == "UMINUS":
        return apply("neg", args[0])
    if token in ("sin", "cos", "exp", "sqrt", "abs"):
        return apply(token, args[0])
    if token == "ln":
        return apply("log", args[0])
    if token in ("real", "conjugate"):  # of a real parameter: itself
        return args[0]
    if token == "imag":
        return 0.0
    if token == "max":
        a, b = args
        return apply("/", apply("+", apply("+", a, b), apply("abs", apply("-", a, b))), 2.0)
    raise TranslationError(f"parameter expression {node.to_thrift()!r} uses {token!r}, which the model does not hold")
