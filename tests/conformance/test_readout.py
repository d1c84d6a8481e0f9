"""Readouts and features, every ordered pair of formats: measurement-bit order from asymmetric basis
states (X on some qubits, clbits in two registers in a scrambled order), mid-circuit measurement,
resets and classical conditions with a certain outcome, and free parameters bound in each target
framework. Each conversion is right by its target's own simulator, or refused by a named error."""

from __future__ import annotations

import math
from typing import Any

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter

from ._check import CIRCUITS, Checker
from ._oracles import FORMATS, bound_unitary, readout

#: Refused by name: conditions OpenQASM 2 writes only on a whole register or one bit (a condition on
#: two bits without a register, as myQLM, which names none, hands it on).
FEATURE_REFUSALS = (r"OpenQASM 2 cannot express a condition on the", r"qasm2 cannot hold")


def _every_pair(checker: Checker, label: str, qc: Any, expected: Any, oracle: Any, *, own: bool = False) -> None:
    """``qc`` into every format, each result into every other one. With ``own``, each hop is judged
    against its source form's own result (readouts: each format's own bit order and names)."""
    forms = {"qiskit": qc}
    for target in FORMATS[1:]:
        out = checker.route(label, qc, "qiskit", target, expected, oracle)
        if out is not None:
            forms[target] = out
    for a, form in forms.items():
        if a == "qiskit":
            continue
        reference = oracle(form, a) if own else expected
        for b in FORMATS:
            if b != a:
                checker.route(f"{label} (via {a})", form, a, b, reference, oracle)


def test_measurement_bit_order_from_asymmetric_basis_states() -> None:
    checker = Checker("readout")
    for flipped, order in [((0,), (4, 0, 3, 1, 2)), ((1, 4), (0, 1, 2, 3, 4)), ((0, 2, 3), (2, 4, 1, 0, 3))]:
        qc = QuantumCircuit(QuantumRegister(5, "q"), ClassicalRegister(2, "a"), ClassicalRegister(3, "b"))
        qc.x(list(flipped))
        for q, c in enumerate(order):
            qc.measure(q, c)
        bits = [0] * 5
        for q in flipped:
            bits[order[q]] = 1
        source = readout(qc, "qiskit")  # the source itself, by Aer
        assert [v for _, v in source] == bits
        assert [name for name, _ in source] == [("a", 0), ("a", 1), ("b", 0), ("b", 1), ("b", 2)]
        _every_pair(checker, f"X on {flipped}, measured into {order}", qc, source, readout, own=True)
        CIRCUITS["bit-order circuits (every ordered pair)"] += 1
    checker.verdict()


def _dynamic_circuits() -> list[tuple[str, Any, list[int]]]:
    out = []
    qc = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(3, "c"))
    qc.x(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.measure(1, 1)
    qc.reset(0)
    qc.measure(0, 2)
    out.append(("bit condition, mid-circuit measurement, reset", qc, [1, 1, 0]))
    qc = QuantumCircuit(QuantumRegister(3, "q"), ClassicalRegister(2, "m"), ClassicalRegister(1, "r"))
    qc.x(1)
    qc.measure([0, 1], [0, 1])
    with qc.if_test((qc.cregs[0], 2)):
        qc.x(2)
    with qc.if_test((qc.cregs[0], 1)):
        qc.h(2)
    qc.measure(2, 2)
    out.append(("register condition", qc, [0, 1, 1]))
    qc = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(2, "c"))
    qc.h(0)
    qc.measure(0, 0)
    qc.reset(0)
    qc.x(1)
    qc.measure(1, 0)  # the clbit is written again: its last value counts
    qc.measure(0, 1)
    out.append(("a clbit written twice", qc, [1, 0]))
    return out


def test_mid_circuit_measurement_resets_and_conditions_are_kept_or_refused_by_name() -> None:
    checker = Checker("readout", allowed_refusals=FEATURE_REFUSALS)
    for label, qc, expected in _dynamic_circuits():
        source = readout(qc, "qiskit")
        assert [v for _, v in source] == expected
        _every_pair(checker, label, qc, source, readout, own=True)
        CIRCUITS["dynamic circuits (every ordered pair)"] += 1
    print(f"{checker.checked} checked, refused {dict(checker.refused)}")
    checker.verdict()


def test_free_parameters_bind_in_every_format_that_holds_them() -> None:
    """Into OpenQASM 2 (no parameters) the conversion must be refused by name; elsewhere the
    target framework binds the parameters and its unitary is the source's, bound alike."""
    theta, phi = Parameter("theta"), Parameter("phi")
    qc = QuantumCircuit(2, global_phase=theta / 2)
    qc.rx(theta, 0)
    qc.cp(2 * phi - 0.5, 0, 1)
    qc.u(theta, phi, theta * phi, 1)
    qc.ry((theta + 1).sin(), 0)
    checker = Checker("unitary (bound parameters)", allowed_refusals=(r"qasm2 cannot hold what this program uses: "
                                                                      r"parameters",))
    for values in ({"theta": 0.3, "phi": -1.2}, {"theta": 2.5, "phi": math.pi / 3}):
        expected = bound_unitary(qc, "qiskit", values)
        _every_pair(checker, f"parameterised at {values}", qc, expected,
                    lambda program, fmt, v=values: bound_unitary(program, fmt, v))  # type: ignore[misc]
    CIRCUITS["parameterised circuits (every ordered pair)"] += 1
    checker.verdict()
    assert not [route for route in checker.routes if route.endswith("-> qasm2")]
    assert checker.refused["qiskit -> qasm2: TranslationError"] == 2
