"""The qhpc plugin for myQLM (entry point ``myqlm`` in the ``qhpc.plugins`` group).

Provides the ``myqlm`` program format (``qat.core.Circuit``, and ``qat.lang.AQASM.Program`` read
through ``to_circ()``; files: myQLM's binary ``.circ``), translators both ways between it and the
model, and the ``myqlm.pylinalg`` and ``myqlm.clinalg`` emulator backends. Importing this module
does not import myQLM (``qat``): that happens on first use.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from qhpc import hookimpl
from qhpc.errors import ProgramError
from qhpc.interfaces import MODEL_FORMAT, Backend, ProgramFormat, Translator, defined_in
from qhpc_interop.graph import PROPERTIES


class MyQLMFormat(ProgramFormat):
    name = "myqlm"
    description = "myQLM qat.core.Circuit or qat.lang.AQASM.Program (files: myQLM's binary .circ)"
    extensions = (".circ",)
    binary = True
    holds = PROPERTIES - {"barriers", "registers", "qubit_identity", "layout"}
    # a myQLM job reads every qubit at the end: a circuit without MEASURE runs to all its qubits' values
    samples_all_qubits = True

    def detect(self, program: object) -> bool:
        if not defined_in(program, "qat") or "qat" not in sys.modules:
            return False
        from .translate import load_qat

        load_qat()
        from qat.core import Circuit
        from qat.lang.AQASM import Program

        return isinstance(program, (Circuit, Program))

    def load_file(self, path: Path) -> Any:
        from .translate import load_qat

        load_qat()
        from qat.core import Circuit

        data = Path(path).read_bytes()
        try:
            circ = Circuit.from_bytes(data)
        except Exception as exc:
            raise ProgramError(f"{path}: not a myQLM circuit file ({type(exc).__name__}: {exc})") from None
        if not isinstance(getattr(circ, "nbqbits", None), int) or circ.ops is None:
            raise ProgramError(f"{path}: not a myQLM circuit file (no qubit count or operations)")
        return circ

    def dumps(self, program: Any) -> bytes:
        circ = program.to_circ() if hasattr(program, "to_circ") and not hasattr(program, "gateDic") else program
        with tempfile.TemporaryDirectory() as tmp:
            target = os.path.join(tmp, "program.circ")
            circ.dump(target)
            return Path(target).read_bytes()


class _FromMyQLM(Translator):
    name = "myqlm-import"
    source = "myqlm"
    target = MODEL_FORMAT
    # myQLM circuits hold no global phase, barriers, register names or qubit identities: nothing of
    # them can be lost; everything else is read exactly or refused by name
    preserves = PROPERTIES

    def convert(self, program: Any) -> Any:
        from .translate import circuit_from_myqlm

        return circuit_from_myqlm(program)


class _ToMyQLM(Translator):
    name = "myqlm-export"
    source = MODEL_FORMAT
    target = "myqlm"
    # a myQLM circuit has no barrier, no register names and no qubit identities (it numbers
    # qubits); its missing global phase field is made up for exactly with PH X PH X gates
    preserves = PROPERTIES - {"barriers", "registers", "qubit_identity", "layout"}

    def convert(self, program: Any) -> Any:
        from .translate import circuit_to_myqlm

        return circuit_to_myqlm(program)

    def drops(self, program: Any) -> frozenset[str]:
        """Register names, where the circuit has classical registers or quantum registers other than
        the default (myQLM keeps bits and qubits, by number); barriers, qubit identities and a
        layout record, where it has them."""
        from qhpc_interop.features import named_qregs

        lost = PROPERTIES - self.preserves
        return frozenset(lost if program.cregs or named_qregs(program) else lost - {"registers"})

    def loss_details(self, program: Any, lost: frozenset[str]) -> dict[str, str]:
        from qhpc_interop.features import named_qregs

        if "registers" not in lost:
            return {}
        parts = [f"classical register(s) {', '.join(r.name for r in program.cregs)}"] if program.cregs else []
        if named_qregs(program):
            parts.append(f"quantum register(s) {', '.join(r.name for r in program.qregs)}")
        return {"registers": "; ".join(parts)}


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [MyQLMFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [_FromMyQLM(), _ToMyQLM()]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import myqlm_backends

    return myqlm_backends()
