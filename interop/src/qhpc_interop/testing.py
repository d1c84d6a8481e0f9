"""Equivalence oracles and generators for tests of translators, formats and compilers.

These work on the model alone (numpy, no SDK), so any plugin can use them; a plugin's tests should
*also* compare against its SDK's own simulator (for Qiskit, ``qiskit.quantum_info.Operator``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

from .errors import CircuitError
from .gates import STANDARD_GATES, apply_matrix
from .ir import Barrier, Circuit, Gate, Instruction, Measure, UnitaryGate
from .params import Parameter


def circuit_unitary(circuit: Circuit) -> np.ndarray:
    """The circuit's unitary (little-endian: qubit 0 is the least significant index bit).

    Barriers are ignored; measurements, resets and conditions are refused (not unitary), and every
    parameter must be bound.
    """
    n = circuit.num_qubits
    dim = 2**n
    state = np.eye(dim, dtype=complex).reshape([2] * n + [dim])
    for inst in circuit.instructions:
        state = _apply(state, inst, n)
    return np.exp(1j * float(circuit.global_phase)) * state.reshape(dim, dim)


def statevector(circuit: Circuit) -> np.ndarray:
    """The state the circuit prepares from |0...0> (little-endian); same restrictions as :func:`circuit_unitary`."""
    n = circuit.num_qubits
    state = np.zeros(2**n, dtype=complex)
    state[0] = 1.0
    state = state.reshape([2] * n) if n else state
    for inst in circuit.instructions:
        state = _apply(state, inst, n)
    return np.exp(1j * float(circuit.global_phase)) * state.reshape(2**n)


def _apply(state: np.ndarray, inst: Instruction, n: int) -> np.ndarray:
    op = inst.operation
    if isinstance(op, Barrier):
        return state
    if inst.condition is not None or not isinstance(op, (Gate, UnitaryGate)):
        raise CircuitError(f"{inst} is not a unitary operation")
    return apply_matrix(state, op.matrix(), inst.qubits, n)


def measurement_probabilities(circuit: Circuit) -> dict[str, float]:
    """Exact readout distribution of a circuit whose measurements all come at the end.

    Keys are bitstrings over all clbits, highest clbit first (Qiskit's convention); unmeasured
    clbits read 0. Raises :class:`CircuitError` for mid-circuit measurement, reset or conditions.
    """
    if circuit.has_mid_circuit_measurement():
        raise CircuitError("exact probabilities need all measurements at the end")
    gates = circuit.copy(instructions=[i for i in circuit.instructions if not isinstance(i.operation, Measure)])
    psi = statevector(gates)
    probs = np.abs(psi) ** 2
    measures = [(i.qubits[0], i.clbits[0]) for i in circuit.instructions if isinstance(i.operation, Measure)]
    out: dict[str, float] = {}
    for index, p in enumerate(probs):
        if p < 1e-15:
            continue
        bits = [0] * circuit.num_clbits
        for q, c in measures:
            bits[c] = (index >> q) & 1
        key = "".join(str(b) for b in reversed(bits))
        out[key] = out.get(key, 0.0) + float(p)
    return out


def process_fidelity(u: np.ndarray, v: np.ndarray) -> float:
    """|Tr(U^dagger V)|^2 / d^2: 1 exactly when U and V are equal up to a global phase."""
    if u.shape != v.shape:
        raise ValueError(f"unitaries of different shapes {u.shape} and {v.shape}")
    d = u.shape[0]
    return float(abs(np.trace(u.conj().T @ v)) ** 2 / d**2)


def assert_unitaries_equal(u: np.ndarray, v: np.ndarray, *, up_to_global_phase: bool = False,
                           atol: float = 1e-9) -> None:
    """Assert two unitaries are equal (fidelity >= 1 - atol with ``up_to_global_phase``, else elementwise)."""
    if up_to_global_phase:
        f = process_fidelity(u, v)
        assert f >= 1 - atol, f"process fidelity {f} < 1 - {atol}"
    else:
        err = float(np.max(np.abs(u - v))) if u.shape == v.shape else math.inf
        assert err <= atol, f"unitaries differ by up to {err} (tolerance {atol})"


def random_circuit(
    num_qubits: int,
    num_gates: int,
    *,
    seed: int,
    gates: Sequence[str] | None = None,
    parameterized: bool = False,
    unitaries: bool = False,
    global_phase: bool = True,
    measure: bool = False,
) -> Circuit:
    """A seeded random circuit over the standard gates (or ``gates``) that fit in ``num_qubits``.

    ``parameterized`` uses symbolic expressions over parameters ``a``, ``b``, ``c`` for some angles;
    ``unitaries`` mixes in random one- and two-qubit unitary gates; ``measure`` measures all at the end.
    """
    rng = random.Random(seed)
    names = [g for g in (gates or STANDARD_GATES) if STANDARD_GATES[g].num_qubits <= num_qubits]
    symbols = [Parameter("a"), Parameter("b"), Parameter("c")]
    circuit = Circuit.with_registers({"q": num_qubits}, {"c": num_qubits} if measure else {}, name=f"random{seed}")
    if global_phase:
        circuit.global_phase = rng.uniform(-math.pi, math.pi)
    for _ in range(num_gates):
        if unitaries and rng.random() < 0.1:
            k = min(num_qubits, rng.choice([1, 2]))
            circuit.append(UnitaryGate(random_unitary(2**k, rng)), rng.sample(range(num_qubits), k))
            continue
        name = rng.choice(names)
        spec = STANDARD_GATES[name]
        params: list[object] = []
        for _p in range(spec.num_params):
            angle = rng.uniform(-2 * math.pi, 2 * math.pi)
            if parameterized and rng.random() < 0.5:
                sym = rng.choice(symbols)
                params.append(rng.choice([sym, sym * angle, sym + angle, -sym, angle * sym - symbols[0] / 2]))
            else:
                params.append(angle)
        circuit.append(Gate(name, tuple(params)), rng.sample(range(num_qubits), spec.num_qubits))  # type: ignore[arg-type]
    if measure:
        circuit.measure(list(range(num_qubits)), list(range(num_qubits)))
    return circuit


def random_unitary(dim: int, rng: random.Random) -> np.ndarray:
    """A Haar-random unitary of size ``dim`` (QR of a complex Gaussian matrix, phases fixed)."""
    gen = np.random.default_rng(rng.getrandbits(64))
    z = (gen.normal(size=(dim, dim)) + 1j * gen.normal(size=(dim, dim))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    d = np.diag(r)
    return q * (d / np.abs(d))
