"""The OpenQASM 3 reader (the rules it follows are in :mod:`qhpc_interop.qasm3`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..gates import Definition
from ..ir import Circuit
from ..params import Expr, Parameter
from .gatedefs import (
    BodyBuilder,
    GateDef,
    ModifierError,
    control,
    defined_gate,
    invert,
    library_gate,
    placeholder,
    power,
)
from .lexer import Token
from .operands3 import _ASSIGNMENT_OPS, Operands3, Register3, Symbol3, Value3
from .parser import QASM3_DIALECT, Value
from .reader_base import Operand, check_register_size, read_program
from .stdlib import QASM3_KEYWORDS, STDGATES

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

_DECLARATION_WORDS = frozenset({"qubit", "qreg", "bit", "creg", "input", "const", "gate", "include"})
_MODIFIERS = frozenset({"inv", "pow", "ctrl", "negctrl"})
#: ``pow(k) @`` repeats the gate ``k`` times; larger powers are refused rather than expanded
_MAX_POWER = 1 << 16


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 3 program. ``source`` names it in error messages."""
    return read_program(Reader(text, source), source)


@dataclass
class _Modifier:
    kind: str
    count: int
    token: Token



class Reader(Operands3):
    """The OpenQASM 3 reader (one per program)."""

    dialect = QASM3_DIALECT

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, 3)
        self.symbols: dict[str, Symbol3] = {"U": library_gate("u", "U")}
        self.included = False
        self.addressing: str | None = None  # "virtual" (declared qubits) or "physical" ($n)
        # inside a gate definition: parameter and qubit names -> their indices
        self.gate_params: dict[str, int] | None = None
        self.gate_qubits: dict[str, int] = {}
        self.in_if = False

    def read(self) -> Circuit:
        if self.at("OPENQASM"):
            self.header()
        while self.peek().kind != "eof":
            self.statement()
        return self.circuit

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
        if word in _UNSUPPORTED_KEYWORDS:
            self.unsupported(f"{_UNSUPPORTED_KEYWORDS[word]} are not supported by the program model", tok)
        if self.in_if and word in _DECLARATION_WORDS:
            self.unsupported(f"'{word}' inside an if block is not supported by the program model", tok)
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
        sym = self.symbols.get(tok.text)
        after = self.peek(1)
        if isinstance(sym, GateDef):
            self.gate_call(None)
        elif isinstance(sym, Register3) and not sym.quantum:
            self.assignment()
        elif isinstance(sym, Value3) and after.text in _ASSIGNMENT_OPS:
            self.unsupported(f"classical assignment to '{tok.text}' is not supported by the program model", after)
        elif isinstance(sym, Register3):
            self.error(f"'{tok.text}' is a qubit register, not a gate", tok)
        elif isinstance(sym, Value3):
            self.error(f"'{tok.text}' is a{'n' if sym.kind == 'input' else ''} {sym.kind}, not a gate", tok)
        elif after.kind == "op" and after.text in _ASSIGNMENT_OPS:
            self.error(f"undeclared identifier '{tok.text}'", tok)
        else:
            self.lookup_gate(tok)

    def declare(self, tok: Token) -> None:
        if tok.text in QASM3_KEYWORDS:
            self.error(f"'{tok.text}' is a reserved word and cannot be declared", tok)
        prev = self.symbols.get(tok.text)
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
        for gate_name, library in STDGATES.items():
            if gate_name in self.symbols:
                self.error(f"\"stdgates.inc\" defines gate '{gate_name}', which is already declared", name)
            self.symbols[gate_name] = library_gate(library, gate_name)
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
        self.symbols[name.text] = Register3(name.text, reg.bits, size is None, True, name)

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
        self.symbols[name.text] = symbol
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
        self.symbols[name.text] = Value3(Parameter(name.text), "input", name)

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
        if type_tok.text in ("int", "uint"):
            if isinstance(value, float):
                if not value.is_integer():
                    self.error(f"const {type_tok.text} '{name.text}' gets the non-integer value {value!r}", value_tok)
                value = int(value)
        else:
            value = float(value)
        self.symbols[name.text] = Value3(value, "const", name)

    # -- gates --------------------------------------------------------------------------------
    def gate_definition(self) -> None:
        kw = self.next()
        if self.gate_params is not None:
            self.error("gates can only be defined at the top level", kw)
        name = self.expect_id("a gate name")
        self.declare(name)
        params: list[Token] = []
        if self.accept("("):
            if not self.at(")"):
                params = self.id_list("a parameter name")
            self.expect(")", "to close the parameter list")
        qubits = self.id_list("a qubit argument name")
        self.expect("{", f"to open the body of gate '{name.text}'")
        self.gate_params = {p.text: i for i, p in enumerate(params)}
        self.gate_qubits = {q.text: i for i, q in enumerate(qubits)}
        body = BodyBuilder()
        try:
            while not self.at("}"):
                if self.peek().kind == "eof":
                    self.error(f"expected '}}' to close the body of gate '{name.text}', found end of file",
                               self.peek())
                self.body_statement(body)
            self.next()
        finally:
            self.gate_params, self.gate_qubits = None, {}
        self.symbols[name.text] = defined_gate(name.text, len(params), len(qubits), body.definition(), name)

    def body_statement(self, body: BodyBuilder) -> None:
        tok = self.peek()
        if tok.kind != "id":
            self.error(f"expected a gate call in the gate body, found {tok.describe()}", tok)
        if tok.text in _UNSUPPORTED_KEYWORDS:
            self.unsupported(f"{_UNSUPPORTED_KEYWORDS[tok.text]} are not supported by the program model", tok)
        if tok.text == "barrier":
            self.next()
            if not self.at(";"):
                self.body_operands()
            self.end_statement("the barrier statement")
            return
        if tok.text in ("measure", "reset", "if", "else") or tok.text in _DECLARATION_WORDS:
            self.error(f"'{tok.text}' is not allowed inside a gate definition", tok)
        self.gate_call(body)

    def body_operands(self) -> list[int]:
        operands: list[int] = []
        while True:
            tok = self.peek()
            if tok.kind == "hwqubit":
                self.error("physical qubits cannot be used inside a gate definition", tok)
            tok = self.expect_id("a qubit argument")
            if tok.text not in self.gate_qubits:
                self.error(f"'{tok.text}' is not a qubit argument of this gate", tok)
            if self.at("["):
                self.error("qubit arguments cannot be indexed inside a gate definition", self.peek())
            operands.append(self.gate_qubits[tok.text])
            if not self.accept(","):
                return operands

    def lookup_gate(self, tok: Token) -> GateDef:
        sym = self.symbols.get(tok.text)
        if isinstance(sym, GateDef):
            return sym
        if sym is not None:
            self.error(f"'{tok.text}' is not a gate", tok)
        if tok.text in STDGATES and not self.included:
            self.error(f"unknown gate '{tok.text}'; did you forget include \"stdgates.inc\"?", tok)
        self.error(f"unknown gate '{tok.text}'", tok)

    def modifiers(self) -> list[_Modifier]:
        mods: list[_Modifier] = []
        while self.peek().kind == "id" and self.peek().text in _MODIFIERS:
            tok = self.next()
            count = 1
            if tok.text == "pow":
                self.expect("(", "after pow")
                value_tok = self.peek()
                count = self.exponent(self.expression(), value_tok)
                self.expect(")", "to close pow(...)")
            elif tok.text in ("ctrl", "negctrl") and self.accept("("):
                value_tok = self.peek()
                count = self.integer(self.expression(), value_tok, f"the number of {tok.text} qubits")
                if count < 1:
                    self.error(f"{tok.text}({count}): the number of control qubits must be at least 1", value_tok)
                self.expect(")", f"to close {tok.text}(...)")
            self.expect("@", f"after the '{tok.text}' modifier")
            mods.append(_Modifier(tok.text, count, tok))
        return mods

    def exponent(self, value: Value, tok: Token) -> int:
        if isinstance(value, Expr):
            self.unsupported("pow(...) @ with an exponent that depends on parameters is not supported", tok)
        if isinstance(value, float):
            if not value.is_integer():
                self.unsupported(f"pow({value!r}) @: non-integer powers of gates are not supported by the program "
                                 "model", tok)
            value = int(value)
        if abs(value) > _MAX_POWER:
            self.unsupported(f"pow({value}) @: the model would hold the gate repeated {abs(value)} times; "
                             f"at most {_MAX_POWER} repetitions are expanded", tok)
        return value

    def gate_call(self, body: BodyBuilder | None) -> None:
        """A gate call (with modifiers), at top level (``body`` None) or inside a gate body."""
        mods = self.modifiers()
        name = self.expect_id("a gate name")
        gate = None if name.text == "gphase" else self.lookup_gate(name)
        args = self.arguments()
        if self.at("["):
            self.unsupported("gate durations (name[duration] ...) are not supported", self.peek())
        controls = sum(m.count for m in mods if m.kind in ("ctrl", "negctrl"))
        if body is not None:
            local = [] if self.at(";") else self.body_operands()
            operands: list[Operand] = []
            count = len(local)
        else:
            operands = [] if self.at(";") else self.operand_list()
            count = len(operands)
        self.end_statement(f"the call of '{name.text}'")
        params = [self.to_param(v, t) for v, t in args]
        if gate is None:
            if len(args) != 1:
                self.error(f"gphase takes 1 argument, got {len(args)}", name)
            if count != controls:
                self.error(f"gphase acts on no qubits (only on the controls of a ctrl modifier), got {count}", name)
            definition: Definition = ([], params[0])
        else:
            self.check_call(gate, len(args), count, name, extra_qubits=controls)
            definition = gate.instantiate(params)
        definition = self.apply_modifiers(mods, definition, name)
        if body is not None:
            if len(set(local)) != len(local):
                self.error(f"the same qubit is used twice in the call of '{name.text}'", name)
            body.add(definition, local)
        elif not operands:
            self.emit_definition(definition, ())
        else:
            for qubits in self.broadcast(operands, name):
                self.emit_definition(definition, qubits)

    def apply_modifiers(self, mods: Sequence[_Modifier], definition: Definition, name: Token) -> Definition:
        for mod in reversed(mods):
            if mod.kind == "inv":
                definition = invert(definition)
            elif mod.kind == "pow":
                definition = power(definition, mod.count)
            else:
                try:
                    definition = control(definition, mod.count, negated=mod.kind == "negctrl")
                except ModifierError as exc:
                    gate = self.symbols.get(name.text)
                    if isinstance(gate, GateDef) and gate.library is not None:
                        self.unsupported(str(exc), mod.token)
                    self.unsupported(f"{mod.kind} @ {name.text}: {exc} (a controlled gate is built gate by gate "
                                     "from the controlled forms of library gates)", mod.token)
        return definition

    def resolve_name(self, tok: Token) -> Value:
        if self.gate_params is not None and tok.text in self.gate_params:
            return placeholder(self.gate_params[tok.text])
        sym = self.symbols.get(tok.text)
        if isinstance(sym, Value3):
            if sym.kind == "input" and self.gate_params is not None:
                self.error(f"input '{tok.text}' cannot be used inside a gate definition (only its parameters and "
                           "constants can)", tok)
            return sym.value
        if sym is not None:
            self.error(f"'{tok.text}' is not a number", tok)
        self.error(f"unknown name '{tok.text}' in an expression", tok)
