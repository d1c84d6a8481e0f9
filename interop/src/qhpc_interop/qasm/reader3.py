"""The OpenQASM 3 reader (the rules it follows are in :mod:`qhpc_interop.qasm3`).

:class:`Reader` reads statements and the declarations of qubits, bits and inputs; its bases read
the rest: :mod:`.expr3` (expressions), :mod:`.operands3` (operands, measure, reset, barrier,
delay), :mod:`.gates3` (gates), :mod:`.classical3` (classical variables, arrays, aliases) and
:mod:`.control3` (blocks, conditionals, loops) and :mod:`.subroutines3`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..ir import Circuit
from ..params import Parameter
from . import fast
from .classical3 import SCALAR_TYPES
from .gatedefs import GateDef, library_gate
from .gates3 import _MODIFIERS
from .lexer import BOM, Token
from .operands3 import _ASSIGNMENT_OPS
from .reader_base import Operand, check_register_size, read_program
from .stdlib import QASM3_KEYWORDS, STDGATES
from .subroutines3 import Subroutines3
from .values3 import CType, Measured, Register3, Scope, Subroutine, Symbol3, Variable

#: valid OpenQASM 3 the program model cannot hold, refused by name where it starts
_UNSUPPORTED_KEYWORDS = {
    "defcal": "calibration definitions (defcal) are not supported: the program model has no pulses",
    "cal": "calibration blocks (cal) are not supported: the program model has no pulses",
    "defcalgrammar": "calibration grammars (defcalgrammar) are not supported: the program model has no pulses",
    "extern": "extern functions are not supported: they run when the circuit runs, which the model cannot hold",
    "end": "end statements are not supported by the program model",
    "output": "output declarations of values other than bits are not supported by the program model (an output "
              "bit register is: every result holds the bits)",
}

#: statements only the global scope may hold (qubits: the specification; bits: the model)
_GLOBAL_ONLY = frozenset({"qubit", "qreg", "input", "gate", "def", "include"})


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 3 program. ``source`` names it in error messages."""
    return read_program(Reader(text[1:] if text.startswith(BOM) else text, source), source)


