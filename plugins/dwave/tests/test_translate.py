"""dimod <-> qhpc translation, QUBO and Ising dictionaries, and format detection.

Oracle: dimod's own energy function on every assignment (and dimod's equality of models).
"""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import dimod
import numpy as np
import pytest
from qhpc.errors import QhpcError, TranslationError
from qhpc_dwave.translate import from_dimod, to_dimod
from qhpc_interop.bqm import BinaryQuadraticModel


def random_dimod(seed: int, n: int = 5):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    labels = [rng.choice([f"x{k}", k + 100, f"node-{k}"]) for k in range(n)]
    linear = {v: rng.uniform(-2, 2) for v in labels}
    quadratic = {(labels[i], labels[j]): rng.uniform(-2, 2) for i in range(n) for j in range(i + 1, n)
                 if rng.random() < 0.7}
    return dimod.BinaryQuadraticModel(linear, quadratic, rng.uniform(-3, 3), rng.choice(["SPIN", "BINARY"]))


def all_rows(vartype: str, n: int) -> np.ndarray:
    values = (-1, 1) if vartype == "SPIN" else (0, 1)
    return np.array(list(itertools.product(values, repeat=n)))


@pytest.mark.parametrize("seed", range(10))
def test_dimod_models_translate_exactly_both_ways(seed: int) -> None:
    ref = random_dimod(seed)
    model = from_dimod(ref)
    assert model.variables == tuple(ref.variables) and str(model.vartype) == ref.vartype.name
    rows = all_rows(ref.vartype.name, len(ref.variables))
    assert model.energies(rows) == pytest.approx(ref.energies((rows, list(ref.variables))), abs=1e-12)
    back = to_dimod(model)
    assert back == ref and list(back.variables) == list(ref.variables)


def test_a_label_qhpc_cannot_hold_is_refused_by_name() -> None:
    ref = dimod.BinaryQuadraticModel({(0, 1): 1.0, "a": 0.5}, {}, 0.0, "BINARY")
    with pytest.raises(TranslationError, match=r"dimod variable label \(0, 1\) is not a string or an integer; relabel"):
        from_dimod(ref)


def test_qubo_and_ising_dictionaries_read_like_dimod(integrator) -> None:  # type: ignore[no-untyped-def]
    Q = {("a", "a"): -1.0, ("a", "b"): 2.0, ("b", "c"): -0.5, ("c", "c"): 0.25}
    model, route = integrator.converter.to_model(Q)
    assert route.source == "dimod.qubo"
    ref = dimod.BinaryQuadraticModel.from_qubo(Q)
    rows = all_rows("BINARY", 3)
    assert model.energies(rows) == pytest.approx(ref.energies((rows, list(model.variables))))
    h, J = {"a": 0.5, "b": -1.0}, {("a", "b"): 0.75}
    for problem in ((h, J), (h, J, 1.5)):
        model, route = integrator.converter.to_model(problem)
        assert route.source == "dimod.ising"
        ref = dimod.BinaryQuadraticModel.from_ising(h, J, problem[2] if len(problem) == 3 else 0.0)
        rows = all_rows("SPIN", 2)
        assert model.energies(rows) == pytest.approx(ref.energies((rows, list(model.variables))))


def test_formats_are_detected(integrator) -> None:  # type: ignore[no-untyped-def]
    assert integrator.detect_format(random_dimod(0)) == "dimod"
    assert integrator.detect_format(BinaryQuadraticModel({"a": 1.0})) == "qhpc.bqm"
    assert integrator.detect_format({(0, 1): 1.0}) == "dimod.qubo"
    assert integrator.detect_format(({0: 1.0}, {(0, 1): 1.0})) == "dimod.ising"
    assert integrator.kind_of("dimod").name == "annealing"
    with pytest.raises(QhpcError, match="does not know how to read"):
        integrator.detect_format({"not": "a problem"})


def test_a_converted_model_is_the_users_copy(integrator) -> None:  # type: ignore[no-untyped-def]
    ref = random_dimod(3)
    model, _ = integrator.converter.to_model(ref)
    ref.add_linear(next(iter(ref.variables)), 10.0)  # the user edits their model afterwards
    assert model.linear != dict(ref.linear)


def test_importing_the_plugin_imports_no_sdk() -> None:
    code = ("import sys\nimport qhpc_dwave, qhpc_dwave.plugin\nfrom qhpc.plugins import PluginRegistry\n"
            "PluginRegistry.discover().describe()\n"
            "print(sorted(m for m in ('dimod', 'dwave', 'dwave.samplers', 'qat', 'qiskit_optimization') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
