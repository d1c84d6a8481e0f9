"""What names stand for while an OpenQASM 3 program is read, and the values expressions take.

Everything a program computes before it runs (constants, loop variables, integer and float
variables, arrays, subroutine results) is computed while it is read, so a name of a classical
variable stands for a value known now. What is only known when the circuit runs -- measured bits --
stays symbolic: a :class:`Bits` reference, or a :class:`Cond` (a condition on bits, as
:mod:`.conditions` terms) once compared. The readers put such values only where the model can hold
them (``if`` and ``switch`` conditions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .conditions import Terms
from .gatedefs import GateDef
from .lexer import Token
from .parser import Special, Value

# -- symbols -------------------------------------------------------------------------------------


@dataclass
class Register3:
    """Declared qubits or bits, or an alias of some (``let``): flat indices in order.

    ``scalar`` for ``qubit q;`` / ``bit c;`` and an alias of one indexed bit.
    """

    name: str
    bits: tuple[int, ...]
    scalar: bool
    quantum: bool
    token: Token | None
    alias: bool = False
    #: whether measurements may write these bits (a subroutine's bit parameter is a copy: not written)
    writable: bool = True


@dataclass(frozen=True)
class CType:
    """A classical type: ``kind`` is ``int uint float angle bool bit complex duration stretch``;
    ``width`` its designator (``None``: none given); ``dims`` the sizes of an array of it."""

    kind: str
    width: int | None = None
    dims: tuple[int, ...] = ()

    def __str__(self) -> str:
        base = self.kind if self.width is None else f"{self.kind}[{self.width}]"
        if 0 in self.dims:
            return f"array[{base}, #dim = {len(self.dims)}]"
        return base if not self.dims else f"array[{base}, {', '.join(map(str, self.dims))}]"

    @property
    def element(self) -> CType:
        return CType(self.kind, self.width)


@dataclass
class Variable:
    """A classical variable, constant or ``input``: its type and its value now.

    ``value`` is ``None`` before the first assignment. ``role`` is ``input``, ``const`` or
    ``variable``.
    """

    name: str
    ctype: CType
    value: Value | None
    role: str
    token: Token | None

    @property
    def const(self) -> bool:
        return self.role in ("const", "input")


@dataclass
class Subroutine:
    """A ``def``: its parameters (name, type; ``qubit`` parameters have kind ``qubit``), its
    return type, and its body as tokens (read again at each call)."""

    name: str
    params: list[tuple[Token, CType]]
    returns: CType | None
    body: list[Token]
    token: Token


Symbol3 = Register3 | Variable | GateDef | Subroutine


@dataclass
class Scope:
    """Names declared in one scope. A ``closed`` scope (a ``def`` or ``gate`` body) sees only the
    global scope's constants, gates and subroutines beyond itself."""

    names: dict[str, Symbol3] = field(default_factory=dict)
    closed: bool = False
    #: how many ``if`` on measured bits enclosed the scope when it was opened
    runtime_depth: int = 0


# -- values that are not numbers -----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Bits(Special):
    """Measured bits (a bit register, part of one, or one bit): known only when the circuit runs.

    ``signed`` when read through an ``int[n]`` cast. ``machine`` is ``"int"`` or ``"uint"`` when read
    through a cast without a width (``int(c)``): a machine integer, whose width is the
    implementation's, holding the bits zero-extended; its value is then read as an unbounded
    integer, and what would depend on that width (``~`` of a ``uint``, a shift past 31 bits) is
    refused. ``name`` is how the program wrote it. ``register`` names the register when these are
    all of its bits, in order.
    """

    bits: tuple[int, ...]
    scalar: bool
    name: str
    register: str | None = None
    signed: bool = False
    machine: str | None = None

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"the measured bit{'' if self.scalar else 's'} '{self.name}'"


@dataclass(frozen=True, eq=False)
class Snapshot(Bits):
    """Measured bits a variable holds (``int x = c;``), with each bit's write count when it was
    assigned: read after one of them was measured again, the variable no longer stands for them."""

    stamp: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class Complement(Special):
    """``~c`` of measured bits (several): only compared with a number, where it is read as a
    comparison of ``c`` itself (``~c == v`` is ``c == ~v``)."""

    of: Bits

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"'~{self.of.name}'"


