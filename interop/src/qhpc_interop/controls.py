"""Exact controlled forms of library gates, with any number of controls, from library gates only.

A gate controlled on ``k`` qubits is rewritten into library gates without ancillas, global phase
included, and with symbolic parameters kept symbolic:

* one control: the gate's singly controlled library form where there is one (``rx`` -> ``crx``,
  ``cx`` -> ``ccx``...; :data:`CONTROLLED_FORMS`);
* ``x`` with its controls (``x``, ``cx``, ``ccx`` under more controls) is a multi-controlled X,
  ``ccx`` for two controls and ``h``, multi-controlled phase ``pi``, ``h`` beyond;
* the rotations ``rx ry rz p`` (and ``z s t``..., which are phases) by Barenco et al. (1995),
  lemma 7.9: ``C^k R(t) = CR(t/2)[c_k] . C^{k-1}X[c_k] . CR(-t/2)[c_k] . C^{k-1}X[c_k] .
  C^{k-1}R(t/2)``, exact for any angle, symbolic ones included;
* ``u`` as ``u(theta, phi, lambda) = p(phi) ry(theta) p(lambda)``, exactly;
* any other gate through its library definition, step by step, and the definition's global phase
  as a phase on the controls (the phase of a controlled gate is a relative phase).

The multi-controlled X inside the rotations' recursion borrows the rotation's idle target as a
dirty ancilla (Barenco et al., lemmas 7.2 and 7.3), so a gate under ``k`` controls takes O(k^2)
library gates, not the O(3^k) of the ancilla-free recursion; :data:`MAX_CONTROLLED_STEPS` bounds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .gates import STANDARD_GATES, Definition, DefinitionStep
from .params import Expr, ParamValue

PI = math.pi

#: the most library gates one controlled gate may expand to
MAX_CONTROLLED_STEPS = 1_000_000


class ControlError(Exception):
    """A controlled form would exceed :data:`MAX_CONTROLLED_STEPS` gates."""


def _cu_from_u(t: ParamValue, ph: ParamValue, lam: ParamValue) -> tuple[ParamValue, ...]:
    return (t, ph, lam, 0.0)


#: library gate -> (its singly controlled library form, how the parameters carry over)
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

#: rotations controlled by Barenco's lemma 7.9, with their singly controlled forms
_ROTATIONS = {"rx": "crx", "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp"}
#: fixed one-qubit phases, as ``p`` angles
_PHASES = {"z": PI, "s": PI / 2, "sdg": -PI / 2, "t": PI / 4, "tdg": -PI / 4}


def _is_zero(value: ParamValue) -> bool:
    return not isinstance(value, Expr) and value == 0.0


class _Builder:
    def __init__(self, limit: int) -> None:
        self.out: list[DefinitionStep] = []
        self.limit = limit

    def emit(self, name: str, params: tuple[ParamValue, ...], qubits: tuple[int, ...]) -> None:
        self.out.append((name, params, qubits))
        if len(self.out) > self.limit:
            raise ControlError(f"the controlled gate expands to more than {self.limit} gates")

    def rotation(self, kind: str, theta: ParamValue, ctrls: Sequence[int], target: int) -> None:
        """``kind(theta)`` on ``target`` controlled by every qubit of ``ctrls``."""
        k = len(ctrls)
        if k == 0:
            self.emit("p" if kind == "u1" else kind, (theta,), (target,))
            return
        if k == 1:
            self.emit(_ROTATIONS[kind], (theta,), (ctrls[0], target))
            return
        half = theta / 2
        last, rest = ctrls[-1], ctrls[:-1]
        self.emit(_ROTATIONS[kind], (half,), (last, target))
        self.mcx(rest, last, (target,))  # the rotation's target is idle meanwhile: a dirty ancilla
        self.emit(_ROTATIONS[kind], (-half,), (last, target))
        self.mcx(rest, last, (target,))
        self.rotation(kind, half, rest, target)

    def mcx(self, ctrls: Sequence[int], target: int, dirty: Sequence[int] = ()) -> None:
        """X on ``target`` controlled by ``ctrls``; the qubits ``dirty`` (in any state, left as they
        were) may serve as ancillas: with one, the gate costs O(k) Toffolis (Barenco et al.,
        lemmas 7.2 and 7.3) instead of the O(3^k) gates of the ancilla-free recursion."""
        k = len(ctrls)
        if k == 0:
            self.emit("x", (), (target,))
        elif k == 1:
            self.emit("cx", (), (ctrls[0], target))
        elif k == 2:
            self.emit("ccx", (), (ctrls[0], ctrls[1], target))
        elif len(dirty) >= k - 2:
            self._mcx_chain(ctrls, target, dirty[:k - 2])
        elif dirty:
            # lemma 7.3: split the controls; each half's X uses the other half as dirty ancillas
            a = dirty[0]
            first, second = ctrls[:(k + 1) // 2], ctrls[(k + 1) // 2:]
            for _ in range(2):
                self.mcx(first, a, (*second, target))
                self.mcx((*second, a), target, first)
        else:  # X = H Z H, and a controlled Z is a controlled p(pi)
            self.emit("h", (), (target,))
            self.rotation("p", PI, ctrls, target)
            self.emit("h", (), (target,))

    def _mcx_chain(self, ctrls: Sequence[int], target: int, anc: Sequence[int]) -> None:
        """Lemma 7.2: ``k >= 3`` controls, ``k - 2`` dirty ancillas, 4(k - 2) Toffolis; the chain
        toggles the target by the controls' AND, and its second half restores the ancillas."""
        k = len(ctrls)
        down = [(ctrls[i + 2], anc[i], anc[i + 1]) for i in range(k - 3)]  # Toffoli(c[i+2], a[i] -> a[i+1])
        ladder = [*reversed(down), (ctrls[0], ctrls[1], anc[0]), *down]
        top = (ctrls[k - 1], anc[k - 3], target)
        for qubits in (top, *ladder, top, *ladder):
            self.emit("ccx", (), qubits)

    def phase(self, alpha: ParamValue, ctrls: Sequence[int]) -> None:
        """``e^{i alpha}`` where every control reads 1 (a phase on the last, controlled by the rest)."""
        if _is_zero(alpha) or not ctrls:
            return
        self.rotation("p", alpha, ctrls[:-1], ctrls[-1])

    def u(self, theta: ParamValue, phi: ParamValue, lam: ParamValue, ctrls: Sequence[int], target: int) -> None:
        # u(theta, phi, lambda) = p(phi) ry(theta) p(lambda), global phase included
        for kind, angle in (("p", lam), ("ry", theta), ("p", phi)):
            if not _is_zero(angle):
                self.rotation(kind, angle, ctrls, target)

    def gate(self, name: str, params: tuple[ParamValue, ...], targets: tuple[int, ...], ctrls: Sequence[int]) -> None:
        k = len(ctrls)
        if name == "id":
            self.emit(name, params, targets)
            return
        if k == 1:
            form = CONTROLLED_FORMS.get(name)
            if form is not None:
                self.emit(form[0], form[1](*params), (ctrls[0], *targets))
                return
        if k == 2 and name == "x":
            self.emit("ccx", (), (*ctrls, *targets))
            return
        if k == 2 and name == "z":
            self.emit("ccz", (), (*ctrls, *targets))
            return
        if name in ("x", "cx", "ccx"):
            self.mcx([*ctrls, *targets[:-1]], targets[-1])
            return
        if name in ("cz", "ccz"):
            self.rotation("p", PI, [*ctrls, *targets[:-1]], targets[-1])
            return
        if name in _PHASES:
            self.rotation("p", _PHASES[name], ctrls, targets[0])
            return
        if name in _ROTATIONS:
            self.rotation(name, params[0], ctrls, targets[0])
            return
        if name in ("u", "u3"):
            self.u(params[0], params[1], params[2], ctrls, targets[0])
            return
        if name == "u2":
            self.u(PI / 2, params[0], params[1], ctrls, targets[0])
            return
        definition = STANDARD_GATES[name].definition(params)
        assert definition is not None, f"library gate {name} has no definition"  # only u and cx lack one
        steps, phase = definition
        for step_name, step_params, local in steps:
            self.gate(step_name, step_params, tuple(targets[q] for q in local), ctrls)
        self.phase(phase, ctrls)


