"""The ``[scheduler.slurm]`` settings, every key checked (an unknown key or a bad value is a
:class:`~qhpc.errors.ConfigError` naming it)::

    [scheduler]
    name = "slurm"

    [scheduler.slurm]
    partition = "quantum"                 # sbatch --partition (default: Slurm's default partition)
    account = "proj42"                    # sbatch --account
    qos = "normal"                        # sbatch --qos
    sbatch_options = ["--constraint=skylake"]   # more sbatch options, one argument each
    work_dir = "/shared/qhpc/slurm"       # shared with the compute nodes ($QHPC_SLURM_DIR, ~/.qhpc/slurm)
    command = ["/opt/qhpc/bin/python", "-m", "qhpc"]  # how a node runs qhpc (default: this Python)
    poll_interval = 1.0                   # seconds between two looks at squeue
    licenses = { "acme.falcon" = "qpu_falcon" }        # Slurm licenses a backend's jobs take (:1 each)
    backend_options = { "ibm.torino" = ["--qpu=ibm_torino"] }  # sbatch options for one backend's jobs
    memory_overhead = 512                 # MiB on top of the simulation's state (Python, SDKs)
    max_cpus = 4                          # CPUs for simulations big enough to use threads
    time_factor = 10.0                    # Slurm time limit = startup + time_factor x estimate
    startup_seconds = 60.0                # allowance for the worker to start on a node
    requeue = false                       # let Slurm requeue a job after a node failure or preemption
    result_wait = 30.0                    # seconds to wait for a result file after the job ended
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qhpc.errors import ConfigError

#: The settings and what each holds (shown when a key is unknown).
KEYS = {
    "partition": "a partition name",
    "account": "an account name",
    "qos": "a QOS name",
    "sbatch_options": "a list of sbatch options",
    "work_dir": "a directory shared with the compute nodes",
    "command": "the command that runs qhpc on a node",
    "poll_interval": "seconds between two looks at the queue",
    "licenses": "a table: backend = license name(s)",
    "backend_options": "a table: backend = list of sbatch options",
    "memory_overhead": "MiB added to each job's memory",
    "max_cpus": "CPUs for large simulations",
    "time_factor": "the safety factor on a backend's run-time estimate",
    "startup_seconds": "seconds allowed for the worker to start",
    "requeue": "whether Slurm may requeue a job",
    "result_wait": "seconds to wait for a result file",
}

#: Environment variable naming the default work directory.
WORK_DIR_ENV = "QHPC_SLURM_DIR"


def default_work_dir() -> Path:
    """``$QHPC_SLURM_DIR``, else ``~/.qhpc/slurm`` (the home directory is shared with the nodes at
    most centres)."""
    env = os.environ.get(WORK_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".qhpc" / "slurm"


def default_command() -> tuple[str, ...]:
    """This Python running qhpc: right where the login and compute nodes share the installation."""
    return (sys.executable, "-m", "qhpc")


@dataclass(frozen=True)
class SlurmSettings:
    """The validated ``[scheduler.slurm]`` settings (see the module docstring)."""

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    sbatch_options: tuple[str, ...] = ()
    work_dir: Path = field(default_factory=default_work_dir)
    command: tuple[str, ...] = field(default_factory=default_command)
    poll_interval: float = 1.0
    #: backend name -> Slurm license names its jobs take, one of each
    licenses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: backend name -> extra sbatch options for its jobs (``--qpu=NAME`` under QRMI's SPANK plugin)
    backend_options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    memory_overhead: int = 512
    max_cpus: int = 4
    time_factor: float = 10.0
    startup_seconds: float = 60.0
    requeue: bool = False
    result_wait: float = 30.0

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SlurmSettings:
        """Settings from the ``[scheduler.slurm]`` table; unknown keys and bad values raise."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"scheduler.slurm must be a table, not {type(data).__name__}")
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ConfigError(f"scheduler.slurm: unknown setting{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(map(repr, unknown))} (known: {', '.join(KEYS)})")
        values: dict[str, Any] = {}
        for key in ("partition", "account", "qos"):
            if key in data:
                values[key] = _name(key, data[key])
        if "sbatch_options" in data:
            values["sbatch_options"] = _options("sbatch_options", data["sbatch_options"])
        if "work_dir" in data:
            raw = data["work_dir"]
            if not isinstance(raw, str | os.PathLike) or not str(raw).strip():
                raise ConfigError(f"scheduler.slurm.work_dir must be a directory path, not {raw!r}")
            values["work_dir"] = Path(os.path.expandvars(str(raw))).expanduser()
        if "command" in data:
            values["command"] = _command(data["command"])
        for key, minimum in (("poll_interval", 0.05), ("time_factor", 1.0)):
            if key in data:
                values[key] = _number(key, data[key], minimum=minimum)
        for key in ("startup_seconds", "result_wait"):
            if key in data:
                values[key] = _number(key, data[key], minimum=0.0)
        for key, minimum in (("memory_overhead", 0), ("max_cpus", 1)):
            if key in data:
                values[key] = _whole(key, data[key], minimum=minimum)
        if "requeue" in data:
            if not isinstance(data["requeue"], bool):
                raise ConfigError(f"scheduler.slurm.requeue must be true or false, not {data['requeue']!r}")
            values["requeue"] = data["requeue"]
        if "licenses" in data:
            values["licenses"] = _per_backend("licenses", data["licenses"], _license_names)
        if "backend_options" in data:
            values["backend_options"] = _per_backend("backend_options", data["backend_options"], _options)
        return cls(**values)


