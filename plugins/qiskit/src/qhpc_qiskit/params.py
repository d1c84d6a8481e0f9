"""Parameters between Qiskit and the qhpc program model: ``Parameter``, ``ParameterVectorElement``
and ``ParameterExpression`` read into model expressions (through Qiskit's own expression tree),
and model expressions written back with one Qiskit ``Parameter`` per name (:class:`ParameterTable`;
a name ``base[i]`` becomes element ``i`` of a ``ParameterVector`` ``base``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop import (
    Parameter,
)
from qhpc_interop.params import OPERATORS, VECTOR_ELEMENT, Apply, Expr, ParamValue, apply

# -- parameters ------------------------------------------------------------------------------


def param_from_qiskit(value: Any) -> ParamValue:
    """A Qiskit gate argument (number, Parameter, ParameterExpression) as a model parameter value."""
    from qiskit.circuit import Parameter as QParameter
    from qiskit.circuit import ParameterExpression

    if isinstance(value, QParameter):
        return Parameter(value.name)
    if isinstance(value, ParameterExpression):
        if not value.parameters:
            return _real(complex(value.numeric()), value)
        return _from_replay(value)
    if isinstance(value, complex):
        return _real(value, value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TranslationError(f"gate parameter {value!r} is not a real number or expression") from None


def _real(z: complex, shown: Any) -> float:
    if abs(z.imag) > 1e-12:
        raise TranslationError(f"gate parameter {shown} is complex; the model holds real parameters")
    return float(z.real)


#: Qiskit's expression operations (``OpCode`` names) -> the model's operator or function.
_BINARY = {"ADD": "+", "SUB": "-", "MUL": "*", "DIV": "/", "POW": "**", "RSUB": "-", "RDIV": "/", "RPOW": "**"}
_UNARY = {"SIN": "sin", "COS": "cos", "TAN": "tan", "ASIN": "asin", "ACOS": "acos", "ATAN": "atan", "EXP": "exp",
          "LOG": "log", "ABS": "abs"}


def _from_replay(expression: Any) -> ParamValue:
    """A ParameterExpression rebuilt from its operation replay (the record QPY serialises).

    The replay is a stack program: each step pushes its operands that are given (a ``None``
    operand is the result of an earlier step), then applies its operation to the top of the stack;
    reversed operations (``RSUB``, ``RDIV``, ``RPOW``) apply with their operands swapped. Qiskit's
    own ``sympify`` uses the same record but fails on some of them (``2 ** a`` gives
    ``NotImplemented`` in Qiskit 2.6), hence this reader.
    """
    from qiskit.circuit import Parameter as QParameter
    from qiskit.circuit import ParameterExpression

    def operand(value: Any) -> ParamValue:
        if isinstance(value, QParameter):
            return Parameter(value.name)
        if isinstance(value, ParameterExpression):
            return param_from_qiskit(value)
        if isinstance(value, complex):
            return _real(value, expression)
        return float(value)

    stack: list[ParamValue] = []
    for step in expression._qpy_replay:
        for value in (step.lhs, step.rhs):
            if value is not None:
                stack.append(operand(value))
        op = str(step.op).rsplit(".", 1)[-1]
        try:
            if op in _BINARY:
                right, left = stack.pop(), stack.pop()
                if op.startswith("R"):
                    left, right = right, left
                stack.append(apply(_BINARY[op], left, right))
            elif op in _UNARY:
                stack.append(apply(_UNARY[op], stack.pop()))
            elif op == "CONJ":  # the conjugate of a real parameter is itself
                pass
            else:
                raise TranslationError(f"parameter expression {expression} uses {op.lower()}, "
                                       "which the model does not hold")
        except IndexError:
            raise TranslationError(f"parameter expression {expression} could not be read") from None
    if len(stack) != 1:
        raise TranslationError(f"parameter expression {expression} could not be read")
    return stack[0]


#: A parameter name that is element ``i`` of a vector (``theta[3]``, as Qiskit names them; an index
#: under 100,000: a larger one stays a plain parameter rather than make a vector that long).


class ParameterTable:
    """Model parameter names -> Qiskit ``Parameter`` objects, so one name is one Qiskit parameter.

    A name ``base[i]`` (how Qiskit names the elements of a ``ParameterVector``, and how they reach
    other formats) becomes element ``i`` of a ``ParameterVector`` named ``base``: Qiskit orders a
    circuit's parameters by name, but a vector's elements by index, and a list of values binds in
    that order (as plain parameters ``theta[10]`` would sort before ``theta[2]``).
    """

    def __init__(self, known: Sequence[Any] = ()) -> None:
        self._by_name: dict[str, Any] = {p.name: p for p in known}
        self._vectors: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        p = self._by_name.get(name)
        if p is None:
            found = VECTOR_ELEMENT.match(name)
            if found is not None:
                p = self._element(found.group(1), int(found.group(2)))
            else:
                from qiskit.circuit import Parameter as QParameter

                p = QParameter(name)
            self._by_name[name] = p
        return p

    def _element(self, base: str, index: int) -> Any:
        vector = self._vectors.get(base)
        if vector is None:
            from qiskit.circuit import ParameterVector

            vector = self._vectors[base] = ParameterVector(base, 0)
        if index >= len(vector):  # grown geometrically: elements keep their identity (UUIDs by index)
            vector.resize(max(index + 1, 2 * len(vector)))
        return vector[index]


_TO_QISKIT_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x,
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tan": lambda x: x.tan(),
    "asin": lambda x: x.arcsin(),
    "acos": lambda x: x.arccos(),
    "atan": lambda x: x.arctan(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x**0.5,
    "abs": lambda x: x.abs(),
}
#: the model's operators apply to Qiskit's expressions as they are (``a + b`` on ParameterExpressions)
_TO_QISKIT_OPERATORS: dict[str, Callable[[Any, Any], Any]] = OPERATORS  # type: ignore[assignment]


def param_to_qiskit(value: ParamValue, table: ParameterTable) -> Any:
    """A model parameter value as a Qiskit float or ParameterExpression."""
    if not isinstance(value, Expr):
        return value
    if isinstance(value, Parameter):
        return table.get(value.name)
    assert isinstance(value, Apply)
    args = [param_to_qiskit(a, table) for a in value.args]
    if value.op in _TO_QISKIT_OPERATORS:
        return _TO_QISKIT_OPERATORS[value.op](*args)
    return _TO_QISKIT_FUNCTIONS[value.op](args[0])
