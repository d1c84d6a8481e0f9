"""myQLM -> model: :func:`circuit_from_myqlm` (see :mod:`qhpc_myqlm.translate` for the mapping)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, NoReturn

import numpy as np
from qhpc.errors import TranslationError
from qhpc_interop import MEASURE, RESET, Circuit, Condition, Gate, Instruction, UnitaryGate
from qhpc_interop.errors import ParameterError
from qhpc_interop.ir import MAX_READ_BITS, library_gate, new_instruction
from qhpc_interop.params import Expr, ParamValue
from qhpc_interop.qasm.gatedefs import MAX_GATE_EXPANSION
from qhpc_interop.testing import circuit_unitary

from ._qat import _bulk, _matrix_from_thrift, _optype, big_to_little, load_qat
from .expressions import _number, expr_from_myqlm
from .modifiers import _ROTATION_CTRL, _conjugate, _control, _local, _sqrtswap
from .to_myqlm import _template

_NATIVE_FIXED = {
    "I": "id", "X": "x", "Y": "y", "Z": "z", "H": "h", "S": "s", "T": "t",
    "CNOT": "cx", "CSIGN": "cz", "SWAP": "swap", "ISWAP": "iswap", "CCNOT": "ccx",
}
_NATIVE_PARAM = {"RX": "rx", "RY": "ry", "RZ": "rz", "PH": "p"}
_MARKERS = frozenset({"LOCK", "RELEASE"})
_UNSEEN: Any = object()


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
        #: gate name -> (the one model gate it is, its qubit count), or ``None`` where it is not one
        #: gate with no phase left out: what most operations of a circuit are
        self.singles: dict[str, tuple[Any, int] | None] = {}
        self.exprs: dict[str, ParamValue] = {}
        #: definitions with a syntax and modifiers -> whether the syntax may be read (see :meth:`syntax_holds`)
        self.agreed: dict[str, bool] = {}

    # -- gate definitions ------------------------------------------------------------------
    def plan(self, name: str, where: object) -> Plan:
        """How to apply gate ``name``: cached, and without a recipe circuit for a single operation."""
        found = self.plans.get(name)
        if found is None:
            found = self._native_rotation(name, where) or self._controlled_rotation(name, where)
            if found is not None:
                return found
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

    def single(self, name: str, index: int) -> tuple[Any, int] | None:
        """(operation, qubits) where gate ``name`` is one model operation on all its qubits in order
        with no phase left out, else ``None``; cached. A myQLM rotation or phase at a number (one
        definition per distinct angle, most of a large circuit's) is recognised here directly."""
        d = self.gate_dic.get(name)
        syntax = d.syntax if d is not None else None
        if syntax is not None:
            native = _NATIVE_PARAM.get(syntax.name)
            params = syntax.parameters
            if native is not None and params is not None and len(params) == 1:
                p = params[0]
                value = p.double_p
                if type(value) is float and not p.is_abstract and (
                        (not (d.subgate or d.is_dag or d.is_ctrl or d.nbctrls or d.is_conj or d.is_trans)
                         and (d.matrix is None or _rotation_agrees(syntax.name, value, d.matrix)))
                        or self.syntax_holds(d, name, _Where(self.gate_dic, index, name))):
                    found: tuple[Any, int] | None = (library_gate(native, (value,)), 1)
                    self.singles[name] = found
                    return found
        size, phase, items, whole = self.plan(name, _Where(self.gate_dic, index, name))
        found = (items[0][0], size) if whole and not isinstance(phase, Expr) and phase == 0.0 else None
        self.singles[name] = found
        return found

    def syntax_holds(self, d: Any, name: str, where: object) -> bool:
        """Whether definition ``d`` may be read by its syntax (the library gate it names).

        It may where its matrix and its modifiers, if it has them (myQLM's own ``CNOT`` is
        ``CTRL(X)`` too), are the gate its syntax names: myQLM's simulators apply a definition's
        matrix or its modifiers and ``iterate_simple`` reports its syntax, so a definition whose
        syntax says one gate and whose matrix or modifiers say another is refused, naming both.
        A rotation's matrix is compared number by number (one definition per distinct angle).
        """
        if not (d.subgate or d.is_dag or d.is_conj or d.is_trans or d.is_ctrl or d.nbctrls):
            matrix = d.matrix
            if matrix is None:
                return True
            params = d.syntax.parameters
            if params and any(p.is_abstract for p in params):
                return True  # no number to compare the matrix with
            if params and len(params) == 1 and _rotation_agrees(d.syntax.name, params[0].double_p, matrix):
                return True
        found = self.agreed.get(name)
        if found is None:
            found = self.agreed[name] = (_native_agrees(name) if _is_myqlm_native(self.gate_dic, name)
                                         else self._syntax_agrees(d, name, where))
        return found

    def _syntax_agrees(self, d: Any, name: str, where: object) -> bool:
        syntax = d.syntax
        kind, params = syntax.name, list(syntax.parameters or [])
        if kind in _NATIVE_FIXED and not params:
            said = library_gate(_NATIVE_FIXED[kind])
        elif kind in _NATIVE_PARAM and len(params) == 1:
            said = library_gate(_NATIVE_PARAM[kind], (self._param(params[0], where, kind),))
        elif kind == "SQRTSWAP" and not params:
            said = None
        else:
            return False  # not a library gate: read by its modifiers or matrix, as before
        shown = (kind if said is None or not said.params
                 else f"{kind}({', '.join(str(p) for p in said.params)})")
        modifiers = "modifiers of " + repr(d.subgate) if d.subgate else "modifier flags"
        if said is not None and said.is_parameterized:
            raise TranslationError(f"{where}: gate {name!r} is {shown} by its syntax and also has {modifiers}; "
                                   "with symbolic parameters the two cannot be compared: bind them first")
        expected = circuit_unitary(_sqrtswap()) if said is None else said.matrix()
        said_qubits = 2 if said is None else said.num_qubits
        evidence: list[tuple[str, np.ndarray]] = []
        modified = d.subgate or d.is_dag or d.is_conj or d.is_trans or d.is_ctrl or d.nbctrls
        # a controlled definition may carry its base gate's matrix (myQLM's submatrices_only)
        if d.matrix is not None and (d.matrix.nRows == expected.shape[0] or not modified):
            try:
                evidence.append(("matrix", big_to_little(_matrix_from_thrift(d.matrix))))
            except (ValueError, TypeError, AttributeError):
                raise TranslationError(f"{where}: gate {name!r} is {shown} by its syntax and has a malformed "
                                       f"matrix ({d.matrix.nRows}x{d.matrix.nCols}, "
                                       f"{len(d.matrix.data or ())} entries)") from None
        if d.subgate:
            built = self._build(name, where, 0)
            if built.num_qubits != said_qubits:
                raise TranslationError(f"{where}: gate {name!r} is {shown} by its syntax, on {said_qubits} "
                                       f"qubits, and by its {modifiers} a gate on {built.num_qubits}")
            evidence.append((modifiers, circuit_unitary(built)))
        if not evidence:
            raise TranslationError(f"{where}: gate {name!r} is {shown} by its syntax and has modifier flags "
                                   "but no subgate or matrix they apply to; qhpc cannot tell which gate it is")
        for what, matrix in evidence:
            if matrix.shape != expected.shape or not np.allclose(matrix, expected, rtol=0.0, atol=1e-9):
                raise TranslationError(f"{where}: gate {name!r} is {shown} by its syntax but another gate by its "
                                       f"{what}; myQLM's simulators apply the {what}, so qhpc reads neither")
        return True

    def _native_rotation(self, name: str, where: object) -> Plan | None:
        """The plan of a myQLM rotation or phase (RX RY RZ PH) at a number, which is most of the
        definitions a large circuit has (one per distinct angle); ``None`` for anything else."""
        d = self.gate_dic.get(name)
        syntax = d.syntax if d is not None else None
        if syntax is None:
            return None
        native = _NATIVE_PARAM.get(syntax.name)
        params = syntax.parameters
        if native is None or params is None or len(params) != 1:
            return None
        p = params[0]
        value = p.double_p
        if p.is_abstract or value is None or not self.syntax_holds(d, name, where):
            return None
        found: Plan = (1, 0.0, [(library_gate(native, (float(value),)), (0,))], True)
        self.plans[name] = found
        return found

    def _controlled_rotation(self, name: str, where: object) -> Plan | None:
        """The plan of a rotation or phase at a number under one control (``RX(a).ctrl()``...: one
        definition per distinct angle too), as the model's controlled rotation; ``None`` otherwise."""
        d = self.gate_dic.get(name)
        if d is None or not d.subgate or d.is_dag or d.is_conj or d.is_trans:
            return None
        if not (d.is_ctrl or d.nbctrls) or (d.nbctrls or 1) != 1:
            return None
        inner = self.plans.get(d.subgate) or self._native_rotation(d.subgate, where)
        if inner is None:
            return None
        op = inner[2][0][0]
        controlled = _ROTATION_CTRL.get(op.name) if isinstance(op, Gate) and len(inner[2]) == 1 else None
        if controlled is None or inner[1] != 0.0:
            return None
        found: Plan = (2, 0.0, [(library_gate(controlled, op.params), (0, 1))], True)
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
        if syntax is not None and self.syntax_holds(d, name, where):
            params = syntax.parameters
            kind = syntax.name
            if kind in _NATIVE_FIXED and not params:
                return library_gate(_NATIVE_FIXED[kind])
            if kind in _NATIVE_PARAM and params is not None and len(params) == 1:
                return library_gate(_NATIVE_PARAM[kind], (self._param(params[0], where, kind),))
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
               else "the circuit holds no matrix or implementation for it (an abstract gate left unlinked? "
               "link one when the circuit is made: Program.to_circ(link=[...]); myQLM's arithmetic, ADD "
               "and MULT, is implemented in qat.lang.AQASM.qftarith and classarith)")
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


