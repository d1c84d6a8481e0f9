"""Pulser sequences through qhpc's analog backends against Pulser's own emulator, side by side.

Each sequence runs in two ways, interleaved (the order alternates) so machine noise hits both alike:

* direct: ``QutipBackendV2(seq, config=QutipConfig(observables=[BitStrings(num_shots=N)])).run()``
  and its ``final_bitstrings``, numpy's global generator seeded as qhpc seeds it;
* qhpc: ``integrator.run(seq, backend=..., shots=N, seed=S)``: translation to the analog model,
  validation against the device, the same QuTiP run (the built sequence is cached by the program's
  fingerprint, as for any resubmission), bit reversal to qhpc's order, verification.

Both paths must give the same counts (same seed, same samples). It prints the median seconds of
each, their ratio, and qhpc's own time per job (the qhpc call less its run stage), also as a share
of the direct time: the overhead, steadier than the ratio of two noisy medians on a shared machine.

    python benchmarks/analog.py [--quick] [--trials 5]
    python benchmarks/analog.py --estimates     # estimate_seconds against measured run time
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pulser
from pulser.backend import BitStrings
from pulser_simulation import QutipBackendV2, QutipConfig
from qhpc import CancelToken, Integrator
from qhpc.noise import NoiseModel
from qhpc_pulser.sequences import rabi_sequence, ring_sweep
from qhpc_pulser.translate import sequence_to_program

SHOTS = 1000


def cases(quick: bool) -> list[tuple[str, Any, NoiseModel | None]]:
    out = [
        ("Rabi, 1 atom, 1 µs", rabi_sequence(2 * math.pi, 1000), None),
        ("blockade, 2 atoms, 0.35 µs", rabi_sequence(2 * math.pi, 352, atoms=2, spacing=5.0), None),
        ("sweep, ring of 4, 2.3 µs", ring_sweep(atoms=4, sweep=1500), None),
        ("sweep, ring of 6, 3.8 µs", ring_sweep(atoms=6), None),
        ("Rabi + dephasing, 2 atoms", rabi_sequence(2 * math.pi, 1000, atoms=2), NoiseModel(analog={"dephasing_rate": 0.5})),
    ]
    if not quick:
        out.insert(4, ("sweep, ring of 8, 3.8 µs", ring_sweep(atoms=8), None))
    return out


def direct_counts(seq: Any, shots: int, seed: int, noise: NoiseModel | None) -> dict[str, int]:
    kwargs: dict[str, Any] = {}
    if noise is not None:  # what qhpc_pulser maps this model to: dephasing, solved by the master equation
        kwargs = {"noise_model": pulser.NoiseModel(dephasing_rate=noise.analog["dephasing_rate"]),
                  "solver": "MasterEquation"}
    config = QutipConfig(observables=[BitStrings(num_shots=shots, one_state="r")], **kwargs)
    saved = np.random.get_state()
    np.random.seed([seed & 0xFFFFFFFF, seed >> 32])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return dict(QutipBackendV2(seq, config=config).run().final_bitstrings)
    finally:
        np.random.set_state(saved)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def overhead(integ: Integrator, quick: bool, trials: int) -> None:
    print(f"\n## Pulser sequences: qhpc against QutipBackendV2 directly ({SHOTS} shots, median of {trials})\n")
    print("own ms: qhpc's own time per job (every stage but the run); own %: that over the direct time\n")
    print(f"{'sequence':<28} {'backend':<15} {'direct s':>9} {'qhpc s':>9} {'ratio':>6} {'own ms':>7} {'own %':>6}")
    for label, seq, noise in cases(quick):
        backend = integ.run(seq, shots=2, seed=0, noise=noise).backend  # first use: validate, build, cache
        direct_times, qhpc_times, own_times = [], [], []
        for trial in range(trials):
            seed = 100 + trial

            def direct(seq=seq, seed=seed, noise=noise) -> dict[str, int]:
                return direct_counts(seq, SHOTS, seed, noise)

            def through(seq=seq, seed=seed, noise=noise, backend=backend) -> Any:
                return integ.run(seq, backend=backend, shots=SHOTS, seed=seed, noise=noise)

            order = [("d", direct), ("q", through)] if trial % 2 == 0 else [("q", through), ("d", direct)]
            got: dict[str, Any] = {}
            for tag, fn in order:
                seconds, got[tag] = timed(fn)
                (direct_times if tag == "d" else qhpc_times).append(seconds)
                if tag == "q":
                    own_times.append(seconds - got[tag].timings["run"])
            assert got["q"].counts == {k[::-1]: v for k, v in got["d"].items()}, label  # same seed, same samples
        t_direct, t_qhpc, own = (statistics.median(x) for x in (direct_times, qhpc_times, own_times))
        print(f"{label:<28} {backend:<15} {t_direct:>9.4f} {t_qhpc:>9.4f} {t_qhpc / t_direct:>6.3f} "
              f"{own * 1e3:>7.2f} {own / t_direct:>6.1%}")


def estimates(integ: Integrator, quick: bool) -> None:
    print("\n## estimate_seconds against measured run time (backend.run alone, best of 3)\n")
    print(f"{'sequence':<28} {'atoms':>5} {'estimate s':>10} {'measured s':>10} {'ratio':>6}")
    for label, seq, noise in cases(quick):
        if noise is not None:
            continue
        program = sequence_to_program(seq)
        backend = integ.backend(integ.run(program, shots=2, seed=0).backend)
        runs = [timed(lambda backend=backend, program=program: backend.run(
            program, shots=SHOTS, seed=1, memory=False, options={}, cancel=CancelToken()))[0] for _ in range(3)]
        estimate = backend.estimate_seconds(program, SHOTS)
        print(f"{label:<28} {program.num_atoms:>5} {estimate:>10.3f} {min(runs):>10.3f} {estimate / min(runs):>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out the 8-atom ring")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--estimates", action="store_true", help="print estimate against measurement instead")
    args = parser.parse_args()
    print(f"# qhpc analog benchmark: pulser {pulser.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    with Integrator() as integ:
        if args.estimates:
            estimates(integ, args.quick)
        else:
            overhead(integ, args.quick, args.trials)


if __name__ == "__main__":
    main()
