"""The ``fit`` calibrator against a stand-in QPU: does the fitted model behave like the device?

The stand-in is a real calibration snapshot (``ibm_perth`` by default, from qiskit-ibm-runtime's
fake provider) with what the standard model lacks, drawn with a fixed seed:

* per-qubit variation: each gate's depolarizing strength x lognormal(0, 0.35) per qubit / pair,
  T1 and T2 x lognormal(0, 0.25) per qubit, readout P(1|0) and P(0|1) x lognormal(0, 0.35);
* coherent over-rotation after every ``sx``/``x`` (0.02 to 0.04 rad about X) and ``cx`` (ZX, 0.03 rad);
* static ZZ crosstalk on every coupled pair (1e5 to 3e5 rad/s, alternating sign);
* correlated readout: when a neighbour reads 1, a qubit's bit flips with 1.5% to 3% more probability.

"Measured" counts are multinomial samples (``--shots`` per circuit) of the stand-in's exact output
distribution. The fit sees 20 training circuits of at most 5 qubits (readout preparations that
separate each qubit's own error from its neighbours' crosstalk, ``sx`` and ``x`` trains, ``cx``
trains on every coupling in both directions, Ramsey-type ZZ probes; see :func:`training_circuits`),
written in native gates on physical qubits as they would run on the device. Then, on held-out circuits (GHZ 3 to 7, QFT 4 to
6, Bernstein-Vazirani, a mirror circuit, quantum volume 4 and 5; Qiskit-transpiled onto the
device), three models are compared against the stand-in's sampled counts:

* ``uncalibrated``: qhpc's ``from-calibration`` model of the snapshot (what the device target uses);
* ``aer``: Qiskit Aer's ``NoiseModel.from_backend`` of the same fake backend (sampled, 200k shots);
* ``fitted``: the ``fit`` calibrator's model.

For each: the output fidelity deviation ``|F_model - F_measured|`` (F = Hellinger fidelity of the
ideal distribution with the model's / the measured one) per circuit, its median and worst, and the
total variation distance measured-vs-model divided by the shot-noise floor (the distance expected
from sampling alone: 1.0 is as close as any model can be), and the fit's time.

    python benchmarks/calibration.py [--device ibm_perth] [--shots 8000] [--seed 7] [--plot out.png]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from typing import Any

import numpy as np
from qhpc.noise import (
    CoherentRotation,
    CorrelatedReadout,
    Depolarizing,
    GateNoise,
    NoiseModel,
    QubitRelaxation,
    ReadoutError,
    ThermalRelaxation,
    ZZCoupling,
    expand,
    from_calibration,
)
from qhpc.noise.channels import ProductChannel
from qhpc.noise.fit import MeasuredRun, fit, hellinger_fidelity, shot_noise_floor, total_variation
from qhpc.noise.schedule import compact, measurements_last
from qhpc.noise.simulate import distribution
from qhpc_interop import Circuit
from qhpc_qiskit.devices import device_targets
from qhpc_qiskit.translate import circuit_from_qiskit, circuit_to_qiskit

AER_SHOTS = 200_000


# -- the stand-in QPU -------------------------------------------------------------------------


def stand_in(snapshot: Any, seed: int) -> NoiseModel:
    """The snapshot's standard model with the effects it lacks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    base = from_calibration(snapshot)
    n = snapshot.num_qubits
    t_scale = {q: (float(rng.lognormal(0, 0.25)), float(rng.lognormal(0, 0.25))) for q in range(n)}
    pair_scale: dict[frozenset[int], float] = {}
    qubit_scale = {q: float(rng.lognormal(0, 0.35)) for q in range(n)}
    rotation = {q: float(rng.uniform(0.02, 0.04)) for q in range(n)}

    def relaxed(ch: ThermalRelaxation, q: int) -> ThermalRelaxation:
        t1 = ch.t1 / t_scale[q][0]
        return ThermalRelaxation(t1, min(ch.t2 / t_scale[q][1], 2 * t1), ch.time, ch.excited_population)

    entries = []
    for entry in base.gate_noise:
        qs = entry.qubits or ()
        if len(qs) == 2:
            scale = pair_scale.setdefault(frozenset(qs), float(rng.lognormal(0, 0.35)))
        else:
            scale = qubit_scale[qs[0]] if qs else 1.0
        channels: list[Any] = []
        for ch in entry.channels:
            if isinstance(ch, Depolarizing):
                channels.append(Depolarizing(min(ch.p * scale, 0.5), ch.qubits))
            elif isinstance(ch, ThermalRelaxation):
                channels.append(relaxed(ch, qs[0]))
            elif isinstance(ch, ProductChannel):
                channels.append(ProductChannel(tuple(relaxed(p, q) for p, q in zip(ch.parts, qs))))  # type: ignore[arg-type]
            else:
                channels.append(ch)
        if entry.gate in ("sx", "x") and len(qs) == 1:
            channels.insert(0, CoherentRotation("X", rotation[qs[0]]))
        if entry.gate == "cx":
            channels.insert(0, CoherentRotation("ZX", 0.03))
        entries.append(GateNoise(entry.gate, entry.qubits, tuple(channels)))
    model = NoiseModel(gate_noise=entries, durations=dict(base.durations))
    for q, r in base.relaxation.items():
        t1 = r.t1 / t_scale[q][0]
        model.relaxation[q] = QubitRelaxation(t1, min(r.t2 / t_scale[q][1], 2 * t1), r.excited_population)
    for q, e in base.readout.items():
        model.readout[q] = ReadoutError(min(e.p01 * float(rng.lognormal(0, 0.35)), 0.3),
                                        min(e.p10 * float(rng.lognormal(0, 0.35)), 0.3))
    pairs = sorted({tuple(sorted(p)) for p in snapshot.coupling_map})
    for k, (a, b) in enumerate(pairs):
        model.zz.append(ZZCoupling((a, b), (1 if k % 2 == 0 else -1) * float(rng.uniform(1e5, 3e5))))
        d = [float(rng.uniform(0.015, 0.03)) for _ in range(2)]
        model.correlated_readout.append(CorrelatedReadout((a, b), _crosstalk(d[0], d[1]), False))
    return model


