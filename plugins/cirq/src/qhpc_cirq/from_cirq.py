"""Cirq -> model: :func:`circuit_from_cirq`, the walk over moments, conditions and measurement keys
(the mapping is in :mod:`qhpc_cirq.translate`)."""

from __future__ import annotations

import cmath
import copy
import random
from collections.abc import Iterable, Sequence
from typing import Any

import cirq
import numpy as np
import sympy
from qhpc.errors import QhpcError, TranslationError
from qhpc_interop import (
    Circuit,
    Condition,
    Gate,
    Instruction,
    Register,
    UnitaryGate,
)
from qhpc_interop.controls import ControlError
from qhpc_interop.controls import control as control_definition
from qhpc_interop.errors import CircuitError, warn_loss
from qhpc_interop.gates import controlled
from qhpc_interop.ir import Barrier, expand_gate
from qhpc_interop.params import Expr, ParamValue
from qhpc_interop.qasm.gatedefs import MAX_GATE_EXPANSION

from ._shared import (
    _NEVER,
    BIT_KEYS,
    LARGEST_ARGUMENT,
    MAX_UNITARY_QUBITS,
    _real,
    _Refused,
    add_phase,
    as_numbers,
    bit_key,
    little_endian,
    param_from_sympy,
    qubit_to_json,
)
from .gates_in import _CONTROLLED1, _FIXED, _G, _GATE_HANDLERS, _I, _describe

# -- cirq -> model: the walk -----------------------------------------------------------------


#: The most bit patterns a classical condition may become (one copy of the operation each).
MAX_CONDITION_PATTERNS = 64

