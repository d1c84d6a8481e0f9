"""Control flow in the OpenQASM 3 reader: blocks, ``if``/``else``, ``switch``, loops, ``box``,
subroutines.

Everything that can be decided when the program is read is unrolled, as pyqasm unrolls programs:

* a condition known now (on constants, loop variables...) selects the branch that is read; the
  other is skipped unread (it may, e.g., index past a register for values the condition excludes);
* ``for`` loops over ranges, sets and arrays, and ``while`` loops on such conditions, read their
  body once per iteration (``break`` and ``continue`` included);
* a ``def`` is read again at each call, its parameters bound to the arguments (qubits by
  reference, classical values by value, arrays by reference), ``return`` giving the call's value;
* ``box`` is read as its contents.

A condition on measured bits becomes the condition of every instruction of its branch
(:mod:`.conditions`): ``else`` gets its negation, nested ``if`` the conjunction, a ``switch`` on
measured bits one condition per case and the negation of them all for ``default``. What cannot be
unrolled is refused by name: ``while`` on measured bits, ``break``/``continue``/``return`` inside an
``if`` on measured bits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .classical3 import Classical3
from .conditions import NEVER, Terms, bits_read, compare, disjoin, negate
from .gatedefs import MAX_INSTRUCTIONS
from .lexer import Token
from .parser import Value
from .values3 import Array, Bits, Computed, CType, Scope, Variable

#: The most loop iterations one program may unroll (all loops together).
MAX_LOOP_ITERATIONS = 1_000_000
#: The most instructions unrolled loops and subroutine calls may bring a circuit to (the cap on any program).
MAX_UNROLLED_INSTRUCTIONS = MAX_INSTRUCTIONS
#: The most statements loop bodies and subroutine bodies may run in all (each is read again on every
#: iteration or call, at about 15 us: a small loop of many statements is bounded by this, not its iterations).
MAX_REPLAYED_STATEMENTS = 2_000_000
#: The most brackets a loop or block body may nest (the reader's recursion stops expressions near this too).
MAX_BRACKET_DEPTH = 200
#: The most nested subroutine calls (recursion that never ends stops here).
MAX_CALL_DEPTH = 64


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Value | None, token: Token) -> None:
        self.value = value
        self.token = token

#: statements whose body is a braced block after a header
_BLOCK_OPENERS = frozenset({"switch", "box", "def", "gate", "cal", "defcal"})


class Control3(Classical3):
    """Blocks, conditionals, loops and subroutines (a base of :class:`~.reader3.Reader`)."""

    #: loops enclosing what is read (in the current subroutine call), with the runtime depth at each
    loops: list[int]
    #: active subroutine calls, with the runtime depth and loop stack at each
    calls: list[tuple[int, list[int]]]
    iterations = 0
    #: statements read again (loop bodies, subroutine calls), against MAX_REPLAYED_STATEMENTS
    replayed = 0

    # -- blocks ----------------------------------------------------------------------------------
    def block(self, what: str) -> None:
        """A braced block or one statement, in a new scope."""
        self.scopes.append(Scope(runtime_depth=self.runtime_depth))
        try:
            if self.accept("{"):
                while not self.at("}"):
                    if self.peek().kind == "eof":
                        self.error(f"expected '}}' to close the {what}, found end of file", self.peek())
                    self.statement()
                self.next()
            else:
                self.statement()
        finally:
            self.scopes.pop()

    def capture_statement(self) -> list[Token]:
        """The tokens of the next statement (a braced block, or one statement with the blocks it opens),
        consumed without being read."""
        out: list[Token] = []
        tok = self.peek()
        if tok.kind == "eof":
            self.error("expected a statement, found end of file", tok)
        word = tok.text if tok.kind == "id" else ""
        if self.at("{"):
            self._balanced(out)
        elif word in ("if", "while"):
            out.append(self.next())
            self._balanced(out)
            out.extend(self.capture_statement())
            if word == "if" and self.at("else"):
                out.append(self.next())
                out.extend(self.capture_statement())
        elif word == "for":
            while not self.at("in"):
                if self.peek().kind == "eof" or self.at(";") or self.at("{"):
                    self.error(f"expected 'in' in the for loop, found {self.peek().describe()}", self.peek())
                out.append(self.next())
            out.append(self.next())
            if self.at("[") or self.at("{"):
                self._balanced(out)
            else:
                out.append(self.expect_id("what the loop iterates over"))
                while self.at("["):
                    self._balanced(out)
            out.extend(self.capture_statement())
        elif word in _BLOCK_OPENERS:
            while not self.at("{"):
                tok = self.peek()
                if tok.kind == "eof" or self.at(";"):
                    self.error(f"expected '{{' to open the body of {word}, found {tok.describe()}", tok)
                if self.at("(") or self.at("["):
                    self._balanced(out)
                else:
                    out.append(self.next())
            self._balanced(out)
        else:
            depth = 0
            while True:
                tok = self.next()
                if tok.kind == "eof":
                    self.error("expected ';' to end the statement, found end of file", tok)
                out.append(tok)
                if tok.kind == "op" and tok.text in ("(", "[", "{"):
                    depth += 1
                elif tok.kind == "op" and tok.text in (")", "]", "}"):
                    depth -= 1
                elif depth == 0 and tok.kind == "op" and tok.text == ";":
                    break
        return out

    def _balanced(self, out: list[Token]) -> None:
        """Consume a bracketed group (``(...)``, ``[...]`` or ``{...}``), nested brackets included."""
        closing = {"(": ")", "[": "]", "{": "}"}
        stack: list[str] = []
        while True:
            tok = self.next()
            if tok.kind == "eof":
                self.error(f"expected '{stack[-1] if stack else ')'}', found end of file", tok)
            out.append(tok)
            if tok.kind == "op" and tok.text in closing:
                stack.append(closing[tok.text])
                if len(stack) > MAX_BRACKET_DEPTH:  # (each level would be read again by the one around it)
                    self.error("the program nests too deeply to read", tok)
            elif tok.kind == "op" and tok.text in (")", "]", "}"):
                if not stack or tok.text != stack.pop():
                    self.error(f"unexpected {tok.describe()}", tok)
            if not stack:
                return

    # -- if / else -------------------------------------------------------------------------------
    def if_statement(self) -> None:
        self.next()
        self.expect("(", "after if")
        tok = self.peek()
        truth = self.truth(self.expression(), tok)
        self.expect(")", "to close the condition")
        if isinstance(truth, bool):
            if truth:
                self.block("if block")
                if self.accept("else"):
                    self.capture_statement()
            else:
                self.capture_statement()
                if self.accept("else"):
                    self.block("else block")
            return
        read = bits_read(truth)
        instructions = self.circuit.instructions
        start = len(instructions)
        with self.guard(read):
            with self.conditional(truth):
                self.block("if block")
            frame = self._frames[-1]
            if not self.at("else"):
                return
            if not read & frame.written:
                self.next()
                with self.conditional(negate(truth)):
                    self.block("else block")
                return
        # The if block ends by writing bits its condition reads (``if (c[0]) { c[0] = measure q; }``):
        # emitted after it, the else block would test the new value. The branches exclude each other,
        # so the else block goes first, unless it too writes those bits.
        else_tok = self.next()
        middle = len(instructions)
        with self.guard(read):
            with self.conditional(negate(truth)):
                self.block("else block")
            if read & self._frames[-1].written:
                self.unsupported("both branches of this if write bits its condition reads: the program model tests a "
                                 "condition at every instruction, so one branch would see the other's writes",
                                 else_tok)
        instructions[start:] = instructions[middle:] + instructions[start:middle]

    # -- replaying captured code -----------------------------------------------------------------
    @staticmethod
    def sealed(tokens: list[Token]) -> list[Token]:
        """``tokens`` (one statement, as :meth:`capture_statement` gave them) ending with an ``eof``, to replay."""
        last = tokens[-1]
        return [*tokens, Token("eof", "", last.line, last.end_col, last.end_col, last.end)]

    def replay_statement(self, tokens: list[Token]) -> None:
        """Read ``tokens`` (one statement; :meth:`sealed` or as :meth:`capture_statement` gave them) as the
        next statement."""
        with self.replay(tokens if tokens[-1].kind == "eof" else self.sealed(tokens)):
            self.statement()

    def count_replayed(self, tok: Token) -> None:
        """Count a statement read again (in a loop body or a subroutine), refusing the program past
        :data:`MAX_REPLAYED_STATEMENTS`."""
        self.replayed += 1
        if self.replayed > MAX_REPLAYED_STATEMENTS:
            self.unsupported(f"the program's loops and subroutine calls run more than {MAX_REPLAYED_STATEMENTS} "
                             "statements in all (they are unrolled when the program is read)", tok)

    def count_iteration(self, tok: Token) -> None:
        if self.replaying > MAX_CALL_DEPTH:  # (each level reads the ones inside it again: nesting is bounded)
            self.unsupported(f"loops, blocks and subroutine calls nest more than {MAX_CALL_DEPTH} deep", tok)
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            self.unsupported(f"the program's loops and subroutine calls run more than {MAX_LOOP_ITERATIONS} iterations "
                             "and calls in all (they are unrolled when the program is read)", tok)
        if len(self.circuit.instructions) > MAX_UNROLLED_INSTRUCTIONS:
            self.unsupported(f"unrolling the program's loops and calls gives more than {MAX_UNROLLED_INSTRUCTIONS} "
                             "instructions", tok)

    def run_body(self, body: list[Token], tok: Token, bind: tuple[str, Variable] | None = None) -> bool:
        """One iteration of a loop body (with its loop variable); ``False`` after a ``break``."""
        self.count_iteration(tok)
        scope = Scope(runtime_depth=self.runtime_depth)
        if bind is not None:
            scope.names[bind[0]] = bind[1]
        self.scopes.append(scope)
        self.loops.append(self.runtime_depth)
        try:
            self.replay_statement(body)
        except _Continue:
            pass
        except _Break:
            return False
        finally:
            self.loops.pop()
            self.scopes.pop()
        return True

    # -- loops -----------------------------------------------------------------------------------
    def for_statement(self) -> None:
        kw = self.next()
        if self.peek().kind == "id" and self.at("in", 1):
            ctype = CType("int")
        else:
            ctype = self.parse_type()
            if ctype.dims:
                self.error("a loop variable cannot be an array", kw)
        var = self.expect_id("a loop variable")
        self.expect("in", "after the loop variable")
        values = self.loop_values(kw)
        body = self.sealed(self.capture_statement())
        for value in values:
            converted = self.assigned(ctype, value, var, var.text)
            if not self.run_body(body, kw, (var.text, Variable(var.text, ctype, converted, "variable", var))):
                break

    def loop_values(self, kw: Token) -> Sequence[Any]:
        """What a ``for`` iterates over: ``[a:b]``, ``[a:c:b]`` (inclusive), ``{v, w}``, or an array."""
        tok = self.peek()
        if self.accept("["):
            parts = [self._integer_expression("a range bound")]
            self.expect(":", "in the range (a range needs its start and its stop)")
            parts.append(self._integer_expression("a range bound"))
            if self.accept(":"):
                parts.append(self._integer_expression("a range bound"))
            self.expect("]", "to close the range")
            start, step, stop = (parts[0], 1, parts[1]) if len(parts) == 2 else parts
            if step == 0:
                self.error("a range step cannot be 0", tok)
            values: Sequence[Any] = range(start, stop + (1 if step > 0 else -1), step)
        elif self.accept("{"):
            items = []
            while True:
                items.append(self.expression())
                if not self.accept(","):
                    break
            self.expect("}", "to close the set")
            values = items
        else:
            value = self.expression()
            if isinstance(value, Array):
                values = [Array(CType(value.ctype.kind, value.ctype.width, value.ctype.dims[1:]), item)
                          if isinstance(item, list) else item for item in value.data]
            elif isinstance(value, Bits):
                self.unsupported(f"a loop over {value.what}: real-time control flow is not supported", tok)
            else:
                self.error(f"a for loop iterates over a range [a:b], a set {{a, b}} or an array, not {value!r}", tok)
        if len(values) > MAX_LOOP_ITERATIONS:
            self.unsupported(f"a loop of {len(values)} iterations (at most {MAX_LOOP_ITERATIONS} are unrolled)", kw)
        return values

    def while_statement(self) -> None:
        kw = self.next()
        if not self.at("("):
            self.error(f"expected '(' after while, found {self.peek().describe()}", self.peek())
        condition: list[Token] = []
        self._balanced(condition)
        condition = self.sealed(condition)
        body = self.sealed(self.capture_statement())
        while True:
            with self.replay(condition):
                self.next()
                tok = self.peek()
                truth = self.truth(self.expression(), tok)
            if not isinstance(truth, bool):
                self.unsupported("a while loop on measured bits is real-time control flow, which the program model "
                                 "cannot hold", kw)
            if not truth or not self.run_body(body, kw):
                return

    def jump(self) -> None:
        """``break`` or ``continue``."""
        tok = self.next()
        self.end_statement(f"the {tok.text} statement")
        if not self.loops:
            self.error(f"'{tok.text}' outside a loop", tok)
        if self.runtime_depth > self.loops[-1]:
            self.unsupported(f"'{tok.text}' inside an if on measured bits is real-time control flow, which the "
                             "program model cannot hold", tok)
        # also inside an if that never holds: the loop, known when reading, still ends
        raise _Break() if tok.text == "break" else _Continue()

    # -- switch ----------------------------------------------------------------------------------
    def switch_statement(self) -> None:
        kw = self.next()
        self.expect("(", "after switch")
        tok = self.peek()
        target = self.expression()
        self.expect(")", "to close the switch target")
        self.expect("{", "to open the switch cases")
        cases: list[tuple[list[int], list[Token], Token]] = []
        default: list[Token] | None = None
        seen: set[int] = set()
        while not self.accept("}"):
            case = self.peek()
            if self.accept("default"):
                if default is not None:
                    self.error("a switch has at most one default", case)
                default = self.capture_statement()
                continue
            if not self.accept("case"):
                self.error(f"expected 'case', 'default' or '}}' in the switch, found {case.describe()}", case)
            if default is not None:
                self.error("'default' must be the last case of a switch", case)
            values = []
            while True:
                vtok = self.peek()
                value = self.integer(self.expression(), vtok, "a case value")
                if value in seen:
                    self.error(f"the case value {value} appears twice in the switch", vtok)
                seen.add(value)
                values.append(value)
                if not self.accept(","):
                    break
            if not self.at("{"):
                self.error(f"expected '{{' to open the case, found {self.peek().describe()}", self.peek())
            cases.append((values, self.capture_statement(), case))
        if not cases:
            self.error("a switch needs at least one case", kw)
        if isinstance(target, (Bits, Computed)):
            self._runtime_switch(target, cases, default, tok)
            return
        chosen = default
        number = self.integer(target, tok, "the switch target")
        for values, body, _ in cases:
            if number in values:
                chosen = body
                break
        if chosen is not None:
            self.replay_statement(chosen)

    def _runtime_switch(self, target: Bits | Computed, cases: list[tuple[list[int], list[Token], Token]],
                        default: list[Token] | None, tok: Token) -> None:
        everything: Terms = NEVER
        with self.guard(frozenset(target.bits)):
            for values, body, _ in cases:
                terms: Terms = NEVER
                for value in values:
                    if isinstance(target, Bits):
                        case = compare(target.bits, "==", value, signed=target.signed, register=target.register)
                    else:  # an integer computed from measured bits: by its truth table
                        case = self._table(target.bits, _equal_to(target.value, value), target.text, tok)
                    terms = disjoin(terms, case)
                everything = disjoin(everything, terms)
                with self.conditional(terms):
                    self.replay_statement(body)
            if default is not None:
                with self.conditional(negate(everything)):
                    self.replay_statement(default)

    # -- box ---------------------------------------------------------------------------------------
    def box_statement(self) -> None:
        """``box [duration] { ... }``: its contents (the model has no timing to box; a duration is
        dropped with a :class:`~qhpc_interop.errors.ConversionLossWarning`)."""
        tok = self.next()
        if self.accept("["):
            self.expression()
            self.timing.append(("a box duration", tok))
            self.expect("]", "to close the box duration")
        if not self.at("{"):
            self.error(f"expected '{{' to open the box, found {self.peek().describe()}", self.peek())
        self.block("box")


def _equal_to(value: Callable[[dict[int, int]], int], k: int) -> Callable[[dict[int, int]], bool]:
    """The test "a computed integer is ``k``" on an assignment of the bits it reads."""
    return lambda v: value(v) == k
