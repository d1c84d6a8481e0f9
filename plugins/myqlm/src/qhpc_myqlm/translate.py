"""Translation between myQLM's ``qat.core.Circuit`` and the qhpc program model, both ways.

Written against myQLM's own data model (``circ.ops``, ``circ.gateDic``, ``GateDefinition`` with
``syntax``, ``nbctrls``, ``subgate``, ``is_dag``/``is_conj``/``is_trans`` and ``matrix``), checked
gate by gate against myQLM's own matrices and its PyLinalg simulator.

**Bit order.** A myQLM matrix or state index is big-endian (the first qubit listed is the most
significant bit); the model's is little-endian. Gates list the same qubits in the same order in
both (controls first), so only matrices are re-indexed (:func:`big_to_little`). myQLM cbit ``k`` is
model clbit ``k`` (except bits written by classical logic, see below).

**myQLM -> model** (:func:`circuit_from_myqlm`; a ``qat.lang.AQASM.Program`` goes through
``prog.to_circ()`` first). Every gate comes out exact, global phase included:

* ``I X Y Z H S T RX RY RZ PH CNOT CSIGN SWAP ISWAP CCNOT`` map to ``id x y z h s t rx ry rz p cx cz
  swap iswap ccx``; ``SQRTSWAP`` to ``rxx ryy rzz`` at pi/4 and a phase pi/8;
* ``ctrl()`` with any number of controls: a library gate where one exists (``C-H`` is ``ch``,
  ``C-C-X`` is ``ccx``, ``C-RY`` is ``cry``...), otherwise an exact decomposition (Barenco et al.'s
  square-root recursion on rotations, no ancillas); ``dag()``, ``conj()`` and ``trans()`` to the
  inverse, conjugate and transpose, nested in any order;
* gates known only by a matrix (``AbstractGate`` with a matrix generator, ``CustomGate``,
  definitions without syntax) become :class:`~qhpc_interop.UnitaryGate`; ``LOCK``/``RELEASE``
  markers are dropped; gates with a circuit implementation are inlined (myQLM's own iterator);
* abstract variables (``prog.new_var(float, "theta")``) and arithmetic on them become model
  parameters and expressions (``+ - * / ** UMINUS sin cos exp sqrt ln abs``; ``real`` and
  ``conjugate`` of a real are the identity, ``imag`` is 0, ``max(a, b)`` is ``(a+b+|a-b|)/2``, and
  the ``atan2`` shapes this module writes for ``atan``/``asin``/``acos`` read back as those);
* ``MEASURE`` (pairwise qubit -> cbit), ``RESET`` of qubits;
* ``CLASSICCTRL`` as a :class:`~qhpc_interop.Condition` that all its cbits are 1; a cbit computed by
  a ``CLASSIC`` op (``prog.logic``) from a conjunction of cbits and negated cbits, and read only by
  ``CLASSICCTRL`` while the bits it was computed from are unchanged, becomes the condition it
  stands for (``c0 & ~c1`` is "bits (0, 1) read 1"), and the computed cbit is dropped from the
  model's clbits (the later ones move down by one).

Refused with a :class:`~qhpc.errors.TranslationError` naming the operation and its position:
``BREAK``, ``REMAP``, other classical logic (``OR``, ``XOR``, a negated conjunction, formulas over
computed bits), ``RESET`` of cbits, gates with neither a matrix nor a library meaning (a custom
gate whose parameter is still symbolic), and myQLM functions with no model equivalent.

**model -> myQLM** (:func:`circuit_to_myqlm`), built as a ``qat.core.Circuit`` directly: op list,
gate dictionary (each distinct gate defined once) and matrices as
``Program.to_circ(submatrices_only=True)`` attaches them, which PyLinalg and CLinalg run. (Going
through ``Program.apply`` and ``to_circ`` was measured quadratic in the number of distinct gates:
4.5 s for 4,000 gates, 34 s for 8,000.) myQLM's native gate where it is exactly the model gate
(``sdg`` is ``S.dag()``, ``cy`` is ``Y.ctrl()``, ``ccz`` is ``Z.ctrl().ctrl()``, ``cswap`` is
``SWAP.ctrl()``...), exact products of natives otherwise (``u(t, f, l)`` is ``PH(l) RY(t) PH(f)``,
``sx`` is ``H S H``, ``cu`` is ``PH(gamma)`` on the control and controlled ``PH RY PH``, the rest
through the library's exact definitions); unitaries as ``CustomGate`` matrices; parameters as
myQLM variables and arithmetic expressions (``tan`` as ``sin/cos``, ``atan(x)`` as
``atan2(x, 1)``, ``asin``/``acos`` through ``atan2`` and ``sqrt(1 - x**2)``); conditions as
``CLASSICCTRL`` on the bit (a single bit that must read 1), otherwise through one extra cbit
computed by a ``CLASSIC`` op (the ``prog.logic`` idiom), which the import above removes again.

**Global phase.** A myQLM circuit has no global phase field. The export writes a nonzero phase
``a`` exactly as ``PH(a) X PH(a) X`` on qubit 0 (``PH(a) X PH(a) X = e^{ia} I``, for a symbolic
``a`` too), so the unitary is kept exactly and a conversion never has to drop it; a circuit without
a phase gets no extra gate. ``absorb_global_phase=False`` drops it instead (the backends do: a
phase changes no readout). The import reads those gates back as ``p x p x``: the same unitary.
Barriers are dropped (myQLM has none); register names are lost (myQLM circuits do not name them).
"""

from __future__ import annotations

import cmath
import contextlib
import copy
import gc
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from qhpc.errors import TranslationError
from qhpc_interop import MEASURE, RESET, STANDARD_GATES, Circuit, Condition, Gate, Instruction, Parameter, UnitaryGate
from qhpc_interop.gates import zyz_angles
from qhpc_interop.ir import Barrier, Measure, Reset
from qhpc_interop.params import Apply, Expr, ParamValue, apply

PI = math.pi

#: Most qubits a controlled custom (matrix) gate may span before its matrix is refused as too big.
MAX_CONTROLLED_UNITARY_QUBITS = 10

# myQLM op types (qat.comm.datamodel.ttypes.OpType), read once from myQLM in _optype()
_OPTYPE: dict[str, int] = {}


def _optype() -> dict[str, int]:
    if not _OPTYPE:
        load_qat()
        from qat.comm.datamodel.ttypes import OpType

        _OPTYPE.update({k: v for k, v in vars(OpType).items() if k.isupper() and isinstance(v, int)})
    return _OPTYPE


_QAT_LOCK = threading.Lock()
_QAT_LOADED = False


