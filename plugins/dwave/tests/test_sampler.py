"""QhpcSampler: Ocean code submits through qhpc and gets a dimod SampleSet back.

Oracles: brute-force optima, and dimod's own sample-set checks (``dimod.testing``).
"""

from __future__ import annotations

import dimod
import pytest
from dimod.testing import assert_sampler_api, assert_sampleset_energies
from qhpc_dwave import QhpcSampler

from ._oracles import brute_force_maxcut, maxcut_dimod, regular_graph


def test_the_sampler_keeps_the_dimod_api(integrator) -> None:  # type: ignore[no-untyped-def]
    sampler = QhpcSampler("dwave.sa", integrator=integrator)
    assert_sampler_api(sampler)
    assert isinstance(sampler, dimod.Sampler) and sampler.properties["backend"] == "dwave.sa"


@pytest.mark.parametrize("backend", ["dwave.sa", "dwave.exact"])
def test_a_sample_set_from_an_annealing_backend(integrator, backend: str) -> None:  # type: ignore[no-untyped-def]
    n = 10
    edges = regular_graph(3, n, seed=2)
    best_cut, optima = brute_force_maxcut(n, edges)
    bqm = maxcut_dimod(n, edges)
    sampleset = QhpcSampler(backend, integrator=integrator).sample(bqm, num_reads=50, seed=5)
    assert_sampleset_energies(sampleset, bqm)
    assert sampleset.vartype is dimod.SPIN and set(sampleset.variables) == set(bqm.variables)
    assert sum(sampleset.record.num_occurrences) == 50
    assert sampleset.first.energy == len(edges) - 2 * best_cut
    assert tuple((sampleset.first.sample[k] + 1) // 2 for k in range(n)) in set(optima)
    assert sampleset.info["backend"] == backend and sampleset.info["job_id"]
    again = QhpcSampler(backend, integrator=integrator).sample(bqm, num_reads=50, seed=5)
    assert (again.record.sample == sampleset.record.sample).all()


def test_sample_qubo_and_ising_come_from_dimods_mixin(integrator) -> None:  # type: ignore[no-untyped-def]
    sampler = QhpcSampler("dwave.exact", integrator=integrator)
    qubo = sampler.sample_qubo({("a", "a"): 1.0, ("b", "b"): 1.0, ("a", "b"): -4.0}, num_reads=4, seed=1)
    assert qubo.first.sample == {"a": 1, "b": 1} and qubo.first.energy == -2.0
    ising = sampler.sample_ising({"x": 0.5}, {("x", "y"): -1.0}, num_reads=4, seed=1)
    assert ising.first.sample == {"x": -1, "y": -1} and ising.first.energy == pytest.approx(-1.5)


def test_options_reach_the_backend(integrator) -> None:  # type: ignore[no-untyped-def]
    from qhpc.errors import QhpcError

    bqm = maxcut_dimod(6, regular_graph(3, 6, seed=1))
    sampleset = QhpcSampler("dwave.sa", integrator=integrator).sample(bqm, num_reads=3, seed=1, num_sweeps=10)
    assert len(sampleset.record) >= 1
    with pytest.raises(QhpcError, match="does not take option"):
        QhpcSampler("dwave.sa", integrator=integrator).sample(bqm, num_reads=3, seed=1, sweeps=10)


def test_qaoa_on_a_gate_backend_returns_a_sample_set(integrator) -> None:  # type: ignore[no-untyped-def]
    n = 6
    edges = regular_graph(3, n, seed=3)
    best_cut, _optima = brute_force_maxcut(n, edges)
    bqm = maxcut_dimod(n, edges)
    sampleset = QhpcSampler("aer.statevector", qaoa_depth=2, integrator=integrator).sample(bqm, num_reads=500, seed=2)
    assert_sampleset_energies(sampleset, bqm)
    assert sampleset.first.energy == len(edges) - 2 * best_cut
    assert sampleset.info["qaoa"]["depth"] == 2 and sampleset.info["backend"] == "aer.statevector"


def test_an_empty_model_gives_an_empty_sample_set(integrator) -> None:  # type: ignore[no-untyped-def]
    sampleset = QhpcSampler("dwave.sa", integrator=integrator).sample(dimod.BinaryQuadraticModel("BINARY"))
    assert len(sampleset) == 0
