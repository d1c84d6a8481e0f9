"""Attaching a noise model to a circuit: the explicit noisy program every emulator runs.

:func:`expand` schedules a circuit as soon as possible with the model's gate durations and returns
a :class:`NoisyCircuit`: the circuit's own instructions in time order, with :class:`ChannelOp`\\ s
inserted where noise acts:

* after each gate, the model's channels for that gate on those qubits (a one-qubit channel on a
  multi-qubit gate acts on each of its qubits);
* before an operation on a qubit that waited, thermal relaxation over the wait (T1/T2 of the qubit);
* before an operation on either qubit of a ZZ-coupled pair, the coherent ``exp(-i zeta t ZZ/2)``
  accumulated since the pair's last such point (a first-order splitting of the always-on coupling);
* at the start, and after each reset, the preparation error (a bit flip).

Readout errors stay a table (:attr:`NoisyCircuit.readout`): they act on the recorded bits, not on
the quantum state, and a backend applies them at each measurement. Correlated readout
(:attr:`NoisyCircuit.correlated_readout`) holds the pairs whose two qubits the circuit measures,
each a joint confusion that replaces its qubits' own errors (a crosstalk pair of the model arrives
with those errors folded in), applied in order to the final recorded bits. A model with idle noise or
crosstalk needs a duration for every operation the circuit uses (measurements and resets
included); a missing one is an error naming the gate, never a silent default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from qhpc_interop import Barrier, Circuit, Condition, Instruction, Measure, Reset

from .channels import BitFlip, Channel, CoherentRotation, NoiseModelError, ThermalRelaxation
from .model import CorrelatedReadout, NoiseModel, ReadoutError


@dataclass(frozen=True)
class ChannelOp:
    """A noise channel on ``qubits`` (under ``condition`` when the gate it follows is conditioned)."""

    channel: Channel
    qubits: tuple[int, ...]
    label: str
    condition: Condition | None = None


NoisyOp = Instruction | ChannelOp


@dataclass
class NoisyCircuit:
    """A circuit with its noise made explicit (see the module docstring)."""

    num_qubits: int
    num_clbits: int
    ops: list[NoisyOp]
    readout: dict[int, ReadoutError] = field(default_factory=dict)
    correlated_readout: list[CorrelatedReadout] = field(default_factory=list)
    #: seconds from the first operation to the end of the last (0 without durations)
    duration: float = 0.0

    def channels(self) -> Iterator[ChannelOp]:
        return (op for op in self.ops if isinstance(op, ChannelOp))


def expand(circuit: Circuit, model: NoiseModel) -> NoisyCircuit:
    """The circuit with the model's noise inserted (see the module docstring)."""
    timing = model.has_timing_noise
    free = [0.0] * circuit.num_qubits  # when each qubit is next free
    # when each clbit's latest value is written (a condition reading it waits for that), and when
    # the operations reading or writing it are done (a measurement into it waits for those): the
    # operations run in start-time order, so two writes, or a read and a later write, of one bit
    # must not swap places when their qubits would let them
    clbit_ready = [0.0] * circuit.num_clbits
    clbit_free = [0.0] * circuit.num_clbits
    timed: list[tuple[float, int, NoisyOp]] = []  # (start time, order, op)
    order = 0

    def add(start: float, op: NoisyOp) -> None:
        nonlocal order
        timed.append((start, order, op))
        order += 1

    for q in range(circuit.num_qubits):
        p = model.preparation.get(q, 0.0)
        if p > 0:
            add(0.0, ChannelOp(BitFlip(p), (q,), "preparation"))
    for k, inst in enumerate(circuit.instructions):
        op = inst.operation
        qubits = inst.qubits
        reads = inst.condition.clbits if inst.condition is not None else ()
        start = max([free[q] for q in qubits] + [clbit_ready[c] for c in reads] + [clbit_free[c] for c in inst.clbits],
                    default=0.0)
        duration = 0.0
        if timing:
            if not isinstance(op, Barrier):
                found = model.duration(op.name, qubits)
                if found is None:
                    raise NoiseModelError(f"the noise model has no duration for {op.name} on qubits {list(qubits)} "
                                          f"(instruction {k}: {inst}); idle noise and crosstalk need one for every "
                                          "operation")
                duration = found
            for q in qubits:  # a qubit that waits for this operation (a barrier too) relaxes meanwhile
                wait = start - free[q]
                relax = model.relaxation.get(q)
                if wait > 0 and relax is not None:
                    add(start, ChannelOp(ThermalRelaxation(relax.t1, relax.t2, wait, relax.excited_population),
                                         (q,), "idle"))
        add(start, inst)
        if isinstance(op, Barrier):
            for q in qubits:
                free[q] = start
            continue
        end = start + duration
        for q in qubits:
            free[q] = end
        for c in inst.clbits:
            clbit_ready[c] = clbit_free[c] = end
        # the condition is read when the operation starts, and again by the noise after it (placed
        # at its end, under the same condition): a write into those bits waits until the last read
        after: list[ChannelOp]
        if isinstance(op, Measure):
            after = []
        elif isinstance(op, Reset):
            after = [ChannelOp(BitFlip(p), (q,), "preparation", inst.condition) for q in qubits
                     if (p := model.preparation.get(q, 0.0)) > 0]
        else:
            after = _channels_after(model, op.name, qubits, inst.condition)
        for c in reads:
            clbit_free[c] = max(clbit_free[c], end if after else start)
        for channel_op in after:
            add(end, channel_op)
    timed.sort(key=lambda item: (item[0], item[1]))
    ops = _with_crosstalk(timed, model, circuit.num_qubits) if model.zz else [op for _, _, op in timed]
    total = max(free, default=0.0)
    used = set(range(circuit.num_qubits))
    measured = {q for inst in circuit.instructions if isinstance(inst.operation, Measure) for q in inst.qubits}
    return NoisyCircuit(
        circuit.num_qubits, circuit.num_clbits, ops,
        readout={q: r for q, r in model.readout.items() if q in used},
        correlated_readout=_joint_readout(model, used & measured),
        duration=total,
    )


