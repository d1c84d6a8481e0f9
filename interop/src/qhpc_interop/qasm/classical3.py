"""Classical data in the OpenQASM 3 reader: types, declarations, assignments, arrays, aliases.

Classical variables hold values known when the program is read; assignments update them as the
program is read (in loop bodies, once per iteration). A variable may also hold the value of
measured bits (``int x = c;``, as Qiskit's exporter writes before a ``switch``): it then stands for
those bits, and reading it after one of them was measured again is refused. Assigning a variable
declared outside an ``if`` on measured bits from inside it would make its value depend on the
measurement: refused.
"""

from __future__ import annotations

import math
from typing import Any

from ..ir import MAX_READ_BITS
from ..params import Expr
from .conditions import compare
from .gates3 import Gates3
from .lexer import Token
from .parser import Special, Value
from .values3 import (
    Angle,
    Array,
    Bits,
    Computed,
    Cond,
    CType,
    Duration,
    Measured,
    Register3,
    Scope,
    Sized,
    Snapshot,
    Variable,
    angle_of_steps,
    make_angle,
    make_sized,
)

#: the scalar classical types (``bit`` is a register type: declared apart)
#: The most elements a classical array may have (all its dimensions together), as a register holds
#: at most MAX_READ_BITS bits: the reader holds every element.
MAX_ARRAY_ELEMENTS = MAX_READ_BITS

SCALAR_TYPES = frozenset({"int", "uint", "float", "angle", "bool", "complex", "duration", "stretch"})
_ZERO: dict[str, Any] = {"int": 0, "uint": 0, "float": 0.0, "angle": 0.0, "bool": False,
                         "duration": Duration(0.0), "stretch": Duration(0.0)}
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "**=": "**", "&=": "&", "|=": "|", "^=": "^",
             "<<=": "<<", ">>=": ">>"}


