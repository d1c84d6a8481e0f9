"""The standard gate library: exact matrices, exact definitions and inverses.

Conventions (the same as Qiskit's, so counts read the same way in both):

* A gate acting on qubits ``(q0, q1, ...)`` (in the order the instruction lists them) has a matrix
  whose basis index is ``sum(b_k << k)``: **the first listed qubit is the least significant bit.**
  ``cx(control, target)``'s matrix is therefore ``[[1,0,0,0],[0,0,0,1],[0,0,1,0],[0,1,0,0]]``.
* Controlled gates list their control qubit(s) first.
* A definition is exact, global phase included: the product of its gates' matrices times
  ``exp(i * phase)`` equals the gate's matrix. Definitions bottom out in ``u``, ``cx`` and a
  global phase, which together are universal.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import CircuitError
from .params import ParamValue

PI = math.pi

Matrix = np.ndarray
#: One step of a definition: gate name, its parameters, the indices of the gate's own qubits it acts on.
DefinitionStep = tuple[str, tuple[ParamValue, ...], tuple[int, ...]]
#: A definition: its steps and the global phase that makes it exact.
Definition = tuple[list[DefinitionStep], ParamValue]


@dataclass(frozen=True)
class GateSpec:
    """What the library knows about one standard gate."""

    name: str
    num_qubits: int
    param_names: tuple[str, ...]
    matrix_fn: Callable[..., Matrix]
    definition_fn: Callable[..., Definition] | None
    inverse_fn: Callable[..., tuple[str, tuple[ParamValue, ...]]] | None
    doc: str

    @property
    def num_params(self) -> int:
        return len(self.param_names)

    def matrix(self, params: Sequence[float] = ()) -> Matrix:
        """The gate's unitary (little-endian, see module docstring) for numeric ``params``."""
        self._check(params)
        return self.matrix_fn(*[float(p) for p in params])

    def definition(self, params: Sequence[ParamValue] = ()) -> Definition | None:
        """The exact decomposition of the gate into more basic library gates (``None`` for a base gate)."""
        self._check(params)
        return None if self.definition_fn is None else self.definition_fn(*params)

    def inverse(self, params: Sequence[ParamValue] = ()) -> tuple[str, tuple[ParamValue, ...]] | None:
        """A library gate (name, params) on the same qubits that is this gate's inverse, if one exists."""
        self._check(params)
        return None if self.inverse_fn is None else self.inverse_fn(*params)

    def _check(self, params: Sequence[object]) -> None:
        if len(params) != self.num_params:
            raise CircuitError(
                f"gate {self.name!r} takes {self.num_params} parameter(s) "
                f"({', '.join(self.param_names) or 'none'}), got {len(params)}"
            )


# -- matrix helpers --------------------------------------------------------------------------

_I2 = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex) / 2


def _diag(*entries: complex) -> Matrix:
    return np.diag(np.array(entries, dtype=complex))


def _u(theta: float, phi: float, lam: float) -> Matrix:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [[c, -cmath.exp(1j * lam) * s], [cmath.exp(1j * phi) * s, cmath.exp(1j * (phi + lam)) * c]],
        dtype=complex,
    )


def _rx(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]], dtype=complex)


def _ry(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t: float) -> Matrix:
    return _diag(cmath.exp(-0.5j * t), cmath.exp(0.5j * t))


def _p(lam: float) -> Matrix:
    return _diag(1, cmath.exp(1j * lam))


def _r(theta: float, phi: float) -> Matrix:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [[c, -1j * cmath.exp(-1j * phi) * s], [-1j * cmath.exp(1j * phi) * s, c]], dtype=complex
    )


def controlled(base: Matrix, num_ctrl: int = 1) -> Matrix:
    """``base`` controlled on ``num_ctrl`` qubits that come first (least significant) in the order."""
    nt = round(math.log2(base.shape[0]))
    n = nt + num_ctrl
    out = np.eye(2**n, dtype=complex)
    mask = (1 << num_ctrl) - 1
    rows = [i for i in range(2**n) if i & mask == mask]  # all controls set, target index = i >> num_ctrl
    for i in rows:
        for j in rows:
            out[i, j] = base[i >> num_ctrl, j >> num_ctrl]
    return out


