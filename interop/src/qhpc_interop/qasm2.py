"""OpenQASM 2.0 reader and writer for the program model.

Reading (:func:`loads`, :func:`load`)
    * The header ``OPENQASM 2.0;`` is required.
    * ``include "qelib1.inc";`` makes Qiskit's qelib1 gates available: ``u3 u2 u1 cx id u0 u p x y
      z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx cswap crx cry crz cu1 cp cu3 csx cu rxx rzz
      rccx rc3x c3x c3sqrtx c4x``, each with the meaning Qiskit gives it (Qiskit's
      ``LEGACY_CUSTOM_INSTRUCTIONS``). They read as the library gates of the same name, except
      ``u0`` (an identity: it reads as nothing), ``c3x c3sqrtx c4x``, which the library does not
      have and which are inlined from multi-controlled phases built here (exact, phase included),
      and ``rc3x``, inlined from qelib1's own body (Qiskit's ``RC3XGate``, relative phases and all).
      Without the include only the builtins ``U`` (library ``u``) and ``CX`` (``cx``) exist. No
      other file can be included.
    * ``qreg``/``creg`` become registers, bits numbered in declaration order.
    * ``gate`` definitions are *inlined* at every call (the model has no custom-gate type): the
      call becomes the library gates of the body, parameters substituted. A defined gate named like
      a library gate whose body is exactly that gate (e.g. the ``gate rzx(...)`` declarations this
      module writes) reads as the library gate. Barriers inside gate bodies are dropped. A
      parameter or qubit argument cannot be named ``pi`` or like a function (a syntax error, as in
      Qiskit's reader).
    * ``opaque`` declarations are accepted; calling an opaque gate raises
      :class:`~qhpc_interop.errors.QasmUnsupportedError`.
    * Register broadcasting (``h q;``, ``cx q, r;``, ``cx q[0], r;``, ``measure q -> c;``), ``reset``,
      ``barrier``, ``measure``, and ``if (c == n) <op>;`` (every instruction the operation expands to
      gets the condition on the whole register ``c``). The condition is tested once, before the
      operation: a broadcast measurement into ``c`` under ``if (c == n)`` measures into the bit of
      ``c`` last, and one that writes two bits of ``c`` is refused
      (:class:`~qhpc_interop.errors.QasmUnsupportedError`), since the model would test the
      condition again after the first write (Qiskit's reader conditions each measurement separately).
    * Expressions: ``+ - * / ^`` (power binds tighter than unary minus and is right-associative, as
      in Qiskit), parentheses, ``pi``, integer and real literals, and the functions ``sin cos tan exp
      ln sqrt asin acos atan``.
    * Every error in the text is a :class:`~qhpc_interop.errors.QasmSyntaxError` with the 1-based
      line and column of the offending token (a missing ``;`` is reported just after the token it
      should follow). Valid OpenQASM 2 the model cannot hold -- calling an opaque gate, comparing a
      register with a value wider than it -- raises :class:`~qhpc_interop.errors.QasmUnsupportedError`.
    * Accepted beyond the OpenQASM 2 specification: ``/* */`` block comments, and ``asin acos atan``
      (which Qiskit's reader takes only when given them as custom classical functions).

Writing (:func:`dumps`, :func:`dump`)
    * ``OPENQASM 2.0;`` and ``include "qelib1.inc";``, then ``gate`` declarations for the library
      gates that qelib1 lacks (``r iswap dcx ecr cs csdg ryy rzx xx_minus_yy xx_plus_yy ccz``...),
      generated from the library definitions, dependencies first.
    * **Global phase is dropped**: OpenQASM 2 cannot express it, neither for the circuit nor inside a
      gate body. The text therefore equals the circuit *up to global phase*.
    * Registers: the circuit's registers are written if they lay its bits out in order (every bit
      in exactly one register, registers in bit order, as :meth:`~qhpc_interop.Circuit.add_qreg`
      builds them); otherwise all qubits are one ``qreg q`` (all clbits one ``creg c``). Names that
      are not valid OpenQASM 2 identifiers, or clash with a keyword or gate name, are escaped.
    * A one-qubit :class:`~qhpc_interop.UnitaryGate` is written as ``u(theta, phi, lambda)`` (ZYZ
      angles, exact up to global phase), a wider one as its quantum Shannon decomposition
      (:mod:`qhpc_interop.synthesis`). Numbers are written exactly (shortest round-tripping
      ``repr``; ``pi/2`` style where that is exact).
    * :class:`~qhpc_interop.errors.NotExpressibleError` for: a free parameter, and a condition
      whose bits are not exactly one written register (e.g. one bit of a larger register).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .ir import Circuit
from .qasm import reader2, writer2
from .qasm.reader2 import Reader
from .qasm.stdlib import QELIB1_GATES

__all__ = ["QELIB1_GATES", "dump", "dumps", "load", "loads"]

#: The reader class (the tests switch its fast path off to compare both ways of reading).
_Reader = Reader


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 2 program. ``source`` names it in error messages."""
    return reader2.loads(text, source=source)


def load(path: str | PathLike[str]) -> Circuit:
    """Read an OpenQASM 2 file (errors name the path)."""
    return loads(Path(path).read_text(encoding="utf-8-sig"), source=str(path))


def dumps(circuit: Circuit, *, changes: list[str] | None = None) -> str:
    """The circuit as an OpenQASM 2 program (equal to it up to global phase; see the module docstring).

    ``changes``, if given, gets what is written under another name (a register or parameter name
    that is not an identifier or is taken: ``classical register 'z' as 'z_1'``).
    """
    return writer2.dumps(circuit, changes=changes)


def dump(circuit: Circuit, path: str | PathLike[str]) -> None:
    """Write the circuit to a file as OpenQASM 2 (see :func:`dumps`)."""
    Path(path).write_text(dumps(circuit), encoding="utf-8")
