"""model -> myQLM: :func:`circuit_to_myqlm` (see :mod:`qhpc_myqlm.translate` for the mapping)."""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from qhpc.errors import TranslationError
from qhpc_interop import STANDARD_GATES, Circuit, Condition, Gate, UnitaryGate
from qhpc_interop.errors import warn_loss
from qhpc_interop.ir import Barrier, Measure, Reset
from qhpc_interop.params import Expr, ParamValue

from ._qat import PI, _bulk, _matrix_from_thrift, _matrix_to_thrift, _optype, little_to_big, load_qat
from .expressions import expr_to_myqlm, written_names

_MODEL_TO_FIXED = {"id": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "t": "T",
                   "cx": "CNOT", "cz": "CSIGN", "swap": "SWAP", "iswap": "ISWAP", "ccx": "CCNOT"}
_MODEL_TO_PARAM = {"rx": "RX", "ry": "RY", "rz": "RZ", "p": "PH", "u1": "PH"}
_MODEL_TO_CTRL_PARAM = {"crx": "RX", "cry": "RY", "crz": "RZ", "cp": "PH", "cu1": "PH"}

#: The model's one-qubit rotations written as myQLM rotations at one of their parameters each,
#: in time order: (myQLM gate, index of the model gate's parameter); ``u`` is ``PH RY PH``, as in
#: :func:`_u_steps` (which the other gates take)
_ROTATION_ORDER = {"rx": (("RX", 0),), "ry": (("RY", 0),), "rz": (("RZ", 0),), "p": (("PH", 0),),
                   "u1": (("PH", 0),), "u": (("PH", 2), ("RY", 0), ("PH", 1)), "u3": (("PH", 2), ("RY", 0), ("PH", 1))}

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
        prog.qalloc(1)
        plain = prog.to_circ()
        prog.apply(CustomGate(np.eye(2)), prog.registers[0][0])  # puts CustomGate's signature in the gate set
        circ = prog.to_circ()
        self.natives = {k: v for k, v in circ.gateDic.items() if not k.startswith("_")}
        self.matrices = {k: _matrix_from_thrift(v.matrix) for k, v in self.natives.items() if v.matrix is not None}
        #: the gate set of a circuit with custom (matrix) gates, and of one without: with CustomGate's
        #: signature in it, myQLM's bind_variables leaves RX, RY, RZ and PH without their matrix
        #: generators (a native circuit with a CustomGate too), and the definitions dag() then makes
        #: have no matrix, which PyLinalg refuses; comparing such a circuit loaded from a file fails
        self.gate_set, self.serialized_gate_set = circ._gate_set, circ._serialized_gate_set
        self.plain_gate_set, self.plain_serialized_gate_set = plain._gate_set, plain._serialized_gate_set
        from qat.comm.datamodel.ttypes import ComplexNumber, GateDefinition, GSyntax, Matrix, Op, Param

        #: ``op(gate, qbits, type)``: a gate op; ``rotations[kind](name, theta)``: the definition of
        #: myQLM's ``kind`` (RX RY RZ PH) at a number, with its matrix as myQLM defines it.
        self.op: Callable[[str, list[int], int], Any]
        self.rotations: dict[str, Callable[[str, float], Any]]
        #: model gate -> (myQLM rotation, its maker, index of the model gate's parameter), in time order
        self.rotation_order: dict[str, tuple[tuple[str, Callable[[str, float], Any], int], ...]]
        # Thrift's generated constructors cost twice what setting the same fields on a new object
        # does, and a large circuit makes ~7 objects per rotation. The objects are set field by
        # field where this myQLM's constructors are checked here to make exactly those fields.
        new = object.__new__
        cos, sin = math.cos, math.sin
        CN, MA, PA, GS, GD = ComplexNumber, Matrix, Param, GSyntax, GateDefinition

        def fast_op(gate: str, qbits: list[int], kind: int) -> Any:
            o = new(Op)
            o.gate = gate
            o.qbits = qbits
            o.type = kind
            o.cbits = o.formula = o.remap = None
            return o

        def definition(name: str, kind: str, theta: float, are: float, aim: float, bre: float, bim: float,
                       cre: float, cim: float, dre: float, dim: float) -> Any:
            """The definition of ``kind`` at ``theta``, its row-major 2x2 matrix's entries given as
            numbers: every entry an object of its own, as in myQLM's circuits (an audit found an
            edit of one entry reaching the others, and other circuits)."""
            a, b, c, e = new(CN), new(CN), new(CN), new(CN)
            a.re, a.im = are, aim
            b.re, b.im = bre, bim
            c.re, c.im = cre, cim
            e.re, e.im = dre, dim
            m = new(MA)
            m.nRows = 2
            m.nCols = 2
            m.data = [a, b, c, e]
            p = new(PA)
            p.is_abstract = False
            p.type = 1
            p.int_p = None
            p.double_p = theta
            p.string_p = p.matrix_p = p.serialized_p = p.complex_p = None
            syntax = new(GS)
            syntax.name = kind
            syntax.parameters = [p]
            d = new(GD)
            d.name = name
            d.arity = 1
            d.matrix = m
            d.is_ctrl = False
            d.is_dag = d.is_trans = d.is_conj = d.subgate = None
            d.syntax = syntax
            d.nbctrls = d.circuit_implementation = None
            return d

        # each rotation's matrix as myQLM defines it
        def ph(name: str, theta: float) -> Any:
            return definition(name, "PH", theta, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, cos(theta), sin(theta))

        def rz(name: str, theta: float) -> Any:
            co, si = cos(theta / 2), sin(theta / 2)
            return definition(name, "RZ", theta, co, -si, 0.0, 0.0, 0.0, 0.0, co, si)

        def rx(name: str, theta: float) -> Any:
            co, si = cos(theta / 2), sin(theta / 2)
            return definition(name, "RX", theta, co, 0.0, 0.0, -si, 0.0, -si, co, 0.0)

        def ry(name: str, theta: float) -> Any:
            co, si = cos(theta / 2), sin(theta / 2)
            return definition(name, "RY", theta, co, 0.0, -si, 0.0, si, 0.0, co, 0.0)

        fast: dict[str, Callable[[str, float], Any]] = {"PH": ph, "RZ": rz, "RX": rx, "RY": ry}

        def made_rotation(name: str, kind: str, theta: float) -> Any:
            return GateDefinition(name=name, arity=1, matrix=_param_matrix(self, kind, theta), is_ctrl=False,
                                  syntax=GSyntax(name=kind, parameters=[Param(is_abstract=False, type=1,
                                                                              double_p=theta)]))

        def fields(obj: Any) -> Any:
            """An object's fields, nested, with their types (so 1 and 1.0 or a list and a tuple differ)."""
            if isinstance(obj, list):
                return [fields(x) for x in obj]
            if hasattr(obj, "__dict__"):
                return (type(obj), {k: fields(v) for k, v in vars(obj).items()})
            return (type(obj), obj)

        self.complex_number = lambda re, im: ComplexNumber(re=re, im=im)
        self.matrix = lambda rows, cols, data: Matrix(nRows=rows, nCols=cols, data=data)
        same = fields(fast_op("g", [0], 7)) == fields(Op(gate="g", qbits=[0], type=7)) and all(
            fields(fast[kind]("g", 0.5)) == fields(made_rotation("g", kind, 0.5))
            for kind in ("PH", "RX", "RY", "RZ"))
        if same:
            self.op, self.rotations = fast_op, fast
        else:  # pragma: no cover - a myQLM whose data model has other fields
            self.op = lambda gate, qbits, kind: Op(gate=gate, qbits=qbits, type=kind)
            self.rotations = {kind: functools.partial(lambda kind, name, theta: made_rotation(name, kind, theta), kind)
                              for kind in ("PH", "RX", "RY", "RZ")}
        self.rotation_order = {name: tuple((kind, self.rotations[kind], k) for kind, k in order)
                               for name, order in _ROTATION_ORDER.items()}


