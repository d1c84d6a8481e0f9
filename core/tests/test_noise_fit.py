"""The ``fit`` calibrator: its engine agrees with the density-matrix oracle (values and gradient),
it recovers hidden parameters from data a known model generated, and it refuses bad data."""

from __future__ import annotations

import json
import math
from functools import partial

import numpy as np
import pytest
from qhpc.noise import (
    CalibrationSnapshot,
    CoherentRotation,
    CorrelatedReadout,
    Depolarizing,
    GateCalibration,
    GateNoise,
    NoiseModel,
    NoiseModelError,
    QubitCalibration,
    ReadoutError,
    ZZCoupling,
    expand,
)
from qhpc.noise.fit import MeasuredRun, dump_runs, fit, load_runs, shot_noise_floor
from qhpc.noise.fit.engine import _compile, _Engine
from qhpc.noise.fit.space import _build_model, _parameters, _prior_model
from qhpc.noise.schedule import compact
from qhpc.noise.simulate import distribution
from qhpc_interop import Circuit

NATIVE = ["cx", "id", "rz", "sx", "x"]


def snapshot() -> CalibrationSnapshot:
    """Two coupled qubits with IBM-like figures."""
    qubits = [QubitCalibration(t1=110e-6, t2=90e-6, frequency=5.0e9, readout_p01=0.02, readout_p10=0.03,
                               readout_length=700e-9),
              QubitCalibration(t1=80e-6, t2=120e-6, frequency=5.1e9, readout_p01=0.015, readout_p10=0.04,
                               readout_length=700e-9)]
    gates = []
    for q in (0, 1):
        gates += [GateCalibration("sx", (q,), 3e-4, 35.5e-9), GateCalibration("x", (q,), 3e-4, 35.5e-9),
                  GateCalibration("id", (q,), 3e-4, 35.5e-9), GateCalibration("rz", (q,), 0.0, 0.0)]
    gates += [GateCalibration("cx", (0, 1), 8e-3, 300e-9), GateCalibration("cx", (1, 0), 8e-3, 340e-9)]
    return CalibrationSnapshot("toy_2q", 2, qubits, gates, NATIVE, [(0, 1), (1, 0)], "2026-01-01T00:00:00Z", "test")


def _add_measured(out: list[tuple[str, Circuit]], name: str, build) -> None:  # type: ignore[no-untyped-def]
    """Append experiment ``name``: a 2-qubit circuit made by ``build``, both qubits then measured."""
    c = Circuit(2, 2)
    build(c)
    out.append((name, c.measure(0, 0).measure(1, 1)))


def circuits() -> list[tuple[str, Circuit]]:
    """Calibration experiments in native gates: readout, sx trains, cx trains, a ZZ Ramsey probe."""
    out: list[tuple[str, Circuit]] = []
    add = partial(_add_measured, out)

    add("readout 00", lambda c: None)
    add("readout 11", lambda c: c.x(0).x(1))
    add("readout 10", lambda c: c.x(1))
    add("readout 01", lambda c: c.x(0))
    for reps in (5, 13, 21):
        add(f"sx x{reps}", lambda c, r=reps: [c.sx(0).sx(1) for _ in range(r)])
    for reps in (1, 5, 9):
        add(f"cx x{reps}", lambda c, r=reps: [c.rz(math.pi / 2, 0).sx(0).rz(math.pi / 2, 0)]
            + [c.cx(0, 1) for _ in range(r)])
    for idle in (20, 40):
        # a quarter turn before the last sx: the probe reads sin(phase), linear in the ZZ rate
        add(f"ZZ Ramsey {idle}", lambda c, n=idle: [c.x(1).sx(0)] + [c.id(0) for _ in range(n)]
            + [c.rz(math.pi / 2, 0).sx(0)])
    return out


def sampled(circuit: Circuit, model: NoiseModel, shots: int, rng: np.random.Generator) -> dict[str, int]:
    dist = distribution(compact(expand(circuit, model))[0])
    keys = sorted(dist)
    p = np.array([dist[k] for k in keys])
    return {k: int(v) for k, v in zip(keys, rng.multinomial(shots, p / p.sum())) if v}


