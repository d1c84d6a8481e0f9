"""``[scheduler.slurm]`` settings: checked key by key, through the site configuration as a centre
writes it; and the resources a job asks Slurm for. No cluster needed."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
from qhpc import Integrator
from qhpc.config import Settings, load_settings
from qhpc.errors import ConfigError
from qhpc_slurm import Resources, SlurmScheduler, SlurmSettings
from qhpc_slurm.resources import derive


def scheduler_from(options: dict[str, Any]) -> SlurmScheduler:
    return SlurmScheduler.from_settings(options)


def test_the_integrator_refuses_a_bad_slurm_table_naming_the_key() -> None:
    integrator = Integrator(settings=Settings.from_mapping({"scheduler": {"name": "slurm", "slurm": {"queue": "q"}}}))
    with pytest.raises(ConfigError, match=r"scheduler\.slurm: unknown setting 'queue' \(known: partition, account"):
        integrator.scheduler  # noqa: B018 - created on first use
    integrator.close()


def test_a_site_file_configures_the_slurm_scheduler(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(f'''
[scheduler]
name = "slurm"

[scheduler.slurm]
partition = "quantum"
account = "proj42"
qos = "high"
sbatch_options = ["--constraint=skylake"]
work_dir = "{tmp_path}/shared"
command = "/opt/qhpc/bin/python -m qhpc"
poll_interval = 0.5
licenses = {{ "acme.falcon" = "qpu_falcon", "acme.twins" = ["qpu_a", "qpu_b"] }}
backend_options = {{ "ibm.torino" = ["--qpu=ibm_torino"] }}
memory_overhead = 256
max_cpus = 8
time_factor = 5
startup_seconds = 30
requeue = true
result_wait = 10
''')
    with Integrator(settings=load_settings(site)) as integrator:
        scheduler = integrator.scheduler
    assert isinstance(scheduler, SlurmScheduler)
    s = scheduler.settings
    assert (s.partition, s.account, s.qos, s.sbatch_options) == ("quantum", "proj42", "high", ("--constraint=skylake",))
    assert s.work_dir == tmp_path / "shared" and s.command == ("/opt/qhpc/bin/python", "-m", "qhpc")
    assert s.licenses == {"acme.falcon": ("qpu_falcon",), "acme.twins": ("qpu_a", "qpu_b")}
    assert s.backend_options == {"ibm.torino": ("--qpu=ibm_torino",)}
    assert (s.poll_interval, s.memory_overhead, s.max_cpus, s.time_factor, s.startup_seconds, s.requeue,
            s.result_wait) == (0.5, 256, 8, 5.0, 30.0, True, 10.0)


def test_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QHPC_SLURM_DIR", raising=False)
    s = scheduler_from({}).settings
    assert s.work_dir == Path.home() / ".qhpc" / "slurm" and s.command == (sys.executable, "-m", "qhpc")
    assert (s.partition, s.licenses, s.requeue, s.poll_interval) == (None, {}, False, 1.0)
    monkeypatch.setenv("QHPC_SLURM_DIR", str(tmp_path / "jobs"))
    assert scheduler_from({}).settings.work_dir == tmp_path / "jobs"


@pytest.mark.parametrize("options, message", [
    ({"partiton": "q"}, "unknown setting 'partiton'"),
    ({"partiton": "q", "acount": "a"}, "unknown settings 'acount', 'partiton'"),
    ({"partition": "two words"}, "partition must be a partition name"),
    ({"account": 42}, "account must be an account name"),
    ({"sbatch_options": "--exclusive"}, "sbatch_options must be a list of sbatch options"),
    ({"sbatch_options": ["exclusive"]}, "'exclusive' is not an sbatch option"),
    ({"sbatch_options": ["--array=0-3"]}, "is set by qhpc itself"),
    ({"work_dir": ""}, "work_dir must be a directory path"),
    ({"command": []}, "command must name a program"),
    ({"command": "python 'unclosed"}, "cannot split"),
    ({"poll_interval": 0}, "poll_interval must be a number of at least 0.05"),
    ({"poll_interval": True}, "poll_interval must be a number"),
    ({"licenses": {"acme.falcon": "qpu_falcon:1"}}, "'qpu_falcon:1' is not a license name"),
    ({"licenses": ["qpu_falcon"]}, "licenses must be a table: backend = license name"),
    ({"backend_options": {"ibm.torino": "--qpu=ibm_torino"}}, "backend_options.ibm.torino must be a list"),
    ({"memory_overhead": 1.5}, "memory_overhead must be a whole number"),
    ({"max_cpus": 0}, "max_cpus must be a whole number of at least 1"),
    ({"time_factor": 0.5}, "time_factor must be a number of at least 1"),
    ({"requeue": "yes"}, "requeue must be true or false"),
])
def test_bad_settings_are_refused_naming_them(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        scheduler_from(options)


def test_memory_follows_the_qubits_and_the_method() -> None:
    s = SlurmSettings(memory_overhead=512)

    def memory(backend: str, n: int, **kwargs: Any) -> int:
        return derive(backend=backend, kind=kwargs.get("kind", "gate"), size=n, is_qpu=kwargs.get("qpu", False),
                      estimate=None, time_limit=None, settings=s).memory_mb

    assert memory("aer.statevector", 10) == 512 + 1  # 16 KiB, rounded up to a MiB
    assert memory("aer.statevector", 30) == 512 + 16 * 1024  # 16 B x 2^30 = 16 GiB
    assert memory("cirq.simulator", 28) == 512 + 4 * 1024  # an unknown emulator counts as a statevector
    assert memory("aer.density_matrix", 14) == 512 + 4 * 1024  # 16 B x 4^14
    assert memory("aer.stabilizer", 1000) == 512 + 1  # a tableau of (2n)^2 bits
    assert memory("aer.matrix_product_state", 63) == 512 + math.ceil(16 * 63 * 4 * 256**2 / 2**20)
    assert memory("acme.falcon", 27, qpu=True) == 512  # the QPU holds the state
    assert memory("dwave.sa", 500, kind="annealing") == 512


def test_cpus_time_and_licenses() -> None:
    s = SlurmSettings(max_cpus=8, time_factor=10.0, startup_seconds=60.0, licenses={"acme.falcon": ("qpu_falcon",)})

    def derived(backend: str, n: int, estimate: float | None = None, limit: float | None = None) -> Resources:
        return derive(backend=backend, kind="gate", size=n, is_qpu=backend == "acme.falcon", estimate=estimate,
                      time_limit=limit, settings=s)

    assert derived("aer.statevector", 13).cpus == 1 and derived("aer.statevector", 14).cpus == 8
    assert derived("aer.stabilizer", 500).cpus == 1 and derived("acme.falcon", 27).cpus == 1
    assert derived("aer.statevector", 5).time_minutes is None  # no estimate, no limit: the partition's default
    assert derived("aer.statevector", 5, estimate=0.01).time_minutes == 2  # 60 s + 0.1 s, in whole minutes
    assert derived("aer.statevector", 5, estimate=600).time_minutes == 101  # 60 s + 10 x 600 s
    assert derived("aer.statevector", 5, estimate=600, limit=30).time_minutes == 2  # the job's own limit wins
    falcon = derived("acme.falcon", 5, estimate=1)
    assert falcon.licenses == ("qpu_falcon",) and "--licenses=qpu_falcon:1" in falcon.sbatch_options()
    both = Resources.combine([derived("aer.statevector", 20, limit=60), falcon])
    assert (both.memory_mb, both.cpus, both.time_minutes, both.licenses) == (
        512 + 16, 8, 2, ("qpu_falcon",))
    assert Resources.combine([falcon, derived("aer.statevector", 5)]).time_minutes is None
