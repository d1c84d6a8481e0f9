"""Calibration snapshots: what a device reported about itself at one time, in one documented schema.

The JSON form (``CalibrationSnapshot.to_dict``), all times in seconds and frequencies in hertz::

    {
      "format": "qhpc.calibration", "version": 1,
      "name": "ibm_perth", "num_qubits": 7,
      "timestamp": "2024-05-27T15:17:50-03:00", "source": "props_perth.json (qiskit-ibm-runtime fake provider)",
      "native_gates": ["cx", "id", "rz", "sx", "x"],
      "coupling_map": [[0, 1], [1, 0], ...],
      "qubits": [{"t1": 5.59e-05, "t2": 9.51e-05, "frequency": 5.16e9,
                  "readout_p01": 0.0256, "readout_p10": 0.0318, "readout_length": 7.2e-07}, ...],
      "gates": [{"gate": "cx", "qubits": [0, 1], "error": 0.0071, "duration": 3.4e-07}, ...],
      "zz": [{"qubits": [0, 1], "rate": -6.6e+02}, ...]
    }

Every per-qubit field may be ``null`` where a device does not report it; a model that needs a
missing value refuses with :class:`~qhpc.noise.channels.NoiseModelError` naming the field
(``qubits[3].t2``), never filling in a default. ``readout_p01`` is P(read 1 | prepared 0),
``readout_p10`` is P(read 0 | prepared 1).

:func:`from_ibm_properties` reads IBM's device property files (``BackendProperties`` JSON, as the
offline snapshots of ``qiskit_ibm_runtime.fake_provider`` ship them, with the configuration file
for the native gates and coupling map).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qhpc_interop import STANDARD_GATES

from .channels import NoiseModelError

FORMAT = "qhpc.calibration"
VERSION = 1


@dataclass(frozen=True)
class QubitCalibration:
    """One qubit's reported figures (``None`` where not reported)."""

    t1: float | None = None
    t2: float | None = None
    frequency: float | None = None
    readout_p01: float | None = None
    readout_p10: float | None = None
    readout_length: float | None = None


@dataclass(frozen=True)
class GateCalibration:
    """A native gate on specific qubits: its reported error (average gate infidelity) and duration."""

    gate: str
    qubits: tuple[int, ...]
    error: float | None = None
    duration: float | None = None