def _rotation_agrees(kind: str, theta: Any, matrix: Any) -> bool:
    """Whether ``matrix`` (myQLM's thrift matrix) is myQLM's ``kind`` (RX RY RZ PH) at the number
    ``theta``, entry by entry to 1e-9; ``False`` for anything else, an angle that is not finite
    too (then compared in full, where it is refused by name). Run once
    per rotation definition, which a large circuit has one of per gate: written out, not looped."""
    data = matrix.data
    if type(theta) is not float or theta - theta != 0.0 or matrix.nRows != 2 or matrix.nCols != 2 or data is None or len(data) != 4:
        return False
    a, b, c, d = data
    # myQLM's own matrices (and qhpc's) are these formulas to the last bit: equality first
    if kind == "PH":
        z = a.im == b.re == b.im == c.re == c.im == 0.0
        if z and a.re == 1.0 and d.re == _cos(theta) and d.im == _sin(theta):
            return True
    else:
        half = theta / 2
        if kind == "RY":
            co = _cos(half)
            if a.im == b.im == c.im == d.im == 0.0 and a.re == co == d.re and c.re == _sin(half) == -b.re:
                return True
        elif kind == "RZ":
            co = _cos(half)
            if b.re == b.im == c.re == c.im == 0.0 and a.re == co == d.re and d.im == _sin(half) == -a.im:
                return True
        elif kind == "RX":
            co = _cos(half)
            if a.im == b.re == c.re == d.im == 0.0 and a.re == co == d.re and -b.im == _sin(half) == -c.im:
                return True
    try:
        if kind == "PH":
            return (-_TOL <= a.re - 1.0 <= _TOL and -_TOL <= a.im <= _TOL and -_TOL <= b.re <= _TOL
                    and -_TOL <= b.im <= _TOL and -_TOL <= c.re <= _TOL and -_TOL <= c.im <= _TOL
                    and -_TOL <= d.re - _cos(theta) <= _TOL and -_TOL <= d.im - _sin(theta) <= _TOL)
        co, si = _cos(theta / 2), _sin(theta / 2)
        if kind == "RY":
            return (-_TOL <= a.re - co <= _TOL and -_TOL <= a.im <= _TOL and -_TOL <= b.re + si <= _TOL
                    and -_TOL <= b.im <= _TOL and -_TOL <= c.re - si <= _TOL and -_TOL <= c.im <= _TOL
                    and -_TOL <= d.re - co <= _TOL and -_TOL <= d.im <= _TOL)
        if kind == "RZ":
            return (-_TOL <= a.re - co <= _TOL and -_TOL <= a.im + si <= _TOL and -_TOL <= b.re <= _TOL
                    and -_TOL <= b.im <= _TOL and -_TOL <= c.re <= _TOL and -_TOL <= c.im <= _TOL
                    and -_TOL <= d.re - co <= _TOL and -_TOL <= d.im - si <= _TOL)
        if kind == "RX":
            return (-_TOL <= a.re - co <= _TOL and -_TOL <= a.im <= _TOL and -_TOL <= b.re <= _TOL
                    and -_TOL <= b.im + si <= _TOL and -_TOL <= c.re <= _TOL and -_TOL <= c.im + si <= _TOL
                    and -_TOL <= d.re - co <= _TOL and -_TOL <= d.im <= _TOL)
    except TypeError:  # an entry that is not a number
        return False
    return False


