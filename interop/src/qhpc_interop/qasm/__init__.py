"""OpenQASM 2 and 3: the readers, the writers, and what they share.

The public entry points are :mod:`qhpc_interop.qasm2` and :mod:`qhpc_interop.qasm3` (``loads``,
``load``, ``dumps``, ``dump``) and, here, :func:`detect_version` and the dispatching readers
:func:`loads_any`, :func:`load_any`. The modules of this package implement them:

* :mod:`.lexer` (tokens), :mod:`.parser` (token stream, expressions);
* :mod:`.gatedefs` (gate bodies and modifiers), :mod:`.conditions` (conditions on measured bits
  as the model holds them), :mod:`.reader_base` (limits, operands, broadcasting, emitting
  instructions), :mod:`.stdlib` (include files, keywords);
* :mod:`.reader2` (OpenQASM 2); :mod:`.reader3` with its bases :mod:`.subroutines3`,
  :mod:`.control3`, :mod:`.classical3`, :mod:`.gates3`, :mod:`.operands3`, :mod:`.expr3`,
  :mod:`.indexing3` and the values of :mod:`.values3` (OpenQASM 3); :mod:`.fast` (both readers'
  statement-level fast paths);
* :mod:`.writer_common` (names, registers, definitions), :mod:`.writer2`, :mod:`.writer3`.

The version comes from the ``OPENQASM x;`` header, the first statement (comments and blank lines
may come before it). A program without a header is OpenQASM 3, as the OpenQASM 3 specification
allows (OpenQASM 2 requires the header).
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

from ..errors import QasmSyntaxError
from ..ir import Circuit
from . import reader2, reader3
from .lexer import BOM

__all__ = ["detect_version", "load_any", "loads_any"]

_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_HEADER = re.compile(r"OPENQASM(?![\w])\s*([^\s;]*)")


def detect_version(text: str, *, source: str = "<qasm>") -> int:
    """2 or 3, from the ``OPENQASM`` header (3 when there is none).

    Raises :class:`~qhpc_interop.errors.QasmSyntaxError` for a header naming another version.
    """
    start = _SKIP.match(text, 1 if text.startswith(BOM) else 0).end()  # type: ignore[union-attr]  # matches ""
    m = _HEADER.match(text, start)
    if m is None:
        return 3
    version = m.group(1)
    major = version.split(".")[0]
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", version) and major in ("2", "3"):
        return int(major)
    line = text.count("\n", 0, m.start(1)) + 1
    column = m.start(1) - (text.rfind("\n", 0, m.start(1)) + 1) + 1
    shown = version or "nothing"
    raise QasmSyntaxError(f"unsupported OpenQASM version {shown} (2.0 and 3 are supported)", line, column, source)


def loads_any(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 2 or 3 program, choosing the reader by :func:`detect_version`."""
    if detect_version(text, source=source) == 2:
        return reader2.loads(text, source=source)
    return reader3.loads(text, source=source)


def load_any(path: str | PathLike[str]) -> Circuit:
    """Read an OpenQASM 2 or 3 file (errors name the path)."""
    return loads_any(Path(path).read_text(encoding="utf-8-sig"), source=str(path))