class _Reader:
    """Walks a Cirq circuit (and, recursively, sub-circuits and sub-operations) into model instructions."""

    def __init__(self, qubit_index: dict[Any, int]) -> None:
        self.qi = qubit_index
        #: the durations of the cirq.WaitGates read past (the model has no timing)
        self.waits: list[str] = []
        self.out: list[Instruction] = []
        self.phase: ParamValue = 0.0
        self.key_bits: dict[str, tuple[int, ...]] = {}
        #: key -> how many measurements have written it so far (Cirq's repeated keys)
        self.key_count: dict[str, int] = {}
        self.num_clbits = 0
        self._sympy: dict[Any, ParamValue] = {}
        #: CircuitOperations being expanded (only the outermost is sized, see _circuit_operation)
        self._expanding = 0
        self._sizes: dict[int, int] = {}

    def value(self, v: Any) -> ParamValue:
        t = type(v)
        if t is float or t is int:
            if -LARGEST_ARGUMENT <= v <= LARGEST_ARGUMENT:  # (false for nan too)
                return float(v)
            return _real(v)  # refused by name: not finite, or too large
        if isinstance(v, sympy.Basic):
            out = self._sympy.get(v)
            if out is None:
                out = self._sympy[v] = param_from_sympy(v)
            return out
        return _real(v)

    # the walk -------------------------------------------------------------------------------
    def moments(self, moments: Iterable[Any]) -> None:
        handlers = _GATE_HANDLERS
        qi = self.qi
        gate_operation, controlled_operation = cirq.GateOperation, cirq.ControlledOperation
        for m, moment in enumerate(moments):
            for op in moment.operations:
                try:
                    kind = type(op)
                    if kind is gate_operation:
                        gate = op.gate
                        handler = handlers.get(type(gate))
                        if handler is not None:
                            qubits = op.qubits
                            n = len(qubits)
                            if n == 1:
                                handler(self, gate, (qi[qubits[0]],))
                            elif n == 2:
                                handler(self, gate, (qi[qubits[0]], qi[qubits[1]]))
                            else:
                                handler(self, gate, tuple([qi[q] for q in qubits]))
                            continue
                    elif kind is controlled_operation:
                        self._controlled(op)
                        continue
                    self.operation(op)
                except _Refused as exc:
                    if self._expanding and str(exc).startswith("moment "):
                        raise  # inside nested CircuitOperations: the outermost and innermost places say where
                    raise _Refused(f"moment {m} ({_describe(op)}): {exc}") from None
                except CircuitError as exc:  # a matrix the model refuses (far from unitary): said where
                    raise _Refused(f"moment {m} ({_describe(op)}): {exc}") from None
                except QhpcError:
                    raise
                except Exception as exc:  # Cirq failing on what the reader asks of the operation
                    what = "its decomposition never ends" if isinstance(exc, RecursionError) else \
                        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    raise _Refused(f"moment {m} ({_describe(op)}): Cirq could not describe this operation "
                                   f"to the reader ({what})") from None

    def gate(self, gate: Any, qs: tuple[int, ...]) -> None:
        handler = _GATE_HANDLERS.get(type(gate))
        if handler is not None:
            handler(self, gate, qs)
        else:
            self._other(gate.on(*[self._qubit(q) for q in qs]), qs)

    def _qubit(self, index: int) -> Any:
        if not hasattr(self, "_by_index"):
            self._by_index = {i: q for q, i in self.qi.items()}
        return self._by_index[index]

    def operation(self, op: Any) -> None:
        """Any operation (the fast path in :meth:`moments` takes plain gate operations first)."""
        if isinstance(op, cirq.TaggedOperation):
            self.operation(op.sub_operation)
            return
        if isinstance(op, cirq.GateOperation):
            qs = tuple(self.qi[q] for q in op.qubits)
            handler = _GATE_HANDLERS.get(type(op.gate))
            if handler is not None:
                handler(self, op.gate, qs)
            else:
                self._other(op, qs)
        elif isinstance(op, cirq.ClassicallyControlledOperation):
            self._classically_controlled(op)
        elif isinstance(op, cirq.CircuitOperation):
            self._circuit_operation(op)
        elif isinstance(op, cirq.ControlledOperation):
            self._controlled(op)
        else:
            self._other(op, tuple(self.qi[q] for q in op.qubits))

    def _other(self, op: Any, qs: tuple[int, ...]) -> None:
        """A gate or operation with no library form: as the library gate it derives from, where it is
        that gate (cirq_google's ``SycamoreGate`` is an ``FSimGate``); else through Cirq's own
        decomposition, where that is exactly the operation (global phase included) and reads as
        library gates throughout (``cirq.qft``, ``QubitPermutationGate``, ``DiagonalGate``,
        ``PauliString``...: forms every target can write); else its unitary, if it has one, no
        symbols and at most MAX_UNITARY_QUBITS qubits; else its decomposition even where some part
        of it is a matrix. A ``MatrixGate`` stays its matrix (its decomposition is a synthesis)."""
        gate = op.gate if isinstance(op, cirq.GateOperation) else None
        if gate is not None:
            as_base = _as_library_base(gate)
            if as_base is not None:
                handler, base_gate = as_base
                handler(self, base_gate, qs)
                return
        if cirq.is_measurement(op):
            self._other_measurement(op)
            return
        symbolic = cirq.is_parameterized(op)
        if symbolic and not cirq.parameter_names(op):
            # sympy numbers (``exponent=sympy.Rational(1, 3)``), which Cirq counts as parameters and
            # gives no unitary: resolved to floats
            op = as_numbers(op)
            symbolic = cirq.is_parameterized(op)
        has_unitary = cirq.has_unitary(op)
        # no matrix to fall back on: the decomposition is the only exact form, matrices in it or not
        needed = symbolic or len(qs) > MAX_UNITARY_QUBITS or not has_unitary
        if needed or not isinstance(gate, cirq.MatrixGate):
            parts = _exact_decomposition(op)
            if parts is not None and self._read_parts(parts, needed):
                return
        if symbolic:
            raise _Refused("a symbolic gate with no exact form in the model (resolve its parameters first)")
        if not has_unitary:
            raise _Refused("the operation is not unitary (a noise channel?) and the model cannot hold it")
        if len(qs) > MAX_UNITARY_QUBITS:
            raise _Refused(f"no library form and {len(qs)} qubits (a unitary is kept up to {MAX_UNITARY_QUBITS}); "
                           f"decompose it first, e.g. with cirq.decompose")
        if not qs:
            self.phase = add_phase(self.phase, cmath.phase(complex(cirq.unitary(op)[0, 0])))
            return
        self.out.append(_I(UnitaryGate(little_endian(cirq.unitary(op))), qs))

    def _other_measurement(self, op: Any) -> None:
        """A measurement other than ``cirq.measure`` (a ``PauliMeasurementGate``, a Pauli string's
        measurement): as Cirq's own decomposition of it, where that is unitary operations around
        computational-basis measurements (a change of basis, the measurement, the change undone:
        outcome and state after it as Cirq defines them); else refused."""
        try:
            parts = list(cirq.decompose_once(op, default=None) or ())
        except Exception:  # a decomposition that needs what the reader does not give (a qubit manager)
            parts = []
        if not parts or parts == [op] or not {q for part in parts for q in part.qubits} <= set(op.qubits) or \
                not all(cirq.has_unitary(part) or isinstance(part.gate, cirq.MeasurementGate) for part in parts):
            raise _Refused("this kind of measurement cannot be held by the model (it measures in the "
                           "computational basis only, and Cirq gives no decomposition into such measurements "
                           "and gates; use cirq.measure)")
        for part in parts:
            self.operation(part)

    def _read_parts(self, parts: list[Any], needed: bool) -> bool:
        """Read ``parts`` (an exact decomposition) in place of the operation. Where it is ``needed``
        (the operation has no matrix the model can hold), whatever they read as; else only where
        they read as library gates, with no matrix among them: otherwise what they appended is
        taken back and False returned (the operation's own matrix is then the smaller form)."""
        start, phase, waits = len(self.out), self.phase, len(self.waits)
        if needed:
            for sub in parts:
                self.operation(sub)
            return True
        try:
            for sub in parts:
                self.operation(sub)
        except Exception:  # a part the model refuses, or Cirq fails to describe: the matrix, then
            pass
        else:
            if not any(type(inst.operation) is UnitaryGate for inst in self.out[start:]):
                return True
        del self.out[start:]
        self.phase = phase
        del self.waits[waits:]
        return False

    # structure -------------------------------------------------------------------------------
    def _circuit_operation(self, op: Any) -> None:
        if op.repeat_until is not None:
            raise _Refused("a CircuitOperation repeated until a condition holds (a loop) cannot be held by the model")
        if self._expanding >= MAX_NESTING:
            raise _Refused(f"CircuitOperations nest deeper than {MAX_NESTING} levels")
        if not self._expanding:
            # nested repetitions (1000 of 1000 of ...) would expand without end: sized before anything
            # is built, against the OpenQASM readers' limit on what definitions expand to
            size = abs(op.repetitions) * _expanded_size(op.circuit, self._sizes)
            if size > MAX_GATE_EXPANSION:
                raise _Refused(f"a CircuitOperation expands to more than {MAX_GATE_EXPANSION} operations "
                               "(its repetitions, nested)")
            if _has_bitmask_condition(op.circuit):
                raise _Refused("Cirq 1.7 flattens a BitMaskKeyCondition inside a CircuitOperation wrongly (its key "
                               "is rescoped and its mask and target dropped); use KeyCondition or SympyCondition "
                               "there")
        self._expanding += 1
        try:
            self.moments(op.mapped_circuit(deep=False).moments)
        finally:
            self._expanding -= 1

    def _classically_controlled(self, op: Any) -> None:
        try:
            patterns = [self.condition(op.classical_controls)]
        except _Refused:
            # not one equality of bits (key != 0 over several bits, m < n, an OR of masks): the bit
            # patterns that satisfy it, each a condition of its own; they are disjoint, so at most
            # one copy of the operation acts
            patterns = self._patterns(op.classical_controls)
        start, phase = len(self.out), self.phase
        self.operation(op.without_classical_controls())
        self.phase = phase  # a phase under a classical condition is unobservable (see the module docstring)
        if patterns == [None]:
            return
        body = self.out[start:]
        conditioned = []
        for condition in patterns:
            if condition is _NEVER:
                continue
            assert isinstance(condition, Condition)
            read = set(condition.clbits)
            for inst in body[:-1] if len(patterns) == 1 else body:
                if read.intersection(inst.clbits):
                    raise _Refused("the operation writes a bit its own condition reads before it ends")
            for inst in body:
                if type(inst.operation) is Barrier:
                    continue  # a wait under a condition: nothing to hold (the model's barriers are unconditioned)
                c = condition if inst.condition is None else _join(condition, inst.condition, self.key_bits)
                if c is _NEVER:
                    continue
                assert isinstance(c, Condition)
                conditioned.append(_I(inst.operation, inst.qubits, inst.clbits, c))
        self.out[start:] = conditioned

    def _patterns(self, conditions: Sequence[Any]) -> list[Any]:
        """The bit patterns under which all ``conditions`` hold, as Conditions (each pattern fixes
        every bit the conditions read, so they are disjoint), found by Cirq's own evaluation of the
        conditions on each pattern; ``[_NEVER]`` if none does."""
        keys: list[Any] = []
        for cond in conditions:
            keys.extend(k for k in cond.keys if k not in keys)
            for key in cond.keys:
                self._key(key, getattr(cond, "index", -1))  # refuses a key never measured, or an old record
        # in the order the keys were measured: a SympyCondition's keys come from a set of sympy
        # symbols, whose order changes with Python's hash seed, and the patterns (so the output) with it
        keys.sort(key=lambda k: self.key_bits[str(k)])
        widths = [len(self.key_bits[str(k)]) for k in keys]
        total = sum(widths)
        if 2 ** total > 4 * MAX_CONDITION_PATTERNS:
            raise _Refused(f"the condition {' and '.join(map(str, conditions))} reads {total} bits; the model "
                           f"holds it as one condition per bit pattern that satisfies it, up to "
                           f"{MAX_CONDITION_PATTERNS}")
        found: list[Any] = []
        for code in range(2 ** total):
            values, at = {}, 0
            for key, n in zip(keys, widths, strict=True):
                values[key] = tuple((code >> (at + i)) & 1 for i in range(n))
                at += n
            # as many records as the key has had (a condition's index counts from the first, and
            # _key has let through only the latest), each the pattern's value
            store = cirq.ClassicalDataDictionaryStore(
                _records={k: [v] * max(1, self.key_count.get(str(k), 1)) for k, v in values.items()})
            try:
                holds = all(cond.resolve(store) for cond in conditions)
            except Exception as exc:
                raise _Refused(f"Cirq could not evaluate the condition {' and '.join(map(str, conditions))} "
                               f"({type(exc).__name__}: {exc})") from None
            if holds:
                # a key's tuple is its qubits in measurement order, as its clbits are
                required = {b: v for k in keys for b, v in zip(self.key_bits[str(k)], values[k], strict=True)}
                found.append(_make_condition(required, self.key_bits))
        if len(found) > MAX_CONDITION_PATTERNS:
            raise _Refused(f"the condition {' and '.join(map(str, conditions))} holds for {len(found)} bit patterns; "
                           f"the model holds it as one condition per pattern, up to {MAX_CONDITION_PATTERNS}")
        return found or [_NEVER]

    def _controlled(self, op: Any) -> None:
        controls = [self.qi[q] for q in op.controls]
        values = op.control_values
        # one control on 1 (how Cirq holds Qiskit's cp, crz, cry, ch): no assignments to expand
        single = len(controls) == 1 and type(values) is cirq.ProductOfSums and tuple(values) == ((1,),)
        assignments = [(1,)] if single else _control_assignments(values, len(controls))
        start, phase = len(self.out), self.phase
        self.phase = 0.0
        sub = op.sub_operation
        handler = _GATE_HANDLERS.get(type(sub.gate)) if type(sub) is cirq.GateOperation else None
        if handler is not None:
            handler(self, sub.gate, tuple([self.qi[q] for q in sub.qubits]))
        else:
            self.operation(sub)
        # a controlled wait (a barrier) is nothing to control: left out
        body, sub_phase = [i for i in self.out[start:] if type(i.operation) is not Barrier], self.phase
        self.phase = phase
        if single and len(body) == 1 and type(sub_phase) is float and sub_phase == 0.0:
            # one phase-free library gate with a singly controlled form: that form, directly
            inst = body[0]
            gate = inst.operation
            if type(gate) is Gate and inst.condition is None:
                entry = _CONTROLLED1.get(gate.name)
                if entry is not None:
                    self.out[start] = _I(_G(entry[0], entry[1](gate.params)), (controls[0], *inst.qubits))
                    return
        del self.out[start:]
        for inst in body:
            if not isinstance(inst.operation, (Gate, UnitaryGate)) or inst.condition is not None:
                raise _Refused(f"a controlled {inst.name} cannot be held by the model")
        for assignment in assignments:
            active = [c for c, v in zip(controls, assignment) if v is not None]
            flips = [c for c, v in zip(controls, assignment) if v == 0]
            for c in flips:
                self.out.append(_I(_FIXED["x"], (c,)))
            self._emit_controlled(body, sub_phase, active, op)
            for c in flips:
                self.out.append(_I(_FIXED["x"], (c,)))

    def _emit_controlled(self, body: list[Instruction], phase: ParamValue, controls: list[int], op: Any) -> None:
        """``body`` times ``e^{i phase}``, controlled on every qubit of ``controls`` being 1, exactly."""
        k = len(controls)
        if k == 0:
            self.out.extend(body)
            self.phase = add_phase(self.phase, phase)
            return
        if k == 1:
            c = controls[0]
            if len(body) == 1 and type(body[0].operation) is Gate and body[0].name == "u":
                # e^{i phase} u under a control is cu with that phase (as the writer writes cu): one
                # gate, not cu and a phase gate that the next trip through Cirq would split again
                self.out.append(_I(Gate("cu", (*body[0].operation.params, phase)), (c, *body[0].qubits)))
                return
            for inst in body:
                self._control1(inst, c)
            if phase != 0.0:
                self.out.append(_I(Gate("p", (phase,)), (c,)))
            return
        if k == 2 and all(isinstance(i.operation, Gate) and i.name in ("x", "z", "id") for i in body):
            for inst in body:
                if inst.name != "id":
                    self.out.append(_I(_FIXED["ccx" if inst.name == "x" else "ccz"], (*controls, *inst.qubits)))
            if phase != 0.0:
                self.out.append(_I(Gate("cp", (phase,)), tuple(controls)))
            return
        symbolic = isinstance(phase, Expr) or any(i.operation.is_parameterized for i in body)
        targets = sorted({q for inst in body for q in inst.qubits})
        has_matrix = any(isinstance(i.operation, UnitaryGate) for i in body)
        fits = k + len(targets) <= MAX_UNITARY_QUBITS
        if not has_matrix:
            # library gates: their exact multi-controlled forms from library gates (parameters kept,
            # symbolic or not), as a multi-controlled X, rotations by Barenco et al.'s lemma 7.9...
            local = {q: i for i, q in enumerate(targets)}
            steps = [(i.name, i.params, tuple(local[q] for q in i.qubits)) for i in body]
            wires = (*controls, *targets)
            try:
                controlled_steps = control_definition((steps, phase), k)[0]
            except ControlError as exc:
                if symbolic or not fits:
                    what = "a symbolic gate" if symbolic else "a gate"
                    raise _Refused(f"{k} controls on {what}: {exc}") from None
            else:
                for name, params, qubits in controlled_steps:
                    self.out.append(_I(Gate(name, params), tuple(wires[q] for q in qubits)))
                return
        elif symbolic:
            raise _Refused(f"a matrix gate beside symbolic gates under {k} controls has no exact form in the model")
        if not fits:
            raise _Refused(f"{k} controls on a matrix gate span {k + len(targets)} qubits "
                           f"(a unitary is kept up to {MAX_UNITARY_QUBITS}); decompose it first")
        local = {q: i for i, q in enumerate(targets)}
        sub = Circuit(len(targets), global_phase=float(phase))
        sub.instructions = [_I(i.operation, tuple(local[q] for q in i.qubits)) for i in body]
        from qhpc_interop.testing import circuit_unitary

        matrix = controlled(circuit_unitary(sub), k)
        self.out.append(_I(UnitaryGate(matrix), (*controls, *targets)))

    def _control1(self, inst: Instruction, c: int) -> None:
        op = inst.operation
        if isinstance(op, UnitaryGate):
            self.out.append(_I(UnitaryGate(controlled(op.matrix_data, 1)), (c, *inst.qubits)))
            return
        assert isinstance(op, Gate)
        if op.name == "id":
            return
        entry = _CONTROLLED1.get(op.name)
        if entry is not None:
            # the parameters are the model gate's own, already checked: the unchecked constructor
            self.out.append(_I(_G(entry[0], entry[1](op.params)), (c, *inst.qubits)))
            return
        steps, phase = expand_gate(op, inst.qubits)  # definitions bottom out in u, cx and p
        for step in steps:
            self._control1(step, c)
        if phase != 0.0:
            self.out.append(_I(Gate("p", (phase,)), (c,)))

    # conditions ------------------------------------------------------------------------------
    def condition(self, conditions: Sequence[Any]) -> Any:
        """The model Condition for Cirq conditions that must all hold; ``None`` (always) or ``_NEVER``."""
        required: dict[int, int] = {}
        for cond in conditions:
            for bit, value in self._condition_bits(cond):
                if bit < 0:
                    return _NEVER
                if required.setdefault(bit, value) != value:
                    return _NEVER
        return _make_condition(required, self.key_bits)

    def _key(self, key: Any, index: int) -> tuple[int, ...]:
        bits = self.key_bits.get(str(key))
        if bits is None:
            raise _Refused(f"condition on measurement key {str(key)!r}, which no earlier measurement writes")
        count = self.key_count.get(str(key))
        if index != -1 and index != (count or 0) - 1:  # record -1, or its number counted from the first: the latest
            raise _Refused(f"condition on record {index} of key {str(key)!r}, measured "
                           f"{count} time(s) so far, which is not its latest record; the model keeps the latest "
                           "value of each bit")
        return bits

    def _condition_bits(self, cond: Any) -> list[tuple[int, int]]:
        """``(clbit, value)`` pairs that must all hold; ``[(-1, 0)]`` for never, ``[]`` for always."""
        if isinstance(cond, cirq.KeyCondition):
            bits = self._key(cond.key, cond.index)
            if len(bits) != 1:
                raise _Refused(f"condition {cond} (key != 0 over {len(bits)} bits) cannot be held by the model, "
                               f"whose conditions compare bits for equality")
            return [(bits[0], 1)]
        if isinstance(cond, cirq.BitMaskKeyCondition):
            bits = self._key(cond.key, cond.index)
            n = len(bits)
            full = (1 << n) - 1
            mask = full if cond.bitmask is None else cond.bitmask & full
            target = cond.target_value
            if target < 0:
                raise _Refused(f"condition {cond} compares with a negative value")
            outside = target & ~mask
            if cond.equal_target:
                if outside:
                    return [(-1, 0)]
            else:
                if outside:
                    return []
                if bin(mask).count("1") != 1:
                    raise _Refused(f"condition {cond} (!= over several bits) cannot be held by the model, whose "
                                   f"conditions compare bits for equality")
                target ^= mask  # one bit: != v is == not v
            # bit j of Cirq's value is the key's qubit n-1-j (the first measured qubit is the most significant)
            return [(bits[n - 1 - j], (target >> j) & 1) for j in range(n) if mask >> j & 1]
        if isinstance(cond, cirq.SympyCondition):
            return self._sympy_condition(cond)
        raise _Refused(f"condition {cond} ({type(cond).__name__}) cannot be held by the model")

    def _sympy_condition(self, cond: Any) -> list[tuple[int, int]]:
        expr = cond.expr
        if isinstance(expr, sympy.Symbol):
            expr = sympy.Ne(expr, 0)
        if isinstance(expr, (sympy.Eq, sympy.Ne)):
            left, right = expr.args
            if isinstance(left, sympy.Integer):
                left, right = right, left
            if isinstance(left, sympy.Symbol) and isinstance(right, sympy.Integer):
                bits = self._key(cirq.MeasurementKey.parse_serialized(left.name), -1)
                n, value = len(bits), int(right)
                if isinstance(expr, sympy.Eq):
                    if not 0 <= value < 1 << n:
                        return [(-1, 0)]
                    return [(bits[n - 1 - j], (value >> j) & 1) for j in range(n)]
                if n == 1 and value in (0, 1):
                    return [(bits[0], 1 - value)]
                if not 0 <= value < 1 << n:
                    return []
        raise _Refused(f"condition {cond.expr} cannot be held by the model (it reads Eq(key, value), "
                       f"or Ne(key, 0) on a one-bit key)")


