"""The contract every installed plugin keeps, checked with the conformance kit (qhpc.testing).

New plugins are picked up automatically: installing one adds its backends and translators here.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from qhpc import MODEL_FORMAT, Integrator
from qhpc.testing import check_backend, check_kind_backend, check_translator_pair

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
CANNOT_EXPRESS: dict[str, dict[str, bool]] = {}  # (OpenQASM takes matrix gates as their decomposition)


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


# -- backends of the other program kinds: the kinds' contract, against stated distributions -----------


def _rabi_half() -> Any:
    """One atom, a resonant pulse of area pi/2 (Omega = pi rad/us for 500 ns): P(Rydberg) = 1/2."""
    from pulser import Pulse, Register, Sequence
    from pulser.devices import AnalogDevice

    seq = Sequence(Register.from_coordinates([(0, 0)], prefix="q"), AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.add(Pulse.ConstantPulse(500, math.pi, 0.0, 0.0), "ryd")
    seq.measure("ground-rydberg")
    return seq


def _hom() -> Any:
    import perceval as pcvl

    experiment = pcvl.Experiment(pcvl.BS())
    experiment.with_input(pcvl.BasicState([1, 1]))
    return experiment


def _frustrated_triangle() -> Any:
    import dimod

    return dimod.BinaryQuadraticModel({}, {(0, 1): 1.0, (1, 2): 1.0, (0, 2): 1.0}, 0.0, "SPIN")


def _chain(n: int) -> Any:
    import dimod

    return dimod.BinaryQuadraticModel({}, {(i, i + 1): 1.0 for i in range(n - 1)}, 0.0, "SPIN")


@pytest.mark.parametrize("name, case, expected, too_big", [
    ("pulser.analog", _rabi_half, {"0": 0.5, "1": 0.5}, None),
    ("perceval.slos", _hom, {"|2,0>": 0.5, "|0,2>": 0.5}, None),
    ("dwave.exact", _frustrated_triangle, {b: 1 / 6 for b in ("001", "010", "011", "100", "101", "110")},
     lambda: _chain(60)),
])
def test_backends_of_other_kinds_honour_the_kind_contract(name: str, case: Any, expected: dict[str, float],
                                                          too_big: Any) -> None:
    check_kind_backend(INTEGRATOR.backend(name), [(case(), expected)], integrator=INTEGRATOR,
                       too_big=too_big() if too_big else None, shots=1000)


def test_the_kind_check_fails_a_backend_whose_counts_break_the_stated_distribution() -> None:
    """The same check, told the triangle's ground states are only 001 and 110 (they are six): it fails."""
    with pytest.raises(AssertionError, match=r"outcomes of probability 0 observed"):
        check_kind_backend(INTEGRATOR.backend("dwave.exact"), [(_frustrated_triangle(), {"001": 0.5, "110": 0.5})],
                           integrator=INTEGRATOR, shots=500)