@dataclass
class CalibrationSnapshot:
    """A device's calibration at one time (see the module docstring for the schema)."""

    name: str
    num_qubits: int
    qubits: list[QubitCalibration]
    gates: list[GateCalibration]
    native_gates: list[str]
    coupling_map: list[tuple[int, int]]
    timestamp: str = ""
    source: str = ""
    #: (qubit a, qubit b, rate in radians per second) of static ZZ couplings, where reported
    zz: list[tuple[int, int, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.qubits) != self.num_qubits:
            raise NoiseModelError(f"snapshot {self.name}: {len(self.qubits)} qubit entries for {self.num_qubits} qubits")
        unknown = sorted(set(self.native_gates) - set(STANDARD_GATES))
        if unknown:
            raise NoiseModelError(f"snapshot {self.name}: native gate(s) {', '.join(unknown)} are not library gates")
        for a, b in self.coupling_map:
            if not (0 <= a < self.num_qubits and 0 <= b < self.num_qubits) or a == b:
                raise NoiseModelError(f"snapshot {self.name}: coupling ({a}, {b}) names a qubit it does not have")

    # -- lookups ------------------------------------------------------------------------------
    def gate(self, name: str, qubits: Sequence[int]) -> GateCalibration | None:
        key = (name, tuple(qubits))
        return self._gate_index().get(key)

    def _gate_index(self) -> dict[tuple[str, tuple[int, ...]], GateCalibration]:
        index = self.__dict__.get("_index")
        if index is None:
            index = {(g.gate, g.qubits): g for g in self.gates}
            self.__dict__["_index"] = index
        return index  # type: ignore[no-any-return]

    def require(self, qubit: int, field_name: str) -> float:
        """A qubit's figure, or the refusal naming the missing field."""
        value = getattr(self.qubits[qubit], field_name)
        if value is None:
            raise NoiseModelError(f"snapshot {self.name} lacks qubits[{qubit}].{field_name}, which the noise model "
                                  "needs; calibrate the device or give a snapshot that reports it")
        return float(value)

    # -- identity and JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": VERSION, "name": self.name, "num_qubits": self.num_qubits,
            "timestamp": self.timestamp, "source": self.source, "native_gates": list(self.native_gates),
            "coupling_map": [list(p) for p in self.coupling_map],
            "qubits": [dict(q.__dict__) for q in self.qubits],
            "gates": [{"gate": g.gate, "qubits": list(g.qubits), "error": g.error, "duration": g.duration}
                      for g in self.gates],
            "zz": [{"qubits": [a, b], "rate": r} for a, b, r in self.zz],
        }

    def digest(self) -> str:
        """SHA-256 of the canonical JSON: identifies exactly which calibration a result used."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @staticmethod
    def from_dict(data: Mapping[str, Any], source: str = "calibration snapshot") -> CalibrationSnapshot:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT or data.get("version") != VERSION:
            raise NoiseModelError(f"{source}: not a qhpc calibration snapshot (format {FORMAT!r}, version {VERSION})")
        try:
            return CalibrationSnapshot(
                name=str(data["name"]), num_qubits=int(data["num_qubits"]),
                qubits=[QubitCalibration(**q) for q in data["qubits"]],
                gates=[GateCalibration(g["gate"], tuple(g["qubits"]), g.get("error"), g.get("duration"))
                       for g in data["gates"]],
                native_gates=list(data["native_gates"]),
                coupling_map=[(int(a), int(b)) for a, b in data["coupling_map"]],
                timestamp=str(data.get("timestamp", "")), source=str(data.get("source", "")),
                zz=[(int(z["qubits"][0]), int(z["qubits"][1]), float(z["rate"])) for z in data.get("zz", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NoiseModelError(f"{source}: malformed snapshot ({type(exc).__name__}: {exc})") from None

    def restricted(self, physical: Sequence[int]) -> CalibrationSnapshot:
        """The snapshot of the qubits ``physical`` only, renumbered ``0..k-1`` in that order."""
        index = {q: k for k, q in enumerate(physical)}
        return CalibrationSnapshot(
            name=self.name, num_qubits=len(physical), qubits=[self.qubits[q] for q in physical],
            gates=[GateCalibration(g.gate, tuple(index[q] for q in g.qubits), g.error, g.duration)
                   for g in self.gates if all(q in index for q in g.qubits)],
            native_gates=list(self.native_gates),
            coupling_map=[(index[a], index[b]) for a, b in self.coupling_map if a in index and b in index],
            timestamp=self.timestamp, source=f"{self.source} (qubits {list(physical)})",
            zz=[(index[a], index[b], r) for a, b, r in self.zz if a in index and b in index],
        )


# -- IBM device property files --------------------------------------------------------------------

_UNITS = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "dt": math.nan,
          "Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9}


def _value(entry: Mapping[str, Any], where: str) -> float:
    unit = entry.get("unit", "")
    scale = _UNITS.get(unit)
    if scale is None or math.isnan(scale):
        raise NoiseModelError(f"{where}: unit {unit!r} of {entry.get('name')!r} is not understood")
    return float(entry["value"]) * scale


def from_ibm_properties(properties: Mapping[str, Any], configuration: Mapping[str, Any] | None = None,
                        source: str = "") -> CalibrationSnapshot:
    """A snapshot from IBM ``BackendProperties`` JSON (and ``BackendConfiguration`` JSON for the
    native gates and coupling map; without it they are inferred from the calibrated gates)."""
    name = str(properties.get("backend_name", "device"))
    where = source or name
    raw_qubits = properties.get("qubits")
    if not isinstance(raw_qubits, list):
        raise NoiseModelError(f"{where}: no 'qubits' list in the properties")
    qubits = []
    for k, entries in enumerate(raw_qubits):
        figures: dict[str, float] = {}
        for entry in entries:
            figures[entry["name"]] = _value(entry, f"{where}: qubits[{k}]")
        p01 = figures.get("prob_meas1_prep0")
        p10 = figures.get("prob_meas0_prep1")
        if p01 is None and p10 is None and "readout_error" in figures:  # only the average reported
            p01 = p10 = figures["readout_error"]
        qubits.append(QubitCalibration(
            t1=figures.get("T1"), t2=figures.get("T2"), frequency=figures.get("frequency"),
            readout_p01=p01, readout_p10=p10, readout_length=figures.get("readout_length"),
        ))
    gates = []
    for entry in properties.get("gates", []):
        gate = str(entry.get("gate"))
        if gate not in STANDARD_GATES and gate not in ("measure", "reset"):
            continue  # delay, pulse-level entries...
        params = {p["name"]: p for p in entry.get("parameters", [])}
        error = float(params["gate_error"]["value"]) if "gate_error" in params else None
        duration = _value(params["gate_length"], f"{where}: gate {entry.get('name')}") if "gate_length" in params else None
        gates.append(GateCalibration(gate, tuple(int(q) for q in entry["qubits"]), error, duration))
    if configuration is not None:
        native = sorted(g for g in configuration.get("basis_gates", []) if g in STANDARD_GATES)
        coupling = [(int(a), int(b)) for a, b in configuration.get("coupling_map") or []]
        num_qubits = int(configuration.get("n_qubits", len(qubits)))
    else:
        native = sorted({g.gate for g in gates})
        coupling = sorted({(g.qubits[0], g.qubits[1]) for g in gates if len(g.qubits) == 2})
        num_qubits = len(qubits)
    coupled = {frozenset(p) for p in coupling}
    zz = []
    for entry in properties.get("general", []) or []:
        label = str(entry.get("name", ""))
        if not label.startswith("zz_"):
            continue
        pair = _split_pair(label[3:], coupled)
        if pair is not None:
            # reported as the frequency shift zeta of |11> (H = 2 pi zeta ZZ / 4): the rate of
            # exp(-i rate t ZZ / 2) is pi zeta
            zz.append((pair[0], pair[1], math.pi * _value(entry, f"{where}: {label}")))
    return CalibrationSnapshot(
        name=name, num_qubits=num_qubits, qubits=qubits, gates=gates, native_gates=native, coupling_map=coupling,
        timestamp=str(properties.get("last_update_date", "")), source=source, zz=zz,
    )


def _split_pair(digits: str, coupled: set[frozenset[int]]) -> tuple[int, int] | None:
    """IBM writes qubit pairs run together (``6272`` is 62 and 72): the split that is a coupled pair."""
    if not digits.isdigit():
        return None
    for cut in range(1, len(digits)):
        left, right = digits[:cut], digits[cut:]
        if (left != "0" and left.startswith("0")) or (right != "0" and right.startswith("0")):
            continue
        a, b = int(left), int(right)
        if frozenset((a, b)) in coupled or not coupled:
            return a, b
    return None
