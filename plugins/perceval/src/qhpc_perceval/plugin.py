"""The qhpc plugin for Perceval (entry point ``perceval`` in the ``qhpc.plugins`` group).

Provides the ``perceval`` program format (``pcvl.Experiment`` and local ``pcvl.Processor`` objects, in
memory; a bare circuit is recognised so that qhpc can say it needs an input state), the translators
``perceval-import`` and ``perceval-export`` between it and the photonic hub ``qhpc.photonic``, the
emulators ``perceval.slos`` and ``perceval.naive`` (:mod:`qhpc_perceval.backends`) and the compiler
``perceval.dual-rail`` from gate circuits to dual-rail linear optics (:mod:`qhpc_perceval.dual_rail`).

Importing this module imports neither Perceval nor sympy: formats recognise a program by its class's
module first, and import Perceval only then.

The ``perceval`` format has no file form: Perceval's own archives (``perceval.serialization``)
evaluate the expressions they hold with sympy, which runs code from the file, so qhpc never reads
them; the photonic model's JSON (``.qphot``) is the file form of photonic programs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qhpc import hookimpl
from qhpc.interfaces import Backend, Compiler, ProgramFormat, Translator

HUB = "qhpc.photonic"


class PercevalFormat(ProgramFormat):
    name = "perceval"
    kind = "photonic"
    description = "Perceval experiments and processors (pcvl.Experiment, pcvl.Processor; in memory)"

    def detect(self, program: object) -> bool:
        from .translate import is_perceval_program

        return is_perceval_program(program)


class _Translator(Translator):
    preserves: frozenset[str] = frozenset()  # the gate features (global phase, registers...) do not apply

    def __init__(self, name: str, source: str, target: str, convert: Callable[[Any], Any]) -> None:
        self.name = name
        self.source = source
        self.target = target
        self._convert = convert

    def convert(self, program: Any) -> Any:
        return self._convert(program)


def _from_perceval(program: Any) -> Any:
    from .translate import from_perceval

    return from_perceval(program)


def _to_perceval(program: Any) -> Any:
    from .translate import to_perceval

    return to_perceval(program)


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [PercevalFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [_Translator("perceval-import", "perceval", HUB, _from_perceval),
            _Translator("perceval-export", HUB, "perceval", _to_perceval)]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import PercevalBackend

    return [PercevalBackend("slos"), PercevalBackend("naive")]


@hookimpl
def qhpc_compilers() -> list[Compiler]:
    from .dual_rail import DualRailCompiler

    return [DualRailCompiler()]