def load_qat() -> None:
    """Import the myQLM modules this plugin uses: once, and one thread at a time.

    A first import of ``qat.qpus`` is not safe while another thread imports ``qat`` modules
    (seen with myQLM 1.14: ``from qat.qpus import CLinalg`` raised ImportError when a second
    thread imported ``qat.pylinalg`` at the same moment), and qhpc reads capabilities in threads.
    """
    global _QAT_LOADED
    if _QAT_LOADED:
        return
    with _QAT_LOCK:
        if not _QAT_LOADED:
            import qat.comm.datamodel.ttypes
            import qat.core
            import qat.core.variables
            import qat.lang.AQASM
            import qat.pylinalg.simulator
            import qat.qpus  # noqa: F401

            _QAT_LOADED = True


#: From this many operations a translation pauses Python's cyclic garbage collector: it builds
#: hundreds of thousands of small objects, and the collector's passes over them doubled the time.
BULK_SIZE = 5000


@contextlib.contextmanager
def _bulk(size: int) -> Iterator[None]:
    if size < BULK_SIZE or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- bit order -----------------------------------------------------------------------------------


def _bit_reversal(num_qubits: int) -> np.ndarray:
    index = np.arange(2**num_qubits)
    out = np.zeros_like(index)
    for k in range(num_qubits):
        out |= ((index >> k) & 1) << (num_qubits - 1 - k)
    return out


def big_to_little(matrix: np.ndarray) -> np.ndarray:
    """A myQLM (big-endian) matrix over qubits ``(q0, q1, ...)`` as the model's little-endian one.

    The same re-indexing turns a little-endian matrix into a big-endian one.
    """
    m = np.asarray(matrix, dtype=complex)
    n = int(m.shape[0]).bit_length() - 1
    if n <= 1:
        return m
    perm = _bit_reversal(n)
    return m[np.ix_(perm, perm)]


little_to_big = big_to_little


def _matrix_from_thrift(matrix: Any) -> np.ndarray:
    data = np.array([complex(z.re, z.im) for z in matrix.data], dtype=complex)
    return data.reshape(matrix.nRows, matrix.nCols)


def _matrix_to_thrift(matrix: np.ndarray) -> Any:
    from qat.comm.datamodel.ttypes import ComplexNumber, Matrix

    m = np.asarray(matrix, dtype=complex)
    return Matrix(nRows=int(m.shape[0]), nCols=int(m.shape[1]),
                  data=[ComplexNumber(re=float(z.real), im=float(z.imag)) for z in m.flat])


# -- parameters ----------------------------------------------------------------------------------

#: myQLM symbols that are not variable names.
_RESERVED_TOKENS = frozenset({"+", "-", "*", "/", "**", "UMINUS", "cos", "sin", "exp", "sqrt", "heaviside", "max",
                              "ln", "real", "imag", "angle", "abs", "atan2", "get_item", "conjugate"})


def _is_number(text: str) -> bool:
    try:
        complex(text)
    except ValueError:
        return False
    return True


def _check_name(name: str) -> None:
    if not name or any(ch.isspace() for ch in name) or name in _RESERVED_TOKENS or _is_number(name):
        raise TranslationError(f"parameter name {name!r} cannot be a myQLM variable name "
                               "(no spaces, not a number, not an operator or function name)")


def expr_to_myqlm(value: ParamValue, variables: dict[str, Any] | None = None) -> Any:
    """A model parameter value as a myQLM value: a float, a ``Variable`` or an ``ArithExpression``.

    ``variables`` collects (and reuses) the ``qat.core.variables.Variable`` of each parameter name.
    """
    load_qat()
    from qat.core import variables as qv

    found: dict[str, Any] = {} if variables is None else variables

    def conv(v: ParamValue) -> Any:
        if not isinstance(v, Expr):
            return float(v)
        if isinstance(v, Parameter):
            var = found.get(v.name)
            if var is None:
                _check_name(v.name)
                var = found[v.name] = qv.Variable(v.name)
            return var
        assert isinstance(v, Apply)
        args = [conv(a) for a in v.args]
        op = v.op
        if op == "+":
            return args[0] + args[1]
        if op == "-":
            return args[0] - args[1]
        if op == "*":
            return args[0] * args[1]
        if op == "/":
            return args[0] / args[1]
        if op == "**":
            return args[0] ** args[1]
        x = args[0]
        if op == "neg":
            return -x
        if op == "sin":
            return qv.sin(x)
        if op == "cos":
            return qv.cos(x)
        if op == "tan":
            return qv.sin(x) / qv.cos(x)
        if op == "exp":
            return qv.exp(x)
        if op == "log":
            return qv.ln(x)
        if op == "sqrt":
            return qv.sqrt(x)
        if op == "abs":
            return qv.abso(x)
        if op == "atan":
            return qv.atan2(x, 1.0)
        if op == "asin":
            return qv.atan2(x, qv.sqrt(1.0 - x**2))
        if op == "acos":
            return qv.atan2(qv.sqrt(1.0 - x**2), x)
        raise TranslationError(f"parameter function {op!r} has no myQLM equivalent")  # pragma: no cover

    return conv(value)


def _number(value: Any, shown: Any) -> float:
    z = complex(value)
    if abs(z.imag) > 1e-12:
        raise TranslationError(f"gate parameter {shown} is complex; the model holds real parameters")
    return float(z.real)


def _is_one_minus_square(node: Any, x: Any) -> bool:
    """Whether ``node`` is ``1 - x**2`` (as :func:`expr_to_myqlm` writes it)."""
    from qat.core.variables import ArithExpression

    if not isinstance(node, ArithExpression) or node.symbol.token != "-":
        return False
    one, square = node.children
    return (not isinstance(one, ArithExpression) and not hasattr(one, "name") and float(one) == 1.0
            and isinstance(square, ArithExpression) and square.symbol.token == "**"
            and _same(square.children[0], x) and not hasattr(square.children[1], "children")
            and not hasattr(square.children[1], "name") and float(square.children[1]) == 2.0)


def _same(a: Any, b: Any) -> bool:
    return bool(a.to_thrift() == b.to_thrift()) if hasattr(a, "to_thrift") and hasattr(b, "to_thrift") else a == b


def _is_sqrt_of_one_minus_square(node: Any, x: Any) -> bool:
    from qat.core.variables import ArithExpression

    return (isinstance(node, ArithExpression) and node.symbol.token == "sqrt"
            and _is_one_minus_square(node.children[0], x))


