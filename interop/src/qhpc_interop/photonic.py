"""Linear-optical programs: the model of the photonic paradigm (format ``qhpc.photonic``, version 1).

A :class:`PhotonicProgram` has a number of spatial **modes**, an **input Fock state** (photons per
mode), a list of linear-optical **components** applied in order, **heralds** (mode -> the photon
count its detector must read) and **post-selection conditions** (the photon count summed over some
modes compared with a number; all must hold). Detection is photon-number resolving on every mode.

**Components** (each acts on consecutive modes starting at ``mode``):

* :class:`BeamSplitter` on modes ``(mode, mode + 1)``, with angle ``theta``, four phases and one of
  three conventions. With ``c = cos(theta/2)``, ``s = sin(theta/2)`` the core matrices are::

      Rx: [[c, i s], [i s, c]]     Ry: [[c, -s], [s, c]]     H: [[c, s], [s, -c]]

  and the phases multiply it on both sides, ``U = diag(e^{i phi_tr}, e^{i phi_br}) . core .
  diag(e^{i phi_tl}, e^{i phi_bl})`` (``t``/``b``: top/bottom mode, ``l``/``r``: input/output side).
  These are Perceval's conventions (``BS.Rx``, ``BS.Ry``, ``BS.H``), so a balanced ``Rx`` splitter
  is ``theta = pi/2``.
* :class:`PhaseShifter` on ``mode``: multiplies the mode's amplitude by ``e^{i phi}``.
* :class:`Permutation` on ``len(mapping)`` modes: the photon entering mode ``mode + i`` leaves on
  mode ``mode + mapping[i]`` (Perceval's ``PERM``).
* :class:`Unitary`: any ``k x k`` unitary matrix on modes ``mode .. mode + k - 1``.

**Matrices** are written ``U[out, in]``: a photon entering mode ``k`` leaves on mode ``j`` with
amplitude ``U[j, k]``. The program's :meth:`PhotonicProgram.unitary` is the product of its
components' matrices, the first component rightmost. The probability of an output Fock state is
``|perm(U_sub)|^2 / (prod n_in! prod n_out!)`` with ``U_sub`` the rows and columns of the occupied
output and input modes, repeated by their photon counts (the backends compute it).

**Fock states** are written ``"|1,0,1,0>"``: one whole number per mode, mode 0 first (Perceval's
notation); :func:`fock_key` and :func:`parse_fock_key` convert.

**Heralds and post-selection.** An outcome is *accepted* when every heralded mode reads its count
and every :class:`Condition` holds, e.g. ``Condition((0, 1), "==", 1)``: exactly one photon in modes
0 and 1 together (written ``[0,1]==1``, as Perceval's ``PostSelect``). The photonic kind counts
accepted outcomes only, each keyed by its Fock state over **all** modes (heralded modes included,
reading their heralded count).

The JSON form round-trips exactly (floats are written with Python's shortest round-tripping
``repr``; complex matrix entries as ``[re, im]`` pairs)::

    {"format": "qhpc.photonic", "version": 1, "name": "hom", "modes": 2, "input": [1, 1],
     "components": [{"type": "bs", "mode": 0, "theta": 1.5707963267948966, "phi_tl": 0.0,
                     "phi_bl": 0.0, "phi_tr": 0.0, "phi_br": 0.0, "convention": "Rx"}],
     "heralds": {}, "postselect": [{"modes": [0, 1], "op": "==", "count": 2}], "metadata": {}}

Malformed programs (an input state longer or shorter than the modes, a component reaching beyond
the last mode, a non-unitary matrix, a non-finite angle) raise :class:`PhotonicError`, one line
naming what is wrong.
"""

from __future__ import annotations

import cmath
import hashlib
import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import InteropError

FORMAT = "qhpc.photonic"
VERSION = 1
#: Largest program the reader accepts (the unitary alone is 16 B x modes^2).
MAX_MODES = 65536
#: Tolerance of the unitarity check of :class:`Unitary` (largest entry of ``U U^dagger - I``).
UNITARY_TOLERANCE = 1e-9
CONVENTIONS = ("Rx", "Ry", "H")
OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
_FIELDS = frozenset({"format", "version", "name", "modes", "input", "components", "heralds", "postselect",
                     "metadata"})
