"""1000 seeded random circuits (500 from ``qiskit.circuit.random.random_circuit``, 500 from the
model's ``random_circuit`` with every library gate and random unitaries, as qhpc JSON), each
converted into every other format (through the hub and out), and every ordered pair of formats on
a subset; each result's unitary by its own framework against the source's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ._check import CIRCUITS, Checker
from ._corpus import model_random_json, qiskit_random
from ._oracles import FORMATS, unitary

#: Nothing is refused: OpenQASM, which has no matrix gate, takes one as its Shannon decomposition
#: (an audit: matrix gates were refused by name, where Qiskit's and Cirq's writers decompose them).
REFUSALS: tuple[str, ...] = ()
#: Circuits per source; the first PAIRS of each also go through every ordered pair of formats.
COUNT = 500
PAIRS = 25


def _sources(source: str) -> Iterator[tuple[str, Any]]:
    if source == "qiskit":
        return qiskit_random(COUNT, seed=2026)
    return model_random_json(COUNT, seed=2027)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["qiskit", "qhpc.json"])
def test_random_circuits_through_every_format_and_every_ordered_pair(source: str) -> None:
    checker = Checker("unitary", allowed_refusals=REFUSALS)
    pairs = 0
    for k, (label, program) in enumerate(_sources(source)):
        expected = unitary(program, source)
        forms = {source: program}
        for target in FORMATS:
            if target != source:
                out = checker.route(label, program, source, target, expected, unitary)
                if out is not None:
                    forms[target] = out
        if k >= PAIRS:
            continue
        pairs += 1
        # every ordered pair (a, b): the program in format a (itself checked above) into b
        for a, form in forms.items():
            if a == source:
                continue
            for b in FORMATS:
                if b != a:
                    checker.route(f"{label} (via {a})", form, a, b, expected, unitary)
    CIRCUITS[f"random circuits from {source} (every format; {pairs} through every ordered pair)"] += COUNT
    print(f"{source}: {COUNT} circuits, {checker.checked} conversions checked, refused {dict(checker.refused)}")
    checker.verdict()
