"""Devices as capabilities, and programs checked against them with one-line, positioned errors.

Oracle for the table: Pulser's own device objects. The bad programs are written as qhpc analog
programs (Pulser refuses to build them, so they arrive as files or through a variable's value).
"""

from __future__ import annotations

import json
import math

import pytest
from qhpc.errors import JobRejectedError
from qhpc_interop.analog import AnalogProgram
from qhpc_pulser import devices
from qhpc_pulser.sequences import rabi_sequence
from qhpc_pulser.translate import sequence_to_program


def test_the_declared_device_table_is_pulsers() -> None:
    import pulser.devices

    for entry in devices.DEVICES:
        device = getattr(pulser.devices, entry.device)
        assert device.name == entry.device
        assert device.max_atom_num == entry.max_atoms
        assert tuple(device.channels) == entry.channels


def test_capabilities_say_atoms_channels_and_the_paradigm(integrator) -> None:  # type: ignore[no-untyped-def]
    caps = integrator.capabilities("pulser.analog")
    assert caps.paradigm == "analog" and caps.kind == "emulator" and caps.supports_noise
    assert caps.native_gates == frozenset({"rydberg_global"})
    assert caps.num_qubits == min(80, devices.emulation_atom_limit(2))
    assert "AnalogDevice holds 80 atoms" in caps.limit_note
    assert integrator.capabilities("pulser.digital_analog").native_gates == frozenset(
        {"rydberg_global", "rydberg_local", "raman_local"})
    assert integrator.capabilities("pulser.mock").num_qubits == devices.emulation_atom_limit(2)


def test_the_emulation_limit_follows_memory() -> None:
    # 150 B x (n + 1) x 2^n: 10 atoms need 1.7 MB, 11 atoms 3.7 MB
    assert devices.emulation_atom_limit(2, memory=2_000_000) == 10
    assert devices.emulation_atom_limit(3, memory=2_000_000) == 6  # 150 x 7 x 729 = 0.77 MB; 7 atoms 2.6 MB


def _program(**changes) -> dict:  # type: ignore[no-untyped-def]
    """A one-atom AnalogDevice Rabi program as a JSON document, with ``changes`` applied."""
    doc = sequence_to_program(rabi_sequence(2 * math.pi, 500)).to_dict()
    for key, value in changes.items():
        doc[key] = value
    return doc


def _pulse(amplitude: float = 6.0, detuning: float = 0.0, duration: int = 500) -> dict:
    return {"op": "pulse", "channel": "ryd", "protocol": "min-delay", "phase": 0.0, "post_phase_shift": 0.0,
            "amplitude": {"kind": "constant", "duration": duration, "value": amplitude},
            "detuning": {"kind": "constant", "duration": duration, "value": detuning}}


@pytest.mark.parametrize(("changes", "message"), [
    ({"register": [{"name": "q0", "x": 0.0, "y": 0.0}, {"name": "q1", "x": 3.0, "y": 0.0}]},
     "atoms q0 and q1 are 3 µm apart, closer than AnalogDevice's minimum of 5 µm"),
    ({"register": [{"name": "q0", "x": 40.0, "y": 0.0}]}, "atom q0 is 40 µm from the centre, beyond AnalogDevice's "
                                                            "radius of 38 µm"),
    ({"register": [{"name": "q0", "x": 0.0, "y": 0.0, "z": 1.0}]}, "the register is 3D; AnalogDevice places atoms in 2D"),
    ({"operations": [_pulse(), _pulse(amplitude=20.0)]},
     r"pulse 2 on rydberg_global \(channel 'ryd'\): amplitude 20 rad/µs exceeds the channel's maximum 12.57 rad/µs"),
    ({"operations": [_pulse(detuning=-200.0)]},
     r"pulse 1 on rydberg_global \(channel 'ryd'\): detuning -200 rad/µs exceeds the channel's maximum magnitude "
     r"125.7 rad/µs"),
    ({"operations": [_pulse(duration=8)]}, r"pulse 1 .*: lasts 8 ns, shorter than the channel's minimum 16 ns"),
    ({"operations": [_pulse(amplitude=-1.0)]}, r"pulse 1 .*: amplitude -1 rad/µs is negative"),
    ({"channels": {"ryd": "raman_local"}}, r"channel 'ryd' is raman_local, which AnalogDevice does not have \(its "
                                            r"channels: rydberg_global\)"),
    ({"measurement": "digital"}, "the program measures in the digital basis; AnalogDevice measures ground-rydberg"),
])
def test_a_program_that_does_not_fit_its_device_is_refused_in_one_line(integrator, changes, message) -> None:  # type: ignore[no-untyped-def]
    program = AnalogProgram.from_dict(_program(**changes))
    with pytest.raises(JobRejectedError, match=message) as caught:
        integrator.run(program, backend="pulser.analog", shots=10)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("pulser.analog cannot run a ")


