"""Cirq -> model, gate by gate: one handler per Cirq gate type (the mapping is in
:mod:`qhpc_cirq.translate`)."""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cirq
import numpy as np
import sympy
from qhpc_interop import (
    MEASURE,
    RESET,
    STANDARD_GATES,
    Gate,
    UnitaryGate,
)
from qhpc_interop.ir import BARRIER, new_gate, new_instruction
from qhpc_interop.params import ParamValue

from ._shared import LARGEST_ARGUMENT, PI, _real, _Refused, add_phase, little_endian

if TYPE_CHECKING:
    from .from_cirq import _Reader


# -- cirq -> model: gate handlers ------------------------------------------------------------
#
# Each handler appends the gate's exact model form on model qubits ``qs`` to ``r.out`` and adds any
# global phase to ``r.phase``. The relations are checked against cirq.unitary in the tests.

#: ``Gate(name, params)`` unchecked: the handlers have already made the arguments floats or expressions
#: of a library gate's arity (a third of the import time on 100,000 gates)
_G = new_gate
_FIXED = {name: Gate(name) for name, spec in STANDARD_GATES.items() if not spec.param_names}
_I = new_instruction


def _exponent_phase(r: _Reader, t: ParamValue, factor: float) -> None:
    """Add ``pi * t * factor`` to the global phase (nothing when ``factor`` is 0); ``factor`` holds
    the gate's ``global_shift``, which must be a number (finite, and no larger than any argument)."""
    if (type(factor) is not float and type(factor) is not int) or not -LARGEST_ARGUMENT <= factor <= LARGEST_ARGUMENT:
        factor = _number_shift(factor)
    if factor:
        r.phase = add_phase(r.phase, PI * factor * t)


def _number_shift(factor: Any) -> float:
    if isinstance(factor, sympy.Basic) and factor.free_symbols:
        names = ", ".join(sorted(str(s) for s in factor.free_symbols))
        raise _Refused(f"its global_shift is symbolic (uses {names}); the model holds a gate's global shift "
                       "only as a number, and Cirq does not resolve a symbolic one either: give it a value")
    try:
        value = (float(factor) if factor.is_real else complex(factor)) if isinstance(factor, sympy.Basic) else factor
    except (TypeError, ValueError):  # sympy's zoo (complex infinity) and other numbers no float holds
        raise _Refused(f"its global_shift {factor} is not a finite real number") from None
    return _real(value, f"{factor} (its global_shift, as a phase factor)")


def _xpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int):
        name = _X_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            return
    t = r.value(e)
    r.out.append(_I(_G("rx", (PI * t,)), qs))
    _exponent_phase(r, t, 0.5 + s)


_X_NAMES = {1: "x", -1: "x", 0.5: "sx", -0.5: "sxdg"}


def _ypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and (e == 1 or e == -1) and type(e) in (float, int):
        r.out.append(_I(_FIXED["y"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("ry", (PI * t,)), qs))
    _exponent_phase(r, t, 0.5 + s)


_Z_NAMES = {1: "z", -1: "z", 0.5: "s", -0.5: "sdg", 0.25: "t", -0.25: "tdg"}


def _zpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if type(e) in (float, int):
        name = _Z_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            _exponent_phase(r, float(e), s)
            return
    t = r.value(e)
    r.out.append(_I(_G("p", (PI * t,)), qs))
    _exponent_phase(r, t, s)


def _rot(name: str) -> Callable[[_Reader, Any, tuple[int, ...]], None]:
    def handler(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
        rads = getattr(g, "_rads", None)
        if rads is None:  # pragma: no cover - a Cirq without Rx._rads
            rads = g.exponent * (sympy.pi if isinstance(g.exponent, sympy.Basic) else PI)
        r.out.append(_I(_G(name, (r.value(rads),)), qs))

    return handler


def _hpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and (e == 1 or e == -1) and type(e) in (float, int):
        r.out.append(_I(_FIXED["h"], qs))
        return
    # H = Ry(pi/4) Z Ry(-pi/4), so H^t = Ry(pi/4) Z^t Ry(-pi/4) exactly
    t = r.value(e)
    r.out.append(_I(_G("ry", (-PI / 4,)), qs))
    r.out.append(_I(_G("p", (PI * t,)), qs))
    r.out.append(_I(_G("ry", (PI / 4,)), qs))
    _exponent_phase(r, t, s)


def _cxpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1, 0.5):
        r.out.append(_I(_FIXED["cx" if e != 0.5 else "csx"], qs))
        return
    t = r.value(e)
    # controlled(X^t) = controlled(e^{i pi t/2} rx(pi t)) = cu(pi t, -pi/2, pi/2, pi t/2)
    r.out.append(_I(_G("cu", (PI * t, -PI / 2, PI / 2, PI * t / 2)), qs))
    _exponent_phase(r, t, s)


def _cypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["cy"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("cu", (PI * t, 0.0, 0.0, PI * t / 2)), qs))  # ry(theta) = u(theta, 0, 0)
    _exponent_phase(r, t, s)


