"""QuantumCircuit <-> model, checked with qiskit.quantum_info.Operator as the oracle."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
from qhpc.errors import TranslationError
from qhpc.testing import check_translator_pair
from qhpc_interop import Condition, qasm2, qasm3
from qhpc_interop.testing import circuit_unitary, measurement_probabilities, process_fidelity
from qhpc_qiskit.translate import circuit_from_qiskit, circuit_to_qiskit
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import (
    GlobalPhaseGate,
    MCXGate,
    QFTGate,
    UnitaryGate,
    XGate,
    get_standard_gate_name_mapping,
)
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator, random_unitary

FIDELITY = 1 - 1e-9
SKIP = {"measure", "reset", "delay", "global_phase"}
STANDARD = {n: g for n, g in get_standard_gate_name_mapping().items() if n not in SKIP}


def op(qc: QuantumCircuit) -> np.ndarray:
    return Operator(qc).data


def one_gate_circuit(name: str, rng: random.Random) -> QuantumCircuit:
    gate = STANDARD[name]
    params = [rng.uniform(-2 * math.pi, 2 * math.pi) for _ in gate.params]
    g = type(gate)(*params) if params else gate
    n = g.num_qubits + 1
    qc = QuantumCircuit(n, global_phase=rng.uniform(-3, 3))
    qc.append(g, rng.sample(range(n), g.num_qubits))
    return qc


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_every_standard_gate_round_trips_exactly(name: str) -> None:
    rng = random.Random(f"round-trip {name}")
    qc = one_gate_circuit(name, rng)
    model = circuit_from_qiskit(qc)
    # the model's own matrix agrees with Qiskit's: exact, global phase included
    assert np.allclose(circuit_unitary(model), op(qc), atol=1e-10)
    back = circuit_to_qiskit(model)
    assert np.allclose(op(back), op(qc), atol=1e-10)
    assert process_fidelity(op(back), op(qc)) >= FIDELITY


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_every_standard_gate_through_openqasm(name: str) -> None:
    """Qiskit -> model -> QASM 2 / QASM 3 -> model -> Qiskit, compared with Operator."""
    rng = random.Random(f"openqasm {name}")
    qc = one_gate_circuit(name, rng)
    model = circuit_from_qiskit(qc)
    via2 = circuit_to_qiskit(qasm2.loads(qasm2.dumps(model)))
    assert process_fidelity(op(via2), op(qc)) >= FIDELITY  # QASM 2 has no global phase
    via3 = circuit_to_qiskit(qasm3.loads(qasm3.dumps(model)))
    assert np.allclose(op(via3), op(qc), atol=1e-9)  # QASM 3 keeps it


def test_200_seeded_random_circuits_round_trip() -> None:
    for seed in range(200):
        n = 1 + seed % 5
        qc = random_circuit(n, depth=1 + seed % 8, max_operands=min(n, 3), seed=seed)
        model = circuit_from_qiskit(qc)
        expected = op(qc)
        assert np.allclose(circuit_unitary(model), expected, atol=1e-9), seed
        assert process_fidelity(op(circuit_to_qiskit(model)), expected) >= FIDELITY, seed
        if seed % 4 == 0:  # and through both OpenQASM versions
            assert process_fidelity(op(circuit_to_qiskit(qasm2.loads(qasm2.dumps(model)))), expected) >= FIDELITY
            assert process_fidelity(op(circuit_to_qiskit(qasm3.loads(qasm3.dumps(model)))), expected) >= FIDELITY


def test_conformance_kit() -> None:
    check_translator_pair(circuit_to_qiskit, circuit_from_qiskit, native_unitary=op)


def test_bit_order_matches_qiskit() -> None:
    """X on one qubit only reads back as the same bitstring in Qiskit's convention and the model."""
    from qiskit_aer import AerSimulator

    for k in range(3):
        qc = QuantumCircuit(3, 3)
        qc.x(k)
        qc.measure([0, 1, 2], [0, 1, 2])
        expected = "".join("1" if b == k else "0" for b in (2, 1, 0))
        aer = AerSimulator().run(qc, shots=10, seed_simulator=1).result().get_counts()
        assert aer == {expected: 10}
        assert measurement_probabilities(circuit_from_qiskit(qc)) == {expected: 1.0}
    # measuring into a permuted clbit
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.measure(0, 1)
    qc.measure(1, 0)
    assert measurement_probabilities(circuit_from_qiskit(qc)) == {"10": 1.0}


