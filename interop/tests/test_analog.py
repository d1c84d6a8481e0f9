"""The analog program model: typed fields read from Pulser's abstract representation, an exact JSON
round trip, variables bound and evaluated, and one-line errors for malformed programs.

Oracles: values written out by hand, and (where Pulser is installed) Pulser's own abstract
representation and its waveforms' samples.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from qhpc_interop import QhpcError
from qhpc_interop.analog import (
    FORMAT,
    AnalogError,
    AnalogProgram,
    Pulse,
    Waveform,
    dumps,
    evaluate,
    loads,
    names_this_format,
)

#: A hand-written abstract representation: two atoms 6 µm apart, a global Rydberg channel, a
#: variable ``omega`` (size 2) and ``t`` (int), a Blackman pulse whose area is ``omega[0]`` and a
#: ramp, a delay, and a measurement in the ground-rydberg basis.
HAND = {
    "version": "1",
    "name": "hand",
    "register": [{"name": "a", "x": -3.0, "y": 0.0}, {"name": "b", "x": 3.0, "y": 0.0}],
    "channels": {"ryd": "rydberg_global"},
    "variables": {"omega": {"type": "float", "value": [0.0, 0.0]}, "t": {"type": "int", "value": [0]}},
    "operations": [
        {"op": "pulse", "channel": "ryd", "protocol": "min-delay", "post_phase_shift": 0.0, "phase": 0.5,
         "amplitude": {"kind": "blackman", "area": {"expression": "index", "lhs": {"variable": "omega"}, "rhs": 0},
                       "duration": {"expression": "mul", "lhs": {"expression": "index", "lhs": {"variable": "t"},
                                                                 "rhs": 0}, "rhs": 2}},
         "detuning": {"kind": "constant", "duration": 0, "value": -2.0}},
        {"op": "delay", "channel": "ryd", "time": 40},
        {"op": "pulse", "channel": "ryd", "protocol": "no-delay", "post_phase_shift": 0.25, "phase": 0,
         "amplitude": {"kind": "ramp", "duration": 100, "start": 0,
                       "stop": {"expression": "index", "lhs": {"variable": "omega"}, "rhs": 1}},
         "detuning": {"kind": "interpolated", "duration": 100, "values": [1.0, -3.5, 2.0], "times": [0.0, 0.4, 1.0]}},
    ],
    "measurement": "ground-rydberg",
    "device": "MockDevice",
}


def test_typed_fields_read_from_the_abstract_representation() -> None:
    program = AnalogProgram.from_abstract_repr(HAND)
    assert program.num_atoms == 2 and program.atom_names == ("a", "b")
    assert program.coordinates.tolist() == [[-3.0, 0.0], [3.0, 0.0]]
    assert program.min_distance() == pytest.approx(6.0)
    assert program.device == "MockDevice" and program.device_spec is None
    [channel] = program.channels
    assert (channel.name, channel.channel_id, channel.basis) == ("ryd", "rydberg_global", "ground-rydberg")
    assert [p.amplitude.kind for p in program.pulses] == ["blackman", "ramp"]
    assert program.pulses_on("ryd") == program.pulses and program.operations[1].op == "delay"
    assert program.measurement == program.measurement_basis == "ground-rydberg"
    assert {v.name: (v.dtype, v.size) for v in program.variables} == {"omega": ("float", 2), "t": ("int", 1)}
    assert program.free_variables == {"omega", "t"}


def test_abstract_representation_and_json_round_trip_exactly() -> None:
    program = AnalogProgram.from_abstract_repr(json.dumps(HAND))
    assert program.to_abstract_repr() == HAND
    again = loads(dumps(program))
    assert again == program and again.to_abstract_repr() == HAND
    bound = program.bind({"omega": [1.5, 2.0], "t": 250})
    text = dumps(bound, indent=1)
    assert json.loads(text)["format"] == FORMAT and json.loads(text)["variables"]["t"]["value"] == [250]
    assert loads(text) == bound and loads(text).fingerprint() == bound.fingerprint()
    assert bound.fingerprint() != program.fingerprint()
    # binding is not part of Pulser's form: the sequence is built with the values
    assert bound.to_abstract_repr() == HAND and bound.variable_values() == {"omega": [1.5, 2.0], "t": [250]}


def test_expressions_and_waveform_bounds_by_hand() -> None:
    program = AnalogProgram.from_abstract_repr(HAND).bind({"omega": [1.5, 2.0], "t": 250})
    env = program.environment()
    blackman, ramp = (p.amplitude for p in program.pulses)
    assert blackman.duration(env) == 500
    # a Blackman window of area A over T ns peaks at A / (sum(w) 1e-3) x max(w), max(w) = 1 for odd... here even
    window = np.clip(np.blackman(500), 0, None)
    assert blackman.bounds(env) == pytest.approx((0.0, 1.5 / (window.sum() * 1e-3) * window.max()))
    assert ramp.bounds(env) == (0.0, 2.0) and ramp.duration(env) == 100
    assert program.pulses[1].detuning is not None
    assert program.pulses[1].detuning.bounds(env) == (-3.5, 2.0)  # PCHIP stays within its points
    expr = {"expression": "add", "lhs": {"expression": "sin", "lhs": math.pi / 2},
            "rhs": {"expression": "pow", "lhs": {"variable": "x"}, "rhs": 2}}
    assert evaluate(expr, {"x": np.array(3.0)}) == pytest.approx(10.0)
    with pytest.raises(AnalogError, match="variable 'x' has no value"):
        evaluate(expr, {})


def test_binding_checks_names_sizes_and_types() -> None:
    program = AnalogProgram.from_abstract_repr(HAND)
    with pytest.raises(AnalogError, match=r"no variable 'omgea' \(its variables: omega, t\)"):
        program.bind({"omgea": 1.0})
    with pytest.raises(AnalogError, match="variable 'omega' takes 2 value"):
        program.bind({"omega": 1.0})
    with pytest.raises(AnalogError, match=r"variable 't' is an int, not 2\.5"):
        program.bind({"t": 2.5})
    with pytest.raises(AnalogError, match="finite numbers"):
        program.bind({"omega": [1.0, math.nan]})
    partly = program.bind({"t": 10})
    assert partly.free_variables == {"omega"}


def malformed(path: str, value: object) -> dict:
    doc = copy.deepcopy(AnalogProgram.from_abstract_repr(HAND).to_dict())
    target = doc
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is KeyError:
        del target[keys[-1]]
    elif isinstance(target, list):
        target[int(keys[-1])] = value
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(("path", "value", "message"), [
    ("format", "qhpc.bqm", "its 'format' must be 'qhpc.analog'"),
    ("version", 2, "version 2 is not 1"),
    ("colour", "red", "unknown field 'colour'"),
    ("register.1.name", "a", "names atom 'a' twice"),
    ("register.0.x", "far", "atom a x must be a finite number"),
    ("operations.0.channel", "raman", "pulse 1 is on channel 'raman', which is not declared"),
    ("operations.2.amplitude.kind", "square", "pulse 2 amplitude: unknown waveform kind 'square'"),
    ("operations.2.amplitude", KeyError, "pulse 2 has no 'amplitude'"),
    ("measurement", "computational", "unknown measurement basis 'computational'"),
    ("variables.t.type", "complex", "variable 't' must have a 'type' of 'int' or 'float'"),
    ("variables.omega", KeyError, "uses variable 'omega', which is not declared"),
    ("register", [{"qid": "q0", "default_trap": 1}], "the register is mappable"),
])
def test_malformed_documents_are_one_line_errors(path: str, value: object, message: str) -> None:
    doc = malformed(path, value)
    with pytest.raises(AnalogError, match=message) as caught:
        AnalogProgram.from_dict(doc, "prog.analog.json")
    assert str(caught.value).startswith("prog.analog.json: ") and "\n" not in str(caught.value)
    assert isinstance(caught.value, QhpcError)


def test_invalid_json_names_its_position() -> None:
    with pytest.raises(AnalogError, match=r"x.analog.json:1:2: invalid JSON"):
        loads("{,}", "x.analog.json")


def test_the_file_form_is_recognised_by_its_format_field() -> None:
    program = AnalogProgram.from_abstract_repr(HAND)
    text = dumps(program, indent=1).encode()
    assert names_this_format(text) and names_this_format(text[:60])  # a whole document, or its start
    assert not names_this_format(b'{"format": "qhpc.bqm", "version": 1}')
    assert not names_this_format(json.dumps(HAND).encode())  # Pulser's own form names no format


def test_programs_are_immutable_values() -> None:
    program = AnalogProgram.from_abstract_repr(HAND)
    with pytest.raises(AttributeError):
        program.device = "AnalogDevice"  # type: ignore[misc]
    assert isinstance(program.pulses[0], Pulse) and isinstance(program.pulses[0].amplitude, Waveform)


# -- Pulser as the oracle (where it is installed) ----------------------------------------------------


def _pulser_sequence():  # type: ignore[no-untyped-def]
    pulser = pytest.importorskip("pulser")
    from pulser.devices import DigitalAnalogDevice
    from pulser.waveforms import (
        BlackmanWaveform,
        CompositeWaveform,
        ConstantWaveform,
        CustomWaveform,
        InterpolatedWaveform,
        KaiserWaveform,
        RampWaveform,
    )

    reg = pulser.Register.from_coordinates([(0, 0), (6, 0), (0, 7)], prefix="q")
    seq = pulser.Sequence(reg, DigitalAnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    seq.declare_channel("ram", "raman_local", initial_target="q0")
    t = seq.declare_variable("t", dtype=int)
    om = seq.declare_variable("omega", size=2)
    seq.add(pulser.Pulse.ConstantDetuning(BlackmanWaveform(t, om[0]), -2.0, 0.5), "ryd")
    seq.add(pulser.Pulse(RampWaveform(100, 0, om[1]), ConstantWaveform(100, 1.0), 0.0), "ryd")
    seq.add(pulser.Pulse(CompositeWaveform(KaiserWaveform(120, 0.5, 10.0), ConstantWaveform(80, om[1] * 2)),
                         ConstantWaveform(200, 0.0), 0.0), "ryd")
    seq.add(pulser.Pulse.ConstantPulse(200, 2.0, 0.0, 0.0), "ram")
    seq.target("q1", "ram")
    seq.add(pulser.Pulse(CustomWaveform(np.linspace(0, 1, 52)), InterpolatedWaveform(52, [0, 1, 0.5]), 0.3), "ram")
    seq.delay(40, "ryd")
    seq.align("ryd", "ram")
    seq.phase_shift(0.3, "q0", basis="digital")
    seq.measure("digital")
    return seq


def test_pulser_sequences_round_trip_through_the_model() -> None:
    seq = _pulser_sequence()
    data = json.loads(seq.to_abstract_repr())
    program = AnalogProgram.from_abstract_repr(data)
    assert program.to_abstract_repr() == data
    assert loads(dumps(program)).to_abstract_repr() == data
    assert program.device == "DigitalAnalogDevice" and program.device_spec is not None
    assert {c.name: (c.basis, c.addressing) for c in program.channels} == {
        "ryd": ("ground-rydberg", "Global"), "ram": ("digital", "Local")}
    assert program.bases == {"ground-rydberg", "digital"} and program.measurement_basis == "digital"
    assert [p.amplitude.kind for p in program.pulses] == ["blackman", "ramp", "composite", "constant", "custom"]


def test_bounds_and_durations_match_pulsers_samples() -> None:
    import pulser

    seq = _pulser_sequence()
    program = AnalogProgram.from_abstract_repr(json.loads(seq.to_abstract_repr())).bind({"t": 400, "omega": [1.0, 2.0]})
    env = program.environment()
    built = pulser.Sequence.from_abstract_repr(json.dumps(program.to_abstract_repr())).build(**program.variable_values())
    theirs = [slot.type for ch in ("ryd", "ram") for slot in built._schedule[ch].slots
              if isinstance(slot.type, pulser.Pulse)]
    ours = program.pulses_on("ryd") + program.pulses_on("ram")
    assert len(theirs) == len(ours) == 5
    for mine, pulse in zip(ours, theirs):
        samples = pulse.amplitude.samples.as_array()
        assert mine.amplitude.duration(env) == pulse.amplitude.duration
        assert mine.amplitude.bounds(env) == pytest.approx((min(0.0, samples.min()) if mine.amplitude.kind in (
            "blackman", "composite") else samples.min(), samples.max()), abs=1e-9)
        assert mine.detuning is not None
        det = pulse.detuning.samples.as_array()
        low, high = mine.detuning.bounds(env)
        if mine.detuning.kind == "interpolated":
            # the data points' range: the 1-ns samples may stop short of a peak between two samples
            assert low <= det.min() + 1e-12 and det.max() - 1e-12 <= high and high - det.max() < 1e-3
        else:
            assert (low, high) == pytest.approx((det.min(), det.max()), abs=1e-9)
