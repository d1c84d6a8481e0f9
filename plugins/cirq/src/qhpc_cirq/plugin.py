"""The qhpc plugin for Cirq (entry point ``cirq`` in the ``qhpc.plugins`` group).

Provides the ``cirq`` program format (``cirq.Circuit``; files: Cirq's JSON), translators both ways
between it and the model, and the Cirq simulator backends. Importing this module does not import
Cirq (about 2 s): that happens on first use.
"""

from __future__ import annotations

import json
import math
import re
import sys
from operator import attrgetter
from pathlib import Path
from typing import Any

from qhpc import hookimpl
from qhpc.errors import ProgramError, TranslationError
from qhpc.interfaces import MODEL_FORMAT, Backend, ProgramFormat, Translator, defined_in
from qhpc_interop.features import layout_record
from qhpc_interop.graph import PROPERTIES


class CirqFormat(ProgramFormat):
    """``cirq.Circuit`` and ``cirq.FrozenCircuit``; files: Cirq's own JSON (``cirq.to_json``).

    Cirq's JSON shares ``.json`` with qhpc's JSON documents, which name their format in a
    ``"format"`` field; a Cirq document is one whose top-level object has a ``"cirq_type"`` (the
    first key ``cirq.to_json`` writes).
    """

    name = "cirq"
    description = "cirq.Circuit (files: Cirq's JSON, cirq.to_json)"
    holds = PROPERTIES - {"barriers", "layout"}
    extensions = (".json",)

    def detect(self, program: object) -> bool:
        if not defined_in(program, "cirq") or "cirq" not in sys.modules:
            return False
        import cirq

        return isinstance(program, cirq.AbstractCircuit)

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.extensions and names_cirq_type(head)

    def load_file(self, path: Path) -> Any:
        return self.loads(Path(path).read_text(encoding="utf-8-sig"), str(path))

    def loads(self, text: str, where: str = "program") -> Any:
        import cirq

        try:
            found = cirq.read_json(json_text=text)
        except RecursionError:
            raise ProgramError(f"{where}: a Cirq JSON document nested too deeply to read") from None
        except Exception as exc:  # Cirq's reader on a corrupt or hand-edited document
            raise ProgramError(f"{where}: not a readable Cirq JSON circuit ({type(exc).__name__}: "
                               f"{_first_line(exc)})") from None
        if isinstance(found, cirq.AbstractCircuit):
            return found
        what = type(found).__name__
        hint = (": put the operations in a cirq.Circuit before writing it" if isinstance(found, (
            cirq.Moment, cirq.Operation, cirq.Gate, list)) else "")
        raise ProgramError(f"{where}: this Cirq JSON document holds a {what}, not a circuit{hint}")

    def dumps(self, program: Any) -> str:
        import cirq

        try:
            return str(cirq.to_json(program))
        except TypeError as exc:  # "Object of type exp is not JSON serializable"
            error = exc
        # Cirq's serializer has no sympy exp, which a symbolic global phase e^{ix} is: such a phase is
        # written exactly as gates on a qubit, Z^a X Z^a X with a = x/pi (as the myQLM writer writes
        # a phase PH X PH X), which Cirq resolves and simulates as the phase
        rewritten = _phases_as_gates(program)
        if rewritten is not None:
            try:
                return str(cirq.to_json(rewritten))
            except TypeError as exc:
                error = exc
        found = re.search(r"Object of type (\w+)", str(error))
        what = f"sympy's {found.group(1)}" if found else "an object in this circuit"
        raise TranslationError(
            f"Cirq's JSON cannot hold {what} (Cirq's serializer writes symbols, sums, products, powers and "
            "numbers): bind the parameters first, or write qhpc.json or qasm3, which keep them")


def _phases_as_gates(circuit: Any) -> Any:
    """``circuit`` with each symbolic ``GlobalPhaseGate`` e^{ix} written as Z^a X Z^a X (a = x/pi) on
    its first qubit (``None``: it has none, or no qubit to carry them)."""
    import cirq
    import sympy

    qubits = sorted(circuit.all_qubits())
    if not qubits:
        return None
    carrier = qubits[0]
    moments: list[Any] = []
    changed = False
    for moment in circuit:
        kept = []
        for op in moment.operations:
            gate = op.gate
            coefficient = gate.coefficient if isinstance(gate, cirq.GlobalPhaseGate) else None
            if isinstance(coefficient, sympy.exp) and coefficient.free_symbols:
                a = sympy.expand(coefficient.args[0] / sympy.I / math.pi)
                moments += [cirq.Moment(cirq.Z(carrier) ** a), cirq.Moment(cirq.X(carrier)),
                            cirq.Moment(cirq.Z(carrier) ** a), cirq.Moment(cirq.X(carrier))]
                changed = True
            else:
                kept.append(op)
        moments.append(cirq.Moment(kept))
    return cirq.Circuit(moments) if changed else None


_CIRQ_TYPE_FIRST = re.compile(rb'^\s*(?:\[\s*)?\{\s*"cirq_type"\s*:')


def names_cirq_type(head: bytes) -> bool:
    """Whether a JSON document (from its first bytes) is Cirq's: its top-level object (or a
    top-level list's first) has a ``"cirq_type"`` key: first, as ``cirq.to_json`` writes it, or
    anywhere in a whole document; in the first bytes of a longer one, anywhere, where they name no
    qhpc ``"format"``."""
    from qhpc.builtin import json_format_field

    head = head.removeprefix(b"\xef\xbb\xbf")
    if _CIRQ_TYPE_FIRST.match(head):
        return True
    if b'"cirq_type"' not in head:
        return False
    try:
        doc = json.loads(head)
    except RecursionError:
        return False
    except ValueError:  # the first bytes of a longer document
        return json_format_field(head) is None
    if isinstance(doc, list) and doc:
        doc = doc[0]
    return isinstance(doc, dict) and "cirq_type" in doc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else ""


