"""A qhpc noise model on Cirq's density-matrix simulator, checked against Qiskit Aer running the
same model and against analytic values; the pure-state simulators refuse a noise model."""

from __future__ import annotations

import math

import pytest
import qhpc
from qhpc.errors import JobRejectedError, QhpcError
from qhpc.interfaces import CancelToken
from qhpc.noise import (
    CorrelatedReadout,
    Depolarizing,
    GateNoise,
    NoiseModel,
    ReadoutError,
    ThermalRelaxation,
    ZZCoupling,
    from_calibration,
)
from qhpc_cirq.backends import CirqBackend
from qhpc_interop import Circuit, Condition

DM = CirqBackend("density_matrix")


def run(backend, circuit: Circuit, noise: NoiseModel, shots: int, seed: int = 11) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = backend.run(circuit, shots=shots, seed=seed, memory=False, options={}, cancel=CancelToken(), noise=noise)
    return dict(out.counts)


def hellinger(p: dict[str, int], q: dict[str, int]) -> float:
    sp, sq = sum(p.values()), sum(q.values())
    return sum(math.sqrt(p[k] / sp * q.get(k, 0) / sq) for k in p) ** 2


def _device_model() -> tuple[NoiseModel, list[int]]:
    """ibm_perth's from-calibration model on qubits 1, 0, 2, 3 (renumbered 0..3), with ZZ
    crosstalk, a coherent over-rotation and correlated readout added."""
    devices = pytest.importorskip("qhpc_qiskit.devices")
    snapshot = {t.name: t for t in devices.device_targets()}.get("ibm_perth")
    if snapshot is None:
        pytest.skip("qiskit-ibm-runtime's snapshots are not installed")
    physical = [1, 0, 2, 3]
    model = from_calibration(snapshot.snapshot.restricted(physical))
    model.zz = [ZZCoupling((0, 1), 4.0e5), ZZCoupling((0, 2), -2.5e5)]
    model.correlated_readout = [CorrelatedReadout((0, 3), (
        (0.95, 0.04, 0.05, 0.01), (0.02, 0.9, 0.0, 0.05), (0.02, 0.0, 0.9, 0.04), (0.01, 0.06, 0.05, 0.9)))]
    return model, physical


def _ghz(n: int) -> Circuit:
    """GHZ in perth's native gates (h = rz sx rz) on qubits 0..n-1 of the renumbered device."""
    c = Circuit(n, n)
    c.rz(math.pi / 2, 0).sx(0).rz(math.pi / 2, 0)
    for q in range(1, n):
        c.cx(0, q)
    for q in range(n):
        c.measure(q, q)
    return c


@pytest.mark.slow
def test_device_noise_on_cirq_agrees_with_aer_running_the_same_model() -> None:
    """GHZ-4 with gate noise, idle relaxation, ZZ crosstalk, readout and correlated readout; and a
    circuit with a mid-circuit measurement and a conditioned gate (noise under the condition)."""
    aer_backends = pytest.importorskip("qhpc_qiskit.backends")
    aer = aer_backends.AerBackend("density_matrix")
    model, _ = _device_model()
    shots = 20_000
    ghz = _ghz(4)
    cirq_counts, aer_counts = run(DM, ghz, model, shots), run(aer, ghz, model, shots)
    assert hellinger(cirq_counts, aer_counts) >= 0.995
    assert set(cirq_counts) - {"0000", "1111"}  # the noise shows
    feed = Circuit(3, 3)  # qubit 0 is coupled to 1, 2 and 3
    feed.sx(1).sx(1).rz(0.3, 0).sx(0).measure(1, 0)
    feed.append("x", [2], condition=Condition((0,), 1))
    feed.cx(0, 2).measure(0, 1).measure(2, 2)
    # Cirq simulates each shot of a circuit with a mid-circuit measurement on its own: fewer shots
    cirq_counts, aer_counts = run(DM, feed, model, 1000), run(aer, feed, model, 20_000)
    assert hellinger(cirq_counts, aer_counts) >= 0.99


def test_readout_and_depolarizing_reproduce_analytic_probabilities() -> None:
    """x then measure, under depolarizing p after x (``(1-p) rho + p I/2``) and readout (p01, p10):
    P(read 0) = (1 - p/2) p10 + (p/2) (1 - p01), within 4 standard deviations of the sample."""
    p, p01, p10 = 0.09, 0.03, 0.12
    model = NoiseModel(gate_noise=[GateNoise("x", None, (Depolarizing(p, 1),))], readout={0: ReadoutError(p01, p10)})
    c = Circuit(1, 1).x(0).measure(0, 0)
    shots = 50_000
    counts = run(DM, c, model, shots)
    one = 1 - p / 2  # the state is |1> with this probability
    expected = one * p10 + (1 - one) * (1 - p01)
    sd = math.sqrt(expected * (1 - expected) / shots)
    assert abs(counts.get("0", 0) / shots - expected) < 4 * sd
    # T1 decay over a long identity: P(1) = exp(-t/T1) (then no readout error)
    t1, t = 40e-6, 30e-6
    decay = NoiseModel(gate_noise=[GateNoise("id", None, (ThermalRelaxation(t1, t1, t),))])
    c = Circuit(1, 1).x(0).id(0).measure(0, 0)
    counts = run(DM, c, decay, shots)
    expected = math.exp(-t / t1)
    sd = math.sqrt(expected * (1 - expected) / shots)
    assert abs(counts.get("1", 0) / shots - expected) < 4 * sd


def test_the_pure_state_simulators_refuse_a_noise_model() -> None:
    model = NoiseModel(readout={0: ReadoutError(0.1, 0.1)})
    c = Circuit(1, 1).x(0).measure(0, 0)
    with pytest.raises(QhpcError, match=r"cirq\.simulator cannot apply a noise model"):
        run(CirqBackend("simulator"), c, model, 10)
    assert not CirqBackend("simulator").capabilities.supports_noise and DM.capabilities.supports_noise
    with pytest.raises(JobRejectedError, match=r"cirq\.simulator cannot apply a noise model"):
        qhpc.run(c, backend="cirq.simulator", shots=10, noise=model)
    result = qhpc.run(c, backend="cirq.density_matrix", shots=2000, seed=1, noise=model)
    assert 100 < result.counts.get("0", 0) < 300  # 10% readout error applied
