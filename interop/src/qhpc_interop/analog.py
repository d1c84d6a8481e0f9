"""Analog (neutral-atom) pulse programs: the program of the analog paradigm (format ``qhpc.analog``,
version 1). numpy only; no Pulser import.

An :class:`AnalogProgram` holds what Pulser's abstract representation of a ``Sequence`` holds,
with typed fields for what qhpc reads:

* ``register``: the atoms, in order, each with a name and coordinates in µm (:class:`Atom`);
* ``device``: the name of the device the program was written for, and ``device_spec``, the full
  device description when the program carries one (Pulser's device JSON, kept verbatim);
* ``channels``: the declared channels, name -> hardware channel id (``rydberg_global``,
  ``raman_local``...), with their basis and addressing (:class:`Channel`);
* ``operations``: in program order, :class:`Pulse` objects (a channel, amplitude and detuning
  :class:`Waveform`, a phase, a post-phase-shift, a scheduling protocol) and the other operations
  (``target``, ``delay``, ``align``, ``phase_shift``, EOM mode...) as :class:`Operation`;
* ``measurement``: the basis measured at the end (``ground-rydberg``, ``digital``, ``XY`` or none);
* ``variables``: the declared variables (:class:`Variable`: type, size, bound value or none).

**Waveforms** are kept as Pulser describes them, never resampled: ``constant``, ``ramp``,
``blackman``, ``blackman_max``, ``kaiser``, ``kaiser_max``, ``interpolated`` (PCHIP through
points), ``custom`` (one sample per ns) and ``composite``. Amplitudes and detunings are in
rad/µs, durations in ns, phases in radians. Any number may be an **expression** over the declared
variables (Pulser's expression form: ``{"expression": "mul", "lhs": {"variable": "t"}, "rhs": 2}``);
:meth:`Waveform.duration` and :meth:`Waveform.bounds` evaluate them with the bound values.

**Readout.** Counts of an analog program are keyed by bitstrings over the atoms in register order
with **atom 0 the rightmost character** (like qubit 0 of a gate circuit; Pulser writes atom 0
leftmost). ``'1'`` is the measured basis's excited state: the Rydberg state ``r`` in the
``ground-rydberg`` basis, the hyperfine state ``h`` in the ``digital`` basis, ``d`` in ``XY``
(Pulser's convention); ``'0'`` is ``g`` (``u`` in ``XY``).

**The JSON form** round-trips exactly (``to_dict``/``from_dict``, ``dumps``/``loads``)::

    {"format": "qhpc.analog", "version": 1, "device": "AnalogDevice",
     "register": [{"name": "q0", "x": 0.0, "y": 0.0}, {"name": "q1", "x": 7.0, "y": 0.0}],
     "channels": {"ryd": "rydberg_global"},
     "variables": {"omega": {"type": "float", "size": 1, "value": null, "default": [0.0]}},
     "operations": [{"op": "pulse", "channel": "ryd", "protocol": "min-delay",
                     "amplitude": {"kind": "constant", "duration": 500, "value": {"variable": "omega"}}, ...}],
     "measurement": "ground-rydberg", "device_spec": {...}, "pulser": {"name": "...", "version": "1", ...}}

``pulser`` keeps the other fields of Pulser's abstract representation (its version, the sequence
name, a trap layout, an SLM mask, a magnetic field...) verbatim, so that
``AnalogProgram.from_abstract_repr(x).to_abstract_repr() == x``. Files of this form end in
``.analog.json``. A malformed document or program raises :class:`AnalogError`, one line naming
what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import InteropError

FORMAT = "qhpc.analog"
VERSION = 1
#: The file name ending of the JSON form (a plain ``.json`` file naming the format is read too).
FILE_SUFFIX = ".analog.json"
BASES = ("ground-rydberg", "digital", "XY")
#: The state each basis measures as ``'1'`` and as ``'0'`` (Pulser's convention).
ONE_STATE = {"ground-rydberg": "r", "digital": "h", "XY": "d"}
ZERO_STATE = {"ground-rydberg": "g", "digital": "g", "XY": "u"}
PULSE_OPS = ("pulse", "pulse_arbitrary_phase")
WAVEFORM_KINDS = ("constant", "ramp", "blackman", "blackman_max", "kaiser", "kaiser_max", "interpolated",
                  "custom", "composite")
_TOP = frozenset({"format", "version", "device", "register", "channels", "variables", "operations", "measurement",
                  "device_spec", "pulser"})
_AR_TYPED = frozenset({"device", "register", "channels", "variables", "operations", "measurement"})


class AnalogError(InteropError, ValueError):
    """An analog program (or its JSON document) is malformed, or a variable cannot be bound."""


# -- expressions ----------------------------------------------------------------------------------

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "mod": np.mod, "pow": np.power,
}
_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": np.negative, "abs": np.abs, "floor": np.floor, "ceil": np.ceil, "round": np.round, "sqrt": np.sqrt,
    "exp": np.exp, "log2": np.log2, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
}


def is_expression(value: object) -> bool:
    """Whether ``value`` is a parametrised value (a variable reference or an expression)."""
    return isinstance(value, Mapping) and ("variable" in value or "expression" in value)


def variables_in(value: object) -> set[str]:
    """The names of the variables a value (a number, list, expression or waveform dict) uses."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if "variable" in value and isinstance(value["variable"], str):
            found.add(value["variable"])
        for item in value.values():
            found |= variables_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= variables_in(item)
    return found


