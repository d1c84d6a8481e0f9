"""The photonic kind end to end: Python, the ``qhpc`` command line, plugin loading."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import perceval as pcvl
import pytest
from qhpc import Integrator
from qhpc.errors import JobFailedError, QhpcError
from qhpc.interfaces import RunOutput
from qhpc.kinds.photonic import PhotonicKind
from qhpc_interop.photonic import PhotonicProgram, dumps, loads

from ._optics import within_binomial

#: The command line with only the plugins these tests need (loading every SDK would double its start-up).
CLI_ENV = {**os.environ, "QHPC_PLUGINS": "builtin,perceval", "QHPC_CONFIG": os.devnull}


def qhpc_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(CLI_ENV)
    env.pop("QHPC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def hom_program() -> PhotonicProgram:
    return PhotonicProgram(2, [1, 1], name="hom").bs(0)


# -- Python ------------------------------------------------------------------------------------------


def test_a_perceval_experiment_runs_through_the_integrator() -> None:
    experiment = pcvl.Experiment(pcvl.Circuit(4).add(0, pcvl.BS()).add(2, pcvl.BS()).add(1, pcvl.BS()))
    experiment.with_input(pcvl.BasicState([1, 0, 1, 0]))
    experiment.add_herald(3, 0)
    experiment.set_postselection(pcvl.PostSelect("[0,1]>=1"))
    with Integrator() as integrator:
        result = integrator.run(experiment, backend="perceval.slos", shots=3000, seed=4)
        processor = pcvl.Processor("SLOS", experiment)
        processor.min_detected_photons_filter(0)
        theirs = processor.probs()  # Perceval's own simulation: heralded mode 3 dropped from its states
    assert result.metadata["kind"] == "photonic" and result.metadata["unit"] == "mode"
    assert result.metadata["success_probability"] == pytest.approx(theirs["global_perf"], rel=1e-9)
    expected = {f"|{','.join(map(str, list(state)))},0>": p for state, p in theirs["results"].items()}
    assert set(result.counts) <= set(expected)
    for state, p in expected.items():
        assert within_binomial(result.counts.get(state, 0), 3000, p), (state, p, result.counts)


def test_the_kind_travels_as_json_for_workers() -> None:
    kind = PhotonicKind()
    program = hom_program().herald(1, 1).postselect([0], "<", 2)
    assert kind.from_json(json.loads(json.dumps(kind.to_json(program)))) == program
    assert kind.describe(program) == "a 2-mode photonic program with 2 photons"


@pytest.mark.parametrize(("counts", "metadata", "memory", "message"), [
    ({"|1,1,0>": 10}, {}, None, r"has 3 modes, not 2"),
    ({"1,1": 10}, {}, None, r"not a Fock state"),
    ({"|2,0>": 5, "|1,,1>": 5}, {}, None, r"'\|1,,1>' is not a Fock state"),
    ({"|2,0>": 5, "|" + "9" * 30 + ",0>": 5}, {}, None, r"with 9{30} photons; the input \|1,1> allows exactly 2"),
    ({"|2,0>": 5, "|0,2>": True}, {}, None, r"the count True for \|0,2>, not a whole number"),
    ({"|1,0>": 10}, {}, None, r"\|1,0> with 1 photons; the input \|1,1> allows exactly 2"),
    ({"|1,0>": 10}, {"photonic_noise": {"brightness": 0.5}}, None, None),
    ({"|3,0>": 10}, {"photonic_noise": {"brightness": 0.5}}, None, r"allows at most 2"),
    ({"|3,0>": 10}, {"photonic_noise": {"g2": 0.1}}, None, None),
    ({"|2,0>": 9}, {}, None, r"9 accepted events for 10 shots"),
    ({"|2,0>": 10}, {}, ["|0,2>"] * 10, r"memory does not match"),
    ({"|2,0>": 10.0}, {}, None, r"not a whole number"),
])
def test_the_kind_checks_readouts_against_physics(counts: dict, metadata: dict, memory: list | None,
                                                  message: str | None) -> None:
    output = RunOutput(counts=counts, memory=memory, metadata=metadata)
    if message is None:
        PhotonicKind().verify(output, hom_program(), 10, "test")
        return
    with pytest.raises(JobFailedError, match=message):
        PhotonicKind().verify(output, hom_program(), 10, "test")


def test_the_kind_checks_heralds_and_post_selection() -> None:
    program = hom_program().postselect([0, 1], "==", 2).herald(0, 1)
    with pytest.raises(JobFailedError, match=r"\|2,0>, which the program's heralds and post-selection "
                                             r"\(\[0\]==1 & \[0,1\]==2\) reject"):
        PhotonicKind().verify(RunOutput(counts={"|2,0>": 3}), program, 3, "test")


# -- the command line ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_qhpc_run_a_photonic_file(tmp_path: Path) -> None:
    path = tmp_path / "hom.qphot"
    path.write_text(dumps(hom_program(), indent=1))
    done = qhpc_cli("run", str(path), "--backend", "perceval.slos", "--shots", "2000", "--seed", "3", "--json",
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["backend"] == "perceval.slos" and sum(doc["counts"].values()) == 2000
    assert "|1,1>" not in doc["counts"] and within_binomial(doc["counts"]["|2,0>"], 2000, 0.5)


@pytest.mark.slow
def test_qhpc_run_a_python_file_with_a_perceval_experiment(tmp_path: Path) -> None:
    path = tmp_path / "mzi.py"
    path.write_text("import perceval as pcvl\n"
                    "experiment = pcvl.Experiment(pcvl.Circuit(2).add(0, pcvl.BS()).add(0, pcvl.PS(3.141592653589793))"
                    ".add(0, pcvl.BS()))\n"
                    "experiment.with_input(pcvl.BasicState([1, 0]))\n")
    done = qhpc_cli("run", f"{path}:experiment", "--backend", "perceval.slos", "--shots", "500", "--seed", "1",
                    "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"] == {"|1,0>": 500}  # the Mach-Zehnder with phase pi: all on top


BAD_PROGRAMS = [
    ({"modes": 2, "input": [1, 1, 1]}, r"the input state \|1,1,1> has 3 modes but the program has 2"),
    ({"modes": 2, "input": [1, 1], "components": [{"type": "bs", "mode": 1}]},
     r"component 0 \(BS.Rx\(theta=1.5708\) on 1,2\) reaches mode 2, beyond the last mode 1 of this 2-mode program"),
]


@pytest.mark.parametrize(("program", "message"), BAD_PROGRAMS)
def test_a_program_on_too_few_modes_is_a_one_line_error(program: dict, message: str) -> None:
    with pytest.raises(QhpcError, match=message) as caught:
        loads(json.dumps({"format": "qhpc.photonic", "version": 1, **program}), source="bad.qphot")
    assert "\n" not in str(caught.value)


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.qphot"
    program, message = BAD_PROGRAMS[1]
    path.write_text(json.dumps({"format": "qhpc.photonic", "version": 1, **program}))
    done = qhpc_cli("run", str(path), cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and "Traceback" not in done.stderr
    assert re.search(message, lines[0]), lines[0]


def test_qhpc_lists_the_formats_and_backends(tmp_path: Path) -> None:
    with Integrator() as integrator:
        formats = integrator.formats
        assert formats["qhpc.photonic"].extensions == (".qphot",) and formats["perceval"].kind == "photonic"
    backends = qhpc_cli("backends", "perceval.slos", "--json", cwd=tmp_path)
    assert backends.returncode == 0, backends.stderr
    text = backends.stdout
    assert '"paradigm": "photonic"' in text and '"num_qubits": 256' in text


def test_listing_plugins_imports_neither_perceval_nor_sympy() -> None:
    code = ("import sys\nfrom qhpc.plugins import PluginRegistry\nimport qhpc_perceval.plugin\n"
            "PluginRegistry.discover().describe()\n"
            "print(sorted(m for m in ('perceval', 'exqalibur', 'sympy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
