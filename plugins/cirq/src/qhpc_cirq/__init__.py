"""qhpc plugin for Cirq: ``cirq.Circuit`` translation, the Cirq simulators and qsim.

Importing ``qhpc_cirq`` does not import Cirq; :mod:`qhpc_cirq.translate` does.
"""

__version__ = "0.1.0"


def circuit_from_cirq(circuit):  # type: ignore[no-untyped-def]
    """The qhpc model circuit for a ``cirq.Circuit`` (see :mod:`qhpc_cirq.translate`)."""
    from .translate import circuit_from_cirq as convert

    return convert(circuit)


def circuit_to_cirq(circuit):  # type: ignore[no-untyped-def]
    """A ``cirq.Circuit`` for a qhpc model circuit (see :mod:`qhpc_cirq.translate`)."""
    from .translate import circuit_to_cirq as convert

    return convert(circuit)
