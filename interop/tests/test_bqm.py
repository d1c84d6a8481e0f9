"""Binary quadratic models: energies against hand-computed values, the bitstring order, SPIN <-> BINARY,
an exact JSON round trip, and a one-line error for every malformed problem.

Oracles: energies written out by hand, brute force over every assignment, and dimod's own
``BinaryQuadraticModel.energy`` where dimod is installed.
"""

from __future__ import annotations

import itertools
import json
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qhpc_interop import QhpcError
from qhpc_interop.bqm import FORMAT, BinaryQuadraticModel, BQMError, Vartype, dumps, loads

# E(x) = 1.5 + 1*a - 2*b + 0*c + 3*a*b + 0.5*b*c   (BINARY, variables a, b, c in this order)
HAND = BinaryQuadraticModel({"a": 1, "b": -2, "c": 0}, {("a", "b"): 3, ("b", "c"): 0.5}, 1.5, "BINARY")
HAND_ENERGIES = {  # (a, b, c) -> energy, computed by hand
    (0, 0, 0): 1.5, (1, 0, 0): 2.5, (0, 1, 0): -0.5, (0, 0, 1): 1.5,
    (1, 1, 0): 3.5, (0, 1, 1): 0.0, (1, 0, 1): 2.5, (1, 1, 1): 4.0,
}


def test_energies_match_the_hand_computed_ones() -> None:
    for (a, b, c), energy in HAND_ENERGIES.items():
        assert HAND.energy({"a": a, "b": b, "c": c}) == pytest.approx(energy, abs=1e-12)
        assert HAND.energy([a, b, c]) == pytest.approx(energy, abs=1e-12)
    rows = np.array(list(HAND_ENERGIES))
    assert HAND.energies(rows) == pytest.approx(list(HAND_ENERGIES.values()), abs=1e-12)


def test_the_lowest_energy_is_the_best_assignment() -> None:
    """One sign convention: minimise. The minimum of HAND by hand is (0, 1, 0) with -0.5."""
    best = min(HAND_ENERGIES, key=HAND_ENERGIES.__getitem__)
    assert best == (0, 1, 0)
    assert min(HAND.energy(list(x)) for x in itertools.product((0, 1), repeat=3)) == -0.5


def test_bitstrings_put_variable_zero_rightmost() -> None:
    # variables (a, b, c): "001" is a=1, b=0, c=0
    assert HAND.sample_of("001") == (1, 0, 0)
    assert HAND.energy("001") == pytest.approx(HAND_ENERGIES[(1, 0, 0)])
    assert HAND.energy("010") == pytest.approx(HAND_ENERGIES[(0, 1, 0)])
    assert HAND.bitstring({"a": 0, "b": 1, "c": 1}) == "110"
    spin = BinaryQuadraticModel({"x": 1.0, "y": 0.0}, {}, 0.0, "SPIN")
    assert spin.sample_of("01") == (1, -1)  # '1' is +1, '0' is -1
    assert spin.bitstring([-1, 1]) == "10"


def test_spin_energies_by_hand() -> None:
    # E(s) = -0.5 + 0.5*s0 - 1*s1 + 2*s0*s1
    m = BinaryQuadraticModel.from_ising([0.5, -1.0], {(0, 1): 2.0}, -0.5)
    assert m.vartype is Vartype.SPIN and m.variables == (0, 1)
    hand = {(-1, -1): -0.5 - 0.5 + 1 + 2, (1, -1): -0.5 + 0.5 + 1 - 2, (-1, 1): -0.5 - 0.5 - 1 - 2,
            (1, 1): -0.5 + 0.5 - 1 + 2}
    for s, energy in hand.items():
        assert m.energy(list(s)) == pytest.approx(energy)


@pytest.mark.parametrize("seed", range(8))
def test_spin_and_binary_give_equal_energies_for_corresponding_assignments(seed: int) -> None:
    m = random_model(seed)
    other = m.change_vartype("SPIN" if m.vartype is Vartype.BINARY else "BINARY")
    assert other.vartype is not m.vartype and other.variables == m.variables
    for bits in itertools.product("01", repeat=m.num_variables):
        key = "".join(bits)
        assert other.energy(key) == pytest.approx(m.energy(key), abs=1e-9)
    # s = 2x - 1: the value 1 (BINARY) is +1 (SPIN)
    x = [1] + [0] * (m.num_variables - 1)
    s = [2 * v - 1 for v in x]
    binary, spin = (m, other) if m.vartype is Vartype.BINARY else (other, m)
    assert binary.energy(x) == pytest.approx(spin.energy(s), abs=1e-9)
    assert other.change_vartype(m.vartype).energies(np.array(list(itertools.product(m.vartype.values,
                                                                                    repeat=m.num_variables)))) \
        == pytest.approx(m.energies(np.array(list(itertools.product(m.vartype.values, repeat=m.num_variables)))))


