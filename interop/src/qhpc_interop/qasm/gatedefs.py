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

from ..controls import ControlError
from ..controls import control as _control
from ..errors import InteropError
from ..gates import STANDARD_GATES, Definition, DefinitionStep, definition_matrix
from ..params import Expr, Parameter, ParamValue, bind_value
from .lexer import Token

PI = math.pi

#: The most library gates one gate definition may expand to (definitions that call each other can
#: grow exponentially: 40 nested definitions of two calls each would be 2^40 gates).
MAX_GATE_EXPANSION = 1_000_000

#: The widest gate a non-integer ``pow`` takes (its principal power is a matrix, written as library
#: gates by :func:`qhpc_interop.synthesis.unitary_steps`: 6,976 of them for six qubits).
MAX_POWERED_QUBITS = 6
#: The most instructions a program may be read into, all told (gate calls with their definitions
#: expanded, broadcasts, unrolled loops and subroutine calls): past this it is refused by name, not
#: read until memory runs out (2,000 lines of ``h q;`` on 100,000 qubits reached 3.7 GB).
MAX_INSTRUCTIONS = 10_000_000


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


#: library controlled gates of a one-qubit gate: (the gate, its controls, parameters -> (its
#: parameters..., the phase of the controlled one-qubit matrix))
_CONTROLLED_ONE_QUBIT: dict[str, tuple[str, int, Callable[..., tuple[ParamValue, ...]]]] = {
    "cx": ("x", 1, lambda: (0.0,)), "ccx": ("x", 2, lambda: (0.0,)), "cy": ("y", 1, lambda: (0.0,)),
    "cz": ("z", 1, lambda: (0.0,)), "ccz": ("z", 2, lambda: (0.0,)), "ch": ("h", 1, lambda: (0.0,)),
    "cs": ("s", 1, lambda: (0.0,)), "csdg": ("sdg", 1, lambda: (0.0,)), "csx": ("sx", 1, lambda: (0.0,)),
    "crx": ("rx", 1, lambda t: (t, 0.0)), "cry": ("ry", 1, lambda t: (t, 0.0)), "crz": ("rz", 1, lambda t: (t, 0.0)),
    "cp": ("p", 1, lambda lam: (lam, 0.0)), "cu1": ("p", 1, lambda lam: (lam, 0.0)),
    "cu3": ("u", 1, lambda t, ph, lam: (t, ph, lam, 0.0)), "cu": ("u", 1, lambda t, ph, lam, g: (t, ph, lam, g)),
}


def fractional_power(definition: Definition, exponent: float, num_qubits: int) -> Definition:
    """``definition`` raised to a non-integer ``exponent``: the principal power (eigenphases in
    ``(-pi, pi]``, an eigenvalue -1 taken as ``e^{i pi}``, as the specification and Qiskit do):
    for a library controlled gate of a one-qubit gate (``cx``, ``ccz``, ``crx``, ``cu``...) the
    controlled power (symbolic parameters kept); else, for numeric parameters, the power's matrix,
    one ``u`` and a global phase on one qubit, library gates on up to :data:`MAX_POWERED_QUBITS`
    (``pow(0.5) @ swap``). Raises :class:`ModifierError` for anything else."""
    steps, phase = definition
    if num_qubits == 0 and not steps and not isinstance(phase, Expr):
        # gphase: e^{i gamma} to the power r, gamma taken in (-pi, pi] first
        principal = math.remainder(float(phase), 2 * math.pi)
        return [], exponent * (math.pi if principal == -math.pi else principal)
    if num_qubits > 1 and len(steps) == 1 and steps[0][0] in _CONTROLLED_ONE_QUBIT and _is_zero(phase):
        name, params, qubits = steps[0]
        base, count, carry = _CONTROLLED_ONE_QUBIT[name]
        if qubits == tuple(range(num_qubits)) and count == num_qubits - 1:
            base_steps, base_phase = [(base, carry(*params)[:-1], (0,))], carry(*params)[-1]
            powered = fractional_power((base_steps, base_phase), exponent, 1)  # type: ignore[arg-type]
            return control(powered, count)
    if num_qubits > MAX_POWERED_QUBITS:
        raise ModifierError(f"a non-integer power of a {num_qubits}-qubit gate is taken as its matrix, up to "
                            f"{MAX_POWERED_QUBITS} qubits")
    if isinstance(phase, Expr) or any(isinstance(p, Expr) for _, params, _ in steps for p in params):
        raise ModifierError("a non-integer power of a gate with symbolic parameters is not supported (its principal "
                            "branch depends on the parameter values)")
    from ..gates import zyz_angles

    matrix = _principal_power(definition_matrix(num_qubits, definition), exponent)
    if num_qubits == 1:
        theta, phi, lam, gamma = zyz_angles(matrix)
        return [("u", (theta, phi, lam), (0,))], gamma
    # sqrt(swap), sqrt(iswap)...: the power's matrix as library gates (a gate body holds no matrix)
    from ..synthesis import unitary_steps

    return unitary_steps(matrix)  # type: ignore[return-value]


def _principal_power(unitary: np.ndarray, exponent: float) -> np.ndarray:
    """``unitary`` to the power ``exponent``, each eigenphase taken in (-pi, pi] (an eigenvalue -1 as
    ``e^{i pi}``: the branch cut is turned a hair clockwise first, as Qiskit's ``Operator.power``)."""
    tilt = math.pi * 1e-12
    rotated = np.exp(-1j * tilt) * unitary
    # a unitary is H + iK with commuting Hermitian H and K: a generic real mix of the two has its
    # eigenvectors, orthonormal (numpy's eigh), even where two eigenvalues are equal or close
    hermitian = (rotated + rotated.conj().T) / 2
    skew = (rotated - rotated.conj().T) / 2j
    _, vectors = np.linalg.eigh(hermitian + 0.6180339887498949 * skew)
    phases = (np.angle(np.diag(vectors.conj().T @ rotated @ vectors)) + tilt) * exponent
    return (vectors * np.exp(1j * phases)) @ vectors.conj().T


def control(definition: Definition, count: int = 1, negated: Sequence[bool] | bool = False) -> Definition:
    """``definition`` controlled on ``count`` new qubits, which become qubits ``0..count-1``, exactly
    and from library gates only (:func:`qhpc_interop.controls.control`: any gate, any number of
    controls). ``negated`` controls on |0>. Raises :class:`ModifierError` past
    :data:`MAX_GATE_EXPANSION` gates."""
    try:
        return _control(definition, count, negated, limit=MAX_GATE_EXPANSION)
    except ControlError as exc:
        raise ModifierError(str(exc)) from None
