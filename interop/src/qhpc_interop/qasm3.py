"""OpenQASM 3 reader and writer for the program model (the subset the model can hold).

Reading (:func:`loads`, :func:`load`)
    Supported:

    * the header ``OPENQASM 3;`` / ``OPENQASM 3.0;`` (optional); ``include "stdgates.inc";`` (gates
      ``p x y z h s sdg t tdg sx rx ry rz cx cy cz cp crx cry crz ch swap ccx cswap cu CX phase cphase
      id u1 u2 u3`` with Qiskit's meaning: ``phase`` is ``p``, ``cphase`` is ``cp``, ``CX`` is ``cx``);
      the builtins ``U(θ, φ, λ)`` (library ``u``) and ``gphase(γ)`` (adds to the global phase);
    * ``qubit q;`` ``qubit[n] q;`` ``bit c;`` ``bit[n] c;`` (optionally ``= measure q``), legacy
      ``qreg``/``creg``; physical qubits ``$0``, ``$3`` (the circuit gets the highest index + 1 qubits
      and no register; they cannot be mixed with declared qubits);
    * ``input float[64] θ;`` / ``input float θ;`` / ``input angle[32] θ;`` become the symbolic
      :class:`~qhpc_interop.params.Parameter` named ``θ`` (the circuit stays parameterized);
      ``const float|int|uint|angle x = <expr>;`` is folded;
    * ``gate`` definitions, inlined at each call (the model has no custom-gate type; a definition
      that is exactly the library gate of its name reads as that gate); bodies may use modifiers
      and ``gphase``; barriers in bodies are dropped;
    * modifiers ``inv @`` (library inverse, else the definition reversed and inverted), ``pow(k) @``
      for integer ``k`` (repetition; negative: of the inverse), ``ctrl @``, ``ctrl(n) @``,
      ``negctrl @`` (the library's controlled gate, e.g. ``x``→``cx``→``ccx``, ``u``→``cu``,
      ``gphase(γ)``→``p(γ)`` on the control; a one-qubit gate without a controlled library gate,
      e.g. ``sxdg``, is controlled through its definition; ``negctrl`` adds ``x`` on the control
      before and after; a defined gate is controlled gate by gate, which needs a controlled form of
      every gate of its body: ``ctrl @`` of a body holding ``ccx`` needs a 4-qubit gate the model
      does not have);
    * ``measure q -> c;``, ``c = measure q;``, ``c[0] = measure q[1];`` with broadcasting; ``reset``;
      ``barrier`` (no operands: all qubits);
    * operands ``q``, ``q[i]`` (negative ``i`` counts from the end), ``q[a:b]`` and ``q[a:s:b]``
      (inclusive end), ``q[{0, 2}]``;
    * ``if (c == n)``, ``if (c[k] == 1)``, ``if (c[k])``, ``if (!c[k])``, ``if (c[k] == true)``,
      ``!=`` on one bit, with a block or one statement: every instruction of the body gets the
      condition (a ``gphase`` or barrier inside an ``if`` is dropped: a phase in one classical
      branch is unobservable);
    * expressions ``+ - * / % **``, unary minus, parentheses, ``pi π tau τ euler ℇ``, integer
      (``1_000``, ``0x1f``) and real literals, the functions ``sin cos tan arcsin arccos arctan exp
      log sqrt``. ``int / int`` is an integer (floor) division, as in Qiskit's reader.
    * ``pragma`` lines and ``@annotation`` lines are ignored.

    Valid OpenQASM 3 the model cannot hold raises :class:`~qhpc_interop.errors.QasmUnsupportedError`
    at the offending token, naming the feature: ``for while def return box delay duration stretch
    defcal cal defcalgrammar extern switch let end break continue``, arrays, classical variables other
    than ``input``/``const``, classical assignment other than measurement, timing literals, ``output``,
    ``else``, nested ``if``, conditions other than the ones above, an ``if`` block that writes a bit
    its condition reads before another of its instructions, non-integer ``pow``, a controlled gate
    the library cannot express (``ctrl @ ccx``), includes other than ``stdgates.inc``.
    Malformed text raises :class:`~qhpc_interop.errors.QasmSyntaxError`.

Writing (:func:`dumps`, :func:`dump`) -- exact, global phase included
    ``OPENQASM 3.0;`` and ``include "stdgates.inc";``; one ``input float[64] name;`` per free
    parameter (sorted by name); ``gate`` definitions for library gates not in stdgates, generated from
    the library definitions with their global phase as ``gphase(...)`` (their parameters are named
    ``p0_theta``, ``p1_phi``...: Qiskit's reader binds a defined gate's parameters in alphabetical
    order, so that order must be the declared one); ``qubit[n]``/``bit[n]``
    declarations (the circuit's registers if they lay its bits out in order, else one ``q`` and one
    ``c``); the circuit's global phase as a top-level ``gphase(...)``; gates by name (library ``u``
    as ``U``); one-qubit unitaries as ``U(θ, φ, λ)`` (ZYZ angles, their phase added to the
    ``gphase``); ``c[k] = measure q[j];``, ``reset``, ``barrier``; conditions as
    ``if (c == n) { ... }`` (whole register) or ``if (c[k]) { ... }`` / ``if (!c[k]) { ... }``.

    Identifiers: a parameter or register name that is not a valid OpenQASM 3 identifier, or that
    clashes with a keyword, a gate name or another name, is escaped deterministically: each invalid
    character becomes ``_`` (a leading digit gets a ``_`` prefix), then ``_1``, ``_2``... is added
    until the name is free. Parameters are named first (those already valid and free keep their
    names, then the others in sorted order), then registers. ``θ[0]`` is written ``θ_0_``; reading
    the text back gives ``Parameter("θ_0_")``.

    :class:`~qhpc_interop.errors.NotExpressibleError` for a multi-qubit unitary, ``abs`` in a
    parameter expression (no OpenQASM 3 builtin Qiskit's reader knows), and a condition on several
    bits that are not one written register.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from ._qasm_common import (
    MAX_REGISTER_BITS,
    QASM3_IDENTIFIER,
    BodyBuilder,
    GateDef,
    ModifierError,
    NameAllocator,
    Operand,
    ReaderBase,
    RegisterPlan,
    check_register_size,
    control,
    defined_gate,
    definition_order,
    invert,
    library_definition,
    library_gate,
    placeholder,
    plan_registers,
    power,
    read_program,
    uses_function,
)
from ._qasm_syntax import QASM3_DIALECT, Token, Value
from .errors import NotExpressibleError
from .gates import STANDARD_GATES, Definition, zyz_angles
from .ir import Barrier, Circuit, Condition, Gate, Instruction, Measure, Reset, UnitaryGate
from .params import Expr, Parameter, ParamValue, format_expr

__all__ = ["STDGATES", "dump", "dumps", "load", "loads"]

FORMAT = "OpenQASM 3"

#: The gates ``include "stdgates.inc";`` defines -> the library gate each one is.
STDGATES: dict[str, str] = {
    **{name: name for name in (
        "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy", "cz", "cp", "crx",
        "cry", "crz", "ch", "swap", "ccx", "cswap", "cu", "id", "u1", "u2", "u3",
    )},
    "CX": "cx",
    "phase": "p",
    "cphase": "cp",
}

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

_KEYWORDS = frozenset({
    "OPENQASM", "include", "defcalgrammar", "def", "cal", "defcal", "gate", "extern", "box", "let", "break",
    "continue", "if", "else", "end", "return", "for", "while", "in", "switch", "case", "default", "nop", "pragma",
    "input", "output", "const", "readonly", "mutable", "qreg", "qubit", "creg", "bool", "bit", "int", "uint",
    "float", "angle", "complex", "array", "void", "duration", "stretch", "gphase", "inv", "pow", "ctrl",
    "negctrl", "dim", "durationof", "delay", "reset", "measure", "barrier", "true", "false", "im", "U",
    "pi", "π", "tau", "τ", "euler", "ℇ", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "exp", "log",
    "sqrt", "ceiling", "floor", "mod", "popcount", "rotl", "rotr", "sizeof", "real", "imag",
})

_ASSIGNMENT_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**="})
_DECLARATION_WORDS = frozenset({"qubit", "qreg", "bit", "creg", "input", "const", "gate", "include"})
_MODIFIERS = frozenset({"inv", "pow", "ctrl", "negctrl"})
#: ``pow(k) @`` repeats the gate ``k`` times; larger powers are refused rather than expanded
_MAX_POWER = 1 << 16


# -- reading -------------------------------------------------------------------------------------


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 3 program. ``source`` names it in error messages."""
    return read_program(_Reader(text, source), source)


