"""Gate bodies and gate modifiers, shared by the OpenQASM readers.

The program model has no custom-gate type, so every gate a program defines is turned, when it is
defined, into a flat *body*: a list of library-gate steps over the gate's own qubits (with the
gate's parameters as placeholder symbols) and a global phase (a
:data:`~qhpc_interop.gates.Definition`). A call binds the placeholders to the call's arguments and
appends the steps (the gate is *inlined*). A defined gate whose name is a library gate and whose
body is exactly that gate's matrix, global phase included (checked numerically at random
arguments), is read as the library gate itself, so circuits written by the writers read back gate
for gate. Gate modifiers (OpenQASM 3) work on bodies: :func:`invert`, :func:`power`,
:func:`control`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InteropError
from ..gates import STANDARD_GATES, Definition, DefinitionStep, definition_matrix
from ..params import Expr, Parameter, ParamValue, bind_value
from .lexer import Token

PI = math.pi

#: The most library gates one gate definition may expand to (definitions that call each other can
#: grow exponentially: 40 nested definitions of two calls each would be 2^40 gates).
MAX_GATE_EXPANSION = 1_000_000


class ExpansionError(Exception):
    """A definition grew past :data:`MAX_GATE_EXPANSION`; the reader reports it at its position."""


def placeholder(index: int) -> Parameter:
    """The symbol standing for a gate's ``index``-th parameter inside its body (not a valid identifier)."""
    return Parameter(f"\x00{index}")


def _is_zero(value: ParamValue) -> bool:
    return not isinstance(value, Expr) and value == 0.0


def _add(a: ParamValue, b: ParamValue) -> ParamValue:
    if _is_zero(b):
        return a
    if _is_zero(a):
        return b
    return a + b


@dataclass
class GateDef:
    """A gate a program can call: a library gate, or a defined gate with its inlined body."""

    name: str
    num_params: int
    num_qubits: int
    library: str | None = None
    body: Definition | None = None
    opaque: bool = False
    token: Token | None = None
    #: Why calling this gate is refused (a gate a format names but the model cannot hold).
    unsupported: str | None = None

    def instantiate(self, args: Sequence[ParamValue]) -> Definition:
        """The gate's steps (over its own qubits ``0..n-1``) and phase for the arguments ``args``."""
        if self.library is not None:
            return [(self.library, tuple(args), tuple(range(self.num_qubits)))], 0.0
        assert self.body is not None
        steps, phase = self.body
        if not args:
            return list(steps), phase
        mapping = {placeholder(i).name: a for i, a in enumerate(args)}
        bound = [(name, tuple(bind_value(p, mapping) for p in params), qubits) for name, params, qubits in steps]
        return bound, bind_value(phase, mapping)


def library_gate(name: str, alias: str | None = None) -> GateDef:
    """The library gate ``name``, callable in a program as ``alias`` (default: the same name)."""
    spec = STANDARD_GATES[name]
    return GateDef(alias or name, spec.num_params, spec.num_qubits, library=name)


def defined_gate(name: str, num_params: int, num_qubits: int, body: Definition, token: Token | None,
                 *, up_to_phase: bool = False) -> GateDef:
    """A gate defined by a program; read as the library gate of the same name if it is exactly that gate."""
    gate = GateDef(name, num_params, num_qubits, body=body, token=token)
    if _matches_library(gate, up_to_phase):
        gate.library, gate.body = name, None
    return gate


