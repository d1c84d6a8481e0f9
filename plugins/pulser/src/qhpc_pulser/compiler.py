"""Gate circuits as pulses on Pulser's ``DigitalAnalogDevice``: the ``pulser.gates-to-pulses`` compiler
(``source_kind="gate"``, ``target_kind="analog"``).

**Qubits.** Qubit ``q`` is atom ``q`` (named ``q{q}``), encoded in its hyperfine ground states:
``|0> = |g>``, ``|1> = |h>`` (the ``digital`` basis, measured at the end; Pulser reads ``h`` as 1).

**Native set.** The circuit is first rewritten exactly into ``u`` and ``cz`` (the built-in
``decompose`` compiler), consecutive one-qubit gates are merged, and each one-qubit unitary is
written ``Rz(phi) Ry(theta) Rz(lam)`` (up to a global phase):

* ``Rz`` is **virtual**: it moves the qubit's phase frame ``F`` and costs no pulse; the frame
  shifts the phase of the qubit's later Raman pulses (a logical ``R(theta, axis)`` is the physical
  ``R(theta, axis - F)``) and commutes with ``CZ`` and with the final measurement;
* ``Ry(theta)`` is one **Raman** pulse on ``raman_local`` (the hyperfine transition): a constant
  amplitude ``theta / T`` with ``T`` the shortest multiple of 4 ns (at least 16 ns) within the
  channel's 2π x 10 MHz, no detuning, and phase ``F - pi/2`` (a Pulser pulse of phase ``p`` rotates
  about the axis at angle ``-p``, measured on a single atom);
* ``CZ(a, b)`` is the Rydberg-blockade sequence of Jaksch et al. (PRL 85, 2208, 2000) on
  ``rydberg_local`` (``g <-> r``): a π pulse on ``a``, a 2π pulse on ``b``, a π pulse on ``a``,
  each at 2π x 5 MHz. An atom in ``h`` is untouched; an atom in ``g`` picks up ``-1`` from its
  closed loop through ``r``, except that ``b``'s loop is blockaded while ``a`` is in ``r``: the
  phases on ``gg, gh, hg, hh`` are ``-1, -1, -1, +1``, which is ``CZ`` (phase on ``|11>``) up to a
  global phase.

Every pulse waits for all earlier ones (protocol ``wait-for-all``), so the circuit's order is kept;
the local channels address one atom at a time and Pulser adds their 220 ns retargeting times.

**Layout.** Atoms of a ``CZ`` pair sit :data:`SPACING` µm apart (the device's minimum is 4 µm):
the blockade shift ``C6 / d^6`` is then 1140 rad/µs, 36 times the Rydberg Rabi frequency. Each
connected group of coupled qubits is placed as a line (a path of ``CZ`` pairs) or a regular polygon
(a cycle: three qubits coupled pairwise are a triangle), groups side by side; only the two atoms
of a gate are ever in ``r``, so other atoms may be near. A qubit coupled to more than two others
cannot be placed so and is refused (:class:`ConnectivityError`), as are mid-circuit measurements,
gates after a measurement, resets, classical conditions, unbound parameters, unitaries on several
qubits, and circuits beyond the emulation's size (three levels per atom: :func:`qhpc_pulser.devices.emulation_atom_limit`).

**Errors a compiled circuit keeps** (the physics, not the compiler): the finite blockade leaves a
phase error of about ``pi Omega / (2 V)`` = 0.04 rad on ``|00>`` per ``CZ`` and a leakage into
``r`` below 0.1 %; an atom left in ``r`` reads ``0``. The emulator also integrates each constant
pulse about 0.34 ns short (an area error of 0.7 % on the shortest Raman pulse).

:meth:`GateToPulseCompiler.decode` turns the atom readout into the circuit's clbits (each clbit
reads its measured qubit's atom; clbits never written read 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from qhpc.compile import DecomposeCompiler
from qhpc.errors import CompileError
from qhpc.interfaces import BackendCapabilities, Compiler, RunOutput
from qhpc_interop import Barrier, Circuit, Gate, Measure, Reset, UnitaryGate
from qhpc_interop.gates import zyz_angles

from . import devices

DEVICE = "DigitalAnalogDevice"
#: µm between the atoms of a CZ pair (DigitalAnalogDevice allows 4 µm).
SPACING = 4.1
#: Raman Rabi frequency limit (rad/µs): the raman_local channel's maximum, 2π x 10 MHz.
RAMAN_MAX = 2 * math.pi * 10
#: Rydberg Rabi frequency of the CZ pulses (rad/µs), 2π x 5 MHz: a π pulse lasts 100 ns.
RYDBERG_OMEGA = 2 * math.pi * 5
CLOCK_NS = 4
MIN_PULSE_NS = 16
#: Rotation angles below this are dropped (radians).
ANGLE_TOLERANCE = 1e-9


class ConnectivityError(CompileError):
    """The circuit's two-qubit gates need a layout this compiler cannot make (a qubit with >2 partners)."""