def _pauli_exp(pauli: Matrix, theta: float) -> Matrix:
    """exp(-i theta/2 P) for a Pauli string matrix P (P @ P = I)."""
    return math.cos(theta / 2) * np.eye(pauli.shape[0]) - 1j * math.sin(theta / 2) * pauli


def _from_definition(name: str) -> Callable[..., Matrix]:
    """A matrix function that multiplies out the gate's own definition (for composite gates)."""

    def matrix(*params: float) -> Matrix:
        spec = STANDARD_GATES[name]
        defn = spec.definition(params)
        assert defn is not None
        return definition_matrix(spec.num_qubits, defn)

    return matrix


def definition_matrix(num_qubits: int, defn: Definition) -> Matrix:
    """Multiply out a (numeric) definition into the unitary it stands for."""
    steps, phase = defn
    dim = 2**num_qubits
    state = np.eye(dim, dtype=complex).reshape([2] * num_qubits + [dim])
    for name, params, qubits in steps:
        spec = STANDARD_GATES[name]
        state = apply_matrix(state, spec.matrix([float(p) for p in params]), qubits, num_qubits)
    return np.exp(1j * float(phase)) * state.reshape(dim, dim)


def apply_matrix(state: np.ndarray, matrix: Matrix, qubits: Sequence[int], num_qubits: int) -> np.ndarray:
    """Apply ``matrix`` (little-endian over ``qubits``) to ``state`` of shape ``[2]*n + [...]``.

    Axis ``n-1-q`` of ``state`` holds qubit ``q`` (so the reshaped vector is little-endian).
    """
    k = len(qubits)
    if k == 0:
        return state
    tensor = matrix.reshape([2] * (2 * k))
    # tensor axes: outputs (q_{k-1} ... q_0), inputs (q_{k-1} ... q_0)
    axes = [num_qubits - 1 - q for q in reversed(qubits)]
    moved = np.tensordot(tensor, state, axes=(list(range(k, 2 * k)), axes))
    # tensordot puts the k output axes first, in order q_{k-1}..q_0; move them back into place
    return np.moveaxis(moved, list(range(k)), axes)


# -- the library --------------------------------------------------------------------------

STANDARD_GATES: dict[str, GateSpec] = {}


def _gate(
    name: str,
    num_qubits: int,
    params: str,
    matrix: Callable[..., Matrix] | None,
    definition: Callable[..., Definition] | None,
    inverse: Callable[..., tuple[str, tuple[ParamValue, ...]]] | None,
    doc: str,
) -> None:
    STANDARD_GATES[name] = GateSpec(
        name=name,
        num_qubits=num_qubits,
        param_names=tuple(params.split()) if params else (),
        matrix_fn=matrix if matrix is not None else _from_definition(name),
        definition_fn=definition,
        inverse_fn=inverse,
        doc=doc,
    )


def _self(name: str) -> Callable[..., tuple[str, tuple[ParamValue, ...]]]:
    return lambda *p: (name, tuple(p))


def _negated(name: str) -> Callable[..., tuple[str, tuple[ParamValue, ...]]]:
    return lambda t: (name, (-t,))


def _steps(*steps: DefinitionStep, phase: ParamValue = 0.0) -> Definition:
    return list(steps), phase