#: How deep CircuitOperations may nest (Qiskit's definitions and blocks: the same).
MAX_NESTING = 64


def _expanded_size(circuit: Any, sizes: dict[int, int]) -> int:
    """How many operations ``circuit`` holds once its CircuitOperations are expanded (stops counting
    past the limit; each circuit is counted once, however often it is nested)."""
    found = sizes.get(id(circuit))
    if found is not None:
        return found
    total = 0
    for op in circuit.all_operations():
        inner = op.untagged
        if isinstance(inner, cirq.ClassicallyControlledOperation):
            inner = inner.without_classical_controls().untagged
        total += (abs(inner.repetitions) * _expanded_size(inner.circuit, sizes)
                  if isinstance(inner, cirq.CircuitOperation) else 1)
        if total > MAX_GATE_EXPANSION:
            break
    sizes[id(circuit)] = total
    return total


def _random_resolvers(*values: Any) -> list[dict[str, float]]:
    """Values for the symbols of ``values`` at which to compare them: none without symbols, else two
    seeded random points (two expressions that agree at random points are the same expression,
    but for a set of measure zero)."""
    names = sorted(set().union(*(cirq.parameter_names(v) for v in values)))
    if not names:
        return [{}]
    rng = random.Random(" ".join(names))
    return [{name: rng.uniform(-3.0, 3.0) for name in names} for _ in range(2)]