@dataclass(frozen=True)
class Plan:
    """A circuit as steps on atoms: ``("rot", q, theta, phase)`` Raman pulses and ``("cz", a, b)``."""

    num_qubits: int
    steps: tuple[tuple[Any, ...], ...]
    positions: tuple[tuple[float, float], ...]
    measured: Mapping[int, int]  # clbit -> qubit


def _native_caps(n: int) -> BackendCapabilities:
    return BackendCapabilities(num_qubits=max(n, 1), native_gates=frozenset({"u", "cz"}), supports_unitary=False)


def plan(circuit: Circuit) -> Plan:
    """The steps, layout and readout of ``circuit`` (raises :class:`CompileError` naming what cannot be compiled)."""
    if circuit.is_parameterized:
        raise CompileError(f"the circuit has unbound parameters ({', '.join(p.name for p in circuit.parameters)})")
    if circuit.has_conditionals():
        raise CompileError("classically conditioned gates cannot be compiled to pulses (an analog program "
                           "measures once, at the end)")
    n = circuit.num_qubits
    done: set[int] = set()
    for k, inst in enumerate(circuit.instructions):
        late = sorted(set(inst.qubits) & done)
        if late and not isinstance(inst.operation, Barrier | Measure):
            raise CompileError(f"{inst.name} on qubit {late[0]} comes after its measurement (instruction {k}): an "
                               "analog program measures every atom once, at the end")
        if isinstance(inst.operation, Measure):
            done.add(inst.qubits[0])
        if isinstance(inst.operation, Reset):
            raise CompileError(f"reset on qubit {inst.qubits[0]} cannot be compiled to pulses")
        if isinstance(inst.operation, UnitaryGate) and len(inst.qubits) > 1:
            raise CompileError(f"a {len(inst.qubits)}-qubit unitary cannot be compiled to pulses (decompose it into "
                               "gates first)")
    decomposer = DecomposeCompiler()
    why = decomposer.can_compile(circuit, _native_caps(n))
    if why is not None:
        raise CompileError(why)
    native = decomposer.compile(circuit, _native_caps(n))
    pending: dict[int, np.ndarray] = {}
    frame = [0.0] * n
    steps: list[tuple[Any, ...]] = []
    measured: dict[int, int] = {}

    def flush(q: int) -> None:
        matrix = pending.pop(q, None)
        if matrix is None:
            return
        theta, phi, lam, _ = zyz_angles(matrix)
        frame[q] += lam
        if abs(theta) > ANGLE_TOLERANCE:
            steps.append(("rot", q, theta, frame[q] - math.pi / 2))
        frame[q] += phi

    for inst in native.instructions:
        op = inst.operation
        if isinstance(op, Barrier):
            continue
        if isinstance(op, Measure):
            measured[inst.clbits[0]] = inst.qubits[0]
            continue
        if isinstance(op, Gate) and op.name == "cz":
            a, b = inst.qubits
            flush(a)
            flush(b)
            steps.append(("cz", a, b))
        elif len(inst.qubits) == 1 and isinstance(op, Gate | UnitaryGate):
            q = inst.qubits[0]
            pending[q] = op.matrix() @ pending.get(q, np.eye(2, dtype=complex))
        else:  # pragma: no cover - decompose leaves only u and cz
            raise CompileError(f"{inst.name} is not a native gate of the pulse compiler")
    for q in sorted(pending):
        flush(q)
    pairs = {tuple(sorted(step[1:])) for step in steps if step[0] == "cz"}
    return Plan(n, tuple(steps), layout(n, pairs), measured)