def multi_controlled_phase(lam: ParamValue, num_qubits: int) -> Definition:
    """``exp(i lam)`` on the all-ones state of ``num_qubits`` qubits, exactly, from ``cx`` and ``p``.

    Built from the parity identity ``x0 x1 ... x(n-1) = 2^(1-n) * sum over non-empty subsets S of
    (-1)^(|S|+1) * parity(S)``: for each subset, compute its parity onto its highest qubit with
    CNOTs, apply ``p(+-lam / 2^(n-1))`` there, and uncompute.
    """
    steps: list[DefinitionStep] = []
    scale = 2.0 ** (1 - num_qubits)
    for mask in range(1, 2**num_qubits):
        members = [q for q in range(num_qubits) if mask >> q & 1]
        target, others = members[-1], members[:-1]
        sign = 1.0 if len(members) % 2 else -1.0
        steps.extend(("cx", (), (q, target)) for q in others)
        steps.append(("p", (lam * (sign * scale),), (target,)))
        steps.extend(("cx", (), (q, target)) for q in reversed(others))
    return steps, 0.0


def _matches_library(gate: GateDef, up_to_phase: bool = False) -> bool:
    """Whether a defined gate is exactly the library gate of its name (``up_to_phase``: up to a
    global phase, for OpenQASM 2, whose gate bodies cannot hold one)."""
    spec = STANDARD_GATES.get(gate.name)
    if spec is None or spec.num_params != gate.num_params or spec.num_qubits != gate.num_qubits:
        return False
    rng = random.Random(20240229)
    for _ in range(3 if gate.num_params else 1):
        args = [rng.uniform(-2 * PI, 2 * PI) for _ in range(gate.num_params)]
        try:
            mine = definition_matrix(gate.num_qubits, gate.instantiate(args))
        except (InteropError, ValueError, TypeError, ArithmeticError):
            return False
        theirs = spec.matrix(args)
        if up_to_phase:
            k = int(np.argmax(np.abs(theirs)))
            if abs(mine.flat[k]) < 1e-12:
                return False
            mine = mine * (theirs.flat[k] / mine.flat[k])
        if not np.allclose(mine, theirs, rtol=0.0, atol=1e-10):
            return False
    return True


#: The most library gates one gate definition may expand to (definitions that call each other can
#: grow exponentially: 40 nested definitions of two calls each would be 2^40 gates).
class BodyBuilder:
    """Accumulates the steps and phase of a gate body being defined."""

    def __init__(self) -> None:
        self.steps: list[DefinitionStep] = []
        self.phase: ParamValue = 0.0

    def add(self, definition: Definition, qubits: Sequence[int]) -> None:
        """Append ``definition`` (over its own qubits) applied to the body's ``qubits``."""
        steps, phase = definition
        if len(self.steps) + len(steps) > MAX_GATE_EXPANSION:
            raise ExpansionError(f"a gate definition expands to more than {MAX_GATE_EXPANSION} gates")
        for name, params, local in steps:
            self.steps.append((name, params, tuple(qubits[k] for k in local)))
        self.phase = _add(self.phase, phase)

    def definition(self) -> Definition:
        return self.steps, self.phase


# -- gate modifiers ------------------------------------------------------------------------------


class ModifierError(Exception):
    """A modifier cannot be applied within the program model (the reader adds the position)."""


def _remap(definition: Definition, qubits: Sequence[int]) -> Definition:
    steps, phase = definition
    return [(n, p, tuple(qubits[k] for k in q)) for n, p, q in steps], phase


def invert(definition: Definition) -> Definition:
    """The inverse: steps reversed, each inverted (by the library inverse or its own definition)."""
    steps, phase = definition
    out: list[DefinitionStep] = []
    total: ParamValue = -phase if isinstance(phase, Expr) else -float(phase)
    for name, params, qubits in reversed(steps):
        spec = STANDARD_GATES[name]
        inverse = spec.inverse(params)
        if inverse is not None:
            out.append((inverse[0], inverse[1], qubits))
            continue
        sub = spec.definition(params)
        assert sub is not None, f"library gate {name} has neither an inverse nor a definition"
        sub_steps, sub_phase = invert(_remap(sub, qubits))
        out.extend(sub_steps)
        total = _add(total, sub_phase)
    return out, total


