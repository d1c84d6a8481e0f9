"""Neutral atoms through qhpc: a Rabi scan of one atom, then an adiabatic sweep to the antiferromagnet.

Run: ``python examples/analog_rydberg.py [--points 12] [--shots 2000] [--atoms 6] [--plot rydberg.png]``.

The Rabi scan is one parametrised Pulser sequence (its pulse duration is a variable) submitted once
per duration with ``parameters={"t": ...}``; the measured P(r) is printed beside sin^2(Omega t / 2).
The sweep prepares the Z2 antiferromagnet on a ring: the two Néel configurations dominate.
The same runs from the command line: write the sequence to a Python file and
``qhpc run seq.py:seq -p t=500``.
"""

from __future__ import annotations

import argparse
import math

import qhpc

OMEGA = 2 * math.pi  # rad/µs: a Rabi frequency of 1 MHz


def rabi_scan(points: int, shots: int) -> list[tuple[int, float, float]]:
    """(duration ns, measured P(r), analytic P(r)) for ``points`` durations over two Rabi periods."""
    import pulser
    from pulser.devices import AnalogDevice

    seq = pulser.Sequence(pulser.Register.from_coordinates([(0, 0)], prefix="q"), AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    t = seq.declare_variable("t", dtype=int)
    seq.add(pulser.Pulse.ConstantPulse(t, OMEGA, 0.0, 0.0), "ryd")
    seq.measure("ground-rydberg")
    rows = []
    for k in range(points):
        duration = 16 + 4 * round(k * (2000 - 16) / max(points - 1, 1) / 4)  # 16 ns to 2 µs on the 4 ns clock
        result = qhpc.run(seq, parameters={"t": duration}, shots=shots, seed=k)
        rows.append((duration, result.counts.get("1", 0) / shots, math.sin(OMEGA * duration * 1e-3 / 2) ** 2))
    return rows


def sweep(atoms: int, shots: int) -> qhpc.Result:
    from qhpc_pulser.sequences import ring_sweep

    return qhpc.run(ring_sweep(atoms=atoms), shots=shots, seed=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12, help="durations in the Rabi scan")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--atoms", type=int, default=6, help="atoms on the ring of the sweep (4 to 8)")
    parser.add_argument("--plot", default=None, help="save the Rabi scan and the sweep's outcomes to this PNG file")
    args = parser.parse_args()

    rows = rabi_scan(args.points, args.shots)
    print(f"Rabi scan of one atom at Omega = 2 pi x 1 MHz ({args.shots} shots each, on pulser.analog):")
    print("  t (ns)   P(r) measured   sin^2(Omega t / 2)")
    for duration, measured, analytic in rows:
        print(f"  {duration:6d}   {measured:13.3f}   {analytic:18.3f}")
    worst = max(abs(m - a) for _, m, a in rows)
    print(f"largest difference {worst:.3f} (shot noise: about {1 / math.sqrt(args.shots):.3f})")

    result = sweep(args.atoms, args.shots)
    neel = ("01" * args.atoms)[: args.atoms], ("10" * args.atoms)[: args.atoms]
    share = sum(result.counts.get(k, 0) for k in neel) / args.shots
    top = sorted(result.counts.items(), key=lambda kv: -kv[1])[:4]
    print(f"adiabatic sweep on a ring of {args.atoms} atoms ({result.backend}, "
          f"{result.timings['run']:.2f} s): Néel configurations {neel[0]} and {neel[1]} in {share:.1%} of the shots")
    print("  most frequent: " + ", ".join(f"{k} ({v})" for k, v in top))

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        fine = [16 + k * 2 for k in range(1000)]
        left.plot(fine, [math.sin(OMEGA * t * 1e-3 / 2) ** 2 for t in fine], "k-", lw=1, label="sin²(Ωt/2)")
        left.plot([r[0] for r in rows], [r[1] for r in rows], "o", label="qhpc on pulser.analog")
        left.set_xlabel("pulse duration (ns)")
        left.set_ylabel("P(r)")
        left.legend()
        right.bar([k for k, _ in top], [v / args.shots for _, v in top])
        right.set_ylabel("probability")
        right.set_title(f"ring of {args.atoms} atoms after the sweep")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
