"""qhpc plugin for Qiskit: ``QuantumCircuit`` translation, Aer emulators, the Qiskit transpiler compiler.

Importing ``qhpc_qiskit`` does not import Qiskit; :mod:`qhpc_qiskit.translate` does.
"""

__version__ = "0.1.0"


def circuit_from_qiskit(qc):  # type: ignore[no-untyped-def]
    """The qhpc model circuit for a Qiskit ``QuantumCircuit`` (see :mod:`qhpc_qiskit.translate`)."""
    from .translate import circuit_from_qiskit as convert

    return convert(qc)


def circuit_to_qiskit(circuit):  # type: ignore[no-untyped-def]
    """A Qiskit ``QuantumCircuit`` for a qhpc model circuit (see :mod:`qhpc_qiskit.translate`)."""
    from .translate import circuit_to_qiskit as convert

    return convert(circuit)
