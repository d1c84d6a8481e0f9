"""Translators between Perceval and the photonic model (:mod:`qhpc_interop.photonic`).

**From Perceval** (:func:`from_perceval`): an ``Experiment`` or a local ``Processor`` with an input
state. Each component of the (flattened) circuit becomes the model component with the same matrix:
``BS`` (its convention, angle and four phases), ``PS``, ``PERM`` and ``Unitary``; ``Barrier`` is
dropped (it is the identity). The input state, the heralds (Perceval's output heralds; their
input photons are in the input state), the ``PostSelect`` conditions and the
``min_detected_photons_filter`` (a condition ``[non-heralded modes] >= n``) are kept. Perceval
wraps angles into its ranges (``theta`` modulo 4 pi, phases modulo 2 pi): the unitary is the same.

Refused with a :class:`~qhpc.errors.TranslationError` naming the component or setting, since the
model cannot hold them: a bare circuit (no input state: wrap it in an ``Experiment`` and call
``with_input``), symbolic parameters without values, polarisation components (``PBS``, wave plates,
``PR``) and polarised or annotated input states, superposed or mixed inputs (``StateVector``,
``SVDistribution``), non-unitary components (time delays ``TD``, loss channels ``LC``, feed-forward
configurators), threshold or pseudo-PNR detectors, post-selection with ``|``, ``^`` or ``!``, a
``PS`` with its own ``max_error``, and a noise model attached to the experiment or processor (give
its parameters to qhpc instead: ``run(..., noise={"photonic": {...}})``).

**To Perceval** (:func:`to_perceval`): an ``Experiment`` with the circuit (:func:`to_perceval_circuit`),
the input state, heralds (``add_herald``; an output-only herald where the input differs), the
post-selection (``PostSelect``, Perceval's syntax is the model's) and ``min_detected_photons_filter(0)``
(the model has no photon-count filter beyond its conditions).

Perceval is imported by these functions, never by :mod:`qhpc_perceval.plugin`.
"""

from __future__ import annotations

import re
from typing import Any

from qhpc.errors import TranslationError
from qhpc.interfaces import defined_in
from qhpc_interop.photonic import (
    BeamSplitter,
    Component,
    Condition,
    Permutation,
    PhaseShifter,
    PhotonicError,
    PhotonicProgram,
    Unitary,
)

_CONDITION = re.compile(r"\s*\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*(==|!=|<=|>=|<|>)\s*(\d+)\s*")


def is_perceval_program(program: object) -> bool:
    """Whether ``program`` is a Perceval circuit, component, experiment or processor."""
    if not defined_in(program, "perceval"):
        return False
    import perceval as pcvl
    from perceval.runtime.legacy.abstract_processor import AProcessor

    return isinstance(program, (pcvl.ACircuit, pcvl.Experiment, AProcessor))


# -- from Perceval ---------------------------------------------------------------------------------


def _value(component: Any, name: str, where: str) -> float:
    param = component.param(name)
    if not param.defined:
        raise TranslationError(f"{where}: parameter {param.name!r} has no value; set it "
                               f"(param.set_value) before running")
    return float(param)


def component_from_perceval(modes: tuple[int, ...] | list[int], component: Any, where: str) -> Component | None:
    """The model component equal to a Perceval component placed on ``modes`` (``None`` for a barrier)."""
    import perceval as pcvl

    start = int(modes[0])
    if isinstance(component, pcvl.Barrier):
        return None
    if getattr(component, "requires_polarization", False) or isinstance(component, (pcvl.PBS, pcvl.WP, pcvl.PR)):
        raise TranslationError(f"{where}: {component.describe()} acts on polarisation, which the photonic model "
                               "does not hold")
    if isinstance(component, pcvl.BS):
        theta, tl, bl, tr, br = (_value(component, n, where) for n in ("theta", "phi_tl", "phi_bl", "phi_tr", "phi_br"))
        return BeamSplitter(start, theta, tl, bl, tr, br, convention=component.convention.name)
    if isinstance(component, pcvl.PS):
        if _value(component, "max_error", where) != 0:
            raise TranslationError(f"{where}: a PS with max_error draws a random phase; give the error to qhpc's "
                                   "noise model instead (photonic phase_error)")
        return PhaseShifter(start, _value(component, "phi", where))
    if isinstance(component, pcvl.PERM):
        return Permutation(start, tuple(int(v) for v in component.perm_vector))
    if isinstance(component, pcvl.Unitary):
        return Unitary(start, component.compute_unitary())
    if isinstance(component, pcvl.ACircuit) and not component.is_composite():
        raise TranslationError(f"{where}: {type(component).__name__} ({component.describe()}) is not a component "
                               "the photonic model holds (BS, PS, PERM, Unitary)")
    raise TranslationError(f"{where}: {type(component).__name__} is not a linear-optical component (time delays, "
                           "loss channels and feed-forward cannot be written in the photonic model)")


def parse_postselect(text: str) -> list[Condition]:
    """The conditions of a ``PostSelect`` written ``"[0,1]==1 & [2]<2"`` (conjunctions only)."""
    body = text.strip()
    while body.startswith("(") and body.endswith(")"):
        body = body[1:-1].strip()
    if not body:
        return []
    conditions = []
    for part in body.replace("(", " ").replace(")", " ").split("&"):
        found = _CONDITION.fullmatch(part)
        if found is None:
            raise TranslationError(f"post-selection {text!r}: only conditions joined with '&' can be written in the "
                                   f"photonic model, not {part.strip()!r}")
        modes = tuple(int(m) for m in found.group(1).split(","))
        conditions.append(Condition(modes, found.group(2), int(found.group(3))))
    return conditions


