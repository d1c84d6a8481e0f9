"""The analog kind as qhpc runs it: AnalogPrograms and pulser.Sequences through the integrator and the
CLI, the bit order, memory, seeds, metadata, and the plugin's import discipline."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import qhpc
from qhpc_interop.analog import dumps
from qhpc_pulser.sequences import rabi_sequence
from qhpc_pulser.translate import sequence_to_program

CLI_ENV = {**os.environ, "QHPC_PLUGINS": "builtin,pulser", "QHPC_CONFIG": os.devnull}


def local_pi_pulse_on_atom_zero():  # type: ignore[no-untyped-def]
    """Two distant atoms on DigitalAnalogDevice; a local π pulse excites atom q0 only."""
    import pulser
    from pulser.devices import DigitalAnalogDevice

    seq = pulser.Sequence(pulser.Register.from_coordinates([(0, 0), (20, 0)], prefix="q"), DigitalAnalogDevice)
    seq.declare_channel("local", "rydberg_local", initial_target="q0")
    seq.add(pulser.Pulse.ConstantPulse(200, math.pi / 0.2, 0.0, 0.0), "local")
    seq.measure("ground-rydberg")
    return seq


def test_the_plugin_provides_its_format_translators_backends_and_compiler(integrator) -> None:  # type: ignore[no-untyped-def]
    assert integrator.formats["pulser"].kind == "analog" and integrator.formats["qhpc.analog"].kind == "analog"
    assert {"pulser-import", "pulser-export"} <= {t.name for t in integrator.translators}
    assert {"pulser.analog", "pulser.digital_analog", "pulser.mock"} <= set(integrator.backends)
    compiler = integrator.compiler("pulser.gates-to-pulses")
    assert (compiler.source_kind, compiler.target_kind) == ("gate", "analog")
    assert integrator.kinds["analog"].plugins == ("qhpc-pulser",)


def test_atom_zero_is_the_rightmost_character(integrator) -> None:  # type: ignore[no-untyped-def]
    result = integrator.run(local_pi_pulse_on_atom_zero(), shots=500, seed=1)
    assert result.backend == "pulser.digital_analog"
    assert result.counts.get("01", 0) > 495, result.counts  # Pulser itself would write "10"
    assert result.metadata["atoms"] == ["q0", "q1"] and result.metadata["one_state"] == "r"
    assert result.metadata["basis"] == "ground-rydberg"


def test_a_program_and_its_sequence_give_the_same_counts(integrator) -> None:  # type: ignore[no-untyped-def]
    seq = rabi_sequence(2 * math.pi, 300, atoms=2, spacing=7.0)
    program = sequence_to_program(seq)
    a = integrator.run(seq, shots=3000, seed=8)
    b = integrator.run(program, shots=3000, seed=8)
    assert a.counts == b.counts and a.metadata["route"] == "pulser -> qhpc.analog"
    assert b.metadata["route"] == "qhpc.analog" and b.metadata["kind"] == "analog" and b.metadata["size"] == 2
    c = integrator.run(program, shots=3000, seed=9)
    assert c.counts != a.counts  # the seed is honoured, not ignored


def test_memory_lists_every_shot_consistently(integrator) -> None:  # type: ignore[no-untyped-def]
    result = integrator.run(rabi_sequence(2 * math.pi, 132, atoms=2), shots=400, seed=2, memory=True)
    assert result.memory is not None and len(result.memory) == 400
    tally: dict[str, int] = {}
    for key in result.memory:
        tally[key] = tally.get(key, 0) + 1
    assert tally == result.counts
    assert result.memory != sorted(result.memory)  # an order drawn with the seed, not the counts' order
    again = integrator.run(rabi_sequence(2 * math.pi, 132, atoms=2), shots=400, seed=2, memory=True)
    assert again.memory == result.memory


def test_without_a_seed_the_drawn_one_is_reported_and_reproduces(integrator) -> None:  # type: ignore[no-untyped-def]
    seq = rabi_sequence(2 * math.pi, 132, atoms=2)
    first = integrator.run(seq, shots=500)
    seed = first.seed
    assert isinstance(seed, int)
    assert integrator.run(seq, shots=500, seed=seed).counts == first.counts


def test_a_job_reports_its_estimate_and_stages(integrator) -> None:  # type: ignore[no-untyped-def]
    job = integrator.submit(rabi_sequence(2 * math.pi, 400), shots=100, seed=1)
    result = job.result()
    assert 0.1 < job.metadata["estimated_seconds"] < 30
    assert {"convert", "validate", "compile", "run", "verify"} <= set(result.timings)


def test_the_analog_kind_verifies_the_readout() -> None:
    from qhpc.errors import JobFailedError
    from qhpc.interfaces import RunOutput
    from qhpc.kinds.analog import AnalogKind

    kind = AnalogKind()
    program = sequence_to_program(rabi_sequence(2 * math.pi, 400, atoms=2))
    kind.verify(RunOutput({"01": 3, "11": 2}), program, 5, "b")
    for output, message in [(RunOutput({"011": 5}), "not a bitstring over the program's 2 atoms"),
                            (RunOutput({"01": 4}), "returned 4 shots for 5"),
                            (RunOutput({"01": 5}, memory=["01"] * 4 + ["11"]), "memory does not match"),
                            (RunOutput({"0x": 5}), "not a bitstring")]:
        with pytest.raises(JobFailedError, match=message):
            kind.verify(output, program, 5, "b")
    assert kind.size(program) == 2 and kind.describe(program).startswith("a 2-atom analog program for AnalogDevice")
    assert kind.fingerprint(program) == kind.fingerprint(sequence_to_program(rabi_sequence(2 * math.pi, 400, atoms=2)))
    assert kind.from_json(kind.to_json(program)) == program


def test_no_emulator_for_an_unknown_device(integrator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = sequence_to_program(rabi_sequence(2 * math.pi, 400)).to_dict()
    doc["device"] = "Fresnel"
    doc["device_spec"] = None
    from qhpc_interop.analog import AnalogProgram

    with pytest.raises(qhpc.JobRejectedError, match=r"no emulator can run a 1-atom analog program for Fresnel .*"
                                                     r"written for Fresnel, not AnalogDevice"):
        integrator.run(AnalogProgram.from_dict(doc), shots=10)


def test_importing_the_plugin_does_not_import_pulser() -> None:
    code = ("import sys\nimport qhpc_pulser.plugin\nfrom qhpc.plugins import PluginRegistry\n"
            "PluginRegistry.discover().describe()\n"
            "print(sorted(m for m in ('pulser', 'pulser_simulation', 'qutip') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_cli_runs_an_analog_file_and_a_python_sequence(tmp_path: Path) -> None:
    program = sequence_to_program(rabi_sequence(2 * math.pi, 500, atoms=2))
    path = tmp_path / "rabi.analog.json"
    path.write_text(dumps(program, indent=1))
    done = subprocess.run([sys.executable, "-m", "qhpc", "run", str(path), "--shots", "200", "--seed", "3", "--json"],
                          capture_output=True, text=True, timeout=300, env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["backend"] == "pulser.analog" and out["counts"] == {"11": 200}  # a π pulse on two distant atoms
    assert out["metadata"]["kind"] == "analog" and out["metadata"]["format"] == "qhpc.analog"
    script = tmp_path / "seq.py"
    script.write_text("import math\nfrom qhpc_pulser.sequences import rabi_sequence\n"
                      "seq = rabi_sequence(2 * math.pi, 250)\n")
    done = subprocess.run([sys.executable, "-m", "qhpc", "run", f"{script}:seq", "--shots", "4000", "--seed", "1",
                           "--json"], capture_output=True, text=True, timeout=300, env=CLI_ENV)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["counts"]
    assert set(counts) == {"0", "1"} and abs(counts["1"] / 4000 - 0.5) < 0.04  # a π/2 pulse
