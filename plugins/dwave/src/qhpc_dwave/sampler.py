"""``QhpcSampler``: a ``dimod.Sampler`` that sends problems to any qhpc backend.

D-Wave Ocean code keeps its shape and runs wherever qhpc runs programs: an annealing backend
(``dwave.sa``, ...), or a gate backend through QAOA::

    import dimod
    from qhpc_dwave import QhpcSampler

    bqm = dimod.BinaryQuadraticModel({}, {("a", "b"): 1, ("b", "c"): 1, ("a", "c"): 1}, 0, "SPIN")
    sampleset = QhpcSampler(backend="dwave.sa").sample(bqm, num_reads=100, seed=7)
    sampleset = QhpcSampler(backend="aer.statevector", qaoa_depth=2).sample(bqm, num_reads=1000, seed=7)
    print(sampleset.first.sample, sampleset.first.energy)

The sample set holds each distinct sample once with its ``num_occurrences``, lowest energy first;
energies are dimod's own for the given model. ``sampleset.info`` has the backend, the job id, qhpc's
timings and (with QAOA) the optimised angles. Other keyword arguments of ``sample`` are the
backend's options (a dwave sampler's ``num_sweeps``, say).
"""

from __future__ import annotations

from typing import Any

import dimod
import numpy as np


class QhpcSampler(dimod.Sampler):  # type: ignore[misc]  # dimod is untyped
    """A dimod sampler on the qhpc backend ``backend`` (``auto``: the cheapest annealing emulator).
    With ``qaoa_depth``, the problem is solved with QAOA of that depth on a gate backend."""

    def __init__(self, backend: str = "auto", *, qaoa_depth: int | None = None, integrator: Any = None) -> None:
        self.backend = backend
        self.qaoa_depth = qaoa_depth
        self._integrator = integrator

    @property
    def integrator(self) -> Any:
        if self._integrator is None:
            import qhpc

            self._integrator = qhpc.get_integrator()
        return self._integrator

    @property
    def parameters(self) -> dict[str, list[Any]]:
        return {"num_reads": [], "seed": []}

    @property
    def properties(self) -> dict[str, Any]:
        return {"backend": self.backend, "qaoa_depth": self.qaoa_depth}

    def sample(self, bqm: Any, num_reads: int | None = None, seed: int | None = None, **options: Any) -> Any:
        """Sample ``bqm`` ``num_reads`` times (default 1, as the dwave samplers) on the backend."""
        from qhpc.errors import QhpcError

        reads = 1 if num_reads is None else num_reads
        labels = list(bqm.variables)
        if not labels:
            return dimod.SampleSet.from_samples([], bqm.vartype, energy=[])
        if self.qaoa_depth is not None:
            from qhpc.algorithms import qaoa

            if options:
                raise QhpcError(f"QAOA through QhpcSampler takes no backend options (got {', '.join(sorted(options))})")
            found = qaoa.run(bqm, backend=self.backend, depth=self.qaoa_depth, shots=reads, seed=seed,
                             integrator=self.integrator)
            samples, result = found.samples, found.result
            info = {"qaoa": {"depth": found.depth, "gammas": found.gammas, "betas": found.betas,
                             "expectation": found.expectation, "mode": found.mode, "evaluations": found.evaluations}}
        else:
            result = self.integrator.run(bqm, backend=self.backend, shots=reads, seed=seed, options=options or None)
            samples, info = result.metadata["samples"], {}
        rows = np.array([[row["sample"][v] for v in labels] for row in samples], dtype=np.int8)
        occurrences = [row["occurrences"] for row in samples]
        sampleset = dimod.SampleSet.from_samples_bqm((rows, labels), bqm, num_occurrences=occurrences)
        sampleset.info.update({"backend": result.backend, "job_id": result.job_id, "seed": result.seed,
                               "timings": dict(result.timings), **info})
        return sampleset