def test_a_variable_that_breaks_a_limit_is_caught_after_binding(integrator) -> None:  # type: ignore[no-untyped-def]
    import pulser
    from pulser.devices import AnalogDevice

    seq = pulser.Sequence(pulser.Register.from_coordinates([(0, 0)], prefix="q"), AnalogDevice)
    seq.declare_channel("ryd", "rydberg_global")
    omega = seq.declare_variable("omega")
    seq.add(pulser.Pulse.ConstantPulse(200, 1.0, 0.0, 0.0), "ryd")
    seq.add(pulser.Pulse.ConstantPulse(200, omega, 0.0, 0.0), "ryd")
    seq.measure("ground-rydberg")
    assert integrator.run(seq, parameters={"omega": 3.0}, shots=10, seed=1).shots == 10
    with pytest.raises(JobRejectedError, match=r"pulse 2 on rydberg_global \(channel 'ryd'\): amplitude 20 rad/µs "
                                               r"exceeds the channel's maximum 12.57"):
        integrator.run(seq, parameters={"omega": 20.0}, shots=10)
    with pytest.raises(JobRejectedError, match=r"unbound variable\(s\) omega"):
        integrator.run(seq, shots=10)
    with pytest.raises(JobRejectedError, match=r"variable\(s\) omgea are not in the program \(its variables: omega\)"):
        integrator.run(seq, parameters={"omega": 1.0, "omgea": 1.0}, shots=10)


def test_a_program_runs_only_on_the_device_it_was_written_for(integrator) -> None:  # type: ignore[no-untyped-def]
    from pulser.devices import MockDevice

    seq = rabi_sequence(2 * math.pi, 500)
    with pytest.raises(JobRejectedError, match=r"the program is written for AnalogDevice, not MockDevice"):
        integrator.run(seq, backend="pulser.mock", shots=10)
    assert integrator.run(seq, shots=10, seed=1).backend == "pulser.analog"  # auto finds its device
    assert integrator.run(rabi_sequence(2 * math.pi, 500, device=MockDevice), shots=10, seed=1).backend == "pulser.mock"


def test_too_many_atoms_for_the_device(integrator) -> None:  # type: ignore[no-untyped-def]
    doc = _program(register=[{"name": f"q{k}", "x": 6.0 * (k % 9) - 24, "y": 6.0 * (k // 9) - 24} for k in range(81)])
    with pytest.raises(JobRejectedError, match=r"81 atoms but pulser.analog holds at most"):
        integrator.run(AnalogProgram.from_dict(doc), backend="pulser.analog", shots=10)
    errors = devices.validation_errors(AnalogProgram.from_dict(doc), devices.device_of(devices.DEVICES[0]))
    assert "the register has 81 atoms; AnalogDevice holds at most 80" in errors


def test_a_bad_file_is_a_one_line_cli_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    path = tmp_path / "close.analog.json"
    path.write_text(json.dumps(_program(register=[{"name": "q0", "x": 0.0, "y": 0.0}, {"name": "q1", "x": 2.0, "y": 0.0}])))
    env = {**os.environ, "QHPC_PLUGINS": "builtin,pulser", "QHPC_CONFIG": os.devnull}
    done = subprocess.run([sys.executable, "-m", "qhpc", "run", str(path), "--backend", "pulser.analog"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "atoms q0 and q1 are 2 µm apart, closer than AnalogDevice's minimum of 5 µm" in lines[0]
    assert "Traceback" not in done.stderr
