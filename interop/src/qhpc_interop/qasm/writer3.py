"""The OpenQASM 3 writer (the rules it follows are in :mod:`qhpc_interop.qasm3`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from ..errors import NotExpressibleError
from ..gates import STANDARD_GATES, zyz_angles
from ..ir import LARGEST_ANGLE, Barrier, Circuit, Gate, Instruction, Measure, Reset, UnitaryGate, reduce_phase
from ..params import VECTOR_ELEMENT, Expr, ParamValue, format_expr, format_number
from ..synthesis import unitaries_as_gates
from .stdlib import QASM3_KEYWORDS, STDGATES
from .writer_common import (
    QASM3_IDENTIFIER,
    NameAllocator,
    RegisterPlan,
    definition_order,
    library_definition,
    plan_registers,
    uses_function,
)

FORMAT = "OpenQASM 3"

_NATIVE = frozenset(STDGATES.values()) | {"u"}
_FUNCTIONS = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}
_IDENTIFIER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})


def _valid_identifier(name: str) -> bool:
    """Whether ``name`` is an OpenQASM 3 identifier (the grammar's letters, ``_``, ASCII digits after the first)."""
    if not name or not QASM3_IDENTIFIER.fullmatch(name):
        return False
    return all(c == "_" or ("0" <= c <= "9" and k) or unicodedata.category(c) in _IDENTIFIER_CATEGORIES
               for k, c in enumerate(name))


def _sanitize(name: str) -> str:
    clean = "".join(c if _valid_identifier("a" + c) else "_" for c in name)
    return "_" + clean if not clean or "0" <= clean[0] <= "9" else clean


def _vector_sanitizer(params: list[str]) -> Callable[[str], str]:
    """:func:`_sanitize`, with a vector element's index (``theta[7]``, a Qiskit ``ParameterVector``'s)
    zero-padded to the width of its vector's largest: ``theta_07_``. Read back, the elements are
    plain parameters, which Qiskit orders by name: padded, they keep the vector's order among
    themselves (``theta_10_`` sorted before ``theta_1_``, and positional binding after the trip was
    silently wrong; other names can still sort between them)."""
    widths: dict[str, int] = {}
    for name in params:
        found = VECTOR_ELEMENT.match(name)
        if found:
            widths[found[1]] = max(widths.get(found[1], 1), len(found[2]))

    def sanitize(name: str) -> str:
        found = VECTOR_ELEMENT.match(name)
        if found is None:
            return _sanitize(name)
        return f"{_sanitize(found[1])}_{int(found[2]):0{widths.get(found[1], 1)}d}_"

    return sanitize


class _Writer:
    def __init__(self, circuit: Circuit) -> None:
        circuit = unitaries_as_gates(circuit)  # OpenQASM 3 has no matrix gate
        self.circuit = circuit
        self._check()
        used = dict.fromkeys(i.operation.name for i in circuit.instructions if isinstance(i.operation, Gate))
        self.declared = definition_order(used, lambda n: n in _NATIVE)
        reserved = QASM3_KEYWORDS | set(STDGATES) | set(self.declared)
        params = [p.name for p in circuit.parameters]
        names = NameAllocator(reserved, _valid_identifier, _vector_sanitizer(params))
        # valid, free names first, so that a valid name is never renamed to make room for an escaped one
        keep = [n for n in params if _valid_identifier(n) and n not in reserved]
        self.param_names = {n: names.take(n, "parameter") for n in keep}
        names.claim(r.name for r in (*circuit.qregs, *circuit.cregs))
        self.param_names.update({n: names.take(n, "parameter") for n in params if n not in self.param_names})
        self.qplan: RegisterPlan = plan_registers(circuit.qregs, circuit.num_qubits, "q", names)
        self.cplan: RegisterPlan = plan_registers(circuit.cregs, circuit.num_clbits, "c", names,
                                                  "classical register")
        #: what is written under another name than the circuit's
        self.changes = names.changes
        self.phase: ParamValue = circuit.global_phase

    def _check(self) -> None:
        values: list[ParamValue] = [self.circuit.global_phase]
        for inst in self.circuit.instructions:
            values.extend(inst.operation.params)
        if any(uses_function(v, "abs") for v in values):
            raise NotExpressibleError(
                FORMAT, "abs() in a parameter expression (|x|, or a max/min read as one; OpenQASM 3 has no abs)",
                hint="bind the parameters to numbers first (Qiskit's assign_parameters, Cirq's resolve_parameters, "
                     "myQLM's bind_variables; Circuit.bind on qhpc's model)")

    def expr(self, value: ParamValue, local: bool = False) -> str:
        if not isinstance(value, Expr):
            return format_number(value)  # what format_expr writes for a number
        if local:
            return format_expr(value, function_names=_FUNCTIONS)
        return format_expr(value, function_names=_FUNCTIONS, name_of=lambda p: self.param_names[p.name])

    def call(self, name: str, params: Sequence[ParamValue], qubits: Sequence[str], local: bool = False) -> str:
        written = "U" if name == "u" else name
        args = f"({', '.join(self.expr(p, local) for p in params)})" if params else ""
        return f"{written}{args} {', '.join(qubits)};"

    def gate_definition(self, name: str) -> list[str]:
        spec = STANDARD_GATES[name]
        qubits = [f"q{k}" for k in range(spec.num_qubits)]
        # Qiskit's reader binds a defined gate's parameters in alphabetical order: keep it the order
        names = [f"p{k}_{p}" for k, p in enumerate(spec.param_names)]
        steps, phase = library_definition(name, names)
        params = f"({', '.join(names)})" if names else ""
        lines = [f"gate {name}{params} {', '.join(qubits)} {{"]
        lines += [f"  {self.call(step, p, [qubits[k] for k in local], local=True)}" for step, p, local in steps]
        if isinstance(phase, Expr) or phase != 0.0:
            lines.append(f"  gphase({self.expr(phase, local=True)});")
        lines.append("}")
        return lines

    def instruction(self, inst: Instruction) -> str:
        op = inst.operation
        qubits = [self.qplan.refs[q] for q in inst.qubits]
        if isinstance(op, Gate):
            text = self.call(op.name, op.params, qubits)
        elif isinstance(op, UnitaryGate):
            theta, phi, lam, phase = zyz_angles(op.matrix_data)
            if inst.condition is None:
                self.phase = self.phase + phase
            text = self.call("u", (theta, phi, lam), qubits)
        elif isinstance(op, Measure):
            text = f"{self.cplan.refs[inst.clbits[0]]} = measure {qubits[0]};"
        elif isinstance(op, Reset):
            text = f"reset {qubits[0]};"
        elif isinstance(op, Barrier):
            return f"barrier {', '.join(qubits)};" if qubits else ""
        else:  # pragma: no cover - the model has no other operations
            raise NotExpressibleError(FORMAT, f"operation {op!r}")
        if inst.condition is None:
            return text
        for test in reversed(self.condition(inst)):
            text = f"if ({test}) {{ {text} }}"
        return text

    def condition(self, inst: Instruction) -> list[str]:
        """The tests of an instruction's condition, outermost first: one for a whole register or a
        single bit; one per bit, nested, for bits that are not one register (``if (c[2]) { if
        (!c[0]) { ... } }``: Qiskit's importer reads nested ``if`` but not ``&&``)."""
        cond = inst.condition
        assert cond is not None
        register = self.cplan.by_bits.get(cond.clbits)
        if register is not None and (cond.register is not None or len(cond.clbits) > 1):
            return [f"{register} == {cond.value}"]
        refs = self.cplan.refs
        return [refs[c] if cond.value >> k & 1 else f"!{refs[c]}" for k, c in enumerate(cond.clbits)]

    def text(self) -> str:
        lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
        lines += [f"input float[64] {self.param_names[p.name]};" for p in self.circuit.parameters]
        for name in self.declared:
            lines += self.gate_definition(name)
        lines += [f"qubit[{size}] {name};" for name, size in self.qplan.declarations]
        lines += [f"bit[{size}] {name};" for name, size in self.cplan.declarations]
        body = [t for t in (self.instruction(inst) for inst in self.circuit.instructions) if t]
        if isinstance(self.phase, Expr) or self.phase != 0.0:
            # a large phase written reduced exactly: readers take it modulo 2pi in floats (Qiskit's
            # is 0.03 off at 1e15)
            phase = self.phase
            if type(phase) is float and not -LARGEST_ANGLE <= phase <= LARGEST_ANGLE:
                phase = reduce_phase(phase)
            lines.append(f"gphase({self.expr(phase)});")
        return "\n".join(lines + body) + "\n"


def dumps(circuit: Circuit, *, changes: list[str] | None = None) -> str:
    """The circuit as an OpenQASM 3 program, exactly (global phase included; see the module docstring).

    ``changes``, if given, gets what is written under another name: a classical register or an
    input parameter whose name is not an OpenQASM 3 identifier or is taken by a keyword or a gate
    (``classical register 'z' as 'z_1'``, ``parameter 'pi' as 'pi_1'``).
    """
    writer = _Writer(circuit)
    text = writer.text()
    if changes is not None:
        changes.extend(writer.changes)
    return text
