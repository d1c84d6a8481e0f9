"""Run-time conditions on measured bits, in the form the program model holds them.

The model conditions one instruction on a *conjunction*: "these bits read as this integer"
(:class:`~qhpc_interop.ir.Condition`). A program's condition is often more: ``c >= 3``,
``c[0] || c[1]``, the ``else`` of ``c == 2``, a ``switch`` case listing several values or its
``default``. Every such condition on bits is a disjunction of *mutually exclusive* conjunctions
(:data:`Terms`); the readers emit each instruction of a conditioned block once per term, each copy
under its term. At most one copy runs in any shot, so the circuit does what the program says,
provided no instruction writes a bit the condition reads before a later instruction of the block is
reached: the readers check that (:class:`~.reader_base.ReaderBase`).

Functions here build terms (:func:`equals`, :func:`compare`) and combine them (:func:`conjoin`,
:func:`negate`, :func:`disjoin`), keeping the terms mutually exclusive. A condition that needs
more than :data:`MAX_TERMS` terms raises :class:`TooManyTerms`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ir import Condition

#: The most conjunctions one condition may expand to (each copies every instruction of its block).
MAX_TERMS = 64
#: The most bits a condition given by its truth table (:func:`from_truth_table`) may read.
MAX_TABLE_BITS = 16


class TooManyTerms(Exception):
    """A condition needs more than :data:`MAX_TERMS` conjunctions; the reader reports it at its position."""


@dataclass(frozen=True)
class Term:
    """A conjunction: each ``(clbit, value)`` of ``pairs`` holds (no clbit twice).

    ``register`` names the register when the term is exactly "register == value" (so it reads back
    and is written as such); otherwise it is ``None``.
    """

    pairs: tuple[tuple[int, int], ...]
    register: str | None = None

    def condition(self) -> Condition:
        """The model's condition for this term (``pairs`` must not be empty)."""
        value = 0
        for k, (_, bit_value) in enumerate(self.pairs):
            value |= bit_value << k
        return Condition(tuple(bit for bit, _ in self.pairs), value, self.register)

    @property
    def bits(self) -> frozenset[int]:
        return frozenset(bit for bit, _ in self.pairs)


#: A condition: a disjunction of mutually exclusive terms (empty: never holds).
Terms = tuple[Term, ...]

ALWAYS: Terms = (Term(()),)
NEVER: Terms = ()


def _check(terms: list[Term]) -> Terms:
    if len(terms) > MAX_TERMS:
        raise TooManyTerms(f"the condition expands to {len(terms)} alternatives (the reader holds at most {MAX_TERMS})")
    return tuple(terms)


def equals(bits: tuple[int, ...], value: int, register: str | None = None) -> Terms:
    """``bits`` (least significant first) read as ``value`` (never, if it does not fit)."""
    if not 0 <= value < 1 << len(bits):
        return NEVER
    return (Term(tuple((bit, value >> k & 1) for k, bit in enumerate(bits)), register),)


def _prefix(bits: tuple[int, ...], value: int, top: int, invert_top: bool) -> list[tuple[int, int]]:
    """The pairs making bits above position ``top`` equal to those of ``value`` (highest first)."""
    n = len(bits)
    return [(bits[j], (value >> j & 1) ^ (invert_top and j == n - 1)) for j in range(n - 1, top, -1)]


def _less(bits: tuple[int, ...], value: int, invert_top: bool) -> Terms:
    """Unsigned ``bits < value`` (with the top bit's sense inverted when ``invert_top``)."""
    n = len(bits)
    if value <= 0:
        return NEVER
    if value >= 1 << n:
        return ALWAYS
    out = []
    for i in range(n - 1, -1, -1):
        if value >> i & 1:
            pairs = [*_prefix(bits, value, i, invert_top), (bits[i], int(invert_top and i == n - 1))]
            out.append(Term(tuple(pairs)))
    return _check(out)