def hidden_model(snap: CalibrationSnapshot) -> NoiseModel:
    """The prior model of the fit with known changes: cx(0, 1) depolarizing 0.03, an X over-rotation
    of 0.04 rad after sx, ZZ 3e5 rad/s, readout (0.04, 0.07) and (0.01, 0.05), crosstalk 0.03."""
    model = _prior_model(snap, [0, 1], None)
    entries = []
    for g in model.gate_noise:
        channels = [c for c in g.channels if not isinstance(c, Depolarizing)]
        if g.gate == "cx" and g.qubits == (0, 1):
            channels.insert(0, Depolarizing(0.03, 2))
        elif g.gate == "sx":
            channels = [CoherentRotation("X", 0.04), *[c for c in g.channels]]
        else:
            channels = list(g.channels)
        entries.append(GateNoise(g.gate, g.qubits, tuple(channels)))
    model.gate_noise = entries
    model.zz = [ZZCoupling((0, 1), 3.0e5)]
    model.readout = {0: ReadoutError(0.04, 0.07), 1: ReadoutError(0.01, 0.05)}
    d = 0.03  # q0's bit flips with 3% more probability when q1 reads 1
    m = np.eye(4)
    for col in (2, 3):
        m[:, col] = 0.0
        m[col, col] = 1 - d
        m[col ^ 1, col] = d
    model.correlated_readout = [CorrelatedReadout((0, 1), tuple(tuple(r) for r in m), False)]
    return model


def test_the_engine_agrees_with_the_density_matrix_oracle_and_its_gradient_with_finite_differences() -> None:
    snap = snapshot()
    rng = np.random.default_rng(3)
    runs = [MeasuredRun(c, 1000, sampled(c, hidden_model(snap), 1000, rng), name) for name, c in circuits()]
    prior = _prior_model(snap, [0, 1], None)
    space, template, describe = _parameters(snap, prior, runs, True, True, True)
    z = rng.normal(0.0, 0.3, len(space.params))
    bounds = space.bounds()
    z = np.clip(z, [b[0] + 1e-3 for b in bounds], [b[1] - 1e-3 for b in bounds])
    theta = space.natural(z)
    model = _build_model(prior, theta, describe)
    compiled = [_compile(r, template, describe, space) for r in runs]
    engine = _Engine(space, compiled)
    for c, p in zip(compiled, engine.quantum_distributions(theta)):
        recorded = _Engine.readout(c, theta, p)
        oracle = distribution(compact(expand(c.run.program, model))[0])
        for key, value in oracle.items():
            assert recorded[int(key, 2)] == pytest.approx(value, abs=1e-10)
        assert recorded.sum() == pytest.approx(1.0, abs=1e-10)
    value, grad = engine.value_and_gradient(z, 0.5)
    h = 1e-6
    for i in rng.choice(len(z), size=8, replace=False):
        up, down = z.copy(), z.copy()
        up[i] += h
        down[i] -= h
        numeric = (engine.nll(up) + 0.5 * up @ up - engine.nll(down) - 0.5 * down @ down) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-3, abs=1e-3 * max(1.0, abs(value) * 1e-6)), space.params[i].name


@pytest.mark.slow
def test_fit_recovers_the_hidden_parameters_that_generated_the_data() -> None:
    """Tolerances: readout probabilities within 0.006, the crosstalk shifts within 0.015, the
    over-rotation within 0.006 rad, the ZZ rate within 20%, cx(0, 1)'s depolarizing strength within
    25%; the held-out and training runs' fidelity deviations all under 0.5% after the fit."""
    snap = snapshot()
    hidden = hidden_model(snap)
    rng = np.random.default_rng(11)
    shots = 20_000
    runs = [MeasuredRun(c, shots, sampled(c, hidden, shots, rng), name) for name, c in circuits()]
    # seed 1 holds out one of each kind of experiment with siblings (cx x5, ZZ Ramsey 40, sx x5)
    model, report = fit(snap, runs, seed=1, strengths=(3.0, 0.3))
    for q, (p01, p10) in {0: (0.04, 0.07), 1: (0.01, 0.05)}.items():
        assert model.readout[q].p01 == pytest.approx(p01, abs=0.006)
        assert model.readout[q].p10 == pytest.approx(p10, abs=0.006)
    (pair,) = [c for c in model.correlated_readout if c.qubits == (0, 1)]
    m = np.array(pair.matrix)
    assert m[3, 2] + m[1, 2] == pytest.approx(0.03, abs=0.015)  # q0: 0 -> 1 when q1 reads 1
    assert m[0, 3] + m[2, 3] == pytest.approx(0.03, abs=0.015)  # q0: 1 -> 0 when q1 reads 1
    sx = next(g for g in model.gate_noise if g.gate == "sx" and g.qubits == (0,))
    (rotation,) = [c for c in sx.channels if isinstance(c, CoherentRotation)]
    assert rotation.pauli == "X" and rotation.angle == pytest.approx(0.04, abs=0.006)
    (zz,) = model.zz
    assert zz.rate == pytest.approx(3.0e5, rel=0.2)
    cx = next(g for g in model.gate_noise if g.gate == "cx" and g.qubits == (0, 1))
    (dep,) = [c for c in cx.channels if isinstance(c, Depolarizing)]
    assert dep.p == pytest.approx(0.03, rel=0.25)
    assert max(r.deviation_after for r in report.runs) < 0.005
    assert report.split("holdout") and report.path  # the strength was chosen on held-out runs
    # before the fit, the prior model was off by more than the shot noise on most runs
    assert sum(r.tvd_before > 3 * r.floor_before for r in report.runs) >= len(runs) // 2
    assert all(r.tvd_after < 3 * r.floor_after for r in report.runs)
    # the fitted model round-trips and carries its report
    again = NoiseModel.from_json(model.to_json())
    assert again.metadata["calibrator"] == "fit" and len(again.metadata["report"]["runs"]) == len(runs)