_TOL = 1e-9
_cos, _sin = math.cos, math.sin


#: myQLM's own library definitions with a syntax and modifiers (CNOT, CSIGN, CCNOT) -> whether they agree
_NATIVE_VERDICTS: dict[str, bool] = {}


def _is_myqlm_native(gate_dic: Any, name: str | None) -> bool:
    """Whether definition ``name``, and each it is built from, is myQLM's own library definition unchanged."""
    natives = _template().natives
    while name:
        native = natives.get(name)
        d = gate_dic.get(name)
        if native is None or d != native:
            return False
        name = d.subgate
    return True


def _native_agrees(name: str) -> bool:
    """:meth:`_Reader.syntax_holds` for myQLM's own definition ``name``, worked out once per process."""
    found = _NATIVE_VERDICTS.get(name)
    if found is None:
        natives = _template().natives
        reader = _Reader(SimpleNamespace(gateDic=natives))
        found = _NATIVE_VERDICTS[name] = reader._syntax_agrees(natives[name], name, f"myQLM's {name}")
    return found


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


#: The most bit patterns one classically controlled operation may become (each pattern is one
#: copy of the operation, conditioned on it): a formula over more cbits is refused.
MAX_PATTERNS = 64
_CONNECTIVES = {"AND": 2, "OR": 2, "XOR": 2, "NOT": 1}


