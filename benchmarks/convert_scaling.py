"""Conversion time per gate as circuits grow: is every route linear?

For each family of circuits and each size (default 10,000 and 100,000 gates) the same circuit is
made once in every format (Qiskit, Cirq, myQLM, OpenQASM 2, OpenQASM 3, qhpc's JSON), then
``qhpc.convert`` is timed on every ordered pair of formats. The table gives microseconds per gate
at each size and the growth: per-gate time at the largest size over per-gate time at the smallest
(1.0 is linear; a route that were quadratic anywhere would show about ``largest / smallest``,
10 at the default sizes).

Families: ``random``, one-qubit ``u`` at random angles and ``cx`` on 20 qubits; ``dynamic``, the
same with 5% mid-circuit measurements and 5% ``if_test`` blocks on single bits (OpenQASM 2 holds
neither, so it is left out); ``wide``, the ``random`` mix on 1,000 qubits. Into OpenQASM 2 the
global phase is dropped at the caller's word (``allow_loss={"global_phase"}``): Cirq and myQLM
forms of ``u`` gates carry one.

Each time is the median of ``--repeats`` runs; the collector first clears what the run before
left, and the clock stops when ``convert`` returns, before its result is freed.

Run: ``python benchmarks/convert_scaling.py`` (about 6 minutes; ``--sizes 10000 100000 1000000``
for a larger span, several GB of memory at 1,000,000 gates into myQLM).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import warnings
from typing import Any

import qhpc
from qiskit import QuantumCircuit

warnings.filterwarnings("ignore")

FORMATS = ["qiskit", "cirq", "myqlm", "qasm2", "qasm3", "qhpc.json"]
FAMILIES = ["random", "dynamic", "wide"]


def circuit(family: str, gates: int, seed: int = 1) -> QuantumCircuit:
    rng = random.Random(seed)
    width = 1000 if family == "wide" else 20
    qc = QuantumCircuit(width, width)
    dynamic = family == "dynamic"
    for _ in range(gates):
        r = rng.random()
        if dynamic and r < 0.05:
            q = rng.randrange(width)
            qc.measure(q, q)
        elif dynamic and r < 0.1:
            with qc.if_test((qc.clbits[rng.randrange(width)], 1)):
                qc.x(rng.randrange(width))
        elif r < 0.4:
            a, b = rng.sample(range(width), 2)
            qc.cx(a, b)
        else:
            qc.u(rng.uniform(0, 6.3), rng.uniform(0, 6.3), rng.uniform(0, 6.3), rng.randrange(width))
    return qc


def timed(program: Any, source: str, target: str, repeats: int) -> float:
    loss = ("global_phase",) if target == "qasm2" else ()
    runs = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        made = qhpc.convert(program, target, source=source, allow_loss=loss)
        runs.append(time.perf_counter() - start)
        del made
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--families", nargs="+", default=FAMILIES, choices=FAMILIES)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    for family in args.families:
        formats = [f for f in FORMATS if not (family == "dynamic" and f == "qasm2")]
        per_gate: dict[tuple[str, str], list[float]] = {}
        for n in sizes:
            qc = circuit(family, n)
            forms: dict[str, Any] = {"qiskit": qc}
            for f in formats[1:]:
                forms[f] = qhpc.convert(qc, f, allow_loss=("global_phase",) if f == "qasm2" else ())
            gc.freeze()  # the sources are the process's, not any one run's
            for source in formats:
                for target in formats:
                    if source == target:
                        continue
                    seconds = timed(forms[source], source, target, args.repeats)
                    per_gate.setdefault((source, target), []).append(seconds / n * 1e6)
            del forms, qc
            gc.unfreeze()
            gc.collect()
        print(f"\n{family}: microseconds per gate at {', '.join(f'{n:,}' for n in sizes)} gates; "
              f"growth = per-gate time at {sizes[-1]:,} / at {sizes[0]:,} (1.0 is linear)")
        print(f"  {'route':22s}" + "".join(f"{n:>11,}" for n in sizes) + f"{'growth':>9s}")
        growths = []
        for (source, target), us in per_gate.items():
            growth = us[-1] / us[0]
            growths.append(growth)
            print(f"  {source + ' -> ' + target:22s}" + "".join(f"{u:11.2f}" for u in us) + f"{growth:9.2f}")
        print(f"  growth over {len(growths)} routes: median {statistics.median(growths):.2f}, "
              f"max {max(growths):.2f}")


if __name__ == "__main__":
    main()
