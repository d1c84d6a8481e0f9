"""How well each Aer backend's ``estimate_seconds`` follows Aer's real run time.

For a spread of circuits per simulation method it prints qhpc's estimate, the measured time of
``AerSimulator.run`` on the same (compiled) circuit, and their ratio. ``auto`` picks the backend
with the shortest estimate and long runs are announced by it, so an estimate within a small factor
of the truth is what matters. Machine load moves the measured times: run it on a quiet machine.

Run: ``python benchmarks/estimates.py``.
"""

from __future__ import annotations

import random
import time

from qhpc import Integrator
from qhpc_interop import Circuit


def ghz(n: int, measured: int | None = None) -> Circuit:
    m = n if measured is None else measured
    c = Circuit(n, m).h(0)
    for k in range(n - 1):
        c.cx(k, k + 1)
    return c.measure(list(range(m)), list(range(m)))


def random_circuit(n: int, gates: int, clifford: bool = False, seed: int = 1) -> Circuit:
    rng = random.Random(seed)
    c = Circuit(n, n)
    for _ in range(gates):
        if rng.random() < 0.5:
            a, b = rng.sample(range(n), 2)
            c.cx(a, b)
        elif clifford:
            c.h(rng.randrange(n))
        else:
            c.rx(rng.uniform(0, 3), rng.randrange(n))
    return c.measure(list(range(n)), list(range(n)))


CASES = [
    ("aer.statevector", "random 14q x 2000", random_circuit(14, 2000), 1000),
    ("aer.statevector", "random 20q x 500", random_circuit(20, 500), 1000),
    ("aer.statevector", "random 22q x 300", random_circuit(22, 300), 1000),
    ("aer.density_matrix", "random 8q x 300", random_circuit(8, 300), 1000),
    ("aer.density_matrix", "random 11q x 100", random_circuit(11, 100), 1000),
    ("aer.stabilizer", "GHZ 400q, 64 shots", ghz(400), 64),
    ("aer.stabilizer", "GHZ 1600q, 8 shots", ghz(1600), 8),
    ("aer.stabilizer", "random Clifford 800q x 20000", random_circuit(800, 20000, clifford=True), 10),
    ("aer.matrix_product_state", "GHZ 60q, 1024 shots", ghz(60), 1024),
    ("aer.matrix_product_state", "random 12q x 200", random_circuit(12, 200), 100),
]


def main() -> None:
    print(f"{'backend':26} {'circuit':30} {'estimate s':>11} {'measured s':>11} {'ratio':>6}")
    with Integrator() as it:
        for name, label, circuit, shots in CASES:
            backend = it.backend(name)
            compiled, _ = it.compile(circuit, backend)
            estimate = backend.estimate_seconds(compiled, shots)
            backend.run(compiled, shots=shots, seed=1, memory=False, options={}, cancel=None)  # type: ignore[arg-type]
            start = time.perf_counter()
            backend.run(compiled, shots=shots, seed=1, memory=False, options={}, cancel=None)  # type: ignore[arg-type]
            measured = time.perf_counter() - start
            print(f"{name:26} {label:30} {estimate:>11.3f} {measured:>11.3f} {estimate / measured:>6.2f}")


if __name__ == "__main__":
    main()