def test_parameterized_circuit_bound_after_translation() -> None:
    theta, phi = Parameter("θ"), Parameter("phi")
    vec = ParameterVector("v", 3)
    qc = QuantumCircuit(3)
    qc.rx(theta, 0)
    qc.ry(2 * theta + 1, 1)
    qc.rz(phi.sin() * theta - vec[0] / 3, 2)
    qc.cp(vec[1] ** 2, 0, 1)
    qc.u(vec[2], theta.exp(), (phi + 1).log(), 2)
    qc.rzz(phi.arctan() + theta.cos(), 1, 2)
    qc.global_phase = theta / 2
    model = circuit_from_qiskit(qc)
    assert sorted(p.name for p in model.parameters) == ["phi", "v[0]", "v[1]", "v[2]", "θ"]
    back = circuit_to_qiskit(model)
    rng = random.Random(3)
    for _ in range(5):
        values = {theta: rng.uniform(-2, 2), phi: rng.uniform(0.1, 2), **{v: rng.uniform(-2, 2) for v in vec}}
        by_name = {p.name: v for p, v in values.items()}
        expected = op(qc.assign_parameters(values))
        assert np.allclose(circuit_unitary(model.bind(by_name)), expected, atol=1e-9)
        bound_back = back.assign_parameters({p: by_name[p.name] for p in back.parameters})
        assert np.allclose(op(bound_back), expected, atol=1e-9)


@pytest.mark.filterwarnings("ignore:converting to qasm3 writes parameter")
@pytest.mark.parametrize("through", ["cirq", "myqlm", "qhpc.json", "qasm3"])
def test_a_parameter_vector_binds_by_position_after_a_trip_through_another_format(through: str) -> None:
    # an outside audit: the elements came back as plain parameters th[0], th[1], th[10], th[11],
    # th[2]... (Qiskit orders plain parameters by name), so a list of values bound the wrong ones;
    # a later one: through OpenQASM 3, as th_0_, th_10_, th_11_, th_1_... (now th_00_ ... th_11_)
    import qhpc

    vec = ParameterVector("th", 12)
    qc = QuantumCircuit(2)
    for i in range(12):
        qc.rx((i + 1) * vec[i], i % 2)
        qc.cx(i % 2, 1 - i % 2)
    values = [0.1 * k + 0.05 for k in range(12)]
    back = qhpc.convert(qhpc.convert(qc, through), "qiskit", source=through)
    names = [f"th_{i:02d}_" for i in range(12)] if through == "qasm3" else [f"th[{i}]" for i in range(12)]
    assert [p.name for p in back.parameters] == names
    assert Operator(back.assign_parameters(values)).equiv(Operator(qc.assign_parameters(values)))


def test_names_like_vector_elements_from_other_formats_become_vector_elements() -> None:
    import cirq
    import qhpc
    import sympy

    q = cirq.LineQubit(0)
    a3, a01, a, a10, far = (sympy.Symbol(n) for n in ("a[3]", "a[01]", "a", "a[10]", "b[100000]"))
    circuit = cirq.Circuit(cirq.rx(a3).on(q), cirq.rx(a01).on(q), cirq.ry(a).on(q), cirq.rz(a10).on(q),
                           cirq.rx(far).on(q))
    qc = qhpc.convert(circuit, "qiskit")
    kinds = {p.name: type(p).__name__ for p in qc.parameters}
    # a leading zero is no index; an index of 100,000 or more would make a vector that long
    assert kinds == {"a": "Parameter", "a[01]": "Parameter", "a[3]": "ParameterVectorElement",
                     "a[10]": "ParameterVectorElement", "b[100000]": "Parameter"}
    assert [p.name for p in qc.parameters if kinds[p.name] != "Parameter"] == ["a[3]", "a[10]"]  # by index
    values = {"a[3]": 0.3, "a[01]": -0.7, "a": 1.1, "a[10]": 0.9, "b[100000]": -0.4}
    expected = cirq.unitary(cirq.resolve_parameters(circuit, {sympy.Symbol(k): v for k, v in values.items()}))
    assert np.allclose(op(qc.assign_parameters(values)), expected, atol=1e-9)  # one qubit: no bit order


def test_registers_names_and_loose_bits_survive() -> None:
    a, b = QuantumRegister(2, "a"), QuantumRegister(1, "b")
    c, d = ClassicalRegister(1, "c"), ClassicalRegister(2, "d")
    qc = QuantumCircuit(a, b, c, d, name="layout")
    qc.x(b[0])
    qc.measure(b[0], d[1])
    qc.measure(a, [c[0], d[0]])
    model = circuit_from_qiskit(qc)
    assert [(r.name, r.bits) for r in model.qregs] == [("a", (0, 1)), ("b", (2,))]
    assert [(r.name, r.bits) for r in model.cregs] == [("c", (0,)), ("d", (1, 2))]
    back = circuit_to_qiskit(model)
    assert [r.name for r in back.qregs] == ["a", "b"] and [r.name for r in back.cregs] == ["c", "d"]
    assert back.name == "layout"
    assert measurement_probabilities(model) == {"100": 1.0}


