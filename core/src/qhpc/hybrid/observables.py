"""Observables as Pauli sums: built from Qiskit, Cirq, OpenFermion or strings; grouped into
qubit-wise commuting sets; estimated from measured counts with standard errors.

A :class:`PauliSum` is a list of ``(label, coefficient)``; a label has one letter ``I X Y Z`` per
qubit, **qubit 0 rightmost** (as Qiskit writes them: ``"XZ"`` is Z on qubit 0 and X on qubit 1).
Coefficients are real (a Hermitian observable's Pauli coefficients are; an imaginary part above
1e-12 is refused).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import QhpcError

_PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
          "Z": np.array([[1, 0], [0, -1]])}


class ObservableError(QhpcError):
    """An observable could not be read or used (a non-Pauli term, a complex coefficient...)."""


@dataclass(frozen=True)
class PauliSum:
    """A real linear combination of Pauli strings (see the module docstring)."""

    terms: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if not self.terms:
            raise ObservableError("an observable needs at least one term")
        widths = {len(label) for label, _ in self.terms}
        if len(widths) != 1:
            raise ObservableError(f"Pauli labels of different lengths {sorted(widths)}")
        merged: dict[str, float] = {}
        for label, coeff in self.terms:
            if not set(label) <= set("IXYZ"):
                raise ObservableError(f"{label!r} is not a Pauli string (letters I, X, Y, Z)")
            merged[label] = merged.get(label, 0.0) + _real(coeff, label)
        object.__setattr__(self, "terms", tuple(merged.items()))

    @property
    def num_qubits(self) -> int:
        return len(self.terms[0][0])

    # -- constructors ---------------------------------------------------------------------------
    @staticmethod
    def from_list(terms: Iterable[tuple[str, complex]]) -> PauliSum:
        return PauliSum(tuple((label, c) for label, c in terms))  # type: ignore[misc]

    @staticmethod
    def from_string(text: str, num_qubits: int | None = None) -> PauliSum:
        """``"0.5 * XZ - 0.25 * ZI + 0.1"`` (a bare number is a multiple of the identity)."""
        parts = re.findall(r"([+-]?)\s*([0-9.eE+-]*\d[0-9.eE]*|)\s*\*?\s*([IXYZ]*)", text.replace(" ", ""))
        terms: list[tuple[str, float]] = []
        rebuilt = ""
        for sign, number, label in parts:
            if not number and not label:
                continue
            rebuilt += f"{sign}{number}{label}"
            value = float(number) if number else 1.0
            terms.append((label, -value if sign == "-" else value))
        if not terms or rebuilt.replace("*", "") != text.replace(" ", "").replace("*", ""):
            raise ObservableError(f"cannot read {text!r} as a sum of coefficients times Pauli strings")
        width = num_qubits or max((len(label) for label, _ in terms), default=0)
        return PauliSum(tuple((label or "I" * width, c) for label, c in terms))

    @staticmethod
    def from_any(observable: object, num_qubits: int | None = None) -> PauliSum:
        """A PauliSum from Qiskit ``SparsePauliOp``, Cirq ``PauliSum``/``PauliString``, OpenFermion
        ``QubitOperator``, a string, a mapping ``{label: coeff}`` or a list of pairs."""
        if isinstance(observable, PauliSum):
            return observable
        if isinstance(observable, str):
            return PauliSum.from_string(observable, num_qubits)
        if isinstance(observable, Mapping):
            return PauliSum.from_list(observable.items())
        module = type(observable).__module__
        if module.startswith("qiskit"):
            return PauliSum.from_list((label, c) for label, c in observable.to_list())  # type: ignore[attr-defined]
        if module.startswith("cirq"):
            return _from_cirq(observable, num_qubits)
        if module.startswith("openfermion"):
            return _from_openfermion(observable, num_qubits)
        if isinstance(observable, Sequence):
            return PauliSum.from_list(observable)  # type: ignore[arg-type]
        raise ObservableError(f"qhpc does not know how to read a {module}.{type(observable).__name__} as an "
                              "observable (Qiskit SparsePauliOp, Cirq PauliSum, OpenFermion QubitOperator, strings)")

    # -- algebra and oracles ----------------------------------------------------------------------
    def padded(self, num_qubits: int) -> PauliSum:
        """The same observable on ``num_qubits`` qubits (identity on the new, higher ones)."""
        if num_qubits < self.num_qubits:
            raise ObservableError(f"the observable acts on {self.num_qubits} qubits, more than {num_qubits}")
        pad = "I" * (num_qubits - self.num_qubits)
        return PauliSum(tuple((pad + label, c) for label, c in self.terms))

    def to_matrix(self) -> np.ndarray:
        """The dense matrix (little-endian: qubit 0 the least significant index bit)."""
        n = self.num_qubits
        out = np.zeros((2**n, 2**n), dtype=complex)
        for label, coeff in self.terms:
            m = np.eye(1)
            for char in label:  # leftmost letter = highest qubit = most significant factor
                m = np.kron(m, _PAULI[char])
            out += coeff * m
        return out

    def constant(self) -> float:
        return sum(c for label, c in self.terms if set(label) <= {"I"})

    def groups(self) -> list[list[tuple[str, float]]]:
        """Qubit-wise commuting groups (greedy, heaviest terms first); identity terms are left out
        (they need no measurement: :meth:`constant`)."""
        groups: list[tuple[dict[int, str], list[tuple[str, float]]]] = []
        for label, coeff in sorted(self.terms, key=lambda t: (-abs(t[1]), t[0])):
            support = {q: p for q, p in _letters(label).items() if p != "I"}
            if not support:
                continue
            for basis, members in groups:
                if all(basis.get(q, p) == p for q, p in support.items()):
                    basis.update(support)
                    members.append((label, coeff))
                    break
            else:
                groups.append((dict(support), [(label, coeff)]))
        return [members for _, members in groups]


def _letters(label: str) -> dict[int, str]:
    """qubit -> Pauli letter of a label (qubit 0 rightmost)."""
    n = len(label)
    return {n - 1 - k: ch for k, ch in enumerate(label)}


def group_basis(group: Sequence[tuple[str, float]]) -> dict[int, str]:
    """qubit -> the Pauli measured on it for a qubit-wise commuting group."""
    basis: dict[int, str] = {}
    for label, _ in group:
        for q, p in _letters(label).items():
            if p != "I":
                basis[q] = p
    return basis


def estimate_group(group: Sequence[tuple[str, float]], qubits: Sequence[int],
                   counts: Mapping[str, int]) -> tuple[float, float]:
    """The group's contribution ``sum_i c_i <P_i>`` and its variance of the mean, from ``counts``
    over clbits where clbit ``k`` reads qubit ``qubits[k]`` in the group's basis."""
    shots = sum(counts.values())
    if shots == 0:
        raise ObservableError("no shots to estimate from")
    position = {q: k for k, q in enumerate(qubits)}
    width = len(qubits)
    masks = []
    for label, coeff in group:
        mask = 0
        for q, p in _letters(label).items():
            if p != "I":
                mask |= 1 << position[q]
        masks.append((mask, coeff))
    total = 0.0
    square = 0.0
    for key, n in counts.items():
        value = int(key, 2) if width else 0
        shot = sum(coeff * (-1 if bin(value & mask).count("1") % 2 else 1) for mask, coeff in masks)
        total += n * shot
        square += n * shot * shot
    mean = total / shots
    variance = max(square / shots - mean * mean, 0.0)
    return mean, variance / max(shots - 1, 1)


