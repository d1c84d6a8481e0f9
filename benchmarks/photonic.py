"""qhpc's photonic path against Perceval used directly, side by side.

Each case is one program, run for the same number of shots both ways, alternating, ``--repeats``
times after one warm-up run each; the table shows the medians and what qhpc adds.

* **Perceval directly**: ``pcvl.Processor("SLOS", experiment)`` (with the noise model, if any),
  ``perceval.algorithm.Sampler(processor).sample_count(shots)`` - the documented way to sample.
  For the gate circuits: perceval-interop's ``QiskitConverter().convert(qc, use_postselection=True)``
  and then the same.
* **qhpc**: ``Integrator.run(program, backend="perceval.slos", shots=..., seed=...)`` from the same
  Perceval experiment (translated to the photonic model, validated, run on SLOS, sampled, verified),
  or from the same Qiskit circuit (compiled by ``perceval.dual-rail``, decoded to bitstrings).

    python benchmarks/photonic.py                 # about a minute on 2 cores
    python benchmarks/photonic.py --repeats 9 --shots 100000
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np


def _interferometer(modes: int, photons: int, seed: int) -> Any:
    import perceval as pcvl

    rng = np.random.default_rng(seed)
    z = rng.normal(size=(modes, modes)) + 1j * rng.normal(size=(modes, modes))
    q, r = np.linalg.qr(z)
    experiment = pcvl.Experiment(pcvl.Unitary(pcvl.Matrix(q * (np.diag(r) / np.abs(np.diag(r))))))
    experiment.with_input(pcvl.BasicState([1] * photons + [0] * (modes - photons)))
    experiment.min_detected_photons_filter(0)
    return experiment


def _hom() -> Any:
    import perceval as pcvl

    experiment = pcvl.Experiment(pcvl.BS())
    experiment.with_input(pcvl.BasicState([1, 1]))
    experiment.min_detected_photons_filter(0)
    return experiment


def _ghz(n: int) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure(range(n), range(n))
    return qc


def _direct_experiment(case: dict[str, Any]) -> Any:
    if case.get("qiskit") is None:
        return case["program"]
    from perceval_interop import QiskitConverter

    experiment = QiskitConverter().convert(case["qiskit"].remove_final_measurements(inplace=False),
                                           use_postselection=True)
    experiment.min_detected_photons_filter(0)
    return experiment


def run_direct(case: dict[str, Any], shots: int, seed: int) -> float:
    import perceval as pcvl
    from perceval.algorithm import Sampler

    start = time.perf_counter()
    experiment = _direct_experiment(case)
    noise = pcvl.NoiseModel(**case["noise"]) if case.get("noise") else None
    processor = pcvl.Processor("SLOS", experiment, noise=noise)
    if noise is not None:
        processor.min_detected_photons_filter(0)
    pcvl.random_seed(seed)
    result = Sampler(processor).sample_count(shots)
    elapsed = time.perf_counter() - start
    assert sum(result["results"].values()) == shots
    return elapsed


def run_qhpc(integrator: Any, case: dict[str, Any], shots: int, seed: int) -> tuple[float, dict[str, float]]:
    program = case["qiskit"] if case.get("qiskit") is not None else case["program"]
    noise = {"format": "qhpc.noise", "version": 1, "photonic": case["noise"]} if case.get("noise") else None
    start = time.perf_counter()
    result = integrator.run(program, backend="perceval.slos", shots=shots, seed=seed, noise=noise)
    elapsed = time.perf_counter() - start
    assert sum(result.counts.values()) == shots
    return elapsed, dict(result.timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shots", type=int, default=10_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import perceval as pcvl
    import qhpc

    cases: list[dict[str, Any]] = [
        {"name": "HOM, 2 modes 2 photons", "program": _hom(), "states": 3},
        {"name": "interferometer 12 modes 6 photons", "program": _interferometer(12, 6, 1), "states": 12376},
        {"name": "interferometer 16 modes 7 photons", "program": _interferometer(16, 7, 2), "states": 170544},
        {"name": "interferometer 16 modes 8 photons", "program": _interferometer(16, 8, 3), "states": 490314},
        {"name": "noisy 8 modes 4 photons (M=0.9, b=0.8, g2=0.02)", "program": _interferometer(8, 4, 4),
         "noise": {"indistinguishability": 0.9, "brightness": 0.8, "g2": 0.02}, "states": None},
        {"name": "Bell (Qiskit) via dual rail", "qiskit": _ghz(2), "states": 21},
        {"name": "GHZ-4 (Qiskit) via dual rail", "qiskit": _ghz(4), "states": 2380},
    ]
    print(f"Perceval {pcvl.__version__}, SLOS; {args.shots:,} shots; medians of {args.repeats} alternating runs")
    header = f"{'case':<50} {'Perceval ms':>12} {'qhpc ms':>10} {'added':>8}  qhpc stages (median ms)"
    print(header)
    print("-" * len(header))
    with qhpc.Integrator() as integrator:
        for case in cases:
            run_direct(case, args.shots, 0)  # warm-up: imports, caches
            run_qhpc(integrator, case, args.shots, 0)
            direct: list[float] = []
            ours: list[float] = []
            stages: dict[str, list[float]] = {}
            for k in range(args.repeats):
                runs: list[Callable[[], None]] = [
                    partial(_append, direct, run_direct, case, args.shots, k + 1),
                    partial(_append_qhpc, ours, stages, integrator, case, args.shots, k + 1),
                ]
                for run in runs if k % 2 == 0 else reversed(runs):
                    run()
            d, q = statistics.median(direct), statistics.median(ours)
            shown = " ".join(f"{s} {statistics.median(v) * 1000:.1f}" for s, v in stages.items()
                             if statistics.median(v) * 1000 >= 0.05)
            print(f"{case['name']:<50} {d * 1000:12.1f} {q * 1000:10.1f} {(q / d - 1) * 100:7.1f}%  {shown}")


def _append(times: list[float], run: Callable[[dict[str, Any], int, int], float], case: dict[str, Any], shots: int,
            seed: int) -> None:
    times.append(run(case, shots, seed))


def _append_qhpc(ours: list[float], stages: dict[str, list[float]], integrator: Any, case: dict[str, Any], shots: int,
                 seed: int) -> None:
    measured = run_qhpc(integrator, case, shots, seed)
    ours.append(measured[0])
    for stage, seconds in measured[1].items():
        stages.setdefault(stage, []).append(seconds)


if __name__ == "__main__":
    main()
