"""OpenQASM 3 gate modifiers beyond one control, non-integer powers, fixed-point angles, chained and
sliced indexing: the cases an outside-style audit found wrongly refused or silently wrong.

Oracles: Qiskit's circuit library (``Gate.control(k, ctrl_state=..., annotated=False)``), Qiskit's
``Operator.power`` (principal branch), and the values the OpenQASM 3 specification gives in its own
examples of angle arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from qhpc_interop import QasmSyntaxError, QasmUnsupportedError, qasm3
from qhpc_interop.testing import circuit_unitary
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Gate as QiskitGate
from qiskit.circuit.classical import expr
from qiskit.circuit.library import (
    CCXGate,
    CHGate,
    CPhaseGate,
    CRXGate,
    CSwapGate,
    CUGate,
    CXGate,
    CYGate,
    HGate,
    PhaseGate,
    RXGate,
    RYGate,
    RZGate,
    SGate,
    SwapGate,
    SXGate,
    U3Gate,
    UGate,
    XGate,
    YGate,
    ZGate,
    iSwapGate,
)
from qiskit.quantum_info import Operator

from ._qasm_helpers import aer_counts, assert_same_distribution, to_qiskit

H = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'
PI = math.pi


def _on(n: int, gate: QiskitGate, qubits: list[int]) -> np.ndarray:
    qc = QuantumCircuit(n)
    qc.append(gate, qubits)
    return Operator(qc).data


def _assert_unitary(text: str, reference: np.ndarray) -> None:
    ours = circuit_unitary(qasm3.loads(text))
    assert ours.shape == reference.shape
    assert float(np.max(np.abs(ours - reference))) <= 1e-9


# -- ctrl(k) @ and negctrl on any gate: exact, from library gates ------------------------------------

# statement -> (qubits declared, the reference gate and the qubits it acts on)
CONTROLLED: dict[str, tuple[int, Callable[[], QiskitGate], list[int]]] = {
    "ctrl(3) @ x q[0], q[1], q[2], q[3];": (4, lambda: XGate().control(3, annotated=False), [0, 1, 2, 3]),
    "ctrl(2) @ h q[2], q[0], q[1];": (3, lambda: HGate().control(2, annotated=False), [2, 0, 1]),
    "ctrl(2) @ y q[0], q[1], q[2];": (3, lambda: YGate().control(2, annotated=False), [0, 1, 2]),
    "ctrl(2) @ s q[0], q[1], q[2];": (3, lambda: SGate().control(2, annotated=False), [0, 1, 2]),
    "ctrl(2) @ sx q[1], q[2], q[0];": (3, lambda: SXGate().control(2, annotated=False), [1, 2, 0]),
    "ctrl(2) @ rx(0.3) q[0], q[1], q[2];": (3, lambda: RXGate(0.3).control(2, annotated=False), [0, 1, 2]),
    "ctrl(2) @ rz(-1.3) q[0], q[1], q[2];": (3, lambda: RZGate(-1.3).control(2, annotated=False), [0, 1, 2]),
    "ctrl(2) @ p(0.7) q[0], q[1], q[2];": (3, lambda: PhaseGate(0.7).control(2, annotated=False), [0, 1, 2]),
    "ctrl(2) @ U(0.1, 0.2, 0.3) q[0], q[1], q[2];": (3, lambda: UGate(0.1, 0.2, 0.3).control(2, annotated=False), [0, 1, 2]),
    "ctrl(4) @ u3(0.5, 0.6, 0.7) q[4], q[3], q[2], q[1], q[0];":
        (5, lambda: U3Gate(0.5, 0.6, 0.7).control(4, annotated=False), [4, 3, 2, 1, 0]),
    "ctrl @ ccx q[0], q[1], q[2], q[3];": (4, lambda: CCXGate().control(1, annotated=False), [0, 1, 2, 3]),
    "ctrl @ cswap q[3], q[1], q[2], q[0];": (4, lambda: CSwapGate().control(1, annotated=False), [3, 1, 2, 0]),
    "ctrl @ ch q[0], q[1], q[2];": (3, lambda: CHGate().control(1, annotated=False), [0, 1, 2]),
    "ctrl @ cy q[0], q[1], q[2];": (3, lambda: CYGate().control(1, annotated=False), [0, 1, 2]),
    "ctrl @ cp(0.4) q[0], q[1], q[2];": (3, lambda: CPhaseGate(0.4).control(1, annotated=False), [0, 1, 2]),
    "ctrl @ crx(0.4) q[0], q[1], q[2];": (3, lambda: CRXGate(0.4).control(1, annotated=False), [0, 1, 2]),
    "ctrl @ cu(0.1, 0.2, 0.3, 0.4) q[0], q[1], q[2];": (3, lambda: CUGate(0.1, 0.2, 0.3, 0.4).control(1, annotated=False), [0, 1, 2]),
    "negctrl(3) @ z q[0], q[1], q[2], q[3];": (4, lambda: ZGate().control(3, ctrl_state=0, annotated=False), [0, 1, 2, 3]),
    # a controlled global phase is a phase on the controls' all-ones state
    "ctrl(3) @ gphase(0.5) q[0], q[1], q[2];": (3, lambda: PhaseGate(0.5).control(2, annotated=False), [0, 1, 2]),
    # adjacent control modifiers are one control, qubits in the order written: 1, 0, 1
    "ctrl @ negctrl @ ctrl @ swap q[0], q[1], q[2], q[3], q[4];":
        (5, lambda: SwapGate().control(3, ctrl_state=0b101, annotated=False), [0, 1, 2, 3, 4]),
    "ctrl(2) @ inv @ pow(2) @ sx q[0], q[1], q[2];": (3, lambda: XGate().control(2, annotated=False), [0, 1, 2]),
}


@pytest.mark.parametrize("statement", sorted(CONTROLLED))
def test_any_number_of_controls_on_any_gate_is_exact(statement: str) -> None:
    n, gate, qubits = CONTROLLED[statement]
    _assert_unitary(H + f"qubit[{n}] q;\n{statement}\n", _on(n, gate(), qubits))


def test_controls_on_a_defined_gate_with_a_phase_are_exact() -> None:
    text = H + "qubit[4] q;\ngate g(a) x, y { rx(a) x; cx x, y; gphase(a / 3); }\nctrl @ ctrl @ g(0.9) q[0], q[1], q[2], q[3];\n"
    body = QuantumCircuit(2, global_phase=0.3)
    body.rx(0.9, 0)
    body.cx(0, 1)
    _assert_unitary(text, _on(4, body.to_gate().control(2, annotated=False), [0, 1, 2, 3]))


def test_controls_on_a_symbolic_rotation_stay_symbolic_and_bind_exactly() -> None:
    text = H + "input float th;\nqubit[3] q;\nctrl(2) @ rx(th) q[0], q[1], q[2];\ngate g(a) x, y, z { ctrl(2) @ ry(a) x, y, z; }\n" \
        "g(th / 2) q[2], q[0], q[1];\n"
    circuit = qasm3.loads(text)
    assert circuit.parameters and {p.name for p in circuit.parameters} == {"th"}
    qc = QuantumCircuit(3)
    qc.append(RXGate(0.77).control(2, annotated=False), [0, 1, 2])
    qc.append(RYGate(0.385).control(2, annotated=False), [2, 0, 1])
    assert float(np.max(np.abs(circuit_unitary(circuit.bind({"th": 0.77})) - Operator(qc).data))) <= 1e-9


# -- pow(r) @ with a non-integer r: the principal power ---------------------------------------------

POWERS: dict[str, tuple[int, Callable[[], QiskitGate], list[int], float]] = {
    "pow(0.5) @ x q[0];": (1, XGate, [0], 0.5),
    "pow(0.5) @ y q[0];": (1, YGate, [0], 0.5),
    "pow(0.5) @ z q[0];": (1, ZGate, [0], 0.5),
    "pow(1.5) @ h q[0];": (1, HGate, [0], 1.5),
    "pow(-0.25) @ rx(0.7) q[0];": (1, lambda: RXGate(0.7), [0], -0.25),
    "pow(0.5) @ U(0.3, 0.2, 2.0) q[0];": (1, lambda: UGate(0.3, 0.2, 2.0), [0], 0.5),
    "pow(2.5) @ sx q[0];": (1, SXGate, [0], 2.5),
    "pow(0.5) @ cx q[1], q[0];": (2, CXGate, [1, 0], 0.5),
    "pow(0.7) @ cu(0.1, 0.2, 0.3, 0.4) q[0], q[1];": (2, lambda: CUGate(0.1, 0.2, 0.3, 0.4), [0, 1], 0.7),
    "pow(0.3) @ negctrl @ ctrl @ h q[0], q[1], q[2];": (3, lambda: HGate().control(2, ctrl_state=0b10, annotated=False), [0, 1, 2], 0.3),
    # an audit: powers of gates that are not a controlled one-qubit gate were refused (sqrt(swap),
    # sqrt(iswap)); their principal power's matrix is written as library gates (qhpc_interop.synthesis)
    "pow(0.5) @ swap q[1], q[0];": (2, SwapGate, [1, 0], 0.5),
    "pow(-0.25) @ ccx q[2], q[0], q[1];": (3, CCXGate, [2, 0, 1], -0.25),
    "pow(1.0 / 3) @ cswap q[0], q[2], q[1];": (3, CSwapGate, [0, 2, 1], 1 / 3),
    "pow(0.5) @ ctrl @ swap q[0], q[1], q[2];": (3, lambda: SwapGate().control(1, annotated=False), [0, 1, 2], 0.5),
}


@pytest.mark.parametrize("statement", sorted(POWERS))
def test_a_non_integer_power_is_the_principal_power(statement: str) -> None:
    n, gate, qubits, exponent = POWERS[statement]
    reference = Operator(_on(n, gate(), qubits)).power(exponent).data
    _assert_unitary(H + f"qubit[{n}] q;\n{statement}\n", reference)


def test_a_non_integer_power_of_a_defined_two_qubit_gate_in_a_gate_body() -> None:
    # sqrt(iSWAP) as users write it: a defined iswap under pow(0.5), at top level and in a body
    iswap = "gate myiswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }\n"
    reference = Operator(_on(2, iSwapGate(), [0, 1])).power(0.5).data
    _assert_unitary(H + "qubit[2] q;\n" + iswap + "pow(0.5) @ myiswap q[0], q[1];\n", reference)
    text = H + "qubit[2] q;\n" + iswap + "gate root a, b { pow(0.5) @ myiswap a, b; }\nroot q[0], q[1];\n"
    _assert_unitary(text, reference)
    wide = "gate w a, b, c, d, e, f, g { cx a, b; cx c, d; cx e, f; cx f, g; }\n"
    with pytest.raises(QasmUnsupportedError, match="power of a 7-qubit gate is taken as its matrix, up to 6"):
        qasm3.loads(H + "qubit[7] q;\n" + wide + "pow(0.5) @ w q[0], q[1], q[2], q[3], q[4], q[5], q[6];\n")


def test_a_controlled_power_of_a_defined_gate_is_exact() -> None:
    text = H + "qubit[2] q;\ngate g a { h a; t a; }\nctrl @ pow(0.3) @ g q[1], q[0];\n"
    body = QuantumCircuit(1)
    body.h(0)
    body.t(0)
    powered = QuantumCircuit(1)
    powered.unitary(Operator(body).power(0.3).data, [0])
    _assert_unitary(text, _on(2, powered.to_gate().control(1, annotated=False), [1, 0]))


# -- angle[n]: fixed-point values on the ring ------------------------------------------------------

def _angles(text: str) -> list[float]:
    return [float(i.params[0]) for i in qasm3.loads(H + "qubit q;\n" + text).instructions]


@pytest.mark.parametrize(("program", "expected"), [
    # the cast from float: modulo 2 pi, then the nearest step of 2 pi / 2^n
    ("angle[4] a = pi / 3;\nrz(a) q;", [3 * PI / 8]),
    ("angle[4] a = -pi / 4;\nrz(a) q;", [7 * PI / 4]),
    # ties go to the even step; a huge value is taken modulo 2 pi first (no overflow)
    ("angle[3] a = 2 * pi * (1.5 / 8);\nangle[3] b = 2 * pi * (2.5 / 8);\nrz(a) q;\nrz(b) q;", [PI / 2, PI / 2]),
    ("angle[60] a = 1e300;\nrz(a) q;", [math.fmod(1e300, 2 * PI)]),
    ("angle[8] a = 2 * pi;\nrz(a) q;", [0.0]),
    ("angle a = -pi / 2;\nrz(a) q;", [3 * PI / 2]),
    # the specification's own examples (classical.rst, "Angles")
    ("angle[4] a = 7 * (pi / 8);\nangle[4] b = pi / 8;\nangle[4] c = 5 * (pi / 4);\nuint[4] two = 2;\n"
     "rz(a + b) q;\nrz(b - a) q;\nrz(a / two) q;\nrz(two * c) q;\nrz(c / b) q;",
     [PI, 5 * PI / 4, 3 * PI / 8, PI / 2, 10.0]),
    ("angle[4] a = pi / 4;\nangle[4] b = -a;\nrz(b) q;", [7 * PI / 4]),
    ("angle[4] a = 9 * (pi / 8);\nrz(a << 2) q;\nrz(a >> 2) q;", [PI / 2, PI / 4]),
    # compound assignment wraps; a narrower angle widens exactly; arrays of angles are angles
    ("angle[4] a = pi / 2;\na += pi;\nrz(a) q;\na *= 3;\nrz(a) q;", [3 * PI / 2, PI / 2]),
    ("array[angle[3], 2] arr = {pi, 3 * pi};\nrz(arr[0] + arr[1]) q;\nangle[4] w = arr[0];\nrz(w) q;", [0.0, PI]),
    # a bit of an angle is a bit of its pattern (pi/3 -> 0011 at 4 bits)
    ("angle[4] a = pi / 3;\nrz(a[0:3]) q;", [3.0]),
])
def test_fixed_point_angles_follow_the_specification(program: str, expected: list[float]) -> None:
    assert _angles(program) == pytest.approx(expected, abs=1e-12)


def test_an_angle_sum_wraps_before_a_controlled_rotation_uses_it() -> None:
    # 3pi/2 + 3pi/2 is pi on the ring; crx(3 pi) would differ from crx(pi) by a controlled sign
    text = H + "qubit[2] q;\nangle[2] a = 3 * pi / 2;\nangle[2] b = 3 * pi / 2;\nctrl @ rx(a + b) q[0], q[1];\n"
    _assert_unitary(text, _on(2, CRXGate(PI), [0, 1]))
    assert float(np.max(np.abs(_on(2, CRXGate(PI), [0, 1]) - _on(2, CRXGate(3 * PI), [0, 1])))) > 1.0


@pytest.mark.parametrize(("program", "error", "fragment"), [
    ("angle[4] a = pi;\nangle[4] b = pi;\nrz(a * b) q;", QasmSyntaxError, "two angles cannot be multiplied"),
    ("angle[4] a = pi;\nint[4] i = a;", QasmSyntaxError, r"cannot become a int\[4\]"),
    ("angle[4] a = pi;\nrz(2 / a) q;", QasmSyntaxError, "cannot be divided by an angle"),
])
def test_what_angles_cannot_do_is_a_named_error(program: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        qasm3.loads(H + "qubit q;\n" + program)


# -- indexing, #dim, bitwise not of a bit --------------------------------------------------------

@pytest.mark.parametrize(("operand", "qubits"), [
    ("q[{3, 1, 4}][2]", [4]),
    ("q[1:3][0:1]", [1, 2]),
    ("q[4:-1:0][1:2:3]", [3, 1]),
])
def test_an_index_of_a_selection_selects_from_it(operand: str, qubits: list[int]) -> None:
    circuit = qasm3.loads(H + f"qubit[5] q;\nx {operand};\n")
    assert [i.qubits[0] for i in circuit.instructions] == qubits


def test_an_alias_of_a_slice_can_be_sliced_again() -> None:
    circuit = qasm3.loads(H + "qubit[5] q;\nlet r = q[1:3];\nx r[1:2][0];\n")
    assert [i.qubits for i in circuit.instructions] == [(2,)]


def test_array_slices_read_rows_and_columns() -> None:
    program = ("array[int[8], 2, 3] m = {{1, 2, 3}, {4, 5, 6}};\narray[int[8], 2] row = m[1, 0:1];\nrz(row[1]) q;\n"
               "rz(m[0:1, 2][1]) q;\nrz(m[1][1:2][0]) q;")
    assert _angles(program) == [5.0, 6.0, 5.0]


def test_dim_parameters_take_arrays_of_any_size() -> None:
    program = ("def f(readonly array[int[8], #dim = 1] a, qubit r) { for int i in [0:sizeof(a) - 1] rz(a[i]) r; }\n"
               "array[int[8], 3] v = {1, 2, 3};\narray[int[8], 2] w = {4, 5};\nf(v, q);\nf(w, q);")
    assert _angles(program) == [1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.raises(QasmSyntaxError, match=r"is a array\[int\[8\], #dim = 2\], not a array\[int\[8\], 3\]"):
        qasm3.loads(H + "qubit q;\ndef g(readonly array[int[8], #dim = 2] m) { }\narray[int[8], 3] v = {1, 2, 3};\ng(v);\n")


def test_bitwise_not_of_one_measured_bit_is_its_negation() -> None:
    circuit = qasm3.loads(H + "qubit[2] q;\nbit b;\nb = measure q[0];\nif (~b) x q[1];\n")
    last = circuit.instructions[-1]
    assert last.name == "x" and last.condition is not None and last.condition.value == 0


@pytest.mark.parametrize(("condition", "reference"), [
    ("~c == 1", lambda c: expr.equal(expr.bit_not(c), 1)),
    ("~c < 2", lambda c: expr.less(expr.bit_not(c), 2)),
    ("1 <= ~c", lambda c: expr.less_equal(1, expr.bit_not(c))),
    ("~c != 3", lambda c: expr.not_equal(expr.bit_not(c), 3)),
    ("~~c == 1", lambda c: expr.equal(c, 1)),
    ("~c > 5", lambda c: expr.lift(False)),
])
def test_a_comparison_of_complemented_measured_bits_is_one_of_the_bits(
        condition: str, reference: Callable[[ClassicalRegister], expr.Expr]) -> None:
    text = H + f"qubit[3] q;\nbit[2] c;\nbit[1] d;\nh q[0];\nh q[1];\nc = measure q[0:1];\nif ({condition}) x q[2];\n" \
        "d[0] = measure q[2];\n"
    c, d = ClassicalRegister(2, "c"), ClassicalRegister(1, "d")
    qc = QuantumCircuit(QuantumRegister(3), c, d)
    qc.h([0, 1])
    qc.measure([0, 1], c)
    with qc.if_test(reference(c)):
        qc.x(2)
    qc.measure(2, d[0])
    assert_same_distribution(aer_counts(to_qiskit(qasm3.loads(text)), shots=4000), aer_counts(qc, shots=4000))
    with pytest.raises(QasmUnsupportedError, match="'~c'"):
        qasm3.loads(H + "qubit[2] q;\nbit[2] c;\nc = measure q;\nif (~c) x q[1];\n")


# -- a second audit: sized integers, bit patterns, phases, unreachable calls -------------------------

@pytest.mark.parametrize(("program", "expected"), [
    # bit[n] -> angle[n] is a per-bit copy (types.rst), not radians
    ("uint[4] k = 8;\nangle[4] a = angle[4](bit[4](k));\nrz(a) q;", [PI]),
    ("angle[4] a = pi;\nangle[4] b = angle[4](bit[4](a));\nrz(b) q;", [PI]),
    ('angle[4] a = angle[4]("1000");\nrz(a) q;', [PI]),
    # bit access, ~, shifts, popcount and rotations act on the n-bit representation
    ("uint[8] v = 200;\nrz(v[-1]) q;\nrz(v[-4:-1]) q;", [1.0, 12.0]),
    ("uint[4] v = 9;\nrz(v >> 1 | v << 3) q;", [12.0]),
    ("uint[4] v = 15;\nrz(~v) q;", [0.0]),
    ("int[8] v = -1;\nrz(popcount(v)) q;", [8.0]),
    ("int[4] v = -3;\nrz(v[3]) q;\nrz(v >> 1) q;\nrz(~v) q;", [1.0, -2.0, 2.0]),
    ("uint[6] b = 37;\nrz(rotl(b, 3)) q;\nrz(rotr(b, 1)) q;", [44.0, 50.0]),
    # unsigned values wrap when stored (C99's unsigned arithmetic)
    ("uint[8] v = 255;\nv += 1;\nrz(v) q;", [0.0]),
    ("uint[8] v = 255;\nuint[4] w = v << 2;\nrz(w) q;", [12.0]),
    # | and ^ of two widths take the wider (and do not depend on the order)
    ("uint[4] a = 1;\nuint[8] b = 240;\nrz(a | b) q;\nrz(b | a) q;\nrz(a ^ b) q;\nuint[8] d = a | b;\nrz(d) q;",
     [241.0, 241.0, 241.0, 241.0]),
    ('uint[8] b = 240;\nrz("0001" | b) q;', [241.0]),
    # index sets on arrays
    ("array[int[8], 4] arr = {1, 2, 3, 4};\narray[int[8], 2] b = arr[{3, 0}];\nrz(b[0]) q;\nrz(b[1]) q;", [4.0, 1.0]),
])
def test_sized_values_act_on_their_bits(program: str, expected: list[float]) -> None:
    assert _angles(program) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("program", [
    "angle[8] a = pi;\nrz(a + (1 << 2000)) q;", "angle a = pi;\nrz(a * (1 << 2000)) q;",
    "angle[8] a = pi;\nif (a < (1 << 2000)) x q;", "angle a = 1 << 2000;", "float f = 1 << 2000;",
])
def test_integers_too_large_for_a_float_are_named_errors(program: str) -> None:
    with pytest.raises(QasmSyntaxError, match="too large"):
        qasm3.loads(H + "qubit q;\n" + program + "\n")


def test_signed_overflow_and_negative_shifts_are_named_errors() -> None:
    with pytest.raises(QasmSyntaxError, match=r"128 does not fit in int\[8\]"):
        qasm3.loads(H + "qubit q;\nint[8] v = 127;\nv += 1;\n")
    with pytest.raises(QasmSyntaxError, match="cannot shift by -1"):
        qasm3.loads(H + "qubit q;\nangle[4] a = pi;\nrz(a << -1) q;\n")


def test_a_power_of_a_global_phase_is_the_principal_power() -> None:
    _assert_unitary(H + "qubit q;\npow(0.5) @ ctrl @ gphase(pi) q;\n", _on(1, SGate(), [0]))
    circuit = qasm3.loads(H + "pow(0.5) @ gphase(pi);\n")
    assert float(circuit.global_phase) == pytest.approx(PI / 2)


def test_controls_commute_with_inv_and_pow_whatever_their_order() -> None:
    # (negctrl-Y inverted) to the power 1.5, principal branch: inverting first matters at eigenvalue -1
    inverted = Operator(_on(2, YGate().control(1, ctrl_state=0, annotated=False), [0, 1])).power(-1)
    reference = inverted.power(1.5).data
    _assert_unitary(H + "qubit[2] q;\npow(1.5) @ inv @ negctrl @ y q[0], q[1];\n", reference)


def test_a_let_alias_takes_an_index_of_a_selection() -> None:
    circuit = qasm3.loads(H + "qubit[6] q;\nlet a = q[1:4][1:2];\nx a[1];\n")
    assert [i.qubits for i in circuit.instructions] == [(3,)]


@pytest.mark.parametrize("body", [
    "def g(int k) -> int { return k + 1; }\nif (c == 1) { if (c == 2) { x q[g(0)]; } }",
    "def f(qubit a) -> bit { return measure a; }\nif (c == 1) { if (c == 2) { c[0] = f(q[1]); } }",
    "if (c[0]) { if (!c[0]) { while (true) { x q[1]; break; } } }",
])
def test_calls_and_loops_inside_an_if_that_never_holds_end_as_they_do_anywhere(body: str) -> None:
    circuit = qasm3.loads(H + f"qubit[2] q;\nbit[2] c;\nc = measure q;\n{body}\n")
    assert [i.name for i in circuit.instructions] == ["measure", "measure"]


def test_the_principal_power_agrees_with_qiskits_on_random_and_degenerate_unitaries() -> None:
    from qhpc_interop.qasm.gatedefs import _principal_power
    from qiskit.quantum_info import random_unitary

    # degenerate spectra (I, -I, iI) and eigenvalues on the branch cut (Z, X) included
    unitaries = [random_unitary(2, seed=s).data for s in range(50)]
    unitaries += [np.eye(2), -np.eye(2), 1j * np.eye(2), np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])]
    for unitary in unitaries:
        for exponent in (0.5, -0.25, 1.5, 1 / 3, 2.7):
            ours = _principal_power(np.array(unitary, dtype=complex), exponent)
            assert float(np.max(np.abs(ours - Operator(unitary).power(exponent).data))) <= 1e-12
