"""MQT Bench corpora (generated at test time, 2 to 12 qubits): every benchmark at the algorithm
level, the target-independent level and the native-gates level of MQT's targets, converted from Qiskit into every other format
(the smallest size of each through every ordered pair), judged by each format's own framework:
unitaries up to UNITARY_QUBITS qubits, above that state vectors from random product inputs.

(The unitary of a myQLM circuit comes from one PyLinalg run on twice its qubits: 18 s for an
8-qubit circuit of 300 gates, hence the state vectors from 6 qubits on.)"""

from __future__ import annotations

from typing import Any

import pytest

from ._check import CIRCUITS, Checker
from ._corpus import MQT_GATESETS, MQT_SIZES, mqt_benchmark, with_product_input
from ._oracles import FORMATS, statevector, unitary

UNITARY_QUBITS = 5
#: Nothing is refused: OpenQASM takes a matrix gate (MQT's quantum volume, random circuits) as its
#: Shannon decomposition.
REFUSALS: tuple[str, ...] = ()


def _check(checker: Checker, label: str, qc: Any, *, pairs: bool) -> None:
    """``qc`` (Qiskit) into every format; with ``pairs``, each of those into every other one too."""
    if qc.num_qubits <= UNITARY_QUBITS:
        programs, oracle = [(label, qc)], unitary
    else:
        programs = [(f"{label} on input {k}", with_product_input(qc, f"{label} {k}")) for k in range(2)]
        oracle = statevector
    for name, program in programs:
        expected = oracle(program, "qiskit")
        forms = {}
        for target in FORMATS[1:]:
            out = checker.route(name, program, "qiskit", target, expected, oracle)
            if out is not None:
                forms[target] = out
        if pairs:
            for a, form in forms.items():
                for b in FORMATS:
                    if b != a:
                        checker.route(f"{name} (via {a})", form, a, b, expected, oracle)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MQT_SIZES))
def test_mqt_bench_algorithm_level(name: str) -> None:
    checker = Checker("unitary/statevector", allowed_refusals=REFUSALS)
    for k, size in enumerate(MQT_SIZES[name]):
        qc = mqt_benchmark(name, size)
        _check(checker, f"mqt {name} {size} (alg)", qc, pairs=k == 0)
        CIRCUITS["MQT Bench, algorithm level"] += 1
    checker.verdict()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MQT_SIZES))
def test_mqt_bench_target_independent_level(name: str) -> None:
    checker = Checker("unitary/statevector", allowed_refusals=REFUSALS)
    for size in MQT_SIZES[name]:
        qc = mqt_benchmark(name, size, independent=True)
        _check(checker, f"mqt {name} {size} (target-independent)", qc, pairs=False)
        CIRCUITS["MQT Bench, target-independent level"] += 1
    checker.verdict()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MQT_SIZES))
def test_mqt_bench_native_gates_level(name: str) -> None:
    checker = Checker("unitary/statevector", allowed_refusals=REFUSALS)
    index = sorted(MQT_SIZES).index(name)
    # every benchmark at 5 qubits (unitaries), every third also at 8 (state vectors)
    for k, size in enumerate((5, 8) if index % 3 == 0 and name not in ("grover", "qwalk", "ae") else (5,)):
        gateset = MQT_GATESETS[(index + k) % len(MQT_GATESETS)]
        qc = mqt_benchmark(name, size, gateset=gateset)
        _check(checker, f"mqt {name} {size} ({gateset})", qc, pairs=False)
        CIRCUITS["MQT Bench, native-gates level"] += 1
    checker.verdict()
