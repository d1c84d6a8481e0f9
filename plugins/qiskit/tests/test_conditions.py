"""Qiskit conditions and parameter expressions read exactly, or refused by name.

Oracles: Aer's own simulation of the Qiskit circuit (for the condition forms Aer implements as
Qiskit documents them), Qiskit's own numeric evaluation of parameter expressions, and the
semantics Qiskit documents for casts (a cast to a narrower ``Uint`` truncates; a cast to ``Bool``
is "not zero"), and tables worked out by hand for the conditions Aer does not run (``Float``
casts, arithmetic).
"""

from __future__ import annotations

import math
import random
import re

import pytest
from qhpc import Integrator, JobRejectedError, TranslationError
from qhpc_interop import Condition
from qhpc_qiskit.translate import circuit_from_qiskit, circuit_to_qiskit, param_from_qiskit
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.circuit.classical import expr, types
from qiskit_aer import AerSimulator

SHOTS = 400


def aer_counts(qc: QuantumCircuit) -> dict[str, int]:
    raw = AerSimulator().run(qc, shots=SHOTS, seed_simulator=3).result().get_counts()
    return {k.replace(" ", ""): v for k, v in raw.items()}


def qhpc_counts(qc: QuantumCircuit, integrator: Integrator) -> dict[str, int]:
    return integrator.run(qc, backend="aer.statevector", shots=SHOTS, seed=3).counts


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as it:
        yield it


def prepared(value: int, width: int = 3) -> tuple[QuantumCircuit, ClassicalRegister, ClassicalRegister]:
    q = QuantumRegister(width + 1, "q")
    cr = ClassicalRegister(width, "cr")
    out = ClassicalRegister(1, "out")
    qc = QuantumCircuit(q, cr, out)
    for b in range(width):
        if value >> b & 1:
            qc.x(b)
    qc.measure(q[:width], cr)
    return qc, cr, out


@pytest.mark.parametrize("value", range(8))
@pytest.mark.parametrize("make", [
    lambda cr: expr.equal(expr.cast(cr, types.Uint(1)), 0),      # (d): the low bit is 0
    lambda cr: expr.equal(expr.cast(cr, types.Uint(2)), 3),      # the two low bits are 11
    lambda cr: expr.equal(cr, 5),
    lambda cr: expr.logic_and(cr[0], expr.logic_not(cr[2])),
    lambda cr: expr.equal(expr.bit_and(cr, 6), 2),               # bit 1 set, bit 2 clear
    lambda cr: expr.logic_not(expr.not_equal(cr, 4)),
], ids=["cast_uint1", "cast_uint2", "equal", "and_not", "mask", "not_not_equal"])
def test_conditions_that_fix_bits_run_as_aer_runs_them(integrator: Integrator, value: int, make) -> None:  # type: ignore[no-untyped-def]
    qc, cr, out = prepared(value)
    with qc.if_test(make(cr)):
        qc.x(3)
    qc.measure(3, out[0])
    assert qhpc_counts(qc, integrator) == aer_counts(qc)


def test_a_cast_to_bool_means_not_zero() -> None:
    """``cast(cr, Bool)`` is ``cr != 0``: one bit wide that is ``cr == 1``; wider, one copy of the
    block per exclusive alternative (``cr[1] == 1``, or ``cr[1] == 0`` and ``cr[0] == 1``)."""
    one = ClassicalRegister(1, "one")
    qc = QuantumCircuit(QuantumRegister(1), one)
    with qc.if_test(expr.cast(one, types.Bool())):
        qc.x(0)
    (inst,) = circuit_from_qiskit(qc).instructions
    assert inst.condition == Condition((0,), 1)
    wide = ClassicalRegister(2, "wide")
    qc2 = QuantumCircuit(QuantumRegister(1), wide)
    with qc2.if_test(expr.cast(wide, types.Bool())):
        qc2.x(0)
    copies = circuit_from_qiskit(qc2).instructions
    assert [(i.name, i.condition) for i in copies] == [("x", Condition((0, 1), 0b01)), ("x", Condition((1,), 1))]