def test_qubo_and_ising_dictionaries() -> None:
    m = BinaryQuadraticModel.from_qubo({("a", "a"): -1.0, ("a", "b"): 2.0, ("b", "b"): 0.5}, offset=1.0)
    assert m.linear == {"a": -1.0, "b": 0.5} and m.quadratic == {("a", "b"): 2.0}
    assert m.energy({"a": 1, "b": 1}) == pytest.approx(1.0 - 1.0 + 2.0 + 0.5)
    Q, offset = m.to_qubo()
    assert BinaryQuadraticModel.from_qubo(Q, offset) == m
    h, J, off = m.to_ising()
    spin = BinaryQuadraticModel.from_ising(h, J, off)
    for bits in ("00", "01", "10", "11"):
        assert spin.energy(bits) == pytest.approx(m.energy(bits))


def test_duplicate_quadratic_terms_add_up() -> None:
    m = BinaryQuadraticModel({}, {("a", "b"): 1.0, ("b", "a"): 2.5})
    assert m.quadratic == {("a", "b"): 3.5} and m.num_interactions == 1


def test_declared_variables_keep_their_order() -> None:
    m = BinaryQuadraticModel({"b": 1.0}, {("c", "b"): 1.0}, variables=["c", 7, "b"])
    assert m.variables == ("c", 7, "b") and m.linear == {"c": 0.0, 7: 0.0, "b": 1.0}
    assert BinaryQuadraticModel({"b": 1.0}, {("c", "b"): 1.0}).variables == ("b", "c")


# -- the JSON form ---------------------------------------------------------------------------------


def random_model(seed: int, n: int | None = None) -> BinaryQuadraticModel:
    rng = random.Random(seed)
    n = n if n is not None else rng.randint(1, 6)
    labels: list[str | int] = [rng.choice([f"v{k}", k, f"é{k}\"q"]) for k in range(n)]
    linear = {v: rng.choice([0.0, -0.0, rng.uniform(-3, 3), 1e-300, rng.randint(-5, 5)]) for v in labels}
    quadratic = {(labels[i], labels[j]): rng.uniform(-2, 2)
                 for i in range(n) for j in range(i + 1, n) if rng.random() < 0.6}
    return BinaryQuadraticModel(linear, quadratic, rng.uniform(-10, 10), rng.choice(["BINARY", "SPIN"]),
                                name=rng.choice([None, f"model {seed}"]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 10**6))
def test_round_trip_is_exact(seed: int) -> None:
    m = random_model(seed)
    text = dumps(m)
    back = loads(text)
    assert back == m and back.fingerprint() == m.fingerprint()
    assert [type(v) for v in back.variables] == [type(v) for v in m.variables]
    assert back.linear == m.linear and back.quadratic == m.quadratic and back.offset == m.offset
    assert dumps(back) == text
    for v, b in m.linear.items():  # -0.0 and subnormal-adjacent values survive bit for bit
        assert math.copysign(1.0, back.linear[v]) == math.copysign(1.0, b)


def test_a_document_looks_like_the_documented_one() -> None:
    doc = json.loads(dumps(HAND))
    assert doc == {"format": FORMAT, "version": 1, "vartype": "BINARY", "variables": ["a", "b", "c"],
                   "linear": [1.0, -2.0, 0.0], "quadratic": [["a", "b", 3.0], ["b", "c", 0.5]], "offset": 1.5}


def test_a_hand_written_document_with_a_linear_object_reads() -> None:
    text = '{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "linear": {"x": 1, "y": -1},' \
           ' "quadratic": [["x", "y", 2]]}'
    m = loads(text)
    assert m.variables == ("x", "y") and m.offset == 0.0
    assert m.energy({"x": 1, "y": -1}) == pytest.approx(1 + 1 - 2)


def test_labels_that_differ_only_in_type_stay_distinct() -> None:
    m = BinaryQuadraticModel({0: 1.0, "0": 2.0})
    assert m.num_variables == 2 and loads(dumps(m)).variables == (0, "0")


# -- malformed problems are one-line errors ----------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda: BinaryQuadraticModel({"a": "x"}), r"linear bias of 'a' must be a finite number, not 'x'"),
    (lambda: BinaryQuadraticModel({"a": float("nan")}), r"linear bias of 'a' must be a finite number, not nan"),
    (lambda: BinaryQuadraticModel({}, {("a", "b"): float("inf")}), r"quadratic bias of \('a', 'b'\) must be a finite"),
    (lambda: BinaryQuadraticModel({"a": True}), r"not True"),
    (lambda: BinaryQuadraticModel({}, {("a", "a"): 1.0}), r"self-loop \('a', 'a'\) given as a quadratic term"),
    (lambda: BinaryQuadraticModel({}, {("a", "z"): 1.0}, variables=["a", "b"]),
     r"names 'z', which is not a declared variable"),
    (lambda: BinaryQuadraticModel({"q": 1.0}, variables=["a"]), r"names 'q', which is not a declared variable"),
    (lambda: BinaryQuadraticModel(variables=["a", "b", "a"]), r"duplicate variable label 'a'"),
    (lambda: BinaryQuadraticModel({(1, 2): 1.0}), r"label \(1, 2\) must be a string or an integer"),
    (lambda: BinaryQuadraticModel({}, {}, 0.0, "ternary"), r"vartype must be 'BINARY' or 'SPIN'"),
    (lambda: BinaryQuadraticModel({}, {}, "1"), r"offset must be a finite number"),
    (lambda: BinaryQuadraticModel({}, [("a", "b")]), r"must be a pair of labels with a bias"),
    (lambda: HAND.energy({"a": 2, "b": 0, "c": 0}), r"BINARY variables take the values 0 and 1, not 2"),
    (lambda: HAND.energy({"a": 1}), r"gives no value for variable\(s\) 'b', 'c'"),
    (lambda: HAND.energy("0101"), r"'0101' is not a bitstring of 3 variables"),
])
def test_malformed_problems_are_one_line_errors(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BQMError, match=message) as info:
        build()
    assert "\n" not in str(info.value)
    assert isinstance(info.value, QhpcError)


