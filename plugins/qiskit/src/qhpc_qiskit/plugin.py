"""The qhpc plugin for Qiskit (entry point ``qiskit`` in the ``qhpc.plugins`` group).

Provides the ``qiskit`` program format (``QuantumCircuit``; files in QPY), translators both ways
between it and the model, the Aer emulator backends and the ``qiskit`` transpiler compiler.
Importing this module does not import Qiskit: that happens on first use.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from qhpc import hookimpl
from qhpc.errors import ProgramError
from qhpc.interfaces import MODEL_FORMAT, Backend, Compiler, ProgramFormat, Translator, defined_in
from qhpc_interop.graph import PROPERTIES


class QiskitFormat(ProgramFormat):
    name = "qiskit"
    description = "qiskit.QuantumCircuit (files: QPY)"
    extensions = (".qpy",)
    binary = True
    holds = PROPERTIES  # qubit identities travel in QuantumCircuit.metadata

    def detect(self, program: object) -> bool:
        if not defined_in(program, "qiskit") or "qiskit" not in sys.modules:
            return False
        from qiskit import QuantumCircuit

        return isinstance(program, QuantumCircuit)

    def load_file(self, path: Path) -> Any:
        from qiskit import qpy

        with open(path, "rb") as fh:
            if fh.read(6) != b"QISKIT":
                raise ProgramError(f"{path}: not a QPY file (it does not start with the QPY header)")
            fh.seek(0)
            circuits = qpy.load(fh)
        if len(circuits) != 1:
            raise ProgramError(f"{path}: the QPY file holds {len(circuits)} programs; qhpc runs one per job")
        return circuits[0]

    def dumps(self, program: Any) -> bytes:
        from qiskit import qpy

        buffer = io.BytesIO()
        qpy.dump(program, buffer)
        return buffer.getvalue()


class _FromQiskit(Translator):
    name = "qiskit-import"
    source = "qiskit"
    target = MODEL_FORMAT
    preserves = PROPERTIES

    def convert(self, program: Any) -> Any:
        from .translate import circuit_from_qiskit

        return circuit_from_qiskit(program)


class _ToQiskit(Translator):
    name = "qiskit-export"
    source = MODEL_FORMAT
    target = "qiskit"
    preserves = PROPERTIES

    def convert(self, program: Any) -> Any:
        from .translate import circuit_to_qiskit

        return circuit_to_qiskit(program)


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [QiskitFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [_FromQiskit(), _ToQiskit()]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import aer_backends
    from .devices import device_targets

    return aer_backends() + device_targets()


@hookimpl
def qhpc_compilers() -> list[Compiler]:
    from .compiler import QiskitTranspilerCompiler

    return [QiskitTranspilerCompiler()]
