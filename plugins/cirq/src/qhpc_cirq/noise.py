"""qhpc noise models on Cirq's density-matrix simulator.

:func:`qhpc.noise.expand` makes the noise explicit (channels after gates, idle relaxation, ZZ
crosstalk, preparation errors). Here the noisy circuit becomes a Cirq circuit: its instructions
through the plugin's exporter, each :class:`~qhpc.noise.ChannelOp` a ``cirq.KrausChannel`` at its
place (under the classical controls of the gate it follows), and each qubit's readout error a
confusion matrix on its measurements (``cirq.MeasurementGate(confusion_map=...)``, which changes
the recorded bit and not the state, as on a device). Where all measurements are terminal they
are moved after the diagonal crosstalk that follows them
(:func:`qhpc.noise.schedule.measurements_last`), so that Cirq samples the shots from one
simulation, and the readout errors are applied to the sampled bits at once (:func:`confuse`).
Correlated readout pairs are applied to each shot's final bits afterwards
(:func:`qhpc.noise.schedule.apply_correlated_readout`), as the Aer backends do.

Placing the channels: each one travels through the exporter as an identity ``UnitaryGate`` on its
qubits (the exporter writes a unitary as one ``cirq.MatrixGate`` and never merges or drops it),
and is then swapped for its channel. The program's own identity unitaries, which would be
indistinguishable, are left out first (an identity changes nothing).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from qhpc.noise import ChannelOp, NoisyCircuit
from qhpc.noise.schedule import measurements_last
from qhpc_interop import Circuit, Instruction, Measure, UnitaryGate


def _is_identity(op: Any) -> bool:
    m = op.matrix_data
    return bool(np.array_equal(m, np.eye(m.shape[0])))


def noisy_circuit_to_cirq(noisy: NoisyCircuit) -> tuple[Any, Any, dict[int, np.ndarray]]:
    """The Cirq circuit of ``noisy`` (see the module docstring), where its clbits are read (what
    :func:`qhpc_cirq.translate._export` returns), and the readout confusion left to apply to the
    recorded bits (clbit -> ``M[read, true]``): where all measurements are terminal, the readout
    errors are applied to the sampled bits at once (:func:`confuse`), which is exact and much
    faster than Cirq's per-shot confusion; otherwise they are in the measurements and none is left."""
    import cirq

    from .translate import _export, _qubits_for

    placeholders: dict[tuple[int, ...], deque[ChannelOp]] = {}
    ops: list[Instruction] = []
    moved = measurements_last(noisy)
    terminal = moved is not noisy
    reordered = moved.ops
    confusion = {q: e.matrix().T for q, e in noisy.readout.items()}  # Cirq's rows: the true outcome
    for pair in noisy.correlated_readout:  # the pair's joint matrix replaces its qubits' own errors
        for q in pair.qubits:
            confusion.pop(q, None)
    deferred: dict[int, np.ndarray] = {}
    if terminal:
        for op in reordered:
            if isinstance(op, Instruction) and isinstance(op.operation, Measure):
                for q, c in zip(op.qubits, op.clbits):
                    if q in confusion:
                        deferred[c] = confusion[q].T
                    else:
                        deferred.pop(c, None)
        confusion = {}
    for op in reordered:
        if isinstance(op, Instruction):
            if isinstance(op.operation, UnitaryGate) and _is_identity(op.operation):
                continue
            ops.append(op)
        else:
            placeholders.setdefault(op.qubits, deque()).append(op)
            ops.append(Instruction(UnitaryGate(np.eye(2 ** len(op.qubits))), op.qubits, (), op.condition))
    circuit = Circuit(noisy.num_qubits, noisy.num_clbits, instructions=ops)
    program, readout = _export(circuit, global_phase=False)
    qubits = _qubits_for(circuit)
    index = {q: k for k, q in enumerate(qubits)}
    channels: dict[int, Any] = {}

    def swap(op: Any) -> Any:
        inner = op.without_classical_controls()
        gate = inner.gate
        if isinstance(gate, cirq.MatrixGate):
            mine = tuple(index[q] for q in inner.qubits)
            queue = placeholders.get(mine)
            if queue and np.array_equal(cirq.unitary(gate), np.eye(2 ** len(mine))):
                channel_op = queue.popleft()
                kraus = channels.get(id(channel_op.channel))
                if kraus is None:
                    kraus = channels[id(channel_op.channel)] = cirq.KrausChannel(
                        [np.asarray(k) for k in channel_op.channel.kraus()])
                # qhpc's matrices are little-endian (qubit 0 least significant), Cirq's big-endian:
                # the same matrix on the qubits in reverse order
                new = kraus.on(*reversed(inner.qubits))
                controls = getattr(op, "classical_controls", None)
                return new.with_classical_controls(*controls) if controls else new
        if isinstance(gate, cirq.MeasurementGate) and confusion:
            cmap: dict[tuple[int, ...], np.ndarray] = {(k,): confusion[index[q]] for k, q in enumerate(inner.qubits) if index[q] in confusion}
            if cmap:
                return cirq.MeasurementGate(gate.num_qubits(), key=gate.mkey, invert_mask=gate.invert_mask,
                                            confusion_map=cmap).on(*inner.qubits)
        return op

    noisy_program = program.map_operations(swap)
    left = sum(len(q) for q in placeholders.values())
    if left:  # pragma: no cover - the exporter writes every unitary as one MatrixGate
        raise RuntimeError(f"{left} noise channel(s) were not placed in the Cirq circuit")
    return noisy_program, readout, deferred


def confuse(bits: np.ndarray, deferred: dict[int, np.ndarray], seed: int) -> np.ndarray:
    """``bits`` (shots x clbits) with each clbit of ``deferred`` read through its confusion
    ``M[read, true]`` (drawn with a generator seeded by ``seed``)."""
    if not deferred:
        return bits
    rng = np.random.default_rng([seed, 1])  # a stream apart from the correlated readout's (seeded by seed)
    out = bits.copy()
    for clbit, matrix in sorted(deferred.items()):
        true = bits[:, clbit].astype(np.int64)
        flip = matrix[1 - true, true]  # the probability of reading the other value
        out[:, clbit] = true ^ (rng.random(len(true)) < flip)
    return out