def test_bits_in_no_register_are_written_in_one_so_qiskits_primitives_return_them() -> None:
    # a myQLM circuit (or JSON without registers) became a Qiskit circuit of loose bits, whose
    # StatevectorSampler result holds no data at all; judged by Qiskit's own sampler
    from qhpc_interop import Circuit, Register
    from qiskit.primitives import StatevectorSampler

    model = Circuit(3, 3).x(0).x(2).measure(0, 0).measure(1, 1).measure(2, 2)
    qc = circuit_to_qiskit(model)
    assert [(r.name, r.size) for r in qc.qregs] == [("q", 3)] and [(r.name, r.size) for r in qc.cregs] == [("c", 3)]
    assert StatevectorSampler(seed=1).run([qc], shots=10).result()[0].data.c.get_counts() == {"101": 10}
    # some bits in registers, the others loose: the loose ones in one more register, named apart
    model = Circuit(2, 3, qregs=[Register("c", (0,))], cregs=[Register("m", (1,))]).x(0).measure(0, 0)
    model.measure(1, 2).measure(0, 1)
    qc = circuit_to_qiskit(model)
    assert [(r.name, [qc.find_bit(b).index for b in r]) for r in qc.qregs] == [("c", [0]), ("q", [1])]
    assert [(r.name, [qc.find_bit(b).index for b in r]) for r in qc.cregs] == [("m", [1]), ("c_1", [0, 2])]
    data = StatevectorSampler(seed=1).run([qc], shots=10).result()[0].data
    assert data.m.get_counts() == {"1": 10} and data.c_1.get_counts() == {"01": 10}


def test_circuits_written_with_one_layout_are_independent() -> None:
    # circuit_to_qiskit copies a kept empty circuit per bit and register layout: each result must
    # still be its own circuit, with its own name, phase and instructions
    first = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(2, "c"), name="first", global_phase=0.5)
    first.h(0)
    second = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(2, "c"), name="second")
    second.cx(0, 1)
    a, b = circuit_to_qiskit(circuit_from_qiskit(first)), circuit_to_qiskit(circuit_from_qiskit(second))
    a.x(1)
    a.metadata["touched"] = True
    again = circuit_to_qiskit(circuit_from_qiskit(second))
    assert (a.name, b.name, again.name) == ("first", "second", "second")
    unnamed = circuit_from_qiskit(first)
    unnamed.name = ""
    assert circuit_to_qiskit(unnamed).name == ""
    assert math.isclose(a.global_phase, 0.5) and b.global_phase == 0 and again.global_phase == 0
    assert [i.operation.name for i in a.data] == ["h", "x"]
    assert [i.operation.name for i in b.data] == ["cx"] == [i.operation.name for i in again.data]
    assert not b.metadata and not again.metadata
    loose = QuantumCircuit(3)  # bits without registers take the other way to an empty circuit
    loose.ccx(0, 1, 2)
    one, two = circuit_to_qiskit(circuit_from_qiskit(loose)), circuit_to_qiskit(circuit_from_qiskit(loose))
    one.h(0)
    assert len(two.data) == 1 and np.allclose(op(two), op(loose))


def test_conditionals_both_ways() -> None:
    qr, cr = QuantumRegister(2, "q"), ClassicalRegister(2, "c")
    qc = QuantumCircuit(qr, cr)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((cr, 1)):
        qc.x(1)
        qc.z(0)
    with qc.if_test((cr[0], False)):
        qc.y(1)
    model = circuit_from_qiskit(qc)
    conds = [(i.name, i.qubits, i.condition) for i in model if i.condition]
    assert conds == [("x", (1,), Condition((0, 1), 1, "c")), ("z", (0,), Condition((0, 1), 1, "c")),
                     ("y", (1,), Condition((0,), 0))]
    back = circuit_from_qiskit(circuit_to_qiskit(model))
    assert [(i.name, i.qubits, i.condition) for i in back if i.condition] == conds


