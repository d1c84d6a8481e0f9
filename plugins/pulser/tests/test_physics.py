"""Analog programs through qhpc against physics: Rabi oscillation, the Rydberg blockade, an adiabatic
sweep to the antiferromagnetic state. Every expected value is analytic (or a symmetry), never a
number qhpc produced.

Statistical tolerances: a probability estimated from ``N`` shots is within ``z sigma`` of its
expectation, ``sigma = sqrt(p (1 - p) / N)``, with ``z = 4.5`` (``qhpc.testing.proportion_ok``);
where the model is only approximately the emulated physics, the tolerance adds the size of the
neglected term, stated at each test.
"""

from __future__ import annotations

import math

import pytest
from qhpc.testing import proportion_ok
from qhpc_pulser.sequences import rabi_sequence, ring_sweep

SHOTS = 4000
Z = 4.5


def p_one(counts: dict[str, int], atom: int, width: int) -> float:
    """The fraction of shots with ``atom`` read as 1 (atom 0 is the rightmost character)."""
    return sum(v for k, v in counts.items() if k[width - 1 - atom] == "1") / sum(counts.values())


def close_to(observed: float, expected: float, shots: int, extra: float = 0.0) -> bool:
    sigma = math.sqrt(max(expected * (1 - expected), 1.0 / shots) / shots)
    return abs(observed - expected) <= Z * sigma + extra


@pytest.mark.parametrize(("duration", "detuning"), [(100, 0.0), (252, 0.0), (400, 0.0), (652, 0.0), (400, 4.0)])
def test_one_atom_rabi_oscillates_at_the_analytic_frequency(integrator, duration: int, detuning: float) -> None:  # type: ignore[no-untyped-def]
    """P(r) = Omega^2 / W^2 sin^2(W t / 2), W = sqrt(Omega^2 + Delta^2): on resonance sin^2(Omega t / 2).

    Extra tolerance 0.005: the emulator integrates a constant pulse about 0.34 ns short (measured),
    an angle error of at most 0.34 ns x W = 0.003 rad here."""
    omega = 2 * math.pi  # rad/µs: a 1 MHz Rabi frequency, within AnalogDevice's 12.57
    result = integrator.run(rabi_sequence(omega, duration, detuning=detuning), shots=SHOTS, seed=duration)
    w = math.hypot(omega, detuning)
    expected = (omega / w) ** 2 * math.sin(w * duration * 1e-3 / 2) ** 2
    assert result.backend == "pulser.analog" and set(result.counts) <= {"0", "1"}
    assert close_to(p_one(result.counts, 0, 1), expected, SHOTS, extra=0.005), (result.counts, expected)


