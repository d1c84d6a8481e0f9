"""OpenQASM reading and writing: qhpc side by side with Qiskit, on large circuits.

Two circuits of about ``--gates`` gates (default 100,000): a quantum-volume-like circuit (random
pairs of 20 qubits, each pair a ``u3`` with random angles on both qubits, then ``cx``, repeated)
and a QFT (``h`` and ``cp(pi/2^k)`` on enough qubits to reach the gate count, then the swaps).
Each is written by qhpc (``qhpc_interop.qasm2/qasm3.dumps``) and by Qiskit
(``qiskit.qasm2/qasm3.dumps``), and qhpc's text is read by both readers (``qasm2/qasm3.loads``).
Every time is the best of ``--repeat`` runs (one run for Qiskit's OpenQASM 3 reader, which is slow),
each write starting with qhpc's number-formatting cache empty; the ratio is Qiskit's time over
qhpc's (above 1: qhpc is faster).

Run: ``python benchmarks/qasm_io.py [--gates 100000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import qiskit.qasm2
import qiskit.qasm3
from qhpc_interop import Circuit, qasm2, qasm3
from qhpc_interop.params import _format_magnitude
from qiskit import QuantumCircuit


def quantum_volume(gates: int, width: int = 20, seed: int = 7) -> Circuit:
    """Random pairs: ``u3`` on both qubits, then ``cx``, until ``gates`` gates."""
    rng = random.Random(seed)
    circuit = Circuit.with_registers({"q": width}, {"c": width})
    while len(circuit.instructions) + 3 <= gates:
        a, b = rng.sample(range(width), 2)
        for q in (a, b):
            circuit.gate("u3", [q], [rng.uniform(-math.pi, math.pi) for _ in range(3)])
        circuit.cx(a, b)
    return circuit


def qft(gates: int) -> Circuit:
    """The textbook QFT on the smallest number of qubits that reaches ``gates`` gates."""
    n = 1
    while n * (n + 1) // 2 + n // 2 < gates:
        n += 1
    circuit = Circuit.with_registers({"q": n})
    for j in reversed(range(n)):
        circuit.h(j)
        for k in reversed(range(j)):
            circuit.cp(math.pi / 2 ** (j - k), k, j)
    for k in range(n // 2):
        circuit.swap(k, n - 1 - k)
    return circuit


def to_qiskit(circuit: Circuit) -> QuantumCircuit:
    qc = QuantumCircuit(circuit.num_qubits, circuit.num_clbits)
    for inst in circuit.instructions:
        name = "u" if inst.name == "u3" else inst.name  # Qiskit's U3Gate is its u
        getattr(qc, name)(*inst.params, *inst.qubits)
    return qc


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        _format_magnitude.cache_clear()  # each write starts cold, as a single write in real use does
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gates", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'circuit':23s} {'operation':15s} {'qhpc s':>9s} {'Qiskit s':>9s} {'Qiskit/qhpc':>12s}")
    for label, circuit in (("quantum volume", quantum_volume(args.gates)), ("QFT", qft(args.gates))):
        qc = to_qiskit(circuit)
        label = f"{label} ({len(circuit.instructions)})"
        text2, text3 = qasm2.dumps(circuit), qasm3.dumps(circuit)
        rows = [
            ("write OpenQASM 2", partial(qasm2.dumps, circuit), partial(qiskit.qasm2.dumps, qc), args.repeat),
            ("write OpenQASM 3", partial(qasm3.dumps, circuit), partial(qiskit.qasm3.dumps, qc), args.repeat),
            ("read OpenQASM 2", partial(qasm2.loads, text2), partial(qiskit.qasm2.loads, text2), args.repeat),
            ("read OpenQASM 3", partial(qasm3.loads, text3), partial(qiskit.qasm3.loads, text3), 1),
        ]
        for what, ours, theirs, their_repeat in rows:
            mine = best(ours, args.repeat)
            other = best(theirs, their_repeat)
            print(f"{label:23s} {what:15s} {mine:9.3f} {other:9.3f} {other / mine:11.2f}x", flush=True)


if __name__ == "__main__":
    main()