_TEMPLATE: _Template | None = None
_TEMPLATE_LOCK = threading.Lock()


def _template() -> _Template:
    global _TEMPLATE
    with _TEMPLATE_LOCK:
        if _TEMPLATE is None:
            _TEMPLATE = _Template()
        return _TEMPLATE


def _param_matrix(tmpl: _Template, kind: str, theta: float) -> Any:
    """The thrift matrix (row-major) of myQLM's RX RY RZ PH at ``theta``, as myQLM defines them,
    every entry an object of its own."""
    cn = tmpl.complex_number
    if kind == "PH":
        data = [cn(1.0, 0.0), cn(0.0, 0.0), cn(0.0, 0.0), cn(math.cos(theta), math.sin(theta))]
    else:
        c, s = math.cos(theta / 2), math.sin(theta / 2)
        if kind == "RZ":
            data = [cn(c, -s), cn(0.0, 0.0), cn(0.0, 0.0), cn(c, s)]
        elif kind == "RX":
            data = [cn(c, 0.0), cn(0.0, -s), cn(0.0, -s), cn(c, 0.0)]
        else:  # RY
            data = [cn(c, 0.0), cn(-s, 0.0), cn(s, 0.0), cn(c, 0.0)]
    return tmpl.matrix(2, 2, data)