# one-qubit gates
_gate("id", 1, "", lambda: _I2.copy(), lambda: _steps(), _self("id"), "identity")
_gate("x", 1, "", lambda: _X.copy(), lambda: _steps(("u", (PI, 0.0, PI), (0,))), _self("x"), "Pauli X")
_gate("y", 1, "", lambda: _Y.copy(), lambda: _steps(("u", (PI, PI / 2, PI / 2), (0,))), _self("y"), "Pauli Y")
_gate("z", 1, "", lambda: _Z.copy(), lambda: _steps(("p", (PI,), (0,))), _self("z"), "Pauli Z")
_gate("h", 1, "", lambda: _H.copy(), lambda: _steps(("u", (PI / 2, 0.0, PI), (0,))), _self("h"), "Hadamard")
_gate("s", 1, "", lambda: _diag(1, 1j), lambda: _steps(("p", (PI / 2,), (0,))), _self("sdg"), "sqrt(Z)")
_gate("sdg", 1, "", lambda: _diag(1, -1j), lambda: _steps(("p", (-PI / 2,), (0,))), _self("s"), "S dagger")
_gate("t", 1, "", lambda: _p(PI / 4), lambda: _steps(("p", (PI / 4,), (0,))), _self("tdg"), "sqrt(S)")
_gate("tdg", 1, "", lambda: _p(-PI / 4), lambda: _steps(("p", (-PI / 4,), (0,))), _self("t"), "T dagger")
_gate("sx", 1, "", lambda: _SX.copy(), lambda: _steps(("rx", (PI / 2,), (0,)), phase=PI / 4), _self("sxdg"), "sqrt(X)")
_gate(
    "sxdg", 1, "", lambda: _SX.conj().T, lambda: _steps(("rx", (-PI / 2,), (0,)), phase=-PI / 4), _self("sx"),
    "sqrt(X) dagger",
)
_gate("rx", 1, "theta", _rx, lambda t: _steps(("u", (t, -PI / 2, PI / 2), (0,))), _negated("rx"), "exp(-i theta X/2)")
_gate("ry", 1, "theta", _ry, lambda t: _steps(("u", (t, 0.0, 0.0), (0,))), _negated("ry"), "exp(-i theta Y/2)")
_gate("rz", 1, "theta", _rz, lambda t: _steps(("p", (t,), (0,)), phase=-t / 2), _negated("rz"), "exp(-i theta Z/2)")
_gate("p", 1, "lambda", _p, lambda lam: _steps(("u", (0.0, 0.0, lam), (0,))), _negated("p"), "phase diag(1, e^{i lambda})")
_gate("u1", 1, "lambda", _p, lambda lam: _steps(("p", (lam,), (0,))), _negated("u1"), "same as p")
_gate(
    "u", 1, "theta phi lambda", _u, None, lambda t, ph, lam: ("u", (-t, -lam, -ph)),
    "generic one-qubit rotation (OpenQASM U)",
)
_gate(
    "u2", 1, "phi lambda", lambda ph, lam: _u(PI / 2, ph, lam),
    lambda ph, lam: _steps(("u", (PI / 2, ph, lam), (0,))), lambda ph, lam: ("u", (-PI / 2, -lam, -ph)),
    "u(pi/2, phi, lambda)",
)
_gate(
    "u3", 1, "theta phi lambda", _u, lambda t, ph, lam: _steps(("u", (t, ph, lam), (0,))),
    lambda t, ph, lam: ("u3", (-t, -lam, -ph)), "same as u",
)
_gate(
    "r", 1, "theta phi", _r, lambda t, ph: _steps(("u", (t, ph - PI / 2, -ph + PI / 2), (0,))),
    lambda t, ph: ("r", (-t, ph)), "rotation by theta about cos(phi)X + sin(phi)Y",
)