def _formula_patterns(formula: str, where: str) -> tuple[list[int], list[dict[int, int]]]:
    """The cbits a ``CLASSIC`` formula (prefix ``AND``, ``OR``, ``XOR``, ``NOT`` over cbit
    indices, as myQLM writes ``prog.logic``) reads, and every assignment of them that makes it
    true: disjoint patterns, so "one of them holds" is the formula."""
    tokens = formula.split()
    position = 0

    def parse() -> Any:  # a cbit index, or (connective, operands...)
        nonlocal position
        if position >= len(tokens):
            raise ValueError("it ends early")
        token = tokens[position]
        position += 1
        if token.isdigit():
            return int(token)
        arity = _CONNECTIVES.get(token)
        if arity is None:
            raise ValueError(f"{token!r} is not a cbit or one of {', '.join(_CONNECTIVES)}")
        return (token, *(parse() for _ in range(arity)))

    try:
        tree = parse()
        if position != len(tokens):
            raise ValueError("it has tokens after its end")
    except ValueError as exc:
        raise TranslationError(f"{where}: classical formula {formula!r} cannot be read ({exc})") from None
    variables = sorted({int(t) for t in tokens if t.isdigit()})
    if 2 ** len(variables) > 4 * MAX_PATTERNS:
        raise TranslationError(f"{where}: classical formula {formula!r} reads {len(variables)} cbits; the model holds "
                               f"it as one condition per bit pattern that makes it true, up to {MAX_PATTERNS}")

    def value(node: Any, bits: dict[int, int]) -> int:
        if isinstance(node, int):
            return bits[node]
        head, *operands = node
        v = [value(x, bits) for x in operands]
        return (1 - v[0] if head == "NOT" else v[0] & v[1] if head == "AND" else v[0] | v[1] if head == "OR"
                else v[0] ^ v[1])

    patterns = []
    for code in range(2 ** len(variables)):
        bits = {b: (code >> k) & 1 for k, b in enumerate(variables)}
        if value(tree, bits):
            patterns.append(bits)
    return variables, patterns


