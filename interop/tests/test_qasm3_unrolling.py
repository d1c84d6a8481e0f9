"""OpenQASM 3 read by unrolling what is known when the program is read: loops, subroutines,
classical variables, arrays, aliases, box, delay, switch.

Oracles, all independent of qhpc's reader: circuits Qiskit builds (by Python code doing what the
program says, or Qiskit circuits exported by ``qiskit.qasm3.dumps`` that qhpc then reads), Qiskit's
own reader where it can read the program, and pyqasm's unrolling (read back by Qiskit) where pyqasm
is installed. Unitaries are compared exactly (global phase included); programs that measure are
compared by Aer's distributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import qiskit.qasm3
from qhpc_interop import Circuit, QasmSyntaxError, QasmUnsupportedError, qasm3
from qhpc_interop.testing import circuit_unitary, process_fidelity
from qiskit import QuantumCircuit
from qiskit.circuit.classical import expr
from qiskit.quantum_info import Operator

from ._qasm_helpers import aer_counts, assert_same_distribution, to_qiskit

H = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def assert_unitary(circuit: Circuit, reference: QuantumCircuit) -> None:
    ours, theirs = circuit_unitary(circuit), Operator(reference).data
    assert ours.shape == theirs.shape
    assert float(np.max(np.abs(ours - theirs))) <= 1e-9


def build(n: int, steps: Callable[[QuantumCircuit], object]) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    steps(qc)
    return qc


# -- programs and the circuits they mean, built in Python with Qiskit ---------------------------------

def _for_modify(qc: QuantumCircuit) -> None:
    qc.h(range(4))
    j = 0
    for i in range(3):
        qc.cx(i, i + 1)
        qc.h(j)
        j += i
    qc.h(j)


def _ripple(qc: QuantumCircuit) -> None:
    a_in, b_in = 1, 15
    for i in range(4):
        if a_in >> i & 1:
            qc.x(1 + i)
        if b_in >> i & 1:
            qc.x(5 + i)
    for i in (2, 1, 0):
        qc.ccx(1 + i, 5 + i + 1, 1 + i + 1)


def _qft(qc: QuantumCircuit) -> None:
    n = 4
    for i in range(n):
        qc.h(i)
        for j in range(i + 1, n):
            qc.cp(math.pi / 2 ** (j - i), j, i)
    for i in range(n // 2):
        qc.swap(i, n - 1 - i)


def _layers(qc: QuantumCircuit) -> None:
    theta = [0.1, 0.25, -0.4]
    for layer in range(2):
        for k in range(3):
            qc.ry(theta[k] * (layer + 1), k)
        for k in range(2):
            qc.cx(k, k + 1)
    qc.rz(theta[0] + theta[2], 0)


PROGRAMS: dict[str, tuple[str, int, Callable[[QuantumCircuit], object]]] = {
    "for over a range": (H + "qubit[4] q;\nh q;\nfor int i in [0:2] { cx q[i], q[i+1]; }\n", 4,
                         lambda qc: (qc.h(range(4)), [qc.cx(i, i + 1) for i in range(3)])),
    "for without a type, negative step": (H + "qubit[4] q;\nfor i in [3:-1:1] { ry(0.2 * i) q[i]; cx q[i], q[i-1]; }\n",
                                          4, lambda qc: [(qc.ry(0.2 * i, i), qc.cx(i, i - 1)) for i in (3, 2, 1)]),
    "for over a set": (H + "qubit[4] q;\nfor uint i in {1, 3, 0} { rx(0.1 * i) q[i]; }\n", 4,
                       lambda qc: [qc.rx(0.1 * i, i) for i in (1, 3, 0)]),
    "loop variable shadows, outer variable updated": (
        H + "qubit[4] q;\nint j = 0;\nh q;\nfor int i in [0:2] { cx q[i], q[i+1]; h q[j]; j += i; }\nh q[j];\n",
        4, _for_modify),
    "nested loops, const bounds": (
        H + "const int n = 4;\nqubit[n] q;\nfor int i in [0:n-1] {\n  h q[i];\n"
        "  for int j in [i+1:n-1] { cp(pi / 2**(j - i)) q[j], q[i]; }\n}\n"
        "for int i in [0:n/2-1] { swap q[i], q[n-1-i]; }\n", 4, _qft),
    "bits of an integer select gates (ripple-carry inputs)": (
        H + "qubit[1] cin;\nqubit[4] a;\nqubit[4] b;\nuint[4] a_in = 1;\nuint[4] b_in = 15;\n"
        "for uint i in [0: 3] {\n  if (bool(a_in[i])) x a[i];\n  if (bool(b_in[i])) x b[i];\n}\n"
        "for uint i in [2: -1: 0] { ccx a[i], b[i+1], a[i+1]; }\n", 9, _ripple),
    "while, break, continue": (
        H + "qubit[4] q;\nint i = 0;\nwhile (i < 4) { if (i == 1) { i += 1; continue; } h q[i]; i += 1; }\n"
        "for int k in [0:3] { if (k == 2) break; x q[k]; }\n", 4,
        lambda qc: ([qc.h(i) for i in (0, 2, 3)], [qc.x(k) for k in (0, 1)])),
    "subroutine with qubit and float arguments": (
        H + "def f(qubit a, float[64] b) { rx(b) a; float[64] c = 2 * b; rx(c) a; }\nqubit q;\nfloat[64] r = 0.7;\n"
        "f(q, r);\n", 1, lambda qc: (qc.rx(0.7, 0), qc.rx(1.4, 0))),
    "subroutine returning a value": (
        H + "def f(qubit q, int[32] n) -> float[64] { h q; return n * 0.25; }\nqubit[2] q;\n"
        "float[64] r = f(q[1], 3);\nrx(r) q[0];\nrz(f(q[0], 1) + 1) q[1];\n", 2,
        lambda qc: (qc.h(1), qc.rx(0.75, 0), qc.h(0), qc.rz(1.25, 1))),
    "subroutines calling subroutines in loops": (
        H + "def f(qubit q1, float[64] a) { h q1; rx(a) q1; }\n"
        "def g(qubit[2] q2, float[64] p) { f(q2[1], p); cx q2[0], q2[1]; }\n"
        "qubit[3] q;\nfor int i in [0:1] { g(q[i:i+1], 0.5 * (i + 1)); }\n", 3,
        lambda qc: [(qc.h(i + 1), qc.rx(0.5 * (i + 1), i + 1), qc.cx(i, i + 1)) for i in range(2)]),
    "subroutine over a register, loop inside, const global": (
        H + "const float[64] angle0 = 0.3;\ndef layer(qubit[3] r) { for int i in [0:2] { ry(angle0 * i) r[i]; } }\n"
        "qubit[3] q;\nlayer(q);\nlayer(q);\n", 3, lambda qc: [qc.ry(0.3 * i, i) for _ in range(2) for i in range(3)]),
    "arrays: literal, element update, 2-D, sizeof, iteration": (
        H + "array[float[64], 3] theta = {0.1, 0.25, -0.4};\nqubit[3] q;\n"
        "for int layer in [0:1] {\n  for int k in [0:sizeof(theta) - 1] { ry(theta[k] * (layer + 1)) q[k]; }\n"
        "  for int k in [0:1] { cx q[k], q[k+1]; }\n}\n"
        "array[int[8], 2, 2] pick = {{0, 1}, {2, 3}};\nrz(theta[pick[0][0]] + theta[pick[1, 0]]) q[0];\n", 3, _layers),
    "arrays passed to and updated in a loop": (
        H + "array[int[32], 4] order = {3, 1, 0, 2};\nqubit[4] q;\nfor int v in order { h q[v]; }\n"
        "order[0] = 2;\nx q[order[0]];\n", 4, lambda qc: ([qc.h(v) for v in (3, 1, 0, 2)], qc.x(2))),
    "aliases: slices, concatenation, alias of alias": (
        H + "qubit[5] q;\nlet a = q[1:3];\nlet b = q[0] ++ q[4];\nlet c = a[1:] ++ b;\ncx a[0], b[1];\nh a;\n"
        "swap c[0], c[3];\nx c[-1];\n", 5,
        lambda qc: (qc.cx(1, 4), qc.h([1, 2, 3]), qc.swap(2, 4), qc.x(4))),
    "box read as its contents": (H + "qubit[2] q;\nbox { h q[0]; cx q[0], q[1]; }\nbox[100ns] { x q[1]; }\n", 2,
                                 lambda qc: (qc.h(0), qc.cx(0, 1), qc.x(1))),
    "switch on a constant": (
        H + "const int i = 5;\nqubit q;\nswitch (i) { case 1, 3, 5 { x q; } case 2 { y q; } default { z q; } }\n"
        "switch (i + 1) { case 1, 3, 5 { x q; } case 2 { y q; } default { h q; } }\n", 1,
        lambda qc: (qc.x(0), qc.h(0))),
    "integer, float and bool variables": (
        H + "qubit[3] q;\nint[8] k = 2;\nk *= 3;\nk -= 5;\nuint[4] m = 0b1011;\nm >>= 2;\nfloat[64] th = pi / 4;\n"
        "th += 0.5;\nbool flag = k > 0 && !(m == 3);\nrx(th) q[k];\nif (flag) h q[m];\nif (!flag) x q[m];\n", 3,
        lambda qc: (qc.rx(math.pi / 4 + 0.5, 1), qc.h(2))),
    "scopes: block locals shadow and vanish": (
        H + "qubit[3] q;\nint i = 2;\n{ int i = 0; x q[i]; i += 1; x q[i]; }\nh q[i];\n", 3,
        lambda qc: (qc.x(0), qc.x(1), qc.h(2))),
    "gate body with a loop over parameters": (
        H + "gate rep(θ) a { for int k in [1:3] { rz(θ * k) a; } }\nqubit q;\nrep(0.2) q;\n", 1,
        lambda qc: [qc.rz(0.2 * k, 0) for k in (1, 2, 3)]),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_unrolled_program_matches_the_circuit_it_means(name: str) -> None:
    text, width, steps = PROGRAMS[name]
    assert_unitary(qasm3.loads(text), build(width, steps))


def test_unrolled_programs_match_pyqasm() -> None:
    """pyqasm unrolls the same programs; Qiskit reads its output (a second, independent unroller).
    pyqasm rewrites some gates up to a global phase (cp as rz/rx/cx), so the phase is not compared."""
    pyqasm = pytest.importorskip("pyqasm")
    compared = 0
    for _name, (text, _width, _steps) in sorted(PROGRAMS.items()):
        try:
            module = pyqasm.loads(text)
            module.unroll()
            reference = qiskit.qasm3.loads(pyqasm.dumps(module))
            theirs = Operator(reference).data
        except Exception:  # programs pyqasm or Qiskit cannot handle (aliases with ++, bits of integers...)
            continue
        ours = circuit_unitary(qasm3.loads(text))
        assert ours.shape == theirs.shape
        assert process_fidelity(ours, theirs) >= 1 - 1e-9, _name
        compared += 1
    assert compared >= 8


# -- programs Qiskit writes (qiskit.qasm3.dumps of circuits with control flow) ----------------------------

def _with_measurements(qc: QuantumCircuit) -> tuple[dict[str, float], dict[str, float]]:
    text = qiskit.qasm3.dumps(qc)
    return aer_counts(to_qiskit(qasm3.loads(text))), aer_counts(qc)


def test_qiskit_for_loop_export_reads_back() -> None:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    with qc.for_loop(range(0, 5, 2)) as i:
        qc.rx(i * 0.5, 1)
        qc.cx(0, 1)
    with qc.for_loop(range(3)):
        qc.ry(0.3, 2)
    qc.measure(range(3), range(3))
    ours, theirs = _with_measurements(qc)
    assert_same_distribution(ours, theirs)


def test_qiskit_switch_export_reads_back() -> None:
    # Qiskit writes 'int switch_dummy; switch_dummy = c; switch (switch_dummy) {...}'
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1])
    qc.measure([0, 1], [0, 1])
    with qc.switch(qc.cregs[0]) as case:
        with case(0):
            qc.x(2)
        with case(1, 2):
            qc.h(2)
        with case(case.DEFAULT):
            qc.ry(0.7, 2)
    qc.measure(2, 2)
    text = qiskit.qasm3.dumps(qc)
    assert "switch_dummy" in text
    ours, theirs = _with_measurements(qc)
    assert_same_distribution(ours, theirs)


def test_qiskit_if_else_box_and_delay_export_reads_back() -> None:
    def circuit(boxed: bool) -> QuantumCircuit:
        qc = QuantumCircuit(3, 3)
        qc.h(0)
        qc.measure(0, 0)
        with qc.if_test((qc.clbits[0], True)) as else_:
            qc.x(1)
        with else_:
            qc.h(1)
            with qc.if_test(expr.logic_not(qc.clbits[0])):
                qc.x(2)
        if boxed:
            with qc.box():
                qc.cx(1, 2)
        else:
            qc.cx(1, 2)
        qc.delay(100, 0, unit="ns")
        qc.measure([1, 2], [1, 2])
        return qc

    text = qiskit.qasm3.dumps(circuit(boxed=True))
    assert "box" in text and "delay" in text and "else" in text
    # Aer has no box: the reference runs its contents in place
    assert_same_distribution(aer_counts(to_qiskit(qasm3.loads(text))), aer_counts(circuit(boxed=False)))


# -- switch on measured bits, written by hand ----------------------------------------------------------

def test_a_variable_holding_measured_bits_reads_them_unsigned_unless_cast_to_their_width() -> None:
    text = H + """
        qubit[3] q;
        bit[2] c;
        bit d;
        x q[0];
        x q[1];
        c = measure q[0:1];
        int wide = c;
        int[2] narrow = c;
        if (wide == 3) x q[2];
        if (narrow == -1) x q[2];
        d = measure q[2];
    """
    # c is 3: the unsized int holds 3, the 2-bit signed one holds -1; both ifs run: q[2] ends in 0
    assert aer_counts(to_qiskit(qasm3.loads(text))) == {"011": 1.0}


def test_switch_on_measured_bits_conditions_each_case() -> None:
    text = H + """
        qubit[3] q;
        bit[2] c;
        bit d;
        h q[0];
        h q[1];
        c = measure q[0:1];
        switch (c) {
            case 0 { x q[2]; }
            case 1, 2 { h q[2]; }
            default { ry(0.7) q[2]; }
        }
        d = measure q[2];
    """
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1])
    qc.measure([0, 1], [0, 1])
    with qc.switch(qc.cregs[0]) as case:
        with case(0):
            qc.x(2)
        with case(1, 2):
            qc.h(2)
        with case(case.DEFAULT):
            qc.ry(0.7, 2)
    qc.measure(2, 2)
    assert_same_distribution(aer_counts(to_qiskit(qasm3.loads(text))), aer_counts(qc))


def test_measuring_subroutine_assigned_to_bits() -> None:
    text = H + """
        def ymeasure(qubit q) -> bit { s q; h q; return measure q; }
        qubit[2] q;
        bit[2] c;
        h q[0];
        c[0] = ymeasure(q[0]);
        if (c[0] == true) { ry(-pi / 2) q[1]; }
        bit e = ymeasure(q[1]);
    """
    qc = QuantumCircuit(2, 3)
    qc.h(0)
    qc.s(0)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], True)):
        qc.ry(-math.pi / 2, 1)
    qc.s(1)
    qc.h(1)
    qc.measure(1, 2)
    assert_same_distribution(aer_counts(to_qiskit(qasm3.loads(text))), aer_counts(qc))


def test_delay_is_a_barrier_on_its_qubits_and_announced() -> None:
    from qhpc_interop.errors import ConversionLossWarning

    with pytest.warns(ConversionLossWarning, match=r"<qasm>: the program model holds no timing, so reading drops a "
                                                   r"delay at line 6, a delay at line 9 \(a delay is read as a barrier"):
        circuit = qasm3.loads(H + "qubit[3] q;\nduration d = 20ns;\nx q[0];\ndelay[2 * d] q[0], q[2];\nx q[0];\n"
                                  "stretch st;\ndelay[st];\n")
    assert [(i.name, i.qubits) for i in circuit.instructions] == [
        ("x", (0,)), ("barrier", (0, 2)), ("x", (0,)), ("barrier", (0, 1, 2))]


# -- what stays refused, by name and position ------------------------------------------------------------

@pytest.mark.parametrize(("program", "line", "column", "fragment"), [
    ("qubit q;\nbit c;\nc = measure q;\nwhile (c) { x q; c = measure q; }\n", 6, 1, "while loop on measured bits"),
    ("def f(int n) -> int { return f(n + 1); }\nint k = f(0);\n", 3, 30, "nest more than 64 deep"),
    ("extern f(int) -> int;\n", 3, 1, "extern functions"),
    ("qubit q;\nend;\n", 4, 1, "end statements"),
    ("def f(qubit a) { bit b; b = measure a; }\nqubit q;\nf(q);\n", 3, 18, "bits declared inside a block"),
    ("qubit q;\nbit c;\nint n = 0;\nc = measure q;\nif (c) { n += 1; }\n", 7, 10, "inside an if on measured bits"),
    ("def f(bit b, qubit a) { b = measure a; }\nqubit q;\nbit c;\nf(c, q);\n", 3, 25, "bit parameter 'b'"),
    ("qubit q;\nangle[4] c = 0;\nmeasure q -> c[0];\n", 5, 14, "measuring into the angle[4] variable 'c'"),
])
def test_what_cannot_be_unrolled_is_refused_by_name(program: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(QasmUnsupportedError) as err:
        qasm3.loads(H + program)
    assert fragment in err.value.reason, err.value.reason
    assert (err.value.line, err.value.column) == (line, column)


@pytest.mark.slow
def test_loops_stop_at_a_million_iterations_in_all() -> None:
    text = H + "qubit q;\nfor int i in [0:999] { for int j in [0:999] { for int k in [0:9] { } } }\n"
    with pytest.raises(QasmUnsupportedError, match="more than 1000000 iterations") as err:
        qasm3.loads(text)
    assert (err.value.line, err.value.column) == (4, 47)


@pytest.mark.parametrize(("program", "fragment"), [
    ("qubit q;\nbreak;\n", "'break' outside a loop"),
    ("return;\n", "'return' outside a subroutine"),
    ("def f(qubit a) { h a; }\nqubit[2] q;\nf(q);\n", "is one qubit, not 2"),
    ("def f(qubit a) { h b; }\nqubit b;\nf(b);\n", "global register 'b' cannot be used inside a subroutine"),
    ("const int n = 3;\nn = 4;\n", "'n' is a const and cannot be assigned"),
    ("int n;\nqubit[2] q;\nh q[n];\n", "'n' is used before it is given a value"),
    ("for int i in [0:1] { qubit r; }\n", "'qubit' is only allowed at the top level"),
    ("switch (1) { case 1 { } case 1 { } }\n", "the case value 1 appears twice"),
    ("array[int[8], 2] a = {1, 2, 3};\n", "3 element(s) where the array has 2"),
])
def test_malformed_unrolled_programs_are_syntax_errors(program: str, fragment: str) -> None:
    with pytest.raises(QasmSyntaxError) as err:
        qasm3.loads(H + program)
    assert fragment in err.value.reason, err.value.reason


def test_a_box_duration_is_announced_as_dropped() -> None:
    from qhpc_interop.errors import ConversionLossWarning

    with pytest.warns(ConversionLossWarning, match="reading drops a box duration at line 4"):
        circuit = qasm3.loads(H + "qubit[1] q;\nbox[100ns] { x q[0]; }\nbox { x q[0]; }\n")
    assert [i.name for i in circuit.instructions] == ["x", "x"]


def test_a_delay_in_a_loop_is_announced_once_with_its_count() -> None:
    from qhpc_interop.errors import ConversionLossWarning

    with pytest.warns(ConversionLossWarning, match=r"drops a delay at line 5 \(10 times\) \(a delay"):
        qasm3.loads(H + "qubit[1] q;\nfor int i in [0:9] {\n  delay[10ns] q[0];\n  x q[0];\n}\n")
