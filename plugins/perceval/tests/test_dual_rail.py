"""Gate circuits on linear optics (``perceval.dual-rail``) against independent oracles.

Oracles: Qiskit's ``Statevector`` for the logical distributions, the published success
probabilities (1/9 for Ralph et al.'s post-selected CZ, 2/27 for Knill's heralded CZ), and
perceval-interop's ``QiskitConverter`` simulated by Perceval itself.
"""

from __future__ import annotations

import math

import numpy as np
import perceval as pcvl
import pytest
from qhpc import Integrator
from qhpc.errors import CompileError, JobRejectedError
from qhpc.interfaces import BackendCapabilities, RunOutput
from qhpc_interop import Circuit
from qhpc_interop.photonic import PhotonicProgram
from qhpc_perceval.backends import PercevalBackend
from qhpc_perceval.dual_rail import (
    HERALDED_CZ_SUCCESS,
    POSTSELECTED_CZ_SUCCESS,
    DualRailCompiler,
    compile_dual_rail,
    heralded_cz,
    logical_bitstring,
    one_qubit_components,
    postselected_cz,
)
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from ._optics import amplitude, within_binomial

TARGET = BackendCapabilities(num_qubits=256, paradigm="photonic")


@pytest.fixture(scope="module")
def integrator() -> Integrator:
    with Integrator() as it:
        yield it


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def logical_distribution(circuit: Circuit, method: str = "slos") -> tuple[dict[str, float], float, PhotonicProgram]:
    """The exact distribution of the circuit's bitstrings on the photonic emulator, and the success probability."""
    program = compile_dual_rail(circuit)
    dist = PercevalBackend(method).distribution(program)
    info = program.metadata["dual_rail"]
    out: dict[str, float] = {}
    for name, p in dist.as_dict().items():
        bits = logical_bitstring(tuple(int(v) for v in name[1:-1].split(",")), info)
        assert bits is not None, f"{name} passed the post-selection but is not a dual-rail state"
        out[bits] = out.get(bits, 0.0) + p
    return {k: p for k, p in out.items() if p > 1e-14}, dist.success_probability, program


def statevector_distribution(circuit: Circuit) -> dict[str, float]:
    from qhpc_qiskit.translate import circuit_to_qiskit

    qc = circuit_to_qiskit(circuit).remove_final_measurements(inplace=False)
    probs = Statevector(qc).probabilities_dict()
    return {k: float(v) for k, v in probs.items() if v > 1e-14}