def _check_expansion(circ: Any) -> None:
    """What each operation's boxed implementation expands to is bounded, as the OpenQASM readers
    bound one gate's definition (sized before myQLM inlines anything: nested boxes can double at
    each level)."""
    gate_dic = circ.gateDic or {}
    sizes: dict[str, int] = {}

    def size(name: str | None) -> int:
        if name is None:
            return 1
        found = sizes.get(name)
        if found is None:
            d = gate_dic.get(name)
            found = 1
            if d is not None and d.circuit_implementation is not None:
                found = 0
                for inner in d.circuit_implementation.ops or ():
                    found += size(inner.gate)
                    if found > MAX_GATE_EXPANSION:
                        break
            elif d is not None and d.subgate is not None:
                found = size(d.subgate)
            sizes[name] = found
        return found

    for index, op in enumerate(circ.ops or ()):
        if size(op.gate) > MAX_GATE_EXPANSION:
            raise TranslationError(f"operation {index} ({display_name(gate_dic, op.gate)}): its implementation "
                                   f"expands past {MAX_GATE_EXPANSION} operations")


def _shown(n: int) -> str:
    """A number for a message: a hostile one (10**400) by its size, not its 401 digits."""
    text = str(n)
    return text if len(text) <= 20 else f"a {len(text)}-digit number of"


def _check_bits(circ: Any, out: list[Instruction], num_qubits: int, num_clbits: int) -> None:
    """Every qubit and cbit an operation names exists (in C-level passes: large circuits); the
    first operation that names another is refused by position. (A gate naming a qubit twice is
    refused where it is read.)"""
    qubits = set(chain.from_iterable(set(map(attrgetter("qubits"), out))))  # the distinct tuples are few
    clbits = set(chain.from_iterable(set(map(attrgetter("clbits"), out))))
    if (not qubits or (min(qubits) >= 0 and max(qubits) < num_qubits)) and (
            not clbits or (min(clbits) >= 0 and max(clbits) < num_clbits)):
        return
    _refuse_bits(circ, num_qubits, num_clbits)


def _refuse_bits(circ: Any, num_qubits: int, num_clbits: int) -> NoReturn:
    """Refuse the first operation that names a qubit or cbit the circuit lacks, or a qubit twice."""
    kinds = {v: k for k, v in _optype().items()}
    gate_types = (_optype()["GATETYPE"], _optype()["CLASSICCTRL"])
    for index, op in enumerate(circ.ops or ()):
        for kind, bits, size in (("qubit", op.qbits, num_qubits), ("cbit", op.cbits, num_clbits)):
            bad = [b for b in bits or () if not 0 <= b < size]
            if bad:
                raise TranslationError(f"operation {index} ({op.gate or kinds.get(op.type, op.type)}): names {kind} {bad[0]}, but the "
                                       f"circuit has {size} {kind}(s)")
        if op.type in gate_types and (twice := _named_twice(op.qbits)) is not None:
            raise TranslationError(f"operation {index} ({op.gate}): names qubit {twice} twice")
    for name, d in (circ.gateDic or {}).items():  # inside a boxed gate's implementation
        for index, op in enumerate(getattr(d.circuit_implementation, "ops", None) or ()):
            if op.type in gate_types and (twice := _named_twice(op.qbits)) is not None:
                raise TranslationError(f"gate {name!r}, operation {index} of its implementation ({op.gate}): names "
                                       f"qubit {twice} twice")
    raise TranslationError(f"an operation names a qubit or cbit the circuit does not have, or a qubit twice "
                           f"({num_qubits} qubit(s), {num_clbits} cbit(s))")