def test_a_parametrised_rabi_scan_binds_its_duration(integrator) -> None:  # type: ignore[no-untyped-def]
    """One parametrised sequence (duration and amplitude are variables), bound at each submission."""
    import pulser
    from pulser.devices import AnalogDevice

    seq = pulser.Sequence(pulser.Register.from_coordinates([(0, 0)], prefix="q"), AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    t = seq.declare_variable("t", dtype=int)
    omega = seq.declare_variable("omega")
    seq.add(pulser.Pulse.ConstantPulse(t, omega, 0.0, 0.0), "ryd")
    seq.measure("ground-rydberg")
    for duration in (152, 500):
        result = integrator.run(seq, parameters={"t": duration, "omega": 4.0}, shots=SHOTS, seed=3)
        expected = math.sin(4.0 * duration * 1e-3 / 2) ** 2
        assert close_to(p_one(result.counts, 0, 1), expected, SHOTS, extra=0.005)


def test_two_close_atoms_are_blockaded_and_oscillate_collectively(integrator) -> None:  # type: ignore[no-untyped-def]
    """5 µm apart on AnalogDevice: V = C6 / r^6 = 55.4 rad/µs, nine times Omega. The blockade forbids
    |rr> and couples |gg> to the symmetric single excitation at sqrt(2) Omega: P(one atom in r) =
    sin^2(sqrt(2) Omega t / 2). Extra tolerance: the residual double excitation and the light shift
    are of order (Omega / V)^2 = 1.3 %, so 0.03."""
    from pulser.devices import AnalogDevice

    spacing = 5.0
    v = AnalogDevice.interaction_coeff / spacing**6
    omega = 2 * math.pi
    assert v / omega > 8
    for duration in (152, 352):
        result = integrator.run(rabi_sequence(omega, duration, atoms=2, spacing=spacing), shots=SHOTS, seed=duration)
        single = (result.counts.get("01", 0) + result.counts.get("10", 0)) / SHOTS
        double = result.counts.get("11", 0) / SHOTS
        assert close_to(single, math.sin(math.sqrt(2) * omega * duration * 1e-3 / 2) ** 2, SHOTS, extra=0.03)
        assert double <= 0.03, result.counts
        # the two atoms are alike: each single excitation is half of them
        assert proportion_ok(result.counts.get("01", 0), result.counts.get("01", 0) + result.counts.get("10", 0), 0.5)


def test_two_distant_atoms_evolve_independently(integrator) -> None:  # type: ignore[no-untyped-def]
    """30 µm apart: V = 0.0012 rad/µs, nothing in 352 ns. Each atom follows its own Rabi oscillation
    and the joint distribution is the product of the single-atom ones."""
    omega, duration = 2 * math.pi, 352
    p = math.sin(omega * duration * 1e-3 / 2) ** 2
    result = integrator.run(rabi_sequence(omega, duration, atoms=2, spacing=30.0), shots=SHOTS, seed=11)
    expected = {"00": (1 - p) ** 2, "01": p * (1 - p), "10": p * (1 - p), "11": p * p}
    for key, prob in expected.items():
        assert proportion_ok(result.counts.get(key, 0), SHOTS, prob), (key, result.counts, expected)
    # the blockaded pair at the same time almost never has both atoms excited; these do, p^2 = 0.64
    assert result.counts.get("11", 0) / SHOTS > 0.55


def test_an_adiabatic_sweep_on_a_ring_prepares_the_antiferromagnet(integrator) -> None:  # type: ignore[no-untyped-def]
    """Six atoms on a ring, 6 µm apart (nearest-neighbour V = 18.6 rad/µs, next-nearest 0.7): sweeping
    the detuning from -15 to +20 rad/µs (Delta / V from -0.8 to 1.1) at Omega = 8 rad/µs ends in the
    ground state of the Rydberg Hamiltonian there, the Z2 antiferromagnet: the two Néel
    configurations dominate, with equal weight by the ring's symmetry."""
    result = integrator.run(ring_sweep(), shots=SHOTS, seed=5)
    neel = result.counts.get("010101", 0), result.counts.get("101010", 0)
    assert sum(neel) / SHOTS > 0.8, sorted(result.counts.items(), key=lambda kv: -kv[1])[:5]
    assert proportion_ok(neel[0], sum(neel), 0.5)
    # no other configuration comes close to either
    others = [v for k, v in result.counts.items() if k not in ("010101", "101010")]
    assert max(others, default=0) < min(neel) / 10


def test_qhpc_counts_equal_pulsers_own_run_bit_reversed(integrator, direct) -> None:  # type: ignore[no-untyped-def]
    """The same sequence through QutipBackendV2 directly, with numpy's generator seeded as qhpc seeds
    it: the same counts, with atom 0 moved from Pulser's leftmost character to qhpc's rightmost."""
    seq = ring_sweep(atoms=4, sweep=1500)
    ours = integrator.run(seq, shots=2000, seed=42).counts
    theirs = direct(seq, 2000, 42)
    assert ours == {key[::-1]: value for key, value in theirs.items()}
    assert any(key != key[::-1] for key in ours)  # the reversal is visible in this readout
