"""The OpenQASM 3 reader (the rules it follows are in :mod:`qhpc_interop.qasm3`).

:class:`Reader` reads statements and declarations; its bases read the rest: :mod:`.expr3`
(expressions), :mod:`.operands3` (operands, measure, reset, barrier), :mod:`.gates3` (gates) and
:mod:`.control3` (blocks, conditionals).
"""

from __future__ import annotations

from ..ir import Circuit
from ..params import Expr, Parameter
from .control3 import Control3
from .gatedefs import GateDef, library_gate
from .gates3 import _MODIFIERS
from .lexer import Token
from .operands3 import _ASSIGNMENT_OPS
from .parser import Special
from .reader_base import Operand, check_register_size, read_program
from .stdlib import QASM3_KEYWORDS, STDGATES
from .values3 import CType, Register3, Scope, Subroutine, Symbol3, Variable

_UNSUPPORTED_KEYWORDS = {
    "for": "for loops",
    "while": "while loops",
    "def": "subroutine definitions (def)",
    "return": "return statements",
    "box": "box blocks",
    "delay": "delay instructions",
    "duration": "duration variables",
    "stretch": "stretch variables",
    "defcal": "calibration definitions (defcal)",
    "cal": "calibration blocks (cal)",
    "defcalgrammar": "calibration grammars (defcalgrammar)",
    "extern": "extern functions",
    "switch": "switch statements",
    "let": "aliases (let)",
    "end": "end statements",
    "break": "break statements",
    "continue": "continue statements",
    "array": "arrays",
    "int": "classical variables (int)",
    "uint": "classical variables (uint)",
    "float": "classical variables (float)",
    "angle": "classical variables (angle)",
    "bool": "classical variables (bool)",
    "complex": "classical variables (complex)",
    "output": "output declarations",
    "readonly": "readonly arrays",
    "nop": "nop instructions",
}


#: declarations only the global scope may hold
_GLOBAL_ONLY = frozenset({"qubit", "qreg", "bit", "creg", "input", "gate", "include"})


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 3 program. ``source`` names it in error messages."""
    return read_program(Reader(text, source), source)


class Reader(Control3):
    """The OpenQASM 3 reader (one per program)."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, 3)
        self.scopes: list[Scope] = [Scope({"U": library_gate("u", "U")})]
        self.included = False
        self.addressing: str | None = None  # "virtual" (declared qubits) or "physical" ($n)
        # inside a gate definition: parameter and qubit names -> their indices
        self.gate_params: dict[str, int] | None = None
        self.gate_qubits: dict[str, int] = {}

    def read(self) -> Circuit:
        if self.at("OPENQASM"):
            self.header()
        while self.peek().kind != "eof":
            self.statement()
        return self.circuit

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
        if tok.kind != "id":
            if tok.kind == "op" and tok.text == "{":
                self.unsupported("bare blocks ('{ ... }' outside if and gate)", tok)
            self.error(f"expected a statement, found {tok.describe()}", tok)
        word = tok.text
        if word == "OPENQASM":
            self.error("the OPENQASM header may only appear once, at the start", tok)
        self.statement_token = tok
        if word in _UNSUPPORTED_KEYWORDS:
            self.unsupported(f"{_UNSUPPORTED_KEYWORDS[word]} are not supported by the program model", tok)
        if len(self.scopes) > 1 and word in _GLOBAL_ONLY:
            self.error(f"'{word}' declarations are only allowed at the top level, not inside a block", tok)
        handler = {
            "include": self.include,
            "qubit": self.qubit_declaration,
            "qreg": self.qubit_declaration,
            "bit": self.bit_declaration,
            "creg": self.bit_declaration,
            "input": self.input_declaration,
            "const": self.const_declaration,
            "gate": self.gate_definition,
            "measure": self.measure_statement,
            "reset": self.reset,
            "barrier": self.barrier,
            "if": self.if_statement,
        }.get(word)
        if handler is not None:
            handler()
        elif word == "else":
            self.error("'else' without a preceding if", tok)
        elif word in _MODIFIERS or word in ("gphase", "U"):
            self.gate_call(None)
        else:
            self.identifier_statement(tok)

    def identifier_statement(self, tok: Token) -> None:
        sym = self.lookup(tok.text)
        after = self.peek(1)
        if isinstance(sym, GateDef):
            self.gate_call(None)
        elif isinstance(sym, Register3) and not sym.quantum:
            self.assignment()
        elif isinstance(sym, Variable) and after.text in _ASSIGNMENT_OPS:
            self.unsupported(f"classical assignment to '{tok.text}' is not supported by the program model", after)
        elif isinstance(sym, Register3):
            self.error(f"'{tok.text}' is a qubit register, not a gate", tok)
        elif isinstance(sym, Variable):
            self.error(f"'{tok.text}' is a{'n' if sym.role == 'input' else ''} {sym.role}, not a gate", tok)
        elif after.kind == "op" and after.text in _ASSIGNMENT_OPS:
            self.error(f"undeclared identifier '{tok.text}'", tok)
        else:
            self.lookup_gate(tok)

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
        for gate_name, library in STDGATES.items():
            if gate_name in names:
                self.error(f"\"stdgates.inc\" defines gate '{gate_name}', which is already declared", name)
            names[gate_name] = library_gate(library, gate_name)
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
        self.addressing = "virtual"
        too_big = check_register_size(size or 1, self.circuit.num_qubits, "qubits")
        if too_big:
            self.unsupported(too_big, name)
        reg = self.circuit.add_qreg(name.text, size or 1)
        self.bind(name.text, Register3(name.text, reg.bits, size is None, True, name))

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
        reg = self.circuit.add_creg(name.text, size or 1)
        symbol = Register3(name.text, reg.bits, size is None, False, name)
        self.bind(name.text, symbol)
        if kind.text == "bit" and self.at("="):
            self.next()
            measure = self.peek()
            if not self.accept("measure"):
                self.unsupported("initialising bits with a value is not supported (only '= measure ...')", measure)
            qubits = self.operand(quantum=True)
            self.end_statement("the bit declaration")
            self.emit_measure(qubits, Operand(symbol.bits, symbol.scalar, name), measure)
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
        type_tok = self.expect_id("a type")
        if type_tok.text not in ("int", "uint", "float", "angle"):
            self.unsupported(f"constants of type '{type_tok.text}' are not supported (int, uint, float, angle are)",
                             type_tok)
        self.designator("the type width")
        name = self.expect_id("a constant name")
        self.declare(name)
        self.expect("=", f"after the name of constant '{name.text}'")
        value_tok = self.peek()
        value = self.expression()
        self.end_statement("the const declaration")
        if isinstance(value, Expr):
            self.error(f"const '{name.text}' must have a constant value, but it depends on input parameters",
                       value_tok)
        if isinstance(value, Special):
            self.unsupported(f"const '{name.text}' gets {value.what}", value_tok)
        if type_tok.text in ("int", "uint"):
            if isinstance(value, float):
                if not value.is_integer():
                    self.error(f"const {type_tok.text} '{name.text}' gets the non-integer value {value!r}", value_tok)
                value = int(value)
        else:
            value = float(value)
        self.bind(name.text, Variable(name.text, CType(type_tok.text), value, "const", name))