def _agree(a: Any, b: Any) -> bool:
    """Whether ``a`` (a gate or operation) and ``b`` (one too, or a list of operations on ``a``'s
    qubits) have the same unitary, global phase included, at random values of their symbols; False
    where either has none or it is too large to compute."""
    for resolver in _random_resolvers(a, *(b if isinstance(b, list) else [b])):
        ra = cirq.resolve_parameters(a, resolver)
        if cirq.num_qubits(ra) > MAX_UNITARY_QUBITS + 4:
            return False
        ua = cirq.unitary(ra, None)
        if isinstance(b, list):
            body = cirq.Circuit(cirq.resolve_parameters(part, resolver) for part in b)
            ub = body.unitary(qubit_order=a.qubits, qubits_that_should_be_present=a.qubits) \
                if cirq.has_unitary(body) else None
        else:
            ub = cirq.unitary(cirq.resolve_parameters(b, resolver), None)
        if ua is None or ub is None or ua.shape != ub.shape or not np.allclose(ua, ub, rtol=0.0, atol=1e-10):
            return False
    return True


def _as_library_base(gate: Any) -> tuple[Any, Any] | None:
    """A gate of a subclass of a library gate, as that library gate (its handler, and the gate with
    the base class), where its unitary is the base's for the same fields; else ``None``."""
    handler = base = None
    for cls in type(gate).__mro__[1:]:
        handler = _GATE_HANDLERS.get(cls)
        if handler is not None:
            base = cls
            break
    if handler is None:
        return None
    try:
        clone = copy.copy(gate)
        clone.__class__ = base
    except (TypeError, AttributeError):
        return None
    try:
        same = _agree(gate, clone)
    except Exception:  # a subclass whose fields the base's methods cannot read
        return None
    return (handler, clone) if same else None


