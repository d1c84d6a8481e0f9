"""Molecular Hamiltonians for VQE, shipped as data with their sources and exact reference energies.

Each ``data/NAME.json`` holds a qubit Hamiltonian (Pauli labels, qubit 0 rightmost), the number of
electrons, the Hartree-Fock bitstring, and reference energies: ``exact`` (the lowest eigenvalue of
the qubit Hamiltonian in the molecule's particle-number sector: what VQE must reach), ``hf`` and,
for the full molecule, ``fci``. They were computed by :func:`build` with PySCF (integrals, RHF, FCI)
and OpenFermion (active space, Jordan-Wigner or symmetry-conserving Bravyi-Kitaev mapping); with
PySCF and OpenFermion installed, :func:`build` recomputes any of them (the tests do, and check the
shipped data against an independent CASCI of PySCF).

=========  ==========================================  ========  =============  =================
name       molecule                                    qubits    active space   mapping
=========  ==========================================  ========  =============  =================
h2_2q      H2, 0.735 A, STO-3G                         2         all            SCBK (tapered)
h2_4q      H2, 0.735 A, STO-3G                         4         all            Jordan-Wigner
lih_4q     LiH, 1.595 A, STO-3G                        4         core frozen,   SCBK (tapered)
                                                                 orbitals 1,2,5
beh2_6q    BeH2 (linear), 1.326 A, STO-3G              6         core frozen,   SCBK (tapered)
                                                                 orbitals 1-4
=========  ==========================================  ========  =============  =================
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..errors import QhpcError
from ..hybrid.observables import PauliSum

#: name -> (geometry in angstrom, frozen orbitals, active orbitals or None for all, mapping)
SPECS: dict[str, tuple[str, tuple[int, ...], tuple[int, ...] | None, str]] = {
    "h2_2q": ("H 0 0 0; H 0 0 0.735", (), None, "scbk"),
    "h2_4q": ("H 0 0 0; H 0 0 0.735", (), None, "jw"),
    "lih_4q": ("Li 0 0 0; H 0 0 1.595", (0,), (1, 2, 5), "scbk"),
    "beh2_6q": ("Be 0 0 0; H 0 0 1.326; H 0 0 -1.326", (0,), (1, 2, 3, 4), "scbk"),
}
#: Layers of the default hardware-efficient ansatz that reach chemical accuracy for each molecule
#: (measured: fewer stall above it).
REPS = {"h2_2q": 1, "h2_4q": 2, "lih_4q": 3, "beh2_6q": 3}
#: Seeded optimiser starts that reach it (BeH2 has local minima ~2.9 mHa above the ground state:
#: measured, 2 of 5 starts at 3 layers reach chemical accuracy).
RESTARTS = {"h2_2q": 1, "h2_4q": 1, "lih_4q": 1, "beh2_6q": 3}
#: Chemical accuracy, in hartree.
CHEMICAL_ACCURACY = 1.6e-3


@dataclass(frozen=True)
class Molecule:
    """A molecule's qubit Hamiltonian and its reference energies (hartree)."""

    name: str
    hamiltonian: PauliSum
    electrons: int
    hf_bitstring: str
    exact: float
    hf: float
    fci: float | None
    source: dict[str, Any]

    @property
    def num_qubits(self) -> int:
        return self.hamiltonian.num_qubits

    @property
    def reps(self) -> int:
        """Layers of the default ansatz that reach chemical accuracy (see :data:`REPS`)."""
        return REPS[self.name]

    @property
    def restarts(self) -> int:
        """Seeded optimiser starts to try (see :data:`RESTARTS`)."""
        return RESTARTS[self.name]


def names() -> list[str]:
    return sorted(SPECS)


def load(name: str) -> Molecule:
    """A shipped molecule (see the module docstring)."""
    if name not in SPECS:
        raise QhpcError(f"unknown molecule {name!r}; shipped: {', '.join(names())}")
    data = json.loads(resources.files("qhpc.algorithms").joinpath(f"data/{name}.json").read_text(encoding="utf-8"))
    return Molecule(
        name=name, hamiltonian=PauliSum.from_list((t["label"], t["coeff"]) for t in data["terms"]),
        electrons=data["electrons"], hf_bitstring=data["hf_bitstring"], exact=data["energies"]["exact"],
        hf=data["energies"]["hf"], fci=data["energies"].get("fci"), source=data["source"],
    )