#: What each direction keeps (named here, so that a property the core adds later is not claimed
#: unexamined). Cirq -> model keeps everything the model can hold (Cirq has no barriers, so none are
#: lost; keys become classical registers; qubit identities go to ``metadata["qubits"]``).
IMPORT_PRESERVES = frozenset({
    "unitary", "global_phase", "parameters", "measurements", "mid_circuit_measurement", "conditionals",
    "resets", "barriers", "registers", "qubit_identity", "layout",
}) & PROPERTIES
#: Model -> Cirq drops barriers and quantum registers (Cirq has neither), classical registers no
#: measurement writes (Cirq's classical data are measurement records), and Qiskit's layout record
#: (a Cirq circuit has none, so reading one loses none).
EXPORT_PRESERVES = IMPORT_PRESERVES - {"barriers", "registers", "layout"}


class _FromCirq(Translator):
    name = "cirq-import"
    source = "cirq"
    target = MODEL_FORMAT
    preserves = IMPORT_PRESERVES

    def convert(self, program: Any) -> Any:
        from .translate import circuit_from_cirq

        return circuit_from_cirq(program)


class _ToCirq(Translator):
    name = "cirq-export"
    source = MODEL_FORMAT
    target = "cirq"
    preserves = EXPORT_PRESERVES

    def convert(self, program: Any) -> Any:
        from .translate import circuit_to_cirq

        return circuit_to_cirq(program)

    def drops(self, program: Any) -> frozenset[str]:
        """Barriers, if the circuit has any; a transpile layout record, if it has one; register
        names, where :func:`_register_losses` finds one lost."""
        from qhpc_interop.ir import Barrier

        lost = set()
        types = list(map(type, map(_operation_of, program.instructions)))  # C-level passes: large circuits
        if Barrier in types:
            lost.add("barriers")
        if layout_record(program.metadata) is not None:
            lost.add("layout")
        if _register_losses(program, types):
            lost.add("registers")
        return frozenset(lost)

    def loss_details(self, program: Any, lost: frozenset[str]) -> dict[str, str]:
        if "registers" not in lost:
            return {}
        return {"registers": "; ".join(_register_losses(program))}


def _register_losses(program: Any, types: list[type] | None = None) -> list[str]:
    """What Cirq loses of the circuit's registers: quantum register names other than the default
    (Cirq has none); classical registers with a bit no measurement writes, and bits in no register
    no measurement writes (Cirq's classical data are measurement records); the registers' layout
    where Cirq gives them back in another order (keys come back in order of first measurement,
    and have no order of their own) or under other names."""
    from qhpc_interop.features import named_qregs
    from qhpc_interop.ir import Measure

    out = []
    if named_qregs(program):
        out.append(f"quantum register(s) {', '.join(r.name for r in program.qregs)}")
    instructions = program.instructions
    if types is None:
        types = list(map(type, map(_operation_of, instructions)))
    measures = [instructions[k] for k, t in enumerate(types) if t is Measure] if Measure in types else []
    written = {c for inst in measures for c in inst.clbits}
    unwritten = [reg.name for reg in program.cregs if set(reg.bits) - written]
    if unwritten:
        out.append(f"classical register(s) {', '.join(unwritten)} (bits no measurement writes)")
    in_registers = [b for reg in program.cregs for b in reg.bits]
    loose = program.num_clbits - len(written | set(in_registers))
    if loose > 0:
        out.append(f"{loose} classical bit(s) in no register that no measurement writes")
    if unwritten:
        return out
    names = ", ".join(r.name for r in program.cregs)
    if len(in_registers) != len(set(in_registers)):  # aliases: each bit is written under one key only
        out.append(f"classical register(s) {names}, which share bits")
    elif not _layout_kept(program, measures):
        out.append(f"the order of classical register(s) {names} (Cirq gives keys back in order of first measurement)")
    renamed = _renamed(program)
    if renamed:
        out.append(f"classical register(s) named like a bit of another, written under other keys: {', '.join(renamed)}")
    return out


_operation_of = attrgetter("operation")


def _renamed(program: Any) -> list[str]:
    """The registers named like bit ``i`` of another (``c[0]`` beside ``c``), each with the key the
    export writes it under (:func:`qhpc_cirq.to_cirq.whole_key`)."""
    from ._shared import bit_key
    from .to_cirq import whole_key

    registers = {r.name: r.bits for r in program.cregs}
    return [f"{name!r} as {whole_key(name, registers)!r}" for name in registers
            if (named := bit_key(name)) is not None and named[0] in registers]


def _layout_kept(program: Any, measures: list[Any]) -> bool:
    """Whether the registers, read back from Cirq in order of first measurement, each over
    consecutive clbits, give the circuit's own clbit order (``measures``: its measurements in order)."""
    owner: dict[int, Any] = {}
    for reg in program.cregs:
        for b in reg.bits:
            owner.setdefault(b, reg)
    first: dict[str, Any] = {}
    for inst in measures:
        for c in inst.clbits:
            reg = owner.get(c)
            if reg is not None:
                first.setdefault(reg.name, reg)
    layout = [b for reg in first.values() for b in reg.bits]
    return layout == list(range(len(layout)))


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    return [CirqFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [_FromCirq(), _ToCirq()]


@hookimpl
def qhpc_backends() -> list[Backend]:
    from .backends import cirq_backends

    return cirq_backends()
