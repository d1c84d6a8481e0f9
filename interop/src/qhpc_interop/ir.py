"""The framework-agnostic program model for gate circuits.

A :class:`Circuit` holds ``num_qubits`` qubits and ``num_clbits`` classical bits, addressed by flat
index, optional named registers over them (:class:`Register`, for formats and readouts that name
bits), a list of :class:`Instruction` and a global phase. An instruction applies one operation
(:class:`Gate`, :class:`UnitaryGate`, :class:`Measure`, :class:`Reset`, :class:`Barrier`) to qubits
and clbits, optionally only when a classical :class:`Condition` holds.

Bit order follows Qiskit: qubit 0 is the least significant bit of a matrix index, and a readout
bitstring is written with the highest classical bit first (clbit 0 is the rightmost character).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .errors import CircuitError
from .gates import STANDARD_GATES, gate_spec
from .params import Bindings, Expr, Parameter, ParamValue, _normalise_bindings, as_param, bind_value, free_parameters

#: The largest gate angle the model holds as given (2^20, about 1e6). Floats beyond it are over
#: 2e-10 apart, so what converters do with an angle (add pi/2, divide by pi) would move it by more
#: than the 1e-9 conversions keep: a larger angle is reduced exactly modulo 4pi when a gate is
#: made (:func:`reduce_angle`; every library gate is the same with any of its angles moved by 4pi).
LARGEST_ANGLE = 2.0**20

_PRECISION = 1280  # bits of 4pi below the point: k 4pi is exact to 2^-250 for any float's k


def _four_pi_scaled(bits: int) -> int:
    """floor(4 pi 2^bits), from Machin's formula in integers (20 guard bits)."""
    one = 1 << (bits + 20)

    def arctan_inverse(x: int) -> int:
        total = term = one // x
        x2, n, sign = x * x, 1, -1
        while term:
            term //= x2
            n += 2
            total += sign * (term // n)
            sign = -sign
        return total

    return (16 * (4 * arctan_inverse(5) - arctan_inverse(239))) >> 20


_FOUR_PI = _four_pi_scaled(_PRECISION)


def reduce_angle(x: float) -> float:
    """``x`` minus the multiple of 4pi nearest it, as the float nearest the exact value (``x`` taken
    as the exact number it is, 4pi to 1280 bits): the same gate, with an angle a converter can
    add to or divide without moving it. An outside audit found ``r(0.3, 1e15, 0)`` moved by 0.06
    where ``r`` is written as ``u(0.3, 1e15 - pi/2, pi/2 - 1e15)``."""
    return _reduce(x, _FOUR_PI)


def reduce_phase(x: float) -> float:
    """``x`` minus the multiple of 2pi nearest it, exactly as :func:`reduce_angle` (a global phase:
    ``x % (2 * math.pi)`` is off by the number of turns times 2.4e-16, 0.03 at 1e15)."""
    return _reduce(x, _FOUR_PI >> 1)


def _reduce(x: float, period: int) -> float:
    num, den = x.as_integer_ratio()  # den is a power of two
    scaled = num << _PRECISION  # x 2^P den
    k = (2 * scaled + den * period) // (2 * den * period)  # round(x / period)
    return (scaled - k * den * period) / (den << _PRECISION)


# -- operations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gate:
    """A standard library gate (see :mod:`qhpc_interop.gates`) with its arguments."""

    name: str
    params: tuple[ParamValue, ...] = ()

    def __post_init__(self) -> None:
        spec = gate_spec(self.name)
        if len(self.params) != spec.num_params:
            spec._check(self.params)
        params = tuple(as_param(p) for p in self.params)
        if any(type(p) is float and not -LARGEST_ANGLE <= p <= LARGEST_ANGLE for p in params):
            params = tuple(reduce_angle(p) if type(p) is float and not -LARGEST_ANGLE <= p <= LARGEST_ANGLE else p
                           for p in params)
        object.__setattr__(self, "params", params)

    @property
    def num_qubits(self) -> int:
        return STANDARD_GATES[self.name].num_qubits

    @property
    def is_parameterized(self) -> bool:
        return any(isinstance(p, Expr) for p in self.params)

    def matrix(self) -> np.ndarray:
        """The gate's unitary (little-endian); every parameter must be bound."""
        return STANDARD_GATES[self.name].matrix([float(p) for p in self.params])

    def bind(self, values: Mapping[str, ParamValue]) -> Gate:
        return Gate(self.name, tuple(bind_value(p, values) for p in self.params))

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(str(p) for p in self.params)})"