class Reader(Subroutines3):
    """The OpenQASM 3 reader (one per program)."""

    #: read plain gate calls and measurements with :meth:`fast_statements` (tests turn it off to
    #: compare both paths)
    fast = True

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, 3)
        self.scopes: list[Scope] = [Scope({"U": library_gate("u", "U")})]
        self.included = False
        self.addressing: str | None = None  # "virtual" (declared qubits) or "physical" ($n)
        # inside a gate definition: parameter and qubit names -> their indices
        self.gate_params: dict[str, int] | None = None
        self.gate_qubits: dict[str, int] = {}
        self.loops: list[int] = []
        self.calls: list[tuple[int, list[int]]] = []
        self.iterations = 0
        self.replayed = 0
        #: operand text -> its qubit tuples, as the fast path read them (top-level names never change)
        self.fast_targets: dict[str, list[tuple[int, ...]] | None] = {}

    def read(self) -> Circuit:
        if self.fast and (m := fast.HEADER3.match(self.text)) is not None:
            self.fast_header(m.end())
        elif self.at("OPENQASM"):
            self.header()
        while True:
            if self.fast and not self._buffer and self.previous is not None:
                self.fast_statements()
            if self.peek().kind == "eof":
                return self.circuit
            self.statement()
            self.check_size()

    def fast_statements(self) -> None:
        """Read a run of plain gate calls and ``bits = measure qubits;`` straight from the text (see
        :mod:`.fast`; only between top-level statements, where no scope, loop or condition is open)."""
        assert self.previous is not None
        text, pos, line = self.text, self.previous.end, self.previous.line
        start = seen = pos
        seen_line = line
        match = fast.CALL3.match
        names = self.scopes[0].names
        known = self.fast_targets
        while True:
            m = match(text, pos)
            if m is None or m.group(1) in fast.DECLARATION_WORDS3:
                m = fast.DECL3.match(text, pos)
                if m is None:
                    break
                # lines counted on from the last declaration, not the run's start: linear in a long run
                seen_line += text.count("\n", seen, m.start())
                seen = m.start()
                if not self.fast_declaration(m, seen_line):
                    break
                pos = m.end()
                continue
            name = m.group(1)
            if name is not None:
                gate = names.get(name)
                if not isinstance(gate, GateDef) or gate.unsupported or gate.opaque:
                    break
                arg_text, operand_text = m.group(2, 3)
                args = fast.numbers(arg_text, 3) if arg_text is not None else ()
                if args is None or len(args) != gate.num_params:
                    break
                targets = known.get(operand_text)
                if targets is None or len(targets[0]) != gate.num_qubits:
                    targets = known[operand_text] = fast.targets(operand_text, names, gate.num_qubits, 3)
                if targets is None:
                    break
                if not fast.emit_call(self, gate, args, targets):
                    break  # (past the size cap: the token reader reads the call and says so, where it is)
            else:
                clbits = fast.operands3(m.group(4), names, False)
                qubits = fast.operands3(m.group(5), names, True)
                if clbits is None or qubits is None or not fast.emit_measurements(self, qubits[0], clbits[0]):
                    break
            pos = m.end()
        if pos != start:
            self.resume_at(pos, line + text.count("\n", start, pos))

    def fast_declaration(self, m: re.Match[str], line: int) -> bool:
        """Take the declaration or include :data:`fast.DECL3` matched (its match starting on
        ``line``) if the token reader would take it without error; ``False`` leaves it to that reader."""
        kind, name = m.group(1) or m.group(4), m.group(3) or m.group(5)
        names = self.scopes[0].names
        if kind is None:  # include "stdgates.inc";
            if not self.included:
                defs = _stdgate_defs()
                if not names.keys().isdisjoint(defs):
                    return False
                names.update(defs)
                self.included = True
            return True
        size_text = m.group(2) if m.group(1) else m.group(6)
        size = int(size_text) if size_text is not None else None
        quantum = kind in ("qubit", "qreg")
        if name in QASM3_KEYWORDS or names.get(name) is not None or (quantum and self.addressing == "physical"):
            return False
        circuit = self.circuit
        if check_register_size(size or 1, circuit.num_qubits if quantum else circuit.num_clbits,
                               "qubits" if quantum else "classical bits"):
            return False
        at = m.start(3) if m.group(1) else m.start(5)
        line += self.text.count("\n", m.start(), at)
        col = at - self.text.rfind("\n", 0, at)
        self.add_register(Token("id", name, line, col, col + len(name), at + len(name)), size, quantum)
        return True

    def add_register(self, name: Token, size: int | None, quantum: bool) -> Register3:
        """Declare qubits or bits ``name`` (``size`` of them; ``None``: one, a scalar)."""
        if quantum:
            self.addressing = "virtual"
            reg = self.circuit.add_qreg(name.text, size or 1)
        else:
            reg = self.circuit.add_creg(name.text, size or 1)
        symbol = Register3(name.text, reg.bits, size is None, quantum, name)
        self.bind(name.text, symbol)
        return symbol

    def bind(self, name: str, symbol: Symbol3) -> None:  # type: ignore[override]
        """Declare ``name`` as ``symbol`` in the current scope."""
        self.scopes[-1].names[name] = symbol

    def header(self) -> None:
        self.next()
        version = self.next()
        if version.kind not in ("int", "real"):
            self.error(f"expected a version number after OPENQASM, found {version.describe()}", version)
        if version.text.split(".")[0] != "3":
            hint = " (read OpenQASM 2 with qasm2.loads or qasm.loads_any)" if version.text.startswith("2") else ""
            self.error(f"unsupported OpenQASM version {version.text}: this reader reads OpenQASM 3{hint}", version)
        self.expect_semicolon("after the OPENQASM header")

    # -- statements -------------------------------------------------------------------------------
    def statement(self) -> None:
        tok = self.peek()
        self.statement_token = tok
        if self.replaying:
            self.count_replayed(tok)
        if self.gate_body is not None and not (tok.kind == "op" and tok.text == "{"):
            self.body_statement()
            return
        if tok.kind != "id":
            if tok.kind == "op" and tok.text == "{":
                self.block("block")
                return
            self.error(f"expected a statement, found {tok.describe()}", tok)
        word = tok.text
        if word == "OPENQASM":
            self.error("the OPENQASM header may only appear once, at the start", tok)
        if word == "output":
            if len(self.scopes) > 1:
                self.error("'output' is only allowed at the top level, not inside a block or subroutine", tok)
            if self.peek(1).text == "bit":  # an output bit register is a bit register: results hold every bit
                self.next()
                tok, word = self.peek(), "bit"
        if word in _UNSUPPORTED_KEYWORDS:
            self.unsupported(_UNSUPPORTED_KEYWORDS[word], tok)
        if len(self.scopes) > 1:
            if word in _GLOBAL_ONLY:
                self.error(f"'{word}' is only allowed at the top level, not inside a block or subroutine", tok)
            if word in ("bit", "creg"):
                self.unsupported("bits declared inside a block or subroutine need classical bits of their own at "
                                 "each pass, which the circuit cannot gain: declare them at the top level", tok)
        handler = _HANDLERS.get(word)
        if handler is not None:
            handler(self)
        elif word == "else":
            self.error("'else' without a preceding if", tok)
        elif word in _MODIFIERS or word in ("gphase", "U"):
            self.gate_call(None)
        else:
            self.identifier_statement(tok)

    def identifier_statement(self, tok: Token) -> None:
        self.hidden = None
        sym = self.lookup(tok.text)
        after = self.peek(1)
        if isinstance(sym, GateDef):
            self.gate_call(None)
        elif isinstance(sym, Subroutine):
            self.call_statement(sym)
        elif isinstance(sym, Register3) and not sym.quantum:
            self.assignment()
        elif isinstance(sym, Variable) and (after.text in _ASSIGNMENT_OPS or after.text == "["):
            self.variable_assignment(sym, self.scope_of(tok.text))
        elif isinstance(sym, Register3):
            self.error(f"'{tok.text}' is a qubit register, not a gate", tok)
        elif isinstance(sym, Variable):
            self.error(f"'{tok.text}' is a{'n' if sym.role == 'input' else ''} {sym.role}, not a gate", tok)
        elif sym is None and self.hidden is not None:
            self.not_visible(tok)
        elif after.kind == "op" and after.text in _ASSIGNMENT_OPS:
            self.error(f"undeclared identifier '{tok.text}'", tok)
        else:
            self.lookup_gate(tok)

    def scope_of(self, name: str) -> Scope:
        """The scope whose ``name`` is visible here."""
        for scope in reversed(self.scopes):
            if name in scope.names:
                return scope
            if scope.closed:
                break
        return self.scopes[0]

    def declare(self, tok: Token) -> None:
        """Check that ``tok`` may be declared in the current scope (gates and subroutines are never shadowed)."""
        if tok.text in QASM3_KEYWORDS:
            self.error(f"'{tok.text}' is a reserved word and cannot be declared", tok)
        prev = self.scopes[-1].names.get(tok.text)
        if prev is None:
            prev = self.scopes[0].names.get(tok.text)
            if not isinstance(prev, (GateDef, Subroutine)):
                prev = None
        if prev is not None:
            token = prev.token
            where = f" (line {token.line})" if token is not None and token.line else ""
            origin = " by stdgates.inc" if isinstance(prev, GateDef) and token is None else where
            self.error(f"'{tok.text}' is already declared{origin}", tok)

    def include(self) -> None:
        self.next()
        name = self.next()
        if name.kind != "string":
            self.error(f"expected a file name in quotes after include, found {name.describe()}", name)
        self.end_statement("the include statement")
        if name.text != "stdgates.inc":
            self.unsupported(f'cannot include "{name.text}": the only include file available is "stdgates.inc"',
                             name)
        if self.included:
            return
        names = self.scopes[0].names
        defs = _stdgate_defs()
        if not names.keys().isdisjoint(defs):
            clash = next(g for g in defs if g in names)
            self.error(f"\"stdgates.inc\" defines gate '{clash}', which is already declared", name)
        names.update(defs)
        self.included = True

    def designator(self, what: str) -> int | None:
        """An optional ``[size]`` designator (a constant positive integer)."""
        if not self.accept("["):
            return None
        tok = self.peek()
        size = self.integer(self.expression(), tok, what)
        if size <= 0:
            self.error(f"{what} must be positive, not {size}", tok)
        self.expect("]", f"to close the {what}")
        return size

    def qubit_declaration(self) -> None:
        kind = self.next()
        size = self.designator("the register size") if kind.text == "qubit" else None
        name = self.expect_id("a qubit register name")
        self.declare(name)
        if kind.text == "qreg":
            size = self.designator("the register size")
        self.end_statement(f"the {kind.text} declaration")
        if self.addressing == "physical":
            self.unsupported("declared qubits cannot be mixed with physical qubits ($n)", kind)
        too_big = check_register_size(size or 1, self.circuit.num_qubits, "qubits")
        if too_big:
            self.unsupported(too_big, name)
        self.add_register(name, size, True)

    def bit_declaration(self) -> None:
        kind = self.next()
        size = self.designator("the register size") if kind.text == "bit" else None
        name = self.expect_id("a bit register name")
        self.declare(name)
        if kind.text == "creg":
            size = self.designator("the register size")
        too_big = check_register_size(size or 1, self.circuit.num_clbits, "classical bits")
        if too_big:
            self.unsupported(too_big, name)
        symbol = self.add_register(name, size, False)
        if kind.text == "bit" and self.at("="):
            self.next()
            vtok = self.peek()
            value = self.expression()
            self.end_statement("the bit declaration")
            if isinstance(value, Measured):
                self.emit_measure(Operand(value.qubits, value.scalar, value.token),
                                  Operand(symbol.bits, symbol.scalar, name), vtok)
            elif not (isinstance(value, int) and value == 0):  # bits start at 0: '= 0', '= "00"', '= false'
                self.unsupported("initialising bits with a value is not supported (only '= measure ...' and zero)",
                                 vtok)
            return
        self.end_statement(f"the {kind.text} declaration")

    def input_declaration(self) -> None:
        self.next()
        type_tok = self.expect_id("a type")
        if type_tok.text not in ("float", "angle"):
            self.unsupported(f"input of type '{type_tok.text}': only float and angle inputs (gate parameters) are "
                             "supported", type_tok)
        self.designator("the type width")
        name = self.expect_id("an input name")
        self.declare(name)
        self.end_statement("the input declaration")
        self.bind(name.text, Variable(name.text, CType(type_tok.text), Parameter(name.text), "input", name))

    def const_declaration(self) -> None:
        self.next()
        self.classical_declaration(const=True)