def _check_noise(noise: Any, what: str) -> None:
    if noise is None:
        return
    given = noise.__dict__()  # Perceval's NoiseModel.__dict__() lists the parameters that differ from perfect
    if given:
        shown = ", ".join(f'"{k}": {v!r}' for k, v in sorted(given.items()))
        raise TranslationError(f"the {what} carries a Perceval noise model; qhpc applies noise per run, so leave it "
                               f"out and run with noise={{\"photonic\": {{{shown}}}}}")


def from_perceval(program: Any) -> PhotonicProgram:
    """The photonic model of a Perceval ``Experiment`` or ``Processor`` (see the module docstring)."""
    import perceval as pcvl
    from perceval.runtime.legacy.abstract_processor import AProcessor

    if isinstance(program, AProcessor):
        if getattr(program, "is_remote", False):
            raise TranslationError("a remote Perceval processor has no local experiment to translate; build the "
                                   "Experiment and submit that")
        _check_noise(getattr(program, "noise", None), "processor")
        experiment = program.experiment
    elif isinstance(program, pcvl.Experiment):
        experiment = program
    elif isinstance(program, pcvl.ACircuit):
        raise TranslationError(f"a Perceval {type(program).__name__} has no input state; wrap it in an Experiment "
                               "and give one: pcvl.Experiment(circuit).with_input(pcvl.BasicState([...]))")
    else:
        raise TranslationError(f"{type(program).__name__} is not a Perceval experiment or processor")
    _check_noise(experiment.noise, "experiment")
    if experiment.has_feedforward:
        raise TranslationError("the experiment uses feed-forward, which the photonic model does not hold")
    detection = str(getattr(experiment.detection_type, "name", experiment.detection_type))
    if detection != "PNR":
        raise TranslationError(f"the experiment's detectors are {detection}; the photonic model counts photons "
                               "with number-resolving detectors only")
    state = experiment.input_state
    if state is None:
        raise TranslationError("the experiment has no input state; give one with with_input(pcvl.BasicState([...]))")
    if not isinstance(state, pcvl.FockState) or isinstance(state, pcvl.AnnotatedFockState) \
            or isinstance(state, pcvl.NoisyFockState):
        raise TranslationError(f"the experiment's input {state} is a {type(state).__name__}; the photonic model "
                               "takes one Fock state (pcvl.BasicState) without annotations")
    modes = experiment.circuit_size
    try:
        out = PhotonicProgram(modes, list(state), name=getattr(experiment, "name", None) or None)
        for k, (r, component) in enumerate(experiment.flatten()):
            converted = component_from_perceval(tuple(r), component, f"component {k}")
            if converted is not None:
                out.add(converted)
        for mode, count in sorted(experiment.heralds.items()):
            out.herald(int(mode), int(count))
        selection = experiment.post_select_fn
        if selection is not None and selection.has_condition:
            for condition in parse_postselect(str(selection)):
                out.postselect(condition.modes, condition.op, condition.count)
        at_least = experiment.min_photons_filter
        if at_least:
            free = tuple(m for m in range(modes) if m not in experiment.heralds)
            out.postselect(free, ">=", int(at_least))
    except PhotonicError as exc:
        raise TranslationError(f"the Perceval experiment: {exc}") from None
    return out


# -- to Perceval -------------------------------------------------------------------------------------


def component_to_perceval(component: Component) -> Any:
    """The Perceval component with the same matrix."""
    import perceval as pcvl

    if isinstance(component, BeamSplitter):
        convention = getattr(pcvl.BSConvention, component.convention)
        return pcvl.BS(component.theta, component.phi_tl, component.phi_bl, component.phi_tr, component.phi_br,
                       convention=convention)
    if isinstance(component, PhaseShifter):
        return pcvl.PS(component.phi)
    if isinstance(component, Permutation):
        return pcvl.PERM(list(component.mapping))
    if isinstance(component, Unitary):
        return pcvl.Unitary(pcvl.Matrix(component.matrix()))
    raise TranslationError(f"{component} has no Perceval equivalent")  # pragma: no cover - every kind is above


def to_perceval_circuit(program: PhotonicProgram) -> Any:
    """The program's components as a ``pcvl.Circuit`` of ``program.modes`` modes."""
    import perceval as pcvl

    circuit = pcvl.Circuit(program.modes)
    for component in program.components:
        circuit.add(component.modes, component_to_perceval(component))
    return circuit


def postselect_to_perceval(program: PhotonicProgram, *, heralds: bool = False) -> Any:
    """The program's conditions (and, with ``heralds``, its heralds) as a ``pcvl.PostSelect``, or ``None``."""
    import perceval as pcvl

    parts = [f"[{m}]=={n}" for m, n in sorted(program.heralds.items())] if heralds else []
    parts += [str(c) for c in program.conditions]
    return pcvl.PostSelect(" & ".join(parts)) if parts else None


def to_perceval(program: PhotonicProgram) -> Any:
    """A ``pcvl.Experiment`` equal to ``program`` (see the module docstring)."""
    import perceval as pcvl
    from perceval.components import PortLocation

    experiment = pcvl.Experiment(to_perceval_circuit(program), name=program.name or "qhpc")
    heralds = program.heralds
    given = []
    for mode in range(program.modes):
        if mode in heralds and program.input_state[mode] == heralds[mode]:
            experiment.add_herald(mode, heralds[mode])
        else:
            if mode in heralds:
                experiment.add_herald(mode, heralds[mode], location=PortLocation.OUTPUT)
            given.append(program.input_state[mode])
    experiment.with_input(pcvl.BasicState(given))
    selection = postselect_to_perceval(program)
    if selection is not None:
        experiment.set_postselection(selection)
    experiment.min_detected_photons_filter(0)
    return experiment
