"""`make demo`: a guided tour of qhpc in a minute. Each step prints the command it runs."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QHPC = [sys.executable, "-m", "qhpc"]


def step(title: str, *args: str) -> None:
    print(f"\n\033[1m== {title}\033[0m\n$ qhpc {' '.join(shlex.quote(a) for a in args)}", flush=True)
    done = subprocess.run([*QHPC, *args], cwd=HERE.parent)
    if done.returncode != 0:
        sys.exit(done.returncode)


def main() -> None:
    step("What is installed: plugins and what each provides", "plugins")
    step("Where programs can run, with each backend's real limits", "backends")
    step("A GHZ circuit from OpenQASM 2, backend chosen automatically", "run", "examples/ghz.qasm", "--seed", "7")
    step("The same circuit on a named backend", "run", "examples/ghz.qasm", "--backend", "aer.matrix_product_state",
         "--shots", "2000", "--seed", "7")
    step("A circuit built in Qiskit, from a Python file", "run", "examples/bell_qiskit.py:circuit", "--seed", "7")
    step("OpenQASM 3 with a gate definition and `inv @`: reads 1011 every shot", "run", "examples/qft.qasm",
         "--shots", "500", "--json")
    step("Convert between formats (OpenQASM 2 -> OpenQASM 3)", "convert", "examples/ghz.qasm", "--to", "qasm3")
    step("The GHZ circuit on an emulated IBM Perth: routed onto its coupling map in its native gates, run with its "
         "calibrated gate, idle and readout noise", "run", "examples/ghz.qasm", "--backend", "ibm_perth",
         "--shots", "2000", "--seed", "7", "--top", "6")
    step("The hybrid loop: VQE of H2, the optimiser here and the energies on Aer, to chemical accuracy",
         "vqe", "h2_2q")
    step("An optimisation problem (max-cut of a square, Ising) on simulated annealing", "run",
         "examples/maxcut_square.json", "--backend", "dwave.sa", "--shots", "50", "--seed", "7")
    step("The same problem on a gate emulator through QAOA", "run", "examples/maxcut_square.json",
         "--backend", "aer.statevector", "--qaoa-depth", "1", "--seed", "7")
    print("\n\033[1m== And from Python (examples/first_circuit.py)\033[0m", flush=True)
    subprocess.run([sys.executable, str(HERE / "first_circuit.py")], check=True)


if __name__ == "__main__":
    main()
