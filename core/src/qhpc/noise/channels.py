"""Quantum channels of the noise model: each a frozen, JSON-serialisable description with its Kraus
operators, checked for complete positivity and trace preservation when it is built.

Matrices follow the model's convention: little-endian over the channel's qubits (the first qubit a
channel acts on is the least significant index bit). Pauli strings name one Pauli per qubit in the
same order: ``"XZ"`` is X on the channel's first qubit and Z on its second.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from ..errors import QhpcError

_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
#: Tolerance of the CPTP checks (numerical round-off of Kraus constructions).
CPTP_ATOL = 1e-9


class NoiseModelError(QhpcError):
    """A noise channel, model or calibration is invalid or lacks what is needed (names the field)."""


def pauli_matrix(label: str) -> np.ndarray:
    """The matrix of a Pauli string (little-endian: ``label[0]`` acts on the least significant qubit)."""
    out = np.eye(1, dtype=complex)
    for char in label:
        out = np.kron(_PAULI[char], out)
    return out


def _check_probability(name: str, value: float, upper: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= upper:
        raise NoiseModelError(f"{name} must be a probability in [0, {upper:g}], not {value!r}")
    return float(value)


def check_cptp(kraus: list[np.ndarray], what: str) -> None:
    """Raise unless ``kraus`` is a completely positive, trace-preserving map.

    Complete positivity: the Choi matrix ``sum_k vec(K_k) vec(K_k)^+`` is positive semidefinite
    (always true of a Kraus form, and checked numerically so a malformed operator cannot pass);
    trace preservation: ``sum_k K_k^+ K_k = I``.
    """
    if not kraus:
        raise NoiseModelError(f"{what}: a channel needs at least one Kraus operator")
    dim = kraus[0].shape[0]
    if any(k.shape != (dim, dim) for k in kraus):
        raise NoiseModelError(f"{what}: Kraus operators must all be {dim}x{dim}")
    vecs = np.array([k.reshape(-1, order="F") for k in kraus])
    check_choi(vecs.T @ vecs.conj(), dim, what)


def check_choi(choi: np.ndarray, dim: int, what: str) -> None:
    """Raise unless ``choi`` (``sum_ij |i><j| (x) E(|i><j|)``, columns stacked) is the Choi matrix of
    a completely positive (positive semidefinite), trace-preserving (partial trace over the output
    is the identity) map on ``dim`` dimensions."""
    lowest = float(np.min(np.linalg.eigvalsh((choi + choi.conj().T) / 2)))
    if lowest < -CPTP_ATOL:
        raise NoiseModelError(f"{what} is not completely positive (Choi eigenvalue {lowest:.2e})")
    # with column stacking, index (i, a) of vec(K) is a + dim i: the input index i is the slow one
    partial = np.einsum("iaja->ij", choi.reshape(dim, dim, dim, dim))
    if not np.allclose(partial, np.eye(dim), atol=CPTP_ATOL, rtol=0):
        raise NoiseModelError(f"{what} is not trace preserving (its Choi matrix's partial trace differs from I by "
                              f"{float(np.max(np.abs(partial - np.eye(dim)))):.2e})")


@dataclass(frozen=True)
class Channel:
    """Base of every channel: ``num_qubits``, :meth:`kraus`, and a JSON form (``to_dict``)."""

    kind: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Channel]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Channel._registry[cls.kind] = cls

    def __post_init__(self) -> None:
        self._validate()
        check_cptp(self.kraus(), f"{self.kind} channel {self.describe()}")

    def _validate(self) -> None:
        """Check the parameters (subclasses)."""

    @property
    def num_qubits(self) -> int:
        raise NotImplementedError

    def kraus(self) -> list[np.ndarray]:
        raise NotImplementedError

    @property
    def is_unitary(self) -> bool:
        """Whether the channel is one unitary (coherent error)."""
        return len(self.kraus()) == 1

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"({args})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        for key, value in self.__dict__.items():
            if key.startswith("_"):
                continue
            out[key] = dict(value) if isinstance(value, dict) else value
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Channel:
        kind = data.get("type")
        cls = Channel._registry.get(kind)  # type: ignore[arg-type]
        if cls is None:
            raise NoiseModelError(f"unknown channel type {kind!r}; known: {', '.join(sorted(Channel._registry))}")
        args = {k: v for k, v in data.items() if k != "type"}
        try:
            return cls(**args)
        except TypeError as exc:
            raise NoiseModelError(f"channel {kind}: {exc}") from None

    def superoperator(self) -> np.ndarray:
        """The channel as a matrix on column-stacked density matrices."""
        return sum(np.kron(k.conj(), k) for k in self.kraus())  # type: ignore[return-value]

    def process_fidelity(self) -> float:
        """Fidelity of the channel with the identity: ``sum_k |tr K_k|^2 / d^2``."""
        dim = 2**self.num_qubits
        return float(sum(abs(np.trace(k)) ** 2 for k in self.kraus()) / dim**2)

    def average_gate_infidelity(self) -> float:
        """``1 - F_avg`` with ``F_avg = (d F_pro + 1) / (d + 1)``: what device calibrations report as gate error."""
        dim = 2**self.num_qubits
        return float(1.0 - (dim * self.process_fidelity() + 1) / (dim + 1))


@dataclass(frozen=True)
class Depolarizing(Channel):
    """``rho -> (1 - p) rho + p I/d`` on ``num_qubits`` qubits (``p`` up to ``d^2/(d^2-1)``, the
    largest value that is still completely positive)."""

    kind: ClassVar[str] = "depolarizing"
    p: float
    qubits: int = 1

    def _validate(self) -> None:
        if self.qubits not in (1, 2, 3):
            raise NoiseModelError(f"depolarizing channel on {self.qubits} qubits: 1 to 3 are supported")
        d2 = 4**self.qubits
        _check_probability("depolarizing p", self.p, d2 / (d2 - 1))

    @property
    def num_qubits(self) -> int:
        return self.qubits

    def kraus(self) -> list[np.ndarray]:
        d2 = 4**self.qubits
        labels = ["".join(t) for t in itertools.product("IXYZ", repeat=self.qubits)]
        out = []
        for label in labels:
            weight = 1 - self.p * (d2 - 1) / d2 if set(label) == {"I"} else self.p / d2
            if weight > 0:
                out.append(math.sqrt(weight) * pauli_matrix(label))
        return out


@dataclass(frozen=True)
class PauliChannel(Channel):
    """Apply each Pauli string with its probability (the identity with the rest)."""

    kind: ClassVar[str] = "pauli"
    probabilities: dict[str, float] = field(default_factory=dict)

    def _validate(self) -> None:
        if not self.probabilities:
            raise NoiseModelError("a Pauli channel needs at least one Pauli string with its probability")
        widths = {len(label) for label in self.probabilities}
        if len(widths) != 1 or not all(set(label) <= set("IXYZ") for label in self.probabilities):
            raise NoiseModelError("Pauli channel labels must be strings of I, X, Y, Z of one length")
        total = 0.0
        for label, p in self.probabilities.items():
            total += _check_probability(f"Pauli channel probability of {label}", p)
        if total > 1.0 + 1e-12:
            raise NoiseModelError(f"Pauli channel probabilities sum to {total}, more than 1")

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.probabilities.items())))

    @property
    def num_qubits(self) -> int:
        return len(next(iter(self.probabilities)))

    def kraus(self) -> list[np.ndarray]:
        n = self.num_qubits
        identity = "I" * n
        rest = 1.0 - sum(p for label, p in self.probabilities.items() if label != identity)
        out = [math.sqrt(max(rest, 0.0)) * pauli_matrix(identity)] if rest > 0 else []
        out += [math.sqrt(p) * pauli_matrix(label) for label, p in self.probabilities.items()
                if label != identity and p > 0]
        return out or [pauli_matrix(identity)]


@dataclass(frozen=True)
class AmplitudeDamping(Channel):
    """Energy relaxation towards the thermal state with ``excited_population`` (0: towards |0>)."""

    kind: ClassVar[str] = "amplitude_damping"
    gamma: float
    excited_population: float = 0.0

    def _validate(self) -> None:
        _check_probability("amplitude damping gamma", self.gamma)
        _check_probability("excited population", self.excited_population)

    @property
    def num_qubits(self) -> int:
        return 1

    def kraus(self) -> list[np.ndarray]:
        g, p1 = self.gamma, self.excited_population
        p0 = 1 - p1
        ops = [
            math.sqrt(p0) * np.array([[1, 0], [0, math.sqrt(1 - g)]], dtype=complex),
            math.sqrt(p0) * np.array([[0, math.sqrt(g)], [0, 0]], dtype=complex),
            math.sqrt(p1) * np.array([[math.sqrt(1 - g), 0], [0, 1]], dtype=complex),
            math.sqrt(p1) * np.array([[0, 0], [math.sqrt(g), 0]], dtype=complex),
        ]
        return [k for k in ops if np.any(k)]


@dataclass(frozen=True)
class PhaseDamping(Channel):
    """Loss of coherence without energy loss: off-diagonal elements shrink by ``sqrt(1 - lam)``."""

    kind: ClassVar[str] = "phase_damping"
    lam: float

    def _validate(self) -> None:
        _check_probability("phase damping lambda", self.lam)

    @property
    def num_qubits(self) -> int:
        return 1

    def kraus(self) -> list[np.ndarray]:
        ops = [np.array([[1, 0], [0, math.sqrt(1 - self.lam)]], dtype=complex),
               np.array([[0, 0], [0, math.sqrt(self.lam)]], dtype=complex)]
        return [k for k in ops if np.any(k)]


@dataclass(frozen=True)
class ThermalRelaxation(Channel):
    """T1/T2 relaxation over ``time`` (all in seconds): populations decay as ``exp(-t/T1)``,
    coherences as ``exp(-t/T2)``. Needs ``T2 <= 2 T1`` (the physical bound)."""

    kind: ClassVar[str] = "thermal_relaxation"
    t1: float
    t2: float
    time: float
    excited_population: float = 0.0

    def _validate(self) -> None:
        for name in ("t1", "t2"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise NoiseModelError(f"thermal relaxation {name} must be a positive number of seconds, not {value!r}")
        if isinstance(self.time, bool) or not isinstance(self.time, int | float) or self.time < 0:
            raise NoiseModelError(f"thermal relaxation time must be >= 0 seconds, not {self.time!r}")
        if self.t2 > 2 * self.t1 * (1 + 1e-9):
            raise NoiseModelError(f"thermal relaxation needs T2 <= 2 T1 (T1={self.t1:g} s, T2={self.t2:g} s)")
        _check_probability("excited population", self.excited_population)

    @property
    def num_qubits(self) -> int:
        return 1

    @cached_property
    def _parts(self) -> tuple[AmplitudeDamping, PhaseDamping]:
        gamma = 1.0 - math.exp(-self.time / self.t1)
        # amplitude damping leaves coherences at sqrt(1-gamma) = exp(-t/2T1); dephasing supplies the rest
        lam = 1.0 - math.exp(-2 * self.time / self.t2 + self.time / self.t1)
        return (AmplitudeDamping(gamma, self.excited_population), PhaseDamping(min(max(lam, 0.0), 1.0)))

    def kraus(self) -> list[np.ndarray]:
        damp, dephase = self._parts
        return [b @ a for a in damp.kraus() for b in dephase.kraus()]


@dataclass(frozen=True)
class CoherentRotation(Channel):
    """A systematic over-rotation: ``exp(-i angle/2 P)`` for a Pauli string ``P`` (``"X"`` for an
    X over-rotation, ``"ZZ"`` for a ZZ coupling over a gate's duration, ...)."""

    kind: ClassVar[str] = "coherent"
    pauli: str
    angle: float

    def _validate(self) -> None:
        if not self.pauli or not set(self.pauli) <= set("IXYZ") or len(self.pauli) > 3:
            raise NoiseModelError(f"coherent rotation axis must be a Pauli string of 1 to 3 letters, not {self.pauli!r}")
        if isinstance(self.angle, bool) or not isinstance(self.angle, int | float) or not math.isfinite(self.angle):
            raise NoiseModelError(f"coherent rotation angle must be a finite number, not {self.angle!r}")

    @property
    def num_qubits(self) -> int:
        return len(self.pauli)

    def kraus(self) -> list[np.ndarray]:
        p = pauli_matrix(self.pauli)
        return [math.cos(self.angle / 2) * np.eye(p.shape[0]) - 1j * math.sin(self.angle / 2) * p]


@dataclass(frozen=True)
class BitFlip(Channel):
    """X with probability ``p`` (a state-preparation error: |1> prepared instead of |0>)."""

    kind: ClassVar[str] = "bit_flip"
    p: float

    def _validate(self) -> None:
        _check_probability("bit flip p", self.p)

    @property
    def num_qubits(self) -> int:
        return 1

    def kraus(self) -> list[np.ndarray]:
        return [k for k in (math.sqrt(1 - self.p) * _PAULI["I"], math.sqrt(self.p) * _PAULI["X"]) if np.any(k)]


@dataclass(frozen=True)
class ProductChannel(Channel):
    """Independent channels side by side: ``parts[k]`` acts on the ``k``-th qubit(s) of the
    operation it follows (``parts[0]`` on its first qubit). What a multi-qubit gate's relaxation
    is: each qubit relaxes with its own T1 and T2 (a one-qubit channel in a gate's noise acts on
    every qubit of the gate alike)."""

    kind: ClassVar[str] = "product"
    parts: tuple[Channel, ...] = ()

    def __post_init__(self) -> None:
        parts = self.parts
        if isinstance(parts, list | tuple):
            parts = tuple(Channel.from_dict(p) if isinstance(p, dict) else p for p in parts)
        object.__setattr__(self, "parts", parts)
        super().__post_init__()

    def _validate(self) -> None:
        if not isinstance(self.parts, tuple) or not self.parts or not all(isinstance(p, Channel) for p in self.parts):
            raise NoiseModelError("a product channel needs a list of channels (its parts)")
        width = sum(p.num_qubits for p in self.parts)
        if width > 3:
            raise NoiseModelError(f"a product channel acts on 1 to 3 qubits, not {width}")

    @property
    def num_qubits(self) -> int:
        return sum(p.num_qubits for p in self.parts)

    def kraus(self) -> list[np.ndarray]:
        ops = [np.eye(1, dtype=complex)]
        for part in self.parts:  # little-endian: a later part acts on more significant qubits
            ops = [np.kron(k, prev) for prev in ops for k in part.kraus()]
        return ops

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "parts": [p.to_dict() for p in self.parts]}