def _exact_decomposition(op: Any) -> list[Any] | None:
    """Cirq's one-step decomposition of ``op``, where it acts on ``op``'s qubits only and is exactly
    ``op`` (unitary and global phase compared, at random values of its symbols; too large to
    compare, Cirq's contract that a decomposition is the operation is taken at its word). Where it
    is not, the gate's decomposition on ``LineQubit(0), ..., LineQubit(n - 1)``, moved onto ``op``'s
    qubits (Cirq 1.7 decomposes a ``ThreeQubitDiagonalGate`` wrongly on some orders of qubits)."""
    parts = _checked_decomposition(op)
    if parts is None and isinstance(op, cirq.GateOperation) and len(op.qubits) <= MAX_UNITARY_QUBITS + 4:
        line = cirq.LineQubit.range(len(op.qubits))
        if list(op.qubits) != line:
            moved = _checked_decomposition(op.gate.on(*line))
            if moved is not None:
                to_op = dict(zip(line, op.qubits, strict=True))
                parts = [part.transform_qubits(to_op) for part in moved]
                try:
                    same = _agree(op, parts)
                except Exception:
                    same = False
                return parts if same else None
    return parts


def _checked_decomposition(op: Any) -> list[Any] | None:
    try:
        parts = cirq.decompose_once(op, default=None)
    except Exception:  # a gate whose decomposition needs what the reader does not give (a qubit manager)
        return None
    if not parts:
        return None
    parts = list(parts)
    if len(parts) == 1 and parts[0] == op:
        return None  # a decomposition into itself
    if not {q for part in parts for q in part.qubits} <= set(op.qubits):
        return None  # ancillas: the model's circuit has no qubits to lend
    if len(op.qubits) > MAX_UNITARY_QUBITS + 4:
        return parts
    try:
        same = _agree(op, parts)
    except Exception:
        return None
    return parts if same else None


