"""Annealing problems on gate backends: the QAOA compiler, its decode, the optimisation loop, the CLI,
and the annealing kind's checks.

Oracles: energies written out by hand and brute force over every assignment; the unitary of the
circuit from qhpc_interop's independent simulator (``circuit_unitary``) against ``exp(-i gamma H)``
and ``exp(-i beta sum X)`` built with numpy; Qiskit's ``Statevector`` of the circuit converted to
Qiskit. Thresholds for QAOA are stated where they are asserted.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from qhpc import BackendCapabilities, Integrator, RunOutput
from qhpc.algorithms import qaoa
from qhpc.errors import JobFailedError, QhpcError
from qhpc.kinds.annealing import AnnealingKind, sample_table
from qhpc_interop import Measure
from qhpc_interop.bqm import BinaryQuadraticModel, dumps
from qhpc_interop.testing import circuit_unitary

# -- problems with brute-force answers ---------------------------------------------------------------

#: 3-regular graphs on 6 and 8 nodes (fixed edge lists)
PRISM = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3), (1, 4), (2, 5)]
CUBE = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]


def maxcut(n: int, edges: list[tuple[int, int]]) -> BinaryQuadraticModel:
    """E = sum over edges of s_u s_v: |E| - 2 cut."""
    return BinaryQuadraticModel({v: 0.0 for v in range(n)}, {e: 1.0 for e in edges}, 0.0, "SPIN", name="maxcut")


def best_cut(n: int, edges: list[tuple[int, int]]) -> int:
    return max(sum(1 for u, v in edges if sides[u] != sides[v]) for sides in itertools.product((0, 1), repeat=n))


def partition(numbers: list[int]) -> BinaryQuadraticModel:
    """E = (sum_i a_i s_i)^2."""
    n = len(numbers)
    return BinaryQuadraticModel({i: 0.0 for i in range(n)},
                                {(i, j): 2.0 * numbers[i] * numbers[j] for i in range(n) for j in range(i + 1, n)},
                                float(sum(a * a for a in numbers)), "SPIN")


def best_partition(numbers: list[int]) -> int:
    total = sum(numbers)
    return min((total - 2 * sum(a for a, s in zip(numbers, sides) if s)) ** 2
               for sides in itertools.product((0, 1), repeat=len(numbers)))


def hand_energy(model: BinaryQuadraticModel, values: dict[object, int]) -> float:
    """The energy from its definition, term by term."""
    return model.offset + sum(b * values[v] for v, b in model.linear.items()) + \
        sum(b * values[u] * values[v] for (u, v), b in model.quadratic.items())


def optimal_share(model: BinaryQuadraticModel, samples: list[dict[str, object]], shots: int) -> float:
    values = model.vartype.values
    lowest = min(hand_energy(model, dict(zip(model.variables, a)))
                 for a in itertools.product(values, repeat=model.num_variables))
    return sum(int(s["occurrences"]) for s in samples if abs(float(s["energy"]) - lowest) < 1e-9) / shots  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as integ:
        yield integ


# -- the compiler -----------------------------------------------------------------------------------


def unitary_without_measurements(circuit) -> np.ndarray:  # type: ignore[no-untyped-def]
    gates = circuit.copy(instructions=[i for i in circuit.instructions if not isinstance(i.operation, Measure)])
    gates.num_clbits, gates.cregs = 0, []
    return circuit_unitary(gates)


def hadamards(n: int) -> np.ndarray:
    h = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
    out = np.array([[1.0]])
    for _ in range(n):
        out = np.kron(out, h)
    return out


MODELS = [
    BinaryQuadraticModel({"a": 0.7, "b": -0.3, "c": 0.2}, {("a", "b"): 1.1, ("b", "c"): -0.4, ("a", "c"): 0.5}, 0.9,
                         "BINARY"),
    BinaryQuadraticModel({0: 1.5, 1: 0.0, 2: -0.5}, {(0, 1): -2.0, (1, 2): 0.25}, -1.0, "SPIN"),
]


@pytest.mark.parametrize("model", MODELS)
def test_a_cost_layer_is_exactly_exp_of_the_energy(model: BinaryQuadraticModel) -> None:
    gamma = 0.83
    circuit = qaoa.qaoa_circuit(model, 1, [gamma], [0.0])
    scale = circuit.metadata["qaoa"]["scale"]
    n = model.num_variables
    # the energy of basis state |k> (qubit i = bit i of k; bit 1 is 1, or +1 for SPIN), by hand
    low, high = model.vartype.values
    energies = [hand_energy(model, {v: high if (k >> i) & 1 else low for i, v in enumerate(model.variables)})
                for k in range(2**n)]
    expected = np.diag(np.exp(-1j * gamma * np.array(energies) / scale)) @ hadamards(n)
    assert np.allclose(unitary_without_measurements(circuit), expected, atol=1e-12)


def test_the_scale_is_the_largest_ising_bias() -> None:
    # BINARY a x0 + b x0 x1 -> SPIN h0 = a/2 + b/4, h1 = b/4, J = b/4: with a = 0.5, b = -2: h = (-0.25, -0.5), J = -0.5
    model = BinaryQuadraticModel({0: 0.5, 1: 0.0}, {(0, 1): -2.0}, 0.0, "BINARY")
    assert qaoa.qaoa_circuit(model, 1, [0.1], [0.1]).metadata["qaoa"]["scale"] == 0.5


def test_a_mixer_layer_is_exactly_exp_of_minus_i_beta_sum_x() -> None:
    model = MODELS[1]
    beta = -0.61
    x = np.array([[0, 1], [1, 0]])
    total = sum(np.kron(np.kron(np.eye(2**(2 - q)), x), np.eye(2**q)) for q in range(3))
    w, v = np.linalg.eigh(total)
    mixer = v @ np.diag(np.exp(-1j * beta * w)) @ v.conj().T
    circuit = qaoa.qaoa_circuit(model, 1, [0.0], [beta])
    assert np.allclose(unitary_without_measurements(circuit), mixer @ hadamards(3), atol=1e-12)


@pytest.mark.parametrize("model", MODELS)
def test_the_exact_qaoa_state_matches_qiskit(model: BinaryQuadraticModel, integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit.quantum_info import Statevector

    gammas, betas = [0.4, -1.3], [0.6, 0.25]
    circuit = qaoa.qaoa_circuit(model, 2, gammas, betas)
    qc, _ = integrator.convert(circuit, "qiskit")
    qc.remove_final_measurements()
    theirs = Statevector(qc).probabilities()  # little-endian: qubit 0 is bit 0 of the index
    assert np.allclose(qaoa.qaoa_probabilities(model, gammas, betas), theirs, atol=1e-12)


def test_symbolic_angles_are_parameters() -> None:
    circuit = qaoa.QAOACompiler().compile(MODELS[0], BackendCapabilities(num_qubits=3),
                                          options={"depth": 2, "symbolic": True})
    assert sorted(p.name for p in circuit.parameters) == ["beta_0", "beta_1", "gamma_0", "gamma_1"]
    bound = circuit.bind({"gamma_0": 0.4, "gamma_1": -1.3, "beta_0": 0.6, "beta_1": 0.25})
    assert np.allclose(unitary_without_measurements(bound),
                       unitary_without_measurements(qaoa.qaoa_circuit(MODELS[0], 2, [0.4, -1.3], [0.6, 0.25])))


def test_the_compiler_fits_the_target_or_says_why() -> None:
    compiler = qaoa.QAOACompiler()
    triangle = maxcut(3, [(0, 1), (1, 2), (0, 2)])
    line = BackendCapabilities(num_qubits=3, coupling_map=((0, 1), (1, 0), (1, 2), (2, 1)))
    why = compiler.can_compile(triangle, line)
    assert why is not None and "does not connect qubits 0 and 2" in why
    assert "needs 3 qubits" in (compiler.can_compile(triangle, BackendCapabilities(num_qubits=2)) or "")
    ibm = BackendCapabilities(num_qubits=3, native_gates=frozenset({"rz", "sx", "x", "cx"}))
    assert compiler.can_compile(triangle, ibm) is None
    compiled = compiler.compile(triangle, ibm, options={"depth": 1, "gammas": [0.3], "betas": [0.2]})
    assert compiled.gate_names() <= {"rz", "sx", "x", "cx", "measure"}
    reference = qaoa.qaoa_circuit(triangle, 1, [0.3], [0.2])
    u, v = unitary_without_measurements(compiled), unitary_without_measurements(reference)
    assert np.allclose(u, v, atol=1e-9)  # decompose is exact, global phase included
    assert "takes annealing problems" in (compiler.can_compile(reference, ibm) or "")


def test_decode_gives_samples_with_their_energies_lowest_first() -> None:
    model = BinaryQuadraticModel({"a": 1.0, "b": -2.0}, {("a", "b"): 3.0}, 0.5, "BINARY")
    circuit = qaoa.qaoa_circuit(model, 1, [0.1], [0.2])
    # E(a, b) = 0.5 + a - 2b + 3ab; "10" is a=0, b=1 (variable 0 rightmost): -1.5; "11": 2.5; "01": 1.5
    decoded = qaoa.QAOACompiler().decode(RunOutput(counts={"11": 5, "10": 3, "01": 2}), model, circuit)
    assert decoded.counts == {"11": 5, "10": 3, "01": 2}
    assert list(decoded.metadata["energies"].items()) == [("10", -1.5), ("01", 1.5), ("11", 2.5)]
    table = sample_table(model, decoded.counts)
    assert [(row["sample"], row["energy"], row["occurrences"]) for row in table] == [
        ({"a": 0, "b": 1}, -1.5, 3), ({"a": 1, "b": 0}, 1.5, 2), ({"a": 1, "b": 1}, 2.5, 5)]


# -- running on gate backends -------------------------------------------------------------------------


def test_a_problem_sent_to_a_gate_backend_runs_the_ramp(integrator) -> None:  # type: ignore[no-untyped-def]
    """Without angles, the linear ramp of depth 3. Stated bound: on the prism graph the optimal cuts
    are sampled more than 3 times as often as uniformly (measured: 0.25 against 2/64)."""
    model = maxcut(6, PRISM)
    result = integrator.run(model, backend="aer.statevector", shots=4000, seed=11)
    assert result.metadata["kind"] == "annealing" and result.metadata["compile"]["compiler"] == "qaoa"
    assert result.metadata["backend_metadata"]["qaoa"]["angles"] == "ramp"
    samples = result.metadata["samples"]
    assert samples[0]["energy"] == len(PRISM) - 2 * best_cut(6, PRISM)
    for row in samples:
        assert row["energy"] == hand_energy(model, row["sample"])
    uniform = sum(1 for s in itertools.product((0, 1), repeat=6)
                  if sum(s[u] != s[v] for u, v in PRISM) == best_cut(6, PRISM)) / 64
    assert optimal_share(model, samples, 4000) > 3 * uniform


@pytest.mark.parametrize("n, edges", [(6, PRISM), (8, CUBE)])
def test_qaoa_depth_2_finds_the_max_cut(integrator, n: int, edges: list[tuple[int, int]]) -> None:  # type: ignore[no-untyped-def]
    """Stated bound: at depth 2 the most frequent sample is a maximum cut and maximum cuts make up at
    least 25% of the shots (measured: 78% on the prism, 40%+ on the cube)."""
    model = maxcut(n, edges)
    found = qaoa.run(model, backend="aer.statevector", depth=2, shots=2000, seed=5, integrator=integrator)
    assert found.mode == "exact" and found.depth == 2 and len(found.gammas) == 2
    optimum = len(edges) - 2 * best_cut(n, edges)
    assert found.best_energy == optimum == hand_energy(model, found.best_sample)
    top = max(found.samples, key=lambda s: s["occurrences"])
    assert top["energy"] == optimum
    assert optimal_share(model, found.samples, 2000) >= 0.25
    assert found.expectation < 0.0 and found.expectation >= optimum  # a mean energy, below the uniform mean 0


def test_qaoa_depth_2_on_number_partitioning(integrator) -> None:  # type: ignore[no-untyped-def]
    """Stated bound: the best partition is sampled at least twice as often as uniformly (measured 2.6x)."""
    numbers = [3, 1, 4, 1, 5, 9]
    model = partition(numbers)
    found = qaoa.run(model, backend="aer.statevector", depth=2, shots=4000, seed=3, integrator=integrator)
    best = best_partition(numbers)
    assert found.best_energy == best
    uniform = sum(1 for s in itertools.product((-1, 1), repeat=6)
                  if sum(a * v for a, v in zip(numbers, s)) ** 2 == best) / 64
    assert optimal_share(model, found.samples, 4000) >= 2 * uniform


def test_shot_estimates_reuse_the_compiled_circuit(integrator) -> None:  # type: ignore[no-untyped-def]
    model = maxcut(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    before = len(integrator._compile_cache)
    found = qaoa.run(model, backend="aer.statevector", depth=1, shots=300, seed=2, expectation="shots",
                     restarts=1, maxiter=15, integrator=integrator)
    assert found.mode == "shots" and found.evaluations >= 5
    assert found.result.metadata["compile"]["cached"] is True  # compiled once, at the first evaluation
    assert len(integrator._compile_cache) - before <= 1
    assert found.best_energy == -4.0  # the square's cut of 4
    again = qaoa.run(model, backend="aer.statevector", depth=1, shots=300, seed=2, expectation="shots",
                     restarts=1, maxiter=15, integrator=integrator)
    assert again.counts == found.counts and again.gammas == found.gammas  # seeded: reproducible


def test_qaoa_refuses_what_it_cannot_do(integrator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QhpcError, match="expectation must be"):
        qaoa.run(MODELS[0], backend="aer.statevector", expectation="approximate", integrator=integrator)
    with pytest.raises(QhpcError, match="depth must be a whole number"):
        qaoa.run(MODELS[0], backend="aer.statevector", depth=0, integrator=integrator)
    with pytest.raises(QhpcError, match="QAOA solves annealing problems"):
        qaoa.run("OPENQASM 2.0;\nqreg q[1];", backend="aer.statevector", integrator=integrator)


# -- the annealing kind's checks ----------------------------------------------------------------------


def test_a_backend_reporting_other_energies_fails_the_job() -> None:
    model = BinaryQuadraticModel({"a": 1.0, "b": -2.0}, {("a", "b"): 3.0}, 0.5, "BINARY")
    kind = AnnealingKind()
    kind.verify(RunOutput(counts={"10": 2}, metadata={"energies": {"10": -1.5}}), model, 2, "good")
    with pytest.raises(JobFailedError, match=r"reported the energy 1.5 for sample 10, but the problem gives -1.5"):
        kind.verify(RunOutput(counts={"10": 2}, metadata={"energies": {"10": 1.5}}), model, 2, "flipped")
    with pytest.raises(JobFailedError, match="not a bitstring over the problem's 2 variables"):
        kind.verify(RunOutput(counts={"100": 2}), model, 2, "wide")
    with pytest.raises(JobFailedError, match="returned 3 samples for 2 shots"):
        kind.verify(RunOutput(counts={"10": 3}), model, 2, "extra")
    with pytest.raises(JobFailedError, match="memory does not match"):
        kind.verify(RunOutput(counts={"10": 2}, memory=["10", "01"]), model, 2, "memory")


def test_the_sample_set_is_in_the_results_metadata(integrator) -> None:  # type: ignore[no-untyped-def]
    model = BinaryQuadraticModel({"x": -1.0, "y": 0.5}, {("x", "y"): 2.0}, 0.0, "BINARY")
    result = integrator.run(model, backend="aer.statevector", shots=500, seed=3)
    samples = result.metadata["samples"]
    assert result.metadata["variables"] == ["x", "y"] and result.metadata["vartype"] == "BINARY"
    assert [s["energy"] for s in samples] == sorted(s["energy"] for s in samples)
    assert samples[0]["sample"] == {"x": 1, "y": 0} and samples[0]["energy"] == -1.0
    assert sum(s["occurrences"] for s in samples) == 500 == sum(result.counts.values())
    assert json.loads(json.dumps(result.to_dict()))  # travels as JSON (qhpc run --json)


# -- files and the command line -----------------------------------------------------------------------


def qhpc(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QHPC_DEBUG"}
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, timeout=300, env=env)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode in (1, 2), (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_a_problem_file_is_recognised_by_its_content(tmp_path: Path, integrator) -> None:  # type: ignore[no-untyped-def]
    from qhpc.programs import load_program
    from qhpc_interop import Circuit, wire

    problem = tmp_path / "problem.json"
    problem.write_text(dumps(maxcut(3, [(0, 1), (1, 2)])))
    program, fmt = load_program(integrator, str(problem))
    assert fmt == "qhpc.bqm" and program == maxcut(3, [(0, 1), (1, 2)])
    circuit = tmp_path / "circuit.json"
    circuit.write_text(wire.dumps(Circuit(1, 1).x(0).measure(0, 0)))
    assert load_program(integrator, str(circuit))[1] == "qhpc.json"
    pretty = tmp_path / "pretty.json"  # the format field need not come first
    pretty.write_text(json.dumps({"vartype": "SPIN", "linear": {"a": 1}, "version": 1, "format": "qhpc.bqm"}, indent=4))
    assert load_program(integrator, str(pretty))[1] == "qhpc.bqm"


@pytest.mark.slow
def test_qaoa_from_the_command_line(tmp_path: Path) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(dumps(maxcut(6, PRISM)))
    done = qhpc("run", str(problem), "--backend", "aer.statevector", "--qaoa-depth", "2", "--seed", "4")
    assert done.returncode == 0, done.stderr
    optimum = len(PRISM) - 2 * best_cut(6, PRISM)
    assert "best sample:" in done.stdout and f"energy: {optimum}" in done.stdout
    assert "samples, lowest energy first" in done.stdout
    doc = json.loads(qhpc("run", str(problem), "--backend", "aer.statevector", "--qaoa-depth", "1", "--seed", "4",
                          "--json").stdout)
    assert doc["best"]["energy"] == optimum and doc["depth"] == 1 and doc["expectation_mode"] == "exact"
    assert hand_energy(maxcut(6, PRISM), {int(k): v for k, v in doc["best"]["sample"].items()}) == optimum


def test_malformed_problems_and_misuse_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "quadratic": [["a", "a", 1.0]]}')
    assert_one_line_error(qhpc("run", str(bad)), f"{bad}: self-loop ('a', 'a')")
    nan = tmp_path / "nan.json"
    nan.write_text('{"format": "qhpc.bqm", "version": 1, "vartype": "BINARY", "linear": {"a": "heavy"}}')
    assert_one_line_error(qhpc("run", str(nan), "--backend", "aer.statevector", "--qaoa-depth", "1"),
                          "linear bias of 'a' must be a finite number, not 'heavy'")
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q -> c;\n')
    assert_one_line_error(qhpc("run", str(circuit), "--qaoa-depth", "2"), "--qaoa-depth solves annealing problems")
    good = tmp_path / "good.json"
    good.write_text(dumps(maxcut(3, [(0, 1)])))
    assert_one_line_error(qhpc("run", str(good), "--qaoa-depth", "2", "-p", "x=1"), "does not take --param")
