"""Symbolic parameters: binding, folding, evaluation, printing and the JSON tree form.

Oracles: Python's ``math`` module and Python's own parser (``eval``) for printed text.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from qhpc_interop import Expr, Parameter, ParameterError
from qhpc_interop.params import (
    FUNCTIONS,
    OPERATORS,
    Apply,
    apply,
    as_param,
    expr_from_tree,
    format_expr,
    format_number,
    free_parameters,
)

a, b, c = Parameter("a"), Parameter("b"), Parameter("c")

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.too_slow])

#: The numeric meaning of every function, written independently of the library.
MATH_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "neg": operator.neg,
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
MATH_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


# -- binding -------------------------------------------------------------------------------


def test_partial_binding_leaves_the_other_parameter_free() -> None:
    bound = (a * b + c).bind({"a": 2.0})
    assert isinstance(bound, Expr)
    assert bound.parameters == frozenset({b, c})
    assert bound.evaluate({"b": 3.0, "c": 0.5}) == 2.0 * 3.0 + 0.5


def test_full_binding_returns_a_plain_float() -> None:
    bound = (a * b + 1).bind({"a": 2, "b": 3})
    assert type(bound) is float
    assert bound == 7.0


def test_binding_by_parameter_object_and_by_name_agree() -> None:
    expr = a / b - a
    assert expr.bind({a: 3.0, b: 4.0}) == expr.bind({"a": 3.0, "b": 4.0}) == 3.0 / 4.0 - 3.0


def test_binding_a_parameter_to_an_expression_substitutes_it() -> None:
    assert (a * 2).bind({"a": b + c}) == (b + c) * 2


def test_binding_accepts_numpy_scalars() -> None:
    assert (a + 1).bind({"a": np.float64(0.25)}) == 1.25


def test_strict_binding_names_the_left_over_parameter() -> None:
    with pytest.raises(ParameterError, match=r"parameter\(s\) c left unbound"):
        (a + b * c).bind({"a": 1.0, "b": 2.0}, strict=True)


def test_strict_binding_lists_every_left_over_parameter_sorted() -> None:
    with pytest.raises(ParameterError, match=r"b, c left unbound"):
        (c + b + a).bind({"a": 1.0}, strict=True)


def test_binding_with_a_key_that_is_not_a_name_or_parameter_is_refused() -> None:
    with pytest.raises(ParameterError, match="by name or Parameter"):
        a.bind({1: 2.0})  # type: ignore[dict-item]


def test_binding_to_a_non_number_is_refused() -> None:
    with pytest.raises(ParameterError, match="real number or an expression"):
        a.bind({"a": "1.0"})  # type: ignore[dict-item]


def test_float_of_an_unbound_expression_names_its_parameters() -> None:
    with pytest.raises(ParameterError, match=r"unbound parameter\(s\) a, b"):
        float(a + b)


def test_parameter_needs_a_non_empty_name() -> None:
    with pytest.raises(ParameterError, match="non-empty name"):
        Parameter("")


# -- folding, structure --------------------------------------------------------------------


def test_operations_on_numbers_fold_to_floats() -> None:
    assert apply("+", 1.0, 2.0) == 3.0
    assert apply("sin", 0.5) == math.sin(0.5)
    assert type(apply("*", 2.0, 3.0)) is float


def test_expression_arithmetic_builds_apply_nodes() -> None:
    assert a + 1 == Apply("+", (a, 1.0))
    assert 1 - a == Apply("-", (1.0, a))
    assert 2 * a == Apply("*", (2.0, a))
    assert a / 2 == Apply("/", (a, 2.0))
    assert 2**a == Apply("**", (2.0, a))
    assert -a == Apply("neg", (a,))
    assert +a is a


def test_structural_equality_and_hash() -> None:
    assert Parameter("a") == a and hash(Parameter("a")) == hash(a)
    assert Parameter("a") != Parameter("b")
    assert a * 2 + b == a * 2 + b
    assert hash(a * 2 + b) == hash(a * 2 + b)
    assert len({a * 2 + b, a * 2 + b, b + a * 2}) == 2


def test_equality_is_structural_not_algebraic() -> None:
    assert a + b != b + a
    assert a * 2 != a + a


def test_parameters_collects_every_free_parameter() -> None:
    expr = apply("sin", a * b) + apply("cos", a)
    assert expr.parameters == frozenset({a, b})
    assert free_parameters([1.0, expr, c]) == frozenset({a, b, c})


def test_unknown_operation_is_refused() -> None:
    with pytest.raises(ParameterError, match="unknown operation 'cosh'"):
        apply("cosh", a)


def test_operator_arity_is_checked() -> None:
    with pytest.raises(ParameterError, match="takes two arguments"):
        apply("+", a)
    with pytest.raises(ParameterError, match="takes one argument"):
        apply("sin", a, b)


# -- evaluation ----------------------------------------------------------------------------


def test_evaluate_matches_math_for_a_compound_expression() -> None:
    x, y, z = 0.7, 2.5, -1.3
    expr = apply("sin", a) * apply("cos", b) + apply("exp", c) / apply("sqrt", b) - apply("log", b) ** a
    expected = math.sin(x) * math.cos(y) + math.exp(z) / math.sqrt(y) - math.log(y) ** x
    assert expr.evaluate({"a": x, "b": y, "c": z}) == expected


@pytest.mark.parametrize("name", sorted(MATH_FUNCTIONS))
def test_each_function_evaluates_like_math(name: str) -> None:
    points = [0.37, 0.9] if name in ("log", "sqrt") else [0.37, -0.9]
    for x in points:
        assert apply(name, a).evaluate({"a": x}) == MATH_FUNCTIONS[name](x)


@pytest.mark.parametrize("op", sorted(MATH_OPERATORS))
def test_each_operator_evaluates_like_python(op: str) -> None:
    x, y = 1.75, -0.5
    assert apply(op, a, b).evaluate({"a": x, "b": y}) == MATH_OPERATORS[op](x, y)


def test_the_library_has_no_function_or_operator_the_tests_do_not_know() -> None:
    assert set(FUNCTIONS) == set(MATH_FUNCTIONS)
    assert set(OPERATORS) == set(MATH_OPERATORS)


@pytest.mark.parametrize(
    ("expr", "values", "operation"),
    [
        (apply("log", a), {"a": -1.0}, "log"),
        (apply("log", a), {"a": 0.0}, "log"),
        (apply("sqrt", a), {"a": -4.0}, "sqrt"),
        (apply("asin", a), {"a": 2.0}, "asin"),
        (a / b, {"a": 1.0, "b": 0.0}, "/"),
        (a**b, {"a": 0.0, "b": -1.0}, r"\*\*"),
        (a**b, {"a": -8.0, "b": 1 / 3}, r"\*\*"),
        (apply("exp", a), {"a": 1e6}, "exp"),
    ],
)
def test_evaluation_errors_name_the_operation(expr: Expr, values: dict[str, float], operation: str) -> None:
    with pytest.raises(ParameterError, match=operation):
        expr.evaluate(values)


def test_folding_a_constant_error_raises_at_build_time() -> None:
    with pytest.raises(ParameterError, match="log"):
        apply("log", -1.0)
    with pytest.raises(ParameterError, match="/"):
        apply("/", 1.0, 0.0)


def test_evaluate_without_values_for_a_free_parameter_is_an_error() -> None:
    with pytest.raises(ParameterError, match="a left unbound"):
        (a + 1).evaluate()


# -- as_param ------------------------------------------------------------------------------


def test_as_param_turns_ints_and_numpy_reals_into_floats() -> None:
    assert type(as_param(3)) is float and as_param(3) == 3.0
    assert type(as_param(np.float32(0.5))) is float and as_param(np.float32(0.5)) == 0.5
    assert type(as_param(np.int64(-2))) is float
    assert as_param(a) is a


@pytest.mark.parametrize("value", [True, False, "1.0", None, [1.0], 1j, complex(1, 0)])
def test_as_param_rejects_non_real_values(value: object) -> None:
    with pytest.raises(ParameterError, match="real number or an expression"):
        as_param(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_as_param_rejects_non_finite_values(value: float) -> None:
    with pytest.raises(ParameterError, match="finite"):
        as_param(value)


def test_complex_operand_is_rejected_in_arithmetic() -> None:
    with pytest.raises(ParameterError, match="complex"):
        a + 1j


# -- printing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.pi, "pi"),
        (-math.pi, "-pi"),
        (math.pi / 2, "pi/2"),
        (-math.pi / 2, "-pi/2"),
        (math.pi / 4, "pi/4"),
        (3 * math.pi / 4, "3*pi/4"),
        (2 * math.pi, "2*pi"),
        (2 * math.pi / 3, "2*pi/3"),
        (math.pi / 64, "pi/64"),
        (0.0, "0"),
        (-0.0, "-0.0"),
        (1.0, "1"),
        (-5.0, "-5"),
        (0.1, "0.1"),
        (1e-300, "1e-300"),
        (1e20, "1e+20"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_format_number_writes_pi_only_when_exact() -> None:
    near = math.nextafter(math.pi / 2, 0.0)
    assert format_number(near) == repr(near)
    assert format_number(math.nextafter(math.pi, 4.0)) == repr(math.nextafter(math.pi, 4.0))
    assert format_number(0.1 * math.pi) == repr(0.1 * math.pi)  # a tenth is not in the denominators written


def eval_text(text: str, values: dict[str, float] | None = None) -> float:
    """Parse and evaluate printed text with Python's parser (the independent oracle)."""
    namespace: dict[str, object] = {"__builtins__": {}, "pi": math.pi, **MATH_FUNCTIONS, **(values or {})}
    return eval(text, namespace)