@pytest.mark.parametrize("text, message", [
    ('{"format": "qhpc.circuit", "version": 1}', r"not a qhpc binary quadratic model \(format is 'qhpc.circuit'"),
    ('{"format": "qhpc.bqm", "version": 2, "vartype": "SPIN"}', r"version 2 is newer than this qhpc-interop reads \(1\)"),
    ('{"format": "qhpc.bqm", "version": 1}', r"missing field 'vartype'"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "colour": 1}', r"unknown field 'colour'"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "variables": ["a"], "linear": [1, 2]}',
     r"linear has 2 biases for 1 variables"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "linear": {"a": "big"}}',
     r"linear bias of 'a' must be a finite number, not 'big'"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "quadratic": [["a", "a", 1]]}', r"self-loop"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "quadratic": [["a", 1]]}',
     r"quadratic term 0 must be \[u, v, bias\]"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "variables": ["a", "a"]}', r"duplicate variable label"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "linear": [1.0]}', r"field 'variables' must say"),
    ('{"format": "qhpc.bqm", "version": 1, "vartype": "SPIN", "offset": NaN}', r"offset must be a finite number"),
    ('{"format": "qhpc.bqm", "version": 1,\n "vartype": }', r"problem.json:2:13: invalid JSON"),
])
def test_malformed_documents_are_one_line_errors_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(BQMError, match=message) as info:
        loads(text, source="problem.json")
    assert "\n" not in str(info.value) and str(info.value).startswith("problem.json")


# -- dimod's own energy function as an oracle -------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_energies_agree_with_dimod(seed: int) -> None:
    dimod = pytest.importorskip("dimod")
    m = random_model(seed, n=5)
    ref = dimod.BinaryQuadraticModel(m.linear, m.quadratic, m.offset, str(m.vartype))
    rows = np.array(list(itertools.product(m.vartype.values, repeat=5)))
    ours = m.energies(rows)
    theirs = ref.energies((rows, list(m.variables)))
    assert ours == pytest.approx(theirs, abs=1e-9)
    spin_ref = ref.change_vartype("SPIN", inplace=False)
    spin = m.spin()
    assert spin.offset == pytest.approx(spin_ref.offset, abs=1e-12)
    assert spin.linear == pytest.approx(dict(spin_ref.linear), abs=1e-12)


# -- arrays (what the frameworks' vectors give) ------------------------------------------------------


def test_a_model_from_arrays_equals_the_one_from_mappings() -> None:
    m = BinaryQuadraticModel.from_arrays(["a", "b", "c"], [1, -2, 0], [0, 2, 1], [1, 1, 0], [3.0, 0.5, 1.0], 1.5,
                                         "BINARY")
    # (b, a) adds to (a, b): 3 + 1 = 4
    assert m == BinaryQuadraticModel({"a": 1, "b": -2, "c": 0}, {("a", "b"): 4.0, ("b", "c"): 0.5}, 1.5, "BINARY")
    assert m.energy("011") == pytest.approx(1.5 + 1 - 2 + 4)


@pytest.mark.parametrize("args, message", [
    ((["a", "b"], [0.0], [], [], []), r"linear has 1 biases for 2 variables"),
    ((["a", "b"], [0.0, float("inf")], [], [], []), r"linear bias of 'b' must be a finite number, not inf"),
    ((["a", "b"], [0.0, 0.0], [0], [0], [1.0]), r"self-loop \('a', 'a'\)"),
    ((["a", "b"], [0.0, 0.0], [0], [2], [1.0]), r"positions must be whole numbers below 2"),
    ((["a", "b"], [0.0, 0.0], [0], [1], [float("nan")]), r"quadratic bias of \('a', 'b'\) must be a finite"),
    ((["a", "a"], [0.0, 0.0], [], [], []), r"duplicate variable label 'a'"),
])
def test_malformed_arrays_are_one_line_errors(args, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BQMError, match=message):
        BinaryQuadraticModel.from_arrays(*args)


def test_many_bitstrings_read_at_once() -> None:
    rows = HAND.samples_of(["001", "110", "000"])
    assert rows.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert HAND.energies(rows) == pytest.approx([2.5, 0.0, 1.5])
    with pytest.raises(BQMError, match="'01' is not a bitstring of 3 variables"):
        HAND.samples_of(["001", "01"])
    with pytest.raises(BQMError, match="'0x1' is not a bitstring"):
        HAND.samples_of(["0x1"])
