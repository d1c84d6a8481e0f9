"""The contract every installed plugin keeps, checked with the conformance kit (qhpc.testing).

New plugins are picked up automatically: installing one adds its backends and translators here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from qhpc import MODEL_FORMAT, Integrator
from qhpc.testing import check_backend, check_translator_pair

INTEGRATOR = Integrator()
#: Device targets (one per calibration snapshot, ~70) share one implementation: a sample of
#: them runs the kit (all of them are loaded and modelled in plugins/qiskit/tests/test_devices.py).
DEVICE_SAMPLE = {"ibm_perth", "ibm_sherbrooke", "ibm_torino"}
#: The kit's check_backend is for gate backends; analog, photonic and annealing backends are held
#: to their physics in their plugins' tests.
BACKENDS = sorted(name for name, b in INTEGRATOR.backends.items()
                  if (not name.startswith(("ibm", "alt_", "fake_")) or name in DEVICE_SAMPLE)
                  and str(INTEGRATOR.capabilities(b).paradigm) == "gate")
EDGES = {(t.source, t.target): t for t in INTEGRATOR.translators}
ROUND_TRIPS = sorted(fmt for (src, fmt) in EDGES if src == MODEL_FORMAT and (fmt, MODEL_FORMAT) in EDGES)

#: What a text format cannot express at all (it raises a named error instead of translating).
CANNOT_EXPRESS = {
    "qasm2": {"unitaries": False},  # multi-qubit unitaries (and free parameters: see preserves)
    "qasm3": {"unitaries": False},
}


@pytest.mark.parametrize("name", BACKENDS)
def test_every_backend_honours_its_capabilities(name: str) -> None:
    check_backend(INTEGRATOR.backend(name), shots=1000)


@pytest.mark.parametrize("fmt", ROUND_TRIPS)
def test_every_translator_pair_keeps_what_it_declares(fmt: str) -> None:
    out, back = EDGES[(MODEL_FORMAT, fmt)], EDGES[(fmt, MODEL_FORMAT)]
    declared = out.preserves & back.preserves
    check_translator_pair(
        out.convert, back.convert,
        exact_phase="global_phase" in declared,
        parameters="parameters" in declared,
        conditionals="conditionals" in declared,
        num_random=20,
        **CANNOT_EXPRESS.get(fmt, {}),
    )


def test_there_is_something_to_check() -> None:
    assert {"aer.statevector", "aer.stabilizer"} <= set(BACKENDS)
    assert {"qasm2", "qasm3", "qhpc.json", "qiskit"} <= set(ROUND_TRIPS)


def test_listing_plugins_imports_no_quantum_sdk() -> None:
    """`qhpc plugins` on a login node stays fast: plugins import their SDKs lazily."""
    code = (
        "import sys\nfrom qhpc.plugins import PluginRegistry\nPluginRegistry.discover().describe()\n"
        "print(sorted(m for m in ('qiskit', 'qiskit_aer', 'sympy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