def compose(channels: list[Channel] | tuple[Channel, ...]) -> list[np.ndarray]:
    """Kraus operators of ``channels`` applied in order (all on the same qubits)."""
    ops = [np.eye(2 ** channels[0].num_qubits, dtype=complex)]
    for channel in channels:
        ops = [k @ prev for prev in ops for k in channel.kraus()]
    return ops


def depolarizing_for_error(error: float, num_qubits: int, relaxation: list[ThermalRelaxation] | None = None) -> float:
    """The depolarizing ``p`` that, composed with ``relaxation`` (on each of the qubits), makes the
    channel's average gate infidelity equal ``error`` exactly (what device calibrations report).

    The average infidelity of depolarizing-then-relaxation is affine in ``p``, so the value is
    solved in closed form. Raises :class:`NoiseModelError` when relaxation alone already exceeds
    ``error``: the caller decides (the ``from-calibration`` model keeps relaxation alone and records
    the adjustment, as Qiskit Aer's device model does).
    """
    dim = 2**num_qubits
    # depolarizing(p) = (1 - p) identity + p (complete depolarization); anything applied after a
    # complete depolarization leaves a fixed state, whose process fidelity is 1/d^2; so the process
    # fidelity of relaxation after depolarizing is (1 - p) F_relax + p / d^2, with F_relax the
    # product of the relaxations' one-qubit process fidelities
    f_relax = 1.0
    for relax in relaxation or []:
        f_relax *= relax.process_fidelity()
    target = ((1.0 - error) * (dim + 1) - 1) / dim
    if target > f_relax + 1e-12:
        raise NoiseModelError(f"a gate error of {error:.3g} is smaller than the thermal relaxation over the gate "
                              f"alone ({1 - (dim * f_relax + 1) / (dim + 1):.3g}); the calibration is inconsistent "
                              "with this model")
    p = (f_relax - target) / (f_relax - 1.0 / dim**2)
    return float(min(max(p, 0.0), 4**num_qubits / (4**num_qubits - 1)))


def _on_qubit(op: np.ndarray, qubit: int, num_qubits: int) -> np.ndarray:
    """A one-qubit operator acting on ``qubit`` of ``num_qubits`` (little-endian)."""
    out = np.eye(1, dtype=complex)
    for k in range(num_qubits):
        out = np.kron(op if k == qubit else np.eye(2), out)
    return out
