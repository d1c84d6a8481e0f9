"""VQE for H2 (0.735 angstrom, STO-3G, 4 qubits): the optimiser on the CPU, the energies on a backend.

Run: ``python examples/vqe_h2.py [--backend aer.statevector] [--shots N] [--plot convergence.png]``.
The same run from the command line: ``qhpc vqe h2_4q --plot convergence.png``.
"""

from __future__ import annotations

import argparse

from qhpc.algorithms import molecules, vqe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="aer.statevector")
    parser.add_argument("--shots", type=int, default=None, help="estimate from shots (default: exact energies)")
    parser.add_argument("--plot", default=None, help="save the convergence plot to this PNG file")
    args = parser.parse_args()

    h2 = molecules.load("h2_4q")
    print(f"H2: {h2.num_qubits} qubits, {len(h2.hamiltonian.terms)} Pauli terms; Hartree-Fock {h2.hf:.6f} Ha, "
          f"exact {h2.exact:.6f} Ha")
    result = vqe.run(h2.hamiltonian, initial_bitstring=h2.hf_bitstring, reps=h2.reps, backend=args.backend,
                     shots=args.shots, callback=lambda k, e: print(f"  iteration {k:3d}: {e:.8f} Ha"))
    error = (result.energy - h2.exact) * 1000
    print(f"VQE energy {result.energy:.8f} Ha, {error:.4f} mHa from exact "
          f"({'within' if abs(error) < 1.6 else 'outside'} chemical accuracy), {result.evaluations} evaluations in "
          f"{result.backend_calls} backend calls, {result.seconds:.2f} s")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(range(1, len(result.history) + 1), result.history, marker="o", label="VQE")
        ax.axhline(h2.exact, color="k", linestyle="--", label="exact")
        ax.set_xlabel("iteration")
        ax.set_ylabel("energy (Ha)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