def test_library_and_custom_gates_expand_through_their_definitions() -> None:
    qc = QuantumCircuit(4)
    qc.append(QFTGate(3), [0, 2, 3])
    qc.append(MCXGate(3), [0, 1, 2, 3])
    qc.append(XGate().control(1, ctrl_state=0), [1, 0])
    sub = QuantumCircuit(2, name="mine", global_phase=0.4)
    sub.h(0)
    sub.crz(0.3, 0, 1)
    qc.append(sub.to_gate(), [3, 1])
    qc.append(UnitaryGate(random_unitary(4, seed=2)), [2, 0])
    qc.append(GlobalPhaseGate(0.25), [])
    model = circuit_from_qiskit(qc)
    assert np.allclose(circuit_unitary(model), op(qc), atol=1e-9)
    assert np.allclose(op(circuit_to_qiskit(model)), op(qc), atol=1e-9)


@pytest.mark.parametrize("name", ["measure", "reset", "barrier", "delay", "global_phase", "unitary", "if_else",
                                  "switch_case", "for_loop", "while_loop", "box", "break_loop", "continue_loop"])
def test_a_custom_gate_named_like_a_builtin_instruction_is_read_by_its_definition(name: str) -> None:
    # the reader dispatches on names: a gate called "barrier" was dropped, "reset" became a reset
    # on two qubits, "delay" crashed; Qiskit's own Operator is the oracle
    sub = QuantumCircuit(2, name=name)
    sub.ry(0.3, 0)
    sub.cx(0, 1)
    sub.rz(0.7, 1)
    qc = QuantumCircuit(3)
    qc.append(sub.to_gate(), [2, 0])
    qc.append(sub.to_instruction(), [0, 1])
    model = circuit_from_qiskit(qc)
    assert {i.operation.name for i in model.instructions} <= {"ry", "cx", "rz"}
    assert np.allclose(circuit_unitary(model), op(qc), atol=1e-9)


@pytest.mark.parametrize("case", ["permutation", "controlled annotated", "powered annotated", "symbolic annotated",
                                  "clifford"])
def test_operations_without_a_definition_are_read_as_qiskits_synthesis(case: str) -> None:
    # they were read as matrices, which OpenQASM cannot hold ("arbitrary 4-qubit unitary"), or refused
    # ("no definition and no matrix") where the annotated gate had a symbolic parameter
    from qiskit import qasm3 as qiskit_qasm3
    from qiskit.circuit.library import CXGate, PermutationGate, QFTGate, RZGate
    from qiskit.quantum_info import Clifford

    theta = Parameter("theta")
    made = {
        "permutation": PermutationGate([2, 0, 3, 1]),
        "controlled annotated": QFTGate(2).control(1, ctrl_state=0, annotated=True),
        "powered annotated": CXGate().power(3, annotated=True),
        "symbolic annotated": RZGate(theta).control(2, annotated=True),
        "clifford": Clifford(QuantumCircuit.from_qasm_str(
            'OPENQASM 2.0; include "qelib1.inc"; qreg q[3]; h q[0]; cx q[0],q[2]; s q[1]; cz q[1],q[2]; sdg q[2]; '
            "swap q[0],q[1];")),
    }[case]
    n = made.num_qubits
    qc = QuantumCircuit(n + 1)
    qc.h(n)
    qc.append(made, range(n, 0, -1))  # on qubits in another order than the circuit's
    model = circuit_from_qiskit(qc)
    assert all(type(i.operation).__name__ != "UnitaryGate" for i in model)  # gates, not a matrix
    values = {theta: 0.83}
    expected = op(qc.assign_parameters(values) if qc.parameters else qc)
    text = qasm3.dumps(model)  # the matrix was refused here
    back = qiskit_qasm3.loads(text)
    bound = back.assign_parameters({p: values[theta] for p in back.parameters}) if back.parameters else back
    assert np.allclose(op(bound), expected, atol=1e-9)
    again = circuit_to_qiskit(model)
    assert np.allclose(op(again.assign_parameters({p: values[theta] for p in again.parameters})
                          if again.parameters else again), expected, atol=1e-9)


@pytest.mark.parametrize("case", ["cx ** -0.5", "h ** -0.5", "z ** -0.25", "swap ** -0.5", "cx ** -1.5",
                                  "controlled x ** -0.5", "(h ** 0.5) inverse", "rz ** -0.5", "(h ** -0.5) controlled",
                                  "(controlled h) ** -0.5", "((cx inverse) ** 0.3) ** -2 ** 0.5"])
