"""Issue 10's benchmark: Pulser sequences and Perceval circuits through qhpc and through Pulser's and
Perceval's own APIs directly, side by side, with what qhpc adds.

One integrator runs both parts (each part is its own module, runnable alone):

* **analog** (``benchmarks/analog.py``): each sequence through ``QutipBackendV2`` directly and
  through ``integrator.run(seq, ...)``, interleaved, the same seed giving the same samples;
* **photonic** (``benchmarks/photonic.py``): each Perceval experiment (and two Qiskit circuits
  compiled to dual-rail optics) through Perceval's exact distribution with numpy draws directly,
  through Perceval's ``Sampler`` once, and through ``integrator.run(experiment, ...)``, interleaved.

Each table shows the medians, their ratio, and qhpc's own time per job (the qhpc call less its
run stage) in ms and as a share of the direct time: the issue's aim is under 5% added on runs over
100 ms. The summary at the end lists those runs.

    python benchmarks/analog_photonic.py [--quick] [--trials 5] [--shots 10000]
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analog  # benchmarks/analog.py, beside this file
import photonic  # benchmarks/photonic.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the 8-atom ring and the 16-mode 8-photon case")
    parser.add_argument("--trials", type=int, default=5, help="timed runs per case (medians)")
    parser.add_argument("--shots", type=int, default=10_000, help="shots per photonic run (analog: 1000)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import perceval
    import pulser
    from qhpc import Integrator

    print(f"# qhpc analog and photonic benchmark: pulser {pulser.__version__}, perceval {perceval.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}")
    with Integrator() as integrator:
        analog.overhead(integrator, args.quick, args.trials)
        rows = photonic.overhead(integrator, args.shots, args.trials, args.quick)
    long_runs = [(name, own / direct) for name, direct, _, own in rows if direct > 0.1]
    if long_runs:
        print("\nphotonic runs over 100 ms: qhpc's own time " +
              ", ".join(f"{share:.1%} ({name})" for name, share in long_runs))


if __name__ == "__main__":
    main()
