"""The photonic program model against analytic linear optics, and its JSON form.

Oracles: the 2x2 beam-splitter and phase matrices written out here from their definitions, the
Mach-Zehnder interferometer's transmission ``sin^2(phi/2)``, and the Hong-Ou-Mandel two-photon
amplitude ``t^2 - r^2`` (a permanent). Perceval's own ``compute_unitary()`` is the oracle of the
translators in ``plugins/perceval/tests``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from qhpc_interop import QhpcError
from qhpc_interop.photonic import (
    BeamSplitter,
    Condition,
    Permutation,
    PhaseShifter,
    PhotonicError,
    PhotonicProgram,
    Unitary,
    dumps,
    fock_key,
    loads,
    parse_fock_key,
)

ANGLES = [0.0, 0.3, math.pi / 2, 2.0, math.pi, 4.5, -1.1]


def _random_unitary(k: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(k, k)) + 1j * rng.normal(size=(k, k))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))  # type: ignore[no-any-return]


def _random_program(rng: np.random.Generator, modes: int = 5, length: int = 12) -> PhotonicProgram:
    program = PhotonicProgram(modes, [int(v) for v in rng.integers(0, 2, modes)], name="random",
                              metadata={"source": "test"})
    for _ in range(length):
        kind = rng.integers(4)
        if kind == 0:
            mode = int(rng.integers(modes - 1))
            phases = rng.uniform(-7, 7, 4)
            program.bs(mode, float(rng.uniform(-10, 10)), phi_tl=phases[0], phi_bl=phases[1], phi_tr=phases[2],
                       phi_br=phases[3], convention=("Rx", "Ry", "H")[int(rng.integers(3))])
        elif kind == 1:
            program.ps(int(rng.integers(modes)), float(rng.uniform(-7, 7)))
        elif kind == 2:
            k = int(rng.integers(2, modes + 1))
            program.perm(int(rng.integers(modes - k + 1)), [int(v) for v in rng.permutation(k)])
        else:
            k = int(rng.integers(1, 4))
            program.add_unitary(int(rng.integers(modes - k + 1)), _random_unitary(k, rng))
    program.herald(modes - 1, 0).postselect([0, 1], "==", 1).postselect([2], "<=", 2)
    return program


# -- the components' matrices against their definitions ----------------------------------------------


@pytest.mark.parametrize("theta", ANGLES)
def test_beam_splitter_conventions_are_the_documented_matrices(theta: float) -> None:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    expected = {"Rx": [[c, 1j * s], [1j * s, c]], "Ry": [[c, -s], [s, c]], "H": [[c, s], [s, -c]]}
    for convention, matrix in expected.items():
        np.testing.assert_allclose(BeamSplitter(0, theta, convention=convention).matrix(), matrix, atol=1e-15)


def test_beam_splitter_phases_multiply_inputs_on_the_right_and_outputs_on_the_left() -> None:
    tl, bl, tr, br = 0.4, -1.3, 2.2, 0.7
    core = BeamSplitter(0, 1.1, convention="Ry").matrix()
    full = BeamSplitter(0, 1.1, tl, bl, tr, br, convention="Ry").matrix()
    expected = np.diag([np.exp(1j * tr), np.exp(1j * br)]) @ core @ np.diag([np.exp(1j * tl), np.exp(1j * bl)])
    np.testing.assert_allclose(full, expected, atol=1e-15)


def test_a_balanced_rx_splitter_splits_a_photon_evenly_with_a_quarter_turn_on_reflection() -> None:
    u = PhotonicProgram(2).bs(0).unitary()
    np.testing.assert_allclose(np.abs(u) ** 2, [[0.5, 0.5], [0.5, 0.5]], atol=1e-15)
    assert u[1, 0] / u[0, 0] == pytest.approx(1j)


def test_phase_shifter_and_permutation() -> None:
    np.testing.assert_allclose(PhaseShifter(0, 0.9).matrix(), [[np.exp(0.9j)]], atol=1e-15)
    # the photon entering mode start + i leaves on start + mapping[i]
    u = PhotonicProgram(4).perm(1, [2, 0, 1]).unitary()
    for i, to in enumerate([2, 0, 1]):
        column = np.zeros(4)
        column[1 + to] = 1
        np.testing.assert_array_equal(u[:, 1 + i], column)
    np.testing.assert_array_equal(u[:, 0], [1, 0, 0, 0])


@pytest.mark.parametrize("phi", ANGLES)
def test_mach_zehnder_transmission_is_sin_squared_half_phi(phi: float) -> None:
    """BS - PS(phi) on the top arm - BS: a photon entering the top leaves the top with ``sin^2(phi/2)``."""
    u = PhotonicProgram(2).bs(0).ps(0, phi).bs(0).unitary()
    assert abs(u[0, 0]) ** 2 == pytest.approx(math.sin(phi / 2) ** 2, abs=1e-14)
    assert abs(u[1, 0]) ** 2 == pytest.approx(math.cos(phi / 2) ** 2, abs=1e-14)


@pytest.mark.parametrize("convention", ["Rx", "Ry", "H"])
def test_hong_ou_mandel_amplitude_of_a_balanced_splitter_vanishes(convention: str) -> None:
    """``<1,1|U|1,1> = perm(U) = u00 u11 + u01 u10``: zero for every balanced convention."""
    u = PhotonicProgram(2).bs(0, math.pi / 2, convention=convention).unitary()
    assert abs(u[0, 0] * u[1, 1] + u[0, 1] * u[1, 0]) < 1e-15


def test_components_compose_first_rightmost_on_their_modes() -> None:
    rng = np.random.default_rng(3)
    program = _random_program(rng, modes=5, length=20)
    expected = np.eye(5, dtype=complex)
    for component in program.components:
        full = np.eye(5, dtype=complex)
        lo = component.mode
        full[lo:lo + component.num_modes, lo:lo + component.num_modes] = component.matrix()
        expected = full @ expected
    np.testing.assert_allclose(program.unitary(), expected, atol=1e-12)
    np.testing.assert_allclose(program.unitary() @ program.unitary().conj().T, np.eye(5), atol=1e-12)


# -- validation: one-line errors ---------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (lambda: PhotonicProgram(2, [1, 0, 1]), r"the input state \|1,0,1> has 3 modes but the program has 2"),
    (lambda: PhotonicProgram(2, "|1>"), r"the input state \|1> has 1 modes but the program has 2"),
    (lambda: PhotonicProgram(3).bs(2), r"component 0 \(BS.Rx\(theta=1.5708\) on 2,3\) reaches mode 3, beyond the "
                                       r"last mode 2 of this 3-mode program"),
    (lambda: PhotonicProgram(3).perm(1, [0, 2, 1]), r"reaches mode 3, beyond the last mode 2"),
    (lambda: PhotonicProgram(3).add_unitary(2, np.eye(2)), r"reaches mode 3"),
    (lambda: PhotonicProgram(3).herald(3, 0), r"a heralded mode 3 is beyond the last mode 2"),
    (lambda: PhotonicProgram(3).postselect([0, 5], "==", 1), r"a post-selected mode 5 is beyond the last mode 2"),
    (lambda: PhotonicProgram(3).postselect([0], "=<", 1), r"operator must be one of"),
    (lambda: PhotonicProgram(3).postselect([0, 0], "==", 1), r"needs distinct modes"),
    (lambda: PhotonicProgram(0), r"the number of modes must be a whole number of at least 1"),
    (lambda: PhotonicProgram(2, [1, -1]), r"an input photon count must be a whole number"),
    (lambda: BeamSplitter(0, float("nan")), r"theta must be a finite real number"),
    (lambda: BeamSplitter(0, convention="Rz"), r"convention must be one of Rx, Ry, H"),
    (lambda: Permutation(0, (0, 0)), r"\[0, 0\] is not a permutation"),
    (lambda: Unitary(0, [[1, 1], [0, 1]]), r"is not unitary"),
    (lambda: parse_fock_key("|1,0"), r"is not a Fock state"),
])
def test_malformed_programs_are_one_line_errors(build: object, message: str) -> None:
    with pytest.raises(PhotonicError, match=message) as caught:
        build()  # type: ignore[operator]
    assert isinstance(caught.value, QhpcError) and "\n" not in str(caught.value)


# -- heralds and post-selection -------------------------------------------------------------------------


def test_accepts_and_accept_mask_agree_with_the_conditions_written_out() -> None:
    program = PhotonicProgram(4).herald(3, 1).postselect([0, 1], "==", 1).postselect([2], ">", 0)
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 3, size=(300, 4))
    mask = program.accept_mask(rows)
    for row, accepted in zip(rows, mask):
        expected = row[3] == 1 and row[0] + row[1] == 1 and row[2] > 0
        assert bool(accepted) == expected == program.accepts(row.tolist())
    assert program.postselect_text() == "[3]==1 & [0,1]==1 & [2]>0"
    assert Condition((0, 1), "!=", 2).holds([1, 0]) and not Condition((0, 1), "<", 1).holds([0, 1])


def test_fock_keys_round_trip() -> None:
    for state in [(0,), (1, 0, 2), (12, 0, 0, 3)]:
        assert parse_fock_key(fock_key(state), len(state)) == state
    assert fock_key([1, 0, 1]) == "|1,0,1>"
    with pytest.raises(PhotonicError, match="has 2 modes, not 3"):
        parse_fock_key("|1,0>", 3)


# -- JSON --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_json_round_trips_exactly(seed: int) -> None:
    program = _random_program(np.random.default_rng(seed))
    text = dumps(program)
    back = loads(text)
    assert back == program
    assert dumps(back) == text
    np.testing.assert_array_equal(back.unitary(), program.unitary())  # bit for bit
    assert back.fingerprint() == program.fingerprint()
    assert back.copy() == program and back.copy() is not back


def test_fingerprint_ignores_name_and_metadata_but_not_the_optics() -> None:
    a = PhotonicProgram(2, [1, 1], name="a").bs(0)
    b = PhotonicProgram(2, [1, 1], name="b", metadata={"x": 1}).bs(0)
    assert a.fingerprint() == b.fingerprint() and a != b
    assert PhotonicProgram(2, [1, 1]).bs(0, 1.0).fingerprint() != a.fingerprint()
    assert PhotonicProgram(2, [1, 0]).bs(0).fingerprint() != a.fingerprint()


def test_the_document_is_versioned_and_checked() -> None:
    doc = PhotonicProgram(2, [1, 1]).bs(0).to_dict()
    assert doc["format"] == "qhpc.photonic" and doc["version"] == 1
    with pytest.raises(PhotonicError, match="version 2 is newer than this qhpc-interop reads"):
        PhotonicProgram.from_dict({**doc, "version": 2})
    with pytest.raises(PhotonicError, match="unknown field 'colour'"):
        PhotonicProgram.from_dict({**doc, "colour": "red"})
    with pytest.raises(PhotonicError, match="not a qhpc photonic program"):
        PhotonicProgram.from_dict({**doc, "format": "qhpc.json"})
    bad = json.loads(json.dumps(doc))
    bad["components"][0]["type"] = "mirror"
    with pytest.raises(PhotonicError, match="component 0 has unknown type 'mirror'"):
        PhotonicProgram.from_dict(bad)
    with pytest.raises(PhotonicError, match=r"prog.qphot:1:2: invalid JSON"):
        loads("{,", source="prog.qphot")
    with pytest.raises(PhotonicError, match=r"prog.qphot: the input state"):
        loads(json.dumps({**doc, "input": [1, 1, 1]}), source="prog.qphot")
