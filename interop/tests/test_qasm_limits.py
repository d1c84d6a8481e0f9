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


def test_many_registers_are_refused_at_the_one_that_crosses_the_total_limit() -> None:
    # 1,000 declarations of 100,000 qubits: refused at the second, before anything large is built
    text = "OPENQASM 2.0;\n" + "".join(f"qreg q{k}[100000];\n" for k in range(1000))
    with pytest.raises(QasmUnsupportedError, match="brings the program to 200000 qubits") as err:
        qasm2.loads(text)
    assert (err.value.line, err.value.column) == (3, 9)
    text3 = "OPENQASM 3.0;\n" + "".join(f"bit[60000] c{k};\n" for k in range(10_000))
    with pytest.raises(QasmUnsupportedError, match="brings the program to 120000 classical bits") as err:
        qasm3.loads(text3)
    assert err.value.line == 3
    with pytest.raises(QasmUnsupportedError, match=r"physical qubit \$100000 is beyond"):
        qasm3.loads("OPENQASM 3.0;\nU(0, 0, 0) $100000;\n")


@pytest.mark.timeout(60)
def test_a_barrier_over_a_large_register_is_linear() -> None:
    circuit = qasm2.loads(HEADER2 + "qreg q[100000];\nbarrier q;\n")
    (barrier,) = circuit.instructions
    assert barrier.qubits == tuple(range(100_000))


@pytest.mark.parametrize("literal", ["1" * 100_000, "0." + "1" * 100_000, "1" * 5000])
@pytest.mark.parametrize("module, header, line", [(qasm2, HEADER2 + "qreg q[1];\n", "rx({}) q[0];"),
                                                  (qasm3, HEADER3 + "qubit q;\n", "rx({}) q;")])
def test_a_huge_numeric_literal_is_a_positioned_error(module, header, line, literal) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QasmSyntaxError, match=r"numeric literal of \d+ characters is too long") as err:
        module.loads(header + line.format(literal) + "\n")
    assert (err.value.line, err.value.column) == (4, 4)
    with pytest.raises(QasmSyntaxError, match="too long") as err:
        module.loads(header.replace("[1]", f"[{literal}]").replace("qubit q", f"qubit[{literal}] q"))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("filler", ["\n" * 200, "/" * 200 + "\n", "// note\n\n" * 100, " \t\n" * 200])
def test_long_blank_runs_and_comment_banners_read_in_linear_time(filler: str) -> None:
    # the fast paths' patterns skip blank space and line comments before a statement; a statement
    # they do not take after a long run of either must not make them backtrack exponentially
    # (200 blank lines took longer than the age of the universe before the skip became possessive)
    assert qasm3.loads(filler + "qubit q;\n" + filler + "int x = 1;\n" + filler + "U(0, 0, 0) q;\n").num_qubits == 1
    assert qasm3.loads(HEADER3 + filler + "qubit q;\n" + filler + "h q;\n").num_qubits == 1
    assert qasm2.loads(HEADER2 + filler + "qreg q[1];\n" + filler + "gate g a { h a; }\n" + filler + "g q;\n").num_qubits == 1


@pytest.mark.parametrize("module, version, declaration", [(qasm2, "2.", "qreg q[1];"), (qasm3, "3.", "qubit q;")])
def test_an_overlong_version_number_is_the_lexers_error(module, version, declaration) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QasmSyntaxError, match="numeric literal of 1202 characters is too long") as err:
        module.loads(f"OPENQASM {version}{'0' * 1200};\n{declaration}\n")
    assert (err.value.line, err.value.column) == (1, 10)


