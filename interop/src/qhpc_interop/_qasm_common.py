"""Semantics shared by the OpenQASM 2 and 3 readers and writers.

Reading
    The program model has no custom-gate type, so every gate a program defines is turned, when it
    is defined, into a flat *body*: a list of library-gate steps over the gate's own qubits (with
    the gate's parameters as placeholder symbols) and a global phase (a
    :data:`~qhpc_interop.gates.Definition`). A call binds the placeholders to the call's arguments
    and appends the steps (the gate is *inlined*). A defined gate whose name is a library gate and
    whose body is exactly that gate's matrix, global phase included (checked numerically at random
    arguments), is read as the library gate itself, so circuits written by :mod:`.qasm2`/:mod:`.qasm3`
    read back gate for gate. Gate modifiers (OpenQASM 3) work on bodies: :func:`invert`,
    :func:`power`, :func:`control`.

Writing
    Register planning (:func:`plan_registers`), identifier allocation (:class:`NameAllocator`),
    the order of generated gate definitions (:func:`definition_order`) and the ZYZ decomposition of
    one-qubit unitaries (:func:`zyz_angles`).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._qasm_syntax import Parser, Token, Value
from .errors import InteropError, QasmSyntaxError, QasmUnsupportedError
from .gates import STANDARD_GATES, Definition, DefinitionStep, definition_matrix
from .ir import BARRIER, MEASURE, RESET, Circuit, Condition, Instruction, Register
from .ir import library_gate as library_gate_instance
from .params import Expr, Parameter, ParamValue, bind_value

PI = math.pi

# -- gate bodies -----------------------------------------------------------------------------------


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
MAX_GATE_EXPANSION = 1_000_000
#: The most qubits, and the most classical bits, a program may declare, in one register or in all
#: of them together (no backend holds more; a bigger declaration is almost surely a mistake, and
#: building it costs seconds and gigabytes). Checked at each declaration, before anything is built.
MAX_REGISTER_BITS = 100_000


class ExpansionError(Exception):
    """A definition grew past :data:`MAX_GATE_EXPANSION`; the reader reports it at its position."""


def check_register_size(size: int, declared: int = 0, kind: str = "bits") -> str | None:
    """Why a register of ``size`` bits is refused when ``declared`` bits of its ``kind`` (qubits or
    classical bits) exist already, or ``None``."""
    if size > MAX_REGISTER_BITS:
        return f"a register of {size} bits exceeds the reader's limit of {MAX_REGISTER_BITS}"
    if declared + size > MAX_REGISTER_BITS:
        return (f"this register brings the program to {declared + size} {kind}, beyond the reader's limit of "
                f"{MAX_REGISTER_BITS}")
    return None


def read_program(reader: Any, source: str) -> Circuit:
    """Run a reader, turning resource exhaustion into positioned errors (too deep, too big)."""
    try:
        return reader.read()  # type: ignore[no-any-return]
    except RecursionError:
        line, col = reader.position()
        raise QasmSyntaxError("the program nests too deeply to read", line, col, source) from None
    except ExpansionError as exc:
        line, col = reader.position()
        raise QasmUnsupportedError(str(exc), line, col, source) from None


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


# -- operands and the circuit being read ----------------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """A resolved gate operand: one bit (``single``) or a list of bits to broadcast over."""

    bits: tuple[int, ...]
    single: bool
    token: Token


class ReaderBase(Parser):
    """What both readers do to the circuit: broadcast operands and emit instructions."""

    def id_list(self, what: str) -> list[Token]:
        """Comma-separated identifiers, each at most once."""
        names = [self.expect_id(what)]
        while self.accept(","):
            names.append(self.expect_id(what))
        seen: set[str] = set()
        for tok in names:
            if tok.text in seen:
                self.error(f"'{tok.text}' appears twice in the list", tok)
            seen.add(tok.text)
        return names

    def arguments(self) -> list[tuple[Value, Token]]:
        """A parenthesised argument list (possibly empty or absent), each with its first token."""
        args: list[tuple[Value, Token]] = []
        if self.accept("("):
            if not self.at(")"):
                while True:
                    tok = self.peek()
                    args.append((self.expression(), tok))
                    if not self.accept(","):
                        break
            self.expect(")", "to close the gate arguments")
        return args

    def __init__(self, text: str, source: str, version: int) -> None:
        super().__init__(text, source, version)
        self.circuit = Circuit()
        #: the condition every emitted instruction gets (inside ``if``)
        self.condition: Condition | None = None

    def broadcast(self, operands: Sequence[Operand], tok: Token) -> list[tuple[int, ...]]:
        """The qubit tuples a call on ``operands`` applies to (registers broadcast, singles repeat)."""
        size: int | None = None
        first: Operand | None = None
        for op in operands:
            if op.single:
                continue
            if size is None:
                size, first = len(op.bits), op
            elif len(op.bits) != size:
                assert first is not None
                self.error(
                    f"cannot broadcast over operands of different sizes: '{first.token.text}' has {size} "
                    f"bit(s) but '{op.token.text}' has {len(op.bits)}",
                    op.token,
                )
        count = 1 if size is None else size
        tuples = [tuple(op.bits[0] if op.single else op.bits[k] for op in operands) for k in range(count)]
        for bits in tuples:
            if len(set(bits)) != len(bits):
                self.error(f"the same qubit is used twice in one operation on {self._names(operands)}", tok)
        return tuples

    @staticmethod
    def _names(operands: Sequence[Operand]) -> str:
        return ", ".join(op.token.text for op in operands)

    def emit_definition(self, definition: Definition, qubits: Sequence[int]) -> None:
        """Append ``definition`` applied to ``qubits``; its phase goes to the circuit's global phase.

        Under a condition the phase is dropped: a phase applied in one classical branch is not
        observable, and the model has no conditional phase.
        """
        steps, phase = definition
        # the readers have checked every operand (in range, no qubit twice) and the condition, and
        # library definitions act on distinct qubits: append without the circuit's re-checks
        condition = self.condition
        append = self.circuit.instructions.append
        for name, params, local in steps:
            targets = (qubits[local[0]],) if len(local) == 1 else tuple(qubits[k] for k in local)
            append(Instruction(library_gate_instance(name, params), targets, (), condition))
        if condition is None and not _is_zero(phase):
            self.circuit.global_phase = _add(self.circuit.global_phase, phase)

    def emit_measure(self, qubits: Operand, clbits: Operand, tok: Token) -> None:
        if qubits.single != clbits.single or len(qubits.bits) != len(clbits.bits):
            self.error(
                f"measure: '{qubits.token.text}' has {len(qubits.bits)} qubit(s) but '{clbits.token.text}' "
                f"has {len(clbits.bits)} bit(s)",
                tok,
            )
        for q, c in zip(qubits.bits, clbits.bits):
            self.circuit.append(MEASURE, [q], [c], condition=self.condition)

    def emit_reset(self, qubits: Operand) -> None:
        for q in qubits.bits:
            self.circuit.append(RESET, [q], condition=self.condition)

    def emit_barrier(self, operands: Sequence[Operand]) -> None:
        """A barrier on every listed qubit (dropped under a condition: it has no effect on the state)."""
        if self.condition is not None:
            return
        bits = list(dict.fromkeys(b for op in operands for b in op.bits))  # first occurrence, in order
        if bits:
            self.circuit.append(BARRIER, bits)

    def check_call(self, gate: GateDef, num_args: int, num_operands: int, tok: Token, extra_qubits: int = 0) -> None:
        """Check a call's argument and operand counts against the gate."""
        if gate.unsupported:
            self.unsupported(gate.unsupported, tok)
        if gate.opaque:
            self.unsupported(f"opaque gate '{gate.name}' has no definition the program model can hold", tok)
        if num_args != gate.num_params:
            self.error(f"gate '{gate.name}' takes {gate.num_params} parameter(s), got {num_args}", tok)
        expected = gate.num_qubits + extra_qubits
        if num_operands != expected:
            self.error(f"gate '{gate.name}' acts on {expected} qubit(s), got {num_operands}", tok)