def _channels_after(model: NoiseModel, name: str, qubits: tuple[int, ...],
                    condition: Condition | None) -> list[ChannelOp]:
    """The model's noise after gate ``name`` on ``qubits``, under the gate's condition."""
    out = []
    for channel in model.channels_after(name, qubits):
        if channel.num_qubits == len(qubits):
            out.append(ChannelOp(channel, qubits, f"after {name}", condition))
        elif channel.num_qubits == 1:
            out.extend(ChannelOp(channel, (q,), f"after {name}", condition) for q in qubits)
        else:
            raise NoiseModelError(f"a {channel.num_qubits}-qubit channel cannot follow {name} on {len(qubits)} qubit(s)")
    return out


def _joint_readout(model: NoiseModel, measured: set[int]) -> list[CorrelatedReadout]:
    """The model's correlated readout as the emulators apply it: the pairs whose two qubits are
    measured, in order, each replacing its qubits' own errors. A crosstalk pair (``replaces=False``)
    takes in the own errors of its qubits that no earlier pair has taken (their confusion applies
    first, then the pair's matrix: the same as own errors, then crosstalk, in order)."""
    import numpy as np

    out: list[CorrelatedReadout] = []
    taken: set[int] = set()
    for pair in model.correlated_readout:
        if not set(pair.qubits) <= measured:
            continue
        matrix = np.array(pair.matrix)
        if not pair.replaces:
            a, b = pair.qubits
            own = [np.eye(2) if q in taken or q not in model.readout else model.readout[q].matrix() for q in (a, b)]
            matrix = matrix @ np.kron(own[1], own[0])  # index = bit(a) + 2 bit(b): b is the slow index
        taken.update(pair.qubits)
        out.append(CorrelatedReadout(pair.qubits, tuple(tuple(float(x) for x in row) for row in matrix)))
    return out


def _with_crosstalk(timed: list[tuple[float, int, NoisyOp]], model: NoiseModel, num_qubits: int) -> list[NoisyOp]:
    """Insert each ZZ pair's accumulated rotation before every operation on either of its qubits."""
    pairs = [z for z in model.zz if max(z.qubits) < num_qubits and z.rate != 0.0]
    by_qubit: dict[int, list[int]] = {}
    for k, z in enumerate(pairs):
        for q in z.qubits:
            by_qubit.setdefault(q, []).append(k)
    last = [0.0] * len(pairs)
    out: list[NoisyOp] = []
    for start, _, op in timed:
        qubits = op.qubits
        touched = sorted({k for q in qubits for k in by_qubit.get(q, ())})
        for k in touched:
            angle = pairs[k].rate * (start - last[k])
            if angle != 0.0:
                out.append(ChannelOp(CoherentRotation("ZZ", angle), pairs[k].qubits, "zz crosstalk"))
            last[k] = start
        out.append(op)
    return out


