"""The OpenQASM lexer shared by the OpenQASM 2 and 3 readers.

:func:`tokenize` produces :class:`Token` objects carrying their 1-based line and column; it skips
whitespace, ``//`` line comments and ``/* */`` block comments (an unterminated block comment is a
:class:`~qhpc_interop.errors.QasmSyntaxError` at its ``/*``). In OpenQASM 3 mode it also accepts
unicode identifiers, ``_`` digit separators, hexadecimal/octal/binary integers, hardware qubits
``$n``, single-quoted strings and timing literals (``100ns``: a ``timing`` token), and it drops
``pragma`` / ``#pragma`` lines and ``@annotation`` lines (a pragma or annotation must be the first
thing on its line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple, NoReturn

from ..errors import QasmSyntaxError


class Token(NamedTuple):
    """One lexical token. ``kind`` is one of ``id int real string op hwqubit timing imag eof``.

    ``text`` is the source text (for ``string`` the contents without quotes, for ``hwqubit`` the
    digits after ``$``); ``line`` and ``col`` are 1-based; ``end`` is the offset in the text just
    after the token (where a reader may resume scanning).
    """

    kind: str
    text: str
    line: int
    col: int
    #: the column just after the token (where a missing ';' is reported)
    end_col: int = 0
    end: int = 0

    def describe(self) -> str:
        """How the token is named in an error message."""
        if self.kind == "eof":
            return "end of file"
        if self.kind == "string":
            return f'"{self.text}"'
        if self.kind == "hwqubit":
            return f"'${self.text}'"
        return f"'{self.text}'"


_OPERATORS = sorted(
    [
        "<<=", ">>=", "**=",
        "->", "==", "!=", "<=", ">=", "<<", ">>", "&&", "||", "**", "++",
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
        ";", ",", "(", ")", "[", "]", "{", "}", "+", "-", "*", "/", "%", "^", "@", ":", "=", "<", ">",
        "!", "~", "&", "|", ".",
    ],
    key=len,
    reverse=True,
)
_OPERATOR_PATTERN = "|".join(re.escape(op) for op in _OPERATORS)
_NUMBER2 = r"[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+"
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER3 = (
    r"0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0o[0-7](?:_?[0-7])*"
    rf"|{_DIGITS}\.(?:{_DIGITS})?(?:[eE][+-]?[0-9]+)?|\.{_DIGITS}(?:[eE][+-]?[0-9]+)?"
    rf"|{_DIGITS}[eE][+-]?[0-9]+|{_DIGITS}"
)
#: One regular expression per version for every token and everything skipped; the group that
#: matched (``lastgroup``) says which. Longest operators come first in the alternation.
_MASTER2 = re.compile(
    rf"(?P<ws>[ \t\r\f\v]+)|(?P<nl>\n)|(?P<lc>//[^\n]*)|(?P<bc>/\*)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    rf"|(?P<num>{_NUMBER2})|(?P<str>\")|(?P<op>{_OPERATOR_PATTERN})"
)
_MASTER3 = re.compile(
    rf"(?P<ws>[ \t\r\f\v]+)|(?P<nl>\n)|(?P<lc>//[^\n]*)|(?P<bc>/\*)|(?P<id>[^\W\d]\w*)"
    rf"|(?P<num>{_NUMBER3})(?:(?P<unit>dt|ns|us|µs|ms|s)(?!\w)|(?P<imag>im)(?!\w))?"
    rf"|(?P<str>[\"'])|(?P<hw>\$[0-9]*)|(?P<op>#dim(?!\w)|{_OPERATOR_PATTERN})"
)
#: Longest numeric literal read (a longer one is a mistake; Python refuses to convert integers of
#: more than 4300 digits anyway).
MAX_LITERAL_LENGTH = 1000
#: A byte-order mark, which editors on Windows put before UTF-8 text: skipped at the start of a program
BOM = "\ufeff"
_ANNOTATION_RE = re.compile(r"@[^\W\d]")
_REAL_CHARS = frozenset(".eE")


def tokenize(text: str, *, source: str = "<qasm>", version: int = 3, start: int = 0, line: int = 1,
             line_start: int = 0) -> Iterator[Token]:
    """Yield the tokens of ``text`` (then one ``eof`` token), lazily, so errors come in order.

    ``start``, ``line`` and ``line_start`` (the offset where that line begins) resume scanning in
    the middle of a text.
    """
    v3 = version >= 3
    match = (_MASTER3 if v3 else _MASTER2).match
    new = tuple.__new__  # Token(...) without NamedTuple's argument handling: half the cost per token
    pos = start
    at_line_start = not text[line_start:start].strip()
    n = len(text)

    def fail(message: str, at: int) -> NoReturn:
        raise QasmSyntaxError(message, line, at - line_start + 1, source)

    while pos < n:
        m = match(text, pos)
        if m is None:
            if v3 and at_line_start and text.startswith("#pragma", pos):
                end = text.find("\n", pos)
                pos = n if end < 0 else end
                continue
            fail(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "ws" or kind == "lc":
            pos = end
            continue
        if kind == "nl":
            pos = line_start = end
            line += 1
            at_line_start = True
            continue
        col = pos - line_start + 1
        if kind == "id":
            word = m.group()
            if v3 and at_line_start and word == "pragma":
                stop = text.find("\n", pos)
                pos = n if stop < 0 else stop
                continue
            at_line_start = False
            yield new(Token, ("id", word, line, col, col + end - pos, end))
            pos = end
            continue
        if kind == "op":
            if v3 and at_line_start and text[pos] == "@" and _ANNOTATION_RE.match(text, pos):
                stop = text.find("\n", pos)
                pos = n if stop < 0 else stop
                continue
            at_line_start = False
            yield new(Token, ("op", m.group(), line, col, col + end - pos, end))
            pos = end
            continue
        if kind == "bc":
            stop = text.find("*/", end)
            if stop < 0:
                fail("unterminated comment: '/*' has no closing '*/'", pos)
            newlines = text.count("\n", pos, stop)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", pos, stop) + 1
            pos = stop + 2
            continue
        at_line_start = False
        if kind in ("num", "unit", "imag"):
            number = m.group("num")
            if len(number) > MAX_LITERAL_LENGTH:
                fail(f"a numeric literal of {len(number)} characters is too long (at most {MAX_LITERAL_LENGTH})", pos)
            if kind == "unit":
                kind, value = "timing", m.group()
            elif kind == "imag":
                kind, value = "imag", m.group()
            else:
                real = not _REAL_CHARS.isdisjoint(number) and number[:2] not in ("0x", "0X")
                kind, value = ("real" if real else "int"), number
            yield new(Token, (kind, value, line, col, col + end - pos, end))
            pos = end
            continue
        if kind == "str":
            quote = text[pos]
            stop = text.find(quote, end)
            newline = text.find("\n", end)
            if stop < 0 or (0 <= newline < stop):
                fail("unterminated string", pos)
            contents = text[end:stop]
            pos = stop + 1
            yield new(Token, ("string", contents, line, col, pos - line_start + 1, pos))
            continue
        # kind == "hw": a hardware qubit
        if end == pos + 1:
            fail("expected a hardware qubit number after '$'", pos)
        yield new(Token, ("hwqubit", text[pos + 1:end], line, col, col + end - pos, end))
        pos = end
    yield new(Token, ("eof", "", line, pos - line_start + 1, pos - line_start + 1, pos))


def int_literal(text: str) -> int:
    """The value of an integer literal (``_`` separators and ``0x``/``0o``/``0b`` prefixes allowed)."""
    clean = text.replace("_", "")
    if clean[:2].lower() in ("0x", "0o", "0b"):
        return int(clean, 0)
    return int(clean)