def load(path: str | PathLike[str]) -> Circuit:
    """Read an OpenQASM 3 file (errors name the path)."""
    return loads(Path(path).read_text(encoding="utf-8"), source=str(path))


@dataclass
class _Register:
    """A declared qubit or bit register (``scalar`` for ``qubit q;`` / ``bit c;``)."""

    name: str
    bits: tuple[int, ...]
    scalar: bool
    quantum: bool
    token: Token


@dataclass
class _Value:
    """An ``input`` (a symbolic parameter) or a ``const`` (a number)."""

    value: Value
    kind: str
    token: Token


_Symbol = _Register | _Value | GateDef


@dataclass
class _Modifier:
    kind: str
    count: int
    token: Token


class _Reader(ReaderBase):
    dialect = QASM3_DIALECT

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, 3)
        self.symbols: dict[str, _Symbol] = {"U": library_gate("u", "U")}
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
        elif isinstance(sym, _Register) and not sym.quantum:
            self.assignment()
        elif isinstance(sym, _Value) and after.text in _ASSIGNMENT_OPS:
            self.unsupported(f"classical assignment to '{tok.text}' is not supported by the program model", after)
        elif isinstance(sym, _Register):
            self.error(f"'{tok.text}' is a qubit register, not a gate", tok)
        elif isinstance(sym, _Value):
            self.error(f"'{tok.text}' is a{'n' if sym.kind == 'input' else ''} {sym.kind}, not a gate", tok)
        elif after.kind == "op" and after.text in _ASSIGNMENT_OPS:
            self.error(f"undeclared identifier '{tok.text}'", tok)
        else:
            self.lookup_gate(tok)

    def end_statement(self, what: str) -> None:
        self.expect_semicolon(f"after {what}")

    def declare(self, tok: Token) -> None:
        if tok.text in _KEYWORDS:
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
        self.symbols[name.text] = _Register(name.text, reg.bits, size is None, True, name)

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
        symbol = _Register(name.text, reg.bits, size is None, False, name)
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
        self.symbols[name.text] = _Value(Parameter(name.text), "input", name)

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
        self.symbols[name.text] = _Value(value, "const", name)

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
        if isinstance(sym, _Value):
            if sym.kind == "input" and self.gate_params is not None:
                self.error(f"input '{tok.text}' cannot be used inside a gate definition (only its parameters and "
                           "constants can)", tok)
            return sym.value
        if sym is not None:
            self.error(f"'{tok.text}' is not a number", tok)
        self.error(f"unknown name '{tok.text}' in an expression", tok)

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
        if not isinstance(sym, _Register) or sym.quantum != quantum:
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

    def index_value(self, reg: _Register, what: str = "index") -> int:
        tok = self.peek()
        index = self.integer(self.expression(), tok, f"an {what}")
        size = len(reg.bits)
        if not -size <= index < size:
            self.error(f"index {index} out of range for register '{reg.name}' of size {size}", tok)
        return index % size

    def index(self, reg: _Register) -> tuple[tuple[int, ...], bool]:
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

    def range_bits(self, reg: _Register, start: int | None, end: int | None, step: int, tok: Token) -> tuple[int, ...]:
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
        if not isinstance(sym, _Register) or sym.quantum:
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