def evaluate(value: Any, env: Mapping[str, np.ndarray], *, where: str = "a value") -> Any:
    """The number (or array) ``value`` stands for, with the variables' values in ``env``."""
    if isinstance(value, bool):
        raise AnalogError(f"{where}: {value!r} is not a number")
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, list | tuple):
        return np.array([evaluate(v, env, where=where) for v in value], dtype=float)
    if isinstance(value, Mapping):
        if "variable" in value:
            name = value["variable"]
            if name not in env:
                raise AnalogError(f"{where}: variable {name!r} has no value (bind it first)")
            return np.asarray(env[name], dtype=float)
        op = value.get("expression")
        if op == "index":
            array = np.atleast_1d(evaluate(value["lhs"], env, where=where))
            index = evaluate(value["rhs"], env, where=where)
            try:
                picked = array[np.asarray(index, dtype=int)]
            except IndexError:
                raise AnalogError(f"{where}: index {index!r} is out of range for a variable of size {len(array)}") \
                    from None
            return float(picked) if np.ndim(picked) == 0 else picked
        if op in _BINARY and "rhs" in value:
            with np.errstate(all="ignore"):
                result = _BINARY[op](evaluate(value["lhs"], env, where=where), evaluate(value["rhs"], env, where=where))
        elif op in _UNARY and "rhs" not in value:
            with np.errstate(all="ignore"):
                result = _UNARY[op](evaluate(value["lhs"], env, where=where))
        else:
            raise AnalogError(f"{where}: unknown expression {op!r}")
        return float(result) if np.ndim(result) == 0 else np.asarray(result, dtype=float)
    raise AnalogError(f"{where}: {value!r} is not a number, an array or an expression")


def _scalar(value: Any, env: Mapping[str, np.ndarray], where: str) -> float:
    result = evaluate(value, env, where=where)
    if np.ndim(result) != 0:
        if np.size(result) == 1:
            return float(np.asarray(result).ravel()[0])
        raise AnalogError(f"{where}: expected one number, got an array of {np.size(result)}")
    if not math.isfinite(result):
        raise AnalogError(f"{where}: evaluates to {result!r}")
    return float(result)


# -- the parts of a program -----------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One atom of the register: its name and position in µm (``z`` only in 3D registers)."""

    name: str
    x: float
    y: float
    z: float | None = None

    @property
    def position(self) -> np.ndarray:
        return np.array([self.x, self.y] if self.z is None else [self.x, self.y, self.z], dtype=float)

    def to_repr(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "x": self.x, "y": self.y}
        if self.z is not None:
            out["z"] = self.z
        return out


def _basis_of_channel_id(channel_id: str) -> str | None:
    if channel_id.startswith(("rydberg", "dmm")):
        return "ground-rydberg"
    if channel_id.startswith("raman"):
        return "digital"
    if channel_id.startswith("mw"):
        return "XY"
    return None


@dataclass(frozen=True)
class Channel:
    """A declared channel: the program's ``name`` for it, the device's ``channel_id``, the basis it
    addresses and whether it is ``Global`` or ``Local`` (``None`` where the program does not say)."""

    name: str
    channel_id: str
    basis: str | None = None
    addressing: str | None = None


