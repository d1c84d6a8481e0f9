"""Values known only when the circuit runs, in OpenQASM 3 expressions: measured bits
(:class:`~.values3.Bits`), ``~`` of them, integers computed from them by bitwise operators
(:class:`~.values3.Computed`), and the conditions they make (:class:`~.values3.Cond`).

Comparing measured bits with a constant, ``!``, ``&&`` and ``||`` give condition terms directly
(:mod:`.conditions`); a comparison or test of a computed integer, or of two measured values, is read
by its truth table (at most :data:`~.conditions.MAX_TABLE_BITS` bits). Other real-time classical
computation (arithmetic on measured values, storing a computed value) raises
:class:`~qhpc_interop.errors.QasmUnsupportedError` naming the operator.
"""

from __future__ import annotations

from collections.abc import Callable

from ..params import Expr
from .conditions import (
    ALWAYS,
    MAX_TABLE_BITS,
    NEVER,
    Terms,
    TooManyTerms,
    compare,
    conjoin,
    disjoin,
    equals,
    from_truth_table,
    negate,
)
from .indexing3 import Indexing3
from .lexer import Token
from .parser import Special, Value
from .values3 import Angle, Bits, Complement, Computed, Cond, Sized

_COMPARISONS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: a comparison read from the other side: ``3 < c`` is ``c > 3``
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_BITWISE = ("&", "|", "^", "<<", ">>")
_RELATIONS = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
              "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}
_BITWISE_OPS = {"&": lambda x, y: x & y, "|": lambda x, y: x | y, "^": lambda x, y: x ^ y,
                "<<": lambda x, y: x << y if y >= 0 else x >> -y, ">>": lambda x, y: x >> y if y >= 0 else x << -y}
#: A run-time integer operand: the measured bits it reads, its value for an assignment of them,
#: its width (None: a plain integer) and how the program wrote it.
RuntimeInt = tuple[tuple[int, ...], "Callable[[dict[int, int]], int]", "int | None", str]


