"""Pulser's devices as qhpc backend capabilities, and a program's validation against a device.

=======================  ======================  =========  ====================================================
backend                  device                  max atoms  channels
=======================  ======================  =========  ====================================================
``pulser.analog``        ``AnalogDevice``        80         ``rydberg_global``
``pulser.digital_analog``  ``DigitalAnalogDevice`` 100      ``rydberg_global``, ``rydberg_local``, ``raman_local``
``pulser.mock``          ``MockDevice``          none       every kind of channel, no limits
=======================  ======================  =========  ====================================================

The table (:data:`DEVICES`) is written out here so that reading the capabilities imports nothing
(Pulser and QuTiP take seconds to import); a test holds it equal to Pulser's own devices. The
capabilities' ``num_qubits`` is the number of atoms: the device's maximum, or fewer where the QuTiP
emulation of the state must fit in memory (:func:`emulation_atom_limit`); their ``native_gates``
are the device's channel ids (for an analog backend, what it drives natively).

:func:`validation_errors` checks a bound program against a Pulser device and says what does not fit,
one line each, named and positioned: the device it was written for, the atom count, the register's
dimensions, each pair of atoms closer than the device allows, atoms beyond its radius, channels the
device lacks, the measurement basis, and each pulse's amplitude, detuning and duration against its
channel (``pulse 3 on rydberg_global (channel 'ryd'): amplitude 20 rad/µs exceeds the channel's
maximum 12.57 rad/µs``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from qhpc.interfaces import BackendCapabilities
from qhpc_interop.analog import AnalogError, AnalogProgram

#: Measured peak bytes per amplitude of a QuTiP emulation in Pulser, per atom plus one (the
#: Hamiltonian's sparse terms and the solver's work vectors): 14 atoms, two levels, peaked 35 MB
#: above the interpreter's 150 MB, about 140 B x (n + 1) per amplitude (2-core development VM).
BYTES_PER_AMPLITUDE_PER_TERM = 150
#: Coordinates closer than this (µm) to a limit are at the limit (Pulser's own precision).
COORD_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DeviceFacts:
    """What qhpc declares about one Pulser device without importing Pulser."""

    backend: str
    device: str
    max_atoms: int | None
    channels: tuple[str, ...]
    description: str


DEVICES: tuple[DeviceFacts, ...] = (
    DeviceFacts("pulser.analog", "AnalogDevice", 80, ("rydberg_global",),
                "QuTiP emulation of Pulser's AnalogDevice: one global Rydberg channel (2D, 5 µm apart)"),
    DeviceFacts("pulser.digital_analog", "DigitalAnalogDevice", 100, ("rydberg_global", "rydberg_local", "raman_local"),
                "QuTiP emulation of Pulser's DigitalAnalogDevice: global and local Rydberg, local Raman "
                "(hyperfine qubits); runs gate circuits through the gates-to-pulses compiler"),
    DeviceFacts("pulser.mock", "MockDevice", None,
                ("rydberg_global", "rydberg_local", "raman_global", "raman_local", "mw_global"),
                "QuTiP emulation of Pulser's MockDevice: every channel, no hardware limits (3D registers too)"),
)


def facts(backend: str) -> DeviceFacts:
    for entry in DEVICES:
        if entry.backend == backend:
            return entry
    raise KeyError(backend)


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


def emulation_atom_limit(levels: int = 2, memory: int | None = None) -> int:
    """The most atoms whose QuTiP emulation (``levels`` states per atom) fits in ``memory`` bytes."""
    memory = _memory_bytes() if memory is None else memory
    n = 0
    while BYTES_PER_AMPLITUDE_PER_TERM * (n + 2) * float(levels) ** (n + 1) <= memory:
        n += 1
    return max(n, 1)


def capabilities(entry: DeviceFacts) -> BackendCapabilities:
    memory = _memory_bytes()
    limit = emulation_atom_limit(2, memory)
    atoms = limit if entry.max_atoms is None else min(entry.max_atoms, limit)
    held = f"{entry.device} holds {entry.max_atoms} atoms; " if entry.max_atoms is not None else ""
    note = (f"{held}QuTiP's emulation needs about {BYTES_PER_AMPLITUDE_PER_TERM} B x (atoms + 1) x 2^atoms "
            f"(3^atoms with both Rydberg and Raman channels) in {memory / 2**30:.0f} GiB of memory; "
            "run time grows as fast (qhpc warns before long runs)")
    return BackendCapabilities(
        num_qubits=atoms, paradigm="analog", native_gates=frozenset(entry.channels), supports_unitary=False,
        supports_noise=True, max_shots=10_000_000, supports_memory=True, supports_mid_circuit_measurement=False,
        supports_conditionals=False, supports_reset=False, description=entry.description, limit_note=note,
    )


def device_of(entry: DeviceFacts) -> Any:
    """The Pulser device object (imports Pulser)."""
    import pulser.devices

    return getattr(pulser.devices, entry.device)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def validation_errors(program: AnalogProgram, device: Any, *, limit: int | None = None) -> list[str]:
    """Why ``program`` (bound) cannot run on the Pulser ``device`` (empty: it can), one line each."""
    errors: list[str] = []
    name = device.name
    if program.device != name:
        errors.append(f"the program is written for {program.device}, not {name} (the Rydberg level, interaction "
                      "and channel limits differ; build it for this device, e.g. with Pulser's Sequence.switch_device)")
        return errors
    n = program.num_atoms
    if device.max_atom_num is not None and n > device.max_atom_num:
        errors.append(f"the register has {n} atoms; {name} holds at most {device.max_atom_num}")
    if limit is not None and n > limit:
        errors.append(f"the register has {n} atoms; the QuTiP emulation holds at most {limit} in this memory")
    if any(a.z is not None for a in program.register) and device.dimensions == 2:
        errors.append(f"the register is 3D; {name} places atoms in 2D")
    close = [(i, j, d) for i, j, d in program.distances() if d < device.min_atom_distance - COORD_TOLERANCE
             or d < COORD_TOLERANCE]
    for i, j, d in close[:3]:
        errors.append(f"atoms {program.register[i].name} and {program.register[j].name} are {_fmt(d)} µm apart, "
                      f"closer than {name}'s minimum of {_fmt(device.min_atom_distance)} µm")
    if len(close) > 3:
        errors.append(f"... and {len(close) - 3} more pairs of atoms too close")
    if device.max_radial_distance is not None:
        for atom in program.register:
            r = math.dist(atom.position, [0.0] * len(atom.position))
            if r > device.max_radial_distance:
                errors.append(f"atom {atom.name} is {_fmt(r)} µm from the centre, beyond {name}'s radius of "
                              f"{device.max_radial_distance} µm")
    available = dict(device.channels) | dict(getattr(device, "dmm_channels", {}))
    for channel in program.channels:
        if channel.channel_id not in available:
            errors.append(f"channel {channel.name!r} is {channel.channel_id}, which {name} does not have (its "
                          f"channels: {', '.join(available)})")
    if program.measurement is not None and program.measurement not in device.supported_bases:
        errors.append(f"the program measures in the {program.measurement} basis; {name} measures "
                      f"{', '.join(sorted(device.supported_bases))}")
    errors.extend(_pulse_errors(program, available))
    return errors


def _pulse_errors(program: AnalogProgram, available: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    env = program.environment()
    ids = {c.name: c.channel_id for c in program.channels}
    for k, pulse in enumerate(program.pulses, 1):
        cid = ids[pulse.channel]
        ch = available.get(cid)
        if ch is None:
            continue  # reported with the channel
        where = f"pulse {k} on {cid} (channel {pulse.channel!r})"
        try:
            low, high = pulse.amplitude.bounds(env, f"{where} amplitude")
            duration = pulse.amplitude.duration(env, f"{where} amplitude")
            if pulse.detuning is not None:
                det_low, det_high = pulse.detuning.bounds(env, f"{where} detuning")
                det_duration = pulse.detuning.duration(env, f"{where} detuning")
            else:
                det_low = det_high = 0.0
                det_duration = duration
        except AnalogError as exc:
            errors.append(str(exc))
            continue
        if low < -COORD_TOLERANCE:
            errors.append(f"{where}: amplitude {_fmt(low)} rad/µs is negative (amplitudes are Rabi frequencies, >= 0)")
        max_amp = getattr(ch, "max_amp", None)
        if max_amp is not None and high > max_amp * (1 + 1e-12):
            errors.append(f"{where}: amplitude {_fmt(high)} rad/µs exceeds the channel's maximum {_fmt(max_amp)} rad/µs")
        max_det = getattr(ch, "max_abs_detuning", None)
        worst = max(abs(det_low), abs(det_high))
        if max_det is not None and worst > max_det * (1 + 1e-12):
            errors.append(f"{where}: detuning {_fmt(det_low if abs(det_low) >= abs(det_high) else det_high)} rad/µs "
                          f"exceeds the channel's maximum magnitude {_fmt(max_det)} rad/µs")
        if duration is not None and det_duration is not None and duration != det_duration:
            errors.append(f"{where}: the amplitude lasts {duration} ns but the detuning {det_duration} ns")
        if duration is not None:
            if duration < ch.min_duration:
                errors.append(f"{where}: lasts {duration} ns, shorter than the channel's minimum {ch.min_duration} ns")
            if ch.max_duration is not None and duration > ch.max_duration:
                errors.append(f"{where}: lasts {duration} ns, longer than the channel's maximum {ch.max_duration} ns")
    return errors
