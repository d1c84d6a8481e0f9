"""OpenQASM 2 reading at scale: qhpc's reader side by side with Qiskit's Rust reader.

For each program size (default 100,000 and 1,000,000 gates of a random mix of ``cx``, ``rz(angle)``
and one-qubit Clifford+T gates on 20 qubits) it reads the same text with ``qiskit.qasm2.loads`` and
``qhpc_interop.qasm2.loads``, each in a fresh process so peak memory is its own, and prints the
wall time, the peak memory the reading added, and qhpc's ratio to Qiskit. It also times the hostile
cases the readers refuse or handle linearly (1,000 registers of 100,000 qubits; a barrier over a
100,000-qubit register; a 100,000-digit literal).

Run: ``python benchmarks/readers.py [--gates 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def program(gates: int, seed: int = 1, width: int = 20) -> str:
    rng = random.Random(seed)
    lines = [HEADER + f"qreg q[{width}];\ncreg c[{width}];"]
    for _ in range(gates):
        r = rng.random()
        if r < 0.4:
            a, b = rng.sample(range(width), 2)
            lines.append(f"cx q[{a}],q[{b}];")
        elif r < 0.7:
            lines.append(f"rz({rng.uniform(-3, 3):.12f}) q[{rng.randrange(width)}];")
        else:
            lines.append(f"{rng.choice(['h', 'x', 's', 't'])} q[{rng.randrange(width)}];")
    return "\n".join(lines) + "\nmeasure q -> c;\n"


READ = textwrap.dedent("""
    import resource, sys, time
    which, path = sys.argv[1], sys.argv[2]
    text = open(path).read()
    if which == "qiskit":
        from qiskit import qasm2
    else:
        from qhpc_interop import qasm2
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    qasm2.loads(text)
    seconds = time.perf_counter() - start
    print(seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
""")


def measure(which: str, path: Path) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", READ, which, str(path)], capture_output=True, text=True, check=True)
    seconds, megabytes = map(float, done.stdout.split())
    return seconds, megabytes


def hostile() -> None:
    from qhpc_interop import InteropError, qasm2

    cases = {
        "1,000 x qreg[100000]": "OPENQASM 2.0;\n" + "".join(f"qreg q{k}[100000];\n" for k in range(1000)),
        "barrier over 100,000 qubits": HEADER + "qreg q[100000];\nbarrier q;\n",
        "100,000-digit literal": HEADER + "qreg q[1];\nrx(" + "1" * 100_000 + ") q[0];\n",
    }
    print("\nhostile inputs (qhpc):")
    for label, text in cases.items():
        start = time.perf_counter()
        try:
            qasm2.loads(text)
            outcome = "read"
        except InteropError as exc:
            outcome = f"refused: {exc}"
        print(f"  {label:30s} {1000 * (time.perf_counter() - start):8.1f} ms  {outcome[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"{'gates':>10} {'qiskit s':>9} {'qhpc s':>8} {'ratio':>6} {'qiskit MB':>10} {'qhpc MB':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for gates in args.gates:
            path = Path(tmp) / f"p{gates}.qasm"
            path.write_text(program(gates))
            rows = {"qiskit": [], "qhpc": []}
            for _ in range(args.repeat):
                for which in ("qiskit", "qhpc"):  # alternate so machine noise hits both
                    rows[which].append(measure(which, path))
            q_s = min(r[0] for r in rows["qiskit"]); h_s = min(r[0] for r in rows["qhpc"])  # noqa: E702
            q_m = min(r[1] for r in rows["qiskit"]); h_m = min(r[1] for r in rows["qhpc"])  # noqa: E702
            print(f"{gates:>10,} {q_s:>9.2f} {h_s:>8.2f} {h_s / q_s:>6.2f} {q_m:>10.0f} {h_m:>8.0f} {h_m / q_m:>6.2f}")
    hostile()


if __name__ == "__main__":
    main()
