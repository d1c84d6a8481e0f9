"""Pathological programs fail fast with a positioned error instead of exhausting time or memory."""

from __future__ import annotations

import time

import pytest
from qhpc_interop import QasmSyntaxError, QasmUnsupportedError, qasm2, qasm3

HEADER2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
HEADER3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def test_deep_nesting_is_a_syntax_error_with_a_position() -> None:
    text = HEADER2 + "qreg q[1];\nrx(" + "(" * 5000 + "1" + ")" * 5000 + ") q[0];\n"
    with pytest.raises(QasmSyntaxError, match="nests too deeply") as err:
        qasm2.loads(text)
    assert err.value.line == 4


def test_exponentially_expanding_definitions_stop_at_the_limit() -> None:
    defs = "gate g0 a { h a; h a; }\n" + "".join(f"gate g{k} a {{ g{k - 1} a; g{k - 1} a; }}\n" for k in range(1, 41))
    start = time.perf_counter()
    with pytest.raises(QasmUnsupportedError, match="expands to more than 1000000 gates"):
        qasm2.loads(HEADER2 + "qreg q[1];\n" + defs + "g40 q[0];\n")
    assert time.perf_counter() - start < 20


def test_huge_registers_are_refused_where_declared() -> None:
    with pytest.raises(QasmUnsupportedError, match="3000000 bits exceeds") as err:
        qasm2.loads("OPENQASM 2.0;\nqreg q[3000000];\n")
    assert (err.value.line, err.value.column) == (2, 8)
    with pytest.raises(QasmUnsupportedError, match="3000000 bits exceeds"):
        qasm3.loads("OPENQASM 3.0;\nqubit[3000000] q;\n")


def test_huge_powers_are_refused() -> None:
    text = HEADER3 + "qubit q;\ngate g a { " + "h a; " * 100 + "}\npow(60000) @ g q;\n"
    with pytest.raises(QasmUnsupportedError, match=r"pow\(60000\)"):
        qasm3.loads(text)