#: Conditions Aer does not run (Float casts, arithmetic, negation: "unknown type" or "unknown op"),
#: each with the register values (``cr``, 3 bits) for which it holds, worked out by hand from
#: Qiskit's documented semantics: a ``Float`` cast is the number, ``Uint`` division truncates.
BEYOND_AER = {
    "float_greater": (lambda cr: expr.greater(expr.cast(cr, types.Float()), 4.5), {5, 6, 7}),
    "float_negate": (lambda cr: expr.less(expr.negate(expr.cast(cr, types.Float())), -1.5), {2, 3, 4, 5, 6, 7}),
    "float_divide": (lambda cr: expr.greater(expr.div(expr.cast(cr, types.Float()), 4.0), 0.6), {3, 4, 5, 6, 7}),
    "float_sum": (lambda cr: expr.equal(expr.add(expr.cast(cr, types.Float()), 0.5), 3.5), {3}),
    "uint_add": (lambda cr: expr.equal(expr.add(expr.cast(cr, types.Uint(4)), 3), 9), {6}),
    "uint_sub": (lambda cr: expr.equal(expr.sub(expr.cast(cr, types.Uint(4)), expr.lift(0, types.Uint(4))), 2), {2}),
    "uint_mul": (lambda cr: expr.less(expr.mul(expr.cast(cr, types.Uint(6)), 5), 12), {0, 1, 2}),
    "uint_div": (lambda cr: expr.equal(expr.div(cr, 3), 1), {3, 4, 5}),
}


@pytest.mark.parametrize("name", sorted(BEYOND_AER))
def test_float_and_arithmetic_conditions_hold_exactly_where_qiskit_says(name: str) -> None:
    """Before, a cast to ``Float`` was read as a cast to ``Bool`` (``float(cr) > 4.5`` never held:
    the conditioned gate vanished without a word) and arithmetic was refused. The converted circuit
    holds plain bit conditions, which Aer runs: its counts are compared with the hand-worked table."""
    make, holds = BEYOND_AER[name]
    for value in range(8):
        qc, cr, out = prepared(value)
        with qc.if_test(make(cr)):
            qc.x(3)
        qc.measure(3, out[0])
        converted = circuit_to_qiskit(circuit_from_qiskit(qc))
        expected = f"{int(value in holds)}{value:03b}"
        assert aer_counts(converted) == {expected: SHOTS}, (name, value)


@pytest.mark.parametrize(("make", "says"), [
    (lambda cr: expr.equal(expr.add(cr, 1), 0), "outside Uint(3)'s range"),  # 7 + 1 on three bits
    (lambda cr: expr.equal(expr.sub(cr, 1), 0), "outside Uint(3)'s range"),  # 0 - 1
    (lambda cr: expr.equal(expr.div(7, cr), 1), "divides by zero"),
    (lambda cr: expr.equal(expr.cast(expr.div(expr.cast(cr, types.Float()), 2.0), types.Uint(3)), 1),
     "casts Float() to Uint(3)"),
])
def test_conditions_qiskit_leaves_undefined_are_refused_by_name(make, says: str) -> None:  # type: ignore[no-untyped-def]
    qc, cr, _ = prepared(0)
    with qc.if_test(make(cr)):
        qc.x(3)
    with pytest.raises(TranslationError, match=re.escape(says)) as err:
        circuit_from_qiskit(qc)
    # where, and the expression as text (its repr ran to hundreds of characters)
    assert str(err.value).startswith("instruction ") and "Binary(" not in str(err.value)


def test_an_else_branch_on_one_bit_runs_as_aer_runs_it(integrator: Integrator) -> None:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)) as otherwise:
        qc.x(1)
    with otherwise:
        qc.h(1)
    qc.measure(1, 1)
    ours, theirs = qhpc_counts(qc, integrator), aer_counts(qc)
    assert set(ours) == set(theirs) == {"11", "00", "10"}
    for key in theirs:  # same distribution within shot noise
        assert abs(ours[key] - theirs[key]) < 5 * math.sqrt(SHOTS * 0.25)


def test_a_composite_block_that_writes_its_condition_bit_first_is_refused() -> None:
    """(c): the body measures into the condition bit, then acts. Splitting it into conditioned
    instructions would test the condition again after the write, so it is refused by name."""
    inner = QuantumCircuit(1, 1, name="measure_then_flip")
    inner.measure(0, 0)
    inner.x(0)
    qc = QuantumCircuit(1, 2)
    qc.x(0)
    with qc.if_test((qc.clbits[0], 0)):
        qc.append(inner.to_instruction(), [0], [0])
    qc.measure(0, 1)
    with pytest.raises(TranslationError, match=r"instruction 1 \(if_else\) > instruction 0 \(measure_then_flip\) > "
                       r"instruction 1 \(x\): comes after an instruction of the same if \(or switch\) that writes a "
                       r"bit its condition reads"):
        circuit_from_qiskit(qc)


