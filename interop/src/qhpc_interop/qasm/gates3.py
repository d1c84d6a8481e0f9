"""Gates in the OpenQASM 3 reader: definitions (inlined), modifiers, and calls."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ParameterError
from ..gates import Definition
from ..params import Expr
from .gatedefs import BodyBuilder, GateDef, ModifierError, control, defined_gate, fractional_power, invert, power
from .lexer import Token
from .operands3 import Operands3
from .parser import Special, Value
from .reader_base import Operand
from .stdlib import STDGATES
from .values3 import Scope

_MODIFIERS = frozenset({"inv", "pow", "ctrl", "negctrl"})
#: ``pow(k) @`` repeats the gate ``k`` times; larger powers are refused rather than expanded
_MAX_POWER = 1 << 16
#: statements a gate body cannot hold
_NOT_IN_GATES = frozenset({
    "measure", "reset", "if", "else", "qubit", "qreg", "bit", "creg", "input", "const", "gate", "include", "for",
    "while", "def", "return", "box", "delay", "switch", "let", "end", "break", "continue", "int", "uint", "float",
    "angle", "bool", "complex", "duration", "stretch", "array", "output", "extern", "defcal", "cal",
})


@dataclass
class _Modifier:
    kind: str
    #: controls, or the exponent of ``pow`` (a float only when it is not an integer)
    count: int | float
    token: Token


class Gates3(Operands3):
    """Gate definitions and calls (a base of :class:`~.reader3.Reader`)."""

    gate_qubits: dict[str, int]
    included: bool
    #: the body of the gate being defined
    gate_body: BodyBuilder | None = None

    def declare(self, tok: Token) -> None:
        raise NotImplementedError

    def bind(self, name: str, symbol: object) -> None:
        raise NotImplementedError

    # -- gates --------------------------------------------------------------------------------
    def gate_definition(self) -> None:
        kw = self.next()
        if self.gate_params is not None or len(self.scopes) > 1:
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
        self.scopes.append(Scope(closed=True))
        self.gate_body = BodyBuilder()
        try:
            while not self.at("}"):
                if self.peek().kind == "eof":
                    self.error(f"expected '}}' to close the body of gate '{name.text}', found end of file",
                               self.peek())
                self.body_statement()
            self.next()
            definition = self.gate_body.definition()
        finally:
            self.gate_params, self.gate_qubits, self.gate_body = None, {}, None
            self.scopes.pop()
        self.bind(name.text, defined_gate(name.text, len(params), len(qubits), definition, name))

    def body_statement(self) -> None:
        """One statement of a gate body: a gate call, ``gphase``, a barrier (dropped), or a loop of them."""
        tok = self.peek()
        if tok.kind != "id":
            self.error(f"expected a gate call in the gate body, found {tok.describe()}", tok)
        if tok.text == "barrier":
            self.next()
            if not self.at(";"):
                self.body_operands()
            self.end_statement("the barrier statement")
            return
        if tok.text == "for":
            self.for_statement()
            return
        if tok.text in _NOT_IN_GATES:
            self.error(f"'{tok.text}' is not allowed inside a gate definition", tok)
        assert self.gate_body is not None
        self.gate_call(self.gate_body)

    def for_statement(self) -> None:
        raise NotImplementedError

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
        sym = self.lookup(tok.text)
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
            count: int | float = 1
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

    def exponent(self, value: Value, tok: Token) -> int | float:
        if isinstance(value, Special):
            self.unsupported(f"pow({value.what}) @ is not supported", tok)
        if isinstance(value, Expr):
            self.unsupported("pow(...) @ with an exponent that depends on parameters is not supported", tok)
        if isinstance(value, float):
            if not math.isfinite(value):
                self.error(f"pow({value!r}) @: the exponent must be finite", tok)
            if not value.is_integer():
                return value
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
        controls = sum(int(m.count) for m in mods if m.kind in ("ctrl", "negctrl"))
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
        definition = self.apply_modifiers(mods, definition, name, 0 if gate is None else gate.num_qubits)
        if body is not None:
            if len(set(local)) != len(local):
                self.error(f"the same qubit is used twice in the call of '{name.text}'", name)
            body.add(definition, local)
        else:
            try:
                for qubits in self.broadcast(operands, name) if operands else [()]:
                    self.emit_definition(definition, qubits)
            except ParameterError as exc:  # a value the model refuses: said where
                self.unsupported(str(exc), name)

    def apply_modifiers(self, mods: Sequence[_Modifier], definition: Definition, name: Token,
                        width: int) -> Definition:
        """The modifiers applied innermost first to ``definition`` (on ``width`` qubits); adjacent
        ``ctrl``/``negctrl`` are one control (their control qubits in the order written), built
        exactly from library gates. The controls are taken outermost, in their written order: ``inv``
        and ``pow`` of a controlled gate are the controlled ``inv`` and ``pow`` (the identity block
        stays the identity, a non-integer power's principal branch included), and the control
        qubits are the first operands whatever the order of the modifiers."""
        mods = [m for m in mods if m.kind in ("ctrl", "negctrl")] + [m for m in mods if m.kind not in ("ctrl", "negctrl")]
        k = len(mods)
        while k:
            mod = mods[k - 1]
            if mod.kind == "inv":
                definition, k = invert(definition), k - 1
            elif mod.kind == "pow" and isinstance(mod.count, float):
                try:
                    definition = fractional_power(definition, mod.count, width)
                except ModifierError as exc:
                    self.unsupported(f"pow({mod.count!r}) @ {name.text}: {exc}", mod.token)
                k -= 1
            elif mod.kind == "pow":
                definition, k = power(definition, int(mod.count)), k - 1
            else:
                first = k - 1
                while first and mods[first - 1].kind in ("ctrl", "negctrl"):
                    first -= 1
                flags = [m.kind == "negctrl" for m in mods[first:k] for _ in range(int(m.count))]
                try:
                    definition = control(definition, len(flags), flags)
                except ModifierError as exc:
                    self.unsupported(f"{mod.kind} @ {name.text}: {exc}", mods[first].token)
                k, width = first, width + len(flags)
        return definition
