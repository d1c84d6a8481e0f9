"""qhpc.testing: the conformance kit every plugin calls from its own tests.

In the style of ``cirq.testing``: a vendor's test suite imports these and runs them against its
translators, backends and compilers. Each check compares with an independent oracle (the model's
numpy unitary, an analytic readout distribution, or the SDK's own simulator that the plugin passes
in), never with the plugin's own output.

* :func:`check_translator_pair` - a translator pair preserves the unitary (exactly, or up to global
  phase where the format cannot hold one), the measurement-to-bit mapping and parameters.
* :func:`check_backend` - a backend honours what its capabilities declare (qubit count, native
  gates, shots, memory, conditionals, reset, bit order, seeds).
* :func:`check_compiler` - a compiler preserves the operation and fits the target.
* :func:`check_kind_backend` - a backend of another program kind (analog, photonic, annealing)
  honours the kinds' contract: routing without the gate model, exact JSON round trips, the kind's
  readout checks, a stated distribution, seeds, refusal of programs beyond its capabilities.
* :func:`write_plugin_distribution` - a real on-disk plugin distribution, for discovery tests.
"""

from __future__ import annotations

from .distributions import write_plugin_distribution
from .kinds import check_kind_backend
from .kit import (
    STATISTICAL_Z,
    check_backend,
    check_compiler,
    check_translator_pair,
    gate_suite,
    measurement_pairs,
    proportion_ok,
)

__all__ = [
    "STATISTICAL_Z",
    "check_backend",
    "check_compiler",
    "check_kind_backend",
    "check_translator_pair",
    "gate_suite",
    "measurement_pairs",
    "proportion_ok",
    "write_plugin_distribution",
]
