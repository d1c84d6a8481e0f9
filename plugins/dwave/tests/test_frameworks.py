"""The sign convention across frameworks: dimod, myQLM (qat.opt) and Qiskit's QuadraticProgram.

qhpc minimises. Each framework's problem is checked against that framework's **own** energy
function on every assignment (myQLM's cost observable and its ``to_bqm()``, whose minimum is myQLM's
maximum; Qiskit's ``objective.evaluate``; dimod's ``energies``), and on problems whose optimum is
known by hand or by brute force: a sign slip finds the worst answer instead of the best.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qhpc.errors import TranslationError

from ._oracles import brute_force_maxcut, regular_graph

qat_opt = pytest.importorskip("qat.opt")
qiskit_optimization = pytest.importorskip("qiskit_optimization")


def big_endian_bits(index: int, n: int) -> list[int]:
    """myQLM's state index: qubit 0 is the most significant bit."""
    return [(index >> (n - 1 - q)) & 1 for q in range(n)]


def observable_energies(obs) -> dict[tuple[int, ...], float]:  # type: ignore[no-untyped-def]
    """myQLM's own energies: the diagonal of its cost observable, keyed by the bits of qubits 0..n-1."""
    n = obs.nbqbits
    diagonal = np.real(obs.to_matrix().diagonal())
    return {tuple(big_endian_bits(k, n)): float(diagonal[k]) for k in range(2**n)}


def solve(integrator, problem, backend: str = "dwave.exact"):  # type: ignore[no-untyped-def]
    result = integrator.run(problem, backend=backend, shots=20, seed=1)
    return result.metadata["samples"]


# -- myQLM ------------------------------------------------------------------------------------------


def test_a_myqlm_qubo_minimises_minus_xQx(integrator) -> None:  # type: ignore[no-untyped-def]
    # myQLM: H = -x^T Q x - E_Q = x0 + x1 - 4 x0 x1: by hand, the minimum is x = (1, 1) with H = -2;
    # with dimod's sign (x^T Q x) it would be (1, 0) or (0, 1) with -1.
    qubo = qat_opt.QUBO(np.array([[-1.0, 2.0], [2.0, -1.0]]), offset_q=0.0)
    samples = solve(integrator, qubo)
    assert {s["bitstring"] for s in samples} == {"11"} and samples[0]["energy"] == pytest.approx(-2.0)
    assert samples[0]["sample"] == {0: 1, 1: 1}


