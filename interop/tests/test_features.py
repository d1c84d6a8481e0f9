"""What a circuit uses (``features_used``): each feature and where it is first used.

The expected answers are worked out by hand for small circuits, and for random circuits by a plain
instruction-by-instruction reading of the definitions in the module docstring (written here, not
shared with the module's C-level passes).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import Circuit, Condition, Parameter
from qhpc_interop.features import features_used
from qhpc_interop.graph import PROPERTIES
from qhpc_interop.ir import Barrier, Gate, Measure, Reset, UnitaryGate
from qhpc_interop.params import Expr


def test_what_a_plain_circuit_uses_registers_included() -> None:
    c = Circuit(2).h(0).cx(0, 1)
    c.add_creg("c", 2)
    c.measure([0, 1], [0, 1])
    assert set(features_used(c)) == {"unitary", "measurements", "registers"}
    c = Circuit(2).h(0).cx(0, 1)
    assert set(features_used(c)) == {"unitary"}
    # bits in no register (as a myQLM circuit's): their number is the results' layout, a register feature
    c = Circuit(2, 3).h(0).cx(0, 1).measure([0, 1], [0, 1])
    used = features_used(c)
    assert used.pop("registers") == "3 classical bit(s) in no register"
    assert set(used) == {"unitary", "measurements"}
    # ... written by a measurement: bits nothing writes (a myQLM circuit's by default) hold nothing
    assert set(features_used(Circuit(2, 3).h(0).cx(0, 1))) == {"unitary"}
    assert used["unitary"].startswith("instruction 0 ")
    assert used["measurements"].startswith("instruction 2 ")


def test_each_feature_is_found_at_its_first_use() -> None:
    theta = Parameter("theta")
    c = Circuit(3, 2, global_phase=0.25)
    c.add_creg("flags", 1)
    c.barrier(0, 1)                                        # 0
    c.x(2)                                                 # 1
    c.measure(0, 0)                                        # 2
    c.h(1)                                                 # 3: qubit 1 not measured yet
    c.reset(2)                                             # 4: qubit 2 not measured yet
    c.rz(theta, 0)                                         # 5: mid-circuit measurement
    c.append("x", [1], condition=Condition((0,), 1))       # 6
    c.metadata["qubits"] = ["GridQubit(0, 0)", "GridQubit(0, 1)", "GridQubit(1, 0)"]
    used = features_used(c)
    where = {feature: int(text.split()[1]) for feature, text in used.items() if text.startswith("instruction")}
    assert where == {"barriers": 0, "unitary": 1, "measurements": 2, "resets": 4,
                     "mid_circuit_measurement": 5, "conditionals": 6}
    assert "0.25" in used["global_phase"]
    assert used["parameters"] == "free parameter(s) theta"
    assert "flags" in used["registers"]
    assert "GridQubit(0, 0)" in used["qubit_identity"]
    for only in ({"global_phase", "registers"}, {"parameters", "qubit_identity", "barriers"}, set(), PROPERTIES):
        assert features_used(c, only=only) == {f: text for f, text in used.items() if f in only}


def test_qubits_metadata_that_is_no_list_of_identities_is_the_users_own() -> None:
    # a wire document with metadata {"qubits": {"0": ...}} was read, then converting it raised KeyError
    c = Circuit(2).h(0).cx(0, 1)
    for value in ({"0": ["grid", 1, 2]}, "q", 3, []):
        c.metadata["qubits"] = value
        assert "qubit_identity" not in features_used(c)


def test_a_barrier_or_a_second_measurement_after_a_measurement_is_not_mid_circuit() -> None:
    c = Circuit(1, 2).h(0).measure(0, 0).barrier(0).measure(0, 1)
    assert "mid_circuit_measurement" not in features_used(c)


def test_a_symbolic_global_phase_counts_as_parameters() -> None:
    c = Circuit(1, global_phase=Parameter("g")).x(0)
    used = features_used(c)
    assert "global_phase" in used and used["parameters"] == "free parameter(s) g"


def _reference(circuit: Circuit) -> dict[str, int]:
    """Feature -> index of first use, reading one instruction at a time."""
    out: dict[str, int] = {}
    measured: set[int] = set()
    for k, inst in enumerate(circuit.instructions):
        op = inst.operation
        if inst.condition is not None:
            out.setdefault("conditionals", k)
        if isinstance(op, Measure):
            out.setdefault("measurements", k)
            measured.update(inst.qubits)
            continue
        if isinstance(op, Barrier):
            out.setdefault("barriers", k)
            continue
        if isinstance(op, (Gate, UnitaryGate)):
            out.setdefault("unitary", k)
        if isinstance(op, Reset):
            out.setdefault("resets", k)
        if measured & set(inst.qubits):
            out.setdefault("mid_circuit_measurement", k)
    if any(isinstance(p, Expr) for inst in circuit.instructions for p in inst.params):
        out["parameters"] = -1
    if circuit.cregs or (circuit.num_clbits and "measurements" in out):
        out["registers"] = -1
    return out


@st.composite
def circuits(draw: st.DrawFn) -> Circuit:
    n = draw(st.integers(1, 4))
    c = Circuit(n, n)
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["h", "cx", "rz", "rzsym", "unitary", "measure", "reset", "barrier", "if"]))
        q = draw(st.integers(0, n - 1))
        if kind == "cx" and n > 1:
            c.cx(q, (q + 1) % n)
        elif kind == "rz":
            c.rz(draw(st.floats(-3, 3)), q)
        elif kind == "rzsym":
            c.rz(Parameter("a") * 2, q)
        elif kind == "unitary":
            c.append(UnitaryGate(np.eye(2)), [q])
        elif kind == "measure":
            c.measure(q, q)
        elif kind == "reset":
            c.reset(q)
        elif kind == "barrier":
            c.barrier(*range(n))
        elif kind == "if":
            c.append("x", [q], condition=Condition((q,), 1))
        else:
            c.h(q)
    return c


@settings(max_examples=300, deadline=None, derandomize=True)
@given(circuits(), st.sets(st.sampled_from(sorted(PROPERTIES))))
def test_features_agree_with_an_instruction_by_instruction_reading(circuit: Circuit, only: set[str]) -> None:
    used = features_used(circuit)
    expected = _reference(circuit)
    found = {f: (int(text.split()[1]) if text.startswith("instruction") else -1) for f, text in used.items()}
    assert found == expected
    # asked about some features only (what a conversion's route could lose), the same answers for those
    assert features_used(circuit, only=only) == {f: text for f, text in used.items() if f in only}