class Classical3(Gates3):
    """Classical declarations and assignments (a base of :class:`~.reader3.Reader`)."""

    #: how many ``if`` on measured bits enclose what is being read
    runtime_depth: int

    # -- types ---------------------------------------------------------------------------------
    def parse_type(self) -> CType:
        """A classical type: ``int[32]``, ``float``, ``bool``, ``array[int[8], 2, 3]``..."""
        tok = self.next()
        if tok.text == "array":
            self.expect("[", "after array")
            element = self.parse_type()
            if element.dims:
                self.error("an array's elements cannot be arrays (give several dimensions instead)", tok)
            dims: list[int] = []
            while self.accept(","):
                dtok = self.peek()
                if self.accept("#dim"):
                    # a subroutine's array parameter of any size: 0 stands for each unknown dimension
                    self.expect("=", "after #dim")
                    ntok = self.peek()
                    count = self.integer(self.expression(), ntok, "the number of dimensions")
                    if not 1 <= count <= 7 or dims:
                        self.error(f"#dim = {count}: an array has 1 to 7 dimensions, given by #dim alone", ntok)
                    dims.extend([0] * count)
                    break
                size = self.integer(self.expression(), dtok, "an array dimension")
                if size <= 0:
                    self.error(f"an array dimension must be positive, not {size}", dtok)
                dims.append(size)
                if math.prod(dims) > MAX_ARRAY_ELEMENTS:  # (the reader holds every element)
                    self.unsupported(f"an array of {math.prod(dims)} elements; the reader holds at most "
                                     f"{MAX_ARRAY_ELEMENTS}", dtok)
            self.expect("]", "to close the array type")
            if not dims:
                self.error("an array type needs at least one dimension", tok)
            return CType(element.kind, element.width, tuple(dims))
        if tok.kind != "id" or tok.text not in SCALAR_TYPES | {"bit"}:
            self.error(f"expected a type, found {tok.describe()}", tok)
        width = None
        if self.accept("["):
            wtok = self.peek()
            if tok.text == "complex":
                self.unsupported("complex numbers are not supported", tok)
            width = self.integer(self.expression(), wtok, "a type width")
            if width <= 0:
                self.error(f"a type width must be positive, not {width}", wtok)
            self.expect("]", "to close the type width")
        if tok.text == "complex":
            self.unsupported("complex numbers are not supported", tok)
        return CType(tok.text, width)

    def zero(self, ctype: CType) -> Value:
        if ctype.dims:
            def build(dims: tuple[int, ...]) -> list[Any]:
                return [build(dims[1:]) if len(dims) > 1 else self.zero_of(ctype) for _ in range(dims[0])]
            return Array(ctype, build(ctype.dims))
        return _ZERO.get(ctype.kind, 0)

    def zero_of(self, ctype: CType) -> Any:
        return make_angle(0.0, ctype.width) if ctype.kind == "angle" else _ZERO.get(ctype.kind, 0)

    # -- casts and conversions -----------------------------------------------------------------
    def cast(self, tok: Token) -> Value:
        """``int[8](x)``, ``float(x)``, ``bool(c)``...: the value converted as the specification says."""
        width = None
        if self.accept("["):
            wtok = self.peek()
            width = self.integer(self.expression(), wtok, "a type width")
            if width <= 0:
                self.error(f"a type width must be positive, not {width}", wtok)
            self.expect("]", "to close the type width")
        self.expect("(", f"after the type of a cast to {tok.text}")
        vtok = self.peek()
        value = self.expression()
        self.expect(")", "to close the cast")
        return self.convert(value, CType(tok.text, width), vtok, explicit=True)

    def convert(self, value: Value, ctype: CType, tok: Token, *, explicit: bool = False) -> Value:
        """``value`` as a value of ``ctype`` (an assignment, or an explicit cast)."""
        kind, width = ctype.kind, ctype.width
        if isinstance(value, Bits):
            return self._convert_bits(value, ctype, tok)
        if isinstance(value, Cond):
            if kind in ("bool", "bit") and width is None:
                return value
            self.unsupported(f"a condition on measured bits cannot become a {ctype}", tok)
        if isinstance(value, Duration):
            if kind in ("duration", "stretch"):
                return value
            self.error(f"a duration cannot become a {ctype}", tok)
        if isinstance(value, Array):
            self.error(f"an array cannot become a {ctype}", tok)
        if isinstance(value, Computed):
            if kind in ("bool", "bit") and width is None:
                terms = self.truth(value, tok)
                assert not isinstance(terms, bool)  # a computed value is known only when the circuit runs
                return Cond(terms)
            self.unsupported(f"{value.what}, computed from measured bits, can only be compared or tested in a "
                             f"condition, not become a {ctype} (real-time classical computation)", tok)
        if isinstance(value, Special):
            self.unsupported(f"{value.what} cannot become a {ctype}", tok)
        if kind in ("duration", "stretch"):
            self.error(f"a number cannot become a {kind} (give it a unit, e.g. 100ns)", tok)
        if kind in ("bool", "bit") and width is None:
            if isinstance(value, Expr):
                self.unsupported(f"a condition on the input parameter(s) of '{value}' cannot be decided when the "
                                 "program is read", tok)
            return bool(value)
        if kind == "angle":
            if isinstance(value, Sized) and value.kind == "bit":
                if width is not None and width != value.width:
                    self.error(f"a bit[{value.width}] can become an angle of its own width only, not {ctype}", tok)
                return angle_of_steps(value.pattern, value.width)  # the specification's per-bit copy
            if isinstance(value, Expr):
                return value  # an input parameter: its value, and so its wrapping, is known only when bound
            try:
                number = float(value)
            except OverflowError:
                self.error(f"a {int(value).bit_length()}-bit integer is too large to become a {ctype}", tok)
            if not math.isfinite(number):
                self.error(f"the value {number!r} cannot become a {ctype}", tok)
            if isinstance(value, Angle) and value.k is not None and width is not None and value.width is not None \
                    and width >= value.width:
                return angle_of_steps(value.k << (width - value.width), width)  # padded with zero bits: exact
            return make_angle(number, width)
        if kind == "float":
            if isinstance(value, Expr):
                return value
            try:
                return float(value)
            except OverflowError:
                self.error(f"a {int(value).bit_length()}-bit integer is too large to become a {ctype}", tok)
        if kind == "complex":
            self.unsupported("complex numbers are not supported", tok)
        # int, uint, bit[n]
        if isinstance(value, Angle):
            if kind == "bit" and value.k is not None and width is not None and width == value.width:
                return make_sized(value.k, "bit", width)  # the specification's cast from angle[n] to bit[n]
            self.error(f"an {'angle' if value.width is None else f'angle[{value.width}]'} cannot become a {ctype} "
                       "(only a bit[n] of its own width, or a bool)", tok)
        if isinstance(value, Expr):
            self.unsupported(f"'{value}' depends on input parameters: it cannot become a {ctype}", tok)
        if isinstance(value, float):
            if not explicit and not value.is_integer():
                self.error(f"the value {value!r} is not an integer (cast it: {kind}({value!r}))", tok)
            if not math.isfinite(value):
                self.error(f"the value {value!r} cannot become a {ctype}", tok)
            value = int(value)  # C99: truncate toward zero
        integer = int(value)
        if width is None:
            return integer
        if kind == "int" and not explicit and not -(1 << (width - 1)) <= integer < 1 << (width - 1):
            # signed overflow is the implementation's to define (C99): refused, not wrapped
            self.error(f"the value {integer} does not fit in {ctype}", tok)
        return make_sized(integer, kind, width)  # uint[n] and bit[n] wrap modulo 2^n, as C99's unsigned

    def _convert_bits(self, value: Bits, ctype: CType, tok: Token) -> Value:
        kind, width = ctype.kind, ctype.width
        n = len(value.bits)
        if kind in ("bool", "bit") and width is None:
            if value.scalar:
                return value
            return Cond(compare(value.bits, "!=", 0))
        if kind in ("int", "uint", "bit") and (width is None or width == n):
            # int[n] of n bits is two's complement; an unsized int or uint (a machine integer, at a
            # width that is the implementation's) holds them zero-extended, or sign-extended where
            # they already are an int[n]
            if width is None and value.signed and kind == "uint":
                self.unsupported(f"{value.what}, a signed int[{n}], cannot become an unsized uint: its value "
                                 "would depend on the implementation's integer width (give the width)", tok)
            return Bits(value.bits, False, value.name, value.register,
                        signed=kind == "int" and (width == n or (width is None and value.signed)),
                        machine=kind if width is None and kind != "bit" else None)
        if kind in ("int", "uint", "bit"):
            self.error(f"'{value.name}' has {n} bit(s) and cannot be cast to {ctype} (slice it first)", tok)
        self.unsupported(f"{value.what} cannot become a {ctype}: real-time classical computation on measured "
                         "values is not supported", tok)

    # -- declarations --------------------------------------------------------------------------
    def classical_declaration(self, const: bool = False) -> None:
        """``[const] type name [= value];`` (the type keyword is next)."""
        first = self.peek()
        ctype = self.parse_type()
        if ctype.kind == "bit" and not ctype.dims:
            self.error("internal: bit declarations are read apart", first)
        if 0 in ctype.dims:
            self.error("#dim (an array of any size) only types a subroutine's array parameter", first)
        name = self.expect_id("a variable name")
        self.declare(name)
        value: Value | None = None
        vtok = self.peek()
        if self.accept("="):
            vtok = self.peek()
            raw = self.array_literal(ctype) if ctype.dims and self.at("{") else self.expression()
            if const and isinstance(raw, Expr):
                self.error(f"const '{name.text}' must have a constant value, but it depends on input parameters",
                           vtok)
            if const and isinstance(raw, (Bits, Cond)):
                self.unsupported(f"const '{name.text}' gets the value of measured bits, known only when the circuit "
                                 "runs", vtok)
            value = self.assigned(ctype, raw, vtok, name.text)
        elif const:
            self.error(f"const '{name.text}' needs a value", name)
        elif ctype.dims or ctype.kind in ("stretch",):
            value = self.zero(ctype)
        self.end_statement(f"the declaration of '{name.text}'")
        self.bind(name.text, Variable(name.text, ctype, value, "const" if const else "variable", name))

    def array_literal(self, ctype: CType) -> Array:
        """``{1, 2}`` or ``{{1, 2}, {3, 4}}`` for an array of ``ctype``."""
        element = ctype.element

        def level(dims: tuple[int, ...]) -> list[Any]:
            open_tok = self.expect("{", "to open the array elements")
            items: list[Any] = []
            while True:
                if len(dims) > 1:
                    items.append(level(dims[1:]))
                else:
                    tok = self.peek()
                    items.append(self.assigned(element, self.expression(), tok, "an array element"))
                if not self.accept(","):
                    break
            self.expect("}", "to close the array elements")
            if len(items) != dims[0]:
                self.error(f"{len(items)} element(s) where the array has {dims[0]}", open_tok)
            return items

        return Array(ctype, level(ctype.dims))

    def assigned(self, ctype: CType, value: Value, tok: Token, name: str) -> Value:
        """``value`` as stored in a variable of ``ctype`` (converted; bits kept as a snapshot)."""
        if ctype.dims:
            if not isinstance(value, Array) or value.ctype.dims != ctype.dims:
                self.error(f"'{name}' is a {ctype} and needs an array of the same shape", tok)
            return Array(ctype, _copy(value.data, lambda v: self.assigned(ctype.element, v, tok, name)))
        if isinstance(value, Measured):
            self.unsupported(f"a measurement result stored in '{name}' (a {ctype}) needs bits: assign it to bits",
                             tok)
        if isinstance(value, (Cond, Computed)):
            self.unsupported(f"{'a condition on measured bits' if isinstance(value, Cond) else value.what} stored in "
                             f"'{name}': real-time classical computation on measured values is not supported", tok)
        if isinstance(value, Bits):
            if self.runtime_depth:
                self.unsupported(f"'{name}' assigned measured bits inside an if on measured bits", tok)
            converted = self.convert(value, ctype, tok)
            if isinstance(converted, Bits):
                return Snapshot(converted.bits, converted.scalar, converted.name, converted.register,
                                converted.signed, converted.machine, self.write_stamp(converted.bits))
            self.unsupported(f"'{name}' assigned {value.what}: real-time classical computation", tok)
        return self.convert(value, ctype, tok)

    # -- assignments ---------------------------------------------------------------------------
    def variable_assignment(self, var: Variable, scope: Scope) -> None:
        """``name[index] op= value;`` for a classical variable."""
        tok = self.next()
        if var.role in ("const", "input"):
            self.error(f"'{tok.text}' is a{'n' if var.role == 'input' else ''} {var.role} and cannot be assigned",
                       tok)
        if scope.runtime_depth < self.runtime_depth:
            self.unsupported(f"assigning '{tok.text}' inside an if on measured bits would make its value depend on "
                             "the measurement: real-time classical computation is not supported", tok)
        path: list[Any] = []
        if self.at("["):
            if not isinstance(var.value, Array):
                self.unsupported(f"assigning bits of '{tok.text}' is not supported", self.peek())
            path = self.element_path(var.value)
        op = self.next()
        if op.kind != "op" or (op.text != "=" and op.text not in _COMPOUND):
            self.error(f"expected an assignment after '{tok.text}', found {op.describe()}", op)
        vtok = self.peek()
        value = self.expression()
        self.end_statement(f"the assignment to '{tok.text}'")
        ctype = var.ctype if not path else var.ctype.element
        if path and len(path) < len(var.ctype.dims):
            ctype = CType(var.ctype.kind, var.ctype.width, var.ctype.dims[len(path):])
        if op.text != "=":
            current = self.read_path(var, path, tok)
            value = self.combine(op, _COMPOUND[op.text], current, value)
        stored = self.assigned(ctype, value, vtok, tok.text)
        if not path:
            var.value = stored
            return
        assert isinstance(var.value, Array)
        target = var.value.data
        for index in path[:-1]:
            target = target[index]
        target[path[-1]] = stored.data if isinstance(stored, Array) else stored

    def read_path(self, var: Variable, path: list[Any], tok: Token) -> Value:
        if var.value is None:
            self.error(f"'{tok.text}' is used before it is given a value", tok)
        value: Any = var.value
        for index in path:
            value = value.data[index] if isinstance(value, Array) else value[index]
        if isinstance(value, list):
            return Array(CType(var.ctype.kind, var.ctype.width, var.ctype.dims[len(path):]), value)
        return value  # type: ignore[no-any-return]

    def element_path(self, array: Array) -> list[int]:
        """``[i]``, ``[i, j]`` or ``[i][j]`` after an array name: the element's indices."""
        path: list[int] = []
        dims = array.ctype.dims
        while self.at("["):
            open_tok = self.peek()
            selectors = self._array_selectors(dims[len(path):])
            if any(kind == "slice" for kind, _ in selectors):
                self.unsupported("assigning to a slice of an array is not supported", open_tok)
            path.extend(index for _, index in selectors)  # type: ignore[misc]
        return path

    def _array_selectors(self, dims: tuple[int, ...]) -> list[tuple[str, int | list[int]]]:
        """One ``[...]`` over the dimensions ``dims``: for each comma-separated item, an index
        (``("index", i)``, the dimension dropped) or a range (``("slice", [i, ...])``, kept)."""
        open_tok = self.expect("[")
        selectors: list[tuple[str, int | list[int]]] = []
        while True:
            tok = self.peek()
            if len(selectors) >= len(dims):
                self.error(f"too many indices for an array of {len(selectors) or len(dims)} dimension(s)"
                           if selectors else "too many indices for the array", tok if selectors else open_tok)
            size = dims[len(selectors)]
            if self.accept("{"):  # an index set: the elements it lists, in its order
                chosen = [self._one_index(size, "the array dimension")]
                while self.accept(","):
                    chosen.append(self._one_index(size, "the array dimension"))
                self.expect("}", "to close the index set")
                selectors.append(("slice", chosen))
                if not self.accept(","):
                    break
                continue
            first = None if self.at(":") else self.integer(self.expression(), tok, "an array index")
            if self.accept(":"):
                parts: list[int | None] = [first]
                for _ in range(2):
                    parts.append(None if self.at(":") or self.at("]") or self.at(",")
                                 else self._integer_expression("a range bound"))
                    if not self.accept(":"):
                        break
                step: int | None = 1
                if len(parts) == 3:
                    step, parts = parts[1], [parts[0], parts[2]]
                indices = self.range_indices(size, "the array dimension", parts[0], parts[1],
                                             1 if step is None else step, tok)
                selectors.append(("slice", indices))
            else:
                assert first is not None
                selectors.append(("index", self._in_range(first, size, "the array dimension", tok)))
            if not self.accept(","):
                break
        self.expect("]", "to close the array index")
        return selectors

    def array_index(self, value: Array, tok: Token) -> Value:
        """One ``[...]`` after an array in an expression: ``a[i]``, ``a[i, j]``, ``a[1:2]``,
        ``a[0, 0:1]``; the element, or a new array of what the ranges select (copies)."""
        dims = value.ctype.dims
        selectors = self._array_selectors(dims)

        def pick(data: Any, rest: list[tuple[str, int | list[int]]]) -> Any:
            if not rest:
                return _copy(data, lambda v: v) if isinstance(data, list) else data
            kind, which = rest[0]
            if kind == "index":
                return pick(data[which], rest[1:])
            return [pick(data[i], rest[1:]) for i in which]  # type: ignore[union-attr]

        kept = [len(which) for kind, which in selectors if kind == "slice"]  # type: ignore[arg-type]
        shape = (*kept, *dims[len(selectors):])
        result = pick(value.data, selectors)
        if not shape:
            return result  # type: ignore[no-any-return]
        return Array(CType(value.ctype.kind, value.ctype.width, shape), result)

    # -- aliases -------------------------------------------------------------------------------
    def alias_statement(self) -> None:
        """``let name = q[1:3] ++ r;``: a new name for qubits or bits (concatenated, sliced)."""
        self.next()
        name = self.expect_id("an alias name")
        self.declare(name)
        self.expect("=", f"after the alias name '{name.text}'")
        parts = [self.alias_part()]
        while self.accept("++"):
            parts.append(self.alias_part())
        self.end_statement("the alias")
        quantum = {part.quantum for part in parts}
        if len(quantum) > 1:
            self.error("an alias cannot join qubits and bits", name)
        bits = tuple(b for part in parts for b in part.bits)
        if len(set(bits)) != len(bits):
            self.error("an alias cannot hold the same qubit or bit twice", name)
        scalar = len(parts) == 1 and parts[0].scalar
        self.bind(name.text, Register3(name.text, bits, scalar, parts[0].quantum, name, alias=True))

    def alias_part(self) -> Register3:
        tok = self.next()
        if tok.kind == "hwqubit":
            op = self.physical_qubit(tok)
            return Register3(tok.text, op.bits, True, True, tok, alias=True)
        if tok.kind != "id":
            self.error(f"expected a register to alias, found {tok.describe()}", tok)
        self.hidden = None
        sym = self.lookup(tok.text)
        if not isinstance(sym, Register3):
            if sym is None and self.hidden is not None:
                self.not_visible(tok)
            if sym is None:
                self.error(f"undeclared identifier '{tok.text}'", tok)
            self.unsupported(f"aliases of '{tok.text}' (not qubits or bits) are not supported", tok)
        if not self.at("["):
            return sym
        if sym.scalar:
            self.error(f"'{tok.text}' is a single {'qubit' if sym.quantum else 'bit'} and cannot be indexed",
                       self.peek())
        bits, single = self.selection(sym, tok)  # let a = q[1:4][1:2] too
        return Register3(tok.text, bits, single, sym.quantum, tok, alias=True)


def _copy(data: Any, leaf: Any) -> Any:
    if isinstance(data, list):
        return [_copy(item, leaf) for item in data]
    return leaf(data)


__all__ = ["SCALAR_TYPES", "Classical3", "Special"]