def expr_from_myqlm(node: Any) -> ParamValue:
    """A myQLM value (number, ``Variable``, ``ArithExpression``) as a model parameter value."""
    load_qat()
    from qat.core.variables import ArithExpression, Variable

    if isinstance(node, Variable):
        return Parameter(node.name)
    if not isinstance(node, ArithExpression):
        return _number(node, node)
    token = node.symbol.token
    kids = node.children
    if token == "atan2":
        y, x = kids
        if not hasattr(x, "to_thrift") and not hasattr(x, "name") and complex(x) == 1.0:
            return apply("atan", expr_from_myqlm(y))
        if _is_sqrt_of_one_minus_square(x, y):
            return apply("asin", expr_from_myqlm(y))
        if _is_sqrt_of_one_minus_square(y, x):
            return apply("acos", expr_from_myqlm(x))
        raise TranslationError(f"parameter expression {node.to_thrift()!r}: atan2 has no model equivalent "
                               "(only atan2(x, 1), atan2(x, sqrt(1-x**2)) and atan2(sqrt(1-x**2), x) do)")
    args = [expr_from_myqlm(k) for k in kids]
    if token in ("+", "-", "*", "/", "**"):
        return apply(token, args[0], args[1])
    if token == "UMINUS":
        return apply("neg", args[0])
    if token in ("sin", "cos", "exp", "sqrt", "abs"):
        return apply(token, args[0])
    if token == "ln":
        return apply("log", args[0])
    if token in ("real", "conjugate"):  # of a real parameter: itself
        return args[0]
    if token == "imag":
        return 0.0
    if token == "max":
        a, b = args
        return apply("/", apply("+", apply("+", a, b), apply("abs", apply("-", a, b))), 2.0)
    raise TranslationError(f"parameter expression {node.to_thrift()!r} uses {token!r}, which the model does not hold")


# -- myQLM -> model --------------------------------------------------------------------------

_NATIVE_FIXED = {
    "I": "id", "X": "x", "Y": "y", "Z": "z", "H": "h", "S": "s", "T": "t",
    "CNOT": "cx", "CSIGN": "cz", "SWAP": "swap", "ISWAP": "iswap", "CCNOT": "ccx",
}
_NATIVE_PARAM = {"RX": "rx", "RY": "ry", "RZ": "rz", "PH": "p"}
_MARKERS = frozenset({"LOCK", "RELEASE"})

# model gate -> its singly controlled library gate
_CTRL1 = {
    "x": "cx", "y": "cy", "z": "cz", "h": "ch", "s": "cs", "sdg": "csdg", "sx": "csx", "p": "cp", "u1": "cu1",
    "rx": "crx", "ry": "cry", "rz": "crz", "u3": "cu3", "swap": "cswap", "cx": "ccx", "cz": "ccz",
}
_ROTATION_CTRL = {"rx": "crx", "ry": "cry", "rz": "crz", "p": "cp", "u1": "cp"}


def _local(num_qubits: int, steps: Sequence[tuple[Any, Sequence[int]]], phase: ParamValue = 0.0) -> Circuit:
    out = Circuit(num_qubits=num_qubits, global_phase=phase)
    out.instructions = [Instruction(op, tuple(q)) for op, q in steps]
    return out


def _mc_rotation(kind: str, theta: ParamValue, ctrls: Sequence[int], target: int, out: list[Instruction]) -> None:
    """``kind`` (rx ry rz p) by ``theta`` on ``target``, controlled by all of ``ctrls`` (exact, no ancilla).

    Barenco et al. (1995), lemma 7.9 with V = kind(theta/2): C^k U = C V(c_k, t) C^{k-1}X(c_k) C V^dag(c_k, t)
    C^{k-1}X(c_k) C^{k-1}V(t).
    """
    k = len(ctrls)
    if k == 0:
        out.append(Instruction(Gate("p" if kind == "u1" else kind, (theta,)), (target,)))
        return
    if k == 1:
        out.append(Instruction(Gate(_ROTATION_CTRL[kind], (theta,)), (ctrls[0], target)))
        return
    half = theta / 2
    last, rest = ctrls[-1], ctrls[:-1]
    out.append(Instruction(Gate(_ROTATION_CTRL[kind], (half,)), (last, target)))
    _mcx(rest, last, out)
    out.append(Instruction(Gate(_ROTATION_CTRL[kind], (-half,)), (last, target)))
    _mcx(rest, last, out)
    _mc_rotation(kind, half, rest, target, out)


def _mcx(ctrls: Sequence[int], target: int, out: list[Instruction]) -> None:
    k = len(ctrls)
    if k == 0:
        out.append(Instruction(Gate("x"), (target,)))
    elif k == 1:
        out.append(Instruction(Gate("cx"), (ctrls[0], target)))
    elif k == 2:
        out.append(Instruction(Gate("ccx"), (ctrls[0], ctrls[1], target)))
    else:  # X = H Z H and C^k Z = C^k p(pi)
        out.append(Instruction(Gate("h"), (target,)))
        _mc_rotation("p", PI, ctrls, target, out)
        out.append(Instruction(Gate("h"), (target,)))


def _mc_phase(alpha: ParamValue, ctrls: Sequence[int], out: list[Instruction]) -> None:
    """The phase ``e^{i alpha}`` applied when every control reads 1 (``ctrls`` is not empty)."""
    if not isinstance(alpha, Expr) and alpha == 0.0:
        return
    _mc_rotation("p", alpha, ctrls[:-1], ctrls[-1], out)


def _controlled_u(theta: ParamValue, phi: ParamValue, lam: ParamValue, ctrls: Sequence[int], target: int,
                  out: list[Instruction]) -> None:
    """u(theta, phi, lam) = p(phi) ry(theta) p(lam), exactly; each factor controlled."""
    _mc_rotation("p", lam, ctrls, target, out)
    _mc_rotation("ry", theta, ctrls, target, out)
    _mc_rotation("p", phi, ctrls, target, out)


def _controlled_op(op: Gate | UnitaryGate, ctrls: Sequence[int], targets: Sequence[int], out: list[Instruction]) -> None:
    """``op`` on ``targets`` controlled by every qubit of ``ctrls`` (at least one), exactly."""
    k = len(ctrls)
    if isinstance(op, UnitaryGate):
        m = op.num_qubits
        if m == 1:
            theta, phi, lam, gamma = zyz_angles(op.matrix_data)
            _controlled_u(theta, phi, lam, ctrls, targets[0], out)
            _mc_phase(gamma, ctrls, out)
            return
        if k + m > MAX_CONTROLLED_UNITARY_QUBITS:
            raise TranslationError(f"a {m}-qubit custom gate under {k} control(s) needs a {k + m}-qubit matrix; "
                                   f"the model writes at most {MAX_CONTROLLED_UNITARY_QUBITS}")
        from qhpc_interop.gates import controlled

        out.append(Instruction(UnitaryGate(controlled(op.matrix_data, k), op.label), (*ctrls, *targets)))
        return
    name, params = op.name, op.params
    if name == "id":
        return
    if k == 1 and name in _CTRL1:
        out.append(Instruction(Gate(_CTRL1[name], params), (ctrls[0], *targets)))
        return
    if k == 1 and name == "u":
        out.append(Instruction(Gate("cu", (*params, 0.0)), (ctrls[0], *targets)))
        return
    if k == 1 and name in ("t", "tdg"):
        out.append(Instruction(Gate("cp", (PI / 4 if name == "t" else -PI / 4,)), (ctrls[0], *targets)))
        return
    if k == 2 and name == "z":
        out.append(Instruction(Gate("ccz"), (ctrls[0], ctrls[1], *targets)))
        return
    if name in ("x", "cx", "ccx"):
        _mcx([*ctrls, *targets[:-1]], targets[-1], out)
        return
    if name in _ROTATION_CTRL:
        _mc_rotation(name, params[0], ctrls, targets[0], out)
        return
    if name == "u":
        _controlled_u(params[0], params[1], params[2], ctrls, targets[0], out)
        return
    spec = STANDARD_GATES[name]
    if spec.num_qubits == 1 and not op.is_parameterized:
        theta, phi, lam, gamma = zyz_angles(op.matrix())
        _controlled_u(theta, phi, lam, ctrls, targets[0], out)
        _mc_phase(gamma, ctrls, out)
        return
    definition = spec.definition(params)
    assert definition is not None, name  # every library gate but u and cx has one
    steps, phase = definition
    for step_name, step_params, local in steps:
        _controlled_op(Gate(step_name, step_params), ctrls, [targets[q] for q in local], out)
    _mc_phase(phase, ctrls, out)