# -- writing -------------------------------------------------------------------------------------


class NameAllocator:
    """Hands out identifiers that are valid in a format, distinct, and not reserved.

    A name that is valid and free is kept; otherwise it is escaped by ``sanitize`` (invalid
    characters become ``_``) and, if taken, suffixed ``_1``, ``_2``... Deterministic.
    """

    def __init__(self, reserved: Iterable[str], valid: Callable[[str], bool], sanitize: Callable[[str], str]) -> None:
        self.taken = set(reserved)
        self.valid = valid
        self.sanitize = sanitize

    def take(self, name: str) -> str:
        base = name if self.valid(name) else self.sanitize(name)
        candidate, k = base, 0
        while candidate in self.taken:
            k += 1
            candidate = f"{base}_{k}"
        self.taken.add(candidate)
        return candidate


@dataclass
class RegisterPlan:
    """How a circuit's bits are declared and referred to in the text."""

    declarations: list[tuple[str, int]] = field(default_factory=list)
    #: flat bit index -> its text (``c[2]``)
    refs: list[str] = field(default_factory=list)
    #: a declared register's bits (in order) -> its written name
    by_bits: dict[tuple[int, ...], str] = field(default_factory=dict)


def plan_registers(registers: Sequence[Register], count: int, default: str, names: NameAllocator) -> RegisterPlan:
    """Declare ``registers`` if they lay the ``count`` bits out in order, else one register.

    The registers are used when, empty ones left out, their bits concatenated are ``0..count-1``
    (so reading the text back numbers the bits as they are numbered now); otherwise the bits are
    written as one register called ``default`` (or a free variant of it).
    """
    plan = RegisterPlan()
    if count == 0:
        return plan
    regs = [r for r in registers if r.size]
    if [b for r in regs for b in r.bits] != list(range(count)):
        regs = [Register(default, tuple(range(count)))]
    for reg in regs:
        name = names.take(reg.name)
        plan.declarations.append((name, reg.size))
        plan.refs.extend(f"{name}[{k}]" for k in range(reg.size))
        plan.by_bits[reg.bits] = name
    return plan


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