@PROPERTY_SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_through_a_parser(value: float) -> None:
    parsed = eval_text(format_number(value))
    assert parsed == value
    assert math.copysign(1.0, parsed) == math.copysign(1.0, value)


@pytest.mark.parametrize("num", range(1, 17))
@pytest.mark.parametrize("den", [1, 2, 3, 4, 6, 8, 16, 32, 64])
def test_format_number_round_trips_multiples_of_pi(num: int, den: int) -> None:
    value = num * math.pi / den
    assert eval_text(format_number(value)) == value
    assert eval_text(format_number(-value)) == -value


def _every_fraction(magnitude: float) -> str | None:
    """The text of the first fraction k*pi/d (in lowest terms, in table order) that evaluates to
    exactly ``magnitude``: a direct search over every fraction, the definition format_number keeps."""
    for den in (1, 2, 3, 4, 6, 8, 16, 32, 64):
        for num in range(1, 17):
            if math.gcd(num, den) != 1:
                continue
            text = ("pi" if num == 1 else f"{num}*pi") + ("" if den == 1 else f"/{den}")
            if eval_text(text) == magnitude:
                return text
    return None


def _near_multiples() -> list[float]:
    out = []
    for den in (1, 2, 3, 4, 6, 8, 16, 32, 64, 5, 7, 128):
        for num in range(1, 20):
            exact = eval_text(f"{num}*pi/{den}")
            out += [exact, math.nextafter(exact, 0.0), math.nextafter(exact, 100.0), num * (math.pi / den)]
    return out


