"""The qhpc plugin for Pulser (entry point ``pulser`` in the ``qhpc.plugins`` group).

Provides the ``pulser`` program format (``pulser.Sequence``, in memory; analog kind), translators
both ways between it and the analog model ``qhpc.analog``, one QuTiP emulator backend per Pulser
device (``pulser.analog``, ``pulser.digital_analog``, ``pulser.mock``) and the
``pulser.gates-to-pulses`` compiler that takes gate circuits onto ``DigitalAnalogDevice``.
Importing this module does not import Pulser (seconds, with QuTiP): that happens on first use.
"""

from __future__ import annotations

import sys
from typing import Any

from qhpc import hookimpl
from qhpc.interfaces import Backend, Compiler, ProgramFormat, Translator, defined_in
from qhpc_interop.analog import FORMAT as ANALOG_FORMAT

#: What the translators keep, in the terms of the conversion graph: the program's variables.
PRESERVES = frozenset({"parameters"})


class PulserFormat(ProgramFormat):
    """``pulser.Sequence`` objects (built or parametrised). No file form of its own: Pulser's abstract
    representation is read through ``qhpc.analog`` files (``.analog.json``)."""

    name = "pulser"
    kind = "analog"
    description = "pulser.Sequence (in memory)"
    holds = PRESERVES

    def detect(self, program: object) -> bool:
        if not defined_in(program, "pulser") or "pulser" not in sys.modules:
            return False
        import pulser

        return isinstance(program, pulser.Sequence)


class _FromPulser(Translator):
    name = "pulser-import"
    source = "pulser"
    target = ANALOG_FORMAT
    preserves = PRESERVES

    def convert(self, program: Any) -> Any:
        from .translate import sequence_to_program

        return sequence_to_program(program)


class _ToPulser(Translator):
    name = "pulser-export"
    source = ANALOG_FORMAT
    target = "pulser"
    preserves = PRESERVES

    def convert(self, program: Any) -> Any:
        from .translate import program_to_sequence

        return program_to_sequence(program)


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [PulserFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [_FromPulser(), _ToPulser()]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import pulser_backends

    return pulser_backends()


@hookimpl
def qhpc_compilers() -> list[Compiler]:
    from .compiler import GateToPulseCompiler

    return [GateToPulseCompiler()]
