"""The light compile passes for emulators: their cost per gate, and what the order they emit costs Aer.

1. Cost per gate: ``Integrator.compile`` of a model circuit for ``aer.statevector`` (uncached: a
   fresh circuit each time) with the light passes (:mod:`qhpc.optimize`) and without, and the
   passes alone (``optimize_for_emulator``), on a random circuit of ``--gates`` one- and two-qubit
   gates (half of them one-qubit, so runs to fuse are common) and on the 20-qubit QFT.
2. Emitted order: Aer's statevector run time (1000 shots, same seed) of the QFT-20 as qhpc
   compiles it against ``transpile(qc, AerSimulator())``, interleaved, medians and ratio; the gate
   counts of both are printed (same gates, another order, is what the issue measured).

The QFT-20 resubmission ratio against running Aer directly is ``benchmarks/overhead.py``'s.

Run: ``python benchmarks/compile_passes.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings
from collections.abc import Callable

import qhpc
from qhpc.optimize import optimize_for_emulator
from qhpc_interop import Circuit
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate
from qiskit_aer import AerSimulator

warnings.filterwarnings("ignore")


def random_model(gates: int, width: int = 20, seed: int = 3) -> Circuit:
    rng = random.Random(seed)
    c = Circuit(width)
    ones = ["h", "x", "s", "t", "sx", "rz", "ry"]
    for _ in range(gates):
        if rng.random() < 0.5:
            name = rng.choice(ones)
            q = rng.randrange(width)
            if name in ("rz", "ry"):
                getattr(c, name)(rng.uniform(-3, 3), q)
            else:
                getattr(c, name)(q)
        else:
            a, b = rng.sample(range(width), 2)
            c.cx(a, b)
    return c


def qft20() -> QuantumCircuit:
    qc = QuantumCircuit(20, 20, name="qft20")
    qc.x(range(0, 20, 3))
    qc.append(QFTGate(20), range(20))
    qc.measure(range(20), range(20))
    return qc


def per_gate(integrator: qhpc.Integrator, make: Callable[[int], Circuit], repeats: int) -> dict[str, float]:
    backend = integrator.backend("aer.statevector")
    caps = integrator.capabilities(backend)
    out: dict[str, list[float]] = {"compile, light passes": [], "compile, no passes": [], "passes alone": []}
    size = 0
    for seed in range(repeats):
        circuit = make(seed)
        size = len(circuit.instructions)
        start = time.perf_counter()
        integrator.compile(circuit, backend, optimize=False)
        out["compile, no passes"].append(time.perf_counter() - start)
        circuit = make(seed + 1000)  # another fingerprint: no cache hit
        start = time.perf_counter()
        integrator.compile(circuit, backend)
        out["compile, light passes"].append(time.perf_counter() - start)
        start = time.perf_counter()
        optimize_for_emulator(circuit, caps)
        out["passes alone"].append(time.perf_counter() - start)
    return {k: statistics.median(v) / size * 1e6 for k, v in out.items()} | {"gates": size}


def _shifted(circuit: Circuit, seed: int) -> Circuit:
    """``circuit`` with another global phase: the same work, another fingerprint (no cache hit)."""
    out = circuit.copy()
    out.global_phase = seed * 1e-9
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=11, help="Aer runs of each QFT-20 form")
    args = parser.parse_args()
    integrator = qhpc.Integrator()
    integrator.run(qft20(), backend="aer.statevector", shots=1, seed=0)  # warm

    qft_model = integrator.to_circuit(qft20())[0]
    print("1. cost of compiling for aer.statevector, microseconds per gate (medians)")
    for label, make in ((f"random, {args.gates} gates", lambda s: random_model(args.gates, seed=s)),
                        ("qft20", lambda s: _shifted(qft_model, s))):
        row = per_gate(integrator, make, args.repeats)
        print(f"  {label:24s} ({row.pop('gates'):.0f} instructions): "
              + ", ".join(f"{k} {v:.1f}" for k, v in row.items()))

    sim = AerSimulator(method="statevector")
    qc = qft20()
    theirs = transpile(qc, sim)
    compiled, _ = integrator.compile(qft_model, integrator.backend("aer.statevector"))
    ours = qhpc.convert(compiled, "qiskit")
    print("\n2. QFT-20 as emitted, run by Aer (1000 shots, statevector)")
    print(f"  qhpc compile:       {dict(ours.count_ops())}")
    print(f"  qiskit transpile:   {dict(theirs.count_ops())}")
    times: dict[str, list[float]] = {"qhpc": [], "qiskit": []}
    for k in range(args.runs):
        for name, circuit in ((("qhpc", ours), ("qiskit", theirs)) if k % 2 == 0 else (("qiskit", theirs), ("qhpc", ours))):
            start = time.perf_counter()
            sim.run(circuit, shots=1000, seed_simulator=5).result()
            times[name].append(time.perf_counter() - start)
    q, t = statistics.median(times["qhpc"]), statistics.median(times["qiskit"])
    print(f"  Aer run: qhpc's {q * 1e3:.1f} ms, Qiskit's {t * 1e3:.1f} ms, ratio {q / t:.3f} (medians of {args.runs})")
    integrator.close()


if __name__ == "__main__":
    main()
