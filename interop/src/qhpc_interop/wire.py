"""The versioned JSON wire format for circuits (``qhpc.circuit``, version 1).

It round-trips exactly: floats are written with Python's shortest round-tripping ``repr``,
parameter expressions as trees, unitary matrices as ``[re, im]`` pairs. A document looks like::

    {"format": "qhpc.circuit", "version": 1, "name": "bell", "num_qubits": 2, "num_clbits": 2,
     "global_phase": 0.0,
     "qregs": [{"name": "q", "bits": [0, 1]}], "cregs": [{"name": "c", "bits": [0, 1]}],
     "metadata": {},
     "instructions": [
        {"op": "h", "qubits": [0]},
        {"op": "rz", "params": [["*", 2.0, ["param", "theta"]]], "qubits": [1]},
        {"op": "cx", "qubits": [0, 1]},
        {"op": "measure", "qubits": [0], "clbits": [0]},
        {"op": "x", "qubits": [1], "condition": {"clbits": [0], "value": 1}},
        {"op": "unitary", "matrix": [[[0.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]], "qubits": [0]}]}

A reader refuses a document of a newer version than it knows, naming both versions.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .errors import InteropError, WireFormatError
from .ir import BARRIER, MAX_READ_BITS, MEASURE, RESET, Circuit, Condition, Gate, Instruction, Register, UnitaryGate
from .params import Expr, expr_from_tree

FORMAT = "qhpc.circuit"
VERSION = 1


def _param(value: Any) -> Any:
    return value.to_tree() if isinstance(value, Expr) else value


def to_dict(circuit: Circuit) -> dict[str, Any]:
    """The wire-format document for ``circuit`` as plain JSON-compatible data."""
    instructions: list[dict[str, Any]] = []
    for inst in circuit.instructions:
        op = inst.operation
        entry: dict[str, Any] = {"op": op.name}
        if isinstance(op, UnitaryGate):
            entry["matrix"] = [[[float(z.real), float(z.imag)] for z in row] for row in op.matrix_data]
            if op.label is not None:
                entry["label"] = op.label
        elif op.params:
            entry["params"] = [_param(p) for p in op.params]
        entry["qubits"] = list(inst.qubits)
        if inst.clbits:
            entry["clbits"] = list(inst.clbits)
        if inst.condition is not None:
            cond: dict[str, Any] = {"clbits": list(inst.condition.clbits), "value": inst.condition.value}
            if inst.condition.register is not None:
                cond["register"] = inst.condition.register
            entry["condition"] = cond
        instructions.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": circuit.name,
        "num_qubits": circuit.num_qubits,
        "num_clbits": circuit.num_clbits,
        "global_phase": _param(circuit.global_phase),
        "qregs": [{"name": r.name, "bits": list(r.bits)} for r in circuit.qregs],
        "cregs": [{"name": r.name, "bits": list(r.bits)} for r in circuit.cregs],
        "metadata": circuit.metadata,
        "instructions": instructions,
    }


def dumps(circuit: Circuit, *, indent: int | None = None) -> str:
    """The wire-format JSON text for ``circuit``.

    Metadata must be plain JSON data (objects with string keys, lists, strings, numbers, booleans,
    null) so that it reads back equal; anything else (a tuple, an integer key) is refused.
    """
    _check_writable(circuit)
    try:
        text = json.dumps(to_dict(circuit), indent=indent, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"circuit metadata is not JSON-serialisable: {exc}") from None
    if circuit.metadata and json.loads(json.dumps(circuit.metadata)) != circuit.metadata:
        raise WireFormatError(
            "circuit metadata would not read back equal (tuples become lists, non-string keys become "
            "strings): use plain JSON data"
        )
    return text


def from_dict(doc: Any) -> Circuit:
    """Rebuild a circuit from a wire-format document; :class:`WireFormatError` says what is wrong."""
    if not isinstance(doc, dict):
        raise WireFormatError(f"a wire-format circuit is a JSON object, not {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise WireFormatError(f"not a qhpc circuit document (format is {doc.get('format')!r}, expected {FORMAT!r})")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise WireFormatError(f"invalid wire-format version {version!r}")
    if version > VERSION:
        raise WireFormatError(
            f"wire-format version {version} is newer than this qhpc-interop reads ({VERSION}); upgrade qhpc-interop"
        )
    _known_fields(doc, _DOCUMENT_FIELDS, "the document")
    where = "document"
    try:
        where = "global_phase"
        phase = expr_from_tree(doc.get("global_phase", 0.0))
        where = "document"
        circuit = Circuit(
            num_qubits=_size(doc, "num_qubits"),
            num_clbits=_size(doc, "num_clbits"),
            name=_optional_str(doc.get("name"), "name"),
            global_phase=phase,
            qregs=_registers(doc.get("qregs", []), "qregs"),
            cregs=_registers(doc.get("cregs", []), "cregs"),
            metadata=_metadata(doc.get("metadata")),
        )
        for k, entry in enumerate(_list(doc.get("instructions", []), "instructions")):
            where = f"instruction {k}"
            circuit._check_instruction(inst := _instruction(entry))
            circuit.instructions.append(inst)
    except (InteropError, KeyError, TypeError, ValueError) as exc:  # WireFormatError included: add where
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        if where == "global_phase":  # (the value checks speak of gate parameters)
            detail = detail.replace("a gate parameter", "the global phase")
        raise WireFormatError(f"{where}: {detail}") from None
    return circuit


#: The fields of each object of the format: a field outside these (a misspelt "conditon") would
#: otherwise be ignored, and the program read as another one.
_DOCUMENT_FIELDS = frozenset({"format", "version", "name", "num_qubits", "num_clbits", "global_phase", "qregs",
                              "cregs", "metadata", "instructions"})
_INSTRUCTION_FIELDS = {"measure": frozenset({"op", "qubits", "clbits", "condition"}),
                       "reset": frozenset({"op", "qubits", "clbits", "condition"}),
                       "barrier": frozenset({"op", "qubits", "clbits", "condition"}),
                       "unitary": frozenset({"op", "qubits", "clbits", "condition", "matrix", "label"})}
_GATE_FIELDS = frozenset({"op", "qubits", "clbits", "condition", "params"})
_CONDITION_FIELDS = frozenset({"clbits", "value", "register"})
_REGISTER_FIELDS = frozenset({"name", "bits"})


def _known_fields(entry: dict[str, Any], known: frozenset[str], what: str) -> None:
    if entry.keys() <= known:  # (a subset test makes no set: this runs once per instruction)
        return
    unknown = entry.keys() - known
    if unknown:
        raise WireFormatError(f"{what} has unknown field(s) {', '.join(map(repr, sorted(unknown)))} "
                              f"(its fields are {', '.join(sorted(known))})")


def _int(doc: dict[str, Any], key: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise WireFormatError(f"field {key!r} must be a non-negative integer, not {value!r}")
    return value


def _size(doc: dict[str, Any], key: str) -> int:
    value = _int(doc, key)
    if value > MAX_READ_BITS:
        raise WireFormatError(f"field {key!r} is {value}, more than the readers' limit of {MAX_READ_BITS}")
    return value


def _registers(value: Any, what: str) -> list[Register]:
    registers = [_register(r) for r in _list(value, what)]
    _check_registers(registers, what)
    return registers


def _check_registers(registers: list[Register], what: str) -> None:
    names = [r.name for r in registers]
    for name in names:
        if names.count(name) > 1:
            raise WireFormatError(f"{what}: two registers are named {name!r} (results are keyed by register name)")
    for r in registers:
        if len(set(r.bits)) != len(r.bits):
            seen: set[int] = set()
            twice = next(b for b in r.bits if b in seen or seen.add(b))  # type: ignore[func-returns-value]
            raise WireFormatError(f"register {r.name!r} names bit {twice} twice")


def _check_writable(circuit: Circuit) -> None:
    """What the reader would refuse, refused when writing (so qhpc never writes what it cannot read)."""
    for field, value in (("num_qubits", circuit.num_qubits), ("num_clbits", circuit.num_clbits)):
        if value > MAX_READ_BITS:
            raise WireFormatError(f"field {field!r} is {value}, more than the readers' limit of {MAX_READ_BITS}")
    _check_registers(circuit.qregs, "qregs")
    _check_registers(circuit.cregs, "cregs")


def _indices(value: Any, what: str) -> tuple[int, ...]:
    """A list of bit indices: JSON integers only (no strings, floats or booleans)."""
    items = _list(value, what)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise WireFormatError(f"{what} must be a list of integers, not {value!r}")
    return tuple(items)


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise WireFormatError(f"{what} must be a list, not {type(value).__name__}")
    return value


def _optional_str(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise WireFormatError(f"{what} must be a string or null, not {value!r}")
    return value


def _metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WireFormatError(f"metadata must be a JSON object, not {type(value).__name__}")
    return dict(value)


def _register(entry: Any) -> Register:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise WireFormatError(f"a register is an object with a string name and bits, not {entry!r}")
    _known_fields(entry, _REGISTER_FIELDS, f"register {entry['name']!r}")
    return Register(entry["name"], _indices(entry["bits"], f"register {entry['name']!r} bits"))


def _instruction(entry: Any) -> Instruction:
    if not isinstance(entry, dict):
        raise WireFormatError(f"an instruction is a JSON object, not {entry!r}")
    name = entry["op"]
    if not isinstance(name, str):
        raise WireFormatError(f"op must be a string, not {name!r}")
    known = _INSTRUCTION_FIELDS.get(name, _GATE_FIELDS)
    if not entry.keys() <= known:  # (checked here first: the message is made only when it is needed)
        _known_fields(entry, known, f"the {name!r} instruction")
    qubits = _indices(entry.get("qubits", []), "qubits")
    clbits = _indices(entry.get("clbits", []), "clbits")
    cond = entry.get("condition")
    condition = None
    if cond is not None:
        if not isinstance(cond, dict):
            raise WireFormatError(f"a condition is a JSON object, not {cond!r}")
        _known_fields(cond, _CONDITION_FIELDS, "a condition")
        value = cond["value"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise WireFormatError(f"a condition needs an integer value, not {cond!r}")
        condition = Condition(_indices(cond.get("clbits"), "condition clbits"), value,
                              _optional_str(cond.get("register"), "condition register"))
    if name == "measure":
        op: Any = MEASURE
    elif name == "reset":
        op = RESET
    elif name == "barrier":
        op = BARRIER
    elif name == "unitary":
        rows = entry["matrix"]
        if not isinstance(rows, list) or not all(
                isinstance(row, list) and all(isinstance(z, list) and len(z) == 2 and all(
                    isinstance(x, int | float) and not isinstance(x, bool) for x in z) for z in row) for row in rows):
            raise WireFormatError("a unitary's matrix is rows of [real, imaginary] number pairs")
        matrix = np.array([[complex(re, im) for re, im in row] for row in rows], dtype=complex)
        op = UnitaryGate(matrix, entry.get("label"))
    else:
        # a CircuitError or ParameterError is reported by from_dict with the instruction's index
        op = Gate(name, tuple(expr_from_tree(p) for p in entry.get("params", [])))
    return Instruction(op, qubits, clbits, condition)


def loads(text: str | bytes, *, source: str | None = None) -> Circuit:
    """Read a circuit from wire-format JSON text (``source`` names it in error messages)."""
    where = f"{source}: " if source else ""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WireFormatError(f"{where}not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WireFormatError(f"{where}invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise WireFormatError(f"{where}JSON nested too deeply to read") from None
    except ValueError as exc:  # (an integer literal past Python's 4,300 digits)
        raise WireFormatError(f"{where}JSON that cannot be read: {exc}") from None
    try:
        return from_dict(doc)
    except WireFormatError as exc:
        if not source:
            raise
        raise WireFormatError(f"{where}{exc}") from None
