"""The plugin as qhpc finds and uses it: discovery, the Integrator on myQLM programs, conversion, files."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from qat.lang.AQASM import CNOT, RY, H, Program, X
from qhpc import Integrator
from qhpc.errors import ProgramError
from qhpc.testing import proportion_ok
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector


@pytest.fixture(scope="module")
def integrator():  # type: ignore[no-untyped-def]
    with Integrator() as shared:
        yield shared


def test_the_plugin_is_found_through_its_entry_point(integrator) -> None:  # type: ignore[no-untyped-def]
    assert "myqlm" in integrator.formats
    assert {"myqlm.pylinalg", "myqlm.clinalg"} <= set(integrator.backends)
    names = {t.name: t for t in integrator.translators}
    assert names["myqlm-import"].source == "myqlm" and names["myqlm-export"].target == "myqlm"
    assert {"global_phase", "parameters", "measurements", "conditionals"} <= names["myqlm-export"].preserves
    assert "barriers" not in names["myqlm-export"].preserves and "registers" not in names["myqlm-export"].preserves
    assert "global_phase" in names["myqlm-import"].preserves


def test_importing_the_plugin_does_not_import_myqlm_and_capabilities_load_in_threads() -> None:
    code = (
        "import sys, threading\n"
        "import qhpc_myqlm.plugin as p\n"
        "backends = p.qhpc_backends()\n"
        "assert 'qat' not in sys.modules, 'qat imported'\n"
        "errors = []\n"
        "def read(b):\n"
        "    try:\n"
        "        b.capabilities\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=read, args=(b,)) for b in backends]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert not errors, errors\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_myqlm_circuit_and_a_program_run_through_the_integrator(integrator) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(3)
    bits = prog.calloc(3)
    prog.apply(H, reg[0])
    prog.apply(CNOT, reg[0], reg[1])
    prog.apply(X, reg[2])
    prog.measure(reg, bits)
    shots = 2000
    for program in (prog, prog.to_circ()):
        assert integrator.detect_format(program) == "myqlm"
        for backend in ("auto", "myqlm.pylinalg", "myqlm.clinalg"):
            result = integrator.run(program, backend=backend, shots=shots, seed=5)
            # clbit 2 reads qubit 2 (always 1); clbits 0 and 1 agree: highest clbit first
            assert set(result.counts) <= {"100", "111"}, (backend, result.counts)
            assert proportion_ok(result.counts.get("111", 0), shots, 0.5)


def _pylinalg_counts(circ, shots: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """PyLinalg's exact distribution over every qubit, as qhpc's bitstrings (qubit 0 rightmost)."""
    from qat.qpus import PyLinalg

    return {format(s.state.int, f"0{circ.nbqbits}b")[::-1]: round(s.probability * shots)
            for s in PyLinalg().submit(circ.to_job(nbshots=0))}


def test_a_circuit_without_measurements_runs_as_myqlm_runs_it(integrator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A myQLM job reads every qubit at the end; a circuit with no MEASURE must not come back as
    # clbits nothing wrote (all zeros), on any backend, from Python, a .circ file, or the remote client
    prog = Program()
    q = prog.qalloc(4)
    prog.apply(X, q[0])
    prog.apply(X, q[2])
    prog.apply(H, q[3])
    circ = prog.to_circ()
    shots = 2000
    expected = _pylinalg_counts(circ, shots)  # qubits 0 and 2 set; qubit 3 half the time
    assert expected == {"0101": 1000, "1101": 1000}
    for backend in ("myqlm.pylinalg", "aer.statevector", "cirq.simulator", "auto"):
        counts = integrator.run(circ, backend=backend, shots=shots, seed=3).counts
        assert set(counts) == set(expected), (backend, counts)
        assert proportion_ok(counts["1101"], shots, 0.5)
    path = tmp_path / "unmeasured.circ"
    circ.dump(str(path))
    from qhpc.programs import load_program

    loaded, fmt = load_program(integrator, str(path))
    assert set(integrator.run(loaded, source_format=fmt, shots=100, seed=1).counts) == set(expected)
    # fewer clbits than qubits (a circuit built without any): clbits are added, one per qubit
    bare = prog.to_circ()
    bare.nbcbits = 0
    assert set(integrator.run(bare, backend="myqlm.pylinalg", shots=100, seed=1).counts) == set(expected)
    # the remote client sends what would run here
    from qhpc.client import encode_program
    from qhpc_interop import wire

    sent = wire.loads(encode_program(circ)[0])
    assert [inst.name for inst in sent.instructions[-4:]] == ["measure"] * 4
    # converting adds nothing: the circuit's unitary is what other formats hold
    assert "measure" not in [inst.name for inst in integrator.convert(circ, "qhpc.circuit")[0].instructions]
    qc = integrator.convert(circ, "qiskit")[0]
    assert qc.count_ops().get("measure", 0) == 0


def test_a_parameterized_program_binds_at_submission(integrator) -> None:  # type: ignore[no-untyped-def]
    prog = Program()
    reg = prog.qalloc(1)
    bits = prog.calloc(1)
    theta = prog.new_var(float, "theta")
    prog.apply(RY(2 * theta), reg[0])
    prog.measure(reg[0], bits[0])
    shots = 4000
    result = integrator.run(prog, backend="myqlm.pylinalg", shots=shots, seed=2, parameters={"theta": 0.6})
    assert proportion_ok(result.counts.get("1", 0), shots, np.sin(0.6) ** 2)


def test_qiskit_circuits_convert_to_myqlm_exactly(integrator) -> None:  # type: ignore[no-untyped-def]
    from qat.qpus import PyLinalg

    qc = QuantumCircuit(3, global_phase=0.37)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.4, 2)
    qc.cp(0.9, 2, 0)
    qc.sx(1)
    qc.u(0.3, 1.2, -0.5, 2)
    qc.ccx(0, 2, 1)
    qc.rzz(0.7, 0, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        native, route = integrator.convert(qc, "myqlm")
    # at most the register name "q" (myQLM does not name registers) is reported lost, never the phase
    assert all("register" in str(w.message) and "phase" not in str(w.message) for w in caught), caught
    assert route.source == "qiskit" and route.target == "myqlm"
    amplitudes = np.zeros(8, dtype=complex)
    for sample in PyLinalg().submit(native.to_job(nbshots=0)):
        index = int(format(sample.state.int, "03b")[::-1], 2)  # myQLM's index is big-endian
        amplitudes[index] = complex(sample.amplitude)
    assert np.allclose(amplitudes, Statevector(qc).data, atol=1e-10)  # global phase included


def test_circ_files_round_trip_and_junk_is_refused(integrator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fmt = integrator.formats["myqlm"]
    prog = Program()
    reg = prog.qalloc(2)
    theta = prog.new_var(float, "theta")
    prog.apply(H, reg[0])
    prog.apply(RY(theta), reg[1])
    path = tmp_path / "bell.circ"
    path.write_bytes(fmt.dumps(prog))
    assert fmt.sniff(path, path.read_bytes()[:64])
    loaded = fmt.load_file(path)
    assert loaded.get_variables() == ["theta"]
    assert [name for name, _, _ in loaded.iterate_simple()] == ["H", "RY"]
    junk = tmp_path / "junk.circ"
    junk.write_bytes(b"OPENQASM 2.0;\n")
    with pytest.raises(ProgramError, match="not a myQLM circuit file"):
        fmt.load_file(junk)


def test_objects_from_elsewhere_are_not_taken_for_myqlm(integrator) -> None:  # type: ignore[no-untyped-def]
    fmt = integrator.formats["myqlm"]
    assert not fmt.detect(QuantumCircuit(1))
    assert not fmt.detect("OPENQASM 2.0;")


def test_bits_no_measurement_writes_are_announced_lost_only_where_they_are(integrator) -> None:  # type: ignore[no-untyped-def]
    """A myQLM circuit's bits are in no register. Cirq keeps only measured bits (keys): converting
    there says it drops them; Qiskit, OpenQASM and myQLM keep them, and say nothing. The bits above
    every measured one (myQLM allocates a bit per qubit, used or not) are not read at all."""
    import cirq
    from qhpc_interop.errors import ConversionLossWarning
    from qiskit import qasm2

    prog = Program()
    q = prog.qalloc(2)
    c = prog.calloc(5)
    prog.apply(X, q[0])
    prog.measure(q[0], c[3])
    circ = prog.to_circ()
    with pytest.warns(ConversionLossWarning, match=r"converting to cirq drops registers \(3 classical bit\(s\) in no register that no "
                      r"measurement writes\)"):
        native, _ = integrator.convert(circ, "cirq")
    assert len(cirq.Simulator().run(native).measurements) == 1  # what Cirq holds: the one key
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        assert integrator.convert(circ, "qiskit")[0].num_clbits == 4  # c[4], above c[3], is not read
        assert qasm2.loads(integrator.convert(circ, "qasm2")[0]).num_clbits == 4
        model, _ = integrator.convert(circ, "qhpc.circuit")
        assert integrator.convert(model, "myqlm")[0].nbcbits == 4
    prog = Program()
    q = prog.qalloc(2)
    c = prog.calloc(2)
    prog.measure(q, c)
    with warnings.catch_warnings():  # every bit measured: Cirq holds them all
        warnings.simplefilter("error", ConversionLossWarning)
        integrator.convert(prog.to_circ(), "cirq")
    prog = Program()  # a review: nothing measured (myQLM allocates a bit per qubit anyway): nothing to say
    q = prog.qalloc(3)
    prog.apply(H, q[0])
    prog.apply(CNOT, q[0], q[1])
    assert prog.to_circ().nbcbits == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConversionLossWarning)
        integrator.convert(prog.to_circ(), "cirq")
        # nor bits in Qiskit that no measurement writes: it makes a gate of the circuit, and its
        # measure_all() adds the only bits there are (an audit found three dead bits in every count)
        qc, _ = integrator.convert(prog.to_circ(), "qiskit")
        assert qc.num_clbits == 0 and qc.to_gate().num_qubits == 3