def test_a_negative_fractional_power_is_the_principal_one_qiskits_operator_takes(case: str) -> None:
    # HighLevelSynthesis makes U ** -p as (U ** -1) ** p: on a gate with an eigenvalue -1 that is
    # another operation (CX ** -0.5 came out as CX ** 0.5); Qiskit's Operator is the oracle
    from qiskit.circuit import AnnotatedOperation, ControlModifier, InverseModifier, PowerModifier
    from qiskit.circuit.library import CXGate, HGate, RZGate, SwapGate, XGate, ZGate

    base, modifiers = {
        "cx ** -0.5": (CXGate(), [PowerModifier(-0.5)]), "h ** -0.5": (HGate(), [PowerModifier(-0.5)]),
        "z ** -0.25": (ZGate(), [PowerModifier(-0.25)]), "swap ** -0.5": (SwapGate(), [PowerModifier(-0.5)]),
        "cx ** -1.5": (CXGate(), [PowerModifier(-1.5)]),
        "controlled x ** -0.5": (XGate().control(1), [PowerModifier(-0.5)]),
        "(h ** 0.5) inverse": (HGate(), [PowerModifier(0.5), InverseModifier()]),
        "rz ** -0.5": (RZGate(0.3), [PowerModifier(-0.5)]),
        "(h ** -0.5) controlled": (HGate(), [PowerModifier(-0.5), ControlModifier(1)]),
        "(controlled h) ** -0.5": (HGate(), [ControlModifier(1), PowerModifier(-0.5)]),
        "((cx inverse) ** 0.3) ** -2 ** 0.5": (CXGate(), [InverseModifier(), PowerModifier(0.3), PowerModifier(-2),
                                                          PowerModifier(0.5)])}[case]
    annotated = AnnotatedOperation(base, modifiers)
    qc = QuantumCircuit(3)
    qc.h(2)
    qc.append(annotated, [2, 0, 1][:annotated.num_qubits])
    assert np.allclose(circuit_unitary(circuit_from_qiskit(qc)), op(qc), atol=1e-9)


def test_operations_qiskit_can_make_only_once_bound_are_refused_by_position() -> None:
    from qiskit.circuit import AnnotatedOperation, PowerModifier
    from qiskit.circuit.library import HamiltonianGate, RVGate, XGate

    p = Parameter("p")
    for operation, message in ((AnnotatedOperation(XGate(), [PowerModifier(p)]), r"a power by p, a symbol"),
                               (HamiltonianGate(np.diag([1.0, -1, -1, 1]), p), r"Qiskit could not define it .*bind"),
                               (RVGate(p, 0.1, 0.2), r"Qiskit could not define it .*bind")):
        qc = QuantumCircuit(2)
        qc.x(0)
        qc.append(operation, range(operation.num_qubits))
        with pytest.raises(TranslationError, match=rf"^instruction 1 \({operation.name}\): {message}"):
            circuit_from_qiskit(qc)
    from qiskit.circuit.library import MCXGate

    for operation, message in ((AnnotatedOperation(XGate(), [PowerModifier(0.5 + 0j)]), r"not a real number"),
                               (AnnotatedOperation(MCXGate(10), [PowerModifier(-0.5)]), r"11-qubit operation.* 10")):
        qc = QuantumCircuit(operation.num_qubits)
        qc.append(operation, range(operation.num_qubits))
        with pytest.raises(TranslationError, match=rf"^instruction 0 \(annotated\): a .*{message}"):
            circuit_from_qiskit(qc)


def test_a_large_annotated_power_is_a_matrix_and_synthesis_counts_toward_the_expansion_limit() -> None:
    from qhpc_qiskit import from_qiskit  # the reader, where the limit is read
    from qiskit.circuit import AnnotatedOperation, PowerModifier
    from qiskit.circuit.library import PermutationGate

    base = QuantumCircuit(2, name="g")
    base.h(0)
    base.cx(0, 1)
    base.rz(0.3, 1)
    # HighLevelSynthesis writes every repetition: a power of 10**5 took seconds and 300,000 gates
    qc = QuantumCircuit(2)
    qc.append(AnnotatedOperation(base.to_gate(), [PowerModifier(10**5)]), [0, 1])
    model = circuit_from_qiskit(qc)
    assert [i.name for i in model] == ["unitary"]
    assert np.allclose(circuit_unitary(model), op(qc), atol=1e-6)
    wide = QuantumCircuit(8)
    wide.append(PermutationGate([*range(1, 8), 0]), range(8))
    limit = from_qiskit.MAX_GATE_EXPANSION
    try:
        from_qiskit.MAX_GATE_EXPANSION = 3  # the synthesised swaps are counted like a definition's gates
        with pytest.raises(TranslationError, match="its synthesis expands past 3 gates"):
            circuit_from_qiskit(wide)
    finally:
        from_qiskit.MAX_GATE_EXPANSION = limit


