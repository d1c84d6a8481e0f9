"""OpenQASM 3 indexing: ``[i]``, inclusive ranges with any step, index sets ``[{i, j}]``, and
indexing a register's bits, an integer's or an angle's bits, or an array."""

from __future__ import annotations

from .lexer import Token
from .parser import Value
from .reader_base import ReaderBase
from .values3 import Angle, Array, Bits, Sized


class Indexing3(ReaderBase):
    """Index selections (a base of :class:`~.expr3.Expressions3`)."""

    # -- indexing ------------------------------------------------------------------------------
    def index_set(self, size: int, name: str) -> tuple[list[int], bool]:
        """Parse ``[i]``, ``[a:b]``, ``[a:s:b]`` (inclusive, any non-zero step) or ``[{i, j}]`` over
        ``size`` elements: the indices and whether it selects one element."""
        self.expect("[")
        if self.accept("{"):
            indices = [self._one_index(size, name)]
            while self.accept(","):
                indices.append(self._one_index(size, name))
            self.expect("}", "to close the index set")
            self.expect("]", "to close the index")
            return indices, False
        start_tok = self.peek()
        start = None if self.at(":") else self._integer_expression("an index")
        if not self.accept(":"):
            self.expect("]", "to close the index")
            assert start is not None
            return [self._in_range(start, size, name, start_tok)], True
        parts: list[int | None] = [start]
        for _ in range(2):
            parts.append(None if self.at(":") or self.at("]") else self._integer_expression("a range bound"))
            if not self.accept(":"):
                break
        self.expect("]", "to close the range")
        step: int | None = 1
        if len(parts) == 3:
            step, parts = parts[1], [parts[0], parts[2]]
        return self.range_indices(size, name, parts[0], parts[1], 1 if step is None else step, start_tok), False

    def _integer_expression(self, what: str) -> int:
        tok = self.peek()
        return self.integer(self.expression(), tok, what)

    def _one_index(self, size: int, name: str) -> int:
        tok = self.peek()
        return self._in_range(self.integer(self.expression(), tok, "an index"), size, name, tok)

    def _in_range(self, index: int, size: int, name: str, tok: Token) -> int:
        if not -size <= index < size:
            self.error(f"index {index} out of range for {_owner(name)} of size {size}", tok)
        return index % size

    def range_indices(self, size: int, name: str, start: int | None, stop: int | None, step: int,
                      tok: Token) -> list[int]:
        """The indices ``start, start + step, ...`` up to ``stop`` inclusive: the specification's
        ``a:c:b``, any non-zero step. Negative bounds count from the end; ``start`` must be in range,
        ``stop`` may lie past the end of the register, where the range then stops (the
        specification's ``[0:2:12]`` of twelve qubits, and Qiskit's reading)."""
        if step == 0:
            self.error("a range step cannot be 0", tok)
        if start is None:
            start = 0 if step > 0 else size - 1
        if stop is None:
            stop = size - 1 if step > 0 else 0
        if start < 0:
            start += size
        if stop < 0:
            stop += size
        if not 0 <= start < size:
            self.error(f"the range starts at index {start}, out of range for {_owner(name)} of size {size}", tok)
        stop = min(stop, size - 1) if step > 0 else max(stop, 0)
        indices = range(start, stop + (1 if step > 0 else -1), step)
        if not indices:
            what = "elements" if name.startswith("the ") else "bits"
            self.error(f"the range selects no {what} of {_owner(name)}", tok)
        return list(indices)

    def index_value_of(self, value: Value, tok: Token) -> Value:
        """``value[...]`` for bits, an integer's bits, or an array."""
        if isinstance(value, Bits):
            if value.scalar:
                self.error(f"'{value.name}' is a single bit and cannot be indexed", self.peek())
            indices, single = self.index_set(len(value.bits), value.name)
            bits = tuple(value.bits[i] for i in indices)
            shown = str(indices[0]) if single else "{" + ", ".join(map(str, indices)) + "}"
            return Bits(bits, single, f"{value.name}[{shown}]")
        if isinstance(value, Array):
            return self.array_index(value, tok)
        if isinstance(value, Angle) and value.k is not None and value.width is not None:
            indices, single = self.index_set(value.width, tok.text)
            digits = [value.k >> i & 1 for i in indices]
            return bool(digits[0]) if single else sum(b << k for k, b in enumerate(digits))
        if isinstance(value, Sized):  # bits of an int[n]/uint[n]: of its n-bit pattern, -1 the highest
            indices, single = self.index_set(value.width, tok.text)
            digits = [value.pattern >> i & 1 for i in indices]
            return bool(digits[0]) if single else sum(b << k for k, b in enumerate(digits))
        if isinstance(value, int) and not isinstance(value, bool):
            indices, single = self.index_set(4096, tok.text)
            digits = [value >> i & 1 for i in indices]
            return bool(digits[0]) if single else sum(b << k for k, b in enumerate(digits))
        self.error(f"'{tok.text}' cannot be indexed", self.peek())

    def array_index(self, value: Array, tok: Token) -> Value:
        """``[...]`` after an array: a hook, implemented by :class:`~.classical3.Classical3` (which
        holds array types); the reader always has it (this base is never used alone)."""
        raise NotImplementedError


def _owner(name: str) -> str:
    """How an indexed thing is named in an error ("register 'q'", or a description given as is)."""
    return name if name.startswith("the ") else f"register '{name}'"