def _make_condition(required: dict[int, int], key_bits: dict[str, tuple[int, ...]]) -> Condition | None:
    if not required:
        return None
    bits = tuple(sorted(required))
    value = sum(required[b] << i for i, b in enumerate(bits))
    register = next((k for k, v in key_bits.items() if v == bits), None)
    return Condition(bits, value, register)


def _join(a: Condition, b: Condition, key_bits: dict[str, tuple[int, ...]]) -> Any:
    required = {c: (a.value >> i) & 1 for i, c in enumerate(a.clbits)}
    for i, c in enumerate(b.clbits):
        v = (b.value >> i) & 1
        if required.setdefault(c, v) != v:
            return _NEVER
    return _make_condition(required, key_bits)


def _control_assignments(values: Any, n: int) -> list[tuple[int | None, ...]]:
    """Control assignments whose union is when the gate acts: per control 0, 1 or None (not a control)."""
    if isinstance(values, cirq.ProductOfSums):
        single: list[int | None] = []
        for allowed in values:
            options = set(allowed)
            if not options <= {0, 1} or not options:
                raise _Refused(f"control values {sorted(options)} are not qubit values")
            single.append(None if options == {0, 1} else options.pop())
        return [tuple(single)]
    products: dict[tuple[int | None, ...], None] = {}
    for product in values.expand():
        product = tuple(product)
        if len(product) != n or not set(product) <= {0, 1}:
            raise _Refused(f"control values {product} are not qubit values")
        products[product] = None
    return list(products)


