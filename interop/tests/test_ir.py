"""The circuit model: validation, binding, inversion, depth and counts, fingerprints, registers.

Oracles: Qiskit circuits built gate by gate from the same names and parameters (never through a
qhpc translator), ``qiskit.quantum_info.Operator``, and analytic values.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from qhpc_interop import (
    MEASURE,
    Circuit,
    CircuitError,
    Condition,
    Gate,
    Instruction,
    Parameter,
    Register,
    UnitaryGate,
)
from qhpc_interop.gates import STANDARD_GATES
from qhpc_interop.testing import circuit_unitary, measurement_probabilities, random_unitary
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import UnitaryGate as QiskitUnitaryGate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

QISKIT_GATES = get_standard_gate_name_mapping()
ATOL = 1e-10


def build_both(num_qubits: int, num_ops: int, seed: int, *, non_unitary: bool = False,
               unitaries: bool = True) -> tuple[Circuit, QuantumCircuit]:
    """The same random circuit built op by op in qhpc and in Qiskit (with numeric parameters)."""
    rng = random.Random(seed)
    ours = Circuit(num_qubits, num_qubits if non_unitary else 0)
    theirs = QuantumCircuit(num_qubits, num_qubits if non_unitary else 0)
    phase = rng.uniform(-math.pi, math.pi)
    ours.global_phase = phase
    theirs.global_phase = phase
    names = [n for n in STANDARD_GATES if STANDARD_GATES[n].num_qubits <= num_qubits]
    for _ in range(num_ops):
        roll = rng.random()
        if non_unitary and roll < 0.1:
            q, cl = rng.randrange(num_qubits), rng.randrange(num_qubits)
            ours.measure(q, cl)
            theirs.measure(q, cl)
        elif non_unitary and roll < 0.15:
            q = rng.randrange(num_qubits)
            ours.reset(q)
            theirs.reset(q)
        elif roll < 0.2:
            qs = rng.sample(range(num_qubits), rng.randint(1, num_qubits))
            ours.barrier(*qs)
            theirs.barrier(qs)
        elif unitaries and roll < 0.3:
            k = min(num_qubits, rng.choice([1, 2]))
            qs = rng.sample(range(num_qubits), k)
            matrix = random_unitary(2**k, rng)
            ours.unitary(matrix, qs)
            theirs.append(QiskitUnitaryGate(matrix), qs)
        else:
            name = rng.choice(names)
            spec = STANDARD_GATES[name]
            params = [rng.uniform(-2 * math.pi, 2 * math.pi) for _ in range(spec.num_params)]
            qs = rng.sample(range(num_qubits), spec.num_qubits)
            ours.gate(name, qs, params)
            theirs.append(type(QISKIT_GATES[name])(*params), qs)
    return ours, theirs


# -- validation ------------------------------------------------------------------------------


@pytest.fixture
def circuit() -> Circuit:
    return Circuit(2, 1)


def test_qubit_out_of_range_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"h: qubit 2 out of range \(the circuit has 2\)"):
        circuit.h(2)
    with pytest.raises(CircuitError, match="qubit -1 out of range"):
        circuit.h(-1)


def test_duplicate_qubit_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"cx: a qubit appears twice in \[1, 1\]"):
        circuit.cx(1, 1)


def test_wrong_arity_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"cx acts on 2 qubit\(s\), got 1"):
        circuit.gate("cx", [0])
    with pytest.raises(CircuitError, match=r"unitary acts on 2 qubit\(s\), got 1"):
        circuit.unitary(np.eye(4), [0])


def test_wrong_parameter_count_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"gate 'rx' takes 1 parameter\(s\) \(theta\), got 2"):
        circuit.gate("rx", [0], [0.1, 0.2])


def test_unknown_gate_name_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match="unknown gate 'foo'"):
        circuit.gate("foo", [0])


def test_measure_without_clbit_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match="measures one qubit into one clbit, not 1 into 0"):
        circuit.append(MEASURE, [0])
    with pytest.raises(CircuitError, match=r"measure: 2 qubit\(s\) but 1 clbit\(s\)"):
        circuit.measure([0, 1], [0])


def test_clbit_out_of_range_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"measure: clbit 1 out of range \(the circuit has 1\)"):
        circuit.measure(0, 1)


def test_gate_with_clbits_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match="x is a gate and takes no classical bits"):
        circuit.append("x", [0], [0])
    with pytest.raises(CircuitError, match="reset takes no classical bits"):
        circuit.append("reset", [0], [0])


def test_condition_on_clbit_out_of_range_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"condition on clbit 3 out of range \(the circuit has 1\)"):
        circuit.append("x", [0], condition=Condition((3,), 1))


def test_barrier_with_condition_is_refused(circuit: Circuit) -> None:
    with pytest.raises(CircuitError, match="a barrier cannot be conditioned"):
        circuit.append("barrier", [0, 1], condition=Condition((0,), 1))


def test_condition_value_must_fit_its_bits() -> None:
    with pytest.raises(CircuitError, match=r"condition value 4 does not fit in 2 bit\(s\)"):
        Condition((0, 1), 4)
    with pytest.raises(CircuitError, match="at least one classical bit"):
        Condition((), 0)


def test_failed_append_leaves_the_circuit_unchanged(circuit: Circuit) -> None:
    circuit.h(0)
    with pytest.raises(CircuitError):
        circuit.cx(0, 5)
    assert [i.name for i in circuit] == ["h"]


def test_negative_bit_count_and_register_out_of_range_are_refused() -> None:
    with pytest.raises(CircuitError, match="negative number of bits"):
        Circuit(-1)
    with pytest.raises(CircuitError, match="register 'q' names qubit 5, but the circuit has 2"):
        Circuit(2, qregs=[Register("q", (0, 5))])


def test_duplicate_register_name_is_refused() -> None:
    with pytest.raises(CircuitError, match="already has a register named 'r'"):
        Circuit.with_registers({"r": 2}, {"r": 1})


# -- unitary gates ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (1, 1), (2, 4), (6, 6), (2,)])
def test_unitary_gate_refuses_non_power_of_two_matrices(shape: tuple[int, ...]) -> None:
    with pytest.raises(CircuitError, match="2\\^k x 2\\^k matrix"):
        UnitaryGate(np.eye(*shape) if len(shape) == 2 else np.ones(shape))


@pytest.mark.parametrize(
    "matrix",
    [np.ones((2, 2)), 2 * np.eye(2), np.array([[1, 0], [0, 1 + 1e-5]]), np.array([[1, 1], [0, 1]])],
)
def test_unitary_gate_refuses_non_unitary_matrices(matrix: np.ndarray) -> None:
    with pytest.raises(CircuitError, match="not unitary"):
        UnitaryGate(matrix)


def test_a_matrix_unitary_to_single_precision_is_read_as_its_nearest_unitary() -> None:
    # a complex64 Hadamard is 6e-8 from unitary: Qiskit's UnitaryGate and Cirq's MatrixGate take it,
    # the model refused it; it is read as its polar factor, which is the float64 Hadamard
    h32 = (np.array([[1, 1], [1, -1]]) / np.sqrt(2)).astype(np.complex64)
    assert not np.allclose(h32.conj().T @ h32, np.eye(2), rtol=0.0, atol=1e-10)
    gate = UnitaryGate(h32)
    np.testing.assert_allclose(gate.matrix(), np.array([[1, 1], [1, -1]]) / np.sqrt(2), rtol=0.0, atol=1e-15)
    m = random_unitary(8, random.Random(3)).astype(np.complex64)
    read = UnitaryGate(m).matrix()
    np.testing.assert_allclose(read.conj().T @ read, np.eye(8), rtol=0.0, atol=1e-12)
    np.testing.assert_allclose(read, m, rtol=0.0, atol=1e-6)


def test_unitary_gate_accepts_a_unitary_and_freezes_it() -> None:
    m = random_unitary(4, random.Random(1))
    gate = UnitaryGate(m)
    assert gate.num_qubits == 2
    np.testing.assert_array_equal(gate.matrix(), m)
    with pytest.raises(ValueError):
        gate.matrix_data[0, 0] = 0


# -- binding -------------------------------------------------------------------------------


@pytest.fixture
def parameterized() -> Circuit:
    c = Circuit(2)
    c.rx(Parameter("a"), 0).rz(2 * Parameter("b"), 1).cp(Parameter("a") + Parameter("b"), 0, 1)
    c.global_phase = Parameter("g") / 2
    return c


def test_parameters_are_listed_sorted_by_name(parameterized: Circuit) -> None:
    assert [p.name for p in parameterized.parameters] == ["a", "b", "g"]


def test_strict_bind_refuses_an_unknown_name(parameterized: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"cannot bind zz: not a parameter of this circuit \(its parameters: a, b, g\)"):
        parameterized.bind({"a": 1, "b": 2, "g": 3, "zz": 4})


def test_strict_bind_refuses_a_missing_value(parameterized: Circuit) -> None:
    with pytest.raises(CircuitError, match=r"parameter\(s\) b, g not given a value"):
        parameterized.bind({"a": 1.0})


def test_non_strict_bind_ignores_unknown_names_and_leaves_missing_ones_free(parameterized: Circuit) -> None:
    bound = parameterized.bind({"a": 0.5, "zz": 1.0}, strict=False)
    assert [p.name for p in bound.parameters] == ["b", "g"]
    assert bound.instructions[0].params == (0.5,)
    assert bound.instructions[2].params == (0.5 + Parameter("b"),)


def test_bind_does_not_modify_the_original(parameterized: Circuit) -> None:
    parameterized.bind({"a": 1.0, "b": 2.0, "g": 3.0})
    assert [p.name for p in parameterized.parameters] == ["a", "b", "g"]


def test_full_bind_gives_the_qiskit_unitary(parameterized: Circuit) -> None:
    bound = parameterized.bind({"a": 0.3, Parameter("b"): -1.1, "g": 0.8})
    assert not bound.is_parameterized
    qc = QuantumCircuit(2, global_phase=0.4)
    qc.rx(0.3, 0)
    qc.rz(-2.2, 1)
    qc.cp(0.3 - 1.1, 0, 1)
    np.testing.assert_allclose(circuit_unitary(bound), Operator(qc).data, rtol=0, atol=ATOL)


# -- inverse -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_inverse_is_the_adjoint_of_the_qiskit_operator(seed: int) -> None:
    ours, theirs = build_both(3, 25, seed)
    np.testing.assert_allclose(circuit_unitary(ours.inverse()), Operator(theirs).adjoint().data, rtol=0, atol=ATOL)


def test_inverse_of_a_parameterized_circuit_binds_to_the_adjoint(parameterized: Circuit) -> None:
    values = {"a": 0.3, "b": -1.1, "g": 0.8}
    inverse = parameterized.inverse().bind(values)
    expected = circuit_unitary(parameterized.bind(values)).conj().T
    np.testing.assert_allclose(circuit_unitary(inverse), expected, rtol=0, atol=ATOL)


def test_inverse_keeps_barriers_in_reverse_order() -> None:
    c = Circuit(2).h(0).barrier(0).cx(0, 1)
    assert [i.name for i in c.inverse()] == ["cx", "barrier", "h"]


def test_inverse_refuses_measure_and_reset() -> None:
    with pytest.raises(CircuitError, match="cannot invert"):
        Circuit(1, 1).measure(0, 0).inverse()
    with pytest.raises(CircuitError, match="cannot invert"):
        Circuit(1).reset(0).inverse()


def test_inverse_refuses_conditioned_gates() -> None:
    c = Circuit(1, 1)
    c.append("x", [0], condition=Condition((0,), 1))
    with pytest.raises(CircuitError, match="cannot invert"):
        c.inverse()


def test_inverse_refuses_conditioned_unitary_gates() -> None:
    # the condition must not be silently dropped: an inverted conditioned unitary is not an unconditional one
    c = Circuit(1, 1)
    c.append(UnitaryGate(np.array([[0, 1], [1, 0]])), [0], condition=Condition((0,), 1))
    with pytest.raises(CircuitError, match="cannot invert"):
        c.inverse()


# -- depth and counts ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(15))
def test_depth_and_count_ops_match_qiskit(seed: int) -> None:
    ours, theirs = build_both(4, 40, seed, non_unitary=True)
    assert ours.depth() == theirs.depth()
    assert ours.count_ops() == dict(theirs.count_ops())


def test_barrier_adds_no_layer_but_synchronises_its_qubits_as_in_qiskit() -> None:
    # h(1) may not move across the barrier, so it runs after h(0): two layers
    c = Circuit(2).h(0).barrier().h(1)
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.barrier()
    qc.h(1)
    assert c.depth() == qc.depth() == 2
    assert c.count_ops() == dict(qc.count_ops()) == {"h": 2, "barrier": 1}


def test_barrier_alone_has_depth_zero() -> None:
    assert Circuit(2).barrier().depth() == 0


def test_depth_follows_a_condition_on_a_clbit() -> None:
    # measure q0 -> c0 (layer 1), then x on q1 conditioned on c0 must wait for it (layer 2)
    c = Circuit(2, 1).measure(0, 0)
    c.append("x", [1], condition=Condition((0,), 1))
    assert c.depth() == 2


def test_empty_circuit_has_depth_zero() -> None:
    assert Circuit(3).depth() == 0


# -- measurement probabilities ---------------------------------------------------------------


def test_bell_state_probabilities() -> None:
    c = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])
    probs = measurement_probabilities(c)
    assert probs.keys() == {"00", "11"}
    assert probs["00"] == pytest.approx(0.5, abs=1e-12) and probs["11"] == pytest.approx(0.5, abs=1e-12)


def test_ghz_state_probabilities() -> None:
    c = Circuit(4, 4).h(0).cx(0, 1).cx(1, 2).cx(2, 3)
    c.measure(list(range(4)), list(range(4)))
    probs = measurement_probabilities(c)
    assert probs == pytest.approx({"0000": 0.5, "1111": 0.5}, abs=1e-12)


def test_x_on_one_qubit_reads_with_highest_clbit_first() -> None:
    c = Circuit(3, 3).x(1).measure([0, 1, 2], [0, 1, 2])
    assert measurement_probabilities(c) == {"010": 1.0}


def test_qubit_measured_into_another_clbit_and_unmeasured_clbits_read_zero() -> None:
    c = Circuit(2, 3).x(0).measure(0, 2)
    assert measurement_probabilities(c) == {"100": 1.0}


def test_rotation_probabilities_are_cos_and_sin_squared() -> None:
    theta = 1.234
    c = Circuit(1, 1).ry(theta, 0).measure(0, 0)
    probs = measurement_probabilities(c)
    assert probs["0"] == pytest.approx(math.cos(theta / 2) ** 2, abs=1e-12)
    assert probs["1"] == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-12)


def test_measurement_probabilities_refuse_mid_circuit_measurement() -> None:
    c = Circuit(1, 1).measure(0, 0).h(0)
    with pytest.raises(CircuitError, match="at the end"):
        measurement_probabilities(c)


# -- fingerprint -----------------------------------------------------------------------------


def fingerprint_base() -> Circuit:
    c = Circuit.with_registers({"q": 3}, {"c": 2}, name="base")
    c.global_phase = 0.25
    c.h(0).rz(0.5, 1).cx(0, 2)
    c.measure(0, 0)
    c.append("x", [1], condition=Condition((0,), 1))
    c.measure(1, 1)
    return c


def replace_instruction(c: Circuit, index: int, inst: Instruction) -> Circuit:
    instructions = list(c.instructions)
    instructions[index] = inst
    return c.copy(instructions=instructions)


def test_equal_circuits_built_twice_have_the_same_fingerprint() -> None:
    assert fingerprint_base().fingerprint() == fingerprint_base().fingerprint()


def test_fingerprint_ignores_name_and_metadata() -> None:
    base = fingerprint_base()
    other = fingerprint_base()
    other.name = "renamed"
    other.metadata = {"owner": "someone"}
    assert other.fingerprint() == base.fingerprint()


CHANGES = {
    "gate": lambda c: replace_instruction(c, 0, Instruction(Gate("x"), (0,))),
    "parameter": lambda c: replace_instruction(c, 1, Instruction(Gate("rz", (0.5000001,)), (1,))),
    "gate with the same parameter": lambda c: replace_instruction(c, 1, Instruction(Gate("rx", (0.5,)), (1,))),
    "qubit": lambda c: replace_instruction(c, 2, Instruction(Gate("cx"), (0, 1))),
    "qubit order": lambda c: replace_instruction(c, 2, Instruction(Gate("cx"), (2, 0))),
    "clbit": lambda c: replace_instruction(c, 3, Instruction(MEASURE, (0,), (1,))),
    "condition value": lambda c: replace_instruction(c, 4, Instruction(Gate("x"), (1,), (), Condition((0,), 0))),
    "condition clbit": lambda c: replace_instruction(c, 4, Instruction(Gate("x"), (1,), (), Condition((1,), 1))),
    "condition removed": lambda c: replace_instruction(c, 4, Instruction(Gate("x"), (1,))),
    "symbolic parameter": lambda c: replace_instruction(c, 1, Instruction(Gate("rz", (Parameter("t"),)), (1,))),
    "instruction order": lambda c: c.copy(instructions=[c.instructions[1], c.instructions[0], *c.instructions[2:]]),
    "extra instruction": lambda c: c.copy().h(2),
    "global phase": lambda c: _with_phase(c, 0.5),
    "symbolic global phase": lambda c: _with_phase(c, Parameter("g")),
    "qubit count": lambda c: Circuit(4, 2, instructions=list(c.instructions), global_phase=0.25),
    "clbit count": lambda c: Circuit(3, 3, instructions=list(c.instructions), global_phase=0.25),
}


def _with_phase(c: Circuit, phase: object) -> Circuit:
    out = c.copy()
    out.global_phase = phase  # type: ignore[assignment]
    return out


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_fingerprint_changes_when_anything_executable_changes(change: str) -> None:
    base = fingerprint_base()
    changed = CHANGES[change](base)
    assert changed != base
    assert changed.fingerprint() != base.fingerprint()


def test_fingerprint_distinguishes_different_unitary_matrices() -> None:
    rng = random.Random(3)
    one = Circuit(1).unitary(random_unitary(2, rng), [0])
    two = Circuit(1).unitary(random_unitary(2, rng), [0])
    assert one.fingerprint() != two.fingerprint()


# -- conditions and registers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("clbits", "value", "bits", "expected"),
    [
        ((0,), 1, [1, 0, 0], True),
        ((0,), 1, [0, 1, 1], False),
        ((0,), 0, [0, 1, 1], True),
        ((0, 2), 2, [0, 1, 1], True),  # value = bit0 + 2*bit2 = 0 + 2
        ((0, 2), 2, [1, 1, 1], False),  # 1 + 2 = 3
        ((2, 0), 2, [1, 0, 0], True),  # clbits listed least significant first: 2*bit0
        ((0, 1, 2), 5, [1, 0, 1], True),
        ((0, 1, 2), 5, [1, 1, 1], False),
    ],
)
def test_condition_holds(clbits: tuple[int, ...], value: int, bits: list[int], expected: bool) -> None:
    assert Condition(clbits, value).holds(bits) is expected


def test_with_registers_lays_bits_out_register_by_register_as_qiskit_does() -> None:
    c = Circuit.with_registers({"a": 2, "b": 3}, {"m": 1, "n": 2}, name="layout")
    qa, qb, cm, cn = QuantumRegister(2, "a"), QuantumRegister(3, "b"), ClassicalRegister(1, "m"), ClassicalRegister(2, "n")
    qc = QuantumCircuit(qa, qb, cm, cn)
    assert (c.num_qubits, c.num_clbits, c.name) == (qc.num_qubits, qc.num_clbits, "layout")
    for reg, qreg in zip(c.qregs, (qa, qb)):
        assert reg.name == qreg.name
        assert reg.bits == tuple(qc.find_bit(bit).index for bit in qreg)
    for reg, creg in zip(c.cregs, (cm, cn)):
        assert reg.name == creg.name
        assert reg.bits == tuple(qc.find_bit(bit).index for bit in creg)


def test_clbit_register_finds_the_register_and_index() -> None:
    c = Circuit.with_registers({"q": 1}, {"m": 1, "n": 2})
    assert c.clbit_register(2) == ("n", 1)
    assert c.clbit_register(0) == ("m", 0)


def test_measure_all_adds_a_register_a_barrier_and_measures() -> None:
    c = Circuit(2).h(0).measure_all()
    assert c.cregs == [Register("meas", (0, 1))]
    assert [(i.name, i.qubits, i.clbits) for i in c] == [
        ("h", (0,), ()), ("barrier", (0, 1), ()), ("measure", (0,), (0,)), ("measure", (1,), (1,)),
    ]


def test_circuit_unitary_of_a_random_circuit_matches_qiskit() -> None:
    # the oracle other tests lean on, itself checked here against Qiskit
    for seed in range(5):
        ours, theirs = build_both(4, 30, 100 + seed)
        np.testing.assert_allclose(circuit_unitary(ours), Operator(theirs).data, rtol=0, atol=ATOL)


def test_new_instruction_makes_the_same_immutable_instruction() -> None:
    from qhpc_interop.ir import MEASURE, Condition, Instruction, library_gate, new_instruction

    cases = [(library_gate("cx"), (0, 1)), (MEASURE, (2,), (1,)),
             (library_gate("rz", (0.5,)), (3,), (), Condition((0, 1), 2))]
    for args in cases:
        made, reference = new_instruction(*args), Instruction(*args)
        assert type(made) is Instruction and made == reference and hash(made) == hash(reference)
        assert (made.operation, made.qubits, made.clbits, made.condition) == (
            reference.operation, reference.qubits, reference.clbits, reference.condition)
        assert made.clbits == args[2] if len(args) > 2 else made.clbits == () and made.condition is None
        with pytest.raises(AttributeError):
            made.qubits = (5,)  # type: ignore[misc]
    # keyword construction and the defaults, as the dataclass had them
    inst = Instruction(operation=MEASURE, qubits=(0,), clbits=(0,))
    assert inst.condition is None and inst.name == "measure" and inst.params == ()


def test_new_gate_and_library_gate_make_the_same_frozen_gate() -> None:
    import dataclasses

    from qhpc_interop.ir import library_gate, new_gate
    from qhpc_interop.params import Parameter as P

    for name, params in [("rz", (0.5,)), ("u", (0.1, -0.2, 0.3)), ("rx", (P("a") * 2,)), ("x", ())]:
        reference = Gate(name, params)
        for made in (new_gate(name, params), library_gate(name, params)):
            assert type(made) is Gate and made == reference and hash(made) == hash(reference)
            assert (made.name, made.params) == (reference.name, reference.params)
            with pytest.raises(dataclasses.FrozenInstanceError):
                made.name = "y"  # type: ignore[misc]


def test_describe_names_bits_by_the_circuits_registers() -> None:
    # an outside audit: errors said "measure q[4] -> c[4]" (the model's flat clbit) of a program whose
    # bit 4 is d[1]; a bit in no register keeps its flat name, a register condition its register
    from qhpc_interop.ir import BARRIER, MEASURE, Condition, Register

    circuit = Circuit.with_registers({"q": 5}, {"c": 3, "d": 2})
    inst = Instruction(MEASURE, (4,), (4,), Condition((3, 4), 1, "d"))
    assert circuit.describe(inst) == "if d==1: measure q[4] -> d[1]"
    assert circuit.describe(Instruction(Gate("cx"), (0, 1), (), Condition((3,), 1))) == "if d[0]==1: cx q[0], q[1]"
    assert circuit.describe(Instruction(Gate("x"), (2,), (), Condition((0, 4), 2))) == "if (c[0], d[1])==2: x q[2]"
    loose = Circuit(num_qubits=2, num_clbits=2)
    assert loose.describe(Instruction(MEASURE, (1,), (1,))) == "measure q[1] -> c[1]"
    # beside a register called c, a bit in no register is not "c[0]" (the review of describe)
    beside = Circuit(num_qubits=2, num_clbits=3)
    beside.cregs.append(Register("c", (1, 2)))
    assert beside.describe(Instruction(MEASURE, (1,), (0,), Condition((1,), 1))) == \
        "if c[0]==1: measure q[1] -> clbit 0"
    assert beside.describe(Instruction(BARRIER, ())) == "barrier"


def test_a_measure_or_reset_instruction_acts_on_one_qubit() -> None:
    # the model took measure q[0, 1] -> c[0, 1] in one instruction, and the OpenQASM, Qiskit and
    # Cirq writers wrote its first pair only (a review): one per instruction now, by name
    from qhpc_interop import wire
    from qhpc_interop.errors import WireFormatError
    from qhpc_interop.ir import MEASURE, RESET

    circuit = Circuit(num_qubits=2, num_clbits=2)
    with pytest.raises(CircuitError, match="measures one qubit into one clbit, not 2 into 2"):
        circuit.append(MEASURE, [0, 1], [0, 1])
    with pytest.raises(CircuitError, match="resets one qubit, not 2"):
        circuit.append(RESET, [0, 1])
    circuit.measure([0, 1], [0, 1])  # one instruction per pair
    assert [i.qubits for i in circuit.instructions] == [(0,), (1,)]
    document = wire.dumps(circuit).replace('"qubits": [0]', '"qubits": [0, 1]').replace('"clbits": [0]', '"clbits": [0, 1]')
    with pytest.raises(WireFormatError, match="instruction 0: a measure instruction measures one qubit"):
        wire.loads(document)


def test_an_unpickled_unitary_gate_keeps_its_matrix_read_only() -> None:
    # an audit: a unitary gate unpickled (from a worker process) had a writable matrix, which the
    # constructor makes read-only, so an edit could change a gate that hashes and compares by it
    import pickle

    gate = UnitaryGate(np.array([[0, 1], [1, 0]], dtype=complex), "flip")
    back = pickle.loads(pickle.dumps(gate))
    assert back == gate and back.label == "flip" and not back.matrix_data.flags.writeable
    with pytest.raises(ValueError):
        back.matrix_data[0, 0] = 1