def _random_circuit(seed: int, n: int) -> Circuit:
    """Random one-qubit gates, swaps and at most three CZs' worth of cx, cz, cp (cp costs two)."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(n, n)
    one = ["h", "x", "s", "t", "sx", "y"]
    budget = 3
    for _ in range(9):
        roll = int(rng.integers(6))
        a, b = (int(q) for q in rng.choice(n, 2, replace=False))
        if roll in (2, 3, 5) and budget < (2 if roll == 5 else 1):
            roll = 1
        if roll == 0:
            circuit.gate(one[int(rng.integers(len(one)))], [a])
        elif roll == 1:
            circuit.u(*rng.uniform(-math.pi, math.pi, 3), a)
        elif roll == 2:
            circuit.cx(a, b)
            budget -= 1
        elif roll == 3:
            circuit.cz(a, b)
            budget -= 1
        elif roll == 4:
            circuit.swap(a, b)
        else:
            circuit.cp(float(rng.uniform(-3, 3)), a, b)
            budget -= 2
    circuit.measure(list(range(n)), list(range(n)))
    return circuit


# -- the two CZ schemes, from their definitions ------------------------------------------------------


def _amplitude_table(program: PhotonicProgram, inp: object, out: object) -> np.ndarray:
    """``<c' t'| U |c t>`` for logical c, t, c', t': ``inp(c, t)`` and ``out(c', t')`` give the Fock states."""
    u = program.unitary()
    table = np.zeros((4, 4), dtype=complex)
    for c in (0, 1):
        for t in (0, 1):
            for c2 in (0, 1):
                for t2 in (0, 1):
                    table[2 * c2 + t2, 2 * c + t] = amplitude(u, inp(c, t), out(c2, t2))  # type: ignore[operator]
    return table


def test_the_post_selected_cz_is_cz_over_three() -> None:
    """Ralph et al.: on the outcomes with one photon per qubit (vacuum ancillas empty), CZ / 3: 1/9."""
    program = PhotonicProgram(6, components=postselected_cz())  # modes: a0, v1, a1, b1, b0, v2

    def layout(c: int, t: int) -> tuple[int, ...]:
        return (1 - c, 0, c, t, 1 - t, 0)

    table = _amplitude_table(program, layout, layout)
    np.testing.assert_allclose(table, np.diag([1, 1, 1, -1]) / 3, atol=1e-12)
    assert POSTSELECTED_CZ_SUCCESS == pytest.approx(abs(table[0, 0]) ** 2)


def test_the_heralded_cz_is_cz_times_the_square_root_of_two_27ths() -> None:
    """Knill: one photon detected in each ancilla heralds CZ with amplitude sqrt(2/27)."""
    program = PhotonicProgram(6, components=heralded_cz())  # inputs a1, h1, b1, h2; outputs a1, b1, h1, h2; a0, b0

    def inp(c: int, t: int) -> tuple[int, ...]:
        return (c, 1, t, 1, 1 - c, 1 - t)

    def out(c: int, t: int) -> tuple[int, ...]:
        return (c, t, 1, 1, 1 - c, 1 - t)

    table = _amplitude_table(program, inp, out)
    np.testing.assert_allclose(table, math.sqrt(2 / 27) * np.diag([1, 1, 1, -1]), atol=1e-12)
    assert HERALDED_CZ_SUCCESS == pytest.approx(abs(table[0, 0]) ** 2)
    # and nothing leaks into non-logical outcomes while the heralds fire: |1,1> never gives |2,0> or |0,2>
    u = program.unitary()
    for bunched in ((2, 0, 1, 1, 0, 0), (0, 2, 1, 1, 0, 0)):
        assert abs(amplitude(u, inp(1, 1), bunched)) < 1e-12


def test_the_heralded_cz_agrees_with_perceval_s_catalog() -> None:
    """Knill's gate in Perceval's catalog (its own layout) gives the same heralded map and rate."""
    experiment = pcvl.catalog["heralded cz"].build_experiment()
    processor = pcvl.Processor("SLOS", experiment)
    for c in (0, 1):
        for t in (0, 1):
            processor.with_input(pcvl.LogicalState([c, t]))
            processor.min_detected_photons_filter(0)
            result = processor.probs()
            assert result["global_perf"] == pytest.approx(HERALDED_CZ_SUCCESS, abs=1e-12)
    circuit = Circuit(2, 2).h(0).h(1).cz(0, 1).cz(0, 1).h(0).h(1).measure([0, 1], [0, 1])  # identity, via two CZ
    dist, success, program = logical_distribution(circuit)
    assert program.metadata["dual_rail"]["cz"] == {"postselected": 1, "heralded": 1}
    assert dist == pytest.approx({"00": 1.0}, abs=1e-12)
    assert success == pytest.approx(HERALDED_CZ_SUCCESS * POSTSELECTED_CZ_SUCCESS, abs=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_one_qubit_gates_are_their_matrix_on_the_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    u = np.linalg.qr(z)[0]
    if seed == 4:
        u = np.diag([np.exp(0.3j), np.exp(-1.2j)])
    if seed == 5:
        u = np.array([[0, np.exp(0.7j)], [np.exp(-0.2j), 0]])
    got = PhotonicProgram(2, [1, 0], one_qubit_components(u, 0)).unitary()
    ratio = got[np.unravel_index(np.argmax(np.abs(u)), u.shape)] / u[np.unravel_index(np.argmax(np.abs(u)), u.shape)]
    np.testing.assert_allclose(got, ratio * u, atol=1e-12)
    assert abs(abs(ratio) - 1) < 1e-12


# -- whole circuits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_random_circuits_give_the_statevector_distribution(seed: int) -> None:
    circuit = _random_circuit(seed, 2 + seed % 2)
    dist, success, program = logical_distribution(circuit)
    assert dist == pytest.approx(statevector_distribution(circuit), abs=1e-9)
    cz = program.metadata["dual_rail"]["cz"]
    assert success == pytest.approx(POSTSELECTED_CZ_SUCCESS ** cz["postselected"] * HERALDED_CZ_SUCCESS ** cz["heralded"],
                                    rel=1e-9)


def test_bell_through_the_integrator_gives_the_bell_distribution_at_one_ninth(integrator: Integrator) -> None:
    shots = 4000
    result = integrator.run(bell(), backend="perceval.slos", shots=shots, seed=11)
    assert set(result.counts) == {"00", "11"} and sum(result.counts.values()) == shots
    assert within_binomial(result.counts["00"], shots, 0.5)
    meta = result.metadata["backend_metadata"]
    assert meta["success_probability"] == pytest.approx(1 / 9, abs=1e-12)  # Ralph et al.: 1/9
    assert meta["scheme_success_probability"] == pytest.approx(1 / 9, abs=1e-15)
    assert meta["dual_rail"]["cz"] == {"postselected": 1, "heralded": 0}
    assert sum(meta["photonic_counts"].values()) == shots and meta["non_logical_events"] == 0
    assert set(meta["photonic_counts"]) == {"|1,0,1,0,0,0>", "|0,1,0,1,0,0>"}
    assert result.metadata["compile"] == {"compiler": "perceval.dual-rail", "from": "gate", "to": "photonic"}
    naive = integrator.run(bell(), backend="perceval.naive", shots=shots, seed=11)
    assert naive.counts == result.counts  # the same exact distribution, the same seeded draws


def test_perceval_interop_agrees_on_rates_and_distributions() -> None:
    """perceval-interop's converter (its own scheme choice), simulated by Perceval, as an independent oracle."""
    from perceval_interop import QiskitConverter

    ghz = QuantumCircuit(3, 3)
    ghz.h(0)
    ghz.cx(0, 1)
    ghz.cx(1, 2)
    ghz.measure(range(3), range(3))
    for qc, n in ((bell(), 2), (ghz, 3)):
        experiment = QiskitConverter().convert(qc.remove_final_measurements(inplace=False), use_postselection=True)
        processor = pcvl.Processor("SLOS", experiment)
        processor.min_detected_photons_filter(0)
        theirs = processor.probs()
        theirs_logical = {}
        for state, p in theirs["results"].items():
            bits = "".join("1" if state[2 * q + 1] else "0" for q in range(n))[::-1]
            theirs_logical[bits] = theirs_logical.get(bits, 0.0) + p
        theirs_logical = {k: p for k, p in theirs_logical.items() if p > 1e-14}
        from qhpc_qiskit.translate import circuit_from_qiskit

        ours, success, _ = logical_distribution(circuit_from_qiskit(qc))
        assert success == pytest.approx(theirs["global_perf"], rel=1e-9)
        assert ours == pytest.approx(theirs_logical, abs=1e-9)
    assert success == pytest.approx(1 / 81, rel=1e-9)  # two post-selected CNOTs: qubit 0 witnesses the first