def _own_copy(definition: Any) -> Any:
    """A native gate definition of the template, as a circuit's own: its matrix and syntax copied
    (an audit: shared by every exported circuit, an edit of one circuit's H reached every other);
    a tenth of ``copy.deepcopy``'s cost. Names and the (empty) parameter lists' items are immutable."""
    new = object.__new__
    out = new(type(definition))
    out.__dict__ = fields = definition.__dict__.copy()
    matrix = definition.matrix
    if matrix is not None:
        copied = new(type(matrix))
        copied.nRows, copied.nCols = matrix.nRows, matrix.nCols
        number = type(matrix.data[0])
        entries = []
        for z in matrix.data:
            e = new(number)
            e.re, e.im = z.re, z.im
            entries.append(e)
        copied.data = entries
        fields["matrix"] = copied
    syntax = definition.syntax
    if syntax is not None:
        fields["syntax"] = own = new(type(syntax))
        own.__dict__ = syntax.__dict__.copy()
        if syntax.parameters is not None:
            own.parameters = list(syntax.parameters)
    return out


class _Writer:
    """Builds a ``qat.core.Circuit`` op by op, defining each distinct gate once.

    Matrices are attached as ``Program.to_circ(submatrices_only=True)`` attaches them: to every
    gate that has its own (library gates, their daggers, custom gates); a controlled gate carries
    its base gate's, which is what myQLM's simulators read.
    """

    def __init__(self) -> None:
        from qat.comm.datamodel.ttypes import GateDefinition, GSyntax, Param

        self._GateDefinition, self._GSyntax, self._Param = GateDefinition, GSyntax, Param
        tmpl = _template()
        self.template = tmpl
        self.gate_dic: dict[str, Any] = {k: _own_copy(v) for k, v in tmpl.natives.items()}
        self.matrices: dict[str, Any] = dict(tmpl.matrices)  # numpy, big-endian
        self.names: dict[Any, str] = {}
        self.variables: dict[str, Any] = {}
        #: myQLM's RX RY RZ PH at numbers: kind -> angle -> gate dictionary name
        self.by_kind: dict[str, dict[float, str]] = {kind: {} for kind in tmpl.rotations}
        self.counter = itertools.count()
        #: the circuit's parameter names (asked once, on its first expression) and those myQLM
        #: cannot take, with the names they are written as
        self.parameter_names: Callable[[], list[str]] = list
        self.renames: dict[str, str] | None = None
        #: whether a custom (matrix) gate is defined: the circuit then takes the gate set with
        #: CustomGate's signature (see :class:`_Template`)
        self.custom = False

    def _new_name(self) -> str:
        return f"_{next(self.counter)}"

    def rotation_at(self, kind: str, theta: float) -> str:
        """The gate dictionary name of myQLM's ``kind`` (RX RY RZ PH) at ``theta``, defined on first use."""
        table = self.by_kind[kind]
        name = table.get(theta)
        if name is None:
            name = table[theta] = self._new_name()
            self.gate_dic[name] = self.template.rotations[kind](name, theta)
        return name

    def _matrix(self, name: str) -> np.ndarray | None:
        found = self.matrices.get(name)
        if found is None:
            d = self.gate_dic.get(name)
            if d is not None and d.matrix is not None:  # a rotation's, read back when first needed
                found = self.matrices[name] = _matrix_from_thrift(d.matrix)
        return found

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
            if isinstance(value, Expr):
                if self.renames is None:  # the circuit's first expression: its names, checked once
                    self.renames = written_names(self.parameter_names())
                node = expr_to_myqlm(value, self.variables, self.renames)
            else:
                node = value
            if not hasattr(node, "to_thrift"):  # a number, or an expression myQLM folds to one (0 * s)
                return self.rotation_at(head, float(node))
            name = self._new_name()
            d = self._GateDefinition(name=name, arity=1, is_ctrl=False, syntax=self._GSyntax(
                name=head, parameters=[self._Param(is_abstract=True, type=1, string_p=node.to_thrift())]))
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
        self.custom = True
        self.matrices[name] = big
        self.names[key] = name
        return name


