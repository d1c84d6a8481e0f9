"""Single-gate sweeps: every standard gate of each framework, with random parameters, converted into
every other format and compared with the source framework's own unitary (global phase included
wherever the route keeps it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ._check import CIRCUITS, Checker
from ._corpus import cirq_gate_sweep, myqlm_gate_sweep, qiskit_gate_sweep, qiskit_text_sources
from ._oracles import FORMATS, unitary

#: Nothing is refused: OpenQASM, which has no matrix gate, takes one as its Shannon decomposition
#: (an audit: matrix gates were refused by name, where Qiskit's and Cirq's writers decompose them).
UNITARY_REFUSALS: tuple[str, ...] = ()

SOURCES: dict[str, Callable[[], list[tuple[str, Any]]]] = {
    "qiskit": qiskit_gate_sweep,
    "cirq": cirq_gate_sweep,
    "myqlm": myqlm_gate_sweep,
    "qasm2": lambda: qiskit_text_sources(qiskit_gate_sweep(), "qasm2"),
    "qasm3": lambda: qiskit_text_sources(qiskit_gate_sweep(), "qasm3"),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_gate_converts_exactly_into_every_other_format(source: str) -> None:
    checker = Checker("unitary", allowed_refusals=UNITARY_REFUSALS)
    programs = SOURCES[source]()
    for label, program in programs:
        expected = unitary(program, source)
        for target in FORMATS:
            if target != source:
                checker.route(label, program, source, target, expected, unitary)
    CIRCUITS[f"single-gate sweep from {source}"] += len(programs)
    print(f"{source}: {len(programs)} gates, {checker.checked} conversions checked, refused {dict(checker.refused)}")
    checker.verdict()
