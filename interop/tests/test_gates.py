"""The standard gate library, checked against Qiskit's gates (``Operator``) as the independent oracle."""

from __future__ import annotations

import cmath
import math
import random

import numpy as np
import pytest
from qhpc_interop import Circuit, CircuitError, Expr, Gate, Parameter
from qhpc_interop.gates import STANDARD_GATES, controlled, definition_matrix, gate_spec, zyz_angles
from qhpc_interop.testing import circuit_unitary, random_unitary
from qiskit.circuit.library import (
    HGate,
    RYGate,
    SwapGate,
    U3Gate,
    XGate,
    get_standard_gate_name_mapping,
)
from qiskit.circuit.library import UnitaryGate as QiskitUnitaryGate
from qiskit.quantum_info import Operator

ATOL = 1e-12
QISKIT_GATES = get_standard_gate_name_mapping()
GATE_NAMES = sorted(STANDARD_GATES)
SEEDS = range(4)


def random_params(name: str, seed: int) -> list[float]:
    rng = random.Random(f"{name}-{seed}")
    return [rng.uniform(-2 * math.pi, 2 * math.pi) for _ in range(STANDARD_GATES[name].num_params)]


def qiskit_matrix(name: str, params: list[float]) -> np.ndarray:
    """The matrix of Qiskit's gate of the same name, built with numeric parameters."""
    gate = type(QISKIT_GATES[name])(*params)
    return Operator(gate).data


