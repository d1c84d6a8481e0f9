"""The recursive-descent base of both OpenQASM readers and their expression parser.

:class:`Parser` provides look-ahead over the token stream, ``expect`` with "expected X, found Y"
errors, and a precedence-climbing expression parser whose operators, functions and constants come
from an :class:`ExprDialect`. Expressions evaluate, as they are parsed, to
:data:`~qhpc_interop.params.ParamValue` (constants are folded; names of parameters stay symbolic).
While parsing, integer-typed constants are kept as Python ``int`` so OpenQASM 3 integer semantics
hold (``7/2`` is ``3`` there, as in Qiskit's reader; OpenQASM 2 divides as reals).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from ..errors import ParameterError, QasmSyntaxError, QasmUnsupportedError
from ..params import Expr, ParamValue, apply
from .lexer import Token, int_literal, tokenize


class Special:
    """Base of the values only OpenQASM 3 expressions have: measured bits, conditions on them,
    arrays, durations (see :mod:`.values3`). They are not numbers: ``what`` names them in errors."""

    what = "this value"


#: A value while an expression is evaluated: ints stay ints until they meet a real or a symbol
#: (a ``bool`` is an ``int`` here, as in Python).
Value = int | float | Expr | Special


@dataclass(frozen=True)
class ExprDialect:
    """What an expression may contain in one OpenQASM version."""

    #: the power operator token (``^`` in OpenQASM 2, ``**`` in 3)
    power: str
    #: function name in the program -> name in :data:`qhpc_interop.params.FUNCTIONS`
    functions: Mapping[str, str]
    #: named constants
    constants: Mapping[str, float]
    #: binary operator -> precedence (higher binds tighter; all left-associative)
    binary: Mapping[str, int]
    #: prefix operator -> the operation :meth:`Parser.combine_unary` gets
    unary: Mapping[str, str]
    #: whether ``int / int`` is an integer (floor) division, as in OpenQASM 3
    integer_division: bool


QASM2_DIALECT = ExprDialect(
    power="^",
    functions={"sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "ln": "log", "sqrt": "sqrt",
               "asin": "asin", "acos": "acos", "atan": "atan"},
    constants={"pi": math.pi},
    binary={"+": 1, "-": 1, "*": 2, "/": 2},
    unary={"-": "neg", "+": "pos"},
    integer_division=False,
)

QASM3_DIALECT = ExprDialect(
    power="**",
    functions={"sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
               "exp": "exp", "log": "log", "sqrt": "sqrt"},
    constants={"pi": math.pi, "π": math.pi, "tau": math.tau, "τ": math.tau, "euler": math.e, "ℇ": math.e},
    # the OpenQASM 3 grammar's precedence, loosest first
    binary={"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
            "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10},
    unary={"-": "neg", "+": "pos", "!": "not", "~": "bitnot"},
    integer_division=True,
)


#: the token kinds :meth:`Parser.at` matches by text
_WORDS = frozenset({"op", "id"})


class Parser:
    """Recursive-descent base: a token stream with look-ahead, error helpers and expressions."""

    dialect: ExprDialect

    def __init__(self, text: str, source: str, version: int) -> None:
        self.source = source
        self.version = version
        self.text = text
        self._tokens = tokenize(text, source=source, version=version)
        self._buffer: list[Token] = []
        self.previous: Token | None = None
        #: how many :meth:`replay` calls are active (the text is not being read while it is non-zero)
        self.replaying = 0

    @contextmanager
    def replay(self, tokens: list[Token]) -> Iterator[None]:
        """Read ``tokens`` (the last one an ``eof``) instead of the text, then go back to where the text was."""
        saved = self._tokens, self._buffer, self.previous
        self._tokens, self._buffer = iter(tokens), []
        self.replaying += 1
        try:
            yield
        finally:
            self._tokens, self._buffer, self.previous = saved
            self.replaying -= 1

    def resume_at(self, pos: int, line: int) -> None:
        """Scan on from offset ``pos`` (on line ``line``); only between statements, with nothing peeked."""
        assert not self._buffer
        line_start = self.text.rfind("\n", 0, pos) + 1
        self._tokens = tokenize(self.text, source=self.source, version=self.version, start=pos, line=line,
                                line_start=line_start)

    def fast_header(self, end: int) -> None:
        """Go on after a header a reader's fast path matched, ending at offset ``end`` (just after
        its ';'): as if its tokens had been read, the ';' the last."""
        line = self.text.count("\n", 0, end) + 1
        col = end - self.text.rfind("\n", 0, end) - 1
        self.previous = Token("op", ";", line, col, col + 1, end)
        self.resume_at(end, line)

    # -- token stream ------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        """The ``k``-th token ahead (``eof`` repeats at the end)."""
        buffer = self._buffer
        if k < len(buffer):
            return buffer[k]
        while len(buffer) <= k:
            tok = next(self._tokens, None)
            buffer.append(buffer[-1] if tok is None else tok)
        return buffer[k]

    def position(self) -> tuple[int, int]:
        """(line, column) of the token being read, without reading further (safe after an error
        that broke the token stream, such as a RecursionError)."""
        tok = self._buffer[0] if self._buffer else self.previous
        return (tok.line, tok.col) if tok is not None else (1, 1)

    def next(self) -> Token:
        buffer = self._buffer
        tok = buffer[0] if buffer else self.peek()
        if tok[0] != "eof":
            del buffer[0]
        self.previous = tok
        return tok

    def at(self, text: str, k: int = 0) -> bool:
        """Whether the ``k``-th token ahead is the operator or word ``text``."""
        buffer = self._buffer
        tok = buffer[k] if k < len(buffer) else self.peek(k)
        return tok[1] == text and tok[0] in _WORDS

    def accept(self, text: str) -> Token | None:
        """Consume and return the next token if it is ``text``."""
        buffer = self._buffer
        tok = buffer[0] if buffer else self.peek()
        if tok[1] == text and tok[0] in _WORDS:
            return self.next()
        return None

    def expect(self, text: str, context: str = "") -> Token:
        """Consume the operator or word ``text``, or fail with 'expected ...'."""
        if self.at(text):
            return self.next()
        where = f" {context}" if context else ""
        self.error(f"expected '{text}'{where}, found {self.peek().describe()}", self.peek())

    def expect_semicolon(self, context: str) -> Token:
        """Consume ';' or fail, pointing just after the previous token (where the ';' belongs)."""
        if self.at(";"):
            return self.next()
        found = self.peek()
        prev = self.previous
        at = Token("op", "", prev.line, prev.end_col, prev.end_col) if prev is not None else found
        self.error(f"expected ';' {context}, found {found.describe()}", at)

    def expect_id(self, what: str) -> Token:
        tok = self.peek()
        if tok.kind != "id":
            self.error(f"expected {what}, found {tok.describe()}", tok)
        return self.next()

    def error(self, message: str, tok: Token) -> NoReturn:
        raise QasmSyntaxError(message, tok.line, tok.col, self.source)

    def unsupported(self, message: str, tok: Token) -> NoReturn:
        raise QasmUnsupportedError(message, tok.line, tok.col, self.source)

    # -- expressions ---------------------------------------------------------------------------
    def resolve_name(self, tok: Token) -> Value:
        """The value of an identifier in an expression; readers override this."""
        self.error(f"unknown name '{tok.text}' in an expression", tok)

    def expression(self) -> Value:
        """Parse an arithmetic expression (``+ - * /``, power, unary minus, calls, constants)."""
        return self._binary(1)

    def _binary(self, min_prec: int) -> Value:
        left = self._unary()
        binary = self.dialect.binary
        while True:
            tok = self.peek()
            if tok.kind != "op":
                return left
            prec = binary.get(tok.text)
            if prec is None or prec < min_prec:
                return left
            self.next()
            right = self._binary(prec + 1)
            left = self.combine(tok, tok.text, left, right)

    def _unary(self) -> Value:
        tok = self.peek()
        if tok.kind == "op" and tok.text in self.dialect.unary:
            self.next()
            op = self.dialect.unary[tok.text]
            operand = self._unary()
            return operand if op == "pos" else self.combine_unary(tok, op, operand)
        return self._power()

    def _power(self) -> Value:
        base = self._primary()
        tok = self.peek()
        if tok.kind == "op" and tok.text == self.dialect.power:
            self.next()
            return self.combine(tok, "**", base, self._unary())
        return base

    def _primary(self) -> Value:
        tok = self.next()
        if tok.kind == "int":
            return int_literal(tok.text)
        if tok.kind == "real":
            real = float(tok.text.replace("_", ""))
            if not math.isfinite(real):
                self.error(f"number {tok.text} is out of range", tok)
            return real
        if tok.kind == "op" and tok.text == "(":
            value = self.expression()
            self.expect(")", "to close '('")
            return value
        if tok.kind == "id":
            return self.name_value(tok)
        return self.other_primary(tok)

    def name_value(self, tok: Token) -> Value:
        """The value of an identifier just read (a function call, a constant, a name)."""
        if self.at("(") and tok.text in self.dialect.functions:
            self.next()
            arg = self.expression()
            self.expect(")", f"to close the call of {tok.text}")
            return self.combine_unary(tok, self.dialect.functions[tok.text], arg)
        if tok.text in self.dialect.constants:
            return self.dialect.constants[tok.text]
        if self.at("("):
            self.unknown_function(tok)
        return self.resolve_name(tok)

    def other_primary(self, tok: Token) -> Value:
        """A primary expression that is not a number, a parenthesis or a name (readers extend this)."""
        if tok.kind == "timing":
            self.unsupported(f"timing literal {tok.text}: durations and timing are not supported", tok)
        if tok.kind == "imag":
            self.unsupported(f"imaginary literal {tok.text}: complex numbers are not supported", tok)
        self.error(f"expected an expression, found {tok.describe()}", tok)

    def unknown_function(self, tok: Token) -> NoReturn:
        known = ", ".join(self.dialect.functions)
        self.error(f"unknown function '{tok.text}' (the functions are {known})", tok)

    def combine(self, tok: Token, op: str, a: Value, b: Value) -> Value:
        """``a op b`` with constant folding and integer semantics; errors point at ``tok``."""
        if isinstance(a, Special) or isinstance(b, Special):
            what = a.what if isinstance(a, Special) else b.what  # type: ignore[union-attr]
            self.unsupported(f"'{op}' on {what} is not supported", tok)
        if isinstance(a, int) and isinstance(b, int):
            folded = self._integer_op(tok, op, a, b)
            if folded is not None:
                return folded
        if op == "%":
            if isinstance(a, Expr) or isinstance(b, Expr):
                self.unsupported("'%' of a symbolic parameter cannot be held by the program model", tok)
            if float(b) == 0.0:
                self.error("modulo by zero", tok)
            return float(a) % float(b)
        if op == "/" and not isinstance(a, Expr) and not isinstance(b, Expr) and float(b) == 0.0:
            self.error("division by zero", tok)
        return self._apply(tok, op, a, b)

    def _integer_op(self, tok: Token, op: str, a: int, b: int) -> Value | None:
        if op in ("/", "%") and b == 0:
            self.error("division by zero" if op == "/" else "modulo by zero", tok)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "%":
            return a % b
        if op == "/":
            return a // b if self.dialect.integer_division else None
        if op == "**" and 0 <= b <= 4096:
            result = a**b
            if result.bit_length() > 1000:
                self.error("number too large", tok)
            return result
        return None

    def combine_unary(self, tok: Token, op: str, a: Value) -> Value:
        if isinstance(a, Special):
            self.unsupported(f"'{tok.text}' on {a.what} is not supported", tok)
        if isinstance(a, int) and op == "neg":
            return -a
        return self._apply(tok, op, a)

    def _apply(self, tok: Token, op: str, *args: Value) -> Value:
        try:
            return apply(op, *(self.to_param(a, tok) for a in args))
        except ParameterError as exc:
            self.error(str(exc), tok)

    def to_param(self, value: Value, tok: Token) -> ParamValue:
        """A parsed value as a gate argument (ints become floats)."""
        if isinstance(value, Special):
            self.unsupported(f"{value.what} cannot be used as a number here", tok)
        if isinstance(value, int):
            try:
                return float(value)
            except OverflowError:
                self.error("number too large", tok)
        return value

    def integer(self, value: Value, tok: Token, what: str) -> int:
        """Require an integer-typed constant (an index, a size, an exponent)."""
        if isinstance(value, int):
            return value
        if isinstance(value, Expr):
            self.unsupported(f"{what} must be a constant integer, not an expression of parameters", tok)
        if isinstance(value, Special):
            self.unsupported(f"{what} must be a constant integer, not {value.what}", tok)
        self.error(f"{what} must be an integer, not {value!r}", tok)


def parse_param_expression(text: str, names: Callable[[str], ParamValue], *, version: int = 3) -> ParamValue:
    """Parse one expression in OpenQASM syntax (used by tests to check printing round-trips).

    ``names`` gives the value of each identifier that is not a constant.
    """

    class _One(Parser):
        dialect = QASM3_DIALECT if version >= 3 else QASM2_DIALECT

        def resolve_name(self, tok: Token) -> Value:
            return names(tok.text)

    parser = _One(text, "<expression>", version)
    first = parser.peek()
    value = parser.expression()
    end = parser.peek()
    if end.kind != "eof":
        parser.error(f"unexpected {end.describe()} after the expression", end)
    return parser.to_param(value, first)