def coherent_model(snap: CalibrationSnapshot) -> NoiseModel:
    """The prior model with what a per-gate-type fit cannot express: a ZX over-rotation of 0.03 rad
    after cx in both directions, and sx / x over-rotations that differ by qubit (0.02 and 0.045)."""
    model = _prior_model(snap, [0, 1], None)
    angles = {0: 0.02, 1: 0.045}
    entries = []
    for g in model.gate_noise:
        extra: tuple[CoherentRotation, ...] = ()
        if g.gate == "cx":
            extra = (CoherentRotation("ZX", 0.03),)
        elif g.gate in ("sx", "x") and g.qubits is not None:
            extra = (CoherentRotation("X", angles[g.qubits[0]]),)
        entries.append(GateNoise(g.gate, g.qubits, extra + tuple(g.channels)))
    model.gate_noise = entries
    return model


def coupling_circuits() -> list[tuple[str, Circuit]]:
    """Readout, sx trains and cx trains in both directions (control in |+>, target on the equator:
    the ZX over-rotation shows at first order)."""
    out: list[tuple[str, Circuit]] = []
    add = partial(_add_measured, out)

    add("readout 00", lambda c: None)
    add("readout 11", lambda c: c.x(0).x(1))
    for reps in (9, 13):
        add(f"sx x{reps}", lambda c, r=reps: [c.sx(0).sx(1) for _ in range(r)])
    add("sx, x x12", lambda c: [c.sx(0).sx(1)] + [c.x(0).x(1) for _ in range(12)])
    for a, b in ((0, 1), (1, 0)):
        for reps in (3, 5):
            add(f"cx {a}-{b} x{reps}", lambda c, a=a, b=b, r=reps: [c.rz(math.pi / 2, a).sx(a).rz(math.pi / 2, a)
                                                                   .sx(b)] + [c.cx(a, b) for _ in range(r)])
    return out


def _angle(model: NoiseModel, gate: str, qubits: tuple[int, ...]) -> float:
    entry = next(g for g in model.gate_noise if g.gate == gate and g.qubits == qubits)
    return sum(c.angle for c in entry.channels if isinstance(c, CoherentRotation))


@pytest.mark.slow
def test_fit_recovers_over_rotations_per_qubit_and_on_a_coupling_in_both_directions() -> None:
    """The cx over-rotation (a Bell-like run's distribution is even in it: the fit must not stay at
    its stationary point zero) within 0.01 rad in each direction; sx and x over-rotations per
    qubit within 0.008 rad."""
    snap = snapshot()
    hidden = coherent_model(snap)
    rng = np.random.default_rng(5)
    shots = 20_000
    runs = [MeasuredRun(c, shots, sampled(c, hidden, shots, rng), name) for name, c in coupling_circuits()]
    model, report = fit(snap, runs, seed=2, strengths=(3.0, 0.3))
    for qubits in ((0, 1), (1, 0)):
        assert _angle(model, "cx", qubits) == pytest.approx(0.03, abs=0.01), qubits
    for q, angle in {0: 0.02, 1: 0.045}.items():
        assert _angle(model, "sx", (q,)) == pytest.approx(angle, abs=0.008), q
        assert _angle(model, "x", (q,)) == pytest.approx(angle, abs=0.008), q
    assert all(r.tvd_after < 3 * r.floor_after for r in report.runs)