def measurements_last(noisy: NoisyCircuit) -> NoisyCircuit:
    """``noisy`` with its measurements moved to the end where that changes no outcome: nothing is
    conditioned and all that follows a qubit's measurement on it is diagonal noise (the ZZ
    crosstalk up to the last measurement), which commutes with the measurement. Otherwise
    ``noisy`` itself. Simulators then measure once, at the end, instead of branching early."""
    import numpy as np

    measured: set[int] = set()
    for op in noisy.ops:
        if op.condition is not None:
            return noisy
        if isinstance(op, Instruction):
            if isinstance(op.operation, Measure):
                measured.update(op.qubits)
            elif isinstance(op.operation, Barrier):
                continue
            elif measured.intersection(op.qubits):
                return noisy
        elif measured.intersection(op.qubits) and not all(
                np.count_nonzero(k - np.diag(np.diag(k))) == 0 for k in op.channel.kraus()):
            return noisy
    is_measure = [isinstance(op, Instruction) and isinstance(op.operation, Measure) for op in noisy.ops]
    ops = [op for op, m in zip(noisy.ops, is_measure) if not m] + [op for op, m in zip(noisy.ops, is_measure) if m]
    return NoisyCircuit(noisy.num_qubits, noisy.num_clbits, ops, readout=dict(noisy.readout),
                        correlated_readout=list(noisy.correlated_readout), duration=noisy.duration)


def final_measurements(noisy: NoisyCircuit) -> dict[int, int]:
    """qubit -> the clbit its last measurement writes."""
    last: dict[int, int] = {}
    for op in noisy.ops:
        if isinstance(op, Instruction) and isinstance(op.operation, Measure):
            for q, c in zip(op.qubits, op.clbits):
                last[q] = c
    return last


def apply_correlated_readout(memory: list[str], noisy: NoisyCircuit, seed: int | None) -> list[str]:
    """Each shot's recorded bits after the correlated readout errors of ``noisy`` (drawn with a
    generator seeded by ``seed``). For backends that apply independent readout errors themselves
    and correlated ones afterwards; only exact when the pairs' bits are read by no condition."""
    import numpy as np

    if not noisy.correlated_readout:
        return memory
    read_by_conditions = {c for op in noisy.ops if op.condition is not None for c in op.condition.clbits}
    last = final_measurements(noisy)
    rng = np.random.default_rng(seed)
    out = [list(shot) for shot in memory]
    width = noisy.num_clbits
    for pair in noisy.correlated_readout:
        a, b = pair.qubits
        if a not in last or b not in last:
            continue
        ca, cb = last[a], last[b]
        if ca in read_by_conditions or cb in read_by_conditions:
            raise NoiseModelError(f"correlated readout of qubits {a} and {b} cannot be applied after the run: a "
                                  "condition reads their bits")
        m = np.array(pair.matrix)
        cumulative = np.cumsum(m, axis=0)
        draws = rng.random(len(out))
        for shot, u in zip(out, draws):
            prepared = int(shot[width - 1 - ca]) + 2 * int(shot[width - 1 - cb])
            measured = min(int(np.searchsorted(cumulative[:, prepared], u, side="right")), 3)
            shot[width - 1 - ca] = str(measured & 1)
            shot[width - 1 - cb] = str(measured >> 1)
    return ["".join(shot) for shot in out]


def compact(noisy: NoisyCircuit) -> tuple[NoisyCircuit, list[int]]:
    """``noisy`` on only the qubits it uses, renumbered ``0..k-1``, and the original qubit of each
    (a device of 127 qubits running a 3-qubit circuit is emulated on 3)."""
    used = sorted({q for op in noisy.ops for q in op.qubits})
    index = {q: k for k, q in enumerate(used)}
    ops: list[NoisyOp] = []
    for op in noisy.ops:
        qubits = tuple(index[q] for q in op.qubits)
        if isinstance(op, Instruction):
            ops.append(Instruction(op.operation, qubits, op.clbits, op.condition))
        else:
            ops.append(ChannelOp(op.channel, qubits, op.label, op.condition))
    return NoisyCircuit(
        len(used), noisy.num_clbits, ops,
        readout={index[q]: r for q, r in noisy.readout.items() if q in index},
        correlated_readout=[CorrelatedReadout((index[c.qubits[0]], index[c.qubits[1]]), c.matrix)
                            for c in noisy.correlated_readout if all(q in index for q in c.qubits)],
        duration=noisy.duration,
    ), used