def _control(recipe: Circuit, k: int) -> Circuit:
    """``recipe`` controlled by ``k`` new qubits listed first (myQLM's ``ctrl()`` layout)."""
    out: list[Instruction] = []
    ctrls = list(range(k))
    for inst in recipe.instructions:
        op = inst.operation
        assert isinstance(op, (Gate, UnitaryGate))
        _controlled_op(op, ctrls, [k + q for q in inst.qubits], out)
    _mc_phase(recipe.global_phase, ctrls, out)
    result = Circuit(num_qubits=recipe.num_qubits + k)
    result.instructions = out
    return result


# gates whose matrix is real for every (real) parameter: their conjugate is themselves
_REAL_GATES = frozenset({"id", "x", "z", "h", "cx", "cz", "swap", "ccx", "ccz", "cswap", "ry", "cry", "dcx"})
_CONJ_NEGATE = frozenset({"rx", "rz", "p", "u1", "crx", "crz", "cp", "cu1", "rxx", "ryy", "rzz", "rzx"})
_CONJ_SWAP = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "cs": "csdg", "csdg": "cs"}


def _conjugate(recipe: Circuit) -> Circuit:
    """The complex conjugate of ``recipe``'s unitary, exactly (``conj()`` in myQLM)."""
    out: list[Instruction] = []
    phase: ParamValue = -recipe.global_phase

    def conj(op: Gate | UnitaryGate, qubits: tuple[int, ...]) -> None:
        nonlocal phase
        if isinstance(op, UnitaryGate):
            out.append(Instruction(UnitaryGate(op.matrix_data.conj(), op.label), qubits))
            return
        name, params = op.name, op.params
        if name in _REAL_GATES:
            out.append(Instruction(op, qubits))
        elif name == "y":  # Y* = -Y
            out.append(Instruction(op, qubits))
            phase = phase + PI
        elif name in _CONJ_NEGATE:
            out.append(Instruction(Gate(name, (-params[0],)), qubits))
        elif name in _CONJ_SWAP:
            out.append(Instruction(Gate(_CONJ_SWAP[name]), qubits))
        elif name in ("u", "u3"):
            out.append(Instruction(Gate(name, (params[0], -params[1], -params[2])), qubits))
        elif name == "u2":
            out.append(Instruction(Gate(name, (-params[0], -params[1])), qubits))
        else:
            definition = STANDARD_GATES[name].definition(params)
            assert definition is not None, name
            steps, step_phase = definition
            phase = phase - step_phase
            for step_name, step_params, local in steps:
                conj(Gate(step_name, step_params), tuple(qubits[q] for q in local))

    for inst in recipe.instructions:
        op = inst.operation
        assert isinstance(op, (Gate, UnitaryGate))
        conj(op, inst.qubits)
    result = Circuit(num_qubits=recipe.num_qubits, global_phase=phase)
    result.instructions = out
    return result


def _sqrtswap() -> Circuit:
    # eigenvalues of SWAP: 1 (triplet), -1 (singlet); exp(-i pi/8 (XX+YY+ZZ)) gives e^{-i pi/8} and
    # e^{3i pi/8}, so e^{i pi/8} times it is 1 on the triplet and i on the singlet: sqrt(SWAP) exactly
    q = PI / 4
    return _local(2, [(Gate("rxx", (q,)), (0, 1)), (Gate("ryy", (q,)), (0, 1)), (Gate("rzz", (q,)), (0, 1))], PI / 8)


class _Where:
    """Where an operation is, for error messages; worked out only when a message needs it."""

    __slots__ = ("gate_dic", "index", "name")

    def __init__(self, gate_dic: Any, index: int, name: str) -> None:
        self.gate_dic, self.index, self.name = gate_dic, index, name

    def __str__(self) -> str:
        return f"operation {self.index} ({display_name(self.gate_dic, self.name)})"


#: A gate definition read: (qubits, phase, [(operation, local qubits)], one operation on all qubits in order?)
Plan = tuple[int, ParamValue, list[tuple[Any, tuple[int, ...]]], bool]


