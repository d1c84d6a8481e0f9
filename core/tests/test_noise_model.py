"""The noise model: channels are CPTP and checked, JSON round-trips exactly, the schedule inserts
noise where it acts, and the density-matrix oracle reproduces analytic decay curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qhpc.noise import (
    AmplitudeDamping,
    BitFlip,
    CoherentRotation,
    CorrelatedReadout,
    Depolarizing,
    GateNoise,
    NoiseModel,
    NoiseModelError,
    PauliChannel,
    PhaseDamping,
    QubitRelaxation,
    ReadoutError,
    ThermalRelaxation,
    ZZCoupling,
    expand,
)
from qhpc.noise.channels import Channel, check_cptp, depolarizing_for_error
from qhpc.noise.simulate import distribution
from qhpc_interop import Circuit, Condition


def test_channels_are_trace_preserving_and_their_fidelities_are_analytic() -> None:
    # average gate infidelity of depolarizing(p) on d dims: p (d - 1) / d
    for n in (1, 2):
        d = 2**n
        assert Depolarizing(0.04, n).average_gate_infidelity() == pytest.approx(0.04 * (d - 1) / d, abs=1e-12)
    # a coherent over-rotation by eps: infidelity 1 - (2 cos^2(eps/2) + 1)/3
    eps = 0.1
    assert CoherentRotation("X", eps).average_gate_infidelity() == pytest.approx(
        1 - (2 * math.cos(eps / 2) ** 2 + 1) / 3, abs=1e-12)
    assert PauliChannel({"X": 0.1, "Z": 0.05}).average_gate_infidelity() == pytest.approx(0.15 * 2 / 3, abs=1e-12)


@pytest.mark.parametrize("make, message", [
    (lambda: Depolarizing(1.5), r"depolarizing p must be a probability in \[0, 1.33"),
    (lambda: PauliChannel({"X": 0.7, "Y": 0.6}), r"sum to 1.29\d*, more than 1"),
    (lambda: PauliChannel({"XQ": 0.1}), "strings of I, X, Y, Z"),
    (lambda: AmplitudeDamping(-0.1), "gamma must be a probability"),
    (lambda: ThermalRelaxation(50e-6, 150e-6, 1e-6), r"T2 <= 2 T1"),
    (lambda: ThermalRelaxation(0, 1e-6, 1e-6), "t1 must be a positive"),
    (lambda: CoherentRotation("W", 0.1), "Pauli string"),
    (lambda: ReadoutError(0.1, 1.2), "p10 must be a probability"),
    (lambda: CorrelatedReadout((0, 1), ((0.9, 0, 0, 0),) * 4), "columns summing to 1"),
    (lambda: QubitRelaxation(10e-6, 30e-6), "exceeds 2 T1"),
])
def test_invalid_channels_are_refused_when_built(make, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoiseModelError, match=message):
        make()


def test_a_map_that_is_not_completely_positive_or_not_trace_preserving_is_refused() -> None:
    from qhpc.noise.channels import check_choi

    with pytest.raises(NoiseModelError, match="not trace preserving"):
        check_cptp([np.diag([1.0, 0.5])], "shrink")
    # the transpose map is positive and trace preserving but not completely positive: its Choi
    # matrix is the swap, with eigenvalue -1
    swap = np.eye(4)[[0, 2, 1, 3]]
    with pytest.raises(NoiseModelError, match=r"not completely positive \(Choi eigenvalue -1"):
        check_choi(swap, 2, "transpose")
    # the Choi matrix of the identity channel passes
    vec = np.eye(2).reshape(-1, order="F")
    check_choi(np.outer(vec, vec), 2, "identity")


def test_depolarizing_part_reproduces_the_reported_gate_error_exactly() -> None:
    relax = [ThermalRelaxation(80e-6, 60e-6, 300e-9), ThermalRelaxation(120e-6, 100e-6, 300e-9)]
    p = depolarizing_for_error(0.012, 2, relax)
    from qhpc.noise.channels import _on_qubit

    kraus = Depolarizing(p, 2).kraus()
    for k, r in enumerate(relax):
        lifted = [_on_qubit(op, k, 2) for op in r.kraus()]
        kraus = [b @ a for a in kraus for b in lifted]
    process = sum(abs(np.trace(k)) ** 2 for k in kraus) / 16
    assert 1 - (4 * process + 1) / 5 == pytest.approx(0.012, abs=1e-12)
    with pytest.raises(NoiseModelError, match="smaller than the thermal relaxation"):
        depolarizing_for_error(1e-5, 1, [ThermalRelaxation(10e-6, 10e-6, 1e-6)])


def full_model() -> NoiseModel:
    return NoiseModel(
        gate_noise=[GateNoise("cx", (0, 1), (Depolarizing(0.02, 2), ThermalRelaxation(1e-4, 8e-5, 3e-7))),
                    GateNoise("sx", None, (CoherentRotation("X", 0.01), PauliChannel({"Z": 0.001})))],
        durations={("cx", (0, 1)): 3e-7, ("sx", None): 3.5e-8, ("measure", None): 7e-7},
        relaxation={0: QubitRelaxation(1e-4, 8e-5), 1: QubitRelaxation(9e-5, 1.1e-4, 0.01)},
        zz=[ZZCoupling((0, 1), 2 * math.pi * 50e3)],
        readout={0: ReadoutError(0.02, 0.03), 1: ReadoutError(0.01, 0.05)},
        correlated_readout=[CorrelatedReadout((1, 2), ((0.97, 0.02, 0.02, 0.0), (0.01, 0.96, 0.0, 0.02),
                                                       (0.01, 0.0, 0.96, 0.03), (0.01, 0.02, 0.02, 0.95)))],
        preparation={0: 0.002},
        metadata={"source": "test", "nested": {"a": [1, 2.5]}},
    )


def test_json_round_trip_is_exact() -> None:
    model = full_model()
    text = model.to_json()
    again = NoiseModel.from_json(text)
    assert again == model and again.to_json() == text
    for bad, message in [('{"format": "nope"}', "not a qhpc noise model"), ("{", "invalid JSON"),
                         ('{"format": "qhpc.noise", "version": 1, "zzz": []}', "unknown field 'zzz'"),
                         ('{"format": "qhpc.noise", "version": 1, "readout": {"0": {"p01": 2, "p10": 0}}}',
                          "p01 must be a probability")]:
        with pytest.raises(NoiseModelError, match=message):
            NoiseModel.from_json(bad, "model.json")
    assert Channel.from_dict(Depolarizing(0.1, 2).to_dict()) == Depolarizing(0.1, 2)


def test_thermal_relaxation_reproduces_the_analytic_t1_decay_and_t2_ramsey_curves() -> None:
    t1, t2 = 50e-6, 30e-6
    model = NoiseModel(relaxation={0: QubitRelaxation(t1, t2)},
                       durations={("x", None): 0.0, ("sx", None): 0.0, ("id", None): 1e-6, ("measure", None): 0.0})
    for steps in (0, 5, 20, 60):
        # T1: excite, wait, measure: P(1) = exp(-t/T1)
        c = Circuit(1, 1).x(0)
        for _ in range(steps):
            c.id(0)
        c.measure(0, 0)
        # model the wait as idle time: ids of 1 us with no gate noise but scheduled durations
        p1 = distribution(expand(_as_wait(c), model)).get("1", 0.0)
        assert p1 == pytest.approx(math.exp(-steps * 1e-6 / t1), abs=1e-12)
        # Ramsey: sx, wait, sx: P(1) = (1 + exp(-t/T2) ... ) / 2 with no detuning -> (1 + e^{-t/T2})/2
        r = Circuit(1, 1).sx(0)
        for _ in range(steps):
            r.id(0)
        r.sx(0).measure(0, 0)
        p1 = distribution(expand(_as_wait(r), model)).get("1", 0.0)
        # after sx the coherence is rho01 = i/2; it decays as exp(-t/T2); the second sx reads
        # P(1) = 1/2 + Im(rho01) = (1 + exp(-t/T2)) / 2, whatever T1 does to the populations
        assert p1 == pytest.approx(0.5 * (1 + math.exp(-steps * 1e-6 / t2)), abs=1e-12)


def _as_wait(circuit: Circuit) -> Circuit:
    """The same circuit with its `id` gates on qubit 0 replaced by idle time on a neighbour: a
    second qubit runs the ids, so qubit 0 waits (idle relaxation applies to waits)."""
    out = Circuit(2, circuit.num_clbits)
    for inst in circuit.instructions:
        if inst.name == "id":
            out.id(1)
        elif inst.name == "measure":
            out.barrier(0, 1)
            out.measure(0, 0)
        else:
            out.barrier(0, 1)
            out.append(inst.operation, inst.qubits, inst.clbits)
            out.barrier(0, 1)
    return out


def test_readout_reproduces_a_hand_computed_confusion() -> None:
    model = NoiseModel(readout={0: ReadoutError(0.1, 0.2), 1: ReadoutError(0.05, 0.3)})
    c = Circuit(2, 2).x(1).measure([0, 1], [0, 1])  # prepared |q1 q0> = |10>
    got = distribution(expand(c, model))
    # clbit 0 reads qubit 0 (prepared 0): 1 with p01 = 0.1; clbit 1 reads qubit 1 (prepared 1): 0 with 0.3
    expected = {"10": 0.9 * 0.7, "11": 0.1 * 0.7, "00": 0.9 * 0.3, "01": 0.1 * 0.3}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-12)
    joint = ((0.9, 0.05, 0.05, 0.02), (0.04, 0.9, 0.01, 0.03), (0.04, 0.02, 0.9, 0.05), (0.02, 0.03, 0.04, 0.9))
    model = NoiseModel(correlated_readout=[CorrelatedReadout((0, 1), joint)])
    got = distribution(expand(c, model))
    # prepared index = bit0 + 2 bit1 = 2: column 2 of the matrix
    for measured in range(4):
        key = f"{measured >> 1}{measured & 1}"
        assert got[key] == pytest.approx(joint[measured][2], abs=1e-12)


def test_the_schedule_inserts_gate_idle_crosstalk_and_preparation_noise() -> None:
    model = full_model()
    c = Circuit(3, 2).gate("sx", [0]).cx(0, 1).gate("sx", [2]).measure([0, 1], [0, 1])
    with pytest.raises(NoiseModelError, match=r"no duration for sx on qubits \[2\]|no duration for cx"):
        expand(Circuit(2, 1).cx(1, 0).measure(0, 0), model)
    noisy = expand(c, model)
    labels = [op.label for op in noisy.channels()]
    assert labels[0] == "preparation" and labels.count("after sx") == 4  # two channels after each sx
    assert "after cx" in labels and "zz crosstalk" in labels and "idle" in labels
    assert noisy.duration == pytest.approx(3.5e-8 + 3e-7 + 7e-7)
    with pytest.raises(NoiseModelError, match=r"has no duration for h on qubits \[0\]"):
        expand(Circuit(1, 1).h(0).measure(0, 0), model)


def test_the_schedule_keeps_the_order_of_writes_and_reads_of_a_classical_bit() -> None:
    """Operations run in start-time order; a measurement waited only for its qubits, so a later
    write into a bit came before an earlier one (x q1; measure q1 -> c0; measure q0 -> c0 read 1,
    where the last write gives 0), and a write overtook the condition that reads the old value. The
    analytic outcomes: the relaxation here (T1 = T2 = 10^6 s) moves them by under 1e-6."""
    from qhpc.noise import QubitRelaxation

    durations = {("x", None): 1e-7, ("measure", None): 1e-6}
    model = NoiseModel(durations=durations, relaxation={q: QubitRelaxation(1e6, 1e6) for q in range(3)})
    waw = Circuit(2, 1).x(1).measure(1, 0).measure(0, 0)
    assert distribution(expand(waw, model))["0"] == pytest.approx(1.0, abs=1e-6)
    war = Circuit(3, 2).x(0).measure(0, 0)
    for _ in range(20):
        war.x(1)  # q1 is busy long after c0 is written: its conditioned x starts late
    war.append("x", [1], condition=Condition((0,), 1))  # reads c0 = 1
    war.measure(2, 0).measure(1, 1)  # then c0 is overwritten with 0; q1 was flipped 21 times
    assert distribution(expand(war, model))["10"] == pytest.approx(1.0, abs=1e-6)
    # the noise after a conditioned gate is conditioned too, read when the gate ends: the write
    # waits for that (else the bit-flip after y would read the overwritten 0 and never apply)
    flips = NoiseModel(durations={**durations, ("y", None): 1e-7}, gate_noise=[GateNoise("y", None, (BitFlip(0.25),))])
    late = Circuit(3, 2).x(0).measure(0, 0)
    for _ in range(20):
        late.x(1)
    late.append("y", [1], condition=Condition((0,), 1))
    late.measure(2, 0).measure(1, 1)
    got = distribution(expand(late, flips))
    assert got["10"] == pytest.approx(0.75, abs=1e-12) and got["00"] == pytest.approx(0.25, abs=1e-12)
    # a conditioned measurement reads its condition when it starts and has no noise after it: a
    # later write into that bit waits for the read, not for the whole measurement (it waited 1 us
    # more, decaying q2 to exp(-2) instead of exp(-1) with T1 = 1 us)
    t1 = NoiseModel(durations=durations, relaxation={q: QubitRelaxation(1e-6, 1e-6) for q in range(3)})
    reader = Circuit(3, 2).x(0).measure(0, 0).x(2)  # c0 written at 1.1 us; q2 in |1> from 0.1 us
    reader.append("measure", [1], [1], condition=Condition((0,), 1))  # reads c0 at 1.1 us
    reader.measure(2, 0)  # starts at 1.1 us: q2 idled 1 us
    got = distribution(expand(reader, t1))
    assert sum(v for k, v in got.items() if k[-1] == "1") == pytest.approx(math.exp(-1.0), abs=1e-9)


@pytest.mark.parametrize("build, message", [
    # a negative duration became idle relaxation before the measurement ({'0': 65, '1': 35} for an x)
    (lambda: NoiseModel(durations={("x", None): -1e-5}), r"duration of x on any qubits must be a non-negative"),
    (lambda: NoiseModel(durations={("x", (0,)): float("nan")}), r"duration of x on \[0\] must be a non-negative"),
    (lambda: QubitRelaxation(1e-5, 1e-5, excited_population=2.0), r"excited-state population must be a probability"),
    (lambda: NoiseModel(preparation={0: 1.5}), r"preparation error of qubit 0 must be a probability"),
    (lambda: NoiseModel(zz=[ZZCoupling((-1, 0), 1e3)]), r"zz: qubit -1 is not a qubit index"),
    (lambda: NoiseModel(readout={-1: ReadoutError(0.1, 0.1)}), r"readout: qubit -1 is not a qubit index"),
    # noise on a gate name no circuit applies was silently unused ({'00': 1000} under depolarizing 1.0)
    (lambda: GateNoise("CX", None, (Depolarizing(1.0, 2),)), r"gate noise on 'CX': .*did you mean 'cx'"),
    (lambda: GateNoise("measure", None, (BitFlip(0.1),)), r"gate noise on 'measure': no circuit applies"),
])
def test_values_only_a_run_would_have_found_wrong_are_refused_when_the_model_is_built(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoiseModelError, match=message):
        build()


def test_zz_crosstalk_accumulates_the_analytic_phase() -> None:
    """|+>|1> under ZZ for t picks up a relative phase zeta t on qubit 0: Ramsey P(0) = cos^2(zeta t / 2)."""
    zeta = 2 * math.pi * 100e3
    model = NoiseModel(zz=[ZZCoupling((0, 1), zeta)],
                       durations={("h", None): 0.0, ("x", None): 0.0, ("id", None): 1e-6, ("measure", None): 0.0})
    for waits in (0, 1, 3, 7):
        c = Circuit(2, 1).x(1).h(0)
        for _ in range(waits):
            c.id(1)
        c.barrier(0, 1)
        c.h(0).measure(0, 0)
        p0 = distribution(expand(c, model)).get("0", 0.0)
        assert p0 == pytest.approx(math.cos(zeta * waits * 1e-6 / 2) ** 2, abs=1e-9)


def test_preparation_error_flips_the_initial_state() -> None:
    model = NoiseModel(preparation={0: 0.07})
    assert distribution(expand(Circuit(1, 1).measure(0, 0), model))["1"] == pytest.approx(0.07, abs=1e-12)
    after_reset = Circuit(1, 1).x(0).reset(0).measure(0, 0)
    assert distribution(expand(after_reset, model))["1"] == pytest.approx(0.07, abs=1e-12)  # reset, then the error
    assert BitFlip(0.07).average_gate_infidelity() == pytest.approx(0.07 * 2 / 3, abs=1e-12)
    assert PhaseDamping(0.2).num_qubits == 1
