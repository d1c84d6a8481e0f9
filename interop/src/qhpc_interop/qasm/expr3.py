"""OpenQASM 3 expressions: names, literals, casts, indexing, and every operator of the language.

Values known when the program is read are computed now (Python ``int``, ``float``, ``bool``, an
:class:`~.values3.Array`, a :class:`~.values3.Duration`); ``input`` parameters stay symbolic
(:class:`~qhpc_interop.params.Expr`, arithmetic and functions only). Values known only when the
circuit runs (measured bits, conditions on them, integers computed from them) are
:mod:`.runtime3`'s.
"""

from __future__ import annotations

import math
from typing import NoReturn

from ..params import Expr, ParamValue
from .conditions import (
    equals,
    negate,
)
from .gatedefs import GateDef, placeholder
from .lexer import Token
from .parser import QASM3_DIALECT, Special, Value
from .reader_base import Operand
from .runtime3 import _COMPARISONS, _FLIPPED, Runtime3
from .values3 import (
    Angle,
    Array,
    Bits,
    Complement,
    Computed,
    Cond,
    CType,
    Duration,
    Measured,
    Register3,
    Scope,
    Sized,
    Snapshot,
    Subroutine,
    Symbol3,
    Variable,
    angle_of_steps,
    make_angle,
    make_sized,
)

_SCALAR_TYPES = frozenset({"int", "uint", "float", "angle", "bool", "bit", "complex", "duration", "stretch"})
_TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}


def _is_number(value: Value) -> bool:
    return isinstance(value, (int, float))