def control(definition: Definition, count: int = 1, negated: Sequence[bool] | bool = False,
            *, limit: int | None = None) -> Definition:
    """``definition`` controlled on ``count`` new qubits, which become qubits ``0..count-1``.

    The qubits of ``definition`` shift up by ``count``; the result has no global phase (the
    definition's becomes a phase on the controls). ``negated`` (one flag, or one per control)
    controls on |0>: an ``x`` on that control before and after. Raises :class:`ControlError` past
    ``limit`` gates (default :data:`MAX_CONTROLLED_STEPS`).
    """
    if count < 1:
        raise ValueError(f"a controlled gate needs at least one control, got {count}")
    flags = [negated] * count if isinstance(negated, bool) else list(negated)
    if len(flags) != count:
        raise ValueError(f"{len(flags)} negation flags for {count} controls")
    steps, phase = definition
    ctrls = tuple(range(count))
    builder = _Builder(MAX_CONTROLLED_STEPS if limit is None else limit)
    for name, params, qubits in steps:
        builder.gate(name, params, tuple(q + count for q in qubits), ctrls)
    builder.phase(phase, ctrls)
    flips: list[DefinitionStep] = [("x", (), (k,)) for k in range(count) if flags[k]]
    return [*flips, *builder.out, *flips], 0.0
