"""Max-cut with qhpc: one D-Wave Ocean problem on annealing backends, through dimod's Sampler
interface, and with QAOA on a gate emulator.

    python examples/maxcut.py [--nodes 10] [--seed 3]

Max-cut as an Ising model: each edge (u, v) adds s_u * s_v, so the energy is |E| - 2 * cut and the
lowest energy is the largest cut (qhpc minimises, as dimod does).
"""

from __future__ import annotations

import argparse

import dimod
import networkx as nx
import qhpc
from qhpc.algorithms import qaoa
from qhpc_dwave import QhpcSampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    graph = nx.random_regular_graph(3, args.nodes, seed=args.seed)
    bqm = dimod.BinaryQuadraticModel({v: 0.0 for v in graph}, {e: 1.0 for e in graph.edges}, 0.0, "SPIN")
    edges = graph.number_of_edges()
    print(f"max-cut of a 3-regular graph: {args.nodes} nodes, {edges} edges")

    # 1. annealing backends: counts over the variables (variable 0 rightmost) and the sample set
    for backend in ("dwave.exact", "dwave.sa", "dwave.tabu"):
        result = qhpc.run(bqm, backend=backend, shots=100, seed=args.seed)
        best = result.metadata["samples"][0]
        cut = (edges - best["energy"]) / 2
        print(f"{backend:12s} best energy {best['energy']:6.1f}  cut {cut:4.0f}  "
              f"({best['occurrences']} of 100 reads, run {result.timings['run'] * 1e3:.1f} ms)")

    # 2. Ocean code unchanged: a dimod Sampler that runs on any qhpc backend
    sampleset = QhpcSampler("dwave.sa").sample(bqm, num_reads=100, seed=args.seed)
    side = [v for v, s in sampleset.first.sample.items() if s > 0]
    print(f"QhpcSampler  best energy {sampleset.first.energy:6.1f}  one side of the cut: {sorted(side)}")

    # 3. the same problem on a gate emulator: QAOA of depth 2, angles optimised, then sampled
    found = qaoa.run(bqm, backend="aer.statevector", depth=2, shots=2000, seed=args.seed)
    share = sum(s["occurrences"] for s in found.samples if s["energy"] == found.best_energy) / 2000
    print(f"QAOA p=2     best energy {found.best_energy:6.1f}  cut {(edges - found.best_energy) / 2:4.0f}  "
          f"(optimal samples {share:.0%} of shots; {found.evaluations} evaluations, {found.mode} expectation)")


if __name__ == "__main__":
    main()