_PLAIN_GATES: dict[str, Gate] = {}
# the slots' own setters: a third cheaper than object.__setattr__, which looks the slot up by name
_set_name, _set_params = (getattr(Gate, f).__set__ for f in ("name", "params"))
if tuple(Gate.__dataclass_fields__) != ("name", "params"):  # pragma: no cover
    raise ImportError("qhpc_interop.ir: Gate's fields changed; update new_gate")


def new_gate(name: str, params: tuple[ParamValue, ...]) -> Gate:
    """``Gate(name, params)`` with nothing checked, for a reader's hot path whose arguments are
    already a library gate's name and a tuple of its arity of floats or expressions."""
    gate = object.__new__(Gate)
    _set_name(gate, name)
    _set_params(gate, params)
    return gate


def library_gate(name: str, params: tuple[ParamValue, ...] = ()) -> Gate:
    """``Gate(name, params)`` for a *known-valid* library call (a reader's or translator's hot path).

    Gates without parameters are shared (gates are immutable); with finite float parameters the
    instance is built without re-validating. Anything else goes through :class:`Gate`'s checks.
    ``name`` must be a library gate and ``params`` a tuple of its parameter count.
    """
    if not params:
        gate = _PLAIN_GATES.get(name)
        if gate is None:
            gate = _PLAIN_GATES[name] = Gate(name)
        return gate
    for p in params:
        if type(p) is not float or not -LARGEST_ANGLE <= p <= LARGEST_ANGLE:  # (nan too) full checks
            return Gate(name, params)
    return new_gate(name, params)


#: How far from unitary (largest entry of U^dagger U - I) a matrix given for a unitary gate may be:
#: up to this it is read as the nearest unitary (single precision is about 6e-8 off), beyond it refused.
NEAR_UNITARY = 1e-6


