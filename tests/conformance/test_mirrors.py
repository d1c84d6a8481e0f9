"""Mirror circuits up to 100 qubits: a random circuit, its inverse, X on a random third of the qubits
and every qubit measured, so the one right readout is known (1 exactly where X was applied). Each
conversion's result is run by its own framework's simulator (Aer's stabilizer or MPS method, Cirq's
Clifford or state-vector simulator, myQLM's PyLinalg up to 12 qubits) and its clbits compared."""

from __future__ import annotations

import pytest

from ._check import CIRCUITS, Checker
from ._corpus import mirror_circuit
from ._oracles import FORMATS, readout

#: myQLM's simulators hold the full state vector (PyLinalg: 0.06 s for a 12-qubit mirror, 3.7 s at 16).
MYQLM_QUBITS = 12
#: (qubits, layers per half, Clifford?)
MIRRORS = [(12, 4, True), (12, 4, False), (40, 3, True), (60, 3, False), (100, 3, True), (100, 3, False)]


@pytest.mark.slow
@pytest.mark.parametrize("n, layers, clifford", MIRRORS)
def test_mirror_circuits_read_out_exactly_in_every_format(n: int, layers: int, clifford: bool) -> None:
    checker = Checker("readout")
    qc, expected = mirror_circuit(n, layers, f"mirror {n} {clifford}", clifford=clifford)
    label = f"mirror {n} qubits ({'Clifford' if clifford else 'blocks of 10'})"
    source = readout(qc, "qiskit")  # the source itself, by Aer: the known readout
    assert source == [(("c", q), v) for q, v in enumerate(expected)]
    targets = [f for f in FORMATS[1:] if f != "myqlm" or n <= MYQLM_QUBITS]
    forms = {}
    for target in targets:
        out = checker.route(label, qc, "qiskit", target, source, readout)
        if out is not None:
            forms[target] = out
    if n <= MYQLM_QUBITS:  # every ordered pair at the smallest width
        for a, form in forms.items():
            own = readout(form, a)  # checked against the source above; a's own terms (its bit order)
            for b in FORMATS:
                if b != a:
                    checker.route(f"{label} (via {a})", form, a, b, own, readout)
    CIRCUITS[f"mirror circuits ({n} qubits)"] += 1
    print(f"{label}: {checker.checked} checked, skipped {dict(checker.skipped)}")
    checker.verdict()
