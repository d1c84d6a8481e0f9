"""The framework-neutral noise model: gate noise, qubit noise, readout and preparation errors.

A :class:`NoiseModel` says what happens around each operation of a circuit:

* **gate noise** - :class:`GateNoise` entries: channels applied after a named gate, on given qubits
  (``qubits=None``: on any qubits); the most specific entry wins (exact qubits over any);
* **gate durations** - seconds per gate (per qubit tuple or for any qubits), used to schedule the
  circuit for idle noise and crosstalk;
* **idle noise** - :class:`QubitRelaxation` (T1, T2) per qubit, applied to every period a qubit
  waits while others act (scheduled as-soon-as-possible with the durations);
* **crosstalk** - :class:`ZZCoupling` rates (radians per second) between qubit pairs, a coherent
  ``exp(-i zeta t ZZ/2)`` accumulated over the time both qubits exist;
* **readout** - :class:`ReadoutError` per qubit (``p01 = P(read 1 | prepared 0)``,
  ``p10 = P(read 0 | prepared 1)``) and :class:`CorrelatedReadout` confusion matrices on qubit pairs;
* **preparation** - the probability that a qubit starts (or is reset) in |1> instead of |0>.

The model serialises to JSON and reads back equal (:meth:`NoiseModel.to_dict`, :meth:`from_dict`,
:meth:`to_json`, :meth:`from_json`); every channel is checked for complete positivity when built.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .channels import Channel, NoiseModelError

FORMAT = "qhpc.noise"
VERSION = 1

#: Noise an analog (neutral-atom) emulator reads, with its range: state-preparation error, false
#: positive and negative detection, dephasing and relaxation rates (1/us), depolarizing rate
#: (1/us), relative laser amplitude fluctuation, detuning fluctuation (rad/us), atom temperature (uK).
ANALOG_KEYS: dict[str, tuple[float, float]] = {
    "state_prep_error": (0.0, 1.0), "p_false_pos": (0.0, 1.0), "p_false_neg": (0.0, 1.0),
    "dephasing_rate": (0.0, math.inf), "relaxation_rate": (0.0, math.inf), "depolarizing_rate": (0.0, math.inf),
    "amp_sigma": (0.0, 1.0), "detuning_sigma": (0.0, math.inf), "temperature": (0.0, math.inf),
}
#: Noise a photonic emulator reads: source brightness, indistinguishability, g2 (multi-photon
#: emission), transmittance, phase imprecision and phase error (rad).
PHOTONIC_KEYS: dict[str, tuple[float, float]] = {
    "brightness": (0.0, 1.0), "indistinguishability": (0.0, 1.0), "g2": (0.0, 1.0), "transmittance": (0.0, 1.0),
    "phase_imprecision": (0.0, math.inf), "phase_error": (0.0, math.inf),
}


@dataclass(frozen=True)
class GateNoise:
    """Channels applied, in order, after ``gate`` on ``qubits`` (``None``: on any qubits)."""

    gate: str
    qubits: tuple[int, ...] | None
    channels: tuple[Channel, ...]

    def __post_init__(self) -> None:
        from qhpc_interop import STANDARD_GATES

        # noise after a gate no circuit names (a typo, 'CX' for 'cx', or 'measure') applied to
        # nothing, silently: the model's gates are the library's (and matrix gates, 'unitary')
        if self.gate not in STANDARD_GATES and self.gate != "unitary":
            close = sorted(g for g in STANDARD_GATES if g == str(self.gate).lower())
            hint = f" (did you mean {close[0]!r}?)" if close else " (a library gate name, such as cx, sx or rz)"
            raise NoiseModelError(f"gate noise on {self.gate!r}: no circuit applies a gate of that name{hint}")
        if self.qubits is not None:
            object.__setattr__(self, "qubits", tuple(int(q) for q in self.qubits))
        object.__setattr__(self, "channels", tuple(self.channels))
        width = None if self.qubits is None else len(self.qubits)
        for channel in self.channels:
            if width is not None and channel.num_qubits not in (1, width):
                raise NoiseModelError(f"gate noise on {self.gate}{list(self.qubits or [])}: a {channel.num_qubits}-qubit "
                                      f"channel does not fit a {width}-qubit gate")

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "qubits": None if self.qubits is None else list(self.qubits),
                "channels": [c.to_dict() for c in self.channels]}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> GateNoise:
        qubits = data.get("qubits")
        return GateNoise(str(data["gate"]), None if qubits is None else tuple(qubits),
                         tuple(Channel.from_dict(c) for c in data.get("channels", [])))


@dataclass(frozen=True)
class QubitRelaxation:
    """T1 and T2 of one qubit, in seconds (T2 <= 2 T1)."""

    t1: float
    t2: float
    excited_population: float = 0.0

    def __post_init__(self) -> None:
        if not (self.t1 > 0 and self.t2 > 0):
            raise NoiseModelError(f"T1 and T2 must be positive (T1={self.t1!r}, T2={self.t2!r})")
        if self.t2 > 2 * self.t1 * (1 + 1e-9):
            raise NoiseModelError(f"T2 = {self.t2:g} s exceeds 2 T1 = {2 * self.t1:g} s")
        if not 0.0 <= self.excited_population <= 1.0:  # (false for nan too)
            raise NoiseModelError(f"the excited-state population must be a probability, not {self.excited_population!r}")


@dataclass(frozen=True)
class ReadoutError:
    """One qubit's readout confusion: ``p01 = P(1|0)``, ``p10 = P(0|1)``."""

    p01: float
    p10: float

    def __post_init__(self) -> None:
        for name in ("p01", "p10"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise NoiseModelError(f"readout {name} must be a probability, not {value!r}")

    def matrix(self) -> np.ndarray:
        """Confusion matrix ``M[measured, prepared]``."""
        return np.array([[1 - self.p01, self.p10], [self.p01, 1 - self.p10]])


@dataclass(frozen=True)
class CorrelatedReadout:
    """A joint confusion matrix ``M[measured, prepared]`` (4x4, index = bit of qubits[0] + 2 x bit
    of qubits[1]) on a pair of qubits, applied to their recorded bits where both are measured.

    ``replaces`` (the default): the matrix is the pair's whole readout confusion and replaces the
    two qubits' independent errors. ``replaces=False``: it is readout *crosstalk*, applied after
    each qubit's own error (:attr:`NoiseModel.readout`): the input bits it sees are the bits as
    read, so ``M`` says how a qubit's recorded bit shifts with what its neighbour reads (what the
    ``fit`` calibrator writes; such pairs may share qubits). Pairs apply in order. A qubit whose
    partner is not measured keeps its own error.
    """

    qubits: tuple[int, int]
    matrix: tuple[tuple[float, ...], ...]
    replaces: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "qubits", tuple(int(q) for q in self.qubits))
        m = np.array(self.matrix, dtype=float)
        if m.shape != (4, 4) or len(set(self.qubits)) != 2:
            raise NoiseModelError("a correlated readout error needs two distinct qubits and a 4x4 matrix")
        if np.any(m < -1e-12) or not np.allclose(m.sum(axis=0), 1.0, atol=1e-9):
            raise NoiseModelError("a correlated readout matrix must have non-negative columns summing to 1")
        object.__setattr__(self, "matrix", tuple(tuple(float(x) for x in row) for row in m))


