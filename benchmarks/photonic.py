"""qhpc's photonic path against Perceval used directly, side by side.

Each case is one program, run for the same number of shots in each way, qhpc and direct
alternating, ``--repeats`` times after one warm-up run each; the table shows the medians.

* **sampler** (one run): ``Sampler(pcvl.Processor("SLOS", experiment, noise)).sample_count(shots)``,
  Perceval's documented way to sample.
* **direct**: the work qhpc's backend does, written with Perceval's API: the exact output
  distribution (the SLOS backend's ``all_prob``; ``Processor.probs()`` where there are heralds,
  post-selection or noise) and ``shots`` draws with numpy's seeded generator.
* **qhpc**: ``Integrator.run(program, backend="perceval.slos", shots=..., seed=...)`` from the same
  Perceval experiment (translated to the photonic model, validated, run on SLOS, sampled, verified),
  or from the same Qiskit circuit (compiled by ``perceval.dual-rail``, decoded to bitstrings; the
  direct path converts it with perceval-interop's ``QiskitConverter(...).convert(qc,
  use_postselection=True)`` on every run, where qhpc reuses its compiled program as for any resubmission).

**own ms** is qhpc's own time per job (the qhpc call less its run stage) and **own %** that time
over the direct time: the overhead, steadier than the ratio of two noisy medians.

    python benchmarks/photonic.py [--quick] [--repeats 5] [--shots 10000]
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


def direct_counts(case: dict[str, Any], shots: int, seed: int) -> dict[Any, int]:
    """The same work as qhpc's backend, with Perceval's API: the exact distribution, then ``shots``
    draws from numpy's ``default_rng(seed)``. Noiseless cases without heralds: the SLOS backend's
    ``all_prob`` (counts keyed by state index; qhpc also writes each state's Fock key); the others:
    ``Processor("SLOS", experiment, noise).probs()`` (Perceval's heralds, post-selection and noisy
    source; Fock states as keys)."""
    import perceval as pcvl

    experiment = _direct_experiment(case)
    rng = np.random.default_rng(seed)
    if not case.get("noise") and case.get("qiskit") is None:
        backend = pcvl.BACKEND_LIST["SLOS"]()
        backend.set_circuit(experiment.unitary_circuit())
        backend.set_input_state(experiment.input_state)
        probabilities = np.asarray(backend.all_prob(), dtype=float)
        drawn = rng.choice(len(probabilities), size=shots, p=probabilities / probabilities.sum())
        tally = np.bincount(drawn, minlength=len(probabilities))
        return {int(i): int(tally[i]) for i in np.flatnonzero(tally)}
    noise = pcvl.NoiseModel(**case["noise"]) if case.get("noise") else None
    processor = pcvl.Processor("SLOS", experiment, noise=noise)
    processor.min_detected_photons_filter(0)
    result = processor.probs()["results"]
    states = list(result)
    probabilities = np.array([float(result[s]) for s in states])
    drawn = rng.choice(len(states), size=shots, p=probabilities / probabilities.sum())
    tally = np.bincount(drawn, minlength=len(states))
    return {str(states[i]): int(tally[i]) for i in np.flatnonzero(tally)}


def sampler_counts(case: dict[str, Any], shots: int, seed: int) -> dict[Any, int]:
    """Perceval's documented sampler: ``Sampler(Processor("SLOS", experiment, noise)).sample_count``."""
    import perceval as pcvl
    from perceval.algorithm import Sampler

    experiment = _direct_experiment(case)
    noise = pcvl.NoiseModel(**case["noise"]) if case.get("noise") else None
    processor = pcvl.Processor("SLOS", experiment, noise=noise)
    processor.min_detected_photons_filter(0)
    pcvl.random_seed(seed)
    return dict(Sampler(processor).sample_count(shots)["results"])


def qhpc_result(integrator: Any, case: dict[str, Any], shots: int, seed: int) -> Any:
    program = case["qiskit"] if case.get("qiskit") is not None else case["program"]
    noise = {"format": "qhpc.noise", "version": 1, "photonic": case["noise"]} if case.get("noise") else None
    return integrator.run(program, backend="perceval.slos", shots=shots, seed=seed, noise=noise)


def cases(quick: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"name": "HOM, 2 modes 2 photons", "program": _hom()},
        {"name": "interferometer 12 modes 6 photons", "program": _interferometer(12, 6, 1)},
        {"name": "interferometer 16 modes 7 photons", "program": _interferometer(16, 7, 2)},
        {"name": "interferometer 16 modes 8 photons", "program": _interferometer(16, 8, 3)},
        {"name": "noisy 8 modes 4 photons (M=.9 b=.8 g2=.02)", "program": _interferometer(8, 4, 4),
         "noise": {"indistinguishability": 0.9, "brightness": 0.8, "g2": 0.02}},
        {"name": "Bell (Qiskit) via dual rail", "qiskit": _ghz(2)},
        {"name": "GHZ-4 (Qiskit) via dual rail", "qiskit": _ghz(4)},
    ]
    return [c for c in out if not quick or "16 modes 8" not in c["name"]]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def overhead(integrator: Any, shots: int, repeats: int, quick: bool = False) -> list[tuple[str, float, float, float]]:
    """The side-by-side table: medians of ``repeats`` alternating runs after one warm-up each;
    returns its rows: (case, direct s, qhpc s, qhpc's own s)."""
    import perceval as pcvl

    print(f"\n## Perceval circuits: qhpc against Perceval directly (Perceval {pcvl.__version__}, SLOS, "
          f"{shots:,} shots, median of {repeats})\n")
    print("sampler s: Perceval's Sampler.sample_count, one run; direct s: Perceval's exact distribution + numpy draws "
          "(the work qhpc does);\nown ms: qhpc's own time per job (every stage but the run); own %: that over the "
          "direct time\n")
    print(f"{'case':<44} {'sampler s':>9} {'direct s':>9} {'qhpc s':>9} {'ratio':>6} {'own ms':>7} {'own %':>6}")
    rows = []
    for case in cases(quick):
        qhpc_result(integrator, case, shots, 0)  # warm-up: imports, compile cache
        direct_counts(case, shots, 0)
        t_sampler, _ = _timed(partial(sampler_counts, case, shots, 0))
        direct_times: list[float] = []
        qhpc_times: list[float] = []
        own_times: list[float] = []
        for trial in range(repeats):
            seed = 100 + trial
            order = [("d", partial(direct_counts, case, shots, seed)),
                     ("q", partial(qhpc_result, integrator, case, shots, seed))]
            for tag, fn in order if trial % 2 == 0 else reversed(order):
                seconds, got = _timed(fn)
                assert sum(got.values() if tag == "d" else got.counts.values()) == shots
                (direct_times if tag == "d" else qhpc_times).append(seconds)
                if tag == "q":
                    own_times.append(seconds - got.timings["run"])
        t_direct, t_qhpc, own = (statistics.median(x) for x in (direct_times, qhpc_times, own_times))
        print(f"{case['name']:<44} {t_sampler:>9.4f} {t_direct:>9.4f} {t_qhpc:>9.4f} {t_qhpc / t_direct:>6.2f} "
              f"{own * 1e3:>7.2f} {own / t_direct:>6.1%}")
        rows.append((case["name"], t_direct, t_qhpc, own))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shots", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="leave out the 16-mode 8-photon interferometer")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import qhpc

    with qhpc.Integrator() as integrator:
        overhead(integrator, args.shots, args.repeats, args.quick)


if __name__ == "__main__":
    main()
