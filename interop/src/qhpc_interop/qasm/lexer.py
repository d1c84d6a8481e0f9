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
_OPERATOR_RE = re.compile("|".join(re.escape(op) for op in _OPERATORS))
_SPACE_RE = re.compile(r"[ \t\r\f\v]+")
_IDENT2_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENT3_RE = re.compile(r"[^\W\d]\w*")
_NUMBER2_RE = re.compile(
    r"[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+"
)
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER3_RE = re.compile(
    r"0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0o[0-7](?:_?[0-7])*"
    rf"|{_DIGITS}\.(?:{_DIGITS})?(?:[eE][+-]?[0-9]+)?|\.{_DIGITS}(?:[eE][+-]?[0-9]+)?"
    rf"|{_DIGITS}[eE][+-]?[0-9]+|{_DIGITS}"
)
_UNIT_RE = re.compile(r"(?:dt|ns|us|µs|ms|s)(?!\w)")
_IMAG_RE = re.compile(r"im(?!\w)")
#: Longest numeric literal read (a longer one is a mistake; Python refuses to convert integers of
#: more than 4300 digits anyway).
MAX_LITERAL_LENGTH = 1000
_PRAGMA_RE = re.compile(r"#?pragma(?!\w)")
_ANNOTATION_RE = re.compile(r"@[^\W\d]")


def tokenize(text: str, *, source: str = "<qasm>", version: int = 3, start: int = 0, line: int = 1,
             line_start: int = 0) -> Iterator[Token]:
    """Yield the tokens of ``text`` (then one ``eof`` token), lazily, so errors come in order.

    ``start``, ``line`` and ``line_start`` (the offset where that line begins) resume scanning in
    the middle of a text.
    """
    v3 = version >= 3
    ident_re = _IDENT3_RE if v3 else _IDENT2_RE
    number_re = _NUMBER3_RE if v3 else _NUMBER2_RE
    pos = start
    at_line_start = not text[line_start:start].strip()
    n = len(text)

    def fail(message: str, at: int) -> NoReturn:
        raise QasmSyntaxError(message, line, at - line_start + 1, source)

    while pos < n:
        ch = text[pos]
        if ch == "\n":
            pos += 1
            line, line_start, at_line_start = line + 1, pos, True
            continue
        m = _SPACE_RE.match(text, pos)
        if m:
            pos = m.end()
            continue
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = n if end < 0 else end
            continue
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                fail("unterminated comment: '/*' has no closing '*/'", pos)
            for k in range(pos, end):
                if text[k] == "\n":
                    line, line_start = line + 1, k + 1
            pos = end + 2
            continue
        if v3 and at_line_start and (_PRAGMA_RE.match(text, pos) or _ANNOTATION_RE.match(text, pos)):
            end = text.find("\n", pos)
            pos = n if end < 0 else end
            continue
        col = pos - line_start + 1
        at_line_start = False
        m = ident_re.match(text, pos)
        if m:
            pos = m.end()
            yield Token("id", m.group(), line, col, col + len(m.group()), pos)
            continue
        m = number_re.match(text, pos)
        if m:
            if m.end() - pos > MAX_LITERAL_LENGTH:
                fail(f"a numeric literal of {m.end() - pos} characters is too long "
                     f"(at most {MAX_LITERAL_LENGTH})", pos)
            pos = m.end()
            kind = "real" if any(c in m.group() for c in ".eE") and not m.group()[:2].lower() == "0x" else "int"
            if v3:
                unit = _UNIT_RE.match(text, pos)
                if unit:
                    pos = unit.end()
                    yield Token("timing", m.group() + unit.group(), line, col, pos - line_start + 1, pos)
                    continue
                imag = _IMAG_RE.match(text, pos)
                if imag:
                    pos = imag.end()
                    yield Token("imag", m.group() + "im", line, col, pos - line_start + 1, pos)
                    continue
            yield Token(kind, m.group(), line, col, pos - line_start + 1, pos)
            continue
        if ch == '"' or (v3 and ch == "'"):
            end = text.find(ch, pos + 1)
            newline = text.find("\n", pos + 1)
            if end < 0 or (0 <= newline < end):
                fail("unterminated string", pos)
            contents = text[pos + 1:end]
            pos = end + 1
            yield Token("string", contents, line, col, pos - line_start + 1, pos)
            continue
        if v3 and ch == "$":
            m = re.compile(r"[0-9]+").match(text, pos + 1)
            if not m:
                fail("expected a hardware qubit number after '$'", pos)
            pos = m.end()
            yield Token("hwqubit", m.group(), line, col, pos - line_start + 1, pos)
            continue
        m = _OPERATOR_RE.match(text, pos)
        if m:
            pos = m.end()
            yield Token("op", m.group(), line, col, pos - line_start + 1, pos)
            continue
        fail(f"unexpected character {ch!r}", pos)
    yield Token("eof", "", line, pos - line_start + 1, pos - line_start + 1, pos)


def int_literal(text: str) -> int:
    """The value of an integer literal (``_`` separators and ``0x``/``0o``/``0b`` prefixes allowed)."""
    clean = text.replace("_", "")
    if clean[:2].lower() in ("0x", "0o", "0b"):
        return int(clean, 0)
    return int(clean)
