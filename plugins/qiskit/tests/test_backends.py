"""Aer backends honour what they declare (the conformance kit) and declare Aer's real limits."""

from __future__ import annotations

import pytest
from qhpc.errors import QhpcError
from qhpc.interfaces import CancelToken, statevector_qubit_limit
from qhpc.testing import check_backend
from qhpc_interop import Circuit
from qhpc_interop.gates import CLIFFORD_GATES
from qhpc_qiskit.backends import AerBackend, _memory_bytes, aer_backends

BACKENDS = {b.name: b for b in aer_backends()}


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_conformance(name: str) -> None:
    backend = BACKENDS[name]
    check_backend(backend, full_width=backend.method == "matrix_product_state")


def test_declared_limits_follow_this_machines_memory() -> None:
    memory = _memory_bytes()
    assert BACKENDS["aer.statevector"].capabilities.num_qubits == statevector_qubit_limit(memory)
    assert BACKENDS["aer.density_matrix"].capabilities.num_qubits == statevector_qubit_limit(memory, density=True)
    assert "GiB" in BACKENDS["aer.statevector"].capabilities.limit_note
    if 23 * 2**30 <= memory <= 25 * 2**30:  # the 24 GiB development and CI machines
        assert BACKENDS["aer.statevector"].capabilities.num_qubits == 30


def test_stabilizer_declares_only_clifford_gates() -> None:
    caps = BACKENDS["aer.stabilizer"].capabilities
    assert caps.native_gates is not None and caps.native_gates <= CLIFFORD_GATES
    assert {"h", "s", "cx"} <= caps.native_gates
    assert caps.num_qubits >= 1000


def test_unknown_run_options_are_refused_by_name() -> None:
    backend = AerBackend("statevector")
    c = Circuit(1, 1).h(0).measure(0, 0)
    with pytest.raises(QhpcError, match=r"does not take option.*shot_limit"):
        backend.run(c, shots=10, seed=1, memory=False, options={"shot_limit": 3}, cancel=CancelToken())
    out = backend.run(c, shots=10, seed=1, memory=False, options={"max_parallel_threads": 1}, cancel=CancelToken())
    assert sum(out.counts.values()) == 10


def test_seed_is_reported_and_reproducible() -> None:
    backend = AerBackend("statevector")
    c = Circuit(3, 3).h(0).h(1).h(2).measure([0, 1, 2], [0, 1, 2])
    first = backend.run(c, shots=500, seed=42, memory=True, options={}, cancel=CancelToken())
    second = backend.run(c, shots=500, seed=42, memory=True, options={}, cancel=CancelToken())
    assert first.counts == second.counts and first.memory == second.memory
    assert first.metadata["seed"] == 42
    drawn = backend.run(c, shots=500, seed=None, memory=True, options={}, cancel=CancelToken())
    replay = backend.run(c, shots=500, seed=drawn.metadata["seed"], memory=True, options={}, cancel=CancelToken())
    assert replay.memory == drawn.memory  # the reported seed reproduces an unseeded run


class SwapsSForSdg(AerBackend):
    """A real Aer backend with a defect: it runs sdg wherever it is asked for s."""

    def run(self, circuit, **kwargs):  # type: ignore[no-untyped-def, override]
        from qhpc_interop import Gate, Instruction

        wrong = circuit.copy(instructions=[
            Instruction(Gate("sdg"), i.qubits, i.clbits, i.condition) if i.name == "s" else i for i in circuit
        ])
        return super().run(wrong, **kwargs)


def test_the_kit_catches_a_backend_that_runs_the_wrong_gate() -> None:
    with pytest.raises(AssertionError, match="native gate s:"):
        check_backend(SwapsSForSdg("statevector"), shots=2000)