def _named_twice(qbits: Sequence[int] | None) -> int | None:
    """The first qubit an operation names a second time, if any."""
    seen = list(qbits or ())
    return next((q for k, q in enumerate(seen) if q in seen[:k]), None)


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
    for what, size in (("qubits", num_qubits), ("cbits", num_clbits)):
        if not 0 <= size <= MAX_READ_BITS:
            raise TranslationError(f"the circuit has {_shown(size)} {what}, more than the readers' limit of "
                                   f"{MAX_READ_BITS}" if size > 0 else f"the circuit has {size} {what}")
    out: list[Instruction] = []
    phase_num = 0.0
    phase_sym: ParamValue = 0.0
    # classical logic: computed bits -> (the cbits read, the patterns that make it 1, op index; -1
    # once a bit it reads is measured again), bits measured, bits read as plain bits
    computed: dict[int, tuple[list[int], list[dict[int, int]], int]] = {}
    computed_ever: dict[int, int] = {}
    measured: dict[int, int] = {}
    read_plain: dict[int, int] = {}
    read_by_formula: dict[int, int] = {}

    plans, singles = reader.plans, reader.singles
    make_tuple = tuple.__new__  # an Instruction is a named tuple: made in C (new_instruction's body)
    # Iterating a myQLM circuit inlines the gates that have a circuit implementation (boxed routines);
    # without any, it yields ``circ.ops`` as they are, at fifteen times the cost of walking the list.
    ops: Any = circ.ops or ()
    if any(d.circuit_implementation is not None for d in (circ.gateDic or {}).values()):
        _check_expansion(circ)
        # (iterating inlines a boxed gate onto its op's qubits: one that names a qubit twice is seen here)
        implementations = [d.circuit_implementation.ops or () for d in circ.gateDic.values()
                           if d.circuit_implementation is not None]
        if any(len(set(op.qbits)) != len(op.qbits) for ops_of in (circ.ops or (), *implementations)
               for op in ops_of if op.type in (gate_t, ctrl_t) and op.qbits):
            _refuse_bits(circ, num_qubits, num_clbits)
        ops = circ
    for index, op in enumerate(ops):
        kind = op.type
        if kind == gate_t:  # most of a circuit: one model gate per operation, shortened
            name = op.gate
            single = singles.get(name, _UNSEEN)
            if single is _UNSEEN:
                try:
                    single = reader.single(name, index)
                except ParameterError as exc:  # a value the model refuses: said where
                    raise TranslationError(f"operation {index} ({display_name(reader.gate_dic, name)}): {exc}") from None
            if single is not None:
                qubits = op.qbits
                size = single[1]
                if len(qubits) != size:
                    raise TranslationError(f"operation {index} ({display_name(reader.gate_dic, name)}): acts on "
                                           f"{len(qubits)} qubits, its definition on {size}")
                if size != 1 and (qubits[0] == qubits[1] if size == 2 else len(set(qubits)) != size):
                    _refuse_bits(circ, num_qubits, num_clbits)  # a qubit named twice
                out.append(make_tuple(Instruction, (single[0], tuple(qubits), (), None)))
                continue
        if kind == gate_t or kind == ctrl_t:
            plan = plans.get(op.gate)
            if plan is None:
                try:
                    plan = reader.plan(op.gate, _Where(reader.gate_dic, index, op.gate))
                except ParameterError as exc:
                    raise TranslationError(f"operation {index} ({display_name(reader.gate_dic, op.gate)}): {exc}") from None
            size, phase, items, whole = plan
            qubits = op.qbits
            if len(qubits) != size:
                raise TranslationError(f"operation {index} ({display_name(reader.gate_dic, op.gate)}): acts on "
                                       f"{len(qubits)} qubits, its definition on {size}")
            if size != 1 and (qubits[0] == qubits[1] if size == 2 else len(set(qubits)) != size):  # (named twice)
                _refuse_bits(circ, num_qubits, num_clbits)
            condition = None
            conditions: list[Condition | None] = [None]
            if kind == ctrl_t:
                where = f"operation {index} ({display_name(reader.gate_dic, op.gate)})"
                # one copy per pattern (none: never applied); the patterns are disjoint, so at most
                # one copy acts, and no gate writes a cbit
                conditions = list(_conditions(op.cbits or [], computed, read_plain, index, where))
            elif phase:
                if isinstance(phase, Expr):
                    phase_sym = phase_sym + phase
                else:
                    phase_num += phase
            for condition in conditions:
                if whole:
                    out.append(new_instruction(items[0][0], tuple(qubits), (), condition))
                else:
                    for operation, local in items:
                        out.append(new_instruction(operation, tuple([qubits[q] for q in local]), (), condition))
        elif kind == measure_t:
            cbits = op.cbits if op.cbits else op.qbits
            if len(cbits) != len(op.qbits):
                raise TranslationError(f"operation {index} (MEASURE): {len(op.qbits)} qubits into {len(cbits)} cbits")
            for q, c in zip(op.qbits, cbits):
                out.append(new_instruction(MEASURE, (int(q),), (int(c),)))
                measured.setdefault(int(c), index)
                for bit, (reads, patterns, _) in list(computed.items()):
                    if c in reads:
                        computed[bit] = (reads, patterns, -1)  # stale: its inputs changed since it was computed
        elif kind == reset_t:
            if op.cbits:
                raise TranslationError(f"operation {index} (RESET): it also clears cbits {list(op.cbits)}; "
                                       "the model cannot clear classical bits")
            for q in op.qbits:
                out.append(Instruction(RESET, (int(q),)))
        elif kind == classic_t:
            where = f"operation {index} (CLASSIC {op.formula})"
            target = int(op.cbits[0])
            reads, patterns = _formula_patterns(op.formula or "", where)
            for bit in reads:
                read_by_formula.setdefault(bit, index)
            computed[target] = (reads, patterns, index)
            computed_ever.setdefault(target, index)
        else:
            names = {v: k for k, v in t.items()}
            raise TranslationError(f"operation {index} ({names.get(kind, kind)}): the qhpc model cannot hold "
                                   f"myQLM {names.get(kind, kind)} operations")
    _check_bits(circ, out, num_qubits, num_clbits)
    if computed_ever:
        for bit, index in computed_ever.items():
            clash = ("measured into" if bit in measured else "read as a plain bit by a condition" if bit in read_plain
                     else "read by another formula" if bit in read_by_formula else None)
            if clash:
                raise TranslationError(f"operation {index} (CLASSIC): cbit {bit} is computed by classical logic and "
                                       f"also {clash}; the model has no classical computation")
        # A computed bit is never a record of the run (myQLM's results show measurements only) and
        # the conditions that read it now read the bits it is computed from.
    # The cbits above every bit a measurement writes or a condition reads are dropped: myQLM
    # allocates a cbit per qubit whether or not anything uses it (a circuit that measures nothing
    # would become a Qiskit circuit with clbits no measurement writes, which Qiskit cannot make a
    # gate of and has no counts for), and qhpc's writer puts the bit a formula computes there. A
    # computed or unused bit among the others stays, written by nothing, so every measured bit
    # keeps its index.
    used = measured.keys() | read_plain.keys() | read_by_formula.keys()
    width = num_clbits
    while width and width - 1 not in used:
        width -= 1
    circuit = Circuit(num_qubits=num_qubits, num_clbits=width, name=circ.name or None,
                      global_phase=phase_sym + phase_num if isinstance(phase_sym, Expr) else phase_num)
    circuit.instructions = out
    return circuit


