"""Translation between Qiskit's ``QuantumCircuit`` and the qhpc program model, both ways.

Covered exactly (unitary including global phase, parameters, bit order, registers):

* every Qiskit standard gate the model's library has, by name (``cx``, ``rz``, ``cu``, ...);
* any other gate or instruction with a definition (library circuits such as ``QFTGate``, custom
  gates, ``mcx``, controlled gates with an open control), expanded through its definition;
  a gate with a matrix but no definition becomes a :class:`~qhpc_interop.UnitaryGate`;
* ``Parameter``, ``ParameterVectorElement`` (by name, e.g. ``θ[0]``) and ``ParameterExpression``
  (through :meth:`ParameterExpression.sympify`, Qiskit's public route to an inspectable tree);
* ``global_phase`` and ``GlobalPhaseGate``; ``measure``, ``reset``, ``barrier``;
* ``if_test`` blocks without ``else`` whose condition is a bit, a register compared to an integer,
  or the equivalent classical expression: each instruction of the block becomes a conditioned
  instruction (refused if the block writes a bit its condition reads before its last instruction,
  since that would change its meaning).

Refused with a :class:`~qhpc.errors.TranslationError` that names the operation and its position:
``else`` branches, loops, ``switch``, ``delay``, classical variables and stores, and anything with
neither a definition nor a matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop import (
    BARRIER,
    MEASURE,
    RESET,
    STANDARD_GATES,
    Circuit,
    Condition,
    Gate,
    Instruction,
    Parameter,
    Register,
    UnitaryGate,
)
from qhpc_interop.params import Apply, Expr, ParamValue, apply

# -- parameters ------------------------------------------------------------------------------


def param_from_qiskit(value: Any) -> ParamValue:
    """A Qiskit gate argument (number, Parameter, ParameterExpression) as a model parameter value."""
    from qiskit.circuit import Parameter as QParameter
    from qiskit.circuit import ParameterExpression

    if isinstance(value, QParameter):
        return Parameter(value.name)
    if isinstance(value, ParameterExpression):
        if not value.parameters:
            return _real(complex(value.numeric()), value)
        return _from_sympy(value.sympify())
    if isinstance(value, complex):
        return _real(value, value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TranslationError(f"gate parameter {value!r} is not a real number or expression") from None


def _real(z: complex, shown: Any) -> float:
    if abs(z.imag) > 1e-12:
        raise TranslationError(f"gate parameter {shown} is complex; the model holds real parameters")
    return float(z.real)


_SYMPY_FUNCTIONS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin", "acos": "acos", "atan": "atan",
    "exp": "exp", "log": "log", "Abs": "abs",
}


def _from_sympy(e: Any) -> ParamValue:
    import sympy

    if e.is_Symbol:
        return Parameter(e.name)
    if e.is_number:
        z = complex(e)
        return _real(z, e)
    if isinstance(e, sympy.Add):
        return _fold("+", [_from_sympy(a) for a in e.args])
    if isinstance(e, sympy.Mul):
        return _fold("*", [_from_sympy(a) for a in e.args])
    if isinstance(e, sympy.Pow):
        base, exponent = e.args
        return apply("**", _from_sympy(base), _from_sympy(exponent))
    name = type(e).__name__
    if name in _SYMPY_FUNCTIONS and len(e.args) == 1:
        return apply(_SYMPY_FUNCTIONS[name], _from_sympy(e.args[0]))
    raise TranslationError(f"parameter expression {e} uses {name}, which the model does not hold")


def _fold(op: str, args: list[ParamValue]) -> ParamValue:
    out = args[0]
    for a in args[1:]:
        out = apply(op, out, a)
    return out


class ParameterTable:
    """Model parameter names -> Qiskit ``Parameter`` objects, so one name is one Qiskit parameter."""

    def __init__(self, known: Sequence[Any] = ()) -> None:
        self._by_name: dict[str, Any] = {p.name: p for p in known}

    def get(self, name: str) -> Any:
        p = self._by_name.get(name)
        if p is None:
            from qiskit.circuit import Parameter as QParameter

            p = self._by_name[name] = QParameter(name)
        return p


_TO_QISKIT_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "neg": lambda x: -x,
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tan": lambda x: x.tan(),
    "asin": lambda x: x.arcsin(),
    "acos": lambda x: x.arccos(),
    "atan": lambda x: x.arctan(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x**0.5,
    "abs": lambda x: x.abs(),
}
_TO_QISKIT_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def param_to_qiskit(value: ParamValue, table: ParameterTable) -> Any:
    """A model parameter value as a Qiskit float or ParameterExpression."""
    if not isinstance(value, Expr):
        return value
    if isinstance(value, Parameter):
        return table.get(value.name)
    assert isinstance(value, Apply)
    args = [param_to_qiskit(a, table) for a in value.args]
    if value.op in _TO_QISKIT_OPERATORS:
        return _TO_QISKIT_OPERATORS[value.op](*args)
    return _TO_QISKIT_FUNCTIONS[value.op](args[0])


# -- QuantumCircuit -> model ------------------------------------------------------------------


class _Reader:
    """Walks a QuantumCircuit (and, recursively, definitions and if-blocks) into model instructions."""

    def __init__(self, qc: Any) -> None:
        self.qc = qc
        self.qubit_index = {q: i for i, q in enumerate(qc.qubits)}
        self.clbit_index = {c: i for i, c in enumerate(qc.clbits)}
        self.phase: ParamValue = param_from_qiskit(qc.global_phase)
        self.out: list[Instruction] = []

    def read(self, data: Any, qmap: Sequence[int] | None, cmap: Sequence[int] | None, where: str,
             condition: Condition | None = None, depth: int = 0) -> None:
        """Append ``data``'s instructions; ``qmap``/``cmap`` map a sub-circuit's bit positions outward."""
        for position, ci in enumerate(data):
            op = ci.operation
            here = f"{where}instruction {position} ({op.name})"
            if qmap is None:
                qubits = tuple(self.qubit_index[q] for q in ci.qubits)
                clbits = tuple(self.clbit_index[c] for c in ci.clbits)
            else:
                assert self._sub_qubits is not None and self._sub_clbits is not None
                qubits = tuple(qmap[self._sub_qubits[q]] for q in ci.qubits)
                clbits = tuple(cmap[self._sub_clbits[c]] for c in ci.clbits) if cmap is not None else ()
            name = op.name
            if ci.is_standard_gate() and name in STANDARD_GATES:
                params = tuple(param_from_qiskit(p) for p in op.params)
                self.out.append(Instruction(Gate(name, params), qubits, (), condition))
            elif name == "measure":
                self.out.append(Instruction(MEASURE, qubits, clbits, condition))
            elif name == "reset":
                self.out.append(Instruction(RESET, qubits, (), condition))
            elif name == "barrier":
                if condition is None:
                    self.out.append(Instruction(BARRIER, qubits))
            elif name == "global_phase":
                if condition is None:
                    self.phase = self.phase + param_from_qiskit(op.params[0])
            elif name == "if_else":
                self._if_else(ci, qubits, clbits, here, condition, depth)
            elif name in ("for_loop", "while_loop", "switch_case", "box", "break_loop", "continue_loop",
                          "store", "delay"):
                raise TranslationError(f"{here}: the qhpc model cannot hold {name}")
            elif name == "unitary":
                self.out.append(Instruction(UnitaryGate(op.to_matrix()), qubits, (), condition))
            else:
                self._expand(op, qubits, clbits, here, condition, depth)

    # bit -> position in the sub-circuit being read (Qiskit bits hash by identity of the bit, but
    # their Python wrappers are recreated on access, so id() cannot be used)
    _sub_qubits: dict[Any, int] | None = None
    _sub_clbits: dict[Any, int] | None = None

    def _sub(self, circuit: Any, qubits: Sequence[int], clbits: Sequence[int], where: str,
             condition: Condition | None, depth: int) -> None:
        if depth > 64:
            raise TranslationError(f"{where}: definitions nest deeper than 64 levels")
        saved = (self._sub_qubits, self._sub_clbits)
        self._sub_qubits = {q: k for k, q in enumerate(circuit.qubits)}
        self._sub_clbits = {c: k for k, c in enumerate(circuit.clbits)}
        try:
            if condition is None:
                self.phase = self.phase + param_from_qiskit(circuit.global_phase)
            self.read(circuit.data, list(qubits), list(clbits), f"{where} > ", condition, depth + 1)
        finally:
            self._sub_qubits, self._sub_clbits = saved

    def _expand(self, op: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str,
                condition: Condition | None, depth: int) -> None:
        definition = getattr(op, "definition", None)
        if definition is not None:
            self._sub(definition, qubits, clbits, where, condition, depth)
            return
        if hasattr(op, "to_matrix") and not clbits:
            try:
                matrix = op.to_matrix()
            except Exception:
                matrix = None
            if matrix is not None:
                self.out.append(Instruction(UnitaryGate(matrix), qubits, (), condition))
                return
        raise TranslationError(f"{where}: has no definition and no matrix; the qhpc model cannot hold it")

    def _if_else(self, ci: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str,
                 outer: Condition | None, depth: int) -> None:
        op = ci.operation
        if outer is not None:
            raise TranslationError(f"{where}: nested conditionals cannot be held by the model")
        true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
        if false_body is not None and len(false_body.data):
            raise TranslationError(f"{where}: an else branch cannot be held by the model")
        condition = self._condition(op.condition, where)
        # splitting the block into conditioned instructions is exact only if no instruction but
        # the last writes a bit the condition reads
        read = set(condition.clbits)
        sub_clbit = {c: clbits[k] for k, c in enumerate(true_body.clbits)}
        for ci_body in list(true_body.data)[:-1]:
            if any(sub_clbit.get(c) in read for c in ci_body.clbits):
                raise TranslationError(
                    f"{where}: the block writes a bit its condition reads before it ends; the model cannot hold it"
                )
        self._sub(true_body, qubits, clbits, where, condition, depth)

    def _condition(self, cond: Any, where: str) -> Condition:
        from qiskit.circuit import ClassicalRegister, Clbit
        from qiskit.circuit.classical import expr

        if isinstance(cond, tuple):
            target, value = cond
            if isinstance(target, Clbit):
                return Condition((self.clbit_index[target],), int(bool(value)))
            if isinstance(target, ClassicalRegister):
                return Condition(tuple(self.clbit_index[b] for b in target), int(value), target.name)
        if isinstance(cond, expr.Var) and isinstance(cond.var, Clbit):
            return Condition((self.clbit_index[cond.var],), 1)
        if isinstance(cond, expr.Unary) and cond.op is expr.Unary.Op.LOGIC_NOT and isinstance(cond.operand, expr.Var) \
                and isinstance(cond.operand.var, Clbit):
            return Condition((self.clbit_index[cond.operand.var],), 0)
        if isinstance(cond, expr.Binary) and cond.op is expr.Binary.Op.EQUAL:
            left, right = cond.left, cond.right
            if isinstance(left, expr.Value):
                left, right = right, left
            while isinstance(left, expr.Cast):
                left = left.operand
            if isinstance(left, expr.Var) and isinstance(right, expr.Value):
                return self._condition((left.var, right.value), where)
        raise TranslationError(f"{where}: condition {cond} cannot be held by the model "
                               f"(a bit, or a register compared for equality with an integer)")


def circuit_from_qiskit(qc: Any) -> Circuit:
    """The model circuit for a Qiskit ``QuantumCircuit`` (same qubit and clbit order)."""
    if getattr(qc, "num_vars", 0) or getattr(qc, "num_stretches", 0):
        raise TranslationError(f"circuit {qc.name!r} uses classical variables, which the model cannot hold")
    reader = _Reader(qc)
    reader.read(qc.data, None, None, "")
    circuit = Circuit(
        num_qubits=qc.num_qubits,
        num_clbits=qc.num_clbits,
        name=qc.name,
        global_phase=reader.phase,
        qregs=[Register(r.name, tuple(reader.qubit_index[b] for b in r)) for r in qc.qregs],
        cregs=[Register(r.name, tuple(reader.clbit_index[b] for b in r)) for r in qc.cregs],
        metadata=dict(qc.metadata) if isinstance(qc.metadata, dict) else {},
    )
    circuit.instructions = reader.out
    return circuit


# -- model -> QuantumCircuit ------------------------------------------------------------------

_GATE_CLASSES: dict[str, Any] | None = None


def _gate_classes() -> dict[str, Any]:
    global _GATE_CLASSES
    if _GATE_CLASSES is None:
        from qiskit.circuit.library import get_standard_gate_name_mapping

        _GATE_CLASSES = {name: gate for name, gate in get_standard_gate_name_mapping().items() if name in STANDARD_GATES}
    return _GATE_CLASSES


def circuit_to_qiskit(circuit: Circuit, parameters: ParameterTable | None = None) -> Any:
    """A Qiskit ``QuantumCircuit`` for a model circuit (same bit order, registers, parameters)."""
    from qiskit.circuit import (
        CircuitInstruction,
        ClassicalRegister,
        Clbit,
        IfElseOp,
        QuantumCircuit,
        QuantumRegister,
        Qubit,
    )
    from qiskit.circuit.classical import expr
    from qiskit.circuit.library import Barrier, Measure, Reset
    from qiskit.circuit.library import UnitaryGate as QUnitaryGate

    table = parameters or ParameterTable()
    classes = _gate_classes()
    qubits = [Qubit() for _ in range(circuit.num_qubits)]
    clbits = [Clbit() for _ in range(circuit.num_clbits)]
    qc = QuantumCircuit(qubits, clbits, name=circuit.name, global_phase=param_to_qiskit(circuit.global_phase, table))
    if circuit.metadata:
        qc.metadata = dict(circuit.metadata)
    for reg in circuit.qregs:
        qc.add_register(QuantumRegister(name=reg.name, bits=[qubits[i] for i in reg.bits]))
    cregs: dict[str, Any] = {}
    for reg in circuit.cregs:
        cregs[reg.name] = ClassicalRegister(name=reg.name, bits=[clbits[i] for i in reg.bits])
        qc.add_register(cregs[reg.name])
    measure, reset = Measure(), Reset()
    for k, inst in enumerate(circuit.instructions):
        op = inst.operation
        if isinstance(op, Gate):
            cls = classes[op.name]
            qop = cls if not op.params else cls.base_class(*[param_to_qiskit(p, table) for p in op.params])
        elif isinstance(op, UnitaryGate):
            qop = QUnitaryGate(op.matrix_data, check_input=False)
        elif op.name == "measure":
            qop = measure
        elif op.name == "reset":
            qop = reset
        elif op.name == "barrier":
            qop = Barrier(len(inst.qubits))
        else:  # pragma: no cover - the model has no other operations
            raise TranslationError(f"instruction {k}: unknown operation {op.name}")
        qargs = [qubits[q] for q in inst.qubits]
        cargs = [clbits[c] for c in inst.clbits]
        if inst.condition is None:
            qc._append(CircuitInstruction(qop, qargs, cargs))
            continue
        cond = inst.condition
        cond_bits = [clbits[c] for c in cond.clbits]
        if cond.register is not None and cond.register in cregs and list(cregs[cond.register]) == cond_bits:
            condition: Any = (cregs[cond.register], cond.value)
        elif len(cond_bits) == 1:
            condition = (cond_bits[0], bool(cond.value))
        else:
            terms = [expr.lift(b) if (cond.value >> i) & 1 else expr.logic_not(b) for i, b in enumerate(cond_bits)]
            condition = terms[0]
            for t in terms[1:]:
                condition = expr.logic_and(condition, t)
        body_clbits = list(dict.fromkeys(cargs + cond_bits))
        body = QuantumCircuit(qargs, body_clbits)
        if isinstance(condition, tuple) and isinstance(condition[0], ClassicalRegister):
            body.add_register(condition[0]) if not set(condition[0]) - set(body_clbits) else None
        body._append(CircuitInstruction(qop, qargs, cargs))
        qc._append(CircuitInstruction(IfElseOp(condition, body, None), qargs, body_clbits))
    return qc