@pytest.mark.parametrize("seed", range(4))
def test_myqlm_qubo_energies_are_myqlms_own(integrator, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n = 4
    A = rng.normal(size=(n, n))
    qubo = qat_opt.QUBO((A + A.T) / 2, offset_q=float(rng.normal()))
    model, route = integrator.converter.to_model(qubo)
    assert route.source == "myqlm.opt" and model.variables == tuple(range(n))
    theirs = observable_energies(qubo.get_observable("terms"))
    negated = qubo.to_bqm()  # myQLM's dimod export: its minimum is myQLM's maximum
    offset = float(qubo.get_q_and_offset()[1])
    for bits in itertools.product((0, 1), repeat=n):
        ours = model.energy(list(bits))
        # myQLM's observable is -x^T Q x without the offset E_Q (its constant is 0 whatever E_Q is)
        assert ours == pytest.approx(theirs[bits] - offset, abs=1e-9)
        assert ours == pytest.approx(-negated.energy(dict(enumerate(bits))), abs=1e-9)
    best = min(itertools.product((0, 1), repeat=n), key=lambda b: -negated.energy(dict(enumerate(b))))
    samples = solve(integrator, qubo)
    assert samples[0]["sample"] == dict(enumerate(best))


def test_a_myqlm_ising_minimises_minus_sJs_minus_hs(integrator) -> None:  # type: ignore[no-untyped-def]
    # H = -s^T J s - h^T s - E_I = -2 s0 s1 - 0.5 s0 - 0.3: by hand the minimum is s = (+1, +1), H = -2.8
    ising = qat_opt.Ising(J=np.array([[0.0, 1.0], [1.0, 0.0]]), h=np.array([0.5, 0.0]), offset_i=0.3)
    samples = solve(integrator, ising)
    assert [s["sample"] for s in samples] == [{0: 1, 1: 1}]
    assert samples[0]["energy"] == pytest.approx(-2.8)


@pytest.mark.parametrize("seed", range(4))
def test_myqlm_ising_energies_are_myqlms_own(integrator, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed + 10)
    n = 4
    A = rng.normal(size=(n, n))
    J = (A + A.T) / 2
    np.fill_diagonal(J, 0.0)
    h = rng.normal(size=n)
    ising = qat_opt.Ising(J=J, h=h, offset_i=float(rng.normal()))
    model, _ = integrator.converter.to_model(ising)
    assert str(model.vartype) == "SPIN"
    negated = ising.to_bqm()  # BINARY, x = (s + 1) / 2, energy -H
    for spins in itertools.product((-1, 1), repeat=n):
        s = np.array(spins, dtype=float)
        documented = float(-s @ J @ s - h @ s - ising.get_j_h_and_offset()[2])
        assert model.energy(list(spins)) == pytest.approx(documented, abs=1e-9)
        x = {k: (v + 1) // 2 for k, v in enumerate(spins)}
        assert model.energy(list(spins)) == pytest.approx(-negated.energy(x), abs=1e-9)


def test_a_myqlm_combinatorial_problem_keeps_its_sense(integrator) -> None:  # type: ignore[no-untyped-def]
    """Max-cut as clauses (a XOR b per edge) to maximise: the best sample is a maximum cut."""
    n, edges = 8, regular_graph(3, 8, seed=4)
    best_cut, optima = brute_force_maxcut(n, edges)
    problem = qat_opt.CombinatorialProblem("maxcut", maximization=True)
    variables = problem.new_vars(n)
    for u, v in edges:
        problem.add_clause(variables[u] ^ variables[v])
    model, _ = integrator.converter.to_model(problem)
    assert str(model.vartype) == "BINARY" and model.variables == tuple(range(n))
    theirs = observable_energies(problem.get_observable("terms"))
    for bits in itertools.product((0, 1), repeat=n):
        assert model.energy(list(bits)) == pytest.approx(theirs[bits], abs=1e-9)
    samples = solve(integrator, problem)
    assert samples[0]["energy"] == pytest.approx(-best_cut)
    assert {tuple(s["sample"][k] for k in range(n)) for s in samples} <= set(optima)
    # the same clauses minimised: the best is cutting nothing
    low = qat_opt.CombinatorialProblem("uncut")
    vs = low.new_vars(n)
    for u, v in edges:
        low.add_clause(vs[u] ^ vs[v])
    assert solve(integrator, low)[0]["energy"] == pytest.approx(0.0)


def test_a_cubic_combinatorial_problem_is_refused_by_name(integrator) -> None:  # type: ignore[no-untyped-def]
    problem = qat_opt.CombinatorialProblem()
    a, b, c = problem.new_vars(3)
    problem.add_clause(a & b & c)
    with pytest.raises(TranslationError, match="not quadratic"):
        integrator.converter.to_model(problem)


# -- Qiskit QuadraticProgram ---------------------------------------------------------------------------


def test_a_maximised_quadratic_program_is_negated(integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit_optimization.applications import Maxcut

    n, edges = 8, regular_graph(3, 8, seed=7)
    best_cut, optima = brute_force_maxcut(n, edges)
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    qp = Maxcut(graph).to_quadratic_program()
    assert qp.objective.sense.name == "MAXIMIZE"
    model, route = integrator.converter.to_model(qp)
    assert route.source == "qiskit-optimization"
    for bits in itertools.product((0, 1), repeat=n):
        assert model.energy(list(bits)) == pytest.approx(-qp.objective.evaluate(list(bits)), abs=1e-9)
    samples = solve(integrator, qp)
    x = [samples[0]["sample"][name] for name in (v.name for v in qp.variables)]
    assert qp.objective.evaluate(x) == pytest.approx(best_cut) and tuple(x) in set(optima)


def test_a_minimised_quadratic_program_keeps_its_sign(integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit_optimization import QuadraticProgram

    qp = QuadraticProgram("small")
    for name in ("a", "b", "c"):
        qp.binary_var(name)
    qp.minimize(constant=1.5, linear={"a": 1, "b": -2}, quadratic={("a", "b"): 3, ("b", "b"): 0.5, ("c", "a"): -1})
    model, _ = integrator.converter.to_model(qp)
    assert model.variables == ("a", "b", "c")
    values = {bits: qp.objective.evaluate(list(bits)) for bits in itertools.product((0, 1), repeat=3)}
    for bits, value in values.items():
        assert model.energy(list(bits)) == pytest.approx(value)
    best = min(values, key=values.__getitem__)
    assert solve(integrator, qp)[0]["sample"] == dict(zip("abc", best))


def test_constrained_or_integer_programs_are_refused_with_what_to_do(integrator) -> None:  # type: ignore[no-untyped-def]
    from qiskit_optimization import QuadraticProgram

    qp = QuadraticProgram()
    qp.binary_var("a")
    qp.integer_var(0, 3, "k")
    qp.minimize(linear={"a": 1, "k": 1})
    with pytest.raises(TranslationError, match=r"variable 'k' .* is integer, not binary; .*QuadraticProgramToQubo"):
        integrator.converter.to_model(qp)
    qp = QuadraticProgram()
    qp.binary_var("a")
    qp.binary_var("b")
    qp.minimize(linear={"a": 1})
    qp.linear_constraint({"a": 1, "b": 1}, "==", 1)
    with pytest.raises(TranslationError, match=r"1 constraint\(s\)"):
        integrator.converter.to_model(qp)


# -- dimod ----------------------------------------------------------------------------------------------


def test_dimod_and_qhpc_agree_on_the_minimum(integrator) -> None:  # type: ignore[no-untyped-def]
    import dimod

    # E = x0 + x1 - 4 x0 x1 in dimod's convention: the minimum is (1, 1) with -2, as in qhpc
    bqm = dimod.BinaryQuadraticModel({0: 1.0, 1: 1.0}, {(0, 1): -4.0}, 0.0, "BINARY")
    assert dimod.ExactSolver().sample(bqm).first.energy == -2.0
    samples = solve(integrator, bqm, backend="dwave.sa")
    assert samples[0]["sample"] == {0: 1, 1: 1} and samples[0]["energy"] == pytest.approx(-2.0)


def test_qat_opts_own_problem_classes_and_a_users_subclass_read_as_the_problem_they_are(integrator) -> None:  # type: ignore[no-untyped-def]
    """qat.opt's MaxCut (an Ising) and a user's subclass of QUBO: detected as myqlm.opt, and read as
    the Ising or QUBO they derive from (they were recognised but then refused by class name)."""
    import networkx as nx

    edges = regular_graph(3, 8, seed=4)
    graph = nx.Graph()
    graph.add_nodes_from(range(8))  # myQLM numbers its spins in the graph's node order
    graph.add_edges_from(edges)
    maxcut = qat_opt.MaxCut(graph)
    best_cut, _ = brute_force_maxcut(8, edges)
    samples = solve(integrator, maxcut)
    s = samples[0]["sample"]
    cut = sum(1 for a, b in edges if s[a] != s[b])
    assert cut == best_cut  # the minimum energy of myQLM's MaxCut Ising is a maximum cut

    class MyQUBO(qat_opt.QUBO):
        pass

    qubo = MyQUBO(np.array([[-1.0, 2.0], [2.0, -1.0]]), offset_q=0.0)
    assert integrator.detect_format(qubo) == "myqlm.opt"
    assert {x["bitstring"] for x in solve(integrator, qubo)} == {"11"}  # as the plain QUBO above