def _conditions(cbits: Sequence[int], computed: dict[int, tuple[list[int], list[dict[int, int]], int]],
                read_plain: dict[int, int], index: int, where: str) -> list[Condition]:
    """The disjoint conditions, one per pattern of the bits read, under which a ``CLASSICCTRL``
    operation (all its cbits 1) applies; none if it never does."""
    if not cbits:
        raise TranslationError(f"{where}: a classically controlled operation without cbits")
    combos: list[dict[int, int]] = [{}]
    order: list[int] = []
    for c in cbits:
        c = int(c)
        if c in computed:
            reads, options, at = computed[c]
            if at < 0:
                raise TranslationError(f"{where}: reads cbit {c}, computed by a CLASSIC op from bits measured again "
                                       "since; the model's conditions read bits when they apply")
        else:
            read_plain.setdefault(c, index)
            reads, options = [c], [{c: 1}]
        order.extend(b for b in reads if b not in order)
        combos = [{**a, **p} for a in combos for p in options if all(a.get(b, v) == v for b, v in p.items())]
        if len(combos) > MAX_PATTERNS:
            raise TranslationError(f"{where}: its condition holds for more than {MAX_PATTERNS} patterns of the cbits "
                                   f"{order}; the model holds it as one condition per pattern")
    return [Condition(tuple(order), sum(a[b] << k for k, b in enumerate(order))) for a in combos]

