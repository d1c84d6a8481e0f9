"""Device targets from real calibration snapshots, checked against Qiskit Aer's own device model.

The oracle is Aer's ``NoiseModel.from_backend`` on the same fake backend, run on the same compiled
circuit: the two models are built independently from the same snapshot. (A ``Target`` keeps only
the average readout error, so the comparison uses qhpc's symmetric-readout option, and no idle
noise, which Aer's model does not have.)
"""

from __future__ import annotations

import json

import pytest
from qhpc import Integrator, JobRejectedError
from qhpc.noise import NoiseModel, from_calibration
from qhpc_qiskit.translate import circuit_to_qiskit
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate
from qiskit.quantum_info import hellinger_fidelity

SHOTS = 20_000


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as it:
        yield it


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for k in range(n - 1):
        qc.cx(k, k + 1)
    qc.measure(range(n), range(n))
    return qc


def qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.x(0)
    qc.h(1)
    qc.append(QFTGate(n), range(n))
    qc.measure(range(n), range(n))
    return qc


def test_snapshots_are_listed_as_device_targets_with_their_topology(integrator: Integrator) -> None:
    for name in ("ibm_perth", "ibm_lagos", "ibm_sherbrooke", "ibm_torino"):
        caps = integrator.capabilities(name)
        assert caps.noisy and caps.supports_noise and caps.kind == "emulator"
        assert caps.coupling_map and caps.native_gates and "cx" in caps.native_gates | {"cx", "ecr", "cz"}
    perth = integrator.capabilities("ibm_perth")
    assert perth.num_qubits == 7 and perth.native_gates == frozenset({"cx", "id", "rz", "sx", "x"})
    assert (0, 1) in perth.coupling_map and (0, 2) not in perth.coupling_map


@pytest.mark.slow
@pytest.mark.parametrize("device, fake", [("ibm_perth", "FakePerth"), ("ibm_lagos", "FakeLagosV2"),
                                          ("ibm_sherbrooke", "FakeSherbrooke"), ("ibm_torino", "FakeTorino")])
def test_noisy_emulation_agrees_with_aers_model_of_the_same_device(integrator: Integrator, device: str,
                                                                   fake: str) -> None:
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_ibm_runtime import fake_provider

    aer = AerSimulator(noise_model=AerNoiseModel.from_backend(getattr(fake_provider, fake)()))
    target = integrator.backend(device)
    model = from_calibration(target.snapshot, idle=False, symmetric_readout=True)  # type: ignore[attr-defined]
    for circuit in (ghz(3), ghz(5), qft(4)):
        compiled, _ = integrator.compile(integrator.to_circuit(circuit)[0], target)
        reference = aer.run(circuit_to_qiskit(compiled), shots=SHOTS, seed_simulator=3).result().get_counts()
        ours = integrator.run(compiled, backend=device, shots=SHOTS, seed=5, noise=model).counts
        assert hellinger_fidelity(reference, ours) >= 0.99, (device, circuit.num_qubits)


def test_rewritten_bits_keep_their_order_on_a_timed_device_model(integrator: Integrator) -> None:
    # the device's own model is timed; its schedule let a later measurement into a bit run before
    # an earlier one (or before the condition reading it) whenever its qubit was free sooner:
    # {'1': 1913, '0': 87} where Aer under FakePerth's model gives about {'0': 1920, '1': 80}
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_ibm_runtime import fake_provider

    aer = AerSimulator(noise_model=AerNoiseModel.from_backend(fake_provider.FakePerth()))
    waw = QuantumCircuit(2, 1)
    waw.x(1)
    waw.measure(1, 0)
    waw.measure(0, 0)  # the last write: 0
    war = QuantumCircuit(3, 2)
    war.x(0)
    war.measure(0, 0)
    for _ in range(20):
        war.x(1)
    with war.if_test((war.clbits[0], 1)):
        war.x(1)  # reads c0 = 1: q1 ends in 1
    war.measure(2, 0)
    war.measure(1, 1)
    for circuit, ideal in ((waw, "0"), (war, "10")):
        ours = integrator.run(circuit, backend="ibm_perth", shots=SHOTS, seed=4).counts
        reference = aer.run(circuit, shots=SHOTS, seed_simulator=4).result().get_counts()
        assert max(ours, key=ours.__getitem__) == max(reference, key=reference.__getitem__) == ideal
        assert ours[ideal] > 0.8 * SHOTS


def test_an_operation_a_snapshot_has_no_duration_for_is_refused_before_the_run(integrator: Integrator) -> None:
    # ibmq_valencia's snapshot gives no reset duration: the job was accepted and failed when run
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.reset(0)
    qc.measure(0, 0)
    with pytest.raises(JobRejectedError, match=r"ibmq_valencia cannot run reset: its calibration snapshot gives no "
                                               r"duration for it"):
        integrator.submit(qc, backend="ibmq_valencia", shots=100)
    assert integrator.run(qc, backend="ibm_perth", shots=100, seed=1).counts.get("0", 0) > 80  # (perth has one)