@dataclass(frozen=True, eq=False)
class Computed(Special):
    """An integer computed from measured bits by bitwise operators (``c & 5``, ``c >> 1``,
    ``~c ^ d``): known only when the circuit runs, so only compared (or tested) in a condition,
    where it is read as the bit patterns that satisfy the comparison (its truth table)."""

    bits: tuple[int, ...]  # the measured bits it reads
    value: Callable[[dict[int, int]], int]  # its value for an assignment of those bits
    width: int | None  # the width it is wrapped to (None: a plain integer)
    text: str

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"'{self.text}'"


@dataclass(frozen=True, eq=False)
class Cond(Special):
    """A condition on measured bits (true or false only when the circuit runs)."""

    terms: Terms

    what = "a condition on measured bits"


@dataclass(eq=False)
class Array(Special):
    """A classical array: its type and its elements (nested lists, one level per dimension)."""

    ctype: CType
    data: list[Any]

    what = "an array"


@dataclass(frozen=True, eq=False)
class Duration(Special):
    """A duration (``100ns``, ``2 * d``): kept only to be dropped with the ``delay`` or ``box`` using it."""

    seconds: float
    dt: float = 0.0

    what = "a duration"


@dataclass(frozen=True, eq=False)
class Measured(Special):
    """The result of ``measure q`` inside an expression (a subroutine's ``return measure q;``)."""

    qubits: tuple[int, ...]
    scalar: bool
    token: Token

    what = "a measurement result"


# -- angles --------------------------------------------------------------------------------------

TWO_PI = 2.0 * math.pi
#: beyond this many bits an angle's steps are finer than a float resolves: it is kept as a float mod 2 pi
_EXACT_ANGLE_BITS = 60


class Angle(float):
    """A value of type ``angle[n]`` (``width`` n) or ``angle`` (``width`` None): a float in ``[0, 2 pi)``.

    An ``angle[n]`` is ``k * 2 pi / 2^n`` for the unsigned n-bit integer ``k``: the specification's
    fixed-point angle, whose arithmetic is that of ``uint[n]`` on ``k`` (wrapping). Build one with
    :func:`make_angle`.
    """

    __slots__ = ("k", "width")
    width: int | None
    #: the n-bit integer (None: unsized, or too wide to be exact)
    k: int | None


def make_angle(value: float, width: int | None) -> Angle:
    """``value`` as an ``angle[width]``: modulo 2 pi, then the nearest step, ties to even (the
    specification's cast from float); an unsized angle is the float modulo 2 pi."""
    wrapped = math.fmod(value, TWO_PI)  # the value must be finite (the reader checks)
    if wrapped < 0.0:
        wrapped += TWO_PI
    if width is None or width > _EXACT_ANGLE_BITS:
        angle = Angle(0.0 if wrapped >= TWO_PI else wrapped)
        angle.width, angle.k = width, None
        return angle
    return angle_of_steps(round(math.ldexp(wrapped / TWO_PI, width)), width)


def angle_of_steps(k: int, width: int) -> Angle:
    """The ``angle[width]`` whose bit pattern is ``k`` (taken modulo ``2^width``)."""
    k %= 1 << width
    angle = Angle(math.ldexp(k, -width) * TWO_PI)
    angle.width, angle.k = width, k
    return angle


# -- sized integers ------------------------------------------------------------------------------


class Sized(int):
    """A value of type ``int[n]``, ``uint[n]`` or ``bit[n]`` (``kind``, ``width``): an int that
    keeps its width, so that bit access, ``~``, shifts and ``popcount`` act on its n-bit
    representation (two's complement for ``int[n]``), as the specification defines them. Arithmetic
    (``+ - * /``) gives plain integers; storing one in a variable wraps it to the variable's type."""

    kind: str
    width: int

    @property
    def pattern(self) -> int:
        """The n-bit pattern, as an unsigned integer."""
        return int(self) & ((1 << self.width) - 1)


def make_sized(value: int, kind: str, width: int) -> Sized:
    """``value`` wrapped to ``kind[width]`` (``uint`` and ``bit`` modulo ``2^n``, ``int`` two's complement)."""
    value &= (1 << width) - 1
    if kind == "int" and value >> (width - 1):
        value -= 1 << width
    sized = Sized(value)
    sized.kind, sized.width = kind, width
    return sized