def build(name: str) -> dict[str, Any]:  # pragma: no cover - exercised by the tests when PySCF is installed
    """Compute a molecule's data with PySCF and OpenFermion (what ``data/NAME.json`` holds)."""
    import numpy as np
    import openfermion as of
    from openfermion.chem.molecular_data import spinorb_from_spatial
    from openfermion.ops.representations import get_active_space_integrals
    from pyscf import ao2mo, fci, gto, scf

    geometry, frozen, active, mapping = SPECS[name]
    mol = gto.M(atom=geometry, basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol).run()
    coeff = mf.mo_coeff
    n = coeff.shape[1]
    h1 = coeff.T @ mf.get_hcore() @ coeff
    # OpenFermion's spatial convention: two[p, q, r, s] = (ps|qr) in chemists' notation
    two = np.asarray(ao2mo.restore(1, ao2mo.kernel(mol, coeff), n).transpose(0, 2, 3, 1), order="C")
    orbitals = list(active if active is not None else range(n))
    core, one_a, two_a = get_active_space_integrals(h1, two, list(frozen), orbitals)
    one_so, two_so = spinorb_from_spatial(one_a, two_a)
    fermion = of.get_fermion_operator(of.InteractionOperator(mol.energy_nuc() + core, one_so, 0.5 * two_so))
    electrons = mol.nelectron - 2 * len(frozen)
    modes = 2 * len(orbitals)
    if mapping == "jw":
        qubit_op = of.jordan_wigner(fermion)
        qubits = modes
    else:
        qubit_op = of.symmetry_conserving_bravyi_kitaev(fermion, modes, electrons)
        qubits = modes - 2
    terms = []
    for term, value in sorted(qubit_op.terms.items()):
        letters = ["I"] * qubits
        for q, pauli in term:
            letters[qubits - 1 - q] = pauli
        terms.append({"label": "".join(letters), "coeff": float(np.real(value))})
    pairs: list[tuple[str, complex]] = [(str(t["label"]), float(t["coeff"])) for t in terms]  # type: ignore[arg-type]
    hamiltonian = PauliSum.from_list(pairs).to_matrix()
    diagonal = np.real(np.diag(hamiltonian))
    if mapping == "jw":
        number = np.array([bin(i).count("1") for i in range(2**qubits)])
        sector = [i for i in range(2**qubits) if number[i] == electrons]
        w, v = np.linalg.eigh(hamiltonian)
        weights = np.abs(v) ** 2
        exact = float(min(w[k] for k in range(len(w)) if weights[sector, k].sum() > 1 - 1e-9))
        hf_index = (1 << electrons) - 1  # the lowest spin orbitals occupied
    else:
        exact = float(np.linalg.eigvalsh(hamiltonian)[0])  # tapering keeps only the right sector
        hf_index = int(np.argmin(np.abs(diagonal - mf.e_tot)))
        if abs(diagonal[hf_index] - mf.e_tot) > 1e-8:
            raise QhpcError(f"{name}: no basis state has the Hartree-Fock energy under this mapping")
    return {
        "name": name, "num_qubits": qubits, "electrons": electrons,
        "hf_bitstring": format(hf_index, f"0{qubits}b"),
        "energies": {"exact": exact, "hf": float(mf.e_tot), "fci": float(fci.FCI(mf).kernel()[0])},
        "terms": terms,
        "source": {"geometry_angstrom": geometry, "basis": "sto-3g", "frozen_orbitals": list(frozen),
                   "active_orbitals": orbitals, "mapping": {"jw": "Jordan-Wigner",
                                                            "scbk": "symmetry-conserving Bravyi-Kitaev"}[mapping],
                   "computed_with": "PySCF 2.14 (RHF, FCI) and OpenFermion 1.8 (active space, qubit mapping)"},
    }