def test_a_block_whose_last_operation_writes_the_condition_bit_is_kept(integrator: Integrator) -> None:
    qc = QuantumCircuit(2, 1)
    qc.x(0)
    with qc.if_test((qc.clbits[0], 0)):
        qc.x(1)
        qc.measure(0, 0)
    circuit = circuit_from_qiskit(qc)
    assert [(i.name, i.qubits, i.clbits, i.condition) for i in circuit.instructions] == [
        ("x", (0,), (), None), ("x", (1,), (), Condition((0,), 0)), ("measure", (0,), (0,), Condition((0,), 0))]
    # Aer 0.18 cannot load a circuit whose first measurement is conditioned ("Invalid jump
    # destination"): the Aer backends refuse it before running, by name
    with pytest.raises(JobRejectedError, match="first measurement is under a classical condition"):
        integrator.submit(qc, backend="aer.statevector")


@pytest.mark.parametrize("backend", ["aer.statevector", "aer.density_matrix", "aer.matrix_product_state"])
def test_a_conditioned_measurement_after_a_measurement_runs_on_aer(backend: str, integrator: Integrator) -> None:
    """Aer loads a conditioned measurement once an unconditioned one came first (it was refused
    whatever came before). Oracle: Aer run directly on the Qiskit circuit, and the analytic
    outcome: c1 copies c0 where c0 read 1, c2 reads 1."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)
    with qc.if_test((qc.clbits[0], 1)):
        qc.measure(1, 1)
    qc.x(2)
    qc.measure(2, 2)
    ours = integrator.run(qc, backend=backend, shots=SHOTS, seed=3).counts
    theirs = aer_counts(qc)
    assert set(ours) == set(theirs) == {"100", "111"}
    for key in theirs:
        assert abs(ours[key] - theirs[key]) < 5 * math.sqrt(SHOTS * 0.25)


def random_expression(rng: random.Random, params: list[Parameter], depth: int):  # type: ignore[no-untyped-def]
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(params) if rng.random() < 0.7 else rng.choice([2, 0.5, 3, -1.5])
    kind = rng.randrange(9)
    a = random_expression(rng, params, depth - 1)
    b = random_expression(rng, params, depth - 1)
    if kind == 0:
        return a + b
    if kind == 1:
        return a - b
    if kind == 2:
        return a * b
    if kind == 3 and not isinstance(b, int | float):
        return a / (b * b + 1)
    if kind == 4:
        return 2 ** (a if not isinstance(a, int | float) else params[0])
    if kind == 5 and not isinstance(a, int | float):
        return a.sin()
    if kind == 6 and not isinstance(a, int | float):
        return (a * a + 1).log()
    if kind == 7:
        return 3 - (a if not isinstance(a, int | float) else params[1])
    return 1.5 / ((a if not isinstance(a, int | float) else params[0]) ** 2 + 2)


def test_parameter_expressions_evaluate_as_qiskit_evaluates_them() -> None:
    """(e) and beyond: 300 random expressions, reverse operations included (``2 ** a``, ``3 - a``)."""
    rng = random.Random(9)
    params = [Parameter("a"), Parameter("b"), Parameter("c")]
    values = {"a": 0.31, "b": -0.77, "c": 1.9}
    checked = 0
    for _ in range(300):
        e = random_expression(rng, params, 4)
        if isinstance(e, int | float) or not getattr(e, "parameters", None):
            continue
        model = param_from_qiskit(e)
        expected = complex(e.bind({p: values[p.name] for p in e.parameters}).numeric()).real
        got = model.evaluate({p.name: values[p.name] for p in model.parameters})
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12), (str(e), str(model))
        checked += 1
    assert checked > 200


def test_a_power_of_a_parameter_runs(integrator: Integrator) -> None:
    a = Parameter("a")
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.rz(2**a, 0)
    qc.h(0)
    qc.measure(0, 0)
    result = integrator.run(qc, parameters={"a": 1.0}, shots=SHOTS, seed=1, backend="aer.statevector")
    bound = qc.assign_parameters({a: 1.0})
    assert result.counts == aer_counts(bound) or abs(result.counts.get("1", 0) - SHOTS * math.sin(1.0) ** 2) < 60


@pytest.mark.parametrize("bits", ["register", "registerless"])
@pytest.mark.parametrize("form", ["bit", "register value", "expr"])
def test_a_condition_inside_a_definition_reads_the_bits_the_definition_was_given(bits: str, form: str,
                                                                                    integrator: Integrator) -> None:
    """An ``if_test`` inside a custom instruction's definition names the definition's own bits:
    they were looked up among the circuit's, so the condition read the wrong clbit (bits of a
    register) or failed with a KeyError (registerless bits). Oracle: Aer on the definition inlined
    by hand, with the clbits the instruction was appended on."""
    from qiskit.circuit import Clbit, Instruction, Qubit

    if bits == "register":
        sub = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(2, "c"), name="sub")
    else:
        sub = QuantumCircuit([Qubit(), Qubit(), Qubit()], [Clbit(), Clbit()], name="sub")
    sub.measure(0, 0)
    sub.measure(1, 1)
    creg = ClassicalRegister(bits=sub.clbits, name="m")
    sub.add_register(creg)
    condition = {"bit": (sub.clbits[0], 1), "register value": (creg, 1),
                 "expr": expr.logic_and(expr.logic_not(sub.clbits[1]), sub.clbits[0])}[form]
    with sub.if_test(condition):
        sub.x(2)
    inst = Instruction("sub", 3, 2, [])
    inst.definition = sub
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.append(inst, [0, 1, 2], [2, 0])  # the definition's clbit 0 is the circuit's clbit 2
    qc.measure(2, 1)
    # by hand: measure q0 -> c2, q1 -> c0, then x q2 where c2 reads 1 (and c0 reads 0)
    ref = QuantumCircuit(3, 3)
    ref.x(0)
    ref.measure(0, 2)
    ref.measure(1, 0)
    with ref.if_test(expr.logic_and(expr.logic_not(ref.clbits[0]), ref.clbits[2]) if form == "expr"
                     else (ref.clbits[2], 1)):
        ref.x(2)
    ref.measure(2, 1)
    assert aer_counts(ref) == {"110": SHOTS}
    assert qhpc_counts(qc, integrator) == {"110": SHOTS}
    model = circuit_from_qiskit(qc)
    assert all(i.condition is None or i.condition.register is None for i in model.instructions)


def _register_branches(value: int, kind: str) -> QuantumCircuit:
    """``value`` prepared in a 3-bit register ``r`` and measured, then branches on part of it."""
    qr, r, out = QuantumRegister(4, "q"), ClassicalRegister(3, "r"), ClassicalRegister(2, "o")
    qc = QuantumCircuit(qr, r, out)
    for k in range(3):
        if value >> k & 1:
            qc.x(k)
    qc.measure(range(3), r)
    if kind == "else":
        with qc.if_test((r, 2)) as otherwise:
            qc.x(3)
        with otherwise:
            qc.h(3)
            qc.s(3)
    elif kind == "less":
        with qc.if_test(expr.less(r, 5)):
            qc.x(3)
    elif kind == "bit":
        with qc.if_test(expr.logic_not(r[1])):
            qc.x(3)
    else:  # a switch with several values per case and a default
        with qc.switch(r) as case:
            with case(0, 6):
                qc.x(3)
            with case(case.DEFAULT):
                qc.h(3)
    qc.measure(3, out[0])
    return qc


@pytest.mark.parametrize("kind", ["else", "less", "bit", "switch"])
def test_conditions_on_part_of_a_register_are_written_to_openqasm_2_as_register_values(kind: str) -> None:
    # an audit found these refused as "a condition on the single bit r[0], which is not a whole
    # register" (the else branch of r == 2 is r[0] == 1 or r == 0, and so on): each is now one
    # if(r == v) per value v of the register that satisfies it. Judged by Aer on the original and
    # on what Qiskit's own reader makes of the text, for every value of the register
    import qhpc
    from qiskit import qasm2

    for value in range(8):
        qc = _register_branches(value, kind)
        text = qhpc.convert(qc, "qasm2")
        read = qasm2.loads(text)
        assert aer_counts(read) == aer_counts(qc), (kind, value, text)
    # a measurement into the register under such a condition is still refused: a later copy would
    # test the bit it wrote
    qc = _register_branches(0, "bit")
    with qc.if_test(expr.logic_not(qc.cregs[0][1])):
        qc.measure(0, qc.cregs[0][2])
    with pytest.raises(qhpc.QhpcError, match=r"condition on the single bit r\[1\].*writes register r"):
        qhpc.convert(qc, "qasm2")
    # unless one copy does: the register's other bits are unwritten (0), so one if tests it once,
    # before the measurement writes r[2] (an audit found this refused, blaming the single bit)
    for value in range(2):
        qr, r = QuantumRegister(2, "q"), ClassicalRegister(3, "r")
        qc = QuantumCircuit(qr, r)
        if value:
            qc.x(0)
        qc.x(1)
        qc.measure(0, r[0])
        with qc.if_test((r[0], 1)):
            qc.measure(1, r[2])
        text = qhpc.convert(qc, "qasm2")
        assert aer_counts(qasm2.loads(text)) == aer_counts(qc), (value, text)


def test_openqasm_2_through_myqlm_and_back_keeps_a_condition_on_a_merged_register() -> None:
    # an audit: myQLM merges the registers a[1] and b[7] into one c[8]; writing OpenQASM 2 again
    # needed 128 copies of the conditioned x (refused), where bits 1-7 are unwritten, so 0, at the if.
    # Judged by Aer on what Qiskit's own reader makes of the source and of the result
    pytest.importorskip("qhpc_myqlm")
    import qhpc
    from qiskit import qasm2

    source = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg a[1];\ncreg b[7];\nh q[0];\n'
              "measure q[0] -> a[0];\nif(a==1) x q[1];\nmeasure q[1] -> b[6];\n")
    again = qhpc.convert(qhpc.convert(source, "myqlm", source="qasm2"), "qasm2")
    assert "if(c==1) x q[1];" in again

    # (aer_counts joins the registers' bits: b a and c are the same 8 bits in the same order)
    assert aer_counts(qasm2.loads(again)) == aer_counts(qasm2.loads(source))


@pytest.mark.parametrize("target", ["cirq", "myqlm"])
def test_a_refusal_names_the_bits_as_the_source_registers_do(target: str) -> None:
    # an outside audit: "instruction 2 (if d==1: measure q[4] -> c[4])", where the program has no
    # c[4] (the model's flat clbit 4 is d[1])
    pytest.importorskip(f"qhpc_{target}")
    import qhpc

    q, c, d = QuantumRegister(5, "q"), ClassicalRegister(3, "c"), ClassicalRegister(2, "d")
    qc = QuantumCircuit(q, c, d)
    qc.h(0)
    qc.measure(0, d[0])
    with qc.if_test((d, 1)):
        qc.measure(4, d[1])
    with pytest.raises(TranslationError, match=re.escape("instruction 2 (if d==1: measure q[4] -> d[1])")):
        qhpc.convert(qc, target)


def test_a_condition_on_many_loose_bits_is_written_shallow_and_read_back_whole() -> None:
    # written as a chain of ands, a condition on 30,000 bits crashed the interpreter inside Qiskit's
    # expression code, and any and over more than 16 bits could not be read back (truth tables).
    # Aer runs the written circuit: x on q[0] only where the bits read the value (bit 0 set, bit 1
    # clear, bit 2 set, the rest clear)
    from qhpc_interop import Circuit as Model

    n = 40
    model = Model(2, n)
    model.x(1).measure(1, 0).measure(1, 2)  # clbits 0 and 2 read 1, the rest 0
    value = 0b101
    model.append("x", [0], condition=Condition(tuple(range(n)), value))
    model.measure(0, 1)
    written = circuit_to_qiskit(model)
    counts = AerSimulator(seed_simulator=3).run(written, shots=50).result().get_counts()
    assert counts == {"0" * (n - 3) + "111": 50}
    back = circuit_from_qiskit(written)
    assert [i.condition for i in back.instructions if i.condition is not None] == [Condition(tuple(range(n)), value)]
    wide = Model(1, 30001)
    wide.measure(0, 0)
    wide.append("x", [0], condition=Condition(tuple(range(30001)), 1))
    (read,) = [i.condition for i in circuit_from_qiskit(circuit_to_qiskit(wide)).instructions if i.condition]
    assert read.clbits == tuple(range(30001)) and read.value == 1