def power(definition: Definition, exponent: int) -> Definition:
    """``definition`` repeated ``exponent`` times (the inverse repeated for a negative exponent)."""
    if exponent < 0:
        definition, exponent = invert(definition), -exponent
    steps, phase = definition
    if len(steps) * exponent > MAX_GATE_EXPANSION:
        raise ExpansionError(f"pow({exponent}) of a {len(steps)}-gate definition exceeds {MAX_GATE_EXPANSION} gates")
    total: ParamValue = 0.0
    for _ in range(exponent):
        total = _add(total, phase)
    return list(steps) * exponent, total


def _cu_from_u(t: ParamValue, ph: ParamValue, lam: ParamValue) -> tuple[ParamValue, ...]:
    return (t, ph, lam, 0.0)


#: library gate -> (its singly-controlled library form, how the parameters carry over)
CONTROLLED_FORMS: dict[str, tuple[str, Callable[..., tuple[ParamValue, ...]]]] = {
    "x": ("cx", lambda: ()),
    "cx": ("ccx", lambda: ()),
    "y": ("cy", lambda: ()),
    "z": ("cz", lambda: ()),
    "cz": ("ccz", lambda: ()),
    "h": ("ch", lambda: ()),
    "swap": ("cswap", lambda: ()),
    "rx": ("crx", lambda t: (t,)),
    "ry": ("cry", lambda t: (t,)),
    "rz": ("crz", lambda t: (t,)),
    "p": ("cp", lambda lam: (lam,)),
    "u1": ("cp", lambda lam: (lam,)),
    "t": ("cp", lambda: (PI / 4,)),
    "tdg": ("cp", lambda: (-PI / 4,)),
    "sx": ("csx", lambda: ()),
    "s": ("cs", lambda: ()),
    "sdg": ("csdg", lambda: ()),
    "u": ("cu", _cu_from_u),
    "u2": ("cu", lambda ph, lam: (PI / 2, ph, lam, 0.0)),
    "u3": ("cu3", lambda t, ph, lam: (t, ph, lam)),
}


def control(definition: Definition, count: int = 1, negated: bool = False) -> Definition:
    """``definition`` controlled on ``count`` new qubits, which become qubits ``0..count-1``.

    The qubits of ``definition`` shift up by ``count``. Each step is replaced by its controlled
    library form (:data:`CONTROLLED_FORMS`, applied ``count`` times; a controlled ``id`` stays
    ``id``; a one-qubit gate without such a form, e.g. ``sxdg``, is controlled through its
    definition) and the global phase becomes a ``p`` on the first control (controlled further by
    the others). ``negated`` controls on |0>: an ``x`` on each control before and after. Raises
    :class:`ModifierError` for a step with no controlled form in the library.
    """
    for _ in range(count):
        definition = _control_once(definition)
    if not negated:
        return definition
    flips: list[DefinitionStep] = [("x", (), (k,)) for k in range(count)]
    return [*flips, *definition[0], *flips], definition[1]


def _control_once(definition: Definition) -> Definition:
    steps, phase = definition
    out: list[DefinitionStep] = []
    if not _is_zero(phase):
        out.append(("p", (phase,), (0,)))
    for name, params, qubits in steps:
        shifted = tuple(q + 1 for q in qubits)
        if name == "id":
            out.append((name, params, shifted))
            continue
        form = CONTROLLED_FORMS.get(name)
        if form is not None:
            out.append((form[0], form[1](*params), (0, *shifted)))
            continue
        spec = STANDARD_GATES[name]
        sub = spec.definition(params)
        if spec.num_qubits == 1 and sub is not None:
            # every controlled one-qubit gate is a cu: control the gate's (one-qubit) definition
            sub_steps, _ = _control_once(_remap(sub, qubits))
            out.extend(sub_steps)
            continue
        raise ModifierError(f"ctrl @ {name} needs a {spec.num_qubits + 1}-qubit gate the model does not have")
    return out, 0.0
