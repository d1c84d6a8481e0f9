"""qhpc noise models on the Pulser backends: what maps, what is refused, and the physics it yields.

Oracles: the Bloch equations of a driven two-level atom with population decay ``1/T1`` and
coherence decay ``1/T2`` (written here with numpy from their definitions, not from Pulser), the
binomial law of independent readout flips, and Gaussian averages computed in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qhpc.errors import JobFailedError
from qhpc.noise import Depolarizing, GateNoise, NoiseModel, NoiseModelError, QubitRelaxation, ReadoutError
from qhpc.testing import proportion_ok
from qhpc_pulser.noise import pulser_noise_parameters
from qhpc_pulser.sequences import rabi_sequence
from qhpc_pulser.translate import sequence_to_program

SHOTS = 8000


def bloch_p_rydberg(omega: float, t_us: float, gamma1: float, gamma2: float) -> float:
    """P(r) after a resonant drive of ``omega`` rad/µs for ``t_us`` µs from |g>, with population decay
    ``gamma1`` (1/T1) and coherence decay ``gamma2`` (1/T2), by the Bloch equations
    du/dt = -g2 u, dv/dt = -g2 v - omega w, dw/dt = omega v - g1 (w + 1), w = P(r) - P(g), from w = -1."""
    a = np.array([[-gamma2, 0.0, 0.0, 0.0],
                  [0.0, -gamma2, -omega, 0.0],
                  [0.0, omega, -gamma1, -gamma1],
                  [0.0, 0.0, 0.0, 0.0]])  # the last component is the constant 1
    x = np.array([0.0, 0.0, -1.0, 1.0])
    # exact solution of the linear system: the matrix exponential by eigendecomposition
    values, vectors = np.linalg.eig(a * t_us)
    state = (vectors @ np.diag(np.exp(values)) @ np.linalg.inv(vectors) @ x).real
    return float((state[2] + 1) / 2)


def p_one(counts: dict[str, int], atom: int, width: int) -> float:
    return sum(v for k, v in counts.items() if k[width - 1 - atom] == "1") / sum(counts.values())


def test_the_bloch_oracle_knows_rabi_oscillation() -> None:
    assert bloch_p_rydberg(2 * math.pi, 0.5, 0.0, 0.0) == pytest.approx(1.0)
    assert bloch_p_rydberg(2 * math.pi, 0.25, 0.0, 0.0) == pytest.approx(0.5)
    assert bloch_p_rydberg(2 * math.pi, 50.0, 1.0, 2.0) == pytest.approx(
        # steady state of the Bloch equations: P(r) = (omega^2 / 2) / (omega^2 + g1 g2)
        (2 * math.pi) ** 2 / 2 / ((2 * math.pi) ** 2 + 2.0), abs=1e-6)


@pytest.mark.parametrize(("noise", "gamma1", "gamma2"), [
    (NoiseModel(analog={"dephasing_rate": 1.0}), 0.0, 1.0),
    (NoiseModel(analog={"relaxation_rate": 0.8}), 0.8, 0.4),
    (NoiseModel(relaxation={0: QubitRelaxation(t1=2e-6, t2=1.5e-6)}), 0.5, 1 / 1.5),
])
def test_dissipation_follows_the_bloch_equations(integrator, noise, gamma1, gamma2) -> None:  # type: ignore[no-untyped-def]
    """A Rabi drive of 1 µs (two periods) under dephasing, decay, or T1/T2: P(r) as the Bloch
    equations give it with population decay gamma1 and coherence decay gamma2."""
    omega, duration = 2 * math.pi, 1100
    result = integrator.run(rabi_sequence(omega, duration), shots=SHOTS, seed=9, noise=noise)
    expected = bloch_p_rydberg(omega, duration * 1e-3, gamma1, gamma2)
    noiseless = bloch_p_rydberg(omega, duration * 1e-3, 0.0, 0.0)
    assert abs(expected - noiseless) > 0.1  # the noise is visible at this time
    assert proportion_ok(result.counts.get("1", 0), SHOTS, expected), (result.counts, expected)
    assert result.metadata["backend_metadata"]["solver"] == "MasterEquation"
    assert result.metadata["noise"] == noise.to_dict()


def test_readout_errors_flip_bits_independently(integrator) -> None:  # type: ignore[no-untyped-def]
    noise = NoiseModel(readout={0: ReadoutError(0.05, 0.1), 1: ReadoutError(0.05, 0.1)})
    excited = integrator.run(rabi_sequence(2 * math.pi, 500, atoms=2), shots=SHOTS, seed=1, noise=noise)
    for key, prob in {"11": 0.81, "01": 0.09, "10": 0.09, "00": 0.01}.items():  # both in r, each read 0 w.p. 0.1
        assert proportion_ok(excited.counts.get(key, 0), SHOTS, prob), (key, excited.counts)
    ground = integrator.run(rabi_sequence(0.0, 500, detuning=1.0, atoms=2), shots=SHOTS, seed=2, noise=noise)
    assert proportion_ok(round(p_one(ground.counts, 0, 2) * SHOTS), SHOTS, 0.05), ground.counts
    assert excited.metadata["backend_metadata"]["pulser_noise"] == {"p_false_pos": 0.05, "p_false_neg": 0.1}


def test_state_preparation_errors_average_over_trajectories(integrator) -> None:  # type: ignore[no-untyped-def]
    """An atom missing from its trap (probability 0.2) is untouched by the π pulse and reads 0. With
    400 trajectories the realised fraction of missing atoms has a spread of sqrt(0.16 / 400) = 0.02,
    so the tolerance is four times the combined spread."""
    noise = NoiseModel(analog={"state_prep_error": 0.2})
    seq = rabi_sequence(2 * math.pi, 500, atoms=2)
    result = integrator.run(seq, shots=SHOTS, seed=4, noise=noise, options={"n_trajectories": 400})
    for atom in (0, 1):
        assert abs(p_one(result.counts, atom, 2) - 0.8) < 4 * math.hypot(0.02, math.sqrt(0.16 / SHOTS))
    assert result.metadata["backend_metadata"]["n_trajectories"] == 400
    again = integrator.run(seq, shots=SHOTS, seed=4, noise=noise, options={"n_trajectories": 400})
    other = integrator.run(seq, shots=SHOTS, seed=5, noise=noise, options={"n_trajectories": 400})
    assert again.counts == result.counts and other.counts != result.counts  # seeded, trajectories included


@pytest.mark.slow
def test_amplitude_fluctuations_average_the_rotation_angle(integrator) -> None:  # type: ignore[no-untyped-def]
    """A π pulse whose amplitude is scaled by 1 + e, e ~ N(0, s^2) per run: P(r) = E[cos^2(pi e / 2)]
    = (1 + exp(-pi^2 s^2 / 2)) / 2 = 0.821 for s = 0.3. Over 150 trajectories the mean of cos^2 (spread
    about 0.2) is known to 0.016; tolerance four times that."""
    sigma = 0.3
    noise = NoiseModel(analog={"amp_sigma": sigma})
    result = integrator.run(rabi_sequence(2 * math.pi, 500), shots=SHOTS, seed=6, noise=noise,
                            options={"n_trajectories": 150})
    expected = (1 + math.exp(-math.pi**2 * sigma**2 / 2)) / 2
    assert abs(p_one(result.counts, 0, 1) - expected) < 4 * 0.016 + 0.01, (result.counts, expected)


def program(atoms: int = 2, device=None):  # type: ignore[no-untyped-def]
    return sequence_to_program(rabi_sequence(2 * math.pi, 500, atoms=atoms, device=device))


def test_what_maps_onto_pulsers_parameters() -> None:
    model = NoiseModel(analog={"amp_sigma": 0.02, "temperature": 40.0, "state_prep_error": 0.01},
                       readout={q: ReadoutError(0.01, 0.03) for q in range(5)},  # atoms 2-4 are another program's
                       relaxation={0: QubitRelaxation(1e-5, 1e-5), 1: QubitRelaxation(1e-5, 1e-5)})
    params = pulser_noise_parameters(model, program())
    # T1 = T2 = 10 µs: relaxation 0.1 /µs and a pure dephasing of 1/T2 - 1/(2 T1) = 0.05 /µs
    assert params == pytest.approx({"amp_sigma": 0.02, "temperature": 40.0, "state_prep_error": 0.01,
                                    "p_false_pos": 0.01, "p_false_neg": 0.03, "relaxation_rate": 0.1,
                                    "dephasing_rate": 0.05})
    # the same T1/T2 with another dephasing rate given in 'analog' is a contradiction
    with pytest.raises(NoiseModelError, match="gives dephasing_rate twice"):
        pulser_noise_parameters(NoiseModel(analog={"dephasing_rate": 0.3},
                                           relaxation={0: QubitRelaxation(1e-5, 1e-5), 1: QubitRelaxation(1e-5, 1e-5)}),
                                program())


@pytest.mark.parametrize(("model", "message"), [
    (NoiseModel(gate_noise=[GateNoise("x", None, (Depolarizing(0.01),))]), "gate noise"),
    (NoiseModel(durations={("x", None): 1e-7}), "gate durations"),
    (NoiseModel(preparation={0: 0.01}), "give analog.state_prep_error instead"),
    (NoiseModel(photonic={"brightness": 0.9}), "photonic noise parameters"),
    (NoiseModel(readout={0: ReadoutError(0.01, 0.02), 1: ReadoutError(0.02, 0.02)}), "one readout error to every atom"),
    (NoiseModel(readout={0: ReadoutError(0.01, 0.02)}), r"atom 1 has none"),
    (NoiseModel(readout={0: ReadoutError(0.01, 0.0), 1: ReadoutError(0.01, 0.0)}, analog={"p_false_pos": 0.02}),
     "gives p_false_pos twice"),
    (NoiseModel(relaxation={0: QubitRelaxation(1e-5, 1e-5, 0.1), 1: QubitRelaxation(1e-5, 1e-5, 0.1)}),
     "excited-state population"),
])
def test_what_pulser_cannot_apply_is_refused_by_name(model: NoiseModel, message: str) -> None:
    with pytest.raises(NoiseModelError, match=message):
        pulser_noise_parameters(model, program())


def test_basis_specific_noise_is_refused_where_it_cannot_act() -> None:
    from qhpc_pulser.compiler import build_sequence, plan
    from qhpc_qiskit.translate import circuit_from_qiskit
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    gates = sequence_to_program(build_sequence(plan(circuit_from_qiskit(qc))))  # digital and ground-rydberg
    with pytest.raises(NoiseModelError, match="T1/T2 map onto Pulser's Rydberg relaxation"):
        pulser_noise_parameters(NoiseModel(relaxation={q: QubitRelaxation(1e-5, 1e-5) for q in (0, 1)}), gates)
    with pytest.raises(NoiseModelError, match="depolarizing noise needs a single basis"):
        pulser_noise_parameters(NoiseModel(analog={"depolarizing_rate": 0.1}), gates)
    params = pulser_noise_parameters(NoiseModel(analog={"dephasing_rate": 0.1}), gates)
    assert params == {"dephasing_rate": 0.1, "hyperfine_dephasing_rate": 0.1}


def test_a_refused_model_is_refused_with_the_reason_before_the_run(integrator) -> None:  # type: ignore[no-untyped-def]
    from qhpc.errors import JobRejectedError

    noise = NoiseModel(gate_noise=[GateNoise("x", None, (Depolarizing(0.01),))])
    # (accepted, the job failed when it ran: Backend.noise_reasons now says so at submit)
    with pytest.raises(JobRejectedError, match=r"pulser.analog cannot run a 1-atom analog program.*: Pulser cannot "
                                               r"apply gate noise \(an analog program has no gates\)"):
        integrator.submit(rabi_sequence(2 * math.pi, 500), shots=10, noise=noise)
    with pytest.raises(JobFailedError, match="n_trajectories applies to runs with shot-to-shot noise"):
        integrator.run(rabi_sequence(2 * math.pi, 500), shots=10, options={"n_trajectories": 3})
    with pytest.raises(JobFailedError, match="has no option 'trajectories'"):
        integrator.run(rabi_sequence(2 * math.pi, 500), shots=10, options={"trajectories": 3})
