"""Translators between Perceval and the photonic model, exact against Perceval's ``compute_unitary()``."""

from __future__ import annotations

import math

import numpy as np
import perceval as pcvl
import pytest
from qhpc import Integrator
from qhpc.errors import TranslationError
from qhpc_interop.photonic import Condition, PhotonicProgram
from qhpc_perceval.translate import from_perceval, parse_postselect, to_perceval, to_perceval_circuit


def _random_unitary(k: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(k, k)) + 1j * rng.normal(size=(k, k))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))  # type: ignore[no-any-return]


def _random_program(seed: int, modes: int = 6, length: int = 25) -> PhotonicProgram:
    rng = np.random.default_rng(seed)
    program = PhotonicProgram(modes, [1, 0] * (modes // 2))
    for _ in range(length):
        kind = rng.integers(4)
        if kind == 0:
            phases = rng.uniform(-8, 8, 4)
            program.bs(int(rng.integers(modes - 1)), float(rng.uniform(-14, 14)), phi_tl=phases[0], phi_bl=phases[1],
                       phi_tr=phases[2], phi_br=phases[3], convention=("Rx", "Ry", "H")[int(rng.integers(3))])
        elif kind == 1:
            program.ps(int(rng.integers(modes)), float(rng.uniform(-8, 8)))
        elif kind == 2:
            k = int(rng.integers(2, modes + 1))
            program.perm(int(rng.integers(modes - k + 1)), [int(v) for v in rng.permutation(k)])
        else:
            k = int(rng.integers(1, 4))
            program.add_unitary(int(rng.integers(modes - k + 1)), _random_unitary(k, rng))
    return program


def _random_perceval_circuit(seed: int, modes: int = 5) -> pcvl.Circuit:
    rng = np.random.default_rng(seed)
    circuit = pcvl.Circuit(modes)
    for _ in range(20):
        kind = rng.integers(6)
        if kind == 0:
            make = (pcvl.BS.Rx, pcvl.BS.Ry, pcvl.BS.H)[int(rng.integers(3))]
            phases = rng.uniform(0, 2 * math.pi, 4)
            circuit.add(int(rng.integers(modes - 1)), make(float(rng.uniform(0, 4 * math.pi)), *map(float, phases)))
        elif kind == 1:
            circuit.add(int(rng.integers(modes)), pcvl.PS(float(rng.uniform(0, 2 * math.pi))))
        elif kind == 2:
            k = int(rng.integers(2, modes + 1))
            circuit.add(int(rng.integers(modes - k + 1)), pcvl.PERM([int(v) for v in rng.permutation(k)]))
        elif kind == 3:
            circuit.add(int(rng.integers(modes - 2)), pcvl.Unitary(pcvl.Matrix(_random_unitary(3, rng))))
        elif kind == 4:  # a nested sub-circuit
            sub = pcvl.Circuit(2).add(0, pcvl.BS.H(float(rng.uniform(0, 6)))).add(1, pcvl.PS(float(rng.uniform(0, 6))))
            circuit.add(int(rng.integers(modes - 1)), sub)
        else:
            circuit.add(0, pcvl.Barrier(modes))
    return circuit


@pytest.mark.parametrize("seed", range(10))
def test_model_to_perceval_is_exact_against_compute_unitary(seed: int) -> None:
    program = _random_program(seed)
    np.testing.assert_allclose(to_perceval_circuit(program).compute_unitary(), program.unitary(), atol=1e-12)
    experiment = to_perceval(program)
    np.testing.assert_allclose(experiment.unitary_circuit().compute_unitary(), program.unitary(), atol=1e-12)
    assert list(experiment.input_state) == list(program.input_state)


@pytest.mark.parametrize("seed", range(10))
def test_perceval_to_model_is_exact_against_compute_unitary(seed: int) -> None:
    circuit = _random_perceval_circuit(seed)
    experiment = pcvl.Experiment(circuit)
    experiment.with_input(pcvl.BasicState([1, 1, 0, 1, 0]))
    program = from_perceval(experiment)
    np.testing.assert_allclose(program.unitary(), circuit.compute_unitary(), atol=1e-12)
    assert program.input_state == (1, 1, 0, 1, 0) and not program.is_selective


@pytest.mark.parametrize("name", ["heralded cnot", "postprocessed cnot", "heralded cz", "postprocessed cz",
                                  "klm cnot"])
def test_catalog_gates_keep_their_heralds_and_post_selection(name: str) -> None:
    experiment = pcvl.catalog[name].build_experiment()
    experiment.with_input(pcvl.LogicalState([1, 0]))
    program = from_perceval(experiment)
    np.testing.assert_allclose(program.unitary(), experiment.unitary_circuit().compute_unitary(), atol=1e-12)
    assert program.heralds == experiment.heralds
    assert list(program.input_state) == list(experiment.input_state)
    selection = experiment.post_select_fn
    expected = parse_postselect(str(selection)) if selection is not None else []
    if experiment.min_photons_filter:  # with_input(LogicalState) asks for the logical photons
        expected.append(Condition((0, 1, 2, 3), ">=", experiment.min_photons_filter))
    assert list(program.conditions) == expected


def test_round_trip_keeps_the_optics_heralds_and_conditions() -> None:
    program = _random_program(42, modes=6)
    program.herald(5, 0).herald(4, 0).postselect([0, 1], "==", 1).postselect([2, 3], ">=", 1)
    back = from_perceval(to_perceval(program))
    np.testing.assert_allclose(back.unitary(), program.unitary(), atol=1e-12)
    assert back.heralds == program.heralds and back.input_state == program.input_state
    assert back.conditions == program.conditions
    experiment = to_perceval(program)
    assert experiment.heralds == {4: 0, 5: 0}
    assert experiment.in_heralds == {5: 0}  # mode 4 is input 1, output 0: an output-only herald


def test_min_detected_photons_becomes_a_condition_on_the_unheralded_modes() -> None:
    experiment = pcvl.Experiment(pcvl.Circuit(3).add(0, pcvl.BS()))
    experiment.add_herald(2, 0)
    experiment.with_input(pcvl.BasicState([1, 1]))
    experiment.min_detected_photons_filter(2)
    program = from_perceval(experiment)
    assert program.conditions == (Condition((0, 1), ">=", 2),)


def test_parse_postselect() -> None:
    assert parse_postselect("([0, 1] == 1 & [2, 3] == 1)") == [Condition((0, 1), "==", 1), Condition((2, 3), "==", 1)]
    assert parse_postselect("[4] < 2") == [Condition((4,), "<", 2)]
    assert parse_postselect(str(pcvl.PostSelect("[0]!=1 & [1,2]>=2"))) == [Condition((0,), "!=", 1),
                                                                             Condition((1, 2), ">=", 2)]
    for text in ("[0]==1 | [1]==1", "[0]==1 ^ [1]==0", "! [0] == 1"):
        with pytest.raises(TranslationError, match="only conditions joined with '&'"):
            parse_postselect(str(pcvl.PostSelect(text)))


def _with_input(experiment: pcvl.Experiment, state: list[int]) -> pcvl.Experiment:
    experiment.with_input(pcvl.BasicState(state))
    return experiment


@pytest.mark.parametrize(("build", "message"), [
    (lambda: pcvl.BS(), r"a Perceval BS has no input state; wrap it in an Experiment"),
    (lambda: pcvl.Experiment(pcvl.BS()), r"the experiment has no input state"),
    (lambda: _with_input(pcvl.Experiment(pcvl.BS(theta=pcvl.P("t"))), [1, 0]),
     r"component 0: parameter 't' has no value"),
    (lambda: _with_input(pcvl.Experiment(pcvl.Circuit(2).add(0, pcvl.PBS())), [1, 0]), r"acts on polarisation"),
    (lambda: _with_input(pcvl.Experiment(pcvl.Circuit(1).add(0, pcvl.HWP(0.3))), [1]), r"acts on polarisation"),
    (lambda: _with_input(pcvl.Experiment(pcvl.Circuit(1).add(0, pcvl.PS(0.2, max_error=0.1))), [1]),
     r"a PS with max_error draws a random phase"),
    (lambda: _with_input(pcvl.Experiment(2).add(0, pcvl.BS()).add(0, pcvl.TD(1)), [1, 0]),
     r"component 1: TD is not a linear-optical component"),
    (lambda: _with_input(pcvl.Experiment(2).add(0, pcvl.LC(0.2)), [1, 0]), r"LC is not a linear-optical component"),
    (lambda: _with_input(pcvl.Experiment(pcvl.BS()).add(0, pcvl.Detector.threshold()), [1, 1]),
     r"detectors are Mixed; the photonic model counts photons with number-resolving detectors only"),
    (lambda: _with_input(pcvl.Experiment(pcvl.BS(), noise=pcvl.NoiseModel(brightness=0.3)), [1, 1]),
     r'carries a Perceval noise model; .* noise=\{"photonic": \{"brightness": 0.3\}\}'),
    (lambda: pcvl.Processor("SLOS", pcvl.BS(), noise=pcvl.NoiseModel(indistinguishability=0.9)),
     r'the (processor|experiment) carries a Perceval noise model'),
])
def test_what_the_model_cannot_hold_is_refused_naming_it(build: object, message: str) -> None:
    program = build()  # type: ignore[operator]
    if isinstance(program, pcvl.Processor):
        program.with_input(pcvl.BasicState([1, 1]))
    with pytest.raises(TranslationError, match=message) as caught:
        from_perceval(program)
    assert "\n" not in str(caught.value)


def test_a_polarised_or_mixed_input_is_refused() -> None:
    experiment = pcvl.Experiment(pcvl.BS())
    experiment.with_input(pcvl.BasicState("|{P:H},{P:V}>"))
    with pytest.raises(TranslationError, match="takes one Fock state"):
        from_perceval(experiment)
    experiment = pcvl.Experiment(pcvl.BS())
    experiment.with_input(pcvl.SVDistribution({pcvl.BasicState([1, 0]): 0.5, pcvl.BasicState([0, 1]): 0.5}))
    with pytest.raises(TranslationError, match="takes one Fock state"):
        from_perceval(experiment)


def test_the_format_is_detected_and_a_local_processor_is_read() -> None:
    processor = pcvl.Processor("SLOS", pcvl.Circuit(2).add(0, pcvl.BS.H()))
    processor.with_input(pcvl.BasicState([1, 0]))
    with Integrator() as integrator:
        assert integrator.detect_format(processor) == "perceval"
        assert integrator.detect_format(pcvl.BS()) == "perceval"
        assert integrator.kind_of("perceval").name == "photonic"
        program, route = integrator.converter.to_model(processor)
    assert isinstance(program, PhotonicProgram) and str(route) == "perceval -> qhpc.photonic"
    np.testing.assert_allclose(program.unitary(), pcvl.BS.H().compute_unitary(), atol=1e-15)