def copy_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a circuit's metadata, so that an edit of a nested value of one copy never
    reaches another (as ``QuantumCircuit.copy`` copies it). JSON-like values (dicts, lists,
    tuples of strings and numbers: qubit identities, layouts) are copied here, in a tenth of
    ``copy.deepcopy``'s time; anything else by ``copy.deepcopy``, or kept as it is where it
    cannot be copied (a lock, an open file), as a conversion did before it copied anything."""
    return {k: _copied(v) for k, v in metadata.items()} if metadata else {}


_ATOMS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [_copied(v) for v in value]
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(_copied(v) for v in value)
    try:
        return copy.deepcopy(value)
    except Exception:  # not copyable: shared, as before
        return value


@dataclass(frozen=True, slots=True, eq=False)
class UnitaryGate:
    """An arbitrary unitary on ``k`` qubits, as a ``2**k x 2**k`` matrix (little-endian). A matrix
    within :data:`NEAR_UNITARY` of unitary, but not within 1e-10, is replaced by its nearest unitary."""

    matrix_data: np.ndarray
    label: str | None = None

    def __post_init__(self) -> None:
        m = np.array(self.matrix_data, dtype=complex)
        if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 2 or m.shape[0] & (m.shape[0] - 1):
            raise CircuitError(f"a unitary gate needs a 2^k x 2^k matrix, got shape {m.shape}")
        if not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), rtol=0.0, atol=1e-10):
            off = float(np.max(np.abs(m.conj().T @ m - np.eye(m.shape[0]))))
            if not off <= NEAR_UNITARY:  # (nan too)
                raise CircuitError(f"the matrix of a unitary gate is not unitary (U^dagger U is {off:.2g} away from I, "
                                   f"more than {NEAR_UNITARY:g})")
            # unitary to the precision it was made in (single precision, a product of rounded
            # matrices), as Qiskit's and Cirq's checks accept it: the nearest unitary, its polar factor
            left, _, right = np.linalg.svd(m)
            m = left @ right
        m.setflags(write=False)
        object.__setattr__(self, "matrix_data", m)

    name = "unitary"
    params: ClassVar[tuple[ParamValue, ...]] = ()
    is_parameterized: ClassVar[bool] = False

    @property
    def num_qubits(self) -> int:
        return int(self.matrix_data.shape[0]).bit_length() - 1

    def matrix(self) -> np.ndarray:
        return self.matrix_data

    def bind(self, values: Mapping[str, ParamValue]) -> UnitaryGate:
        return self

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, UnitaryGate)
            and other.label == self.label
            and other.matrix_data.shape == self.matrix_data.shape
            and bool(np.array_equal(other.matrix_data, self.matrix_data))
        )

    def __hash__(self) -> int:
        return hash(("unitary", self.label, self.matrix_data.tobytes()))

    def __reduce__(self) -> tuple[object, ...]:
        # made again through the constructor, so an unpickled gate's matrix is read-only too
        # (a slotted dataclass's default pickling restores the fields as they are: a writable array)
        return UnitaryGate, (np.array(self.matrix_data), self.label)

    def __str__(self) -> str:
        return f"unitary[{self.num_qubits}q]" + (f"({self.label})" if self.label else "")


@dataclass(frozen=True, slots=True)
class Measure:
    """Measure a qubit in the computational basis into a clbit (one of each per instruction)."""

    name: ClassVar[str] = "measure"
    params: ClassVar[tuple[ParamValue, ...]] = ()
    is_parameterized: ClassVar[bool] = False

    def bind(self, values: Mapping[str, ParamValue]) -> Measure:
        return self


@dataclass(frozen=True, slots=True)
class Reset:
    """Reset a qubit to |0> (one per instruction)."""

    name: ClassVar[str] = "reset"
    params: ClassVar[tuple[ParamValue, ...]] = ()
    is_parameterized: ClassVar[bool] = False

    def bind(self, values: Mapping[str, ParamValue]) -> Reset:
        return self


@dataclass(frozen=True, slots=True)
class Barrier:
    """A compiler directive: no gate moves across it. No effect on the state."""

    name: ClassVar[str] = "barrier"
    params: ClassVar[tuple[ParamValue, ...]] = ()
    is_parameterized: ClassVar[bool] = False

    def bind(self, values: Mapping[str, ParamValue]) -> Barrier:
        return self


Operation = Gate | UnitaryGate | Measure | Reset | Barrier
#: The most qubits, and the most classical bits, a reader (OpenQASM, the wire format) accepts in
#: a program: no backend holds more, a bigger declaration is almost surely a mistake, and building
#: it costs seconds and gigabytes.
MAX_READ_BITS = 100_000

MEASURE = Measure()
RESET = Reset()
BARRIER = Barrier()


# -- registers, conditions, instructions -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Register:
    """A named, ordered group of qubits or clbits (by flat index; element 0 is the register's bit 0)."""

    name: str
    bits: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.bits)


@dataclass(frozen=True, slots=True)
class Condition:
    """Run an instruction only if the classical bits ``clbits`` read as the integer ``value``.

    ``clbits`` lists the bits least significant first. ``register`` names the register when the
    condition tests a whole register (as OpenQASM 2 ``if (c == 3)`` does); for a single bit it is
    ``None`` and ``value`` is 0 or 1.
    """

    clbits: tuple[int, ...]
    value: int
    register: str | None = None

    def __post_init__(self) -> None:
        if not self.clbits:
            raise CircuitError("a condition needs at least one classical bit")
        if not 0 <= self.value < 2 ** len(self.clbits):
            raise CircuitError(
                f"condition value {self.value} does not fit in {len(self.clbits)} bit(s)"
            )

    def holds(self, bits: Sequence[int]) -> bool:
        """Whether the condition holds for the classical bit values ``bits`` (indexed by clbit)."""
        value = 0
        for k, c in enumerate(self.clbits):
            value |= (bits[c] & 1) << k
        return value == self.value


