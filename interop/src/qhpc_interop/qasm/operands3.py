"""Operands of the OpenQASM 3 reader: registers, aliases, physical qubits, indexing; and the
statements that act on operands without being gate calls (measure, reset, barrier)."""

from __future__ import annotations

from .expr3 import Expressions3
from .lexer import Token
from .parser import Special
from .reader_base import MAX_REGISTER_BITS, Operand
from .values3 import Duration, Measured, Register3, Variable

_ASSIGNMENT_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**="})


class Operands3(Expressions3):
    """The operand grammar of the OpenQASM 3 reader (a base of :class:`~.reader3.Reader`)."""

    addressing: str | None

    # -- operands -----------------------------------------------------------------------------
    def operand_list(self, quantum: bool = True) -> list[Operand]:
        operands = [self.operand(quantum)]
        while self.accept(","):
            operands.append(self.operand(quantum))
        return operands

    def operand(self, quantum: bool) -> Operand:
        tok = self.next()
        if tok.kind == "hwqubit" and quantum:
            return self.physical_qubit(tok)
        what = "a qubit operand" if quantum else "a classical bit operand"
        if tok.kind != "id":
            self.error(f"expected {what}, found {tok.describe()}", tok)
        self.hidden = None
        sym = self.lookup(tok.text)
        if not isinstance(sym, Register3) or sym.quantum != quantum:
            if sym is None and self.hidden is not None:
                self.not_visible(tok)
            if not quantum and isinstance(sym, Variable):
                self.unsupported(f"measuring into the {sym.ctype} variable '{tok.text}': the program model writes "
                                 "measurements only into bits (real-time classical computation)", tok)
            if sym is None:
                self.error(f"undeclared identifier '{tok.text}' (expected {what})", tok)
            self.error(f"'{tok.text}' is not {'a qubit' if quantum else 'a bit'} register (expected {what})", tok)
        if not quantum and not sym.writable:
            self.unsupported(f"measuring into the bit parameter '{tok.text}': a subroutine's arguments are copies, "
                             "which the model has no bits for", tok)
        if not self.at("["):
            return Operand(sym.bits, sym.scalar, tok)
        if sym.scalar:
            self.error(f"'{tok.text}' is a single {'qubit' if quantum else 'bit'} and cannot be indexed", self.peek())
        bits, single = self.selection(sym, tok)
        return Operand(bits, single, tok)

    def selection(self, sym: Register3, tok: Token) -> tuple[tuple[int, ...], bool]:
        """``[...]`` after the register ``sym`` (named by ``tok``), and any index of what it selected
        (``q[1:3][0]``): the bits selected and whether it is one."""
        indices, single = self.index_set(len(sym.bits), sym.name)
        bits = tuple(sym.bits[i] for i in indices)
        shown = tok.text
        while self.at("["):
            if single:
                self.error(f"'{shown}[...]' is a single {'qubit' if sym.quantum else 'bit'} and cannot be indexed",
                           self.peek())
            shown = f"the selection {shown}[...]"
            indices, single = self.index_set(len(bits), shown)
            bits = tuple(bits[i] for i in indices)
        return bits, single

    def physical_qubit(self, tok: Token) -> Operand:
        if self.addressing == "virtual":
            self.unsupported("physical qubits ($n) cannot be mixed with declared qubits", tok)
        self.addressing = "physical"
        index = int(tok.text)
        if index >= MAX_REGISTER_BITS:
            self.unsupported(f"physical qubit ${index} is beyond the reader's limit of {MAX_REGISTER_BITS} qubits", tok)
        self.circuit.num_qubits = max(self.circuit.num_qubits, index + 1)
        return Operand((index,), True, tok)

    # -- measurement, reset, barrier, assignment ------------------------------------------------
    def measure_statement(self) -> None:
        tok = self.next()
        qubits = self.operand(quantum=True)
        if not self.accept("->"):
            self.unsupported("a measurement must store its result in bits ('measure q -> c;' or 'c = measure q;')",
                             tok)
        clbits = self.operand(quantum=False)
        self.end_statement("the measure statement")
        self.emit_measure(qubits, clbits, tok)

    def assignment(self) -> None:
        target = self.operand(quantum=False)
        op = self.next()
        if op.text == "=" and self.at("measure"):
            tok = self.next()
            qubits = self.operand(quantum=True)
            self.end_statement("the measurement")
            self.emit_measure(qubits, target, tok)
            return
        if op.text == "=":
            vtok = self.peek()
            value = self.expression()
            if isinstance(value, Measured):
                self.end_statement("the assignment")
                self.emit_measure(Operand(value.qubits, value.scalar, value.token), target, vtok)
                return
            self.unsupported(f"assigning {self._shown(value)} to bits is not supported: the program model writes bits "
                             "only by measurement", vtok)
        if op.kind == "op" and op.text in _ASSIGNMENT_OPS:
            self.unsupported("classical assignment is not supported (only 'bits = measure qubits')", op)
        self.error(f"expected '= measure ...' after '{target.token.text}', found {op.describe()}", op)

    @staticmethod
    def _shown(value: object) -> str:
        return value.what if isinstance(value, Special) else f"the value {value!r}"

    def delay_statement(self) -> None:
        """``delay[duration] qubits;``: read as a barrier on the qubits (the model has no timing),
        with a :class:`~qhpc_interop.errors.ConversionLossWarning` naming it."""
        tok = self.next()
        self.expect("[", "after delay")
        dtok = self.peek()
        duration = self.expression()
        if not isinstance(duration, Duration):
            self.error(f"a delay needs a duration (e.g. 100ns), not {self._shown(duration)}", dtok)
        self.expect("]", "to close the delay duration")
        self.timing.append(("a delay", tok))
        if self.at(";"):
            self.next()
            self.emit_barrier([Operand(tuple(range(self.circuit.num_qubits)), False, tok)])
            return
        operands = self.operand_list()
        self.end_statement("the delay")
        self.emit_barrier(operands)

    def nop_statement(self) -> None:
        """``nop qubits;``: nothing happens."""
        self.next()
        if not self.at(";"):
            self.operand_list()
        self.end_statement("the nop statement")

    def reset(self) -> None:
        self.next()
        qubits = self.operand(quantum=True)
        self.end_statement("the reset statement")
        for bits in self.broadcast([qubits], qubits.token):
            self.emit_reset(Operand(bits, True, qubits.token))

    def barrier(self) -> None:
        tok = self.next()
        if self.at(";"):
            self.next()
            self.emit_barrier([Operand(tuple(range(self.circuit.num_qubits)), False, tok)])
            return
        operands = self.operand_list()
        self.end_statement("the barrier statement")
        self.emit_barrier(operands)
