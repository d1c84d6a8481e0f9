"""The annealing backends: known optima (brute force), seeds, memory, options, limits, estimates.

Oracles: brute-force optima of max-cut and number partitioning (``_oracles.py``), dimod's own
energy function, and for greedy descent the definition of a local minimum (no single flip helps).
"""

from __future__ import annotations

import numpy as np
import pytest
from qhpc import BackendCapabilities, CancelToken, JobRejectedError
from qhpc.errors import QhpcError
from qhpc_dwave.backends import ExactBackend, annealing_backends, exact_variable_limit, sampler_seed
from qhpc_dwave.translate import from_dimod

from ._oracles import (
    brute_force_maxcut,
    brute_force_partition,
    maxcut_dimod,
    partition_dimod,
    random_numbers,
    regular_graph,
)

ALL = ["dwave.sa", "dwave.sqa", "dwave.tabu", "dwave.steepest", "dwave.exact"]
GLOBAL = ["dwave.sa", "dwave.sqa", "dwave.tabu", "dwave.exact"]  # steepest descent is a local search


def test_every_backend_declares_the_annealing_paradigm(integrator) -> None:  # type: ignore[no-untyped-def]
    assert sorted(b.name for b in annealing_backends()) == sorted(ALL)
    for name in ALL:
        backend = integrator.backend(name)
        caps = integrator.capabilities(backend)
        assert isinstance(caps, BackendCapabilities)
        assert caps.paradigm == "annealing" and caps.kind == backend.kind == "emulator" and not caps.noisy
        assert caps.num_qubits >= 20