def _name(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value) or value.startswith("-"):
        raise ConfigError(f"scheduler.slurm.{key} must be {KEYS[key]} (one word), not {value!r}")
    return value


def _number(key: str, value: Any, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < minimum:
        raise ConfigError(f"scheduler.slurm.{key} must be a number of at least {minimum:g}, not {value!r}")
    return float(value)


def _whole(key: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"scheduler.slurm.{key} must be a whole number of at least {minimum}, not {value!r}")
    return value


def _options(key: str, value: Any) -> tuple[str, ...]:
    """sbatch options: a list of single arguments (``"--constraint=skylake"``)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"scheduler.slurm.{key} must be a list of sbatch options such as "
                          f"[\"--constraint=skylake\"], not {value!r}")
    for option in value:
        if not option.startswith("-") or "\n" in option or "\0" in option:
            raise ConfigError(f"scheduler.slurm.{key}: {option!r} is not an sbatch option (options start "
                              "with '-', one argument each)")
        if option.split("=", 1)[0] in ("--parsable", "--wrap", "--array", "-a"):
            raise ConfigError(f"scheduler.slurm.{key}: {option!r} is set by qhpc itself and cannot be given")
    return tuple(value)


def _command(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            raise ConfigError(f"scheduler.slurm.command: cannot split {value!r}: {exc}") from None
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise ConfigError(f"scheduler.slurm.command must be a command line or a list of words, not {value!r}")
    if not parts or not parts[0]:
        raise ConfigError("scheduler.slurm.command must name a program (e.g. [\"/opt/venv/bin/qhpc\"])")
    return tuple(parts)


def _license_names(key: str, value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"scheduler.slurm.{key} must give each backend a license name or a list of them, "
                          f"not {value!r}")
    for name in names:
        if not name or any(c in name for c in ",: \t\n"):
            raise ConfigError(f"scheduler.slurm.{key}: {name!r} is not a license name (as in slurm.conf "
                              "Licenses=NAME:COUNT, without the count)")
    return tuple(names)


def _per_backend(key: str, value: Any, check: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"scheduler.slurm.{key} must be {KEYS[key]}, not {value!r}")
    out: dict[str, tuple[str, ...]] = {}
    for backend, item in value.items():
        if not isinstance(backend, str) or not backend:
            raise ConfigError(f"scheduler.slurm.{key}: {backend!r} is not a backend name")
        out[backend] = check(f"{key}.{backend}", item)
    return out
