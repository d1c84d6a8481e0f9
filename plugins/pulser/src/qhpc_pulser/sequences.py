"""Small standard Pulser sequences: a Rabi pulse and an adiabatic sweep on a ring.

Used by the plugin's tests, ``examples/analog_rydberg.py`` and ``benchmarks/analog.py``; they
import Pulser when called.
"""

from __future__ import annotations

import math
from typing import Any


def rabi_sequence(omega: float, duration: Any, *, detuning: float = 0.0, atoms: int = 1, spacing: float = 30.0,
                  device: Any = None) -> Any:
    """``atoms`` atoms on a line ``spacing`` µm apart (AnalogDevice by default), one global pulse of
    constant amplitude ``omega`` (rad/µs) and ``detuning`` for ``duration`` ns, measured in the
    ground-rydberg basis."""
    import pulser
    from pulser.devices import AnalogDevice

    reg = pulser.Register.from_coordinates([(spacing * k, 0.0) for k in range(atoms)], prefix="q")
    seq = pulser.Sequence(reg, device or AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.add(pulser.Pulse.ConstantPulse(duration, omega, detuning, 0.0), "ryd")
    seq.measure("ground-rydberg")
    return seq


def ring_sweep(atoms: int = 6, spacing: float = 6.0, omega: float = 8.0, start: float = -15.0, stop: float = 20.0,
               sweep: int = 3000) -> Any:
    """An adiabatic sweep on a ring of ``atoms`` atoms ``spacing`` µm apart (AnalogDevice): the
    amplitude rises to ``omega`` in 400 ns at detuning ``start``, the detuning is swept to ``stop``
    in ``sweep`` ns, the amplitude falls in 400 ns (rad/µs, ns)."""
    import pulser
    from pulser.devices import AnalogDevice
    from pulser.waveforms import ConstantWaveform, RampWaveform

    radius = spacing / (2 * math.sin(math.pi / atoms))
    coords = [(radius * math.cos(2 * math.pi * k / atoms), radius * math.sin(2 * math.pi * k / atoms))
              for k in range(atoms)]
    seq = pulser.Sequence(pulser.Register.from_coordinates(coords, prefix="q"), AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.add(pulser.Pulse(RampWaveform(400, 0.0, omega), ConstantWaveform(400, start), 0.0), "ryd")
    seq.add(pulser.Pulse(ConstantWaveform(sweep, omega), RampWaveform(sweep, start, stop), 0.0), "ryd")
    seq.add(pulser.Pulse(RampWaveform(400, omega, 0.0), ConstantWaveform(400, stop), 0.0), "ryd")
    seq.measure("ground-rydberg")
    return seq