def test_statevector_and_exact_probabilities_agree_with_qiskits_statevector() -> None:
    """The statevector method's exact extensions, judged by ``qiskit.quantum_info.Statevector`` on the
    same circuit written in Qiskit by hand (global phase included; clbits in another order than
    the qubits, one qubit unmeasured)."""
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Statevector

    backend = BACKENDS["aer.statevector"]
    c = Circuit(3, 2)
    c.global_phase = 0.7
    c.h(0).cx(0, 1).ry(0.4, 2).rz(1.1, 1).cp(0.3, 2, 0)
    qc = QuantumCircuit(3, global_phase=0.7)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.4, 2)
    qc.rz(1.1, 1)
    qc.cp(0.3, 2, 0)
    want = Statevector(qc).data
    assert np.allclose(backend.statevector(c), want, atol=1e-12)
    c.measure([2, 0], [0, 1])
    got = backend.probabilities(c)
    exact: dict[str, float] = {}
    for k, amplitude in enumerate(want):
        key = f"{(k >> 0) & 1}{(k >> 2) & 1}"  # clbit 1 (qubit 0) first, then clbit 0 (qubit 2)
        exact[key] = exact.get(key, 0.0) + abs(amplitude) ** 2
    assert got.keys() == {k for k, p in exact.items() if p > 1e-15}
    assert all(abs(got[k] - exact[k]) < 1e-12 for k in got)
    with pytest.raises(QhpcError, match="gates only"):
        backend.statevector(c)
    with pytest.raises(QhpcError, match="final state"):
        backend.probabilities(Circuit(1, 1).h(0).measure(0, 0).x(0))
    assert not hasattr(BACKENDS["aer.matrix_product_state"], "probabilities")


# -- the kit against deliberately broken backends -------------------------------------------------
# Each defect below is one the kit once let through (every kit circuit measured qubit k into clbit
# k; a noisy backend was checked on four sampled native gates read with H alone, and never on
# memory, reset, mid-circuit measurement or conditionals).


def _rewritten(circuit, change):  # type: ignore[no-untyped-def]
    return circuit.copy(instructions=[change(i) for i in circuit])


def _measures_in_qubit_order(circuit):  # type: ignore[no-untyped-def]
    """The defect: each measured qubit's result goes to the clbit of its rank among the measured
    qubits (qubit q into clbit q on a line), whatever clbit the circuit names."""
    from qhpc_interop import Instruction, Measure

    measured = sorted({i.qubits[0] for i in circuit if isinstance(i.operation, Measure)})
    return _rewritten(circuit, lambda i: Instruction(i.operation, i.qubits, (measured.index(i.qubits[0]),),
                                                     i.condition) if isinstance(i.operation, Measure) else i)


class MeasuresInQubitOrder(AerBackend):
    """A real Aer backend that ignores measurement targets (and so declares terminal measurements only)."""

    @property
    def capabilities(self):  # type: ignore[no-untyped-def, override]
        import dataclasses

        return dataclasses.replace(super().capabilities, supports_mid_circuit_measurement=False)

    def run(self, circuit, **kwargs):  # type: ignore[no-untyped-def, override]
        return super().run(_measures_in_qubit_order(circuit), **kwargs)


class NoisyAer(AerBackend):
    """A noisy emulator that declares its noise model (depolarizing after every gate, readout
    errors) and runs with it: a stand-in for a QPU front-end with phase gates among its natives."""

    NATIVE = frozenset({"h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rz", "x", "cx", "cz"})

    def __init__(self) -> None:
        super().__init__("density_matrix")

    @property
    def capabilities(self):  # type: ignore[no-untyped-def, override]
        import dataclasses

        return dataclasses.replace(super().capabilities, noisy=True, native_gates=self.NATIVE)

    def noise_model(self):  # type: ignore[no-untyped-def]
        from qhpc.noise import Depolarizing, GateNoise, NoiseModel, ReadoutError

        return NoiseModel(
            gate_noise=[GateNoise(g, None, (Depolarizing(0.01 if g in ("cx", "cz") else 0.002),)) for g in self.NATIVE],
            readout={q: ReadoutError(0.02, 0.03) for q in range(8)})

    def run(self, circuit, **kwargs):  # type: ignore[no-untyped-def, override]
        return super().run(circuit, noise=self.noise_model(), **kwargs)


def _device(cls, name: str = "ibm_perth"):  # type: ignore[no-untyped-def]
    from qhpc_qiskit.devices import snapshot_files

    files = snapshot_files()
    if name not in files:
        pytest.skip("qiskit-ibm-runtime's calibration snapshots are not installed")
    return cls(name, *files[name])


def _broken(noisy: str, change=None, *, drop_memory: bool = False):  # type: ignore[no-untyped-def]
    """A real noisy backend (checked against its declared noise model): :class:`NoisyAer`, or a
    device target (idle noise, crosstalk, a coupling map) such as ``"ibm_perth"``, that rewrites each
    circuit it runs with ``change`` or leaves out the memory of each run."""
    from qhpc_qiskit.devices import DeviceTarget

    base = NoisyAer if noisy == "noisy_aer" else DeviceTarget

    class Broken(base):  # type: ignore[misc, valid-type]
        def run(self, circuit, **kwargs):  # type: ignore[no-untyped-def, override]
            out = super().run(circuit if change is None else change(circuit), **kwargs)
            if drop_memory:
                out.memory = None
            return out

    return Broken() if noisy == "noisy_aer" else _device(Broken, noisy)


