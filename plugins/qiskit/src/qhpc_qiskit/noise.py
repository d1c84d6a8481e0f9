"""qhpc noise models on Aer: a noisy circuit becomes a Qiskit circuit with Kraus errors in place.

:func:`qhpc.noise.expand` makes the noise explicit (channels after gates, idle relaxation,
crosstalk, preparation); here each :class:`~qhpc.noise.ChannelOp` becomes an Aer ``QuantumError``
instruction at its place, and the readout errors become an Aer ``NoiseModel`` of readout errors
(which Aer applies to every measurement, mid-circuit ones included). The density-matrix method
simulates it exactly; the statevector method samples the channels per shot (trajectories).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qhpc.noise import ChannelOp, NoisyCircuit
from qhpc_interop import Circuit, Instruction

from .translate import circuit_to_qiskit


def noisy_circuit_to_qiskit(noisy: NoisyCircuit) -> Any:
    """The Qiskit circuit of ``noisy``: its instructions, with each channel as an Aer QuantumError
    (inside an ``if_test`` like its gate's when the gate it follows is conditioned)."""
    from qhpc_interop import UnitaryGate
    from qiskit.circuit import CircuitInstruction
    from qiskit.quantum_info import Kraus
    from qiskit_aer.noise import QuantumError

    # conditioned channels travel as identity placeholders, so that their condition is written
    # exactly as a gate's is; the placeholder is then swapped for the error inside its block
    plain_ops = []
    for op in noisy.ops:
        if isinstance(op, Instruction):
            plain_ops.append(op)
        elif op.condition is not None:
            plain_ops.append(Instruction(UnitaryGate(np.eye(2 ** len(op.qubits))), op.qubits, (), op.condition))
    qc = circuit_to_qiskit(Circuit(noisy.num_qubits, noisy.num_clbits, instructions=plain_ops))
    translated = iter(list(qc.data))
    out = qc.copy_empty_like()
    errors: dict[int, Any] = {}  # channels are shared between ops: build each QuantumError once

    def error_of(op: ChannelOp) -> Any:
        error = errors.get(id(op.channel))
        if error is None:
            kraus = Kraus([np.asarray(k) for k in op.channel.kraus()])
            error = errors[id(op.channel)] = QuantumError(kraus).to_instruction()
        return error

    for op in noisy.ops:
        if isinstance(op, Instruction):
            out._append(next(translated))
        elif op.condition is None:
            out._append(CircuitInstruction(error_of(op), [out.qubits[q] for q in op.qubits], []))
        else:
            wrapper = next(translated)
            body = wrapper.operation.blocks[0]
            (placeholder,) = body.data
            new_body = body.copy_empty_like()
            new_body._append(CircuitInstruction(error_of(op), placeholder.qubits, []))
            out._append(wrapper.replace(operation=wrapper.operation.replace_blocks([new_body])))
    return out


def readout_noise_model(noisy: NoisyCircuit) -> Any:
    """An Aer NoiseModel holding only the readout errors of ``noisy`` (``None`` if it has none)."""
    if not noisy.readout and not noisy.correlated_readout:
        return None
    from qiskit_aer.noise import NoiseModel, ReadoutError

    model = NoiseModel()
    correlated = {q for c in noisy.correlated_readout for q in c.qubits}
    for q, error in noisy.readout.items():
        if q in correlated:
            continue
        # Aer's rows are the true outcome, columns the recorded one
        model.add_readout_error(ReadoutError(error.matrix().T.tolist()), [q])
    for pair in noisy.correlated_readout:
        # qhpc's matrix is M[measured, prepared] over index bit(q0) + 2 bit(q1); Aer's rows are the
        # true outcome over the same little-endian index of the listed qubits
        model.add_readout_error(ReadoutError(np.array(pair.matrix).T.tolist()), list(pair.qubits))
    return model