@pytest.mark.parametrize("name", GLOBAL)
@pytest.mark.parametrize("seed", [1, 2])
def test_max_cut_optimum_is_found(integrator, name: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    n = 12
    edges = regular_graph(3, n, seed=seed)
    best_cut, optima = brute_force_maxcut(n, edges)
    result = integrator.run(maxcut_dimod(n, edges), backend=name, shots=60, seed=seed)
    samples = result.metadata["samples"]
    assert samples[0]["energy"] == pytest.approx(len(edges) - 2 * best_cut)
    assert tuple((samples[0]["sample"][k] + 1) // 2 for k in range(n)) in set(optima)
    energies = [s["energy"] for s in samples]
    assert energies == sorted(energies)  # lowest first
    assert sum(s["occurrences"] for s in samples) == 60 == sum(result.counts.values())


@pytest.mark.parametrize("name", GLOBAL)
def test_number_partitioning_optimum_is_found(integrator, name: str) -> None:  # type: ignore[no-untyped-def]
    numbers = random_numbers(10, seed=5)
    best = brute_force_partition(numbers)
    samples = integrator.run(partition_dimod(numbers), backend=name, shots=100, seed=3).metadata["samples"]
    assert samples[0]["energy"] == pytest.approx(best)
    s = samples[0]["sample"]
    assert (sum(a * s[i] for i, a in enumerate(numbers))) ** 2 == best


def test_the_exact_solver_returns_only_ground_states(integrator) -> None:  # type: ignore[no-untyped-def]
    n = 10
    edges = regular_graph(3, n, seed=9)
    _best_cut, optima = brute_force_maxcut(n, edges)
    result = integrator.run(maxcut_dimod(n, edges), backend="dwave.exact", shots=500, seed=4, memory=True)
    found = {tuple((s["sample"][k] + 1) // 2 for k in range(n)) for s in result.metadata["samples"]}
    assert found <= set(optima) and len(found) == len(optima)  # 500 reads cover every optimum
    assert result.metadata["backend_metadata"]["degeneracy"] == len(optima)
    assert sorted(result.memory) == sorted(k for k, c in result.counts.items() for _ in range(c))


def test_steepest_descent_returns_local_minima(integrator) -> None:  # type: ignore[no-untyped-def]
    n = 40
    edges = regular_graph(3, n, seed=11)
    bqm = maxcut_dimod(n, edges)
    samples = integrator.run(bqm, backend="dwave.steepest", shots=30, seed=2).metadata["samples"]
    for s in samples:
        energy = bqm.energy(s["sample"])
        assert energy == pytest.approx(s["energy"])
        for v in range(n):
            flipped = dict(s["sample"])
            flipped[v] = -flipped[v]
            assert bqm.energy(flipped) >= energy - 1e-9


@pytest.mark.parametrize("name", ALL)
def test_a_seed_reproduces_the_run_and_energies_are_dimods(integrator, name: str) -> None:  # type: ignore[no-untyped-def]
    n = 14
    bqm = maxcut_dimod(n, regular_graph(3, n, seed=3))
    first = integrator.run(bqm, backend=name, shots=40, seed=123, memory=True)
    again = integrator.run(bqm, backend=name, shots=40, seed=123, memory=True)
    assert first.counts == again.counts and first.memory == again.memory
    for s in first.metadata["samples"]:
        assert s["energy"] == pytest.approx(bqm.energy(s["sample"]))
    drawn = integrator.run(bqm, backend=name, shots=40, memory=True)
    replay = integrator.run(bqm, backend=name, shots=40, seed=drawn.seed, memory=True)
    assert drawn.seed is not None and replay.memory == drawn.memory


def test_different_seeds_give_different_reads(integrator) -> None:  # type: ignore[no-untyped-def]
    bqm = maxcut_dimod(30, regular_graph(3, 30, seed=5))
    a = integrator.run(bqm, backend="dwave.sa", shots=20, seed=1, memory=True, options={"num_sweeps": 5})
    b = integrator.run(bqm, backend="dwave.sa", shots=20, seed=2, memory=True, options={"num_sweeps": 5})
    assert a.memory != b.memory


def test_large_seeds_are_hashed_into_the_samplers_range(integrator) -> None:  # type: ignore[no-untyped-def]
    assert sampler_seed(7) == (7, False) and sampler_seed(2**31 - 1) == (2**31 - 1, False)
    big, drawn = sampler_seed(2**63 - 1)
    assert 0 <= big < 2**31 and not drawn and sampler_seed(2**63 - 1)[0] == big and sampler_seed(2**40)[0] != big
    assert all(0 <= sampler_seed(None)[0] < 2**31 for _ in range(200))
    bqm = maxcut_dimod(8, regular_graph(3, 8, seed=2))
    for name in ALL:  # every sampler takes the largest qhpc seed, twice the same way
        first = integrator.run(bqm, backend=name, shots=5, seed=2**63 - 1, memory=True)
        assert integrator.run(bqm, backend=name, shots=5, seed=2**63 - 1, memory=True).memory == first.memory


def test_sampler_options_are_passed_and_checked(integrator) -> None:  # type: ignore[no-untyped-def]
    n = 60
    bqm = maxcut_dimod(n, regular_graph(3, n, seed=6))
    few = integrator.run(bqm, backend="dwave.sa", shots=50, seed=3, options={"num_sweeps": 2, "beta_range": [0.01, 0.02]})
    many = integrator.run(bqm, backend="dwave.sa", shots=50, seed=3, options={"num_sweeps": 2000})
    mean = [sum(s["energy"] * s["occurrences"] for s in r.metadata["samples"]) / 50 for r in (few, many)]
    assert mean[1] < mean[0] - 10  # a proper anneal against a hot two-sweep one
    with pytest.raises(QhpcError, match=r"dwave.sa does not take option\(s\) colour"):
        integrator.run(bqm, backend="dwave.sa", shots=5, options={"colour": 1})
    with pytest.raises(QhpcError, match=r"num_reads come from shots and seed"):
        integrator.run(bqm, backend="dwave.sa", shots=5, options={"num_reads": 9})


def test_the_exact_solvers_limit_is_its_memory(integrator) -> None:  # type: ignore[no-untyped-def]
    limit = integrator.capabilities(integrator.backend("dwave.exact")).num_qubits
    assert limit == exact_variable_limit()
    # 2^n states of (4n + 48) bytes in half the memory: of 1 GiB, 2^21 states of 132 B (264 MiB) fit in
    # 512 MiB, 2^22 of 136 B (544 MiB) do not
    assert exact_variable_limit(2**30) == 21
    n = limit + 1
    bqm = maxcut_dimod(n, [(k, k + 1) for k in range(n - 1)])
    with pytest.raises(JobRejectedError, match=rf"needs {n} variables but dwave.exact holds at most {limit}"):
        integrator.submit(bqm, backend="dwave.exact", shots=1)


def test_estimates_grow_as_each_algorithm_s_work_does(integrator) -> None:  # type: ignore[no-untyped-def]
    """The estimate drives ``auto`` and the long-job warning. How it compares with measured time
    is a measurement (``python benchmarks/annealing.py --estimates``), not a test: timings on a
    shared machine move by several times. What is checked here is the law each estimate follows,
    known from the algorithms: enumeration doubles with each variable (n even: 3-regular graphs) and does not depend on the
    reads; a sampler's work is proportional to its reads and grows with the problem."""
    def work(name: str, n: int, reads: int) -> float:
        backend = integrator.backend(name)
        model = from_dimod(maxcut_dimod(n, regular_graph(3, n, seed=1)))
        return backend.estimate_seconds(model, reads) - backend.fixed_seconds

    assert work("dwave.exact", 16, 1) == pytest.approx(4 * work("dwave.exact", 14, 1))
    assert work("dwave.exact", 14, 100) == pytest.approx(work("dwave.exact", 14, 1))
    for name in ("dwave.sa", "dwave.steepest"):
        assert work(name, 60, 400) == pytest.approx(2 * work(name, 60, 200))
        assert work(name, 120, 200) > 1.9 * work(name, 60, 200) > 0
    for name in ("dwave.sa", "dwave.steepest", "dwave.exact"):
        backend = integrator.backend(name)
        tiny = from_dimod(maxcut_dimod(4, regular_graph(3, 4, seed=1)))
        assert 0 < backend.estimate_seconds(tiny, 1) < 1  # a toy problem is never estimated as a long job


def test_a_cancelled_job_does_not_start() -> None:
    token = CancelToken()
    token.cancel()
    model = from_dimod(maxcut_dimod(4, [(0, 1), (1, 2)]))
    with pytest.raises(QhpcError, match="cancelled"):
        ExactBackend().run(model, shots=1, seed=1, memory=False, options={}, cancel=token)


def test_an_empty_problem_is_refused_before_it_runs(integrator) -> None:  # type: ignore[no-untyped-def]
    import dimod

    with pytest.raises(JobRejectedError, match="the problem has no variables"):
        integrator.submit(dimod.BinaryQuadraticModel("SPIN"), backend="dwave.sa")


def test_auto_runs_an_annealing_problem_on_an_annealing_emulator(integrator) -> None:  # type: ignore[no-untyped-def]
    result = integrator.run({(0, 0): -1.0, (0, 1): 2.0, (1, 1): -1.0}, shots=10, seed=1)
    assert result.backend in ALL and result.metadata["kind"] == "annealing"
    assert {s["bitstring"] for s in result.metadata["samples"]} <= {"01", "10"}
    assert np.isclose(result.metadata["samples"][0]["energy"], -1.0)


def test_auto_leaves_local_search_out_and_finds_the_ground_state(integrator) -> None:  # type: ignore[no-untyped-def]
    """A 60-spin frustrated-free chain with random couplings (ground energy -sum|J| by gauge
    symmetry): ``auto`` never picks steepest descent or SQA, which declare themselves poor defaults."""
    import dimod

    rng = np.random.default_rng(7)
    couplings = {(i, i + 1): float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)) for i in range(59)}
    problem = dimod.BinaryQuadraticModel({}, couplings, 0.0, "SPIN")
    assert not integrator.capabilities("dwave.steepest").auto_choice
    result = integrator.run(problem, shots=20, seed=3)
    assert result.backend not in {"dwave.steepest", "dwave.sqa"}
    assert np.isclose(result.metadata["samples"][0]["energy"], -sum(abs(j) for j in couplings.values()))
