"""Malformed problems are one-line errors in Python and on the command line; the max-cut example runs.

Oracles: the brute-force optimum of the example's graph (``_oracles.py``), and the message each
malformed problem must name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dimod
import pytest
from qhpc.errors import QhpcError
from qhpc_interop.bqm import BinaryQuadraticModel, dumps

from ._oracles import brute_force_maxcut, regular_graph

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("problem, message", [
    ({("a", "b"): "strong"}, r"the quadratic bias of \('a', 'b'\) must be a finite number, not 'strong'"),
    ({("a", "b"): 1.0, ("c", "c"): float("inf")}, r"the QUBO bias of \('c', 'c'\) must be a finite number, not inf"),
    (({"a": 1.0}, {("a", "a"): 1.0}), r"self-loop \('a', 'a'\) given as a quadratic term"),
    (dimod.BinaryQuadraticModel({"a": float("nan")}, {}, 0.0, "BINARY"),
     r"the linear bias of 'a' must be a finite number, not nan"),
])
def test_malformed_problems_are_one_line_errors_in_python(integrator, problem, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QhpcError, match=message) as info:
        integrator.submit(problem, backend="dwave.sa")
    assert "\n" not in str(info.value)


def qhpc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QHPC_DEBUG"}
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, timeout=300, env=env)


def test_a_problem_file_runs_on_an_annealing_backend_from_the_command_line(tmp_path: Path) -> None:
    n, edges = 8, regular_graph(3, 8, seed=1)
    best_cut, _ = brute_force_maxcut(n, edges)
    problem = tmp_path / "problem.json"
    problem.write_text(dumps(BinaryQuadraticModel({}, {e: 1.0 for e in edges}, 0.0, "SPIN", variables=range(n))))
    done = qhpc("run", str(problem), "--backend", "dwave.sa", "--shots", "50", "--seed", "2", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["metadata"]["kind"] == "annealing" and doc["metadata"]["route"] == "qhpc.bqm"
    assert doc["metadata"]["samples"][0]["energy"] == len(edges) - 2 * best_cut
    table = qhpc("run", str(problem), "--backend", "dwave.exact", "--shots", "10", "--seed", "2")
    assert table.returncode == 0, table.stderr
    assert "samples, lowest energy first" in table.stdout and f"{len(edges) - 2 * best_cut}" in table.stdout


def test_standard_input_and_convert_take_annealing_problems(tmp_path: Path) -> None:
    n, edges = 8, regular_graph(3, 8, seed=4)
    best_cut, _ = brute_force_maxcut(n, edges)
    text = dumps(BinaryQuadraticModel({}, {e: 1.0 for e in edges}, 0.0, "SPIN", variables=range(n)))
    env = {k: v for k, v in os.environ.items() if k != "QHPC_DEBUG"}
    done = subprocess.run([sys.executable, "-m", "qhpc", "run", "-", "--backend", "dwave.exact", "--shots", "5",
                           "--seed", "1", "--json"], input=text, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr  # an SDK's import-time internals are not the user's news
    assert json.loads(done.stdout)["metadata"]["samples"][0]["energy"] == len(edges) - 2 * best_cut
    problem = tmp_path / "problem.json"
    problem.write_text(text)
    same = qhpc("convert", str(problem), "--to", "qhpc.bqm")
    assert same.returncode == 0, same.stderr
    back = BinaryQuadraticModel.from_dict(json.loads(same.stdout))
    original = dimod.BinaryQuadraticModel({}, {e: 1.0 for e in edges}, 0.0, "SPIN")
    states = [dict(enumerate(2 * ((k >> i) & 1) - 1 for i in range(n))) for k in range(0, 2**n, 7)]
    assert [back.energy(s) for s in states] == [original.energy(s) for s in states]
    crossing = qhpc("convert", str(problem), "--to", "qasm3")
    assert crossing.returncode == 1 and "Traceback" not in crossing.stderr
    assert crossing.stderr.strip() == ("error: qhpc.bqm holds annealing programs and qasm3 holds gate programs: "
                                       "conversion stays within a kind; an annealing program reaches a gate "
                                       "backend only through a compiler when it runs")


def test_number_labels_written_two_ways_in_json_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "labels.json"
    bad.write_text('{"format": "qhpc.bqm", "version": 1, "vartype": "BINARY", "linear": {"0": -1, "1": -1},'
                   ' "quadratic": [[0, 1, 2]]}')
    done = qhpc("run", str(bad), "--backend", "dwave.exact")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "quadratic term 0 names variable 0 but field 'linear' names '0'" in done.stderr


def test_a_malformed_problem_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "variables": ["a", "b"],\n'
                   ' "linear": [0, 0], "quadratic": [["a", "z", 1.0]]}')
    done = qhpc("run", str(bad), "--backend", "dwave.sa")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0] == f"error: {bad}: quadratic term ('a', 'z') names 'z', which is not a declared variable"


@pytest.mark.slow
def test_the_maxcut_example_finds_the_maximum_cut() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "maxcut.py"), "--nodes", "10", "--seed", "3"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    best_cut, _ = brute_force_maxcut(10, regular_graph(3, 10, seed=3))
    cuts = [int(c) for c in re.findall(r"cut\s+(\d+)", done.stdout)]
    assert len(cuts) == 4 and set(cuts) == {best_cut}, done.stdout  # exact, sa, tabu and QAOA
    energies = [float(e) for e in re.findall(r"best energy\s+(-?[\d.]+)", done.stdout)]
    assert energies and set(energies) == {15 - 2 * best_cut}


def test_a_noise_model_the_compiled_circuit_cannot_take_is_refused_before_the_run(integrator) -> None:  # type: ignore[no-untyped-def]
    """An annealing problem compiled to a gate emulator (QAOA) under a noise model: the job was
    accepted and failed at run time, on a backend that applies noise (no duration for h) and on one
    that applies none (a TypeError inside the backend)."""
    from qhpc.errors import JobRejectedError
    from qhpc.noise import NoiseModel

    timed = NoiseModel.from_dict({"format": "qhpc.noise", "version": 1,
                                  "durations": [{"gate": "cx", "qubits": None, "seconds": 3e-7}],
                                  "relaxation": {"0": {"t1": 1e-4, "t2": 1e-4}, "1": {"t1": 1e-4, "t2": 1e-4}}})
    bqm = dimod.BinaryQuadraticModel({0: -1, 1: -1}, {(0, 1): 2}, 0, "BINARY")
    with pytest.raises(JobRejectedError, match=r"noise model cannot be applied on aer.density_matrix: .*no duration for"):
        integrator.submit(bqm, backend="aer.density_matrix", shots=50, seed=1, noise=timed)
    with pytest.raises(JobRejectedError, match=r"myqlm.pylinalg cannot apply a noise model"):
        integrator.submit(bqm, backend="myqlm.pylinalg", shots=50, seed=1, noise=timed)
    # and a variable the problem does not have is refused, as a gate circuit's unknown parameter is
    with pytest.raises(JobRejectedError, match=r"variable\(s\) nope are not in the program"):
        integrator.submit(bqm, backend="dwave.exact", shots=5, parameters={"nope": 1.0})