def _has_bitmask_condition(circuit: Any, seen: set[int] | None = None) -> bool:
    """Whether ``circuit`` or one nested in it has a BitMaskKeyCondition (each circuit looked at once,
    however often it is nested)."""
    seen = set() if seen is None else seen
    if id(circuit) in seen:
        return False
    seen.add(id(circuit))
    for op in circuit.all_operations():
        while isinstance(op, cirq.TaggedOperation):
            op = op.sub_operation
        if isinstance(op, cirq.ClassicallyControlledOperation):
            if any(isinstance(c, cirq.BitMaskKeyCondition) for c in op.classical_controls):
                return True
            op = op.without_classical_controls()
        if isinstance(op, cirq.CircuitOperation) and _has_bitmask_condition(op.circuit, seen):
            return True
    return False




def _registers(reader: _Reader, instructions: list[Instruction]
               ) -> tuple[list[Register], int, list[Instruction], list[str]]:
    """The classical registers for the keys read, grouping one-qubit keys ``name[i]`` into ``name``
    (``i`` written as Python writes it, below the readers' size limit), and the names grouped."""
    keys = reader.key_bits
    groups: dict[str, dict[int, int]] = {}
    for key, bits in keys.items():
        named = bit_key(key)
        if named is not None and len(bits) == 1:
            groups.setdefault(named[0], {})[named[1]] = bits[0]
    groups = {name: members for name, members in groups.items() if name not in keys}
    if not groups:
        return [Register(k, bits) for k, bits in keys.items()], reader.num_clbits, instructions, []
    # lay the registers out again, in order of first appearance, each group sized by its largest index
    grouped_key = {f"{name}[{i}]": name for name, members in groups.items() for i in members}
    renumber: dict[int, int] = {}
    registers: list[Register] = []
    done: set[str] = set()
    total = 0
    for key, bits in keys.items():
        name = grouped_key.get(key)
        if name is None:
            new = tuple(range(total, total + len(bits)))
            renumber.update(zip(bits, new))
            registers.append(Register(key, new))
            total += len(bits)
        elif name not in done:
            done.add(name)
            members = groups[name]
            size = max(members) + 1
            for i, old in members.items():
                renumber[old] = total + i
            registers.append(Register(name, tuple(range(total, total + size))))
            total += size
    by_bits = {r.bits: r.name for r in registers}
    out = []
    for inst in instructions:
        if inst.clbits or inst.condition is not None:
            cond = inst.condition
            if cond is not None:
                pairs = sorted((renumber[c], (cond.value >> i) & 1) for i, c in enumerate(cond.clbits))
                bits = tuple(c for c, _ in pairs)
                cond = Condition(bits, sum(v << i for i, (_, v) in enumerate(pairs)), by_bits.get(bits))
            inst = _I(inst.operation, inst.qubits, tuple(renumber[c] for c in inst.clbits), cond)
        out.append(inst)
    return registers, total, out, sorted(groups)