def _evolution(terms: list[str], synthesis: object = None) -> QuantumCircuit:
    from qiskit.circuit.library import PauliEvolutionGate
    from qiskit.quantum_info import SparsePauliOp

    operator = SparsePauliOp(terms, np.linspace(0.3, -0.7, len(terms)))
    gate = PauliEvolutionGate(operator, time=0.4, **({} if synthesis is None else {"synthesis": synthesis}))
    qc = QuantumCircuit(gate.num_qubits)
    qc.append(gate, range(gate.num_qubits))
    return qc


@pytest.mark.parametrize("case", ["commuting", "matrix", "lie-trotter", "suzuki", "qdrift", "list",
                                  "sparse observable", "controlled"])
def test_a_pauli_evolution_is_exact_or_announced_as_its_product_formula(case: str) -> None:
    import warnings

    from qhpc_interop.errors import ConversionLossWarning
    from qiskit.circuit.library import PauliEvolutionGate
    from qiskit.quantum_info import SparseObservable, SparsePauliOp
    from qiskit.synthesis import MatrixExponential, QDrift, SuzukiTrotter

    noncommuting = ["XZY", "ZZI", "IYX"]
    qc = {
        "commuting": lambda: _evolution(["XXI", "YYI", "ZZZ"]),  # pairwise commuting
        "matrix": lambda: _evolution(noncommuting, MatrixExponential()),
        "lie-trotter": lambda: _evolution(noncommuting),
        "suzuki": lambda: _evolution(noncommuting, SuzukiTrotter(order=2, reps=2)),
        "qdrift": lambda: _evolution(noncommuting, QDrift(reps=2, seed=5)),
        "list": lambda: QuantumCircuit(2).compose(PauliEvolutionGate([SparsePauliOp(["XX"]), SparsePauliOp(["ZI"])],
                                                                      time=0.7), [0, 1]),
        # a SparseObservable (projector terms too), as .control() makes: reading failed with an
        # AttributeError (no .paulis) once the check was added
        "sparse observable": lambda: QuantumCircuit(2).compose(PauliEvolutionGate(
            SparseObservable.from_list([("X+", 0.4), ("1Z", -0.3)]), time=0.5), [0, 1]),
        "controlled": lambda: QuantumCircuit(3).compose(PauliEvolutionGate(
            SparsePauliOp(["XX", "YY"], [0.3, 0.2]), time=0.6).control(1), [0, 1, 2]),
    }[case]()
    exact = case in ("commuting", "matrix", "controlled")  # (|1><1| x (XX, YY) terms all commute)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = circuit_from_qiskit(qc)
    announced = [str(w.message) for w in caught if issubclass(w.category, ConversionLossWarning)]
    # the model is Qiskit's synthesis, what its transpiler and Aer run (the oracle: Qiskit's
    # Operator of the gate's definition); where that is not the exponential the gate stands for
    # (Operator of the gate), reading says so: it did not, and fidelity to the gate was 0.998
    gate = qc.data[0].operation
    assert np.allclose(circuit_unitary(model), Operator(gate.definition).data, atol=1e-9)
    assert np.allclose(circuit_unitary(model), Operator(gate).data, atol=1e-9) == exact
    if exact:
        assert announced == []
    else:
        assert len(announced) == 1
        assert re.search(r"1 PauliEvolutionGate\(s\) read as Qiskit's synthesis.*approximates exp\(-iHt\).*"
                         r"(do not all commute|randomly sampled).*MatrixExponential", announced[0]), announced


def test_a_delay_is_read_as_a_barrier_and_announced() -> None:
    # an outside audit found delays read past silently from Cirq and OpenQASM 3 but refused from Qiskit:
    # now one rule, a barrier on the delayed qubits (no gate moves across it) and a ConversionLossWarning
    from qhpc_interop.errors import ConversionLossWarning

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.delay(100, 0, unit="ns")
    qc.delay(2, [0, 1], unit="us")
    qc.cx(0, 1)
    with pytest.warns(ConversionLossWarning, match=r"reading drops 3 delay\(s\) \(instruction 1 \(delay\): 100.0 "
                                                   r"ns, instruction 2 \(delay\): 2.0 us, instruction 3 \(delay\)"):
        model = circuit_from_qiskit(qc)
    assert [(i.name, i.qubits) for i in model.instructions] == [("h", (0,)), ("barrier", (0,)), ("barrier", (0,)),
                                                                ("barrier", (1,)), ("cx", (0, 1))]
    assert np.allclose(circuit_unitary(model), op(qc.remove_final_measurements(inplace=False)), atol=1e-12)
    # under a condition there is no barrier to read it as (the model conditions gates only): said so
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.delay(10, 0, unit="ns")
        qc.x(0)
    with pytest.warns(ConversionLossWarning, match=r"10.0 ns, under a condition: dropped"):
        model = circuit_from_qiskit(qc)
    assert [i.name for i in model.instructions] == ["measure", "x"]