class _Reader:
    """Walks a myQLM circuit into model instructions; one recipe (a small model circuit) per gate definition."""

    def __init__(self, circ: Any) -> None:
        self.circ = circ
        self.gate_dic = circ.gateDic
        self.recipes: dict[str, Circuit] = {}
        self.plans: dict[str, Plan] = {}
        self.exprs: dict[str, ParamValue] = {}

    # -- gate definitions ------------------------------------------------------------------
    def plan(self, name: str, where: object) -> Plan:
        """How to apply gate ``name``: cached, and without a recipe circuit for a single operation."""
        found = self.plans.get(name)
        if found is None:
            single = self._single(name, where)
            if single is not None:
                found = (single.num_qubits, 0.0, [(single, tuple(range(single.num_qubits)))], True)
            else:
                recipe = self.recipe(name, where)
                items = [(i.operation, i.qubits) for i in recipe.instructions]
                whole = len(items) == 1 and items[0][1] == tuple(range(recipe.num_qubits))
                found = (recipe.num_qubits, recipe.global_phase, items, whole)
            self.plans[name] = found
        return found

    def recipe(self, name: str, where: object, depth: int = 0) -> Circuit:
        found = self.recipes.get(name)
        if found is None:
            if depth > 64:
                raise TranslationError(f"{where}: gate definitions nest deeper than 64 levels")
            single = self._single(name, where)
            found = self.recipes[name] = (_local(single.num_qubits, [(single, range(single.num_qubits))])
                                          if single is not None else self._build(name, where, depth))
        return found

    def _param(self, p: Any, where: object, label: str) -> ParamValue:
        if p.is_abstract:
            text = p.string_p
            value = self.exprs.get(text)
            if value is None:
                from qat.core.variables import ArithExpression

                try:
                    value = expr_from_myqlm(ArithExpression.from_string(text))
                except TranslationError as exc:
                    raise TranslationError(f"{where}: {label}: {exc}") from None
                self.exprs[text] = value
            return value
        if p.double_p is not None:
            return float(p.double_p)
        if p.int_p is not None:
            return float(p.int_p)
        if p.complex_p is not None:
            return _number(complex(p.complex_p.re, p.complex_p.im), f"{where}: {label}")
        raise TranslationError(f"{where}: {label}: a gate parameter of myQLM type {p.type} is not a real number")

    def _single(self, name: str, where: object) -> Gate | UnitaryGate | None:
        """The one model operation gate ``name`` is (a library gate, a matrix), or ``None``."""
        d = self.gate_dic.get(name)
        if d is None:
            raise TranslationError(f"{where}: gate {name!r} is not in the circuit's gate dictionary")
        syntax = d.syntax
        if syntax is not None:
            params = syntax.parameters
            kind = syntax.name
            if kind in _NATIVE_FIXED and not params:
                return Gate(_NATIVE_FIXED[kind])
            if kind in _NATIVE_PARAM and params is not None and len(params) == 1:
                return Gate(_NATIVE_PARAM[kind], (self._param(params[0], where, kind),))
        if d.subgate or (syntax is not None and (syntax.name in _MARKERS or syntax.name == "SQRTSWAP")):
            return None
        matrix = None
        params = list(syntax.parameters or []) if syntax is not None else []
        if d.matrix is not None:
            matrix = _matrix_from_thrift(d.matrix)
        elif len(params) == 1 and params[0].matrix_p is not None:
            matrix = _matrix_from_thrift(params[0].matrix_p)
        if matrix is None:
            return None
        label = syntax.name if syntax is not None else name
        try:
            return UnitaryGate(big_to_little(matrix), None if label in ("CustomGate", name) else label)
        except Exception as exc:
            raise TranslationError(f"{where}: the matrix of gate {label!r} is not unitary: {exc}") from None

    def _build(self, name: str, where: object, depth: int) -> Circuit:
        """The recipe of a gate that is not a single operation (see :meth:`_single`)."""
        d = self.gate_dic[name]
        syntax = d.syntax
        label = syntax.name if syntax is not None else name
        params = list(syntax.parameters or []) if syntax is not None else []
        if syntax is not None and syntax.name == "SQRTSWAP" and not params:
            return _sqrtswap()
        if d.subgate:
            flags = [f for f in ("ctrl", "dag", "conj", "trans")
                     if (d.is_ctrl or d.nbctrls if f == "ctrl" else getattr(d, "is_" + f))]
            if len(flags) != 1:
                raise TranslationError(f"{where}: gate {label!r} combines {flags or 'no'} modifiers of "
                                       f"{d.subgate!r} in one definition; the model reads one at a time")
            inner = self.recipe(d.subgate, where, depth + 1)
            if flags[0] == "ctrl":
                try:
                    return _control(inner, int(d.nbctrls or 1))
                except TranslationError as exc:
                    raise TranslationError(f"{where}: {exc}") from None
            if flags[0] == "dag":
                return inner.inverse()
            if flags[0] == "conj":
                return _conjugate(inner)
            return _conjugate(inner).inverse()  # transpose = (conjugate)^dagger
        if syntax is not None and syntax.name in _MARKERS:
            return Circuit(num_qubits=int(d.arity or 1))
        impl = d.circuit_implementation
        if impl is not None:
            return self._implementation(impl, label, where, depth)
        symbolic = any(p.is_abstract for p in params)
        why = ("its parameters are still symbolic; bind them first (circ.bind_variables)" if symbolic
               else "it is not a myQLM library gate and has no matrix or implementation")
        raise TranslationError(f"{where}: gate {label!r} cannot be read: {why}")

    def _implementation(self, impl: Any, label: str, where: object, depth: int) -> Circuit:
        if impl.ancillas:
            raise TranslationError(f"{where}: the implementation of {label!r} uses ancilla qubits; "
                                   "extract the circuit with Program.to_circ() so myQLM allocates them")
        gate_type = _optype()["GATETYPE"]
        out = Circuit(num_qubits=int(impl.nbqbits))
        for op in impl.ops:
            if op.type != gate_type:
                raise TranslationError(f"{where}: the implementation of {label!r} holds a non-gate operation")
            sub = self.recipe(op.gate, where, depth + 1)
            out.global_phase = out.global_phase + sub.global_phase
            out.instructions.extend(Instruction(i.operation, tuple(op.qbits[q] for q in i.qubits))
                                    for i in sub.instructions)
        return out


def display_name(gate_dic: Any, name: str, depth: int = 0) -> str:
    """myQLM's own name for a gate definition: ``C-C-RX``, ``D-S``, ``CustomGate``..."""
    d = gate_dic.get(name)
    if d is None or depth > 64:
        return name
    if d.syntax is not None:
        return str(d.syntax.name)
    if d.subgate:
        inner = display_name(gate_dic, d.subgate, depth + 1)
        if d.is_ctrl or d.nbctrls:
            return "C-" * int(d.nbctrls or 1) + inner
        prefix = "D-" if d.is_dag else "S-" if d.is_conj else "T-" if d.is_trans else ""
        return prefix + inner
    return name


def _formula_literals(formula: str, where: str) -> list[tuple[int, int]] | None:
    """The (cbit, value) literals of a conjunction like ``AND 0 NOT 1``; ``None`` if never true."""
    tokens = formula.split()
    position = 0

    def parse() -> list[tuple[int, int]]:
        nonlocal position
        if position >= len(tokens):
            raise ValueError("truncated")
        token = tokens[position]
        position += 1
        if token == "AND":
            return parse() + parse()
        if token == "NOT":
            inner = tokens[position] if position < len(tokens) else ""
            position += 1
            if not inner.isdigit():
                raise ValueError("NOT of a compound formula")
            return [(int(inner), 0)]
        if token.isdigit():
            return [(int(token), 1)]
        raise ValueError(f"{token} is not a conjunction")

    try:
        literals = parse()
        if position != len(tokens):
            raise ValueError("trailing tokens")
    except ValueError as exc:
        raise TranslationError(f"{where}: classical formula {formula!r} is not a conjunction of cbits and negated "
                               f"cbits ({exc}); the model's conditions cannot hold it") from None
    out: dict[int, int] = {}
    for bit, value in literals:
        if out.setdefault(bit, value) != value:
            return None
    return list(out.items())


