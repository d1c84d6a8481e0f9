"""The decompose compiler against the model's numpy unitary (itself checked against Qiskit)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from qhpc.compile import DecomposeCompiler, needs_compilation, plan_for
from qhpc.errors import CompileError
from qhpc.interfaces import BackendCapabilities
from qhpc.testing import check_compiler, gate_suite
from qhpc_interop import STANDARD_GATES, Circuit, Condition
from qhpc_interop.gates import CLIFFORD_GATES, zyz_angles
from qhpc_interop.testing import circuit_unitary, random_unitary

NATIVE_SETS = {
    "ibm": frozenset({"rz", "sx", "x", "cx", "id"}),
    "ion": frozenset({"rx", "ry", "rz", "rxx"}) | {"cx"},
    "cz": frozenset({"rx", "ry", "rz", "cz"}),
    "u_cx": frozenset({"u", "cx"}),
}


@pytest.mark.parametrize("basis", sorted(NATIVE_SETS))
def test_every_gate_and_random_circuits_compile_exactly(basis: str) -> None:
    target = BackendCapabilities(num_qubits=8, native_gates=NATIVE_SETS[basis], supports_unitary=False)
    # multi-qubit matrix gates included: synthesised (qhpc_interop.synthesis), then expanded
    suite = gate_suite(seed=7, num_random=40, parameterized=False)
    assert any(i.name == "unitary" and len(i.qubits) > 1 for c in suite for i in c)
    check_compiler(DecomposeCompiler(), target, suite, exact_phase=True)


def test_parameters_survive_decomposition() -> None:
    from qhpc_interop import Parameter

    t = Parameter("t")
    c = Circuit(2).rx(t, 0).cp(2 * t, 0, 1).gate("rzz", [0, 1], [t + 1])
    target = BackendCapabilities(num_qubits=2, native_gates=NATIVE_SETS["ibm"])
    compiled = DecomposeCompiler().compile(c, target)
    assert [p.name for p in compiled.parameters] == ["t"]
    for value in (0.3, -1.7):
        assert np.allclose(circuit_unitary(compiled.bind({"t": value})), circuit_unitary(c.bind({"t": value})))


def test_conditioned_gates_keep_their_condition() -> None:
    c = Circuit(2, 1).h(0).measure(0, 0)
    c.append("ch", [0, 1], condition=Condition((0,), 1))
    target = BackendCapabilities(num_qubits=2, native_gates=NATIVE_SETS["u_cx"])
    compiled = DecomposeCompiler().compile(c, target)
    conditioned = [i for i in compiled if i.condition is not None]
    assert conditioned and all(i.condition == Condition((0,), 1) for i in conditioned)
    assert not needs_compilation(compiled, target)


def test_clifford_targets_refuse_non_clifford_gates_with_a_reason() -> None:
    target = BackendCapabilities(num_qubits=4, native_gates=CLIFFORD_GATES)
    c = Circuit(2).h(0).t(1).cx(0, 1)
    why = DecomposeCompiler().can_compile(c, target)
    assert why is not None and "t" in why and "cannot be written" in why
    with pytest.raises(CompileError, match="cannot be written"):
        DecomposeCompiler().compile(c, target)
    assert set(plan_for(CLIFFORD_GATES)) >= {"iswap", "dcx", "cz", "swap"}


def test_coupling_maps_are_left_to_a_routing_compiler() -> None:
    target = BackendCapabilities(num_qubits=3, coupling_map=((0, 1), (1, 2)))
    assert "route" in (DecomposeCompiler().can_compile(Circuit(3).cx(0, 2), target) or "")
    assert needs_compilation(Circuit(3).cx(0, 2), target)
    assert not needs_compilation(Circuit(3).cx(0, 1), target)


def test_a_circuit_laid_out_on_the_coupling_map_is_expanded_without_routing() -> None:
    # decompose refused every target with a coupling map: a device plugin without Qiskit beside it
    # could run nothing, not even a GHZ whose CNOTs all lie on coupled pairs
    target = BackendCapabilities(num_qubits=4, native_gates=frozenset({"rz", "sx", "x", "cx"}),
                                 coupling_map=((0, 1), (1, 2), (2, 3)))
    laid_out = Circuit(4, 4).h(0).cx(0, 1).cx(1, 2).cz(2, 3).ry(0.7, 3)
    laid_out.gate("rzz", [0, 1], [0.3])
    assert DecomposeCompiler().can_compile(laid_out, target) is None
    compiled = DecomposeCompiler().compile(laid_out, target)
    assert not needs_compilation(compiled, target)
    assert np.allclose(circuit_unitary(compiled), circuit_unitary(laid_out), atol=1e-9)  # phase included
    # off the map, or against its direction once expanded: refused by name, for a routing compiler
    for circuit, what in ((Circuit(4).cx(0, 2), r"cx on qubits \[0, 2\]"),
                          (Circuit(4).cx(1, 0), r"cx on qubits \[1, 0\]"),
                          (Circuit(4).ccx(0, 1, 2), r"cx on qubits \[\d, \d\] \(from ccx on \[0, 1, 2\]\)")):
        why = DecomposeCompiler().can_compile(circuit, target) or ""
        assert re.search(r"does not route qubits: " + what + ".*not on the coupling map", why), why


def test_one_qubit_unitaries_become_u_gates_exactly() -> None:
    import random

    rng = random.Random(4)
    for _ in range(50):
        m = random_unitary(2, rng)
        theta, phi, lam, phase = zyz_angles(m)
        assert np.allclose(np.exp(1j * phase) * STANDARD_GATES["u"].matrix([theta, phi, lam]), m)
    c = Circuit(2).unitary(random_unitary(2, rng), [1]).cx(0, 1)
    compiled = DecomposeCompiler().compile(c, BackendCapabilities(num_qubits=2, native_gates=NATIVE_SETS["ibm"],
                                                                  supports_unitary=False))
    assert np.allclose(circuit_unitary(compiled), circuit_unitary(c))
    assert compiled.gate_names() <= NATIVE_SETS["ibm"]
    assert math.isfinite(float(compiled.global_phase))


def test_multi_qubit_unitaries_are_synthesised_into_native_gates_exactly() -> None:
    import random

    rng = random.Random(11)
    c = Circuit(4).h(0).unitary(random_unitary(8, rng), [3, 0, 2]).unitary(random_unitary(4, rng), [1, 3]).cx(0, 1)
    target = BackendCapabilities(num_qubits=4, native_gates=NATIVE_SETS["ibm"], supports_unitary=False)
    compiled = DecomposeCompiler().compile(c, target)
    assert compiled.gate_names() <= NATIVE_SETS["ibm"]
    assert np.allclose(circuit_unitary(compiled), circuit_unitary(c), atol=1e-9)  # phase included
    # a native set that cannot make the synthesis's gates: refused by name, before anything is done
    clifford = BackendCapabilities(num_qubits=4, native_gates=CLIFFORD_GATES, supports_unitary=False)
    why = DecomposeCompiler().can_compile(Circuit(2).unitary(random_unitary(4, rng), [0, 1]), clifford)
    assert why is not None and "synthesised in cu, cx, ry, rz, u" in why and "cannot express" in why
    # on a coupling map, the synthesised cx must lie on it (decompose does not route)
    line = BackendCapabilities(num_qubits=3, native_gates=NATIVE_SETS["ibm"], supports_unitary=False,
                               coupling_map=[(0, 1), (1, 0), (1, 2), (2, 1)])
    why = DecomposeCompiler().can_compile(Circuit(3).unitary(random_unitary(8, rng), [0, 1, 2]), line)
    assert why is not None and "not on the coupling map" in why
    two = Circuit(3).unitary(random_unitary(4, rng), [1, 2])
    assert DecomposeCompiler().can_compile(two, line) is None
    assert np.allclose(circuit_unitary(DecomposeCompiler().compile(two, line)), circuit_unitary(two), atol=1e-9)