@pytest.mark.parametrize("value", _near_multiples())
def test_format_number_writes_pi_exactly_where_a_search_of_every_fraction_finds_it(value: float) -> None:
    expected = _every_fraction(value)
    if expected is not None:
        assert format_number(value) == expected
        assert format_number(-value) == "-" + expected
    else:
        assert "pi" not in format_number(value)
    assert eval_text(format_number(value)) == value


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (a + b * c, "a + b*c"),
        ((a + b) * c, "(a + b)*c"),
        (a - (b - c), "a - (b - c)"),
        ((a - b) - c, "a - b - c"),
        (a / (b * c), "a/(b*c)"),
        (-(a + b), "-(a + b)"),
        ((-a) * b, "(-a)*b"),
        (a * (math.pi / 2), "a*(pi/2)"),
        (a - (-2.0), "a - (-2)"),
        (a ** (b**2), "a**(b**2)"),
        ((a**b) ** 2, "(a**b)**2"),
        (apply("sin", a / 2), "sin(a/2)"),
    ],
)
def test_format_expr_parenthesises_where_needed(expr: Expr, text: str) -> None:
    assert format_expr(expr) == text


def test_format_expr_renames_functions_power_and_parameters() -> None:
    expr = apply("log", a) ** 2
    assert format_expr(expr, function_names={"log": "ln"}, power="^", name_of=lambda p: f"_{p.name}") == "ln(_a)^2"


