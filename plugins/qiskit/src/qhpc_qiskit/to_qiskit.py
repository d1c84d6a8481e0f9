"""The qhpc program model into Qiskit's ``QuantumCircuit`` (:func:`circuit_to_qiskit`); the
conventions are in :mod:`qhpc_qiskit.translate`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from qhpc.errors import TranslationError
from qhpc_interop import (
    STANDARD_GATES,
    Circuit,
    Gate,
    Register,
    UnitaryGate,
)
from qhpc_interop.features import LAYOUT_KEY, layout_record
from qhpc_interop.ir import LARGEST_ANGLE, copy_metadata, reduce_phase
from qhpc_interop.ir import Measure as ModelMeasure

from .params import ParameterTable, param_to_qiskit

# -- model -> QuantumCircuit ------------------------------------------------------------------

_GATE_CLASSES: dict[str, Any] | None = None


def _gate_classes() -> dict[str, Any]:
    """Model gate name -> Qiskit's ``StandardGate`` (every model gate is one of Qiskit's standard gates)."""
    global _GATE_CLASSES
    if _GATE_CLASSES is None:
        from qiskit.circuit.library import get_standard_gate_name_mapping

        _GATE_CLASSES = {name: gate._standard_gate for name, gate in get_standard_gate_name_mapping().items()
                         if name in STANDARD_GATES}
    return _GATE_CLASSES


def _laid_out_in_order(registers: Sequence[Register], size: int) -> bool:
    """Whether ``registers`` hold bits ``0..size-1`` each once, register after register, in order."""
    if not registers:
        return size == 0
    expected = 0
    for reg in registers:
        if reg.bits != tuple(range(expected, expected + len(reg.bits))):
            return False
        expected += len(reg.bits)
    return expected == size


#: Empty Qiskit circuits by bit and register layout (see :func:`circuit_to_qiskit`); at most this many.
_EMPTY_CIRCUITS: dict[tuple[Any, ...], Any] = {}
_EMPTY_CIRCUITS_KEPT = 64


def _with_loose_bits(registers: Sequence[Register], size: int, name: str, taken: set[str]) -> list[Register]:
    """``registers``, and the bits of ``0..size-1`` in none of them as one more register named
    ``name`` (``name_1``... where that is taken). Qiskit's primitives return the data of registers
    only (a ``SamplerV2`` result of a circuit whose bits are in no register is empty), and the
    formats with no registers (myQLM, JSON without them) name them so: ``q`` and ``c``, as the
    OpenQASM writers do."""
    held = {b for reg in registers for b in reg.bits}
    loose = tuple(b for b in range(size) if b not in held)
    if not loose:
        return list(registers)
    unique, k = name, 0
    while unique in taken:
        k += 1
        unique = f"{name}_{k}"
    taken.add(unique)
    return [*registers, Register(unique, loose)]


def _empty_circuit(circuit: Circuit) -> Any:
    """A Qiskit circuit with ``circuit``'s bits and registers and nothing else (bits in no
    register in one more register: :func:`_with_loose_bits`)."""
    from qiskit.circuit import ClassicalRegister, Clbit, QuantumCircuit, QuantumRegister, Qubit

    taken = {reg.name for reg in (*circuit.qregs, *circuit.cregs)}
    qregisters = _with_loose_bits(circuit.qregs, circuit.num_qubits, "q", taken)
    cregisters = _with_loose_bits(circuit.cregs, circuit.num_clbits, "c", taken)
    if _laid_out_in_order(qregisters, circuit.num_qubits) and _laid_out_in_order(cregisters, circuit.num_clbits):
        # registers that own all the bits, one after the other (what every reader makes): Qiskit makes
        # the bits with the registers, a quarter of the cost of adding bits and then registers over them
        qregs = [QuantumRegister(len(reg.bits), reg.name) for reg in qregisters]
        cregs = [ClassicalRegister(len(reg.bits), reg.name) for reg in cregisters]
        return QuantumCircuit(*qregs, *cregs)
    qubits = [Qubit() for _ in range(circuit.num_qubits)]
    clbits = [Clbit() for _ in range(circuit.num_clbits)]
    qc = QuantumCircuit(qubits, clbits)
    for reg in qregisters:
        qc.add_register(QuantumRegister(name=reg.name, bits=[qubits[i] for i in reg.bits]))
    for reg in cregisters:
        qc.add_register(ClassicalRegister(name=reg.name, bits=[clbits[i] for i in reg.bits]))
    return qc


_WRITER_NAMES: tuple[Any, ...] | None = None


def _writer_names() -> tuple[Any, ...]:
    """The Qiskit names :func:`circuit_to_qiskit` uses, imported once (an import statement in the
    function cost a few microseconds per small circuit)."""
    global _WRITER_NAMES
    if _WRITER_NAMES is None:
        from qiskit.circuit import CircuitInstruction, ClassicalRegister, IfElseOp, QuantumCircuit
        from qiskit.circuit.classical import expr
        from qiskit.circuit.library import Barrier, Measure, Reset
        from qiskit.circuit.library import UnitaryGate as QUnitaryGate

        _WRITER_NAMES = (CircuitInstruction, ClassicalRegister, IfElseOp, QuantumCircuit, expr, Barrier, Measure,
                         Reset, QUnitaryGate)
    return _WRITER_NAMES


def circuit_to_qiskit(circuit: Circuit, parameters: ParameterTable | None = None) -> Any:
    """A Qiskit ``QuantumCircuit`` for a model circuit (same bit order, registers, parameters)."""
    (CircuitInstruction, ClassicalRegister, IfElseOp, QuantumCircuit, expr, Barrier, Measure, Reset,
     QUnitaryGate) = _writer_names()
    table = parameters or ParameterTable()
    classes = _gate_classes()
    phase = param_to_qiskit(circuit.global_phase, table)
    # An empty circuit with the same bits and registers is copied (``copy_empty_like``), which costs
    # a third to a half of making one: a fixed cost that mattered on small circuits. Registers are
    # values and bits may be shared between circuits in Qiskit, so sharing them across results is
    # what ``QuantumCircuit.copy`` does too.
    layout = (circuit.num_qubits, circuit.num_clbits, tuple((r.name, r.bits) for r in circuit.qregs),
              tuple((r.name, r.bits) for r in circuit.cregs))
    template = _EMPTY_CIRCUITS.get(layout)
    if template is None:
        template = _empty_circuit(circuit)
        if len(_EMPTY_CIRCUITS) >= _EMPTY_CIRCUITS_KEPT:
            _EMPTY_CIRCUITS.clear()
        _EMPTY_CIRCUITS[layout] = template
    qc = template.copy_empty_like()
    # copy_empty_like keeps the template's name: a nameless program gets a fresh one, as a new
    # QuantumCircuit does (an audit: circuits sharing a name, Result.get_counts(circuit), which
    # looks results up by name, gave one circuit's counts for another)
    qc.name = circuit.name if circuit.name is not None else QuantumCircuit().name
    # Qiskit takes the phase % 2pi in floats (0.03 off at 1e15): a large one goes in reduced exactly
    qc.global_phase = reduce_phase(phase) if type(phase) is float and not -LARGEST_ANGLE <= phase <= LARGEST_ANGLE else phase
    qubits, clbits = qc.qubits, qc.clbits
    cregs: dict[str, Any] = {reg.name: reg for reg in qc.cregs}
    record = layout_record(circuit.metadata)
    if circuit.metadata:  # a layout record is the circuit's own TranspileLayout again
        qc.metadata = copy_metadata({k: v for k, v in circuit.metadata.items() if record is None or k != LAYOUT_KEY})
        names = qc.metadata.get("qubits")
        if record is not None and isinstance(names, list) and len(names) == len(record["initial"]):
            # identities are by physical qubit in the model; a transpiled QuantumCircuit's metadata
            # names its original (virtual) qubits, as the reader expects of it
            qc.metadata["qubits"] = [names[p] for p in record["initial"]]
    measure, reset = Measure(), Reset()
    # Standard gates go straight into Qiskit's Rust circuit data (``CircuitInstruction.from_standard``):
    # no Python gate object per instruction, which is most of what building a large circuit costs.
    data = qc._data
    from_standard = CircuitInstruction.from_standard
    for k, inst in enumerate(circuit.instructions):
        op, qs, _, cond = inst  # (an instruction is a named tuple: unpacked, not read field by field)
        if type(op) is Gate and cond is None:
            params = op.params
            for p in params:  # (a loop, not any(): this runs once per instruction)
                if type(p) is not float:
                    params = tuple(param_to_qiskit(p, table) for p in params)
                    break
            n = len(qs)  # (one and two qubits indexed directly: a comprehension costs twice as much)
            qargs = (qubits[qs[0]],) if n == 1 else (qubits[qs[0]], qubits[qs[1]]) if n == 2 else [qubits[q] for q in qs]
            data.append(from_standard(classes[op.name], qargs, params))
            continue
        if type(op) is ModelMeasure and cond is None:  # no parameters: into the data directly
            data.append(CircuitInstruction(measure, [qubits[q] for q in inst.qubits], [clbits[c] for c in inst.clbits]))
            continue
        if isinstance(op, Gate):
            standard = classes[op.name]
            qop = standard.gate_class(*[param_to_qiskit(p, table) for p in op.params])
        elif isinstance(op, UnitaryGate):
            # a writable copy: qiskit-aer 0.18 applies a read-only matrix (the model's are) transposed
            qop = QUnitaryGate(np.array(op.matrix_data, dtype=complex), check_input=False)
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
            # a balanced tree of ands: a chain over thousands of bits is as deep, and Qiskit's
            # expression code recurses on it (30,000 bits crashed the interpreter)
            while len(terms) > 1:
                terms = [expr.logic_and(terms[i], terms[i + 1]) if i + 1 < len(terms) else terms[i]
                         for i in range(0, len(terms), 2)]
            condition = terms[0]
        body_clbits = list(dict.fromkeys(cargs + cond_bits))
        body = QuantumCircuit(qargs, body_clbits)
        if isinstance(condition, tuple) and isinstance(condition[0], ClassicalRegister):
            body.add_register(condition[0]) if not set(condition[0]) - set(body_clbits) else None
        body._append(CircuitInstruction(qop, qargs, cargs))
        qc._append(CircuitInstruction(IfElseOp(condition, body, None), qargs, body_clbits))
    if record is not None:
        _write_layout(qc, record)
    return qc


def _write_layout(qc: Any, record: Any) -> None:
    """Qiskit's ``TranspileLayout`` again, from :func:`_read_layout`'s record (new virtual qubits)."""
    from qiskit.circuit import Qubit
    from qiskit.transpiler import Layout, TranspileLayout

    initial, inputs, routing = record["initial"], record["inputs"], record["routing"]
    virtual = [Qubit() for _ in initial]
    final = None if routing == list(range(len(routing))) else Layout(dict(zip(qc.qubits, routing, strict=True)))
    qc._layout = TranspileLayout(Layout(dict(zip(virtual, initial, strict=True))),
                                 {q: k for k, q in enumerate(virtual)}, final, _input_qubit_count=inputs,
                                 _output_qubit_list=list(qc.qubits))
