"""model -> Cirq: :func:`circuit_to_cirq` (see :mod:`qhpc_cirq.translate`)."""

from __future__ import annotations

import cmath
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import cirq
import numpy as np
import sympy
from qhpc.errors import TranslationError
from qhpc_interop import (
    STANDARD_GATES,
    Circuit,
    Condition,
    Gate,
    Instruction,
    UnitaryGate,
)
from qhpc_interop.ir import Barrier, Measure, Reset
from qhpc_interop.params import Expr, ParamValue

from ._shared import _NEVER, BIT_KEYS, PI, _qubits_for, add_phase, bit_key, little_endian, param_to_sympy

# -- model -> cirq ---------------------------------------------------------------------------


def _big_endian_gate(matrix: np.ndarray) -> Any:
    m = little_endian(matrix)
    return cirq.MatrixGate(m, qid_shape=(2,) * (m.shape[0].bit_length() - 1), unitary_check=False)


class _Writer:
    """Builds Cirq operations for model instructions; ``phase`` collects the global phase (model values)."""

    def __init__(self) -> None:
        self.ops: list[Any] = []
        self.phase: ParamValue = 0.0
        self._sympy: dict[Expr, Any] = {}

    def c(self, v: ParamValue) -> Any:
        """A model value as a Cirq argument: a float, or a sympy expression of symbols. What sympy
        folds to a number (``x - x``) is a float: Cirq takes a sympy number for a parameter, which
        its resolver may leave as it is, and then the gate has no matrix."""
        if not isinstance(v, Expr):
            return v
        out = self._sympy.get(v)
        if out is None:
            out = param_to_sympy(v)
            if getattr(out, "is_number", False):
                number = complex(out)
                if number.imag == 0.0:
                    out = number.real
            self._sympy[v] = out
        return out

    def e(self, v: ParamValue) -> Any:
        """An angle (radians) as a Cirq exponent (half turns)."""
        if type(v) is float:
            return v / PI
        out = self.c(v)
        return out / PI if type(out) is float else out / sympy.pi


_W = Callable[[_Writer, tuple[ParamValue, ...], list[Any]], None]


def _phased_xz(w: _Writer, theta: ParamValue, phi: ParamValue, lam: ParamValue) -> Any:
    """PhasedXZ equal to ``e^{i theta/2} u(theta, phi, lambda)``."""
    return cirq.PhasedXZGate(x_exponent=w.e(theta), z_exponent=w.e(phi + lam),
                             axis_phase_exponent=0.5 - w.e(lam))