class Instruction(NamedTuple):
    """One operation applied to qubits (and clbits), optionally under a condition.

    Immutable, compared and hashed field by field. A named tuple rather than a frozen dataclass:
    the readers make one per operation of a circuit, and a tuple is made in C (a third of the
    dataclass's cost, which was a fifth of reading a large myQLM circuit). It is a tuple, so it
    unpacks as ``operation, qubits, clbits, condition``.
    """

    operation: Operation
    qubits: tuple[int, ...]
    clbits: tuple[int, ...] = ()
    condition: Condition | None = None

    @property
    def name(self) -> str:
        return self.operation.name

    @property
    def params(self) -> tuple[ParamValue, ...]:
        return self.operation.params

    def bind(self, values: Mapping[str, ParamValue]) -> Instruction:
        if not self.operation.is_parameterized:
            return self
        return Instruction(self.operation.bind(values), self.qubits, self.clbits, self.condition)

    def __str__(self) -> str:
        op = str(self.operation) if isinstance(self.operation, (Gate, UnitaryGate)) else self.operation.name
        text = f"{op} q{list(self.qubits)}"
        if self.clbits:
            text += f" -> c{list(self.clbits)}"
        if self.condition is not None:
            text = f"if {self.condition.register or 'c' + str(list(self.condition.clbits))}=={self.condition.value}: {text}"
        return text


def _instruction_factory() -> Callable[..., Instruction]:
    make_tuple = tuple.__new__

    def make(operation: Operation, qubits: tuple[int, ...], clbits: tuple[int, ...] = (),
             condition: Condition | None = None) -> Instruction:
        return make_tuple(Instruction, (operation, qubits, clbits, condition))

    return make


#: ``Instruction(operation, qubits, clbits=(), condition=None)`` for a hot path: the same object,
#: made by ``tuple.__new__`` directly (the named tuple's own ``__new__`` is a Python function
#: that does the same; arguments are not checked, as the constructor does not check them either).
new_instruction = _instruction_factory()


# -- the circuit ---------------------------------------------------------------------------