def _cap(monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """The program-wide instruction cap, lowered (the real one is 10,000,000: seconds and gigabytes)."""
    from qhpc_interop.qasm import control3, fast, reader_base

    monkeypatch.setattr(reader_base, "MAX_INSTRUCTIONS", limit)
    monkeypatch.setattr(fast, "MAX_INSTRUCTIONS", limit)
    monkeypatch.setattr(control3, "MAX_UNROLLED_INSTRUCTIONS", limit)


@pytest.mark.parametrize("module, program, line", [
    # straight-line calls of a definition (each under the per-definition limit), broadcasts, measurements:
    # 2,000 lines of "h q;" on 100,000 qubits read until memory ran out (3.7 GB)
    (qasm3, HEADER3 + "gate g a { h a; x a; }\nqubit[1] q;\n" + "g q[0];\n" * 600, 505),
    (qasm2, HEADER2 + "qreg q[100];\n" + "h q;\n" * 20, 14),
    (qasm3, HEADER3 + "qubit[100] q;\n" + "h q;\n" * 20, 14),
    (qasm3, HEADER3 + "qubit[100] q;\nbit[100] c;\n" + "c = measure q;\n" * 20, 15),
    (qasm2, HEADER2 + "gate g a { h a; x a; }\nqreg q[1000];\ng q;\n", 5),
    (qasm3, HEADER3 + "qubit[10] q;\n" + "if (true) { h q; }\n" * 200, 104),
])
def test_a_program_past_the_instruction_cap_is_refused_at_the_statement_that_crosses_it(
        monkeypatch: pytest.MonkeyPatch, module, program: str, line: int) -> None:  # type: ignore[no-untyped-def]
    _cap(monkeypatch, 1000)
    with pytest.raises(QasmUnsupportedError, match="expands to more than 1000 instructions in all") as err:
        module.loads(program)
    assert err.value.line == line
    _cap(monkeypatch, 100_000)
    assert len(module.loads(program).instructions) > 1000  # the same program, read under a higher cap


@pytest.mark.parametrize("declaration, size, column", [("array[int[32], 1000000000] a;", 1000000000, 16),
                                                        ("array[int[8], 1000, 1000] a;", 1000000, 21)])
def test_a_huge_array_is_refused_where_declared(declaration: str, size: int, column: int) -> None:
    # every element is held: array[int[32], 10**9] took 43 s and 3.7 GB, then failed with MemoryError
    with pytest.raises(QasmUnsupportedError, match=rf"an array of {size} elements; the reader holds at most 100000") as err:
        qasm3.loads(HEADER3 + "qubit[1] q;\n" + declaration + "\n")
    assert (err.value.line, err.value.column) == (4, column)
    assert qasm3.loads(HEADER3 + "qubit[1] q;\narray[int[8], 100, 1000] a;\na[99][999] = 3;\n").num_qubits == 1


@pytest.mark.parametrize("program, lines", [
    # a loop of many statements: iterations were counted, not the statements read again (1,000,000
    # iterations of 300 statements would have taken about an hour)
    (HEADER3 + "qubit[1] q;\nint v = 0;\nfor int i in [0:99999] {\n" + "v = v + 1;\n" * 30 + "}\n", range(6, 36)),
    # subroutines calling each other twice, 40 deep: said to be "loops" that run too many iterations
    (HEADER3 + "qubit[1] q;\ndef f0(qubit a) { x a; }\n"
     + "".join(f"def f{k}(qubit a) {{ f{k - 1}(a); f{k - 1}(a); }}\n" for k in range(1, 40)) + "f39(q[0]);\n", range(4, 44)),
])
def test_statements_run_again_by_loops_and_calls_are_bounded(monkeypatch: pytest.MonkeyPatch, program: str,
                                                              lines: range) -> None:
    from qhpc_interop.qasm import control3

    monkeypatch.setattr(control3, "MAX_REPLAYED_STATEMENTS", 5000)
    with pytest.raises(QasmUnsupportedError, match="loops and subroutine calls run more than 5000 statements") as err:
        qasm3.loads(program)
    assert err.value.line in lines  # (at the statement inside the body that crosses the bound)
    monkeypatch.setattr(control3, "MAX_REPLAYED_STATEMENTS", 4000)
    small = program.replace("[0:99999]", "[0:99]").replace("f39(q[0])", "f9(q[0])")
    assert qasm3.loads(small).num_qubits == 1


@pytest.mark.parametrize("levels, message, line", [(70, "nest more than 64 deep", 69), (4000, "nests too deeply", 204),
                                                   (100_000, "nests too deeply", 204)])
def test_deeply_nested_loops_are_refused_near_the_top_and_fast(levels: int, message: str, line: int) -> None:
    # each level read the levels inside it again: 100,000 levels took over 15 s, and the error
    # pointed at the innermost loop
    program = HEADER3 + "qubit[1] q;\n" + "".join(f"for int i{k} in [0:0] {{\n" for k in range(levels)) \
        + "x q[0];\n" + "}\n" * levels
    with pytest.raises((QasmSyntaxError, QasmUnsupportedError), match=message) as err:
        qasm3.loads(program)
    assert err.value.line == line  # (at the 65th loop, or the 201st bracket: not the innermost)
    nested = HEADER3 + "qubit[1] q;\n" + "".join(f"for int i{k} in [0:1] {{\n" for k in range(10)) + "x q[0];\n" + "}\n" * 10
    assert len(qasm3.loads(nested).instructions) == 2 ** 10