def compare(bits: tuple[int, ...], op: str, value: int, *, signed: bool = False,
            register: str | None = None) -> Terms:
    """``bits op value`` for ``op`` in ``== != < <= > >=``, the bits read as an unsigned integer
    (two's complement when ``signed``)."""
    n = len(bits)
    if signed:
        low, high = -(1 << (n - 1)), 1 << (n - 1)
        # order-preserving map of the signed range onto 0 .. 2^n - 1: flip the sign bit
        shifted = value + high
        if op in ("==", "!="):
            pattern = value & ((1 << n) - 1) if low <= value < high else -1
            result = equals(bits, pattern, register) if pattern >= 0 else NEVER
            return negate(result) if op == "!=" else result
        return _ordered(bits, op, shifted, True)
    if op == "==":
        return equals(bits, value, register)
    if op == "!=":
        return negate(equals(bits, value))
    return _ordered(bits, op, value, False)


def _ordered(bits: tuple[int, ...], op: str, value: int, invert_top: bool) -> Terms:
    if op == "<":
        return _less(bits, value, invert_top)
    if op == "<=":
        return _less(bits, value + 1, invert_top)
    if op == ">=":
        return negate(_less(bits, value, invert_top))
    if op == ">":
        return negate(_less(bits, value + 1, invert_top))
    raise ValueError(f"not a comparison: {op!r}")


def conjoin(a: Terms, b: Terms) -> Terms:
    """``a and b``."""
    out = []
    for ta in a:
        for tb in b:
            merged = dict(ta.pairs)
            compatible = True
            for bit, value in tb.pairs:
                if merged.setdefault(bit, value) != value:
                    compatible = False
                    break
            if not compatible:
                continue
            pairs = tuple(merged.items())
            register = ta.register if pairs == ta.pairs else tb.register if pairs == tb.pairs else None
            out.append(Term(pairs, register))
    return _check(out)


def _negate_term(term: Term) -> Terms:
    """``not term`` as exclusive terms: the first pair that fails, the ones before it holding."""
    return tuple(Term((*term.pairs[:k], (bit, 1 - value))) for k, (bit, value) in enumerate(term.pairs))


def negate(a: Terms) -> Terms:
    """``not a``."""
    out: Terms = ALWAYS
    for term in a:
        out = conjoin(out, _negate_term(term))
    return out


def disjoin(a: Terms, b: Terms) -> Terms:
    """``a or b`` (``b`` restricted to where ``a`` fails, so the terms stay exclusive)."""
    return _check([*a, *conjoin(negate(a), b)])


def bits_read(terms: Terms) -> frozenset[int]:
    """Every clbit the condition reads."""
    return frozenset(bit for term in terms for bit, _ in term.pairs)


def from_truth_table(bits: Sequence[int], test: Callable[[dict[int, int]], object]) -> Terms:
    """The assignments of ``bits`` (at most :data:`MAX_TABLE_BITS`) for which ``test`` (given
    clbit -> value) is true, as exclusive terms: the assignments are split one bit at a time, from
    the last, and each part where the test no longer depends on the rest becomes one term."""
    n = len(bits)
    if n > MAX_TABLE_BITS:
        raise TooManyTerms(f"the condition reads {n} measured bits (the reader evaluates conditions of at most "
                           f"{MAX_TABLE_BITS} by their truth table)")
    # entry i: the test with bits[k] = bit k of i
    table = [bool(test(dict(zip(bits, values[::-1], strict=True)))) for values in itertools.product((0, 1), repeat=n)]
    order = {bit: k for k, bit in enumerate(bits)}
    out: list[Term] = []

    def split(low: int, top: int, pairs: tuple[tuple[int, int], ...]) -> None:
        part = table[low:low + (1 << top)]
        if not any(part):
            return
        if all(part):
            out.append(Term(tuple(sorted(pairs, key=lambda p: order[p[0]]))))
            if len(out) > MAX_TERMS:
                raise TooManyTerms(f"the condition expands to more than {MAX_TERMS} alternatives (the reader holds "
                                   f"at most {MAX_TERMS})")
            return
        split(low, top - 1, (*pairs, (bits[top - 1], 0)))
        split(low + (1 << (top - 1)), top - 1, (*pairs, (bits[top - 1], 1)))

    split(0, n, ())
    return tuple(out)
