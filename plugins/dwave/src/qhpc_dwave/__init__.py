"""qhpc plugin for the annealing paradigm: dimod, myQLM and Qiskit problems, dwave-samplers backends,
and :class:`QhpcSampler`, a ``dimod.Sampler`` on any qhpc backend.

Importing ``qhpc_dwave`` imports none of dimod, dwave-samplers, myQLM or Qiskit;
``qhpc_dwave.QhpcSampler`` imports dimod on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["QhpcSampler", "from_dimod", "to_dimod"]


def __getattr__(name: str) -> Any:
    if name == "QhpcSampler":
        from .sampler import QhpcSampler

        return QhpcSampler
    if name in ("from_dimod", "to_dimod"):
        from . import translate

        return getattr(translate, name)
    raise AttributeError(f"module 'qhpc_dwave' has no attribute {name!r}")