def layout(n: int, pairs: set[tuple[int, ...]]) -> tuple[tuple[float, float], ...]:
    """Atom positions (µm) with every pair in ``pairs`` :data:`SPACING` apart: lines and polygons."""
    neighbours: dict[int, set[int]] = {q: set() for q in range(n)}
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    for q, near in neighbours.items():
        if len(near) > 2:
            raise ConnectivityError(
                f"qubit {q} has two-qubit gates with {len(near)} qubits ({', '.join(map(str, sorted(near)))}); the "
                "pulse compiler places the atoms of each gate within the blockade radius on lines and rings, where "
                "an atom has at most two partners (route the circuit through SWAPs first)")
    positions: dict[int, tuple[float, float]] = {}
    x0 = 0.0
    seen: set[int] = set()
    for start in range(n):
        if start in seen:
            continue
        group = _component(start, neighbours)
        seen |= set(group)
        is_cycle = len(group) >= 3 and all(len(neighbours[q]) == 2 for q in group)
        order = _walk(group, neighbours)
        if is_cycle:
            k = len(order)
            radius = SPACING / (2 * math.sin(math.pi / k))
            for i, q in enumerate(order):
                angle = math.pi + 2 * math.pi * i / k
                positions[q] = (x0 + radius + radius * math.cos(angle), radius * math.sin(angle))
            x0 += 2 * radius + SPACING
        else:
            for i, q in enumerate(order):
                positions[q] = (x0 + SPACING * i, 0.0)
            x0 += SPACING * len(order)
    xs = [positions[q][0] for q in range(n)]
    ys = [positions[q][1] for q in range(n)]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return tuple((round(positions[q][0] - cx, 9), round(positions[q][1] - cy, 9)) for q in range(n))


def _component(start: int, neighbours: Mapping[int, set[int]]) -> list[int]:
    found, todo = {start}, [start]
    while todo:
        for other in neighbours[todo.pop()]:
            if other not in found:
                found.add(other)
                todo.append(other)
    return sorted(found)


def _walk(group: list[int], neighbours: Mapping[int, set[int]]) -> list[int]:
    """The group's qubits in path (or cycle) order, from an end (or the smallest qubit)."""
    ends = [q for q in group if len(neighbours[q]) < 2]
    order = [ends[0] if ends else group[0]]
    while len(order) < len(group):
        nxt = [q for q in neighbours[order[-1]] if q not in order]
        if not nxt:  # pragma: no cover - a connected group of degree <= 2 is a path or a cycle
            break
        order.append(min(nxt))
    return order


def _pulse_ns(area: float, omega_max: float) -> tuple[int, float]:
    """The shortest duration (a multiple of the clock, at least the minimum) and its amplitude for ``area``."""
    ns = max(MIN_PULSE_NS, CLOCK_NS * math.ceil(area / omega_max * 1000 / CLOCK_NS - 1e-9))
    while area / ns * 1000 > omega_max:  # rounding may put the amplitude a hair above the limit
        ns += CLOCK_NS
    return ns, area / ns * 1000