def _condition_formula(cond: Condition) -> str:
    literals = [str(b) if (cond.value >> k) & 1 else f"NOT {b}" for k, b in enumerate(cond.clbits)]
    return "AND " * (len(literals) - 1) + " ".join(literals)


def circuit_to_myqlm(circuit: Circuit, *, absorb_global_phase: bool = True) -> Any:
    """A myQLM ``qat.core.Circuit`` for a model circuit (same qubit and cbit indices).

    myQLM circuits hold no global phase: with ``absorb_global_phase`` (the default) a nonzero one
    is written exactly as ``PH(a) X PH(a) X`` at the start, on the first qubit the circuit acts on
    (qubit 0 if none), otherwise it is dropped. A condition
    other than "one bit reads 1" uses one extra cbit (after the circuit's own) computed by a
    ``CLASSIC`` op.
    """
    load_qat()
    with _bulk(len(circuit.instructions)):
        return _write(circuit, absorb_global_phase)


def _write(circuit: Circuit, absorb_global_phase: bool) -> Any:
    from qat.comm.datamodel.ttypes import Op
    from qat.comm.datamodel.ttypes import Variable as TVariable
    from qat.core import Circuit as QCircuit
    from qat.core.bits import DefaultRegister

    t = _optype()
    gate_t, measure_t, reset_t, classic_t, ctrl_t = t["GATETYPE"], t["MEASURE"], t["RESET"], t["CLASSIC"], t["CLASSICCTRL"]
    w = _Writer()
    w.parameter_names = lambda: [p.name for p in circuit.parameters]
    gate_op = w.template.op  # (gate, qbits, type), field by field where it can be
    ops: list[Any] = []
    scratch = circuit.num_clbits
    used_scratch = False
    last_formula: str | None = None
    # (name, params) -> the myQLM gates of a model gate, each with the positions of its qubits among
    # the gate's (None: all of them, in order), and the phase they leave out (None: none)
    Parts = list[tuple[str, tuple[int, ...] | None]]
    steps_cache: dict[tuple[str, tuple[ParamValue, ...]], tuple[Parts, ParamValue | None]] = {}
    phase: ParamValue = circuit.global_phase

    def gate_ops(op: Gate) -> tuple[Parts, ParamValue | None]:
        key = (op.name, op.params)
        found = steps_cache.get(key)
        if found is None:
            steps, step_phase = _gate_steps(op.name, op.params)
            every = tuple(range(op.num_qubits))
            found = steps_cache[key] = ([(w.define(s), None if q == every else q) for s, q in steps],
                                        step_phase if isinstance(step_phase, Expr) or step_phase != 0.0 else None)
        return found

    plain_gate = Gate
    counter, gate_dic, append = w.counter, w.gate_dic, ops.append
    tables, rotation_order = w.by_kind, w.template.rotation_order
    ph_table, ry_table = tables["PH"], tables["RY"]
    make_ph, make_ry = w.template.rotations["PH"], w.template.rotations["RY"]
    for index, inst in enumerate(circuit.instructions):
        op, qubits, _, cond = inst  # (an instruction is a named tuple: unpacked, not read field by field)
        if type(op) is plain_gate and cond is None:  # most of a circuit: the loop below, shortened
            name = op.name
            if name == "u" or name == "u3":  # most of a transpiled circuit: PH(lam) RY(theta) PH(phi)
                theta, phi, lam = op.params
                if type(theta) is float and type(phi) is float and type(lam) is float:
                    qubit = qubits[0]
                    gate = ph_table.get(lam)
                    if gate is None:
                        gate = ph_table[lam] = f"_{next(counter)}"
                        gate_dic[gate] = make_ph(gate, lam)
                    append(gate_op(gate, [qubit], gate_t))
                    gate = ry_table.get(theta)
                    if gate is None:
                        gate = ry_table[theta] = f"_{next(counter)}"
                        gate_dic[gate] = make_ry(gate, theta)
                    append(gate_op(gate, [qubit], gate_t))
                    gate = ph_table.get(phi)
                    if gate is None:
                        gate = ph_table[phi] = f"_{next(counter)}"
                        gate_dic[gate] = make_ph(gate, phi)
                    append(gate_op(gate, [qubit], gate_t))
                    continue
            order = rotation_order.get(name)
            if order is not None:
                # a rotation at numbers: one definition per distinct (kind, angle), which on a
                # random circuit is one per gate, so the steps' cache is passed by
                params = op.params
                for v in params:
                    if type(v) is not float:
                        break
                else:
                    qubit = qubits[0]
                    for kind, make, k in order:
                        angle: Any = params[k]  # a float, checked above (typing.cast would be a call per step)
                        table = tables[kind]
                        gate = table.get(angle)
                        if gate is None:
                            gate = table[angle] = f"_{next(counter)}"
                            gate_dic[gate] = make(gate, angle)
                        append(gate_op(gate, [qubit], gate_t))
                    continue
            parts, step_phase = steps_cache.get((op.name, op.params)) or gate_ops(op)
            if step_phase is not None:
                phase = phase + step_phase
            for name, local in parts:
                append(gate_op(name, list(qubits) if local is None else [qubits[q] for q in local], gate_t))
            continue
        if isinstance(op, Barrier):
            continue
        if cond is not None and not isinstance(op, (Gate, UnitaryGate)):
            raise TranslationError(f"instruction {index} ({circuit.describe(inst)}): myQLM conditions only hold gates, "
                                   f"not a conditioned {op.name}")
        if isinstance(op, Measure):
            ops.append(Op(gate=None, qbits=list(inst.qubits), type=measure_t, cbits=list(inst.clbits)))
            last_formula = None
            continue
        if isinstance(op, Reset):
            ops.append(Op(gate=None, qbits=list(inst.qubits), type=reset_t, cbits=[]))
            continue
        if isinstance(op, UnitaryGate):
            parts = [(w.define_unitary(op), None)]
        else:
            assert isinstance(op, Gate)
            parts, step_phase = gate_ops(op)
            if cond is None and step_phase is not None:
                phase = phase + step_phase
        if cond is None:
            for name, local in parts:
                ops.append(gate_op(name, list(qubits) if local is None else [qubits[q] for q in local], gate_t))
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
            ops.append(Op(gate=name, qbits=list(qubits) if local is None else [qubits[q] for q in local], type=ctrl_t,
                          cbits=list(cbits)))
    if absorb_global_phase and (isinstance(phase, Expr) or phase != 0.0):
        if not circuit.num_qubits:
            raise TranslationError(f"myQLM holds a global phase only as gates on a qubit, and this circuit has "
                                   f"no qubits to carry its global phase {phase} (set the phase to 0 to convert it)")
        ph = w.define(("PH", phase))
        # on a qubit the circuit acts on (a circuit on a device's qubits leaves most of them idle)
        carrier = next((inst.qubits[0] for inst in circuit.instructions if inst.qubits), 0)
        absorb = [Op(gate=g, qbits=[carrier], type=gate_t) for g in (ph, "X", ph, "X")]
        ops[:0] = absorb
    var_dic = {var.name: TVariable(type=1, value=w._Param(is_abstract=True, type=1, string_p=var.name))
               for var in w.variables.values()}
    renamed = [f"parameter {name!r} as {w.renames[name]!r}" for name in w.variables if w.renames and name in w.renames]
    if renamed:
        warn_loss(f"converting to myqlm writes {'; '.join(renamed)}: bindings use the names written "
                  "(myQLM takes no spaces, numbers or its function names as variable names)")
    # myQLM's own register class (what Circuit.load makes): a result's states print through it
    qregs = [DefaultRegister(length=circuit.num_qubits, start=0, msb=None)] if circuit.num_qubits else []
    return QCircuit(
        ops=ops, gateDic=w.gate_dic, nbqbits=circuit.num_qubits,
        nbcbits=circuit.num_clbits + (1 if used_scratch else 0), name=circuit.name,
        _gate_set=w.template.gate_set if w.custom else w.template.plain_gate_set,
        _serialized_gate_set=w.template.serialized_gate_set if w.custom else w.template.plain_serialized_gate_set,
        has_matrices=False, var_dic=var_dic, qregs=qregs,
    )