# two-qubit gates (first qubit = control where there is one)
_gate("cx", 2, "", lambda: controlled(_X), None, _self("cx"), "controlled X (CNOT)")
_gate(
    "cy", 2, "", lambda: controlled(_Y),
    lambda: _steps(("sdg", (), (1,)), ("cx", (), (0, 1)), ("s", (), (1,))), _self("cy"), "controlled Y",
)
_gate(
    "cz", 2, "", lambda: controlled(_Z),
    lambda: _steps(("h", (), (1,)), ("cx", (), (0, 1)), ("h", (), (1,))), _self("cz"), "controlled Z",
)
_gate(
    "ch", 2, "", lambda: controlled(_H),
    lambda: _steps(
        ("s", (), (1,)), ("h", (), (1,)), ("t", (), (1,)), ("cx", (), (0, 1)),
        ("tdg", (), (1,)), ("h", (), (1,)), ("sdg", (), (1,)),
    ),
    _self("ch"), "controlled Hadamard",
)
_gate(
    "cs", 2, "", lambda: controlled(_diag(1, 1j)), lambda: _steps(("cp", (PI / 2,), (0, 1))), _self("csdg"),
    "controlled S",
)
_gate(
    "csdg", 2, "", lambda: controlled(_diag(1, -1j)), lambda: _steps(("cp", (-PI / 2,), (0, 1))), _self("cs"),
    "controlled S dagger",
)
_gate(
    "csx", 2, "", lambda: controlled(_SX),
    lambda: _steps(("h", (), (1,)), ("cp", (PI / 2,), (0, 1)), ("h", (), (1,))), None, "controlled sqrt(X)",
)
_gate(
    "swap", 2, "", lambda: np.eye(4, dtype=complex)[[0, 2, 1, 3]],
    lambda: _steps(("cx", (), (0, 1)), ("cx", (), (1, 0)), ("cx", (), (0, 1))), _self("swap"), "swap",
)
_gate(
    "iswap", 2, "", lambda: np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex),
    lambda: _steps(
        ("s", (), (0,)), ("s", (), (1,)), ("h", (), (0,)), ("cx", (), (0, 1)), ("cx", (), (1, 0)), ("h", (), (1,))
    ),
    None, "swap with a phase i on |01> and |10>",
)
_gate(
    "dcx", 2, "", None, lambda: _steps(("cx", (), (0, 1)), ("cx", (), (1, 0))), None,
    "double CNOT: cx(a, b) then cx(b, a)",
)
_gate(
    "ecr", 2, "", None,
    lambda: _steps(("rzx", (PI / 4,), (0, 1)), ("x", (), (0,)), ("rzx", (-PI / 4,), (0, 1))), _self("ecr"),
    "echoed cross-resonance",
)
_gate(
    "crx", 2, "theta", lambda t: controlled(_rx(t)),
    lambda t: _steps(
        ("p", (PI / 2,), (1,)), ("cx", (), (0, 1)), ("u", (-t / 2, 0.0, 0.0), (1,)),
        ("cx", (), (0, 1)), ("u", (t / 2, -PI / 2, 0.0), (1,)),
    ),
    _negated("crx"), "controlled rx",
)
_gate(
    "cry", 2, "theta", lambda t: controlled(_ry(t)),
    lambda t: _steps(("ry", (t / 2,), (1,)), ("cx", (), (0, 1)), ("ry", (-t / 2,), (1,)), ("cx", (), (0, 1))),
    _negated("cry"), "controlled ry",
)
_gate(
    "crz", 2, "theta", lambda t: controlled(_rz(t)),
    lambda t: _steps(("rz", (t / 2,), (1,)), ("cx", (), (0, 1)), ("rz", (-t / 2,), (1,)), ("cx", (), (0, 1))),
    _negated("crz"), "controlled rz",
)


def _cp_definition(lam: ParamValue) -> Definition:
    return _steps(
        ("p", (lam / 2,), (0,)), ("cx", (), (0, 1)), ("p", (-lam / 2,), (1,)), ("cx", (), (0, 1)),
        ("p", (lam / 2,), (1,)),
    )


_gate("cp", 2, "lambda", lambda lam: controlled(_p(lam)), _cp_definition, _negated("cp"), "controlled phase")
_gate(
    "cu1", 2, "lambda", lambda lam: controlled(_p(lam)), lambda lam: _steps(("cp", (lam,), (0, 1))),
    _negated("cu1"), "same as cp",
)


def _cu_definition(t: ParamValue, ph: ParamValue, lam: ParamValue, g: ParamValue) -> Definition:
    return _steps(
        ("p", (g,), (0,)),
        ("p", ((lam + ph) / 2,), (0,)),
        ("p", ((lam - ph) / 2,), (1,)),
        ("cx", (), (0, 1)),
        ("u", (-t / 2, 0.0, -(ph + lam) / 2), (1,)),
        ("cx", (), (0, 1)),
        ("u", (t / 2, ph, 0.0), (1,)),
    )


