"""``pulser.Sequence`` <-> ``AnalogProgram``: exact both ways, checked with Pulser's own abstract
representation and Pulser's own sampling of the sequences as the oracles."""

from __future__ import annotations

import json

import numpy as np
import pulser
import pytest
from pulser.devices import AnalogDevice, DigitalAnalogDevice, MockDevice
from pulser.waveforms import (
    BlackmanWaveform,
    CompositeWaveform,
    ConstantWaveform,
    CustomWaveform,
    InterpolatedWaveform,
    RampWaveform,
)
from qhpc.errors import TranslationError
from qhpc_interop.analog import AnalogProgram, dumps, loads
from qhpc_pulser.translate import program_to_sequence, sequence_to_program


def parametrised() -> pulser.Sequence:
    """Variables, several channels (global and local, two bases), every kind of waveform, targets,
    delays, an alignment and a phase shift."""
    reg = pulser.Register.from_coordinates([(0, 0), (6, 0), (0, 7)], prefix="q")
    seq = pulser.Sequence(reg, DigitalAnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.declare_channel("ram", "raman_local", initial_target="q0")
    t = seq.declare_variable("t", dtype=int)
    om = seq.declare_variable("omega", size=2)
    seq.add(pulser.Pulse.ConstantDetuning(BlackmanWaveform(t, om[0]), -2.0, 0.5), "ryd")
    seq.add(pulser.Pulse(RampWaveform(100, 0, om[1]), ConstantWaveform(100, 1.0), 0.0), "ryd")
    seq.add(pulser.Pulse(CompositeWaveform(ConstantWaveform(60, om[1]), RampWaveform(40, 2.0, 0.0)),
                         ConstantWaveform(100, 0.0), 0.0), "ryd", protocol="no-delay")
    seq.add(pulser.Pulse.ConstantPulse(200, 2.0, 0.0, 0.0), "ram")
    seq.target("q1", "ram")
    seq.add(pulser.Pulse(CustomWaveform(np.linspace(0, 1, 52)), InterpolatedWaveform(52, [0, 1, 0.5]), 0.3), "ram")
    seq.delay(t * 2, "ryd")
    seq.align("ryd", "ram")
    seq.phase_shift(0.3, "q0", basis="digital")
    seq.measure("digital")
    return seq


def test_a_parametrised_sequence_round_trips_exactly() -> None:
    seq = parametrised()
    program = sequence_to_program(seq)
    assert program.free_variables == {"t", "omega"}
    assert [c.channel_id for c in program.channels] == ["rydberg_global", "raman_local"]
    assert [p.amplitude.kind for p in program.pulses] == ["blackman", "ramp", "composite", "constant", "custom"]
    back = program_to_sequence(loads(dumps(program)))
    assert back.is_parametrized()
    assert json.loads(back.to_abstract_repr()) == json.loads(seq.to_abstract_repr())


def test_a_bound_program_becomes_the_built_sequence() -> None:
    seq = parametrised()
    values = {"t": 300, "omega": [1.0, 2.0]}
    program = sequence_to_program(seq).bind(values)
    built = program_to_sequence(program)
    assert not built.is_parametrized()
    expected = seq.build(**values)
    assert json.loads(built.to_abstract_repr()) == json.loads(expected.to_abstract_repr())
    # the same samples, channel by channel (Pulser's own sampler as the oracle)
    from pulser.sampler import sample

    ours, theirs = sample(built), sample(expected)
    for channel in ("ryd", "ram"):
        np.testing.assert_array_equal(ours.channel_samples[channel].amp, theirs.channel_samples[channel].amp)
        np.testing.assert_array_equal(ours.channel_samples[channel].det, theirs.channel_samples[channel].det)


def test_a_built_sequence_round_trips_and_keeps_its_device() -> None:
    for device in (AnalogDevice, MockDevice):
        reg = pulser.Register.from_coordinates([(0, 0), (10, 0)], prefix="a")
        seq = pulser.Sequence(reg, device)
        seq.declare_channel("g", "rydberg_global")
        seq.add(pulser.Pulse.ConstantAmplitude(3.0, RampWaveform(800, -10.0, 10.0), 0.0), "g")
        seq.measure("ground-rydberg")
        program = sequence_to_program(seq)
        assert program.device == device.name and not program.variables
        assert program.atom_names == ("a0", "a1") and program.min_distance() == pytest.approx(10.0)
        again = program_to_sequence(program)
        assert json.loads(again.to_abstract_repr()) == json.loads(seq.to_abstract_repr())


def test_the_integrator_detects_and_routes_pulser_sequences(integrator) -> None:  # type: ignore[no-untyped-def]
    seq = parametrised()
    assert integrator.detect_format(seq) == "pulser"
    assert integrator.kind_of("pulser").name == "analog"
    program, route = integrator.converter.to_model(seq)
    assert isinstance(program, AnalogProgram) and str(route) == "pulser -> qhpc.analog"
    assert not integrator.formats["pulser"].detect(pulser.Register.square(2, 5.0, prefix="q"))


def test_eom_mode_and_detuning_maps_survive_the_round_trip() -> None:
    reg = pulser.Register.from_coordinates([(0, 0), (6, 0)], prefix="q")
    seq = pulser.Sequence(reg, AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.enable_eom_mode("ryd", amp_on=3.0, detuning_on=0.0)
    seq.add_eom_pulse("ryd", 100, 0.0)
    seq.delay(200, "ryd")
    seq.disable_eom_mode("ryd")
    seq.add(pulser.Pulse.ConstantPulse(100, 2.0, 0.0, 0.0), "ryd")
    seq.measure("ground-rydberg")
    program = sequence_to_program(seq)
    assert [op.op for op in program.operations if not hasattr(op, "amplitude")][:2] == ["enable_eom_mode",
                                                                                          "add_eom_pulse"]
    assert json.loads(program_to_sequence(program).to_abstract_repr()) == json.loads(seq.to_abstract_repr())


def test_sequences_pulser_cannot_write_are_translation_errors() -> None:
    layout = pulser.register.RegisterLayout([(0, 0), (6, 0), (0, 6), (6, 6), (12, 0), (12, 6)])
    mappable = layout.make_mappable_register(2)
    seq = pulser.Sequence(mappable, MockDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.add(pulser.Pulse.ConstantPulse(100, 1.0, 0.0, 0.0), "ryd")
    with pytest.raises(TranslationError, match="mappable"):
        sequence_to_program(seq)
    with pytest.raises(TranslationError, match=r"expected a pulser\.Sequence"):
        sequence_to_program("not a sequence")


def test_pulsers_own_refusal_is_one_line(integrator) -> None:  # type: ignore[no-untyped-def]
    program = sequence_to_program(parametrised()).bind({"t": 300, "omega": [1.0, 2.0]})
    # DigitalAnalogDevice's local Raman channel retargets in 220 ns: a hand-edited delay cannot break
    # that, but a target outside the register can, and Pulser says so (wrapped in one line)
    ops = [op.to_repr() for op in program.operations]
    ops[[o["op"] for o in ops].index("target")]["target"] = 7
    bad = AnalogProgram.from_dict({**program.to_dict(), "operations": ops})
    with pytest.raises(TranslationError, match=r"Pulser refuses the sequence on DigitalAnalogDevice: ") as caught:
        program_to_sequence(bad)
    assert "\n" not in str(caught.value)