def _gate_swapped(old: str, new: str):  # type: ignore[no-untyped-def]
    from qhpc_interop import Gate, Instruction

    return lambda c: _rewritten(c, lambda i: Instruction(Gate(new, i.operation.params), i.qubits, i.clbits,
                                                         i.condition) if i.name == old else i)


def _rz_negated(circuit):  # type: ignore[no-untyped-def]
    from qhpc_interop import Gate, Instruction

    return _rewritten(circuit, lambda i: Instruction(Gate("rz", (-i.operation.params[0],)), i.qubits, i.clbits,
                                                     i.condition) if i.name == "rz" else i)


def _cz_off_by_s(circuit):  # type: ignore[no-untyped-def]
    """cz with a phase error: an extra S on its second qubit."""
    from qhpc_interop import Gate, Instruction

    out = circuit.copy(instructions=[])
    for i in circuit:
        out.instructions.append(i)
        if i.name == "cz":
            out.instructions.append(Instruction(Gate("s"), (i.qubits[1],), (), i.condition))
    return out


def _conditions_ignored(circuit):  # type: ignore[no-untyped-def]
    from qhpc_interop import Instruction

    return _rewritten(circuit, lambda i: Instruction(i.operation, i.qubits, i.clbits, None))


def _resets_dropped(circuit):  # type: ignore[no-untyped-def]
    return circuit.copy(instructions=[i for i in circuit if i.name != "reset"])


def _measurements_deferred(circuit):  # type: ignore[no-untyped-def]
    """Every measurement moved to the end of the circuit (a device without mid-circuit readout)."""
    from qhpc_interop import Measure

    return circuit.copy(instructions=[i for i in circuit if not isinstance(i.operation, Measure)]
                        + [i for i in circuit if isinstance(i.operation, Measure)])


def test_the_kit_catches_a_backend_that_ignores_measurement_targets() -> None:
    with pytest.raises(AssertionError, match=r"measurement map \(reversed_clbits: q0->c3, q1->c2"):
        check_backend(MeasuresInQubitOrder("statevector"), shots=1000)


@pytest.mark.parametrize("noisy", ["noisy_aer", "ibm_perth"])
def test_the_kit_catches_a_noisy_backend_that_ignores_measurement_targets(noisy: str) -> None:
    with pytest.raises(AssertionError, match=r"against its declared noise model(.|\n)*measurement map \(sparse_clbits: "
                                             r"q\d+->c4, q\d+->c1, q\d+->c2 of 5 clbits\)"):
        check_backend(_broken(noisy, _measures_in_qubit_order), shots=1000)


@pytest.mark.parametrize(("change", "match"), [
    (_gate_swapped("s", "sdg"), "native gate s "),
    (_gate_swapped("sdg", "s"), "native gate sdg "),
    (_gate_swapped("t", "tdg"), "native gate t "),
    (_gate_swapped("sx", "sxdg"), "native gate (sx|sxdg|cx) "),
    # rz/sx circuits on one qubit with every rz negated are mirror images of the intended ones,
    # with the same readout: the probes of s, t and the two-qubit gates show the defect
    (_rz_negated, "native gate (rz|cx|s|t) "),
    (_cz_off_by_s, "native gate cz "),
])
def test_the_kit_catches_a_noisy_backend_that_runs_a_gate_with_the_wrong_phase(change, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError, match=f"against its declared noise model(.|\n)*{match}"):
        check_backend(_broken("noisy_aer", change), shots=1000)


@pytest.mark.parametrize("noisy", ["noisy_aer", "ibm_perth"])
@pytest.mark.parametrize(("change", "match"), [
    (_conditions_ignored, r"conditional X: counts"),
    (_resets_dropped, r"\n  reset: counts"),
    (_measurements_deferred, r"mid-circuit measurement: counts"),
])
def test_the_kit_checks_reset_mid_circuit_measurement_and_conditionals_of_a_noisy_backend(
        noisy, change, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError, match=f"against its declared noise model(.|\n)*{match}"):
        check_backend(_broken(noisy, change), shots=1000)


