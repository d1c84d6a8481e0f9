"""Device targets: emulated IBM QPUs built from real calibration snapshots.

Each offline snapshot that ``qiskit-ibm-runtime`` ships in its fake provider (Perth, Lagos,
Sherbrooke, Torino and the rest: property and configuration JSON files, read here without
importing the package) becomes a backend named as the device (``ibm_perth``): its qubit count,
native gates and coupling map, and the ``from-calibration`` noise model of its snapshot. A job
runs as on the device: the circuit is laid out and routed onto the coupling map in native gates
(Qiskit's transpiler), then emulated with noise per native gate and per idle period; a program
already in native gates on physical qubits runs as written (no re-layout, no fusion). Only the
qubits a circuit uses are emulated (density matrix up to 10 of them, statevector trajectories up
to 24). The snapshot and the noise model used (restricted to those qubits) are kept in each
result's metadata so the run can be reproduced.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from qhpc.errors import QhpcError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput
from qhpc.noise import CalibrationSnapshot, NoiseModel, expand, from_calibration, from_ibm_properties
from qhpc_interop import Circuit, Instruction

from .backends import aer_cannot_load

#: Emulated qubits at most: density matrix up to DENSITY_MAX, statevector trajectories beyond.
DENSITY_MAX = 10
STATEVECTOR_MAX = 24


def snapshot_files() -> dict[str, tuple[Path, Path]]:
    """Device name -> (properties file, configuration file) of every snapshot the fake provider ships."""
    spec = find_spec("qiskit_ibm_runtime")
    if spec is None or not spec.submodule_search_locations:
        return {}
    root = Path(next(iter(spec.submodule_search_locations))) / "fake_provider" / "backends"
    found: dict[str, tuple[Path, Path]] = {}
    for props in sorted(root.glob("*/props_*.json")):
        conf = props.with_name(props.name.replace("props_", "conf_"))
        if not conf.exists():
            continue
        found[_device_name(props)] = (props, conf)
    return found


def _device_name(props: Path) -> str:
    """The device's own name from the head of its property file (without parsing all of it)."""
    with props.open("r", encoding="utf-8") as fh:
        head = fh.read(4096)
    marker = '"backend_name":'
    at = head.find(marker)
    if at >= 0:
        rest = head[at + len(marker):].lstrip()
        if rest.startswith('"'):
            return rest[1:rest.index('"', 1)]
    return f"ibm_{props.parent.name}"