def _w_u(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, phi, lam = p
    w.ops.append(_phased_xz(w, theta, phi, lam).on(*q))
    w.phase = add_phase(w.phase, -theta / 2)


def _w_cu(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, phi, lam, gamma = p if len(p) == 4 else (*p, 0.0)
    w.ops.append(cirq.ControlledGate(_phased_xz(w, theta, phi, lam)).on(*q))
    # C(e^{i theta/2} u) = p(theta/2) on the control times C(u)
    correction = gamma - theta / 2
    if correction != 0.0:
        exponent = w.e(correction)
        if exponent != 0:  # (a symbolic difference sympy finds to be zero, a/2 - a/2: no gate)
            w.ops.append(cirq.ZPowGate(exponent=exponent).on(q[0]))


def _w_rzx(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.H(q[1]))
    w.ops.append(cirq.ZZPowGate(exponent=w.e(p[0]), global_shift=-0.5).on(*q))
    w.ops.append(cirq.H(q[1]))


def _w_xx_plus_yy(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    theta, beta = p
    w.ops.append(cirq.PhasedISwapPowGate(phase_exponent=w.e(beta) / 2, exponent=-w.e(theta)).on(*q))


def _w_xx_minus_yy(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.X(q[0]))  # X on the first qubit maps the |01>,|10> block onto |00>,|11>
    _w_xx_plus_yy(w, p, q)
    w.ops.append(cirq.X(q[0]))


def _w_dcx(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
    w.ops.append(cirq.CNOT(q[0], q[1]))
    w.ops.append(cirq.CNOT(q[1], q[0]))


def _one(make: Callable[[_Writer, tuple[ParamValue, ...]], Any]) -> _W:
    def writer(w: _Writer, p: tuple[ParamValue, ...], q: list[Any]) -> None:
        w.ops.append(make(w, p).on(*q))

    writer.single = True  # type: ignore[attr-defined]  # one operation, no phase: its result can be reused
    return writer


#: Parameterless model gates and the exactly equal Cirq gate.
_FIXED_EXPORT: dict[str, Any] = {}
#: Parameterised model gates (and parameterless ones with no single Cirq gate) and their exact writers.
_EXPORT: dict[str, _W] = {
    "rx": _one(lambda w, p: cirq.rx(w.c(p[0]))),
    "ry": _one(lambda w, p: cirq.ry(w.c(p[0]))),
    "rz": _one(lambda w, p: cirq.rz(w.c(p[0]))),
    "p": _one(lambda w, p: cirq.ZPowGate(exponent=w.e(p[0]))),
    "u1": _one(lambda w, p: cirq.ZPowGate(exponent=w.e(p[0]))),
    "r": _one(lambda w, p: cirq.PhasedXPowGate(phase_exponent=w.e(p[1]), exponent=w.e(p[0]), global_shift=-0.5)),
    "u": _w_u,
    "u3": _w_u,
    "u2": lambda w, p, q: _w_u(w, (PI / 2, *p), q),
    "crx": _one(lambda w, p: cirq.ControlledGate(cirq.rx(w.c(p[0])))),
    "cry": _one(lambda w, p: cirq.ControlledGate(cirq.ry(w.c(p[0])))),
    "crz": _one(lambda w, p: cirq.ControlledGate(cirq.rz(w.c(p[0])))),
    "cp": _one(lambda w, p: cirq.CZPowGate(exponent=w.e(p[0]))),
    "cu1": _one(lambda w, p: cirq.CZPowGate(exponent=w.e(p[0]))),
    "cu": _w_cu,
    "cu3": _w_cu,
    "rxx": _one(lambda w, p: cirq.XXPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "ryy": _one(lambda w, p: cirq.YYPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "rzz": _one(lambda w, p: cirq.ZZPowGate(exponent=w.e(p[0]), global_shift=-0.5)),
    "rzx": _w_rzx,
    "xx_plus_yy": _w_xx_plus_yy,
    "xx_minus_yy": _w_xx_minus_yy,
    "dcx": _w_dcx,
}


def _fill_fixed() -> None:
    _FIXED_EXPORT.update({
        "id": cirq.I, "x": cirq.X, "y": cirq.Y, "z": cirq.Z, "h": cirq.H, "s": cirq.S,
        "sdg": cirq.ZPowGate(exponent=-0.5), "t": cirq.T, "tdg": cirq.ZPowGate(exponent=-0.25),
        "sx": cirq.XPowGate(exponent=0.5), "sxdg": cirq.XPowGate(exponent=-0.5),
        "cx": cirq.CNOT, "cy": cirq.CY, "cz": cirq.CZ, "ch": cirq.ControlledGate(cirq.H),
        "cs": cirq.CZPowGate(exponent=0.5), "csdg": cirq.CZPowGate(exponent=-0.5), "csx": cirq.CXPowGate(exponent=0.5),
        "swap": cirq.SWAP, "iswap": cirq.ISWAP, "ccx": cirq.TOFFOLI, "ccz": cirq.CCZ, "cswap": cirq.FREDKIN,
        # no Cirq gate is exactly these; their matrices are
        "ecr": _big_endian_gate(STANDARD_GATES["ecr"].matrix()),
        "rccx": _big_endian_gate(STANDARD_GATES["rccx"].matrix()),
    })
    missing = set(STANDARD_GATES) - set(_FIXED_EXPORT) - set(_EXPORT)
    assert not missing, f"no Cirq export for {sorted(missing)}"


_fill_fixed()
_ONE_OP = frozenset(name for name, writer in _EXPORT.items() if getattr(writer, "single", False))

#: Model gates the export writes as one Cirq gate (what a Cirq simulator runs natively).
SINGLE_OP_GATES = frozenset(set(_FIXED_EXPORT) | (set(_EXPORT) - {"rzx", "xx_minus_yy", "dcx", "cu", "cu3"}))


class _Readout:
    """Where each clbit's final value is in a Cirq result: ``(key, instance, position)`` or ``None``."""

    def __init__(self, num_clbits: int) -> None:
        self.latest: list[tuple[str, int, int] | None] = [None] * num_clbits
        self.widths: dict[str, int] = {}
        self.instances: dict[str, int] = {}


def _clbit_names(circuit: Circuit) -> tuple[dict[int, tuple[str, int]], dict[str, tuple[int, ...]]]:
    """clbit -> (register, index) (its first register; clbits in none belong to a register ``c``)."""
    names: dict[int, tuple[str, int]] = {}
    registers: dict[str, tuple[int, ...]] = {}
    for reg in circuit.cregs:
        registers.setdefault(reg.name, reg.bits)
        for i, b in enumerate(reg.bits):
            names.setdefault(b, (reg.name, i))
    loose = tuple(b for b in range(circuit.num_clbits) if b not in names)
    if loose:
        taken = {r.name for r in (*circuit.cregs, *circuit.qregs)}
        name = "c"
        while name in taken:
            name += "_"
        registers[name] = loose
        for i, b in enumerate(loose):
            names[b] = (name, i)
    return names, registers


def _export(circuit: Circuit, *, global_phase: bool = True) -> tuple[Any, _Readout]:
    """The Cirq circuit and where its clbits are read; ``global_phase=False`` leaves the phase out
    (simulators: it cannot change a readout, and cirq.DensityMatrixSimulator fails on a
    ``GlobalPhaseGate`` in Cirq 1.7)."""
    qubits = _qubits_for(circuit)
    w = _Writer()
    w.phase = add_phase(circuit.global_phase, 0.0)  # (reduced first: a gate's phase added to 1e15 is rounded away)
    ops = w.ops
    readout = _Readout(circuit.num_clbits)
    instructions = circuit.instructions
    names, registers = _clbit_names(circuit) if circuit.num_clbits else ({}, {})
    per_bit = circuit.metadata.get(BIT_KEYS)
    if not (isinstance(per_bit, list) and all(isinstance(n, str) for n in per_bit)):
        per_bit = []  # what a reader recorded, or nothing: metadata edited by hand is not trusted
    whole = _whole_keys(instructions, names, registers, per_bit) if circuit.num_clbits else set()
    used: set[int] = set()
    made: dict[tuple[str, tuple[int, ...]], Any] = {}
    made_p: dict[tuple[str, tuple[ParamValue, ...], tuple[int, ...]], Any] = {}
    fixed, export = _FIXED_EXPORT, _EXPORT
    k, n = 0, len(instructions)
    while k < n:
        inst = instructions[k]
        op, iq, _, cond = inst  # (an instruction is a named tuple: unpacked, not read field by field)
        t = type(op)
        if t is Barrier:
            k += 1
            continue  # Cirq has no barrier
        start, phase = len(ops), w.phase
        controls: Any = None
        if cond is not None:
            if t is Measure:
                raise TranslationError(f"instruction {k} ({circuit.describe(inst)}): a conditioned measurement cannot be written "
                                       f"for Cirq (a skipped measurement leaves no record there)")
            controls = _cirq_conditions(cond, readout)  # read before this instruction writes anything
            if controls is _NEVER:
                k += 1
                continue
        used.update(iq)
        if t is Gate:
            gate = fixed.get(op.name)
            if gate is not None:
                # operations are immutable values: one per (gate, qubits) serves every occurrence
                key = (op.name, iq)
                cop = made.get(key)
                if cop is None:
                    cop = made[key] = gate.on(*[qubits[i] for i in iq])
                ops.append(cop)
            elif op.name in _ONE_OP:
                # the same for single-gate writers (no phase to add): repeated angles are common
                pkey = (op.name, op.params, iq)
                cop = made_p.get(pkey)
                if cop is None:
                    export[op.name](w, op.params, [qubits[i] for i in iq])
                    cop = made_p[pkey] = ops[-1]
                else:
                    ops.append(cop)
            else:
                export[op.name](w, op.params, [qubits[i] for i in iq])
            if cond is not None:
                w.phase = phase  # a phase under a classical condition is unobservable
                if controls:
                    ops[start:] = [o.with_classical_controls(*controls) for o in ops[start:]]
            k += 1
            continue
        qs = [qubits[i] for i in inst.qubits]
        if t is Measure:
            k = _write_measure(circuit, k, qubits, names, registers, whole, readout, ops, used)
        elif isinstance(op, UnitaryGate):
            ops.append(_big_endian_gate(op.matrix_data).on(*qs))
        elif t is Reset:
            ops.append(cirq.ResetChannel().on(*qs))
        else:  # pragma: no cover - the model has no other operations
            raise TranslationError(f"instruction {k}: unknown operation {op.name}")
        if cond is not None:
            w.phase = phase  # a phase under a classical condition is unobservable
            if controls:
                ops[start:] = [o.with_classical_controls(*controls) for o in ops[start:]]
        k += 1
    idle = [qubits[i] for i in range(circuit.num_qubits) if i not in used]
    if idle:
        ops.insert(0, cirq.IdentityGate(len(idle)).on(*idle))
    phase = w.phase
    if isinstance(phase, Expr):
        # what sympy makes a number is one (a u gate's -theta/2 and its reading's +theta/2 cancel:
        # written as gates, a symbolic zero grew the circuit by four gates on every trip)
        simplified = w.c(phase)
        if type(simplified) is float:
            phase = simplified
        elif simplified.is_number:
            phase = float(sympy.re(simplified))
    if global_phase and phase != 0.0:
        if type(phase) is float:
            ops.append(cirq.GlobalPhaseGate(cmath.exp(1j * phase)).on())
        elif qubits:
            # Cirq prints, compares and serialises a GlobalPhaseGate of a symbolic e^{ix} not at all
            # (str() of the circuit raised TypeError): the phase is written exactly as gates on a
            # qubit instead, Z^a X Z^a X with a = x/pi, which Cirq resolves and simulates as the phase
            # (as the myQLM writer writes PH X PH X), first, so that measurements stay terminal
            carrier = qubits[min(used) if used else 0]
            a = w.e(phase)
            ops[:0] = [cirq.Z(carrier) ** a, cirq.X(carrier), cirq.Z(carrier) ** a, cirq.X(carrier)]
        else:
            ops.append(cirq.GlobalPhaseGate(sympy.exp(sympy.I * w.c(phase))).on())
    return _build(ops), readout


def _is_group(instructions: list[Instruction], k: int, bits: tuple[int, ...]) -> bool:
    """Whether instructions ``k, k+1, ...`` measure distinct qubits into ``bits`` in order, unconditioned."""
    size = len(bits)
    if k + size > len(instructions):
        return False
    group = instructions[k:k + size]
    return all(type(g.operation) is Measure and g.condition is None and g.clbits[0] == b
               for g, b in zip(group, bits)) and len({g.qubits[0] for g in group}) == size


def _whole_keys(instructions: list[Instruction], names: dict[int, tuple[str, int]],
                registers: dict[str, tuple[int, ...]], per_bit: Iterable[str] = ()) -> set[str]:
    """The registers every measurement into which measures the whole register at once: each is
    written with the register's name as its key, once per time it is measured (Cirq's repeated
    keys); the others with a key per bit (``c[1]``)."""
    whole: set[str] = set()
    partial: set[str] = set(per_bit)
    k, n = 0, len(instructions)
    while k < n:
        inst = instructions[k]
        if type(inst.operation) is Measure:
            name, index = names[inst.clbits[0]]
            if name not in partial and index == 0 and _is_group(instructions, k, registers[name]):
                whole.add(name)
                k += len(registers[name])
                continue
            partial.add(name)
        k += 1
    return whole - partial


def _write_measure(circuit: Circuit, k: int, qubits: list[Any], names: dict[int, tuple[str, int]],
                   registers: dict[str, tuple[int, ...]], whole: set[str], readout: _Readout,
                   ops: list[Any], used: set[int]) -> int:
    """Write the measurement at instruction ``k`` (and the rest of its register if measured at once).

    Returns the index of the last instruction written.
    """
    instructions = circuit.instructions
    inst = instructions[k]
    clbit = inst.clbits[0]
    name, index = names[clbit]
    # registers that share bits can make the scan's group start elsewhere: each group is checked here
    if name in whole and index == 0 and _is_group(instructions, k, registers[name]):
        bits = registers[name]
        group = instructions[k:k + len(bits)]
        qs = [qubits[g.qubits[0]] for g in group]
        for g in group[1:]:
            used.update(g.qubits)
        key = whole_key(name, registers)
        ops.append(cirq.measure(*qs, key=_mkey(key)))
        _record(readout, key, bits)
        return k + len(bits) - 1
    key = f"{name}[{index}]"
    ops.append(cirq.measure(qubits[inst.qubits[0]], key=_mkey(key)))
    _record(readout, key, (clbit,))
    return k


def whole_key(name: str, registers: dict[str, tuple[int, ...]]) -> str:
    """The key a register measured whole is written under: its name, unless that reads as bit ``i``
    of another register ``base`` (a register named ``c[0]`` beside ``c``, whose bits measured one at
    a time are keys ``c[0]``...), which a reader would group into ``base``: then ``c[0]_``."""
    named = bit_key(name)
    if named is None or named[0] not in registers:
        return name
    key = name + "_"
    while key in registers:
        key += "_"
    return key


def _mkey(name: str) -> Any:
    """The measurement key written ``name`` (a nested key ``path:name`` as Cirq serialises it)."""
    return cirq.MeasurementKey.parse_serialized(name)


def _record(readout: _Readout, key: str, bits: Sequence[int]) -> None:
    instance = readout.instances.get(key, -1) + 1
    readout.instances[key] = instance
    readout.widths[key] = len(bits)
    for pos, b in enumerate(bits):
        readout.latest[b] = (key, instance, pos)


def _cirq_conditions(cond: Condition, readout: _Readout) -> Any:
    """Cirq conditions (all must hold) for a model condition; ``_NEVER`` if it cannot hold here."""
    per_key: dict[str, list[int]] = {}  # key -> [mask, target]
    for i, c in enumerate(cond.clbits):
        want = (cond.value >> i) & 1
        where = readout.latest[c]
        if where is None:  # no measurement has written this bit yet: it reads 0
            if want:
                return _NEVER
            continue
        key, _instance, pos = where
        bit = 1 << (readout.widths[key] - 1 - pos)  # Cirq's first measured qubit is the most significant bit
        entry = per_key.setdefault(key, [0, 0])
        entry[0] |= bit
        if want:
            entry[1] |= bit
    out: list[Any] = []
    for key, (mask, target) in per_key.items():
        width = readout.widths[key]
        if width == 1 and target == 1:
            out.append(cirq.KeyCondition(_mkey(key)))
        else:
            out.append(cirq.BitMaskKeyCondition(_mkey(key), target_value=target, equal_target=True,
                                                bitmask=None if mask == (1 << width) - 1 else mask))
    return out


def _build(ops: list[Any]) -> Any:
    """A Cirq circuit of ``ops`` in order, each in the earliest moment its qubits and keys allow.

    Cirq's EARLIEST strategy (what ``cirq.Circuit(ops)`` does), built in one pass: an operation's
    moment is the first after the last one that holds an operation on one of its qubits, measuring
    one of its keys or reading one of its conditions' keys. One more rule keeps the measurements in
    program order (``all_operations()`` lists them as the model does, so clbits read back in the
    same order): a measurement never goes to an earlier moment than the measurement before it.
    """
    level: dict[Any, int] = {}
    layers: list[list[Any]] = []
    get = level.get
    controlled_type = cirq.ClassicallyControlledOperation
    measurement_type = cirq.MeasurementGate
    last_measurement = 0
    for op in ops:
        wires: list[Any] = list(op.qubits)
        if type(op) is controlled_type:
            wires.extend(("key", str(k)) for k in cirq.control_keys(op))
        gate: Any = getattr(op, "gate", None)
        measures = type(gate) is measurement_type
        d = last_measurement if measures else 0
        if measures:
            wires.append(("key", str(gate.mkey)))
        for wire in wires:
            v = get(wire, 0)
            if v > d:
                d = v
        if d == len(layers):
            layers.append([op])
        else:
            layers[d].append(op)
        if measures:
            last_measurement = d
        d += 1
        for wire in wires:
            level[wire] = d
    return cirq.Circuit.from_moments(*[_moment(layer) for layer in layers])


def _moment(ops: list[Any]) -> Any:
    """``cirq.Moment(ops)`` for a flat list of operations on disjoint qubits (Cirq still checks that)."""
    try:
        return cirq.Moment(*ops, _flatten_contents=False)
    except TypeError:  # pragma: no cover - a Cirq without the keyword
        return cirq.Moment(ops)


def circuit_to_cirq(circuit: Circuit) -> Any:
    """A ``cirq.Circuit`` for a model circuit (see the module docstring for the conventions)."""
    return _export(circuit)[0]
