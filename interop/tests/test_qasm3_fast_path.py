"""The OpenQASM 3 reader's fast path gives exactly what the token reader gives.

``Reader.fast`` switched off reads every statement token by token; both readings of the same
program must produce equal circuits (or the same positioned error), whatever the program holds.
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import Circuit, InteropError, qasm3
from qhpc_interop.qasm import reader3

HEADER = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def read_both(text: str) -> tuple[Circuit | str, Circuit | str]:
    out: list[Circuit | str] = []
    for fast in (True, False):
        reader3.Reader.fast = fast
        try:
            out.append(qasm3.loads(text))
        except InteropError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
        finally:
            reader3.Reader.fast = True
    return out[0], out[1]


ARGS = st.sampled_from(["0.5", "-pi/2", "pi", "3*pi/4", "1e-3", " - 2 * π / 3 ", "1/0", "7/2", "-7/2", "2**2",
                        "pi*", "1e400", ".5", "7.", "-0.0", "sin(1)", "tau/4", "euler", "1_000", "0x1f", "θ",
                        "12345678901234567890/7", "2*3", "-3*pi/4"])
STATEMENTS = st.one_of(
    st.builds(lambda g, a, b: f"{g} q[{a}],r[{b}];", st.sampled_from(["cx", "CX", "swap", "cz", "h", "bogus", "g2"]),
              st.integers(0, 3), st.integers(0, 2)),
    st.builds(lambda g, x, a: f"{g}({x}) q[{a}];", st.sampled_from(["rz", "rx", "U", "p", "h", "phase", "g"]), ARGS,
              st.integers(0, 3)),
    st.builds(lambda x, y, z: f"u3({x},{y},{z}) r;", ARGS, ARGS, ARGS),
    st.builds(lambda a, b: f"c[{a}] = measure q[{b}];", st.integers(0, 4), st.integers(0, 4)),
    st.sampled_from([
        "h q;", "cx q, r[1];", "cx q[0] , q[0];", "x q[1] // a comment\n;", "g(0.25) q[2];", "g2 q[2], q[3];",
        "barrier q, r;", "measure q -> c;", "c = measure q;", "c = measure r;", "b = measure s;", "s = measure b;",
        "reset r[0];", "if (c == 3) x q[0];", "cx q, r;", "// only a comment", "   \n\t", "id q[0];", "hq[0];",
        "h s;", "h s[0];", "x b;", "inv @ h q[0];", "ctrl @ x q[0], q[1];", "gphase(0.1);", "/* block */ h q[0];",
        "rz(theta) q[0];", "h q[-1];", "h q[4];", "pragma anything\nh q[0];", "c[0] = measure q[0:1];",
        "for int i in [0:1] { h q[i]; }", "int k = 2;", "const float w = 0.5;", "U(0.1, 0.2, 0.3) q[3];",
        "let a = q[1:2];", "x q[1]", "h θ;",
    ]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STATEMENTS, max_size=25), st.booleans())
def test_fast_and_token_readers_agree(statements: list[str], define: bool) -> None:
    body = "gate g(t) a { rz(t/2) a; }\ngate g2 a, b { cx a, b; gphase(0.5); }\n" if define else ""
    text = HEADER + ("input float theta;\nqubit[4] q;\nqubit[3] r;\nqubit s;\nbit[4] c;\nbit b;\n" + body
                     + "\n".join(statements) + "\n")
    fast, slow = read_both(text)
    assert fast == slow


def test_fast_path_values_are_bit_identical() -> None:
    rng = random.Random(5)
    lines = [f"rz({rng.uniform(-10, 10)!r}) q[{rng.randrange(3)}];" for _ in range(200)]
    lines += ["rx(-3*pi/4) q[0];", "ry(pi/3) q[1];", "u2(0,pi) q[2];", "u3(1e-7, -.25, 2.5e+2) q[0];",
              "rz(-7/2) q[1];", "rz(7/2*pi) q[2];"]
    fast, slow = read_both(HEADER + "qubit[3] q;\n" + "\n".join(lines) + "\n")
    assert isinstance(fast, Circuit) and fast == slow
    assert fast.instructions[-6].params == (-(3 * math.pi) / 4,)
    assert fast.instructions[-3].params == (1e-7, -0.25, 250.0)
    assert fast.instructions[-2].params == (-4.0,)  # OpenQASM 3 integer division floors, as in Qiskit
    assert fast.instructions[-1].params == (3 * math.pi,)


def test_errors_after_fast_statements_keep_their_position() -> None:
    text = HEADER + "qubit[2] q;\n" + "h q[0];\n" * 10 + "cx q[0], q[5];\n"
    with pytest.raises(InteropError) as err:
        qasm3.loads(text)
    assert "index 5 out of range" in str(err.value) and err.value.line == 14 and err.value.column == 12


def test_a_name_running_into_its_operand_is_not_split() -> None:
    # 'hq[0]' is a call of the gate hq, not h on q[0]
    with pytest.raises(InteropError, match="unknown gate 'hq'"):
        qasm3.loads(HEADER + "qubit[1] q;\nhq[0];\n")


HEADERS = st.sampled_from(["OPENQASM 3." + "0" * 1200 + ";\n", "\n" * 30 + "OPENQASM 3.0;\n",
                           "OPENQASM 3.0;\n", "OPENQASM 3;", "OPENQASM 3.1;\n", "// c\nOPENQASM 3.0;\n", "OPENQASM 2.0;\n",
                           "OPENQASM 3.;\n", "/* b */ OPENQASM 3.0;\n", "", "OPENQASM 3.0\n", " OPENQASM\t3.0 ;",
                           "OPENQASM 3.0.1;\n", "OPENQASM 31;\n", "pragma p\nOPENQASM 3.0;\n"])
DECLARATIONS = st.sampled_from([
    'include "stdgates.inc";', 'include "stdgates.inc" ;', "include 'stdgates.inc';", 'include "other.inc";',
    "qubit[3] a;", "qubit b;", "qubit[ 2 ]c;", "bit[2] d;", "bit e;", "qreg f[2];", "creg g[3];", "creg g1;",
    "qreg f1;", "qubit[0] z;", "qubit[012] z2;", "bit[2] for;", "qubit[2] h;", "qubit[2] U;", "bit[1] pi;",
    "qubit[99999999] big;", "qubit[2]\nnl;", "qubit[2] θ;", "bit[2] d2 = 0;", "x $0;", "qubit[1+1] e2;",
    "gate h a { U(0, 0, 0) a; }", "h a[1];", "cx a[0], b;", "x f;", "cx c[0], c[1];", "d = measure c;",
    "qubit[2] a;", "bit e;", "qubit[1_0] u;", "input float t;", "qubitx;", "bits[2] y;",
])


@settings(max_examples=400, deadline=None)
@given(HEADERS, st.lists(DECLARATIONS, max_size=12))
def test_fast_and_token_readers_agree_on_headers_and_declarations(header: str, statements: list[str]) -> None:
    fast, slow = read_both(header + "\n".join(statements) + "\n")
    assert fast == slow


def test_fast_declarations_keep_positions_for_later_errors() -> None:
    # a register declared on the fast path is named, with its line, when it is declared again
    text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n\nqubit[2] q;\nbit[2] c;\nh q[0];\nqubit r;\n  bit[1] q;\n'
    with pytest.raises(InteropError) as err:
        qasm3.loads(text)
    assert "'q' is already declared (line 4)" in str(err.value) and err.value.line == 8 and err.value.column == 10
    circuit = qasm3.loads(text.replace("  bit[1] q;", "c = measure q;"))
    assert (circuit.num_qubits, circuit.num_clbits, [r.name for r in circuit.qregs]) == (3, 2, ["q", "r"])


@pytest.mark.parametrize("second", ["h q[0], q[1];", "ccx q[0], q[1];", "h q;", "cx q[0], q[1];"])
def test_operands_read_once_are_checked_against_each_gate(second: str) -> None:
    # the fast path remembers what an operand text means; a gate of another arity on the same text
    # still gets the token reader's error, or its broadcast
    fast, slow = read_both(HEADER + f"qubit[2] q;\ncx q[0], q[1];\nh q;\n{second}\n")
    assert fast == slow