@dataclass(frozen=True)
class Variable:
    """A declared variable: ``dtype`` ``int`` or ``float``, ``size`` values; ``value`` once bound
    (``None``: free). ``default`` is the placeholder the abstract representation carries."""

    name: str
    dtype: str
    size: int
    value: tuple[float, ...] | None = None
    default: tuple[float, ...] | None = None

    def to_repr(self) -> dict[str, Any]:
        return {"type": self.dtype, "size": self.size, "value": None if self.value is None else list(self.value),
                "default": None if self.default is None else list(self.default)}


@dataclass(frozen=True)
class Waveform:
    """A waveform as Pulser describes it: its ``kind`` and its fields (numbers, lists or expressions;
    a composite's ``waveforms`` are :class:`Waveform` objects)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_repr(data: Any, where: str = "a waveform") -> Waveform:
        if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
            raise AnalogError(f"{where} must be an object with a 'kind'")
        kind = data["kind"]
        if kind not in WAVEFORM_KINDS:
            raise AnalogError(f"{where}: unknown waveform kind {kind!r} (known: {', '.join(WAVEFORM_KINDS)})")
        params = {k: v for k, v in data.items() if k != "kind"}
        if kind == "composite":
            parts = params.get("waveforms")
            if not isinstance(parts, list) or not parts:
                raise AnalogError(f"{where}: a composite waveform needs a non-empty list of waveforms")
            params["waveforms"] = tuple(Waveform.from_repr(p, f"{where}, part {k + 1}") for k, p in enumerate(parts))
        return Waveform(kind, params)

    def to_repr(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key, value in self.params.items():
            out[key] = [w.to_repr() for w in value] if key == "waveforms" else value
        return out

    @property
    def variables(self) -> set[str]:
        return variables_in(self.to_repr())

    def duration(self, env: Mapping[str, np.ndarray] | None = None, where: str = "a waveform") -> int | None:
        """The duration in ns, or ``None`` where Pulser decides it when the sequence is built
        (``blackman_max``, ``kaiser_max``: the shortest duration within the maximum)."""
        env = env or {}
        p = self.params
        if self.kind == "custom":
            return len(p["samples"])
        if self.kind == "composite":
            parts = [w.duration(env, where) for w in p["waveforms"]]
            return None if any(d is None for d in parts) else sum(d for d in parts if d is not None)
        if self.kind in ("blackman_max", "kaiser_max"):
            return None
        return round(_scalar(p["duration"], env, f"{where} duration"))

    def bounds(self, env: Mapping[str, np.ndarray] | None = None, where: str = "a waveform") -> tuple[float, float]:
        """The lowest and highest value the waveform takes (rad/µs), as Pulser samples it at 1 ns;
        for ``interpolated`` (PCHIP) waveforms the range of the data points, which the samples stay
        within (a peak between two samples may be missed by them: the bound is then outer)."""
        env = env or {}
        p = self.params
        kind = self.kind
        if kind == "constant":
            v = _scalar(p["value"], env, f"{where} value")
            return v, v
        if kind == "ramp":
            a, b = _scalar(p["start"], env, f"{where} start"), _scalar(p["stop"], env, f"{where} stop")
            return min(a, b), max(a, b)
        if kind == "custom":
            samples = np.asarray(evaluate(p["samples"], env, where=where), dtype=float)
            return float(samples.min()), float(samples.max())
        if kind == "interpolated":
            # PCHIP keeps each interval monotone: the extremes are data points (Pulser clips to them)
            values = np.atleast_1d(evaluate(p["values"], env, where=f"{where} values"))
            return float(values.min()), float(values.max())
        if kind in ("blackman", "kaiser"):
            duration = self.duration(env, where) or 0
            if duration < 1:
                raise AnalogError(f"{where}: duration {duration} ns must be positive")
            area = _scalar(p["area"], env, f"{where} area")
            if kind == "blackman":
                window = np.clip(np.blackman(duration), 0, None)
            else:
                window = np.clip(np.kaiser(duration, _scalar(p.get("beta", 14.0), env, f"{where} beta")), 0, None)
            peak = float(window.max() * area / window.sum() * 1e3)
            return min(0.0, peak), max(0.0, peak)
        if kind in ("blackman_max", "kaiser_max"):
            peak = _scalar(p["max_val"], env, f"{where} max_val")  # Pulser stays within it
            return min(0.0, peak), max(0.0, peak)
        if kind == "composite":
            parts = [w.bounds(env, where) for w in p["waveforms"]]
            return min(b[0] for b in parts), max(b[1] for b in parts)
        raise AnalogError(f"{where}: unknown waveform kind {kind!r}")


@dataclass(frozen=True)
class Pulse:
    """A pulse on a declared channel. ``phase`` is a number (or expression), or a :class:`Waveform`
    for a pulse of arbitrary phase (``op == "pulse_arbitrary_phase"``, then ``detuning`` is
    ``None``: Pulser derives it from the phase)."""

    channel: str
    amplitude: Waveform
    detuning: Waveform | None
    phase: Any
    post_phase_shift: Any = 0.0
    protocol: str = "min-delay"
    op: str = "pulse"

    @staticmethod
    def from_repr(data: Mapping[str, Any], where: str) -> Pulse:
        try:
            arbitrary = data["op"] == "pulse_arbitrary_phase"
            return Pulse(
                channel=str(data["channel"]),
                amplitude=Waveform.from_repr(data["amplitude"], f"{where} amplitude"),
                detuning=None if arbitrary else Waveform.from_repr(data["detuning"], f"{where} detuning"),
                phase=Waveform.from_repr(data["phase"], f"{where} phase") if arbitrary else data["phase"],
                post_phase_shift=data.get("post_phase_shift", 0.0),
                protocol=str(data.get("protocol", "min-delay")),
                op=str(data["op"]),
            )
        except KeyError as exc:
            raise AnalogError(f"{where} has no {exc.args[0]!r}") from None

    def to_repr(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "channel": self.channel, "protocol": self.protocol,
                               "amplitude": self.amplitude.to_repr()}
        if self.detuning is not None:
            out["detuning"] = self.detuning.to_repr()
        out["phase"] = self.phase.to_repr() if isinstance(self.phase, Waveform) else self.phase
        out["post_phase_shift"] = self.post_phase_shift
        return out


@dataclass(frozen=True)
class Operation:
    """Any other operation of the program (``target``, ``delay``, ``align``, ``phase_shift``, EOM
    mode, SLM and detuning-map configuration...), with its fields as Pulser writes them."""

    op: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_repr(self) -> dict[str, Any]:
        return {"op": self.op, **self.params}


# -- the program ------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise AnalogError(f"{where} must be a finite number, not {value!r}")
    return value  # type: ignore[return-value]  # kept as given (int or float) for an exact round trip


@dataclass(frozen=True)
class AnalogProgram:
    """A neutral-atom pulse program (see the module docstring). Immutable: :meth:`bind` returns a new one."""

    register: tuple[Atom, ...]
    device: str
    channels: tuple[Channel, ...]
    operations: tuple[Pulse | Operation, ...]
    measurement: str | None = None
    variables: tuple[Variable, ...] = ()
    device_spec: Mapping[str, Any] | None = None
    #: the other fields of Pulser's abstract representation, verbatim
    pulser: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [a.name for a in self.register]
        if len(set(names)) != len(names):
            raise AnalogError(f"the register names atom {_first_repeat(names)!r} twice")
        dims = {a.z is None for a in self.register}
        if len(dims) > 1:
            raise AnalogError("the register mixes 2D and 3D atoms")
        channel_names = [c.name for c in self.channels]
        if len(set(channel_names)) != len(channel_names):
            raise AnalogError(f"channel {_first_repeat(channel_names)!r} is declared twice")
        declared = set(channel_names)
        for k, pulse in enumerate(self.pulses, 1):
            if pulse.channel not in declared:
                raise AnalogError(f"pulse {k} is on channel {pulse.channel!r}, which is not declared "
                                  f"(declared: {', '.join(channel_names) or 'none'})")
        if self.measurement is not None and self.measurement not in BASES:
            raise AnalogError(f"unknown measurement basis {self.measurement!r} (known: {', '.join(BASES)})")
        var_names = [v.name for v in self.variables]
        if len(set(var_names)) != len(var_names):
            raise AnalogError(f"variable {_first_repeat(var_names)!r} is declared twice")
        used = set().union(*(variables_in(op.to_repr()) for op in self.operations)) if self.operations else set()
        unknown = sorted(used - set(var_names))
        if unknown:
            raise AnalogError(f"the program uses variable {unknown[0]!r}, which is not declared")

    # -- what qhpc reads -------------------------------------------------------------------------
    @property
    def num_atoms(self) -> int:
        return len(self.register)

    @property
    def atom_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.register)

    @property
    def coordinates(self) -> np.ndarray:
        """The atoms' positions, one row per atom (µm)."""
        if not self.register:
            return np.zeros((0, 2))
        return np.array([a.position for a in self.register], dtype=float)

    def distances(self) -> Iterator[tuple[int, int, float]]:
        """``(i, j, distance in µm)`` for every pair of atoms ``i < j``."""
        xyz = self.coordinates
        for i in range(len(xyz)):
            for j in range(i + 1, len(xyz)):
                yield i, j, float(np.linalg.norm(xyz[i] - xyz[j]))

    def min_distance(self) -> float:
        """The smallest distance between two atoms (µm; infinite with fewer than two atoms)."""
        return min((d for _, _, d in self.distances()), default=math.inf)

    def channel(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise AnalogError(f"no channel named {name!r}")

    @property
    def pulses(self) -> list[Pulse]:
        """The pulses in program order (pulse ``k`` in messages is ``pulses[k - 1]``)."""
        return [op for op in self.operations if isinstance(op, Pulse)]

    def pulses_on(self, channel: str) -> list[Pulse]:
        return [p for p in self.pulses if p.channel == channel]

    @property
    def bases(self) -> set[str]:
        """The bases the program's channels address."""
        return {c.basis for c in self.channels if c.basis is not None and any(p.channel == c.name for p in self.pulses)}

    @property
    def measurement_basis(self) -> str:
        """The basis the readout is in: the declared measurement, else the one Pulser's emulators
        use for an unmeasured sequence (``digital`` when addressed, else ``ground-rydberg``/``XY``)."""
        if self.measurement is not None:
            return self.measurement
        bases = self.bases or {c.basis for c in self.channels if c.basis}
        if "digital" in bases:
            return "digital"
        return "XY" if bases == {"XY"} else "ground-rydberg"

    @property
    def free_variables(self) -> set[str]:
        return {v.name for v in self.variables if v.value is None}

    @property
    def is_parametrized(self) -> bool:
        return bool(self.variables)

    def environment(self) -> dict[str, np.ndarray]:
        """The bound variables' values, for :func:`evaluate`."""
        return {v.name: np.array(v.value, dtype=float) for v in self.variables if v.value is not None}

    def bind(self, values: Mapping[str, Any]) -> AnalogProgram:
        """The program with the given variables set (a number for a variable of size 1, else a
        sequence of ``size`` numbers; an ``int`` variable takes whole numbers only)."""
        known = {v.name: v for v in self.variables}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise AnalogError(f"the program has no variable {unknown[0]!r} (its variables: "
                              f"{', '.join(known) or 'none'})")
        new = []
        for var in self.variables:
            if var.name not in values:
                new.append(var)
                continue
            raw = values[var.name]
            items = list(raw) if isinstance(raw, list | tuple | np.ndarray) else [raw]
            if len(items) != var.size:
                raise AnalogError(f"variable {var.name!r} takes {var.size} value(s), got {len(items)}")
            checked: list[float] = []
            for item in items:
                if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(item):
                    raise AnalogError(f"variable {var.name!r} must be given finite numbers, not {item!r}")
                number = float(item)
                if var.dtype == "int":
                    if number != int(number):
                        raise AnalogError(f"variable {var.name!r} is an int, not {item!r}")
                    checked.append(int(number))
                else:
                    checked.append(number)
            new.append(replace(var, value=tuple(checked)))
        return replace(self, variables=tuple(new))

    # -- Pulser's abstract representation -----------------------------------------------------------
    @staticmethod
    def from_abstract_repr(data: Mapping[str, Any] | str) -> AnalogProgram:
        """A program from Pulser's abstract representation (the dict, or its JSON text)."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise AnalogError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
            except RecursionError:
                raise AnalogError("JSON nested too deeply to read") from None
        if not isinstance(data, Mapping):
            raise AnalogError("Pulser's abstract representation must be a JSON object")
        return AnalogProgram._from_parts(data, _read_variables(data.get("variables", {}), keep_values=False))

    @staticmethod
    def _from_parts(data: Mapping[str, Any], variables: tuple[Variable, ...]) -> AnalogProgram:
        missing = sorted({"register", "channels", "operations", "device"} - set(data))
        if missing:
            raise AnalogError(f"not a Pulser sequence: no {missing[0]!r}")
        device = data["device"]
        if isinstance(device, str):
            name, spec = device, None
        elif isinstance(device, Mapping) and isinstance(device.get("name"), str):
            name, spec = device["name"], dict(device)
        else:
            raise AnalogError("the sequence's 'device' must be a device name or a device description")
        spec_channels = {}
        for ch in (spec or {}).get("channels", []) + (spec or {}).get("dmm_objects", []):
            if isinstance(ch, Mapping) and "id" in ch:
                spec_channels[ch["id"]] = ch
        channels = []
        if not isinstance(data["channels"], Mapping):
            raise AnalogError("the sequence's 'channels' must map names to channel ids")
        for cname, cid in data["channels"].items():
            if not isinstance(cid, str):
                raise AnalogError(f"channel {cname!r} must name a channel id, not {cid!r}")
            info = spec_channels.get(cid, {})
            channels.append(Channel(str(cname), cid, info.get("basis", _basis_of_channel_id(cid)),
                                    info.get("addressing")))
        return AnalogProgram(
            register=_read_register(data["register"]),
            device=name,
            channels=tuple(channels),
            operations=_read_operations(data["operations"]),
            measurement=data.get("measurement"),
            variables=variables,
            device_spec=spec,
            pulser={k: v for k, v in data.items() if k not in _AR_TYPED},
        )

    def to_abstract_repr(self) -> dict[str, Any]:
        """Pulser's abstract representation (a dict; ``json.dumps`` it for
        ``pulser.Sequence.from_abstract_repr``). Bound values are not part of it: build the
        sequence with :meth:`variable_values`."""
        out: dict[str, Any] = dict(self.pulser)
        variables = {}
        for v in self.variables:
            entry: dict[str, Any] = {"type": v.dtype}
            if v.default is not None:
                entry["value"] = list(v.default)
            variables[v.name] = entry
        out.update({
            "register": [a.to_repr() for a in self.register],
            "channels": {c.name: c.channel_id for c in self.channels},
            "variables": variables,
            "operations": [op.to_repr() for op in self.operations],
            "measurement": self.measurement,
            "device": dict(self.device_spec) if self.device_spec is not None else self.device,
        })
        return out

    def variable_values(self) -> dict[str, list[float]]:
        """The bound variables' values, by name (for ``Sequence.build(**values)``)."""
        return {v.name: list(v.value) for v in self.variables if v.value is not None}

    # -- the qhpc JSON form -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "device": self.device,
            "register": [a.to_repr() for a in self.register],
            "channels": {c.name: c.channel_id for c in self.channels},
            "variables": {v.name: v.to_repr() for v in self.variables},
            "operations": [op.to_repr() for op in self.operations],
            "measurement": self.measurement,
            "device_spec": None if self.device_spec is None else dict(self.device_spec),
            "pulser": dict(self.pulser),
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any], source: str = "analog program") -> AnalogProgram:
        try:
            if not isinstance(data, Mapping) or data.get("format") != FORMAT:
                raise AnalogError(f"not a qhpc analog program (its 'format' must be {FORMAT!r})")
            if data.get("version") != VERSION:
                raise AnalogError(f"analog program version {data.get('version')!r} is not {VERSION}")
            unknown = sorted(set(data) - _TOP)
            if unknown:
                raise AnalogError(f"unknown field {unknown[0]!r}")
            missing = sorted({"device", "register", "channels", "operations"} - set(data))
            if missing:
                raise AnalogError(f"no {missing[0]!r}")
            pulser = data.get("pulser", {})
            spec = data.get("device_spec")
            if not isinstance(pulser, Mapping) or (spec is not None and not isinstance(spec, Mapping)):
                raise AnalogError("'pulser' and 'device_spec' must be objects")
            if not isinstance(data["device"], str):
                raise AnalogError("'device' must be a device name")
            program = AnalogProgram._from_parts({
                **pulser, "device": dict(spec) if spec is not None else data["device"],
                "register": data["register"], "channels": data["channels"], "operations": data["operations"],
                "measurement": data.get("measurement"),
            }, _read_variables(data.get("variables", {}), keep_values=True))
            if program.device != data["device"]:
                raise AnalogError(f"'device' {data['device']!r} does not match the device_spec's name {program.device!r}")
            return program
        except AnalogError as exc:
            raise AnalogError(f"{source}: {exc}") from None

    def fingerprint(self) -> str:
        """A content hash of everything that affects execution (bound values included); computed
        once per program (it is immutable)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
            cached = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            object.__setattr__(self, "_fingerprint", cached)
        return str(cached)

    def describe(self) -> str:
        pulses = len(self.pulses)
        return (f"a {self.num_atoms}-atom analog program for {self.device} ({pulses} pulse{'s' * (pulses != 1)} "
                f"on {len(self.channels)} channel{'s' * (len(self.channels) != 1)})")


def _first_repeat(items: Sequence[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""


def _read_register(data: Any) -> tuple[Atom, ...]:
    if not isinstance(data, list):
        raise AnalogError("the register must be a list of atoms")
    atoms = []
    for k, item in enumerate(data):
        if isinstance(item, Mapping) and "qid" in item:
            raise AnalogError("the register is mappable (atoms placed when the sequence is built): build the "
                              "sequence with a register first")
        if not isinstance(item, Mapping) or not {"name", "x", "y"} <= set(item) or set(item) - {"name", "x", "y", "z"}:
            raise AnalogError(f"atom {k} must be an object with 'name', 'x', 'y' (and 'z' in 3D)")
        name = item["name"]
        if not isinstance(name, str):
            raise AnalogError(f"atom {k}'s name must be a string, not {name!r}")
        atoms.append(Atom(name, _number(item["x"], f"atom {name} x"), _number(item["y"], f"atom {name} y"),
                          None if "z" not in item else _number(item["z"], f"atom {name} z")))
    return tuple(atoms)


def _read_operations(data: Any) -> tuple[Pulse | Operation, ...]:
    if not isinstance(data, list):
        raise AnalogError("'operations' must be a list")
    ops: list[Pulse | Operation] = []
    pulses = 0
    for k, item in enumerate(data):
        if not isinstance(item, Mapping) or not isinstance(item.get("op"), str):
            raise AnalogError(f"operation {k + 1} must be an object with an 'op'")
        if item["op"] in PULSE_OPS:
            pulses += 1
            ops.append(Pulse.from_repr(item, f"pulse {pulses}"))
        else:
            ops.append(Operation(item["op"], {key: v for key, v in item.items() if key != "op"}))
    return tuple(ops)


def _read_variables(data: Any, *, keep_values: bool) -> tuple[Variable, ...]:
    if not isinstance(data, Mapping):
        raise AnalogError("'variables' must map names to variables")
    out = []
    for name, spec in data.items():
        if not isinstance(spec, Mapping) or spec.get("type") not in ("int", "float"):
            raise AnalogError(f"variable {name!r} must have a 'type' of 'int' or 'float'")
        default = spec.get("default") if keep_values else spec.get("value")
        value = spec.get("value") if keep_values else None
        for label, items in (("default", default), ("value", value)):
            if items is not None and (not isinstance(items, list) or not all(
                    isinstance(x, numbers.Real) and not isinstance(x, bool) for x in items)):
                raise AnalogError(f"variable {name!r}: its {label} must be a list of numbers")
        size = spec.get("size") if keep_values else None
        if size is None:
            size = len(default) if default is not None else 1
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise AnalogError(f"variable {name!r}: size must be a positive whole number, not {size!r}")
        if value is not None and len(value) != size:
            raise AnalogError(f"variable {name!r} has {len(value)} value(s) for size {size}")
        out.append(Variable(str(name), spec["type"], size, None if value is None else tuple(value),
                            None if default is None else tuple(default)))
    return tuple(out)


# -- text -------------------------------------------------------------------------------------------


def dumps(program: AnalogProgram, indent: int | None = None) -> str:
    return json.dumps(program.to_dict(), indent=indent, allow_nan=False)


def loads(text: str, source: str = "analog program") -> AnalogProgram:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnalogError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise AnalogError(f"{source}: JSON nested too deeply to read") from None
    return AnalogProgram.from_dict(data, source)


def names_this_format(head: bytes) -> bool:
    """Whether the start of a JSON document names ``"format": "qhpc.analog"`` at its top level."""
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = head.decode("utf-8", "replace")
        key = text.find('"format"')
        return key >= 0 and text[key:key + 40].replace(" ", "").startswith(f'"format":"{FORMAT}"')
    return isinstance(doc, dict) and doc.get("format") == FORMAT