#: statement keyword -> the Reader method that reads the statement
_HANDLERS: dict[str, Callable[[Reader], None]] = {
    "include": Reader.include,
    "qubit": Reader.qubit_declaration,
    "qreg": Reader.qubit_declaration,
    "bit": Reader.bit_declaration,
    "creg": Reader.bit_declaration,
    "input": Reader.input_declaration,
    "const": Reader.const_declaration,
    "gate": Reader.gate_definition,
    "def": Reader.subroutine_definition,
    "measure": Reader.measure_statement,
    "reset": Reader.reset,
    "barrier": Reader.barrier,
    "delay": Reader.delay_statement,
    "nop": Reader.nop_statement,
    "if": Reader.if_statement,
    "for": Reader.for_statement,
    "while": Reader.while_statement,
    "switch": Reader.switch_statement,
    "box": Reader.box_statement,
    "let": Reader.alias_statement,
    "return": Reader.return_statement,
    "break": Reader.jump,
    "continue": Reader.jump,
    "array": Reader.classical_declaration,
    **{word: Reader.classical_declaration for word in SCALAR_TYPES},
}


_STDGATE_DEFS: dict[str, GateDef] | None = None


def _stdgate_defs() -> dict[str, GateDef]:
    """The gates ``stdgates.inc`` declares, made once (every program that includes it shares them:
    a gate declaration is not changed after it is made)."""
    global _STDGATE_DEFS
    if _STDGATE_DEFS is None:
        _STDGATE_DEFS = {gate_name: library_gate(library, gate_name) for gate_name, library in STDGATES.items()}
    return _STDGATE_DEFS