# -- what cannot be compiled --------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Circuit(1, 1).measure(0, 0).x(0), r"measured before a later gate"),
    (lambda: Circuit(1, 1).reset(0).measure(0, 0), r"a photonic qubit cannot be reset"),
    (lambda: Circuit(2, 2).unitary(np.eye(4), [0, 1]).measure([0, 1], [0, 1]), r"a unitary gate on 2 qubits"),
    (lambda: Circuit(1, 1).rx(__import__("qhpc_interop").Parameter("a"), 0).measure(0, 0), r"bind a"),
])
def test_what_cannot_be_compiled_is_a_named_error(build: object, message: str, integrator: Integrator) -> None:
    circuit = build()  # type: ignore[operator]
    assert DualRailCompiler().can_compile(circuit, TARGET) is not None
    with pytest.raises(CompileError, match=message):
        DualRailCompiler().compile(circuit, TARGET)
    if not circuit.is_parameterized:
        with pytest.raises(JobRejectedError, match=message) as caught:
            integrator.submit(circuit, backend="perceval.slos")
        assert "\n" not in str(caught.value)


def test_a_conditioned_gate_is_refused(integrator: Integrator) -> None:
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    qc.measure(0, 0)
    with pytest.raises(JobRejectedError, match=r"perceval.slos cannot run this circuit: .*feed-forward"):
        integrator.submit(qc, backend="perceval.slos")


def test_a_circuit_too_wide_for_the_modes_is_refused() -> None:
    circuit = Circuit(130, 1).measure(0, 0)
    assert "needs 260 modes" in (DualRailCompiler().can_compile(circuit, TARGET) or "")


def test_decode_drops_what_is_not_a_dual_rail_state_and_counts_it() -> None:
    program = compile_dual_rail(Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1]))
    raw = RunOutput(counts={"|1,0,1,0,0,0>": 5, "|0,1,0,1,0,0>": 4, "|2,0,0,0,0,0>": 3},
                    memory=["|2,0,0,0,0,0>", "|0,1,0,1,0,0>"], metadata={"success_probability": 0.1})
    out = DualRailCompiler().decode(raw, None, program)
    assert out.counts == {"00": 5, "11": 4} and out.memory == ["11"]
    assert out.metadata["non_logical_events"] == 3 and out.metadata["photonic_counts"] == raw.counts
    assert out.metadata["success_probability"] == 0.1


def test_clbits_follow_the_measurements_swaps_included() -> None:
    circuit = Circuit(3, 4).x(0).swap(0, 2).measure(2, 3).measure(0, 0)  # qubit 2 holds the 1 after the swap
    dist, success, program = logical_distribution(circuit)
    assert dist == pytest.approx({"1000": 1.0}, abs=1e-12) and success == pytest.approx(1.0)
    assert program.metadata["dual_rail"]["cz"] == {"postselected": 0, "heralded": 0}
