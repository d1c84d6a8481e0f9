"""The qhpc plugin for Slurm (entry point ``slurm`` in the ``qhpc.plugins`` group): provides the
``slurm`` scheduler. Importing it runs no Slurm command; the scheduler talks to Slurm when it
submits its first job."""

from __future__ import annotations

from qhpc import hookimpl
from qhpc.interfaces import Scheduler

from .scheduler import SlurmScheduler


@hookimpl
def qhpc_schedulers() -> list[type[Scheduler]]:
    return [SlurmScheduler]
