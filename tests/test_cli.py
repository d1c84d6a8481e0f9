"""The `qhpc` command line, run as a user runs it: a fresh process, real files, real exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from qhpc.testing import proportion_ok, write_plugin_distribution
from qiskit import qasm3 as qiskit_qasm3
from qiskit.quantum_info import Operator

from .conftest import EXAMPLES, qhpc_cli


def run_json(*args: str) -> dict:
    done = qhpc_cli("run", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_one_line_error(done, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_ghz_through_auto_with_counts_checked_statistically() -> None:
    shots = 4000
    doc = run_json(str(EXAMPLES / "ghz.qasm"), "--shots", str(shots), "--seed", "3")
    assert doc["shots"] == shots and doc["backend"].startswith("aer.")
    assert set(doc["counts"]) <= {"00000", "11111"}
    assert sum(doc["counts"].values()) == shots
    assert proportion_ok(doc["counts"]["11111"], shots, 0.5)
    timings = doc["timings_ms"]
    assert {"load", "convert", "validate", "compile", "schedule", "run", "verify", "postprocess"} <= set(timings)
    assert doc["bit_order"].startswith("highest classical bit first")


def test_ghz_on_a_named_backend_with_memory() -> None:
    doc = run_json(str(EXAMPLES / "ghz.qasm"), "--backend", "aer.matrix_product_state", "--shots", "50",
                   "--seed", "1", "--memory")
    assert doc["backend"] == "aer.matrix_product_state"
    assert len(doc["memory"]) == 50 and set(doc["memory"]) <= {"00000", "11111"}


def test_qft_example_reads_its_encoded_integer() -> None:
    doc = run_json(str(EXAMPLES / "qft.qasm"), "--shots", "300", "--seed", "2")
    assert doc["counts"] == {"1011": 300}  # 11 in binary, highest clbit first


def test_a_qft_from_a_python_file_reads_back_its_integer(tmp_path: Path) -> None:
    """A Python file builds phase estimation by hand with Qiskit's QFTGate; every shot must read
    the encoded integer (a phase, sign or bit-order error reads another one)."""
    program = tmp_path / "qft_program.py"
    program.write_text(
        "import math\nfrom qiskit import QuantumCircuit\nfrom qiskit.circuit.library import QFTGate\n"
        "def qft():\n    n, x = 8, 0b10010110\n    qc = QuantumCircuit(n, n)\n    qc.h(range(n))\n"
        "    for k in range(n):\n        qc.p(2 * math.pi * x * 2**k / 2**n, k)\n"
        "    qc.append(QFTGate(n).inverse(), range(n))\n    qc.measure(range(n), range(n))\n    return qc\n"
    )
    doc = run_json(f"{program}:qft", "--shots", "500", "--seed", "5")
    assert doc["counts"] == {"10010110": 500}


def test_python_file_objects_and_functions() -> None:
    doc = run_json(f"{EXAMPLES / 'bell_qiskit.py'}:asymmetric", "--shots", "20", "--seed", "1")
    assert doc["counts"] == {"01": 20}  # X on qubit 0 only: clbit 0 is the rightmost character
    doc = run_json(f"{EXAMPLES / 'bell_qiskit.py'}:circuit", "--shots", "1000", "--seed", "1")
    assert set(doc["counts"]) == {"00", "11"}


def test_human_output_shows_counts_and_where_the_time_went() -> None:
    done = qhpc_cli("run", str(EXAMPLES / "ghz.qasm"), "--seed", "7", "--backend", "aer.statevector")
    assert done.returncode == 0, done.stderr
    assert "aer.statevector" in done.stdout and "11111" in done.stdout
    assert "where the time went" in done.stdout and "compile" in done.stdout


def test_parameters_from_the_command_line(tmp_path: Path) -> None:
    program = tmp_path / "param.qasm"
    program.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float[64] theta;\nqubit q;\nbit c;\n'
                       "rx(theta) q;\nc = measure q;\n")
    doc = run_json(str(program), "-p", "theta=3.141592653589793", "--shots", "10", "--seed", "1")
    assert doc["counts"] == {"1": 10}
    assert_one_line_error(qhpc_cli("run", str(program)), "unbound parameter", "theta")


def test_malformed_qasm_is_one_line_with_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0]\ncx q[0], q[1];\n')
    assert_one_line_error(qhpc_cli("run", str(bad)), f"{bad}:4:7", "expected ';'")
    unknown = tmp_path / "unknown.qasm"
    unknown.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n')
    assert_one_line_error(qhpc_cli("run", str(unknown)), f"{unknown}:4:1", "foo")


def test_oversized_circuit_is_refused_with_the_reason(tmp_path: Path) -> None:
    wide = tmp_path / "wide.qasm"
    body = "".join(f"h q[{k}];\n" for k in range(40))
    wide.write_text(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[40];\ncreg c[40];\n{body}t q[0];\nmeasure q -> c;\n')
    assert_one_line_error(qhpc_cli("run", str(wide), "--backend", "aer.statevector"),
                          "needs 40 qubits but aer.statevector holds at most")


@pytest.mark.parametrize("args, fragments", [
    (["run", "nosuchfile.qasm"], ["nosuchfile.qasm: no such file"]),
    (["run", "examples/ghz.qasm", "--backend", "ibm.fez"], ["unknown backend 'ibm.fez'", "aer.statevector"]),
    (["run", "examples/bell_qiskit.py:nothing"], ["defines no 'nothing'", "circuit"]),
    (["convert", "examples/ghz.qasm", "--to", "braket"], ["unknown format 'braket'", "qasm3"]),
])
def test_user_errors_are_one_line(args: list[str], fragments: list[str]) -> None:
    assert_one_line_error(qhpc_cli(*args), *fragments)


def test_usage_errors_exit_2() -> None:
    done = qhpc_cli("run", "examples/ghz.qasm", "--shots", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def _without_measurements(qc):  # type: ignore[no-untyped-def]
    qc.remove_final_measurements()
    return Operator(qc).data


def test_convert_between_openqasm_versions_is_read_by_qiskit_to_the_same_operator() -> None:
    from qiskit import qasm2 as qiskit_qasm2

    # OpenQASM 2 -> 3: exact
    done = qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qasm3")
    assert done.returncode == 0, done.stderr
    original = qiskit_qasm2.loads((EXAMPLES / "ghz.qasm").read_text())
    assert np.allclose(_without_measurements(qiskit_qasm3.loads(done.stdout)), _without_measurements(original))
    # OpenQASM 3 (with a gate definition, a constant and inv @) -> 2: equal up to global phase
    done = qhpc_cli("convert", str(EXAMPLES / "qft.qasm"), "--to", "qasm2")
    assert done.returncode == 0, done.stderr
    source = (EXAMPLES / "qft.qasm").read_text().replace("const int value = 11;\n", "").replace("value", "11")
    expected = _without_measurements(qiskit_qasm3.loads(source))
    got = _without_measurements(qiskit_qasm2.loads(done.stdout))
    assert abs(np.trace(expected.conj().T @ got)) / 16 == pytest.approx(1.0, abs=1e-9)


def test_a_conversion_never_drops_a_global_phase_silently(tmp_path: Path) -> None:
    from qiskit import qasm2 as qiskit_qasm2

    program = tmp_path / "phased.qasm"
    program.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\ngphase(pi/4);\nx q[0];\n')
    refused = qhpc_cli("convert", str(program), "--to", "qasm2")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("error: qasm2 cannot hold what this program uses: global_phase "
                                     "(the circuit's global phase is 0.785")
    assert "--allow-loss global_phase" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    done = qhpc_cli("convert", str(program), "--to", "qasm2", "--allow-loss", "global_phase")
    assert done.returncode == 0, done.stderr
    assert "note: converting to qasm2 drops global_phase" in done.stderr and "as allowed" in done.stderr
    assert Operator(qiskit_qasm2.loads(done.stdout)).equiv(Operator.from_label("X"))
    # OpenQASM 3 holds it: no note, and Qiskit reads the exact operator back
    exact = qhpc_cli("convert", str(program), "--to", "qasm3")
    assert exact.returncode == 0 and exact.stderr == ""
    assert np.allclose(Operator(qiskit_qasm3.loads(exact.stdout)).data, np.exp(1j * np.pi / 4) * Operator.from_label("X").data)
    # several losses: repeated or comma-separated alike (repeating kept only the last one)
    barred = tmp_path / "barred.qasm"
    barred.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\ngphase(pi/4);\nx q[0];\nbarrier q[0];\n')
    for flags in (["--allow-loss", "global_phase", "--allow-loss", "barriers"], ["--allow-loss", "barriers,global_phase"]):
        done = qhpc_cli("convert", str(barred), "--to", "qasm2", *flags)
        assert done.returncode == 0, (flags, done.stderr)
        assert Operator(qiskit_qasm2.loads(done.stdout)).equiv(Operator.from_label("X"))


def test_convert_reads_what_an_outside_audit_found_refused_or_crashing(tmp_path: Path) -> None:
    from qiskit import qasm2 as qiskit_qasm2

    ghz = (EXAMPLES / "ghz.qasm").read_text()
    expected = _without_measurements(qiskit_qasm2.loads(ghz))
    # a UTF-8 byte-order mark (Windows editors write one) was an "unexpected character"
    bom = tmp_path / "bom.qasm"
    bom.write_text("\ufeff" + ghz, encoding="utf-8")
    for done in (qhpc_cli("convert", str(bom), "--to", "qasm3"), qhpc_cli("convert", "-", "--to", "qasm3", stdin="\ufeff" + ghz)):
        assert done.returncode == 0, done.stderr
        assert np.allclose(_without_measurements(qiskit_qasm3.loads(done.stdout)), expected)
    # a file without an extension is read by its content, as standard input is
    bare = tmp_path / "ghz"
    bare.write_text(ghz)
    done = qhpc_cli("convert", str(bare), "--to", "qasm3")
    assert done.returncode == 0 and np.allclose(_without_measurements(qiskit_qasm3.loads(done.stdout)), expected)
    # an extension naming another version than the header: said so
    wrong = tmp_path / "v3.qasm2"
    wrong.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nx q[0];\n')
    assert_one_line_error(qhpc_cli("convert", str(wrong), "--to", "qasm2"),
                          "v3.qasm2: the extension .qasm2 is for qasm2 files, but this one holds qasm3 by its content")
    # JSON nested past Python's recursion limit was an internal error (exit 70)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    assert_one_line_error(qhpc_cli("convert", str(deep), "--to", "qasm3"), "deep.json: JSON nested too deeply to read")
    # a wire-format document whose "format" comes after 200 characters was not recognised on stdin
    done = qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qhpc.json")
    doc = json.loads(done.stdout)
    reordered = json.dumps({"name": "n" * 300, **{k: v for k, v in doc.items() if k != "name"}})
    done = qhpc_cli("convert", "-", "--to", "qasm3", stdin=reordered)
    assert done.returncode == 0, done.stderr
    assert np.allclose(_without_measurements(qiskit_qasm3.loads(done.stdout)), expected)
    # a truncated QPY file: Qiskit's Rust reader reports a framed backtrace in terminal colours
    qpy = tmp_path / "ghz.qpy"
    assert qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qiskit", "-o", str(qpy)).returncode == 0
    cut = tmp_path / "cut.qpy"
    cut.write_bytes(qpy.read_bytes()[:60])
    done = qhpc_cli("convert", str(cut), "--to", "qasm3")
    assert_one_line_error(done, "cut.qpy: not a readable qiskit file")
    assert "x1b" not in done.stderr and "Backtrace" not in done.stderr and "\\n" not in done.stderr
    # from a review: deep JSON on standard input and in other kinds' files; a long comment before
    # the header (the first bytes' sniff misses it; read by content, in the format its extension names)
    deep_stdin = qhpc_cli("convert", "-", "--to", "qasm3", stdin="[" * 5000 + "]" * 5000)
    assert deep_stdin.returncode == 1 and "Traceback" not in deep_stdin.stderr and "internal" not in deep_stdin.stderr
    analog = tmp_path / "deep.analog.json"
    analog.write_text('{"format": "qhpc.analog", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_one_line_error(qhpc_cli("convert", str(analog), "--to", "qasm3"), "JSON nested too deeply to read")
    commented = tmp_path / "long.qasm2"
    commented.write_text("// " + "x" * 70_000 + "\n" + ghz)
    done = qhpc_cli("convert", str(commented), "--to", "qasm3")
    assert done.returncode == 0 and np.allclose(_without_measurements(qiskit_qasm3.loads(done.stdout)), expected)


def test_convert_to_qpy_and_run_it(tmp_path: Path) -> None:
    target = tmp_path / "ghz.qpy"
    done = qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qiskit", "-o", str(target))
    assert done.returncode == 0, done.stderr
    doc = run_json(str(target), "--shots", "100", "--seed", "4")
    assert set(doc["counts"]) <= {"00000", "11111"}


def test_plugins_and_backends_listings() -> None:
    done = qhpc_cli("plugins", "--json")
    assert done.returncode == 0
    plugins = {p["name"]: p for p in json.loads(done.stdout)}
    assert plugins["qiskit"]["status"] == "loaded" and plugins["qiskit"]["distribution"] == "qhpc-qiskit"
    done = qhpc_cli("backends", "--json")
    backends = {b["name"]: b for b in json.loads(done.stdout)}
    assert backends["aer.statevector"]["capabilities"]["num_qubits"] >= 20
    assert "h" in backends["aer.stabilizer"]["capabilities"]["native_gates"]
    assert qhpc_cli("formats").returncode == 0


def test_formats_shows_every_feature_whole_at_80_columns() -> None:
    # the tables folded "mid_circuit_measurement" into "mid_circuit_measur" + "ement" and cut it to
    # "mid_circuit_measu…" in the translators' column, at a terminal's 80 columns
    done = qhpc_cli("formats", env={"COLUMNS": "80"})
    assert done.returncode == 0
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "…" not in done.stdout
    words = {w.strip(",") for line in done.stdout.splitlines() for w in line.replace("│", " ").split()}
    from qhpc_interop.graph import PROPERTIES

    assert "mid_circuit_measurement" in words and "qubit_identity" in words
    assert all(p in words for p in PROPERTIES - {"unitary", "measurements"})
    # and every format's name, in both tables (a review found perceval-impor / t)
    listed = json.loads(qhpc_cli("formats", "--json").stdout)
    assert {f["name"] for f in listed["formats"]} <= words
    assert {e[k] for e in listed["translators"] for k in ("source", "target")} <= words


def test_backends_shows_every_name_whole_at_80_columns() -> None:
    # names such as pulser.digital_analog were folded over two lines, so not what the user types next
    names = [b["name"] for b in json.loads(qhpc_cli("backends", "--json").stdout)]
    done = qhpc_cli("backends", env={"COLUMNS": "80"})
    assert done.returncode == 0
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    words = {w for line in done.stdout.splitlines() for w in line.replace("│", " ").split()}
    assert [n for n in names if n not in words] == []


def test_a_broken_plugin_is_listed_and_does_not_stop_a_run(tmp_path: Path) -> None:
    site = write_plugin_distribution(tmp_path / "site", "qhpc-vendor", "2.0.0",
                                     {"vendor_plugin": "import not_a_real_sdk\n"}, {"vendor": "vendor_plugin"})
    env = {"PYTHONPATH": str(site)}
    done = qhpc_cli("plugins", env=env)
    assert done.returncode == 0
    assert "vendor" in done.stdout and "failed" in done.stdout and "not_a_real_sdk" in done.stdout
    done = qhpc_cli("run", str(EXAMPLES / "ghz.qasm"), "--json", "--seed", "1", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "vendor" in done.stderr  # reported as a warning line
    assert set(json.loads(done.stdout)["counts"]) <= {"00000", "11111"}


def test_progress_is_shown_on_a_terminal_for_a_long_run(tmp_path: Path) -> None:
    """On a terminal `qhpc run` shows what the job is doing while it runs (a pseudo-terminal here)."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    program = tmp_path / "long.qasm"
    gates = "".join(f"h q[{k}];\ncx q[{k}], q[{(k + 1) % 22}];\nrz(0.{k + 1}) q[{k}];\n" for k in range(22))
    program.write_text(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[22];\ncreg c[22];\n{gates}measure q -> c;\n')
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "qhpc", "run", str(program), "--shots", "400000", "--seed", "1",
                             "--backend", "aer.statevector"], stdin=follower, stdout=follower, stderr=follower,
                            env=env, close_fds=True)
    os.close(follower)
    seen = b""
    deadline = time.time() + 240
    while time.time() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(30)
    os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-2000:]
    assert "running on aer.statevector" in text  # the live status line
    assert "where the time went" in text


