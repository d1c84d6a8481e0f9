"""Subroutines in the OpenQASM 3 reader: ``def``, calls, ``return``.

A ``def`` is kept as its tokens and read again at each call, in a scope that sees only its
parameters and the global constants, gates and subroutines (the specification's scoping): qubit
parameters are bound to the argument's qubits, classical ones to the argument's value (arrays by
reference). ``return`` gives the call its value; ``return measure q;`` is held when the call is
assigned to bits (the measurement goes into them).
"""

from __future__ import annotations

from .control3 import MAX_CALL_DEPTH, Control3, _Return
from .lexer import Token
from .parser import Special, Value
from .values3 import Array, Bits, CType, Measured, Register3, Scope, Subroutine, Variable


class Subroutines3(Control3):
    """Subroutine definitions and calls (a base of :class:`~.reader3.Reader`)."""

    # -- subroutines ---------------------------------------------------------------------------------
    def subroutine_definition(self) -> None:
        kw = self.next()
        if len(self.scopes) > 1 or self.gate_body is not None:
            self.error("subroutines can only be defined at the top level", kw)
        name = self.expect_id("a subroutine name")
        self.declare(name)
        self.expect("(", f"after the subroutine name '{name.text}'")
        params: list[tuple[Token, CType]] = []
        if not self.at(")"):
            while True:
                params.append(self.parameter())
                if not self.accept(","):
                    break
        self.expect(")", "to close the parameter list")
        names = [p.text for p, _ in params]
        for ptok, _ in params:
            if names.count(ptok.text) > 1:
                self.error(f"'{ptok.text}' appears twice in the list", ptok)
        returns = None
        if self.accept("->"):
            returns = self.parse_type()
        if not self.at("{"):
            self.error(f"expected '{{' to open the body of '{name.text}', found {self.peek().describe()}",
                       self.peek())
        body = self.sealed(self.capture_statement())
        self.bind(name.text, Subroutine(name.text, params, returns, body, name))

    def parameter(self) -> tuple[Token, CType]:
        """One subroutine parameter: ``qubit[n] q``, ``bit b``, ``int[32] n``, ``readonly array[...] a``."""
        tok = self.peek()
        if self.accept("const"):
            tok = self.peek()
        if self.accept("readonly") or self.accept("mutable"):
            tok = self.peek()
        if self.accept("qubit") or self.accept("qreg") or self.accept("creg"):
            kind = "qubit" if tok.text in ("qubit", "qreg") else "bit"
            size = None
            if tok.text == "qubit" and self.accept("["):
                size = self._integer_expression("the number of qubits")
                self.expect("]", "to close the number of qubits")
            name = self.expect_id("a parameter name")
            if tok.text in ("qreg", "creg") and self.accept("["):
                size = self._integer_expression("the register size")
                self.expect("]", "to close the register size")
            return name, CType(kind, size)
        ctype = self.parse_type()
        return self.expect_id("a parameter name"), ctype

    def call_subroutine(self, sub: Subroutine, tok: Token) -> Value:
        """``name(arguments)``: the body read with the parameters bound; the value it returns."""
        if self.gate_body is not None:
            self.error(f"subroutine '{sub.name}' cannot be called inside a gate definition", tok)
        self.expect("(")
        scope = Scope(closed=True, runtime_depth=self.runtime_depth)
        for k, (ptok, ptype) in enumerate(sub.params):
            if k and not self.accept(","):
                self.error(f"'{sub.name}' takes {len(sub.params)} argument(s), got {k}", self.peek())
            if self.at(")"):
                self.error(f"'{sub.name}' takes {len(sub.params)} argument(s), got {k}", self.peek())
            scope.names[ptok.text] = self.argument(sub, ptok, ptype)
        if not self.at(")"):
            self.error(f"'{sub.name}' takes {len(sub.params)} argument(s), got more", self.peek())
        self.next()
        if len(self.calls) >= MAX_CALL_DEPTH:
            self.unsupported(f"subroutine calls nest more than {MAX_CALL_DEPTH} deep", tok)
        self.count_iteration(tok)
        self.calls.append((self.runtime_depth, self.loops))
        self.loops = []
        self.scopes.append(scope)
        value: Value | None = None
        try:
            self.replay_statement(sub.body)
        except _Return as done:
            value = done.value
        finally:
            self.scopes.pop()
            _, self.loops = self.calls.pop()
        if sub.returns is None:
            return _NoValue(sub.name)
        if value is None:
            self.error(f"subroutine '{sub.name}' ends without returning a {sub.returns}", tok)
        if isinstance(value, Measured):
            if sub.returns.kind != "bit" or (sub.returns.width or 1) != len(value.qubits):
                self.error(f"subroutine '{sub.name}' returns a measurement of {len(value.qubits)} qubit(s) as a "
                           f"{sub.returns}", tok)
            return value
        return self.assigned(sub.returns, value, tok, f"the value of '{sub.name}'")

    def argument(self, sub: Subroutine, ptok: Token, ptype: CType) -> Register3 | Variable:
        atok = self.peek()
        if ptype.kind == "qubit":
            operand = self.operand(quantum=True)
            if ptype.width is None and not operand.single:
                self.error(f"'{ptok.text}' of '{sub.name}' is one qubit, not {len(operand.bits)}", atok)
            if ptype.width is not None and len(operand.bits) != ptype.width:
                self.error(f"'{ptok.text}' of '{sub.name}' is {ptype.width} qubit(s), not {len(operand.bits)}", atok)
            return Register3(ptok.text, operand.bits, ptype.width is None, True, ptok, alias=True)
        value = self.expression()
        if isinstance(value, Bits) and ptype.kind == "bit":
            if len(value.bits) != (ptype.width or 1):
                self.error(f"'{ptok.text}' of '{sub.name}' is {ptype.width or 1} bit(s), not {len(value.bits)}",
                           atok)
            return Register3(ptok.text, value.bits, ptype.width is None, False, ptok, alias=True, writable=False)
        if isinstance(value, Array) and ptype.dims:
            any_size = 0 in ptype.dims  # #dim = n: any n-dimensional array of the element type
            if (len(value.ctype.dims) != len(ptype.dims) if any_size else value.ctype.dims != ptype.dims) \
                    or value.ctype.element != ptype.element:
                self.error(f"'{ptok.text}' of '{sub.name}' is a {ptype}, not a {value.ctype}", atok)
            return Variable(ptok.text, value.ctype, value, "variable", ptok)  # arrays are passed by reference
        return Variable(ptok.text, ptype, self.assigned(ptype, value, atok, ptok.text), "variable", ptok)

    def return_statement(self) -> None:
        tok = self.next()
        if not self.calls:
            self.error("'return' outside a subroutine", tok)
        if self.runtime_depth > self.calls[-1][0]:
            self.unsupported("'return' inside an if on measured bits is real-time control flow, which the program "
                             "model cannot hold", tok)
        value = None if self.at(";") else self.expression()
        self.end_statement("the return statement")
        # also where nothing emitted can run (a call inside an if that never holds): the call's
        # classical value is still computed when reading
        raise _Return(value, tok)

    def call_statement(self, sub: Subroutine) -> None:
        tok = self.next()
        value = self.call_subroutine(sub, tok)
        self.end_statement(f"the call of '{sub.name}'")
        if isinstance(value, Measured):
            self.unsupported(f"the measurement '{sub.name}' returns is not stored: the model needs bits to measure "
                             "into (assign the call to bits)", tok)


class _NoValue(Special):
    """The value of a call of a subroutine that returns nothing (an error where a value is needed)."""

    def __init__(self, name: str) -> None:
        self.what = f"the call of '{name}', which returns nothing,"

