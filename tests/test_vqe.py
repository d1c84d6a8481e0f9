"""VQE to chemical accuracy, against exact diagonalisation and an independent CASCI of PySCF."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qhpc.algorithms import molecules, vqe

from .conftest import qhpc_cli


def exact_ground(name: str) -> float:
    """Lowest eigenvalue of the shipped Hamiltonian in the molecule's sector (numpy)."""
    mol = molecules.load(name)
    values, vectors = np.linalg.eigh(mol.hamiltonian.to_matrix())
    if molecules.SPECS[name][3] == "scbk":
        return float(values[0])
    weight = np.array([bin(i).count("1") for i in range(2**mol.num_qubits)]) == mol.electrons
    return float(min(v for v, vec in zip(values, vectors.T) if np.sum(np.abs(vec[weight]) ** 2) > 1 - 1e-9))


@pytest.mark.parametrize("name", ["h2_2q", "h2_4q", "lih_4q", pytest.param("beh2_6q", marks=pytest.mark.slow)])
def test_vqe_reaches_chemical_accuracy(name: str) -> None:
    mol = molecules.load(name)
    reference = exact_ground(name)
    assert reference == pytest.approx(mol.exact, abs=1e-9)
    result = vqe.run(mol.hamiltonian, initial_bitstring=mol.hf_bitstring, reps=mol.reps, restarts=mol.restarts,
                     backend="aer.statevector")
    assert abs(result.energy - reference) < molecules.CHEMICAL_ACCURACY
    assert result.energy >= reference - 1e-9  # variational: never below the ground state
    assert result.history[0] > result.history[-1]


def test_h2_reference_energy_is_the_published_one() -> None:
    # H2 at 0.735 angstrom, STO-3G: FCI energy -1.137306 Ha (e.g. the Qiskit Nature and OpenFermion tutorials)
    assert molecules.load("h2_4q").exact == pytest.approx(-1.137306, abs=2e-6)
    assert molecules.load("h2_2q").exact == pytest.approx(-1.137306, abs=2e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", molecules.names())
def test_shipped_data_match_an_independent_casci(name: str) -> None:
    """PySCF's CASCI in the same active space (not the OpenFermion path that built the data)."""
    pyscf = pytest.importorskip("pyscf")
    from pyscf import gto, mcscf, scf

    geometry, frozen, active, _ = molecules.SPECS[name]
    mol = gto.M(atom=geometry, basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol).run()
    orbitals = list(active) if active is not None else list(range(mf.mo_coeff.shape[1]))
    electrons = mol.nelectron - 2 * len(frozen)
    cas = mcscf.CASCI(mf, len(orbitals), electrons)
    cas.verbose = 0
    energy = cas.kernel(cas.sort_mo([o + 1 for o in orbitals]))[0]
    assert molecules.load(name).exact == pytest.approx(energy, abs=1e-7)
    assert pyscf.__version__


def test_qhpc_vqe_on_the_command_line(tmp_path: Path) -> None:
    plot = tmp_path / "convergence.png"
    done = qhpc_cli("vqe", "h2_2q", "--json", "--plot", str(plot))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert abs(doc["energy"] - doc["exact"]) < molecules.CHEMICAL_ACCURACY
    assert doc["iterations"] >= 1 and plot.stat().st_size > 1000
    assert "iteration 1:" in done.stderr  # live progress
    bad = qhpc_cli("vqe", "h2o_99q")
    assert bad.returncode == 1 and "unknown molecule 'h2o_99q'" in bad.stderr
    wrong = qhpc_cli("vqe", "h2_2q", "--optimizer", "GRADIENT-DESCENT")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert wrong.stderr.strip().startswith("error: unknown optimizer 'GRADIENT-DESCENT'; scipy.optimize.minimize methods:")


@pytest.mark.slow
def test_readout_mitigation_brings_a_noisy_vqe_closer() -> None:
    """On the emulated ibm_perth (calibrated noise, routing, native gates), from shots."""
    mol = molecules.load("h2_2q")
    errors = {}
    for mitigate in (False, True):
        result = vqe.run(mol.hamiltonian, initial_bitstring=mol.hf_bitstring, reps=1, backend="ibm_perth",
                         shots=8000, seed=3, optimizer="COBYLA", maxiter=60, mitigate_readout=mitigate)
        errors[mitigate] = abs(result.energy - mol.exact)
    assert errors[True] < errors[False] / 2
