"""qhpc calibrate --data: the fit calibrator from the command line, and bad data refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qhpc.cli import main
from qhpc.noise import NoiseModel

X_ON_0 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[7];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n'
IDLE_0 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[7];\ncreg c[1];\nmeasure q[0] -> c[0];\n'


def runs(**change: object) -> dict[str, object]:
    doc: dict[str, object] = {"target": "ibm_perth", "runs": [
        {"name": "x", "program": X_ON_0, "shots": 4000, "counts": {"1": 3700, "0": 300}},
        {"name": "idle", "program": IDLE_0, "shots": 4000, "counts": {"0": 3880, "1": 120}},
        {"name": "x again", "program": X_ON_0, "shots": 4000, "counts": {"1": 3690, "0": 310}},
    ]}
    first = doc["runs"][0]  # type: ignore[index]
    for key, value in change.items():
        if key == "target":
            doc["target"] = value
        else:
            first[key] = value
    return doc


def calibrate(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: object, target: str = "ibm_perth",
              ) -> tuple[int, str]:
    data = tmp_path / "runs.json"
    data.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    code = main(["calibrate", "--target", target, "--data", str(data), "--out", str(tmp_path / "model.json")])
    return code, capsys.readouterr().err


def test_calibrate_with_data_fits_and_reports_each_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("qhpc_qiskit")
    code, err = calibrate(tmp_path, capsys, runs())
    assert code == 0, err
    assert "fit model of ibm_perth" in err and "dev before" in err and "readout p10 q0" in err
    model = NoiseModel.from_json((tmp_path / "model.json").read_text())
    assert model.metadata["calibrator"] == "fit" and model.metadata["snapshot"] == "ibm_perth"
    # the readout error the data show (P(0|1) ~ 7.6%, P(1|0) = 3%), not the snapshot's
    assert model.readout[0].p10 == pytest.approx(0.076, abs=0.01)
    assert model.readout[0].p01 == pytest.approx(0.03, abs=0.008)
    assert {r["name"] for r in model.metadata["report"]["runs"]} == {"x", "idle", "x again"}


@pytest.mark.parametrize("doc, target, message", [
    (runs(), "ibm_nowhere", "error: unknown backend 'ibm_nowhere'"),
    (runs(target="ibm_lagos"), "ibm_perth", "error: runs.json: target 'ibm_lagos' is not the snapshot's device"),
    (runs(program=X_ON_0.replace("x q[0]", "h q[0]")), "ibm_perth",
     "error: runs.json: runs[0].program instruction 0 (h q[0]): h is not a native gate of ibm_perth"),
    (runs(program=X_ON_0.replace("x q[0];", "cx q[0], q[2];")), "ibm_perth",
     "error: runs.json: runs[0].program instruction 0 (cx q[0, 2]): qubits [0, 2] are not coupled"),
    (runs(counts={"1": 3700, "0": 200}), "ibm_perth", "error: runs.json: runs[0].counts sum to 3900, not to its 4000"),
    ('{"target": "ibm_perth", "runs": [', "ibm_perth", "error: runs.json:1:34: invalid JSON"),
])
def test_bad_data_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: object, target: str,
                                      message: str) -> None:
    pytest.importorskip("qhpc_qiskit")
    code, err = calibrate(tmp_path, capsys, doc, target)
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.replace(str(tmp_path) + "/", "").startswith(message), err
