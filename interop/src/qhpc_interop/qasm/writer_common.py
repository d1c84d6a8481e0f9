"""Helpers shared by the OpenQASM 2 and 3 writers: names, registers, definitions.

Register planning (:func:`plan_registers`), identifier allocation (:class:`NameAllocator`) and the
order of generated gate definitions (:func:`definition_order`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..gates import STANDARD_GATES, Definition
from ..ir import Register
from ..params import Expr, Parameter, ParamValue
from .gatedefs import placeholder


class NameAllocator:
    """Hands out identifiers that are valid in a format, distinct, and not reserved.

    A name that is valid and free is kept; otherwise it is escaped by ``sanitize`` (invalid
    characters become ``_``) and, if taken, suffixed ``_1``, ``_2``... Deterministic.
    """

    def __init__(self, reserved: Iterable[str], valid: Callable[[str], bool], sanitize: Callable[[str], str]) -> None:
        self.taken = set(reserved)
        self.valid = valid
        self.sanitize = sanitize
        #: what was written under another name than the circuit's (``classical register 'z' as 'z_1'``)
        self.changes: list[str] = []
        #: valid names set aside for :meth:`take` to give back to their owners (:meth:`claim`)
        self.claimed: set[str] = set()

    def claim(self, names: Iterable[str]) -> None:
        """Set aside those of ``names`` that are valid and free, so that :meth:`take` gives each back
        to its owner and a name escaped before its owner's turn never takes it (a register ``z``,
        a gate's name, written ``z_1`` where a register ``z_1`` exists, which then became
        ``z_1_1``: results under ``z_1`` were the other register's)."""
        for name in names:
            if self.valid(name) and name not in self.taken:
                self.taken.add(name)
                self.claimed.add(name)

    def take(self, name: str, what: str | None = None) -> str:
        """A free identifier for ``name``; where it differs and ``what`` names the thing, the change is noted."""
        if name in self.claimed:
            self.claimed.discard(name)
            return name
        base = name if self.valid(name) else self.sanitize(name)
        candidate, k = base, 0
        while candidate in self.taken:
            k += 1
            candidate = f"{base}_{k}"
        self.taken.add(candidate)
        if what is not None and candidate != name:
            self.changes.append(f"{what} {name!r} as {candidate!r}")
        return candidate


@dataclass
class RegisterPlan:
    """How a circuit's bits are declared and referred to in the text."""

    declarations: list[tuple[str, int]] = field(default_factory=list)
    #: flat bit index -> its text (``c[2]``)
    refs: list[str] = field(default_factory=list)
    #: a declared register's bits (in order) -> its written name
    by_bits: dict[tuple[int, ...], str] = field(default_factory=dict)


def plan_registers(registers: Sequence[Register], count: int, default: str, names: NameAllocator,
                   what: str | None = None) -> RegisterPlan:
    """Declare ``registers``, and the bits in none of them, so that the text numbers the bits as now.

    Reading OpenQASM numbers bits in the order their registers are declared, so the registers are
    kept when each holds consecutive bits and no two share one (empty ones are left out): they are
    declared in the order of their first bits, and each run of bits in no register is declared as
    a register called ``default`` (or a free variant of it, ``q_1`` where a register ``q`` exists).
    Otherwise all bits are written as one register ``default``, and where ``what`` names the
    registers (``classical register``) that, and a register written under another name, is noted
    in ``names.changes``.
    """
    plan = RegisterPlan()
    if count == 0:
        return plan
    regs = [r for r in registers if r.size]
    layout = _in_bit_order(regs, count, default)
    if layout is None:
        if what is not None:
            shown = ", ".join(repr(r.name) for r in regs)
            names.changes.append(f"{what}s {shown} as one register (their bits are not in order)")
        layout = [(Register(default, tuple(range(count))), False)]
    # the circuit's registers take their names before the runs of loose bits take the default's
    written = {id(reg): names.take(reg.name, what) for reg, own in layout if own}
    written.update({id(reg): names.take(reg.name) for reg, own in layout if not own})
    for reg, _own in layout:
        name = written[id(reg)]
        plan.declarations.append((name, reg.size))
        plan.refs.extend(f"{name}[{k}]" for k in range(reg.size))
        plan.by_bits[reg.bits] = name
    return plan


def _in_bit_order(regs: Sequence[Register], count: int, default: str) -> list[tuple[Register, bool]] | None:
    """``regs`` in the order of their first bits, with a register called ``default`` for each run
    of bits in none of them (each paired with whether it is one of ``regs``), if every register
    holds consecutive bits below ``count`` and no bit is in two; else None."""
    covered: set[int] = set()
    starts: dict[int, Register] = {}
    for reg in regs:
        first = reg.bits[0]
        if reg.bits != tuple(range(first, first + reg.size)) or first + reg.size > count or covered.intersection(reg.bits):
            return None
        covered.update(reg.bits)
        starts[first] = reg
    layout: list[tuple[Register, bool]] = []
    bit = 0
    while bit < count:
        found = starts.get(bit)
        if found is not None:
            layout.append((found, True))
            bit += found.size
            continue
        end = bit
        while end < count and end not in covered:
            end += 1
        layout.append((Register(default, tuple(range(bit, end))), False))
        bit = end
    return layout


def definition_order(names: Iterable[str], native: Callable[[str], bool],
                     overrides: Mapping[str, Callable[..., Definition]] | None = None) -> list[str]:
    """The non-native library gates among ``names`` and everything their definitions use, dependencies first.

    ``overrides`` gives a format's own definition of a gate (used instead of the library's).
    """
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if native(name) or name in seen:
            return
        seen.add(name)
        spec = STANDARD_GATES[name]
        args = [placeholder(i) for i in range(spec.num_params)]
        definition = overrides[name](*args) if overrides and name in overrides else spec.definition(args)
        assert definition is not None, f"library gate {name} is not native and has no definition"
        for step_name, _params, _qubits in definition[0]:
            visit(step_name)
        order.append(name)

    for name in names:
        visit(name)
    return order


def library_definition(name: str, param_names: Sequence[str],
                       overrides: Mapping[str, Callable[..., Definition]] | None = None) -> Definition:
    """The library definition of ``name`` (or its override) with its parameters as symbols ``param_names``."""
    symbols = [Parameter(p) for p in param_names]
    if overrides and name in overrides:
        return overrides[name](*symbols)
    definition = STANDARD_GATES[name].definition(symbols)
    assert definition is not None
    return definition


def uses_function(value: ParamValue, function: str) -> bool:
    """Whether the expression applies ``function`` (e.g. ``abs``) anywhere."""
    if not isinstance(value, Expr) or isinstance(value, Parameter):
        return False
    op = getattr(value, "op", None)
    args = getattr(value, "args", ())
    return op == function or any(uses_function(a, function) for a in args)


QASM2_IDENTIFIER = re.compile(r"[a-z][A-Za-z0-9_]*")
QASM3_IDENTIFIER = re.compile(r"[^\W\d]\w*")