class Runtime3(Indexing3):
    """The operators on values known only when the circuit runs (see the module docstring)."""

    # -- integers computed from measured bits ------------------------------------------------------
    def _runtime_int(self, value: Value) -> RuntimeInt | None:
        """``value`` as a run-time integer operand, if it is one (measured bits, ``~`` of them, a
        value computed from them, or a number)."""
        if isinstance(value, Computed):
            return value.bits, value.value, value.width, value.text
        if isinstance(value, Complement):
            inner = self._runtime_int(value.of)
            assert inner is not None
            bits, of, width, _ = inner
            if value.of.signed or value.of.machine == "int":  # ~x of a two's complement value is -x - 1
                return bits, (lambda v: ~of(v)), width, f"~{value.of.name}"
            return bits, (lambda v: ~of(v) & ((1 << width) - 1) if width else ~of(v)), width, f"~{value.of.name}"
        if isinstance(value, Bits):
            bits, n, signed = value.bits, len(value.bits), value.signed

            def read(v: dict[int, int]) -> int:
                x = 0
                for k, bit in enumerate(bits):
                    x |= v[bit] << k
                return x - (1 << n) if signed and x >> (n - 1) else x

            # a machine integer's width is the implementation's: its value, unbounded (see Bits)
            return bits, read, None if value.machine else n, value.name
        if isinstance(value, Angle) or isinstance(value, Special) or isinstance(value, Expr):
            return None
        if isinstance(value, float):
            if not value.is_integer():
                return None
            value = int(value)
        number = int(value)
        return (), (lambda v: number), value.width if isinstance(value, Sized) else None, str(number)

    def _computed(self, tok: Token, op: str, a: Value, b: Value) -> Value | None:
        """``a op b`` where a side is known only when the circuit runs and the other is a number or
        known only then too: a bitwise operator gives a :class:`Computed` integer, a comparison the
        condition its truth table gives. ``None`` where the other readings apply (measured bits
        compared with a number keep their register name)."""
        runtime = (Bits, Complement, Computed)
        if not (isinstance(a, runtime) or isinstance(b, runtime)):
            return None
        if op in _COMPARISONS:
            if not (isinstance(a, Computed) or isinstance(b, Computed) or
                    (isinstance(a, runtime) and isinstance(b, runtime))):
                return None
        elif op not in _BITWISE:
            return None
        left, right = self._runtime_int(a), self._runtime_int(b)
        if left is None or right is None:
            return None
        bits = tuple(dict.fromkeys(left[0] + right[0]))
        text = f"{left[3]} {op} {right[3]}"
        if len(bits) > MAX_TABLE_BITS:
            self.unsupported(f"'{text}' reads {len(bits)} measured bits: the reader evaluates conditions on at most "
                             f"{MAX_TABLE_BITS}", tok)
        fa, fb = left[1], right[1]
        if op in _COMPARISONS:
            relation = _RELATIONS[op]
            return Cond(self._table(bits, lambda v: relation(fa(v), fb(v)), text, tok))
        signed = [v for v in (a, b) if (isinstance(v, Bits) and v.signed) or
                  (isinstance(v, Complement) and v.of.signed)]
        if signed:
            self.unsupported(f"'{op}' on the signed value {signed[0].what}: bitwise operators on signed integers "
                             "computed from measured bits are not supported (compare the bits unsigned)", tok)
        combine = _BITWISE_OPS[op]
        machine = any((isinstance(v, Bits) and v.machine) or (isinstance(v, Complement) and v.of.machine)
                      or (isinstance(v, Computed) and v.width is None and v.bits) for v in (a, b))
        if op in ("<<", ">>"):
            width = left[2]
        elif machine:  # with a machine integer: a machine integer (its value unbounded, see Bits)
            width = None
        else:
            widths = [w for w in (left[2], right[2]) if w is not None]
            width = max(widths) if widths else None
        mask = (1 << width) - 1 if width else -1
        if width is None and op in ("<<", ">>"):
            # unbounded here, but a machine integer's width is the implementation's (at least 32
            # bits): a shift by a negative count or by 32 or more, a shift of a negative value and a
            # result past 31 bits are refused where a run would reach them
            def shifted(v: dict[int, int]) -> int:
                x, k = fa(v), fb(v)
                if x < 0 or not 0 <= k < 32:
                    self.unsupported(f"'{text}' shifts {x} by {k} for some measured values: a machine integer's "
                                     "shift is defined for a non-negative value and a count from 0 to 31", tok)
                out = x << k if op == "<<" else x >> k
                if out >= 1 << 31:
                    self.unsupported(f"'{text}' reaches {out} for some measured values, past 31 bits: its value "
                                     "then depends on the implementation's integer width", tok)
                return out

            return Computed(bits, shifted, None, text)
        return Computed(bits, lambda v: combine(fa(v), fb(v)) & mask, width, text)

    def _table(self, bits: tuple[int, ...], test: Callable[[dict[int, int]], object], text: str,
               tok: Token) -> Terms:
        try:
            return from_truth_table(bits, test)
        except TooManyTerms as exc:
            self.unsupported(f"'{text}': {exc}", tok)

    def truth(self, value: Value, tok: Token) -> bool | Terms:
        """``value`` as a condition: a ``bool`` if known now, else the terms of a condition on measured bits."""
        if isinstance(value, Cond):
            return value.terms
        if isinstance(value, Bits):
            if not value.scalar:
                self.unsupported(f"a condition on the whole register '{value.name}' without a comparison: compare "
                                 "it with an integer (c == n)", tok)
            return equals(value.bits, 1)
        if isinstance(value, Complement):
            self.unsupported(f"a condition on {value.what} without a comparison: compare it with an integer "
                             f"(~{value.of.name} == n)", tok)
        if isinstance(value, Computed):  # an integer as a condition: "not zero"
            of = value.value
            return self._table(value.bits, lambda v: of(v) != 0, value.text, tok)
        if isinstance(value, Expr):
            self.unsupported(f"a condition on the input parameter(s) of '{value}' cannot be decided when the program "
                             "is read", tok)
        if isinstance(value, Special):
            self.error(f"{value.what} is not a condition", tok)
        return bool(value)

    def _runtime(self, tok: Token, op: str, a: Value, b: Value) -> Value:
        if op in ("&&", "||"):
            left, right = self.truth(a, tok), self.truth(b, tok)
            lt = (ALWAYS if left else NEVER) if isinstance(left, bool) else left
            rt = (ALWAYS if right else NEVER) if isinstance(right, bool) else right
            return Cond(conjoin(lt, rt) if op == "&&" else disjoin(lt, rt))
        if op in _COMPARISONS:
            if isinstance(a, Bits) and not isinstance(b, Special):
                return self._compare(tok, a, op, b)
            if isinstance(b, Bits) and not isinstance(a, Special):
                return self._compare(tok, b, _FLIPPED[op], a)
            if op in ("==", "!=") and (isinstance(a, Cond) or isinstance(b, Cond)):
                number = b if isinstance(a, Cond) else a
                if isinstance(number, (int, float)) and not isinstance(number, bool) and number not in (0, 1):
                    self.error(f"a condition on measured bits compared with {number}: a bool is true or false "
                               "(1 or 0)", tok)
                left, right = self.truth(a, tok), self.truth(b, tok)
                if isinstance(left, bool) or isinstance(right, bool):
                    known, terms = (left, right) if isinstance(left, bool) else (right, left)
                    assert not isinstance(terms, bool)
                    return Cond(terms if known == (op == "==") else negate(terms))
        what = a.what if isinstance(a, Special) else b.what  # type: ignore[union-attr]
        self.unsupported(f"'{op}' on {what}: real-time classical computation on measured values is not supported",
                         tok)

    def _compare(self, tok: Token, bits: Bits, op: str, value: Value) -> Cond:
        if isinstance(value, Expr):
            self.unsupported("comparing measured bits with an input parameter is not supported", tok)
        if isinstance(value, float):
            if not value.is_integer():
                self.error(f"measured bits compared with the non-integer {value!r}", tok)
            value = int(value)
        assert isinstance(value, int)
        if bits.scalar and value not in (0, 1):
            self.error(f"the bit '{bits.name}' compared with {value}: a bit is 0 or 1 (true or false)", tok)
        return Cond(compare(bits.bits, op, int(value), signed=bits.signed, register=bits.register))

    @staticmethod
    def _shown_value(value: Value) -> str:
        return value.what if isinstance(value, Special) else f"'{value}'"
