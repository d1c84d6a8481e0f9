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
    * everything known when the program is read is computed then, as pyqasm's unrolling does:
      ``const`` and variables of type ``int[n] uint[n] float[n] angle[n] bool duration stretch``
      (declared with or without a value, assigned with ``= += -= *= /= %= **= &= |= ^= <<= >>=``,
      used in indices, angles, loop bounds, register sizes); a ``uint[n]`` or ``bit[n]`` value wraps
      modulo ``2^n`` when stored, an ``int[n]`` that does not fit is refused (C99 leaves signed
      overflow to the implementation), and bit access (``v[-1]`` the highest), ``~``, shifts (bits
      shifted off the end are lost), ``popcount``, ``rotl`` and ``rotr`` act on the n-bit
      representation (two's complement for ``int[n]``); ``float[32]`` holds a full double; ``angle[n]`` is the specification's fixed-point
      angle: a float becomes ``k * 2π / 2^n`` (modulo 2π, the nearest step, ties to even), and
      ``+ -`` of angles, ``* /`` by integers, ``/`` of two angles (an integer), unary minus
      (``2π - a``), ``& | ^ << >> ~`` and bit access act on ``k`` as on a ``uint[n]``, wrapping; a
      ``bit[n]`` value (``bit[4](k)``, ``"1000"``) becomes the angle[n] of that bit pattern; an
      unsized ``angle`` is a double modulo 2π; a number beside an angle is cast to its type
      (``input angle`` parameters stay symbolic: their value, and its wrapping, is the caller's);
      ``array[type, n, m]`` with literal contents, element reads and writes (``a[i][j]``,
      ``a[i, j]``), slices and index sets of any dimensions (``m[1, 0:1]``, ``m[{1, 0}, 2]``), ``sizeof``; subroutine
      array parameters of any size (``readonly array[int[8], #dim = 1] a``); casts; bits of an
      integer (``a_in[i]``);
    * ``for`` over ``[a:b]``, ``[a:c:b]`` (inclusive, any step), ``{v, w}`` or an array, ``while`` on
      a condition known when reading, ``break``, ``continue``: unrolled (at most 1,000,000
      iterations in all, and 10,000,000 instructions from loops and calls);
    * ``def`` subroutines, read again at each call with qubit arguments bound to the qubits passed
      (by reference), classical ones by value (arrays by reference); ``return`` gives the value of
      the call; ``return measure q;`` when the call is assigned to bits (``c[0] = f(q);``). A
      subroutine sees only its parameters and the global constants, gates and subroutines (the
      specification's scoping); its body is read only when it is called (errors in a subroutine
      never called are not reported); calls nest at most 64 deep;
    * ``let`` aliases of qubits or bits (slices, ``++`` concatenation, aliases of aliases); blocks
      ``{ ... }`` with their own scope (names declared inside shadow and then vanish);
    * ``box`` (its contents are read; the box, a timing construct, is dropped), ``delay[d] q;`` read
      as a ``barrier`` on its qubits (on all qubits without operands): the model has no timing, so the
      idle period itself is lost -- nothing changes in a noiseless run, a noisy backend sees no idle
      noise -- but the barrier keeps compilers from moving or cancelling gates across the wait (an
      echo ``x; delay; x`` stays), which is what a delay asks of them; both are announced with one
      :class:`~qhpc_interop.errors.ConversionLossWarning` naming the lines; ``nop`` reads as nothing;
    * ``switch`` on a value known when reading (the matching case is read, the others skipped) or on
      measured bits (each case becomes a condition on them, ``default`` the negation of all cases);
      a variable assigned measured bits (``int s = c;``, as Qiskit's exporter writes before a
      ``switch``) stands for those bits until one of them is measured again;
    * ``gate`` definitions, inlined at each call (the model has no custom-gate type; a definition
      that is exactly the library gate of its name reads as that gate); bodies may use modifiers
      and ``gphase``; barriers in bodies are dropped; a parameter named like a built-in constant
      (``gate g(pi) a``) stands for the parameter in the body, as the specification's scoping says;
    * modifiers ``inv @`` (library inverse, else the definition reversed and inverted), ``pow(k) @``
      for integer ``k`` (repetition; negative: of the inverse) and for non-integer ``k`` on a
      one-qubit gate, a library controlled one-qubit gate (``cx``, ``cu``, ``ccz``...) or a
      controlled gate (the principal power, eigenphases in (-π, π], as Qiskit's ``Operator.power``:
      one ``u`` and a phase; of ``gphase(γ)``, ``γ`` taken in (-π, π] times the power); the
      controls are applied outermost whatever the order of the modifiers (``inv`` and ``pow`` of a
      controlled gate are the controlled ``inv`` and ``pow``: the identity block stays the
      identity); ``ctrl @``, ``ctrl(n) @``, ``negctrl @`` on any gate
      with any number of controls, exactly and from library gates only
      (:mod:`qhpc_interop.controls`): one control gives the library's controlled gate where there is
      one (``x``→``cx``→``ccx``, ``u``→``cu``, ``gphase(γ)``→``p(γ)`` on the control), more a
      multi-controlled X or rotation by Barenco et al.'s lemma 7.9, a defined gate is controlled
      gate by gate; adjacent ``ctrl``/``negctrl`` are one multi-control (``negctrl`` adds ``x`` on
      its controls before and after);
    * ``measure q -> c;``, ``c = measure q;``, ``c[0] = measure q[1];`` with broadcasting; ``reset``;
      ``barrier`` (no operands: all qubits);
    * operands ``q``, ``q[i]`` (negative ``i`` counts from the end), ``q[{0, 2}]``, an index of a
      selection (``q[1:3][0]``, ``q[{3, 1, 4}][2]``), and ranges
      ``q[a:b]``, ``q[a:c:b]`` with the specification's meaning: ``a, a+c, ...`` up to ``b``
      inclusive, any non-zero step (``q[3:-1:0]`` is q[3], q[2], q[1], q[0]); negative bounds
      count from the end; ``b`` may lie past the end of the register, where the range stops;
    * ``if (condition)`` with a block or one statement, optionally ``else`` (``else if`` too), nested
      to any depth. A condition known when the program is read (``true``, ``2 > 1``, a constant)
      selects the branch that is read; the other is skipped unread. A condition on measured bits
      becomes the condition of every instruction of its branch: ``c == n``, ``c[k]``, ``!c[k]``,
      ``c[k] == true``, comparisons ``== != < <= > >=`` of a register, a slice or a cast
      (``uint[n](c)``, ``int[n](c)`` two's complement, ``bool(c)``: ``c != 0``) with an integer or a
      bit string (``c == "101"``), combined with ``!``, ``&&``, ``||``; ``else`` gets the negation,
      a nested ``if`` the conjunction. The model's condition is "these bits read as this integer";
      a condition that is not one such conjunction (``c > 2``, ``c[0] || c[1]``, an ``else``) is
      split into mutually exclusive conjunctions and each instruction is emitted once under each
      (at most one copy runs in any shot; at most 64 copies). The condition is tested once, when
      the ``if`` is reached: a measurement in the branch that writes a bit the condition reads is
      emitted after the statement's other measurements, and any other instruction following such
      a write inside the ``if`` is refused (the model tests conditions at every instruction); an
      ``else`` after an ``if`` block that ends with such a write is emitted before that block (the
      branches exclude each other), and refused if it writes those bits too. ``~b`` of one measured
      bit is ``!b``; ``~c`` of several is compared as ``c`` itself (``~c == v`` is ``c == ~v``). A
      ``gphase`` or barrier inside a conditional branch is dropped: a phase in one classical branch
      is unobservable;
    * expressions ``+ - * / % **``, unary minus, parentheses, ``pi π tau τ euler ℇ``, integer
      (``1_000``, ``0x1f``) and real literals, ``true``/``false``, the functions ``sin cos tan arcsin
      arccos arctan exp log sqrt``; on values known when reading also comparisons, ``! && ||``,
      ``~ & | ^ << >>``, casts and ``mod floor ceiling popcount rotl rotr``. ``int / int`` is an integer (floor)
      division, as in Qiskit's reader.
    * ``pragma`` lines and ``@annotation`` lines are ignored.

    Valid OpenQASM 3 the model cannot hold raises :class:`~qhpc_interop.errors.QasmUnsupportedError`
    at the offending token, naming the feature: real-time classical computation on measured bits
    (arithmetic on them, comparing two measured values, using them as numbers, assigning a variable
    declared outside an ``if`` on measured bits inside it), ``while`` on measured bits, ``break``,
    ``continue`` or ``return`` inside an ``if`` on measured bits, ``bit`` declarations inside blocks
    and subroutines (they would need new classical bits at each pass), measuring into a subroutine's
    bit parameter, a ``measure`` result a call discards, ``extern``, ``defcal``, ``cal``,
    ``defcalgrammar``, ``durationof``, ``end``, ``output``, ``complex``, ``input`` of types other
    than float and angle, an ``if`` that writes a bit its condition reads before another of its
    instructions (or in both branches), a non-integer ``pow`` of a gate on several qubits that is not
    a controlled one-qubit gate or of a symbolic gate, assigning to an array slice, includes other
    than ``stdgates.inc``, loops and calls past the limits above.
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
    ``if (c == n) { ... }`` (whole register) or ``if (c[k]) { ... }`` / ``if (!c[k]) { ... }``, and
    a condition on several bits that are not one register as one nested ``if`` per bit (Qiskit's
    importer reads nested ``if`` but not ``&&``).

    Identifiers: a parameter or register name that is not a valid OpenQASM 3 identifier, or that
    clashes with a keyword, a gate name or another name, is escaped deterministically: each invalid
    character becomes ``_`` (a leading digit gets a ``_`` prefix), then ``_1``, ``_2``... is added
    until the name is free. Parameters are named first (those already valid and free keep their
    names, then the others in sorted order), then registers. ``θ[0]`` is written ``θ_0_``, its index
    zero-padded to the width of the vector's largest (``θ_07_`` beside ``θ_11_``), so that the plain
    parameters reading the text back gives (``Parameter("θ_07_")``) sort among themselves in the
    vector's order (other names can still sort between them: bind by the names written).

    A multi-qubit unitary is written as its quantum Shannon decomposition (:mod:`qhpc_interop.synthesis`),
    its phase in the ``gphase``. :class:`~qhpc_interop.errors.NotExpressibleError` for ``abs`` in a
    parameter expression (OpenQASM 3 has no such builtin). The other functions are written as the
    OpenQASM 3 builtins they are (``sin``, ``exp``, ``**``...), which qhpc's reader reads back and
    Qiskit's importer (qiskit-qasm3-import 0.6) does not: it reads parameter expressions of
    ``+ - * /`` only.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .ir import Circuit
from .qasm import reader3, writer3
from .qasm.stdlib import STDGATES

__all__ = ["STDGATES", "dump", "dumps", "load", "loads"]


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 3 program. ``source`` names it in error messages."""
    return reader3.loads(text, source=source)


def load(path: str | PathLike[str]) -> Circuit:
    """Read an OpenQASM 3 file (errors name the path)."""
    return loads(Path(path).read_text(encoding="utf-8-sig"), source=str(path))


def dumps(circuit: Circuit, *, changes: list[str] | None = None) -> str:
    """The circuit as an OpenQASM 3 program, exactly (global phase included; see the module docstring).

    ``changes``, if given, gets what is written under another name (a register or parameter name
    that is not an identifier or is taken: ``classical register 'z' as 'z_1'``).
    """
    return writer3.dumps(circuit, changes=changes)


def dump(circuit: Circuit, path: str | PathLike[str]) -> None:
    """Write the circuit to a file as OpenQASM 3 (see :func:`dumps`)."""
    Path(path).write_text(dumps(circuit), encoding="utf-8")
