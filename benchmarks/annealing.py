"""Max-cut through qhpc's annealing backends against dwave-samplers used directly, side by side.

For random 3-regular graphs of 20 to 200 nodes (max-cut as ``E = sum over edges of s_u s_v``,
so ``cut = (|E| - E) / 2``), each sampler runs the same ``dimod.BinaryQuadraticModel`` with the
same reads, seed and parameters in two ways, interleaved so machine noise hits both alike:

* direct: ``Sampler().sample(bqm, num_reads=R, seed=S, ...)`` and ``sampleset.first.energy``;
* qhpc: ``integrator.run(bqm, backend="dwave.<name>", shots=R, seed=S)`` and the first entry of
  ``result.metadata["samples"]`` (translation to the model and back, validation, the run,
  verification against the problem's own energies, the sample table).

It prints the median seconds of each and their ratio, qhpc's own time per job (the qhpc call
less the sampler's run stage: translation, validation, scheduling, verification, the sample
table) and that as a share of the direct time (the overhead; steadier than the ratio of two noisy
medians on a shared machine), the best energy (both paths must agree: same seed, same samples),
and the gap to the optimum: the exact optimum (dimod's ExactSolver, also run both ways) where it
is feasible (20 nodes), otherwise the best energy any method found (marked "best known"). Then QAOA of depth 1 to 3 on the statevector emulator
for small instances (<= 12 nodes), against the exact optimum.

    python benchmarks/annealing.py [--quick] [--trials 3]
    python benchmarks/annealing.py --estimates      # each backend's estimate against measured time
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import dimod
import networkx as nx
import numpy as np
from dwave.samplers import PathIntegralAnnealingSampler, SimulatedAnnealingSampler, SteepestDescentSolver, TabuSampler
from qhpc import CancelToken, Integrator
from qhpc.algorithms import qaoa

#: backend -> (direct sampler, reads, the parameters qhpc's backend uses)
METHODS: dict[str, tuple[Callable[[], Any], int, dict[str, Any]]] = {
    "dwave.sa": (SimulatedAnnealingSampler, 100, {}),
    "dwave.sqa": (PathIntegralAnnealingSampler, 100, {}),
    "dwave.tabu": (TabuSampler, 10, {"timeout": None, "num_restarts": 0}),
    "dwave.steepest": (SteepestDescentSolver, 100, {}),
}


def maxcut(n: int, seed: int) -> dimod.BinaryQuadraticModel:
    graph = nx.random_regular_graph(3, n, seed=seed)
    return dimod.BinaryQuadraticModel({v: 0.0 for v in sorted(graph)}, {e: 1.0 for e in graph.edges}, 0.0, "SPIN")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def annealing(integ: Integrator, sizes: list[int], trials: int) -> None:
    print(f"\n## max-cut, random 3-regular graphs: qhpc's backends against dwave-samplers directly "
          f"(median of {trials})\n")
    print("own ms: qhpc's own time per job (every stage but the sampler's run); own %: that over the direct time\n")
    print(f"{'nodes':>5} {'method':<15} {'reads':>5} {'direct s':>9} {'qhpc s':>9} {'ratio':>7} {'own ms':>7} "
          f"{'own %':>6} {'best E':>8} {'cut':>5} {'optimum':>8} {'gap(cut)':>8}  reference")
    for n in sizes:
        bqm = maxcut(n, seed=n)
        edges = bqm.num_interactions
        methods = dict(METHODS)
        if n <= 20:
            methods = {"dwave.exact": (ExactSampler, 1, {}), **methods}
        rows = []
        for name, (sampler_class, reads, params) in methods.items():
            sampler = sampler_class()
            direct_times, qhpc_times, own_times = [], [], []
            best_direct = best_qhpc = None
            integ.run(bqm, backend=name, shots=2, seed=1)  # first use: load the sampler
            for trial in range(trials if name != "dwave.exact" else max(1, trials // 2)):
                seed = 1000 + trial

                def direct(sampler=sampler, bqm=bqm, reads=reads, params=params, seed=seed) -> float:
                    return float(sampler.sample(bqm, num_reads=reads, seed=seed, **params).first.energy)

                def through(name=name, bqm=bqm, reads=reads, seed=seed) -> Any:
                    return integ.run(bqm, backend=name, shots=reads, seed=seed)

                order = [("d", direct), ("q", through)] if trial % 2 == 0 else [("q", through), ("d", direct)]
                for tag, fn in order:
                    seconds, value = timed(fn)
                    if tag == "d":
                        direct_times.append(seconds)
                        best_direct = value if best_direct is None else min(best_direct, value)
                    else:
                        qhpc_times.append(seconds)
                        own_times.append(seconds - value.timings["run"])
                        energy = float(value.metadata["samples"][0]["energy"])
                        best_qhpc = energy if best_qhpc is None else min(best_qhpc, energy)
            assert best_direct == best_qhpc, (name, best_direct, best_qhpc)  # same seeds, same samples
            rows.append((name, reads, statistics.median(direct_times), statistics.median(qhpc_times),
                         statistics.median(own_times), best_qhpc))
        reference, kind = (rows[0][5], "exact (ExactSolver)") if n <= 20 else (min(r[5] for r in rows), "best known")
        for name, reads, t_direct, t_qhpc, own, best in rows:
            print(f"{n:>5} {name:<15} {reads:>5} {t_direct:>9.4f} {t_qhpc:>9.4f} {t_qhpc / t_direct:>7.3f} "
                  f"{own * 1e3:>7.2f} {own / t_direct:>6.1%} {best:>8.1f} {(edges - best) / 2:>5.0f} {reference:>8.1f} "
                  f"{(best - reference) / 2:>8.0f}  {kind}")


class ExactSampler:
    """dimod's ExactSolver with the samplers' call shape (it takes no reads or seed)."""

    def sample(self, bqm: dimod.BinaryQuadraticModel, **_: Any) -> dimod.SampleSet:
        return dimod.ExactSolver().sample(bqm)


def qaoa_table(integ: Integrator, sizes: list[int], depths: list[int]) -> None:
    print("\n## QAOA on aer.statevector (exact expectation while optimising, then 2000 shots; seed 7)\n")
    print(f"{'nodes':>5} {'depth':>5} {'best E':>7} {'optimum':>8} {'P(optimum)':>10} {'uniform':>8} "
          f"{'evals':>6} {'seconds':>8}")
    for n in sizes:
        bqm = maxcut(n, seed=n)
        energies = qaoa.energy_vector(integ.converter.to_model(bqm)[0])
        optimum = float(energies.min())
        uniform = float(np.mean(energies == optimum))
        for depth in depths:
            seconds, found = timed(lambda bqm=bqm, depth=depth: qaoa.run(
                bqm, backend="aer.statevector", depth=depth, shots=2000, seed=7, integrator=integ))
            share = sum(s["occurrences"] for s in found.samples if s["energy"] == optimum) / 2000
            print(f"{n:>5} {depth:>5} {found.best_energy:>7.1f} {optimum:>8.1f} {share:>10.3f} {uniform:>8.4f} "
                  f"{found.evaluations:>6} {seconds:>8.2f}")


def estimates(integ: Integrator) -> None:
    print("\n## estimate_seconds against measured run time (backend.run alone, best of 3)\n")
    cases = {"dwave.sa": [(20, 100), (200, 100)], "dwave.sqa": [(20, 100), (200, 100)],
             "dwave.tabu": [(20, 5), (200, 5)], "dwave.steepest": [(20, 100), (500, 100)],
             "dwave.exact": [(12, 1), (18, 1)]}
    print(f"{'backend':<15} {'nodes':>5} {'reads':>5} {'estimate s':>10} {'measured s':>10} {'ratio':>6}")
    for name, sizes in cases.items():
        backend = integ.backend(name)
        for n, reads in sizes:
            model = integ.converter.to_model(maxcut(n, seed=n))[0]
            runs = [timed(lambda backend=backend, model=model, reads=reads: backend.run(
                model, shots=reads, seed=1, memory=False, options={}, cancel=CancelToken()))[0] for _ in range(3)]
            estimate = backend.estimate_seconds(model, reads)
            print(f"{name:<15} {n:>5} {reads:>5} {estimate:>10.4f} {min(runs):>10.4f} {estimate / min(runs):>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 and 50 nodes, QAOA on 8 nodes only")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--estimates", action="store_true", help="only compare estimates with measured times")
    args = parser.parse_args()
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"dimod {dimod.__version__}")
    with Integrator() as integ:
        if args.estimates:
            estimates(integ)
            return
        annealing(integ, [20, 50] if args.quick else [20, 50, 100, 200], args.trials)
        qaoa_table(integ, [8] if args.quick else [8, 10, 12], [1, 2, 3])


if __name__ == "__main__":
    main()
