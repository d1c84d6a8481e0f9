"""The Hong-Ou-Mandel dip through qhpc, on Perceval's SLOS emulator.

Two single photons enter a balanced beam splitter, one per input port. Identical photons always
leave together (no coincidences: the two ways of leaving through different ports cancel); fully
distinguishable ones leave through different ports half of the time. The program is a plain
Perceval experiment; qhpc runs it under a photonic noise model that sets how indistinguishable
the source's photons are (Perceval's ``indistinguishability`` M), and the coincidence rate follows
``(1 - M) / 2``, i.e. a visibility ``V = M``.

    python examples/photonic_hom.py                    # the table
    python examples/photonic_hom.py --plot hom.png     # and the dip as a plot
"""

from __future__ import annotations

import argparse
import math

import perceval as pcvl
import qhpc


def coincidence_rates(distinguishabilities: list[float], shots: int, seed: int,
                      backend: str) -> list[tuple[float, int, float]]:
    """(distinguishability, coincidences, rate) for each point, run through qhpc."""
    experiment = pcvl.Experiment(pcvl.BS())  # a balanced beam splitter (Rx convention, theta = pi/2)
    experiment.with_input(pcvl.BasicState([1, 1]))
    rows = []
    with qhpc.Integrator() as integrator:
        for k, d in enumerate(distinguishabilities):
            noise = {"format": "qhpc.noise", "version": 1, "photonic": {"indistinguishability": 1.0 - d}}
            result = integrator.run(experiment, backend=backend, shots=shots, seed=seed + k, noise=noise)
            coincidences = result.counts.get("|1,1>", 0)
            rows.append((d, coincidences, coincidences / shots))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--points", type=int, default=6, help="distinguishabilities from 0 to 1")
    parser.add_argument("--backend", default="perceval.slos")
    parser.add_argument("--plot", metavar="FILE.png", help="save the dip as a plot")
    args = parser.parse_args()

    points = [k / (args.points - 1) for k in range(args.points)]
    rows = coincidence_rates(points, args.shots, args.seed, args.backend)
    print(f"Hong-Ou-Mandel on {args.backend}, {args.shots} shots per point")
    print(f"{'distinguishability':>18} {'coincidences':>12} {'rate':>7} {'(1-M)/2':>8} {'visibility':>10}")
    worst = 0.0
    for d, coincidences, rate in rows:
        expected = d / 2
        sigma = math.sqrt(max(expected * (1 - expected), 1e-12) / args.shots)
        worst = max(worst, abs(rate - expected) / sigma if expected > 0 else (0.0 if coincidences == 0 else math.inf))
        print(f"{d:18.2f} {coincidences:12d} {rate:7.4f} {expected:8.4f} {1 - 2 * rate:10.4f}")
    print(f"largest deviation from (1-M)/2: {worst:.1f} standard deviations")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ds = [d for d, _, _ in rows]
        rates = [r for _, _, r in rows]
        errors = [math.sqrt(r * (1 - r) / args.shots) for r in rates]
        ax.errorbar(ds, rates, yerr=errors, fmt="o", label=f"qhpc on {args.backend}")
        ax.plot([0, 1], [0, 0.5], "--", label="(1 - M) / 2")
        ax.set_xlabel("distinguishability 1 - M")
        ax.set_ylabel("coincidence rate")
        ax.set_title("Hong-Ou-Mandel dip")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