# -- writing -------------------------------------------------------------------------------------

_NATIVE = frozenset(STDGATES.values()) | {"u"}
_FUNCTIONS = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}
_IDENTIFIER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})


def dump(circuit: Circuit, path: str | PathLike[str]) -> None:
    """Write the circuit to a file as OpenQASM 3 (see :func:`dumps`)."""
    Path(path).write_text(dumps(circuit), encoding="utf-8")


def _valid_identifier(name: str) -> bool:
    """Whether ``name`` is an OpenQASM 3 identifier (the grammar's letters, ``_``, ASCII digits after the first)."""
    if not name or not QASM3_IDENTIFIER.fullmatch(name):
        return False
    return all(c == "_" or ("0" <= c <= "9" and k) or unicodedata.category(c) in _IDENTIFIER_CATEGORIES
               for k, c in enumerate(name))


def _sanitize(name: str) -> str:
    clean = "".join(c if _valid_identifier("a" + c) else "_" for c in name)
    return "_" + clean if not clean or "0" <= clean[0] <= "9" else clean


class _Writer:
    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self._check()
        used = dict.fromkeys(i.operation.name for i in circuit.instructions if isinstance(i.operation, Gate))
        self.declared = definition_order(used, lambda n: n in _NATIVE)
        reserved = _KEYWORDS | set(STDGATES) | set(self.declared)
        names = NameAllocator(reserved, _valid_identifier, _sanitize)
        # valid, free names first, so that a valid name is never renamed to make room for an escaped one
        params = [p.name for p in circuit.parameters]
        keep = [n for n in params if _valid_identifier(n) and n not in reserved]
        self.param_names = {n: names.take(n) for n in keep}
        self.param_names.update({n: names.take(n) for n in params if n not in self.param_names})
        self.qplan: RegisterPlan = plan_registers(circuit.qregs, circuit.num_qubits, "q", names)
        self.cplan: RegisterPlan = plan_registers(circuit.cregs, circuit.num_clbits, "c", names)
        self.phase: ParamValue = circuit.global_phase

    def _check(self) -> None:
        values: list[ParamValue] = [self.circuit.global_phase]
        for inst in self.circuit.instructions:
            op = inst.operation
            if isinstance(op, UnitaryGate) and op.num_qubits > 1:
                raise NotExpressibleError(
                    FORMAT, f"an arbitrary {op.num_qubits}-qubit unitary ({inst})",
                    hint="compile the circuit for a target so it is decomposed into gates",
                )
            values.extend(op.params)
        if any(uses_function(v, "abs") for v in values):
            raise NotExpressibleError(FORMAT, "abs() in a parameter expression (OpenQASM 3 readers have no abs)",
                                      hint="bind the parameters first (Circuit.bind)")

    def expr(self, value: ParamValue, local: bool = False) -> str:
        if local:
            return format_expr(value, function_names=_FUNCTIONS)
        return format_expr(value, function_names=_FUNCTIONS, name_of=lambda p: self.param_names[p.name])

    def call(self, name: str, params: Sequence[ParamValue], qubits: Sequence[str], local: bool = False) -> str:
        written = "U" if name == "u" else name
        args = f"({', '.join(self.expr(p, local) for p in params)})" if params else ""
        return f"{written}{args} {', '.join(qubits)};"

    def gate_definition(self, name: str) -> list[str]:
        spec = STANDARD_GATES[name]
        qubits = [f"q{k}" for k in range(spec.num_qubits)]
        # Qiskit's reader binds a defined gate's parameters in alphabetical order: keep it the order
        names = [f"p{k}_{p}" for k, p in enumerate(spec.param_names)]
        steps, phase = library_definition(name, names)
        params = f"({', '.join(names)})" if names else ""
        lines = [f"gate {name}{params} {', '.join(qubits)} {{"]
        lines += [f"  {self.call(step, p, [qubits[k] for k in local], local=True)}" for step, p, local in steps]
        if isinstance(phase, Expr) or phase != 0.0:
            lines.append(f"  gphase({self.expr(phase, local=True)});")
        lines.append("}")
        return lines

    def instruction(self, inst: Instruction) -> str:
        op = inst.operation
        qubits = [self.qplan.refs[q] for q in inst.qubits]
        if isinstance(op, Gate):
            text = self.call(op.name, op.params, qubits)
        elif isinstance(op, UnitaryGate):
            theta, phi, lam, phase = zyz_angles(op.matrix_data)
            if inst.condition is None:
                self.phase = self.phase + phase
            text = self.call("u", (theta, phi, lam), qubits)
        elif isinstance(op, Measure):
            text = f"{self.cplan.refs[inst.clbits[0]]} = measure {qubits[0]};"
        elif isinstance(op, Reset):
            text = f"reset {qubits[0]};"
        elif isinstance(op, Barrier):
            return f"barrier {', '.join(qubits)};" if qubits else ""
        else:  # pragma: no cover - the model has no other operations
            raise NotExpressibleError(FORMAT, f"operation {op!r}")
        if inst.condition is None:
            return text
        return f"if ({self.condition(inst)}) {{ {text} }}"

    def condition(self, inst: Instruction) -> str:
        cond = inst.condition
        assert cond is not None
        register = self.cplan.by_bits.get(cond.clbits)
        if register is not None and (cond.register is not None or len(cond.clbits) > 1):
            return f"{register} == {cond.value}"
        if len(cond.clbits) == 1:
            ref = self.cplan.refs[cond.clbits[0]]
            return ref if cond.value else f"!{ref}"
        bits = ", ".join(self.cplan.refs[c] for c in cond.clbits)
        raise NotExpressibleError(FORMAT, f"a condition on the bits {bits}, which are not one register ({inst})",
                                  hint="condition on a whole register or on a single bit")

    def text(self) -> str:
        lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
        lines += [f"input float[64] {self.param_names[p.name]};" for p in self.circuit.parameters]
        for name in self.declared:
            lines += self.gate_definition(name)
        lines += [f"qubit[{size}] {name};" for name, size in self.qplan.declarations]
        lines += [f"bit[{size}] {name};" for name, size in self.cplan.declarations]
        body = [t for t in (self.instruction(inst) for inst in self.circuit.instructions) if t]
        if isinstance(self.phase, Expr) or self.phase != 0.0:
            lines.append(f"gphase({self.expr(self.phase)});")
        return "\n".join(lines + body) + "\n"


def dumps(circuit: Circuit) -> str:
    """The circuit as an OpenQASM 3 program, exactly (global phase included; see the module docstring)."""
    return _Writer(circuit).text()
