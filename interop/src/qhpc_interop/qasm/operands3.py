"""Operands and conditions of the OpenQASM 3 reader: registers, indices, ranges, ``if`` conditions."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Condition
from .gatedefs import GateDef
from .lexer import Token
from .parser import Value
from .reader_base import MAX_REGISTER_BITS, Operand, ReaderBase

_ASSIGNMENT_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**="})


@dataclass
class Register3:
    """A declared qubit or bit register (``scalar`` for ``qubit q;`` / ``bit c;``)."""

    name: str
    bits: tuple[int, ...]
    scalar: bool
    quantum: bool
    token: Token


@dataclass
class Value3:
    """An ``input`` (a symbolic parameter) or a ``const`` (a number)."""

    value: Value
    kind: str
    token: Token


Symbol3 = Register3 | Value3 | GateDef



class Operands3(ReaderBase):
    """The operand and condition grammar of the OpenQASM 3 reader (a base of :class:`~.reader3.Reader`)."""

    symbols: dict[str, Symbol3]
    addressing: str | None
    in_if: bool

    def statement(self) -> None:
        raise NotImplementedError


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
        sym = self.symbols.get(tok.text)
        if not isinstance(sym, Register3) or sym.quantum != quantum:
            if sym is None:
                self.error(f"undeclared identifier '{tok.text}' (expected {what})", tok)
            self.error(f"'{tok.text}' is not {'a qubit' if quantum else 'a bit'} register (expected {what})", tok)
        if not self.at("["):
            return Operand(sym.bits, sym.scalar, tok)
        if sym.scalar:
            self.error(f"'{tok.text}' is a single {'qubit' if quantum else 'bit'} and cannot be indexed", self.peek())
        bits, single = self.index(sym)
        if self.at("["):
            self.unsupported("multi-dimensional indexing is not supported", self.peek())
        return Operand(bits, single, tok)

    def physical_qubit(self, tok: Token) -> Operand:
        if self.addressing == "virtual":
            self.unsupported("physical qubits ($n) cannot be mixed with declared qubits", tok)
        self.addressing = "physical"
        index = int(tok.text)
        if index >= MAX_REGISTER_BITS:
            self.unsupported(f"physical qubit ${index} is beyond the reader's limit of {MAX_REGISTER_BITS} qubits", tok)
        self.circuit.num_qubits = max(self.circuit.num_qubits, index + 1)
        return Operand((index,), True, tok)

    def index_value(self, reg: Register3, what: str = "index") -> int:
        tok = self.peek()
        index = self.integer(self.expression(), tok, f"an {what}")
        size = len(reg.bits)
        if not -size <= index < size:
            self.error(f"index {index} out of range for register '{reg.name}' of size {size}", tok)
        return index % size

    def index(self, reg: Register3) -> tuple[tuple[int, ...], bool]:
        """Parse ``[i]``, ``[a:b]``, ``[a:s:b]`` or ``[{i, j}]``: the bits and whether it is one bit."""
        self.expect("[")
        if self.accept("{"):
            indices = [self.index_value(reg)]
            while self.accept(","):
                indices.append(self.index_value(reg))
            self.expect("}", "to close the index set")
            self.expect("]", "to close the index")
            return tuple(reg.bits[i] for i in indices), False
        start_tok = self.peek()
        start = None if self.at(":") else self.index_value(reg)
        if not self.accept(":"):
            self.expect("]", "to close the index")
            assert start is not None
            return (reg.bits[start],), True
        parts: list[int | None] = [start]
        for _ in range(2):
            parts.append(None if self.at(":") or self.at("]") else self.index_value(reg))
            if not self.accept(":"):
                break
        self.expect("]", "to close the range")
        step = 1
        if len(parts) == 3:
            raw_step = parts[1]
            step = 1 if raw_step is None else raw_step
            parts = [parts[0], parts[2]]
        return self.range_bits(reg, parts[0], parts[1], step, start_tok), False

    def range_bits(self, reg: Register3, start: int | None, end: int | None, step: int, tok: Token) -> tuple[int, ...]:
        size = len(reg.bits)
        if step == 0:
            self.error("a range step cannot be 0", tok)
        if start is None:
            start = 0 if step > 0 else size - 1
        if end is None:
            end = size - 1 if step > 0 else 0
        indices = range(start, end + (1 if step > 0 else -1), step)
        if not indices:
            self.error(f"the range selects no bits of register '{reg.name}'", tok)
        return tuple(reg.bits[i] for i in indices)

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
        if op.kind == "op" and op.text in _ASSIGNMENT_OPS:
            self.unsupported("classical assignment is not supported (only 'bits = measure qubits')", op)
        self.error(f"expected '= measure ...' after '{target.token.text}', found {op.describe()}", op)

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

    # -- conditionals -------------------------------------------------------------------------
    def if_statement(self) -> None:
        kw = self.next()
        if self.in_if:
            self.unsupported("nested if statements are not supported by the program model", kw)
        self.expect("(", "after if")
        condition = self.condition_expression()
        if not self.at(")"):
            self.unsupported(f"this condition ({self.peek().describe()}...): the program model holds only "
                             "'bits == value' conditions", self.peek())
        self.next()
        self.in_if, self.condition = True, condition
        start = len(self.circuit.instructions)
        try:
            if self.accept("{"):
                while not self.at("}"):
                    if self.peek().kind == "eof":
                        self.error("expected '}' to close the if block, found end of file", self.peek())
                    stmt = self.peek()
                    self.statement()
                    self.check_block(condition, start, stmt)
                self.next()
            else:
                self.statement()
        finally:
            self.in_if, self.condition = False, None
        if self.at("else"):
            self.unsupported("else branches are not supported by the program model", self.peek())

    def check_block(self, condition: Condition, start: int, stmt: Token) -> None:
        """Refuse a block in which a bit the condition reads is written before a later instruction."""
        emitted = self.circuit.instructions[start:]
        read = set(condition.clbits)
        for inst in emitted[:-1]:
            if read.intersection(inst.clbits):
                self.unsupported("an if block that writes a bit its condition reads before another instruction: "
                                 "conditioning each instruction separately would change its meaning", stmt)

    def condition_expression(self) -> Condition:
        negate = self.accept("!") is not None
        tok = self.peek()
        bits, single, register = self.condition_operand()
        if negate or self.at(")"):
            if not single:
                self.unsupported(f"a condition on the whole register '{register}' without a comparison: compare it "
                                 "with an integer (c == n)", tok)
            return Condition(bits, 0 if negate else 1)
        op = self.next()
        if op.text not in ("==", "!="):
            self.unsupported(f"comparison '{op.text}' in a condition: the program model holds only '==' (and '!=' "
                             "on one bit)", op)
        value_tok = self.peek()
        value = self.condition_value()
        if op.text == "!=":
            if not single:
                self.unsupported("'!=' on a bit register: the program model holds only '==' conditions", op)
            value = 1 - value if value in (0, 1) else value
        if not 0 <= value < 2 ** len(bits):
            self.unsupported(f"condition value {value} does not fit in {len(bits)} bit(s)", value_tok)
        return Condition(bits, value, None if single else register)

    def condition_operand(self) -> tuple[tuple[int, ...], bool, str]:
        tok = self.next()
        if tok.kind != "id":
            self.error(f"expected a bit or bit register in the condition, found {tok.describe()}", tok)
        sym = self.symbols.get(tok.text)
        if not isinstance(sym, Register3) or sym.quantum:
            if sym is None:
                self.error(f"undeclared identifier '{tok.text}'", tok)
            self.unsupported(f"a condition on '{tok.text}', which is not a classical bit or bit register", tok)
        if not self.at("["):
            return sym.bits, sym.scalar, sym.name
        if sym.scalar:
            self.error(f"'{tok.text}' is a single bit and cannot be indexed", self.peek())
        bits, single = self.index(sym)
        if not single:
            self.unsupported("a condition on part of a register is not supported (a whole register or one bit is)",
                             tok)
        return bits, True, sym.name

    def condition_value(self) -> int:
        tok = self.peek()
        if self.accept("true"):
            return 1
        if self.accept("false"):
            return 0
        if tok.kind == "string":
            self.next()
            if not tok.text or set(tok.text.replace("_", "")) - {"0", "1"}:
                self.error(f"expected a bit string of 0s and 1s, found {tok.describe()}", tok)
            return int(tok.text.replace("_", ""), 2)
        return self.integer(self.expression(), tok, "the value a condition compares with")
