"""The QRMI environment contract, in ``qhpc worker`` itself (no cluster needed): inside a job whose
QPUs QRMI's SPANK plugin allocated, the worker runs only those QPUs (and emulators as usual). The
same contract inside a real Slurm job is tested in test_jobs.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from qhpc import Integrator
from qhpc.interfaces import ExecutionRequest
from qhpc.transport import request_to_dict
from qhpc.worker import run_request_file
from qhpc_interop import Circuit

QPU_VARIABLES = ("QRMI_JOB_QPU_RESOURCES", "QRMI_JOB_QPU_TYPES", "SLURM_JOB_QPU_RESOURCES", "SLURM_JOB_QPU_TYPES")


@pytest.fixture(scope="module")
def integrator(test_backends: Path) -> Iterator[Integrator]:
    with Integrator() as it:
        yield it


@pytest.mark.parametrize("env, backend, allowed", [
    ({}, "slurmtest.otherqpu", True),  # outside a QRMI allocation nothing is restricted
    ({"QRMI_JOB_QPU_RESOURCES": "test_qpu", "QRMI_JOB_QPU_TYPES": "direct-access"}, "slurmtest.qpu", True),
    ({"QRMI_JOB_QPU_RESOURCES": "a_qpu,test_qpu"}, "slurmtest.qpu", True),
    ({"QRMI_JOB_QPU_RESOURCES": "test_qpu"}, "slurmtest.otherqpu", False),
    ({"SLURM_JOB_QPU_RESOURCES": "test_qpu"}, "slurmtest.otherqpu", False),  # the older name
    ({"QRMI_JOB_QPU_RESOURCES": ""}, "slurmtest.qpu", False),  # an allocation of no QPU
    ({"QRMI_JOB_QPU_RESOURCES": "test_qpu"}, "slurmtest.sleeper", True),  # emulators run as usual
])
def test_the_worker_runs_only_the_qpus_of_its_allocation(integrator: Integrator, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                         backend: str, allowed: bool) -> None:
    for name in QPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    request = ExecutionRequest("qrmi1", backend, Circuit(1, 1).x(0).measure(0, 0), 50, 3, False, {"seconds": 0})
    path = tmp_path / "qrmi1.json"
    path.write_text(json.dumps(request_to_dict(request, integrator.kinds)))
    ok, out = run_request_file(path, integrator)
    result = json.loads(out.read_text())
    assert ok is allowed and result["status"] == ("DONE" if allowed else "FAILED")
    if allowed:
        assert result["output"]["metadata"]["backend_seconds"] >= 0
    else:
        assert "may use only the QPUs its Slurm allocation names (QRMI_JOB_QPU_RESOURCES:" in result["error"]
        assert f"not {backend} (QPU resource" in result["error"]


def test_a_session_in_a_qrmi_allocation_drives_only_its_qpus(integrator: Integrator,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The hybrid runtime (a VQE inside one allocation) honours the same contract as the worker."""
    from qhpc.errors import QhpcError
    from qhpc.hybrid import Session

    for name in QPU_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QRMI_JOB_QPU_RESOURCES", "test_qpu")
    ansatz = Circuit(1, 0).ry(0.3, 0)
    Session(ansatz, ["Z"], backend="slurmtest.qpu", integrator=integrator, shots=100)  # its own QPU: fine
    with pytest.raises(QhpcError, match=r"may use only the QPUs its Slurm allocation names \(QRMI_JOB_QPU_RESOURCES: "
                                        r"test_qpu\), not slurmtest.otherqpu"):
        Session(ansatz, ["Z"], backend="slurmtest.otherqpu", integrator=integrator, shots=100)
