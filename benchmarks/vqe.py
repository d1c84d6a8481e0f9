"""VQE through qhpc against a plain Qiskit loop, and the hybrid runtime's per-evaluation cost.

Part 1, time to solution: the same problems (shipped molecules), the same ansatz (RealAmplitudes,
linear, the molecule's layers, Hartree-Fock start), the same optimiser (scipy L-BFGS-B) and the same
starting point, through

* qhpc: ``qhpc.algorithms.vqe.run`` (one session: the ansatz compiled once, exact energies from
  Aer's statevector, parameter-shift gradients as one batched Aer call), and
* a plain loop, as a Qiskit user writes it: ``qiskit_aer.primitives.EstimatorV2`` (exact,
  ``approximation``-free statevector estimates) called for each energy, scipy's default
  finite-difference gradient.

It prints time to solution, energy error, circuit evaluations, the one-time setup (reading and
compiling the ansatz) and the middleware share of the iterations (the share of their time qhpc
spends around the backend calls: binding, batching, estimation).

Part 2, the cost of one evaluation of a 10-qubit, 60-parameter ansatz (energy of a random Pauli sum):
Aer's own ``assign_parameters`` + ``run`` in a loop, ``EstimatorV2`` one pub per call, and a qhpc
session (one evaluation per call, and 64 per call). Ratios are to the plain Aer loop.

Part 3: VQE from shots on an emulated device (ibm_perth's calibrated noise), with and without
readout-error mitigation (the device model's confusion matrices inverted).

Run: ``python benchmarks/vqe.py [--quick]``. Numbers vary with machine load: run on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from qhpc import Integrator
from qhpc.algorithms import molecules, vqe
from qhpc.hybrid import PauliSum, Session
from qhpc_qiskit.translate import circuit_to_qiskit
from qiskit.quantum_info import SparsePauliOp
from scipy.optimize import minimize


def plain_qiskit_vqe(hamiltonian: PauliSum, ansatz_model: object, x0: np.ndarray) -> tuple[float, int, float]:
    from qiskit_aer.primitives import EstimatorV2

    ansatz = circuit_to_qiskit(ansatz_model)  # type: ignore[arg-type]
    params = sorted(ansatz.parameters, key=lambda p: p.name)
    op = SparsePauliOp.from_list(list(hamiltonian.terms))
    estimator = EstimatorV2()
    count = 0

    def energy(x: np.ndarray) -> float:
        nonlocal count
        count += 1
        bound = ansatz.assign_parameters(dict(zip(params, x)))
        return float(estimator.run([(bound, op)]).result()[0].data.evs)

    start = time.perf_counter()
    outcome = minimize(energy, x0, method="L-BFGS-B", tol=1e-10, options={"maxiter": 500})
    return float(outcome.fun), count, time.perf_counter() - start


def warm_up() -> None:
    """Load Aer, its primitives and qhpc's plugins once before anything is timed, so the first
    molecule's figures do not carry the SDKs' import time on one side only."""
    from qiskit_aer.primitives import EstimatorV2

    mol = molecules.load("h2_2q")
    ansatz = vqe.hardware_efficient_ansatz(mol.num_qubits, 1, mol.hf_bitstring)
    qc = circuit_to_qiskit(ansatz)
    EstimatorV2().run([(qc, SparsePauliOp("ZZ"), np.zeros(len(qc.parameters)))]).result()
    with Integrator() as it, Session(ansatz, [mol.hamiltonian], backend="aer.statevector", integrator=it) as s:
        s.expectation({p.name: 0.0 for p in ansatz.parameters})


def part1(names: list[str]) -> None:
    print("== VQE time to solution (same ansatz, optimiser L-BFGS-B, starting point) ==")
    warm_up()
    print(f"{'molecule':10} {'path':34} {'seconds':>8} {'error mHa':>10} {'evaluations':>11} {'setup s':>8} "
          f"{'middleware':>10}")
    for name in names:
        mol = molecules.load(name)
        ansatz = vqe.hardware_efficient_ansatz(mol.num_qubits, mol.reps, mol.hf_bitstring)
        x0 = np.random.default_rng(0).normal(0.0, 0.1, len(ansatz.parameters))
        with Integrator() as it:
            result = vqe.run(mol.hamiltonian, ansatz=ansatz, initial_point=x0, integrator=it)
        energy, count, seconds = plain_qiskit_vqe(mol.hamiltonian, ansatz, x0)
        print(f"{name:10} {'qhpc (session, parameter shift)':34} {result.seconds:8.2f} "
              f"{(result.energy - mol.exact) * 1000:10.4f} {result.evaluations:11d} {result.setup_seconds:8.2f} "
              f"{result.middleware_share:10.1%}")
        print(f"{'':10} {'Qiskit EstimatorV2 loop (FD grad)':34} {seconds:8.2f} {(energy - mol.exact) * 1000:10.4f} "
              f"{count:11d} {'':>10}")
        print(f"{'':10} {'speed-up':34} {seconds / result.seconds:8.2f}x")


def part2(repeat: int) -> None:
    from qhpc_interop import Circuit, Parameter
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2

    n, layers = 10, 5
    model = Circuit(n, 0)
    k = 0
    for layer in range(layers + 1):
        for q in range(n):
            model.ry(Parameter(f"p{k:03d}"), q)
            k += 1
        if layer < layers:
            for q in range(n - 1):
                model.cx(q, q + 1)
    rng = np.random.default_rng(1)
    labels = {"".join(rng.choice(list("IXYZ"), n)) for _ in range(30)}
    observable = PauliSum.from_list((label, float(rng.normal())) for label in labels)
    op = SparsePauliOp.from_list(list(observable.terms))
    names = [p.name for p in model.parameters]
    sets = [rng.uniform(-3, 3, len(names)) for _ in range(64)]
    qc = circuit_to_qiskit(model)
    qparams = sorted(qc.parameters, key=lambda p: p.name)
    sim = AerSimulator(method="statevector")
    from qiskit_aer.library import SaveExpectationValue

    measured = qc.copy()
    measured.append(SaveExpectationValue(op, label="e"), range(n))
    estimator = EstimatorV2()

    def aer_loop() -> float:
        start = time.perf_counter()
        for x in sets:
            sim.run(measured.assign_parameters(dict(zip(qparams, x))), shots=1).result()
        return (time.perf_counter() - start) / len(sets)

    def estimator_loop() -> float:
        start = time.perf_counter()
        for x in sets:
            estimator.run([(qc, op, x)]).result()
        return (time.perf_counter() - start) / len(sets)

    with Integrator() as it:
        session = Session(model, [observable], backend="aer.statevector", integrator=it)

        def session_one() -> float:
            start = time.perf_counter()
            for x in sets:
                session.expectation(x)
            return (time.perf_counter() - start) / len(sets)

        def session_batch() -> float:
            start = time.perf_counter()
            session.batch(sets)
            return (time.perf_counter() - start) / len(sets)

        rows: dict[str, list[float]] = {"Aer assign_parameters + run": [], "Aer EstimatorV2, one pub per call": [],
                                        "qhpc session, one set per call": [], "qhpc session, 64 sets per call": []}
        for _ in range(repeat):  # interleaved, so machine noise hits all alike
            rows["Aer assign_parameters + run"].append(aer_loop())
            rows["Aer EstimatorV2, one pub per call"].append(estimator_loop())
            rows["qhpc session, one set per call"].append(session_one())
            rows["qhpc session, 64 sets per call"].append(session_batch())
    base = statistics.median(rows["Aer assign_parameters + run"])
    print(f"\n== One evaluation of a {n}-qubit, {len(names)}-parameter ansatz ({len(observable.terms)}-term observable) ==")
    print(f"{'path':36} {'ms per evaluation':>18} {'ratio to Aer loop':>18}")
    for label, values in rows.items():
        median = statistics.median(values)
        print(f"{label:36} {median * 1000:18.3f} {median / base:18.2f}")


def part3() -> None:
    """VQE on an emulated device (ibm_perth's calibration snapshot: its routing, native gates and
    calibrated noise), from shots, with and without readout-error mitigation."""
    mol = molecules.load("h2_2q")
    print("\n== VQE under a calibrated noise model (H2, 2 qubits, on the emulated ibm_perth, 8000 shots) ==")
    print(f"{'readout':12} {'energy Ha':>12} {'error mHa':>10} {'evaluations':>11} {'seconds':>8}")
    with Integrator() as it:
        for mitigate in (False, True):
            result = vqe.run(mol.hamiltonian, initial_bitstring=mol.hf_bitstring, reps=1, backend="ibm_perth",
                             shots=8000, seed=3, optimizer="COBYLA", maxiter=60, mitigate_readout=mitigate,
                             integrator=it)
            print(f"{'mitigated' if mitigate else 'raw':12} {result.energy:12.6f} "
                  f"{(result.energy - mol.exact) * 1000:10.2f} {result.evaluations:11d} {result.seconds:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="H2 only, fewer repetitions")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (default: 1,2,3)")
    parser.add_argument("--molecules", default=None,
                        help="part 1's molecules, comma separated (default: h2_2q,h2_4q,lih_4q; beh2_6q takes the "
                             "plain loop over an hour on 2 cores)")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    names = args.molecules.split(",") if args.molecules else (["h2_4q"] if args.quick else ["h2_2q", "h2_4q", "lih_4q"])
    if "1" in parts:
        part1(names)
    if "2" in parts:
        part2(2 if args.quick else 5)
    if "3" in parts:
        part3()


if __name__ == "__main__":
    main()