def circuit_from_cirq(program: Any) -> Circuit:
    """The model circuit for a ``cirq.Circuit`` (or ``FrozenCircuit``); see the module docstring."""
    try:
        qubits = sorted(program.all_qubits())
        meta = [qubit_to_json(q) for q in qubits]
        reader = _Reader({q: i for i, q in enumerate(qubits)})
        reader.moments(program.moments)
    except _Refused as exc:
        raise TranslationError(str(exc)) from None
    registers, num_clbits, out, per_bit = _registers(reader, reader.out)
    # LineQubit(0) .. LineQubit(n - 1) are what a circuit without identities exports to: nothing to
    # record (other formats would announce them as dropped, while nothing would be lost)
    metadata: dict[str, Any] = {} if qubits == cirq.LineQubit.range(len(qubits)) else {"qubits": meta}
    if per_bit:
        # registers read from keys name[i]: written back to Cirq as those keys (one per bit)
        metadata[BIT_KEYS] = per_bit
    circuit = Circuit(num_qubits=len(qubits), num_clbits=num_clbits, global_phase=reader.phase,
                      cregs=registers, metadata=metadata)
    circuit.instructions = out
    again = {key: n for key, n in reader.key_count.items() if n > 1}
    if again:
        shown = ", ".join(f"{key!r} ({n} times)" for key, n in list(again.items())[:3])
        warn_loss(f"the model keeps the latest value of each classical bit, so of the measurement keys measured "
                  f"more than once, {shown}{' and more' if len(again) > 3 else ''}, only the latest record is kept "
                  "(Cirq's records keep each)")
    if reader.waits:
        shown = ", ".join(reader.waits[:3]) + (f" and {len(reader.waits) - 3} more" if len(reader.waits) > 3 else "")
        warn_loss(f"the program model holds no timing, so reading drops {len(reader.waits)} cirq.WaitGate(s) "
                  f"({shown}), each read as a barrier on its qubits")
    return circuit
