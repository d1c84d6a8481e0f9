"""The README's first example: build a circuit in Qiskit, run it through qhpc, read the counts."""

import qhpc
from qiskit import QuantumCircuit

qc = QuantumCircuit(3, 3)
qc.h(0)
qc.cx(0, 1)
qc.cx(1, 2)
qc.measure([0, 1, 2], [0, 1, 2])

result = qhpc.run(qc, shots=1000, seed=7)  # backend="auto": the cheapest emulator that fits
print(result.backend, result.counts)  # e.g. aer.statevector {'000': 514, '111': 486}
print({stage: f"{seconds * 1e3:.2f} ms" for stage, seconds in result.timings.items()})

# the same circuit on a named backend, with each shot's bitstring
result = qhpc.run(qc, backend="aer.matrix_product_state", shots=8, seed=7, memory=True)
print(result.backend, result.memory)