@dataclass(eq=False)
class Circuit:
    """A gate circuit: qubits, clbits, registers, instructions and a global phase.

    Build it with the gate methods (``c.h(0)``, ``c.cx(0, 1)``, ``c.rz(theta, 2)``,
    ``c.measure(0, 0)``), or :meth:`append`. Two circuits are equal when their structure is equal.
    """

    num_qubits: int = 0
    num_clbits: int = 0
    name: str | None = None
    global_phase: ParamValue = 0.0
    qregs: list[Register] = field(default_factory=list)
    cregs: list[Register] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.num_qubits < 0 or self.num_clbits < 0:
            raise CircuitError("a circuit cannot have a negative number of bits")
        self.global_phase = as_param(self.global_phase)
        for reg in self.qregs:
            self._check_register(reg, self.num_qubits, "qubit")
        for reg in self.cregs:
            self._check_register(reg, self.num_clbits, "clbit")

    @staticmethod
    def _check_register(reg: Register, limit: int, kind: str) -> None:
        for b in reg.bits:
            if not 0 <= b < limit:
                raise CircuitError(f"register {reg.name!r} names {kind} {b}, but the circuit has {limit}")

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def with_registers(cls, qregs: Mapping[str, int], cregs: Mapping[str, int] | None = None,
                       name: str | None = None) -> Circuit:
        """A circuit whose bits are laid out register by register, e.g. ``with_registers({"q": 3}, {"c": 3})``."""
        circuit = cls(name=name)
        for reg_name, size in qregs.items():
            circuit.add_qreg(reg_name, size)
        for reg_name, size in (cregs or {}).items():
            circuit.add_creg(reg_name, size)
        return circuit

    def add_qreg(self, name: str, size: int) -> Register:
        """Add ``size`` new qubits under register ``name``."""
        self._unique_register_name(name)
        reg = Register(name, tuple(range(self.num_qubits, self.num_qubits + size)))
        self.num_qubits += size
        self.qregs.append(reg)
        return reg

    def add_creg(self, name: str, size: int) -> Register:
        """Add ``size`` new clbits under register ``name``."""
        self._unique_register_name(name)
        reg = Register(name, tuple(range(self.num_clbits, self.num_clbits + size)))
        self.num_clbits += size
        self.cregs.append(reg)
        return reg

    def _unique_register_name(self, name: str) -> None:
        if any(r.name == name for r in (*self.qregs, *self.cregs)):
            raise CircuitError(f"the circuit already has a register named {name!r}")

    def append(
        self,
        operation: Operation | str,
        qubits: Sequence[int],
        clbits: Sequence[int] = (),
        params: Sequence[object] = (),
        *,
        condition: Condition | None = None,
    ) -> Instruction:
        """Append an operation (or a library gate by name, with ``params``) and return the instruction."""
        if isinstance(operation, str):
            if operation == "measure":
                operation = MEASURE
            elif operation == "reset":
                operation = RESET
            elif operation == "barrier":
                operation = BARRIER
            else:
                operation = Gate(operation, tuple(params))  # type: ignore[arg-type]
        inst = Instruction(operation, tuple(int(q) for q in qubits), tuple(int(c) for c in clbits), condition)
        self._check_instruction(inst)
        self.instructions.append(inst)
        return inst

    def _check_instruction(self, inst: Instruction) -> None:
        op = inst.operation
        for q in inst.qubits:
            if not 0 <= q < self.num_qubits:
                raise CircuitError(f"{op.name}: qubit {q} out of range (the circuit has {self.num_qubits})")
        for c in inst.clbits:
            if not 0 <= c < self.num_clbits:
                raise CircuitError(f"{op.name}: clbit {c} out of range (the circuit has {self.num_clbits})")
        if len(set(inst.qubits)) != len(inst.qubits):
            raise CircuitError(f"{op.name}: a qubit appears twice in {list(inst.qubits)}")
        if isinstance(op, (Gate, UnitaryGate)):
            if len(inst.qubits) != op.num_qubits:
                raise CircuitError(f"{op.name} acts on {op.num_qubits} qubit(s), got {len(inst.qubits)}")
            if inst.clbits:
                raise CircuitError(f"{op.name} is a gate and takes no classical bits")
        elif isinstance(op, Measure):
            if len(inst.qubits) != 1 or len(inst.clbits) != 1:
                # (several at once were taken, and the OpenQASM, Qiskit and Cirq writers wrote the
                # first pair only: Circuit.measure makes one instruction per pair)
                raise CircuitError(f"a measure instruction measures one qubit into one clbit, not "
                                   f"{len(inst.qubits)} into {len(inst.clbits)} (Circuit.measure(qubits, clbits) "
                                   "appends one per pair)")
        elif inst.clbits:
            raise CircuitError(f"{op.name} takes no classical bits")
        elif isinstance(op, Reset) and len(inst.qubits) != 1:
            raise CircuitError(f"a reset instruction resets one qubit, not {len(inst.qubits)} (append one per qubit)")
        if inst.condition is not None:
            for c in inst.condition.clbits:
                if not 0 <= c < self.num_clbits:
                    raise CircuitError(f"condition on clbit {c} out of range (the circuit has {self.num_clbits})")
            if isinstance(op, Barrier):
                raise CircuitError("a barrier cannot be conditioned")

    def _gate(self, name: str, qubits: Sequence[int], params: Sequence[object] = ()) -> Circuit:
        self.append(Gate(name, tuple(params)), qubits)  # type: ignore[arg-type]
        return self

    # one method per common gate, returning the circuit so calls chain
    def id(self, q: int) -> Circuit: return self._gate("id", [q])
    def x(self, q: int) -> Circuit: return self._gate("x", [q])
    def y(self, q: int) -> Circuit: return self._gate("y", [q])
    def z(self, q: int) -> Circuit: return self._gate("z", [q])
    def h(self, q: int) -> Circuit: return self._gate("h", [q])
    def s(self, q: int) -> Circuit: return self._gate("s", [q])
    def sdg(self, q: int) -> Circuit: return self._gate("sdg", [q])
    def t(self, q: int) -> Circuit: return self._gate("t", [q])
    def tdg(self, q: int) -> Circuit: return self._gate("tdg", [q])
    def sx(self, q: int) -> Circuit: return self._gate("sx", [q])
    def rx(self, theta: object, q: int) -> Circuit: return self._gate("rx", [q], [theta])
    def ry(self, theta: object, q: int) -> Circuit: return self._gate("ry", [q], [theta])
    def rz(self, theta: object, q: int) -> Circuit: return self._gate("rz", [q], [theta])
    def p(self, lam: object, q: int) -> Circuit: return self._gate("p", [q], [lam])

    def u(self, theta: object, phi: object, lam: object, q: int) -> Circuit:
        return self._gate("u", [q], [theta, phi, lam])

    def cx(self, c: int, t: int) -> Circuit: return self._gate("cx", [c, t])
    def cz(self, c: int, t: int) -> Circuit: return self._gate("cz", [c, t])
    def cp(self, lam: object, c: int, t: int) -> Circuit: return self._gate("cp", [c, t], [lam])
    def swap(self, a: int, b: int) -> Circuit: return self._gate("swap", [a, b])
    def ccx(self, a: int, b: int, t: int) -> Circuit: return self._gate("ccx", [a, b, t])

    def gate(self, name: str, qubits: Sequence[int], params: Sequence[object] = ()) -> Circuit:
        """Append library gate ``name`` on ``qubits`` with ``params``."""
        return self._gate(name, qubits, params)

    def unitary(self, matrix: object, qubits: Sequence[int], label: str | None = None) -> Circuit:
        """Append an arbitrary unitary (little-endian over ``qubits``)."""
        self.append(UnitaryGate(np.asarray(matrix), label), qubits)
        return self

    def measure(self, qubit: int | Sequence[int], clbit: int | Sequence[int]) -> Circuit:
        """Measure ``qubit`` into ``clbit`` (or lists of each, pairwise)."""
        qs = [qubit] if isinstance(qubit, int) else list(qubit)
        cs = [clbit] if isinstance(clbit, int) else list(clbit)
        if len(qs) != len(cs):
            raise CircuitError(f"measure: {len(qs)} qubit(s) but {len(cs)} clbit(s)")
        for q, c in zip(qs, cs):
            self.append(MEASURE, [q], [c])
        return self

    def measure_all(self, register: str = "meas") -> Circuit:
        """Add a register of one clbit per qubit, a barrier, and measure every qubit into it."""
        reg = self.add_creg(register, self.num_qubits)
        self.barrier()
        return self.measure(list(range(self.num_qubits)), list(reg.bits))

    def reset(self, q: int) -> Circuit:
        self.append(RESET, [q])
        return self

    def barrier(self, *qubits: int) -> Circuit:
        self.append(BARRIER, list(qubits) if qubits else list(range(self.num_qubits)))
        return self

    # -- queries ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Instruction]:
        return iter(self.instructions)

    def __len__(self) -> int:
        return len(self.instructions)

    @property
    def parameters(self) -> list[Parameter]:
        """The free parameters, sorted by name."""
        found = free_parameters(p for inst in self.instructions for p in inst.params)
        if isinstance(self.global_phase, Expr):
            found |= self.global_phase.parameters
        return sorted(found, key=lambda p: p.name)

    @property
    def is_parameterized(self) -> bool:
        return isinstance(self.global_phase, Expr) or any(i.operation.is_parameterized for i in self.instructions)

    def count_ops(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for inst in self.instructions:
            counts[inst.name] = counts.get(inst.name, 0) + 1
        return counts

    def gate_names(self) -> set[str]:
        """The names of every operation used (``unitary`` for arbitrary unitaries)."""
        return {inst.name for inst in self.instructions}

    def has_conditionals(self) -> bool:
        return any(inst.condition is not None for inst in self.instructions)

    def has_mid_circuit_measurement(self) -> bool:
        """True if a gate or reset follows a measurement on the same qubit, or a condition reads a result."""
        measured: set[int] = set()
        for inst in self.instructions:
            if inst.condition is not None:
                return True
            if isinstance(inst.operation, Measure):
                measured.update(inst.qubits)
            elif not isinstance(inst.operation, Barrier) and measured.intersection(inst.qubits):
                return True
        return False

    def depth(self) -> int:
        """Number of layers of operations, counting qubit and clbit wires.

        A barrier adds no layer but synchronises the wires it spans (nothing moves across it), as
        Qiskit's ``QuantumCircuit.depth()`` counts.
        """
        level: dict[tuple[str, int], int] = {}
        depth = 0
        for inst in self.instructions:
            wires = [("q", q) for q in inst.qubits] + [("c", c) for c in inst.clbits]
            if inst.condition is not None:
                wires += [("c", c) for c in inst.condition.clbits]
            d = max((level.get(w, 0) for w in wires), default=0)
            if not isinstance(inst.operation, Barrier):
                d += 1
            for w in wires:
                level[w] = d
            depth = max(depth, d)
        return depth

    def clbit_register(self, clbit: int) -> tuple[str, int] | None:
        """The (register name, index) of a clbit's first register, if any."""
        for reg in self.cregs:
            if clbit in reg.bits:
                return reg.name, reg.bits.index(clbit)
        return None

    def describe(self, inst: Instruction) -> str:
        """``inst`` as text with the bits named by the circuit's registers (``measure q[4] -> d[1]``
        where ``str(inst)`` says the flat ``c[4]``): what an error message shows, as the source named
        the bits. In a circuit without registers of a kind the bits keep their flat names (``c[4]``);
        beside registers, a bit in none is ``clbit 4`` (``c[4]`` could be a register's)."""
        def named(regs: list[Register], flat: str, kind: str) -> Callable[[int], str]:
            where = {}
            for reg in reversed(regs):  # a bit's first register wins
                where.update({b: f"{reg.name}[{k}]" for k, b in enumerate(reg.bits)})
            return lambda b: where.get(b, f"{kind} {b}" if regs else f"{flat}[{b}]")

        qubit, clbit = named(self.qregs, "q", "qubit"), named(self.cregs, "c", "clbit")
        op = inst.operation
        text = " ".join(filter(None, (str(op) if isinstance(op, (Gate, UnitaryGate)) else op.name,
                                      ", ".join(map(qubit, inst.qubits)))))
        if inst.clbits:
            text += f" -> {', '.join(map(clbit, inst.clbits))}"
        cond = inst.condition
        if cond is not None:
            tested = cond.register or (clbit(cond.clbits[0]) if len(cond.clbits) == 1
                                       else "(" + ", ".join(map(clbit, cond.clbits)) + ")")
            text = f"if {tested}=={cond.value}: {text}"
        return text

    # -- transformation --------------------------------------------------------------------
    def copy(self, *, instructions: Iterable[Instruction] | None = None) -> Circuit:
        """A copy, optionally with other instructions: instructions are immutable and shared, the
        metadata is copied deeply (as ``QuantumCircuit.copy`` does: an edit to a nested value of
        one must not reach the other)."""
        return Circuit(
            num_qubits=self.num_qubits,
            num_clbits=self.num_clbits,
            name=self.name,
            global_phase=self.global_phase,
            qregs=list(self.qregs),
            cregs=list(self.cregs),
            instructions=list(self.instructions if instructions is None else instructions),
            metadata=copy_metadata(self.metadata),
        )

    def bind(self, values: Bindings, *, strict: bool = True) -> Circuit:
        """A copy with parameters replaced by values (numbers or expressions).

        With ``strict`` (the default) every free parameter must be given and no unknown name may be:
        a typo in a parameter name is an error, not a silently unbound circuit.
        """
        normalised = _normalise_bindings(values)
        if strict:
            free = {p.name for p in self.parameters}
            unknown = sorted(set(normalised) - free)
            if unknown:
                raise CircuitError(f"cannot bind {', '.join(unknown)}: not a parameter of this circuit "
                                   f"(its parameters: {', '.join(sorted(free)) or 'none'})")
            missing = sorted(free - set(normalised))
            if missing:
                raise CircuitError(f"parameter(s) {', '.join(missing)} not given a value")
        out = self.copy(instructions=[inst.bind(normalised) for inst in self.instructions])
        out.global_phase = bind_value(self.global_phase, normalised)
        return out

    def inverse(self) -> Circuit:
        """The inverse circuit (only for circuits of gates; measure and reset have no inverse)."""
        out = self.copy(instructions=[])
        out.global_phase = -self.global_phase
        for inst in reversed(self.instructions):
            op = inst.operation
            if isinstance(op, Barrier):
                out.instructions.append(inst)
            elif isinstance(op, UnitaryGate) and inst.condition is None:
                out.instructions.append(Instruction(UnitaryGate(op.matrix_data.conj().T, op.label), inst.qubits))
            elif isinstance(op, Gate) and inst.condition is None:
                spec = STANDARD_GATES[op.name]
                inv = spec.inverse(op.params)
                if inv is not None:
                    out.instructions.append(Instruction(Gate(inv[0], inv[1]), inst.qubits))
                else:
                    sub = _definition_circuit(op, self.num_qubits, inst.qubits).inverse()
                    out.instructions.extend(sub.instructions)
                    out.global_phase = out.global_phase + sub.global_phase
            else:
                raise CircuitError(f"cannot invert {inst}: it is not a unitary operation")
        return out

    # -- comparison ------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Circuit):
            return NotImplemented
        return (
            self.num_qubits == other.num_qubits
            and self.num_clbits == other.num_clbits
            and self.name == other.name
            and _phase_equal(self.global_phase, other.global_phase)
            and self.qregs == other.qregs
            and self.cregs == other.cregs
            and self.instructions == other.instructions
            and self.metadata == other.metadata
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def fingerprint(self) -> str:
        """A content hash of everything that affects execution (not the name or metadata).

        Two circuits with the same fingerprint run identically; used as a compile-cache key.
        """
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{self.num_qubits},{self.num_clbits},{self.global_phase!r};".encode())
        for inst in self.instructions:
            op = inst.operation
            if isinstance(op, UnitaryGate):
                h.update(b"U")
                h.update(op.matrix_data.tobytes())
            else:
                h.update(op.name.encode())
                for p in op.params:
                    h.update(repr(p).encode())
            h.update(repr((inst.qubits, inst.clbits)).encode())
            if inst.condition is not None:
                h.update(repr((inst.condition.clbits, inst.condition.value)).encode())
            h.update(b";")
        return h.hexdigest()

    def __str__(self) -> str:
        head = f"Circuit({self.name or ''}: {self.num_qubits} qubits, {self.num_clbits} clbits"
        if self.global_phase:
            head += f", phase {self.global_phase}"
        lines = [head + ")"] + [f"  {inst}" for inst in self.instructions]
        return "\n".join(lines)


def _phase_equal(a: ParamValue, b: ParamValue) -> bool:
    return a == b


def _definition_circuit(gate: Gate, num_qubits: int, qubits: Sequence[int]) -> Circuit:
    """The gate's library definition laid out on ``qubits`` of a circuit of ``num_qubits``."""
    defn = STANDARD_GATES[gate.name].definition(gate.params)
    if defn is None:
        raise CircuitError(f"gate {gate.name!r} is a base gate and has no definition")
    steps, phase = defn
    out = Circuit(num_qubits=num_qubits, global_phase=phase)
    for name, params, local in steps:
        out.instructions.append(Instruction(Gate(name, params), tuple(qubits[k] for k in local)))
    return out


def expand_gate(gate: Gate, qubits: Sequence[int]) -> tuple[list[Instruction], ParamValue]:
    """One level of a gate's definition as instructions on ``qubits``, and the phase it adds."""
    sub = _definition_circuit(gate, max(qubits) + 1, qubits)
    return sub.instructions, sub.global_phase