def _crosstalk(da: float, db: float) -> tuple[tuple[float, ...], ...]:
    """a's bit flips with probability ``da`` when b reads 1, b's with ``db`` when a reads 1
    (``M[read, as read before]``, index bit(a) + 2 bit(b))."""
    m = np.zeros((4, 4))
    for col in range(4):
        xa, xb = col & 1, col >> 1
        fa, fb = (da if xb else 0.0), (db if xa else 0.0)
        for row in range(4):
            ya, yb = row & 1, row >> 1
            m[row, col] = (fa if ya != xa else 1 - fa) * (fb if yb != xb else 1 - fb)
    return tuple(tuple(float(x) for x in r) for r in m)


def exact(circuit: Circuit, model: NoiseModel) -> dict[str, float]:
    noisy, _ = compact(expand(circuit, model))
    return distribution(measurements_last(noisy))  # the same outcomes, without branching early


def sample(dist: dict[str, float], shots: int, rng: np.random.Generator) -> dict[str, int]:
    keys = sorted(dist)
    p = np.array([dist[k] for k in keys])
    drawn = rng.multinomial(shots, p / p.sum())
    return {k: int(v) for k, v in zip(keys, drawn) if v}


# -- circuits -----------------------------------------------------------------------------------


def training_circuits(snapshot: Any) -> list[tuple[str, Circuit]]:
    """20 circuits of at most 5 qubits, in native gates on physical qubits (written for ibm_perth's
    7-qubit H topology: 0-1, 1-2, 1-3, 3-5, 4-5, 5-6; hubs 1 and 5, leaves 0, 2, 3, 4, 6).

    The design: every parameter is pinned by some circuit, and none by one circuit alone where it
    can be helped (a random quarter of the runs is held out to choose the regularisation):

    * readout (8): all 0 and all 1 on each side; each side's leaves at 1 with the hubs at 0 and the
      hubs at 1 with the leaves at 0, so that a qubit's own ``P(0|1)`` is read while its neighbours
      read 0 and the crosstalk from the contrast with the all-1 runs;
    * one-qubit gates (4): ``sx`` trains of 9 and 13 (first order in each qubit's over-rotation:
      ``sx^(4k+1)`` leaves the state on the equator), and ``sx`` then 12 ``x`` (first order in the
      ``x`` over-rotation);
    * ``cx`` (6): every coupling in both directions, two pairs in parallel per circuit, 5 ``cx``
      in a row, the control in ``|+>`` and the target on the equator (``sx``), which makes the
      ``ZX`` over-rotation show at first order;
    * ZZ (2): Ramsey probes of the hubs' neighbours with the hub in ``|1>``.
    """
    n = snapshot.num_qubits
    out: list[tuple[str, Circuit]] = []

    def circuit(name: str, measured: list[int], body: Any) -> None:
        c = Circuit(n, len(measured))
        body(c)
        for k, q in enumerate(measured):
            c.measure(q, k)
        out.append((name, c))

    def h(c: Circuit, q: int) -> None:
        c.rz(math.pi / 2, q).sx(q).rz(math.pi / 2, q)

    def flip(c: Circuit, qubits: tuple[int, ...]) -> None:
        for q in qubits:
            c.x(q)

    left, right = [0, 1, 2, 3, 5], [3, 4, 5, 6]
    for name, measured, ones in (("readout 0 (left)", left, ()), ("readout 0 (right)", right, ()),
                                 ("readout 1 (left)", left, tuple(left)), ("readout 1 (right)", right, tuple(right)),
                                 ("readout leaves 1 (left)", left, (0, 2, 3)),
                                 ("readout hubs 1 (left)", left, (1, 5)),
                                 ("readout leaves 1 (right)", right, (3, 4, 6)),
                                 ("readout hub 1 (right)", right, (5,))):
        circuit(name, measured, lambda c, ones=ones: flip(c, ones))
    for name, qs, reps in (("sx x9 (left)", left, 9), ("sx x13 (right)", right, 13)):
        circuit(name, qs, lambda c, qs=qs, r=reps: [c.sx(q) for _ in range(r) for q in qs])
    for name, qs in (("sx, x x12 (left)", left), ("sx, x x12 (right)", right)):
        def xs(c: Circuit, qs: list[int] = qs) -> None:
            for q in qs:
                c.sx(q)
            for _ in range(12):
                for q in qs:
                    c.x(q)
        circuit(name, qs, xs)
    for pairs in ([(1, 0), (3, 5)], [(0, 1), (5, 3)], [(1, 2), (5, 4)], [(2, 1), (4, 5)], [(1, 3), (5, 6)],
                  [(3, 1), (6, 5)]):
        qs = sorted({q for p in pairs for q in p})

        def body(c: Circuit, pairs: list[tuple[int, int]] = pairs) -> None:
            for a, b in pairs:
                h(c, a)
                c.sx(b)
                for _ in range(5):
                    c.cx(a, b)
        circuit("cx train " + ", ".join(f"{a}-{b}" for a, b in pairs), qs, body)
    for name, centre, probes, idle in (("ZZ probe around 1", 1, [0, 2, 3], 36), ("ZZ probe around 5", 5, [3, 4, 6], 36)):
        def zz(c: Circuit, centre: int = centre, probes: list[int] = probes, idle: int = idle) -> None:
            c.x(centre)
            for q in probes:
                c.sx(q)
            for _ in range(idle):
                for q in probes:
                    c.id(q)
            for q in probes:  # a quarter turn: the probe reads sin(phase), linear in the ZZ rate
                c.rz(math.pi / 2, q).sx(q)
        circuit(name, sorted([centre, *probes]), zz)
    return out