def test_a_job_is_routed_onto_the_device_and_keeps_its_snapshot_and_model(integrator: Integrator) -> None:
    result = integrator.run(ghz(3), backend="ibm_perth", shots=2000, seed=1)
    assert result.metadata["compile"]["compiler"] == "qiskit"
    noise = result.metadata["backend_metadata"]["noise"]
    model = NoiseModel.from_dict(noise["model"])
    assert model.metadata["calibrator"] == "from-calibration" and model.metadata["snapshot"] == "ibm_perth"
    assert noise["snapshot"]["format"] == "qhpc.calibration" and len(noise["snapshot_digest"]) == 64
    assert len(noise["physical_qubits"]) == 3
    json.dumps(result.to_dict())  # everything needed to reproduce the run is plain JSON
    # the noise shows: a noiseless GHZ gives only 000 and 111
    assert set(result.counts) - {"000", "111"}


def test_a_native_program_on_physical_qubits_runs_as_written(integrator: Integrator) -> None:
    text = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[7];\ncreg c[2];\n'
            "rz(pi/2) q[5];\nsx q[5];\nrz(pi/2) q[5];\ncx q[5],q[6];\nmeasure q[5] -> c[0];\nmeasure q[6] -> c[1];\n")
    result = integrator.run(text, backend="ibm_perth", shots=500, seed=2)
    assert result.metadata["compile"]["compiler"] is None  # no re-layout
    assert result.metadata["backend_metadata"]["noise"]["physical_qubits"] == [5, 6]
    assert result.metadata["compile"]["ops"] == {"rz": 2, "sx": 1, "cx": 1, "measure": 2}  # no fusion


def test_auto_never_picks_a_noisy_target_and_a_noiseless_backend_refuses_a_noise_model(integrator: Integrator) -> None:
    assert integrator.run(ghz(3), shots=100, seed=1).backend.startswith(("aer.", "cirq.", "myqlm."))
    model = integrator.backend("ibm_perth").noise_model()
    with pytest.raises(JobRejectedError, match=r"aer\.stabilizer cannot apply a noise model"):
        integrator.submit(ghz(3), backend="aer.stabilizer", noise=model)


def test_every_shipped_snapshot_loads_and_builds_its_model(integrator: Integrator) -> None:
    """Every snapshot loads; every device builds the model of a pair of its qubits (what a job
    uses); a sample builds the model of the whole device, or refuses it by the field it lacks."""
    from qhpc.noise import NoiseModelError
    from qhpc_qiskit.devices import DeviceTarget

    targets = [b for b in integrator.backends.values() if isinstance(b, DeviceTarget)]
    assert len(targets) >= 60  # qiskit-ibm-runtime ships ~70 snapshots
    for target in targets:
        snapshot = target.snapshot
        assert snapshot.num_qubits == len(snapshot.qubits) >= 1
        pair = (0, 1) if snapshot.num_qubits > 1 else (0,)
        model = target.model_for(pair)
        assert model.readout and model.metadata["snapshot"] == target.name
        assert NoiseModel.from_json(model.to_json()) == model
    sample = {"ibm_perth", "ibm_lagos", "ibm_kingston", "ibmq_london", "ibm_fez"}
    for target in (t for t in targets if t.name in sample):
        try:
            model = target.noise_model()
        except NoiseModelError as exc:  # a snapshot with an uncalibrated qubit (ibm_kingston's 146)
            assert f"snapshot {target.name} lacks qubits[" in str(exc)
            continue
        assert NoiseModel.from_json(model.to_json()) == model
        if target.name == "ibmq_london":  # reports no readout lengths: no idle noise, and it says so
            assert not model.relaxation and "no idle noise" in model.metadata["adjustments"][-1]


def test_a_snapshot_that_lacks_a_needed_field_is_refused_by_name() -> None:
    from qhpc.noise import CalibrationSnapshot, GateCalibration, NoiseModelError, QubitCalibration

    snapshot = CalibrationSnapshot("dev", 2, [QubitCalibration(t1=1e-4, t2=8e-5, readout_p01=0.01, readout_p10=0.02,
                                                               readout_length=1e-6),
                                              QubitCalibration(t1=1e-4, readout_p01=0.01, readout_p10=0.02)],
                                   [GateCalibration("cx", (0, 1), 0.01, 3e-7)], ["cx", "rz", "sx"], [(0, 1)])
    with pytest.raises(NoiseModelError, match=r"snapshot dev lacks qubits\[1\]\.t2"):
        from_calibration(snapshot)
    bad_gate = CalibrationSnapshot("dev", 1, [QubitCalibration(1e-4, 8e-5, None, 0.01, 0.02, 1e-6)],
                                   [GateCalibration("sx", (0,), None, 3e-8)], ["sx"], [])
    with pytest.raises(NoiseModelError, match=r"lacks gates\[sx \[0\]\]\.error"):
        from_calibration(bad_gate)
