"""The calibration layer from the command line: build a model, run under it, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

from qhpc.noise import NoiseModel

from .conftest import EXAMPLES, qhpc_cli


def test_calibrate_from_a_snapshot_then_run_under_the_model(tmp_path: Path) -> None:
    model_path = tmp_path / "perth.json"
    done = qhpc_cli("calibrate", "--target", "ibm_perth", "--out", str(model_path))
    assert done.returncode == 0, done.stderr
    assert "from-calibration model of ibm_perth" in done.stderr
    model = NoiseModel.from_json(model_path.read_text())
    assert model.metadata["snapshot"] == "ibm_perth" and len(model.readout) == 7
    run = qhpc_cli("run", str(EXAMPLES / "ghz.qasm"), "--backend", "ibm_perth", "--noise", str(model_path),
                   "--shots", "2000", "--seed", "3", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["metadata"]["noise"]["metadata"]["snapshot"] == "ibm_perth"
    ideal = {"00000", "11111"}
    assert set(doc["counts"]) - ideal  # the noise shows
    assert sum(v for k, v in doc["counts"].items() if k in ideal) > 1000  # and the GHZ is still there


def test_bad_calibration_input_is_a_one_line_error(tmp_path: Path) -> None:
    for args, message in [
        (("calibrate", "--target", "aer.statevector", "--out", str(tmp_path / "m.json")),
         "error: aer.statevector has no calibration snapshot"),
        (("calibrate", "--target", "ibm_nowhere", "--out", str(tmp_path / "m.json")),
         "error: unknown backend 'ibm_nowhere'"),
        (("run", str(EXAMPLES / "ghz.qasm"), "--noise", str(tmp_path / "missing.json")),
         f"error: {tmp_path / 'missing.json'}: no such noise model file"),
        (("run", str(EXAMPLES / "ghz.qasm"), "--backend", "aer.stabilizer", "--noise", str(EXAMPLES / "ghz.qasm")),
         "error: "),
    ]:
        done = qhpc_cli(*args)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1, done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "qhpc.noise", "version": 1, "readout": {"0": {"p01": 3}}}')
    done = qhpc_cli("run", str(EXAMPLES / "ghz.qasm"), "--backend", "aer.density_matrix", "--noise", str(broken))
    assert done.returncode == 1 and "broken.json: malformed entry" in done.stderr


def test_a_device_model_on_a_generic_emulator_is_refused_before_running(tmp_path: Path) -> None:
    model_path = tmp_path / "perth.json"
    assert qhpc_cli("calibrate", "--target", "ibm_perth", "--out", str(model_path)).returncode == 0
    done = qhpc_cli("run", str(EXAMPLES / "ghz.qasm"), "--backend", "aer.density_matrix", "--noise", str(model_path))
    assert done.returncode == 1
    assert "no duration for h" in done.stderr and "run it on the device target ibm_perth" in done.stderr
