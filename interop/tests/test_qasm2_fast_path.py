"""The OpenQASM 2 reader's fast path for plain gate calls gives exactly what the token reader gives.

``_Reader.fast`` switched off reads every statement token by token; both readings of the same
program must produce equal circuits (or the same positioned error), whatever the program holds.
"""

from __future__ import annotations

import math
import random
import resource
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import Circuit, InteropError, qasm2
from qhpc_interop import qasm2 as qasm2_module

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def read_both(text: str) -> tuple[Circuit | str, Circuit | str]:
    out: list[Circuit | str] = []
    for fast in (True, False):
        qasm2_module._Reader.fast = fast
        try:
            out.append(qasm2.loads(text))
        except InteropError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
        finally:
            qasm2_module._Reader.fast = True
    return out[0], out[1]


ARGS = st.sampled_from(["0.5", "-pi/2", "pi", "3*pi/4", "1e-3", " - 2 * pi / 3 ", "1/0", "2^2", "pi*", "1e400",
                        ".5", "7.", "-0.0", "sin(1)"])
STATEMENTS = st.one_of(
    st.builds(lambda g, a, b: f"{g} q[{a}],r[{b}];", st.sampled_from(["cx", "CX", "swap", "cz", "h", "bogus"]),
              st.integers(0, 3), st.integers(0, 2)),
    st.builds(lambda g, x, a: f"{g}({x}) q[{a}];", st.sampled_from(["rz", "rx", "u1", "U", "p", "h"]), ARGS,
              st.integers(0, 3)),
    st.builds(lambda x, y, z: f"u3({x},{y},{z}) r;", ARGS, ARGS, ARGS),
    st.builds(lambda a, b: f"measure q[{a}] -> c[{b}];", st.integers(0, 4), st.integers(0, 4)),
    st.sampled_from(["measure r -> c;", "measure q[0] -> c;", "measure c[0] -> q[0];", "measure q[1]->c[1];",
                     "measure  q [ 2 ] -> c[ 3 ] ;", "measure r[2] -> q[2];", "measure q -> r;", "measure q[0] c[0];",
                     "measure q[0] -> d;", "measure q -> d;", "measure r[1] -> d[0];"]),
    st.sampled_from(["h q;", "cx q, r[1];", "cx q[0] , q[0];", "x q[1] // a comment\n;", "g(0.25) q[2], q[3];",
                     "barrier q, r;", "measure q -> c;", "reset r[0];", "if (c == 3) x q[0];", "cx q, r;",
                     "// only a comment", "   \n\t", "id q[0];", "mygate q[1];", "u(1,2,3) q[0];", "hq[0];",
                     "cxq[0],r[1];", "rz(0.5)q[0];"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STATEMENTS, max_size=25), st.booleans())
def test_fast_and_token_readers_agree(statements: list[str], define: bool) -> None:
    body = "gate g(t) a, b { cx a, b; rz(t/2) b; }\n" if define else ""
    text = HEADER + "qreg q[4];\nqreg r[3];\ncreg c[4];\ncreg d[1];\n" + body + "\n".join(statements) + "\n"
    fast, slow = read_both(text)
    assert fast == slow


def test_fast_path_values_are_bit_identical() -> None:
    rng = random.Random(5)
    lines = [f"rz({rng.uniform(-10, 10)!r}) q[{rng.randrange(3)}];" for _ in range(200)]
    lines += ["rx(-3*pi/4) q[0];", "ry(pi/3) q[1];", "u2(0,pi) q[2];", "u3(1e-7, -.25, 2.5e+2) q[0];"]
    fast, slow = read_both(HEADER + "qreg q[3];\n" + "\n".join(lines) + "\n")
    assert isinstance(fast, Circuit) and fast == slow
    assert fast.instructions[-4].params == (-(3 * math.pi) / 4,)
    assert fast.instructions[-1].params == (1e-7, -0.25, 250.0)


def test_errors_after_fast_statements_keep_their_position() -> None:
    text = HEADER + "qreg q[2];\n" + "h q[0];\n" * 10 + "cx q[0], q[5];\n"
    with pytest.raises(InteropError) as err:
        qasm2.loads(text)
    assert "index 5 out of range" in str(err.value) and err.value.line == 14 and err.value.column == 12


def test_a_name_running_into_its_operand_is_not_split() -> None:
    # 'hq[0]' is a call of the gate hq: the fast path once read it as 'h q[0]'
    with pytest.raises(InteropError, match="unknown gate 'hq'"):
        qasm2.loads(HEADER + "qreg q[1];\nhq[0];\n")


@pytest.mark.slow
def test_a_million_gate_file_reads_in_linear_time_and_lean_memory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A million gates read in one pass: the peak memory added stays near what the circuit holds
    (~200 bytes per gate here; Qiskit's own QuantumCircuit takes about as much)."""
    rng = random.Random(1)
    lines = [HEADER + "qreg q[20];\ncreg c[20];"]
    for _ in range(1_000_000):
        r = rng.random()
        if r < 0.4:
            a, b = rng.sample(range(20), 2)
            lines.append(f"cx q[{a}],q[{b}];")
        elif r < 0.7:
            lines.append(f"rz({rng.uniform(-3, 3):.12f}) q[{rng.randrange(20)}];")
        else:
            lines.append(f"{rng.choice(['h', 'x', 's', 't'])} q[{rng.randrange(20)}];")
    path = tmp_path / "big.qasm"
    path.write_text("\n".join(lines) + "\nmeasure q -> c;\n")
    script = textwrap.dedent(f"""
        import resource
        from qhpc_interop import qasm2
        text = open({str(path)!r}).read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        circuit = qasm2.loads(text)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(len(circuit.instructions), (after - before) * 1024)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    count, added = map(int, done.stdout.split())
    assert count == 1_000_020
    assert added < 600 * 1_000_000  # bytes: well under 1 KB per gate (the issue saw 2.1 GB)
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss > 0


@pytest.mark.parametrize("second", ["h q[0], q[1];", "ccx q[0], q[1];", "h q;", "cx q[0], q[1];"])
def test_operands_read_once_are_checked_against_each_gate(second: str) -> None:
    # the fast path remembers what an operand text means; a gate of another arity on the same text
    # still gets the token reader's error, or its broadcast
    fast, slow = read_both(HEADER + f"qreg q[2];\ncx q[0], q[1];\nh q;\n{second}\n")
    assert fast == slow


HEADERS = st.sampled_from(["OPENQASM 2." + "0" * 1200 + ";\n", "\n" * 30 + "OPENQASM 2.0;\n",
                           "OPENQASM 2.0;\n", "OPENQASM 2;", "OPENQASM 2.;\n", "// c\nOPENQASM 2.0;\n", "OPENQASM 3.0;\n",
                           "OPENQASM 2.00 ;\n", "/* b */ OPENQASM 2.0;\n", "", "OPENQASM 2.0\n", " OPENQASM\t2.0 ;",
                           "OPENQASM 2.1;\n", "OPENQASM 20;\n", "OPENQASM 2.0e0;\n"])
DECLARATIONS = st.sampled_from([
    'include "qelib1.inc";', 'include "qelib1.inc" ;', 'include "other.inc";', "qreg a[3];", "qreg b [ 1 ] ;",
    "creg c[2];", "creg d[3];", "qreg z[0];", "qreg z2[012];", "qreg if[2];", "qreg h[2];", "qreg U[1];",
    "qreg cu1[1];", "qreg big[99999999];", "qreg nl\n[2];", "creg e;", "qreg a[2];", "creg a[1];",
    "gate h x { U(0, 0, 0) x; }", "gate g x { U(0, 0, 0) x; }", "qreg g[1];", "h a[1];", "cx a[0], b[0];",
    "x a;", "measure a -> d;", "measure a[0] -> c[1];", "qreg q[1_0];", "qregx[2];", "opaque o a;", "qreg o[1];",
])


@settings(max_examples=400, deadline=None)
@given(HEADERS, st.lists(DECLARATIONS, max_size=12))
def test_fast_and_token_readers_agree_on_headers_and_declarations(header: str, statements: list[str]) -> None:
    fast, slow = read_both(header + "\n".join(statements) + "\n")
    assert fast == slow


def test_fast_declarations_keep_positions_for_later_errors() -> None:
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n\nqreg q[2];\ncreg c[2];\nh q[0];\nqreg r[1];\n  creg q[1];\n'
    with pytest.raises(InteropError) as err:
        qasm2.loads(text)
    assert "'q' is already declared (line 4)" in str(err.value) and err.value.line == 8 and err.value.column == 8
    circuit = qasm2.loads(text.replace("  creg q[1];", "measure q -> c;"))
    assert (circuit.num_qubits, circuit.num_clbits, [r.name for r in circuit.qregs]) == (3, 2, ["q", "r"])