def circuit_from_myqlm(program: Any) -> Circuit:
    """The model circuit of a myQLM ``Circuit`` (or ``Program``, through ``to_circ()``)."""
    load_qat()
    circ = program.to_circ() if hasattr(program, "to_circ") and not hasattr(program, "gateDic") else program
    with _bulk(len(circ.ops or ())):
        return _read(circ)


def _read(circ: Any) -> Circuit:
    t = _optype()
    gate_t, measure_t, reset_t, classic_t, ctrl_t = t["GATETYPE"], t["MEASURE"], t["RESET"], t["CLASSIC"], t["CLASSICCTRL"]
    reader = _Reader(circ)
    num_qubits, num_clbits = int(circ.nbqbits), int(circ.nbcbits or 0)
    out: list[Instruction] = []
    phase_num = 0.0
    phase_sym: ParamValue = 0.0
    # classical logic: computed bits -> (literals, op index), bits measured, bits read as plain bits
    computed: dict[int, tuple[list[tuple[int, int]] | None, int]] = {}
    computed_ever: dict[int, int] = {}
    measured: dict[int, int] = {}
    read_plain: dict[int, int] = {}
    read_by_formula: dict[int, int] = {}

    plans = reader.plans
    for index, op in enumerate(circ):
        kind = op.type
        if kind == gate_t or kind == ctrl_t:
            plan = plans.get(op.gate)
            if plan is None:
                plan = reader.plan(op.gate, _Where(reader.gate_dic, index, op.gate))
            size, phase, items, whole = plan
            qubits = op.qbits
            if len(qubits) != size:
                raise TranslationError(f"operation {index} ({display_name(reader.gate_dic, op.gate)}): acts on "
                                       f"{len(qubits)} qubits, its definition on {size}")
            condition = None
            if kind == ctrl_t:
                where = f"operation {index} ({display_name(reader.gate_dic, op.gate)})"
                found = _condition(op.cbits or [], computed, read_plain, index, where)
                if found is False:
                    continue  # contradictory literals: never applied
                assert isinstance(found, Condition)
                condition = found
            elif phase:
                if isinstance(phase, Expr):
                    phase_sym = phase_sym + phase
                else:
                    phase_num += phase
            if whole:
                out.append(Instruction(items[0][0], tuple(qubits), (), condition))
            else:
                for operation, local in items:
                    out.append(Instruction(operation, tuple([qubits[q] for q in local]), (), condition))
        elif kind == measure_t:
            cbits = op.cbits if op.cbits else op.qbits
            if len(cbits) != len(op.qbits):
                raise TranslationError(f"operation {index} (MEASURE): {len(op.qbits)} qubits into {len(cbits)} cbits")
            for q, c in zip(op.qbits, cbits):
                out.append(Instruction(MEASURE, (int(q),), (int(c),)))
                measured.setdefault(int(c), index)
                for bit, (literals, _) in list(computed.items()):
                    if literals is not None and any(b == c for b, _ in literals):
                        computed[bit] = ([], -1)  # stale: its inputs changed since it was computed
        elif kind == reset_t:
            if op.cbits:
                raise TranslationError(f"operation {index} (RESET): it also clears cbits {list(op.cbits)}; "
                                       "the model cannot clear classical bits")
            for q in op.qbits:
                out.append(Instruction(RESET, (int(q),)))
        elif kind == classic_t:
            where = f"operation {index} (CLASSIC {op.formula})"
            target = int(op.cbits[0])
            literals = _formula_literals(op.formula or "", where)
            for bit, _ in literals or []:
                read_by_formula.setdefault(bit, index)
            computed[target] = (literals, index)
            computed_ever.setdefault(target, index)
        else:
            names = {v: k for k, v in t.items()}
            raise TranslationError(f"operation {index} ({names.get(kind, kind)}): the qhpc model cannot hold "
                                   f"myQLM {names.get(kind, kind)} operations")
    keep = list(range(num_clbits))
    if computed_ever:
        for bit, index in computed_ever.items():
            clash = ("measured into" if bit in measured else "read as a plain bit by a condition" if bit in read_plain
                     else "read by another formula" if bit in read_by_formula else None)
            if clash:
                raise TranslationError(f"operation {index} (CLASSIC): cbit {bit} is computed by classical logic and "
                                       f"also {clash}; the model has no classical computation")
        keep = [b for b in range(num_clbits) if b not in computed_ever]
        renumber = {b: k for k, b in enumerate(keep)}
        out = [_renumbered(inst, renumber) for inst in out]
    circuit = Circuit(num_qubits=num_qubits, num_clbits=len(keep), name=circ.name or None,
                      global_phase=phase_sym + phase_num if isinstance(phase_sym, Expr) else phase_num)
    circuit.instructions = out
    return circuit


def _condition(cbits: Sequence[int], computed: dict[int, tuple[list[tuple[int, int]] | None, int]],
               read_plain: dict[int, int], index: int, where: str) -> Condition | bool:
    literals: dict[int, int] = {}
    order: list[int] = []

    def add(bit: int, value: int) -> bool:
        if bit in literals:
            return literals[bit] == value
        literals[bit] = value
        order.append(bit)
        return True

    consistent = True
    for c in cbits:
        c = int(c)
        if c in computed:
            defined, at = computed[c]
            if defined is None:
                consistent = False  # computed from contradictory literals: always 0
                continue
            if at < 0:
                raise TranslationError(f"{where}: reads cbit {c}, computed by a CLASSIC op from bits measured again "
                                       "since; the model's conditions read bits when they apply")
            for bit, value in defined:
                consistent = add(bit, value) and consistent
        else:
            read_plain.setdefault(c, index)
            consistent = add(c, 1) and consistent
    if not consistent:
        return False
    if not order:
        raise TranslationError(f"{where}: a classically controlled operation without cbits")
    value = sum(literals[b] << k for k, b in enumerate(order))
    return Condition(tuple(order), value)


def _renumbered(inst: Instruction, renumber: dict[int, int]) -> Instruction:
    if not inst.clbits and inst.condition is None:
        return inst
    cond = inst.condition
    if cond is not None:
        cond = Condition(tuple(renumber[c] for c in cond.clbits), cond.value, cond.register)
    return Instruction(inst.operation, inst.qubits, tuple(renumber[c] for c in inst.clbits), cond)


# -- model -> myQLM --------------------------------------------------------------------------

_MODEL_TO_FIXED = {"id": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "t": "T",
                   "cx": "CNOT", "cz": "CSIGN", "swap": "SWAP", "iswap": "ISWAP", "ccx": "CCNOT"}
_MODEL_TO_PARAM = {"rx": "RX", "ry": "RY", "rz": "RZ", "p": "PH", "u1": "PH"}
_MODEL_TO_CTRL_PARAM = {"crx": "RX", "cry": "RY", "crz": "RZ", "cp": "PH", "cu1": "PH"}

