"""The JSON wire format: exact round trips, stable text, and a clear error for every malformed document.

Oracles: structural equality and ``circuit_unitary`` of the original circuit, and Qiskit's
``Operator`` of a circuit built by hand from the gate names.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import Circuit, Condition, Parameter, Register, UnitaryGate, WireFormatError, wire
from qhpc_interop.ir import Gate
from qhpc_interop.params import apply
from qhpc_interop.testing import circuit_unitary, random_circuit, random_unitary
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate as QiskitUnitaryGate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

QISKIT_GATES = get_standard_gate_name_mapping()


def decorated_circuit(seed: int) -> Circuit:
    """A random circuit with everything the format holds: symbolic parameters, unitaries, measurements,
    conditions (on a bit and on a register), extra registers, metadata, a symbolic global phase,
    barriers, resets and a labelled unitary."""
    rng = random.Random(seed)
    n = rng.randint(1, 4)
    c = random_circuit(n, rng.randint(0, 25), seed=seed, parameterized=True, unitaries=True, measure=True)
    flags = c.add_creg("flags", 2)
    c.global_phase = rng.choice([Parameter("a") / 2 - 0.125, apply("cos", Parameter("c")) * math.pi, 0.1, -0.0])
    c.barrier()
    c.reset(rng.randrange(n))
    c.append("x", [rng.randrange(n)], condition=Condition((flags.bits[0],), 1))
    c.append("h", [rng.randrange(n)], condition=Condition(flags.bits, rng.randrange(4), "flags"))
    c.unitary(random_unitary(2, rng), [rng.randrange(n)], label="u\u00e9\"quoted\"")
    c.measure(0, flags.bits[1])
    c.metadata = {"seed": seed, "tags": ["x", None, True], "nested": {"pi": math.pi, "tiny": 5e-324}}
    return c


def bound_copy(c: Circuit) -> Circuit:
    return c.bind({p.name: 0.1 + 0.37 * k for k, p in enumerate(c.parameters)})


def qiskit_circuit(c: Circuit) -> QuantumCircuit:
    """A Qiskit circuit built from the gate names, parameters and matrices (gates and unitaries only)."""
    qc = QuantumCircuit(c.num_qubits, global_phase=float(c.global_phase))
    for inst in c.instructions:
        op = inst.operation
        if isinstance(op, UnitaryGate):
            qc.append(QiskitUnitaryGate(op.matrix_data), list(inst.qubits))
        elif isinstance(op, Gate):
            qc.append(type(QISKIT_GATES[op.name])(*[float(p) for p in op.params]), list(inst.qubits))
        else:
            assert op.name == "barrier", op.name
    return qc


# -- round trip ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 10**6))
def test_round_trip_is_exact(seed: int) -> None:
    c = decorated_circuit(seed)
    text = wire.dumps(c)
    back = wire.loads(text)
    assert back == c
    assert back.fingerprint() == c.fingerprint()
    assert back.parameters == c.parameters
    assert wire.dumps(back) == text


@pytest.mark.parametrize("seed", range(10))
def test_loaded_circuit_has_exactly_the_original_unitary(seed: int) -> None:
    c = bound_copy(random_circuit(3, 30, seed=seed, parameterized=True, unitaries=True))
    back = wire.loads(wire.dumps(c))
    np.testing.assert_array_equal(circuit_unitary(back), circuit_unitary(c))


@pytest.mark.parametrize("seed", range(4))
def test_loaded_circuit_unitary_matches_qiskit_operator(seed: int) -> None:
    c = bound_copy(random_circuit(3, 25, seed=1000 + seed, parameterized=True, unitaries=True))
    back = wire.loads(wire.dumps(c, indent=2))
    np.testing.assert_allclose(circuit_unitary(back), Operator(qiskit_circuit(c)).data, rtol=0, atol=1e-10)


def test_round_trip_preserves_float_bits_and_negative_zero() -> None:
    c = Circuit(1)
    values = [0.1 + 0.2, math.pi / 3, 5e-324, 1048576.0, -0.0, 123456.78912345679]
    for v in values:
        c.rz(v, 0)
    c.global_phase = -0.0
    back = wire.loads(wire.dumps(c))
    loaded = [inst.params[0] for inst in back]
    assert [v.hex() for v in loaded] == [v.hex() for v in values]  # type: ignore[union-attr]
    assert math.copysign(1.0, back.global_phase) == -1.0  # type: ignore[arg-type]
    assert back.fingerprint() == c.fingerprint()


def test_empty_circuit_round_trips() -> None:
    c = Circuit()
    assert wire.loads(wire.dumps(c)) == c


def test_bytes_input_is_accepted() -> None:
    c = Circuit(2, 2, name="b").h(0).cx(0, 1).measure([0, 1], [0, 1])
    assert wire.loads(wire.dumps(c).encode()) == c


# -- the written document ------------------------------------------------------------------


def test_document_has_format_and_version() -> None:
    doc = json.loads(wire.dumps(Circuit(1).h(0)))
    assert doc["format"] == "qhpc.circuit"
    assert doc["version"] == 1


def test_dumps_is_stable() -> None:
    assert wire.dumps(decorated_circuit(5)) == wire.dumps(decorated_circuit(5))
    c = decorated_circuit(6)
    assert wire.dumps(c) == wire.dumps(c)


def test_document_layout_of_a_small_circuit() -> None:
    c = Circuit.with_registers({"q": 2}, {"c": 1}, name="bell")
    c.h(0).rz(2 * Parameter("theta"), 1).measure(1, 0)
    c.append("x", [0], condition=Condition((0,), 1))
    doc = json.loads(wire.dumps(c))
    assert doc["qregs"] == [{"name": "q", "bits": [0, 1]}]
    assert doc["instructions"] == [
        {"op": "h", "qubits": [0]},
        {"op": "rz", "params": [["*", 2.0, ["param", "theta"]]], "qubits": [1]},
        {"op": "measure", "qubits": [1], "clbits": [0]},
        {"op": "x", "qubits": [0], "condition": {"clbits": [0], "value": 1}},
    ]


def test_metadata_that_is_not_json_is_refused() -> None:
    c = Circuit(1)
    c.metadata = {"bad": object()}
    with pytest.raises(WireFormatError, match="metadata is not JSON-serialisable"):
        wire.dumps(c)
    c.metadata = {"nan": math.nan}
    with pytest.raises(WireFormatError, match="metadata"):
        wire.dumps(c)


# -- malformed documents -------------------------------------------------------------------


def valid_document() -> dict[str, Any]:
    c = Circuit.with_registers({"q": 2}, {"c": 2}, name="doc")
    c.h(0).rx(0.5, 1).cx(0, 1).measure([0, 1], [0, 1])
    return json.loads(wire.dumps(c))


def load_mutated(mutate: Any) -> None:
    doc = valid_document()
    mutate(doc)
    wire.loads(json.dumps(doc))


def test_valid_document_loads() -> None:
    assert len(wire.from_dict(valid_document())) == 5


def test_wrong_format_tag_is_refused() -> None:
    with pytest.raises(WireFormatError, match=r"not a qhpc circuit document \(format is 'qiskit.qpy'"):
        load_mutated(lambda d: d.update(format="qiskit.qpy"))


def test_missing_format_tag_is_refused() -> None:
    with pytest.raises(WireFormatError, match="format is None"):
        load_mutated(lambda d: d.pop("format"))


def test_newer_version_names_both_versions() -> None:
    with pytest.raises(WireFormatError, match=r"version 7 is newer than this qhpc-interop reads \(1\)"):
        load_mutated(lambda d: d.update(version=7))


@pytest.mark.parametrize("version", [0, -1, "1", None, 1.0])
def test_invalid_version_is_refused(version: object) -> None:
    with pytest.raises(WireFormatError, match="invalid wire-format version"):
        load_mutated(lambda d: d.update(version=version))


@pytest.mark.parametrize("value", [-1, None, "2", 1.5, True])
def test_bad_qubit_count_is_refused(value: object) -> None:
    with pytest.raises(WireFormatError, match=f"field 'num_qubits' must be a non-negative integer, not {value!r}"):
        load_mutated(lambda d: d.update(num_qubits=value))


def test_negative_clbit_count_is_refused() -> None:
    with pytest.raises(WireFormatError, match="'num_clbits' must be a non-negative integer, not -3"):
        load_mutated(lambda d: d.update(num_clbits=-3))


def test_qubit_index_out_of_range_names_the_instruction() -> None:
    with pytest.raises(WireFormatError, match=r"instruction 2: cx: qubit 5 out of range \(the circuit has 2\)"):
        load_mutated(lambda d: d["instructions"][2].update(qubits=[0, 5]))


def test_clbit_index_out_of_range_names_the_instruction() -> None:
    with pytest.raises(WireFormatError, match="instruction 4: measure: clbit 9 out of range"):
        load_mutated(lambda d: d["instructions"][4].update(clbits=[9]))


def test_unknown_gate_names_the_gate_and_the_instruction() -> None:
    with pytest.raises(WireFormatError, match="instruction 1: unknown gate 'frobnicate'"):
        load_mutated(lambda d: d["instructions"][1].update(op="frobnicate"))


def test_wrong_parameter_count_names_the_instruction() -> None:
    with pytest.raises(WireFormatError, match=r"instruction 1: gate 'rx' takes 1 parameter\(s\)"):
        load_mutated(lambda d: d["instructions"][1].update(params=[0.1, 0.2]))


def test_malformed_parameter_expression_names_the_instruction() -> None:
    with pytest.raises(WireFormatError, match="instruction 1: malformed parameter expression node"):
        load_mutated(lambda d: d["instructions"][1].update(params=[["cosh", ["param", "a"]]]))


def test_matrix_that_is_not_unitary_is_refused() -> None:
    bad = {"op": "unitary", "qubits": [0], "matrix": [[[1.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]]}
    with pytest.raises(WireFormatError, match="instruction 5: the matrix of a unitary gate is not unitary"):
        load_mutated(lambda d: d["instructions"].append(bad))


def test_matrix_of_the_wrong_shape_is_refused() -> None:
    bad = {"op": "unitary", "qubits": [0], "matrix": [[[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]] * 3}
    with pytest.raises(WireFormatError, match="instruction 5: a unitary gate needs a 2\\^k x 2\\^k matrix"):
        load_mutated(lambda d: d["instructions"].append(bad))


def test_missing_instruction_field_is_named() -> None:
    with pytest.raises(WireFormatError, match="instruction 3: missing field 'op'"):
        load_mutated(lambda d: d["instructions"][3].pop("op"))


def test_missing_register_field_is_named() -> None:
    with pytest.raises(WireFormatError, match="document: missing field 'bits'"):
        load_mutated(lambda d: d["qregs"][0].pop("bits"))


def test_register_bit_out_of_range_is_refused() -> None:
    with pytest.raises(WireFormatError, match="register 'c' names clbit 4, but the circuit has 2"):
        load_mutated(lambda d: d["cregs"][0].update(bits=[0, 4]))


def test_condition_without_value_is_refused() -> None:
    conditioned = {"op": "x", "qubits": [0], "condition": {"clbits": [0]}}
    with pytest.raises(WireFormatError, match="instruction 5: missing field 'value'"):
        load_mutated(lambda d: d["instructions"].append(conditioned))


def test_condition_on_clbit_out_of_range_is_refused() -> None:
    conditioned = {"op": "x", "qubits": [0], "condition": {"clbits": [2], "value": 1}}
    with pytest.raises(WireFormatError, match="instruction 5: condition on clbit 2 out of range"):
        load_mutated(lambda d: d["instructions"].append(conditioned))


def test_malformed_global_phase_is_refused() -> None:
    with pytest.raises(WireFormatError, match="malformed parameter expression"):
        load_mutated(lambda d: d.update(global_phase="pi"))


def test_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(WireFormatError, match="is a JSON object, not list"):
        wire.loads("[1, 2]")


def test_invalid_json_names_line_and_column() -> None:
    text = '{\n  "format": "qhpc.circuit",\n  "version": 1,,\n}'
    # the stray second comma is the 16th character of line 3
    with pytest.raises(WireFormatError, match="invalid JSON at line 3 column 16"):
        wire.loads(text)


def test_empty_text_is_invalid_json() -> None:
    with pytest.raises(WireFormatError, match="invalid JSON at line 1 column 1"):
        wire.loads("")


def test_bytes_that_are_not_utf8_are_refused_as_a_wire_format_error() -> None:
    with pytest.raises(WireFormatError):
        wire.loads(b'{"format": "qhpc.circuit", "name": "\xff"}')


@pytest.mark.parametrize("patch, fragment", [
    ({"name": 5}, "name must be a string"),
    ({"metadata": [["k", "v"]]}, "metadata must be a JSON object"),
    ({"version": True}, "invalid wire-format version"),
    ({"instructions": [{"op": "h", "qubits": ["0"]}]}, "qubits must be a list of integers"),
    ({"instructions": [{"op": "h", "qubits": [0.0]}]}, "qubits must be a list of integers"),
    ({"qregs": [{"name": "q", "bits": [True]}]}, "bits must be a list of integers"),
    ({"instructions": [{"op": "x", "qubits": [0], "condition": {"clbits": [0], "value": "1"}}]},
     "integer value"),
])
def test_loose_values_are_refused(patch: dict, fragment: str) -> None:
    doc = {"format": "qhpc.circuit", "version": 1, "num_qubits": 1, "num_clbits": 1, **patch}
    with pytest.raises(WireFormatError, match=fragment):
        wire.from_dict(doc)


@pytest.mark.parametrize("metadata", [{"t": (1, 2)}, {1: "a"}])
def test_metadata_that_would_not_read_back_equal_is_refused(metadata: dict) -> None:
    with pytest.raises(WireFormatError, match="would not read back equal"):
        wire.dumps(Circuit(1, 1, metadata=metadata))


# -- found by an outside-style audit: documents the readers must refuse before building anything ---------


@pytest.mark.parametrize("field", ["num_qubits", "num_clbits"])
def test_a_size_past_the_readers_limit_is_refused(field: str) -> None:
    # 10**12 qubits was accepted, and a conversion to Qiskit then ran out of memory
    with pytest.raises(WireFormatError, match=f"field '{field}' is 1000000000000, more than the readers' "
                                              "limit of 100000"):
        load_mutated(lambda d: d.update({field: 10**12}))


def test_two_registers_of_one_name_are_refused_reading_and_writing() -> None:
    # results are keyed by register name: Cirq got one key for two bits, Qiskit raised its own error
    with pytest.raises(WireFormatError, match="cregs: two registers are named 'c'"):
        load_mutated(lambda d: d.update(cregs=[{"name": "c", "bits": [0]}, {"name": "c", "bits": [1]}]))
    twice = Circuit(1, 2, cregs=[Register("c", (0,)), Register("c", (1,))])
    with pytest.raises(WireFormatError, match="cregs: two registers are named 'c'"):
        wire.dumps(twice)
    # an empty name is a name (Qiskit and Cirq allow one): written and read back
    empty = Circuit(1, 1, cregs=[Register("", (0,))]).measure(0, 0)
    assert wire.loads(wire.dumps(empty)).cregs == empty.cregs


def test_what_the_reader_refuses_is_not_written() -> None:
    with pytest.raises(WireFormatError, match="field 'num_clbits' is 100001, more than the readers' limit"):
        wire.dumps(Circuit(1, 100_001))


def test_json_nested_too_deeply_is_a_wire_format_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(WireFormatError, match="nested too deeply"):
        wire.loads('{"format": "qhpc.circuit", "metadata": ' + deep + "}")
    with pytest.raises(WireFormatError, match="nested too deeply"):
        wire.loads(deep)


def test_an_overlong_integer_and_a_non_finite_phase_are_said_as_such() -> None:
    # a 5,001-digit integer gave Python's ValueError through the translator; an infinite global
    # phase was called "a gate parameter"
    with pytest.raises(WireFormatError, match=r"^JSON that cannot be read: Exceeds the limit \(4300 digits\)"):
        wire.loads('{"format": "qhpc.circuit", "version": 1, "num_qubits": 1' + "0" * 5000 + "}")
    with pytest.raises(WireFormatError, match=r"^global_phase: the global phase must be finite, not inf"):
        wire.loads('{"format": "qhpc.circuit", "version": 1, "num_qubits": 1, "global_phase": Infinity}')
    # a matrix entry of true was read as 1
    matrix = '[[[true, 0], [0, 0]], [[0, 0], [1, 0]]]'
    with pytest.raises(WireFormatError, match=r"^instruction 0: a unitary's matrix is rows of \[real, imaginary\]"):
        wire.loads('{"format": "qhpc.circuit", "version": 1, "num_qubits": 1, "num_clbits": 0, "instructions": '
                   '[{"op": "unitary", "qubits": [0], "matrix": ' + matrix + '}]}')


def _bell_document(**changes: Any) -> dict[str, Any]:
    doc = {"format": "qhpc.circuit", "version": 1, "num_qubits": 2, "num_clbits": 1,
           "instructions": [{"op": "h", "qubits": [0]}, {"op": "measure", "qubits": [0], "clbits": [0]},
                            {"op": "x", "qubits": [1], "condition": {"clbits": [0], "value": 1}}]}
    doc.update(changes)
    return doc


@pytest.mark.parametrize(("change", "message"), [
    # a misspelt condition would make the gate unconditional: another program, read without a word
    (lambda d: d["instructions"][2].update(conditon=d["instructions"][2].pop("condition")),
     r"instruction 2: the 'x' instruction has unknown field\(s\) 'conditon'"),
    (lambda d: d["instructions"][2]["condition"].update(vaule=1), r"a condition has unknown field\(s\) 'vaule'"),
    (lambda d: d["instructions"][1].update(params=[1.0]), r"the 'measure' instruction has unknown field\(s\) 'params'"),
    (lambda d: d["instructions"][0].update(matrix=[[[1, 0], [0, 0]], [[0, 0], [1, 0]]]),
     r"the 'h' instruction has unknown field\(s\) 'matrix'"),
    (lambda d: d.update(instuctions=[]), r"the document has unknown field\(s\) 'instuctions'"),
    (lambda d: d.update(qregs=[{"name": "q", "bits": [0, 1], "size": 2}]), r"register 'q' has unknown field\(s\) 'size'"),
    (lambda d: d.update(qregs=[{"name": "q", "bits": [0, 0]}]), r"register 'q' names bit 0 twice"),
])
def test_fields_the_format_does_not_have_are_refused_not_ignored(change: Any, message: str) -> None:
    doc = _bell_document()
    assert wire.from_dict(json.loads(json.dumps(doc))).instructions[2].condition == Condition((0,), 1)
    change(doc)
    with pytest.raises(WireFormatError, match=message):
        wire.loads(json.dumps(doc))


def test_a_register_naming_a_bit_twice_is_not_written() -> None:
    c = Circuit(2, qregs=[Register("q", (0, 0))])
    with pytest.raises(WireFormatError, match="names bit 0 twice"):
        wire.dumps(c)
