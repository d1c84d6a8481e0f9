"""Binary quadratic models: the program of the annealing paradigm (format ``qhpc.bqm``, version 1).

A :class:`BinaryQuadraticModel` has variables with labels (strings or integers, in a kept order),
a linear bias per variable, quadratic biases on pairs of distinct variables, an offset, and a
vartype: ``BINARY`` (values 0 and 1) or ``SPIN`` (values -1 and +1).

**Sign convention: minimise the energy.** The energy of an assignment ``v`` is

    E(v) = offset + sum_i a_i v_i + sum_{i<j} b_ij v_i v_j

and the best assignment is the one of **lowest** energy (dimod's convention). Other frameworks
write the same problem with other signs: myQLM's ``QUBO(Q, E_Q)`` minimises ``H = -x^T Q x - E_Q``
(so ``a_i = -Q_ii``, ``b_ij = -2 Q_ij``, offset ``-E_Q``) and its ``Ising(J, h, E_I)`` minimises
``H = -s^T J s - h^T s - E_I``; Qiskit's ``QuadraticProgram`` says ``minimize`` or ``maximize``
(a maximised objective is negated). The translators in ``qhpc-dwave`` apply exactly these rules.

**Variable order.** The order of ``variables`` when they are declared, else the order of first
appearance (the linear biases, then the quadratic terms). Sampled assignments are written as
bitstrings over the variables with **variable 0 the rightmost character**, like clbit 0 of a gate
circuit's counts: ``'1'`` is the value 1 (BINARY) or +1 (SPIN), ``'0'`` is 0 or -1. So with
variables ``(a, b, c)``, ``"001"`` is ``a=1, b=0, c=0``.

**SPIN and BINARY** are related by ``s = 2x - 1`` (``x = 1`` is ``s = +1``, as in dimod);
:meth:`BinaryQuadraticModel.change_vartype` rewrites a model into the other vartype with the same
energy for corresponding assignments.

The JSON form round-trips exactly (floats are written with Python's shortest round-tripping
``repr``; integer and string labels stay what they are)::

    {"format": "qhpc.bqm", "version": 1, "name": "triangle", "vartype": "SPIN",
     "variables": ["a", "b", 0], "linear": [0.5, 0.0, -1.0],
     "quadratic": [["a", "b", 1.0], ["b", 0, 1.0], ["a", 0, 1.0]], "offset": 0.0}

A hand-written document may give ``linear`` as an object keyed by (string) labels and leave
``variables`` out. Malformed problems (a non-numeric or non-finite bias, a self-loop given as a
quadratic term, a term on an undeclared variable, a duplicate label) raise :class:`BQMError`,
one line naming what is wrong. Two quadratic terms on the same pair add up (as in dimod).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import InteropError

FORMAT = "qhpc.bqm"
VERSION = 1

Label = str | int
_FIELDS = frozenset({"format", "version", "name", "vartype", "variables", "linear", "quadratic", "offset"})


class BQMError(InteropError, ValueError):
    """A binary quadratic model (or its JSON document) is malformed, or a sample does not fit it."""


class Vartype(enum.StrEnum):
    """The values of a model's variables: ``BINARY`` (0, 1) or ``SPIN`` (-1, +1)."""

    BINARY = "BINARY"
    SPIN = "SPIN"

    @property
    def values(self) -> tuple[int, int]:
        """The two values, the one written ``'0'`` first."""
        return (0, 1) if self is Vartype.BINARY else (-1, 1)


def as_vartype(value: object) -> Vartype:
    """``value`` as a :class:`Vartype` (``"BINARY"``, ``"SPIN"``, any case, or a vartype object
    whose ``name`` is one of those, such as dimod's)."""
    name = value.name if isinstance(value, enum.Enum) else value
    if isinstance(name, str) and name.upper() in ("BINARY", "SPIN"):
        return Vartype(name.upper())
    raise BQMError(f"vartype must be 'BINARY' or 'SPIN', not {value!r}")


def _label(value: object, where: str) -> Label:
    if type(value) is str or type(value) is int:  # the common case, without the ABC checks below
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise BQMError(f"{where}: variable label {value!r} must be a string or an integer")
    return value if isinstance(value, str) else int(value)


def _bias(value: object, what: str) -> float:
    if type(value) is float and math.isfinite(value):  # the common case, without the ABC checks below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BQMError(f"{what} must be a finite number, not {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise BQMError(f"{what} must be a finite number, not {out!r}")
    return out


