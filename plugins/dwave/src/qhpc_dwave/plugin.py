"""The qhpc plugin for the annealing paradigm (entry point ``dwave`` in the ``qhpc.plugins`` group).

Provides the annealing program formats ``dimod`` (``dimod.BinaryQuadraticModel``), ``dimod.qubo``
(``{(u, v): bias}``), ``dimod.ising`` (``(h, J)`` or ``(h, J, offset)``), ``myqlm.opt`` (myQLM's
``qat.opt`` ``QUBO``, ``Ising``, ``CombinatorialProblem``) and ``qiskit-optimization``
(``QuadraticProgram``), their translators to the hub ``qhpc.bqm`` (and back to dimod), and the
backends ``dwave.sa``, ``dwave.sqa``, ``dwave.tabu``, ``dwave.steepest``, ``dwave.exact``
(:mod:`qhpc_dwave.backends`). Importing this module imports none of dimod, dwave-samplers, myQLM
or Qiskit: formats recognise a program by its class's module first, and import its SDK only then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qhpc import hookimpl
from qhpc.interfaces import Backend, ProgramFormat, Translator, defined_in
from qhpc_interop.graph import PROPERTIES

HUB = "qhpc.bqm"


class _AnnealingFormat(ProgramFormat):
    kind = "annealing"

    def __init__(self, name: str, description: str, detect: Callable[[object], bool]) -> None:
        self.name = name
        self.description = description
        self._detect = detect

    def detect(self, program: object) -> bool:
        return bool(self._detect(program))


def _is_dimod(program: object) -> bool:
    if not defined_in(program, "dimod"):
        return False
    import dimod

    return isinstance(program, dimod.BinaryQuadraticModel)


def _lazy(function: str) -> Callable[[object], Any]:
    def call(program: object) -> Any:
        from . import translate

        return getattr(translate, function)(program)

    return call


class _Translator(Translator):
    # the gate features (global phase, registers, barriers...) do not occur in annealing problems, so
    # none can be lost; what an annealing translator keeps (the energy of every assignment, labels,
    # order, vartype) is checked by the tests against each framework's own energy function
    preserves = PROPERTIES

    def __init__(self, name: str, source: str, target: str, convert: Callable[[object], Any]) -> None:
        self.name = name
        self.source = source
        self.target = target
        self._convert = convert

    def convert(self, program: Any) -> Any:
        return self._convert(program)


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [
        _AnnealingFormat("dimod", "dimod.BinaryQuadraticModel (D-Wave Ocean)", _is_dimod),
        _AnnealingFormat("dimod.qubo", "a QUBO dictionary {(u, v): bias}, diagonal terms linear",
                         _lazy("is_qubo")),
        _AnnealingFormat("dimod.ising", "an Ising problem (h, J) or (h, J, offset)", _lazy("is_ising")),
        _AnnealingFormat("myqlm.opt", "myQLM's qat.opt QUBO, Ising or CombinatorialProblem",
                         _lazy("is_myqlm_problem")),
        _AnnealingFormat("qiskit-optimization", "Qiskit's QuadraticProgram (binary variables, no constraints)",
                         _lazy("is_quadratic_program")),
    ]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [
        _Translator("dimod-import", "dimod", HUB, _lazy("from_dimod")),
        _Translator("dimod-export", HUB, "dimod", _lazy("to_dimod")),
        _Translator("qubo-import", "dimod.qubo", HUB, _lazy("from_qubo")),
        _Translator("ising-import", "dimod.ising", HUB, _lazy("from_ising")),
        _Translator("myqlm-opt-import", "myqlm.opt", HUB, _lazy("from_myqlm")),
        _Translator("qiskit-optimization-import", "qiskit-optimization", HUB, _lazy("from_quadratic_program")),
    ]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import annealing_backends

    return annealing_backends()
