"""A VQE as ONE Slurm allocation on the real cluster (``qhpc vqe ... --scheduler slurm``): the
optimiser and every backend call run inside one Slurm job, which holds the backend's license for
the whole loop; its progress reaches the submitting terminal while it runs. The energy is checked
against exact diagonalisation by Qiskit's ``SparsePauliOp`` (not qhpc's estimator), the single job
against Slurm's own ``squeue --json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from qhpc.algorithms import molecules
from qhpc.cli import cli, main
from qhpc.errors import JobFailedError
from qhpc_slurm import SlurmScheduler, SlurmSettings

from .conftest import Cluster

pytestmark = pytest.mark.slow

CHEMICAL_ACCURACY = 1.6e-3


def exact_ground_energy(name: str) -> float:
    from qiskit.quantum_info import SparsePauliOp

    terms = molecules.load(name).hamiltonian.terms
    matrix = SparsePauliOp([label for label, _ in terms], [coeff for _, coeff in terms]).to_matrix()
    return float(np.linalg.eigvalsh(matrix)[0])


def test_qhpc_vqe_runs_as_one_slurm_allocation(slurm_cluster: Cluster, test_backends: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    site = tmp_path / "site.toml"
    # the site licenses the backend (as it would a QPU): the allocation must hold qpu_test for the whole loop
    site.write_text(f'[scheduler.slurm]\nwork_dir = "{work}"\npoll_interval = 0.2\n'
                    '[scheduler.slurm.licenses]\n"aer.statevector" = "qpu_test"\n')
    monkeypatch.setenv("QHPC_CONFIG", str(site))  # read here and, through sbatch's --export=ALL, in the job
    before = set(slurm_cluster.jobs())
    result = CliRunner().invoke(cli, ["vqe", "h2_2q", "--backend", "aer.statevector", "--scheduler", "slurm",
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert abs(doc["energy"] - exact_ground_energy("h2_2q")) < CHEMICAL_ACCURACY
    assert doc["evaluations"] > 10 and doc["backend_calls"] > 1  # a loop of many backend calls...
    new = {name: job for name, job in slurm_cluster.jobs().items() if name not in before}
    (name, job), = new.items()  # ...in one Slurm job, which reported its own id from inside
    assert doc["slurm_job"] == name
    assert (job["job_state"], job["exit_code"], job["licenses"], job["name"]) == (
        "COMPLETED", 0, "qpu_test:1", "qhpc-vqe")
    assert "iteration 1: energy" in result.stderr  # the job's progress, forwarded while it ran
    line, = (json.loads(text) for text in (work / "accounting.jsonl").read_text().splitlines())
    assert (line["slurm_job"], line["status"], line["allocation"], line["licenses"]) == (
        name, "DONE", "vqe", ["qpu_test"])
    assert line["qpu_seconds"] == pytest.approx(doc["backend_seconds"]) and line["qpu_seconds"] > 0
    assert sorted(p.name for p in work.iterdir()) == ["accounting.jsonl"]  # nothing else left behind


def test_an_allocation_whose_command_fails_fails_with_its_last_words(slurm_cluster: Cluster, tmp_path: Path) -> None:
    # a command that reports progress, then fails as qhpc's CLI does (one line on stderr, exit status 1)
    script = "echo 'iteration 1: energy -1.0 Ha' >&2; echo \"error: $1: no such noise model file\" >&2; exit 1"
    settings = SlurmSettings(work_dir=tmp_path / "work", poll_interval=0.2, command=("/bin/sh", "-c", script, "sh"))
    progress: list[str] = []
    with pytest.raises(JobFailedError) as error:
        SlurmScheduler(settings).run_allocation(["model.json"], backend="aer.statevector", size=2, label="vqe",
                                                on_progress=progress.append)
    message = str(error.value)
    name = message.split()[2].rstrip(":")
    assert message == f"Slurm job {name}: model.json: no such noise model file"
    seen = slurm_cluster.jobs()[name]
    assert (seen["job_state"], seen["exit_code"] >> 8, seen["name"]) == ("FAILED", 1, "qhpc-vqe")
    assert progress == ["iteration 1: energy -1.0 Ha", "error: model.json: no such noise model file"]
    kept = sorted(p.suffix for p in (tmp_path / "work").iterdir())
    assert kept == [".err", ".jsonl", ".out", ".sh"]  # kept for diagnosis
    line, = (json.loads(text) for text in (tmp_path / "work" / "accounting.jsonl").read_text().splitlines())
    assert (line["slurm_job"], line["status"], line["slurm_state"]) == (name, "FAILED", "FAILED")


def test_a_scheduler_without_allocations_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vqe", "h2_2q", "--scheduler", "inprocess"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: the inprocess scheduler cannot run a hybrid loop as one job (it has no run_allocation); leave "
        "--scheduler out to run it here")