def test_str_of_an_expression_is_its_formatted_text() -> None:
    assert str(2 * a + 1) == "2*a + 1"


# -- random expression trees ---------------------------------------------------------------

PARAMETERS = [a, b, c]
NUMBERS = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([math.pi, -math.pi / 2, 3 * math.pi / 4, 2.0, -1.0, 0.5]),
)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 4) -> Expr:
    """A random expression tree over a, b, c; every node holds a parameter, so nothing folds away."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(PARAMETERS))
    op = draw(st.sampled_from(sorted(OPERATORS) + sorted(FUNCTIONS)))
    if op in FUNCTIONS:
        return Apply(op, (draw(expressions(depth - 1)),))
    left = draw(st.one_of(expressions(depth - 1), NUMBERS))
    right = draw(st.one_of(expressions(depth - 1), NUMBERS))
    if not isinstance(left, Expr) and not isinstance(right, Expr):
        left = draw(st.sampled_from(PARAMETERS))
    return Apply(op, (left, right))


@PROPERTY_SETTINGS
@given(expressions())
def test_json_tree_round_trip_is_structurally_equal(expr: Expr) -> None:
    tree = json.loads(json.dumps(expr.to_tree()))
    back = expr_from_tree(tree)
    assert back == expr
    assert hash(back) == hash(expr)
    assert back.to_tree() == tree


@PROPERTY_SETTINGS
@given(expressions(), st.tuples(*[st.floats(-3, 3, allow_nan=False)] * 3))
def test_format_expr_parses_back_to_the_same_value(expr: Expr, point: tuple[float, float, float]) -> None:
    values = dict(zip("abc", point))
    try:
        expected = expr.evaluate(values)
    except ParameterError:
        assume(False)
    try:
        parsed = eval_text(format_expr(expr), values)
    except (ValueError, ZeroDivisionError, OverflowError):
        pytest.fail(f"{format_expr(expr)!r} fails in Python but evaluates to {expected} in qhpc")
    assert parsed == expected, format_expr(expr)


def test_tree_form_of_a_known_expression() -> None:
    assert (2 * a + apply("sin", b)).to_tree() == ["+", ["*", 2.0, ["param", "a"]], ["sin", ["param", "b"]]]


def test_expr_from_tree_folds_constant_subtrees() -> None:
    assert expr_from_tree(["+", 1, ["*", 2.0, 3.0]]) == 7.0


@pytest.mark.parametrize(
    "tree",
    [
        [],
        ["param"],
        ["param", 1],
        ["param", "a", "b"],
        ["nope", 1.0],
        ["+", 1.0],
        ["sin", 1.0, 2.0],
        [1.0, 2.0],
        "a",
        None,
        True,
        {"op": "+"},
        ["+", ["param", "a"], "x"],
        ["log", -1.0],
        ["param", ""],
    ],
)
def test_malformed_tree_raises_parameter_error(tree: object) -> None:
    with pytest.raises(ParameterError):
        expr_from_tree(tree)