def _real(coeff: complex, label: str) -> float:
    value = complex(coeff)
    if abs(value.imag) > 1e-12:
        raise ObservableError(f"the coefficient of {label} is complex ({value}); an observable's Pauli "
                              "coefficients are real")
    if not math.isfinite(value.real):
        raise ObservableError(f"the coefficient of {label} is not finite")
    return float(value.real)


def _from_cirq(observable: object, num_qubits: int | None) -> PauliSum:
    import cirq

    psum = cirq.PauliSum.wrap(observable)  # type: ignore[arg-type]
    qubits = sorted(psum.qubits)
    n = num_qubits or len(qubits)
    index = {q: k for k, q in enumerate(qubits)}
    terms = []
    for string in psum:
        letters = ["I"] * n
        for q, pauli in string.items():
            letters[n - 1 - index[q]] = str(pauli)
        terms.append(("".join(letters), complex(string.coefficient)))
    return PauliSum.from_list(terms)


def _from_openfermion(observable: object, num_qubits: int | None) -> PauliSum:
    terms_map = observable.terms  # type: ignore[attr-defined]
    n = num_qubits or (1 + max((q for term in terms_map for q, _ in term), default=0))
    terms = []
    for term, coeff in terms_map.items():
        letters = ["I"] * n
        for q, pauli in term:
            if q >= n:
                raise ObservableError(f"the observable acts on qubit {q}, beyond {n} qubits")
            letters[n - 1 - q] = pauli
        terms.append(("".join(letters), coeff))
    return PauliSum.from_list(terms)
