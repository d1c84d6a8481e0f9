"""The readers' fast paths: runs of plain statements read with one regular expression each.

Most of a large program is plain gate calls (``rz(0.25) q[3];``, ``cx q[0], q[1];``) and, in
OpenQASM 3, measurements (``c[2] = measure q[2];``). Matching such a statement with one regular
expression instead of a token at a time makes reading linear with a small constant. A fast path
takes a statement only when it is certain the token reader would read it the same way and
without error; anything else -- another statement, a name in an expression, a comment block, an
index out of range, a qubit used twice, any error -- ends the run, and the token reader goes on
from the same place, so every result and every error message is the token reader's. The tests
read random programs both ways and compare (``test_qasm2_fast_path.py``,
``test_qasm3_fast_path.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..ir import MEASURE, Register, new_instruction
from ..ir import library_gate as library_gate_instance
from .gatedefs import MAX_INSTRUCTIONS, PI
from .lexer import MAX_LITERAL_LENGTH
from .values3 import Register3

_NUMBER = r"(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?)"
_ID = r"[A-Za-z_][A-Za-z0-9_]*"
#: a name ends where no identifier character follows (``hq[0]`` is the name ``hq``, not ``h q[0]``)
_NAME = rf"{_ID}(?![A-Za-z0-9_])"
_OPERAND = rf"{_ID}[ \t]*(?:\[[ \t]*[0-9]{{1,9}}[ \t]*\])?"
#: blank space and line comments, possessive: nothing a pattern matches after it starts with a blank
#: or '/', and backtracking into nested repeats took exponential time on a long blank run or a
#: '////' banner before a statement the pattern does not take
_SKIP = r"(?:[ \t\r\n]++|//[^\n]*+)*+"
_OPERANDS = rf"({_OPERAND}(?:[ \t]*,[ \t]*{_OPERAND})*)"

#: The OpenQASM 2 statements read fast, after blank space and line comments: a gate call (name,
#: argument text, operands: groups 1-3) or ``measure qubits -> bits;`` (groups 4-5).
CALL2 = re.compile(rf"{_SKIP}(?:({_NAME})[ \t]*(?:\(([^()]*)\))?[ \t]*{_OPERANDS}[ \t]*;"
                   rf"|measure[ \t]+({_OPERAND})[ \t]*->[ \t]*({_OPERAND})[ \t]*;)")
#: The OpenQASM 3 statements read fast: a gate call (groups 1-3) or ``bits = measure qubits;``
#: (groups 4-5). OpenQASM 3 identifiers may be any letters: a name with others ends the run.
CALL3 = re.compile(
    rf"{_SKIP}(?:({_NAME})[ \t]*(?:\(([^()]*)\))?[ \t]*{_OPERANDS}[ \t]*;"
    rf"|({_OPERAND})[ \t]*=[ \t]*measure(?![A-Za-z0-9_])[ \t]*({_OPERAND})[ \t]*;)"
)
#: A register size as the fast paths take it: decimal, positive, no leading zero or separator.
_SIZE = r"[ \t]*\[[ \t]*([1-9][0-9]{0,8})[ \t]*\]"
#: The OpenQASM 2 header as the fast path takes it (after blank space and line comments): version
#: 2, 2. or 2.0 (a version the lexer would find too long is left to it); ``end()`` is just after
#: its ';'.
HEADER2 = re.compile(rf"{_SKIP}OPENQASM[ \t]+2(?:\.0{{0,990}})?[ \t]*;")
#: The OpenQASM 2 declarations read fast: ``qreg name[n];`` / ``creg name[n];`` (kind, name, size:
#: groups 1-3) and ``include "qelib1.inc";`` (none of them).
DECL2 = re.compile(rf'{_SKIP}(?:(qreg|creg)[ \t]+({_NAME}){_SIZE}|include[ \t]*"qelib1\.inc")[ \t]*;')
#: Words a gate call's pattern also matches that start a declaration instead (``qreg q[2];``,
#: ``bit c;``): no gate can be named so.
DECLARATION_WORDS2 = frozenset({"qreg", "creg", "include"})
DECLARATION_WORDS3 = frozenset({"qubit", "bit", "qreg", "creg", "include"})
#: The OpenQASM 3 header as the fast path takes it (after blank space and line comments): the
#: version (group 1) is 3 or 3.n (one the lexer would find too long is left to it); ``end()`` is
#: just after its ';'.
HEADER3 = re.compile(rf"{_SKIP}OPENQASM[ \t]+(3(?:\.[0-9]{{1,990}})?)[ \t]*;")
#: The OpenQASM 3 declarations read fast: ``qubit[n] name;`` / ``bit name;`` (kind, size, name:
#: groups 1-3), ``qreg name[n];`` / ``creg name;`` (groups 4-6) and ``include "stdgates.inc";``
#: (none of them). A declaration with an initialiser, an expression for a size, or anything
#: else ends the run.
DECL3 = re.compile(
    rf"{_SKIP}(?:(qubit|bit)(?:{_SIZE}[ \t]*|[ \t]+)({_NAME})|(qreg|creg)[ \t]+({_NAME})(?:{_SIZE})?"
    r'|include[ \t]*"stdgates\.inc")[ \t]*;'
)
_ATOM = rf"({_NUMBER}|pi|π|tau|τ|euler|ℇ)"
_ARG = re.compile(rf"[ \t]*(-?)[ \t]*{_ATOM}[ \t]*(?:([*/])[ \t]*{_ATOM}[ \t]*)?(?:([*/])[ \t]*{_ATOM}[ \t]*)?")
#: one real literal (with a '.' or an exponent), optionally negated: the same value however read
_REAL = re.compile(r"[ \t]*(-?)[ \t]*([0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
                   r"|[0-9]+[eE][+-]?[0-9]+)[ \t]*")
_OPERAND_PARTS = re.compile(rf"({_ID})[ \t]*(?:\[[ \t]*([0-9]+)[ \t]*\])?")
_CONSTANTS = {"pi": PI, "π": PI, "tau": math.tau, "τ": math.tau, "euler": math.e, "ℇ": math.e}
_INTEGER = re.compile(r"[0-9]{1,15}")


def _atom(text: str, integers: bool) -> int | float:
    constant = _CONSTANTS.get(text)
    if constant is not None:
        return constant
    if integers and _INTEGER.fullmatch(text):
        return int(text)
    return float(text)


def numbers(text: str, version: int) -> tuple[float, ...] | None:
    """Arguments that are numbers, constants and up to two ``*``/``/`` of them (``-3*pi/4``),
    evaluated exactly as the token reader evaluates them (left to right; in OpenQASM 3 an integer
    divided by an integer is a floor division, and the sign belongs to the first number); ``None``
    for anything else."""
    if not text.strip():
        return ()
    if len(text) > MAX_LITERAL_LENGTH:  # the token reader reports over-long literals
        return None
    integers = version >= 3
    out = []
    for part in text.split(","):
        plain = _REAL.fullmatch(part)
        if plain is not None:  # the common case: one real literal (as written by repr)
            result = float(plain.group(2))
            if not math.isfinite(result):
                return None
            out.append(-result if plain.group(1) else result)
            continue
        m = _ARG.fullmatch(part)
        if m is None:
            return None
        sign, a, op1, b, op2, c = m.groups()
        for atom in (a, b, c):
            if atom is None:
                continue
            if version < 3 and atom != "pi" and atom in _CONSTANTS:
                return None  # OpenQASM 2 has only pi
            if integers and atom.isdigit() and len(atom) > 15:
                return None  # kept exact by the token reader
        value: int | float = _atom(a, integers)
        if integers and sign:
            value = -value
        for op, atom in ((op1, b), (op2, c)):
            if op is None:
                break
            right = _atom(atom, integers)
            if op == "*":
                value = value * right if type(value) is type(right) is int else float(value) * float(right)
            elif right == 0:
                return None  # division by zero: the token reader reports it
            elif type(value) is type(right) is int:
                value = value // right  # type: ignore[operator]
            else:
                value = float(value) / float(right)
        result = float(value)
        if not math.isfinite(result):
            return None
        out.append(-result if sign and not integers else result)
    return tuple(out)


def operands2(text: str, qregs: Mapping[str, Register]) -> list[tuple[tuple[int, ...], bool]] | None:
    """(bits, single) of each OpenQASM 2 operand, or ``None`` if one names no quantum register or
    indexes past its end."""
    out = []
    for name, index in _OPERAND_PARTS.findall(text):
        reg = qregs.get(name)
        if reg is None:
            return None
        if not index:
            out.append((reg.bits, False))
            continue
        k = int(index)
        if k >= len(reg.bits):
            return None
        out.append(((reg.bits[k],), True))
    return out


def operands3(text: str, names: Mapping[str, object], quantum: bool) -> list[tuple[tuple[int, ...], bool]] | None:
    """(bits, single) of each OpenQASM 3 operand, or ``None`` if one is not a register of the
    expected kind (qubits, or bits that may be written), indexes a single qubit or bit, or indexes
    past the end."""
    out = []
    for name, index in _OPERAND_PARTS.findall(text):
        reg = names.get(name)
        if not isinstance(reg, Register3) or reg.quantum is not quantum or not reg.writable:
            return None
        if not index:
            out.append((reg.bits, reg.scalar))
            continue
        k = int(index)
        if reg.scalar or k >= len(reg.bits):
            return None
        out.append(((reg.bits[k],), True))
    return out


def targets(text: str, registers: Mapping[str, Any], num_qubits: int, version: int) -> list[tuple[int, ...]] | None:
    """The qubit tuples of a call to a ``num_qubits``-qubit gate on the operands ``text`` matched,
    or ``None`` where the token reader would refuse them (or read them otherwise). ``registers`` are
    the OpenQASM 2 quantum registers or the OpenQASM 3 names in scope.

    The common case, every operand one indexed qubit, is read here by splitting the text (the
    pattern that matched it allows nothing else); whole registers go through :func:`operands2` or
    :func:`operands3` and :func:`broadcast`.
    """
    qubits = []
    for part in text.split(","):
        name, bracket, index = part.partition("[")
        if not bracket:
            bits = operands2(text, registers) if version == 2 else operands3(text, registers, True)
            return broadcast(bits) if bits is not None and len(bits) == num_qubits else None
        reg = registers.get(name.strip())
        if version == 2:
            if reg is None:
                return None
        elif not isinstance(reg, Register3) or not reg.quantum or not reg.writable or reg.scalar:
            return None
        k = int(index.rstrip()[:-1])
        if k >= len(reg.bits):
            return None
        qubits.append(reg.bits[k])
    if len(qubits) != num_qubits:
        return None
    call = tuple(qubits)
    return [call] if num_qubits == 1 or len(set(call)) == num_qubits else None


def broadcast(operand_bits: Sequence[tuple[tuple[int, ...], bool]]) -> list[tuple[int, ...]] | None:
    """The qubit tuples of a call (as :meth:`~.reader_base.ReaderBase.broadcast`), or ``None`` on any error."""
    for _, single in operand_bits:
        if not single:
            break
    else:
        qubits = tuple([bits[0] for bits, _ in operand_bits])
        return [qubits] if len(qubits) == 1 or len(set(qubits)) == len(qubits) else None
    sizes = {len(bits) for bits, single in operand_bits if not single}
    if len(sizes) != 1:
        return None
    tuples = [tuple(bits[0] if single else bits[k] for bits, single in operand_bits) for k in range(sizes.pop())]
    return tuples if all(len(set(t)) == len(t) for t in tuples) else None


def emit_call(reader: Any, gate: Any, args: tuple[float, ...], targets: list[tuple[int, ...]]) -> bool:
    """Append a call's instructions (no condition is active on a fast path); ``False``, appending
    nothing, where they would bring the program past :data:`~.gatedefs.MAX_INSTRUCTIONS`."""
    instructions = reader.circuit.instructions
    if gate.library is not None:
        if len(instructions) + len(targets) > MAX_INSTRUCTIONS:
            return False
        append = instructions.append
        operation = library_gate_instance(gate.library, args)
        for qubits in targets:
            append(new_instruction(operation, qubits))
        return True
    definition = gate.instantiate(args)
    if len(instructions) + len(targets) * len(definition[0]) > MAX_INSTRUCTIONS:
        return False
    for qubits in targets:
        reader.emit_definition(definition, qubits)
    return True


def emit_measurements(reader: Any, qubits: tuple[tuple[int, ...], bool], clbits: tuple[tuple[int, ...], bool]) -> bool:
    """Append ``clbits = measure qubits`` if the shapes agree and the program stays within
    :data:`~.gatedefs.MAX_INSTRUCTIONS` (else the token reader reports it)."""
    (qbits, qsingle), (cbits, csingle) = qubits, clbits
    if qsingle != csingle or len(qbits) != len(cbits) or len(reader.circuit.instructions) + len(qbits) > MAX_INSTRUCTIONS:
        return False
    append = reader.circuit.instructions.append
    writes = reader.writes
    for q, c in zip(qbits, cbits):
        append(new_instruction(MEASURE, (q,), (c,)))
        writes[c] = writes.get(c, 0) + 1
    return True