def test_a_delay_by_a_stretch_is_a_delay_too() -> None:
    # a circuit with a stretch (a duration variable, used only by delays and boxes) was refused
    # as using "classical variables"; its delays are delays like the others
    from qhpc_interop.errors import ConversionLossWarning
    from qiskit.circuit import Duration
    from qiskit.circuit.classical import expr, types

    qc = QuantumCircuit(2)
    stretch = qc.add_stretch("s")
    qc.h(0)
    qc.delay(stretch, 0)
    qc.cx(0, 1)
    qc.delay(expr.add(stretch, Duration.dt(100)), 1)
    with pytest.warns(ConversionLossWarning, match=r"instruction 1 \(delay\): s \(a stretch\), instruction 3 "
                                                   r"\(delay\): a duration expression"):
        model = circuit_from_qiskit(qc)
    bell = QuantumCircuit(2)  # (Qiskit 2 cannot copy a circuit with a stretch, so Operator gets this one)
    bell.h(0)
    bell.cx(0, 1)
    assert np.allclose(circuit_unitary(model), op(bell), atol=1e-12)
    with_var = QuantumCircuit(1)
    with_var.add_input("x", types.Bool())
    with pytest.raises(TranslationError, match="classical variables"):
        circuit_from_qiskit(with_var)




def test_a_transpiled_circuits_layout_survives_through_qiskit_and_json_and_is_announced_elsewhere() -> None:
    # Qiskit's Operator.from_circuit reads the layout transpile recorded (placement and routing);
    # a conversion that kept the gates but lost that record would give another operator there
    import warnings

    import qhpc
    from qhpc.conversion import ConversionLossWarning
    from qiskit import transpile
    from qiskit.transpiler import CouplingMap

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.cx(1, 2)
    qc.t(1)
    t = transpile(qc, coupling_map=CouplingMap.from_line(5), basis_gates=["cx", "u", "swap"],
                  initial_layout=[4, 0, 2], optimization_level=0, seed_transpiler=1)
    expected = Operator.from_circuit(t)
    assert t.layout.routing_permutation() != list(range(5))  # routing moved qubits: a layout to lose
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        back = qhpc.convert(t, "qiskit")
        through_json = qhpc.convert(qhpc.convert(t, "qhpc.json"), "qiskit")
    for circuit in (back, through_json):
        assert circuit.layout is not None
        assert np.allclose(Operator.from_circuit(circuit).data, expected.data)
        assert circuit.layout.initial_index_layout(filter_ancillas=True) == [4, 0, 2]
    for target in ("cirq", "myqlm", "qasm3"):
        with pytest.warns(ConversionLossWarning, match=f"converting to {target} drops layout"):
            qhpc.convert(t, target)
    # and a circuit without one has none afterwards
    assert qhpc.convert(qc, "qiskit").layout is None


def test_qubit_identities_recorded_before_transpiling_move_with_the_layout() -> None:
    # a Cirq circuit on GridQubits, through Qiskit, transpiled with its two qubits swapped: back in
    # Cirq each gate acts on the GridQubit it acted on before (judged by Cirq's own simulator)
    import cirq
    import qhpc
    from qiskit import transpile

    a, b = cirq.GridQubit(0, 0), cirq.GridQubit(4, 5)
    original = cirq.Circuit(cirq.X(b), cirq.H(a), cirq.CZ(a, b) ** 0.5, cirq.measure(a, b, key="m"))
    qc = qhpc.convert(original, "qiskit")
    t = transpile(qc, basis_gates=["x", "h", "cs", "swap", "measure"], coupling_map=[[0, 1], [1, 0]], initial_layout=[1, 0],
                  optimization_level=0)
    from qhpc.conversion import ConversionLossWarning

    with pytest.warns(ConversionLossWarning, match="drops layout"):  # Cirq holds no layout record
        back = qhpc.convert(t, "cirq")
    assert back.all_qubits() == {a, b}
    order = [a, b]
    assert np.allclose(cirq.final_state_vector(cirq.drop_terminal_measurements(back), qubit_order=order),
                       cirq.final_state_vector(cirq.drop_terminal_measurements(original), qubit_order=order), atol=1e-9)
    # onto more qubits than were named: the names no longer cover them, and that is said
    wide = transpile(qc, basis_gates=["x", "h", "cs", "swap", "measure"], coupling_map=[[0, 1], [1, 0], [1, 2], [2, 1]], initial_layout=[2, 0],
                     optimization_level=0)
    with pytest.warns(ConversionLossWarning, match="identities recorded before"):
        qhpc.convert(wide, "cirq")