class Expressions3(Runtime3):
    """The OpenQASM 3 expression semantics (a base of :class:`~.reader3.Reader`)."""

    dialect = QASM3_DIALECT
    scopes: list[Scope]
    #: inside a gate definition: its parameter names -> their indices
    gate_params: dict[str, int] | None

    def statement(self) -> None:
        """Read one statement (the reader defines it)."""
        raise NotImplementedError

    # -- names ---------------------------------------------------------------------------------
    def lookup(self, name: str) -> Symbol3 | None:
        """What ``name`` stands for here (``None``: nothing). Inside a ``def`` or ``gate`` body only
        the global scope's constants, gates and subroutines are visible beyond the body."""
        scopes = self.scopes
        for k in range(len(scopes) - 1, -1, -1):
            sym = scopes[k].names.get(name)
            if sym is not None:
                return sym
            if scopes[k].closed:
                sym = scopes[0].names.get(name)
                if sym is None or isinstance(sym, (GateDef, Subroutine)):
                    return sym
                if isinstance(sym, Variable) and sym.role == "const":
                    return sym
                self.hidden = sym
                return None
        return None

    hidden: Symbol3 | None = None

    def not_visible(self, tok: Token) -> NoReturn:
        """The error for a global name a ``def`` or ``gate`` body cannot see."""
        kind = "input" if isinstance(self.hidden, Variable) and self.hidden.role == "input" else "non-constant"
        if isinstance(self.hidden, Register3):
            kind = "global register"
        where = "a gate definition" if self.gate_params is not None else "a subroutine"
        self.error(f"{kind} '{tok.text}' cannot be used inside {where} (only its parameters, constants, gates and "
                   "subroutines can; pass it as an argument)" if kind != "input" else
                   f"input '{tok.text}' cannot be used inside {where} (only its parameters and constants can)", tok)

    def name_value(self, tok: Token) -> Value:
        text = tok.text
        if self.gate_params is not None and text in self.gate_params:
            return placeholder(self.gate_params[text])
        if text in _SCALAR_TYPES and (self.at("(") or self.at("[")):
            return self.cast(tok)
        if text == "measure":
            operand = self.operand(quantum=True)
            return Measured(operand.bits, operand.single, tok)
        if text == "durationof":
            self.unsupported("durationof: the program model has no timing", tok)
        self.hidden = None
        sym = self.lookup(text)
        if self.at("("):
            if isinstance(sym, Subroutine):
                return self.call_subroutine(sym, tok)
            if sym is None and text in self.dialect.functions:
                return super().name_value(tok)
            if sym is None and text in _EXTRA_FUNCTIONS:
                return self.builtin_function(tok)
            if sym is None:
                self.unknown_function(tok)
            self.error(f"'{text}' is not a function", tok)
        if sym is None:
            if text in ("true", "false"):
                return text == "true"
            if text in self.dialect.constants:
                return self.dialect.constants[text]
            if self.hidden is not None:
                self.not_visible(tok)
            self.error(f"unknown name '{text}' in an expression", tok)
        value = self.symbol_value(sym, tok)
        while self.at("["):
            value = self.index_value_of(value, tok)
        return value

    def symbol_value(self, sym: Symbol3, tok: Token) -> Value:
        if isinstance(sym, Variable):
            value = sym.value
            if value is None:
                self.error(f"'{tok.text}' is used before it is given a value", tok)
            if isinstance(value, Snapshot) and value.stamp != self.write_stamp(value.bits):
                self.unsupported(f"'{tok.text}' holds the value '{value.name}' had before it was measured again: "
                                 "keeping both values needs real-time classical storage", tok)
            return value
        if isinstance(sym, Register3):
            if sym.quantum:
                self.error(f"'{tok.text}' is a qubit register, not a value", tok)
            register = None if sym.alias or sym.scalar else sym.name
            return Bits(sym.bits, sym.scalar, tok.text, register)
        self.error(f"'{tok.text}' is not a value", tok)

    def call_subroutine(self, sub: Subroutine, tok: Token) -> Value:
        raise NotImplementedError

    def operand(self, quantum: bool) -> Operand:
        raise NotImplementedError

    # -- literals, casts, functions ------------------------------------------------------------
    def other_primary(self, tok: Token) -> Value:
        if tok.kind == "string":
            digits = tok.text.replace("_", "")
            if not digits or set(digits) - {"0", "1"}:
                self.error(f"expected a bit string of 0s and 1s, found {tok.describe()}", tok)
            return make_sized(int(digits, 2), "bit", len(digits))
        if tok.kind == "timing":
            return self.duration_literal(tok)
        if tok.kind == "op" and tok.text == "{":
            self.error("an array literal '{...}' can only initialise an array", tok)
        return super().other_primary(tok)

    def duration_literal(self, tok: Token) -> Duration:
        text = tok.text
        unit = "dt" if text.endswith("dt") else next(u for u in ("ns", "us", "µs", "ms", "s") if text.endswith(u))
        number = float(text[: -len(unit)].replace("_", ""))
        return Duration(0.0, number) if unit == "dt" else Duration(number * _TIME_UNITS[unit])

    def cast(self, tok: Token) -> Value:
        """``int[8](x)``, ``float(x)``, ``bool(c)``... (:mod:`.classical3` reads them)."""
        raise NotImplementedError

    def convert(self, value: Value, ctype: CType, tok: Token, *, explicit: bool = False) -> Value:
        """``value`` as a value of ``ctype`` (:mod:`.classical3` converts)."""
        raise NotImplementedError

    def builtin_function(self, tok: Token) -> Value:
        """``mod floor ceiling sizeof popcount rotl rotr`` on values known now."""
        self.expect("(")
        args: list[tuple[Value, Token]] = []
        while True:
            atok = self.peek()
            args.append((self.expression(), atok))
            if not self.accept(","):
                break
        self.expect(")", f"to close the call of {tok.text}")
        name = tok.text
        expected = {"mod": 2, "floor": 1, "ceiling": 1, "popcount": 1, "rotl": 2, "rotr": 2}.get(name)
        if name == "sizeof":
            return self._sizeof(args, tok)
        if expected is not None and len(args) != expected:
            self.error(f"{name} takes {expected} argument(s), got {len(args)}", tok)
        values = [v for v, _ in args]
        for v, t in args:
            if isinstance(v, Special):
                self.unsupported(f"{name}() of {v.what} is not supported", t)
            if isinstance(v, Expr):
                self.unsupported(f"{name}() of an expression of input parameters cannot be held by the program "
                                 "model", t)
        if name == "mod":
            return self.combine(tok, "%", values[0], values[1])
        if name in ("floor", "ceiling"):
            number = values[0]
            assert isinstance(number, (int, float))
            return float(math.floor(number) if name == "floor" else math.ceil(number))
        integers = [self.integer(v, t, f"the argument of {name}") for v, t in args]
        first = integers[0]
        if name == "popcount":
            return bin(first.pattern if isinstance(first, Sized) else first & ((1 << 4096) - 1)).count("1")
        if not isinstance(first, Sized):
            self.unsupported(f"{name}() needs a value of a sized type (uint[n], bit[n]...): it rotates n bits", tok)
        n, shift = first.width, integers[1] % first.width
        if name == "rotr":
            shift = (n - shift) % n
        pattern = first.pattern
        return make_sized((pattern << shift | pattern >> (n - shift)) if shift else pattern, first.kind, n)

    def _sizeof(self, args: list[tuple[Value, Token]], tok: Token) -> int:
        value, vtok = args[0]
        dim = self.integer(args[1][0], args[1][1], "the dimension of sizeof") if len(args) > 1 else 0
        if isinstance(value, Array):
            if not 0 <= dim < len(value.ctype.dims):
                self.error(f"sizeof: the array has {len(value.ctype.dims)} dimension(s), not {dim + 1}", tok)
            return value.ctype.dims[dim]
        if isinstance(value, Bits) and dim == 0:
            return len(value.bits)
        self.error(f"sizeof needs an array, not {value!r}", vtok)

    # -- operators -----------------------------------------------------------------------------
    def combine(self, tok: Token, op: str, a: Value, b: Value) -> Value:
        computed = self._computed(tok, op, a, b)
        if computed is not None:
            return computed
        if (isinstance(a, Complement) or isinstance(b, Complement)) and op in _COMPARISONS:
            complement, value, op = (a, b, op) if isinstance(a, Complement) else (b, a, _FLIPPED[op])
            assert isinstance(complement, Complement)
            bits = complement.of
            if not isinstance(value, (int, float)) or isinstance(value, Special):
                self.unsupported(f"'{op}' between '~{bits.name}' and {self._shown_value(value)}: real-time classical "
                                 "computation on measured values is not supported", tok)
            if isinstance(value, float) and not value.is_integer():
                self.error(f"measured bits compared with the non-integer {value!r}", tok)
            number = int(value)
            # ~x is 2^n - 1 - x (unsigned) or -x - 1 (signed): x compared the other way with the mirror value
            mirror = -number - 1 if bits.signed or bits.machine == "int" else (1 << len(bits.bits)) - 1 - number
            return self._compare(tok, bits, _FLIPPED[op] if op not in ("==", "!=") else op, mirror)
        if isinstance(a, (Bits, Cond, Computed)) or isinstance(b, (Bits, Cond, Computed)):
            return self._runtime(tok, op, a, b)
        if isinstance(a, Duration) or isinstance(b, Duration):
            return self._duration(tok, op, a, b)
        if isinstance(a, Angle) or isinstance(b, Angle):
            if not isinstance(a, (Expr, Special)) and not isinstance(b, (Expr, Special)) and op not in ("&&", "||"):
                try:
                    angle = self._angle(tok, op, a, b)
                except OverflowError:
                    self.error("number too large", tok)
                if angle is not None:
                    return angle
            a, b = _plain(a), _plain(b)
        if op in ("&&", "||"):
            left, right = self.truth(a, tok), self.truth(b, tok)
            assert isinstance(left, bool) and isinstance(right, bool)
            return (left and right) if op == "&&" else (left or right)
        if op in _COMPARISONS:
            if isinstance(a, Expr) or isinstance(b, Expr):
                self.unsupported(f"'{op}' on an input parameter cannot be decided when the program is read", tok)
            if isinstance(a, Special) or isinstance(b, Special):
                what = a.what if isinstance(a, Special) else b.what  # type: ignore[union-attr]
                self.error(f"'{op}' cannot compare {what}", tok)
            return bool({"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,  # type: ignore[operator]
                         ">=": a >= b}[op])  # type: ignore[operator]
        if op in ("&", "|", "^", "<<", ">>"):
            x = self.integer(a, tok, f"the left side of '{op}'")
            y = self.integer(b, tok, f"the right side of '{op}'")
            if op in ("<<", ">>") and not 0 <= y <= 4096:
                self.error(f"cannot shift by {y}", tok)
            result = {"&": x & y, "|": x | y, "^": x ^ y, "<<": x << y if op == "<<" else 0,
                      ">>": x >> y if op == ">>" else 0}[op]
            # on a sized integer these act on its n-bit representation: bits shifted off the end are lost
            if op in ("<<", ">>"):  # the type of the shifted value
                sized = x if isinstance(x, Sized) else None
            else:  # the wider of the two (promotion), whichever side it is on
                sides = [v for v in (x, y) if isinstance(v, Sized)]
                sized = max(sides, key=lambda v: v.width) if sides else None
            return result if sized is None else make_sized(result, sized.kind, sized.width)
        if isinstance(a, bool):
            a = int(a)
        if isinstance(b, bool):
            b = int(b)
        return super().combine(tok, op, a, b)

    def combine_unary(self, tok: Token, op: str, a: Value) -> Value:
        if op == "not":
            truth = self.truth(a, tok)
            return (not truth) if isinstance(truth, bool) else Cond(negate(truth))
        if op == "bitnot" and isinstance(a, Bits):
            if a.machine == "uint":
                self.unsupported(f"'~' on {a.name} read as an unsized uint: its value depends on the implementation's "
                                 "integer width (give the width: ~uint[n](...))", tok)
            # ~ of one bit is its negation; of several, a value only a comparison can use
            return Cond(equals(a.bits, 0)) if a.scalar else Complement(a)
        if isinstance(a, Complement) and op == "bitnot":
            return a.of
        if isinstance(a, Computed) and op == "bitnot" and a.width:
            of, mask = a.value, (1 << a.width) - 1
            return Computed(a.bits, lambda v: ~of(v) & mask, a.width, f"~({a.text})")
        if isinstance(a, (Bits, Cond, Computed)):
            self.unsupported(f"'{tok.text}' on {a.what}: real-time classical computation on measured values is not "
                             "supported", tok)
        if isinstance(a, Angle):
            if op == "neg":  # 0 - a: the specification's negation on the ring
                return angle_of_steps(-a.k, a.width) if a.k is not None and a.width else make_angle(-float(a), a.width)
            if op == "bitnot":
                if a.k is None or a.width is None:
                    self.error("'~' needs an angle of known width (angle[n])", tok)
                return angle_of_steps(~a.k, a.width)
            a = float(a)
        if op == "bitnot":
            value = self.integer(a, tok, "the operand of '~'")
            return make_sized(~value, value.kind, value.width) if isinstance(value, Sized) else ~value
        if isinstance(a, Duration) and op == "neg":
            return Duration(-a.seconds, -a.dt)
        if isinstance(a, bool):
            a = int(a)
        return super().combine_unary(tok, op, a)

    def _angle(self, tok: Token, op: str, a: Value, b: Value) -> Value | None:
        """``a op b`` where one side is an angle, both known now: the specification's angle
        arithmetic, that of ``uint[n]`` on the bit patterns (wrapping modulo 2 pi). A plain number
        beside an angle is cast to the angle's type (``+ - == <``...) or, multiplying or dividing it,
        taken as the integer or factor it is. ``None``: a float operation (``**``, ``%``)."""
        x = a if isinstance(a, Angle) else b
        assert isinstance(x, Angle)
        both = isinstance(a, Angle) and isinstance(b, Angle)
        width = _common_width(a, b) if both else x.width
        if op in ("+", "-", "&", "|", "^") or op in _COMPARISONS or (op == "/" and both):
            left, right = self._as_angle(a, width, tok), self._as_angle(b, width, tok)
            exact = left.k is not None and right.k is not None and width is not None
            if op in _COMPARISONS:
                return self.combine(tok, op, float(left), float(right))
            if op == "/":
                if float(right) == 0.0:
                    self.error("division by a zero angle", tok)
                return left.k // right.k if exact else int(float(left) / float(right))  # type: ignore[operator]
            if op in ("+", "-"):
                if exact:
                    return angle_of_steps(left.k + right.k if op == "+" else left.k - right.k, width)  # type: ignore
                return make_angle(float(left) + float(right) if op == "+" else float(left) - float(right), width)
            if not exact:
                self.error(f"'{op}' needs angles of known width (angle[n])", tok)
            bits = {"&": left.k & right.k, "|": left.k | right.k, "^": left.k ^ right.k}[op]  # type: ignore
            return angle_of_steps(bits, width)  # type: ignore[arg-type]
        if both and op == "*":
            self.error("two angles cannot be multiplied (multiply an angle by an unsigned integer)", tok)
        if op == "/" and x is b:
            self.error("a number cannot be divided by an angle", tok)
        if op in ("*", "/", "<<", ">>"):
            factor = b if x is a else a
            if isinstance(factor, bool):
                factor = int(factor)
            if op in ("<<", ">>"):
                if x is not a or x.k is None or x.width is None:
                    self.error(f"'{op}' shifts an angle of known width (angle[n]) by an integer", tok)
                shift = self.integer(factor, tok, f"the right side of '{op}'")
                if not 0 <= shift <= 4096:
                    self.error(f"cannot shift by {shift}", tok)
                return angle_of_steps(x.k << shift if op == "<<" else x.k >> shift, x.width)
            if isinstance(factor, int) and x.k is not None and x.width is not None:
                if op == "*":
                    return angle_of_steps(x.k * factor, x.width)
                if factor <= 0:
                    self.error(f"an angle divided by {factor}: the divisor must be a positive integer", tok)
                return angle_of_steps(x.k // factor, x.width)
            assert isinstance(factor, (int, float))
            if op == "/" and float(factor) == 0.0:
                self.error("division by zero", tok)
            return make_angle(float(x) * factor if op == "*" else float(x) / factor, x.width)
        return None

    def _as_angle(self, value: Value, width: int | None, tok: Token) -> Angle:
        converted = self.convert(value, CType("angle", width), tok)
        assert isinstance(converted, Angle)
        return converted

    def _duration(self, tok: Token, op: str, a: Value, b: Value) -> Value:
        if isinstance(a, Duration) and isinstance(b, Duration) and op in ("+", "-"):
            sign = 1 if op == "+" else -1
            return Duration(a.seconds + sign * b.seconds, a.dt + sign * b.dt)
        if isinstance(a, Duration) and isinstance(b, Duration) and op == "/":
            return a.seconds / b.seconds if b.seconds else a.dt / b.dt if b.dt else self.error("division by zero", tok)
        number, duration = (b, a) if isinstance(a, Duration) else (a, b)
        if isinstance(duration, Duration) and _is_number(number) and (op == "*" or (op == "/" and duration is a)):
            factor = float(number)  # type: ignore[arg-type]
            if op == "/":
                if factor == 0.0:
                    self.error("division by zero", tok)
                factor = 1.0 / factor
            return Duration(duration.seconds * factor, duration.dt * factor)
        if op in _COMPARISONS and isinstance(a, Duration) and isinstance(b, Duration):
            self.unsupported("comparing durations is not supported", tok)
        self.error(f"'{op}' cannot combine a duration with {b if duration is a else a!r}", tok)

    def to_param(self, value: Value, tok: Token) -> ParamValue:
        if isinstance(value, (Bits, Cond, Measured)):
            self.unsupported(f"{value.what} used as a number: real-time classical computation on measured values is "
                             "not supported", tok)
        if isinstance(value, Duration):
            shown = f"the timing literal {tok.text}" if tok.kind == "timing" else "a duration"
            self.unsupported(f"{shown} used as a number: durations only time delays and boxes", tok)
        if isinstance(value, (bool, Angle)):
            return float(value)
        return super().to_param(value, tok)


_EXTRA_FUNCTIONS = frozenset({"mod", "floor", "ceiling", "sizeof", "popcount", "rotl", "rotr"})


def _plain(value: Value) -> Value:
    return float(value) if isinstance(value, Angle) else value


def _common_width(a: Value, b: Value) -> int | None:
    """The width two angles are combined at: the wider (an unsized one makes both unsized)."""
    wa, wb = getattr(a, "width", None), getattr(b, "width", None)
    return None if wa is None or wb is None else max(wa, wb)