def u_matrix(theta: float, phi: float, lam: float) -> np.ndarray:
    """OpenQASM's U(theta, phi, lambda), written out from its textbook formula."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [[c, -cmath.exp(1j * lam) * s], [cmath.exp(1j * phi) * s, cmath.exp(1j * (phi + lam)) * c]], dtype=complex
    )


# -- matrices ------------------------------------------------------------------------------


def test_every_qhpc_gate_has_a_qiskit_counterpart_of_the_same_shape() -> None:
    for name, spec in STANDARD_GATES.items():
        assert name in QISKIT_GATES, name
        assert QISKIT_GATES[name].num_qubits == spec.num_qubits, name
        assert len(QISKIT_GATES[name].params) == spec.num_params, name


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", GATE_NAMES)
def test_matrix_equals_qiskit_gate_exactly(name: str, seed: int) -> None:
    params = random_params(name, seed)
    ours = STANDARD_GATES[name].matrix(params)
    np.testing.assert_allclose(ours, qiskit_matrix(name, params), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", [n for n in GATE_NAMES if STANDARD_GATES[n].num_params])
def test_matrix_at_edge_angles_equals_qiskit(name: str) -> None:
    k = STANDARD_GATES[name].num_params
    for angle in (0.0, math.pi, -math.pi, math.pi / 2, 2 * math.pi, 4 * math.pi):
        params = [angle] * k
        ours = STANDARD_GATES[name].matrix(params)
        np.testing.assert_allclose(ours, qiskit_matrix(name, params), rtol=0, atol=ATOL, err_msg=f"{name}({angle})")


def test_cx_matrix_is_little_endian_with_the_control_first() -> None:
    # |q1 q0>: control q0 = 1 flips q1, so |01> (index 1) <-> |11> (index 3)
    expected = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex)
    np.testing.assert_array_equal(STANDARD_GATES["cx"].matrix(), expected)


def test_integer_parameters_are_accepted_as_floats() -> None:
    np.testing.assert_allclose(STANDARD_GATES["rz"].matrix([2]), qiskit_matrix("rz", [2.0]), rtol=0, atol=ATOL)


# -- definitions ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", [n for n in GATE_NAMES if STANDARD_GATES[n].definition_fn is not None])
def test_definition_multiplies_out_to_the_qiskit_matrix_with_global_phase(name: str, seed: int) -> None:
    spec = STANDARD_GATES[name]
    params = random_params(name, seed)
    defn = spec.definition(params)
    assert defn is not None
    product = definition_matrix(spec.num_qubits, defn)
    np.testing.assert_allclose(product, qiskit_matrix(name, params), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", [n for n in GATE_NAMES if STANDARD_GATES[n].definition_fn is not None])
def test_definition_steps_use_only_library_gates_on_the_gates_own_qubits(name: str) -> None:
    spec = STANDARD_GATES[name]
    steps, _phase = spec.definition(random_params(name, 0))  # type: ignore[misc]
    for step_name, step_params, qubits in steps:
        step = gate_spec(step_name)
        assert len(step_params) == step.num_params
        assert len(qubits) == step.num_qubits == len(set(qubits))
        assert all(0 <= q < spec.num_qubits for q in qubits)


@pytest.mark.parametrize(
    "name", [n for n in GATE_NAMES if STANDARD_GATES[n].num_params and STANDARD_GATES[n].definition_fn is not None]
)
def test_symbolic_definition_bound_afterwards_equals_the_numeric_matrix(name: str) -> None:
    spec = STANDARD_GATES[name]
    symbols = [Parameter(f"p{k}") for k in range(spec.num_params)]
    values = random_params(name, 7)
    steps, phase = spec.definition(symbols)  # type: ignore[misc]
    bindings = {s: v for s, v in zip(symbols, values)}

    def bound(p: object) -> object:
        return p.bind(bindings, strict=True) if isinstance(p, Expr) else p

    numeric = ([(n, tuple(bound(p) for p in ps), qs) for n, ps, qs in steps], bound(phase))
    np.testing.assert_allclose(definition_matrix(spec.num_qubits, numeric), qiskit_matrix(name, values),
                               rtol=0, atol=ATOL)


def test_base_gates_have_no_definition() -> None:
    # u and cx are the basis every definition bottoms out in
    assert STANDARD_GATES["u"].definition([0.1, 0.2, 0.3]) is None
    assert STANDARD_GATES["cx"].definition() is None


# -- inverses ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", [n for n in GATE_NAMES if STANDARD_GATES[n].inverse_fn is not None])
def test_inverse_times_gate_is_identity(name: str, seed: int) -> None:
    spec = STANDARD_GATES[name]
    params = random_params(name, seed)
    inv = spec.inverse(params)
    assert inv is not None
    inv_name, inv_params = inv
    assert STANDARD_GATES[inv_name].num_qubits == spec.num_qubits
    product = STANDARD_GATES[inv_name].matrix([float(p) for p in inv_params]) @ qiskit_matrix(name, params)
    np.testing.assert_allclose(product, np.eye(2**spec.num_qubits), rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", GATE_NAMES)
def test_inverted_one_gate_circuit_is_the_adjoint_of_the_qiskit_gate(name: str) -> None:
    # covers the gates without a library inverse too (inverted through their definition)
    spec = STANDARD_GATES[name]
    params = random_params(name, 11)
    circuit = Circuit(spec.num_qubits).gate(name, range(spec.num_qubits), params)
    np.testing.assert_allclose(circuit_unitary(circuit.inverse()), qiskit_matrix(name, params).conj().T,
                               rtol=0, atol=ATOL)


# -- zyz angles ----------------------------------------------------------------------------


def assert_zyz_reconstructs(matrix: np.ndarray) -> None:
    theta, phi, lam, phase = zyz_angles(matrix)
    rebuilt = cmath.exp(1j * phase) * u_matrix(theta, phi, lam)
    np.testing.assert_allclose(rebuilt, matrix, rtol=0, atol=ATOL)


EDGE_UNITARIES = {
    "identity": np.eye(2),
    "minus identity": -np.eye(2),
    "i identity": 1j * np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1, -1]),
    "H": np.array([[1, 1], [1, -1]]) / math.sqrt(2),
    "S": np.diag([1, 1j]),
    "diagonal phases": np.diag([cmath.exp(0.3j), cmath.exp(-2.9j)]),
    "diagonal -1, i": np.diag([-1, 1j]),
    "anti-diagonal phases": np.array([[0, cmath.exp(0.7j)], [cmath.exp(2.1j), 0]]),
    "anti-diagonal -1": np.array([[0, -1], [-1, 0]]),
    "sqrt X": np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2,
    "ry(pi)": np.array([[0, -1], [1, 0]]),
}


@pytest.mark.parametrize("label", sorted(EDGE_UNITARIES))
def test_zyz_angles_reconstruct_edge_case_unitaries(label: str) -> None:
    assert_zyz_reconstructs(np.asarray(EDGE_UNITARIES[label], dtype=complex))


def test_zyz_angles_reconstruct_diagonal_and_antidiagonal_phases_on_a_grid() -> None:
    for a in range(-8, 9):
        for b in range(-8, 9):
            pa, pb = cmath.exp(1j * a * math.pi / 8), cmath.exp(1j * b * math.pi / 8)
            assert_zyz_reconstructs(np.diag([pa, pb]))
            assert_zyz_reconstructs(np.array([[0, pa], [pb, 0]]))


def test_zyz_angles_reconstruct_random_unitaries() -> None:
    rng = random.Random(2024)
    for _ in range(300):
        assert_zyz_reconstructs(random_unitary(2, rng))


def test_zyz_angles_recover_theta_of_a_u_gate() -> None:
    # theta in (0, pi) is determined by the magnitudes of the entries alone
    u = u_matrix(1.1, 0.4, -0.9)
    theta, phi, lam, phase = zyz_angles(u)
    assert theta == pytest.approx(1.1, abs=1e-12)
    np.testing.assert_allclose(cmath.exp(1j * phase) * u_matrix(theta, phi, lam), u, rtol=0, atol=ATOL)


# -- controlled ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "base", "num_ctrl"),
    [
        ("x", XGate(), 1),
        ("h", HGate(), 1),
        ("ry", RYGate(0.7), 1),
        ("u3", U3Gate(0.3, -1.2, 2.5), 1),
        ("swap", SwapGate(), 1),
        ("x, two controls", XGate(), 2),
        ("u3, two controls", U3Gate(2.1, 0.5, -0.4), 2),
        ("random 1q unitary, three controls", QiskitUnitaryGate(random_unitary(2, random.Random(5))), 3),
        ("random 2q unitary", QiskitUnitaryGate(random_unitary(4, random.Random(6))), 1),
    ],
)
def test_controlled_matches_qiskit_control(label: str, base: object, num_ctrl: int) -> None:
    ours = controlled(Operator(base).data, num_ctrl)
    theirs = Operator(base.control(num_ctrl, annotated=False)).data  # type: ignore[attr-defined]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10, err_msg=label)


# -- errors --------------------------------------------------------------------------------


def test_gate_spec_of_unknown_gate_raises_circuit_error_naming_it() -> None:
    with pytest.raises(CircuitError, match="'nope'"):
        gate_spec("nope")


def test_gate_spec_returns_the_entry_for_a_known_gate() -> None:
    spec = gate_spec("crx")
    assert (spec.name, spec.num_qubits, spec.num_params) == ("crx", 2, 1)


@pytest.mark.parametrize(
    ("name", "params"), [("rx", []), ("rx", [0.1, 0.2]), ("h", [0.5]), ("u", [0.1, 0.2]), ("cu", [1, 2, 3])]
)
def test_wrong_parameter_count_raises_circuit_error(name: str, params: list[float]) -> None:
    spec = gate_spec(name)
    expected = f"gate '{name}' takes {spec.num_params} parameter"
    with pytest.raises(CircuitError, match=expected):
        spec.matrix(params)
    with pytest.raises(CircuitError, match=expected):
        spec.definition(params)
    with pytest.raises(CircuitError, match=expected):
        spec.inverse(params)
    with pytest.raises(CircuitError, match=expected):
        Gate(name, tuple(params))
