"""The OpenQASM 2 writer (the rules it follows are in :mod:`qhpc_interop.qasm2`)."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import NotExpressibleError
from ..gates import STANDARD_GATES, Definition, zyz_angles
from ..ir import Barrier, Circuit, Gate, Instruction, Measure, Reset, UnitaryGate
from ..params import Expr, ParamValue, format_expr, format_number
from ..synthesis import unitaries_as_gates
from .stdlib import QASM2_KEYWORDS, QELIB1_GATES, QELIB1_PAPER_GATES
from .writer_common import (
    QASM2_IDENTIFIER,
    NameAllocator,
    RegisterPlan,
    definition_order,
    library_definition,
    plan_registers,
)

FORMAT = "OpenQASM 2"

#: How the writer defines library base gates in terms of the paper's gates.
_WRITER_OVERRIDES: dict[str, Callable[..., Definition]] = {
    "u": lambda t, ph, lam: ([("u3", (t, ph, lam), (0,))], 0.0),
    "p": lambda lam: ([("u1", (lam,), (0,))], 0.0),
}


def dumps(circuit: Circuit, *, changes: list[str] | None = None) -> str:
    """The circuit as an OpenQASM 2 program (equal to it up to global phase; see the module docstring).

    ``changes``, if given, gets what is written under another name (a classical register whose name
    is not an OpenQASM 2 identifier or is taken by a keyword or gate: ``classical register 'z' as 'z_1'``).
    """
    free = circuit.parameters
    if free:
        shown = ", ".join(p.name for p in free)
        raise NotExpressibleError(
            FORMAT, f"free parameters ({shown})",
            hint="bind them to numbers first (Qiskit's assign_parameters, Cirq's resolve_parameters, myQLM's "
                 "bind_variables; Circuit.bind on qhpc's model) or export OpenQASM 3, which has input parameters",
        )
    circuit = unitaries_as_gates(circuit)  # OpenQASM 2 has no matrix gate
    used = dict.fromkeys(inst.operation.name for inst in circuit.instructions if isinstance(inst.operation, Gate))
    declared = definition_order(used, lambda n: n in QELIB1_PAPER_GATES, _WRITER_OVERRIDES)
    reserved = QASM2_KEYWORDS | set(QELIB1_GATES) | set(declared)
    names = NameAllocator(reserved, lambda s: bool(QASM2_IDENTIFIER.fullmatch(s)), _sanitize)
    names.claim(r.name for r in (*circuit.qregs, *circuit.cregs))
    qplan = plan_registers(circuit.qregs, circuit.num_qubits, "q", names)
    cplan = plan_registers(circuit.cregs, circuit.num_clbits, "c", names, "classical register")
    if changes is not None:
        changes.extend(names.changes)
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";']
    lines.extend(_gate_declaration(name) for name in declared)
    lines.extend(f"qreg {name}[{size}];" for name, size in qplan.declarations)
    lines.extend(f"creg {name}[{size}];" for name, size in cplan.declarations)
    written: set[int] = set()  # the clbits a measurement has written so far (the others read 0)
    for inst in circuit.instructions:
        text = _instruction(inst, qplan, cplan, written)
        if text:
            lines.append(text)
        if isinstance(inst.operation, Measure):
            written.update(inst.clbits)
    return "\n".join(lines) + "\n"


def _sanitize(name: str) -> str:
    clean = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
    if clean and "A" <= clean[0] <= "Z":
        clean = clean[0].lower() + clean[1:]
    if not clean or not "a" <= clean[0] <= "z":
        clean = "r" + clean
    return clean


def _number_text(value: ParamValue) -> str:
    if not isinstance(value, Expr):
        return format_number(value)  # what format_expr writes for a number
    return format_expr(value, function_names={"log": "ln"}, power="^")


def _call(name: str, params: tuple[ParamValue, ...], qubits: list[str]) -> str:
    args = f"({', '.join(_number_text(p) for p in params)})" if params else ""
    return f"{name}{args} {', '.join(qubits)};"


def _gate_declaration(name: str) -> str:
    """``gate name(params) q0, q1 { ... }`` from the library definition (its global phase dropped)."""
    spec = STANDARD_GATES[name]
    qubits = [f"q{k}" for k in range(spec.num_qubits)]
    steps, _phase = library_definition(name, spec.param_names, _WRITER_OVERRIDES)
    body = " ".join(_call(step, params, [qubits[k] for k in local]) for step, params, local in steps)
    params = f"({', '.join(spec.param_names)})" if spec.param_names else ""
    return f"gate {name}{params} {', '.join(qubits)} {{ {body} }}"


def _instruction(inst: Instruction, qplan: RegisterPlan, cplan: RegisterPlan, written: set[int]) -> str:
    op = inst.operation
    qubits = [qplan.refs[q] for q in inst.qubits]
    if isinstance(op, Gate):
        text = _call(op.name, op.params, qubits)
    elif isinstance(op, UnitaryGate):
        theta, phi, lam, _phase = zyz_angles(op.matrix_data)
        text = _call("u3", (theta, phi, lam), qubits)
    elif isinstance(op, Measure):
        text = f"measure {qubits[0]} -> {cplan.refs[inst.clbits[0]]};"
    elif isinstance(op, Reset):
        text = f"reset {qubits[0]};"
    elif isinstance(op, Barrier):
        return f"barrier {', '.join(qubits)};" if qubits else ""
    else:  # pragma: no cover - the model has no other operations
        raise NotExpressibleError(FORMAT, f"operation {op!r}")
    if inst.condition is None:
        return text
    register = cplan.by_bits.get(inst.condition.clbits)
    if register is None:
        spread = _over_register(inst, cplan, written)
        if spread is not None:
            name, values = spread
            return "\n".join(f"if({name}=={v}) {text}" for v in values)
        bits = ", ".join(cplan.refs[c] for c in inst.condition.clbits)
        what = (f"the single bit {bits}, which is not a whole register" if len(inst.condition.clbits) == 1
                else f"the bits {bits}, which do not form one whole register")
        allowed = _over_register(inst, cplan, written, writes_allowed=True)
        shared = allowed[0] if allowed is not None else None
        if shared is not None:  # the one reason _over_register had: the instruction writes the register
            what += (f", for an instruction that writes register {shared} (written as one if per value of "
                     f"{shared}, a later if would test the bit an earlier one wrote)")
        raise NotExpressibleError(
            FORMAT, f"a condition on {what} (if {bits}=={inst.condition.value}: {text})",
            hint="OpenQASM 2 conditions test a whole register: put the bit(s) in a register of their own, "
                 "or export OpenQASM 3",
        )
    return f"if({register}=={inst.condition.value}) {text}"


#: Most copies of an instruction a condition on part of a register is written as.
MAX_REGISTER_VALUES = 64


def _over_register(inst: Instruction, cplan: RegisterPlan, written: set[int], *,
                   writes_allowed: bool = False) -> tuple[str, list[int]] | None:
    """A condition on some bits of one declared register as the register's values that satisfy it
    (the instruction written once per value: ``if(r==1)``, ``if(r==3)`` for ``r[0] == 1`` on two
    bits; at most one holds, so at most one copy acts). The register's other bits that no
    measurement has ``written`` yet read 0 and take no other value (one ``if`` where registers
    merged into one left the condition's bit among unwritten ones). ``None`` where the bits are in
    no one register, there would be more than :data:`MAX_REGISTER_VALUES` copies, or the
    instruction writes a bit of the register and there would be more than one copy (a later copy
    would test the value it wrote; one copy tests the register once, before it acts)."""
    cond = inst.condition
    assert cond is not None
    if len(set(cond.clbits)) != len(cond.clbits):
        return None  # a bit listed twice (a condition that may never hold): refused as before
    for bits, name in cplan.by_bits.items():
        if not set(cond.clbits) <= set(bits):
            continue
        where = {b: k for k, b in enumerate(bits)}
        fixed = sum(((cond.value >> j) & 1) << where[b] for j, b in enumerate(cond.clbits))
        others = [where[b] for b in bits if b not in cond.clbits and b in written]
        free = len(others)
        if 2**free > MAX_REGISTER_VALUES:
            return None
        values = sorted(fixed | sum(((pattern >> i) & 1) << k for i, k in enumerate(others))
                        for pattern in range(2**free))
        if len(values) > 1 and set(inst.clbits) & set(bits) and not writes_allowed:
            return None
        return name, values
    return None