_gate(
    "cu", 2, "theta phi lambda gamma", lambda t, ph, lam, g: controlled(cmath.exp(1j * g) * _u(t, ph, lam)),
    _cu_definition, lambda t, ph, lam, g: ("cu", (-t, -lam, -ph, -g)),
    "controlled e^{i gamma} u(theta, phi, lambda)",
)
_gate(
    "cu3", 2, "theta phi lambda", lambda t, ph, lam: controlled(_u(t, ph, lam)),
    lambda t, ph, lam: _steps(("cu", (t, ph, lam, 0.0), (0, 1))), lambda t, ph, lam: ("cu3", (-t, -lam, -ph)),
    "controlled u3",
)
_gate(
    "rxx", 2, "theta", lambda t: _pauli_exp(np.kron(_X, _X), t),
    lambda t: _steps(
        ("h", (), (0,)), ("h", (), (1,)), ("cx", (), (0, 1)), ("rz", (t,), (1,)), ("cx", (), (0, 1)),
        ("h", (), (1,)), ("h", (), (0,)),
    ),
    _negated("rxx"), "exp(-i theta XX/2)",
)
_gate(
    "ryy", 2, "theta", lambda t: _pauli_exp(np.kron(_Y, _Y), t),
    lambda t: _steps(
        ("rx", (PI / 2,), (0,)), ("rx", (PI / 2,), (1,)), ("cx", (), (0, 1)), ("rz", (t,), (1,)),
        ("cx", (), (0, 1)), ("rx", (-PI / 2,), (0,)), ("rx", (-PI / 2,), (1,)),
    ),
    _negated("ryy"), "exp(-i theta YY/2)",
)
_gate(
    "rzz", 2, "theta", lambda t: _pauli_exp(np.kron(_Z, _Z), t),
    lambda t: _steps(("cx", (), (0, 1)), ("rz", (t,), (1,)), ("cx", (), (0, 1))),
    _negated("rzz"), "exp(-i theta ZZ/2)",
)
_gate(
    "rzx", 2, "theta", lambda t: _pauli_exp(np.kron(_X, _Z), t),
    lambda t: _steps(("h", (), (1,)), ("cx", (), (0, 1)), ("rz", (t,), (1,)), ("cx", (), (0, 1)), ("h", (), (1,))),
    _negated("rzx"), "exp(-i theta Z(q0) X(q1)/2)",
)


