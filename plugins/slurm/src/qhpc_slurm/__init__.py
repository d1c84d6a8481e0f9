"""qhpc-slurm: the ``slurm`` scheduler. Configure it with ``[scheduler] name = "slurm"`` and a
``[scheduler.slurm]`` table (:mod:`qhpc_slurm.settings`); see ``docs/slurm.md``."""

from __future__ import annotations

from .resources import Resources
from .scheduler import SlurmJobError, SlurmScheduler
from .settings import SlurmSettings
from .slurm import SlurmError, SlurmRecord

__all__ = ["Resources", "SlurmError", "SlurmJobError", "SlurmRecord", "SlurmScheduler", "SlurmSettings"]
__version__ = "0.1.0"