def build_sequence(p: Plan) -> Any:
    """The ``pulser.Sequence`` of a plan on ``DigitalAnalogDevice``."""
    from pulser import Pulse, Register, Sequence
    from pulser.devices import DigitalAnalogDevice

    register = Register({f"q{q}": np.array(xy) for q, xy in enumerate(p.positions)})
    seq = Sequence(register, DigitalAnalogDevice)
    steps = list(p.steps)
    if not any(step[0] == "rot" for step in steps):
        # a circuit without one-qubit gates still needs the digital basis addressed to be measured in
        # it: a 2π Raman rotation on atom 0 is the identity (a global phase of -1)
        steps.insert(0, ("rot", 0, 2 * math.pi, 0.0))
    seq.declare_channel("raman", "raman_local", initial_target="q0")
    targets = {"raman": "q0"}
    gates = [step for step in steps if step[0] == "cz"]
    if gates:
        targets["rydberg"] = f"q{gates[0][1]}"
        seq.declare_channel("rydberg", "rydberg_local", initial_target=targets["rydberg"])

    def pulse(channel: str, atom: int, ns: int, omega: float, phase: float) -> None:
        name = f"q{atom}"
        if targets[channel] != name:
            seq.target(name, channel)
            targets[channel] = name
        seq.add(Pulse.ConstantPulse(ns, omega, 0.0, phase % (2 * math.pi)), channel, protocol="wait-for-all")

    for step in steps:
        if step[0] == "rot":
            _, q, theta, phase = step
            ns, omega = _pulse_ns(theta, RAMAN_MAX)
            pulse("raman", q, ns, omega, phase)
        else:
            _, a, b = step
            ns, omega = _pulse_ns(math.pi, RYDBERG_OMEGA)
            pulse("rydberg", a, ns, omega, 0.0)
            pulse("rydberg", b, 2 * ns, omega, 0.0)
            pulse("rydberg", a, ns, omega, 0.0)
    seq.measure("digital")
    return seq


class GateToPulseCompiler(Compiler):
    """Gate circuits to DigitalAnalogDevice pulse programs (see the module docstring)."""

    name = "pulser.gates-to-pulses"
    description = ("gate circuits as Raman rotations (virtual Z) and Rydberg-blockade CZ pulses on "
                   "DigitalAnalogDevice; atoms placed on lines and rings")
    source_kind = "gate"
    target_kind = "analog"

    def can_compile(self, circuit: Any, target: BackendCapabilities) -> str | None:
        if str(target.paradigm) != "analog":
            return "it compiles to analog (pulse) backends only"
        entry = next((e for e in devices.DEVICES if e.description == target.description
                      and frozenset(e.channels) == target.native_gates), None)
        if entry is None or entry.device != DEVICE:
            return f"it compiles for {DEVICE} (local Raman and Rydberg channels) only"
        if not isinstance(circuit, Circuit):
            return "it compiles gate circuits"
        limit = devices.emulation_atom_limit(3)
        if circuit.num_qubits > limit:
            return (f"the circuit has {circuit.num_qubits} qubits; the emulation of three-level atoms holds at most "
                    f"{limit} in this memory")
        try:
            plan(circuit)
        except CompileError as exc:
            return str(exc)
        return None

    def compile(self, circuit: Circuit, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Any:
        """The :class:`~qhpc_interop.analog.AnalogProgram` of ``circuit`` on DigitalAnalogDevice."""
        why = self.can_compile(circuit, target)
        if why is not None:
            raise CompileError(why)
        from .translate import sequence_to_program

        return sequence_to_program(build_sequence(plan(circuit)))

    def decode(self, output: RunOutput, source: Any, compiled: Any) -> RunOutput:
        """The atom readout (atom 0 rightmost) as the circuit's clbits (clbit 0 rightmost)."""
        measured = plan_readout(source)
        n = compiled.num_atoms
        width = source.num_clbits

        def convert(key: str) -> str:
            bits = ["0"] * width
            for clbit, qubit in measured.items():
                bits[width - 1 - clbit] = key[n - 1 - qubit]
            return "".join(bits)

        counts: dict[str, int] = {}
        for key, value in output.counts.items():
            mapped = convert(key)
            counts[mapped] = counts.get(mapped, 0) + int(value)
        memory = None if output.memory is None else [convert(key) for key in output.memory]
        return RunOutput(counts=counts, memory=memory,
                         metadata={**output.metadata, "atom_counts": dict(output.counts)})


def plan_readout(circuit: Circuit) -> dict[int, int]:
    """clbit -> the qubit it measures (the last write of each clbit)."""
    out: dict[int, int] = {}
    for inst in circuit.instructions:
        if isinstance(inst.operation, Measure):
            out[inst.clbits[0]] = inst.qubits[0]
    return out
