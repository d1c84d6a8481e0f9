"""``pulser.Sequence`` <-> :class:`qhpc_interop.analog.AnalogProgram`, through Pulser's abstract
representation (``Sequence.to_abstract_repr()`` / ``Sequence.from_abstract_repr()``).

Both directions are exact: the program keeps every field of the abstract representation (the
register, the device description, the declared channels, every operation with its waveforms as
Pulser describes them, the measurement basis, the declared variables), so
``program_to_sequence(sequence_to_program(seq))`` writes the same abstract representation as
``seq``. A parametrised sequence stays parametrised; a program whose variables are all bound
becomes the built sequence (``Sequence.build(**values)``).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from qhpc.errors import TranslationError
from qhpc_interop.analog import AnalogError, AnalogProgram


def sequence_to_program(sequence: Any) -> AnalogProgram:
    """The analog program of a ``pulser.Sequence`` (built or parametrised)."""
    import pulser

    if not isinstance(sequence, pulser.Sequence):
        raise TranslationError(f"expected a pulser.Sequence, got {type(sequence).__name__}")
    if sequence.is_register_mappable():
        raise TranslationError("the sequence's register is mappable (atoms are placed when it is built): "
                               "build it with a register first")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # Pulser checks its own output against its JSON schema unless told not to (tens of ms);
            # the model reads every field it relies on, and the way back is validated by Pulser
            text = sequence.to_abstract_repr(skip_validation=True)
    except Exception as exc:
        raise TranslationError(f"Pulser cannot write this sequence in its abstract representation: "
                               f"{type(exc).__name__}: {exc}") from None
    try:
        return AnalogProgram.from_abstract_repr(text)
    except AnalogError as exc:
        raise TranslationError(f"the sequence's abstract representation cannot be read: {exc}") from None


def abstract_repr_json(program: AnalogProgram, device: Any = None) -> str:
    """The program's abstract representation as JSON text, with ``device`` (a Pulser device) in
    place of the program's own device description when given."""
    data = program.to_abstract_repr()
    if device is not None:
        data["device"] = json.loads(device.to_abstract_repr())
    return json.dumps(data)


def program_to_sequence(program: AnalogProgram, device: Any = None) -> Any:
    """The ``pulser.Sequence`` of an analog program: built if its variables are all bound (or it
    has none), parametrised otherwise. ``device`` (a Pulser device) replaces the program's own."""
    import pulser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sequence = pulser.Sequence.from_abstract_repr(abstract_repr_json(program, device))
            if program.variables and not program.free_variables:
                sequence = sequence.build(**program.variable_values())  # type: ignore[arg-type]
    except Exception as exc:
        target = device.name if device is not None else program.device
        raise TranslationError(f"Pulser refuses the sequence on {target}: {_one_line(exc)}") from None
    return sequence


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."
