"""OpenQASM 3 reader and writer, checked against Qiskit's OpenQASM 3 reader as the independent oracle."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import qiskit.qasm3
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import (
    MEASURE,
    Circuit,
    Condition,
    Gate,
    NotExpressibleError,
    Parameter,
    QasmSyntaxError,
    QasmUnsupportedError,
    Register,
    qasm2,
    qasm3,
)
from qhpc_interop.errors import ParameterError
from qhpc_interop.gates import STANDARD_GATES
from qhpc_interop.params import Expr, ParamValue, apply, format_expr
from qhpc_interop.qasm import detect_version, load_any, loads_any
from qhpc_interop.qasm.parser import parse_param_expression
from qhpc_interop.testing import (
    circuit_unitary,
    measurement_probabilities,
    process_fidelity,
    random_circuit,
    random_unitary,
)
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate, efficient_su2
from qiskit.circuit.random import random_circuit as qiskit_random_circuit
from qiskit.quantum_info import Operator, Statevector

from ._qasm_helpers import qiskit_structure, structure

HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def assert_equal(u: np.ndarray, v: np.ndarray, atol: float = 1e-9) -> None:
    assert u.shape == v.shape
    err = float(np.max(np.abs(u - v)))
    assert err <= atol, err


def qiskit_unitary(text: str, values: dict[str, float] | None = None) -> np.ndarray:
    qc = qiskit.qasm3.loads(text)
    if values is not None:
        qc = qc.assign_parameters({p: values[p.name] for p in qc.parameters})
    return Operator(qc).data


# -- export: every library gate, random circuits, parameters ----------------------------------------------


@pytest.mark.parametrize("name", sorted(STANDARD_GATES))
def test_every_library_gate_round_trips_exactly_and_qiskit_reads_it(name: str) -> None:
    spec = STANDARD_GATES[name]
    rng = random.Random(name)
    circuit = Circuit.with_registers({"q": spec.num_qubits + 1})
    circuit.global_phase = -0.7
    params = tuple(rng.uniform(-2 * math.pi, 2 * math.pi) for _ in range(spec.num_params))
    circuit.append(Gate(name, params), rng.sample(range(spec.num_qubits + 1), spec.num_qubits))
    text = qasm3.dumps(circuit)
    expected = circuit_unitary(circuit)

    back = qasm3.loads(text)
    assert back == circuit  # the gate, its registers and the global phase read back as they were
    assert_equal(circuit_unitary(back), expected)  # exact, global phase included
    assert process_fidelity(qiskit_unitary(text), expected) >= 1 - 1e-9
    assert_equal(qiskit_unitary(text), expected)  # Qiskit reads gphase too


@pytest.mark.parametrize("seed", range(200))
def test_random_circuits_round_trip_exactly(seed: int) -> None:
    n = 1 + seed % 4
    circuit = random_circuit(n, 10 + seed % 7, seed=seed, unitaries=True)
    # OpenQASM 3 holds one-qubit unitaries (as U + gphase), not larger ones
    circuit = circuit.copy(instructions=[i for i in circuit.instructions if i.name != "unitary" or len(i.qubits) == 1])
    text = qasm3.dumps(circuit)
    expected = circuit_unitary(circuit)
    assert_equal(circuit_unitary(qasm3.loads(text)), expected)
    assert process_fidelity(qiskit_unitary(text), expected) >= 1 - 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_parameterized_circuits_bind_after_import_as_before_export(seed: int) -> None:
    circuit = random_circuit(3, 12, seed=1000 + seed, parameterized=True)
    assert circuit.parameters
    text = qasm3.dumps(circuit)
    back = qasm3.loads(text)
    assert back.parameters == circuit.parameters
    rng = random.Random(seed)
    values = {p.name: rng.uniform(-3, 3) for p in circuit.parameters}
    expected = circuit_unitary(circuit.bind(values))
    assert_equal(circuit_unitary(back.bind(values)), expected)
    assert process_fidelity(qiskit_unitary(text, values), expected) >= 1 - 1e-9


def test_symbolic_global_phase_and_functions_are_written() -> None:
    a, b = Parameter("a"), Parameter("b")
    circuit = Circuit(num_qubits=1, global_phase=a / 2)
    circuit.rx(apply("asin", b / 4), 0).rz(apply("log", a * a + 1) - apply("sqrt", b * b), 0)
    circuit.ry(apply("atan", a) + apply("acos", b / 5) * apply("exp", -a), 0).p(a**b, 0)
    text = qasm3.dumps(circuit)
    assert "input float[64] a;\ninput float[64] b;" in text
    assert "gphase(a/2);" in text and "arcsin(b/4)" in text and "arctan(a)" in text and "a**b" in text
    back = qasm3.loads(text)
    assert back.instructions == circuit.instructions and back.global_phase == circuit.global_phase
    values = {"a": 0.3, "b": 1.7}
    assert_equal(circuit_unitary(back.bind(values)), circuit_unitary(circuit.bind(values)))


def test_one_qubit_unitaries_are_exact() -> None:
    rng = random.Random(3)
    circuit = Circuit(num_qubits=2, global_phase=0.2)
    for _ in range(6):
        circuit.unitary(random_unitary(2, rng), [rng.randrange(2)])
    circuit.unitary(np.diag([1j, -1]), [0])  # theta = 0
    circuit.unitary(np.array([[0, 1j], [1, 0]]), [1])  # theta = pi
    text = qasm3.dumps(circuit)
    assert "unitary" not in text and text.count("\nU(") == 8
    assert_equal(circuit_unitary(qasm3.loads(text)), circuit_unitary(circuit))
    assert_equal(qiskit_unitary(text), circuit_unitary(circuit))


def test_parameter_names_are_escaped_deterministically() -> None:
    names = ["θ[0]", "θ[1]", "θ_0_", "x", "2theta", "ok_name", "pi"]
    circuit = Circuit(num_qubits=1)
    for k, name in enumerate(names):
        circuit.rz(Parameter(name) * (k + 1), 0)
    text = qasm3.dumps(circuit)
    assert text == qasm3.dumps(circuit)
    back = qasm3.loads(text)
    # valid free names are kept (ok_name, θ_0_); the others are escaped in sorted order
    escaped = {"2theta": "_2theta", "pi": "pi_1", "x": "x_1", "θ[0]": "θ_0__1", "θ[1]": "θ_1_", "θ_0_": "θ_0_"}
    assert sorted(p.name for p in back.parameters) == sorted(escaped.get(n, n) for n in names)
    assert "input float[64] θ_0__1;" in text and "rz(θ_0__1*1) q[0];" in text and "rz(θ_0_*3) q[0];" in text
    values = {name: 0.1 * (k + 1) for k, name in enumerate(names)}
    renamed = {escaped.get(k, k): v for k, v in values.items()}
    assert_equal(circuit_unitary(back.bind(renamed)), circuit_unitary(circuit.bind(values)))
    assert_equal(qiskit_unitary(text, renamed), circuit_unitary(circuit.bind(values)))


# -- registers, measurement, conditions -----------------------------------------------------------------


def test_measurement_forms_map_qubits_to_clbits() -> None:
    text = HEADER + """
        qubit[3] q;
        bit[3] c;
        bit b;
        measure q[0] -> c[1];
        c[0] = measure q[2];
        c = measure q;
        b = measure q[1];
        c[1:2] = measure q[0:1];
        bit[2] d = measure q[{2, 0}];
    """
    circuit = qasm3.loads(text)
    pairs = [(i.qubits[0], i.clbits[0]) for i in circuit.instructions]
    assert pairs == [(0, 1), (2, 0), (0, 0), (1, 1), (2, 2), (1, 3), (0, 1), (1, 2), (2, 4), (0, 5)]
    assert circuit.cregs == [Register("c", (0, 1, 2)), Register("b", (3,)), Register("d", (4, 5))]
    assert structure(circuit) == qiskit_structure(qiskit.qasm3.loads(text))


def test_registers_survive_a_round_trip() -> None:
    circuit = Circuit.with_registers({"data": 2, "anc": 1}, {"out": 2, "flag": 1})
    circuit.h(0).cx(0, 2).measure([0, 2], [1, 2])
    text = qasm3.dumps(circuit)
    assert "qubit[2] data;\nqubit[1] anc;\nbit[2] out;\nbit[1] flag;" in text
    assert qasm3.loads(text) == circuit.copy()


def test_conditionals_round_trip_and_match_qiskit() -> None:
    circuit = Circuit.with_registers({"q": 3}, {"c": 2, "m": 1})
    circuit.h(0).measure(0, 0).measure(1, 1).measure(2, 2)
    circuit.append(Gate("x"), [1], condition=Condition((0, 1), 2, "c"))
    circuit.append(Gate("cx"), [0, 2], condition=Condition((1,), 1))
    circuit.append(Gate("rz", (0.25,)), [2], condition=Condition((0,), 0))
    circuit.append(MEASURE, [1], [0], condition=Condition((2,), 1, "m"))
    circuit.append(Gate("u", (0.1, 0.2, 0.3)), [0], condition=Condition((2,), 1, "m"))
    text = qasm3.dumps(circuit)
    assert "if (c == 2) { x q[1]; }" in text and "if (c[1]) { cx q[0], q[2]; }" in text
    assert "if (!c[0]) { rz(0.25) q[2]; }" in text and "if (m == 1) { c[0] = measure q[1]; }" in text
    back = qasm3.loads(text)
    assert [i.condition for i in back.instructions] == [i.condition for i in circuit.instructions]
    assert structure(back) == structure(circuit)
    assert structure(back) == qiskit_structure(qiskit.qasm3.loads(text))


def test_condition_forms_match_qiskit() -> None:
    text = HEADER + """
        qubit[3] q;
        bit[2] c;
        bit flag;
        c = measure q[0:1];
        flag = measure q[2];
        if (c == 3) { x q[0]; h q[1]; }
        if (c[1] == true) x q[2];
        if (c[0]) { cx q[0], q[1]; }
        if (!c[1]) reset q[0];
        if (c[0] == true) y q;
        if (flag == false) { z q[2]; }
        if (flag) s q[0];
        if (c == 1) { c[0] = measure q[2]; }
    """
    circuit = qasm3.loads(text)
    assert structure(circuit) == qiskit_structure(qiskit.qasm3.loads(text))
    assert circuit.instructions[3].condition == Condition((0, 1), 3, "c")
    assert circuit.instructions[5].condition == Condition((1,), 1, None)
    # Qiskit's reader wants bool literals for one bit; ours also takes 0 and 1
    assert qasm3.loads(text.replace("== true", "== 1").replace("== false", "== 0")) == circuit


def test_not_equal_on_one_bit_and_bitstring_values() -> None:
    # '!=' on a register is a disjunction: one conditioned copy per way of differing (see conditions.py)
    text = HEADER + 'qubit q;\nbit[2] c;\nif (c[0] != 1) x q;\nif (c != "10") x q;\nif (c == "10") h q;\n'
    circuit = qasm3.loads(text)
    assert [i.condition for i in circuit.instructions] == [
        Condition((0,), 0), Condition((0,), 1), Condition((0, 1), 0), Condition((0, 1), 2, "c")]


def test_a_block_may_write_a_read_bit_in_its_last_instruction() -> None:
    text = HEADER + "qubit[2] q;\nbit[1] c;\nif (c == 1) { x q[0]; c[0] = measure q[1]; }\n"
    circuit = qasm3.loads(text)
    assert structure(circuit) == [("x", (0,), (), ((0,), 1)), ("measure", (1,), (0,), ((0,), 1))]


# -- import against Qiskit ------------------------------------------------------------------------------

UNITARY_PROGRAMS = {
    "broadcast and indexing": HEADER + """
        qubit[4] q;
        qubit[2] r;
        h q;
        cx q[0:1], r;
        cx q[{3, 2}], r[1];
        rz(pi/3) q[-1];
        x q[0:2:3];
        sx q[1:];
        swap q[:1], r;
        barrier;
        barrier q[0], r;
    """,
    "modifiers": HEADER + """
        qubit[4] q;
        inv @ s q[0];
        inv @ sx q[1];
        inv @ U(0.1, 0.2, 0.3) q[2];
        pow(3) @ t q[0];
        pow(-2) @ rx(0.4) q[1];
        pow(0) @ h q[2];
        ctrl @ x q[0], q[1];
        ctrl @ ctrl @ x q[0], q[1], q[2];
        ctrl(2) @ z q[2], q[0], q[3];
        negctrl @ h q[3], q[0];
        negctrl(2) @ x q[0], q[1], q[2];
        ctrl @ negctrl @ x q[1], q[2], q[3];
        negctrl @ rx(0.7) q[2], q[3];
        ctrl @ U(0.5, 0.6, 0.7) q[3], q[0];
        ctrl @ ry(0.3) q[0], q[3];
        ctrl @ sdg q[1], q[0];
        ctrl @ t q[2], q[1];
        ctrl @ swap q[0], q[1], q[2];
        ctrl @ gphase(0.9) q[1];
        ctrl(2) @ gphase(-0.4) q[1], q[2];
        negctrl @ gphase(0.3) q[3];
        inv @ ctrl @ p(0.8) q[0], q[1];
        ctrl @ inv @ sx q[2], q[0];
        inv @ iswap_like q[1], q[3];
    """.replace("inv @ iswap_like q[1], q[3];", "inv @ cswap q[1], q[3], q[0];"),
    "user gates with modifiers and gphase": HEADER + """
        gate rot(θ, φ) a { rz(φ) a; ry(θ/2) a; gphase(θ/4); }
        gate ent(λ) a, b { cx a, b; rot(λ, 2*λ) b; inv @ rot(λ, -λ) a; }
        gate big(x) a, b, c { ent(x) a, b; ctrl @ rot(x, x) c, a; pow(2) @ cx b, c; ent(-x) b, c; }
        qubit[3] q;
        big(0.7) q[0], q[1], q[2];
        inv @ ent(π/5) q[2], q[0];
        ctrl @ ent(0.3) q[2], q[0], q[1];
        negctrl @ rot(0.5, 0.25) q[1], q[0];
        pow(-1) @ ent(1.1) q[1], q[2];
        pow(2) @ ent(0.4) q[1], q[2];
        gphase(-0.5);
    """,
    "inputs and expressions": HEADER + """
        input float[64] theta;
        input angle[32] phi;
        input float alpha;
        qubit[2] q;
        rx(theta) q[0];
        rz(2*phi - theta/3) q[1];
        u3(-theta, phi * alpha, τ/4 + euler) q[0];
        crx(-(alpha - 1) * 2) q[1], q[0];
        cp(π - phi) q[0], q[1];
        cu(theta, phi, alpha, 0.5) q[1], q[0];
    """,
    "stdgates aliases and builtins": HEADER + """
        qubit[3] q;
        phase(0.3) q[0]; cphase(0.4) q[0], q[1]; CX q[1], q[2]; id q[0];
        u1(0.1) q[1]; u2(0.2, 0.3) q[2]; u3(0.1, 0.2, 0.3) q[0]; U(0.4, 0.5, 0.6) q[1];
        cy q[0], q[1]; ch q[1], q[2]; crz(0.5) q[2], q[0]; cry(0.1) q[0], q[2]; ccx q[0], q[1], q[2];
        cswap q[2], q[0], q[1]; sdg q[0]; tdg q[1]; y q[2]; z q[0]; s q[1]; t q[2]; sx q[0];
        gphase(1.25);
    """,
    "literals, comments, annotations, pragmas": """
        // no header: OpenQASM 3 by default
        include "stdgates.inc";
        qubit[2] q;
        /* block
           comment */
        rx(1_000.5e-3) q[0];
        ry(0x1f / 16.0) q[1];   // hexadecimal integer
        rz(.5 + 2.) q[0];
        rx(7 / 2) q[1];         // integer division, as in Qiskit
        ry(-7 / 2) q[0];
    """,
    "physical qubits": """OPENQASM 3;
        include "stdgates.inc";
        h $0;
        cx $0, $3;
        rz(0.2) $2;
    """,
}


@pytest.mark.parametrize("name", sorted(UNITARY_PROGRAMS))
def test_import_matches_qiskit(name: str) -> None:
    text = UNITARY_PROGRAMS[name]
    circuit = qasm3.loads(text)
    values = {"theta": 0.3, "phi": -1.1, "alpha": 2.4}
    ours = circuit_unitary(circuit.bind({k: v for k, v in values.items() if Parameter(k) in circuit.parameters}))
    theirs = qiskit_unitary(text, values if circuit.parameters else None)
    assert_equal(ours, theirs)


@pytest.mark.parametrize("name", ["pi", "π", "tau", "τ", "euler", "ℇ"])
def test_a_gate_parameter_named_like_a_builtin_constant_shadows_it(name: str) -> None:
    text = f"OPENQASM 3.0;\nqubit q;\ngate g({name}) a {{ U(0, {name}, 0) a; }}\ng(0.5) q;\n"
    circuit = qasm3.loads(text)
    assert circuit.instructions[0].params == (0.0, 0.5, 0.0)
    assert_equal(circuit_unitary(circuit), qiskit_unitary(text))


# (selection, register size, the indices the specification's a:c:b gives, whether Qiskit reads it so)
RANGES = [
    ("3:-1:2", 4, [3, 2], True),
    ("0:3:2", 3, [0], True),  # the step is 3: the next index, 3, is past the stop
    ("0:2:4", 3, [0, 2], True),  # the stop may lie past the register
    ("1:2:10", 4, [1, 3], True),
    ("2:-1:0", 3, [2, 1, 0], False),  # Qiskit's reader selects nothing here
    ("-1:-1:-3", 3, [2, 1, 0], False),
    ("-1:-2:0", 4, [3, 1], False),
]


@pytest.mark.parametrize(("selection", "size", "expected", "qiskit_agrees"), RANGES)
def test_ranges_with_negative_steps_or_distant_stops(selection: str, size: int, expected: list[int],
                                                      qiskit_agrees: bool) -> None:
    text = HEADER + f"qubit[{size}] q;\nx q[{selection}];\n"
    circuit = qasm3.loads(text)
    assert [i.qubits[0] for i in circuit.instructions] == expected
    if qiskit_agrees:
        assert structure(circuit) == qiskit_structure(qiskit.qasm3.loads(text))


def test_negative_step_ranges_match_pyqasm() -> None:
    pyqasm = pytest.importorskip("pyqasm")
    checked = 0
    for selection, size, expected, _ in RANGES:
        text = HEADER + f"qubit[{size}] q;\nx q[{selection}];\n"
        try:
            module = pyqasm.loads(text)
            module.unroll()
        except Exception:  # pyqasm refuses negative bounds and stops past the register
            continue
        lines = [line for line in pyqasm.dumps(module).splitlines() if line.startswith("x ")]
        assert lines == [f"x q[{k}];" for k in expected], selection
        checked += 1
    assert checked >= 3


def test_a_range_starting_off_the_register_is_an_error() -> None:
    with pytest.raises(QasmSyntaxError, match="starts at index 3, out of range") as err:
        qasm3.loads(HEADER + "qubit[3] q;\nx q[3:-1:0];\n")
    assert (err.value.line, err.value.column) == (4, 5)


def test_pragmas_and_annotations_are_ignored() -> None:
    # Qiskit's reader refuses pragmas, so compare with the same program without them
    plain = HEADER + "qubit[2] q;\nh q[0];\ncx q[0], q[1];\n"
    decorated = HEADER + "pragma qiskit.anything goes here\nqubit[2] q;\n#pragma another one\n@bind q[0]\n" \
        "h q[0];\n  @annotation.with args(1, 2)\ncx q[0], q[1];\n"
    assert qasm3.loads(decorated) == qasm3.loads(plain)


def test_modifiers_on_user_gates_are_consistent() -> None:
    # (Qiskit's reader cannot bind parameters through inv/pow of such gates, so check identities instead)
    defs = HEADER + """
        gate rot(θ, φ) a { rz(φ) a; ry(θ/2) a; gphase(θ/4); }
        gate big(x) a, b, c { cx a, b; ctrl @ rot(x, 2*x) c, a; pow(2) @ sx b; inv @ rot(-x, x) c; gphase(x); }
        qubit[3] q;
    """
    identity = qasm3.loads(defs + "big(0.7) q[0], q[1], q[2];\ninv @ big(0.7) q[0], q[1], q[2];\n")
    assert_equal(circuit_unitary(identity), np.eye(8))
    cubed = qasm3.loads(defs + "pow(3) @ big(0.3) q[2], q[0], q[1];\n")
    thrice = qasm3.loads(defs + "big(0.3) q[2], q[0], q[1];\n" * 3)
    assert_equal(circuit_unitary(cubed), circuit_unitary(thrice))
    inverse = qasm3.loads(defs + "pow(-2) @ big(0.3) q[2], q[0], q[1];\n")
    assert_equal(circuit_unitary(inverse) @ circuit_unitary(qasm3.loads(defs + "big(0.3) q[2], q[0], q[1];\n" * 2)),
                 np.eye(8))
    small = defs + "gate small(x) a, b, c { cx a, b; rot(x, 2*x) c; pow(3) @ sx b; inv @ rot(-x, x) c; gphase(x); }\n"
    controlled = qasm3.loads(small + "qubit c;\nctrl @ small(0.5) c, q[0], q[1], q[2];\n")
    plain = circuit_unitary(qasm3.loads(small + "small(0.5) q[0], q[1], q[2];\n"))
    expected = np.eye(16, dtype=complex)
    # control is qubit 3 (most significant): the lower-right block is the gate
    expected[8:, 8:] = plain
    assert_equal(circuit_unitary(controlled), expected)


def test_physical_qubits_size_the_circuit() -> None:
    circuit = qasm3.loads(UNITARY_PROGRAMS["physical qubits"])
    assert circuit.num_qubits == 4 and circuit.qregs == []
    assert structure(circuit)[1] == ("cx", (0, 3), (), None)


def test_constants_are_folded() -> None:
    # Qiskit's reader has no const: compare with the same program with the constants substituted
    text = HEADER + """
        const int n = 3;
        const uint m = n * 2 - 4;
        const float half = 1 / 2.0;
        const angle quarter = pi / 4;
        qubit[n] q;
        rx(half) q[m];
        rz(quarter * n) q[n - 1];
        h q[m:n - 1];
    """
    plain = HEADER + "qubit[3] q;\nrx(0.5) q[2];\nrz(pi/4 * 3) q[2];\nh q[2:2];\n"
    circuit = qasm3.loads(text)
    assert circuit.num_qubits == 3
    assert_equal(circuit_unitary(circuit), qiskit_unitary(plain))


def test_user_gate_named_like_a_library_gate_reads_as_that_gate() -> None:
    text = HEADER + """
        gate rzx(t) a, b { h b; cx a, b; rz(t) b; cx a, b; h b; }
        gate sxdg a { s a; h a; s a; }   // sxdg only up to a global phase: inlined
        qubit[2] q;
        rzx(0.3) q[0], q[1];
        sxdg q[0];
    """
    circuit = qasm3.loads(text)
    assert [i.name for i in circuit.instructions] == ["rzx", "s", "h", "s"]
    assert_equal(circuit_unitary(circuit), qiskit_unitary(text))


def test_qiskit_exports_read_back() -> None:
    qft = QuantumCircuit(5)
    qft.append(QFTGate(5), range(5))
    circuits = [qft.decompose(reps=2)]
    circuits += [qiskit_random_circuit(4, 5, max_operands=3, seed=seed) for seed in range(12)]
    for qc in circuits:
        text = qiskit.qasm3.dumps(qc)
        ours = circuit_unitary(qasm3.loads(text))
        assert_equal(ours, qiskit_unitary(text))
        assert process_fidelity(ours, Operator(qc).data) >= 1 - 1e-9


def test_qiskit_parameterized_export_reads_back() -> None:
    qc = efficient_su2(3, reps=2)
    text = qiskit.qasm3.dumps(qc)
    circuit = qasm3.loads(text)
    assert len(circuit.parameters) == qc.num_parameters
    rng = random.Random(11)
    values = {p.name: rng.uniform(-3, 3) for p in circuit.parameters}
    assert_equal(circuit_unitary(circuit.bind(values)), qiskit_unitary(text, values))


def test_qiskit_export_with_control_flow_reads_back() -> None:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.measure([0, 1], [0, 2])
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    with qc.if_test((qc.cregs[0], 5)):
        qc.x(2)
        qc.cz(0, 1)
    text = qiskit.qasm3.dumps(qc)
    assert structure(qasm3.loads(text)) == qiskit_structure(qiskit.qasm3.loads(text))


# -- errors ----------------------------------------------------------------------------------------------

Q3 = HEADER + "qubit[2] q;\nbit[2] c;\n"  # programs below start on line 5

UNSUPPORTED = [
    (Q3 + "if (c[0]) { c[0] = measure q[0]; } else { c[0] = measure q[1]; }", 5, 36,
     "both branches of this if write bits its condition reads"),
    (Q3 + "while (c == 0) { x q[0]; }", 5, 1, "a while loop on measured bits is real-time control flow"),
    (Q3 + "def f(qubit a) -> bit { return measure a; }\nf(q[0]);", 6, 1, "is not stored"),
    (Q3 + "for int i in [0:1] { if (c[0]) break; }", 5, 32, "'break' inside an if on measured bits"),
    (Q3 + "def f(bit b) -> int { if (b) return 1; return 0; }\nint k = f(c[0]);", 5, 30,
     "'return' inside an if on measured bits"),
    (Q3 + "int[2] n = c;\nc[0] = measure q[0];\nif (n == 1) x q[0];", 7, 5, "measured again"),
    (Q3 + "int n = 0;\nif (c[0]) n = 1;", 6, 11, "inside an if on measured bits"),
    (Q3 + "for int i in [0:1] { bit b; }", 5, 22, "bits declared inside a block"),
    (Q3 + "for int i in [0:2000000] { }", 5, 1, "iterations"),
    (Q3 + "complex[float[64]] z;", 5, 1, "complex numbers"),
    (Q3 + "gate w a, b, c, d, e, f, g { }\nqubit[7] r;\npow(0.5) @ w r[0], r[1], r[2], r[3], r[4], r[5], r[6];", 7, 1,
     "non-integer power of a 7-qubit gate is taken as its matrix"),
    (Q3 + "input float th;\npow(0.5) @ rx(th) q[0];", 6, 1, "non-integer power of a gate with symbolic parameters"),
    (Q3 + "if (c[0] == 1) { if (c[1] + 1 == 2) x q[0]; }", 5, 27, "'+' on the measured bit 'c[1]'"),
    (Q3 + "if (c[0] * c[1] == 1) x q[0];", 5, 10, "'*' on the measured bit"),
    (Q3 + "if (c[0]) { c[0] = measure q[0]; x q[1]; }", 5, 34, "writes a bit its condition reads"),
    (Q3 + "rx(100ns) q[0];", 5, 4, "timing literal 100ns"),
    (Q3 + "x $0;", 5, 3, "physical qubits ($n) cannot be mixed with declared qubits"),
    (Q3 + "c = 2;", 5, 5, "assigning the value 2 to bits"),
    (Q3 + 'include "mylib.inc";', 5, 9, 'cannot include "mylib.inc"'),
    (Q3 + "input int n;", 5, 7, "input of type 'int'"),
    (Q3 + "measure q;", 5, 1, "a measurement must store its result"),
    (Q3 + "end;", 5, 1, "end statements"),
    (Q3 + "extern f(int) -> int;", 5, 1, "extern"),
    (Q3 + "defcal x $0 { }", 5, 1, "calibration definitions"),
    (Q3 + "input float w;\npow(w) @ x q[0];", 6, 5, "exponent that depends on parameters"),
    (Q3 + "if (c) x q[0];", 5, 5, "without a comparison"),
    (Q3 + "rx(c[0]) q[0];", 5, 4, "real-time classical computation"),
    (Q3 + "if (float(c) > 0.5) x q[0];", 5, 11, "cannot become a float"),
    (Q3 + "output float[64] energy;", 5, 1, "output declarations of values other than bits"),
    (Q3 + "rx(1im) q[0];", 5, 4, "imaginary literal"),
    (Q3 + "input float w;\nrx(w % 2) q[0];", 6, 6, "'%' of a symbolic parameter"),
    (Q3 + 'bit[2] d = "01";', 5, 12, "initialising bits with a value"),
]


@pytest.mark.parametrize(("text", "line", "column", "fragment"), UNSUPPORTED)
def test_unsupported_features_are_named_at_their_position(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(QasmUnsupportedError) as info:
        qasm3.loads(text, source="prog.qasm")
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert fragment in err.reason, err.reason
    assert str(err).startswith(f"prog.qasm:{line}:{column}: ")


SYNTAX_ERRORS = [
    (Q3 + "x q[0]\nx q[1];", 5, 7, "expected ';' after the call of 'x'"),
    (Q3 + "foo q[0];", 5, 1, "unknown gate 'foo'"),
    ("OPENQASM 3;\nqubit q;\nh q;", 3, 1, 'did you forget include "stdgates.inc"?'),
    (Q3 + "rx(0.1, 0.2) q[0];", 5, 1, "gate 'rx' takes 1 parameter(s), got 2"),
    (Q3 + "cx q[0];", 5, 1, "gate 'cx' acts on 2 qubit(s), got 1"),
    (Q3 + "ctrl @ x q[0];", 5, 8, "gate 'x' acts on 2 qubit(s), got 1"),
    (Q3 + "h q[5];", 5, 5, "index 5 out of range for register 'q' of size 2"),
    (Q3 + "h q[-3];", 5, 5, "index -3 out of range"),
    (Q3 + "h r;", 5, 3, "undeclared identifier 'r'"),
    (Q3 + "qubit[3] q;", 5, 10, "'q' is already declared (line 3)"),
    (Q3 + "gate h a { x a; }", 5, 6, "'h' is already declared by stdgates.inc"),
    (Q3 + "x q[0];\n/* never closed", 6, 1, "unterminated comment"),
    ("OPENQASM 2.0;\nqreg q[1];", 1, 10, "unsupported OpenQASM version 2.0"),
    (Q3 + "qubit[3] r;\ncx q, r;", 6, 7, "cannot broadcast over operands of different sizes"),
    (Q3 + "rx(1/0) q[0];", 5, 5, "division by zero"),
    (Q3 + "gate g(a) x { rx(theta) x; }", 5, 18, "unknown name 'theta'"),
    (Q3 + "input float theta;\ngate g(a) x { rx(theta) x; }", 6, 18, "cannot be used inside a gate definition"),
    (Q3 + "cx q[0], q[0];", 5, 1, "the same qubit is used twice in one operation on q, q: operands 1 and 2 are both q[0]"),
    (Q3 + "h q[0:1:0];\nh q[1:0];", 6, 5, "the range selects no bits"),
    (Q3 + "h q[0:0:1];", 5, 5, "a range step cannot be 0"),
    (Q3 + "qubit s2;\nh s2[0];", 6, 5, "is a single qubit and cannot be indexed"),
    (Q3 + "gate g a { measure a -> c[0]; }", 5, 12, "not allowed inside a gate definition"),
    (Q3 + "gate g a { h q[0]; }", 5, 14, "'q' is not a qubit argument of this gate"),
    (Q3 + "const float k = 1.5;\nh q[k];", 6, 5, "must be an integer"),
    (Q3 + "input float w;\nconst float k = w;", 6, 17, "must have a constant value"),
    (Q3 + "rx(bogus(1)) q[0];", 5, 4, "unknown function 'bogus'"),
    (Q3 + "gphase(0.1) q[0];", 5, 1, "gphase acts on no qubits"),
    (Q3 + "else { x q[0]; }", 5, 1, "'else' without a preceding if"),
    (Q3 + "qubit[2] pi;", 5, 10, "'pi' is a reserved word"),
    (Q3 + "x c[0];", 5, 3, "'c' is not a qubit register"),
    (Q3 + "h q[0]; ` ", 5, 9, "unexpected character '`'"),
]


@pytest.mark.parametrize(("text", "line", "column", "fragment"), SYNTAX_ERRORS)
def test_syntax_errors_carry_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(QasmSyntaxError) as info:
        qasm3.loads(text, source="prog.qasm")
    err = info.value
    assert type(err) is QasmSyntaxError
    assert (err.line, err.column) == (line, column), str(err)
    assert fragment in err.reason, err.reason


def test_export_refuses_abs() -> None:
    circuit = Circuit(num_qubits=1).rx(apply("abs", Parameter("a")), 0)
    with pytest.raises(NotExpressibleError, match="abs") as info:
        qasm3.dumps(circuit)
    # an audit: the hint named the model's Circuit.bind only, and a myQLM max is read as an abs
    assert "assign_parameters" in info.value.hint and "bind_variables" in info.value.hint
    assert "max/min" in str(info.value)


@pytest.mark.parametrize("value", range(4))
@pytest.mark.parametrize("bits", [(0, 2), (2, 0)])
def test_export_writes_a_condition_on_bits_that_are_not_a_register_as_nested_ifs(bits, value) -> None:
    # each preparation of the three bits, run by Aer on what Qiskit's importer reads
    from qiskit import qasm3 as qiskit_qasm3
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    aer = AerSimulator()
    for prep in range(8):
        circuit = Circuit.with_registers({"q": 4}, {"c": 4})
        for k in range(3):
            if prep >> k & 1:
                circuit.append(Gate("x"), [k])
            circuit.measure(k, k)
        circuit.append(Gate("x"), [3], condition=Condition(bits, value))
        circuit.measure(3, 3)
        text = qasm3.dumps(circuit)
        assert "&&" not in text and text.count("if (") == 2
        qc = qiskit_qasm3.loads(text)
        counts = aer.run(transpile(qc, aer), shots=8, seed_simulator=3).result().get_counts()
        fired = all(prep >> bit & 1 == value >> k & 1 for k, bit in enumerate(bits))
        assert counts == {("1" if fired else "0") + format(prep, "03b"): 8}, (prep, text)
        back = qasm3.loads(text).instructions[-2].condition
        assert back is not None and {b: back.value >> k & 1 for k, b in enumerate(back.clbits)} == {
            b: value >> k & 1 for k, b in enumerate(bits)}


# -- version detection -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "version"), [
    ("OPENQASM 2.0;\nqreg q[1];", 2),
    ("// leading comment\n/* block */\n  OPENQASM 3.0;", 3),
    ("OPENQASM 3;", 3),
    ('include "stdgates.inc";\nqubit q;', 3),
    ("", 3),
])
def test_detect_version(text: str, version: int) -> None:
    assert detect_version(text) == version


def test_detect_version_refuses_unknown_versions() -> None:
    with pytest.raises(QasmSyntaxError) as info:
        detect_version("\n  OPENQASM 4.1;", source="x.qasm")
    assert (info.value.line, info.value.column) == (2, 12)


def test_loads_any_dispatches(tmp_path: object) -> None:
    from pathlib import Path

    v2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n'
    v3 = 'include "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'
    assert loads_any(v2) == qasm2.loads(v2)
    assert loads_any(v3) == qasm3.loads(v3)
    assert loads_any(v2) == loads_any(v3)
    path = Path(str(tmp_path)) / "prog.qasm"
    qasm3.dump(loads_any(v2), path)
    assert load_any(path) == qasm3.load(path) == loads_any(v3)


# -- printing and parsing expressions round-trip ------------------------------------------------------------

_NAMES3 = ["a", "b", "theta", "x_1", "θ", "_tmp"]
_NAMES2 = ["a", "b", "theta", "x_1"]
_FUNCTIONS = ["neg", "sin", "cos", "tan", "asin", "acos", "atan", "exp", "log", "sqrt"]
_NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([math.pi, -math.pi / 2, 3 * math.pi / 4, 2 * math.pi, 0.0, 1.0, 2.0, 0.5, 1e-7, 1e16, 123.0]),
)


def _safe_apply(op: str, *args: ParamValue) -> ParamValue:
    try:
        return apply(op, *args)
    except ParameterError:
        return args[0]


def _expressions(names: list[str]) -> st.SearchStrategy[ParamValue]:
    leaves = st.one_of(st.sampled_from(names).map(Parameter), _NUMBERS)

    def extend(children: st.SearchStrategy[ParamValue]) -> st.SearchStrategy[ParamValue]:
        binary = st.builds(_safe_apply, st.sampled_from(["+", "-", "*", "/", "**"]), children, children)
        unary = st.builds(_safe_apply, st.sampled_from(_FUNCTIONS), children)
        return st.one_of(binary, unary)

    return st.recursive(leaves, extend, max_leaves=10).filter(lambda e: isinstance(e, Expr))


@settings(max_examples=300, deadline=None)
@given(_expressions(_NAMES3))
def test_expressions_round_trip_through_openqasm3_syntax(expr: ParamValue) -> None:
    text = format_expr(expr, function_names={"asin": "arcsin", "acos": "arccos", "atan": "arctan"})
    assert parse_param_expression(text, Parameter) == expr, text


@settings(max_examples=200, deadline=None)
@given(_expressions(_NAMES2))
def test_expressions_round_trip_through_openqasm2_syntax(expr: ParamValue) -> None:
    text = format_expr(expr, function_names={"log": "ln"}, power="^")
    assert parse_param_expression(text, Parameter, version=2) == expr, text


def test_an_output_bit_register_is_a_bit_register() -> None:
    # an audit: 'output bit[2] c;' was refused, where every result returns every bit anyway
    body = "qubit[2] q;\nx q[1];\n{kind}[2] c;\nc = measure q;\n"
    output = qasm3.loads('OPENQASM 3.0;\ninclude "stdgates.inc";\n' + body.format(kind="output bit"))
    plain = qasm3.loads('OPENQASM 3.0;\ninclude "stdgates.inc";\n' + body.format(kind="bit"))
    assert output == plain and [r.name for r in output.cregs] == ["c"]
    qc = qiskit.qasm3.loads('OPENQASM 3.0;\ninclude "stdgates.inc";\n' + body.format(kind="bit"))
    assert Statevector(qc.remove_final_measurements(inplace=False)).probabilities_dict() == {"10": 1.0}
    assert measurement_probabilities(output) == {"10": 1.0}


def test_output_inside_a_block_is_refused_as_misplaced() -> None:
    # a review: 'output bit' in a loop body was refused as "values other than bits"
    with pytest.raises(QasmSyntaxError, match="'output' is only allowed at the top level") as info:
        qasm3.loads('OPENQASM 3.0;\nqubit q;\nfor int i in [0:1] { output bit c; }\n')
    assert (info.value.line, info.value.column) == (3, 22)