@pytest.mark.slow
def test_a_held_out_run_that_alone_pins_a_parameter_still_informs_the_fitted_model() -> None:
    """The only ZZ probe held out to choose the strength: the refit on all runs recovers the ZZ
    rate; without it the rate stays at its prior (no training run sees it). A gate direction no
    run uses still shares its pair's and the global factors."""
    snap = snapshot()
    hidden = hidden_model(snap)
    rng = np.random.default_rng(11)
    shots = 20_000
    named = [(n, c) for n, c in circuits() if n != "ZZ Ramsey 20"]
    runs = [MeasuredRun(c, shots, sampled(c, hidden, shots, rng), name) for name, c in named]
    order = np.random.default_rng(4).permutation(len(runs))  # what fit draws with seed=4
    zz_at = next(k for k, r in enumerate(runs) if r.name == "ZZ Ramsey 40")
    runs[order[0]], runs[zz_at] = runs[zz_at], runs[order[0]]  # the ZZ probe is the first held out
    refitted, report = fit(snap, runs, seed=4, strengths=(3.0,))
    assert "ZZ Ramsey 40" in [r.name for r in report.split("holdout")]
    (zz,) = refitted.zz
    assert zz.rate == pytest.approx(3.0e5, rel=0.2)
    assert any("refitted on all runs" in n for n in report.notes)
    selected, _ = fit(snap, runs, seed=4, strengths=(3.0,), refit=False)
    assert all(abs(z.rate) < 3e4 for z in selected.zz)
    # cx(1, 0) is never run: its depolarizing strength follows the global and the pair's factors
    # that cx(0, 1) (hidden: 0.03, some 4x its prior) raised
    p_prior = next(c.p for g in _prior_model(snap, [0, 1], None).gate_noise if g.gate == "cx" and g.qubits == (1, 0)
                   for c in g.channels if isinstance(c, Depolarizing))
    p_fit = next(c.p for g in refitted.gate_noise if g.gate == "cx" and g.qubits == (1, 0)
                 for c in g.channels if isinstance(c, Depolarizing))
    assert p_fit > 2 * p_prior


def test_the_shot_noise_floor_is_the_expected_distance_of_a_sample() -> None:
    """Against a Monte Carlo estimate (2000 samples of 500 shots)."""
    dist = {"00": 0.5, "01": 0.3, "10": 0.15, "11": 0.05}
    rng = np.random.default_rng(0)
    keys = list(dist)
    p = np.array([dist[k] for k in keys])
    tvd = [0.5 * np.abs(rng.multinomial(500, p) / 500 - p).sum() for _ in range(2000)]
    assert shot_noise_floor(dist, 500) == pytest.approx(float(np.mean(tvd)), rel=0.03)


def _runs_json(**changes: object) -> dict[str, object]:
    c = Circuit(2, 2).x(0).cx(0, 1).measure(0, 0).measure(1, 1)
    doc = dump_runs([MeasuredRun(c, 100, {"11": 90, "01": 10}, "bell")], "toy_2q")
    run = doc["runs"][0]  # type: ignore[index]
    for key, value in changes.items():
        if key == "target":
            doc["target"] = value
        else:
            run[key] = value
    return doc


@pytest.mark.parametrize("changes, message", [
    ({"target": "ibm_elsewhere"}, "target 'ibm_elsewhere' is not the snapshot's device 'toy_2q'"),
    ({"counts": {"11": 90, "01": 9}}, r"runs\[0\]\.counts sum to 99, not to its 100 shots"),
    ({"counts": {"111": 100}}, "bitstring '111' has 3 bits; the program has 2 clbits"),
    ({"program": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q -> c;"},
     "h is not a native gate of toy_2q"),
    ({"program": "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[2];\nx q[2];\nmeasure q[0] -> c[0];"},
     "declares 3 qubits; toy_2q has 2"),
    ({"shots": 0}, "shots must be a positive integer"),
])
def test_bad_runs_are_refused_naming_the_run_and_field(changes, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoiseModelError, match=message) as caught:
        load_runs(_runs_json(**changes), snapshot())
    assert "\n" not in str(caught.value)


def test_malformed_json_and_unterminated_programs_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "runs.json"
    path.write_text('{"target": "toy_2q", "runs": [}')
    with pytest.raises(NoiseModelError, match=r"runs\.json:1:31: invalid JSON"):
        load_runs(path, snapshot())
    path.write_text(json.dumps(_runs_json()))
    assert load_runs(path, snapshot())[0].counts == {"11": 90, "01": 10}
    c = Circuit(2, 2).measure(0, 0).x(0).measure(0, 1)
    with pytest.raises(NoiseModelError, match="acts on a measured qubit; the fit takes programs whose measurements"):
        fit(snapshot(), [MeasuredRun(c, 10, {"00": 10}, "again")])