#: A myQLM gate structure: a native name, (param native, value), ("D", inner) or ("C", k, inner).
Struct = Any
Step = tuple[Struct, tuple[int, ...]]


def _u_steps(theta: ParamValue, phi: ParamValue, lam: ParamValue, q: int = 0) -> list[Step]:
    return [(("PH", lam), (q,)), (("RY", theta), (q,)), (("PH", phi), (q,))]


def _gate_steps(name: str, params: tuple[ParamValue, ...]) -> tuple[list[Step], ParamValue]:
    """The myQLM gates (time order) that make up model gate ``name`` exactly, and the phase they leave out."""
    if name in _MODEL_TO_FIXED:
        return [(_MODEL_TO_FIXED[name], tuple(range(STANDARD_GATES[name].num_qubits)))], 0.0
    if name in _MODEL_TO_PARAM:
        return [((_MODEL_TO_PARAM[name], params[0]), (0,))], 0.0
    if name in _MODEL_TO_CTRL_PARAM:
        return [(("C", 1, (_MODEL_TO_CTRL_PARAM[name], params[0])), (0, 1))], 0.0
    simple: dict[str, list[Step]] = {
        "sdg": [(("D", "S"), (0,))],
        "tdg": [(("D", "T"), (0,))],
        "sx": [("H", (0,)), ("S", (0,)), ("H", (0,))],
        "sxdg": [("H", (0,)), (("D", "S"), (0,)), ("H", (0,))],
        "cy": [(("C", 1, "Y"), (0, 1))],
        "ch": [(("C", 1, "H"), (0, 1))],
        "cs": [(("C", 1, "S"), (0, 1))],
        "csdg": [(("C", 1, ("D", "S")), (0, 1))],
        "csx": [("H", (1,)), (("C", 1, "S"), (0, 1)), ("H", (1,))],
        "dcx": [("CNOT", (0, 1)), ("CNOT", (1, 0))],
        "ccz": [(("C", 2, "Z"), (0, 1, 2))],
        "cswap": [(("C", 1, "SWAP"), (0, 1, 2))],
    }
    if name in simple:
        return simple[name], 0.0
    if name in ("u", "u3"):
        return _u_steps(params[0], params[1], params[2]), 0.0
    if name == "u2":
        return _u_steps(PI / 2, params[0], params[1]), 0.0
    if name == "r":
        theta, phi = params
        return _u_steps(theta, phi - PI / 2, -phi + PI / 2), 0.0
    if name in ("cu", "cu3"):
        theta, phi, lam = params[:3]
        steps: list[Step] = []
        if name == "cu":
            steps.append((("PH", params[3]), (0,)))
        steps += [(("C", 1, ("PH", lam)), (0, 1)), (("C", 1, ("RY", theta)), (0, 1)), (("C", 1, ("PH", phi)), (0, 1))]
        return steps, 0.0
    definition = STANDARD_GATES[name].definition(params)
    if definition is None:  # pragma: no cover - only u and cx are base gates, both handled above
        raise TranslationError(f"gate {name} has no myQLM form")
    out: list[Step] = []
    phase: ParamValue = definition[1]
    for step_name, step_params, local in definition[0]:
        sub, sub_phase = _gate_steps(step_name, step_params)
        phase = phase + sub_phase
        out.extend((struct, tuple(local[q] for q in qs)) for struct, qs in sub)
    return out, phase


class _Template:
    """What every exported circuit shares: myQLM's native gate definitions and its gate set."""

    def __init__(self) -> None:
        load_qat()
        from qat.lang.AQASM import CustomGate, Program

        prog = Program()
        reg = prog.qalloc(1)
        prog.apply(CustomGate(np.eye(2)), reg[0])  # puts CustomGate's signature in the gate set
        circ = prog.to_circ()
        self.natives = {k: v for k, v in circ.gateDic.items() if not k.startswith("_")}
        self.matrices = {k: _matrix_from_thrift(v.matrix) for k, v in self.natives.items() if v.matrix is not None}
        self.gate_set = circ._gate_set
        self.serialized_gate_set = circ._serialized_gate_set


_TEMPLATE: _Template | None = None
_TEMPLATE_LOCK = threading.Lock()


def _template() -> _Template:
    global _TEMPLATE
    with _TEMPLATE_LOCK:
        if _TEMPLATE is None:
            _TEMPLATE = _Template()
        return _TEMPLATE


def _param_entries(kind: str, theta: float) -> tuple[complex, complex, complex, complex]:
    """The (row-major) matrix of myQLM's RX RY RZ PH at ``theta``, as myQLM defines them."""
    if kind == "PH":
        return (1.0, 0.0, 0.0, cmath.exp(1j * theta))
    if kind == "RZ":
        return (cmath.exp(-0.5j * theta), 0.0, 0.0, cmath.exp(0.5j * theta))
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    if kind == "RX":
        return (c, -1j * s, -1j * s, c)
    return (c, -s, s, c)  # RY


class _Writer:
    """Builds a ``qat.core.Circuit`` op by op, defining each distinct gate once.

    Matrices are attached as ``Program.to_circ(submatrices_only=True)`` attaches them: to every
    gate that has its own (library gates, their daggers, custom gates); a controlled gate carries
    its base gate's, which is what myQLM's simulators read.
    """

    def __init__(self) -> None:
        from qat.comm.datamodel.ttypes import ComplexNumber, GateDefinition, GSyntax, Matrix, Op, Param

        self._GateDefinition, self._GSyntax, self._Op, self._Param = GateDefinition, GSyntax, Op, Param
        self._ComplexNumber, self._Matrix = ComplexNumber, Matrix
        tmpl = _template()
        self.template = tmpl
        self.gate_dic: dict[str, Any] = {k: copy.copy(v) for k, v in tmpl.natives.items()}
        self.matrices: dict[str, Any] = dict(tmpl.matrices)  # numpy (big-endian) or row-major 2x2 entries
        self.names: dict[Any, str] = {}
        self.variables: dict[str, Any] = {}
        self.count = 0

    def _new_name(self) -> str:
        name = f"_{self.count}"
        self.count += 1
        return name

    def _matrix(self, name: str) -> np.ndarray | None:
        found = self.matrices.get(name)
        if found is None or isinstance(found, np.ndarray):
            return found
        return np.array(found, dtype=complex).reshape(2, 2)

    def _param(self, value: ParamValue) -> Any:
        if isinstance(value, Expr):
            node = expr_to_myqlm(value, self.variables)
            return self._Param(is_abstract=True, type=1, string_p=node.to_thrift())
        return self._Param(is_abstract=False, type=1, double_p=float(value))

    def define(self, struct: Struct) -> str:
        """The gate dictionary name of ``struct``, defining it (and what it is built from) on first use."""
        if isinstance(struct, str):
            return struct
        found = self.names.get(struct)
        if found is not None:
            return found
        head = struct[0]
        if head == "D":
            inner = self.define(struct[1])
            inner_matrix = self._matrix(inner)
            name = self._new_name()
            d = self._GateDefinition(name=name, arity=self.gate_dic[inner].arity, is_dag=True, subgate=inner)
            if inner_matrix is not None:
                matrix = inner_matrix.conj().T
                d.matrix = _matrix_to_thrift(matrix)
                self.matrices[name] = matrix
        elif head == "C":
            inner = self.define(struct[2])
            name = self._new_name()
            d = self._GateDefinition(name=name, arity=self.gate_dic[inner].arity + struct[1], subgate=inner,
                                     nbctrls=struct[1])
        else:
            value = struct[1]
            name = self._new_name()
            d = self._GateDefinition(name=name, arity=1, is_ctrl=False,
                                     syntax=self._GSyntax(name=head, parameters=[self._param(value)]))
            if not isinstance(value, Expr):
                entries = _param_entries(head, float(value))
                cn = self._ComplexNumber
                d.matrix = self._Matrix(nRows=2, nCols=2, data=[cn(re=z.real, im=z.imag) for z in entries])
                self.matrices[name] = entries
        self.gate_dic[name] = d
        self.names[struct] = name
        return name

    def define_unitary(self, op: UnitaryGate) -> str:
        key = ("U", op.matrix_data.shape, op.matrix_data.tobytes())
        found = self.names.get(key)
        if found is not None:
            return found
        big = little_to_big(op.matrix_data)
        thrift = _matrix_to_thrift(big)
        name = self._new_name()
        self.gate_dic[name] = self._GateDefinition(
            name=name, arity=op.num_qubits, is_ctrl=False, matrix=thrift,
            syntax=self._GSyntax(name="CustomGate", parameters=[self._Param(type=3, matrix_p=thrift)]))
        self.matrices[name] = big
        self.names[key] = name
        return name