def test_layout_records_and_user_metadata_do_not_mix_and_names_survive_repeated_trips() -> None:
    # a user's own "layout" metadata is theirs: kept, not read as a layout record, nothing announced
    import warnings

    import cirq
    import qhpc
    from qhpc.conversion import ConversionLossWarning
    from qiskit import transpile

    qc = QuantumCircuit(1, metadata={"layout": "heavy-hex"})
    qc.h(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        back = qhpc.convert(qhpc.convert(qc, "qhpc.json"), "qiskit", source="qhpc.json")
        qhpc.convert(qc, "cirq")
    assert back.metadata == {"layout": "heavy-hex"} and back.layout is None
    # names recorded before transpiling, through Qiskit and back twice: each gate stays on its qubit
    a, b, c = cirq.GridQubit(0, 0), cirq.GridQubit(1, 1), cirq.GridQubit(2, 2)
    original = cirq.Circuit(cirq.X(a), cirq.H(b), cirq.Y(c))
    t = transpile(qhpc.convert(original, "qiskit"), basis_gates=["x", "h", "y"], coupling_map=[[0, 1], [1, 2]],
                  initial_layout=[2, 1, 0], optimization_level=0)
    current = t
    for _ in range(3):
        current = qhpc.convert(current, "qiskit")
        with pytest.warns(ConversionLossWarning, match="drops layout"):
            again = qhpc.convert(current, "cirq")
        assert {str(op) for op in again.all_operations()} == {str(op) for op in original.all_operations()}


def test_nameless_programs_become_circuits_with_names_of_their_own() -> None:
    # an audit: every nameless program of one bit layout came out under the same (cached template's)
    # name, and Result.get_counts(circuit), which looks results up by name, gave another's counts
    from qhpc_interop import Circuit
    from qiskit_aer import AerSimulator

    ones = circuit_to_qiskit(Circuit(2, 2).x(0).x(1).measure(0, 0).measure(1, 1))
    zeros = circuit_to_qiskit(Circuit(2, 2).measure(0, 0).measure(1, 1))
    assert ones.name != zeros.name
    result = AerSimulator(seed_simulator=1).run([zeros, ones], shots=20).result()
    assert result.get_counts(ones) == {"11": 20} and result.get_counts(zeros) == {"00": 20}
    named = Circuit(1, name="mine")
    assert circuit_to_qiskit(named).name == "mine"


def test_metadata_is_copied_deeply_both_ways() -> None:
    # an audit: nested metadata was shared between the Qiskit circuit, the model and the output
    qc = QuantumCircuit(1, metadata={"history": ["made"], "calibration": {"t1": [50.0]}})
    qc.x(0)
    model = circuit_from_qiskit(qc)
    out = circuit_to_qiskit(model)
    out.metadata["history"].append("converted")
    qc.metadata["calibration"]["t1"].append(60.0)
    again = circuit_to_qiskit(model)
    assert qc.metadata["history"] == ["made"] and model.metadata["history"] == ["made"]
    assert model.metadata["calibration"] == {"t1": [50.0]} and again.metadata["history"] == ["made"]
    copied = model.copy()
    copied.metadata["history"].append("copied")
    assert model.metadata["history"] == ["made"]


def test_gate_classes_made_per_circuit_are_not_kept_by_a_failed_conversion() -> None:
    # an audit: the set of operation types Qiskit's synthesis cannot make kept each class for good
    # (a factory of gate classes, one per circuit: 4.8 KB a conversion)
    import gc
    import weakref

    from qhpc_qiskit import from_qiskit
    from qiskit.circuit import Gate as QiskitGate

    alive = []
    for k in range(5):
        cls = type(f"Made{k}", (QiskitGate,), {"__init__": lambda self, k=k: QiskitGate.__init__(self, f"made{k}", 1, [])})
        qc = QuantumCircuit(1)
        qc.append(cls(), [0])
        with pytest.raises(TranslationError):
            circuit_from_qiskit(qc)
        assert cls in from_qiskit._NOT_SYNTHESIZED  # still asked once only while it lives
        alive.append(weakref.ref(cls))
        del cls, qc
    gc.collect()
    gc.collect()  # (a class is freed in a second pass: its instances' cycles go first)
    assert all(ref() is None for ref in alive)
