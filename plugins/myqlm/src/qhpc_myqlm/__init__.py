"""qhpc plugin for myQLM: ``qat.core.Circuit`` translation, PyLinalg/CLinalg emulators, a myQLM QPU on qhpc.

Importing ``qhpc_myqlm`` does not import myQLM (``qat``); :mod:`qhpc_myqlm.translate` does.
"""

__version__ = "0.1.0"


def circuit_from_myqlm(circ):  # type: ignore[no-untyped-def]
    """The qhpc model circuit for a myQLM ``Circuit`` or ``Program`` (see :mod:`qhpc_myqlm.translate`)."""
    from .translate import circuit_from_myqlm as convert

    return convert(circ)


def circuit_to_myqlm(circuit, **options):  # type: ignore[no-untyped-def]
    """A myQLM ``qat.core.Circuit`` for a qhpc model circuit (see :mod:`qhpc_myqlm.translate`)."""
    from .translate import circuit_to_myqlm as convert

    return convert(circuit, **options)