@dataclass(frozen=True)
class ZZCoupling:
    """A coherent ZZ interaction of ``rate`` radians per second between two qubits."""

    qubits: tuple[int, int]
    rate: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "qubits", tuple(int(q) for q in self.qubits))
        if len(set(self.qubits)) != 2 or not math.isfinite(self.rate):
            raise NoiseModelError("a ZZ coupling needs two distinct qubits and a finite rate")


@dataclass
class NoiseModel:
    """See the module docstring. Build one with a calibrator (``from-calibration``, ``fit``) or by hand."""

    gate_noise: list[GateNoise] = field(default_factory=list)
    #: (gate, qubits or None) -> seconds
    durations: dict[tuple[str, tuple[int, ...] | None], float] = field(default_factory=dict)
    relaxation: dict[int, QubitRelaxation] = field(default_factory=dict)
    zz: list[ZZCoupling] = field(default_factory=list)
    readout: dict[int, ReadoutError] = field(default_factory=dict)
    correlated_readout: list[CorrelatedReadout] = field(default_factory=list)
    preparation: dict[int, float] = field(default_factory=dict)
    #: parameters for analog (neutral-atom) emulators, read by their plugins: see :data:`ANALOG_KEYS`
    analog: dict[str, float] = field(default_factory=dict)
    #: parameters for photonic emulators, read by their plugins: see :data:`PHOTONIC_KEYS`
    photonic: dict[str, float] = field(default_factory=dict)
    #: where the model came from (calibrator, snapshot, fit report...): kept with every result
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # what only a run would find wrong (a negative duration became idle relaxation; a bad
        # population or qubit index failed, or did not, depending on the circuit)
        for (gate, qubits), seconds in self.durations.items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) \
                    or seconds < 0:
                raise NoiseModelError(f"the duration of {gate} on {'any qubits' if qubits is None else list(qubits)} "
                                      f"must be a non-negative number of seconds, not {seconds!r}")
        indexed: tuple[tuple[str, list[Any]], ...] = (
                                ("relaxation", list(self.relaxation)), ("readout", list(self.readout)),
                                ("preparation", list(self.preparation)),
                                ("zz", [q for c in self.zz for q in c.qubits]),
                                ("durations", [q for _, qs in self.durations for q in qs or ()]),
                                ("gate_noise", [q for g in self.gate_noise for q in g.qubits or ()]),
                                ("correlated_readout", [q for c in self.correlated_readout for q in c.qubits]))
        for section, indices in indexed:
            bad = [q for q in indices if isinstance(q, bool) or not isinstance(q, int) or q < 0]
            if bad:
                raise NoiseModelError(f"{section}: qubit {bad[0]!r} is not a qubit index (0, 1, 2, ...)")
        for qubit, p in self.preparation.items():
            if not 0.0 <= p <= 1.0:
                raise NoiseModelError(f"the preparation error of qubit {qubit} must be a probability, not {p!r}")
        for section, keys in (("analog", ANALOG_KEYS), ("photonic", PHOTONIC_KEYS)):
            values = getattr(self, section)
            unknown = sorted(set(values) - set(keys))
            if unknown:
                raise NoiseModelError(f"unknown {section} noise parameter {unknown[0]!r} "
                                      f"(known: {', '.join(sorted(keys))})")
            for key, value in values.items():
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                        or value < 0:
                    raise NoiseModelError(f"{section} noise parameter {key} must be a non-negative number, not {value!r}")
                low, high = keys[key]
                if not low <= value <= high:
                    raise NoiseModelError(f"{section} noise parameter {key}={value!r} is outside [{low}, {high}]")

    # -- lookups -----------------------------------------------------------------------------
    def channels_after(self, gate: str, qubits: tuple[int, ...]) -> tuple[Channel, ...]:
        """The channels after ``gate`` on ``qubits`` (the exact-qubits entry, else the any-qubits one)."""
        generic: tuple[Channel, ...] = ()
        for entry in self.gate_noise:
            if entry.gate != gate:
                continue
            if entry.qubits == qubits:
                return entry.channels
            if entry.qubits is None:
                generic = entry.channels
        return generic

    def duration(self, gate: str, qubits: tuple[int, ...]) -> float | None:
        value = self.durations.get((gate, qubits))
        return value if value is not None else self.durations.get((gate, None))

    @property
    def has_timing_noise(self) -> bool:
        """Whether idle relaxation or crosstalk needs a schedule (and so gate durations)."""
        return bool(self.relaxation) or bool(self.zz)

    def readout_matrix(self, qubit: int) -> np.ndarray | None:
        error = self.readout.get(qubit)
        return None if error is None else error.matrix()

    @property
    def qubits(self) -> set[int]:
        """Every qubit the model mentions."""
        found: set[int] = set(self.relaxation) | set(self.readout) | set(self.preparation)
        for entry in self.gate_noise:
            found.update(entry.qubits or ())
        for coupling in self.zz:
            found.update(coupling.qubits)
        for correlated in self.correlated_readout:
            found.update(correlated.qubits)
        return found

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "gate_noise": [g.to_dict() for g in self.gate_noise],
            "durations": [{"gate": g, "qubits": None if q is None else list(q), "seconds": s}
                          for (g, q), s in self.durations.items()],
            "relaxation": {str(q): {"t1": r.t1, "t2": r.t2, "excited_population": r.excited_population}
                           for q, r in sorted(self.relaxation.items())},
            "zz": [{"qubits": list(z.qubits), "rate": z.rate} for z in self.zz],
            "readout": {str(q): {"p01": r.p01, "p10": r.p10} for q, r in sorted(self.readout.items())},
            "correlated_readout": [{"qubits": list(c.qubits), "matrix": [list(r) for r in c.matrix],
                                    **({} if c.replaces else {"replaces": False})}
                                   for c in self.correlated_readout],
            "preparation": {str(q): p for q, p in sorted(self.preparation.items())},
            "analog": dict(sorted(self.analog.items())),
            "photonic": dict(sorted(self.photonic.items())),
            "metadata": self.metadata,
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @staticmethod
    def from_dict(data: Mapping[str, Any], source: str = "noise model") -> NoiseModel:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise NoiseModelError(f"{source}: not a qhpc noise model (its 'format' must be {FORMAT!r})")
        if data.get("version") != VERSION:
            raise NoiseModelError(f"{source}: noise model version {data.get('version')!r} is not {VERSION}")
        known = {"format", "version", "gate_noise", "durations", "relaxation", "zz", "readout",
                 "correlated_readout", "preparation", "analog", "photonic", "metadata"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise NoiseModelError(f"{source}: unknown field {unknown[0]!r}")
        try:
            return NoiseModel(
                gate_noise=[GateNoise.from_dict(g) for g in data.get("gate_noise", [])],
                durations={(d["gate"], None if d["qubits"] is None else tuple(d["qubits"])): float(d["seconds"])
                           for d in data.get("durations", [])},
                relaxation={int(q): QubitRelaxation(float(r["t1"]), float(r["t2"]),
                                                    float(r.get("excited_population", 0.0)))
                            for q, r in data.get("relaxation", {}).items()},
                zz=[ZZCoupling(tuple(z["qubits"]), float(z["rate"])) for z in data.get("zz", [])],  # type: ignore[arg-type]
                readout={int(q): ReadoutError(float(r["p01"]), float(r["p10"]))
                         for q, r in data.get("readout", {}).items()},
                correlated_readout=[CorrelatedReadout(tuple(c["qubits"]), tuple(tuple(row) for row in c["matrix"]),  # type: ignore[arg-type]
                                                      _flag(c.get("replaces", True), "replaces"))
                                    for c in data.get("correlated_readout", [])],
                preparation={int(q): float(p) for q, p in data.get("preparation", {}).items()},
                analog=dict(data.get("analog", {})),
                photonic=dict(data.get("photonic", {})),
                metadata=dict(data.get("metadata", {})),
            )
        except NoiseModelError as exc:
            raise NoiseModelError(f"{source}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise NoiseModelError(f"{source}: malformed entry ({type(exc).__name__}: {exc})") from None

    @staticmethod
    def from_json(text: str, source: str = "noise model") -> NoiseModel:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NoiseModelError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        return NoiseModel.from_dict(data, source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoiseModel) and self.to_dict() == other.to_dict()

    def restricted_to(self, qubits: Iterable[int]) -> NoiseModel:
        """The part of the model that concerns only ``qubits`` (for smaller emulations)."""
        keep = set(qubits)
        return NoiseModel(
            gate_noise=[g for g in self.gate_noise if g.qubits is None or set(g.qubits) <= keep],
            durations={k: v for k, v in self.durations.items() if k[1] is None or set(k[1]) <= keep},
            relaxation={q: r for q, r in self.relaxation.items() if q in keep},
            zz=[z for z in self.zz if set(z.qubits) <= keep],
            readout={q: r for q, r in self.readout.items() if q in keep},
            correlated_readout=[c for c in self.correlated_readout if set(c.qubits) <= keep],
            preparation={q: p for q, p in self.preparation.items() if q in keep},
            analog=dict(self.analog), photonic=dict(self.photonic),
            metadata=dict(self.metadata),
        )


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise NoiseModelError(f"correlated readout {name!r} must be true or false, not {value!r}")
    return value


def as_noise_model(value: object) -> NoiseModel:
    """A :class:`NoiseModel` from a model, its JSON form (a mapping), or the path of a JSON file."""
    if isinstance(value, NoiseModel):
        return value
    if isinstance(value, Mapping):
        return NoiseModel.from_dict(value)
    if isinstance(value, str | bytes) or hasattr(value, "__fspath__"):
        from pathlib import Path

        path = Path(value if not isinstance(value, bytes) else value.decode())  # type: ignore[arg-type]
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NoiseModelError(f"{path}: no such noise model file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise NoiseModelError(f"{path}: cannot read the noise model: {exc}") from None
        return NoiseModel.from_json(text, str(path))
    raise NoiseModelError(f"a noise model must be a NoiseModel, its JSON mapping or a file path, not {type(value).__name__}")