_CZ_NAMES = {1: "cz", -1: "cz", 0.5: "cs", -0.5: "csdg"}


def _czpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int):
        name = _CZ_NAMES.get(e)
        if name is not None:
            r.out.append(_I(_FIXED[name], qs))
            return
    t = r.value(e)
    r.out.append(_I(_G("cp", (PI * t,)), qs))
    _exponent_phase(r, t, s)


def _swappow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["swap"], qs))
        return
    # SWAP^t = e^{i pi t/4} exp(-i pi t/4 (XX + YY + ZZ))
    t = r.value(e)
    r.out.append(_I(_G("xx_plus_yy", (PI * t, 0.0)), qs))
    r.out.append(_I(_G("rzz", (PI * t / 2,)), qs))
    _exponent_phase(r, t, s + 0.25)


def _iswappow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and e == 1 and type(e) in (float, int):
        r.out.append(_I(_FIXED["iswap"], qs))
        return
    t = r.value(e)
    r.out.append(_I(_G("xx_plus_yy", (-PI * t, 0.0)), qs))  # ISWAP^t = exp(+i pi t/4 (XX + YY))
    _exponent_phase(r, t, s)


def _pauli2(name: str) -> Callable[[_Reader, Any, tuple[int, ...]], None]:
    def handler(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
        t = r.value(g.exponent)
        r.out.append(_I(_G(name, (PI * t,)), qs))  # PP^t = e^{i pi t/2} exp(-i pi t/2 PP)
        _exponent_phase(r, t, 0.5 + g.global_shift)

    return handler


def _ccz_steps(r: _Reader, t: ParamValue, qs: tuple[int, ...]) -> None:
    """CCZ^t (a doubly controlled phase pi t) from controlled phases and CNOTs, exactly."""
    a, b, c = qs
    half = PI * t / 2
    r.out.append(_I(_G("cp", (half,)), (b, c)))
    r.out.append(_I(_FIXED["cx"], (a, b)))
    r.out.append(_I(_G("cp", (-half,)), (b, c)))
    r.out.append(_I(_FIXED["cx"], (a, b)))
    r.out.append(_I(_G("cp", (half,)), (a, c)))


def _cczpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["ccz"], qs))
        return
    t = r.value(e)
    _ccz_steps(r, t, qs)
    _exponent_phase(r, t, s)


def _ccxpow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    e, s = g.exponent, g.global_shift
    if s == 0 and type(e) in (float, int) and e in (1, -1):
        r.out.append(_I(_FIXED["ccx"], qs))
        return
    t = r.value(e)
    target = (qs[2],)
    r.out.append(_I(_FIXED["h"], target))  # X^t = H Z^t H
    _ccz_steps(r, t, qs)
    r.out.append(_I(_FIXED["h"], target))
    _exponent_phase(r, t, s)