def held_out_circuits(snapshot: Any, seed: int) -> list[tuple[str, Circuit]]:
    """GHZ 3-7, QFT 4-6, Bernstein-Vazirani, a mirror circuit, quantum volume 4 and 5, transpiled
    by Qiskit onto the device (its native gates and coupling map)."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import QFTGate, quantum_volume
    from qiskit.transpiler import CouplingMap

    logical: list[tuple[str, Any]] = []
    for k in range(3, 8):
        qc = QuantumCircuit(k)
        qc.h(0)
        for q in range(1, k):
            qc.cx(q - 1, q)
        logical.append((f"GHZ {k}", qc))
    for k in (4, 5, 6):
        qc = QuantumCircuit(k)
        qc.x(0)
        qc.h(k - 1)
        qc.append(QFTGate(k), range(k))
        logical.append((f"QFT {k}", qc))
    secret = "10110"
    bv = QuantumCircuit(len(secret) + 1)
    bv.x(len(secret))
    bv.h(range(len(secret) + 1))
    for i, bit in enumerate(reversed(secret)):
        if bit == "1":
            bv.cx(i, len(secret))
    bv.h(range(len(secret)))
    logical.append(("Bernstein-Vazirani 5", (bv, list(range(len(secret))))))
    half = quantum_volume(4, depth=2, seed=seed).decompose()
    mirror = half.compose(half.inverse())
    logical.append(("mirror 4 (QV layers + inverse)", mirror))
    logical.append(("quantum volume 4", quantum_volume(4, seed=seed + 1).decompose()))
    logical.append(("quantum volume 5", quantum_volume(5, seed=seed + 2).decompose()))
    out = []
    coupling = CouplingMap(snapshot.coupling_map)
    for name, item in logical:
        qc, measured = item if isinstance(item, tuple) else (item, list(range(item.num_qubits)))
        full = QuantumCircuit(qc.num_qubits, len(measured))
        full.compose(qc, inplace=True)
        full.measure(measured, list(range(len(measured))))
        t = transpile(full, basis_gates=list(snapshot.native_gates), coupling_map=coupling, optimization_level=1,
                      seed_transpiler=seed)
        out.append((name, circuit_from_qiskit(t)))
    return out


def aer_from_backend(device: str, circuit: Circuit, seed: int) -> dict[str, float]:
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_ibm_runtime import fake_provider

    name = f"Fake{device.split('_', 1)[1].capitalize()}"
    backend = getattr(fake_provider, name + "V2", None) or getattr(fake_provider, name)
    backend = backend()
    sim = AerSimulator(method="density_matrix", noise_model=AerNoiseModel.from_backend(backend))
    qc = circuit_to_qiskit(circuit)
    counts = sim.run(qc, shots=AER_SHOTS, seed_simulator=seed).result().get_counts()
    width = circuit.num_clbits
    return {k.replace(" ", "").zfill(width): v / AER_SHOTS for k, v in counts.items()}


# -- the comparison --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="ibm_perth")
    parser.add_argument("--shots", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plot", default=None, metavar="OUT.png")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    target: Any = {t.name: t for t in device_targets()}[args.device]
    snapshot = target.snapshot  # a device target (qhpc_qiskit.devices.DeviceTarget)
    rng = np.random.default_rng(args.seed)
    truth = stand_in(snapshot, args.seed)
    uncalibrated = from_calibration(snapshot)
    started = time.perf_counter()
    runs = []
    for name, c in training_circuits(snapshot):
        runs.append(MeasuredRun(c, args.shots, sample(exact(c, truth), args.shots, rng), name))
    generated = time.perf_counter() - started
    started = time.perf_counter()
    fitted, report = fit(snapshot, runs, strengths=(3.0, 0.3), seed=args.seed, max_iterations=120)
    fit_seconds = time.perf_counter() - started
    print(f"stand-in for {args.device}: {len(runs)} training circuits of <= 5 qubits, {args.shots} shots each "
          f"(generated in {generated:.1f} s)")
    print(f"fit: {len(report.parameters)} parameters, strength {report.strength:g}, {fit_seconds:.1f} s, "
          f"{report.iterations} iterations")
    rows = []
    plotted: tuple[str, dict[str, Any]] | None = None
    header = f"{'held-out circuit':<32}{'F meas':>8}" + "".join(
        f"{m + ' dev':>16}{m + ' TVD/floor':>18}" for m in ("uncal", "aer", "fitted"))
    print(header)
    for name, c in held_out_circuits(snapshot, args.seed):
        ideal = exact(c, NoiseModel())
        measured = sample(exact(c, truth), args.shots, rng)
        f_meas = hellinger_fidelity(ideal, measured)
        models = {"uncal": exact(c, uncalibrated), "aer": aer_from_backend(args.device, c, args.seed),
                  "fitted": exact(c, fitted)}
        row: dict[str, Any] = {"name": name, "F": f_meas}
        for m, dist in models.items():
            row[m] = (abs(hellinger_fidelity(ideal, dist) - f_meas),
                      total_variation(measured, dist) / shot_noise_floor(dist, args.shots))
        rows.append(row)
        print(f"{name:<32}{f_meas:>8.4f}" + "".join(f"{100 * row[m][0]:>15.2f}%{row[m][1]:>18.2f}" for m in models))
        if name == "GHZ 5":
            plotted = (name, {"measured": {k: v / args.shots for k, v in measured.items()}, "ideal": ideal, **models})
    print()
    print(f"{'model':<14}{'median dev':>12}{'worst dev':>11}{'median TVD/floor':>18}{'TVD vs uncal':>14}")
    base_tvd = statistics.median(r["uncal"][1] for r in rows)
    for m in ("uncal", "aer", "fitted"):
        devs = [r[m][0] for r in rows]
        tvd = statistics.median(r[m][1] for r in rows)
        print(f"{m:<14}{100 * statistics.median(devs):>11.2f}%{100 * max(devs):>10.2f}%{tvd:>18.2f}"
              f"{tvd / base_tvd:>13.2f}x")
    print(f"fitting time: {fit_seconds:.1f} s ({report.iterations} iterations, {len(report.parameters)} parameters)")
    if args.plot and plotted is not None:
        plot(plotted[0], plotted[1], args.plot)
        print(f"plot: {args.plot}")


def plot(name: str, dists: dict[str, dict[str, float]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted(set().union(*dists.values()), key=lambda k: -dists["measured"].get(k, 0.0))[:16]
    width = 0.8 / len(dists)
    fig, ax = plt.subplots(figsize=(12, 4.5))
    for i, (label, d) in enumerate(dists.items()):
        ax.bar(np.arange(len(keys)) + i * width, [d.get(k, 0.0) for k in keys], width, label=label)
    ax.set_xticks(np.arange(len(keys)) + 0.4, keys, rotation=60, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("probability")
    ax.set_title(f"{name}: the stand-in's measured distribution and each model's (16 likeliest outcomes)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