_FOCK = re.compile(r"\|(\d+(?:,\d+)*)?>")


class PhotonicError(InteropError, ValueError):
    """A photonic program is malformed or used inconsistently."""


def _whole(value: object, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise PhotonicError(f"{what} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def _angle(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise PhotonicError(f"{what} must be a finite real number, not {value!r}")
    return float(value)


def fock_key(occupation: Iterable[int]) -> str:
    """``"|1,0,1>"`` for the occupation numbers ``(1, 0, 1)``."""
    return "|" + ",".join(str(int(n)) for n in occupation) + ">"


def parse_fock_key(key: str, modes: int | None = None) -> tuple[int, ...]:
    """The occupation numbers of ``"|1,0,1>"``; with ``modes``, the state must have that many entries."""
    found = _FOCK.fullmatch(key) if isinstance(key, str) else None
    if found is None:
        raise PhotonicError(f"{key!r} is not a Fock state written like '|1,0,1>'")
    state = tuple(int(n) for n in found.group(1).split(",")) if found.group(1) else ()
    if modes is not None and len(state) != modes:
        raise PhotonicError(f"the Fock state {key} has {len(state)} modes, not {modes}")
    return state


# -- components --------------------------------------------------------------------------------------


class Component:
    """A linear-optical component on consecutive modes ``mode .. mode + num_modes - 1``."""

    kind: ClassVar[str]
    mode: int

    @property
    def num_modes(self) -> int:
        raise NotImplementedError

    @property
    def modes(self) -> tuple[int, ...]:
        return tuple(range(self.mode, self.mode + self.num_modes))

    def matrix(self) -> np.ndarray:
        """The component's own ``num_modes x num_modes`` matrix (``U[out, in]``)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def shifted(self, offset: int) -> Component:
        """The same component ``offset`` modes further down."""
        raise NotImplementedError

    @staticmethod
    def from_dict(data: Any, where: str = "component") -> Component:
        if not isinstance(data, dict):
            raise PhotonicError(f"{where} must be a JSON object, not {data!r}")
        kind = data.get("type")
        cls = _COMPONENTS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise PhotonicError(f"{where} has unknown type {kind!r} (types: {', '.join(_COMPONENTS)})")
        unknown = sorted(set(data) - cls.fields - {"type"})
        if unknown:
            raise PhotonicError(f"{where} ({kind}) has unknown field {unknown[0]!r}")
        try:
            return cls._read(data)
        except PhotonicError as exc:
            raise PhotonicError(f"{where}: {exc}") from None
        except KeyError as exc:
            raise PhotonicError(f"{where} ({kind}) lacks field {exc.args[0]!r}") from None

    fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _read(cls, data: dict[str, Any]) -> Component:
        raise NotImplementedError


@dataclass(frozen=True)
class BeamSplitter(Component):
    """A beam splitter on modes ``(mode, mode + 1)`` (see the module docstring for its matrix)."""

    mode: int
    theta: float = math.pi / 2
    phi_tl: float = 0.0
    phi_bl: float = 0.0
    phi_tr: float = 0.0
    phi_br: float = 0.0
    convention: str = "Rx"

    kind: ClassVar[str] = "bs"
    fields: ClassVar[frozenset[str]] = frozenset({"mode", "theta", "phi_tl", "phi_bl", "phi_tr", "phi_br",
                                                  "convention"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", _whole(self.mode, "a beam splitter's mode"))
        for name in ("theta", "phi_tl", "phi_bl", "phi_tr", "phi_br"):
            object.__setattr__(self, name, _angle(getattr(self, name), f"a beam splitter's {name}"))
        if self.convention not in CONVENTIONS:
            raise PhotonicError(f"a beam splitter's convention must be one of {', '.join(CONVENTIONS)}, "
                                f"not {self.convention!r}")

    @property
    def num_modes(self) -> int:
        return 2

    def matrix(self) -> np.ndarray:
        c, s = math.cos(self.theta / 2), math.sin(self.theta / 2)
        if self.convention == "Rx":
            core = np.array([[c, 1j * s], [1j * s, c]], dtype=complex)
        elif self.convention == "Ry":
            core = np.array([[c, -s], [s, c]], dtype=complex)
        else:
            core = np.array([[c, s], [s, -c]], dtype=complex)
        out = np.array([cmath.exp(1j * self.phi_tr), cmath.exp(1j * self.phi_br)])
        inp = np.array([cmath.exp(1j * self.phi_tl), cmath.exp(1j * self.phi_bl)])
        return out[:, None] * core * inp[None, :]  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "mode": self.mode, "theta": self.theta, "phi_tl": self.phi_tl,
                "phi_bl": self.phi_bl, "phi_tr": self.phi_tr, "phi_br": self.phi_br, "convention": self.convention}

    def shifted(self, offset: int) -> BeamSplitter:
        return BeamSplitter(self.mode + offset, self.theta, self.phi_tl, self.phi_bl, self.phi_tr, self.phi_br,
                            self.convention)

    @classmethod
    def _read(cls, data: dict[str, Any]) -> Component:
        return cls(data["mode"], data.get("theta", math.pi / 2), data.get("phi_tl", 0.0), data.get("phi_bl", 0.0),
                   data.get("phi_tr", 0.0), data.get("phi_br", 0.0), data.get("convention", "Rx"))

    def __str__(self) -> str:
        phases = [f"{n}={getattr(self, n):.6g}" for n in ("phi_tl", "phi_bl", "phi_tr", "phi_br") if getattr(self, n)]
        return f"BS.{self.convention}(theta={self.theta:.6g}{''.join(', ' + p for p in phases)}) on {self.mode},{self.mode + 1}"


@dataclass(frozen=True)
class PhaseShifter(Component):
    """A phase ``e^{i phi}`` on one mode."""

    mode: int
    phi: float

    kind: ClassVar[str] = "ps"
    fields: ClassVar[frozenset[str]] = frozenset({"mode", "phi"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", _whole(self.mode, "a phase shifter's mode"))
        object.__setattr__(self, "phi", _angle(self.phi, "a phase shifter's phi"))

    @property
    def num_modes(self) -> int:
        return 1

    def matrix(self) -> np.ndarray:
        return np.array([[cmath.exp(1j * self.phi)]], dtype=complex)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "mode": self.mode, "phi": self.phi}

    def shifted(self, offset: int) -> PhaseShifter:
        return PhaseShifter(self.mode + offset, self.phi)

    @classmethod
    def _read(cls, data: dict[str, Any]) -> Component:
        return cls(data["mode"], data["phi"])

    def __str__(self) -> str:
        return f"PS(phi={self.phi:.6g}) on {self.mode}"


@dataclass(frozen=True)
class Permutation(Component):
    """Mode ``mode + i`` goes to mode ``mode + mapping[i]``."""

    mode: int
    mapping: tuple[int, ...]

    kind: ClassVar[str] = "perm"
    fields: ClassVar[frozenset[str]] = frozenset({"mode", "mapping"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", _whole(self.mode, "a permutation's mode"))
        if isinstance(self.mapping, (str, bytes)) or not isinstance(self.mapping, Sequence):
            raise PhotonicError(f"a permutation's mapping must be a list of mode offsets, not {self.mapping!r}")
        mapping = tuple(_whole(v, "a permutation's entry") for v in self.mapping)
        if not mapping or sorted(mapping) != list(range(len(mapping))):
            raise PhotonicError(f"{list(mapping)} is not a permutation of 0..{len(mapping) - 1}")
        object.__setattr__(self, "mapping", mapping)

    @property
    def num_modes(self) -> int:
        return len(self.mapping)

    def matrix(self) -> np.ndarray:
        k = len(self.mapping)
        out = np.zeros((k, k), dtype=complex)
        out[list(self.mapping), list(range(k))] = 1.0
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "mode": self.mode, "mapping": list(self.mapping)}

    def shifted(self, offset: int) -> Permutation:
        return Permutation(self.mode + offset, self.mapping)

    @classmethod
    def _read(cls, data: dict[str, Any]) -> Component:
        return cls(data["mode"], data["mapping"])

    def __str__(self) -> str:
        return f"PERM({list(self.mapping)}) on {self.mode}..{self.mode + len(self.mapping) - 1}"


class Unitary(Component):
    """Any unitary matrix on ``k`` consecutive modes from ``mode``."""

    kind: ClassVar[str] = "unitary"
    fields: ClassVar[frozenset[str]] = frozenset({"mode", "matrix"})

    def __init__(self, mode: int, matrix: Any) -> None:
        self.mode = _whole(mode, "a unitary's mode")
        try:
            m = np.array(matrix, dtype=complex)
        except (TypeError, ValueError):
            raise PhotonicError("a unitary's matrix must be a square matrix of numbers") from None
        if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 1:
            raise PhotonicError(f"a unitary's matrix must be square, not of shape {m.shape}")
        if not np.all(np.isfinite(m)):
            raise PhotonicError("a unitary's matrix has a non-finite entry")
        error = float(np.max(np.abs(m @ m.conj().T - np.eye(m.shape[0]))))
        if error > UNITARY_TOLERANCE:
            raise PhotonicError(f"a {m.shape[0]}x{m.shape[0]} matrix on mode {self.mode} is not unitary "
                                f"(U U^dagger differs from the identity by {error:.3g})")
        m.flags.writeable = False
        self._matrix = m

    @property
    def num_modes(self) -> int:
        return int(self._matrix.shape[0])

    def matrix(self) -> np.ndarray:
        return self._matrix.copy()

    def to_dict(self) -> dict[str, Any]:
        rows = [[[float(z.real), float(z.imag)] for z in row] for row in self._matrix]
        return {"type": self.kind, "mode": self.mode, "matrix": rows}

    def shifted(self, offset: int) -> Unitary:
        return Unitary(self.mode + offset, self._matrix)

    @classmethod
    def _read(cls, data: dict[str, Any]) -> Component:
        rows = data["matrix"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise PhotonicError("a unitary's matrix must be a list of rows of [re, im] pairs")
        values = []
        for row in rows:
            entries = []
            for z in row:
                if not (isinstance(z, list) and len(z) == 2):
                    raise PhotonicError(f"a unitary's entries are [re, im] pairs, not {z!r}")
                entries.append(complex(_angle(z[0], "a matrix entry"), _angle(z[1], "a matrix entry")))
            values.append(entries)
        if len({len(r) for r in values}) > 1:
            raise PhotonicError("a unitary's matrix rows have different lengths")
        return cls(data["mode"], values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Unitary):
            return NotImplemented
        return self.mode == other.mode and np.array_equal(self._matrix, other._matrix)

    def __hash__(self) -> int:
        return hash((self.mode, self._matrix.tobytes()))

    def __repr__(self) -> str:
        return f"Unitary(mode={self.mode}, matrix={self._matrix.tolist()!r})"

    def __str__(self) -> str:
        return f"Unitary({self.num_modes}x{self.num_modes}) on {self.mode}..{self.mode + self.num_modes - 1}"


_COMPONENTS: dict[str, type[Component]] = {c.kind: c for c in (BeamSplitter, PhaseShifter, Permutation, Unitary)}


# -- post-selection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """The photon count summed over ``modes`` compared with ``count`` (``op`` one of ``== != < <= > >=``)."""

    modes: tuple[int, ...]
    op: str
    count: int

    def __post_init__(self) -> None:
        if isinstance(self.modes, (str, bytes)) or not isinstance(self.modes, Iterable):
            raise PhotonicError(f"a post-selection condition's modes must be a list of modes, not {self.modes!r}")
        modes = tuple(_whole(m, "a post-selection mode") for m in self.modes)
        if not modes or len(set(modes)) != len(modes):
            raise PhotonicError(f"a post-selection condition needs distinct modes, not {list(modes)}")
        object.__setattr__(self, "modes", modes)
        if self.op not in OPERATORS:
            raise PhotonicError(f"a post-selection operator must be one of {' '.join(OPERATORS)}, not {self.op!r}")
        object.__setattr__(self, "count", _whole(self.count, "a post-selection count"))

    def holds(self, occupation: Sequence[int]) -> bool:
        total = sum(int(occupation[m]) for m in self.modes)
        return bool(_compare(np.asarray(total), self.op, self.count))

    def to_dict(self) -> dict[str, Any]:
        return {"modes": list(self.modes), "op": self.op, "count": self.count}

    def __str__(self) -> str:
        return f"[{','.join(map(str, self.modes))}]{self.op}{self.count}"


def _compare(total: np.ndarray, op: str, count: int) -> np.ndarray:
    if op == "==":
        return total == count
    if op == "!=":
        return total != count
    if op == "<":
        return total < count
    if op == "<=":
        return total <= count
    if op == ">":
        return total > count
    return total >= count


# -- the program -------------------------------------------------------------------------------------


class PhotonicProgram:
    """A linear-optical program: modes, input Fock state, components, heralds, post-selection."""

    def __init__(self, modes: int, input_state: Sequence[int] | str | None = None,
                 components: Iterable[Component] = (), heralds: Mapping[int, int] | None = None,
                 postselect: Iterable[Condition] = (), *, name: str | None = None,
                 metadata: Mapping[str, Any] | None = None) -> None:
        self._modes = _whole(modes, "the number of modes", 1)
        if self._modes > MAX_MODES:
            raise PhotonicError(f"a program of {self._modes} modes exceeds the limit of {MAX_MODES}")
        if name is not None and not isinstance(name, str):
            raise PhotonicError(f"a program's name must be a string, not {name!r}")
        self.name = name
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._components: list[Component] = []
        self._heralds: dict[int, int] = {}
        self._conditions: list[Condition] = []
        self._input: tuple[int, ...] = (0,) * self._modes
        if input_state is not None:
            self.with_input(input_state)
        for component in components:
            self.add(component)
        for mode, count in (heralds or {}).items():
            self.herald(mode, count)
        for condition in postselect:
            self._add_condition(condition)

    # -- building -------------------------------------------------------------------------------
    def with_input(self, state: Sequence[int] | str) -> PhotonicProgram:
        """Set the input Fock state (a sequence of photon counts, or ``"|1,0,1>"``)."""
        if isinstance(state, str):
            values: Sequence[Any] = parse_fock_key(state)
        elif isinstance(state, (bytes, Mapping)) or not isinstance(state, Iterable):
            raise PhotonicError(f"an input state is a list of photon counts or '|1,0,...>', not {state!r}")
        else:
            values = list(state)
        occupation = tuple(_whole(n, "an input photon count") for n in values)
        if len(occupation) != self._modes:
            raise PhotonicError(f"the input state {fock_key(occupation)} has {len(occupation)} modes but the "
                                f"program has {self._modes}")
        self._input = occupation
        return self

    def add(self, component: Component) -> PhotonicProgram:
        """Append a component (it must lie within the program's modes)."""
        if not isinstance(component, Component):
            raise PhotonicError(f"{component!r} is not a photonic component")
        last = component.mode + component.num_modes - 1
        if last >= self._modes:
            raise PhotonicError(f"component {len(self._components)} ({component}) reaches mode {last}, beyond the "
                                f"last mode {self._modes - 1} of this {self._modes}-mode program")
        self._components.append(component)
        return self

    def bs(self, mode: int, theta: float = math.pi / 2, *, phi_tl: float = 0.0, phi_bl: float = 0.0,
           phi_tr: float = 0.0, phi_br: float = 0.0, convention: str = "Rx") -> PhotonicProgram:
        return self.add(BeamSplitter(mode, theta, phi_tl, phi_bl, phi_tr, phi_br, convention))

    def ps(self, mode: int, phi: float) -> PhotonicProgram:
        return self.add(PhaseShifter(mode, phi))

    def perm(self, mode: int, mapping: Sequence[int]) -> PhotonicProgram:
        return self.add(Permutation(mode, tuple(mapping)))

    def add_unitary(self, mode: int, matrix: Any) -> PhotonicProgram:
        return self.add(Unitary(mode, matrix))

    def unitary(self) -> np.ndarray:
        """The program's ``modes x modes`` unitary ``U[out, in]``: its components' matrices multiplied,
        the first component rightmost."""
        total = np.eye(self._modes, dtype=complex)
        for component in self._components:
            lo, hi = component.mode, component.mode + component.num_modes
            total[lo:hi, :] = component.matrix() @ total[lo:hi, :]
        return total

    def herald(self, mode: int, count: int) -> PhotonicProgram:
        """Require the detector of ``mode`` to read ``count`` photons."""
        mode = self._check_mode(mode, "a heralded mode")
        self._heralds[mode] = _whole(count, "a herald's photon count")
        return self

    def postselect(self, modes: int | Iterable[int], op: str, count: int) -> PhotonicProgram:
        """Keep only outcomes whose photon count over ``modes`` satisfies ``op count``."""
        return self._add_condition(Condition(tuple([modes] if isinstance(modes, int) else modes), op, count))

    def _add_condition(self, condition: Condition) -> PhotonicProgram:
        if not isinstance(condition, Condition):
            raise PhotonicError(f"{condition!r} is not a post-selection Condition")
        for m in condition.modes:
            self._check_mode(m, "a post-selected mode")
        self._conditions.append(condition)
        return self

    def _check_mode(self, mode: object, what: str) -> int:
        value = _whole(mode, what)
        if value >= self._modes:
            raise PhotonicError(f"{what} {value} is beyond the last mode {self._modes - 1} of this "
                                f"{self._modes}-mode program")
        return value

    # -- reading --------------------------------------------------------------------------------
    @property
    def modes(self) -> int:
        return self._modes

    @property
    def input_state(self) -> tuple[int, ...]:
        return self._input

    @property
    def num_photons(self) -> int:
        """Photons in the input state."""
        return sum(self._input)

    @property
    def components(self) -> tuple[Component, ...]:
        return tuple(self._components)

    @property
    def heralds(self) -> dict[int, int]:
        return dict(self._heralds)

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(self._conditions)

    @property
    def is_selective(self) -> bool:
        """Whether some outcomes are rejected (the program has heralds or conditions)."""
        return bool(self._heralds or self._conditions)

    def postselect_text(self) -> str:
        """The heralds and conditions in Perceval's ``PostSelect`` syntax (``""`` when there are none)."""
        parts = [f"[{m}]=={n}" for m, n in sorted(self._heralds.items())] + [str(c) for c in self._conditions]
        return " & ".join(parts)

    def accepts(self, occupation: Sequence[int]) -> bool:
        """Whether an outcome (photon counts on every mode) passes the heralds and conditions."""
        if len(occupation) != self._modes:
            raise PhotonicError(f"an outcome of {len(occupation)} modes for a {self._modes}-mode program")
        return all(int(occupation[m]) == n for m, n in self._heralds.items()) and \
            all(c.holds(occupation) for c in self._conditions)

    def accept_mask(self, occupations: np.ndarray) -> np.ndarray:
        """:meth:`accepts` for each row of an ``(outcomes, modes)`` array."""
        occ = np.asarray(occupations)
        keep = np.ones(occ.shape[0], dtype=bool)
        for mode, count in self._heralds.items():
            keep &= occ[:, mode] == count
        for condition in self._conditions:
            keep &= _compare(occ[:, list(condition.modes)].sum(axis=1), condition.op, condition.count)
        return keep

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``qhpc.photonic`` document as plain JSON-compatible data."""
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if self.name is not None:
            doc["name"] = self.name
        doc.update({
            "modes": self._modes,
            "input": list(self._input),
            "components": [c.to_dict() for c in self._components],
            "heralds": {str(m): n for m, n in sorted(self._heralds.items())},
            "postselect": [c.to_dict() for c in self._conditions],
            "metadata": self.metadata,
        })
        return doc

    @classmethod
    def from_dict(cls, doc: Any) -> PhotonicProgram:
        """A program from its document; :class:`PhotonicError` says what is wrong."""
        if not isinstance(doc, dict):
            raise PhotonicError(f"a {FORMAT} document is a JSON object, not {type(doc).__name__}")
        if doc.get("format") != FORMAT:
            raise PhotonicError(f"not a qhpc photonic program (format is {doc.get('format')!r}, expected {FORMAT!r})")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise PhotonicError(f"invalid {FORMAT} version {version!r}")
        if version > VERSION:
            raise PhotonicError(f"{FORMAT} version {version} is newer than this qhpc-interop reads ({VERSION}); "
                                "upgrade qhpc-interop")
        unknown = sorted(set(doc) - _FIELDS)
        if unknown:
            raise PhotonicError(f"unknown field {unknown[0]!r} in a {FORMAT} document "
                                f"(fields: {', '.join(sorted(_FIELDS))})")
        if "modes" not in doc:
            raise PhotonicError("missing field 'modes' (the number of modes)")
        components = doc.get("components", [])
        if not isinstance(components, list):
            raise PhotonicError(f"field 'components' must be a list, not {components!r}")
        heralds = doc.get("heralds", {})
        if not isinstance(heralds, dict):
            raise PhotonicError(f"field 'heralds' must be an object of mode: photon count, not {heralds!r}")
        conditions = doc.get("postselect", [])
        if not isinstance(conditions, list):
            raise PhotonicError(f"field 'postselect' must be a list of conditions, not {conditions!r}")
        metadata = doc.get("metadata", {})
        if not isinstance(metadata, dict):
            raise PhotonicError(f"field 'metadata' must be an object, not {metadata!r}")
        program = cls(doc["modes"], doc.get("input"), name=doc.get("name"), metadata=metadata)
        for k, data in enumerate(components):
            program.add(Component.from_dict(data, f"component {k}"))
        for key, count in heralds.items():
            if not isinstance(key, str) or not key.isdigit():
                raise PhotonicError(f"a herald's mode must be written as a whole number, not {key!r}")
            program.herald(int(key), count)
        for k, data in enumerate(conditions):
            if not isinstance(data, dict) or set(data) != {"modes", "op", "count"}:
                raise PhotonicError(f"post-selection condition {k} must be {{'modes': [...], 'op': ..., 'count': n}}")
            try:
                program._add_condition(Condition(tuple(data["modes"]) if isinstance(data["modes"], list)
                                                 else data["modes"], data["op"], data["count"]))
            except PhotonicError as exc:
                raise PhotonicError(f"post-selection condition {k}: {exc}") from None
        return program

    def fingerprint(self) -> str:
        """A content hash of everything that affects execution (not the name or metadata)."""
        doc = self.to_dict()
        doc.pop("name", None)
        doc.pop("metadata", None)
        return hashlib.blake2b(json.dumps(doc, sort_keys=True).encode(), digest_size=16).hexdigest()

    def copy(self) -> PhotonicProgram:
        return PhotonicProgram(self._modes, self._input, self._components, self._heralds, self._conditions,
                               name=self.name, metadata=json.loads(json.dumps(self.metadata)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PhotonicProgram):
            return NotImplemented
        return (self._modes == other._modes and self._input == other._input and self.name == other.name
                and self._components == other._components and self._heralds == other._heralds
                and self._conditions == other._conditions and self.metadata == other.metadata)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return (f"PhotonicProgram(modes={self._modes}, input={fock_key(self._input)}, "
                f"components={len(self._components)}, heralds={self._heralds}, postselect={self.postselect_text()!r})")

    def __str__(self) -> str:
        lines = [f"photonic program{' ' + repr(self.name) if self.name else ''}: {self._modes} modes, input "
                 f"{fock_key(self._input)}"]
        lines += [f"  {c}" for c in self._components]
        if self.is_selective:
            lines.append(f"  accept: {self.postselect_text()}")
        return "\n".join(lines)


def dumps(program: PhotonicProgram, *, indent: int | None = None) -> str:
    """The ``qhpc.photonic`` JSON text for ``program``."""
    return json.dumps(program.to_dict(), indent=indent, allow_nan=False)


def loads(text: str, *, source: str | None = None) -> PhotonicProgram:
    """A program from ``qhpc.photonic`` JSON text; errors name ``source`` (a file name) when given."""
    where = f"{source}: " if source else ""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PhotonicError(f"{source or '<json>'}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise PhotonicError(f"{source or '<json>'}: JSON nested too deeply to read") from None
    try:
        return PhotonicProgram.from_dict(doc)
    except PhotonicError as exc:
        raise PhotonicError(f"{where}{exc}") from None
