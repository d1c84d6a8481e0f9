"""Qiskit's ``QuantumCircuit`` into the qhpc program model (:func:`circuit_from_qiskit`); the
conventions are in :mod:`qhpc_qiskit.translate`."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc.errors import TranslationError
from qhpc_interop import (
    BARRIER,
    MEASURE,
    RESET,
    STANDARD_GATES,
    Circuit,
    Condition,
    Instruction,
    Register,
    UnitaryGate,
)
from qhpc_interop.errors import CircuitError, ParameterError, warn_loss
from qhpc_interop.features import LAYOUT_KEY
from qhpc_interop.ir import copy_metadata, library_gate, new_instruction
from qhpc_interop.params import ParamValue
from qhpc_interop.qasm.conditions import (
    ALWAYS,
    MAX_TABLE_BITS,
    NEVER,
    Terms,
    TooManyTerms,
    bits_read,
    conjoin,
    disjoin,
    equals,
    from_truth_table,
    negate,
)
from qhpc_interop.qasm.control3 import MAX_LOOP_ITERATIONS, MAX_UNROLLED_INSTRUCTIONS
from qhpc_interop.qasm.gatedefs import MAX_GATE_EXPANSION

from .params import param_from_qiskit

# -- QuantumCircuit -> model ------------------------------------------------------------------


class _Break(Exception):
    """A ``break_loop`` that always runs: the loop being unrolled stops."""


class _Continue(Exception):
    """A ``continue_loop`` that always runs: the iteration being unrolled ends."""


@dataclass
class _Frame:
    """An ``if`` (or ``switch``) being read: the bits its condition reads, and those written since."""

    read: frozenset[int]
    written: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Stored:
    """A classical variable's value as the model can hold it: the clbits it was computed from, how
    (clbit -> value gives its value), and how many times each of those clbits had been written
    when it was assigned (read after one of them is measured again, it no longer stands for them)."""

    bits: tuple[int, ...]
    value: Callable[[dict[int, int]], int | float]
    stamp: tuple[int, ...]


class _Reader:
    """Walks a QuantumCircuit (and, recursively, definitions and control-flow blocks) into model
    instructions.

    Control flow is read as the OpenQASM 3 reader reads it (:mod:`qhpc_interop.qasm.conditions`):
    a condition on measured bits becomes mutually exclusive terms, each instruction of a block is
    emitted once per term (``else`` under the negation, nested blocks under the conjunction, a
    ``switch`` case under "the target is one of its values", ``default`` under "none of them");
    ``for_loop`` is unrolled (its parameter bound to each value), ``box`` read as its contents, and
    an unconditional ``break_loop``/``continue_loop`` ends the loop or iteration being unrolled.
    What needs run-time classical computation (``while_loop``, ``store``, a ``break_loop`` under a
    condition on measured bits) is refused by name.
    """

    def __init__(self, qc: Any) -> None:
        self.qc = qc
        self.qubit_index = {q: i for i, q in enumerate(qc.qubits)}
        self.clbit_index = {c: i for i, c in enumerate(qc.clbits)}
        self.phase: ParamValue = param_from_qiskit(qc.global_phase)
        self.out: list[Instruction] = []
        #: the delays read past, where and how long (the model has no timing)
        self.delays: list[str] = []
        #: the PauliEvolutionGates whose synthesis (what they are read as) approximates them, and how
        self.approximated: list[str] = []
        #: instructions read inside the definition of the circuit's current instruction (see :meth:`_expand`)
        self.expanded = 0
        self.defining = 0
        #: the condition terms in force (None: unconditional) and their model conditions
        self.terms: Terms | None = None
        self.conds: tuple[Condition, ...] | None = None
        #: the ifs and switches being read, innermost last
        self.frames: list[_Frame] = []
        #: the conditions in force where each loop being unrolled started, innermost last
        self.loops: list[Terms | None] = []
        self.iterations = 0
        #: clbit -> how many instructions have written it so far
        self.writes: dict[int, int] = {}
        #: the standalone classical variables assigned so far (``add_var``, ``store``)
        self.env: dict[Any, _Stored] = {}

    # -- emitting ----------------------------------------------------------------------------------
    def _check_frames(self, where: str) -> None:
        for frame in self.frames:
            if frame.read & frame.written:
                bits = ", ".join(str(b) for b in sorted(frame.read & frame.written))
                raise TranslationError(
                    f"{where}: comes after an instruction of the same if (or switch) that writes a bit its condition "
                    f"reads (clbit {bits}); the model tests a condition at every instruction, so it would see the "
                    "new value")

    def _emit(self, operation: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str) -> None:
        """Append one instruction, copied under each condition in force."""
        if self.frames:
            self._check_frames(where)
        conds = self.conds
        if conds is None:
            self.out.append(new_instruction(operation, qubits, clbits))
        else:
            self.out.extend(Instruction(operation, qubits, clbits, c) for c in conds)
        if clbits and conds != ():
            for c in clbits:
                self.writes[c] = self.writes.get(c, 0) + 1
            for frame in self.frames:
                frame.written.update(clbits)

    @contextmanager
    def _conditional(self, terms: Terms, where: str) -> Iterator[None]:
        """Read what is inside under ``terms`` as well as the conditions already in force."""
        saved = self.terms, self.conds
        try:
            combined = terms if self.terms is None else conjoin(self.terms, terms)
        except TooManyTerms as exc:
            raise TranslationError(f"{where}: {exc}") from None
        if combined == ALWAYS:
            self.terms = self.conds = None
        else:
            self.terms, self.conds = combined, tuple(t.condition() for t in combined)
        try:
            yield
        finally:
            self.terms, self.conds = saved

    # -- reading -----------------------------------------------------------------------------------
    def read(self, data: Any, qmap: Sequence[int] | None, cmap: Sequence[int] | None, where: str,
             depth: int = 0) -> None:
        """Append ``data``'s instructions; ``qmap``/``cmap`` map a sub-circuit's bit positions outward."""
        qubit_of, clbit_of = self.qubit_index.__getitem__, self.clbit_index.__getitem__
        out = self.out
        for position, ci in enumerate(data):
            if qmap is None:
                qubits = tuple(map(qubit_of, ci.qubits))
                clbits = tuple(map(clbit_of, ci.clbits)) if ci.clbits else ()
            else:
                assert self._sub_qubits is not None and self._sub_clbits is not None
                qubits = tuple(qmap[self._sub_qubits[q]] for q in ci.qubits)
                clbits = tuple(cmap[self._sub_clbits[c]] for c in ci.clbits) if cmap is not None else ()
            # the instruction's name and parameters without making its Python operation object
            # (Qiskit builds one per access for standard gates); the operation only where needed
            name = ci.name
            if ci.is_standard_gate() and name in STANDARD_GATES:
                params = ci.params
                if params:
                    for p in params:  # (a loop first: a generator per gate costs more than the check)
                        if type(p) is not float:
                            params = tuple(p if type(p) is float else param_from_qiskit(p) for p in params)
                            break
                    else:
                        params = tuple(params)
                try:
                    gate = library_gate(name, params)
                except ParameterError as exc:  # a value the model refuses (not finite): said where
                    raise TranslationError(f"{where}instruction {position} ({name}): {exc}") from None
                if self.conds is None and not self.frames:
                    out.append(new_instruction(gate, qubits))
                else:
                    self._emit(gate, qubits, (), f"{where}instruction {position} ({name})")
                continue
            op = ci.operation
            here = f"{where}instruction {position} ({name})"
            builtin = _builtins().get(name)
            if builtin is not None and not isinstance(op, builtin):
                name = ""  # a custom instruction named like a built-in one (a gate called "barrier"): its definition
            if name == "measure":
                self._emit(MEASURE, qubits, clbits, here)
            elif name == "reset":
                self._emit(RESET, qubits, (), here)
            elif name == "barrier":
                if self.conds is None:
                    out.append(Instruction(BARRIER, qubits))
            elif name == "global_phase":
                if self.conds is None:
                    self.phase = self.phase + param_from_qiskit(op.params[0])
            elif name in ("if_else", "switch_case", "store"):
                # its condition names bits of the circuit being read: of a definition, mapped outward
                scope = self.clbit_index if cmap is None else \
                    {c: cmap[k] for c, k in (self._sub_clbits or {}).items()}
                if name == "if_else":
                    self._if_else(op, qubits, clbits, here, depth, scope)
                elif name == "switch_case":
                    self._switch(op, qubits, clbits, here, depth, scope)
                else:
                    self._store(op, here, scope)
            elif name == "for_loop":
                self._for_loop(op, qubits, clbits, here, depth)
            elif name == "box":
                if op.duration is not None:  # the model has no timing: the box's span is a barrier
                    if self.conds is None:
                        out.append(Instruction(BARRIER, qubits))
                    self.delays.append(f"{here}: a box of {op.duration} {op.unit}")
                self._sub(op.blocks[0], qubits, clbits, here, depth)
            elif name in ("break_loop", "continue_loop"):
                if self.frames:  # (a condition that reads a bit written since would be tested stale)
                    self._check_frames(here)
                if self.conds == ():
                    continue  # under a condition that never holds
                if not self.loops or self.loops[-1] != self.terms:
                    raise TranslationError(f"{here}: a {name} under a condition on measured bits needs run-time "
                                           "control flow; the model holds none (loops are unrolled when read)")
                raise _Break() if name == "break_loop" else _Continue()
            elif name == "delay":
                # the model has no timing: a barrier on the qubits (nothing moves across it), announced
                if self.conds is None:
                    out.append(Instruction(BARRIER, qubits))
                how_long = f"{op.duration} {op.unit}" if op.unit != "expr" else f"{_duration_text(op.duration)}"
                # (under a condition, no barrier: the model conditions gates only)
                self.delays.append(f"{here}: {how_long}" + ("" if self.conds is None else ", under a condition: dropped"))
            elif name == "while_loop":
                raise TranslationError(f"{here}: a while_loop repeats until a measured value changes, which needs "
                                       "run-time control flow; the model holds none (a for_loop is unrolled when read)")
            elif name == "unitary":
                try:
                    matrix = UnitaryGate(op.to_matrix())
                except CircuitError as exc:
                    raise TranslationError(f"{here}: {exc}") from None
                self._emit(matrix, qubits, (), here)
            else:
                self._expand(op, qubits, clbits, here, depth)

    # bit -> position in the sub-circuit being read (Qiskit bits hash by identity of the bit, but
    # their Python wrappers are recreated on access, so id() cannot be used)
    _sub_qubits: dict[Any, int] | None = None
    _sub_clbits: dict[Any, int] | None = None

    def _sub(self, circuit: Any, qubits: Sequence[int], clbits: Sequence[int], where: str, depth: int) -> None:
        if depth > 64:
            raise TranslationError(f"{_short(where)}: definitions and control-flow blocks nest deeper than 64 levels")
        saved = (self._sub_qubits, self._sub_clbits)
        self._sub_qubits = {q: k for k, q in enumerate(circuit.qubits)}
        self._sub_clbits = {c: k for k, c in enumerate(circuit.clbits)}
        try:
            if self.conds is None:
                self.phase = self.phase + param_from_qiskit(circuit.global_phase)
            self.read(circuit.data, list(qubits), list(clbits), f"{where} > ", depth + 1)
        finally:
            self._sub_qubits, self._sub_clbits = saved

    def _expand(self, op: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str, depth: int) -> None:
        if type(op).__name__ == "PauliEvolutionGate":
            how = _evolution_approximation(op)
            if how is not None:
                self.approximated.append(f"{_short(where)}: {how}")
        # Qiskit's definition, else its own synthesis of an operation with none (a PermutationGate's
        # swaps, an AnnotatedOperation's controlled, inverted or powered base): gates every format
        # can hold, where the matrix below would be an opaque unitary (or none, with symbols)
        try:
            definition = getattr(op, "definition", None)
        except Exception as exc:  # Qiskit failing to define it (a HamiltonianGate over an unbound time)
            raise TranslationError(f"{where}: Qiskit could not define it ({_first_line(exc)})"
                                   + ("; bind its parameters first" if getattr(op, "is_parameterized", bool)() else "")
                                   ) from None
        for body, what in ((definition, "gate definitions expand"),
                           (_synthesized(op, where) if definition is None and not clbits else None,
                            "its synthesis expands")):
            if body is None:
                continue
            # definitions that double at each level would expand without end: what one instruction of
            # the circuit expands to is bounded, as the OpenQASM readers bound one gate's definition
            if not self.defining:  # an instruction outside any definition (in a block or loop, too)
                self.expanded = 0
            self.expanded += len(body.data)
            if self.expanded > MAX_GATE_EXPANSION:
                raise TranslationError(f"{_short(where)}: {what} past {MAX_GATE_EXPANSION} gates")
            self.defining += 1
            try:
                self._sub(body, qubits, clbits, where, depth)
            finally:
                self.defining -= 1
            return
        if hasattr(op, "to_matrix") and not clbits:
            try:
                matrix = op.to_matrix()
            except Exception:
                matrix = None
            if matrix is not None:
                try:
                    gate = UnitaryGate(matrix)
                except CircuitError as exc:  # a power so high that Qiskit's matrix is no longer unitary
                    raise TranslationError(f"{where}: {exc}") from None
                self._emit(gate, qubits, (), where)
                return
        raise TranslationError(f"{where}: has no definition and no matrix; the qhpc model cannot hold it")

    def _if_else(self, op: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str, depth: int,
                 scope: dict[Any, int]) -> None:
        true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
        if false_body is not None and not len(false_body.data):
            false_body = None
        truth = self._terms(op.condition, where, scope)
        read = bits_read(truth)
        start = len(self.out)
        self.frames.append(_Frame(read))
        try:
            with self._conditional(truth, where):
                self._sub(true_body, qubits, clbits, where, depth)
            if false_body is None:
                return
            opposite = negate(truth)
            if not read & self.frames[-1].written:
                with self._conditional(opposite, where):
                    self._sub(false_body, qubits, clbits, f"{where} else", depth)
                return
            # The if block ends by writing bits its condition reads: emitted after it, the else block
            # would test the new value. The branches exclude each other, so the else block goes
            # first, unless it too writes those bits.
            middle = len(self.out)
            self.frames[-1] = _Frame(read)
            with self._conditional(opposite, where):
                self._sub(false_body, qubits, clbits, f"{where} else", depth)
            if read & self.frames[-1].written:
                raise TranslationError(f"{where}: both branches write bits the condition reads; the model tests a "
                                       "condition at every instruction, so one branch would see the other's writes")
            self.out[start:] = self.out[middle:] + self.out[start:middle]
        finally:
            self.frames.pop()

    def _switch(self, op: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str, depth: int,
                scope: dict[Any, int]) -> None:
        from qiskit.circuit.controlflow import CASE_DEFAULT

        cases = list(op.cases_specifier())
        # each case's condition once (None: the default), and what any non-default case matches
        per_case: list[Terms | None] = []
        matched = NEVER
        try:
            for case_values, _ in cases:
                if any(v is CASE_DEFAULT for v in case_values):
                    per_case.append(None)
                    continue
                terms = NEVER
                for v in case_values:
                    terms = disjoin(terms, self._equal(op.target, v, where, scope))
                per_case.append(terms)
                matched = disjoin(matched, terms)
            default = negate(matched) if None in per_case else NEVER  # (only a default case needs it)
        except TooManyTerms as exc:
            raise TranslationError(f"{where}: {exc}") from None
        self.frames.append(_Frame(bits_read(matched) | frozenset(self._target_bits(op.target, where, scope))))
        try:
            for k, ((_, body), terms_or_default) in enumerate(zip(cases, per_case, strict=True)):
                with self._conditional(default if terms_or_default is None else terms_or_default, where):
                    self._sub(body, qubits, clbits, f"{where} case {k}", depth)
        finally:
            self.frames.pop()

    def _for_loop(self, op: Any, qubits: tuple[int, ...], clbits: tuple[int, ...], where: str, depth: int) -> None:
        indexset, parameter, body = op.params
        self.loops.append(self.terms)
        try:
            for k, value in enumerate(indexset):
                self.iterations += 1
                if self.iterations > MAX_LOOP_ITERATIONS:
                    raise TranslationError(f"{where}: the circuit's loops run more than {MAX_LOOP_ITERATIONS} "
                                           "iterations in all (loops are unrolled when the circuit is read)")
                if len(self.out) > MAX_UNROLLED_INSTRUCTIONS:
                    raise TranslationError(f"{where}: unrolling the circuit's loops gives more than "
                                           f"{MAX_UNROLLED_INSTRUCTIONS} instructions")
                iteration = body if parameter is None else body.assign_parameters({parameter: value}, inplace=False, strict=False)
                try:
                    self._sub(iteration, qubits, clbits, f"{where} iteration {k}", depth)
                except _Continue:
                    continue
                except _Break:
                    break
        finally:
            self.loops.pop()

    # -- classical variables -----------------------------------------------------------------------
    def _store(self, op: Any, where: str, scope: dict[Any, int]) -> None:
        """``store`` into a standalone variable: kept as the computation of its value from the
        clbits it reads, for the conditions that read it later."""
        from qiskit.circuit.classical import expr

        lvalue = op.lvalue
        if not (isinstance(lvalue, expr.Var) and lvalue.standalone):
            raise TranslationError(f"{where}: a store into {lvalue} writes measured bits from a classical expression "
                                   "at run time, which the model cannot hold")
        if self.conds is not None:
            raise TranslationError(f"{where}: a store into the variable {lvalue.name} under a condition on measured "
                                   "bits gives it a value that depends on the run, which the model cannot hold")
        bits = tuple(self._target_bits(op.rvalue, where, scope))
        if len(bits) > MAX_TABLE_BITS:
            raise TranslationError(f"{where}: the variable {lvalue.name} is computed from {len(bits)} clbits; the model "
                                   f"holds conditions on at most {MAX_TABLE_BITS}")
        env, rvalue = dict(self.env), op.rvalue  # the variables' values as they are now
        self.env[lvalue] = _Stored(bits, lambda v: _evaluate(rvalue, v, scope, env),
                                   tuple(self.writes.get(b, 0) for b in bits))

    def _var_bits(self, var: Any, where: str) -> tuple[int, ...]:
        stored = self.env.get(var)
        if stored is None:
            raise TranslationError(f"{where}: the classical variable {var.name} is read before it is assigned")
        if stored.stamp != tuple(self.writes.get(b, 0) for b in stored.bits):
            raise TranslationError(f"{where}: the classical variable {var.name} holds the value of clbits measured "
                                   "again since it was assigned; the model reads conditions from the bits themselves, "
                                   "so it cannot hold the earlier value")
        return stored.bits

    # -- conditions --------------------------------------------------------------------------------
    def _target_bits(self, target: Any, where: str, scope: dict[Any, int]) -> list[int]:
        from qiskit.circuit import ClassicalRegister, Clbit

        if isinstance(target, Clbit):
            return [scope[target]]
        if isinstance(target, ClassicalRegister):
            return [scope[b] for b in target]
        try:
            return _expr_bits(target, scope, lambda var: self._var_bits(var, where))
        except TranslationError as exc:
            raise TranslationError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None

    def _equal(self, target: Any, value: Any, where: str, scope: dict[Any, int]) -> Terms:
        """``target == value`` (a switch case) as terms."""
        from qiskit.circuit import ClassicalRegister, Clbit

        if isinstance(target, Clbit):
            return equals((scope[target],), int(value))
        if isinstance(target, ClassicalRegister):
            register = target.name if scope is self.clbit_index else None
            return equals(tuple(scope[b] for b in target), int(value), register)
        bits = self._target_bits(target, where, scope)
        return self._table_terms(bits, lambda v: _evaluate(target, v, scope, self.env) == value,
                                 f"switch target {_expr_text(target)}", where)

    def _terms(self, cond: Any, where: str, scope: dict[Any, int]) -> Terms:
        """An ``if_test`` condition as mutually exclusive terms over the model's clbits; ``scope``
        maps the bits it names (the circuit's, or a definition's) to the model's clbits. Qiskit's
        semantics: casts to a narrower ``Uint`` truncate, a cast to ``Bool`` is "not zero"."""
        from qiskit.circuit import ClassicalRegister, Clbit

        if isinstance(cond, tuple):  # the legacy (bit or register, value) form
            target, value = cond
            if isinstance(target, Clbit):
                return equals((scope[target],), int(bool(value)))
            if isinstance(target, ClassicalRegister):
                # a definition's register is not one of the circuit's: its bits are named one by one
                register = target.name if scope is self.clbit_index else None
                return equals(tuple(scope[b] for b in target), int(value), register)
            raise TranslationError(f"{where}: condition {_expr_text(cond)} cannot be held by the model")
        pairs = _literal_pairs(cond, scope)
        if pairs is not None:  # an and of bits and negated bits (qhpc's own writing), over any number of bits
            literals: dict[int, int] = {}
            for b, v in pairs:
                if literals.setdefault(b, v) != v:
                    return NEVER  # a bit required both set and clear
            return equals(tuple(literals), sum(v << k for k, v in enumerate(literals.values())))
        bits = self._target_bits(cond, where, scope)
        return self._table_terms(bits, lambda v: bool(_evaluate(cond, v, scope, self.env)),
                                 f"condition {_expr_text(cond)}", where)

    @staticmethod
    def _table_terms(bits: Sequence[int], test: Callable[[dict[int, int]], bool], what: str, where: str) -> Terms:
        """The assignments of ``bits`` that pass ``test``, as mutually exclusive terms."""
        try:
            return from_truth_table(bits, test)
        except TooManyTerms as exc:
            raise TranslationError(f"{where}: {what}: {exc}") from None
        except TranslationError as exc:  # a value the evaluation refuses (undefined in Qiskit)
            raise TranslationError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None




def _literal_pairs(node: Any, scope: dict[Any, int]) -> list[tuple[int, int]] | None:
    """(clbit, required value) of each literal of ``node`` where it is a logical and (any shape) of
    bits and negated bits, else None; walked without recursion (a chain can be thousands deep)."""
    from qiskit.circuit import Clbit
    from qiskit.circuit.classical import expr

    if not (isinstance(node, expr.Binary) and node.op is expr.Binary.Op.LOGIC_AND):
        return None
    pairs: list[tuple[int, int]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, expr.Binary) and n.op is expr.Binary.Op.LOGIC_AND:
            stack.append(n.right)
            stack.append(n.left)
            continue
        value = 1
        if isinstance(n, expr.Unary) and n.op is expr.Unary.Op.LOGIC_NOT:
            n, value = n.operand, 0
        if not (isinstance(n, expr.Var) and isinstance(n.var, Clbit) and n.var in scope):
            return None
        pairs.append((scope[n.var], value))
    return pairs


def _expr_bits(node: Any, clbit_index: dict[Any, int],
               var_bits: Callable[[Any], tuple[int, ...]] | None = None) -> list[int]:
    """The clbits a classical expression reads, in first-appearance order (``var_bits``: those a
    standalone variable's value was computed from)."""
    from qiskit.circuit import ClassicalRegister, Clbit
    from qiskit.circuit.classical import expr

    found: dict[int, None] = {}

    def visit(n: Any) -> None:
        if isinstance(n, expr.Var):
            if isinstance(n.var, Clbit):
                found[clbit_index[n.var]] = None
            elif isinstance(n.var, ClassicalRegister):
                for b in n.var:
                    found[clbit_index[b]] = None
            elif var_bits is not None and n.standalone:
                found.update(dict.fromkeys(var_bits(n)))
            else:
                raise TranslationError(f"condition reads the classical variable {n.var}, which the model cannot hold")
        elif isinstance(n, expr.Cast | expr.Unary):
            visit(n.operand)
        elif isinstance(n, expr.Binary):
            visit(n.left)
            visit(n.right)
        elif isinstance(n, expr.Index):
            visit(n.target)
            visit(n.index)
        elif not isinstance(n, expr.Value):
            raise TranslationError(f"condition uses {type(n).__name__}, which the model cannot hold")

    visit(node)
    return list(found)


def _evaluate(node: Any, values: dict[int, int], clbit_index: dict[Any, int],
              env: dict[Any, _Stored] | None = None) -> int | float:
    """A classical expression's value for given clbit values, with Qiskit's semantics: a ``Bool`` is
    0 or 1, a ``Uint(n)`` an integer in ``[0, 2**n)``, a ``Float`` a float (``env``: the standalone
    variables' values). A cast to a narrower ``Uint`` truncates and a cast to ``Bool`` is "not zero".
    What Qiskit leaves undefined is refused by name, not given a value: ``Uint`` arithmetic whose
    result leaves its type's range, division by zero, a ``Float`` cast to ``Uint``, durations."""
    from qiskit.circuit import ClassicalRegister, Clbit
    from qiskit.circuit.classical import expr, types

    def refuse(n: Any, why: str) -> TranslationError:
        return TranslationError(f"condition {_expr_text(node)}: {_expr_text(n)} {why}, which the model cannot hold")

    def checked(n: Any, value: int | float) -> int | float:
        """``value`` as a value of ``n``'s type; outside a ``Uint``'s range it is refused."""
        kind = n.type
        if isinstance(kind, types.Uint) and not 0 <= value < 1 << kind.width:
            raise refuse(n, f"is {value} for some measured values, outside {kind}'s range (Qiskit does not "
                            "define what unsigned arithmetic does past its width)")
        return value

    def ev(n: Any) -> int | float:
        if isinstance(n.type, types.Duration):
            raise refuse(n, "is a duration")
        if isinstance(n, expr.Value):
            return float(n.value) if isinstance(n.type, types.Float) else int(n.value)
        if isinstance(n, expr.Var):
            if isinstance(n.var, Clbit):
                return values[clbit_index[n.var]]
            if env is not None and n in env:
                return env[n].value(values)
            assert isinstance(n.var, ClassicalRegister)
            return sum(values[clbit_index[b]] << k for k, b in enumerate(n.var))
        if isinstance(n, expr.Cast):
            inner, kind = ev(n.operand), n.type
            if isinstance(kind, types.Bool):
                return int(inner != 0)
            if isinstance(kind, types.Float):
                return float(inner)
            if isinstance(kind, types.Uint) and not isinstance(inner, float):
                return inner % (1 << kind.width)
            raise refuse(n, f"casts {n.operand.type} to {kind}")
        if isinstance(n, expr.Index):
            return (int(ev(n.target)) >> int(ev(n.index))) & 1
        if isinstance(n, expr.Unary):
            inner = ev(n.operand)
            if n.op is expr.Unary.Op.LOGIC_NOT:
                return int(not inner)
            if n.op is expr.Unary.Op.NEGATE:
                return checked(n, -inner)
            width = getattr(n.type, "width", None) or 1
            return ~int(inner) & ((1 << width) - 1)  # BIT_NOT
        if isinstance(n, expr.Binary):
            left, right = ev(n.left), ev(n.right)
            Op = expr.Binary.Op
            compare: dict[Any, Callable[[Any, Any], bool]] = {
                Op.LOGIC_AND: lambda a, b: bool(a) and bool(b), Op.LOGIC_OR: lambda a, b: bool(a) or bool(b),
                Op.EQUAL: lambda a, b: a == b, Op.NOT_EQUAL: lambda a, b: a != b,
                Op.LESS: lambda a, b: a < b, Op.LESS_EQUAL: lambda a, b: a <= b,
                Op.GREATER: lambda a, b: a > b, Op.GREATER_EQUAL: lambda a, b: a >= b,
            }
            if n.op in compare:
                return int(compare[n.op](left, right))
            if n.op is Op.DIV:
                if right == 0:
                    raise refuse(n, "divides by zero for some measured values")
                return left / right if isinstance(n.type, types.Float) else int(left) // int(right)
            arithmetic: dict[Any, Callable[[Any, Any], Any]] = {
                Op.BIT_AND: lambda a, b: a & b, Op.BIT_OR: lambda a, b: a | b, Op.BIT_XOR: lambda a, b: a ^ b,
                Op.ADD: lambda a, b: a + b, Op.SUB: lambda a, b: a - b, Op.MUL: lambda a, b: a * b,
                Op.SHIFT_RIGHT: lambda a, b: a >> b,
            }
            if n.op in arithmetic:
                return checked(n, arithmetic[n.op](left, right))
            if n.op is Op.SHIFT_LEFT:  # bits shifted past the width are dropped, as in Qiskit's shift
                return (int(left) << int(right)) & ((1 << (getattr(n.type, "width", None) or 1)) - 1)
        raise TranslationError(f"condition uses {_expr_text(n)}, which the model cannot hold")

    return ev(node)


_BINARY_SYMBOLS = {"BIT_AND": "&", "BIT_OR": "|", "BIT_XOR": "^", "LOGIC_AND": "&&", "LOGIC_OR": "||",
                   "EQUAL": "==", "NOT_EQUAL": "!=", "LESS": "<", "LESS_EQUAL": "<=", "GREATER": ">",
                   "GREATER_EQUAL": ">=", "SHIFT_LEFT": "<<", "SHIFT_RIGHT": ">>", "ADD": "+", "SUB": "-",
                   "MUL": "*", "DIV": "/"}
_UNARY_SYMBOLS = {"BIT_NOT": "~", "LOGIC_NOT": "!", "NEGATE": "-"}


def _expr_text(node: Any) -> str:
    """A Qiskit classical expression (or a bit or register) as OpenQASM 3-like text, for messages
    (its repr runs to hundreds of characters)."""
    from qiskit.circuit import ClassicalRegister, Clbit
    from qiskit.circuit.classical import expr, types

    def kind(t: Any) -> str:
        if isinstance(t, types.Uint):
            return f"uint[{t.width}]"
        return type(t).__name__.lower()

    def bit(b: Any) -> str:
        register, index = getattr(b, "_register", None), getattr(b, "_index", None)
        return f"{register.name}[{index}]" if register is not None and index is not None else "a clbit"

    def text(n: Any) -> str:
        if isinstance(n, tuple) and len(n) == 2:  # the legacy (bit or register, value) form
            return f"{text(n[0])} == {n[1]}"
        if isinstance(n, ClassicalRegister):
            return n.name
        if isinstance(n, Clbit):
            return bit(n)
        if isinstance(n, expr.Value):  # (Qiskit holds a Bool value as an int)
            return ("true" if n.value else "false") if isinstance(n.type, types.Bool) else str(n.value)
        if isinstance(n, expr.Var):
            return text(n.var) if not n.standalone else n.name
        if isinstance(n, expr.Cast):
            return f"{kind(n.type)}({text(n.operand)})"
        if isinstance(n, expr.Unary):
            return f"{_UNARY_SYMBOLS.get(n.op.name, n.op.name)}{text(n.operand)}"
        if isinstance(n, expr.Binary):
            return f"({text(n.left)} {_BINARY_SYMBOLS.get(n.op.name, n.op.name)} {text(n.right)})"
        if isinstance(n, expr.Index):
            return f"{text(n.target)}[{text(n.index)}]"
        if isinstance(n, expr.Stretch):
            return n.name
        return str(n)

    shown = text(node)
    shown = shown[1:-1] if shown.startswith("(") and shown.endswith(")") and isinstance(node, expr.Binary) else shown
    # (a condition over thousands of bits would make a message of a megabyte)
    return shown if len(shown) <= 200 else f"{shown[:200]}... ({len(shown)} characters)"


def _duration_text(duration: Any) -> str:
    """A duration expression in words (a stretch by its name: ``s (a stretch)``)."""
    from qiskit.circuit.classical import expr

    if isinstance(duration, expr.Stretch):
        return f"{duration.name} (a stretch)"
    return "a duration expression" if isinstance(duration, expr.Expr) else str(duration)


def circuit_from_qiskit(qc: Any) -> Circuit:
    """The model circuit for a Qiskit ``QuantumCircuit`` (same qubit and clbit order)."""
    # (stretches are durations, which only delays and boxes use: a delay is read as a barrier)
    if getattr(qc, "num_input_vars", 0):
        names = ", ".join(v.name for v in qc.iter_input_vars())
        raise TranslationError(f"circuit {qc.name!r} uses input classical variables ({names}), given only when it "
                               "runs, which the model cannot hold")
    reader = _Reader(qc)
    reader.read(qc.data, None, None, "")
    circuit = Circuit(
        num_qubits=qc.num_qubits,
        num_clbits=qc.num_clbits,
        name=qc.name,
        global_phase=reader.phase,
        qregs=[Register(r.name, tuple(reader.qubit_index[b] for b in r)) for r in qc.qregs],
        cregs=[Register(r.name, tuple(reader.clbit_index[b] for b in r)) for r in qc.cregs],
        # copied deeply, as Qiskit's own copy() does: the model must not share nested values with the circuit
        metadata=copy_metadata(qc.metadata) if isinstance(qc.metadata, dict) else {},
    )
    circuit.instructions = reader.out
    if getattr(qc, "layout", None) is not None:
        _read_layout(qc, circuit)
    if reader.delays:
        shown = ", ".join(reader.delays[:3]) + (f" and {len(reader.delays) - 3} more" if len(reader.delays) > 3 else "")
        warn_loss(f"the program model holds no timing, so reading drops {len(reader.delays)} delay(s) ({shown}), "
                  "each read as a barrier on its qubits")
    if reader.approximated:
        found = reader.approximated
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        warn_loss(f"{len(found)} PauliEvolutionGate(s) read as Qiskit's synthesis of them, which approximates "
                  f"exp(-iHt) ({shown}); Qiskit's transpiler and Aer run the same gates. For the exact unitary, "
                  "give the gate synthesis=MatrixExponential() (a matrix) or more steps (reps, SuzukiTrotter)")
    return circuit


_BUILTINS: dict[str, type] | None = None


def _builtins() -> dict[str, type]:
    """The names the reader dispatches on, each with the Qiskit class it means: an instruction of
    another class that takes one of these names (``QuantumCircuit(name="reset").to_gate()``) is a
    custom one, read by its definition."""
    global _BUILTINS
    if _BUILTINS is None:
        from qiskit.circuit import (
            Barrier,
            BoxOp,
            BreakLoopOp,
            ContinueLoopOp,
            Delay,
            ForLoopOp,
            IfElseOp,
            Measure,
            Reset,
            Store,
            SwitchCaseOp,
            WhileLoopOp,
        )
        from qiskit.circuit.library import GlobalPhaseGate, UnitaryGate

        _BUILTINS = {"measure": Measure, "reset": Reset, "barrier": Barrier, "global_phase": GlobalPhaseGate,
                     "if_else": IfElseOp, "switch_case": SwitchCaseOp, "store": Store, "for_loop": ForLoopOp,
                     "box": BoxOp, "break_loop": BreakLoopOp, "continue_loop": ContinueLoopOp, "delay": Delay,
                     "while_loop": WhileLoopOp, "unitary": UnitaryGate}
    return _BUILTINS


#: Operation types Qiskit's HighLevelSynthesis returned unchanged (it has no plugin for them): they
#: are not offered to it again (a pass costs about half a millisecond). Held weakly: a program that
#: makes a gate class per circuit would otherwise keep every one (an audit: 4.8 KB a conversion).
_NOT_SYNTHESIZED: weakref.WeakSet[type] = weakref.WeakSet()

#: The largest power of an annotated operation synthesised as repetitions (HighLevelSynthesis makes
#: every repetition before the reader could count them); a larger one is read as its matrix.
MAX_SYNTHESIZED_POWER = 64


def _synthesized(op: Any, where: str) -> Any:
    """The circuit Qiskit's ``HighLevelSynthesis`` makes of ``op`` (an operation with no definition),
    or None where it makes nothing else of it. A fractional power of an ``AnnotatedOperation`` is
    taken first as ``Operator`` takes it, on the principal branch (see :func:`_principal_powers`)."""
    from qiskit import QuantumCircuit
    from qiskit.transpiler.passes import HighLevelSynthesis

    kind = type(op)
    if kind in _NOT_SYNTHESIZED:
        return None
    power = 1.0
    for modifier in getattr(op, "modifiers", ()):  # an AnnotatedOperation's, outermost last
        power *= abs(_real_power(modifier, where))
    if power > MAX_SYNTHESIZED_POWER:
        return None
    made = _principal_powers(op, where) if kind.__name__ == "AnnotatedOperation" else op
    try:
        one = QuantumCircuit(op.num_qubits)
        one.append(made, range(op.num_qubits))
        out = HighLevelSynthesis()(one)
    except Exception:  # no synthesis for it: the matrix, or a refusal, follows
        return None
    data = out.data
    if len(data) == 1 and type(data[0].operation) is kind and data[0].operation.name == op.name:
        if kind.__name__ != "AnnotatedOperation":
            _NOT_SYNTHESIZED.add(kind)
        return None
    return out


def _real_power(modifier: Any, where: str) -> float:
    """A modifier's power (1 for one that is not a power), refused by name where it is no real number."""
    exponent = getattr(modifier, "power", 1.0)
    try:
        return float(exponent)
    except TypeError:
        if getattr(exponent, "parameters", None):
            raise TranslationError(f"{where}: a power by {exponent}, a symbol: Qiskit can make this operation "
                                   "only once it is bound (assign_parameters first)") from None
        raise TranslationError(f"{where}: a power by {exponent}, which is not a real number") from None


def _principal_powers(op: Any, where: str) -> Any:
    """``op`` (an ``AnnotatedOperation``) with each fractional power replaced by the matrix of what
    it powers raised to it as ``Operator`` raises it (the principal branch), up to
    :data:`MAX_POWERED_QUBITS` qubits. Qiskit's ``HighLevelSynthesis`` makes ``U ** -p`` as
    ``(U ** -1) ** p``, which on a gate with an eigenvalue -1 is another operation (``CX ** -0.5``
    came out as ``CX ** 0.5``); it makes a fractional power a matrix too, so nothing is lost."""
    from qiskit.circuit import AnnotatedOperation, PowerModifier
    from qiskit.circuit.library import UnitaryGate as QiskitUnitary
    from qiskit.quantum_info import Operator

    current: Any = op.base_op
    pending: list[Any] = []
    for modifier in op.modifiers:
        if isinstance(modifier, PowerModifier) and not _real_power(modifier, where).is_integer():
            powered = AnnotatedOperation(current, pending) if pending else current
            if powered.num_qubits > MAX_POWERED_QUBITS:
                raise TranslationError(f"{where}: a fractional power of a {powered.num_qubits}-qubit operation, "
                                       f"which qhpc reads as its matrix, up to {MAX_POWERED_QUBITS} qubits")
            current, pending = QiskitUnitary(Operator(powered).power(float(modifier.power)), check_input=False), []
        else:
            pending.append(modifier)
    return AnnotatedOperation(current, pending) if pending else current


#: The widest operation a fractional power is taken of (as a matrix, as Qiskit's synthesis does too).
MAX_POWERED_QUBITS = 10


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().strip("'\"")
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _evolution_approximation(op: Any) -> str | None:
    """How the synthesis of a ``PauliEvolutionGate`` (its ``definition``) differs from the exponential
    the gate stands for (``Operator(gate)``), or None where it is that exponential: a product formula
    (Lie-Trotter, Suzuki-Trotter) of terms that all commute, or a synthesis that is not a product
    formula (``MatrixExponential``). QDrift samples terms at random, so it is never taken as exact."""
    from qiskit.synthesis import ProductFormula, QDrift

    synthesis = getattr(op, "synthesis", None)
    if not isinstance(synthesis, ProductFormula):
        return None
    steps = f"{synthesis.reps} step(s)"
    if isinstance(synthesis, QDrift):
        return f"QDrift, {steps} of randomly sampled terms"
    order = getattr(synthesis, "order", 1)
    what = f"{type(synthesis).__name__} of order {order}, {steps}"
    try:
        paulis = [_paulis_of(o) for o in (op.operator if isinstance(op.operator, list) else [op.operator])]
        if _paulis_commute(np.concatenate([p.x for p in paulis]), np.concatenate([p.z for p in paulis])):
            return None
    except Exception:  # an operator qhpc cannot expand into Pauli strings: not known to be exact
        return f"{what}, over terms qhpc could not check for commuting"
    return f"{what}, over terms that do not all commute"


def _paulis_of(operator: Any) -> Any:
    """The Pauli strings (a ``PauliList``) of a ``SparsePauliOp`` or a ``SparseObservable`` (whose
    projector terms, such as a controlled evolution's ``1``, expand into Pauli strings)."""
    from qiskit.quantum_info import SparsePauliOp

    if hasattr(operator, "paulis"):
        return operator.paulis
    return SparsePauliOp.from_sparse_observable(operator.as_paulis()).paulis


def _paulis_commute(x: np.ndarray, z: np.ndarray) -> bool:
    """Whether the Pauli strings with symplectic rows ``x``, ``z`` (terms x qubits) all commute:
    two anticommute where ``x_i . z_j + z_i . x_j`` is odd (0/1 products summed in float32 are exact
    integers below 2**24, and BLAS does them fast)."""
    rows = np.unique(np.concatenate([x, z], axis=1).astype(np.uint8), axis=0)
    n = x.shape[1]
    xs, zs = rows[:, :n].astype(np.float32), rows[:, n:].astype(np.float32)
    for start in range(0, len(rows), 1024):  # blocks of rows: a large Hamiltonian in bounded memory
        symplectic = xs[start:start + 1024] @ zs.T + zs[start:start + 1024] @ xs.T
        if np.any(symplectic.astype(np.int64) % 2):
            return False
    return True


def _short(where: str) -> str:
    """A location many levels deep, as its first two and last two levels."""
    levels = where.split(" > ")
    if len(levels) <= 5:
        return where
    return " > ".join([*levels[:2], f"... ({len(levels) - 4} levels) ...", *levels[-2:]])


def _read_layout(qc: Any, circuit: Circuit) -> None:
    """A transpiled circuit: its qubits are physical qubits. Qiskit's layout record goes to
    ``metadata["transpile_layout"]`` (``initial``: the physical qubit of each virtual qubit, ancillas after
    the ``inputs`` original ones; ``routing``: where each qubit's state ends, from routing), and
    qubit identities recorded before transpiling (``metadata["qubits"]``, by index) move with the
    initial layout, or are dropped, announced, where ancillas leave qubits without one."""
    layout = qc.layout
    try:
        initial = [int(p) for p in layout.initial_index_layout(filter_ancillas=False)]
        inputs = len(layout.initial_index_layout(filter_ancillas=True))
        routing = [int(p) for p in layout.routing_permutation()]
    except Exception as exc:  # a layout this Qiskit cannot read back
        warn_loss(f"circuit {qc.name!r} has a transpile layout that cannot be read ({type(exc).__name__}: {exc}); "
                  "it is read as transpiled, on its physical qubits, without it")
        return
    n = circuit.num_qubits
    if sorted(initial) != list(range(n)) or sorted(routing) != list(range(n)) or not 0 <= inputs <= n:
        warn_loss(f"circuit {qc.name!r} has a transpile layout over other qubits than its {n}; it is read as "
                  "transpiled, on its physical qubits, without it")
        return
    circuit.metadata[LAYOUT_KEY] = {"initial": initial, "inputs": inputs, "routing": routing}
    names = circuit.metadata.get("qubits")
    if isinstance(names, list):
        if len(names) == inputs == n:
            moved: list[Any] = [None] * n
            for virtual, physical in enumerate(initial):
                moved[physical] = names[virtual]
            circuit.metadata["qubits"] = moved
        else:
            del circuit.metadata["qubits"]
            warn_loss(f"circuit {qc.name!r} was transpiled onto {n} physical qubits, which the {len(names)} qubit "
                      f"identities recorded before (such as {names[0] if names else None}) do not name one by "
                      "one: they are dropped")