@pytest.mark.parametrize("noisy", ["noisy_aer", "ibm_perth"])
def test_the_kit_catches_a_noisy_backend_that_drops_memory(noisy: str) -> None:
    with pytest.raises(AssertionError, match="ghz: memory missing, of the wrong length, or inconsistent with counts"):
        check_backend(_broken(noisy, drop_memory=True), shots=1000)


def test_the_unbroken_backends_pass_the_kit() -> None:
    check_backend(AerBackend("statevector"), shots=1000)
    check_backend(NoisyAer(), shots=1000)
    check_backend(_broken("noisy_aer"), shots=1000)  # the test harness itself changes nothing
    check_backend(_broken("ibm_perth"), shots=1000)


def test_the_kits_native_gate_probes_separate_wrong_phase_variants() -> None:
    """Each declared native gate is read where its wrong-phase variants (s as sdg, t as tdg, rz(a)
    as rz(-a), sx as sxdg, a controlled phase off by S, the gate dropped) give another readout
    distribution, by a clear margin in the probability of some outcome."""
    import numpy as np
    from qhpc.testing.kit import _gate_probe
    from qhpc_interop import Gate, Instruction
    from qhpc_interop.testing import measurement_probabilities

    def farthest(a: dict[str, float], b: dict[str, float]) -> float:
        return max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))

    pairs = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx"}
    for clifford_only in (False, True):
        for name, wrong in pairs.items():
            if clifford_only and name in ("t", "tdg"):
                continue
            probe = _gate_probe(name, clifford_only, 11)
            assert probe.margin >= 0.3, (name, clifford_only, probe.margin)
            separations = []
            for c in probe.circuits([0]):
                swapped = c.copy(instructions=[Instruction(Gate(wrong), i.qubits) if k == len(probe.settings[0][0][0])
                                               else i for k, i in enumerate(c)])
                assert c.instructions[len(probe.settings[0][0][0])].name == name
                separations.append(farthest(measurement_probabilities(c), measurement_probabilities(swapped)))
            assert max(separations) >= 0.3, (name, clifford_only, separations)
    for name in ("rz", "p", "cz", "cp", "cx", "ecr", "rzz"):
        probe = _gate_probe(name, False, 11)
        assert probe.margin >= 0.25, (name, probe.margin)
    for name in ("cz", "cx", "ecr", "s", "sx"):
        assert _gate_probe(name, True, 11).margin >= 0.25, name
    assert np.isfinite(_gate_probe("xx_plus_yy", False, 11).margin)


@pytest.mark.parametrize("guide", ["README.md", "docs/plugins.md"])
def test_the_documented_plugin_example_passes_the_kit(guide: str) -> None:
    """The vendor's example backend (noisy=True, with its noise_model) passes the documented
    check_backend when its device behaves as its model says: here Aer runs each circuit under the
    standard model of a 27-qubit IBM calibration snapshot that has the example's couplings."""
    import collections
    import re
    from pathlib import Path
    from typing import Any

    from qhpc import Backend, BackendCapabilities, RunOutput
    from qhpc.noise import NoiseModel, expand
    from qhpc.noise.schedule import compact
    from qhpc_qiskit.backends import shared_aer
    from qhpc_qiskit.devices import DeviceTarget

    path = Path(__file__).resolve().parents[3] / guide
    device = _device(DeviceTarget, "ibm_algiers")
    text = path.read_text(encoding="utf-8")
    if guide == "README.md":
        text = text[text.index("## Writing a plugin"):]
    code = next(c for c in re.findall(r"```python\n(.*?)```", text, re.S) if "class AcmeQPU" in c)
    assert "def noise_model(self)" in code and "noisy=True" in code
    assert "shots_read = ..." in code

    models: dict[int, NoiseModel] = {}

    def emulate(backend, circuit, shots, seed):  # type: ignore[no-untyped-def]
        if id(backend) not in models:
            models[id(backend)] = backend.noise_model()  # the device follows its model
        model = models[id(backend)]
        noisy, _ = compact(expand(circuit, model))
        return shared_aer("density_matrix").run_noisy(noisy, shots=shots, seed=seed, memory=True).memory

    namespace: dict[str, Any] = {"Backend": Backend, "BackendCapabilities": BackendCapabilities, "RunOutput": RunOutput,
                 "collections": collections, "hookimpl": lambda f: f, "_emulate": emulate,
                 "acme_calibration_snapshot": lambda: device.snapshot}
    exec(code.replace("shots_read = ...", "shots_read = _emulate(self, circuit, shots, seed)"), namespace)
    check_backend(namespace["AcmeQPU"](), shots=1000)
