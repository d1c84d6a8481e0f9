"""``Integrator.submit_batch`` / ``run_batch`` with a scheduler that has no ``submit_batch`` (the
in-process one): each job is placed with its own ``submit``, with the results of single runs. (The
Slurm scheduler's job arrays are tested in test_jobs.py.) No cluster needed."""

from __future__ import annotations

import pytest
from qhpc import Integrator, JobStatus
from qhpc.errors import JobRejectedError
from qhpc_interop import Circuit


def circuit(k: int) -> Circuit:
    return Circuit(2, 2).ry(0.4 * k, 0).cx(0, 1).measure([0, 1], [0, 1])


def test_run_batch_gives_the_results_of_single_runs_in_order() -> None:
    with Integrator() as integrator:
        assert not hasattr(integrator.scheduler, "submit_batch")
        single = [integrator.run(circuit(k), backend="aer.statevector", shots=200, seed=3).counts for k in range(3)]
        batch = integrator.run_batch([circuit(k) for k in range(3)], backend="aer.statevector", shots=200, seed=3,
                                     timeout=120)
    assert [r.counts for r in batch] == single


def test_a_refused_program_fails_the_batch_before_anything_is_queued() -> None:
    with Integrator() as integrator:
        seen: list[str] = []
        integrator.scheduler.submit = lambda *a, **k: seen.append("submitted")  # type: ignore[method-assign]
        with pytest.raises(JobRejectedError) as refused:
            integrator.submit_batch([circuit(0), circuit(1), Circuit(1, 0).h(0)], backend="aer.statevector")
        assert "(program 2 of the batch; nothing of the batch was queued)" in refused.value.__notes__
        assert seen == []
        jobs = list(integrator._jobs.values())
        assert len(jobs) == 2 and all(job.status is JobStatus.FAILED for job in jobs)
        assert all(job.error == "not queued: program 2 of its batch was refused" for job in jobs)
