"""Conditions in both OpenQASM readers: what the model holds, checked against Qiskit and Aer.

Every program here is run twice in Aer: as qhpc read it (translated instruction for instruction by
``to_qiskit``) and as Qiskit reads it (``qiskit.qasm2/qasm3.loads``), or, where Qiskit's reader
cannot read the program, as the equivalent circuit built with Qiskit's own classical expressions.
The distributions must agree.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import qiskit.qasm2
import qiskit.qasm3
from qhpc_interop import QasmSyntaxError, QasmUnsupportedError, qasm2, qasm3
from qiskit import QuantumCircuit
from qiskit.circuit.classical import expr

from ._qasm_helpers import aer_counts, assert_same_distribution, to_qiskit

HEADER3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'
HEADER2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def ours3(text: str) -> dict[str, float]:
    return aer_counts(to_qiskit(qasm3.loads(text)))


# -- (b) a broadcast statement that writes the bits its condition reads ------------------------------

SELF_WRITING = {
    # x on both qubits, then measure both into c only if c[0] was 0 before the statement: 11
    "braceless broadcast": HEADER3 + "qubit[2] q;\nbit[2] c;\nx q;\nif (!c[0]) c = measure q;\n",
    "block broadcast": HEADER3 + "qubit[2] q;\nbit[2] c;\nx q;\nif (!c[0]) { c = measure q; }\n",
    "arrow form": HEADER3 + "qubit[2] q;\nbit[2] c;\nx q;\nif (c[0] == false) measure q -> c;\n",
    "high bit read": HEADER3 + "qubit[3] q;\nbit[3] c;\nx q;\nif (c[2] == false) c = measure q;\n",
    "read bit written in the middle": HEADER3 + "qubit[3] q;\nbit[3] c;\nh q;\nif (!c[1]) c = measure q;\n",
    "superposed": HEADER3 + "qubit[2] q;\nbit[2] c;\nh q;\nc[1] = measure q[1];\nif (c[1]) c = measure q;\n",
    # outside-style audit: an if block that ends writing its condition bit, with an else (was refused);
    # the else block goes first, testing the bit before the if block writes it
    "if block writes, else block acts": HEADER3 + "qubit[3] q;\nbit[3] c;\nh q[0];\nx q[1];\nc[0] = measure q[0];\n"
    "if (c[0]) { x q[2]; c[0] = measure q[1]; } else { h q[2]; x q[1]; }\nc[1] = measure q[1];\nc[2] = measure q[2];\n",
}


@pytest.mark.parametrize("name", sorted(SELF_WRITING))
def test_a_broadcast_measurement_that_writes_its_condition_bit_tests_the_condition_once(name: str) -> None:
    text = SELF_WRITING[name]
    assert_same_distribution(ours3(text), aer_counts(qiskit.qasm3.loads(text)))


def test_the_braceless_broadcast_gives_11_as_qiskit_does() -> None:
    text = SELF_WRITING["braceless broadcast"]
    assert aer_counts(qiskit.qasm3.loads(text)) == {"11": 1.0}
    assert ours3(text) == {"11": 1.0}


@pytest.mark.parametrize(("text", "line", "column"), [
    # every bit the condition reads is written: the model would test the new values
    (HEADER3 + "qubit[2] q;\nbit[2] c;\nx q;\nif (c == 0) c = measure q;\n", 6, 13),
    (HEADER3 + "qubit[2] q;\nbit[2] c;\nif (c == 0) { c[0] = measure q[0]; x q[1]; }\n", 5, 36),
    # both branches write it: whichever comes first, the other would see the write
    (HEADER3 + "qubit[2] q;\nbit[2] c;\nif (c[0]) { c[0] = measure q[0]; } else { c[0] = measure q[1]; }\n", 5, 36),
])
def test_writes_that_would_change_a_later_instructions_condition_are_refused(text: str, line: int,
                                                                               column: int) -> None:
    with pytest.raises(QasmUnsupportedError, match=r"write?s? (a bit|bits) its condition reads") as err:
        qasm3.loads(text)
    assert (err.value.line, err.value.column) == (line, column)


def test_openqasm2_measuring_the_whole_condition_register_is_refused_not_misread() -> None:
    text = HEADER2 + "qreg q[2];\ncreg c[2];\nx q;\nif (c == 0) measure q -> c;\n"
    # what the statement means (the condition tested once), as Qiskit's OpenQASM 3 reader reads it;
    # Qiskit's OpenQASM 2 reader conditions each measurement separately and gives 01
    meaning = HEADER3 + "qubit[2] q;\nbit[2] c;\nx q;\nif (c == 0) { measure q -> c; }\n"
    assert aer_counts(qiskit.qasm3.loads(meaning)) == {"11": 1.0}
    with pytest.raises(QasmUnsupportedError, match=r"write?s? (a bit|bits) its condition reads") as err:
        qasm2.loads(text)
    assert (err.value.line, err.value.column) == (6, 13)


def test_openqasm2_one_conditioned_measurement_of_the_condition_register_reads() -> None:
    text = HEADER2 + "qreg q[2];\ncreg c[1];\ncreg d[1];\nx q;\nif (c == 0) measure q[0] -> c[0];\n" \
        "if (c == 1) measure q[1] -> d[0];\n"
    assert_same_distribution(aer_counts(to_qiskit(qasm2.loads(text))), aer_counts(qiskit.qasm2.loads(text)))


# -- condition forms, against circuits built with Qiskit's classical expressions ---------------------

PREPARE = HEADER3 + "qubit[4] q;\nbit[3] c;\nbit d;\nh q[0];\nh q[1];\nh q[2];\nc = measure q[0:2];\n"


def _reference(condition: Callable[[QuantumCircuit], object] | None, body: str = "x",
               orelse: str | None = None) -> QuantumCircuit:
    qc = QuantumCircuit(4, 4)
    qc.h([0, 1, 2])
    qc.measure([0, 1, 2], [0, 1, 2])
    if condition is None:
        getattr(qc, body)(3)
    else:
        with qc.if_test(condition(qc)) as else_:  # type: ignore[arg-type]
            getattr(qc, body)(3)
        if orelse is not None:
            with else_:
                getattr(qc, orelse)(3)
    qc.measure(3, 3)
    return qc


def _c(qc: QuantumCircuit) -> object:
    return qc.cregs[0]


CONDITIONS: dict[str, tuple[str, Callable[[QuantumCircuit], object] | None]] = {
    "and, not": ("c[0] && !c[1]", lambda qc: expr.logic_and(qc.clbits[0], expr.logic_not(qc.clbits[1]))),
    "or": ("c[0] || c[2]", lambda qc: expr.logic_or(qc.clbits[0], qc.clbits[2])),
    "greater": ("c > 2", lambda qc: expr.greater(_c(qc), 2)),  # type: ignore[arg-type]
    "less or equal": ("c <= 5", lambda qc: expr.less_equal(_c(qc), 5)),  # type: ignore[arg-type]
    "flipped": ("3 < c", lambda qc: expr.greater(_c(qc), 3)),  # type: ignore[arg-type]
    "not equal": ("c != 5", lambda qc: expr.not_equal(_c(qc), 5)),  # type: ignore[arg-type]
    "negated equality": ("!(c == 3)", lambda qc: expr.not_equal(_c(qc), 3)),  # type: ignore[arg-type]
    "bool cast": ("bool(c)", lambda qc: expr.not_equal(_c(qc), 0)),  # type: ignore[arg-type]
    "uint cast": ("uint[3](c) >= 4", lambda qc: expr.greater_equal(_c(qc), 4)),  # type: ignore[arg-type]
    "signed cast": ("int[3](c) == -2", lambda qc: expr.equal(_c(qc), 6)),  # type: ignore[arg-type]
    "signed order": ("int[3](c) < 0", lambda qc: expr.greater_equal(_c(qc), 4)),  # type: ignore[arg-type]
    "slice": ("c[1:2] == 2", lambda qc: expr.logic_and(expr.logic_not(qc.clbits[1]), qc.clbits[2])),
    "bit string": ('c == "101"', lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    "bool literals": ("c[1] == true && c[2] != false", lambda qc: expr.logic_and(qc.clbits[1], qc.clbits[2])),
    "mixed with constants": ("(1 < 2) && c[0]", lambda qc: expr.lift(qc.clbits[0])),
    "never (value does not fit)": ("c == 9", lambda qc: expr.equal(_c(qc), 9)),  # type: ignore[arg-type]
    "always (compile-time true)": ("true", None),
    "decided at read time": ("2 * 3 == 6 || c[0]", None),
    "precedence": ("c[0] || c[1] && c[2]",
                   lambda qc: expr.logic_or(qc.clbits[0], expr.logic_and(qc.clbits[1], qc.clbits[2]))),
    # integers computed from measured bits by bitwise operators, read by their truth table (an
    # outside audit found `(a & 5) == 4`, which Qiskit's writer emits, refused)
    "mask": ("(c & 5) == 4", lambda qc: expr.equal(expr.bit_and(_c(qc), 5), 4)),  # type: ignore[arg-type]
    "parity": ("c[0] ^ c[1]", lambda qc: expr.bit_xor(qc.clbits[0], qc.clbits[1])),
    # (Aer cannot run shifts or ~ in a condition: the references are the same sets of values, by hand)
    "shift": ("(c >> 1) == 1", lambda qc: expr.logic_and(qc.clbits[1], expr.logic_not(qc.clbits[2]))),  # c in {2, 3}
    "complement or": ("(~c | 1) == 7", lambda qc: expr.logic_not(expr.logic_or(qc.clbits[1], qc.clbits[2]))),  # c in {0, 1}
    "bits compared": ("c[0] == c[2]", lambda qc: expr.equal(qc.clbits[0], qc.clbits[2])),
    "masked as a condition": ("bool(c & 6)", lambda qc: expr.not_equal(expr.bit_and(_c(qc), 6), 0)),  # type: ignore[arg-type]
    # an unsized int or uint is a machine integer, at least 32 bits wide: an outside audit found them
    # cut to the register's 3 bits (so (int(c) << 1) == 10 never held); references by hand again
    "unsized shift": ("(int(c) << 1) == 10", lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    "unsized wide shift": ("(uint(c) << 2) > 7", lambda qc: expr.greater_equal(_c(qc), 2)),  # type: ignore[arg-type]
    "unsized or": ("(uint(c) | 8) == 13", lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    "unsized xor": ("(uint(c) ^ 255) == 250", lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    "unsized int complement": ("~int(c) == -6", lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    # (a review: an int[3] widened to an unsized int was zero-extended, losing its sign, and a
    # machine integer's complement beside a sized register was cut to the register's width)
    "signed widened": ("int(int[3](c)) == -3", lambda qc: expr.equal(_c(qc), 5)),  # type: ignore[arg-type]
    "signed widened order": ("int(int[3](c)) < 0", lambda qc: expr.greater_equal(_c(qc), 4)),  # type: ignore[arg-type]
    "complement or itself": ("(~int(c) | c) == -1", None),
}


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_condition_forms_match_qiskit_classical_expressions(name: str) -> None:
    condition, reference = CONDITIONS[name]
    text = PREPARE + f"if ({condition}) x q[3];\nd = measure q[3];\n"
    assert_same_distribution(ours3(text), aer_counts(_reference(reference)))


@pytest.mark.parametrize("name", ["and, not", "or", "greater", "not equal", "signed order", "slice"])
def test_else_gets_the_negated_condition(name: str) -> None:
    condition, reference = CONDITIONS[name]
    text = PREPARE + f"if ({condition}) {{ x q[3]; }} else {{ h q[3]; }}\nd = measure q[3];\n"
    assert_same_distribution(ours3(text), aer_counts(_reference(reference, "x", "h")))


def test_a_false_condition_known_when_reading_skips_its_block_unread() -> None:
    # the skipped block names a register that does not exist: it is never read
    text = PREPARE + "if (false) { x nowhere[7]; } else x q[3];\nif (1 > 2) x q[3]; else if (true) h q[3];\n" \
        "d = measure q[3];\n"
    qc = _reference(None, "x")
    qc.data.pop()  # the final measurement, re-added after the h
    qc.h(3)
    qc.measure(3, 3)
    assert_same_distribution(ours3(text), aer_counts(qc))


def test_nested_ifs_are_conjunctions_and_their_elses_negations() -> None:
    text = PREPARE + """
        if (c[0]) {
            if (c[1]) { x q[3]; } else { if (!c[2]) h q[3]; }
        } else if (c == 6) {
            x q[3];
        }
        d = measure q[3];
    """
    qc = QuantumCircuit(4, 4)
    qc.h([0, 1, 2])
    qc.measure([0, 1, 2], [0, 1, 2])
    with qc.if_test((qc.clbits[0], True)) as else_:
        with qc.if_test((qc.clbits[1], True)) as inner_else:
            qc.x(3)
        with inner_else:
            with qc.if_test((qc.clbits[2], False)):
                qc.h(3)
    with else_:
        with qc.if_test((qc.cregs[0], 6)):
            qc.x(3)
    qc.measure(3, 3)
    assert_same_distribution(ours3(text), aer_counts(qc))


def test_a_register_comparison_against_a_value_that_does_not_fit_never_holds() -> None:
    # a bit[2] read as an integer is 0..3, never 4: the program is the same without the if. (Qiskit
    # reads the if, and Aer then compares the value modulo 4 and runs x when c is 0.)
    text = HEADER3 + "qubit[2] q;\nbit[2] c;\nh q;\nc = measure q;\nif (c == 4) x q[0];\nc[0] = measure q[0];\n"
    circuit = qasm3.loads(text)
    assert [i.name for i in circuit.instructions] == ["h", "h", "measure", "measure", "measure"]
    without = text.replace("if (c == 4) x q[0];\n", "")
    assert_same_distribution(ours3(text), aer_counts(qiskit.qasm3.loads(without)))


# -- (g) valid OpenQASM 3 the model cannot hold says what it is ------------------------------------

Q = HEADER3 + "qubit[2] q;\nbit[4] c;\n"  # the statements below are on line 5


@pytest.mark.parametrize(("statement", "column", "fragment"), [
    ("if (int[4](c) + 1 == 3) x q[0];", 15, "'+' on the measured bits 'c': real-time classical computation"),
    ("if (float(c) == 3) x q[0];", 11, "cannot become a float"),
    ("if (c * 2 == 3) x q[0];", 7, "'*' on the measured bits 'c'"),
    ("if ((c & 5) + 1 == 3) x q[0];", 13, "'+' on 'c & 5': real-time classical computation"),
    ("int[4] v = c & 5;", 12, "'c & 5' stored in 'v': real-time classical computation"),
    ("if (int[4](c & 5) == 1) x q[0];", 12, "can only be compared or tested in a condition"),
    # a review: stored, it was read again after its bits were measured anew (silently wrong)
    ("bool b = c[0] ^ c[1];", 10, "'c[0] ^ c[1]' stored in 'b': real-time classical computation"),
    # and a signed operand lost its sign (-4 >> 1 read as 2, not -2)
    ("if ((int[4](c) >> 1) < 0) x q[0];", 16, "'>>' on the signed value the measured bits 'c'"),
    ("if (int[3](c) == 1) x q[0];", 12, "'c' has 4 bit(s) and cannot be cast to int[3]"),
    ("rz(int[4](c)) q[0];", 4, "real-time classical computation on measured values"),
    ("if (c) x q[0];", 5, "without a comparison"),
    # what an unsized integer's width would decide, and a bool compared with a number it cannot be
    ("if (~uint(c) == 2) x q[0];", 5, "depends on the implementation's integer width"),
    ("if ((int(c) << 30) > 0) x q[0];", 13, "past 31 bits"),
    ("if (bool(c) == 2) x q[0];", 13, "a bool is true or false"),
    # a machine integer's shift by a negative count (~int(c)) or by 32 or more, and a signed int[n]
    # made an unsized uint (a review: read as shifts the other way, and zero-extended)
    ("if ((8 >> ~int(c)) == 16) x q[0];", 8, "shift is defined for a non-negative value and a count from 0 to 31"),
    ("if ((uint(c) >> 40) == 0) x q[0];", 14, "shift is defined for a non-negative value"),
    ("if (uint(int[4](c)) == 5) x q[0];", 10, "cannot become an unsized uint"),
])
def test_unsupported_conditions_name_what_is_unsupported(statement: str, column: int, fragment: str) -> None:
    with pytest.raises((QasmUnsupportedError, QasmSyntaxError)) as err:
        qasm3.loads(Q + statement + "\n")
    assert fragment in err.value.reason and "undeclared identifier" not in err.value.reason
    assert (err.value.line, err.value.column) == (5, column)


def test_a_cast_of_the_whole_register_is_read_as_its_value() -> None:
    text = Q + "h q;\nc[0:1] = measure q;\nif (int[4](c) == 3) x q[0];\nc[2] = measure q[0];\n"
    plain = text.replace("int[4](c) == 3", "c == 3")
    assert qasm3.loads(text) == qasm3.loads(plain)
    assert_same_distribution(ours3(text), aer_counts(qiskit.qasm3.loads(plain)))


def test_a_switch_on_an_integer_computed_from_measured_bits() -> None:
    # (a review found it refused as "the switch target must be a constant integer")
    text = PREPARE + "switch (c & 3) { case 1, 2 { x q[3]; } default { h q[3]; } }\nd = measure q[3];\n"
    qc = _reference(lambda qc: expr.logic_or(expr.equal(expr.bit_and(_c(qc), 3), 1),  # type: ignore[arg-type]
                                             expr.equal(expr.bit_and(_c(qc), 3), 2)), "x", "h")  # type: ignore[arg-type]
    assert_same_distribution(ours3(text), aer_counts(qc))