class BinaryQuadraticModel:
    """A binary quadratic model (see the module docstring for the conventions). Immutable.

    ``linear`` maps labels to biases (or is a sequence of biases, one per variable in order:
    for ``variables`` when given, else for labels 0, 1, ...); ``quadratic`` maps pairs of labels
    to biases (or is an iterable of ``(u, v, bias)``). With ``variables`` given, every label used
    must be declared there; without, variables are added in order of first appearance.
    """

    __slots__ = ("_arrays", "_index", "_linear", "_offset", "_quadratic", "_variables", "_vartype", "name")

    def __init__(self, linear: Mapping[Any, Any] | Sequence[Any] | None = None,
                 quadratic: Mapping[Any, Any] | Iterable[Any] | None = None, offset: Any = 0.0,
                 vartype: Any = Vartype.BINARY, *, variables: Iterable[Any] | None = None,
                 name: str | None = None) -> None:
        self._vartype = as_vartype(vartype)
        if name is not None and not isinstance(name, str):
            raise BQMError(f"name must be a string, not {name!r}")
        self.name = name
        self._offset = _bias(offset, "offset")
        self._variables: list[Label] = []
        self._index: dict[Label, int] = {}
        self._linear: list[float] = []
        self._quadratic: dict[tuple[int, int], float] = {}
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        declared = variables is not None
        if variables is not None:
            if isinstance(variables, (str, bytes)) or not isinstance(variables, Iterable):
                raise BQMError(f"variables must be a list of labels, not {variables!r}")
            for v in variables:
                label = _label(v, "variables")
                if label in self._index:
                    raise BQMError(f"duplicate variable label {label!r} in variables")
                self._add(label)
        linear = {} if linear is None else linear
        if isinstance(linear, Mapping):
            for v, b in linear.items():
                k = self._lookup(v, declared, "linear")
                self._linear[k] += _bias(b, f"the linear bias of {v!r}")
        elif isinstance(linear, Sequence) and not isinstance(linear, (str, bytes)):
            if declared and len(linear) != len(self._variables):
                raise BQMError(f"linear has {len(linear)} biases for {len(self._variables)} variables")
            for k, b in enumerate(linear):
                idx = k if declared else self._lookup(k, False, "linear")
                self._linear[idx] += _bias(b, f"the linear bias of {self._variables[idx]!r}")
        else:
            raise BQMError(f"linear must be a mapping of labels to biases or a list of biases, not {linear!r}")
        quadratic = {} if quadratic is None else quadratic
        items: Iterable[Any] = ((*k, b) if isinstance(k, tuple) else (k, b) for k, b in quadratic.items()) \
            if isinstance(quadratic, Mapping) else quadratic
        if isinstance(quadratic, (str, bytes)) or not isinstance(items, Iterable):
            raise BQMError(f"quadratic must map pairs of labels to biases, not {quadratic!r}")
        for term in items:
            if not isinstance(term, (tuple, list)) or len(term) != 3:
                shown = term[:-1] if isinstance(term, tuple) and len(term) > 1 else term
                raise BQMError(f"quadratic term {shown!r} must be a pair of labels with a bias")
            u, v, b = term
            i = self._lookup(u, declared, f"quadratic term ({u!r}, {v!r})")
            j = self._lookup(v, declared, f"quadratic term ({u!r}, {v!r})")
            if i == j:
                raise BQMError(f"self-loop ({u!r}, {v!r}) given as a quadratic term; a variable's own term is "
                               "linear (x*x = x for BINARY) or constant (s*s = 1 for SPIN)")
            bias = _bias(b, f"the quadratic bias of ({u!r}, {v!r})")
            key = (i, j) if i < j else (j, i)
            self._quadratic[key] = self._quadratic.get(key, 0.0) + bias

    def _add(self, label: Label) -> int:
        self._index[label] = len(self._variables)
        self._variables.append(label)
        self._linear.append(0.0)
        return len(self._variables) - 1

    def _lookup(self, value: object, declared: bool, where: str) -> int:
        label = _label(value, where)
        k = self._index.get(label)
        if k is not None:
            return k
        if declared:
            raise BQMError(f"{where} names {label!r}, which is not a declared variable")
        return self._add(label)

    # -- what it holds -------------------------------------------------------------------------
    @property
    def vartype(self) -> Vartype:
        return self._vartype

    @property
    def variables(self) -> tuple[Label, ...]:
        """The labels, in order (variable 0 first; it is the rightmost character of a bitstring)."""
        return tuple(self._variables)

    @property
    def num_variables(self) -> int:
        return len(self._variables)

    @property
    def num_interactions(self) -> int:
        return len(self._quadratic)

    @property
    def offset(self) -> float:
        return self._offset

    @property
    def linear(self) -> dict[Label, float]:
        """label -> linear bias (a copy)."""
        return dict(zip(self._variables, self._linear))

    @property
    def quadratic(self) -> dict[tuple[Label, Label], float]:
        """(u, v) -> quadratic bias, ``u`` before ``v`` in variable order (a copy)."""
        return {(self._variables[i], self._variables[j]): b for (i, j), b in self._quadratic.items()}

    def index(self, label: Label) -> int:
        """The position of variable ``label``."""
        try:
            return self._index[label]
        except (KeyError, TypeError):
            raise BQMError(f"{label!r} is not a variable of this model") from None

    def terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The model as arrays: linear biases (n), and the quadratic terms' first and second
        variable positions (``i < j``) and biases (m each). Read-only."""
        if self._arrays is None:
            keys = list(self._quadratic)
            arrays = (np.array(self._linear, dtype=float),
                      np.array([k[0] for k in keys], dtype=np.int64),
                      np.array([k[1] for k in keys], dtype=np.int64),
                      np.array(list(self._quadratic.values()), dtype=float))
            for a in arrays:
                a.setflags(write=False)
            self._arrays = arrays
        return self._arrays

    def scale(self) -> float:
        """The largest absolute linear or quadratic bias (0.0 for a constant model)."""
        biases = [abs(b) for b in self._linear] + [abs(b) for b in self._quadratic.values()]
        return max(biases, default=0.0)

    # -- samples and energies --------------------------------------------------------------------
    def _as_array(self, samples: Any) -> np.ndarray:
        """Samples as a (k, n) array of values, checked against the vartype."""
        n = self.num_variables
        if isinstance(samples, Mapping):
            missing = [v for v in self._variables if v not in samples]
            if missing:
                raise BQMError(f"the sample gives no value for variable(s) {', '.join(map(repr, missing[:5]))}")
            extra = [v for v in samples if v not in self._index]
            if extra:
                raise BQMError(f"the sample names {extra[0]!r}, which is not a variable of this model")
            rows = np.array([[samples[v] for v in self._variables]])
        elif isinstance(samples, str):
            rows = np.array([self.sample_of(samples)])
        else:
            rows = np.asarray(samples)
            if rows.ndim == 1:
                rows = rows.reshape(1, -1)
        if rows.ndim != 2 or rows.shape[1] != n:
            raise BQMError(f"a sample must give {n} values (one per variable), got shape {rows.shape}")
        if rows.size and not np.issubdtype(rows.dtype, np.number):
            raise BQMError(f"sample values must be numbers, not {rows.dtype}")
        low, high = self._vartype.values
        if rows.size and not np.all((rows == low) | (rows == high)):
            bad = rows[~((rows == low) | (rows == high))].flat[0].item()
            raise BQMError(f"{self._vartype} variables take the values {low} and {high}, not {bad!r}")
        return rows.astype(np.int8 if rows.size else float)

    def energy(self, sample: Mapping[Any, Any] | Sequence[Any] | str) -> float:
        """The energy of one assignment: a mapping label -> value, a sequence of values in variable
        order, or a bitstring (variable 0 rightmost)."""
        return float(self.energies(sample)[0])

    def energies(self, samples: Any) -> np.ndarray:
        """The energies of several assignments (a (k, n) array of values, or one assignment)."""
        rows = self._as_array(samples).astype(float)
        linear, qi, qj, qb = self.terms()
        out = self._offset + rows @ linear
        if len(qb):
            out = out + (rows[:, qi] * rows[:, qj]) @ qb
        return np.asarray(out, dtype=float)

    def sample_of(self, bits: str) -> tuple[int, ...]:
        """The values a bitstring stands for, in variable order (variable 0 is the last character)."""
        n = self.num_variables
        if not isinstance(bits, str) or len(bits) != n or any(c not in "01" for c in bits):
            raise BQMError(f"{bits!r} is not a bitstring of {n} variables (characters 0 and 1)")
        low, high = self._vartype.values
        return tuple(high if c == "1" else low for c in reversed(bits))

    def samples_of(self, bitstrings: Sequence[str]) -> np.ndarray:
        """The values of several bitstrings as a (k, n) array (columns in variable order)."""
        n, k = self.num_variables, len(bitstrings)
        try:
            raw = "".join(bitstrings).encode("ascii")
        except (TypeError, UnicodeEncodeError):
            raw = b""
        if len(raw) != n * k or any(not isinstance(b, str) or len(b) != n for b in bitstrings) \
                or raw.strip(b"01"):
            bad = next((b for b in bitstrings if not isinstance(b, str) or len(b) != n or b.strip("01")), bitstrings)
            raise BQMError(f"{bad!r} is not a bitstring of {n} variables (characters 0 and 1)")
        bits = np.frombuffer(raw, dtype=np.uint8).reshape(k, n)[:, ::-1] == ord("1")
        low, high = self._vartype.values
        return np.where(bits, high, low).astype(np.int8)

    def bitstring(self, sample: Mapping[Any, Any] | Sequence[Any]) -> str:
        """The bitstring of an assignment (variable 0 is the last character)."""
        row = self._as_array(sample)[0]
        high = self._vartype.values[1]
        return "".join("1" if v == high else "0" for v in reversed(row.tolist()))

    # -- conversions -------------------------------------------------------------------------------
    def change_vartype(self, vartype: Any) -> BinaryQuadraticModel:
        """The same problem over the other vartype (``s = 2x - 1``): corresponding assignments
        have equal energies."""
        target = as_vartype(vartype)
        if target is self._vartype:
            return self.copy()
        lin = list(self._linear)
        quad: dict[tuple[int, int], float] = {}
        offset = self._offset
        if target is Vartype.BINARY:  # s = 2x - 1
            for k, h in enumerate(self._linear):
                lin[k] = 2.0 * h
                offset -= h
            for (i, j), J in self._quadratic.items():
                quad[(i, j)] = 4.0 * J
                lin[i] -= 2.0 * J
                lin[j] -= 2.0 * J
                offset += J
        else:  # x = (s + 1) / 2
            for k, a in enumerate(self._linear):
                lin[k] = a / 2.0
                offset += a / 2.0
            for (i, j), b in self._quadratic.items():
                quad[(i, j)] = b / 4.0
                lin[i] += b / 4.0
                lin[j] += b / 4.0
                offset += b / 4.0
        return self._rebuilt(lin, quad, offset, target)

    def spin(self) -> BinaryQuadraticModel:
        return self.change_vartype(Vartype.SPIN)

    def binary(self) -> BinaryQuadraticModel:
        return self.change_vartype(Vartype.BINARY)

    def _rebuilt(self, linear: list[float], quadratic: Mapping[tuple[int, int], float], offset: float,
                 vartype: Vartype) -> BinaryQuadraticModel:
        labels = self._variables
        return BinaryQuadraticModel(linear, [(labels[i], labels[j], b) for (i, j), b in quadratic.items()],
                                    offset, vartype, variables=labels, name=self.name)

    def copy(self) -> BinaryQuadraticModel:
        return self._rebuilt(list(self._linear), self._quadratic, self._offset, self._vartype)

    @classmethod
    def from_arrays(cls, variables: Sequence[Any], linear: Any, rows: Any, cols: Any, biases: Any,
                    offset: Any = 0.0, vartype: Any = Vartype.BINARY, *, name: str | None = None) -> BinaryQuadraticModel:
        """A model from arrays (what a framework's vectors give): a bias per variable, and quadratic
        terms as positions ``rows[k]``, ``cols[k]`` into ``variables`` with ``biases[k]``. Checked
        as the constructor checks, with array operations."""
        labels = [_label(v, "variables") for v in variables]
        n = len(labels)
        lin = np.asarray(linear, dtype=float).reshape(-1)
        i = np.asarray(rows).reshape(-1)
        j = np.asarray(cols).reshape(-1)
        b = np.asarray(biases, dtype=float).reshape(-1)
        if len(lin) != n:
            raise BQMError(f"linear has {len(lin)} biases for {n} variables")
        if not (len(i) == len(j) == len(b)):
            raise BQMError(f"quadratic terms need as many rows, columns and biases (got {len(i)}, {len(j)}, {len(b)})")
        if len(i) and (not np.issubdtype(i.dtype, np.integer) or not np.issubdtype(j.dtype, np.integer)
                       or min(int(i.min()), int(j.min())) < 0 or max(int(i.max()), int(j.max())) >= n):
            raise BQMError(f"quadratic term positions must be whole numbers below {n}")
        if not np.all(np.isfinite(lin)):
            k = int(np.flatnonzero(~np.isfinite(lin))[0])
            raise BQMError(f"the linear bias of {labels[k]!r} must be a finite number, not {float(lin[k])!r}")
        if not np.all(np.isfinite(b)):
            k = int(np.flatnonzero(~np.isfinite(b))[0])
            raise BQMError(f"the quadratic bias of ({labels[int(i[k])]!r}, {labels[int(j[k])]!r}) must be a finite "
                           f"number, not {float(b[k])!r}")
        if np.any(i == j):
            k = int(np.flatnonzero(i == j)[0])
            u = labels[int(i[k])]
            raise BQMError(f"self-loop ({u!r}, {u!r}) given as a quadratic term; a variable's own term is "
                           "linear (x*x = x for BINARY) or constant (s*s = 1 for SPIN)")
        model = cls(offset=offset, vartype=vartype, variables=labels, name=name)
        model._linear = lin.tolist()
        quadratic: dict[tuple[int, int], float] = {}
        for u, v, bias in zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist(), b.tolist()):
            quadratic[(u, v)] = quadratic.get((u, v), 0.0) + bias
        model._quadratic = quadratic
        return model

    @classmethod
    def from_qubo(cls, Q: Mapping[tuple[Any, Any], Any], offset: Any = 0.0, **kwargs: Any) -> BinaryQuadraticModel:
        """A BINARY model from a QUBO dictionary ``{(u, v): bias}``: diagonal entries ``(u, u)``
        are linear biases (``x*x = x``), the others quadratic (dimod's ``from_qubo`` convention)."""
        if not isinstance(Q, Mapping):
            raise BQMError(f"a QUBO is a mapping {{(u, v): bias}}, not {type(Q).__name__}")
        linear: dict[Any, Any] = {}
        quadratic: list[tuple[Any, Any, Any]] = []
        for key, b in Q.items():
            if not isinstance(key, tuple) or len(key) != 2:
                raise BQMError(f"QUBO key {key!r} must be a pair of labels")
            u, v = key
            if u == v:
                linear[u] = _bias(linear.get(u, 0.0), "") + _bias(b, f"the QUBO bias of ({u!r}, {v!r})")
            else:
                linear.setdefault(u, 0.0)
                linear.setdefault(v, 0.0)
                quadratic.append((u, v, b))
        return cls(linear, quadratic, offset, Vartype.BINARY, **kwargs)

    @classmethod
    def from_ising(cls, h: Mapping[Any, Any] | Sequence[Any], J: Mapping[tuple[Any, Any], Any],
                   offset: Any = 0.0, **kwargs: Any) -> BinaryQuadraticModel:
        """A SPIN model from fields ``h`` (a mapping, or a list for labels 0, 1, ...) and couplings
        ``J`` ``{(u, v): bias}``."""
        return cls(h, J, offset, Vartype.SPIN, **kwargs)

    def to_qubo(self) -> tuple[dict[tuple[Label, Label], float], float]:
        """``(Q, offset)`` of the BINARY form, linear biases on the diagonal."""
        model = self.binary()
        Q: dict[tuple[Label, Label], float] = {(v, v): b for v, b in model.linear.items()}
        Q.update(model.quadratic)
        return Q, model.offset

    def to_ising(self) -> tuple[dict[Label, float], dict[tuple[Label, Label], float], float]:
        """``(h, J, offset)`` of the SPIN form."""
        model = self.spin()
        return model.linear, model.quadratic, model.offset

    # -- the JSON form -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``qhpc.bqm`` document as plain JSON-compatible data."""
        labels = self._variables
        doc: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if self.name is not None:
            doc["name"] = self.name
        doc.update({
            "vartype": str(self._vartype),
            "variables": list(labels),
            "linear": list(self._linear),
            "quadratic": [[labels[i], labels[j], b] for (i, j), b in self._quadratic.items()],
            "offset": self._offset,
        })
        return doc

    @classmethod
    def from_dict(cls, doc: Any) -> BinaryQuadraticModel:
        """A model from its document; :class:`BQMError` says what is wrong."""
        if not isinstance(doc, dict):
            raise BQMError(f"a {FORMAT} document is a JSON object, not {type(doc).__name__}")
        if doc.get("format") != FORMAT:
            raise BQMError(f"not a qhpc binary quadratic model (format is {doc.get('format')!r}, expected {FORMAT!r})")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise BQMError(f"invalid {FORMAT} version {version!r}")
        if version > VERSION:
            raise BQMError(f"{FORMAT} version {version} is newer than this qhpc-interop reads ({VERSION}); "
                           "upgrade qhpc-interop")
        unknown = sorted(set(doc) - _FIELDS)
        if unknown:
            raise BQMError(f"unknown field {unknown[0]!r} in a {FORMAT} document (fields: {', '.join(sorted(_FIELDS))})")
        if "vartype" not in doc:
            raise BQMError("missing field 'vartype' ('BINARY' or 'SPIN')")
        variables = doc.get("variables")
        if variables is not None and not isinstance(variables, list):
            raise BQMError(f"field 'variables' must be a list of labels, not {variables!r}")
        linear = doc.get("linear", [] if variables is not None else {})
        if not isinstance(linear, (list, dict)):
            raise BQMError(f"field 'linear' must be a list of biases or an object of label: bias, not {linear!r}")
        if isinstance(linear, list) and variables is None:
            raise BQMError("field 'linear' is a list, so field 'variables' must say whose biases they are")
        if isinstance(linear, list) and variables is not None and not linear:
            linear = [0.0] * len(variables)
        quadratic = doc.get("quadratic", [])
        if not isinstance(quadratic, list):
            raise BQMError(f"field 'quadratic' must be a list of [u, v, bias], not {quadratic!r}")
        for k, term in enumerate(quadratic):
            if not isinstance(term, list) or len(term) != 3:
                raise BQMError(f"quadratic term {k} must be [u, v, bias], not {term!r}")
            if isinstance(linear, dict) and variables is None:
                for label in term[:2]:
                    if not isinstance(label, str) and str(label) in linear:
                        # JSON object keys are strings: 0 here and "0" there would be two variables
                        raise BQMError(
                            f"quadratic term {k} names variable {label!r} but field 'linear' names {str(label)!r} "
                            "(JSON object keys are always strings): write the labels alike, or give 'variables' "
                            "and 'linear' as lists to keep number labels")
        return cls(linear, [tuple(t) for t in quadratic], doc.get("offset", 0.0), doc["vartype"],
                   variables=variables, name=doc.get("name"))

    def fingerprint(self) -> str:
        """A content hash of everything that affects execution (not the name)."""
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{self._vartype};{self._offset!r};".encode())
        h.update(repr([(type(v).__name__, v) for v in self._variables]).encode())
        h.update(repr(self._linear).encode())
        h.update(repr(sorted(self._quadratic.items())).encode())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BinaryQuadraticModel):
            return NotImplemented
        return (self._vartype is other._vartype and self.name == other.name
                and [(type(v), v) for v in self._variables] == [(type(v), v) for v in other._variables]
                and self._linear == other._linear and self._quadratic == other._quadratic
                and self._offset == other._offset)

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a dict

    def __iter__(self) -> Iterator[Label]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __repr__(self) -> str:
        return (f"BinaryQuadraticModel({self.linear!r}, {self.quadratic!r}, {self._offset!r}, "
                f"{str(self._vartype)!r})")

    def __str__(self) -> str:
        title = f" {self.name!r}" if self.name else ""
        return (f"<{self._vartype} quadratic model{title}: {self.num_variables} variables, "
                f"{self.num_interactions} interactions, offset {self._offset:g}>")


def dumps(model: BinaryQuadraticModel, *, indent: int | None = None) -> str:
    """The ``qhpc.bqm`` JSON text for ``model``."""
    return json.dumps(model.to_dict(), indent=indent, allow_nan=False)


def loads(text: str, *, source: str | None = None) -> BinaryQuadraticModel:
    """A model from ``qhpc.bqm`` JSON text; errors name ``source`` (a file name) when given."""
    where = f"{source}: " if source else ""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BQMError(f"{source or '<json>'}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise BQMError(f"{source or '<json>'}: JSON nested too deeply to read") from None
    try:
        return BinaryQuadraticModel.from_dict(doc)
    except BQMError as exc:
        raise BQMError(f"{where}{exc}") from None