def _xx_minus_yy_matrix(t: float, b: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    m = np.eye(4, dtype=complex)
    m[0, 0] = m[3, 3] = c
    m[0, 3] = -1j * s * cmath.exp(-1j * b)
    m[3, 0] = -1j * s * cmath.exp(1j * b)
    return m


def _xx_plus_yy_matrix(t: float, b: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    m = np.eye(4, dtype=complex)
    m[1, 1] = m[2, 2] = c
    m[1, 2] = -1j * s * cmath.exp(-1j * b)
    m[2, 1] = -1j * s * cmath.exp(1j * b)
    return m


_gate(
    "xx_minus_yy", 2, "theta beta", _xx_minus_yy_matrix,
    lambda t, b: _steps(
        ("rz", (-b,), (1,)), ("rz", (-PI / 2,), (0,)), ("sx", (), (0,)), ("rz", (PI / 2,), (0,)),
        ("s", (), (1,)), ("cx", (), (0, 1)), ("ry", (t / 2,), (0,)), ("ry", (-t / 2,), (1,)),
        ("cx", (), (0, 1)), ("sdg", (), (1,)), ("rz", (-PI / 2,), (0,)), ("sxdg", (), (0,)),
        ("rz", (PI / 2,), (0,)), ("rz", (b,), (1,)),
    ),
    lambda t, b: ("xx_minus_yy", (-t, b)), "exp(-i theta/4 (XX - YY)) with phase beta",
)
_gate(
    "xx_plus_yy", 2, "theta beta", _xx_plus_yy_matrix,
    lambda t, b: _steps(
        ("rz", (b,), (0,)), ("rz", (-PI / 2,), (1,)), ("sx", (), (1,)), ("rz", (PI / 2,), (1,)),
        ("s", (), (0,)), ("cx", (), (1, 0)), ("ry", (-t / 2,), (1,)), ("ry", (-t / 2,), (0,)),
        ("cx", (), (1, 0)), ("sdg", (), (0,)), ("rz", (-PI / 2,), (1,)), ("sxdg", (), (1,)),
        ("rz", (PI / 2,), (1,)), ("rz", (-b,), (0,)),
    ),
    lambda t, b: ("xx_plus_yy", (-t, b)), "exp(-i theta/4 (XX + YY)) with phase beta",
)

# three-qubit gates
_gate(
    "ccx", 3, "", lambda: controlled(_X, 2),
    lambda: _steps(
        ("h", (), (2,)), ("cx", (), (1, 2)), ("tdg", (), (2,)), ("cx", (), (0, 2)), ("t", (), (2,)),
        ("cx", (), (1, 2)), ("tdg", (), (2,)), ("cx", (), (0, 2)), ("t", (), (1,)), ("t", (), (2,)),
        ("h", (), (2,)), ("cx", (), (0, 1)), ("t", (), (0,)), ("tdg", (), (1,)), ("cx", (), (0, 1)),
    ),
    _self("ccx"), "Toffoli (controls first)",
)
_gate(
    "ccz", 3, "", lambda: controlled(_Z, 2),
    lambda: _steps(("h", (), (2,)), ("ccx", (), (0, 1, 2)), ("h", (), (2,))), _self("ccz"), "doubly controlled Z",
)
_gate(
    "cswap", 3, "", lambda: controlled(np.eye(4, dtype=complex)[[0, 2, 1, 3]], 1),
    lambda: _steps(("cx", (), (2, 1)), ("ccx", (), (0, 1, 2)), ("cx", (), (2, 1))), _self("cswap"),
    "Fredkin (control first)",
)
_gate(
    "rccx", 3, "", None,
    lambda: _steps(
        ("u2", (0.0, PI), (2,)), ("p", (PI / 4,), (2,)), ("cx", (), (1, 2)), ("p", (-PI / 4,), (2,)),
        ("cx", (), (0, 2)), ("p", (PI / 4,), (2,)), ("cx", (), (1, 2)), ("p", (-PI / 4,), (2,)),
        ("u2", (0.0, PI), (2,)),
    ),
    None, "Toffoli up to relative phases (Margolus)",
)


def zyz_angles(matrix: np.ndarray) -> tuple[float, float, float, float]:
    """``(theta, phi, lam, phase)`` with ``matrix == exp(i phase) * u(theta, phi, lam)`` exactly.

    The Euler (ZYZ) angles of a one-qubit unitary; how one-qubit unitaries are written in formats
    without an arbitrary-unitary gate and compiled for targets without one.
    """
    m = np.asarray(matrix, dtype=complex)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    su = m * cmath.exp(-0.5j * cmath.phase(det))
    theta = 2 * math.atan2(abs(su[1, 0]), abs(su[0, 0]))
    plus = 2 * cmath.phase(su[1, 1]) if abs(su[1, 1]) > 1e-12 else 0.0
    minus = 2 * cmath.phase(su[1, 0]) if abs(su[1, 0]) > 1e-12 else 0.0
    phi, lam = (plus + minus) / 2, (plus - minus) / 2
    # the phase that makes the product exact, read off the largest entry
    rebuilt = _u(theta, phi, lam)
    k = int(np.argmax(np.abs(rebuilt)))
    return theta, phi, lam, cmath.phase(m.flat[k] / rebuilt.flat[k])


def gate_spec(name: str) -> GateSpec:
    """The library entry for ``name``; :class:`CircuitError` naming the gate if there is none."""
    try:
        return STANDARD_GATES[name]
    except KeyError:
        raise CircuitError(f"unknown gate {name!r}; the standard gates are: {', '.join(STANDARD_GATES)}") from None


#: Parameterless library gates that are Clifford operations (what a stabilizer simulator can run).
CLIFFORD_GATES = frozenset(
    {"id", "x", "y", "z", "h", "s", "sdg", "sx", "sxdg", "cx", "cy", "cz", "swap", "iswap", "dcx", "ecr"}
)