def test_errors_in_python_program_files_name_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("from qiskit import QuantumCircuit\nqc = QuantumCircuit(2\n")
    assert_one_line_error(qhpc_cli("run", f"{broken}:qc"), f"{broken}:2:", "invalid Python")
    raising = tmp_path / "raising.py"
    raising.write_text("x = 1\ny = 1 / 0\n")
    assert_one_line_error(qhpc_cli("run", str(raising)), f"{raising}:2", "ZeroDivisionError")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert_one_line_error(qhpc_cli("run", str(empty)), "defines no program object")


def test_bad_program_files_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.qasm"
    empty.write_text("")
    assert_one_line_error(qhpc_cli("run", str(empty)), f"{empty}: the file is empty")
    corrupt = tmp_path / "corrupt.qpy"
    corrupt.write_bytes(bytes(range(256)) * 2)
    assert_one_line_error(qhpc_cli("run", str(corrupt)), f"{corrupt}: not a QPY file")
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    assert_one_line_error(qhpc_cli("run", str(other)), f"{other}: not a qhpc circuit document")
    assert_one_line_error(qhpc_cli("run", str(tmp_path)), "is a directory")


def test_files_whose_name_and_content_disagree_and_outputs_named_for_another_format(tmp_path: Path) -> None:
    # an outside audit of file conversions: OpenQASM in a .json was refused as "source='qhpc.json',
    # but the program is a qhpc.builtin.SourceText"; a white-space .qasm converted to an empty program;
    # -o x.qpy with --to qasm3 wrote text no reader takes; -o - wrote a file named "-"
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q -> c;\n'
    as_json = tmp_path / "prog.json"
    as_json.write_text(text)
    assert_one_line_error(qhpc_cli("convert", str(as_json), "--to", "qasm3"), f"{as_json}: the extension .json is for",
                          "but this one holds qasm2 by its content; rename it")
    wire = tmp_path / "wire.qasm"
    wire.write_text(qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qhpc.json").stdout)
    assert_one_line_error(qhpc_cli("run", str(wire)), "holds qhpc.json by its content")
    blank = tmp_path / "blank.qasm"
    blank.write_text("  \n\n  ")
    assert_one_line_error(qhpc_cli("convert", str(blank), "--to", "qasm3"), f"{blank}: the file holds only white space")
    program = tmp_path / "prog.qasm"
    program.write_text(text)
    assert_one_line_error(qhpc_cli("convert", str(program), "--to", "qasm3", "-o", str(tmp_path / "x.qpy")),
                          "the extension .qpy is for qiskit files, not qasm3 (name it .qasm or .qasm3)")
    assert not (tmp_path / "x.qpy").exists()
    done = qhpc_cli("convert", str(program), "--to", "qasm3", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and not (tmp_path / "-").exists()
    assert qiskit_qasm3.loads(done.stdout).num_qubits == 1
    done = qhpc_cli("convert", str(program), "--to", "qasm3", "-o", str(tmp_path / "out.txt"))  # a name of one's own
    assert done.returncode == 0 and qiskit_qasm3.loads((tmp_path / "out.txt").read_text()).num_clbits == 1


def test_a_wire_format_file_runs(tmp_path: Path) -> None:
    target = tmp_path / "ghz.json"
    assert qhpc_cli("convert", str(EXAMPLES / "ghz.qasm"), "--to", "qhpc.json", "-o", str(target)).returncode == 0
    doc = run_json(str(target), "--shots", "200", "--seed", "2")
    assert set(doc["counts"]) <= {"00000", "11111"} and doc["metadata"]["route"] == "qhpc.json -> qhpc.circuit"


def test_ctrl_c_ends_a_run_at_once(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    program = tmp_path / "long.qasm"
    gates = "".join(f"h q[{k}];\ncx q[{k}], q[{(k + 1) % 25}];\nrz(0.{k + 1}) q[{k}];\n" for k in range(25)) * 4
    program.write_text(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[25];\ncreg c[25];\n{gates}measure q -> c;\n')
    proc = subprocess.Popen([sys.executable, "-m", "qhpc", "run", str(program), "--backend", "aer.statevector",
                             "--shots", "1000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)  # loaded, compiled and running
    assert proc.poll() is None, proc.communicate()
    sent = time.time()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    # ended by the signal itself (the shell shows status 130), without waiting for the simulation,
    # which holds the GIL and would delay any Python handler until it finished
    assert proc.returncode == -signal.SIGINT
    assert time.time() - sent < 5
    assert "Traceback" not in stderr


@pytest.mark.parametrize("args, fragments", [
    (["run", "examples/ghz.qasm", "--top", "0"], ["Invalid value for '--top'", "see qhpc run --help"]),
    (["convert", "examples/ghz.qasm", "--to", "qasm3", "-o", "/nonexistent/dir/x.qasm"], ["cannot write"]),
])
def test_more_usage_and_io_errors_are_one_line(args: list[str], fragments: list[str]) -> None:
    done = qhpc_cli(*args)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and all(f in lines[0] for f in fragments), done.stderr


def test_a_misspelt_parameter_is_named(tmp_path: Path) -> None:
    program = tmp_path / "param.qasm"
    program.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float[64] theta;\nqubit q;\nbit c;\n'
                       "rx(theta) q;\nc = measure q;\n")
    assert_one_line_error(qhpc_cli("run", str(program), "-p", "thet=0.5"), "thet", "not in the circuit", "theta")


def test_an_unsupported_openqasm_version_is_reported_where_it_is(tmp_path: Path) -> None:
    program = tmp_path / "v4.qasm"
    program.write_text("OPENQASM 4.0;\nqreg q[1];\n")
    assert_one_line_error(qhpc_cli("run", str(program)), f"{program}:1:", "unsupported OpenQASM version 4.0")


def test_file_names_are_not_read_as_markup(tmp_path: Path) -> None:
    program = tmp_path / "ghz[v2].qasm"
    program.write_text((EXAMPLES / "ghz.qasm").read_text())
    done = qhpc_cli("run", str(program), "--seed", "1")
    assert done.returncode == 0 and "ghz[v2].qasm" in done.stdout


def test_a_long_leading_comment_does_not_hide_the_header(tmp_path: Path) -> None:
    program = tmp_path / "commented.qasm"
    program.write_text("// " + "x" * 10000 + "\n" + (EXAMPLES / "ghz.qasm").read_text())
    doc = run_json(str(program), "--shots", "50", "--seed", "3")
    assert set(doc["counts"]) <= {"00000", "11111"}


def test_a_server_url_that_cannot_be_one_is_a_one_line_error() -> None:
    # a bracket left open was "internal error: InvalidURL" with exit status 70; no scheme retried
    # four times before "UnsupportedProtocol"
    for url, message in (("http://[::1:21399", "is not a URL"), ("127.0.0.1:21399", "must start with http:// or https://"),
                         ("http://", "names no host")):
        out = qhpc_cli("jobs", "--server", url, env={"QHPC_TOKEN": "x"})
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 1 and len(lines) == 1, out.stderr
        assert lines[0].startswith(f"error: the server URL {url!r} ") and message in lines[0], out.stderr


def test_convert_keeps_its_paths_its_input_and_its_stdout_whatever_a_program_file_does(tmp_path: Path) -> None:
    # an outside audit of the CLI through files: a program file that changes directory moved a relative
    # -o (written elsewhere, rc 0); a NAME that is a class was called and converted as an empty program;
    # -o onto the input replaced it; what a file printed at exit landed after the converted program
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "chd.py").write_text(
        "import os\nos.chdir(os.path.dirname(os.path.abspath(__file__)))\nfrom qiskit import QuantumCircuit\n"
        "circuit = QuantumCircuit(1, 1)\ncircuit.x(0)\ncircuit.measure(0, 0)\n")
    done = qhpc_cli("convert", "sub/chd.py", "-t", "qasm3", "-o", "out.qasm3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "x q[0];" in (tmp_path / "out.qasm3").read_text() and not (tmp_path / "sub" / "out.qasm3").exists()
    (tmp_path / "p.py").write_text("from qiskit import QuantumCircuit\na = QuantumCircuit(1)\na.x(0)\nn = 3\n"
                                   "def f():\n    return None\n")
    for spec, says in (("p.py:QuantumCircuit", "QuantumCircuit is a class (qiskit.circuit.quantumcircuit.QuantumCircuit)"),
                       ("p.py:n", "n is an object of type int, not a program qhpc reads"),
                       ("p.py:f", "f() returns an object of type NoneType"), ("p.py:1a", "'1a' is not a Python name")):
        assert_one_line_error(qhpc_cli("convert", spec, "-t", "qasm3", cwd=tmp_path), f"p.py: {says}")
    source = tmp_path / "b.qasm"
    source.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nx q[0];\n')
    assert_one_line_error(qhpc_cli("convert", "b.qasm", "-t", "qasm3", "-o", "b.qasm", cwd=tmp_path),
                          "b.qasm: is the file being converted")
    assert source.read_text().startswith("OPENQASM 2.0;")
    assert_one_line_error(qhpc_cli("convert", "b.qasm", "-t", "qasm3", "-o", "", cwd=tmp_path), "-o needs a file name")
    (tmp_path / "e.py").write_text('import atexit\natexit.register(lambda: print("BYE"))\n'
                                   "from qiskit import QuantumCircuit\ncircuit = QuantumCircuit(1)\ncircuit.x(0)\n")
    done = qhpc_cli("convert", "e.py", "-t", "qasm3", cwd=tmp_path)
    assert done.returncode == 0 and "BYE" not in done.stdout and "BYE" in done.stderr
    assert np.allclose(Operator(qiskit_qasm3.loads(done.stdout)).data, [[0, 1], [1, 0]])
