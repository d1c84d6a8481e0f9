"""Control flow in the OpenQASM 3 reader: blocks and ``if``/``else``.

A condition known when the program is read (on constants, loop variables...) selects the branch
that is read; the other is skipped unread (it may, e.g., index past a register for values the
condition excludes). A condition on measured bits becomes the condition of every instruction of its
branch (:mod:`.conditions`), ``else`` gets its negation, nested ``if`` the conjunction.
"""

from __future__ import annotations

from .conditions import bits_read, negate
from .gates3 import Gates3
from .lexer import Token
from .values3 import Scope

#: statements whose body is a braced block after a header
_BLOCK_OPENERS = frozenset({"switch", "box", "def", "gate", "cal", "defcal"})


class Control3(Gates3):
    """Blocks and conditionals (a base of :class:`~.reader3.Reader`)."""

    # -- blocks ----------------------------------------------------------------------------------
    def block(self, what: str) -> None:
        """A braced block or one statement, in a new scope."""
        self.scopes.append(Scope())
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
        with self.guard(bits_read(truth)):
            with self.conditional(truth):
                self.block("if block")
            if self.accept("else"):
                with self.conditional(negate(truth)):
                    self.block("else block")