class DeviceTarget(Backend):
    """An IBM device emulated from its calibration snapshot (see the module docstring)."""

    kind = "emulator"
    preferred_compilers = ("qiskit",)

    def __init__(self, name: str, properties: Path, configuration: Path) -> None:
        self.name = name
        self.description = f"emulated {name} from its calibration snapshot (noisy)"
        self._files = (properties, configuration)
        self._lock = threading.Lock()
        self._snapshot: CalibrationSnapshot | None = None
        self._model: NoiseModel | None = None
        self._models: dict[tuple[int, ...], NoiseModel] = {}
        self._capabilities: BackendCapabilities | None = None
        self._max_shots = 100_000

    @property
    def snapshot(self) -> CalibrationSnapshot:
        with self._lock:
            if self._snapshot is None:
                props, conf = self._files
                configuration = json.loads(conf.read_text(encoding="utf-8"))
                self._snapshot = from_ibm_properties(json.loads(props.read_text(encoding="utf-8")), configuration,
                                                     source=f"{props.name} (qiskit-ibm-runtime fake provider)")
                self._max_shots = int(configuration.get("max_shots", self._max_shots))
            return self._snapshot

    def noise_model(self) -> NoiseModel:
        """The ``from-calibration`` model of the whole snapshot (see :meth:`model_for`)."""
        snapshot = self.snapshot
        with self._lock:
            if self._model is None:
                self._model = self._standard_model(snapshot)
            return self._model

    def model_for(self, physical: tuple[int, ...]) -> NoiseModel:
        """The ``from-calibration`` model of the snapshot restricted to ``physical`` qubits,
        renumbered ``0..k-1``: a job needs the figures of the qubits it uses only (a device with one
        uncalibrated qubit still runs circuits that avoid it)."""
        key = physical
        with self._lock:
            cached = self._models.get(key)
        if cached is None:
            cached = self._standard_model(self.snapshot.restricted(list(physical)))
            with self._lock:
                self._models[key] = cached
        return cached

    @staticmethod
    def _standard_model(snapshot: CalibrationSnapshot) -> NoiseModel:
        # older snapshots report no readout length: idle noise cannot be scheduled around
        # measurements, so it is left out, and the model says so
        idle = all(q.readout_length is not None for q in snapshot.qubits)
        model = from_calibration(snapshot, idle=idle)
        if not idle:
            model.metadata["adjustments"].append("no idle noise: the snapshot reports no readout_length to schedule "
                                                 "measurements with")
        return model

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            snap = self.snapshot
            self._capabilities = BackendCapabilities(
                num_qubits=snap.num_qubits, native_gates=frozenset(snap.native_gates), supports_unitary=False,
                coupling_map=tuple(snap.coupling_map), supports_noise=True, noisy=True, max_shots=self._max_shots,
                description=f"{self.description}; snapshot {snap.timestamp}",
                limit_note=f"the device's {snap.num_qubits} qubits; a circuit may use up to {STATEVECTOR_MAX} of "
                           "them at once (each used qubit is emulated)",
            )
        return self._capabilities

    def cannot_run(self, circuit: Circuit) -> list[str]:
        used = {q for inst in circuit.instructions if inst.name != "barrier" for q in inst.qubits}
        reasons = []
        if len(used) <= STATEVECTOR_MAX:
            try:
                model = self.model_for(tuple(sorted({q for inst in circuit.instructions for q in inst.qubits})))
            except QhpcError as exc:
                reasons.append(f"has no noise model for the qubits the circuit uses: {exc}")
            else:
                # the device's timed model schedules every operation: one its snapshot gives no
                # duration for (an old snapshot's reset) failed the job when it ran
                timed = {gate for gate, _ in model.durations}
                missing = sorted({i.name for i in circuit.instructions if i.name in ("reset", "measure")} - timed)
                if model.has_timing_noise and missing:
                    reasons.append(f"cannot run {' or '.join(missing)}: its calibration snapshot gives no duration for "
                                   "it, which the device's timed noise model needs")
        if len(used) > STATEVECTOR_MAX:
            reasons.append(f"uses {len(used)} qubits; the emulation of a device holds at most {STATEVECTOR_MAX} "
                           "used qubits on this machine")
        why = aer_cannot_load(circuit)
        if why:
            reasons.append(why)
        return reasons

    def estimate_seconds(self, circuit: Circuit, shots: int) -> float:
        used = len({q for inst in circuit.instructions for q in inst.qubits}) or 1
        g = max(1, len(circuit.instructions))
        if used <= DENSITY_MAX:
            return 2e-3 + g * 4.0**used * 3e-8
        return 2e-3 + shots * g * 2.0**used * 5e-9

    def run(self, circuit: Circuit, *, shots: int, seed: int | None, memory: bool,
            options: Mapping[str, Any], cancel: CancelToken, noise: NoiseModel | None = None) -> RunOutput:
        if options:
            raise QhpcError(f"{self.name} takes no options, got {', '.join(sorted(options))}")
        from qhpc.noise.schedule import compact

        from .backends import shared_aer

        used = tuple(sorted({q for inst in circuit.instructions for q in inst.qubits}))
        if noise is not None:  # a model of the whole device (a fitted one): expand, then emulate the used qubits
            noisy, physical = compact(expand(circuit, noise))
            model = noise.restricted_to(physical)
        else:
            index = {q: k for k, q in enumerate(used)}
            local = circuit.copy(instructions=[
                Instruction(i.operation, tuple(index[q] for q in i.qubits), i.clbits, i.condition)
                for i in circuit.instructions])
            local.num_qubits = len(used)
            local.qregs = []
            model = self.model_for(used)
            noisy, _ = compact(expand(local, model))
            physical = list(used)
        method = "density_matrix" if noisy.num_qubits <= DENSITY_MAX else "statevector"
        output = shared_aer(method).run_noisy(noisy, shots=shots, seed=seed, memory=memory)
        output.metadata["noise"] = {
            "model": model.to_dict(),
            "snapshot": self.snapshot.restricted(physical).to_dict(),
            "snapshot_digest": self.snapshot.digest(),
            "physical_qubits": physical,
            "given": noise is not None,
        }
        return output


_TARGETS: list[Backend] | None = None


def device_targets() -> list[Backend]:
    """One device target per snapshot installed (none without qiskit-ibm-runtime)."""
    global _TARGETS
    if _TARGETS is None:
        _TARGETS = [DeviceTarget(name, props, conf) for name, (props, conf) in snapshot_files().items()]
    return list(_TARGETS)