def _ccypow(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    t = r.value(g.exponent)
    target = (qs[2],)
    # Y^t = S H Z^t H S^dagger
    r.out.append(_I(_FIXED["sdg"], target))
    r.out.append(_I(_FIXED["h"], target))
    _ccz_steps(r, t, qs)
    r.out.append(_I(_FIXED["h"], target))
    r.out.append(_I(_FIXED["s"], target))
    _exponent_phase(r, t, g.global_shift)


def _cswap(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    r.out.append(_I(_FIXED["cswap"], qs))


def _phasedx(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # Z^p X^t Z^-p = e^{i pi t (1/2 + s)} r(pi t, pi p)
    t, p = r.value(g.exponent), r.value(g.phase_exponent)
    r.out.append(_I(_G("r", (PI * t, PI * p)), qs))
    _exponent_phase(r, t, 0.5 + g.global_shift)


def _phasedxz(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # Z^z Z^a X^x Z^-a = e^{i pi x/2} p(pi z) r(pi x, pi a), and p(l) u(t, f, m) = u(t, f + l, m),
    # r(t, f) = u(t, f - pi/2, pi/2 - f): one u (one gate in the target, not two)
    x, z, a = g.x_exponent, g.z_exponent, g.axis_phase_exponent
    # three floats in range (the random circuits' case) skip the checks (compared only once all
    # three are known to be floats; nan is out of range)
    if not (type(x) is float and type(z) is float and type(a) is float and -LARGEST_ARGUMENT <= x <= LARGEST_ARGUMENT
            and -LARGEST_ARGUMENT <= z <= LARGEST_ARGUMENT and -LARGEST_ARGUMENT <= a <= LARGEST_ARGUMENT):
        x, z, a = r.value(x), r.value(z), r.value(a)
    r.out.append(_I(_G("u", (PI * x, PI * a - PI / 2 + PI * z, PI / 2 - PI * a)), qs))
    r.phase = add_phase(r.phase, PI * 0.5 * x)


def _phasediswap(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    t, p = r.value(g.exponent), r.value(g.phase_exponent)
    r.out.append(_I(_G("xx_plus_yy", (-PI * t, 2 * PI * p)), qs))
    _exponent_phase(r, t, g.global_shift)


def _fsim(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    theta, phi = r.value(g.theta), r.value(g.phi)
    r.out.append(_I(_G("xx_plus_yy", (2 * theta, 0.0)), qs))
    r.out.append(_I(_G("cp", (-phi,)), qs))


def _phasedfsim(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    theta, zeta, chi, gamma, phi = (r.value(v) for v in (g.theta, g.zeta, g.chi, g.gamma, g.phi))
    a, b = qs
    r.out.append(_I(_G("xx_plus_yy", (2 * theta, zeta + chi)), qs))
    r.out.append(_I(_G("rz", (zeta - gamma,)), (a,)))
    r.out.append(_I(_G("rz", (-zeta - gamma,)), (b,)))
    r.out.append(_I(_G("cp", (-phi,)), qs))
    r.phase = add_phase(r.phase, -gamma)


def _global_phase(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    coefficient = g.coefficient
    if isinstance(coefficient, sympy.Basic) and coefficient.free_symbols:
        # e^{i x}, which sympy writes exp(I*x), and powers b**x of numbers of modulus 1 (I**x, which
        # Cirq's DiagonalGate decomposes into, (-1)**x: e^{i arg(b) x} on sympy's principal branch),
        # times numbers of modulus 1 (I*exp(I*x)) and other such factors
        angles: list[Any] = []
        number = 1.0 + 0j
        for factor in sympy.Mul.make_args(coefficient):
            if factor.free_symbols:
                angle = None
                if isinstance(factor, sympy.exp):
                    angle = sympy.expand(factor.args[0] / sympy.I)
                elif isinstance(factor, sympy.Pow) and not factor.base.free_symbols:
                    base = complex(factor.base)
                    if abs(abs(base) - 1) <= 1e-9 and base != -1:
                        angle = sympy.expand(sympy.Float(cmath.phase(base)) * factor.exp)
                    elif base == -1:  # (arg(-1) is pi exactly, not cmath's float)
                        angle = sympy.expand(sympy.pi * factor.exp)
                if angle is None or angle.is_real is False or angle.has(sympy.I):
                    break
                angles.append(angle)
            else:
                number *= complex(factor)
        else:
            if abs(abs(number) - 1) <= 1e-9:
                offset = cmath.phase(number)
                r.phase = add_phase(r.phase, r.value(sympy.Add(*angles)))
                if offset:  # (not "+ 0" in the written phase)
                    r.phase = add_phase(r.phase, offset)
                return
        raise _Refused(f"global phase {coefficient} is not of the form exp(I*x) with x real")
    z = complex(coefficient)
    if abs(abs(z) - 1) > 1e-9:
        raise _Refused(f"global phase coefficient {z} does not have modulus 1")
    r.phase = add_phase(r.phase, cmath.phase(z))


#: Library gates no Cirq gate equals, which the export writes as their ``MatrixGate`` (read back as
#: themselves, so that they stay gates a text format can write; filled in on first use).
_MATRIX_GATES: dict[int, list[tuple[np.ndarray, str]]] = {}


def _matrix_gates() -> dict[int, list[tuple[np.ndarray, str]]]:
    """:data:`_MATRIX_GATES`, filled on first use: made whole, then published (an audit: filled in
    place, a thread converting at the same time saw it half made and read an ``rccx`` as a matrix)."""
    global _MATRIX_GATES
    if not _MATRIX_GATES:
        table: dict[int, list[tuple[np.ndarray, str]]] = {}
        for name in ("ecr", "rccx"):
            spec = STANDARD_GATES[name]
            table.setdefault(2**spec.num_qubits, []).append((spec.matrix(), name))
        _MATRIX_GATES = table
    return _MATRIX_GATES


def _matrix(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    m = little_endian(cirq.unitary(g))
    if not qs:  # a 1 x 1 matrix on no qubits: a global phase, as GlobalPhaseGate's
        z = complex(m[0, 0])
        if abs(abs(z) - 1) > 1e-9:
            raise _Refused(f"a matrix gate on no qubits with entry {z}, which does not have modulus 1")
        r.phase = add_phase(r.phase, cmath.phase(z))
        return
    for library, name in _matrix_gates().get(m.shape[0], ()):
        if np.allclose(m, library, rtol=0.0, atol=1e-12):
            r.out.append(_I(_FIXED[name], qs))
            return
    r.out.append(_I(UnitaryGate(m), qs))


def _clifford1(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # a one-qubit Clifford (Cirq's decomposition of it, and so of a PauliStringPhasor, is it only up
    # to a global phase): its matrix as e^{i a} u(theta, phi, lambda), exactly, where
    # u = [[cos(theta/2), -e^{i lambda} sin(theta/2)], [e^{i phi} sin(theta/2), e^{i(phi+lambda)} cos(theta/2)]]
    m = cirq.unitary(g)
    c, s = abs(m[0, 0]), abs(m[1, 0])
    a = cmath.phase(m[0, 0]) if c > 1e-12 else cmath.phase(m[1, 0])
    m = m * cmath.exp(-1j * a)  # m[0, 0] = cos(theta/2) >= 0, or m[1, 0] = sin(theta/2) > 0
    theta = 2 * math.atan2(s, c)
    if s <= 1e-12:  # diagonal: only phi + lambda counts
        phi, lam = 0.0, cmath.phase(m[1, 1])
    else:
        phi, lam = cmath.phase(m[1, 0]), cmath.phase(-m[0, 1])
    r.out.append(_I(_G("u", (theta, phi, lam)), qs))
    r.phase = add_phase(r.phase, a)


def _identity(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    gate = _FIXED["id"]
    r.out.extend(_I(gate, (q,)) for q in qs)


def _wait(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    # the model has no timing: a barrier on the qubits (nothing moves across it), announced
    r.out.append(_I(BARRIER, qs))
    r.waits.append(str(g.duration))


def _parallel(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    sub = g.sub_gate
    k = cirq.num_qubits(sub)
    for i in range(0, len(qs), k):
        r.gate(sub, qs[i:i + k])


def _reset(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    r.out.append(_I(RESET, qs))


def _measure(r: _Reader, g: Any, qs: tuple[int, ...]) -> None:
    if g.confusion_map:
        raise _Refused("a measurement with a confusion map (noisy readout) cannot be held by the model")
    key = str(g.mkey)
    bits = r.key_bits.get(key)
    r.key_count[key] = r.key_count.get(key, 0) + 1
    if bits is None:
        start = r.num_clbits
        bits = r.key_bits[key] = tuple(range(start, start + len(qs)))
        r.num_clbits += len(qs)
    elif len(bits) != len(qs):
        # a key measured again writes its bits again (what the export writes for a clbit measured twice)
        raise _Refused(f"measurement key {key!r} is measured again on {len(qs)} qubit(s) where it was on "
                       f"{len(bits)}; the model keeps one register per key (give each measurement its own key)")
    # inverted qubits are flipped before the measurement and back after it, the measurement itself
    # kept whole (the export writes a key measured at once as one measurement, so it keeps its key)
    mask = g.invert_mask
    if any(not isinstance(m, (bool, np.bool_)) and m not in (0, 1) for m in mask):
        raise _Refused(f"measurement key {key!r} has the invert_mask {mask!r}, which is not of booleans")
    flipped = [q for i, q in enumerate(qs) if i < len(mask) and mask[i]]
    r.out.extend(_I(_FIXED["x"], (q,)) for q in flipped)
    r.out.extend(_I(MEASURE, (q,), (c,)) for q, c in zip(qs, bits))
    r.out.extend(_I(_FIXED["x"], (q,)) for q in flipped)


_GATE_HANDLERS: dict[type, Callable[[_Reader, Any, tuple[int, ...]], None]] = {}


def _register_handlers() -> None:
    from cirq.ops import pauli_gates

    table: dict[Any, Callable[[_Reader, Any, tuple[int, ...]], None]] = {
        cirq.XPowGate: _xpow, pauli_gates._PauliX: _xpow,
        cirq.YPowGate: _ypow, pauli_gates._PauliY: _ypow,
        cirq.ZPowGate: _zpow, pauli_gates._PauliZ: _zpow,
        cirq.Rx: _rot("rx"), cirq.Ry: _rot("ry"), cirq.Rz: _rot("rz"),
        cirq.HPowGate: _hpow,
        cirq.CXPowGate: _cxpow, cirq.CYPowGate: _cypow, cirq.CZPowGate: _czpow,
        cirq.SwapPowGate: _swappow, cirq.ISwapPowGate: _iswappow,
        cirq.XXPowGate: _pauli2("rxx"), cirq.YYPowGate: _pauli2("ryy"), cirq.ZZPowGate: _pauli2("rzz"),
        cirq.MSGate: _pauli2("rxx"),
        cirq.CCXPowGate: _ccxpow, cirq.CCYPowGate: _ccypow, cirq.CCZPowGate: _cczpow, cirq.CSwapGate: _cswap,
        cirq.PhasedXPowGate: _phasedx, cirq.PhasedXZGate: _phasedxz, cirq.PhasedISwapPowGate: _phasediswap,
        cirq.FSimGate: _fsim, cirq.PhasedFSimGate: _phasedfsim,
        cirq.GlobalPhaseGate: _global_phase, cirq.MatrixGate: _matrix,
        cirq.SingleQubitCliffordGate: _clifford1,
        cirq.IdentityGate: _identity, cirq.WaitGate: _wait, cirq.ParallelGate: _parallel,
        cirq.ResetChannel: _reset, cirq.MeasurementGate: _measure,
    }
    _GATE_HANDLERS.update(table)


_register_handlers()

#: Model gate -> its singly controlled library gate (parameters: the same, or as the lambda says).
_CONTROLLED1: dict[str, tuple[str, Callable[[tuple[ParamValue, ...]], tuple[ParamValue, ...]]]] = {
    name: (cname, lambda p: p) for name, cname in {
        "x": "cx", "y": "cy", "z": "cz", "h": "ch", "s": "cs", "sdg": "csdg", "sx": "csx", "rx": "crx",
        "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp", "u3": "cu3", "swap": "cswap", "cx": "ccx", "cz": "ccz",
    }.items()
}
_CONTROLLED1["u"] = ("cu", lambda p: (*p, 0.0))


def _describe(op: Any) -> str:
    inner = getattr(op, "untagged", op)
    if isinstance(inner, cirq.CircuitOperation):  # (its text diagram draws every nested circuit)
        return f"CircuitOperation on {len(inner.qubits)} qubit(s), repetitions={inner.repetitions}"
    text = repr(op.gate) if type(op) is cirq.GateOperation else str(op).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."
