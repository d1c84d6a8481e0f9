"""A Bell pair built in Qiskit. Run it with:  qhpc run examples/bell_qiskit.py:circuit"""

from qiskit import QuantumCircuit

circuit = QuantumCircuit(2, 2, name="bell")
circuit.h(0)
circuit.cx(0, 1)
circuit.measure([0, 1], [0, 1])


def asymmetric() -> QuantumCircuit:
    """X on qubit 0 only: every shot reads '01' (clbit 0 is the rightmost character)."""
    qc = QuantumCircuit(2, 2, name="x_on_0")
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    return qc
