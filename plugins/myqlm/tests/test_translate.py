"""qat.core.Circuit <-> model, checked against myQLM's own PyLinalg simulator and gate matrices."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np
import pytest
import qat.core.variables as qv
from qat.comm.datamodel.ttypes import GateDefinition, Op
from qat.core import Circuit as QCircuit
from qat.lang.AQASM import (
    CCNOT,
    CNOT,
    CSIGN,
    ISWAP,
    PH,
    RX,
    RY,
    RZ,
    SQRTSWAP,
    SWAP,
    AbstractGate,
    CustomGate,
    H,
    I,
    Program,
    QRoutine,
    S,
    T,
    X,
    Y,
    Z,
)
from qat.qpus import PyLinalg
from qhpc.errors import TranslationError
from qhpc.testing import check_translator_pair, proportion_ok
from qhpc_interop import STANDARD_GATES, Circuit, Condition, Gate, Parameter, UnitaryGate
from qhpc_interop.params import apply
from qhpc_interop.testing import circuit_unitary, measurement_probabilities, random_unitary
from qhpc_myqlm.translate import circuit_from_myqlm, circuit_to_myqlm

# -- the conformance kit ---------------------------------------------------------------------------


def test_conformance_kit(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    # exact, global phase included: the export writes the phase as PH X PH X gates
    check_translator_pair(circuit_to_myqlm, circuit_from_myqlm, native_unitary=myqlm_unitary)


def test_conformance_kit_with_the_global_phase_dropped(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    check_translator_pair(lambda c: circuit_to_myqlm(c, absorb_global_phase=False), circuit_from_myqlm,
                          native_unitary=myqlm_unitary, exact_phase=False, num_random=20)


# -- every model gate, exactly (phase included) in myQLM -------------------------------------------


@pytest.mark.parametrize("name", sorted(STANDARD_GATES))
def test_every_model_gate_is_exact_in_myqlm(name: str, myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(f"export {name}")
    spec = STANDARD_GATES[name]
    n = spec.num_qubits + 1
    c = Circuit(n)
    c.append(Gate(name, tuple(rng.uniform(-2 * math.pi, 2 * math.pi) for _ in spec.param_names)),
             rng.sample(range(n), spec.num_qubits))
    native = circuit_to_myqlm(c)
    expected = circuit_unitary(c)
    assert np.allclose(myqlm_unitary(native), expected, atol=1e-10)  # no phase to drop: exact
    assert np.allclose(circuit_unitary(circuit_from_myqlm(native)), expected, atol=1e-10)


def test_myqlm_library_matrices_are_the_model_gates_big_endian(big_little) -> None:  # type: ignore[no-untyped-def]
    """myQLM's own gate matrices against the model's library (the conventions the translator relies on)."""
    theta = 0.731
    pairs = [(H, "h", []), (X, "x", []), (Y, "y", []), (Z, "z", []), (S, "s", []), (T, "t", []), (I, "id", []),
             (RX(theta), "rx", [theta]), (RY(theta), "ry", [theta]), (RZ(theta), "rz", [theta]),
             (PH(theta), "p", [theta]), (CNOT, "cx", []), (CSIGN, "cz", []), (SWAP, "swap", []),
             (ISWAP, "iswap", []), (CCNOT, "ccx", [])]
    for gate, model, params in pairs:
        prog = Program()
        reg = prog.qalloc(STANDARD_GATES[model].num_qubits)
        prog.apply(gate, reg)
        circ = prog.to_circ()
        definition = circ.gateDic[circ.ops[0].gate]
        m = definition.matrix
        matrix = np.array([complex(z.re, z.im) for z in m.data]).reshape(m.nRows, m.nCols)
        assert np.allclose(big_little(matrix), STANDARD_GATES[model].matrix(params), atol=1e-12), model


# -- every myQLM gate and modifier, read exactly ---------------------------------------------------

_BASES = {
    "H": lambda r: H, "X": lambda r: X, "Y": lambda r: Y, "Z": lambda r: Z, "S": lambda r: S, "T": lambda r: T,
    "I": lambda r: I, "PH": lambda r: PH(r.uniform(-6, 6)), "RX": lambda r: RX(r.uniform(-6, 6)),
    "RY": lambda r: RY(r.uniform(-6, 6)), "RZ": lambda r: RZ(r.uniform(-6, 6)), "CNOT": lambda r: CNOT,
    "CSIGN": lambda r: CSIGN, "SWAP": lambda r: SWAP, "ISWAP": lambda r: ISWAP, "SQRTSWAP": lambda r: SQRTSWAP,
    "CCNOT": lambda r: CCNOT,
}
_VARIANTS = {
    "plain": lambda g: g,
    "dag": lambda g: g.dag(),
    "ctrl": lambda g: g.ctrl(),
    "ctrl.ctrl": lambda g: g.ctrl().ctrl(),
    "dag.ctrl.ctrl": lambda g: g.dag().ctrl().ctrl(),
    "ctrl.dag": lambda g: g.ctrl().dag(),
    "conj": lambda g: g.conj(),
    "trans.ctrl": lambda g: g.trans().ctrl(),
}


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
@pytest.mark.parametrize("base", sorted(_BASES))
def test_every_myqlm_gate_and_modifier_reads_exactly(base: str, variant: str, myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(f"{base} {variant}")
    gate = _VARIANTS[variant](_BASES[base](rng))
    arity = gate.arity
    n = arity + 1
    prog = Program()
    reg = prog.qalloc(n)
    prog.apply(gate, [reg[q] for q in rng.sample(range(n), arity)])
    circ = prog.to_circ()
    model = circuit_from_myqlm(circ)
    assert np.allclose(circuit_unitary(model), myqlm_unitary(circ), atol=1e-9)


def test_nested_modifiers_and_many_controls(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(6)
    prog.apply(RX(0.3).dag().ctrl().ctrl(), reg[4], reg[0], reg[2])
    prog.apply(H.ctrl().ctrl().ctrl().ctrl(), reg[5], reg[1], reg[3], reg[0], reg[2])
    prog.apply(PH(-1.3).ctrl().dag().ctrl().ctrl(), reg[0], reg[1], reg[2], reg[3])
    prog.apply(SQRTSWAP.dag().ctrl().trans(), reg[2], reg[5], reg[4])
    prog.apply(Y.conj().ctrl().ctrl().ctrl().ctrl().ctrl(), *[reg[q] for q in (5, 4, 3, 2, 1, 0)])
    circ = prog.to_circ()
    model = circuit_from_myqlm(circ)
    assert np.allclose(circuit_unitary(model), myqlm_unitary(circ), atol=1e-9)
    # decompositions only: no opaque matrices for library gates under control
    assert "unitary" not in model.gate_names()


# -- parameters ------------------------------------------------------------------------------------


def test_abstract_variables_and_expressions_bind_after_translation(myqlm_unitary, bind) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(3)
    theta, phi = prog.new_var(float, "theta"), prog.new_var(float, "phi")
    prog.apply(RX(2 * theta + 1), reg[0])
    prog.apply(RY(qv.sin(theta) * phi - 3), reg[1])
    prog.apply(RZ(theta).dag().ctrl(), reg[0], reg[2])
    prog.apply(PH(qv.sqrt(qv.abso(phi)) / qv.exp(theta) + qv.ln(phi**2 + 1)).ctrl().ctrl(), reg[0], reg[1], reg[2])
    prog.apply(RX(qv.cos(-theta) ** 2 - theta / phi).conj(), reg[2])
    prog.apply(RZ(qv.real(theta) + qv.vmax(theta, phi) + qv.imag(phi)), reg[1])
    circ = prog.to_circ()
    model = circuit_from_myqlm(circ)
    assert sorted(p.name for p in model.parameters) == ["phi", "theta"]
    rng = random.Random(5)
    for _ in range(4):
        values: dict[str | Parameter, float] = {"theta": rng.uniform(-3, 3),
                                                "phi": rng.uniform(0.2, 2) * rng.choice([-1, 1])}
        assert np.allclose(circuit_unitary(model.bind(values)), myqlm_unitary(bind(circ, values)), atol=1e-9)


def test_model_expressions_become_myqlm_variables_and_bind_there(myqlm_unitary, bind) -> None:  # type: ignore[no-untyped-def]
    a, b = Parameter("a"), Parameter("θ[0]")
    exprs = [a, 2 * a + 1, a * b - b / 3, -a, a**2, 2**a, apply("sin", a), apply("cos", b), apply("tan", a),
             apply("exp", a), apply("log", apply("abs", b) + 1), apply("sqrt", apply("abs", a)), apply("atan", a),
             apply("asin", apply("sin", a) / 2), apply("acos", apply("cos", b) / 3), apply("abs", a - b)]
    c = Circuit(2)
    for k, e in enumerate(exprs):
        c.rz(e, k % 2)
        c.cp(e * 0.5, 0, 1)
        c.ry(e, (k + 1) % 2)
    native = circuit_to_myqlm(c)
    assert sorted(native.get_variables()) == ["a", "θ[0]"]
    back = circuit_from_myqlm(native)
    # the inverse trigonometric functions come back as themselves, not as atan2
    assert {"asin", "acos", "atan"} <= {op for i in back for p in i.params for op in _ops(p)}
    cases: list[dict[str | Parameter, float]] = [{"a": 0.3, "θ[0]": -1.2}, {"a": -0.7, "θ[0]": 0.5},
                                                 {"a": 1.9, "θ[0]": 2.5}]
    for values in cases:
        expected = circuit_unitary(c.bind(values))
        assert np.allclose(myqlm_unitary(bind(native, values)), expected, atol=1e-9)
        assert np.allclose(circuit_unitary(back.bind(values)), expected, atol=1e-9)


def test_a_written_circuit_is_bound_and_inverted_by_myqlm_itself(myqlm_unitary, big_little) -> None:  # type: ignore[no-untyped-def]
    # an audit found bind_variables(...).dag() of every written circuit with RX/RY/RZ/PH refused by
    # PyLinalg ("Gate RZ has no matrix!"): the gate set carried CustomGate's signature, with which
    # myQLM's bind_variables drops the rotations' matrix generators. Judged by the model's unitary
    a = Parameter("a")
    c = Circuit(2, global_phase=a / 2).h(0).rz(a, 0).cx(0, 1).ry(2 * a + 0.1, 1).rx(0.4, 0).p(-a, 1)
    native = circuit_to_myqlm(c)
    for value in (0.3, -1.7):
        inverted = native.bind_variables({"a": value}).dag()
        assert np.allclose(myqlm_unitary(inverted), circuit_unitary(c.bind({"a": value})).conj().T, atol=1e-9)
    fixed = Circuit(2).h(0).rz(0.3, 0).cp(0.2, 0, 1).cx(1, 0).rx(-0.5, 1)
    inverted = circuit_to_myqlm(fixed).bind_variables({}).dag()
    assert np.allclose(myqlm_unitary(inverted), circuit_unitary(fixed).conj().T, atol=1e-9)
    # with a custom (matrix) gate the gate set needs CustomGate's signature; myQLM then drops the
    # generators for its own circuits too, and dag() of the unbound circuit is the way round
    u = random_unitary(4, random.Random(3))
    custom = Circuit(2).h(0).rz(0.3, 0).unitary(u, [0, 1]).cx(0, 1)
    assert np.allclose(myqlm_unitary(circuit_to_myqlm(custom).dag()), circuit_unitary(custom).conj().T, atol=1e-9)


def _ops(value: object) -> set[str]:
    from qhpc_interop.params import Apply

    if isinstance(value, Apply):
        return {value.op}.union(*(_ops(a) for a in value.args))
    return set()


@pytest.mark.parametrize("build, word", [
    (lambda t: qv.atan2(t, t + 1), "atan2"),
    (lambda t: qv.angle(t), "angle"),
    (lambda t: qv.atan2(2.0, t), "atan2"),
])
def test_myqlm_functions_the_model_lacks_are_refused_by_name(build, word: str) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(1)
    theta = prog.new_var(float, "theta")
    prog.apply(H, reg[0])
    prog.apply(RZ(build(theta)), reg[0])
    with pytest.raises(TranslationError, match=rf"operation 1 \(RZ\).*{word}"):
        circuit_from_myqlm(prog.to_circ())


def test_parameter_names_myqlm_cannot_take_are_written_under_new_names_and_bind_there(myqlm_unitary, bind) -> None:  # type: ignore[no-untyped-def]
    # an outside audit: names myQLM refuses (its function names, numbers, spaces) were refused,
    # where the OpenQASM 3 writer renames them; now written as other names, said in a warning
    from qhpc_interop.errors import ConversionLossWarning
    from qhpc_qiskit.translate import circuit_from_qiskit
    from qiskit.circuit import Parameter as QiskitParameter
    from qiskit.circuit import QuantumCircuit
    from qiskit.quantum_info import Operator

    names = ["sin", "sin_1", "two words", "nan", "1e3", "max", "x"]
    params = [QiskitParameter(n) for n in names]
    qc = QuantumCircuit(2, global_phase=params[0] / 2)
    for k, p in enumerate(params):
        qc.rx((k + 1) * p, k % 2)
        qc.cx(k % 2, 1 - k % 2)
    with pytest.warns(ConversionLossWarning, match=r"writes parameter 'sin' as 'sin_2'; parameter 'two words' as "
                      r"'two_words'; parameter 'nan' as '_nan'; parameter '1e3' as '_1e3'; parameter 'max' as "
                      r"'max_1': bindings use the names written"):
        native = circuit_to_myqlm(circuit_from_qiskit(qc))
    written = {"sin": "sin_2", "sin_1": "sin_1", "two words": "two_words", "nan": "_nan", "1e3": "_1e3",
               "max": "max_1", "x": "x"}
    assert sorted(native.get_variables()) == sorted(written.values())
    rng = random.Random(11)
    values = {n: rng.uniform(-2, 2) for n in names}
    expected = Operator(qc.assign_parameters({p: values[p.name] for p in params})).data  # both little-endian
    got = myqlm_unitary(bind(native, {written[n]: v for n, v in values.items()}))
    assert np.allclose(got, expected, atol=1e-9)  # global phase included


# -- custom gates ----------------------------------------------------------------------------------


def _unitary_generator(seed: int, dim: int):  # type: ignore[no-untyped-def]
    return lambda *_: random_unitary(dim, random.Random(seed))


def test_custom_matrix_gates_read_as_unitaries_with_bit_order_kept(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    def rot(t: float) -> np.ndarray:
        return np.array([[math.cos(t), -1j * math.sin(t)], [-1j * math.sin(t), math.cos(t)]]) @ np.diag([1, 1j])

    one = AbstractGate("MYROT", [float], arity=1, matrix_generator=rot)
    two = AbstractGate("MYTWO", [], arity=2, matrix_generator=_unitary_generator(3, 4))
    prog = Program()
    reg = prog.qalloc(4)
    prog.apply(H, reg[1])
    prog.apply(one(0.4), reg[2])
    prog.apply(one(0.4).dag().ctrl().ctrl(), reg[0], reg[3], reg[1])
    prog.apply(two(), reg[3], reg[0])  # asymmetric: a wrong bit order would show
    prog.apply(two().ctrl(), reg[1], reg[2], reg[3])
    prog.apply(two().trans(), reg[0], reg[2])
    prog.apply(CustomGate(random_unitary(4, random.Random(9))), reg[2], reg[1])
    circ = prog.to_circ()
    model = circuit_from_myqlm(circ)
    assert np.allclose(circuit_unitary(model), myqlm_unitary(circ), atol=1e-9)
    labels = {i.operation.label for i in model if isinstance(i.operation, UnitaryGate)}
    assert "MYROT" in labels and "MYTWO" in labels


def test_a_gate_known_only_by_its_matrix(myqlm_unitary, big_little) -> None:  # type: ignore[no-untyped-def]
    """A gate definition with no syntax at all, only a matrix (as other tools write them)."""
    from qat.comm.datamodel.ttypes import ComplexNumber, Matrix

    u = random_unitary(4, random.Random(11))  # big-endian over (q0, q1) as myQLM reads it
    template = Program()
    template.qalloc(2)
    base = template.to_circ()
    gate_dic = dict(base.gateDic)
    gate_dic["opaque"] = GateDefinition(name="opaque", arity=2, matrix=Matrix(
        nRows=4, nCols=4, data=[ComplexNumber(re=float(z.real), im=float(z.imag)) for z in u.flat]))
    circ = QCircuit(ops=[Op(gate="H", qbits=[1], type=0), Op(gate="opaque", qbits=[1, 0], type=0)],
                    gateDic=gate_dic, nbqbits=2, nbcbits=0, _gate_set=base._gate_set,
                    _serialized_gate_set=base._serialized_gate_set, var_dic={}, has_matrices=True)
    model = circuit_from_myqlm(circ)
    assert [i.name for i in model] == ["h", "unitary"]
    opaque = model.instructions[1].operation
    assert isinstance(opaque, UnitaryGate) and np.allclose(opaque.matrix(), big_little(u))
    assert np.allclose(circuit_unitary(model), myqlm_unitary(circ), atol=1e-10)


def test_model_unitaries_become_myqlm_matrix_gates(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(4)
    c = Circuit(3).h(0)
    c.unitary(random_unitary(4, rng), [2, 0], label="mine")
    c.unitary(random_unitary(2, rng), [1])
    c.unitary(random_unitary(8, rng), [1, 2, 0])
    native = circuit_to_myqlm(c)
    assert [name for name, _, _ in native.iterate_simple()].count("CustomGate") == 3
    assert np.allclose(myqlm_unitary(native), circuit_unitary(c), atol=1e-10)


def test_a_custom_gate_with_a_symbolic_parameter_is_refused_by_name() -> None:
    gate = AbstractGate("MYG", [float], arity=1, matrix_generator=lambda t: np.diag([1, np.exp(1j * t)]))
    prog = Program()
    reg = prog.qalloc(1)
    theta = prog.new_var(float, "theta")
    prog.apply(X, reg[0])
    prog.apply(gate(theta), reg[0])
    with pytest.raises(TranslationError, match=r"operation 1 \(MYG\).*symbolic.*bind"):
        circuit_from_myqlm(prog.to_circ())


def test_routines_and_boxed_implementations_are_inlined(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    from qat.lang.AQASM import QRoutine, build_gate

    @build_gate("BELLISH", [float], arity=2)
    def bellish(t: float) -> QRoutine:
        r = QRoutine()
        r.apply(H, 0)
        r.apply(RY(t), 1)
        r.apply(CNOT, 0, 1)
        return r

    routine = QRoutine()
    wires = routine.new_wires(3)
    routine.set_ancillae(wires[2])
    routine.apply(CNOT, wires[0], wires[2])
    routine.apply(RZ(0.3), wires[2])
    routine.apply(CNOT, wires[0], wires[2])
    routine.apply(H, wires[1])
    prog = Program()
    reg = prog.qalloc(3)
    prog.apply(bellish(0.4), reg[0], reg[2])
    prog.apply(bellish(-0.9).ctrl(), reg[1], reg[2], reg[0])
    prog.apply(routine, reg[1], reg[2])
    circ = prog.to_circ()
    assert circ.nbqbits == 4  # myQLM allocated the ancilla
    model = circuit_from_myqlm(circ)
    assert np.allclose(circuit_unitary(model), myqlm_unitary(circ), atol=1e-9)


# -- measurement, reset, classical control ---------------------------------------------------------


def test_myqlm_arithmetic_reads_once_linked_and_unlinked_says_how_to_link(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    from qat.lang.AQASM import QInt, classarith, qftarith

    def adder() -> Program:
        prog = Program()
        a, b = prog.qalloc(2, QInt), prog.qalloc(2, QInt)
        prog.apply(X, a[0])
        a += b  # myQLM's abstract ADD gate, implemented by the library linked
        return prog

    # unlinked, the circuit holds no form of ADD: PyLinalg cannot run it either, and the message
    # named ADD "not a myQLM library gate" without saying how to link it
    with pytest.raises(TranslationError, match=r"'ADD'.*Program\.to_circ\(link=.*qftarith"):
        circuit_from_myqlm(adder().to_circ())
    for library in (qftarith, classarith):
        circ = adder().to_circ(link=[library])
        assert np.allclose(circuit_unitary(circuit_from_myqlm(circ)), myqlm_unitary(circ), atol=1e-9)


def test_measure_reset_and_classical_control_read_as_myqlm_runs_them() -> None:
    prog = Program()
    reg = prog.qalloc(3)
    bits = prog.calloc(4)
    prog.apply(H, reg[0])
    prog.measure(reg[0], bits[0])
    prog.cc_apply(bits[0], X, reg[1])  # reg[1] copies the outcome
    prog.apply(X, reg[2])
    prog.reset(reg[2])
    prog.measure([reg[1], reg[2]], [bits[2], bits[1]])
    prog.logic(bits[3], bits[0] & ~bits[1])  # bits[0] and not bits[1]: true exactly when bits[0]
    prog.cc_apply(bits[3], Z, reg[0])
    circ = prog.to_circ()
    model = circuit_from_myqlm(circ)
    assert model.num_clbits == 3  # the computed bit is dropped
    conditioned = [(i.name, i.qubits, i.condition) for i in model if i.condition]
    assert conditioned == [("x", (1,), Condition((0,), 1)), ("z", (0,), Condition((0, 1), 1))]
    assert [(i.qubits, i.clbits) for i in model if i.name == "measure"] == [((0,), (0,)), ((1,), (2,)), ((2,), (1,))]
    assert [i.qubits for i in model if i.name == "reset"] == [(2,)]
    # myQLM's own run: bits (c0, c2) always equal, c1 always 0 after the reset
    np.random.seed(7)
    shots = 400
    result = PyLinalg().submit(circ.to_job(nbshots=shots, aggregate_data=False))
    ones = 0
    for sample in result:
        measured = {m.gate_pos: m.cbits for m in sample.intermediate_measurements}
        assert measured[1] == measured[5][:1]  # c0 == c2 (op 5 measures reg[1], reg[2] into c2, c1)
        assert measured[5][1] == 0
        ones += measured[1][0]
    assert proportion_ok(ones, shots, 0.5)


def test_conditions_round_trip_through_computed_bits(myqlm_probabilities) -> None:  # type: ignore[no-untyped-def]
    c = Circuit.with_registers({"q": 3}, {"m": 2, "f": 1})
    c.x(0).measure(0, 0).measure(1, 1).measure(2, 2)  # bits read 1, 0, 0
    c.append("x", [1], condition=Condition((0, 1), 1, "m"))  # m == 1: true
    c.append("x", [2], condition=Condition((2,), 0))  # f == 0: true
    c.append("h", [0], condition=Condition((0, 1), 2, "m"))  # m == 2: false
    c.append("y", [0], condition=Condition((0,), 1))  # a single bit reading 1: CLASSICCTRL directly
    native = circuit_to_myqlm(c)
    assert native.nbcbits == 4  # one computed bit for the conditions a single CLASSICCTRL cannot hold
    back = circuit_from_myqlm(native)
    assert back.num_clbits == 3
    assert [(i.name, i.qubits, i.condition.clbits, i.condition.value) for i in back if i.condition] == [
        (i.name, i.qubits, i.condition.clbits, i.condition.value) for i in c if i.condition]
    # myQLM runs the conditions as the model means them: x on 1 and 2, no h, y on 0 (|1> -> -i|0>)
    np.random.seed(3)
    result = PyLinalg().submit(native.to_job(nbshots=50))
    assert {s.state.int: s.probability for s in result} == {0b011: 1.0}


@pytest.mark.parametrize("which", range(4))
def test_or_xor_and_nested_logic_become_one_condition_per_pattern(which: int) -> None:
    # only conjunctions were read; OR and XOR (prog.logic(c, a | b)) were refused
    formulas = [
        lambda c: c[0] | c[1],
        lambda c: c[0] ^ c[2],
        lambda c: (c[0] ^ c[1]) & ~c[2],
        lambda c: ~(c[0] & c[1]) | c[2],
    ]
    truth = [
        lambda a, b, c: a | b,
        lambda a, b, c: a ^ c,
        lambda a, b, c: (a ^ b) & (1 - c),
        lambda a, b, c: (1 - (a & b)) | c,
    ]
    prog = Program()
    reg = prog.qalloc(4)
    bits = prog.calloc(5)
    for k in range(3):
        prog.apply(H, reg[k])
    prog.measure(reg[:3], bits[:3])
    prog.logic(bits[3], formulas[which](bits))
    prog.cc_apply(bits[3], X, reg[3])  # reg[3] reads the formula's value
    prog.measure(reg[3], bits[4])
    model = circuit_from_myqlm(prog.to_circ())
    # the computed bit stays, written by nothing, so the measurement into bits[4] keeps its index
    # (it was dropped and the bits above it renumbered: myQLM's cbit 4 came out as clbit 3)
    assert model.num_clbits == 5
    assert [i.clbits for i in model if i.name == "measure"][-1] == (4,)
    conditions = [i.condition for i in model if i.condition]
    reads = [(0, 1), (0, 2), (0, 1, 2), (0, 1, 2)][which]  # one condition per true pattern of the bits read
    patterns = {tuple(bits3[k] for k in reads) for bits3 in itertools.product((0, 1), repeat=3) if truth[which](*bits3)}
    assert len(conditions) == len(patterns) and {c.clbits for c in conditions} == {reads}
    # Aer, shot by shot: the last bit is the formula of the three measured ones (highest clbit first)
    from qhpc_qiskit.translate import circuit_to_qiskit
    from qiskit_aer import AerSimulator

    memory = AerSimulator().run(circuit_to_qiskit(model), shots=300, seed_simulator=11,
                                memory=True).result().get_memory()
    assert len({m[-3:] for m in memory}) == 8
    for m in memory:
        c4, c3, c2, c1, c0 = (int(x) for x in m)
        assert c4 == truth[which](c0, c1, c2), m
        assert c3 == 0, m  # nothing writes the computed bit in the model


def test_refused_myqlm_operations_are_named_with_their_position() -> None:
    prog = Program()
    reg = prog.qalloc(2)
    bits = prog.calloc(3)
    prog.measure(reg, bits[:2])  # one MEASURE operation of two qubits
    prog.cbreak(bits[0] & bits[1])
    with pytest.raises(TranslationError, match=r"operation 1 \(BREAK\)"):
        circuit_from_myqlm(prog.to_circ())

    prog = Program()
    reg = prog.qalloc(9)
    bits = prog.calloc(10)
    prog.measure(reg, bits[:9])
    formula = bits[0]
    for b in bits[1:9]:
        formula = formula | b
    prog.logic(bits[9], formula)
    prog.cc_apply(bits[9], X, reg[0])
    with pytest.raises(TranslationError, match=r"operation 1 \(CLASSIC OR .*reads 9 cbits.*up to 64"):
        circuit_from_myqlm(prog.to_circ())

    prog = Program()
    reg = prog.qalloc(1)
    bits = prog.calloc(1)
    prog.measure(reg[0], bits[0])
    prog.reset([reg[0]], [bits[0]])
    with pytest.raises(TranslationError, match=r"operation 1 \(RESET\).*clears cbits"):
        circuit_from_myqlm(prog.to_circ())

    prog = Program()
    reg = prog.qalloc(2)
    bits = prog.calloc(2)
    prog.measure(reg[0], bits[0])
    prog.logic(bits[1], ~bits[0])
    prog.measure(reg[1], bits[1])  # the computed bit is overwritten by a measurement
    with pytest.raises(TranslationError, match=r"cbit 1 is computed by classical logic and also measured"):
        circuit_from_myqlm(prog.to_circ())

    circ = Program()
    reg = circ.qalloc(2)
    circ.apply(H, reg[0])
    remapped = circ.to_circ()
    remapped.ops.append(Op(type=6, qbits=[0, 1], remap=[1, 0]))
    with pytest.raises(TranslationError, match=r"operation 1 \(REMAP\)"):
        circuit_from_myqlm(remapped)


@pytest.mark.parametrize("gate, qubits, arity", [
    ("RZ", [0, 1], 1),  # a rotation at a number: the reader's shortened path
    ("CNOT", [0], 2),  # a library gate
    ("SQRTSWAP", [1], 2),  # a gate read as several model gates
    ("D-RZ", [0], 1),  # a dagger, planned through its recipe
])
def test_an_operation_on_a_number_of_qubits_its_definition_does_not_have_is_refused(gate: str, qubits: list[int],
                                                                                      arity: int) -> None:
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(RZ(0.3), reg[0])
    prog.apply(CNOT, reg[0], reg[1])
    prog.apply(SQRTSWAP, reg[0], reg[1])
    circ = prog.to_circ()
    name = {d.syntax.name: k for k, d in circ.gateDic.items() if d.syntax is not None}.get(gate, gate)
    if gate == "D-RZ":  # read through its recipe, as RZ(-0.3)
        rz = next(k for k, d in circ.gateDic.items() if d.syntax is not None and d.syntax.name == "RZ")
        circ.gateDic[name] = GateDefinition(name=name, arity=1, is_dag=True, subgate=rz)
        qubits, arity = [0, 1], 1
    circ.ops.append(Op(gate=name, qbits=qubits, type=0))
    index = len(circ.ops) - 1
    with pytest.raises(TranslationError, match=rf"operation {index} \(.*\): acts on {len(qubits)} qubits?, "
                                               rf"its definition on {arity}"):
        circuit_from_myqlm(circ)
    circ.ops[-1] = Op(gate="NOWHERE", qbits=[0], type=0)
    with pytest.raises(TranslationError, match=rf"operation {index} .*'NOWHERE' is not in the circuit's gate"):
        circuit_from_myqlm(circ)


def test_model_operations_myqlm_cannot_hold_are_refused_by_name() -> None:
    c = Circuit(2, 2).h(0).measure(0, 0)
    c.append("measure", [1], [1], condition=Condition((0,), 1))
    with pytest.raises(TranslationError, match=r"instruction 2 \(if c\[0\]==1: measure q\[1\] -> c\[1\]\): myQLM conditions only hold gates"):
        circuit_to_myqlm(c)


# -- bit order, phase, barriers ---------------------------------------------------------------------


def test_bit_order_qubit_zero_is_myqlms_most_significant_bit(myqlm_probabilities) -> None:  # type: ignore[no-untyped-def]
    for k in range(3):
        c = Circuit(3, 3).x(k)
        assert myqlm_probabilities(circuit_to_myqlm(c)) == {1 << (2 - k): 1.0}
        c.measure([0, 1, 2], [2, 0, 1])
        back = circuit_from_myqlm(circuit_to_myqlm(c))
        assert measurement_probabilities(back) == measurement_probabilities(c)


def test_global_phase_is_dropped_or_absorbed_exactly(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    c = Circuit(2).h(0).cx(0, 1)
    assert [name for name, _, _ in circuit_to_myqlm(c).iterate_simple()] == ["H", "CNOT"]  # no phase: no gates
    c.global_phase = 0.8
    dropped = circuit_to_myqlm(c, absorb_global_phase=False)
    assert np.allclose(myqlm_unitary(dropped), circuit_unitary(c) * np.exp(-0.8j), atol=1e-12)
    absorbed = circuit_to_myqlm(c)
    assert [name for name, _, _ in absorbed.iterate_simple()] == ["PH", "X", "PH", "X", "H", "CNOT"]
    assert np.allclose(myqlm_unitary(absorbed), circuit_unitary(c), atol=1e-12)
    # on a device's qubits most are idle: the phase goes on one the circuit acts on, not on qubit 0
    mapped = Circuit(27).h(19).cx(19, 22)
    mapped.global_phase = 0.8
    assert {q for _, _, qs in circuit_to_myqlm(mapped).iterate_simple() for q in qs} == {19, 22}
    small = Circuit(3).h(2).cx(2, 1)
    small.global_phase = 0.8
    assert np.allclose(myqlm_unitary(circuit_to_myqlm(small)), circuit_unitary(small), atol=1e-12)
    theta = Parameter("t")
    c.global_phase = theta / 2
    symbolic = circuit_to_myqlm(c)
    assert np.allclose(circuit_unitary(circuit_from_myqlm(symbolic).bind({"t": 1.3})),
                       circuit_unitary(c.bind({"t": 1.3})), atol=1e-12)


def test_a_phase_without_qubits_is_refused_unless_dropped() -> None:
    c = Circuit(0, 1)
    c.global_phase = 0.5
    with pytest.raises(TranslationError, match=r"this circuit has no qubits to carry its global phase 0\.5"):
        circuit_to_myqlm(c)
    assert circuit_to_myqlm(c, absorb_global_phase=False).nbqbits == 0


def test_barriers_are_dropped() -> None:
    c = Circuit(2).h(0).barrier().cx(0, 1)
    assert [name for name, _, _ in circuit_to_myqlm(c).iterate_simple()] == ["H", "CNOT"]


def test_a_program_reads_through_to_circ(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(H, reg[0])
    prog.apply(CNOT, reg)
    model = circuit_from_myqlm(prog)
    assert np.allclose(circuit_unitary(model), myqlm_unitary(prog.to_circ()))


def test_rotations_at_numbers_are_defined_as_myqlm_defines_them_and_survive_its_serialization(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the writer makes these definitions field by field (the fast path for large circuits); the
    # oracle is myQLM's own Program.to_circ for the same gates, and myQLM's dump/load and PyLinalg
    rng = random.Random(11)
    angles = [rng.uniform(-7, 7) for _ in range(6)] + [0.0, -0.0, math.pi]
    model = Circuit(2)
    prog = Program()
    reg = prog.qalloc(2)
    for k, theta in enumerate(angles):
        q = k % 2
        model.rx(theta, q).ry(theta, q).rz(theta, q).p(theta, q)
        for gate in (RX, RY, RZ, PH):
            prog.apply(gate(theta), reg[q])
        model.cx(0, 1)
        prog.apply(CNOT, reg)
    ours, theirs = circuit_to_myqlm(model), prog.to_circ()
    assert len(ours.ops) == len(theirs.ops)
    for a, b in zip(ours.ops, theirs.ops, strict=True):
        assert (a.qbits, a.type) == (b.qbits, b.type)
        da, db = ours.gateDic[a.gate], theirs.gateDic[b.gate]
        assert (da.arity, da.syntax.name) == (db.arity, db.syntax.name)
        assert [p.double_p for p in da.syntax.parameters or ()] == [p.double_p for p in db.syntax.parameters or ()]
        ma = [complex(z.re, z.im) for z in da.matrix.data]
        mb = [complex(z.re, z.im) for z in db.matrix.data]
        assert np.allclose(ma, mb, atol=1e-15)
    # one definition per distinct (gate, angle): 0.0 and -0.0 are one angle
    assert sum(1 for name in ours.gateDic if name.startswith("_")) == 4 * (len(angles) - 1)
    path = tmp_path / "rotations.circ"
    ours.dump(str(path))
    loaded = QCircuit.load(str(path))
    # (Circuit == Circuit compares gate sets, which myQLM 1.14's own dump and load do not keep equal)
    assert loaded.ops == ours.ops and loaded.gateDic == ours.gateDic
    probabilities = {s.state.int: s.probability for s in PyLinalg().submit(loaded.to_job())}
    expected = {s.state.int: s.probability for s in PyLinalg().submit(theirs.to_job())}
    assert probabilities.keys() == expected.keys()
    assert np.allclose([probabilities[k] for k in expected], list(expected.values()), atol=1e-12)


# -- definitions with a syntax and modifiers too --------------------------------------------------


def _with_extra_definition(name: str, definition: Any) -> Any:
    """RY(0.3) on qubit 0, then the definition ``name`` on its qubits, in a circuit myQLM made."""
    prog = Program()
    reg = prog.qalloc(2)
    prog.apply(RY(0.3), reg[0])
    prog.apply(CNOT, reg[0], reg[1])
    circ = prog.to_circ()
    circ.gateDic[name] = definition
    circ.ops.append(Op(gate=name, qbits=list(range(definition.arity)), type=0))
    return circ


def _syntax(kind: str, *values: float) -> Any:
    from qat.comm.datamodel.ttypes import GSyntax, Param

    return GSyntax(name=kind, parameters=[Param(is_abstract=False, type=1, double_p=v) for v in values])


def _ry_thrift(theta: float) -> Any:
    from qhpc_myqlm._qat import _matrix_to_thrift

    return _matrix_to_thrift(STANDARD_GATES["ry"].matrix([theta]))


def test_a_definition_whose_syntax_and_modifiers_agree_is_read_as_myqlm_runs_it(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    # myQLM's own CNOT is CTRL(X) with the syntax CNOT; these hand-made ones say the same gate twice
    ry = next(k for k, d in _with_extra_definition("G", GateDefinition(name="G", arity=1)).gateDic.items()
              if d.syntax is not None and d.syntax.name == "RY")
    cases = {
        "dagger of RY(0.3), said as RY(-0.3)": GateDefinition(
            name="G", arity=1, syntax=_syntax("RY", -0.3), is_dag=True, subgate=ry, matrix=_ry_thrift(-0.3)),
        "a flag, no subgate, its matrix RY(0.7)": GateDefinition(
            name="G", arity=1, syntax=_syntax("RY", 0.7), is_dag=True, matrix=_ry_thrift(0.7)),
        "CSIGN as control of Z": GateDefinition(name="G", arity=2, syntax=_syntax("CSIGN"), nbctrls=1, subgate="Z"),
    }
    for what, definition in cases.items():
        circ = _with_extra_definition("G", definition)
        read = circuit_from_myqlm(circ)
        assert np.allclose(myqlm_unitary(circ), circuit_unitary(read), atol=1e-12), what


@pytest.mark.parametrize("definition, message", [
    # the case an outside reader met: a rotation's syntax on a dagger, read as the rotation itself
    (lambda ry: GateDefinition(name="G", arity=1, syntax=_syntax("RY", 0.3), is_dag=True, subgate=ry),
     r"'G' is RY\(0.3\) by its syntax but another gate by its modifiers of '_\d+'"),
    (lambda ry: GateDefinition(name="G", arity=1, syntax=_syntax("RY", 0.3), is_dag=True, matrix=_ry_thrift(-0.3)),
     r"'G' is RY\(0.3\) by its syntax but another gate by its matrix"),
    (lambda ry: GateDefinition(name="G", arity=2, syntax=_syntax("CNOT"), nbctrls=1, subgate="Z"),
     r"'G' is CNOT by its syntax but another gate by its modifiers of 'Z'"),
    (lambda ry: GateDefinition(name="G", arity=2, syntax=_syntax("RX", 0.5), nbctrls=1, subgate=ry),
     r"'G' is RX\(0.5\) by its syntax, on 1 qubits, and by its modifiers of '_\d+' a gate on 2"),
    (lambda ry: GateDefinition(name="G", arity=1, syntax=_syntax("RZ", 0.2), is_conj=True),
     r"'G' is RZ\(0.2\) by its syntax and has modifier flags but no subgate or matrix"),
])
def test_a_definition_whose_syntax_and_modifiers_differ_is_refused_naming_both(definition, message) -> None:  # type: ignore[no-untyped-def]
    circ = _with_extra_definition("G", GateDefinition(name="G", arity=1))
    ry = next(k for k, d in circ.gateDic.items() if d.syntax is not None and d.syntax.name == "RY")
    made = definition(ry)
    circ = _with_extra_definition("G", made)
    with pytest.raises(TranslationError, match=rf"operation 2 \(.*\): gate {message}"):
        circuit_from_myqlm(circ)


@pytest.mark.parametrize("kind, values, arity, wrong", [
    # no modifiers, only a matrix that is another gate: myQLM's simulators apply the matrix
    ("RX", (0.5,), 1, STANDARD_GATES["x"].matrix([])),
    ("RY", (0.3,), 1, STANDARD_GATES["ry"].matrix([-0.3])),
    ("RZ", (0.2,), 1, STANDARD_GATES["rz"].matrix([0.2]).conj()),
    ("PH", (0.4,), 1, STANDARD_GATES["rz"].matrix([0.4])),  # PH(0.4) up to a global phase only
    ("H", (), 1, STANDARD_GATES["x"].matrix([])),
    ("SQRTSWAP", (), 2, np.eye(4)),
    ("CNOT", (), 2, np.eye(4)),
    ("RX", (0.5,), 1, np.eye(4)),  # a matrix of another size
])
def test_a_definition_whose_matrix_is_another_gate_than_its_syntax_is_refused(kind, values, arity, wrong,
                                                                               myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    from qhpc_myqlm._qat import _matrix_to_thrift

    circ = _with_extra_definition("G", GateDefinition(name="G", arity=arity, syntax=_syntax(kind, *values),
                                                      matrix=_matrix_to_thrift(wrong)))
    with pytest.raises(TranslationError, match=rf"operation 2 \(.*\): gate 'G' is {kind}.* by its syntax but "
                                               "another gate by its matrix"):
        circuit_from_myqlm(circ)


def test_a_definition_whose_matrix_is_its_syntax_is_read_as_myqlm_runs_it(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    from qhpc_myqlm._qat import _matrix_to_thrift

    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    for kind, values, arity, matrix in [("RX", (0.5,), 1, STANDARD_GATES["rx"].matrix([0.5])),
                                        ("RY", (0.5,), 1, STANDARD_GATES["ry"].matrix([0.5]) + 1e-12),
                                        ("RZ", (1.5,), 1, STANDARD_GATES["rz"].matrix([1.5]) - 1e-12j),
                                        ("PH", (-2.0,), 1, STANDARD_GATES["p"].matrix([-2.0])),
                                        ("H", (), 1, h)]:
        circ = _with_extra_definition("G", GateDefinition(name="G", arity=arity, syntax=_syntax(kind, *values),
                                                          matrix=_matrix_to_thrift(matrix)))
        assert np.allclose(myqlm_unitary(circ), circuit_unitary(circuit_from_myqlm(circ)), atol=1e-12), kind


def test_a_control_past_the_size_bound_is_a_named_error(monkeypatch: pytest.MonkeyPatch,
                                                         myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    # ctrl() goes through qhpc_interop.controls; past its bound the reader says so as a TranslationError
    import qhpc_interop.controls

    prog = Program()
    reg = prog.qalloc(4)
    prog.apply(RX(0.3).ctrl().ctrl().ctrl(), *reg)
    circ = prog.to_circ()
    assert np.allclose(circuit_unitary(circuit_from_myqlm(circ)), myqlm_unitary(circ), atol=1e-9)
    monkeypatch.setattr(qhpc_interop.controls, "MAX_CONTROLLED_STEPS", 5)
    prog = Program()
    reg = prog.qalloc(4)
    prog.apply(RX(0.4).ctrl().ctrl().ctrl(), *reg)  # another angle: not a definition read before
    with pytest.raises(TranslationError, match="more than 5 gates"):
        circuit_from_myqlm(prog.to_circ())


def test_results_of_exported_circuits_print_as_myqlms_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a sample's state prints through the circuit's registers: myQLM's own circuits (made by a
    # Program, or loaded from a file) give "|100>", and an exported one must too, after a dump
    # and load as before
    native = Program()
    q = native.qalloc(3)
    native.apply(X, q[0])
    model = Circuit(3)
    model.append(Gate("x"), [0])
    exported = circuit_to_myqlm(model)
    expected = [str(s.state) for s in PyLinalg().submit(native.to_circ().to_job(nbshots=0))]
    assert expected == ["|100>"]
    assert [str(s.state) for s in PyLinalg().submit(exported.to_job(nbshots=0))] == expected
    exported.dump(str(tmp_path / "x.circ"))
    loaded = QCircuit.load(str(tmp_path / "x.circ"))
    assert [str(s.state) for s in PyLinalg().submit(loaded.to_job(nbshots=0))] == expected


def test_a_symbolic_angle_that_folds_to_zero_in_myqlm_is_written() -> None:
    # 0 * s is a number to myQLM's arithmetic; Qiskit's own RGate(t, s).control(2) holds cp(0 + s*0)
    from qhpc_qiskit.translate import circuit_from_qiskit
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter as QiskitParameter
    from qiskit.circuit.library import RGate
    from qiskit.quantum_info import Statevector

    s, t = QiskitParameter("s"), QiskitParameter("t")
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.cp(0 * s, 0, 1)
    qc.rz(0 * s, 2)
    qc.p(s - s, 0)
    qc.append(RGate(t, s).control(2), [0, 1, 2])
    circ = circuit_to_myqlm(circuit_from_qiskit(qc))
    bound = circ.bind_variables({"s": 0.7, "t": 1.3})
    amplitudes = np.zeros(8, dtype=complex)
    for sample in PyLinalg().submit(bound.to_job(nbshots=0)):
        amplitudes[sample.state.int] = sample.amplitude
    expected = Statevector(qc.assign_parameters({s: 0.7, t: 1.3})).data  # Qiskit: qubit 0 least significant
    big_endian = \
        np.array([expected[int(format(k, "03b")[::-1], 2)] for k in range(8)])
    assert np.allclose(amplitudes, big_endian, atol=1e-9)


def test_a_gate_naming_a_qubit_twice_is_refused_by_position() -> None:
    # myQLM's Program.apply refuses it, but a loaded or edited circuit can hold it; it was written out
    # as "cx q[0], q[0]" (and a boxed routine of one-qubit parts would have hidden it)
    routine = QRoutine()
    wires = routine.new_wires(2)
    routine.apply(H, wires[0])
    routine.apply(RX(0.3), wires[1])
    prog = Program()
    q = prog.qalloc(2)
    prog.apply(X, q[0])
    prog.apply(CNOT, q[0], q[1])
    prog.apply(routine, q[0], q[1])
    for index in (1, 2):
        circ = prog.to_circ(box_routines=True)
        circ.ops[index].qbits = [0, 0]
        with pytest.raises(TranslationError, match=rf"operation {index} \(.*\): names qubit 0 twice"):
            circuit_from_myqlm(circ)
    # inside a boxed routine's implementation (a routine of a routine)
    outer = QRoutine()
    wires = outer.new_wires(2)
    outer.apply(routine, wires[0], wires[1])
    outer.apply(CNOT, wires[1], wires[0])
    nested = Program()
    q = nested.qalloc(2)
    nested.apply(outer, q[0], q[1])
    circ = nested.to_circ(box_routines=True)
    (name,) = [k for k, d in circ.gateDic.items() if d.circuit_implementation is not None
               and any(op.gate == "CNOT" for op in d.circuit_implementation.ops)]
    (cnot,) = [op for op in circ.gateDic[name].circuit_implementation.ops if op.gate == "CNOT"]
    cnot.qbits = [1, 1]
    with pytest.raises(TranslationError, match=rf"gate '{name}', operation \d+ of its implementation \(CNOT\): "
                                               "names qubit 1 twice"):
        circuit_from_myqlm(circ)


def test_an_infinite_angle_is_refused_by_name_and_position() -> None:
    # the reader compared the rotation's matrix first, and math.cos(inf) raised a bare ValueError
    for gate, matrices in ((RZ, True), (PH, True), (RX, False)):  # (myQLM cannot make RX(inf)'s matrix)
        prog = Program()
        q = prog.qalloc(1)
        prog.apply(H, q[0])
        prog.apply(gate(-math.inf), q[0])
        with pytest.raises(TranslationError, match=r"operation 1 \(.*\): a gate parameter must be finite, not -inf"):
            circuit_from_myqlm(prog.to_circ(include_matrices=matrices))


def test_operations_on_qubits_or_cbits_the_circuit_lacks_are_refused_by_position() -> None:
    prog = Program()
    q = prog.qalloc(1)
    prog.apply(H, q[0])
    for op, message in ((Op(gate="H", qbits=[5], type=0), r"operation 1 \(H\): names qubit 5, but the circuit has 1"),
                        (Op(gate=None, qbits=[0], type=1, cbits=[7]), r"operation 1 \(MEASURE\): names cbit 7"),
                        (Op(gate="H", qbits=[-1], type=0), r"names qubit -1")):
        circ = prog.to_circ()
        circ.ops.append(op)
        with pytest.raises(TranslationError, match=message):
            circuit_from_myqlm(circ)


def test_each_written_circuit_owns_its_matrices(myqlm_unitary) -> None:  # type: ignore[no-untyped-def]
    # an audit: every written circuit shared the native definitions' matrices and the 0 and 1
    # entries of its rotations' (an RX's two off-diagonal entries were one object): editing an
    # entry of one circuit (a coherent error put in by hand) changed every circuit written before
    # and after it. myQLM's own circuits hold an object per entry.
    bell = Circuit(2).h(0).rz(0.3, 1).cx(0, 1).rx(0.7, 0).p(0.2, 1)
    expected = circuit_unitary(bell)
    earlier = circuit_to_myqlm(bell)
    edited = circuit_to_myqlm(Circuit(2).h(0).rx(0.7, 0).rz(0.3, 1).ry(0.4, 1).p(0.2, 0).cx(0, 1))
    for definition in edited.gateDic.values():
        if definition.matrix is not None:
            entries = definition.matrix.data
            assert len({id(z) for z in entries}) == len(entries)  # no entry shared within a matrix
            for z in entries:
                z.re += 0.25
    later = circuit_to_myqlm(bell)
    assert np.allclose(myqlm_unitary(earlier), expected) and np.allclose(myqlm_unitary(later), expected)
    assert not {id(d.matrix) for d in later.gateDic.values()} & {id(d.matrix) for d in earlier.gateDic.values()}
