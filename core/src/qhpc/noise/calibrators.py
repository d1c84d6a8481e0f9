"""Calibrators: from a device's calibration snapshot (and measured runs) to a noise model.

``from-calibration`` (:func:`from_calibration`) is the standard model: after each native gate,
depolarizing noise plus thermal relaxation over the gate's duration, the depolarizing strength
solved so the combined channel's average gate infidelity equals the reported gate error exactly;
readout confusion per qubit; relaxation of idle qubits over the schedule; and the static ZZ
couplings the device reports, if asked. Values the model needs and the snapshot lacks are refused
by name. Where a snapshot reports ``T2 > 2 T1`` (which no physical qubit has; calibration noise),
T2 is set to ``2 T1``; where relaxation over a gate alone already exceeds its reported error, the
gate keeps relaxation alone (as Qiskit Aer's device model does). Both adjustments are recorded in
the model's metadata (``adjustments``), never made silently.
"""

from __future__ import annotations

from typing import Any

from .calibration import CalibrationSnapshot
from .channels import (
    Channel,
    Depolarizing,
    NoiseModelError,
    ProductChannel,
    ThermalRelaxation,
    depolarizing_for_error,
)
from .model import GateNoise, NoiseModel, QubitRelaxation, ReadoutError, ZZCoupling


def from_calibration(snapshot: CalibrationSnapshot, *, idle: bool = True, readout: bool = True,
                     relaxation: bool = True, zz: bool = False, symmetric_readout: bool = False) -> NoiseModel:
    """The standard noise model of ``snapshot`` (see the module docstring).

    ``symmetric_readout`` uses the average of P(1|0) and P(0|1) for both, as models built from a
    Qiskit ``Target`` must (it keeps only the average readout error); by default the asymmetric
    figures the device reported are used.
    """
    adjustments: list[str] = []
    t1t2: dict[int, tuple[float, float]] = {}

    def times(q: int) -> tuple[float, float]:
        if q not in t1t2:
            t1, t2 = snapshot.require(q, "t1"), snapshot.require(q, "t2")
            if t2 > 2 * t1:
                adjustments.append(f"qubit {q}: T2 {t2 * 1e6:.4g} us > 2 T1 {2 * t1 * 1e6:.4g} us, set to 2 T1")
                t2 = 2 * t1
            t1t2[q] = (t1, t2)
        return t1t2[q]

    model = NoiseModel()
    for gate in snapshot.gates:
        if gate.gate in ("measure", "reset"):
            if gate.duration is not None:
                model.durations[(gate.gate, gate.qubits)] = gate.duration
            continue
        where = f"gates[{gate.gate} {list(gate.qubits)}]"
        if gate.error is None:
            raise NoiseModelError(f"snapshot {snapshot.name} lacks {where}.error, which the noise model needs")
        if gate.duration is None:
            raise NoiseModelError(f"snapshot {snapshot.name} lacks {where}.duration, which the noise model needs")
        model.durations[(gate.gate, gate.qubits)] = gate.duration
        relax = []
        if relaxation and gate.duration > 0:
            relax = [ThermalRelaxation(*times(q), gate.duration) for q in gate.qubits]
        if gate.error <= 0 and not relax:
            continue
        n = len(gate.qubits)
        if n > 3:
            raise NoiseModelError(f"snapshot {snapshot.name}: {where} acts on {n} qubits; the model holds 1 to 3")
        try:
            p = depolarizing_for_error(gate.error, n, relax)
        except NoiseModelError:
            f_relax = 1.0
            for channel in relax:
                f_relax *= channel.process_fidelity()
            relaxed = 1 - (2**n * f_relax + 1) / (2**n + 1)
            adjustments.append(f"{where}: relaxation over the gate alone ({relaxed:.4g}) exceeds the reported "
                               f"error {gate.error:.4g}; no depolarizing part")
            p = 0.0
        # each qubit of the gate relaxes with its own T1/T2: one channel per qubit, side by side (a
        # one-qubit channel in a gate's noise would act on every qubit of the gate)
        after: list[Channel] = list(relax) if len(relax) <= 1 else [ProductChannel(tuple(relax))]
        channels = ([Depolarizing(p, n)] if p > 0 else []) + after
        if channels:
            model.gate_noise.append(GateNoise(gate.gate, gate.qubits, tuple(channels)))
    for q in range(snapshot.num_qubits):
        if readout:
            p01, p10 = snapshot.require(q, "readout_p01"), snapshot.require(q, "readout_p10")
            if symmetric_readout:
                p01 = p10 = (p01 + p10) / 2
            model.readout[q] = ReadoutError(p01, p10)
        if idle:
            model.relaxation[q] = QubitRelaxation(*times(q))
            length = snapshot.qubits[q].readout_length
            if ("measure", (q,)) not in model.durations:
                if length is None:
                    raise NoiseModelError(f"snapshot {snapshot.name} lacks qubits[{q}].readout_length, which idle "
                                          "noise needs to schedule measurements")
                model.durations[("measure", (q,))] = length
    if zz:
        model.zz = [ZZCoupling((a, b), rate) for a, b, rate in snapshot.zz]
    model.metadata = _provenance(snapshot, "from-calibration",
                                 {"idle": idle, "readout": readout, "relaxation": relaxation, "zz": zz,
                                  "symmetric_readout": symmetric_readout}, adjustments)
    return model


def _provenance(snapshot: CalibrationSnapshot, calibrator: str, options: dict[str, Any],
                adjustments: list[str]) -> dict[str, Any]:
    return {
        "calibrator": calibrator, "options": options, "snapshot": snapshot.name,
        "snapshot_timestamp": snapshot.timestamp, "snapshot_digest": snapshot.digest(),
        "snapshot_source": snapshot.source, "adjustments": adjustments,
    }