def _condition_formula(cond: Condition) -> str:
    literals = [str(b) if (cond.value >> k) & 1 else f"NOT {b}" for k, b in enumerate(cond.clbits)]
    return "AND " * (len(literals) - 1) + " ".join(literals)


def circuit_to_myqlm(circuit: Circuit, *, absorb_global_phase: bool = True) -> Any:
    """A myQLM ``qat.core.Circuit`` for a model circuit (same qubit and cbit indices).

    myQLM circuits hold no global phase: with ``absorb_global_phase`` (the default) a nonzero one
    is written exactly as ``PH(a) X PH(a) X`` on qubit 0, otherwise it is dropped. A condition
    other than "one bit reads 1" uses one extra cbit (after the circuit's own) computed by a
    ``CLASSIC`` op.
    """
    load_qat()
    with _bulk(len(circuit.instructions)):
        return _write(circuit, absorb_global_phase)


def _write(circuit: Circuit, absorb_global_phase: bool) -> Any:
    from qat.comm.datamodel.ttypes import QRegister
    from qat.comm.datamodel.ttypes import Variable as TVariable
    from qat.core import Circuit as QCircuit

    t = _optype()
    gate_t, measure_t, reset_t, classic_t, ctrl_t = t["GATETYPE"], t["MEASURE"], t["RESET"], t["CLASSIC"], t["CLASSICCTRL"]
    w = _Writer()
    Op = w._Op
    ops: list[Any] = []
    scratch = circuit.num_clbits
    used_scratch = False
    last_formula: str | None = None
    steps_cache: dict[tuple[str, tuple[ParamValue, ...]], tuple[list[tuple[str, tuple[int, ...]]], ParamValue]] = {}
    phase: ParamValue = circuit.global_phase

    def gate_ops(op: Gate) -> tuple[list[tuple[str, tuple[int, ...]]], ParamValue]:
        key = (op.name, op.params)
        found = steps_cache.get(key)
        if found is None:
            steps, step_phase = _gate_steps(op.name, op.params)
            found = steps_cache[key] = ([(w.define(s), q) for s, q in steps], step_phase)
        return found

    for index, inst in enumerate(circuit.instructions):
        op = inst.operation
        cond = inst.condition
        if isinstance(op, Barrier):
            continue
        if cond is not None and not isinstance(op, (Gate, UnitaryGate)):
            raise TranslationError(f"instruction {index} ({op.name}): myQLM conditions only hold gates, "
                                   f"not a conditioned {op.name}")
        if isinstance(op, Measure):
            ops.append(Op(gate=None, qbits=list(inst.qubits), type=measure_t, cbits=list(inst.clbits)))
            last_formula = None
            continue
        if isinstance(op, Reset):
            ops.append(Op(gate=None, qbits=list(inst.qubits), type=reset_t, cbits=[]))
            continue
        if isinstance(op, UnitaryGate):
            parts = [(w.define_unitary(op), tuple(range(op.num_qubits)))]
        else:
            assert isinstance(op, Gate)
            parts, step_phase = gate_ops(op)
            if cond is None and (isinstance(step_phase, Expr) or step_phase != 0.0):
                phase = phase + step_phase
        qubits = inst.qubits
        if cond is None:
            for name, local in parts:
                ops.append(Op(gate=name, qbits=[qubits[q] for q in local], type=gate_t))
            continue
        if len(cond.clbits) == 1 and cond.value == 1:
            cbits = [cond.clbits[0]]
        else:
            formula = _condition_formula(cond)
            if formula != last_formula:
                ops.append(Op(gate=None, qbits=None, type=classic_t, cbits=[scratch], formula=formula))
                last_formula = formula
            used_scratch = True
            cbits = [scratch]
        for name, local in parts:
            ops.append(Op(gate=name, qbits=[qubits[q] for q in local], type=ctrl_t, cbits=list(cbits)))
    if absorb_global_phase and (isinstance(phase, Expr) or phase != 0.0):
        if not circuit.num_qubits:
            raise TranslationError(f"a circuit without qubits cannot carry its global phase {phase} in myQLM "
                                   "(convert with absorb_global_phase=False to drop it)")
        ph = w.define(("PH", phase))
        absorb = [Op(gate=g, qbits=[0], type=gate_t) for g in (ph, "X", ph, "X")]
        ops[:0] = absorb
    var_dic = {name: TVariable(type=1, value=w._Param(is_abstract=True, type=1, string_p=name))
               for name in w.variables}
    qregs = [QRegister(length=circuit.num_qubits, start=0, msb=None)] if circuit.num_qubits else []
    return QCircuit(
        ops=ops, gateDic=w.gate_dic, nbqbits=circuit.num_qubits,
        nbcbits=circuit.num_clbits + (1 if used_scratch else 0), name=circuit.name,
        _gate_set=w.template.gate_set, _serialized_gate_set=w.template.serialized_gate_set,
        has_matrices=False, var_dic=var_dic, qregs=qregs,
    )

