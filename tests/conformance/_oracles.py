"""Independent oracles for the conformance suite: each format's program is judged by its own
framework (or, for text, by Qiskit's readers), never by qhpc's output.

* ``qiskit``: ``qiskit.quantum_info.Operator`` / ``Statevector`` / Aer;
* ``cirq``: ``cirq.unitary`` / ``cirq.final_state_vector`` / Cirq's simulators;
* ``myqlm``: PyLinalg's amplitudes (the unitary from one run on a doubled register);
* ``qasm2`` / ``qasm3``: ``qiskit.qasm2.loads`` / ``qiskit.qasm3.loads``, then Qiskit;
* ``qhpc.json``: the JSON read here (a few lines: the wire format names Qiskit's standard gates)
  into a Qiskit circuit, then Qiskit.

Everything is little-endian on return (qubit 0 is the least significant index bit), whatever the
framework's own order: Cirq and myQLM index big-endian over their qubit order.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from typing import Any

import numpy as np

FORMATS = ("qiskit", "cirq", "myqlm", "qasm2", "qasm3", "qhpc.json")
FIDELITY = 1 - 1e-9
#: Qiskit's OpenQASM 3 reader (ANTLR, pure Python) takes ~5 ms per statement: programs longer than
#: this are not judged through it (the check is counted as skipped, never as passed).
QASM3_MAX_STATEMENTS = 400


class OracleUnavailable(Exception):
    """The oracle cannot judge this program at a reasonable cost (counted, never passed)."""


# -- bit order -------------------------------------------------------------------------------------


def _reverse_bits(n: int) -> np.ndarray:
    index = np.arange(2**n)
    out = np.zeros_like(index)
    for k in range(n):
        out |= ((index >> k) & 1) << (n - 1 - k)
    return out


def reindex_matrix(m: np.ndarray) -> np.ndarray:
    """Big-endian <-> little-endian re-indexing of a square matrix."""
    n = int(m.shape[0]).bit_length() - 1
    perm = _reverse_bits(n)
    return m[np.ix_(perm, perm)]


def reindex_vector(v: np.ndarray) -> np.ndarray:
    n = int(v.shape[0]).bit_length() - 1
    return v[_reverse_bits(n)]


# -- reading a program into Qiskit (text formats) ------------------------------------------------


def qiskit_from_text(program: str, fmt: str, *, max_statements: int = QASM3_MAX_STATEMENTS) -> Any:
    """A Qiskit circuit for OpenQASM 2/3 (Qiskit's own readers) or qhpc JSON (read here)."""
    if fmt == "qasm2":
        from qiskit import qasm2

        return qasm2.loads(program, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    if fmt == "qasm3":
        from qiskit import qasm3

        if program.count(";") > max_statements:
            raise OracleUnavailable(f"Qiskit's OpenQASM 3 reader on {program.count(';')} statements")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return qasm3.loads(program)
    if fmt == "qhpc.json":
        return qiskit_from_json(program)
    raise ValueError(fmt)


def bound_unitary(program: Any, fmt: str, values: dict[str, float]) -> np.ndarray:
    """The unitary of a parameterised program with its parameters bound by its own framework."""
    if fmt == "qiskit":
        return unitary(program.assign_parameters({p: values[p.name] for p in program.parameters}), "qiskit")
    if fmt == "cirq":
        import cirq

        return unitary(cirq.resolve_parameters(program, values), "cirq")
    if fmt == "myqlm":
        import copy

        fresh = copy.deepcopy(program)  # myQLM 1.14's bind_variables keeps stale dag/conj matrices
        return unitary(fresh.bind_variables({k: v for k, v in values.items() if k in fresh.get_variables()}), "myqlm")
    if fmt == "qhpc.json":
        return unitary(qiskit_from_json(program, values), "qiskit")
    try:
        qc = qiskit_from_text(program, fmt)
    except Exception as exc:
        if "FunctionCall" in str(exc):  # qiskit-qasm3-import cannot evaluate sin(theta) and the like
            raise OracleUnavailable("Qiskit's OpenQASM 3 reader on a function of a parameter") from None
        raise
    return bound_unitary(qc, "qiskit", values)


_GATES: dict[str, Any] = {}


def qiskit_from_json(text: str, values: dict[str, float] | None = None) -> Any:
    """The qhpc wire format read into a Qiskit circuit, parameters bound to ``values``.

    A condition ("these clbits, least significant first, read this value") becomes an ``if_test``
    on the conjunction of its bits' values.
    """
    from qiskit import ClassicalRegister, QuantumCircuit
    from qiskit.circuit import Clbit
    from qiskit.circuit.library import get_standard_gate_name_mapping

    if not _GATES:
        _GATES.update(get_standard_gate_name_mapping())
    data = json.loads(text)
    assert data["format"] == "qhpc.circuit", data.get("format")
    bindings = values or {}
    qc = QuantumCircuit(data["num_qubits"], global_phase=_number(data.get("global_phase", 0.0), bindings))
    clbits = [Clbit() for _ in range(data["num_clbits"])]
    if clbits:
        qc.add_bits(clbits)
    for reg in data.get("cregs", []):
        qc.add_register(ClassicalRegister(name=reg["name"], bits=[clbits[b] for b in reg["bits"]]))
    for inst in data["instructions"]:
        name = inst["op"]
        qubits, cbits = inst["qubits"], [clbits[c] for c in inst.get("clbits", [])]
        condition = inst.get("condition")
        if condition is None:
            _json_instruction(qc, name, inst, qubits, cbits, bindings)
            continue
        with qc.if_test(_condition(condition, clbits)):
            _json_instruction(qc, name, inst, qubits, cbits, bindings)
    return qc


def _json_instruction(qc: Any, name: str, inst: dict[str, Any], qubits: list[int], cbits: list[Any],
                      values: dict[str, float]) -> None:
    from qiskit.circuit.library import UnitaryGate

    if name == "measure":
        qc.measure(qubits, cbits)
    elif name == "reset":
        qc.reset(qubits)
    elif name == "barrier":
        qc.barrier(qubits)
    elif name == "unitary":
        m = np.array(inst["matrix"], dtype=float)
        qc.append(UnitaryGate(m[..., 0] + 1j * m[..., 1], check_input=False), qubits)
    else:
        gate = _GATES[name]
        params = [_number(p, values) for p in inst.get("params", [])]
        qc.append(type(gate)(*params) if params else gate, qubits)


def _condition(condition: dict[str, Any], clbits: list[Any]) -> Any:
    from qiskit.circuit.classical import expr

    terms = []
    for k, c in enumerate(condition["clbits"]):
        bit = expr.lift(clbits[c])
        terms.append(bit if (condition["value"] >> k) & 1 else expr.logic_not(bit))
    out = terms[0]
    for t in terms[1:]:
        out = expr.logic_and(out, t)
    return out


_FUNCTIONS = {"neg": lambda x: -x, "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin,
              "acos": math.acos, "atan": math.atan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}
_OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
              "**": lambda a, b: a**b}


def _number(value: Any, values: dict[str, float]) -> float:
    """A JSON parameter value: a number, ``["param", name]`` or ``[op, args...]``, evaluated."""
    if isinstance(value, (int, float)):
        return float(value)
    head, *args = value
    if head == "param":
        return float(values[args[0]])
    numbers = [_number(a, values) for a in args]
    return float(_OPERATORS[head](*numbers) if head in _OPERATORS else _FUNCTIONS[head](*numbers))


# -- unitaries -------------------------------------------------------------------------------------


def unitary(program: Any, fmt: str) -> np.ndarray:
    """The program's unitary by its own framework (little-endian)."""
    if fmt == "qiskit":
        from qiskit.quantum_info import Operator

        return np.asarray(Operator(program).data)
    if fmt == "cirq":

        qubits = sorted(program.all_qubits())
        return reindex_matrix(program.unitary(qubit_order=qubits, dtype=np.complex128))
    if fmt == "myqlm":
        return myqlm_unitary(program)
    return unitary(qiskit_from_text(program, fmt), "qiskit")


def myqlm_unitary(circ: Any) -> np.ndarray:
    """The unitary of a myQLM circuit from PyLinalg's amplitudes: each of the n qubits maximally
    entangled with a reference qubit n + j first; amplitude <i|<j| is U[i, j] / sqrt(2^n)."""
    from qat.comm.datamodel.ttypes import Op
    from qat.core import Circuit
    from qat.qpus import PyLinalg

    n = circ.nbqbits
    prepare = []
    for j in range(n):
        prepare.append(Op(gate="H", qbits=[n + j], type=0))
        prepare.append(Op(gate="CNOT", qbits=[n + j, j], type=0))
    doubled = Circuit(ops=prepare + list(circ.ops), gateDic=dict(circ.gateDic), nbqbits=2 * n, nbcbits=circ.nbcbits,
                      _gate_set=circ._gate_set, _serialized_gate_set=circ._serialized_gate_set,
                      var_dic=circ.var_dic, has_matrices=False, qregs=circ.qregs, ancilla_map=circ.ancilla_map)
    result = PyLinalg().submit(doubled.to_job(nbshots=0, amp_threshold=0.0))
    amplitudes = np.zeros(4**n, dtype=complex)
    for sample in result:
        amplitudes[sample.state.int] = complex(sample.amplitude)
    return reindex_matrix(amplitudes.reshape(2**n, 2**n) * math.sqrt(2**n))


# -- state vectors ---------------------------------------------------------------------------------


def statevector(program: Any, fmt: str) -> np.ndarray:
    """The state the program prepares from |0...0> by its own framework's simulator (little-endian)."""
    if fmt == "qiskit":
        from qiskit.quantum_info import Statevector

        return np.asarray(Statevector(program).data)
    if fmt == "cirq":
        import cirq

        qubits = sorted(program.all_qubits())
        state = cirq.final_state_vector(program, qubit_order=qubits, dtype=np.complex128)
        return reindex_vector(np.asarray(state))
    if fmt == "myqlm":
        from qat.qpus import PyLinalg

        result = PyLinalg().submit(program.to_job(nbshots=0, amp_threshold=0.0))
        state = np.zeros(2**program.nbqbits, dtype=complex)
        for sample in result:
            state[sample.state.int] = complex(sample.amplitude)
        return reindex_vector(state)
    return statevector(qiskit_from_text(program, fmt), "qiskit")


# -- comparisons -----------------------------------------------------------------------------------


def fidelity(u: np.ndarray, v: np.ndarray, *, exact_phase: bool) -> float:
    """Of two unitaries (or two state vectors): Re tr(U^dagger V) / d with ``exact_phase`` (1 only
    if they are equal, global phase included), else |tr(U^dagger V)|^2 / d^2."""
    assert u.shape == v.shape, (u.shape, v.shape)
    d = u.shape[0]
    overlap = np.vdot(u, v) / d if u.ndim == 2 else np.vdot(u, v)
    return float(overlap.real) if exact_phase else float(abs(overlap) ** 2)


# -- readouts: clbit values of one (deterministic) shot --------------------------------------------

#: One readout: each clbit's (register name, index) or None (myQLM names none), and its value, in
#: the format's own clbit order.
Readout = list[tuple[tuple[str, int] | None, int]]


def readout(program: Any, fmt: str) -> Readout:
    """The classical bits one shot writes, for programs whose readout is certain, by the program's
    own framework: Qiskit (and the text formats read into Qiskit) in clbit order, named by their
    first register; Cirq by measurement key (a key ``name`` is register ``name``, keys ``name[i]``
    its bits, registers in order of first appearance: the documented Cirq convention); myQLM in
    cbit order, without names (cbits computed by classical logic, not measured, are left out)."""
    if fmt == "cirq":
        return _cirq_readout(program)
    if fmt == "myqlm":
        return _myqlm_readout(program)
    qc = program if fmt == "qiskit" else qiskit_from_text(program, fmt, max_statements=1500)
    bits = _qiskit_clbits(qc)
    names: list[tuple[str, int] | None] = []
    for clbit in qc.clbits:
        found = qc.find_bit(clbit).registers
        names.append((found[0][0].name, found[0][1]) if found else None)
    return list(zip(names, bits))


def same_readout(a: Readout, b: Readout) -> bool:
    """Equal by register name and index where both name every bit, else bit for bit in order."""
    if all(name is not None for name, _ in a + b):
        return dict(a) == dict(b) and len(a) == len(b)
    return [v for _, v in a] == [v for _, v in b]


_STABILIZER_BASIS = ["h", "s", "sdg", "x", "y", "z", "sx", "sxdg", "cx", "cy", "cz", "swap", "id"]
_BASIS = ["u", "cx", "cz", "cp", "rzz", "rxx", "ryy", "swap", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx",
          "sxdg", "rx", "ry", "rz", "p", "id"]
_SIMULATORS: dict[str, Any] = {}


def _qiskit_clbits(qc: Any) -> list[int]:
    """One shot by Aer: the stabilizer method for Clifford circuits, else the state vector (MPS
    beyond 24 qubits); Qiskit's transpiler (level 0) writes gates Aer lacks in ones it has
    (circuits with control flow run as they are)."""
    from qiskit import transpile
    from qiskit.quantum_info import Clifford
    from qiskit_aer import AerSimulator

    dynamic = "if_else" in qc.count_ops() or any(
        i.operation.name in ("measure", "reset") for i in qc.remove_final_measurements(inplace=False).data)
    method = "statevector"
    if not dynamic:
        try:
            Clifford(qc.remove_final_measurements(inplace=False))
            method = "stabilizer"
        except Exception:  # not a Clifford circuit
            method = "matrix_product_state" if qc.num_qubits > 24 else "statevector"
    sim = _SIMULATORS.get(method)
    if sim is None:
        sim = _SIMULATORS[method] = AerSimulator(method=method)
    if not dynamic:
        basis = _STABILIZER_BASIS if method == "stabilizer" else _BASIS
        qc = transpile(qc, basis_gates=basis, optimization_level=0)
    counts = sim.run(qc, shots=2, seed_simulator=7).result().get_counts()
    assert len(counts) == 1, f"the readout is not certain: {counts}"
    key = next(iter(counts)).replace(" ", "")
    return [int(b) for b in reversed(key)]


_INDEXED = re.compile(r"^(.+)\[(\d+)\]$")


def _cirq_readout(circuit: Any) -> Readout:
    import cirq

    clifford = all(cirq.has_stabilizer_effect(op) for op in circuit.all_operations())
    simulator = cirq.CliffordSimulator(seed=7) if clifford else cirq.Simulator(seed=7)
    records = simulator.run(circuit, repetitions=2).records
    order: dict[str, dict[int, int]] = {}  # register -> index -> value, in order of first appearance
    for op in circuit.all_operations():
        for key in cirq.measurement_key_names(op):
            record = records[key]
            assert (record[0][-1] == record[1][-1]).all(), f"key {key}: the readout is not certain"
            values = [int(v) for v in record[0][-1]]  # a repeated key: its last record
            match = _INDEXED.match(key)
            if match and len(values) == 1 and match.group(1) not in records:
                order.setdefault(match.group(1), {})[int(match.group(2))] = values[0]
            else:
                order.setdefault(key, {}).update(enumerate(values))
    out: Readout = []
    for name, bits in order.items():
        out.extend(((name, i), bits.get(i, 0)) for i in range(max(bits) + 1))
    return out


def _myqlm_readout(circ: Any) -> Readout:
    from qat.comm.datamodel.ttypes import OpType
    from qat.qpus import PyLinalg

    measured = {int(c) for op in circ.ops if op.type == OpType.MEASURE for c in (op.cbits or op.qbits)}
    computed = {int(c) for op in circ.ops if op.type == OpType.CLASSIC for c in op.cbits} - measured
    seen: list[list[int]] = []
    for sample in PyLinalg().submit(circ.to_job(nbshots=2)):
        shot = [0] * circ.nbcbits
        for m in sample.intermediate_measurements or []:
            op = circ.ops[m.gate_pos]
            for c, v in zip(op.cbits or op.qbits, m.cbits):
                shot[int(c)] = int(v)
        seen.append(shot)
    assert all(s == seen[0] for s in seen), f"the readout is not certain: {seen}"
    return [(None, v) for c, v in enumerate(seen[0]) if c not in computed]
