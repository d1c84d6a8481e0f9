"""What both OpenQASM readers do to the circuit: limits, operands, broadcasting, emitting.

:class:`ReaderBase` extends the expression :class:`~.parser.Parser` with the circuit being read,
register broadcasting of operands and the emission of instructions; :func:`read_program` turns
resource exhaustion into positioned errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError, QasmSyntaxError, QasmUnsupportedError, warn_loss
from ..gates import Definition
from ..ir import BARRIER, MAX_READ_BITS, MEASURE, RESET, Circuit, Condition, Instruction, Operation, new_instruction
from ..ir import library_gate as library_gate_instance
from .conditions import ALWAYS, Terms, TooManyTerms, conjoin
from .gatedefs import MAX_INSTRUCTIONS, ExpansionError, GateDef, _add, _is_zero
from .lexer import Token
from .parser import Parser, Value

#: The most qubits, and the most classical bits, a program may declare, in one register or in all
#: of them together (:data:`~qhpc_interop.ir.MAX_READ_BITS`). Checked at each declaration, before
#: anything is built.
MAX_REGISTER_BITS = MAX_READ_BITS


def check_register_size(size: int, declared: int = 0, kind: str = "bits") -> str | None:
    """Why a register of ``size`` bits is refused when ``declared`` bits of its ``kind`` (qubits or
    classical bits) exist already, or ``None``."""
    if size > MAX_REGISTER_BITS:
        return f"a register of {size} bits exceeds the reader's limit of {MAX_REGISTER_BITS}"
    if declared + size > MAX_REGISTER_BITS:
        return (f"this register brings the program to {declared + size} {kind}, beyond the reader's limit of "
                f"{MAX_REGISTER_BITS}")
    return None


def read_program(reader: Any, source: str) -> Circuit:
    """Run a reader, turning resource exhaustion into positioned errors (too deep, too big)."""
    try:
        circuit = reader.read()
    except RecursionError:
        line, col = reader.position()
        raise QasmSyntaxError("the program nests too deeply to read", line, col, source) from None
    except (ExpansionError, TooManyTerms, ParameterError) as exc:  # (a value the model refuses)
        line, col = reader.position()
        raise QasmUnsupportedError(str(exc), line, col, source) from None
    dropped = getattr(reader, "timing", None)
    if dropped:
        where: dict[tuple[str, int], int] = {}  # a delay in a loop is read once per iteration: said once
        for what, tok in dropped:
            where[(what, tok.line)] = where.get((what, tok.line), 0) + 1
        items = list(where.items())
        shown = ", ".join(f"{what} at line {line}" + (f" ({n} times)" if n > 1 else "") for (what, line), n in items[:3])
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        warn_loss(f"{source}: the program model holds no timing, so reading drops {shown}{more} (a delay is "
                  "read as a barrier on its qubits, a box as its contents)")
    return circuit  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Operand:
    """A resolved gate operand: one bit (``single``) or a list of bits to broadcast over."""

    bits: tuple[int, ...]
    single: bool
    token: Token


@dataclass
class _Frame:
    """An ``if`` being read: the bits its condition reads, and those its instructions have written."""

    read: frozenset[int]
    written: set[int] = field(default_factory=set)


class ReaderBase(Parser):
    """What both readers do to the circuit: broadcast operands and emit instructions."""

    def end_statement(self, what: str) -> None:
        self.expect_semicolon(f"after {what}")

    def id_list(self, what: str) -> list[Token]:
        """Comma-separated identifiers, each at most once."""
        names = [self.expect_id(what)]
        while self.accept(","):
            names.append(self.expect_id(what))
        seen: set[str] = set()
        for tok in names:
            if tok.text in seen:
                self.error(f"'{tok.text}' appears twice in the list", tok)
            seen.add(tok.text)
        return names

    def arguments(self) -> list[tuple[Value, Token]]:
        """A parenthesised argument list (possibly empty or absent), each with its first token."""
        args: list[tuple[Value, Token]] = []
        if self.accept("("):
            if not self.at(")"):
                while True:
                    tok = self.peek()
                    args.append((self.expression(), tok))
                    if not self.accept(","):
                        break
            self.expect(")", "to close the gate arguments")
        return args

    def __init__(self, text: str, source: str, version: int) -> None:
        super().__init__(text, source, version)
        self.circuit = Circuit()
        #: the conditions every emitted instruction is copied under (one per term; None: unconditional)
        self.conditions: tuple[Condition, ...] | None = None
        self._terms: Terms | None = None
        self._frames: list[_Frame] = []
        #: the statement being read (where an error found while emitting is reported)
        self.statement_token: Token | None = None
        #: how many ``if`` on measured bits enclose what is being read
        self.runtime_depth = 0
        #: clbit -> how many measurements have written it so far
        self.writes: dict[int, int] = {}
        #: timing the model cannot hold, read past: (what, where), announced when the program is read
        self.timing: list[tuple[str, Token]] = []

    def write_stamp(self, bits: Sequence[int]) -> tuple[int, ...]:
        """How many times each of ``bits`` has been written so far."""
        return tuple(self.writes.get(b, 0) for b in bits)

    @contextmanager
    def guard(self, read: frozenset[int]) -> Iterator[None]:
        """Inside, refuse an instruction emitted after one that writes a bit of ``read`` (the bits an
        ``if`` reads: the model would test them again at each instruction)."""
        self._frames.append(_Frame(read))
        try:
            yield
        finally:
            self._frames.pop()

    @contextmanager
    def conditional(self, terms: Terms) -> Iterator[None]:
        """Emit what is read inside under ``terms`` (and the conditions already active); use inside
        :meth:`guard` of the bits ``terms`` read."""
        saved = self._terms, self.conditions
        combined = terms if self._terms is None else conjoin(self._terms, terms)
        if combined == ALWAYS:  # e.g. c[0] || !c[0]: what is inside always runs
            self._terms = self.conditions = None
        else:
            self._terms = combined
            self.conditions = tuple(term.condition() for term in combined)
        self.runtime_depth += 1
        try:
            yield
        finally:
            self._terms, self.conditions = saved
            self.runtime_depth -= 1

    @property
    def never(self) -> bool:
        """Whether what is read now can never run (emitting it adds nothing)."""
        return self._terms is not None and not self._terms

    def _check_frames(self) -> None:
        """Refuse an instruction that follows, inside an ``if``, the write of a bit the ``if`` reads:
        the model tests a condition at each instruction, so it would see the new value."""
        for frame in self._frames:
            if frame.read & frame.written:
                tok = self.statement_token
                line, col = (tok.line, tok.col) if tok is not None else self.position()
                bits = ", ".join(str(b) for b in sorted(frame.read & frame.written))
                raise QasmUnsupportedError(
                    f"this if (or switch case) writes a bit its condition reads (clbit {bits}) before another of its instructions: "
                    "the program model tests a condition at every instruction, so it would see the new value",
                    line, col, self.source)

    def _conditioned(self, operation: Operation, qubits: tuple[int, ...], clbits: tuple[int, ...] = ()) -> None:
        """Append one instruction (copied per condition term) after the frame check."""
        conditions = self.conditions
        append = self.circuit.instructions.append
        if self._frames:
            self._check_frames()
        if conditions is None:
            append(new_instruction(operation, qubits, clbits))
        else:
            for condition in conditions:
                append(Instruction(operation, qubits, clbits, condition))
        if clbits and not self.never:
            for c in clbits:
                self.writes[c] = self.writes.get(c, 0) + 1
            for frame in self._frames:
                frame.written.update(clbits)

    def broadcast(self, operands: Sequence[Operand], tok: Token) -> list[tuple[int, ...]]:
        """The qubit tuples a call on ``operands`` applies to (registers broadcast, singles repeat)."""
        size: int | None = None
        first: Operand | None = None
        for op in operands:
            if op.single:
                continue
            if size is None:
                size, first = len(op.bits), op
            elif len(op.bits) != size:
                assert first is not None
                self.error(
                    f"cannot broadcast over operands of different sizes: '{first.token.text}' has {size} "
                    f"bit(s) but '{op.token.text}' has {len(op.bits)}",
                    op.token,
                )
        count = 1 if size is None else size
        tuples = [tuple(op.bits[0] if op.single else op.bits[k] for op in operands) for k in range(count)]
        for bits in tuples:
            if len(set(bits)) != len(bits):
                first_at = next(k for k, b in enumerate(bits) if b in bits[:k])
                again, bit = bits.index(bits[first_at]), bits[first_at]
                shown = next((r.name if len(r.bits) == 1 else f"{r.name}[{r.bits.index(bit)}]"
                              for r in self.circuit.qregs if bit in r.bits), "one qubit")
                self.error(f"the same qubit is used twice in one operation on {self._names(operands)}: operands "
                           f"{again + 1} and {first_at + 1} are both {shown}", tok)
        return tuples

    @staticmethod
    def _names(operands: Sequence[Operand]) -> str:
        return ", ".join(op.token.text for op in operands)

    def check_size(self, adding: int = 0) -> None:
        """Refuse the statement being read where it would bring the program past :data:`MAX_INSTRUCTIONS`."""
        if len(self.circuit.instructions) + adding > MAX_INSTRUCTIONS:
            self.unsupported(f"the program expands to more than {MAX_INSTRUCTIONS} instructions in all (gate "
                             "definitions, broadcasts, loops and subroutine calls are expanded when it is read)",
                             self.statement_token or self.peek())

    def emit_definition(self, definition: Definition, qubits: Sequence[int]) -> None:
        """Append ``definition`` applied to ``qubits``; its phase goes to the circuit's global phase.

        Under a condition the phase is dropped: a phase applied in one classical branch is not
        observable, and the model has no conditional phase.
        """
        steps, phase = definition
        if len(self.circuit.instructions) + len(steps) > MAX_INSTRUCTIONS:
            self.check_size(len(steps))
        # the readers have checked every operand (in range, no qubit twice) and the condition, and
        # library definitions act on distinct qubits: append without the circuit's re-checks
        if self._terms is not None:
            for name, params, local in steps:
                targets = tuple(qubits[k] for k in local)
                self._conditioned(library_gate_instance(name, params), targets)
            return
        append = self.circuit.instructions.append
        for name, params, local in steps:
            targets = (qubits[local[0]],) if len(local) == 1 else tuple(qubits[k] for k in local)
            append(Instruction(library_gate_instance(name, params), targets))
        if not _is_zero(phase):
            self.circuit.global_phase = _add(self.circuit.global_phase, phase)

    def emit_measure(self, qubits: Operand, clbits: Operand, tok: Token) -> None:
        if qubits.single != clbits.single or len(qubits.bits) != len(clbits.bits):
            self.error(
                f"measure: '{qubits.token.text}' has {len(qubits.bits)} qubit(s) but '{clbits.token.text}' "
                f"has {len(clbits.bits)} bit(s)",
                tok,
            )
        pairs = list(zip(qubits.bits, clbits.bits))
        if self._frames:
            # The measurements of one statement commute (a repeated qubit is measured in the same basis),
            # so one that writes a bit an enclosing if reads can go last: the if's other instructions
            # then see the bit as it was when the if was entered. Two such writes cannot be held.
            read = frozenset().union(*(frame.read for frame in self._frames))
            writers = [pair for pair in pairs if pair[1] in read]
            if len(writers) == 1:
                pairs.remove(writers[0])
                pairs.append(writers[0])
        for q, c in pairs:
            self._conditioned(MEASURE, (q,), (c,))

    def emit_reset(self, qubits: Operand) -> None:
        for q in qubits.bits:
            self._conditioned(RESET, (q,))

    def emit_barrier(self, operands: Sequence[Operand]) -> None:
        """A barrier on every listed qubit (dropped under a condition: it has no effect on the state)."""
        if self._terms is not None:
            return
        bits = list(dict.fromkeys(b for op in operands for b in op.bits))  # first occurrence, in order
        if bits:
            self.circuit.append(BARRIER, bits)

    def check_call(self, gate: GateDef, num_args: int, num_operands: int, tok: Token, extra_qubits: int = 0) -> None:
        """Check a call's argument and operand counts against the gate."""
        if gate.unsupported:
            self.unsupported(gate.unsupported, tok)
        if gate.opaque:
            self.unsupported(f"opaque gate '{gate.name}' has no definition the program model can hold", tok)
        if num_args != gate.num_params:
            self.error(f"gate '{gate.name}' takes {gate.num_params} parameter(s), got {num_args}", tok)
        expected = gate.num_qubits + extra_qubits
        if num_operands != expected:
            self.error(f"gate '{gate.name}' acts on {expected} qubit(s), got {num_operands}", tok)
